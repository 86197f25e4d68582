//! # crossbar-feed
//!
//! The gateway's market-data feed handler (the service layer: it owns the sockets that the
//! protocol crates never do). For a NASDAQ-style feed:
//!
//! 1. [`MoldFeed`], an agent (`do_work(now_ns)`), drains MoldUDP64 datagrams from a
//!    non-blocking UDP socket (unicast or multicast) into one pre-allocated buffer, and
//!    retransmissions from a second socket that talks to the venue's request server;
//! 2. [`SequenceTracker`], a pure state machine, puts them in sequence, buffers packets that
//!    arrive ahead of a gap (bounded), re-requests gaps with bounded retries, and declares a
//!    gap it cannot fill unrecoverable (fail closed);
//! 3. in-order ITCH 5.0 messages go to a [`FeedHandler`]; [`BookBuilder`] is the one that
//!    maintains the `crossbar-book` order book, marks books stale while a gap is open, tracks
//!    halts, and records [`crossbar_book::LevelUpdate`]s for the gateway to publish.
//!
//! See `docs/feed-handler.md` for states, policy, limits and counters.
//!
//! ```
//! use crossbar_feed::{FeedLimits, FeedState, RecoveryPolicy, SequenceTracker, Verdict};
//! use crossbar_moldudp64::{Packet, PacketEncoder, Session};
//!
//! let session = Session(*b"SESSION001");
//! let mut tracker =
//!     SequenceTracker::new(None, 1, FeedLimits::default(), RecoveryPolicy::default()).unwrap();
//! // Message 1 was lost: a packet starting at 2 opens the gap 1..2 and is buffered.
//! let mut enc = PacketEncoder::new(session, 2, 1_400).unwrap();
//! enc.push(b"second").unwrap();
//! let bytes = enc.packet().to_vec();
//! let packet = Packet::parse(&bytes).unwrap();
//! assert_eq!(tracker.on_packet(&packet.header, &bytes), Verdict::Buffered);
//! assert_eq!(tracker.state(), FeedState::Gap { from: 1, to: 2 });
//! // The agent sends this to the request server.
//! let request = tracker.poll(1_000).unwrap();
//! assert_eq!((request.sequence_number, request.requested_count), (1, 1));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod book_builder;
#[cfg(test)]
mod book_builder_tests;
mod error;
mod handler;
mod limits;
mod mold_feed;
mod pipeline;
mod reorder;
mod socket;
mod tracker;
#[cfg(test)]
mod tracker_tests;

pub use book_builder::{BookBuilder, BookBuilderCounters, BookBuilderLimits};
pub use error::FeedError;
pub use handler::FeedHandler;
pub use limits::{FeedLimits, RecoveryPolicy};
pub use mold_feed::{FeedCounters, MoldFeed, MoldFeedConfig};
pub use pipeline::{PREFETCH_DISTANCE, PREFETCH_STAGES};
pub use tracker::{FeedState, SequenceTracker, TrackerCounters, Verdict};
