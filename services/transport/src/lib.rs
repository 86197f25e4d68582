//! # crossbar-transport
//!
//! Aeron messaging for Crossbar processes, over rusteron (the Aeron 1.54 C client and media
//! driver): an embedded or external media driver, named publications and subscriptions whose
//! channels and stream ids come from configuration, counted back-pressure, and whole-message
//! delivery.
//!
//! - [`config`]: [`TransportConfig`] (`[transport]` section: driver directory, embedded or
//!   external driver, threading mode, term lengths, timeouts, idle strategies, named
//!   [`StreamConfig`]s).
//! - [`driver`]: [`EmbeddedDriver`], the C media driver on a thread of this process.
//! - [`Transport`]: the client; adds [`Publisher`]s and [`Subscriber`]s by name.
//! - [`Publisher`]: `offer` / `try_claim` return a typed [`PublishError`] and bump a
//!   `pub.<name>.<outcome>` counter for every refusal (back-pressured, not connected, admin
//!   action, closed, max position); `offer_with_retry` retries transient refusals with an
//!   idle strategy, bounded.
//! - [`Subscriber`]: `poll` hands whole messages to a closure, reassembling messages larger
//!   than one frame ([`reassembly`]), and counts messages, bytes and discards.
//!
//! ```no_run
//! use crossbar_transport::{StreamConfig, Transport, TransportConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut transport = Transport::start(TransportConfig::default())?;
//! let stream = StreamConfig::new("aeron:ipc", 1001);
//! let publisher = transport.add_publication_with("orders", &stream)?;
//! let mut subscriber = transport.add_subscription_with("orders", &stream)?;
//! let mut idle = transport.idle_strategy();
//! publisher.wait_connected(std::time::Duration::from_secs(5), &mut idle)?;
//! publisher.offer_with_retry(b"hello", 1_000, &mut idle)?;
//! let mut got = Vec::new();
//! while got.is_empty() {
//!     let work = subscriber.poll(&mut |message: &[u8]| got.push(message.to_vec()), 10)?;
//!     idle.idle(work);
//! }
//! # Ok(()) }
//! ```
//!
//! The media driver and client are C code behind rusteron's wrappers; this crate itself has
//! no `unsafe`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod driver;
mod error;
mod publisher;
pub mod reassembly;
mod subscriber;
mod transport;

pub use config::{DriverThreading, StreamConfig, TransportConfig};
pub use driver::EmbeddedDriver;
pub use error::{PublishError, TransportError};
pub use publisher::{Publisher, PublisherCounters};
pub use subscriber::{Subscriber, SubscriberCounters};
pub use transport::Transport;
