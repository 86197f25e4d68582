//! OrderRouter end to end without sockets: SBE in, OUCH bytes out, OUCH in, SBE out.

mod common;
use common::*;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side as MSide, TimeInForce as MTif};
use crossbar_order_entry::{OrderState, Outcome};
use crossbar_ouch as ouch;
use crossbar_sbe::generated::Side;
use crossbar_sbe::{decode, ExecType, Message, OrderStatus, RejectReason};

#[test]
fn accepted_order_leaves_as_exact_ouch_enter_order() {
    let mut r = router(16);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    let order = new_child_order(42, 0, Side::Buy, 1_000_050, 300);
    let out = r
        .on_child_order(&order, NOW_NS, &mut sink, &mut sbe)
        .unwrap();
    assert_eq!(out, Outcome::Sent { user_ref_num: 1 });
    let expected = ouch::EnterOrder {
        user_ref_num: ouch::UserRefNum(1),
        side: ouch::OrderSide::Buy,
        quantity: Qty(300),
        symbol: ouch::Symbol::new("AAPL").unwrap(),
        price: Price(1_000_050),
        time_in_force: ouch::TimeInForce::Day,
        display: ouch::Display::Visible,
        capacity: ouch::Capacity::Agency,
        intermarket_sweep: ouch::IntermarketSweep::NotEligible,
        cross_type: ouch::CrossType::Continuous,
        cl_ord_id: ouch::ClOrdId::new("16").unwrap(), // 42 in base 36
        options: ouch::OptionsView::EMPTY,
    };
    let mut want = vec![0u8; 3 + expected.encoded_len()];
    expected.encode(&mut want[3..]).unwrap();
    want[..2].copy_from_slice(&((expected.encoded_len() + 1) as u16).to_be_bytes());
    want[2] = b'U';
    assert_eq!(sink.0, vec![want]);
    assert_eq!(
        r.order_state(OrderId(42)),
        Some((OrderState::PendingNew, Qty(300), Qty(0)))
    );
    assert_eq!(r.risk().open_qty(InstrumentId(0), MSide::Buy), Some(300));
    let _ = MTif::Day;
}

#[test]
fn risk_reject_never_reaches_the_venue_and_carries_the_code() {
    let mut r = router(16);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    let order = new_child_order(43, 0, Side::Buy, 1_000_050, 5_001);
    let out = r
        .on_child_order(&order, NOW_NS, &mut sink, &mut sbe)
        .unwrap();
    let Outcome::Rejected { sbe_len, reason } = out else {
        panic!("{out:?}")
    };
    assert_eq!(reason, RejectReason::MaxOrderQty);
    assert!(sink.0.is_empty());
    let Message::OrderReject(rej) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    assert_eq!(rej.order_id, OrderId(43));
    assert_eq!(rej.reject_reason, RejectReason::MaxOrderQty);
    assert_eq!(
        rej.text,
        "RISK_MAX_ORDER_QTY qty=5001 max=5000 instrument=0"
    );
    assert_eq!(r.live_orders(), 0);
    assert_eq!(r.risk().reject_count(1), 1);
}

