//! The gateway process's order path end to end: SBE child orders and control messages over
//! the gateway's Aeron driver, OUCH 5.0 over SoupBinTCP to a venue on loopback TCP, SBE
//! execution reports back.

mod common;
use common::*;

use std::net::SocketAddr;

use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_itch::{AddOrder, Header, ItchMessage, Stock};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Side, TimeInForce, VenueId};
use crossbar_sbe::{
    ExecType, ExecutionReplayComplete, ExecutionReplayRequest, InstrumentLimit, KillSwitch,
    KillSwitchScope, Message, NewChildOrder, OrderStatus, RejectReason, RiskLimits,
};

const UNIVERSE: [&str; 2] = ["AAPL", "MSFT"];
/// $10.00 bid, $10.01 offer in AAPL.
const BID: i64 = 100_000;
const ASK: i64 = 100_100;

/// Opening (System Event, directory, trading) for the universe, then one bid and one offer
/// of 100 shares in AAPL.
fn opening() -> Vec<ItchMessage> {
    let universe: Vec<Stock> = stocks(&UNIVERSE);
    let config = DayConfig {
        seed: 1,
        instruments: 2,
        messages: 0,
    };
    let mut messages: Vec<ItchMessage> = DayGenerator::with_symbols(config, &universe)
        .take(1 + 2 * universe.len())
        .collect();
    for (order_ref, side, ticks) in [(1, Side::Buy, BID), (2, Side::Sell, ASK)] {
        messages.push(ItchMessage::AddOrder(AddOrder {
            header: Header {
                stock_locate: 1,
                tracking_number: 0,
                timestamp_ns: 1_000,
            },
            order_reference_number: order_ref,
            side,
            shares: qty(100),
            stock: universe[0],
            price: price(ticks),
        }));
    }
    messages
}

fn order(sequence: u64, side: Side, price_ticks: i64, shares: u32) -> Message {
    Message::NewChildOrder(NewChildOrder {
        order_id: OrderId::new(GatewayId(0), sequence).unwrap(),
        parent_order_id: OrderId(77),
        instrument_id: InstrumentId(0),
        venue_id: VenueId(VENUE_ID),
        side,
        time_in_force: TimeInForce::Day,
        price: price(price_ticks),
        qty: qty(shares),
        timestamp_ns: 1,
    })
}

fn kill_switch(active: bool) -> Message {
    Message::KillSwitch(KillSwitch {
        active,
        scope: KillSwitchScope::Venue,
        venue_id: VenueId(VENUE_ID),
        instrument_id: InstrumentId(0),
        allow_risk_reducing: false,
        timestamp_ns: 1,
        reason: "ops test".into(),
    })
}

/// Starts a gateway, a venue and the centre; the feed has set the AAPL touch.
fn start(test: &str, extra: &str) -> (Venue, Setup, integration::Child, Centre) {
    let venue = Venue::start();
    let unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let s = setup(test, unused, venue.addr);
    let gw = spawn_gateway(&s, &gateway_toml(&s, &UNIVERSE, extra));
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    let stream = packetize(&opening(), 1_400);
    send_packets(
        SocketAddr::from(([127, 0, 0, 1], s.feed_port)),
        &stream.packets,
    );
    centre.market_data_until("AAPL touch", &mut |m| {
        matches!(m, Message::TopOfBook(t)
            if t.instrument_id.0 == 0 && t.bid_price.0 == BID && t.ask_price.0 == ASK)
    });
    while venue.log.lock().unwrap().logins == 0 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (venue, s, gw, centre)
}

mod integration {
    pub type Child = crossbar_integration_tests::ChildProcess;
}

fn reject(m: &Message) -> (OrderId, RejectReason, String) {
    match m {
        Message::OrderReject(r) => (r.order_id, r.reject_reason, r.text.clone()),
        other => panic!("expected an OrderReject, got {other:?}"),
    }
}

