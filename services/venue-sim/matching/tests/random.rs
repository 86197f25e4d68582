//! Randomized tests with fixed seeds: seeded-only streams against an independent reference
//! book, and mixed seeded + client streams against the invariants (never crossed after
//! client matching, client shares conserved, both sides of every match reported, the feed
//! alone reproduces the book).

mod common;

use std::collections::HashMap;

use common::*;
use crossbar_book::{BookLimits, OrderBook};
use crossbar_matching::*;
use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn side(&mut self) -> Side {
        match self.below(3) {
            0 => Side::Buy,
            1 => Side::Sell,
            _ => Side::SellShort,
        }
    }
}

const INSTRUMENTS: u32 = 2;
const MID_CENTS: i64 = 1_000;

#[test]
fn seeded_operations_keep_the_book_equal_to_a_reference_book() {
    let mut rng = Rng(0x5EED_0001);
    let mut e = engine_with(4_096, 256);
    let mut reference = OrderBook::new(BookLimits {
        instruments: INSTRUMENTS,
        orders: 4_096,
        levels_per_side: 256,
    })
    .unwrap();
    let mut live: Vec<u64> = Vec::new();
    let mut next_ref = 1u64;
    let mut ev = Vec::new();
    for step in 0..20_000u32 {
        ev.clear();
        let pick = rng.below(100);
        if pick < 40 || live.is_empty() {
            let inst = InstrumentId(rng.below(u64::from(INSTRUMENTS)) as u32);
            let side = rng.side();
            // Seeds may cross: the engine must rest them anyway, as the reference does.
            let price = c(MID_CENTS - 30 + rng.below(60) as i64);
            let qty = Qty(1 + rng.below(500) as u32);
            let got = e.seed_add(next_ref, inst, side, price, qty, &mut ev);
            let want = reference.add(next_ref, inst, side, price, qty);
            assert_eq!(got.is_ok(), want.is_ok(), "step {step}");
            live.push(next_ref);
            next_ref += 1;
            continue;
        }
        let i = rng.below(live.len() as u64) as usize;
        let r = live[i];
        let open = reference.order(r).map_or(0, |o| o.qty.0);
        let (got, want) = match pick {
            40..=59 if open > 0 => {
                let qty = Qty(1 + rng.below(u64::from(open)) as u32);
                (
                    e.seed_execute(r, qty, u64::from(step), &mut ev),
                    reference.execute(r, qty).map(|_| ()),
                )
            }
            60..=74 if open > 0 => {
                let qty = Qty(1 + rng.below(u64::from(open)) as u32);
                (
                    e.seed_cancel(r, qty, &mut ev),
                    reference.cancel(r, qty).map(|_| ()),
                )
            }
            75..=89 => {
                live.swap_remove(i);
                (e.seed_delete(r, &mut ev), reference.delete(r).map(|_| ()))
            }
            _ => {
                let price = c(MID_CENTS - 30 + rng.below(60) as i64);
                let qty = Qty(1 + rng.below(500) as u32);
                live[i] = next_ref;
                next_ref += 1;
                (
                    e.seed_replace(r, live[i], qty, price, &mut ev),
                    reference.replace(r, live[i], price, qty).map(|_| ()),
                )
            }
        };
        assert_eq!(
            got.is_ok(),
            want.is_ok(),
            "step {step}: {got:?} vs {want:?}"
        );
        assert_eq!(
            ev.len(),
            usize::from(got.is_ok()),
            "one feed event per seed"
        );
        if step % 97 == 0 {
            compare(&e, &reference);
        }
    }
    compare(&e, &reference);
    assert_eq!(e.order_count(), reference.order_count());
    assert_eq!(e.counters().matches, 0, "seeds never match");
}

fn compare(e: &MatchingEngine, reference: &OrderBook) {
    e.audit().unwrap();
    let shadow = Shadow {
        book: reference.clone(),
    };
    shadow.assert_matches(e, INSTRUMENTS);
}

/// Client-share ledger: entered (and replace deltas) = executed + cancelled + resting.
#[derive(Default)]
struct Ledger {
    entered: i64,
    executed: i64,
    cancelled: i64,
}

