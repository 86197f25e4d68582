//! # crossbar-order-entry
//!
//! The gateway's order-entry path for a NASDAQ-style venue: SBE child orders from the router
//! (`schemas/crossbar.xml` NewChildOrder / CancelOrder / ReplaceOrder) go through local
//! pre-trade risk ([`crossbar_risk::RiskEngine`]) and leave as OUCH 5.0 messages (§2.1 Enter,
//! §2.2 Replace, §2.3 Cancel) in SoupBinTCP 3.0 Unsequenced Data packets (§2.3.2); the venue's
//! sequenced responses (OUCH 5.0 §3.2 Accepted, §3.3 Replaced, §3.4 Canceled, §3.6 Executed,
//! §3.8 Rejected) come back as SBE ExecutionReport / OrderReject and update risk.
//!
//! | piece | job |
//! |---|---|
//! | [`OrderRouter`] | pure core: decode, risk, map ids and symbols, encode; no sockets, clock passed in |
//! | [`OrderState`], [`OrderEvent`], [`transition`] | the per-order state machine, one `match` table |
//! | [`OuchSession`] | the agent: owns the venue `TcpStream`, drives the SoupBinTCP client, reconnects with replay |
//! | [`OrderEntryConfig`] | every size and the instrument table, read once at start-up |
//! | [`venue_time_to_utc_ns`] | OUCH Timestamps (ns since the venue's midnight) as UTC ns, for `venueTimestampNs` |
//!
//! Nothing allocates per order: the order table, the id and token indexes and the
//! duplicate-execution window are sized from [`OrderEntryConfig`] in [`OrderRouter::new`].
//! Duplicate executions (a match number seen again, e.g. replayed after a reconnect) are
//! detected and ignored, so fills are never counted twice. See `docs/order-entry.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod dedup;
mod error;
mod router;
mod session;
mod state;
mod table;
mod text;
mod venue_time;

pub use config::OrderEntryConfig;
pub use error::OrderEntryError;
pub use router::{venue_origin, OrderRouter, OuchSink, Outcome, RouterCounters, VenueOrigin};
pub use session::{OuchSession, SbeSink, SessionCounters, READ_BYTES_MAX, SBE_BYTES_MAX};
pub use state::{transition, InvalidTransition, OrderEvent, OrderState};
pub use venue_time::{venue_time_to_utc_ns, NS_PER_DAY, VENUE_MIDNIGHT_OFFSET_MAX_S};
