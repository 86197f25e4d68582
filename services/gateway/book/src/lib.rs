//! # crossbar-book
//!
//! A venue-neutral, order-by-order (L3) limit order book for many instruments, run on the
//! gateway's hot path. Feed adapters (NASDAQ ITCH 5.0, NYSE Pillar XDP, Cboe PITCH) normalize
//! their messages into five events, and the book applies them:
//!
//! | event | ITCH 5.0 | method |
//! |---|---|---|
//! | add | §4.3.1 Add Order, §4.3.2 Add Order with MPID | [`OrderBook::add`] |
//! | execute | §4.5.1 Order Executed, §4.5.2 with Price | [`OrderBook::execute`] |
//! | partial cancel | §4.5.3 Order Cancel | [`OrderBook::cancel`] |
//! | delete | §4.5.4 Order Delete | [`OrderBook::delete`] |
//! | replace | §4.6 Order Replace (loses priority) | [`OrderBook::replace`] |
//!
//! Each event returns the one price level it changed ([`LevelUpdate`]: side, price, aggregate
//! shares, order count, index from the best, New/Change/Delete), so the gateway can publish
//! SBE BookLevelDelta and TopOfBook messages without rescanning, or a [`BookError`] whose
//! message starts with a stable code (`BOOK_UNKNOWN_ORDER`, `BOOK_DUPLICATE_ORDER`,
//! `BOOK_OVERFILL`, `BOOK_CAPACITY`, ...). A rejected event changes nothing except
//! [`BookCounters`]; the book never panics on bad input.
//!
//! ## Memory
//! Everything is sized once from [`BookLimits`] in [`OrderBook::new`]; afterwards no event
//! allocates. When a limit is reached the event is rejected with `BOOK_CAPACITY`.
//!
//! * instruments: one dense array of 896-byte records, each holding the stale flag, last
//!   trade and the best 15 levels of both sides inline (the levels nearly every event touches),
//!   so an event for a cold instrument reads one contiguous block;
//! * orders: a slab of 32-byte records with a free list, each linked into its level's FIFO
//!   queue (so the book keeps time priority, not just totals);
//! * order refs: a direct-indexed window over the most recent references (ITCH assigns them
//!   in increasing order, so nearly every lookup lands there: no hash, no probe), and for
//!   references outside it a [`RefMap`], an open-addressing table (linear probing, backward-shift
//!   deletion, load factor at most 1/2) from the venue's sparse `u64` reference number to the
//!   slab index;
//! * levels: per instrument and side, sorted with the best price at the end, so the common
//!   case (events at or near the touch) shifts only a few entries (a side's level count and
//!   its best 15 keys are one 128-byte array searched by independent compares, not a chain of
//!   dependent ones); the best 15 live in the instrument record, deeper ones in the side's
//!   region of one overflow arena that is paged in only when used.
//!
//! See `docs/book.md` for the reasoning and `docs/bench/book.md` for measurements.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod book;
mod error;
pub mod ladder;
mod levels;
mod limits;
#[allow(unsafe_code)]
mod prefetch;
mod ref_map;
mod ref_window;
mod update;

#[cfg(test)]
mod tests;

pub use book::{OrderBook, Queue};
pub use error::{BookError, Resource};
pub use limits::BookLimits;
pub use ref_map::{InsertError, RefMap};
pub use update::{
    BookCounters, Level, LevelAction, LevelUpdate, OrderView, Reduction, Replaced, TopOfBook,
};
