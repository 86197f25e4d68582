//! Constructed scenarios with the exact events expected, both feed and private.

mod common;

use common::*;
use crossbar_matching::*;
use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};
use Liquidity::{Added, Removed};
use Side::{Buy, Sell};
use TimeInForce::{Day, Ioc};

#[test]
fn sweep_through_three_levels_partially_fills_the_last() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1000, 100);
    seed(&mut e, 2, Sell, 1001, 200);
    seed(&mut e, 3, Sell, 1001, 50);
    seed(&mut e, 4, Sell, 1002, 300);
    seed(&mut e, 5, Sell, 1003, 10);
    let mut ev = Vec::new();
    let out = e
        .enter(1, 7, I, Buy, c(1002), Qty(400), Day, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(1, 7, REF0, Buy, 1002, 400, Day),
            feed_exec(1, 100, MATCH0),
            exec(1, 7, 100, 1000, MATCH0, Removed),
            feed_exec(2, 200, MATCH0 + 1),
            exec(1, 7, 200, 1001, MATCH0 + 1, Removed),
            feed_exec(3, 50, MATCH0 + 2),
            exec(1, 7, 50, 1001, MATCH0 + 2, Removed),
            feed_exec(4, 50, MATCH0 + 3),
            exec(1, 7, 50, 1002, MATCH0 + 3, Removed),
        ]
    );
    assert_eq!(
        out,
        OrderOutcome {
            order_ref: REF0,
            executed_qty: Qty(400),
            resting_qty: Qty::ZERO,
            cancelled_qty: Qty::ZERO,
        }
    );
    assert_eq!(
        side_queue(&e, I, Sell),
        vec![(4, 1002 * 100, 250), (5, 1003 * 100, 10)]
    );
    assert_eq!(e.order(4).unwrap().executed_qty, Qty(50));
    assert!(e.best(I, Buy).is_none());
    assert_eq!(e.next_match_number(), MATCH0 + 4);
    assert_eq!(e.counters().matches, 4);
    assert_eq!(e.counters().matched_qty, 400);
    e.audit().unwrap();
}

#[test]
fn sell_aggressor_sweeps_bids_from_the_highest() {
    let mut e = engine();
    seed(&mut e, 1, Buy, 999, 100);
    seed(&mut e, 2, Buy, 1000, 100);
    let mut ev = Vec::new();
    e.enter(2, 1, I, Side::SellShort, c(999), Qty(150), Ioc, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(2, 1, REF0, Side::SellShort, 999, 150, Ioc),
            feed_exec(2, 100, MATCH0),
            exec(2, 1, 100, 1000, MATCH0, Removed),
            feed_exec(1, 50, MATCH0 + 1),
            exec(2, 1, 50, 999, MATCH0 + 1, Removed),
        ]
    );
    assert_eq!(side_queue(&e, I, Buy), vec![(1, 99_900, 50)]);
}

#[test]
fn ioc_leftover_is_cancelled_and_never_rests() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1000, 100);
    let mut ev = Vec::new();
    let out = e
        .enter(0, 1, I, Buy, c(1000), Qty(150), Ioc, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(0, 1, REF0, Buy, 1000, 150, Ioc),
            feed_exec(1, 100, MATCH0),
            exec(0, 1, 100, 1000, MATCH0, Removed),
            canceled(0, 1, 50, CancelReason::ImmediateOrCancel),
        ]
    );
    assert_eq!(out.cancelled_qty, Qty(50));
    assert_eq!(out.resting_qty, Qty::ZERO);
    assert_eq!(e.order_count(), 0);

    // An IOC that does not cross at all: accepted, then cancelled whole.
    ev.clear();
    seed(&mut e, 2, Sell, 1005, 100);
    e.enter(0, 2, I, Buy, c(1004), Qty(10), Ioc, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(0, 2, REF0 + 1, Buy, 1004, 10, Ioc),
            canceled(0, 2, 10, CancelReason::ImmediateOrCancel),
        ]
    );
    assert_eq!(side_queue(&e, I, Sell), vec![(2, 100_500, 100)]);
    assert!(e.client_order(0, 2).is_none());
    e.audit().unwrap();
}

