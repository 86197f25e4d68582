//! MoldUDP64 sequencing and gap recovery for one session, as a pure state machine: no
//! sockets, no clock of its own (`now_ns` is passed in), so every transition is testable.
//!
//! Source: "MoldUDP64 Protocol Specification V 1.00" — "Downstream Packet Header" (sequence
//! number of the first message), "Heartbeats" and "End of Session" (count 0 / 0xFFFF carrying
//! the next expected sequence number), "Request Packet" (re-request of a range).
//!
//! ## States ([`FeedState`])
//!
//! | from | event | to |
//! |---|---|---|
//! | Live | data at `expected` (or overlapping it) | Live, deliver |
//! | Live | data/heartbeat/end of session ahead of `expected` | Gap (packet buffered) |
//! | Live | end of session at `expected` | Ended |
//! | any but Failed/Ended | data entirely before `expected` | unchanged, duplicate |
//! | Gap | `poll` | Recovering (attempt 1, request sent) |
//! | Recovering | `poll` before the deadline | Recovering |
//! | Recovering | `poll` at the deadline, attempts left | Recovering (attempt + 1, request sent) |
//! | Recovering | `poll` at the deadline, no attempts left | Failed |
//! | Recovering | data advancing `expected`, gap remains | Gap (ask again for the rest) |
//! | Gap/Recovering | gap filled and buffer replayed | Live (or Ended) |
//! | Failed, Ended | anything | unchanged, ignored |
//!
//! ## Out-of-order policy
//! Packets ahead of `expected` are copied into a bounded reorder buffer (at most
//! [`crate::FeedLimits::reorder_packets`] packets in [`crate::FeedLimits::reorder_bytes`]
//! bytes, packed back to back). When it is full, later packets are dropped
//! (counted) and the gap simply extends to the highest sequence number seen: the re-request
//! covers them. Failed is terminal: the book built from this session can no longer be trusted,
//! so the handler keeps it stale (fail closed) until it is rebuilt from another source.

use crossbar_moldudp64::{PacketHeader, PacketKind, RequestPacket, Session};

use crate::reorder::{Rejected, ReorderBuffer};
use crate::{FeedLimits, RecoveryPolicy};

/// The session's sequencing state. `from..to` is the missing range of sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedState {
    /// Every message up to `expected - 1` has been delivered and nothing later was seen.
    Live,
    /// Messages `from..to` are missing and a request for them is due now.
    Gap {
        /// First missing sequence number (the next expected).
        from: u64,
        /// First sequence number received after the gap.
        to: u64,
    },
    /// A request for `from..` was sent; waiting for the retransmission until `deadline_ns`.
    Recovering {
        /// First missing sequence number.
        from: u64,
        /// First sequence number received after the gap.
        to: u64,
        /// Requests sent for this gap without progress, 1-based.
        attempt: u32,
        /// When this attempt times out, ns (same clock as `now_ns`).
        deadline_ns: u64,
    },
    /// Requests ran out without filling `from..to`: unrecoverable, terminal.
    Failed {
        /// First missing sequence number.
        from: u64,
        /// First sequence number received after the gap.
        to: u64,
    },
    /// End of session received and every message before it delivered: terminal.
    Ended,
}

impl FeedState {
    /// True while the data derived from the feed is complete and current (Live or Ended);
    /// false means books built from it must be treated as stale.
    pub const fn is_current(&self) -> bool {
        matches!(self, FeedState::Live | FeedState::Ended)
    }
}

/// What to do with one received packet ([`SequenceTracker::on_packet`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver the packet's messages after the first `skip` (which were delivered before).
    Deliver {
        /// Leading messages already delivered.
        skip: u16,
    },
    /// Every message was delivered before: drop.
    Duplicate,
    /// Ahead of a gap: copied into the reorder buffer, delivered by
    /// [`SequenceTracker::pop_ready`] once the gap is filled.
    Buffered,
    /// Ahead of a gap but not buffered (buffer full, or packet larger than a slot): dropped,
    /// to be recovered by re-request.
    Dropped,
    /// Heartbeat (count 0).
    Heartbeat,
    /// End of session (count 0xFFFF).
    EndOfSession,
    /// From a session other than the tracked one: dropped.
    WrongSession,
    /// The tracker is Failed or Ended: dropped.
    Ignored,
}

