//! One sample of every message, with distinct non-default field values, for tests of this
//! and other crates and for the two-process exchange demo.
#![forbid(unsafe_code)]

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

use crate::messages::*;

/// Base timestamp of the samples: 2024-03-01T14:30:00Z in ns since the Unix epoch.
pub const SAMPLE_TIMESTAMP_NS: u64 = 1_709_303_400_000_000_000;

/// One sample of every message kind, in [`MessageKind::ALL`] order.
///
/// Every field is non-zero and differs from its neighbours where the type allows, groups
/// have two or three entries, var data is non-empty, and the `ExecutionReport` carries its
/// version-1 field (`venue_timestamp_ns`), so a codec that swaps, drops or zeroes a field
/// fails the round trip.
pub fn sample_messages() -> Vec<Message> {
    let ts = SAMPLE_TIMESTAMP_NS;
    let order = OrderId((3u64 << 48) | 1_001);
    let parent = OrderId(77_000_123);
    vec![
        Message::Heartbeat(Heartbeat {
            sender_id: 3,
            sequence: 4_242,
            timestamp_ns: ts + 1,
        }),
        Message::BookLevelDelta(BookLevelDelta {
            venue_id: VenueId(1),
            instrument_id: InstrumentId(17),
            sequence: 9_000_001,
            timestamp_ns: ts + 2,
            levels: vec![
                BookLevel {
                    action: BookAction::New,
                    side: Side::Buy,
                    level_index: 0,
                    price: Price(1_234_500),
                    qty: 700,
                    order_count: 3,
                },
                BookLevel {
                    action: BookAction::Change,
                    side: Side::Sell,
                    level_index: 2,
                    price: Price(1_235_100),
                    qty: 1_900,
                    order_count: 11,
                },
                BookLevel {
                    action: BookAction::Delete,
                    side: Side::Sell,
                    level_index: 4,
                    price: Price(1_236_000),
                    qty: 0,
                    order_count: 0,
                },
            ],
        }),
        Message::TopOfBook(TopOfBook {
            venue_id: VenueId(2),
            instrument_id: InstrumentId(18),
            sequence: 9_000_002,
            timestamp_ns: ts + 3,
            bid_price: Price(1_234_500),
            bid_qty: 800,
            ask_price: Price(1_234_600),
            ask_qty: 1_200,
        }),
        Message::Trade(Trade {
            venue_id: VenueId(1),
            instrument_id: InstrumentId(19),
            timestamp_ns: ts + 4,
            price: Price(1_234_550),
            qty: 300,
            aggressor_side: Side::Sell,
            match_id: 55_501,
        }),
        Message::InstrumentStatus(InstrumentStatus {
            venue_id: VenueId(1),
            instrument_id: InstrumentId(20),
            timestamp_ns: ts + 5,
            trading_status: TradingStatus::Paused,
            symbol: *b"AAPL    ",
            reason: *b"LUDP",
        }),
        Message::FeedStatus(FeedStatus {
            venue_id: VenueId(2),
            timestamp_ns: ts + 6,
            feed_state: FeedState::Gap,
            expected_sequence: 1_000,
            received_sequence: 1_005,
            gap_count: 2,
        }),
        Message::NewChildOrder(NewChildOrder {
            order_id: order,
            parent_order_id: parent,
            instrument_id: InstrumentId(21),
            venue_id: VenueId(1),
            side: Side::SellShort,
            time_in_force: TimeInForce::Ioc,
            price: Price(1_234_600),
            qty: Qty(500),
            timestamp_ns: ts + 7,
        }),
        Message::CancelOrder(CancelOrder {
            order_id: order,
            instrument_id: InstrumentId(21),
            venue_id: VenueId(1),
            leave_qty: Qty(100),
            timestamp_ns: ts + 8,
        }),
        Message::ReplaceOrder(ReplaceOrder {
            order_id: OrderId(order.0 + 1),
            orig_order_id: order,
            instrument_id: InstrumentId(21),
            venue_id: VenueId(1),
            price: Price(1_234_700),
            qty: Qty(400),
            timestamp_ns: ts + 9,
        }),
        Message::ExecutionReport(ExecutionReport {
            order_id: order,
            parent_order_id: parent,
            venue_id: VenueId(1),
            instrument_id: InstrumentId(21),
            exec_type: ExecType::PartialFill,
            order_status: OrderStatus::PartiallyFilled,
            side: Side::Buy,
            price: Price(1_234_600),
            last_px: Price(1_234_550),
            last_qty: Qty(200),
            leaves_qty: Qty(300),
            cum_qty: Qty(200),
            venue_order_ref: 88_000_001,
            match_id: 55_502,
            timestamp_ns: ts + 10,
            venue_timestamp_ns: Some(ts + 9),
            text: "fill liq=A".to_owned(),
        }),
        Message::OrderReject(OrderReject {
            order_id: OrderId(order.0 + 2),
            venue_id: VenueId(2),
            instrument_id: InstrumentId(22),
            reject_reason: RejectReason::MaxOrderQty,
            timestamp_ns: ts + 11,
            text: "MAX_ORDER_QTY qty=5000 max=1000".to_owned(),
        }),
        Message::CreditGrant(CreditGrant {
            gateway_id: GatewayId(3),
            instrument_id: InstrumentId(23),
            grant_sequence: 12,
            buy_qty: 10_000,
            sell_qty: 8_000,
            notional: 1_500_000_000,
            timestamp_ns: ts + 12,
        }),
        Message::CreditReturn(CreditReturn {
            gateway_id: GatewayId(4),
            instrument_id: InstrumentId(23),
            grant_sequence: 11,
            buy_qty: 2_500,
            sell_qty: 1_500,
            notional: 300_000_000,
            timestamp_ns: ts + 13,
        }),
        Message::PositionUpdate(PositionUpdate {
            gateway_id: GatewayId(3),
            venue_id: VenueId(2),
            instrument_id: InstrumentId(24),
            position: -1_200,
            bought_qty: 3_000,
            sold_qty: 4_200,
            notional_bought: 370_000_000,
            notional_sold: 518_000_000,
            timestamp_ns: ts + 14,
        }),
        Message::RiskLimits(RiskLimits {
            timestamp_ns: ts + 15,
            version: 7,
            limits: vec![
                InstrumentLimit {
                    instrument_id: InstrumentId(21),
                    max_order_qty: Qty(5_000),
                    max_order_notional: 2_500_000_000,
                    max_position: 50_000,
                    price_collar_bps: 500,
                    max_orders_per_second: 200,
                },
                InstrumentLimit {
                    instrument_id: InstrumentId(22),
                    max_order_qty: Qty(1_000),
                    max_order_notional: 900_000_000,
                    max_position: 12_000,
                    price_collar_bps: 250,
                    max_orders_per_second: 50,
                },
            ],
        }),
        Message::KillSwitch(KillSwitch {
            active: true,
            scope: KillSwitchScope::Venue,
            venue_id: VenueId(2),
            instrument_id: InstrumentId(25),
            allow_risk_reducing: true,
            timestamp_ns: ts + 16,
            reason: "operator=ops1 cause=venue_latency p99_us=900".to_owned(),
        }),
        Message::ExecutionReplayRequest(ExecutionReplayRequest {
            gateway_id: GatewayId(2),
            request_id: 7,
            from_sequence: 1_234,
            timestamp_ns: ts + 17,
        }),
        Message::ExecutionReplayComplete(ExecutionReplayComplete {
            gateway_id: GatewayId(3),
            request_id: 8,
            from_sequence: 1_235,
            last_sequence: 1_301,
            replayed: 67,
            timestamp_ns: ts + 18,
        }),
        Message::LimitsState(LimitsState {
            timestamp_ns: ts + 19,
            version: 8,
            max_gross_notional_total: 90_000_000_000,
            max_net_notional_total: 40_000_000_000,
            limits: vec![
                CentreInstrumentLimit {
                    instrument_id: InstrumentId(21),
                    max_order_qty: Qty(5_000),
                    max_order_notional: 2_500_000_000,
                    max_position: 50_000,
                    price_collar_bps: 500,
                    max_orders_per_second: 200,
                    max_gross_notional: 30_000_000_000,
                    max_net_notional: 20_000_000_000,
                    credit_notional: 60_000_000_000,
                },
                CentreInstrumentLimit {
                    instrument_id: InstrumentId(22),
                    max_order_qty: Qty(1_000),
                    max_order_notional: 900_000_000,
                    max_position: 12_000,
                    price_collar_bps: 250,
                    max_orders_per_second: 50,
                    max_gross_notional: 7_000_000_000,
                    max_net_notional: 3_000_000_000,
                    credit_notional: 11_000_000_000,
                },
            ],
        }),
        Message::CreditSlice(CreditSlice {
            gateway_id: GatewayId(2),
            instrument_id: InstrumentId(23),
            grant_sequence: 13,
            buy_qty: 9_000,
            sell_qty: 7_500,
            notional: 1_200_000_000,
            through_stream_sequence: 1_301,
            timestamp_ns: ts + 20,
        }),
    ]
}