#[test]
fn child_orders_pass_risk_to_the_venue_and_reports_come_back() {
    let (venue, _setup, gw, mut centre) = start("gw-orders", "");
    centre.subscribe_executions();

    // 1. A buy at the offer passes risk, leaves as an OUCH Enter Order, and the venue's
    //    Accepted and Executed come back as ExecutionReports, then a PositionUpdate.
    centre.send(&order(1, Side::Buy, ASK, 100));
    venue.wait_for_enters(1);
    assert_eq!(
        venue.log.lock().unwrap().enters[0],
        (1, b'B', 100, "AAPL".to_owned(), ASK)
    );
    let reports = centre.executions(3);
    let Message::ExecutionReport(new) = &reports[0] else {
        panic!("{reports:?}")
    };
    assert_eq!(new.exec_type, ExecType::New);
    assert_eq!(new.order_id, OrderId::new(GatewayId(0), 1).unwrap());
    assert_eq!(new.parent_order_id, OrderId(77));
    let Message::ExecutionReport(fill) = &reports[1] else {
        panic!("{reports:?}")
    };
    assert_eq!(fill.exec_type, ExecType::Fill);
    assert_eq!(fill.order_status, OrderStatus::Filled);
    assert_eq!(
        (fill.last_qty.0, fill.last_px.0, fill.leaves_qty.0),
        (100, ASK, 0)
    );
    let Message::PositionUpdate(position) = &reports[2] else {
        panic!("{reports:?}")
    };
    assert_eq!(position.gateway_id.0, GATEWAY_ID);
    assert_eq!(position.position, 100);
    assert_eq!(position.bought_qty, 100);
    assert_eq!(position.notional_bought, ASK * 100);

    // 2. Over the per-order limit (risk default 10,000): rejected with its code; no bytes.
    centre.send(&order(2, Side::Buy, ASK, 20_000));
    let (id, reason, text) = reject(&centre.executions(1)[0]);
    assert_eq!(id, OrderId::new(GatewayId(0), 2).unwrap());
    assert_eq!(reason, RejectReason::MaxOrderQty);
    assert!(
        text.starts_with("RISK_MAX_ORDER_QTY qty=20000 max=10000"),
        "{text}"
    );

    // 3. Malformed frames on the order stream are counted and skipped.
    centre.send_bytes(b"\x01\x02 not sbe");
    let mut buf = vec![0u8; 256];
    let len = crossbar_sbe::encode(&order(3, Side::Buy, ASK, 1), &mut buf).unwrap();
    centre.send_bytes(&buf[..len / 2]);

    // 4. RiskLimits from the centre lower AAPL's order size to 50.
    centre.send(&Message::RiskLimits(RiskLimits {
        timestamp_ns: 1,
        version: 1,
        limits: vec![InstrumentLimit {
            instrument_id: InstrumentId(0),
            max_order_qty: qty(50),
            max_order_notional: 1_000_000 * 10_000,
            max_position: 100_000,
            price_collar_bps: 500,
            max_orders_per_second: 1_000,
        }],
    }));
    centre.send(&order(4, Side::Buy, ASK, 60));
    let (_, reason, text) = reject(&centre.executions(1)[0]);
    assert_eq!(reason, RejectReason::MaxOrderQty);
    assert!(text.contains("max=50"), "{text}");

    // 5. The kill switch stops new orders; released, they flow again.
    centre.send(&kill_switch(true));
    centre.send(&order(5, Side::Buy, ASK, 10));
    let (_, reason, text) = reject(&centre.executions(1)[0]);
    assert_eq!(reason, RejectReason::KillSwitch);
    assert!(text.starts_with("RISK_KILL_SWITCH scope=venue"), "{text}");
    centre.send(&kill_switch(false));
    centre.send(&order(6, Side::Sell, BID, 10));
    venue.wait_for_enters(2);
    let reports = centre.executions(3);
    assert!(matches!(&reports[1], Message::ExecutionReport(r) if r.exec_type == ExecType::Fill));
    let Message::PositionUpdate(position) = &reports[2] else {
        panic!("{reports:?}")
    };
    assert_eq!((position.position, position.sold_qty), (90, 10));

    // Only the two accepted orders ever reached the venue.
    let log = venue.log.lock().unwrap();
    assert_eq!(log.enters.len(), 2, "{:?}", log.enters);
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    drop(log);
    let counters = stop_gateway(gw);
    assert_eq!(counters["orders.malformed"], 2, "{counters:?}");
    assert_eq!(counters["centre.kill_switches"], 2);
    assert_eq!(counters["centre.risk_limits"], 1);
    assert_eq!(counters["exec.position_updates"], 2);
    assert_eq!(counters["exec.overflowed"], 0);
}