#[test]
fn mixed_stream_keeps_every_invariant() {
    let mut rng = Rng(0xC0FF_EE42);
    let mut e = engine_with(8_192, 256);
    let mut shadow = Shadow::new(INSTRUMENTS, 8_192, 256);
    let mut seeds: Vec<u64> = Vec::new();
    let mut tokens: Vec<(u16, u32)> = Vec::new();
    let mut next_token = [1u32; 4];
    let mut next_seed_ref = 1u64;
    let mut ledger = Ledger::default();
    let mut last_match = 0u64;
    let mut ev = Vec::new();
    for step in 0..30_000u32 {
        ev.clear();
        let inst = InstrumentId(rng.below(u64::from(INSTRUMENTS)) as u32);
        let pick = rng.below(100);
        let mut replaced_open = 0i64;
        match pick {
            0..=29 => {
                // A seed that does not cross the current book (a consistent history).
                let side = rng.side();
                let mut cents = MID_CENTS - 25 + rng.below(50) as i64;
                if side == Side::Buy {
                    if let Some(ask) = e.best(inst, Side::Sell) {
                        cents = cents.min(ask.price.0 / 100 - 1);
                    }
                } else if let Some(bid) = e.best(inst, Side::Buy) {
                    cents = cents.max(bid.price.0 / 100 + 1);
                }
                let qty = Qty(1 + rng.below(300) as u32);
                if e.seed_add(next_seed_ref, inst, side, c(cents), qty, &mut ev)
                    .is_ok()
                {
                    seeds.push(next_seed_ref);
                }
                next_seed_ref += 1;
            }
            30..=39 if !seeds.is_empty() => {
                // Over-asks sometimes: clients may have taken shares the history still sees.
                let r = seeds[rng.below(seeds.len() as u64) as usize];
                let qty = Qty(1 + rng.below(200) as u32);
                let _ = match rng.below(3) {
                    0 => e.seed_execute(r, qty, u64::from(step), &mut ev),
                    1 => e.seed_cancel(r, qty, &mut ev),
                    _ => e.seed_delete(r, &mut ev),
                };
            }
            40..=44 if !seeds.is_empty() => {
                let i = rng.below(seeds.len() as u64) as usize;
                if let Some(o) = e.order(seeds[i]) {
                    let mut price = o.price;
                    if rng.below(2) == 0 {
                        price = Price(price.0 + if o.side == Side::Buy { -100 } else { 100 });
                    }
                    let qty = Qty(1 + rng.below(300) as u32);
                    e.seed_replace(seeds[i], next_seed_ref, qty, price, &mut ev)
                        .unwrap();
                    seeds[i] = next_seed_ref;
                    next_seed_ref += 1;
                }
            }
            45..=79 => {
                let session = rng.below(4) as u16;
                let token = next_token[usize::from(session)];
                next_token[usize::from(session)] += 1 + rng.below(2) as u32;
                let tif = if rng.below(3) == 0 {
                    TimeInForce::Ioc
                } else {
                    TimeInForce::Day
                };
                let price = c(MID_CENTS - 20 + rng.below(40) as i64);
                let qty = Qty(1 + rng.below(600) as u32);
                let side = rng.side();
                if e.enter(session, token, inst, side, price, qty, tif, &mut ev)
                    .is_ok()
                {
                    tokens.push((session, token));
                }
            }
            80..=89 if !tokens.is_empty() => {
                let (session, token) = tokens[rng.below(tokens.len() as u64) as usize];
                let intended = Qty(rng.below(300) as u32 * (rng.below(2) as u32));
                let _ = e.cancel(session, token, intended, &mut ev);
            }
            _ if !tokens.is_empty() => {
                let i = rng.below(tokens.len() as u64) as usize;
                let (session, old) = tokens[i];
                let new = next_token[usize::from(session)];
                next_token[usize::from(session)] += 1;
                let before = e.client_order(session, old);
                let price = c(MID_CENTS - 20 + rng.below(40) as i64);
                let qty = Qty(1 + rng.below(600) as u32);
                let result = e.replace(session, old, new, price, qty, &mut ev);
                assert_eq!(result.is_ok(), before.is_some(), "step {step}");
                if let Some(o) = before {
                    replaced_open = i64::from(o.qty.0);
                    tokens[i] = (session, new);
                }
            }
            _ => {}
        }
        check_step(&e, &ev, step, replaced_open, &mut ledger, &mut last_match);
        shadow.apply(&ev);
        if step % 53 == 0 {
            shadow.assert_matches(&e, INSTRUMENTS);
        }
    }
    shadow.assert_matches(&e, INSTRUMENTS);
    assert!(e.counters().matches > 1_000, "{:?}", e.counters());
    assert!(e.counters().seed_clamped > 0, "{:?}", e.counters());
    assert!(e.counters().replaces > 100, "{:?}", e.counters());
}

