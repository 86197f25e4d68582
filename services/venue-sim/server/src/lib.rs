//! # crossbar-venue-sim
//!
//! The NASDAQ-family venue simulator process (NASDAQ, BX, PSX): a seeded price-time matching
//! engine ([`crossbar_matching`]) behind the venue's real protocols, so gateways and tests
//! trade against a venue on loopback.
//!
//! | side | protocol | piece |
//! |---|---|---|
//! | market data | ITCH 5.0 over MoldUDP64 1.00, retransmission requests | [`crossbar_venue_feed`] publisher, request server, seeder |
//! | order entry | OUCH 5.0 over SoupBinTCP 3.0 | [`Venue`] sessions, one sequenced stream per account |
//! | operations | TCP line protocol | [`control`] |
//!
//! One engine thread (the [`Venue`] agent, single writer) seeds the book from an ITCH
//! history, serves every OUCH connection, matches client orders, encodes engine events
//! ([`encode`]): public ones as ITCH appended to the retained history and published, private
//! ones as OUCH appended to the owning account's stream; fees per fill from the
//! [`fees::FeeSchedule`] (1/10,000 $ per share). A control-plane thread parses control
//! commands and hands them to the engine through a bounded queue.
//!
//! Start-up, ready lines, config keys and the control protocol: `docs/venue-sim.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accounts;
pub mod clock;
pub mod config;
pub mod control;
pub mod encode;
pub mod fees;
mod venue;

pub use venue::{BoundAddrs, StartError, Venue};
