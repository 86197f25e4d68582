//! Journal replay at the router boundary: a live run's recorded requests and venue reports,
//! replayed into a fresh router, rebuild the same orders (state, leaves, cum, UserRefNums),
//! risk (positions, open quantities, credit) and duplicate-execution guard.

mod common;
use common::*;
use crossbar_model::{InstrumentId, OrderId, Side as MSide};
use crossbar_order_entry::{venue_origin, OrderRouter, OrderState, OuchSink, Outcome};
use crossbar_sbe::generated::{CancelOrderEncoder, CancelOrderFixedFields, Side};
use crossbar_sbe::{decode, Message};
use crossbar_soupbintcp::SoupError;

/// Records every request like the gateway's journal does, and can refuse to record or send.
#[derive(Default)]
struct Recorder {
    records: Vec<Vec<u8>>,
    refuse_record: bool,
    refuse_send: bool,
}

impl OuchSink for Recorder {
    fn record_request(&mut self, request: &[u8]) -> bool {
        if self.refuse_record {
            return false;
        }
        self.records.push(request.to_vec());
        true
    }

    fn send_packet(&mut self, _packet: &[u8]) -> Result<(), SoupError> {
        if self.refuse_send {
            return Err(SoupError::EmptyPacket);
        }
        Ok(())
    }
}

/// What the journal would hold, in order.
enum Rec {
    Sent(Vec<u8>),
    VenueReport(Vec<u8>),
    Unsent(OrderId),
}

struct Live {
    router: OrderRouter,
    sink: Recorder,
    journal: Vec<Rec>,
    sequence: u64,
}

impl Live {
    fn order(&mut self, sbe: &[u8]) -> Outcome {
        let mut out = [0u8; 2048];
        let before = self.sink.records.len();
        let outcome = self
            .router
            .on_child_order(sbe, NOW_NS, &mut self.sink, &mut out)
            .unwrap();
        for r in self.sink.records.drain(before..) {
            self.journal.push(Rec::Sent(r));
        }
        if let Outcome::Rejected { sbe_len, .. } = outcome {
            if let Message::OrderReject(r) = decode(&out[..sbe_len]).unwrap() {
                if r.text.starts_with("OE_NOT_CONNECTED") {
                    self.journal.push(Rec::Unsent(r.order_id));
                }
            }
        }
        outcome
    }

    fn venue(&mut self, ouch: &[u8]) -> Outcome {
        self.sequence += 1;
        let mut out = [0u8; 2048];
        let outcome = self
            .router
            .on_venue_message(self.sequence, ouch, NOW_NS, &mut out)
            .unwrap();
        if let Outcome::Report { sbe_len } | Outcome::Rejected { sbe_len, .. } = outcome {
            self.journal.push(Rec::VenueReport(out[..sbe_len].to_vec()));
        }
        outcome
    }
}

fn cancel(order_id: u64) -> Vec<u8> {
    let mut buf = vec![0u8; CancelOrderEncoder::ENCODED_LENGTH];
    let len = CancelOrderEncoder::try_wrap_and_apply_header(&mut buf, 0)
        .unwrap()
        .fixed(&CancelOrderFixedFields {
            order_id,
            instrument_id: 0,
            venue_id: 1,
            leave_qty: 0,
            timestamp_ns: NOW_NS,
        })
        .encoded_length_with_header();
    buf.truncate(len);
    buf
}

