//! # crossbar-matching
//!
//! A venue-neutral, protocol-free price-time priority matching engine for many instruments,
//! the core of Crossbar's venue simulator. The NASDAQ simulator seeds it by replaying an ITCH
//! 5.0 stream, lets OUCH 5.0 sessions trade against that book, and encodes the events it
//! emits back into ITCH (public) and OUCH (private); this crate knows neither wire format.
//!
//! ## Two kinds of orders
//! | source | calls | matching |
//! |---|---|---|
//! | seeded ("market") orders, from the venue's ITCH history | [`MatchingEngine::seed_add`], [`MatchingEngine::seed_execute`], [`MatchingEngine::seed_cancel`], [`MatchingEngine::seed_delete`], [`MatchingEngine::seed_replace`] (ITCH 5.0 §1.3.1 A/F, §1.4.1-2 E/C, §1.4.3 X, §1.4.4 D, §1.4.5 U) | never: rest exactly as given, even crossed |
//! | client orders, from sessions | [`MatchingEngine::enter`], [`MatchingEngine::cancel`], [`MatchingEngine::replace`] (OUCH 5.0 §2.1, §2.3, §2.2) | aggressively, against both sources, at the resting price |
//!
//! ## Events
//! Every call writes [`Event`]s, in the order they happen, to a caller's [`EventSink`]
//! (`Vec<Event>` implements it; clear and reuse one). [`FeedEvent`]s are what ITCH
//! publishes (AddOrder, OrderExecuted, OrderCancel, OrderDelete, OrderReplace);
//! [`PrivateEvent`]s are what one session is told (Accepted, Executed, Canceled, Replaced,
//! Rejected). Every match emits the feed execution of the resting order, the resting
//! client's execution (if it is a client order) and the aggressor's execution, all with one
//! match number. Client order reference numbers and match numbers come from a range of their
//! own ([`MatchingConfig`]) so they never collide with the history's.
//!
//! ## Errors
//! [`MatchError`] (`#[non_exhaustive]`, message = stable code + `key=value`). A refused call
//! changes nothing but [`MatchingCounters`]; nothing panics on bad input.
//!
//! ## Memory
//! Everything is sized once from [`MatchingLimits`] in [`MatchingEngine::new`]: an order
//! slab with a free list, [`crossbar_book::RefMap`] tables for order refs and session
//! tokens, and per instrument and side a level vector sorted with the best price last.
//! Afterwards no call allocates; a full table is [`MatchError::Capacity`].
//!
//! See `docs/matching.md` for the reasoning and `docs/bench/matching.md` for
//! measurements.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod engine;
mod error;
mod event;
mod ladder;
mod limits;
mod seed;

pub use client::OrderOutcome;
pub use engine::{AuditError, AuditTotals, LevelView, MatchingEngine, Owner, Queue, RestingOrder};
pub use error::{MatchError, RejectReason, Resource};
pub use event::{
    CancelReason, Event, EventSink, FeedEvent, Liquidity, MatchingCounters, PrivateEvent,
};
pub use limits::{MatchingConfig, MatchingLimits};
