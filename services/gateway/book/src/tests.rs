//! Boundary tests of every book operation through the public API.

use crossbar_model::{InstrumentId, Price, Qty, Side};

use crate::*;

const I0: InstrumentId = InstrumentId(0);
const I1: InstrumentId = InstrumentId(1);

fn book(orders: u32, levels_per_side: u32) -> OrderBook {
    OrderBook::new(BookLimits {
        instruments: 2,
        orders,
        levels_per_side,
    })
    .unwrap()
}

fn levels(b: &OrderBook, i: InstrumentId, side: Side) -> Vec<(i64, u64, u32)> {
    let mut out = [Level::EMPTY; 64];
    let n = b.depth(i, side, 64, &mut out).unwrap();
    out[..n]
        .iter()
        .map(|l| (l.price.0, l.qty, l.order_count))
        .collect()
}

fn queue(b: &OrderBook, i: InstrumentId, side: Side, price: i64) -> Vec<(u64, u32)> {
    b.queue(i, side, Price(price))
        .map(|o| (o.order_ref, o.qty.0))
        .collect()
}

/// Everything observable, to prove a rejected event changed nothing.
fn snapshot(b: &OrderBook) -> String {
    let mut s = String::new();
    for i in [I0, I1] {
        for side in [Side::Buy, Side::Sell] {
            for (price, _, _) in levels(b, i, side) {
                s += &format!("{i:?}{side:?}{price}:{:?};", queue(b, i, side, price));
            }
        }
        s += &format!("{:?}", b.top(i));
    }
    s + &b.order_count().to_string()
}

fn update(
    side: Side,
    price: i64,
    qty: u64,
    count: u32,
    index: u32,
    action: LevelAction,
) -> LevelUpdate {
    LevelUpdate {
        instrument: I0,
        side,
        price: Price(price),
        qty,
        order_count: count,
        level_index: index,
        action,
    }
}

#[test]
fn add_creates_and_grows_levels_best_first() {
    let mut b = book(16, 8);
    assert_eq!(
        b.add(1, I0, Side::Buy, Price(100), Qty(10)),
        Ok(update(Side::Buy, 100, 10, 1, 0, LevelAction::New))
    );
    assert_eq!(
        b.add(2, I0, Side::Buy, Price(99), Qty(5)),
        Ok(update(Side::Buy, 99, 5, 1, 1, LevelAction::New))
    );
    assert_eq!(
        b.add(3, I0, Side::Buy, Price(101), Qty(7)),
        Ok(update(Side::Buy, 101, 7, 1, 0, LevelAction::New))
    );
    assert_eq!(
        b.add(4, I0, Side::Buy, Price(100), Qty(1)),
        Ok(update(Side::Buy, 100, 11, 2, 1, LevelAction::Change))
    );
    assert_eq!(
        b.add(5, I0, Side::Sell, Price(103), Qty(2)),
        Ok(update(Side::Sell, 103, 2, 1, 0, LevelAction::New))
    );
    assert_eq!(
        b.add(6, I0, Side::SellShort, Price(102), Qty(3)),
        Ok(update(Side::Sell, 102, 3, 1, 0, LevelAction::New))
    );
    assert_eq!(
        b.add(7, I0, Side::Sell, Price(104), Qty(4)),
        Ok(update(Side::Sell, 104, 4, 1, 2, LevelAction::New))
    );
    assert_eq!(
        levels(&b, I0, Side::Buy),
        vec![(101, 7, 1), (100, 11, 2), (99, 5, 1)]
    );
    assert_eq!(
        levels(&b, I0, Side::Sell),
        vec![(102, 3, 1), (103, 2, 1), (104, 4, 1)]
    );
    assert_eq!(
        b.best_bid(I0),
        Some(Level {
            price: Price(101),
            qty: 7,
            order_count: 1
        })
    );
    assert_eq!(b.best_ask(I0).map(|l| l.price), Some(Price(102)));
    assert_eq!(
        b.level(I0, Side::SellShort, 2).map(|l| l.price),
        Some(Price(104))
    );
    assert_eq!(b.level(I0, Side::Sell, 3), None);
    assert_eq!(queue(&b, I0, Side::Buy, 100), vec![(1, 10), (4, 1)]);
    assert_eq!(b.order(6).map(|o| o.side), Some(Side::Sell));
    assert_eq!(b.order_count(), 7);
    assert_eq!(b.counters().adds, 7);
    // Instruments are independent.
    assert_eq!(b.best_bid(I1), None);
    assert_eq!(b.level_count(I0, Side::Buy), 3);
}