#[test]
fn a_full_execution_queue_fails_closed_and_nothing_is_lost() {
    // 16 records of 2,128 bytes (schema version 2: PositionUpdate carries streamSequence):
    // fail closed from 17,024 bytes queued (about 60 filled orders' reports), while nobody
    // subscribes to the execution stream.
    let (venue, _setup, gw, mut centre) =
        start("gw-failclosed", "[executions]\nqueue_bytes = 34048\n");
    const ORDERS: u64 = 100;
    // One order at a time while the venue keeps receiving them (each fill adds about 270
    // bytes of reports to the queue), then the rest at once: those meet the closed gate.
    let mut sequence = 1;
    while sequence <= ORDERS {
        centre.send(&order(sequence, Side::Buy, ASK, 1));
        let start = std::time::Instant::now();
        while venue.enters() < sequence as usize
            && start.elapsed() < std::time::Duration::from_secs(2)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        sequence += 1;
        if venue.enters() < sequence as usize - 1 {
            break;
        }
    }
    for sequence in sequence..=ORDERS {
        centre.send(&order(sequence, Side::Buy, ASK, 1));
    }
    // Let the gateway work through everything it can take.
    let mut last = usize::MAX;
    while venue.enters() != last {
        last = venue.enters();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let sent = venue.enters();
    assert!(
        sent > 0 && (sent as u64) < ORDERS,
        "venue got {sent} orders"
    );

    // Now the centre listens: every order is accounted for, in order, nothing dropped.
    centre.subscribe_executions();
    let rejected = ORDERS as usize - sent;
    let messages = centre.executions(3 * sent + rejected);
    let mut position = 0;
    let mut fills = 0;
    let mut rejects = 0;
    for m in &messages {
        match m {
            Message::ExecutionReport(r) if r.exec_type == ExecType::Fill => fills += 1,
            Message::ExecutionReport(r) => assert_eq!(r.exec_type, ExecType::New),
            Message::PositionUpdate(p) => {
                position += 1;
                assert_eq!(p.position, position, "position updates in fill order");
            }
            Message::OrderReject(r) => {
                rejects += 1;
                assert_eq!(r.reject_reason, RejectReason::FailClosed);
                assert!(r.text.contains("cause=EXEC_QUEUE_FULL"), "{}", r.text);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((fills, rejects), (sent, rejected));

    // Drained: the gateway trades again.
    centre.send(&order(ORDERS + 1, Side::Buy, ASK, 1));
    venue.wait_for_enters(sent + 1);
    let reports = centre.executions(3);
    assert!(matches!(&reports[1], Message::ExecutionReport(r) if r.exec_type == ExecType::Fill));
    let counters = stop_gateway(gw);
    assert_eq!(counters["orders.fail_closed_entered"], 1, "{counters:?}");
    assert_eq!(counters["exec.overflowed"], 0);
    assert!(counters["exec.queued"] > 0);
    assert!(counters["pub.executions.not_connected"] > 0);
}

#[test]
fn a_replay_request_is_answered_from_the_journal_with_the_same_numbered_frames() {
    let (venue, _setup, gw, mut centre) = start("gw-resync", "");
    centre.subscribe_executions();
    // A refused order (OrderReject) and a filled one (New, Fill, PositionUpdate): numbered
    // 1..=4 on the execution stream.
    centre.send(&order(1, Side::Buy, ASK, 20_000));
    centre.send(&order(2, Side::Buy, ASK, 10));
    venue.wait_for_enters(1);
    let live = centre.executions_raw(4);
    let numbers: Vec<Option<u64>> = live
        .iter()
        .map(|f| crossbar_sbe::stream_sequence(f))
        .collect();
    assert_eq!(numbers, [Some(1), Some(2), Some(3), Some(4)]);

    // Another gateway's request is not answered; ours from 2 gets 2..=4 again, byte for byte
    // as journaled, then the Complete.
    centre.send(&Message::ExecutionReplayRequest(ExecutionReplayRequest {
        gateway_id: GatewayId(GATEWAY_ID + 1),
        request_id: 6,
        from_sequence: 1,
        timestamp_ns: 1,
    }));
    centre.send(&Message::ExecutionReplayRequest(ExecutionReplayRequest {
        gateway_id: GatewayId(GATEWAY_ID),
        request_id: 7,
        from_sequence: 2,
        timestamp_ns: 2,
    }));
    let replayed = centre.executions_raw(4);
    assert_eq!(
        &replayed[..3],
        &live[1..],
        "the journaled frames, unchanged"
    );
    assert_eq!(
        crossbar_sbe::decode(&replayed[3]).unwrap(),
        Message::ExecutionReplayComplete(ExecutionReplayComplete {
            gateway_id: GatewayId(GATEWAY_ID),
            request_id: 7,
            from_sequence: 2,
            last_sequence: 4,
            replayed: 3,
            timestamp_ns: match crossbar_sbe::decode(&replayed[3]).unwrap() {
                Message::ExecutionReplayComplete(c) => c.timestamp_ns,
                other => panic!("{other:?}"),
            },
        })
    );
    // Numbering goes on after the replay: the next report is 5.
    centre.send(&order(3, Side::Buy, ASK, 20_000));
    let next = centre.executions_raw(1);
    assert_eq!(crossbar_sbe::stream_sequence(&next[0]), Some(5));

    let counters = stop_gateway(gw);
    assert_eq!(counters["exec.replay_requests"], 1, "{counters:?}");
    assert_eq!(counters["exec.replayed"], 3);
    assert_eq!(counters["exec.replay_completes"], 1);
    assert_eq!(
        counters["orders.unexpected"], 1,
        "the other gateway's request"
    );
}
