//! # crossbar-aggregator
//!
//! The central aggregator process (`crossbar-aggregator --config FILE`): the router core
//! (`crossbar-router`) on one single-writer thread between the gateways' Aeron streams and
//! the operator's gRPC API, with every order event journaled before it is acted on or sent.
//! Guide: `docs/aggregator.md`.
//!
//! ```text
//!  gateways ──market_data 1003──►┌──────────── router thread (agent) ───────────┐
//!           ──executions 1002───►│ decode SBE → journal (in) → Router → journal  │──orders 1100+N──► gateway N
//!                                │ (out) → Outbox per gateway (back pressure)    │   NewChildOrder, CancelOrder,
//!  gRPC (tokio) ─bounded queue──►│ commands; snapshots → ArcSwap<Published>      │   CreditGrant, KillSwitch, Heartbeat
//!       ◄── replies (oneshot) ───└───────────────────────────────────────────────┘
//!       ◄── reads / streams: differ task over the published snapshots
//! ```
//!
//! Modules: [`config`] (file and validation), [`codec`] (SBE ↔ router types, journal record
//! shapes), [`core`] (the agent), [`outbox`] (per-gateway back-pressure queue), [`orders`]
//! (the API's view of parents and children), [`publisher`] (the readers' snapshot, built from
//! what changed), [`replay`] (restart from the journal),
//! [`views`] (proto conversion), [`backend`] (the `crossbar_api::Backend`), [`startup`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backend;
pub mod codec;
pub mod config;
pub mod core;
pub mod orders;
pub mod outbox;
pub mod publisher;
pub mod replay;
pub mod resync;
pub mod startup;
pub mod views;