#[test]
fn extreme_prices_sort_correctly_on_both_sides() {
    let mut b = book(16, 8);
    for (r, p) in [(1, i64::MIN), (2, i64::MAX), (3, 0), (4, -1)] {
        b.add(r, I0, Side::Buy, Price(p), Qty(1)).unwrap();
        b.add(r + 10, I0, Side::Sell, Price(p), Qty(1)).unwrap();
    }
    let bids: Vec<i64> = levels(&b, I0, Side::Buy).iter().map(|l| l.0).collect();
    let asks: Vec<i64> = levels(&b, I0, Side::Sell).iter().map(|l| l.0).collect();
    assert_eq!(bids, vec![i64::MAX, 0, -1, i64::MIN]);
    assert_eq!(asks, vec![i64::MIN, -1, 0, i64::MAX]);
}

#[test]
fn add_errors_in_precedence_order_and_change_nothing() {
    let mut b = book(2, 1);
    b.add(1, I0, Side::Buy, Price(100), Qty(10)).unwrap();
    let before = snapshot(&b);
    let e = b
        .add(9, InstrumentId(2), Side::Buy, Price(100), Qty(1))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "BOOK_UNKNOWN_INSTRUMENT instrument=2 instruments=2"
    );
    assert_eq!(
        b.add(1, I0, Side::Buy, Price(100), Qty(0)),
        Err(BookError::ZeroQty { order_ref: 1 })
    );
    assert_eq!(
        b.add(1, I0, Side::Buy, Price(100), Qty(5)),
        Err(BookError::DuplicateOrder { order_ref: 1 })
    );
    // A full side rejects a new level but still accepts joining an existing one.
    let e = b.add(2, I0, Side::Buy, Price(99), Qty(5)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "BOOK_CAPACITY resource=levels_per_side limit=1 instrument=0"
    );
    assert_eq!(
        b.add(1, I0, Side::Buy, Price(99), Qty(5)),
        Err(BookError::DuplicateOrder { order_ref: 1 })
    );
    assert_eq!(snapshot(&b), before);
    b.add(2, I0, Side::Buy, Price(100), Qty(5)).unwrap();
    // Slab full: exactly `orders` rest, the next is rejected, a duplicate outranks capacity.
    let e = b.add(3, I1, Side::Sell, Price(100), Qty(5)).unwrap_err();
    assert_eq!(
        e,
        BookError::Capacity {
            resource: Resource::Orders,
            limit: 2,
            instrument: 1
        }
    );
    assert_eq!(
        b.add(2, I1, Side::Sell, Price(100), Qty(5)),
        Err(BookError::DuplicateOrder { order_ref: 2 })
    );
    let c = b.counters();
    assert_eq!(
        (
            c.unknown_instrument,
            c.zero_qty,
            c.duplicate_order,
            c.capacity
        ),
        (1, 1, 3, 2)
    );
    assert_eq!(c.rejected(), 7);
    // Freed slots are reused.
    b.delete(1).unwrap();
    b.add(3, I1, Side::Sell, Price(100), Qty(5)).unwrap();
    assert_eq!(b.order_count(), 2);
}

#[test]
fn execute_partial_keeps_priority_full_removes() {
    let mut b = book(16, 8);
    b.add(1, I0, Side::Sell, Price(200), Qty(10)).unwrap();
    b.add(2, I0, Side::Sell, Price(200), Qty(20)).unwrap();
    b.add(3, I0, Side::Sell, Price(201), Qty(5)).unwrap();
    let r = b.execute(1, Qty(4)).unwrap();
    assert_eq!(
        r.level,
        update(Side::Sell, 200, 26, 2, 0, LevelAction::Change)
    );
    assert_eq!((r.removed_qty, r.remaining_qty), (Qty(4), Qty(6)));
    assert_eq!(queue(&b, I0, Side::Sell, 200), vec![(1, 6), (2, 20)]);
    assert_eq!(b.top(I0).unwrap().last_trade_price, Some(Price(200)));
    let r = b.execute(1, Qty(6)).unwrap();
    assert_eq!(
        r.level,
        update(Side::Sell, 200, 20, 1, 0, LevelAction::Change)
    );
    assert_eq!(r.remaining_qty, Qty(0));
    assert_eq!(b.order(1), None);
    let r = b.execute(2, Qty(20)).unwrap();
    assert_eq!(
        r.level,
        update(Side::Sell, 200, 0, 0, 0, LevelAction::Delete)
    );
    assert_eq!(levels(&b, I0, Side::Sell), vec![(201, 5, 1)]);
    assert_eq!(b.counters().executes, 3);
}

