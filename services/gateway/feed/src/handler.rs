//! What the feed hands its output to.

use crossbar_itch::{decode, ItchError, ItchMessage};

use crate::FeedState;

/// Receives the feed's in-order messages and its state changes, on the feed agent's thread.
/// Implementations must not block: they run inside the feed agent's `do_work` ([`crate::MoldFeed`]).
pub trait FeedHandler {
    /// One ITCH 5.0 message, delivered exactly once and in MoldUDP64 sequence order
    /// (`sequence_number` is the message's MoldUDP64 sequence number), at `now_ns` (the
    /// agent's clock, UTC ns).
    fn on_message(&mut self, sequence_number: u64, message: &ItchMessage, now_ns: u64);

    /// One ITCH 5.0 message as its wire bytes (Message Type byte first, exactly the type's
    /// length: a MoldUDP64 message block's body), delivered like [`Self::on_message`]. This is
    /// what [`crate::MoldFeed`] calls. The default decodes with [`crossbar_itch::decode`] and
    /// calls [`Self::on_message`]; [`crate::BookBuilder`] overrides it to read the fields it
    /// needs straight from the bytes (no decoded message, see `BookBuilder::on_message_bytes`).
    ///
    /// # Errors
    /// [`crossbar_itch::decode`]'s errors; the message is then not delivered (the feed counts
    /// it as an ITCH error).
    #[inline]
    fn on_message_bytes(
        &mut self,
        sequence_number: u64,
        bytes: &[u8],
        now_ns: u64,
    ) -> Result<(), ItchError> {
        let message = decode(bytes)?;
        self.on_message(sequence_number, &message, now_ns);
        Ok(())
    }

    /// A hint that `bytes` (as for [`Self::on_message_bytes`]) will be delivered soon: stage
    /// `stage` of [`crate::PREFETCH_STAGES`] (0 first, issued furthest ahead; each stage may
    /// read what the previous one prefetched). It must not change any observable state: the
    /// message is delivered (or not) exactly as without the hint. The default does nothing;
    /// [`crate::BookBuilder`] prefetches the book's cache lines the message will touch.
    #[inline]
    fn prefetch_message_bytes(&self, stage: usize, bytes: &[u8]) {
        let _ = (stage, bytes);
    }

    /// The sequencing state changed (gap opened, recovery attempt, recovered, failed,
    /// ended). Data derived from the feed is trustworthy only while
    /// [`FeedState::is_current`].
    fn on_feed_state(&mut self, state: FeedState, now_ns: u64);
}