#[test]
fn day_leftover_rests_and_is_later_hit_by_another_client_at_its_price() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1000, 100);
    let mut ev = Vec::new();
    e.enter(1, 10, I, Buy, c(1000), Qty(150), Day, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(1, 10, REF0, Buy, 1000, 150, Day),
            feed_exec(1, 100, MATCH0),
            exec(1, 10, 100, 1000, MATCH0, Removed),
            add(REF0, Buy, 1000, 50),
        ]
    );
    assert_eq!((e.client_order_count(), e.order_count()), (1, 1));
    let resting = e.client_order(1, 10).unwrap();
    assert_eq!(resting.order_ref, REF0);
    assert_eq!(resting.qty, Qty(50));
    assert_eq!(resting.executed_qty, Qty(100));
    assert_eq!(
        resting.owner,
        Owner::Client {
            session: 1,
            token: 10
        }
    );

    // Session 2 sells at 9.99, below the resting bid: it trades at the bid's 10.00.
    ev.clear();
    let out = e
        .enter(2, 3, I, Sell, c(999), Qty(80), Day, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(2, 3, REF0 + 1, Sell, 999, 80, Day),
            feed_exec(REF0, 50, MATCH0 + 1),
            exec(1, 10, 50, 1000, MATCH0 + 1, Added),
            exec(2, 3, 50, 1000, MATCH0 + 1, Removed),
            add(REF0 + 1, Sell, 999, 30),
        ]
    );
    assert_eq!(out.executed_qty, Qty(50));
    assert_eq!(out.resting_qty, Qty(30));
    assert!(e.client_order(1, 10).is_none());
    assert_eq!(
        e.client_order_count(),
        1,
        "session 2's rest replaced session 1's"
    );
    assert_eq!(side_queue(&e, I, Sell), vec![(REF0 + 1, 99_900, 30)]);
    assert!(e.best(I, Buy).is_none());
    e.audit().unwrap();
}

#[test]
fn time_priority_within_a_level_puts_earlier_seeds_before_later_clients() {
    let mut e = engine();
    seed(&mut e, 1, Buy, 1000, 100);
    let mut ev = Vec::new();
    e.enter(1, 1, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    seed(&mut e, 2, Buy, 1000, 100);
    seed(&mut e, 3, Buy, 1001, 20); // better price: first despite arriving last
    assert_eq!(
        side_queue(&e, I, Buy),
        vec![
            (3, 100_100, 20),
            (1, 100_000, 100),
            (REF0, 100_000, 100),
            (2, 100_000, 100)
        ]
    );
    ev.clear();
    e.enter(2, 1, I, Sell, c(1000), Qty(270), Day, &mut ev)
        .unwrap();
    assert_eq!(
        ev,
        vec![
            accepted(2, 1, REF0 + 1, Sell, 1000, 270, Day),
            feed_exec(3, 20, MATCH0),
            exec(2, 1, 20, 1001, MATCH0, Removed),
            feed_exec(1, 100, MATCH0 + 1),
            exec(2, 1, 100, 1000, MATCH0 + 1, Removed),
            feed_exec(REF0, 100, MATCH0 + 2),
            exec(1, 1, 100, 1000, MATCH0 + 2, Added),
            exec(2, 1, 100, 1000, MATCH0 + 2, Removed),
            feed_exec(2, 50, MATCH0 + 3),
            exec(2, 1, 50, 1000, MATCH0 + 3, Removed),
        ]
    );
    assert_eq!(side_queue(&e, I, Buy), vec![(2, 100_000, 50)]);
    e.audit().unwrap();
}

#[test]
fn seeded_orders_never_match_even_when_they_cross() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 1, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    // The history does not know about the client bid: an ask below it just rests.
    seed(&mut e, 1, Sell, 999, 40);
    assert_eq!(e.best(I, Buy).unwrap().price, c(1000));
    assert_eq!(e.best(I, Sell).unwrap().price, c(999));
    assert_eq!(e.counters().matches, 0);
    // A client sell still matches the best bid (the client's), at its price.
    ev.clear();
    e.enter(2, 1, I, Sell, c(1000), Qty(10), Ioc, &mut ev)
        .unwrap();
    assert_eq!(
        ev[1..],
        [
            feed_exec(REF0, 10, MATCH0),
            exec(1, 1, 10, 1000, MATCH0, Added),
            exec(2, 1, 10, 1000, MATCH0, Removed),
        ]
    );
}