#[test]
fn execute_and_cancel_reject_overfill_zero_and_unknown_without_change() {
    let mut b = book(16, 8);
    b.add(1, I0, Side::Buy, Price(100), Qty(10)).unwrap();
    let before = snapshot(&b);
    let e = b.execute(1, Qty(11)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "BOOK_OVERFILL order_ref=1 qty=11 open_qty=10"
    );
    assert_eq!(
        b.cancel(1, Qty(11)),
        Err(BookError::Overfill {
            order_ref: 1,
            qty: 11,
            open_qty: 10
        })
    );
    assert_eq!(
        b.execute(1, Qty(0)),
        Err(BookError::ZeroQty { order_ref: 1 })
    );
    assert_eq!(
        b.cancel(1, Qty(0)),
        Err(BookError::ZeroQty { order_ref: 1 })
    );
    assert_eq!(
        b.execute(2, Qty(1)),
        Err(BookError::UnknownOrder { order_ref: 2 })
    );
    assert_eq!(
        b.cancel(2, Qty(1)),
        Err(BookError::UnknownOrder { order_ref: 2 })
    );
    assert_eq!(
        b.delete(2).unwrap_err().to_string(),
        "BOOK_UNKNOWN_ORDER order_ref=2"
    );
    assert_eq!(snapshot(&b), before);
    assert_eq!(b.top(I0).unwrap().last_trade_price, None);
    assert_eq!(b.counters().overfill, 2);
    assert_eq!(b.counters().unknown_order, 3);
    // Exactly the open quantity is fine.
    assert_eq!(
        b.cancel(1, Qty(10)).unwrap().level.action,
        LevelAction::Delete
    );
}

#[test]
fn cancel_partial_keeps_priority() {
    let mut b = book(16, 8);
    b.add(1, I0, Side::Buy, Price(100), Qty(10)).unwrap();
    b.add(2, I0, Side::Buy, Price(100), Qty(10)).unwrap();
    let r = b.cancel(1, Qty(9)).unwrap();
    assert_eq!(
        r.level,
        update(Side::Buy, 100, 11, 2, 0, LevelAction::Change)
    );
    assert_eq!(queue(&b, I0, Side::Buy, 100), vec![(1, 1), (2, 10)]);
    assert_eq!(b.counters().cancels, 1);
    assert_eq!(
        b.top(I0).unwrap().last_trade_price,
        None,
        "cancels are not trades"
    );
}

#[test]
fn delete_from_front_middle_and_back_of_a_queue() {
    let mut b = book(16, 8);
    for r in 1..=5 {
        b.add(r, I0, Side::Buy, Price(100), Qty(r as u32)).unwrap();
    }
    b.add(9, I0, Side::Buy, Price(101), Qty(1)).unwrap();
    assert_eq!(
        b.delete(3),
        Ok(update(Side::Buy, 100, 12, 4, 1, LevelAction::Change))
    );
    assert_eq!(b.delete(1).unwrap().order_count, 3);
    assert_eq!(b.delete(5).unwrap().qty, 6);
    assert_eq!(queue(&b, I0, Side::Buy, 100), vec![(2, 2), (4, 4)]);
    b.add(6, I0, Side::Buy, Price(100), Qty(6)).unwrap();
    assert_eq!(queue(&b, I0, Side::Buy, 100), vec![(2, 2), (4, 4), (6, 6)]);
    assert_eq!(
        b.delete(9),
        Ok(update(Side::Buy, 101, 0, 0, 0, LevelAction::Delete))
    );
    b.delete(2).unwrap();
    b.delete(4).unwrap();
    assert_eq!(
        b.delete(6),
        Ok(update(Side::Buy, 100, 0, 0, 0, LevelAction::Delete))
    );
    assert_eq!(b.order_count(), 0);
    assert_eq!(b.top(I0).unwrap().bid, None);
}

