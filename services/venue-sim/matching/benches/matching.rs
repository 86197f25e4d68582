//! Matching engine costs, timed per operation over batches (untimed setup between batches):
//!
//! * `client_sweep/crossbar/{1,2,3}_levels`: one IOC client order that takes exactly the
//!   best 1, 2 or 3 ask levels (one seeded order each) of an instrument that also has 20
//!   deeper levels per side; every event goes to a reused `Vec<Event>`.
//! * `client_sweep/baseline_btreemap/{1,2,3}_levels`: the same in a straightforward book
//!   (`BTreeMap<price, VecDeque>` per side + `HashMap` refs, events pushed alike), measured
//!   in the same run.
//! * `seed/add` and `seed/delete`: one seeded add (at the touch) or delete.
//!
//! Each timed batch runs over `BATCH` instruments, one operation each, so the timer's own
//! cost is amortized and consecutive operations touch different books.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use crossbar_matching::*;
use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};

const BATCH: u32 = 1_024;
const DEPTH: i64 = 20;
const TICK: i64 = 100;
const MID: i64 = 1_000_000;

fn engine() -> MatchingEngine {
    MatchingEngine::new(MatchingConfig::new(MatchingLimits {
        instruments: BATCH,
        orders: BATCH * 64,
        levels_per_side: 64,
        sessions: 1,
        order_qty_max: MatchingLimits::NASDAQ_ORDER_QTY_MAX,
    }))
    .unwrap()
}

/// Deep book: DEPTH levels per side from 10 ticks off the mid outward.
fn populate(e: &mut MatchingEngine, next_ref: &mut u64, ev: &mut Vec<Event>) {
    for i in 0..BATCH {
        for d in 0..DEPTH {
            for (side, price) in [
                (Side::Buy, MID - (10 + d) * TICK),
                (Side::Sell, MID + (10 + d) * TICK),
            ] {
                e.seed_add(*next_ref, InstrumentId(i), side, Price(price), Qty(100), ev)
                    .unwrap();
                *next_ref += 1;
            }
        }
    }
    ev.clear();
}

fn crossbar_sweep(levels: i64, iters: u64) -> Duration {
    let mut e = engine();
    let mut ev = Vec::with_capacity(64);
    let mut next_ref = 1;
    populate(&mut e, &mut next_ref, &mut ev);
    let mut token = 0u32;
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        for i in 0..BATCH {
            for l in 0..levels {
                e.seed_add(
                    next_ref,
                    InstrumentId(i),
                    Side::Sell,
                    Price(MID + l * TICK),
                    Qty(100),
                    &mut ev,
                )
                .unwrap();
                next_ref += 1;
            }
        }
        ev.clear();
        let limit = Price(MID + (levels - 1) * TICK);
        let qty = Qty(100 * levels as u32);
        let start = Instant::now();
        for i in 0..BATCH {
            token += 1;
            let out = e
                .enter(
                    0,
                    token,
                    InstrumentId(i),
                    Side::Buy,
                    limit,
                    qty,
                    TimeInForce::Ioc,
                    &mut ev,
                )
                .unwrap();
            black_box(out);
            ev.clear();
        }
        total += start.elapsed();
        done += u64::from(BATCH);
    }
    total.mul_f64(iters as f64 / done as f64)
}

/// The straightforward book: ordered maps of FIFO queues, a hash map of refs.
#[derive(Default)]
struct Naive {
    bids: BTreeMap<i64, VecDeque<(u64, u32)>>,
    asks: BTreeMap<i64, VecDeque<(u64, u32)>>,
    refs: HashMap<u64, (bool, i64)>,
    next_match: u64,
}

#[derive(Debug)]
#[allow(dead_code)] // fields are read through Debug/black_box only
enum NaiveEvent {
    Exec(u64, u32, u64),
    Fill(u32, i64, u64),
    Cancel(u32),
}

