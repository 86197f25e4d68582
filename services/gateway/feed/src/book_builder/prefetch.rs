//! The pipelined path: [`BookBuilder::on_messages_bytes`] applies a batch of ITCH 5.0
//! messages exactly as [`BookBuilder::on_message_bytes`] one by one would, while prefetch
//! hints for the messages ahead (read from their wire bytes at the spec's fixed offsets) bring
//! the book's cache lines in early (see `crate::pipeline` and `docs/feed-handler.md`).
//!
//! Per message, from its bytes (Stock Locate at offset 1, Order Reference Number at 11 for
//! `A F E C X D U`, ITCH 5.0 §1.3–§1.4):
//! * stage 0: the reference-window slot, and on each side the line with the level count and
//!   the first 7 keys and the two lines with the bodies of levels `0..8`, one of which holds
//!   the best level most events change (`OrderBook::prefetch_reference`,
//!   `OrderBook::prefetch_instrument`);
//! * stage 1: the order record the (now cached) slot points to (`OrderBook::prefetch_order_of`).
//!
//! Hints never change state; bytes that are not a valid book message give a useless
//! prefetch or none. Measured and not kept (no gain on the generated day, more instructions
//! than the misses they hid): a third stage for queue neighbours (twice: session 5, and again
//! with the leaner driver of session 6: +55 instructions per message, 1.00x), searching the
//! level for an add's or reduction's level body and queue tail, handing stage 0's results
//! to stage 1 in a per-message carry, and (session 6, replaced in session 7) finding each
//! side's best-level body line from the cached count at stage 1 (see `docs/bench/feed.md`).

use crossbar_itch::ItchError;

use super::wire::{be_u16, be_u64, LOCATE, REFERENCE};
use super::BookBuilder;
use crate::pipeline::{deliver_pipelined, PREFETCH_DISTANCE};

impl BookBuilder {
    /// Applies `messages` in order, each exactly as [`Self::on_message_bytes`] would (same
    /// books, counters, level updates and errors), with prefetch hints running
    /// [`crate::PREFETCH_DISTANCE`] messages apart ahead of each message, and calls
    /// `on_result(self, tag, result)` right after applying each one (to count, log, or drain
    /// level updates). `tag` is the caller's (a MoldUDP64 sequence number, an index).
    ///
    /// Allocation-free. Faster than one-by-one calls when the book is larger than the caches
    /// (thousands of instruments, a day's orders): see `docs/bench/feed.md`.
    #[inline]
    pub fn on_messages_bytes<'a, T: Copy>(
        &mut self,
        messages: impl IntoIterator<Item = (T, &'a [u8])>,
        on_result: impl FnMut(&mut Self, T, Result<(), ItchError>),
    ) {
        self.on_messages_bytes_with_distance::<T, PREFETCH_DISTANCE>(messages, on_result);
    }

    /// [`Self::on_messages_bytes`] with prefetch distance `K` messages between stages instead
    /// of [`crate::PREFETCH_DISTANCE`] (0: every hint right before its message), for tuning
    /// and benchmarks. `K * PREFETCH_STAGES` must be below 64 (checked at compile time).
    #[inline]
    pub fn on_messages_bytes_with_distance<'a, T: Copy, const K: usize>(
        &mut self,
        messages: impl IntoIterator<Item = (T, &'a [u8])>,
        mut on_result: impl FnMut(&mut Self, T, Result<(), ItchError>),
    ) {
        // `inline(always)`: left to its heuristics the compiler sometimes keeps this closure
        // (the whole book update) out of line, ~35 instructions of call per message.
        deliver_pipelined::<Self, T, K>(
            self,
            messages,
            #[inline(always)]
            |b, tag, bytes| {
                let result = b.on_message_bytes(bytes);
                on_result(b, tag, result);
            },
        );
    }

    /// Stage `stage` of the hints for message `m` (see the module docs). Reads only the
    /// message and the locate table; no branch depends on the message type (A and D arrive in
    /// random order: a branch on "is it an add" mispredicted ~0.5 times per message and stage).
    #[inline(always)]
    pub(crate) fn prefetch_stage(&self, stage: usize, m: &[u8]) {
        // Every type with a book effect is at least 19 bytes (through the reference).
        let Some(head) = m.first_chunk::<19>() else {
            return;
        };
        let order_ref = be_u64(head, REFERENCE);
        if stage == 0 {
            self.book.prefetch_reference(order_ref);
            if let Some(id) = self.instrument(be_u16(head, LOCATE)) {
                self.book.prefetch_instrument(id);
            }
        } else {
            self.book.prefetch_order_of(order_ref);
        }
    }
}

#[cfg(test)]
mod tests;