/// A level keeps only the last order of its queue (views walk `prev` back to the first), and
/// slab slot 0 is a sentinel that unlinks write through: queues stay exact after unlinking the
/// middle, the back and the front, in the window and below it (the deepest of 20 levels), and
/// the sentinel is never handed out (the slab still takes exactly `orders` orders).
#[test]
fn queues_stay_exact_with_tail_only_levels_and_the_sentinel_slot() {
    let mut b = book(64, 40);
    let mut r = 0u64;
    for price in 100..120 {
        for _ in 0..3 {
            r += 1;
            b.add(r, I0, Side::Buy, Price(price), Qty(r as u32))
                .unwrap();
        }
    }
    // 119 is the best level (in the window); 100 is the worst, below the 15-level window.
    for price in [119i64, 100] {
        let first = (price - 100) as u64 * 3 + 1;
        let (a, m, z) = (first, first + 1, first + 2);
        let q = |b: &OrderBook| -> Vec<u64> {
            b.queue(I0, Side::Buy, Price(price))
                .map(|o| o.order_ref)
                .collect()
        };
        assert_eq!(q(&b), vec![a, m, z]);
        b.delete(m).unwrap();
        assert_eq!(q(&b), vec![a, z]);
        b.delete(z).unwrap();
        assert_eq!(q(&b), vec![a]);
        r += 1;
        let late = r;
        b.add(late, I0, Side::Buy, Price(price), Qty(7)).unwrap();
        assert_eq!(q(&b), vec![a, late]);
        b.delete(a).unwrap();
        assert_eq!(q(&b), vec![late]);
        assert_eq!(
            b.delete(late).unwrap().action,
            LevelAction::Delete,
            "price {price}"
        );
        assert_eq!(q(&b), Vec::<u64>::new());
    }
    assert_eq!(levels(&b, I0, Side::Buy).len(), 18);
    assert_eq!(b.clear_instrument(I0), Ok(54));
    for k in 0..64u64 {
        b.add(1_000 + k, I1, Side::Sell, Price(5 + (k % 3) as i64), Qty(1))
            .unwrap();
    }
    assert_eq!(
        b.add(2_000, I1, Side::Sell, Price(5), Qty(1))
            .unwrap_err()
            .code(),
        "BOOK_CAPACITY"
    );
    assert_eq!(queue(&b, I1, Side::Sell, 6).len(), 21);
}

#[test]
fn replace_loses_priority_and_keeps_side_and_instrument() {
    let mut b = book(16, 8);
    b.add(1, I1, Side::Sell, Price(300), Qty(10)).unwrap();
    b.add(2, I1, Side::Sell, Price(300), Qty(20)).unwrap();
    // Same price, new ref: goes to the back.
    let r = b.replace(1, 11, Price(300), Qty(15)).unwrap();
    assert_eq!(
        (r.removed.qty, r.removed.order_count, r.removed.action),
        (20, 1, LevelAction::Change)
    );
    assert_eq!(
        (r.added.qty, r.added.order_count, r.added.action),
        (35, 2, LevelAction::Change)
    );
    assert_eq!(r.added.instrument, I1);
    assert_eq!(queue(&b, I1, Side::Sell, 300), vec![(2, 20), (11, 15)]);
    // New price: old level shrinks, new level appears ahead of it.
    let r = b.replace(11, 12, Price(299), Qty(5)).unwrap();
    assert_eq!(r.added.level_index, 0);
    assert_eq!(r.added.action, LevelAction::New);
    assert_eq!(
        b.order(12).map(|o| (o.side, o.instrument)),
        Some((Side::Sell, I1))
    );
    // Sole order at its level, same ref (modify in place): Delete then New.
    let r = b.replace(12, 12, Price(298), Qty(1)).unwrap();
    assert_eq!(r.removed.action, LevelAction::Delete);
    assert_eq!(r.added.price, Price(298));
    assert_eq!(levels(&b, I1, Side::Sell), vec![(298, 1, 1), (300, 20, 1)]);
    assert_eq!(b.order(11), None);
    assert_eq!(b.counters().replaces, 3);
}

