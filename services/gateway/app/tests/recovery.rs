//! Restart recovery through the real process: the gateway is SIGKILLed with working orders
//! and a partial fill reported; the venue fills again while it is down; the restarted gateway
//! rebuilds its state from its journal, logs in at the next venue sequence number, reports the
//! missed fill exactly once and never re-reports (or re-applies) the old one.

mod common;
use common::*;

use std::net::SocketAddr;

use crossbar_model::{GatewayId, InstrumentId, OrderId, Side, VenueId};
use crossbar_sbe::{CancelOrder, ExecType, ExecutionReport, Message, PositionUpdate};

const UNIVERSE: [&str; 2] = ["AAPL", "MSFT"];

fn report(m: &Message) -> &ExecutionReport {
    match m {
        Message::ExecutionReport(r) => r,
        other => panic!("expected an ExecutionReport, got {other:?}"),
    }
}

fn position(m: &Message) -> &PositionUpdate {
    match m {
        Message::PositionUpdate(p) => p,
        other => panic!("expected a PositionUpdate, got {other:?}"),
    }
}

fn field(line: &str, key: &str) -> String {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        .to_owned()
}

#[test]
fn a_killed_gateway_recovers_from_its_journal_and_reports_the_missed_fill_exactly_once() {
    let venue = Venue::start_resting();
    let unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let s = setup("gw-recovery", unused, venue.addr);
    let toml = gateway_toml(&s, &UNIVERSE, "");
    let (gw, _) = spawn_gateway_env(&s, &toml, &[]);
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    centre.subscribe_executions();
    open_market(&s, &mut centre, &UNIVERSE);
    venue.wait_until("a login", |l| l.logins == 1);

    // Two resting orders (UserRefNums 1 and 2), then a partial fill of the buy: reported.
    let buy = OrderId::new(GatewayId(0), 1).unwrap();
    centre.send(&child_order(1, Side::Buy, BID, 100));
    centre.send(&child_order(2, Side::Sell, ASK, 50));
    let m = centre.executions(2);
    assert_eq!(report(&m[0]).exec_type, ExecType::New);
    venue.inject(execution(1, 30, BID, 9_001));
    let m = centre.executions(2);
    let r = report(&m[0]);
    assert_eq!(
        (r.order_id, r.exec_type, r.last_qty.0),
        (buy, ExecType::PartialFill, 30)
    );
    assert_eq!((r.cum_qty.0, r.leaves_qty.0, r.match_id), (30, 70, 9_001));
    assert_eq!(position(&m[1]).position, 30);
    assert_eq!(venue.sequenced(), 3, "two accepts and one execution");

    // Crash. The venue fills 20 more while the gateway is gone.
    let (status, _, _) = gw.kill();
    assert!(!status.success());
    drop(centre);
    venue.inject(execution(1, 20, BID, 9_002));
    venue.wait_until("the fill sequenced", |l| l.sequenced == 4);

    // Restart on the same journal.
    let (gw, recovered) = spawn_gateway_env(&s, &toml, &[]);
    assert!(recovered.starts_with("GATEWAY_RECOVERED "), "{recovered}");
    assert_eq!(field(&recovered, "live_orders"), "2");
    assert_eq!(field(&recovered, "next_user_ref_num"), "3");
    assert_eq!(field(&recovered, "venue_session"), "GWSESS");
    assert_eq!(field(&recovered, "resume_sequence"), "4");
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_executions();
    venue.wait_until("the second login", |l| l.logins == 2);

    // First the position as rebuilt from the journal, then the missed fill, once.
    let m = centre.executions(3);
    assert_eq!(position(&m[0]).position, 30, "{m:?}");
    let r = report(&m[1]);
    assert_eq!(
        (r.order_id, r.exec_type, r.last_qty.0),
        (buy, ExecType::PartialFill, 20)
    );
    assert_eq!((r.cum_qty.0, r.leaves_qty.0, r.match_id), (50, 50, 9_002));
    let p = position(&m[2]);
    assert_eq!(
        (p.position, p.bought_qty, p.notional_bought),
        (50, 50, 50 * BID)
    );

    // The venue sends the first execution again (same match number): the rebuilt
    // duplicate guard drops it. Then the recovered UserRefNums still address the orders:
    // the centre cancels the buy, the venue cancels UserRefNum 1.
    venue.inject(execution(1, 30, BID, 9_001));
    centre.send(&Message::CancelOrder(CancelOrder {
        order_id: buy,
        instrument_id: InstrumentId(0),
        venue_id: VenueId(VENUE_ID),
        leave_qty: qty(0),
        timestamp_ns: 1,
    }));
    venue.wait_until("the cancel", |l| l.cancels == vec![(1, 0)]);
    let m = centre.executions(1);
    let r = report(&m[0]);
    assert_eq!(
        (r.order_id, r.exec_type, r.leaves_qty.0),
        (buy, ExecType::Canceled, 0)
    );
    assert_eq!(r.cum_qty.0, 50, "the replayed 30 was not applied again");

    // A new order (the restarted feed has the book again) continues after the highest
    // journaled UserRefNum.
    centre.subscribe_market_data();
    open_market(&s, &mut centre, &UNIVERSE);
    centre.send(&child_order(3, Side::Buy, BID, 10));
    let m = centre.executions(1);
    assert_eq!(report(&m[0]).exec_type, ExecType::New);
    assert_eq!(venue.log.lock().unwrap().enters.last().unwrap().0, 3);
    // The sell is still working after the restart; filling it moves the position on.
    venue.inject(execution(2, 50, ASK, 9_003));
    let m = centre.executions(2);
    assert_eq!(report(&m[0]).exec_type, ExecType::Fill);
    let p = position(&m[1]);
    assert_eq!((p.position, p.bought_qty, p.sold_qty), (0, 50, 50));

    let counters = stop_gateway(gw);
    assert_eq!(counters["orders.errors"], 0, "{counters:?}");
    assert!(venue.log.lock().unwrap().errors.is_empty());
}

/// Regression: start-up credit is configuration, never journaled as a grant, while the
/// CreditReturn sent at a clean shutdown (which hands it back) is. Replaying that return on the
/// next start used to take the new start-up credit away, so every order was refused
/// `RISK_CREDIT_EXHAUSTED`.
#[test]
fn a_clean_restart_on_the_same_journal_keeps_the_startup_credit() {
    let venue = Venue::start_resting();
    let unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let s = setup("gw-restart-credit", unused, venue.addr);
    let toml = gateway_toml(&s, &UNIVERSE, "");
    let (gw, _) = spawn_gateway_env(&s, &toml, &[]);
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    centre.subscribe_executions();
    open_market(&s, &mut centre, &UNIVERSE);
    centre.send(&child_order(1, Side::Buy, BID, 100));
    assert_eq!(report(&centre.executions(1)[0]).exec_type, ExecType::New);
    let counters = stop_gateway(gw);
    assert!(counters["centre.credit_returns"] > 0, "{counters:?}");
    drop(centre);

    let (gw, recovered) = spawn_gateway_env(&s, &toml, &[]);
    assert!(recovered.starts_with("GATEWAY_RECOVERED "), "{recovered}");
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    centre.subscribe_executions();
    open_market(&s, &mut centre, &UNIVERSE);
    centre.send(&child_order(2, Side::Buy, BID, 100));
    let m = centre.executions(1);
    assert!(
        matches!(&m[0], Message::ExecutionReport(r) if r.exec_type == ExecType::New),
        "the order after a clean restart must be accepted: {m:?}"
    );
    stop_gateway(gw);
}
