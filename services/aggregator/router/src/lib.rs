//! # crossbar-router
//!
//! The central aggregator's core logic as a pure library: it owns no sockets, threads or
//! clocks. One owner (the aggregator's router agent) calls [`Router`]'s `on_*` methods in
//! event order with its clock (`now_ns`), and the router emits [`Command`]s into a
//! [`CommandSink`] for the glue to encode as SBE and publish over Aeron. Single writer,
//! deterministic: the same events and clock give the same commands.
//!
//! | event in (SBE, `schemas/crossbar.xml`) | method |
//! |---|---|
//! | Heartbeat (1) | [`Router::on_heartbeat`] |
//! | BookLevelDelta (10) | [`Router::on_book_delta`] |
//! | TopOfBook (11) | [`Router::on_top_of_book`] |
//! | FeedStatus (14) | [`Router::on_feed_status`] |
//! | ExecutionReport (23) | [`Router::on_execution_report`] |
//! | OrderReject (24) | [`Router::on_order_reject`] |
//! | CreditReturn (31) | [`Router::on_credit_return`] |
//! | PositionUpdate (32) | [`Router::on_position_update`] |
//! | (gRPC) new / cancel parent | [`Router::submit_parent`], [`Router::cancel_parent`] |
//! | (gRPC) kill switch | [`Router::engage_kill_switch`], [`Router::release_kill_switch`] |
//! | (gRPC) Limits.Set | [`Router::set_limits`] |
//! | (timer) duty cycle | [`Router::on_tick`] (heartbeat timeouts, parked parents) |
//!
//! Commands out: [`NewChildOrder`] (20), [`CancelOrder`] (21), [`CreditGrant`] (30),
//! [`RiskLimitsChanged`] (33, the table itself is [`Router::risk`] `.all_limits()`),
//! [`KillSwitch`] (34), each order command carrying the destination gateway.
//!
//! Units: prices and notional in 1/10,000 $ (`crossbar_model::Price`), shares as
//! `crossbar_model::Qty` (u32) or u64 aggregates, fees in 1/10,000 $ per share, times in ns.
//! No floats anywhere in the decision path.
//!
//! Parts: [`book`] (top-N levels per instrument and venue), [`nbbo`], [`venue`] (health,
//! latency EWMA), [`parent`] and [`child`] (state tables), [`strategy`] (sweep, cost-aware,
//! post), [`risk`] (positions, exposure, limits), [`credit`] (gateway slices), [`kill`],
//! [`snapshot`] (reader views). All sizes come from [`RouterLimits`]; errors are
//! [`RouterError`] with stable `ROUTER_*` codes. See `docs/router.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod book;
pub mod child;
mod counters;
pub mod credit;
mod error;
mod events;
pub mod kill;
mod limits;
pub mod nbbo;
pub mod parent;
pub mod risk;
mod router;
pub mod snapshot;
pub mod strategy;
pub mod venue;

pub use counters::Counters;
pub use error::{RiskReason, RouterError};
pub use events::*;
pub use limits::*;
pub use router::Router;