#[test]
fn replayed_records_rebuild_orders_risk_and_the_duplicate_guard() {
    let mut live = Live {
        router: router(16),
        sink: Recorder::default(),
        journal: Vec::new(),
        sequence: 0,
    };
    live.router.set_venue_session(b"  SESS01");
    // 1: buy 300 accepted, partly filled twice, then partly canceled by the venue.
    live.order(&new_child_order(1, 0, Side::Buy, 1_000_050, 300));
    live.venue(&accepted(1, 300, 1_000_050, 501));
    live.venue(&executed(1, 100, 1_000_050, 9_001));
    live.venue(&executed(1, 50, 1_000_000, 9_002));
    // 2: sell 200 accepted, then its cancel is sent (venue has not answered).
    live.order(&new_child_order(2, 0, Side::Sell, 1_000_000, 200));
    live.venue(&accepted(2, 200, 1_000_000, 502));
    live.order(&cancel(2));
    // 3: never reached the venue (session refused): undone.
    live.sink.refuse_send = true;
    let out = live.order(&new_child_order(3, 0, Side::Buy, 1_000_050, 10));
    assert!(matches!(out, Outcome::Rejected { .. }), "{out:?}");
    live.sink.refuse_send = false;
    // 4: the journal refused to record it: rejected, nothing sent, no UserRefNum used.
    live.sink.refuse_record = true;
    let out = live.order(&new_child_order(4, 0, Side::Buy, 1_000_050, 10));
    let Outcome::Rejected { reason, .. } = out else {
        panic!("{out:?}")
    };
    assert_eq!(reason, crossbar_sbe::RejectReason::FailClosed);
    live.sink.refuse_record = false;
    // 5: sent, no answer yet (PendingNew at the crash).
    live.order(&new_child_order(5, 1, Side::Buy, 1_000_050, 40));
    assert_eq!(
        live.router.next_user_ref_num(),
        5,
        "1, 2, 3 (undone), 5 -> urn 4"
    );

    // Every venue report names its origin.
    let Some(Rec::VenueReport(first)) = live
        .journal
        .iter()
        .find(|r| matches!(r, Rec::VenueReport(_)))
    else {
        panic!("no report")
    };
    let Message::ExecutionReport(r) = decode(first).unwrap() else {
        panic!()
    };
    let origin = venue_origin(r.text.as_bytes()).unwrap();
    assert_eq!((origin.session, origin.sequence), (&b"SESS01"[..], 1));

    // Replay into a fresh router.
    let mut replayed = router(16);
    let mut scratch = [0u8; 2048];
    let mut last = 0;
    for rec in &live.journal {
        match rec {
            Rec::Sent(sbe) => {
                replayed.replay_request_sent(sbe).unwrap();
            }
            Rec::Unsent(id) => replayed.replay_unsent(*id).unwrap(),
            Rec::VenueReport(sbe) => {
                last = replayed
                    .replay_venue_report(sbe, NOW_NS, &mut scratch)
                    .unwrap()
                    .unwrap();
            }
        }
    }
    assert_eq!(last, live.sequence);
    assert_eq!(replayed.last_venue_sequence(), live.sequence);
    assert_eq!(
        replayed.next_user_ref_num(),
        live.router.next_user_ref_num()
    );
    assert_eq!(replayed.live_orders(), live.router.live_orders());
    for id in 1..=5 {
        assert_eq!(
            replayed.order_state(OrderId(id)),
            live.router.order_state(OrderId(id)),
            "order {id}"
        );
    }
    assert_eq!(
        replayed.order_state(OrderId(1)).map(|s| s.0),
        Some(OrderState::PartiallyFilled)
    );
    assert_eq!(replayed.order_state(OrderId(3)), None);
    for i in [InstrumentId(0), InstrumentId(1)] {
        let (a, b) = (replayed.risk(), live.router.risk());
        assert_eq!(a.position(i), b.position(i));
        assert_eq!(a.open_qty(i, MSide::Buy), b.open_qty(i, MSide::Buy));
        assert_eq!(a.open_qty(i, MSide::Sell), b.open_qty(i, MSide::Sell));
        assert_eq!(a.credit(i), b.credit(i));
    }
    assert_eq!(replayed.risk().position(InstrumentId(0)), Some(150));

    // The rebuilt guard drops a re-sent execution; the venue's later messages apply.
    let mut out = [0u8; 2048];
    let dup = replayed
        .on_venue_message(
            live.sequence + 1,
            &executed(1, 100, 1_000_050, 9_001),
            NOW_NS,
            &mut out,
        )
        .unwrap();
    assert_eq!(dup, Outcome::Duplicate);
    let stale = replayed
        .on_venue_message(
            live.sequence,
            &executed(1, 10, 1_000_050, 9_100),
            NOW_NS,
            &mut out,
        )
        .unwrap();
    assert_eq!(
        stale,
        Outcome::Duplicate,
        "at or below the resumed sequence"
    );
    let fill = replayed
        .on_venue_message(
            live.sequence + 2,
            &executed(4, 40, 1_000_050, 9_003),
            NOW_NS,
            &mut out,
        )
        .unwrap_err();
    // Order 5 was never accepted: an execution for it is an invalid transition, as live.
    assert!(
        fill.to_string().starts_with("OE_INVALID_TRANSITION"),
        "{fill}"
    );
    // A new order takes the next UserRefNum.
    let mut sink = Recorder::default();
    let out = replayed
        .on_child_order(
            &new_child_order(6, 0, Side::Buy, 1_000_050, 5),
            NOW_NS,
            &mut sink,
            &mut [0u8; 2048],
        )
        .unwrap();
    assert_eq!(out, Outcome::Sent { user_ref_num: 5 });
}

#[test]
fn cancel_all_working_records_and_sends_one_cancel_per_working_order() {
    let mut r = router(16);
    let mut sink = Recorder::default();
    let mut sbe = [0u8; 2048];
    for (id, qty) in [(1, 100), (2, 200), (3, 300)] {
        r.on_child_order(
            &new_child_order(id, 0, Side::Buy, 1_000_050, qty),
            NOW_NS,
            &mut sink,
            &mut sbe,
        )
        .unwrap();
    }
    r.on_venue_message(1, &accepted(1, 100, 1_000_050, 1), NOW_NS, &mut sbe)
        .unwrap();
    r.on_venue_message(2, &executed(3, 300, 1_000_050, 77), NOW_NS, &mut sbe)
        .unwrap_err(); // 3 is PendingNew: a fill before the accept is refused, 3 stays working
    sink.records.clear();
    assert_eq!(r.cancel_all_working(NOW_NS + 5, &mut sink), (3, 0));
    let ids: Vec<u64> = sink
        .records
        .iter()
        .map(|b| match decode(b).unwrap() {
            Message::CancelOrder(c) => {
                assert_eq!((c.leave_qty.0, c.timestamp_ns), (0, NOW_NS + 5));
                c.order_id.0
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert!([1, 2, 3].iter().all(|i| ids.contains(i)), "{ids:?}");
    assert_eq!(r.counters().cancels_sent, 3);
    // Refused records send nothing.
    sink.refuse_record = true;
    assert_eq!(r.cancel_all_working(NOW_NS, &mut sink), (0, 3));
}
