//! # crossbar-gateway
//!
//! The per-venue gateway process (`crossbar-gateway --config FILE`): everything that must be
//! fast and local to one venue, on one thread.
//!
//! * **Market data.** A MoldUDP64 feed of ITCH 5.0 ([`crossbar_feed::MoldFeed`], gaps
//!   re-requested) builds the order book ([`crossbar_feed::BookBuilder`] over the platform's
//!   instrument universe) and [`market_data::MarketData`] publishes SBE BookLevelDelta,
//!   TopOfBook, InstrumentStatus and FeedStatus on the `market_data` Aeron stream.
//! * **Orders.** SBE NewChildOrder / CancelOrder / ReplaceOrder from the `orders` stream go
//!   through pre-trade risk and leave as OUCH 5.0 over SoupBinTCP
//!   ([`crossbar_order_entry::OuchSession`]); the venue's answers come back as SBE
//!   ExecutionReport / OrderReject / PositionUpdate on the `executions` stream
//!   ([`exec::Executions`]). KillSwitch and RiskLimits on the `orders` stream change risk
//!   ([`centre::Centre`]).
//! * **The centre never slows the hot path.** Refused Aeron offers are counted; market data
//!   is re-published as a full refresh once offers succeed; execution messages wait in a
//!   bounded queue and the gateway fails closed while it is half full.
//!
//! [`settings::validate`] turns the file ([`config::GatewayConfig`]) into typed start-up
//! values, [`startup::start`] builds the [`agent::GatewayAgent`]. See `docs/gateway.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod agent;
pub mod audit;
pub mod centre;
pub mod config;
pub mod exec;
pub mod heartbeat;
pub mod market_data;
pub mod recovery;
pub mod resync;
pub mod settings;
pub mod startup;
