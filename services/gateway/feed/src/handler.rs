//! What the feed hands its output to.

use crossbar_itch::ItchMessage;

use crate::FeedState;

/// Receives the feed's in-order messages and its state changes, on the feed agent's thread.
/// Implementations must not block: they run inside the feed agent's `do_work` ([`crate::MoldFeed`]).
pub trait FeedHandler {
    /// One ITCH 5.0 message, delivered exactly once and in MoldUDP64 sequence order
    /// (`sequence_number` is the message's MoldUDP64 sequence number), at `now_ns` (the
    /// agent's clock, UTC ns).
    fn on_message(&mut self, sequence_number: u64, message: &ItchMessage, now_ns: u64);

    /// The sequencing state changed (gap opened, recovery attempt, recovered, failed,
    /// ended). Data derived from the feed is trustworthy only while
    /// [`FeedState::is_current`].
    fn on_feed_state(&mut self, state: FeedState, now_ns: u64);
}
