//! # crossbar-api
//!
//! The aggregator's operator gRPC API, package `crossbar.v1` (`schemas/crossbar.proto`):
//! services Positions, Orders, Limits, KillSwitch and Venues, served with tonic on the
//! aggregator's tokio control plane. Guide: `docs/grpc-api.md`.
//!
//! The server does three things and nothing else:
//!
//! 1. **authenticates** each call ([`auth`]): mutating calls need a configured bearer token
//!    or a client certificate verified by the TLS handshake ([`tls`], `[api.tls]`), reads
//!    need one unless configured otherwise; failures are `UNAUTHENTICATED`;
//! 2. **validates** each request ([`validate`]): a bad field is `INVALID_ARGUMENT` naming it,
//!    and the backend is not called;
//! 3. **forwards** the checked request ([`Valid`]) to a [`Backend`], the order core's seam,
//!    and maps its errors to gRPC codes ([`status`]). Server streams send a snapshot, then
//!    every later update in sequence order.
//!
//! The order core plugs in by implementing [`Backend`] (non-blocking; see its contract) and
//! calling [`serve`] (or [`bind`] then [`BoundApi::serve`] to learn the port first).
//!
//! The generated messages, clients (`proto::orders_client::OrdersClient`, ...) and servers are
//! in [`proto`]; `crossbarctl` uses the clients.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
mod backend;
mod config;
mod error;
mod server;
pub mod status;
pub mod tls;
pub mod validate;

/// Generated from `schemas/crossbar.proto` (package `crossbar.v1`) by tonic-prost-build: the
/// messages, enums, `*_client` and `*_server` modules. Field docs (units) are the proto's
/// comments.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("crossbar.v1");
}

pub use auth::{Access, Authenticator, Caller};
pub use backend::{Backend, BackendError};
pub use config::{ApiConfig, TOKEN_LEN_MAX, TOKEN_LEN_MIN};
pub use error::ApiError;
pub use server::{bind, serve, BoundApi};
pub use tls::{ClientAuth, TlsConfig};
pub use validate::{FieldError, Valid};
