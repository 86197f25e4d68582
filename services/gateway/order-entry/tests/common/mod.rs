//! Shared fixtures: a router with one instrument, credit granted and a fresh market.
#![allow(dead_code)]

use crossbar_model::{InstrumentId, Price, Qty, VenueId};
use crossbar_order_entry::{OrderEntryConfig, OrderRouter, OuchSink};
use crossbar_ouch as ouch;
use crossbar_risk::{InstrumentLimits, MarketView, RiskEngine, RiskLimits};
use crossbar_sbe::generated::{NewChildOrderEncoder, NewChildOrderFixedFields, Side, TimeInForce};
use crossbar_soupbintcp::SoupError;

pub const NOW_NS: u64 = 1_700_000_000_000_000_000;

pub fn router(max_live_orders: u32) -> OrderRouter {
    router_with_midnight(max_live_orders, 0)
}

/// [`router`] for a venue whose OUCH Timestamps count from the midnight `offset_s` seconds
/// east of UTC.
pub fn router_with_midnight(max_live_orders: u32, offset_s: i32) -> OrderRouter {
    let limits = RiskLimits {
        instruments: vec![
            InstrumentLimits {
                max_order_qty: Qty(5_000),
                max_order_notional: 1_000_000 * 10_000,
                max_long_position: 10_000_000,
                max_short_position: 10_000_000,
                collar_bps: 500,
                max_orders_per_window: 65_536,
            };
            2
        ],
        max_open_orders: max_live_orders,
        duplicate_window: 1024,
        session_max_orders_per_window: 65_536,
        throttle_window_ns: 1_000,
        kill_switch_allows_reducing: false,
    };
    let mut risk = RiskEngine::new(limits).unwrap();
    for i in 0..2 {
        risk.grant_credit(
            InstrumentId(i),
            crossbar_risk::Credit::both_sides(1_000_000_000, 1 << 100),
        )
        .unwrap();
    }
    let config = OrderEntryConfig {
        venue_id: VenueId(1),
        symbols: vec![
            ouch::Symbol::new("AAPL").unwrap(),
            ouch::Symbol::new("MSFT").unwrap(),
        ],
        max_live_orders,
        duplicate_execution_window: 4096,
        first_user_ref_num: 1,
        capacity: ouch::Capacity::Agency,
        venue_midnight_utc_offset_s: offset_s,
    };
    let mut r = OrderRouter::new(config, risk).unwrap();
    for i in 0..2 {
        r.update_market(
            InstrumentId(i),
            MarketView {
                best_bid: Some(Price(1_000_000)),
                best_ask: Some(Price(1_000_100)),
                last_trade_price: None,
                stale: false,
            },
        );
    }
    r
}

pub fn new_child_order(
    order_id: u64,
    instrument: u32,
    side: Side,
    price: i64,
    qty: u32,
) -> Vec<u8> {
    let mut buf = vec![0u8; NewChildOrderEncoder::ENCODED_LENGTH];
    let len = NewChildOrderEncoder::try_wrap_and_apply_header(&mut buf, 0)
        .unwrap()
        .fixed(&NewChildOrderFixedFields {
            order_id,
            parent_order_id: 7,
            instrument_id: instrument,
            venue_id: 1,
            side,
            time_in_force: TimeInForce::Day,
            price,
            qty,
            timestamp_ns: NOW_NS,
        })
        .encoded_length_with_header();
    buf.truncate(len);
    buf
}

/// Collects every packet.
#[derive(Default)]
pub struct VecSink(pub Vec<Vec<u8>>);

impl OuchSink for VecSink {
    fn send_packet(&mut self, packet: &[u8]) -> Result<(), SoupError> {
        self.0.push(packet.to_vec());
        Ok(())
    }
}

pub fn accepted(user_ref_num: u32, qty: u32, price: i64, order_ref: u64) -> Vec<u8> {
    let m = ouch::OrderAccepted {
        timestamp_ns: 1,
        user_ref_num: ouch::UserRefNum(user_ref_num),
        side: ouch::OrderSide::Buy,
        quantity: Qty(qty),
        symbol: ouch::Symbol::new("AAPL").unwrap(),
        price: Price(price),
        time_in_force: ouch::TimeInForce::Day,
        display: ouch::Display::Visible,
        order_reference_number: order_ref,
        capacity: ouch::Capacity::Agency,
        intermarket_sweep: ouch::IntermarketSweep::NotEligible,
        cross_type: ouch::CrossType::Continuous,
        order_state: ouch::OrderState::Live,
        cl_ord_id: ouch::ClOrdId::BLANK,
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

pub fn executed(user_ref_num: u32, qty: u32, price: i64, match_number: u64) -> Vec<u8> {
    let m = ouch::OrderExecuted {
        timestamp_ns: 2,
        user_ref_num: ouch::UserRefNum(user_ref_num),
        quantity: Qty(qty),
        price: Price(price),
        liquidity_flag: ouch::LiquidityFlag::ADDED,
        match_number,
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

/// The socket sink of the hot-path benches: copies each packet into a pre-sized send
/// buffer, as a write to a non-blocking socket's user-space buffer would.
pub struct CopySink(pub Vec<u8>);

impl OuchSink for CopySink {
    fn send_packet(&mut self, packet: &[u8]) -> Result<(), SoupError> {
        self.0.clear();
        self.0.extend_from_slice(packet);
        Ok(())
    }
}

/// An OUCH 5.0 Rejected (§3.8, type J) for `user_ref_num`: ends the order at the venue,
/// releasing its risk reservation and table slot.
pub fn rejected(user_ref_num: u32) -> Vec<u8> {
    let m = ouch::Rejected {
        timestamp_ns: 1,
        user_ref_num: ouch::UserRefNum(user_ref_num),
        reason: ouch::RejectReason::from_code(0x0001),
        cl_ord_id: ouch::ClOrdId::BLANK,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

/// Prints one bench row: count, p50 / p99 / p99.9 / max (ns) and the mean.
pub fn print_percentiles(name: &str, h: &hdrhistogram::Histogram<u64>) {
    println!(
        "{name:<30} n={} p50={} ns p99={} ns p99.9={} ns max={} ns mean={:.1} ns",
        h.len(),
        h.value_at_quantile(0.50),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
        h.mean()
    );
}