impl Naive {
    fn add(&mut self, r: u64, ask: bool, price: i64, qty: u32) {
        let side = if ask { &mut self.asks } else { &mut self.bids };
        side.entry(price).or_default().push_back((r, qty));
        self.refs.insert(r, (ask, price));
    }

    fn buy_ioc(&mut self, limit: i64, mut qty: u32, out: &mut Vec<NaiveEvent>) {
        while qty > 0 {
            let Some(mut entry) = self.asks.first_entry() else {
                break;
            };
            let price = *entry.key();
            if price > limit {
                break;
            }
            let queue = entry.get_mut();
            let (r, open) = queue.front_mut().unwrap();
            let fill = qty.min(*open);
            qty -= fill;
            *open -= fill;
            self.next_match += 1;
            out.push(NaiveEvent::Exec(*r, fill, self.next_match));
            out.push(NaiveEvent::Fill(fill, price, self.next_match));
            if *open == 0 {
                let r = *r;
                queue.pop_front();
                self.refs.remove(&r);
                if queue.is_empty() {
                    entry.remove();
                }
            }
        }
        if qty > 0 {
            out.push(NaiveEvent::Cancel(qty));
        }
    }
}

fn naive_sweep(levels: i64, iters: u64) -> Duration {
    let mut books: Vec<Naive> = (0..BATCH).map(|_| Naive::default()).collect();
    let mut next_ref = 1u64;
    for b in books.iter_mut() {
        for d in 0..DEPTH {
            b.add(next_ref, false, MID - (10 + d) * TICK, 100);
            b.add(next_ref + 1, true, MID + (10 + d) * TICK, 100);
            next_ref += 2;
        }
    }
    let mut ev = Vec::with_capacity(64);
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        for b in books.iter_mut() {
            for l in 0..levels {
                b.add(next_ref, true, MID + l * TICK, 100);
                next_ref += 1;
            }
        }
        let limit = MID + (levels - 1) * TICK;
        let start = Instant::now();
        for b in books.iter_mut() {
            b.buy_ioc(limit, 100 * levels as u32, &mut ev);
            black_box(&ev);
            ev.clear();
        }
        total += start.elapsed();
        done += u64::from(BATCH);
    }
    total.mul_f64(iters as f64 / done as f64)
}

/// Times `BATCH` seeded adds at the touch (`time_adds`) or their deletes.
fn seed_op(time_adds: bool, iters: u64) -> Duration {
    let mut e = engine();
    let mut ev = Vec::with_capacity(64);
    let mut next_ref = 1;
    populate(&mut e, &mut next_ref, &mut ev);
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let first = next_ref;
        let start = Instant::now();
        for i in 0..BATCH {
            e.seed_add(
                next_ref,
                InstrumentId(i),
                Side::Buy,
                Price(MID - 5 * TICK),
                Qty(100),
                &mut ev,
            )
            .unwrap();
            next_ref += 1;
            ev.clear();
        }
        let added = start.elapsed();
        let start = Instant::now();
        for r in first..next_ref {
            e.seed_delete(r, &mut ev).unwrap();
            ev.clear();
        }
        let deleted = start.elapsed();
        total += if time_adds { added } else { deleted };
        done += u64::from(BATCH);
    }
    total.mul_f64(iters as f64 / done as f64)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("client_sweep");
    for levels in 1..=3i64 {
        g.bench_with_input(
            BenchmarkId::new("crossbar", format!("{levels}_levels")),
            &levels,
            |b, &l| b.iter_custom(|iters| crossbar_sweep(l, iters)),
        );
        g.bench_with_input(
            BenchmarkId::new("baseline_btreemap", format!("{levels}_levels")),
            &levels,
            |b, &l| b.iter_custom(|iters| naive_sweep(l, iters)),
        );
    }
    g.finish();
    let mut g = c.benchmark_group("seed");
    g.bench_function("add", |b| b.iter_custom(|iters| seed_op(true, iters)));
    g.bench_function("delete", |b| b.iter_custom(|iters| seed_op(false, iters)));
    g.finish();
}

criterion_group! {
    name = matching;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(matching);