#[test]
fn cancel_partial_keeps_priority_and_full_removes() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 1, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    seed(&mut e, 1, Buy, 1000, 100);
    ev.clear();
    assert_eq!(e.cancel(1, 1, Qty(40), &mut ev), Ok(Qty(60)));
    assert_eq!(
        ev,
        vec![
            feed_cancel(REF0, 60),
            canceled(1, 1, 60, CancelReason::UserRequested),
        ]
    );
    // Still ahead of the seeded order that arrived after it.
    assert_eq!(
        side_queue(&e, I, Buy),
        vec![(REF0, 100_000, 40), (1, 100_000, 100)]
    );
    // Superfluous: intended size at or above the open shares changes nothing.
    ev.clear();
    assert_eq!(e.cancel(1, 1, Qty(40), &mut ev), Ok(Qty::ZERO));
    assert_eq!(e.cancel(1, 1, Qty(500), &mut ev), Ok(Qty::ZERO));
    assert!(ev.is_empty());
    assert_eq!(e.counters().cancels_superfluous, 2);
    // Full cancel.
    assert_eq!(e.cancel(1, 1, Qty::ZERO, &mut ev), Ok(Qty(40)));
    assert_eq!(
        ev,
        vec![
            feed_delete(REF0),
            canceled(1, 1, 40, CancelReason::UserRequested),
        ]
    );
    assert_eq!(side_queue(&e, I, Buy), vec![(1, 100_000, 100)]);
    // Gone: cancelling again is an unknown token, silently (no event).
    ev.clear();
    assert_eq!(
        e.cancel(1, 1, Qty::ZERO, &mut ev),
        Err(MatchError::UnknownToken {
            session: 1,
            token: 1
        })
    );
    // Another session cannot cancel it by token either.
    assert!(ev.is_empty());
    e.audit().unwrap();
}

#[test]
fn cancel_is_per_session() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 5, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    ev.clear();
    assert_eq!(
        e.cancel(2, 5, Qty::ZERO, &mut ev),
        Err(MatchError::UnknownToken {
            session: 2,
            token: 5
        })
    );
    assert!(ev.is_empty());
    assert!(e.client_order(1, 5).is_some());
}

#[test]
fn replace_at_same_price_loses_priority_and_counts_chain_executions() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 1, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    seed(&mut e, 1, Buy, 1000, 100);
    // 30 shares execute against the client order first.
    e.enter(2, 1, I, Sell, c(1000), Qty(30), Ioc, &mut ev)
        .unwrap();
    assert_eq!(e.client_order(1, 1).unwrap().qty, Qty(70));
    // Replace for 90 shares liable in total: 90 - 30 executed = 60 exposed, same price.
    ev.clear();
    let out = e.replace(1, 1, 2, c(1000), Qty(90), &mut ev).unwrap();
    assert_eq!(
        ev,
        vec![
            Event::Private(PrivateEvent::Replaced {
                session: 1,
                old_token: 1,
                new_token: 2,
                order_ref: REF0 + 2,
                instrument: I,
                side: Buy,
                price: c(1000),
                qty: Qty(60),
                live: true,
            }),
            feed_replace(REF0, REF0 + 2, 60, 1000),
        ]
    );
    assert_eq!(out.resting_qty, Qty(60));
    assert_eq!(out.executed_qty, Qty::ZERO);
    // Behind the seeded order now (OUCH 5.0 §2.2: a replace always gets a new timestamp).
    assert_eq!(
        side_queue(&e, I, Buy),
        vec![(1, 100_000, 100), (REF0 + 2, 100_000, 60)]
    );
    assert!(e.client_order(1, 1).is_none());
    let replaced = e.client_order(1, 2).unwrap();
    assert_eq!(replaced.executed_qty, Qty(30));
    assert!(e.order(REF0).is_none());
    e.audit().unwrap();
}

