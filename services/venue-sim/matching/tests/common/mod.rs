//! Shared helpers for the integration tests: a small engine, event constructors, and a
//! shadow book driven only by the feed events, compared against the engine.
#![allow(dead_code)] // each test binary uses a different subset

use crossbar_book::{BookLimits, OrderBook};
use crossbar_matching::*;
use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};

pub const I: InstrumentId = InstrumentId(0);
pub const REF0: u64 = 1_000_000;
pub const MATCH0: u64 = 5_000_000;

pub fn limits(orders: u32, levels: u32) -> MatchingLimits {
    MatchingLimits {
        instruments: 2,
        orders,
        levels_per_side: levels,
        sessions: 4,
        order_qty_max: MatchingLimits::NASDAQ_ORDER_QTY_MAX,
    }
}

/// Client refs from 1,000,000 and match numbers from 5,000,000 so expected events read easily.
pub fn engine_with(orders: u32, levels: u32) -> MatchingEngine {
    MatchingEngine::new(MatchingConfig {
        limits: limits(orders, levels),
        client_order_ref_first: REF0,
        match_number_first: MATCH0,
    })
    .unwrap()
}

pub fn engine() -> MatchingEngine {
    engine_with(64, 16)
}

/// Price in cents.
pub fn c(cents: i64) -> Price {
    Price(cents * 100)
}

pub fn add(order_ref: u64, side: Side, cents: i64, qty: u32) -> Event {
    Event::Feed(FeedEvent::AddOrder {
        instrument: I,
        order_ref,
        side,
        price: c(cents),
        qty: Qty(qty),
    })
}

pub fn feed_exec(order_ref: u64, qty: u32, match_number: u64) -> Event {
    Event::Feed(FeedEvent::OrderExecuted {
        instrument: I,
        order_ref,
        qty: Qty(qty),
        match_number,
    })
}

pub fn feed_cancel(order_ref: u64, qty: u32) -> Event {
    Event::Feed(FeedEvent::OrderCancel {
        instrument: I,
        order_ref,
        cancelled_qty: Qty(qty),
    })
}

pub fn feed_delete(order_ref: u64) -> Event {
    Event::Feed(FeedEvent::OrderDelete {
        instrument: I,
        order_ref,
    })
}

pub fn feed_replace(old: u64, new: u64, qty: u32, cents: i64) -> Event {
    Event::Feed(FeedEvent::OrderReplace {
        instrument: I,
        old_order_ref: old,
        new_order_ref: new,
        qty: Qty(qty),
        price: c(cents),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn accepted(
    session: u16,
    token: u32,
    order_ref: u64,
    side: Side,
    cents: i64,
    qty: u32,
    tif: TimeInForce,
) -> Event {
    Event::Private(PrivateEvent::Accepted {
        session,
        token,
        order_ref,
        instrument: I,
        side,
        price: c(cents),
        qty: Qty(qty),
        tif,
    })
}

pub fn exec(
    session: u16,
    token: u32,
    qty: u32,
    cents: i64,
    match_number: u64,
    liquidity: Liquidity,
) -> Event {
    Event::Private(PrivateEvent::Executed {
        session,
        token,
        qty: Qty(qty),
        price: c(cents),
        match_number,
        liquidity,
    })
}

pub fn canceled(session: u16, token: u32, qty: u32, reason: CancelReason) -> Event {
    Event::Private(PrivateEvent::Canceled {
        session,
        token,
        qty: Qty(qty),
        reason,
    })
}

pub fn rejected(session: u16, token: u32, reason: RejectReason) -> Event {
    Event::Private(PrivateEvent::Rejected {
        session,
        token,
        reason,
    })
}

/// Seeds an order and checks it emitted exactly its AddOrder.
pub fn seed(e: &mut MatchingEngine, order_ref: u64, side: Side, cents: i64, qty: u32) {
    let mut ev = Vec::new();
    e.seed_add(order_ref, I, side, c(cents), Qty(qty), &mut ev)
        .unwrap();
    assert_eq!(ev, vec![add(order_ref, side, cents, qty)]);
}

/// `(order_ref, price, qty, owner)` of one side in priority order.
pub fn side_queue(e: &MatchingEngine, inst: InstrumentId, side: Side) -> Vec<(u64, i64, u32)> {
    e.queue(inst, side)
        .map(|o| (o.order_ref, o.price.0, o.qty.0))
        .collect()
}

/// A downstream consumer's book, driven only by the engine's feed events: if the feed is a
/// faithful description of the engine's book, the two agree order by order.
pub struct Shadow {
    pub book: OrderBook,
}

impl Shadow {
    pub fn new(instruments: u32, orders: u32, levels: u32) -> Self {
        Self {
            book: OrderBook::new(BookLimits {
                instruments,
                orders,
                levels_per_side: levels,
            })
            .unwrap(),
        }
    }

    pub fn apply(&mut self, events: &[Event]) {
        for event in events {
            let Event::Feed(f) = *event else { continue };
            let applied = match f {
                FeedEvent::AddOrder {
                    instrument,
                    order_ref,
                    side,
                    price,
                    qty,
                } => self
                    .book
                    .add(order_ref, instrument, side, price, qty)
                    .map(|_| ()),
                FeedEvent::OrderExecuted { order_ref, qty, .. } => {
                    self.book.execute(order_ref, qty).map(|_| ())
                }
                FeedEvent::OrderCancel {
                    order_ref,
                    cancelled_qty,
                    ..
                } => self.book.cancel(order_ref, cancelled_qty).map(|_| ()),
                FeedEvent::OrderDelete { order_ref, .. } => self.book.delete(order_ref).map(|_| ()),
                FeedEvent::OrderReplace {
                    old_order_ref,
                    new_order_ref,
                    qty,
                    price,
                    ..
                } => self
                    .book
                    .replace(old_order_ref, new_order_ref, price, qty)
                    .map(|_| ()),
            };
            applied.unwrap_or_else(|err| panic!("feed event {f:?} does not apply: {err}"));
        }
    }

    pub fn side_queue(&self, inst: InstrumentId, side: Side) -> Vec<(u64, i64, u32)> {
        let mut out = Vec::new();
        for index in 0..self.book.level_count(inst, side) {
            let level = self.book.level(inst, side, index).unwrap();
            for o in self.book.queue(inst, side, level.price) {
                out.push((o.order_ref, o.price.0, o.qty.0));
            }
        }
        out
    }

    /// Panics unless the shadow and the engine hold the same orders in the same order.
    pub fn assert_matches(&self, e: &MatchingEngine, instruments: u32) {
        for i in 0..instruments {
            let inst = InstrumentId(i);
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(
                    self.side_queue(inst, side),
                    side_queue(e, inst, side),
                    "instrument {i} side {side:?}"
                );
            }
        }
    }
}
