//! Randomized differential test: ~1M events (fixed seed) applied to both the real book and an
//! obviously-correct reference model built on `BTreeMap`/`VecDeque`/`HashMap`. Every event's
//! result (level update or error) must match exactly, and every 1,000 events all levels, all
//! queues (time priority) and the order count are compared. Limits are small so that capacity
//! errors, duplicates, unknown refs and overfills all occur often. Run three times: with 12 levels
//! per side (every level in the book's inline window of 16) and with 40 levels per side over
//! 70 prices (levels move between the inline window and the overflow arena all the time), and
//! once with sparse, jumping order references (the book's reference window and its fallback).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crossbar_book::*;
use crossbar_model::{InstrumentId, Price, Qty, Side};

const INSTRUMENTS: u32 = 4;
const ORDERS: u32 = 300;
const EVENTS: u64 = 1_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
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
struct ModelOrder {
    instrument: u32,
    side: usize,
    price: i64,
    qty: u32,
}

/// The reference: per instrument and side, price -> FIFO of refs; ref -> order.
struct Model {
    levels: u32,
    orders: HashMap<u64, ModelOrder>,
    sides: Vec<[BTreeMap<i64, VecDeque<u64>>; 2]>,
}

fn side_of(side: usize) -> Side {
    if side == 1 {
        Side::Sell
    } else {
        Side::Buy
    }
}

impl Model {
    fn new(levels: u32) -> Self {
        Self {
            levels,
            orders: HashMap::new(),
            sides: (0..INSTRUMENTS)
                .map(|_| [BTreeMap::new(), BTreeMap::new()])
                .collect(),
        }
    }

    fn index(&self, inst: u32, side: usize, price: i64) -> u32 {
        let levels = &self.sides[inst as usize][side];
        let better = if side == 0 {
            levels.range(price + 1..).count()
        } else {
            levels.range(..price).count()
        };
        better as u32
    }

    fn update(&self, inst: u32, side: usize, price: i64, action: LevelAction) -> LevelUpdate {
        let queue = &self.sides[inst as usize][side][&price];
        LevelUpdate {
            instrument: InstrumentId(inst),
            side: side_of(side),
            price: Price(price),
            qty: queue.iter().map(|r| u64::from(self.orders[r].qty)).sum(),
            order_count: queue.len() as u32,
            level_index: self.index(inst, side, price),
            action,
        }
    }

    fn insert(&mut self, order_ref: u64, o: ModelOrder) -> LevelUpdate {
        let queue = self.sides[o.instrument as usize][o.side]
            .entry(o.price)
            .or_default();
        let action = if queue.is_empty() {
            LevelAction::New
        } else {
            LevelAction::Change
        };
        queue.push_back(order_ref);
        self.orders.insert(order_ref, o);
        self.update(o.instrument, o.side, o.price, action)
    }

    fn remove_qty(&mut self, order_ref: u64, qty: u32) -> LevelUpdate {
        let o = self.orders[&order_ref];
        if qty < o.qty {
            self.orders.get_mut(&order_ref).unwrap().qty -= qty;
            return self.update(o.instrument, o.side, o.price, LevelAction::Change);
        }
        let index = self.index(o.instrument, o.side, o.price);
        let levels = &mut self.sides[o.instrument as usize][o.side];
        let queue = levels.get_mut(&o.price).unwrap();
        queue.retain(|r| *r != order_ref);
        let emptied = queue.is_empty();
        if emptied {
            levels.remove(&o.price);
        }
        self.orders.remove(&order_ref);
        if emptied {
            LevelUpdate {
                instrument: InstrumentId(o.instrument),
                side: side_of(o.side),
                price: Price(o.price),
                qty: 0,
                order_count: 0,
                level_index: index,
                action: LevelAction::Delete,
            }
        } else {
            self.update(o.instrument, o.side, o.price, LevelAction::Change)
        }
    }

