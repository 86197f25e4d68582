//! What the book reports: level views, per-event level changes, order views, counters.

use crossbar_model::{InstrumentId, Price, Qty, Side};

/// One aggregated price level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// The level's price, 1/10,000 currency units.
    pub price: Price,
    /// Total open shares of all orders at this price (u64: many u32 orders can exceed u32).
    pub qty: u64,
    /// Number of resting orders at this price.
    pub order_count: u32,
}

impl Level {
    /// A zeroed level, for filling depth buffers before [`crate::OrderBook::depth`].
    pub const EMPTY: Level = Level {
        price: Price::ZERO,
        qty: 0,
        order_count: 0,
    };
}

/// What happened to a price level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelAction {
    /// The level did not exist before this event; it now holds one order.
    New,
    /// The level existed and still exists with a different quantity or order count.
    Change,
    /// The level's last order left; the level is gone.
    Delete,
}

/// The one price level an event changed, with enough to emit an SBE BookLevelDelta (and, when
/// `level_index == 0`, a TopOfBook) without rescanning the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelUpdate {
    /// The instrument.
    pub instrument: InstrumentId,
    /// [`Side::Buy`] for the bid side, [`Side::Sell`] for the ask side (sell-short orders
    /// rest on the ask side and are reported as `Sell`).
    pub side: Side,
    /// The level's price, 1/10,000 currency units.
    pub price: Price,
    /// Total open shares at the level after the event (0 for [`LevelAction::Delete`]).
    pub qty: u64,
    /// Orders at the level after the event (0 for [`LevelAction::Delete`]).
    pub order_count: u32,
    /// Position from the best price on this side, 0 = best. For `Delete` it is the position
    /// the level had just before it was removed.
    pub level_index: u32,
    /// New, changed or deleted.
    pub action: LevelAction,
}

/// Result of an execute or a partial cancel: the level change and what is left of the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduction {
    /// The level the order rests at, after the event.
    pub level: LevelUpdate,
    /// Shares removed from the order by this event.
    pub removed_qty: Qty,
    /// Shares still open; 0 means the order left the book.
    pub remaining_qty: Qty,
}

/// Result of a replace (ITCH 5.0 §4.6 Order Replace): the old order leaves its level, then the
/// new order joins the back of the queue at its price. Apply `removed` before `added`; when
/// both are at the same price, `added` carries the level's final state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// The old order's level after the old order left.
    pub removed: LevelUpdate,
    /// The new order's level after the new order joined.
    pub added: LevelUpdate,
}

/// A resting order as the book holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderView {
    /// The venue's order reference number.
    pub order_ref: u64,
    /// The instrument.
    pub instrument: InstrumentId,
    /// [`Side::Buy`] or [`Side::Sell`] (book side).
    pub side: Side,
    /// Limit price, 1/10,000 currency units.
    pub price: Price,
    /// Open shares.
    pub qty: Qty,
}

/// Best levels, last trade and staleness of one instrument, for the risk price collar and
/// TopOfBook messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopOfBook {
    /// Best (highest) bid level.
    pub bid: Option<Level>,
    /// Best (lowest) ask level.
    pub ask: Option<Level>,
    /// Price of the resting order hit by the most recent execute (ITCH 5.0 §4.5.1 Order
    /// Executed trades at the resting order's price).
    pub last_trade_price: Option<Price>,
    /// True while the feed handler has a gap open for this instrument.
    pub stale: bool,
}

/// Events applied and rejected, by kind and by error code. Monotonic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookCounters {
    /// Adds applied.
    pub adds: u64,
    /// Executes applied.
    pub executes: u64,
    /// Partial cancels applied.
    pub cancels: u64,
    /// Deletes applied.
    pub deletes: u64,
    /// Replaces applied.
    pub replaces: u64,
    /// Rejected with `BOOK_UNKNOWN_ORDER`.
    pub unknown_order: u64,
    /// Rejected with `BOOK_DUPLICATE_ORDER`.
    pub duplicate_order: u64,
    /// Rejected with `BOOK_OVERFILL`.
    pub overfill: u64,
    /// Rejected with `BOOK_CAPACITY`.
    pub capacity: u64,
    /// Rejected with `BOOK_UNKNOWN_INSTRUMENT`.
    pub unknown_instrument: u64,
    /// Rejected with `BOOK_ZERO_QTY`.
    pub zero_qty: u64,
}

impl BookCounters {
    /// All rejected events.
    pub fn rejected(&self) -> u64 {
        self.unknown_order
            + self.duplicate_order
            + self.overfill
            + self.capacity
            + self.unknown_instrument
            + self.zero_qty
    }
}
