//! Software-pipelined delivery: a batch of messages is applied one by one, in order, while
//! [`FeedHandler::prefetch_message_bytes`] hints run ahead of it, so that the cache misses of
//! message `i + K` overlap with the work on message `i` instead of stalling it.
//!
//! With [`PREFETCH_STAGES`] `= S` and distance `K`, when message `n` arrives, stage `s` runs
//! for message `n - s * K` (`s` in `0..S`) and message `n - S * K` is applied; after the last
//! message the remaining ones are applied with their remaining stages, so every message gets
//! every stage once, in stage order, before it is applied. Hints change nothing observable, so
//! the results are those of applying the messages one by one (a test checks it).

use crate::FeedHandler;

/// Hint stages per message: 0 (for `BookBuilder`: reference slot, instrument levels), 1
/// (the order record the slot points to).
pub const PREFETCH_STAGES: usize = 2;

/// Messages between a message's hint stages, and between its last stage and its delivery:
/// stage 0 runs `PREFETCH_STAGES * PREFETCH_DISTANCE` messages ahead. Chosen by measurement
/// (`cargo bench -p crossbar-feed --bench day`, see `docs/bench/feed.md`).
pub const PREFETCH_DISTANCE: usize = 4;

/// Ring of upcoming messages; holds `PREFETCH_STAGES * K + 1` of them for any `K` accepted.
const RING: usize = 64;

/// Delivers `messages` in order through `apply`, running `handler`'s prefetch stages `K`
/// messages apart ahead of each (see the module docs). `K == 0` runs every stage right before
/// its message. Allocation-free (the ring is on the stack).
///
/// `apply(handler, tag, bytes)` is called exactly once per message, in iteration order.
#[inline(always)]
pub(crate) fn deliver_pipelined<'a, H, T, const K: usize>(
    handler: &mut H,
    messages: impl IntoIterator<Item = (T, &'a [u8])>,
    mut apply: impl FnMut(&mut H, T, &'a [u8]),
) where
    H: FeedHandler + ?Sized,
    T: Copy + Default,
{
    const { assert!(PREFETCH_STAGES * K < RING, "prefetch distance too large") };
    let mut ring: [(T, &'a [u8]); RING] = [(T::default(), &[]); RING];
    let mut messages = messages.into_iter();
    // Messages taken so far; `usize::MAX` until the iterator ends.
    let mut total = usize::MAX;
    // One loop with one call site per stage and for `apply` (so that both inline): at step
    // `newest`, message `newest` (if any) arrives and gets stage 0, message `newest - s * K`
    // stage `s`, and message `newest - S * K` is applied. After the last message the loop
    // runs `S * K` more steps to finish the ones still in the ring.
    let mut newest = 0usize;
    loop {
        if newest < total {
            match messages.next() {
                Some(item) => ring[newest % RING] = item,
                None => total = newest,
            }
        }
        for s in 0..PREFETCH_STAGES {
            if let Some(i) = newest.checked_sub(s * K).filter(|&i| i < total) {
                handler.prefetch_message_bytes(s, ring[i % RING].1);
            }
        }
        if let Some(i) = newest
            .checked_sub(PREFETCH_STAGES * K)
            .filter(|&i| i < total)
        {
            let (tag, bytes) = ring[i % RING];
            apply(handler, tag, bytes);
        }
        newest += 1;
        // Done once message `total - 1` was applied (at step `total - 1 + S * K`).
        if newest >= total.saturating_add(PREFETCH_STAGES * K) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use crossbar_itch::{ItchError, ItchMessage};

    use super::{deliver_pipelined, PREFETCH_STAGES};
    use crate::{FeedHandler, FeedState};

    /// Records every hint and delivery, as `(message, Some(stage))` / `(message, None)`.
    #[derive(Default)]
    struct Recorder {
        log: RefCell<Vec<(u8, Option<usize>)>>,
    }

    impl FeedHandler for Recorder {
        fn on_message(&mut self, _: u64, _: &ItchMessage, _: u64) {}
        fn on_message_bytes(&mut self, _: u64, bytes: &[u8], _: u64) -> Result<(), ItchError> {
            self.log.borrow_mut().push((bytes[0], None));
            Ok(())
        }
        fn prefetch_message_bytes(&self, stage: usize, bytes: &[u8]) {
            self.log.borrow_mut().push((bytes[0], Some(stage)));
        }
        fn on_feed_state(&mut self, _: FeedState, _: u64) {}
    }

    fn check<const K: usize>(n: usize) {
        let messages: Vec<[u8; 1]> = (0..n).map(|i| [i as u8]).collect();
        let mut h = Recorder::default();
        let mut tags = Vec::new();
        deliver_pipelined::<_, usize, K>(
            &mut h,
            messages.iter().enumerate().map(|(i, m)| (i, &m[..])),
            |h, tag, bytes| {
                tags.push(tag);
                h.on_message_bytes(tag as u64, bytes, 0).unwrap();
            },
        );
        assert_eq!(
            tags,
            (0..n).collect::<Vec<_>>(),
            "K={K} n={n}: delivery order"
        );
        let log = h.log.into_inner();
        for i in 0..n {
            let events: Vec<Option<usize>> = log
                .iter()
                .filter(|(m, _)| usize::from(*m) == i)
                .map(|(_, e)| *e)
                .collect();
            let mut want: Vec<Option<usize>> = (0..PREFETCH_STAGES).map(Some).collect();
            want.push(None);
            assert_eq!(
                events, want,
                "K={K} n={n} message {i}: every stage once, then apply"
            );
        }
        // Stage 0 of message i + S*K comes before message i is applied (the lookahead).
        let applied_at = |i: usize| log.iter().position(|e| *e == (i as u8, None)).unwrap();
        let first_hint_at = |i: usize| log.iter().position(|e| *e == (i as u8, Some(0))).unwrap();
        for i in 0..n.saturating_sub(PREFETCH_STAGES * K) {
            assert!(
                first_hint_at(i + PREFETCH_STAGES * K) < applied_at(i),
                "K={K} n={n}"
            );
        }
    }

    #[test]
    fn every_message_gets_every_stage_in_order_then_is_applied_once_in_order() {
        for n in [0, 1, 2, 3, 5, 12, 13, 40, 200] {
            check::<0>(n);
            check::<1>(n);
            check::<2>(n);
            check::<4>(n);
            check::<8>(n);
            check::<{ super::PREFETCH_DISTANCE }>(n);
        }
    }
}
