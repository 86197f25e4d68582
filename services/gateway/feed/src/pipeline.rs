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

/// Ring of upcoming messages (a power of two, so positions are masked); holds
/// `PREFETCH_STAGES * K + 1` of them for any `K` accepted.
const RING: usize = 64;
const _: () = assert!(RING.is_power_of_two());

/// Delivers `messages` in order through `apply`, running `handler`'s prefetch stages `K`
/// messages apart ahead of each (see the module docs). `K == 0` runs every stage right before
/// its message. Allocation-free (the ring is on the stack).
///
/// `apply(handler, tag, bytes)` is called exactly once per message, in iteration order.
///
/// One loop with one call site per stage and for `apply`, so that all of them inline (with a
/// second call site the compiler kept `apply`, the whole book update, out of line: ~35
/// instructions per message of call overhead). Ring positions not yet or no longer holding a
/// message are `None`: steps before the ring fills skip the stages and the apply of messages
/// that do not exist, and after the last message `S * K` steps with no new message finish the
/// ones still in the ring; those tests are the same way every step but the first and last
/// `S * K`, so they predict well.
#[inline(always)]
pub(crate) fn deliver_pipelined<'a, H, T, const K: usize>(
    handler: &mut H,
    messages: impl IntoIterator<Item = (T, &'a [u8])>,
    mut apply: impl FnMut(&mut H, T, &'a [u8]),
) where
    H: FeedHandler + ?Sized,
    T: Copy,
{
    const { assert!(PREFETCH_STAGES * K < RING, "prefetch distance too large") };
    let lag = PREFETCH_STAGES * K;
    // A position is written at the step of its message and read at most `lag < RING` steps
    // later; positions of "messages" before the first are never written, so stay `None`.
    let mut ring: [Option<(T, &'a [u8])>; RING] = [None; RING];
    let mut messages = messages.into_iter().fuse();
    let mut newest = 0usize;
    // Steps left to run once the iterator has ended.
    let mut finishing = lag;
    loop {
        let item = messages.next();
        if item.is_none() {
            if finishing == 0 {
                break;
            }
            finishing -= 1;
        }
        ring[newest % RING] = item;
        for s in 0..PREFETCH_STAGES {
            if let Some((_, bytes)) = ring[newest.wrapping_sub(s * K) % RING] {
                handler.prefetch_message_bytes(s, bytes);
            }
        }
        if let Some((tag, bytes)) = ring[newest.wrapping_sub(lag) % RING] {
            apply(handler, tag, bytes);
        }
        newest += 1;
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