/// Per match number: feed executes, Added and Removed executions, their (shares, price),
/// and whether the resting order was a client's.
type MatchSeen = (u32, u32, u32, Option<(Qty, Price)>, bool);

fn check_step(
    e: &MatchingEngine,
    ev: &[Event],
    step: u32,
    replaced_open: i64,
    ledger: &mut Ledger,
    last_match: &mut u64,
) {
    let totals = e.audit().unwrap_or_else(|err| panic!("step {step}: {err}"));
    for i in 0..INSTRUMENTS {
        let inst = InstrumentId(i);
        if let (Some(bid), Some(ask)) = (e.best(inst, Side::Buy), e.best(inst, Side::Sell)) {
            assert!(
                bid.price < ask.price,
                "step {step}: crossed {bid:?} {ask:?}"
            );
        }
    }
    // Every match: one feed execute, one aggressor execution, and a resting-side execution
    // exactly when the resting order is a client's; same shares and price on both.
    let mut by_match: HashMap<u64, MatchSeen> = HashMap::new();
    for event in ev {
        match *event {
            Event::Feed(FeedEvent::OrderExecuted {
                order_ref,
                qty,
                match_number,
                ..
            }) if match_number >= MATCH0 => {
                assert!(
                    match_number > *last_match,
                    "step {step}: match numbers increase"
                );
                *last_match = match_number;
                let m = by_match.entry(match_number).or_default();
                m.0 += 1;
                m.4 = order_ref >= REF0;
                let _ = qty;
            }
            Event::Private(PrivateEvent::Executed {
                qty,
                price,
                match_number,
                liquidity,
                ..
            }) => {
                ledger.executed += i64::from(qty.0);
                let m = by_match.entry(match_number).or_default();
                match liquidity {
                    Liquidity::Added => m.1 += 1,
                    Liquidity::Removed => m.2 += 1,
                }
                if let Some(seen) = m.3 {
                    assert_eq!(seen, (qty, price), "step {step}: sides disagree");
                }
                m.3 = Some((qty, price));
            }
            Event::Private(PrivateEvent::Accepted { qty, .. }) => {
                ledger.entered += i64::from(qty.0);
            }
            Event::Private(PrivateEvent::Replaced { qty, .. }) => {
                ledger.entered += i64::from(qty.0) - replaced_open;
            }
            Event::Private(PrivateEvent::Canceled { qty, .. }) => {
                ledger.cancelled += i64::from(qty.0);
            }
            _ => {}
        }
    }
    for (m, (feed, added, removed, _, client_resting)) in by_match {
        assert_eq!(
            (feed, added, removed),
            (1, u32::from(client_resting), 1),
            "step {step} match {m}"
        );
    }
    let resting: i64 = (0..INSTRUMENTS)
        .flat_map(|i| [(i, Side::Buy), (i, Side::Sell)])
        .flat_map(|(i, side)| e.queue(InstrumentId(i), side))
        .filter(|o| o.owner != Owner::Seed)
        .map(|o| i64::from(o.qty.0))
        .sum();
    assert_eq!(
        ledger.entered,
        ledger.executed + ledger.cancelled + resting,
        "step {step}: client shares not conserved"
    );
    assert!(totals.shares >= resting as u64);
}