#[test]
fn accept_partial_fill_full_fill_and_duplicate_execution() {
    let mut r = router(16);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    r.on_child_order(
        &new_child_order(42, 0, Side::Buy, 1_000_050, 300),
        NOW_NS,
        &mut sink,
        &mut sbe,
    )
    .unwrap();
    let out = r
        .on_venue_message(1, &accepted(1, 300, 1_000_050, 9_999), NOW_NS + 1, &mut sbe)
        .unwrap();
    let Outcome::Report { sbe_len } = out else {
        panic!("{out:?}")
    };
    let Message::ExecutionReport(er) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (er.exec_type, er.order_status),
        (ExecType::New, OrderStatus::New)
    );
    assert_eq!(
        (er.leaves_qty, er.cum_qty, er.venue_order_ref),
        (Qty(300), Qty(0), 9_999)
    );

    let out = r
        .on_venue_message(2, &executed(1, 100, 1_000_040, 555), NOW_NS + 2, &mut sbe)
        .unwrap();
    let Outcome::Report { sbe_len } = out else {
        panic!("{out:?}")
    };
    let Message::ExecutionReport(er) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (er.exec_type, er.order_status),
        (ExecType::PartialFill, OrderStatus::PartiallyFilled)
    );
    assert_eq!(
        (er.last_px, er.last_qty, er.leaves_qty, er.cum_qty),
        (Price(1_000_040), Qty(100), Qty(200), Qty(100))
    );
    assert_eq!(
        (er.match_id, er.parent_order_id, er.timestamp_ns),
        (555, OrderId(7), NOW_NS + 2)
    );
    assert_eq!(r.risk().position(InstrumentId(0)), Some(100));

    // The same execution again under a new sequence number (a venue replay): ignored.
    let out = r
        .on_venue_message(3, &executed(1, 100, 1_000_040, 555), NOW_NS + 3, &mut sbe)
        .unwrap();
    assert_eq!(out, Outcome::Duplicate);
    // The same sequence number again: ignored.
    assert_eq!(
        r.on_venue_message(2, &executed(1, 100, 1_000_040, 556), NOW_NS, &mut sbe)
            .unwrap(),
        Outcome::Duplicate
    );
    assert_eq!(r.risk().position(InstrumentId(0)), Some(100));

    let out = r
        .on_venue_message(4, &executed(1, 200, 1_000_050, 557), NOW_NS + 4, &mut sbe)
        .unwrap();
    let Outcome::Report { sbe_len } = out else {
        panic!("{out:?}")
    };
    let Message::ExecutionReport(er) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (er.exec_type, er.order_status),
        (ExecType::Fill, OrderStatus::Filled)
    );
    assert_eq!((er.leaves_qty, er.cum_qty), (Qty(0), Qty(300)));
    assert_eq!(r.risk().position(InstrumentId(0)), Some(300));
    assert_eq!(r.live_orders(), 0);
    assert_eq!(r.risk().open_order_count(), 0);
    // A replay of a fill of the finished order is still recognised.
    assert_eq!(
        r.on_venue_message(5, &executed(1, 200, 1_000_050, 557), NOW_NS, &mut sbe)
            .unwrap(),
        Outcome::Duplicate
    );
    assert_eq!(r.counters().executions, 2);
    assert_eq!(r.counters().duplicates, 3);
}

#[test]
fn cancel_request_and_venue_cancel_release_risk() {
    let mut r = router(16);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    r.on_child_order(
        &new_child_order(42, 0, Side::Sell, 1_000_000, 300),
        NOW_NS,
        &mut sink,
        &mut sbe,
    )
    .unwrap();
    r.on_venue_message(1, &accepted(1, 300, 1_000_000, 1), NOW_NS, &mut sbe)
        .unwrap();
    let mut cancel = [0u8; 64];
    let n = crossbar_sbe::encode(
        &Message::CancelOrder(crossbar_sbe::CancelOrder {
            order_id: OrderId(42),
            instrument_id: InstrumentId(0),
            venue_id: crossbar_model::VenueId(1),
            leave_qty: Qty(0),
            timestamp_ns: NOW_NS,
        }),
        &mut cancel,
    )
    .unwrap();
    let cancel = &cancel[..n];
    let out = r
        .on_child_order(cancel, NOW_NS, &mut sink, &mut sbe)
        .unwrap();
    assert_eq!(out, Outcome::Sent { user_ref_num: 1 });
    let mut want = [0u8; 3 + 9];
    ouch::CancelOrder {
        user_ref_num: ouch::UserRefNum(1),
        quantity: Qty(0),
    }
    .encode(&mut want[3..])
    .unwrap();
    want[..3].copy_from_slice(&[0, 10, b'U']);
    assert_eq!(sink.0.last().unwrap().as_slice(), &want);
    let m = ouch::OrderCanceled {
        timestamp_ns: 3,
        user_ref_num: ouch::UserRefNum(1),
        quantity: Qty(300),
        reason: ouch::CancelReason::from_code(b'U'),
    };
    let mut b = [0u8; 18];
    m.encode(&mut b).unwrap();
    let out = r.on_venue_message(2, &b, NOW_NS, &mut sbe).unwrap();
    let Outcome::Report { sbe_len } = out else {
        panic!("{out:?}")
    };
    let Message::ExecutionReport(er) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    assert_eq!(
        (er.exec_type, er.order_status, er.leaves_qty),
        (ExecType::Canceled, OrderStatus::Canceled, Qty(0))
    );
    assert_eq!(r.risk().open_qty(InstrumentId(0), MSide::Sell), Some(0));
    assert_eq!(r.live_orders(), 0);
    // Cancel of an order no longer live: UnknownOrder.
    let out = r
        .on_child_order(cancel, NOW_NS, &mut sink, &mut sbe)
        .unwrap();
    assert!(matches!(
        out,
        Outcome::Rejected {
            reason: RejectReason::UnknownOrder,
            ..
        }
    ));
}