#[test]
fn replace_errors_change_nothing() {
    let mut b = book(16, 2);
    b.add(1, I0, Side::Buy, Price(100), Qty(10)).unwrap();
    b.add(2, I0, Side::Buy, Price(101), Qty(10)).unwrap();
    b.add(3, I0, Side::Buy, Price(101), Qty(10)).unwrap();
    let before = snapshot(&b);
    assert_eq!(
        b.replace(1, 4, Price(100), Qty(0)),
        Err(BookError::ZeroQty { order_ref: 4 })
    );
    assert_eq!(
        b.replace(7, 4, Price(100), Qty(1)),
        Err(BookError::UnknownOrder { order_ref: 7 })
    );
    assert_eq!(
        b.replace(1, 2, Price(100), Qty(1)),
        Err(BookError::DuplicateOrder { order_ref: 2 })
    );
    // Side full, order 2's level keeps order 3: no room for a third price.
    let e = b.replace(2, 4, Price(102), Qty(1)).unwrap_err();
    assert_eq!(
        e,
        BookError::Capacity {
            resource: Resource::Levels,
            limit: 2,
            instrument: 0
        }
    );
    assert_eq!(snapshot(&b), before);
    // Side full, but order 1 is alone at its level: its level goes, so the new one fits.
    let r = b.replace(1, 4, Price(102), Qty(1)).unwrap();
    assert_eq!(
        (r.removed.action, r.added.action),
        (LevelAction::Delete, LevelAction::New)
    );
    assert_eq!(levels(&b, I0, Side::Buy), vec![(102, 1, 1), (101, 20, 2)]);
}

#[test]
fn depth_respects_n_and_buffer_length() {
    let mut b = book(16, 8);
    for (r, p) in [(1, 10), (2, 11), (3, 12), (4, 13)] {
        b.add(r, I0, Side::Sell, Price(p), Qty(1)).unwrap();
    }
    let mut out = [Level::EMPTY; 3];
    assert_eq!(b.depth(I0, Side::Sell, 2, &mut out), Ok(2));
    assert_eq!(out[0].price, Price(10));
    assert_eq!(out[1].price, Price(11));
    assert_eq!(out[2], Level::EMPTY);
    assert_eq!(b.depth(I0, Side::Sell, 10, &mut out), Ok(3));
    assert_eq!(out[2].price, Price(12));
    assert_eq!(b.depth(I0, Side::Buy, 10, &mut out), Ok(0));
    assert_eq!(b.depth(I0, Side::Sell, 0, &mut out), Ok(0));
    assert!(matches!(
        b.depth(InstrumentId(9), Side::Sell, 1, &mut out),
        Err(BookError::UnknownInstrument { .. })
    ));
}

#[test]
fn stale_flag_per_instrument_fails_closed_for_unknown() {
    let mut b = book(4, 4);
    assert!(!b.is_stale(I0));
    b.set_stale(I0, true).unwrap();
    assert!(b.is_stale(I0));
    assert!(!b.is_stale(I1));
    assert!(b.top(I0).unwrap().stale);
    b.set_stale(I0, false).unwrap();
    assert!(!b.is_stale(I0));
    assert!(b.is_stale(InstrumentId(2)));
    assert!(b.set_stale(InstrumentId(2), true).is_err());
    assert_eq!(b.top(InstrumentId(2)), None);
}

#[test]
fn clear_instrument_frees_its_orders_only() {
    let mut b = book(6, 4);
    for r in 0..3 {
        b.add(r, I0, Side::Buy, Price(100 + r as i64), Qty(1))
            .unwrap();
        b.add(r + 10, I0, Side::Sell, Price(200), Qty(1)).unwrap();
    }
    assert_eq!(
        b.add(50, I1, Side::Buy, Price(1), Qty(1))
            .unwrap_err()
            .code(),
        "BOOK_CAPACITY"
    );
    assert_eq!(b.clear_instrument(I0), Ok(6));
    assert_eq!(b.order_count(), 0);
    assert_eq!(b.order(10), None);
    assert_eq!(b.top(I0).unwrap().bid, None);
    for r in 0..6 {
        b.add(100 + r, I1, Side::Buy, Price(1), Qty(1)).unwrap();
    }
    assert_eq!(b.clear_instrument(I0), Ok(0));
    assert!(b.clear_instrument(InstrumentId(5)).is_err());
}

#[test]
fn invalid_limits_are_refused() {
    let e = OrderBook::new(BookLimits {
        instruments: 0,
        orders: 1,
        levels_per_side: 1,
    })
    .unwrap_err();
    assert_eq!(e.code(), "BOOK_INVALID_LIMITS");
}