/// Monotonic counts of what the tracker saw and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackerCounters {
    /// Packets given to [`SequenceTracker::on_packet`].
    pub packets: u64,
    /// Data packets (and buffered packets) that carried nothing new.
    pub duplicates: u64,
    /// Packets put into the reorder buffer.
    pub buffered: u64,
    /// Packets ahead of a gap that could not be buffered.
    pub dropped: u64,
    /// Packets of another session.
    pub wrong_session: u64,
    /// Packets received while Failed or Ended.
    pub ignored: u64,
    /// Gaps opened (Live → Gap).
    pub gaps_opened: u64,
    /// Gaps closed (Gap/Recovering → Live/Ended).
    pub gaps_recovered: u64,
    /// Gaps declared unrecoverable (Recovering → Failed).
    pub gaps_failed: u64,
    /// Request packets produced by [`SequenceTracker::poll`].
    pub requests_sent: u64,
    /// Request attempts that timed out.
    pub request_timeouts: u64,
}

/// Per-session sequencing: classifies packets, buffers out-of-order ones, schedules
/// re-requests with bounded retries. See the module docs for the state table.
#[derive(Clone, Debug)]
pub struct SequenceTracker {
    policy: RecoveryPolicy,
    session: Option<Session>,
    state: FeedState,
    expected: u64,
    highest_seen: u64,
    end_of_session: Option<u64>,
    buffer: ReorderBuffer,
    counters: TrackerCounters,
}

impl SequenceTracker {
    /// A tracker expecting `first_sequence_number` next (1 at the start of a MoldUDP64
    /// session) of `session` (`None`: adopt the first packet's session). Allocates the reorder
    /// buffer (`limits.reorder_bytes` bytes and `limits.reorder_packets` entries) once.
    ///
    /// # Errors
    /// [`crate::FeedError::InvalidLimits`] when `limits` or `policy` is out of range.
    pub fn new(
        session: Option<Session>,
        first_sequence_number: u64,
        limits: FeedLimits,
        policy: RecoveryPolicy,
    ) -> Result<Self, crate::FeedError> {
        limits.validate()?;
        policy.validate()?;
        Ok(Self {
            policy,
            session,
            state: FeedState::Live,
            expected: first_sequence_number,
            highest_seen: first_sequence_number,
            end_of_session: None,
            buffer: ReorderBuffer::new(
                limits.reorder_packets,
                limits.reorder_bytes,
                limits.packet_bytes_max,
            ),
            counters: TrackerCounters::default(),
        })
    }

    /// The current state.
    pub fn state(&self) -> FeedState {
        self.state
    }

    /// The next sequence number to deliver.
    pub fn expected(&self) -> u64 {
        self.expected
    }

    /// The tracked session, once known.
    pub fn session(&self) -> Option<Session> {
        self.session
    }

    /// Counts so far.
    pub fn counters(&self) -> &TrackerCounters {
        &self.counters
    }

    /// Packets waiting in the reorder buffer.
    pub fn buffered_packets(&self) -> usize {
        self.buffer.len()
    }

    /// Classifies one validated downstream packet (`header` parsed from `bytes`, the whole
    /// datagram) and updates the state. After every call the caller delivers per the
    /// [`Verdict`], then calls [`SequenceTracker::pop_ready`] until it returns `None`.
    pub fn on_packet(&mut self, header: &PacketHeader, bytes: &[u8]) -> Verdict {
        self.counters.packets += 1;
        match self.session {
            None => self.session = Some(header.session),
            Some(s) if s != header.session => {
                self.counters.wrong_session += 1;
                return Verdict::WrongSession;
            }
            Some(_) => {}
        }
        if matches!(self.state, FeedState::Failed { .. } | FeedState::Ended) {
            self.counters.ignored += 1;
            return Verdict::Ignored;
        }
        let first = header.sequence_number;
        let Some(next) = first.checked_add(u64::from(header.messages_carried())) else {
            self.counters.dropped += 1;
            return Verdict::Dropped;
        };
        self.highest_seen = self.highest_seen.max(next);
        let verdict = match header.kind() {
            PacketKind::Heartbeat => Verdict::Heartbeat,
            PacketKind::EndOfSession => {
                self.end_of_session = Some(first);
                Verdict::EndOfSession
            }
            PacketKind::Messages => self.classify_data(first, next, bytes),
        };
        self.reevaluate();
        verdict
    }