/// `message` (any OUCH 5.0 §3 outbound message) with its Timestamp (offset 1, 8 bytes
/// big-endian, ns since the venue's midnight) set to `since_midnight_ns`.
fn stamped(mut message: Vec<u8>, since_midnight_ns: u64) -> Vec<u8> {
    message[1..9].copy_from_slice(&since_midnight_ns.to_be_bytes());
    message
}

fn report(out: Outcome, sbe: &[u8]) -> crossbar_sbe::ExecutionReport {
    let Outcome::Report { sbe_len } = out else {
        panic!("{out:?}")
    };
    let Message::ExecutionReport(er) = decode(&sbe[..sbe_len]).unwrap() else {
        panic!()
    };
    er
}

const DAY: u64 = crossbar_order_entry::NS_PER_DAY;
const MS: u64 = 1_000_000;

#[test]
fn execution_reports_carry_the_venue_timestamp_as_utc_across_midnight() {
    // The gateway's clock just after a UTC midnight; the venue stamps just before it.
    let midnight = (NOW_NS / DAY + 1) * DAY;
    let mut r = router(16);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    r.on_child_order(
        &new_child_order(42, 0, Side::Buy, 1_000_050, 300),
        midnight - 300 * MS,
        &mut sink,
        &mut sbe,
    )
    .unwrap();
    // Accepted stamped 23:59:59.900, seen at 00:00:00.100: the previous day.
    let ack = stamped(accepted(1, 300, 1_000_050, 9), DAY - 100 * MS);
    let er = report(
        r.on_venue_message(1, &ack, midnight + 100 * MS, &mut sbe)
            .unwrap(),
        &sbe,
    );
    assert_eq!(er.exec_type, ExecType::New);
    assert_eq!(
        (er.timestamp_ns, er.venue_timestamp_ns),
        (midnight + 100 * MS, Some(midnight - 100 * MS))
    );
    // Executed stamped 00:00:00.050: the new day.
    let fill = stamped(executed(1, 100, 1_000_050, 77), 50 * MS);
    let er = report(
        r.on_venue_message(2, &fill, midnight + 120 * MS, &mut sbe)
            .unwrap(),
        &sbe,
    );
    assert_eq!(er.exec_type, ExecType::PartialFill);
    assert_eq!(er.venue_timestamp_ns, Some(midnight + 50 * MS));
    // Canceled (the rest) stamped 00:00:01.
    let m = ouch::OrderCanceled {
        timestamp_ns: 1_000 * MS,
        user_ref_num: ouch::UserRefNum(1),
        quantity: Qty(200),
        reason: ouch::CancelReason::from_code(b'U'),
    };
    let mut b = [0u8; 18];
    m.encode(&mut b).unwrap();
    let er = report(
        r.on_venue_message(3, &b, midnight + 1_001 * MS, &mut sbe)
            .unwrap(),
        &sbe,
    );
    assert_eq!(er.exec_type, ExecType::Canceled);
    assert_eq!(er.venue_timestamp_ns, Some(midnight + 1_000 * MS));

    // A Timestamp that is no time of day: the report says the venue gave none.
    r.on_child_order(
        &new_child_order(43, 0, Side::Buy, 1_000_050, 100),
        midnight,
        &mut sink,
        &mut sbe,
    )
    .unwrap();
    let bad = stamped(accepted(2, 100, 1_000_050, 10), DAY);
    let er = report(
        r.on_venue_message(4, &bad, midnight + 2_000 * MS, &mut sbe)
            .unwrap(),
        &sbe,
    );
    assert_eq!(
        (er.timestamp_ns, er.venue_timestamp_ns),
        (midnight + 2_000 * MS, None)
    );
}

#[test]
fn a_venue_midnight_west_of_utc_is_converted_with_its_offset() {
    // UTC−5: 19:00:00 at the venue is 00:00:00 UTC.
    let midnight = (NOW_NS / DAY + 1) * DAY;
    let mut r = router_with_midnight(16, -18_000);
    let mut sink = VecSink::default();
    let mut sbe = [0u8; 2048];
    r.on_child_order(
        &new_child_order(42, 0, Side::Buy, 1_000_050, 300),
        midnight,
        &mut sink,
        &mut sbe,
    )
    .unwrap();
    let ack = stamped(accepted(1, 300, 1_000_050, 9), 19 * 3_600 * 1_000 * MS);
    let er = report(
        r.on_venue_message(1, &ack, midnight + MS, &mut sbe)
            .unwrap(),
        &sbe,
    );
    assert_eq!(er.venue_timestamp_ns, Some(midnight));
}
