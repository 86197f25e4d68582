//! Book throughput on a realistic ITCH-like event mix, and where the time goes.
//!
//! * `replay/crossbar_book`: ~10M events over 5,000 instruments (adds and deletes clustered
//!   near the touch, some executes, partial cancels and replaces), replayed into a fresh
//!   [`OrderBook`] per iteration; throughput in events/s.
//! * `replay/baseline_btreemap_hashmap`: the same events into a straightforward book built on
//!   std `HashMap` + per-side `BTreeMap` (aggregates only, no queues), measured in the same run.
//! * `ops/*`: single operations on a populated book, to split the cost by kind.
//!
//! Before criterion runs, one timed replay prints events/s, VmRSS growth and VmHWM.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use crossbar_book::*;
use crossbar_model::{InstrumentId, Price, Qty, Side};

/// Instruments in the generated stream (`BOOK_BENCH_INSTRUMENTS` overrides).
fn instruments() -> u32 {
    std::env::var("BOOK_BENCH_INSTRUMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

/// Events in the generated stream (`BOOK_BENCH_EVENTS` overrides).
fn event_count() -> usize {
    std::env::var("BOOK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}
const TICK: i64 = 100; // $0.01 in 1/10,000 units

#[derive(Clone, Copy)]
enum Ev {
    Add {
        r: u64,
        inst: u32,
        side: Side,
        price: i64,
        qty: u32,
    },
    Exec {
        r: u64,
        qty: u32,
    },
    Cancel {
        r: u64,
        qty: u32,
    },
    Delete {
        r: u64,
    },
    Replace {
        old: u64,
        new: u64,
        price: i64,
        qty: u32,
    },
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy)]
struct Live {
    r: u64,
    side: Side,
    qty: u32,
}

/// Generates a valid event stream: per instrument a mid price random walk, orders placed at a
/// distance from the touch that is usually small (min of two uniforms over 0..24 ticks).
fn generate(events: usize, seed: u64) -> Vec<Ev> {
    let mut rng = Rng(seed);
    let instruments = instruments();
    let mut mids: Vec<i64> = (0..instruments)
        .map(|_| (10 + rng.below(200) as i64) * 10_000)
        .collect();
    let mut live: Vec<Vec<Live>> = (0..instruments).map(|_| Vec::new()).collect();
    let mut next_ref: u64 = 1;
    let mut out = Vec::with_capacity(events);
    let price_for = |rng: &mut Rng, mid: i64, side: Side| {
        let d = rng.below(24).min(rng.below(24)) as i64;
        if side == Side::Buy {
            mid - TICK * (1 + d)
        } else {
            mid + TICK * (1 + d)
        }
    };
    while out.len() < events {
        let inst = rng.below(u64::from(instruments)) as usize;
        if rng.below(50) == 0 {
            mids[inst] += TICK * (rng.below(3) as i64 - 1);
        }
        let orders = &mut live[inst];
        let roll = rng.below(100);
        if orders.len() < 20 || (roll < 45 && orders.len() < 60) {
            let side = if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let price = price_for(&mut rng, mids[inst], side);
            let qty = 100 * (1 + rng.below(5) as u32);
            orders.push(Live {
                r: next_ref,
                side,
                qty,
            });
            out.push(Ev::Add {
                r: next_ref,
                inst: inst as u32,
                side,
                price,
                qty,
            });
            next_ref += 1 + rng.below(3); // ITCH refs: increasing, sparse across a day
            continue;
        }
        let k = rng.below(orders.len() as u64) as usize;
        let o = orders[k];
        match roll {
            0..=82 => {
                orders.swap_remove(k);
                out.push(Ev::Delete { r: o.r });
            }
            83..=89 => {
                let qty = if rng.below(2) == 0 { o.qty } else { o.qty / 2 };
                if qty == o.qty {
                    orders.swap_remove(k);
                } else {
                    orders[k].qty -= qty;
                }
                out.push(Ev::Exec { r: o.r, qty });
            }
            90..=93 => {
                let qty = o.qty / 2;
                orders[k].qty -= qty;
                out.push(Ev::Cancel { r: o.r, qty });
            }
            _ => {
                let price = price_for(&mut rng, mids[inst], o.side);
                let qty = 100 * (1 + rng.below(5) as u32);
                orders[k] = Live {
                    r: next_ref,
                    side: o.side,
                    qty,
                };
                out.push(Ev::Replace {
                    old: o.r,
                    new: next_ref,
                    price,
                    qty,
                });
                next_ref += 1;
            }
        }
    }
    out
}

fn limits() -> BookLimits {
    BookLimits {
        instruments: instruments(),
        orders: 1 << 20,
        levels_per_side: 256,
    }
}

#[inline]
fn apply(book: &mut OrderBook, ev: &Ev) -> u32 {
    let r = match *ev {
        Ev::Add {
            r,
            inst,
            side,
            price,
            qty,
        } => book.add(r, InstrumentId(inst), side, Price(price), Qty(qty)),
        Ev::Exec { r, qty } => book.execute(r, Qty(qty)).map(|x| x.level),
        Ev::Cancel { r, qty } => book.cancel(r, Qty(qty)).map(|x| x.level),
        Ev::Delete { r } => book.delete(r),
        Ev::Replace {
            old,
            new,
            price,
            qty,
        } => book
            .replace(old, new, Price(price), Qty(qty))
            .map(|x| x.added),
    };
    match r {
        Ok(u) => u.level_index,
        Err(_) => u32::MAX,
    }
}

fn replay(events: &[Ev]) -> (Duration, OrderBook) {
    let mut book = OrderBook::new(limits()).unwrap();
    let start = Instant::now();
    let mut acc = 0u32;
    for ev in events {
        acc = acc.wrapping_add(apply(&mut book, ev));
    }
    let elapsed = start.elapsed();
    black_box(acc);
    assert_eq!(
        book.counters().rejected(),
        0,
        "the generated stream is valid"
    );
    (elapsed, book)
}

/// The simple book: aggregates in BTreeMaps, orders in a std HashMap.
#[derive(Default)]
struct Baseline {
    orders: HashMap<u64, (u32, usize, i64, u32)>,
    sides: Vec<[BTreeMap<i64, (u64, u32)>; 2]>,
}

impl Baseline {
    fn remove(&mut self, r: u64, qty: u32) -> u64 {
        let Some(o) = self.orders.get_mut(&r) else {
            return 0;
        };
        let (inst, side, price, open) = *o;
        let level = self.sides[inst as usize][side].get_mut(&price).unwrap();
        level.0 -= u64::from(qty);
        if qty == open {
            self.orders.remove(&r);
            level.1 -= 1;
            if level.1 == 0 {
                self.sides[inst as usize][side].remove(&price);
                return 0;
            }
        } else {
            o.3 -= qty;
        }
        level.0
    }

    fn add(&mut self, r: u64, inst: u32, side: usize, price: i64, qty: u32) -> u64 {
        self.orders.insert(r, (inst, side, price, qty));
        let level = self.sides[inst as usize][side].entry(price).or_default();
        level.0 += u64::from(qty);
        level.1 += 1;
        level.0
    }

    fn apply(&mut self, ev: &Ev) -> u64 {
        match *ev {
            Ev::Add {
                r,
                inst,
                side,
                price,
                qty,
            } => self.add(r, inst, usize::from(side.is_sell()), price, qty),
            Ev::Exec { r, qty } | Ev::Cancel { r, qty } => self.remove(r, qty),
            Ev::Delete { r } => {
                let qty = self.orders.get(&r).map_or(0, |o| o.3);
                self.remove(r, qty)
            }
            Ev::Replace {
                old,
                new,
                price,
                qty,
            } => {
                let Some(&(inst, side, _, open)) = self.orders.get(&old) else {
                    return 0;
                };
                self.remove(old, open);
                self.add(new, inst, side, price, qty)
            }
        }
    }
}

fn replay_baseline(events: &[Ev]) -> Duration {
    let mut b = Baseline {
        orders: HashMap::with_capacity(1 << 20),
        sides: (0..instruments())
            .map(|_| [BTreeMap::new(), BTreeMap::new()])
            .collect(),
    };
    let start = Instant::now();
    let mut acc = 0u64;
    for ev in events {
        acc = acc.wrapping_add(b.apply(ev));
    }
    let elapsed = start.elapsed();
    black_box(acc);
    elapsed
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn one_shot_report(events: &[Ev]) {
    let mut kinds = [0usize; 5];
    for ev in events {
        kinds[match ev {
            Ev::Add { .. } => 0,
            Ev::Exec { .. } => 1,
            Ev::Cancel { .. } => 2,
            Ev::Delete { .. } => 3,
            Ev::Replace { .. } => 4,
        }] += 1;
    }
    let rss_before = status_kib("VmRSS:");
    let (elapsed, book) = replay(events);
    let rss_after = status_kib("VmRSS:");
    // Distance of each changed level from the touch, replayed on a second book.
    let mut near = 0usize;
    let mut check = OrderBook::new(limits()).unwrap();
    for ev in events {
        if apply(&mut check, ev) < 8 {
            near += 1;
        }
    }
    let n = events.len() as f64;
    println!(
        "one-shot: {} events (add {} exec {} cancel {} delete {} replace {}) over {} instruments in {:.3} s = {:.1} M events/s, {:.1} ns/event",
        events.len(), kinds[0], kinds[1], kinds[2], kinds[3], kinds[4], instruments(),
        elapsed.as_secs_f64(), n / elapsed.as_secs_f64() / 1e6, elapsed.as_nanos() as f64 / n
    );
    println!(
        "one-shot: resting orders at end {}, changed level within 8 of the touch: {:.1}%",
        book.order_count(),
        100.0 * near as f64 / n
    );
    println!(
        "one-shot: VmRSS before book {rss_before} KiB, after replay {rss_after} KiB (book ~{} KiB), VmHWM {} KiB",
        rss_after.saturating_sub(rss_before), status_kib("VmHWM:")
    );
    drop(book);
    let base = replay_baseline(events);
    println!(
        "one-shot: baseline btreemap+hashmap {:.1} ns/event ({:.2}x crossbar-book)",
        base.as_nanos() as f64 / n,
        base.as_secs_f64() / elapsed.as_secs_f64()
    );
}

fn benches(c: &mut Criterion) {
    let events = generate(event_count(), 0x5EED_0001);
    one_shot_report(&events);
    if std::env::var_os("BOOK_BENCH_ONE_SHOT_ONLY").is_some() {
        return;
    }
    let count = events.len() as u64;

    let mut group = c.benchmark_group("replay");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(count));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function(BenchmarkId::new("crossbar_book", count), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| replay(&events).0).sum())
    });
    group.bench_function(BenchmarkId::new("baseline_btreemap_hashmap", count), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| replay_baseline(&events)).sum())
    });
    group.finish();

    // Single operations on a book populated by the first 2M events.
    let (_, mut book) = replay(&events[..2_000_000]);
    let mut ops = c.benchmark_group("ops");
    let mut i = 0u32;
    let mut r = 1u64 << 40;
    ops.bench_function("add_then_delete_at_existing_best_level", |b| {
        b.iter(|| {
            i = (i + 7) % instruments();
            r += 1;
            let inst = InstrumentId(i);
            let price = book.best_bid(inst).map_or(Price(1_000_000), |l| l.price);
            black_box(book.add(r, inst, Side::Buy, price, Qty(100)).unwrap());
            black_box(book.delete(r).unwrap());
        })
    });
    ops.bench_function("add_then_delete_new_best_level", |b| {
        b.iter(|| {
            i = (i + 7) % instruments();
            r += 1;
            let inst = InstrumentId(i);
            let price = book
                .best_ask(inst)
                .map_or(Price(1_000_000), |l| Price(l.price.0 - 1));
            black_box(book.add(r, inst, Side::Sell, price, Qty(100)).unwrap());
            black_box(book.delete(r).unwrap());
        })
    });
    ops.bench_function("add_replace_delete_near_touch", |b| {
        b.iter(|| {
            i = (i + 7) % instruments();
            r += 2;
            let inst = InstrumentId(i);
            let price = book.best_bid(inst).map_or(Price(1_000_000), |l| l.price);
            black_box(book.add(r, inst, Side::Buy, price, Qty(100)).unwrap());
            black_box(
                book.replace(r, r + 1, Price(price.0 - TICK), Qty(200))
                    .unwrap(),
            );
            black_box(book.delete(r + 1).unwrap());
        })
    });
    let refs: Vec<u64> = events[..2_000_000]
        .iter()
        .filter_map(|e| match e {
            Ev::Add { r, .. } => Some(*r),
            _ => None,
        })
        .filter(|r| book.order(*r).is_some())
        .collect();
    let mut k = 0usize;
    ops.bench_function("order_lookup_hit", |b| {
        b.iter(|| {
            k = (k + 7919) % refs.len();
            black_box(book.order(refs[k]))
        })
    });
    ops.finish();
}

criterion_group!(book_benches, benches);
criterion_main!(book_benches);