    fn add(
        &mut self,
        order_ref: u64,
        inst: u32,
        side: Side,
        price: i64,
        qty: u32,
    ) -> Result<LevelUpdate, BookError> {
        if inst >= INSTRUMENTS {
            return Err(BookError::UnknownInstrument {
                instrument: inst,
                instruments: INSTRUMENTS,
            });
        }
        if qty == 0 {
            return Err(BookError::ZeroQty { order_ref });
        }
        if self.orders.contains_key(&order_ref) {
            return Err(BookError::DuplicateOrder { order_ref });
        }
        if self.orders.len() == ORDERS as usize {
            return Err(BookError::Capacity {
                resource: Resource::Orders,
                limit: ORDERS,
                instrument: inst,
            });
        }
        let s = usize::from(side.is_sell());
        let levels = &self.sides[inst as usize][s];
        if !levels.contains_key(&price) && levels.len() == self.levels as usize {
            return Err(BookError::Capacity {
                resource: Resource::Levels,
                limit: self.levels,
                instrument: inst,
            });
        }
        Ok(self.insert(
            order_ref,
            ModelOrder {
                instrument: inst,
                side: s,
                price,
                qty,
            },
        ))
    }

    fn reduce(&mut self, order_ref: u64, qty: u32) -> Result<Reduction, BookError> {
        if qty == 0 {
            return Err(BookError::ZeroQty { order_ref });
        }
        let o = *self
            .orders
            .get(&order_ref)
            .ok_or(BookError::UnknownOrder { order_ref })?;
        if qty > o.qty {
            return Err(BookError::Overfill {
                order_ref,
                qty,
                open_qty: o.qty,
            });
        }
        let level = self.remove_qty(order_ref, qty);
        Ok(Reduction {
            level,
            removed_qty: Qty(qty),
            remaining_qty: Qty(o.qty - qty),
        })
    }

    fn delete(&mut self, order_ref: u64) -> Result<LevelUpdate, BookError> {
        let o = *self
            .orders
            .get(&order_ref)
            .ok_or(BookError::UnknownOrder { order_ref })?;
        Ok(self.remove_qty(order_ref, o.qty))
    }

    fn replace(
        &mut self,
        old_ref: u64,
        new_ref: u64,
        price: i64,
        qty: u32,
    ) -> Result<Replaced, BookError> {
        if qty == 0 {
            return Err(BookError::ZeroQty { order_ref: new_ref });
        }
        let o = *self
            .orders
            .get(&old_ref)
            .ok_or(BookError::UnknownOrder { order_ref: old_ref })?;
        if new_ref != old_ref && self.orders.contains_key(&new_ref) {
            return Err(BookError::DuplicateOrder { order_ref: new_ref });
        }
        let levels = &self.sides[o.instrument as usize][o.side];
        let old_goes = levels[&o.price].len() == 1;
        if !levels.contains_key(&price) && levels.len() == self.levels as usize && !old_goes {
            return Err(BookError::Capacity {
                resource: Resource::Levels,
                limit: self.levels,
                instrument: o.instrument,
            });
        }
        let removed = self.remove_qty(old_ref, o.qty);
        let added = self.insert(new_ref, ModelOrder { price, qty, ..o });
        Ok(Replaced { removed, added })
    }
}

fn compare_all(book: &OrderBook, model: &Model, step: u64) {
    assert_eq!(
        book.order_count(),
        model.orders.len(),
        "order count at step {step}"
    );
    let mut out = vec![Level::EMPTY; model.levels as usize + 1];
    for inst in 0..INSTRUMENTS {
        for s in 0..2 {
            let side = side_of(s);
            let n = book
                .depth(InstrumentId(inst), side, out.len(), &mut out)
                .unwrap();
            let expected: Vec<(i64, u64, u32, Vec<u64>)> = {
                let levels = &model.sides[inst as usize][s];
                let iter: Box<dyn Iterator<Item = (&i64, &VecDeque<u64>)>> = if s == 0 {
                    Box::new(levels.iter().rev())
                } else {
                    Box::new(levels.iter())
                };
                iter.map(|(p, q)| {
                    let qty = q.iter().map(|r| u64::from(model.orders[r].qty)).sum();
                    (*p, qty, q.len() as u32, q.iter().copied().collect())
                })
                .collect()
            };
            let actual: Vec<(i64, u64, u32, Vec<u64>)> = out[..n]
                .iter()
                .map(|l| {
                    let queue = book
                        .queue(InstrumentId(inst), side, l.price)
                        .map(|o| o.order_ref)
                        .collect();
                    (l.price.0, l.qty, l.order_count, queue)
                })
                .collect();
            assert_eq!(
                actual, expected,
                "instrument {inst} side {s} at step {step}"
            );
        }
    }
}