#[test]
fn replace_to_a_crossing_price_matches_then_rests_the_rest() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1002, 30);
    seed(&mut e, 2, Sell, 1003, 500);
    let mut ev = Vec::new();
    e.enter(3, 1, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    ev.clear();
    let out = e.replace(3, 1, 4, c(1002), Qty(100), &mut ev).unwrap();
    assert_eq!(
        ev,
        vec![
            Event::Private(PrivateEvent::Replaced {
                session: 3,
                old_token: 1,
                new_token: 4,
                order_ref: REF0 + 1,
                instrument: I,
                side: Buy,
                price: c(1002),
                qty: Qty(100),
                live: true,
            }),
            feed_exec(1, 30, MATCH0),
            exec(3, 4, 30, 1002, MATCH0, Removed),
            feed_replace(REF0, REF0 + 1, 70, 1002),
        ]
    );
    assert_eq!(out.executed_qty, Qty(30));
    assert_eq!(out.resting_qty, Qty(70));
    // Replacing into a full fill: the old ref is deleted on the feed.
    ev.clear();
    e.replace(3, 4, 5, c(1003), Qty(100), &mut ev).unwrap();
    assert_eq!(
        ev,
        vec![
            Event::Private(PrivateEvent::Replaced {
                session: 3,
                old_token: 4,
                new_token: 5,
                order_ref: REF0 + 2,
                instrument: I,
                side: Buy,
                price: c(1003),
                qty: Qty(70),
                live: true,
            }),
            feed_exec(2, 70, MATCH0 + 1),
            exec(3, 5, 70, 1003, MATCH0 + 1, Removed),
            feed_delete(REF0 + 1),
        ]
    );
    assert!(e.best(I, Buy).is_none());
    assert_eq!(side_queue(&e, I, Sell), vec![(2, 100_300, 430)]);
    e.audit().unwrap();
}

#[test]
fn replace_for_no_more_than_executed_kills_the_order() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 1, I, Sell, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    e.enter(2, 1, I, Buy, c(1000), Qty(60), Ioc, &mut ev)
        .unwrap();
    ev.clear();
    let out = e.replace(1, 1, 2, c(1001), Qty(60), &mut ev).unwrap();
    assert_eq!(
        ev,
        vec![
            Event::Private(PrivateEvent::Replaced {
                session: 1,
                old_token: 1,
                new_token: 2,
                order_ref: REF0 + 2,
                instrument: I,
                side: Sell,
                price: c(1001),
                qty: Qty::ZERO,
                live: false,
            }),
            feed_delete(REF0),
        ]
    );
    assert_eq!(out.resting_qty, Qty::ZERO);
    assert_eq!(e.order_count(), 0);
    assert!(e.client_order(1, 2).is_none());
    e.audit().unwrap();
}

#[test]
fn replace_errors_change_nothing() {
    let mut e = engine();
    let mut ev = Vec::new();
    e.enter(1, 5, I, Buy, c(1000), Qty(100), Day, &mut ev)
        .unwrap();
    let before = side_queue(&e, I, Buy);
    let next_ref = e.next_order_ref();
    ev.clear();
    // Unknown old token: silently ignored (no event).
    assert_eq!(
        e.replace(1, 4, 6, c(1000), Qty(10), &mut ev),
        Err(MatchError::UnknownToken {
            session: 1,
            token: 4
        })
    );
    // New token not above the last used (5): a retransmission, no event.
    assert!(matches!(
        e.replace(1, 5, 5, c(1000), Qty(10), &mut ev),
        Err(MatchError::DuplicateToken {
            token: 5,
            last_token: 5,
            ..
        })
    ));
    assert!(ev.is_empty());
    // Invalid details: Rejected for the new token; the old order stays intact.
    assert_eq!(
        e.replace(1, 5, 6, c(1000), Qty::ZERO, &mut ev),
        Err(MatchError::ZeroQty)
    );
    assert_eq!(
        e.replace(1, 5, 6, c(1000), Qty(1_000_000), &mut ev),
        Err(MatchError::QtyTooLarge {
            qty: 1_000_000,
            max: 999_999
        })
    );
    assert_eq!(
        e.replace(1, 5, 6, Price(-1), Qty(10), &mut ev),
        Err(MatchError::InvalidPrice { price: -1 })
    );
    assert_eq!(
        ev,
        vec![
            rejected(1, 6, RejectReason::InvalidQuantity),
            rejected(1, 6, RejectReason::InvalidQuantity),
            rejected(1, 6, RejectReason::InvalidPrice),
        ]
    );
    assert_eq!(side_queue(&e, I, Buy), before);
    assert_eq!(e.next_order_ref(), next_ref);
    // Token 6 was not consumed by the rejects.
    ev.clear();
    e.replace(1, 5, 6, c(1000), Qty(10), &mut ev).unwrap();
    assert_eq!(side_queue(&e, I, Buy), vec![(next_ref, 100_000, 10)]);
    assert_eq!(e.counters().client_rejected, 5);
    assert_eq!(e.counters().replaces, 1);
}