    fn classify_data(&mut self, first: u64, next: u64, bytes: &[u8]) -> Verdict {
        if next <= self.expected {
            self.counters.duplicates += 1;
            return Verdict::Duplicate;
        }
        if first <= self.expected {
            let skip = self.expected - first;
            debug_assert!(skip < u64::from(u16::MAX));
            self.expected = next;
            return Verdict::Deliver { skip: skip as u16 };
        }
        match self.buffer.insert(first, next, bytes) {
            Ok(()) => {
                self.counters.buffered += 1;
                Verdict::Buffered
            }
            Err(Rejected::Duplicate) => {
                self.counters.duplicates += 1;
                Verdict::Duplicate
            }
            Err(Rejected::Full | Rejected::TooLarge) => {
                self.counters.dropped += 1;
                Verdict::Dropped
            }
        }
    }

    /// The next buffered packet that has become deliverable, as `(datagram bytes, skip)`:
    /// deliver its messages after the first `skip`. `None` when there is none; the state is
    /// settled then (e.g. back to Live when the gap is closed).
    pub fn pop_ready(&mut self) -> Option<(&[u8], u16)> {
        loop {
            let Some((range, first, next)) = self.buffer.take_ready(self.expected) else {
                self.reevaluate();
                return None;
            };
            if next <= self.expected {
                self.counters.duplicates += 1;
                continue;
            }
            let skip = self.expected - first;
            self.expected = next;
            return Some((self.buffer.bytes(range), skip as u16));
        }
    }

    /// Settles the state after `expected`, `highest_seen` or the buffer changed.
    fn reevaluate(&mut self) {
        if matches!(self.state, FeedState::Failed { .. } | FeedState::Ended) {
            return;
        }
        let lowest_buffered = self.buffer.lowest_first_sequence();
        if lowest_buffered.is_some_and(|s| s <= self.expected) {
            return; // replay pending: pop_ready settles afterwards
        }
        if self.expected >= self.highest_seen {
            if !matches!(self.state, FeedState::Live) {
                self.counters.gaps_recovered += 1;
            }
            self.state = match self.end_of_session {
                Some(end) if self.expected >= end => FeedState::Ended,
                _ => FeedState::Live,
            };
            return;
        }
        let from = self.expected;
        let to = lowest_buffered.unwrap_or(self.highest_seen);
        debug_assert!(from < to);
        self.state = match self.state {
            FeedState::Live => {
                self.counters.gaps_opened += 1;
                FeedState::Gap { from, to }
            }
            FeedState::Recovering {
                from: was,
                attempt,
                deadline_ns,
                ..
            } if was == from => FeedState::Recovering {
                from,
                to,
                attempt,
                deadline_ns,
            },
            // Gap, or Recovering with progress: ask for the rest now, attempts start over.
            _ => FeedState::Gap { from, to },
        };
    }

    /// Runs the request timers at `now_ns`: returns the request to send to the venue's
    /// request server when one is due (a new gap, or a timed-out attempt with attempts left);
    /// declares the gap Failed after [`RecoveryPolicy::request_attempts_max`] timed-out
    /// attempts. The request asks for `min(to - from, max_count_per_request)` messages.
    pub fn poll(&mut self, now_ns: u64) -> Option<RequestPacket> {
        let session = self.session?;
        let (from, to, attempt) = match self.state {
            FeedState::Gap { from, to } => (from, to, 1),
            FeedState::Recovering {
                from,
                to,
                attempt,
                deadline_ns,
            } if now_ns >= deadline_ns => {
                self.counters.request_timeouts += 1;
                if attempt >= self.policy.request_attempts_max {
                    self.state = FeedState::Failed { from, to };
                    self.counters.gaps_failed += 1;
                    self.buffer.clear();
                    return None;
                }
                (from, to, attempt + 1)
            }
            _ => return None,
        };
        self.state = FeedState::Recovering {
            from,
            to,
            attempt,
            deadline_ns: now_ns.saturating_add(self.policy.request_timeout_ns),
        };
        self.counters.requests_sent += 1;
        let count = (to - from).min(u64::from(self.policy.max_count_per_request));
        Some(RequestPacket {
            session,
            sequence_number: from,
            requested_count: count as u16,
        })
    }
}
