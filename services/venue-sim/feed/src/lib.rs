//! # crossbar-venue-feed
//!
//! The NASDAQ venue simulator's market-data side: the venue's ITCH 5.0 stream sequenced,
//! retained, published over MoldUDP64 1.00 (Nasdaq, "MoldUDP64 Protocol Specification
//! V 1.00") and retransmitted on request, seeded from a recorded or generated ITCH history
//! that is also replayed into the venue's [`crossbar_matching::MatchingEngine`].
//!
//! | piece | job |
//! |---|---|
//! | [`RetainedHistory`] | sequenced messages from 1, bounded by [`HistoryLimits`], O(1) lookup by sequence number; oldest evicted when full |
//! | [`MoldPublisher`] (agent) | packs messages into downstream packets (default 1,400-byte payload), sends them to a unicast or multicast address, heartbeats after 1 s idle, End of Session on close; faults on command ([`FaultCommand`]) |
//! | [`RequestServer`] (agent) | answers Request Packets of the right session from the history, count capped, to the requester's address |
//! | [`Seeder`] / [`SeededFeedAgent`] | replays a [`SeedSource`] (day file, pcap, generator) into the engine and the publisher |
//!
//! The library owns no threads: agents implement [`crossbar_runtime::Agent`]
//! (`do_work(now_ns) -> usize`) and a runner drives them. The publisher and the request
//! server share the history through [`SharedHistory`] (a mutex taken once per duty cycle),
//! so they may run on one thread or two. Sockets are non-blocking std `UdpSocket`s.
//!
//! Errors are [`FeedError`] (stable `VFEED_*` codes). Counters are
//! [`crossbar_runtime::Counter`]s registered under `venue_feed.*` in a caller's
//! [`crossbar_runtime::CounterSet`]. See `docs/venue-sim-feed.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod fault;
mod history;
mod limits;
mod publisher;
mod request;
mod seeder;
mod socket;
mod source;

pub use error::FeedError;
pub use fault::{FaultCommand, FaultHandle, FaultPlan};
pub use history::{RetainedHistory, SharedHistory};
pub use limits::HistoryLimits;
pub use publisher::{MoldPublisher, PublisherConfig, PublisherCounters};
pub use request::{RequestServer, RequestServerConfig, RequestServerCounters};
pub use seeder::{LocateMap, SeedPace, SeededFeedAgent, Seeder, SeederConfig, SeederCounters};
pub use source::{SeedReader, SeedSource, SourceStats};