#[test]
fn enter_rejections_are_typed_and_change_nothing() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1000, 100);
    let mut ev = Vec::new();
    e.enter(0, 10, I, Buy, c(990), Qty(5), Day, &mut ev)
        .unwrap();
    let snapshot = (
        side_queue(&e, I, Buy),
        side_queue(&e, I, Sell),
        e.next_order_ref(),
        e.next_match_number(),
    );
    ev.clear();
    let cases: [(u16, u32, InstrumentId, Price, Qty, MatchError); 6] = [
        (
            9,
            11,
            I,
            c(1000),
            Qty(1),
            MatchError::UnknownSession {
                session: 9,
                sessions: 4,
            },
        ),
        (
            0,
            10,
            I,
            c(1000),
            Qty(1),
            MatchError::DuplicateToken {
                session: 0,
                token: 10,
                last_token: 10,
            },
        ),
        (
            0,
            11,
            InstrumentId(2),
            c(1000),
            Qty(1),
            MatchError::UnknownInstrument {
                instrument: 2,
                instruments: 2,
            },
        ),
        (0, 11, I, c(1000), Qty(0), MatchError::ZeroQty),
        (
            0,
            11,
            I,
            Price(0),
            Qty(1),
            MatchError::InvalidPrice { price: 0 },
        ),
        (
            0,
            11,
            I,
            c(1000),
            Qty(1_000_000),
            MatchError::QtyTooLarge {
                qty: 1_000_000,
                max: 999_999,
            },
        ),
    ];
    for (session, token, inst, price, qty, want) in cases {
        let got = e.enter(session, token, inst, Buy, price, qty, Day, &mut ev);
        assert_eq!(got, Err(want));
        assert!(got.unwrap_err().to_string().starts_with(want.code()));
    }
    assert_eq!(
        ev,
        vec![
            rejected(0, 11, RejectReason::InvalidSymbol),
            rejected(0, 11, RejectReason::InvalidQuantity),
            rejected(0, 11, RejectReason::InvalidPrice),
            rejected(0, 11, RejectReason::InvalidQuantity),
        ]
    );
    assert_eq!(
        snapshot,
        (
            side_queue(&e, I, Buy),
            side_queue(&e, I, Sell),
            e.next_order_ref(),
            e.next_match_number(),
        )
    );
    // Token 11 is still free.
    e.enter(0, 11, I, Buy, c(990), Qty(1), Day, &mut ev)
        .unwrap();
    assert_eq!(e.counters().client_rejected, 6);
}

#[test]
fn capacity_rejects_only_orders_that_would_rest() {
    // Two resting orders at most, two levels per side.
    let mut e = engine_with(2, 2);
    seed(&mut e, 1, Sell, 1000, 100);
    let mut ev = Vec::new();
    e.enter(1, 1, I, Buy, c(990), Qty(10), Day, &mut ev)
        .unwrap();
    ev.clear();
    // The slab is full: a Day order that would rest is refused...
    let err = e
        .enter(1, 2, I, Buy, c(991), Qty(10), Day, &mut ev)
        .unwrap_err();
    assert_eq!(
        err,
        MatchError::Capacity {
            resource: Resource::Orders,
            limit: 2,
            instrument: 0
        }
    );
    assert_eq!(ev, vec![rejected(1, 2, RejectReason::ProcessingError)]);
    assert!(e.seed_add(2, I, Sell, c(1001), Qty(1), &mut ev).is_err());
    // ...but one that fills completely, and any IOC, still trade.
    ev.clear();
    let out = e
        .enter(1, 2, I, Buy, c(1000), Qty(40), Day, &mut ev)
        .unwrap();
    assert_eq!(out.executed_qty, Qty(40));
    e.enter(1, 3, I, Buy, c(1000), Qty(100), Ioc, &mut ev)
        .unwrap();
    assert_eq!(e.order_count(), 1);
    // Level capacity: two bid levels in use, a third price is refused, an existing one is not.
    e.enter(1, 4, I, Buy, c(991), Qty(1), Day, &mut ev).unwrap();
    let err = e
        .enter(1, 5, I, Buy, c(992), Qty(1), Day, &mut ev)
        .unwrap_err();
    assert!(matches!(
        err,
        MatchError::Capacity {
            resource: Resource::Orders,
            ..
        }
    ));
    e.cancel(1, 4, Qty::ZERO, &mut ev).unwrap();
    e.enter(1, 6, I, Buy, c(989), Qty(1), Day, &mut ev).unwrap();
    let mut big = engine_with(8, 2);
    big.enter(1, 1, I, Buy, c(990), Qty(1), Day, &mut ev)
        .unwrap();
    big.enter(1, 2, I, Buy, c(991), Qty(1), Day, &mut ev)
        .unwrap();
    assert_eq!(
        big.enter(1, 3, I, Buy, c(992), Qty(1), Day, &mut ev),
        Err(MatchError::Capacity {
            resource: Resource::Levels,
            limit: 2,
            instrument: 0
        })
    );
    big.enter(1, 4, I, Buy, c(991), Qty(1), Day, &mut ev)
        .unwrap();
    // A replace that empties its own level may move to a new price on a full side.
    big.replace(1, 1, 5, c(995), Qty(1), &mut ev).unwrap();
    assert_eq!(big.best(I, Buy).unwrap().price, c(995));
    big.audit().unwrap();
    e.audit().unwrap();
}