/// The reference after `r` for `pattern`.
fn next_after(r: u64, pattern: RefPattern, rng: &mut Rng) -> u64 {
    match pattern {
        RefPattern::Increasing => r + 1,
        RefPattern::Sparse => match rng.below(1_000) {
            0 => u64::MAX - 2_000_000 - rng.below(1_000),
            1 if r > u64::MAX / 2 => rng.below(1_000),
            _ => {
                let bits = rng.below(41);
                r.saturating_add(1 + rng.below(1 << bits))
            }
        },
    }
}

#[test]
fn book_matches_reference_model_over_a_million_random_events() {
    run(12, 30, 0xC0FF_EE00_D15E_A5E5, RefPattern::Increasing);
}

/// References that jump by up to 2^40 (and sometimes to near `u64::MAX`), so the book's
/// direct-indexed reference window keeps moving and rebasing and most keys live in its hash
/// fallback: the map must stay exact for arbitrary references, not only ITCH-like ones.
#[test]
fn book_matches_reference_model_with_sparse_order_references() {
    run(12, 30, 0x0DDB_A11C_AFE0_F00D, RefPattern::Sparse);
}

#[test]
fn deep_book_matches_reference_model_across_the_inline_window() {
    run(40, 70, 0x5EED_0F0D_EEDB_00C5, RefPattern::Increasing);
}

/// How new order references are drawn.
#[derive(Clone, Copy, PartialEq)]
enum RefPattern {
    /// Increasing by one (ITCH 5.0: unique for the day, assigned in order).
    Increasing,
    /// Increasing by random strides up to 2^40, one in 1,000 jumping to near `u64::MAX` and
    /// wrapping back to small values.
    Sparse,
}

