//! # crossbar-risk
//!
//! Local pre-trade risk, checked on the gateway's hot path before any byte of an order goes
//! to the venue. [`RiskEngine::check_new_order`] runs, in order: request validity, fail closed,
//! kill switch (all / per instrument, optionally letting risk-reducing orders through),
//! halted instrument, duplicate order id (bounded window), max order quantity, max order
//! notional (`price * qty` in i128, 1/10,000 units), stale book, price collar (bps around the
//! venue's touch, or the last trade when a side is empty), position limit (position plus open
//! orders on the side plus this order, long and short), the aggregator's credit slice (shares
//! and notional), the order-rate throttle (exact sliding window, per instrument and per
//! session) and the open-order table.
//!
//! Checks are read-only; only an accepted order changes state, so a rejected order changes
//! nothing (except a reject counter). Rejections are [`RiskReject`], whose message starts with
//! a stable code (`RISK_MAX_ORDER_QTY qty=1200 max=1000 instrument=7`) and whose
//! [`RiskReject::code`] is the SBE OrderReject reason.
//!
//! Everything is sized once from [`RiskLimits`]; nothing allocates per order. The engine owns
//! no thread and reads no clock: the caller passes `now_ns`. See `docs/risk.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod engine;
mod ledger;
mod limits;
mod reject;
mod window;

#[cfg(test)]
mod tests;

pub use engine::{
    Credit, CreditView, FailClosedCause, KillScope, MarketView, OrderRequest, Reservation,
    RiskEngine,
};
pub use ledger::{held_after_statement, CreditLedger, LedgerError};
pub use limits::{InstrumentLimits, LimitsError, RiskLimits};
pub use reject::{FillOutcome, RiskReject, RiskStateError};