/// The hot paths work on the best 16 levels of a side in place, and hand everything else to
/// the general two-tier code. This drives one ask side back and forth across that edge (20
/// levels: 16 in the window, 4 below it) with every event kind, and checks each returned level
/// update (price, totals, index from the best, action) and the whole depth against a model.
#[test]
fn events_on_both_sides_of_the_window_edge_report_exact_levels() {
    use std::collections::BTreeMap;
    let mut b = book(256, 24);
    // price -> (qty, orders); asks: best = lowest price = index 0.
    let mut model: BTreeMap<i64, (u64, u32)> = BTreeMap::new();
    let index = |m: &BTreeMap<i64, (u64, u32)>, p: i64| m.range(..p).count() as u32;
    let check = |b: &OrderBook, m: &BTreeMap<i64, (u64, u32)>| {
        let want: Vec<(i64, u64, u32)> = m.iter().map(|(p, (q, c))| (*p, *q, *c)).collect();
        assert_eq!(levels(b, I0, Side::Sell), want);
    };
    let mut next_ref = 1u64;
    let mut add = |b: &mut OrderBook, m: &mut BTreeMap<i64, (u64, u32)>, p: i64, q: u32| {
        let r = next_ref;
        next_ref += 1;
        let u = b.add(r, I0, Side::Sell, Price(p), Qty(q)).unwrap();
        let action = if m.contains_key(&p) {
            LevelAction::Change
        } else {
            LevelAction::New
        };
        let e = m.entry(p).or_insert((0, 0));
        e.0 += u64::from(q);
        e.1 += 1;
        let (tq, tc) = *e;
        assert_eq!(
            u,
            update(Side::Sell, p, tq, tc, index(m, p), action),
            "add {p}"
        );
        r
    };
    // 20 levels, one order each: prices 1000, 1010, ..., 1190.
    let refs: Vec<u64> = (0..20)
        .map(|k| add(&mut b, &mut model, 1_000 + 10 * k, 100))
        .collect();
    check(&b, &model);
    // Join the best level (window, with overflow levels present) and a deep one (overflow).
    let join_best = add(&mut b, &mut model, 1_000, 5);
    add(&mut b, &mut model, 1_180, 7);
    // A new level inside a full window: its worst level moves down to the overflow.
    add(&mut b, &mut model, 1_005, 9);
    check(&b, &model);
    // Partial execute at the best (in the window) and in the overflow.
    let r = b.execute(refs[0], Qty(40)).unwrap();
    model.get_mut(&1_000).unwrap().0 -= 40;
    assert_eq!(
        r.level,
        update(Side::Sell, 1_000, 65, 2, 0, LevelAction::Change)
    );
    let r = b.cancel(refs[19], Qty(1)).unwrap();
    model.get_mut(&1_190).unwrap().0 -= 1;
    assert_eq!(
        r.level,
        update(Side::Sell, 1_190, 99, 1, 20, LevelAction::Change),
        "the worst of 21 levels"
    );
    // Delete a window level that empties: the overflow's best moves up into the window.
    let u = b.delete(refs[3]).unwrap();
    assert_eq!(u, update(Side::Sell, 1_030, 0, 0, 4, LevelAction::Delete));
    model.remove(&1_030);
    check(&b, &model);
    // Delete one of two orders at the best level (unlink from the front of its queue).
    let u = b.delete(refs[0]).unwrap();
    model.insert(1_000, (5, 1));
    assert_eq!(u, update(Side::Sell, 1_000, 5, 1, 0, LevelAction::Change));
    assert_eq!(queue(&b, I0, Side::Sell, 1_000), vec![(join_best, 5)]);
    // Replace from the overflow into the window, then empty a deep level.
    let r = b.replace(refs[17], 900, Price(1_015), Qty(3)).unwrap();
    assert_eq!(index(&model, 1_170), 17, "below the window");
    model.remove(&1_170);
    assert_eq!(
        r.removed,
        update(Side::Sell, 1_170, 0, 0, 17, LevelAction::Delete)
    );
    model.insert(1_015, (3, 1));
    assert_eq!(
        r.added,
        update(Side::Sell, 1_015, 3, 1, 3, LevelAction::New)
    );
    check(&b, &model);
    let u = b.delete(refs[19]).unwrap();
    let deepest = index(&model, 1_190);
    assert_eq!(deepest, 19);
    model.remove(&1_190);
    assert_eq!(
        u,
        update(Side::Sell, 1_190, 0, 0, deepest, LevelAction::Delete)
    );
    check(&b, &model);
    // Back below the window size, everything on the fast path again.
    for k in [1, 2, 4, 5, 6, 7] {
        b.delete(refs[k]).unwrap();
        model.remove(&(1_000 + 10 * k as i64));
    }
    check(&b, &model);
    assert!(b.level_count(I0, Side::Sell) < 16);
    add(&mut b, &mut model, 995, 1);
    add(&mut b, &mut model, 1_185, 1);
    check(&b, &model);
}