/// `levels` per side, limit prices drawn uniformly from `price_spread` ticks.
fn run(levels: u32, price_spread: u64, seed: u64, refs: RefPattern) {
    let mut book = OrderBook::new(BookLimits {
        instruments: INSTRUMENTS,
        orders: ORDERS,
        levels_per_side: levels,
    })
    .unwrap();
    let mut model = Model::new(levels);
    let mut rng = Rng(seed);
    let mut deepest = 0;
    let mut next_ref: u64 = 1;
    let mut live: Vec<u64> = Vec::new();
    let mut kinds = [0u64; 5];
    let mut errors: HashMap<&'static str, u64> = HashMap::new();
    for step in 0..EVENTS {
        // A ref that is usually live, sometimes never used, sometimes just deleted.
        let pick = |rng: &mut Rng, live: &Vec<u64>, next_ref: u64| -> u64 {
            match rng.below(20) {
                0 => next_ref.wrapping_add(1_000_000),
                1 => rng.below(next_ref.max(1)),
                _ if !live.is_empty() => live[rng.below(live.len() as u64) as usize],
                _ => next_ref,
            }
        };
        let price = 1_000 + rng.below(price_spread) as i64 - (price_spread / 2) as i64;
        let qty = match rng.below(30) {
            0 => 0,
            1 => u32::MAX,
            _ => 1 + rng.below(500) as u32,
        };
        let kind = rng.below(100);
        let (got, want) = match kind {
            0..=39 => {
                kinds[0] += 1;
                let order_ref = if rng.below(50) == 0 {
                    pick(&mut rng, &live, next_ref)
                } else {
                    next_ref
                };
                next_ref = next_after(next_ref, refs, &mut rng);
                let inst = if rng.below(200) == 0 {
                    INSTRUMENTS
                } else {
                    rng.below(u64::from(INSTRUMENTS)) as u32
                };
                let side = [Side::Buy, Side::Sell, Side::SellShort][rng.below(3) as usize];
                let got = book.add(order_ref, InstrumentId(inst), side, Price(price), Qty(qty));
                let want = model.add(order_ref, inst, side, price, qty);
                if want.is_ok() {
                    live.push(order_ref);
                }
                (format!("{got:?}"), format!("{want:?}"))
            }
            40..=49 => {
                kinds[1] += 1;
                let r = pick(&mut rng, &live, next_ref);
                let open = model.orders.get(&r).map_or(1, |o| o.qty);
                let q = if rng.below(3) == 0 {
                    open
                } else {
                    qty % open.saturating_add(1)
                };
                let q = if rng.below(25) == 0 {
                    open.saturating_add(1)
                } else {
                    q
                };
                (
                    format!("{:?}", book.execute(r, Qty(q))),
                    format!("{:?}", model.reduce(r, q)),
                )
            }
            50..=57 => {
                kinds[2] += 1;
                let r = pick(&mut rng, &live, next_ref);
                let open = model.orders.get(&r).map_or(1, |o| o.qty);
                let q = if rng.below(10) == 0 {
                    open.saturating_add(1)
                } else {
                    1 + (qty % open.max(1))
                };
                (
                    format!("{:?}", book.cancel(r, Qty(q))),
                    format!("{:?}", model.reduce(r, q)),
                )
            }
            58..=89 => {
                kinds[3] += 1;
                let r = pick(&mut rng, &live, next_ref);
                (
                    format!("{:?}", book.delete(r)),
                    format!("{:?}", model.delete(r)),
                )
            }
            _ => {
                kinds[4] += 1;
                let old = pick(&mut rng, &live, next_ref);
                let new = match rng.below(20) {
                    0 => old,
                    1 => pick(&mut rng, &live, next_ref),
                    _ => {
                        let new = next_ref;
                        next_ref = next_after(next_ref, refs, &mut rng);
                        new
                    }
                };
                let got = book.replace(old, new, Price(price), Qty(qty));
                let want = model.replace(old, new, price, qty);
                if want.is_ok() {
                    live.push(new);
                }
                (format!("{got:?}"), format!("{want:?}"))
            }
        };
        assert_eq!(got, want, "event {step}");
        if let Some(code) = want
            .strip_prefix("Err(")
            .and_then(|s| s.split([' ', '(']).next())
        {
            *errors
                .entry(Box::leak(code.to_owned().into_boxed_str()))
                .or_default() += 1;
        }
        if step % 64 == 0 {
            live.retain(|r| model.orders.contains_key(r));
        }
        if step % 1_000 == 0 {
            compare_all(&book, &model, step);
            for inst in 0..INSTRUMENTS {
                for side in [Side::Buy, Side::Sell] {
                    deepest = deepest.max(book.level_count(InstrumentId(inst), side));
                }
            }
        }
    }
    compare_all(&book, &model, EVENTS);
    assert_eq!(book.counters().rejected(), errors.values().sum::<u64>());
    // Every kind of event and every error actually occurred.
    assert!(kinds.iter().all(|&k| k > 50_000), "{kinds:?}");
    for code in [
        "UnknownOrder",
        "DuplicateOrder",
        "Overfill",
        "Capacity",
        "UnknownInstrument",
        "ZeroQty",
    ] {
        assert!(
            errors.get(code).copied().unwrap_or(0) > 100,
            "{code}: {errors:?}"
        );
    }
    // The deep run must really use more levels than the inline window holds, and reach the
    // limit; the shallow one must reach its limit.
    assert_eq!(deepest, levels as usize, "deepest side");
    eprintln!("differential: levels {levels} kinds {kinds:?} errors {errors:?}");
}