#[test]
fn client_numbers_never_collide_with_seeded_ones() {
    let mut e = engine();
    let mut ev = Vec::new();
    assert_eq!(
        e.seed_add(REF0, I, Buy, c(1000), Qty(1), &mut ev),
        Err(MatchError::SeedNumberInClientRange {
            field: "order_ref",
            value: REF0,
            client_first: REF0
        })
    );
    seed(&mut e, 1, Buy, 1000, 10);
    assert_eq!(
        e.seed_execute(1, Qty(1), MATCH0, &mut ev),
        Err(MatchError::SeedNumberInClientRange {
            field: "match_number",
            value: MATCH0,
            client_first: MATCH0
        })
    );
    assert!(ev.is_empty());
    // The default configuration puts both client ranges at 2^62.
    let d = MatchingEngine::new(MatchingConfig::new(limits(4, 4))).unwrap();
    assert_eq!(d.next_order_ref(), 1 << 62);
    assert_eq!(d.next_match_number(), 1 << 62);
}

#[test]
fn seeded_events_mirror_itch_and_clamp_after_client_trades() {
    let mut e = engine();
    seed(&mut e, 1, Sell, 1000, 100);
    seed(&mut e, 2, Sell, 1000, 100);
    let mut ev = Vec::new();
    e.seed_execute(1, Qty(30), 77, &mut ev).unwrap();
    e.seed_cancel(1, Qty(20), &mut ev).unwrap();
    assert_eq!(ev, vec![feed_exec(1, 30, 77), feed_cancel(1, 20)]);
    assert_eq!(
        side_queue(&e, I, Sell),
        vec![(1, 100_000, 50), (2, 100_000, 100)]
    );
    // A client takes 70: all of order 1 and 20 of order 2.
    e.enter(1, 1, I, Buy, c(1000), Qty(70), Ioc, &mut ev)
        .unwrap();
    ev.clear();
    // The history still thinks order 2 has 100: its execute of 100 applies 80 and removes it.
    e.seed_execute(2, Qty(100), 78, &mut ev).unwrap();
    assert_eq!(ev, vec![feed_exec(2, 80, 78)]);
    assert_eq!(e.counters().seed_clamped, 1);
    // And events for order 1, which the client took whole, are unknown.
    assert_eq!(
        e.seed_delete(1, &mut ev),
        Err(MatchError::UnknownOrder { order_ref: 1 })
    );
    assert_eq!(e.order_count(), 0);
    // Replace, delete, duplicate and zero-quantity seeds.
    seed(&mut e, 3, Buy, 990, 10);
    seed(&mut e, 4, Buy, 990, 10);
    ev.clear();
    e.seed_replace(3, 5, Qty(15), c(990), &mut ev).unwrap();
    assert_eq!(ev, vec![feed_replace(3, 5, 15, 990)]);
    assert_eq!(
        side_queue(&e, I, Buy),
        vec![(4, 99_000, 10), (5, 99_000, 15)]
    );
    assert_eq!(
        e.seed_replace(4, 5, Qty(1), c(990), &mut ev),
        Err(MatchError::DuplicateOrder { order_ref: 5 })
    );
    assert_eq!(
        e.seed_add(4, I, Buy, c(990), Qty(1), &mut ev),
        Err(MatchError::DuplicateOrder { order_ref: 4 })
    );
    assert_eq!(
        e.seed_cancel(4, Qty::ZERO, &mut ev),
        Err(MatchError::ZeroQty)
    );
    ev.clear();
    e.seed_delete(4, &mut ev).unwrap();
    assert_eq!(ev, vec![feed_delete(4)]);
    assert_eq!(e.counters().seed_rejected, 4);
    e.audit().unwrap();
}
