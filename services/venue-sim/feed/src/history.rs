//! The venue's sequenced ITCH messages, kept for retransmission (MoldUDP64 "Request
//! Packet": the server answers from the messages it still holds).
//!
//! Two rings sized once from [`HistoryLimits`] (each rounded up to a power of two): a byte
//! ring with the message bodies and an index ring with one entry per message, so lookup by
//! sequence number is one mask. Each
//! message occupies a logical byte range `[pos, pos + len)`; a message never straddles the
//! physical end of the byte ring (the position skips to the next lap instead, wasting the
//! tail), and the retained span `newest_end - oldest_pos` never exceeds the ring, so no two
//! live messages overlap.
//!
//! When either ring is full the oldest messages are evicted. Eviction is permanent: a request
//! for an evicted sequence number is answered from the first retained one (see
//! [`RetainedHistory::first_sequence_number`] and `docs/venue-sim-feed.md`).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{FeedError, HistoryLimits};

/// Where one retained message lives.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Logical byte position (monotonic; physical offset is `pos % bytes`, a mask).
    pos: u64,
    /// When the venue sequenced it, UTC ns (the clock passed to [`RetainedHistory::append`]).
    sequenced_ns: u64,
    /// Body length in bytes.
    len: u16,
}

/// The venue's sequenced messages, sequence numbers from 1, bounded in bytes and count.
///
/// Allocated once in [`RetainedHistory::new`]; [`RetainedHistory::append`] never allocates.
#[derive(Debug)]
pub struct RetainedHistory {
    data: Box<[u8]>,
    entries: Box<[Entry]>,
    /// Oldest retained sequence number (== `next_sequence_number` when empty).
    first: u64,
    /// Sequence number the next appended message gets.
    next: u64,
    /// Logical position where the next message starts (before lap alignment).
    write_pos: u64,
    evicted: u64,
}

impl RetainedHistory {
    /// An empty history sized by `limits`, each rounded up to a power of two (so
    /// [`RetainedHistory::limits`] may report more); the first appended message gets
    /// sequence 1.
    ///
    /// # Errors
    /// [`FeedError::InvalidLimits`] when [`HistoryLimits::validate`] fails.
    pub fn new(limits: HistoryLimits) -> Result<Self, FeedError> {
        limits.validate()?;
        Ok(Self {
            data: vec![0u8; limits.bytes.next_power_of_two()].into_boxed_slice(),
            entries: vec![Entry::default(); limits.messages.next_power_of_two()].into_boxed_slice(),
            first: 1,
            next: 1,
            write_pos: 0,
            evicted: 0,
        })
    }

    /// Appends `message` (an ITCH message body, no framing) and returns its sequence number,
    /// evicting the oldest messages if needed. `sequenced_ns` is the venue clock (UTC ns).
    ///
    /// # Errors
    /// [`FeedError::MessageTooLarge`] when longer than 65,535 bytes (nothing changes).
    pub fn append(&mut self, message: &[u8], sequenced_ns: u64) -> Result<u64, FeedError> {
        let cap = self.data.len() as u64;
        debug_assert!(cap.is_power_of_two() && self.entries.len().is_power_of_two());
        let len = u16::try_from(message.len()).map_err(|_| FeedError::MessageTooLarge {
            len: message.len(),
            max: HistoryLimits::MESSAGE_LEN_MAX,
        })?;
        let mut pos = self.write_pos;
        if (pos & (cap - 1)) + u64::from(len) > cap {
            pos = pos.next_multiple_of(cap);
        }
        let end = pos + u64::from(len);
        while self.len() == self.entries.len()
            || (self.first < self.next && end - self.entry(self.first).pos > cap)
        {
            self.first += 1;
            self.evicted += 1;
        }
        let offset = (pos & (cap - 1)) as usize;
        self.data[offset..offset + message.len()].copy_from_slice(message);
        let seq = self.next;
        let slot = self.slot(seq);
        self.entries[slot] = Entry {
            pos,
            sequenced_ns,
            len,
        };
        self.next += 1;
        self.write_pos = end;
        debug_assert!(self.first < self.next && self.len() <= self.entries.len());
        Ok(seq)
    }

    /// The message with sequence number `sequence_number`, if still retained.
    pub fn get(&self, sequence_number: u64) -> Option<&[u8]> {
        self.get_with_time(sequence_number).map(|(m, _)| m)
    }

    /// The message with sequence number `sequence_number` and the UTC ns it was sequenced
    /// at, if still retained.
    pub fn get_with_time(&self, sequence_number: u64) -> Option<(&[u8], u64)> {
        if !(self.first..self.next).contains(&sequence_number) {
            return None;
        }
        let e = self.entry(sequence_number);
        let offset = (e.pos & (self.data.len() as u64 - 1)) as usize;
        let message = self.data.get(offset..offset + usize::from(e.len))?;
        Some((message, e.sequenced_ns))
    }

    /// Oldest retained sequence number; equals [`Self::next_sequence_number`] when empty.
    pub fn first_sequence_number(&self) -> u64 {
        self.first
    }

    /// Sequence number the next appended message will get (1 for a new history).
    pub fn next_sequence_number(&self) -> u64 {
        self.next
    }

    /// Messages retained now.
    pub fn len(&self) -> usize {
        (self.next - self.first) as usize
    }

    /// True when nothing is retained.
    pub fn is_empty(&self) -> bool {
        self.first == self.next
    }

    /// Messages evicted so far to make room.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The limits this history was built with.
    pub fn limits(&self) -> HistoryLimits {
        HistoryLimits {
            bytes: self.data.len(),
            messages: self.entries.len(),
        }
    }

    fn slot(&self, sequence_number: u64) -> usize {
        (sequence_number & (self.entries.len() as u64 - 1)) as usize
    }

    fn entry(&self, sequence_number: u64) -> Entry {
        self.entries[self.slot(sequence_number)]
    }
}

/// A [`RetainedHistory`] shared by the agents of one venue: the [`crate::MoldPublisher`]
/// appends and reads, the [`crate::RequestServer`] reads. A mutex, held for one duty cycle's
/// batch at a time; the two agents are the only users.
#[derive(Clone, Debug)]
pub struct SharedHistory(Arc<Mutex<RetainedHistory>>);

impl SharedHistory {
    /// Shares `history`.
    pub fn new(history: RetainedHistory) -> Self {
        Self(Arc::new(Mutex::new(history)))
    }

    /// Locks the history. A poisoned lock (a panicked holder) is recovered: the history's
    /// state is consistent between calls.
    pub fn lock(&self) -> MutexGuard<'_, RetainedHistory> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(bytes: usize, messages: usize) -> RetainedHistory {
        assert!(bytes.is_power_of_two() && messages.is_power_of_two());
        // Bypass the 65,535-byte minimum to exercise wrap-around with small rings.
        RetainedHistory {
            data: vec![0u8; bytes].into_boxed_slice(),
            entries: vec![Entry::default(); messages].into_boxed_slice(),
            first: 1,
            next: 1,
            write_pos: 0,
            evicted: 0,
        }
    }

    #[test]
    fn numbers_from_one_and_looks_up_by_sequence() {
        let mut h = RetainedHistory::new(HistoryLimits::DEFAULT).unwrap();
        assert!(h.is_empty() && h.next_sequence_number() == 1 && h.get(1).is_none());
        assert_eq!(h.append(b"abc", 10).unwrap(), 1);
        assert_eq!(h.append(b"", 11).unwrap(), 2);
        assert_eq!(h.append(b"de", 12).unwrap(), 3);
        assert_eq!(h.get(1), Some(&b"abc"[..]));
        assert_eq!(h.get_with_time(2), Some((&b""[..], 11)));
        assert_eq!(h.get(3), Some(&b"de"[..]));
        assert_eq!((h.get(0), h.get(4)), (None, None));
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn evicts_oldest_when_message_ring_full() {
        let mut h = small(1024, 4);
        for i in 0..6u8 {
            h.append(&[i; 4], 0).unwrap();
        }
        assert_eq!(
            (h.first_sequence_number(), h.next_sequence_number()),
            (3, 7)
        );
        assert_eq!(h.evicted(), 2);
        assert_eq!(h.get(2), None);
        assert_eq!(h.get(3), Some(&[2u8; 4][..]));
        assert_eq!(h.get(6), Some(&[5u8; 4][..]));
    }

    #[test]
    fn evicts_oldest_when_byte_ring_full_and_never_straddles_the_end() {
        let mut h = small(16, 128);
        // "aaaaaa" at [0,6), "bbbbbb" at [6,12).
        h.append(b"aaaaaa", 0).unwrap();
        h.append(b"bbbbbb", 0).unwrap();
        // 6 bytes do not fit in [12,16): skips to the next lap [16,22) = physical [0,6),
        // evicting "aaaaaa" (span 22 - 0 > 16).
        assert_eq!(h.append(b"cccccc", 0).unwrap(), 3);
        assert_eq!(h.first_sequence_number(), 2);
        assert_eq!(h.get(2), Some(&b"bbbbbb"[..]));
        assert_eq!(h.get(3), Some(&b"cccccc"[..]));
        // A 16-byte message needs the whole ring: evicts everything else.
        assert_eq!(h.append(b"0123456789abcdef", 0).unwrap(), 4);
        assert_eq!((h.first_sequence_number(), h.len()), (4, 1));
        assert_eq!(h.get(4), Some(&b"0123456789abcdef"[..]));
        assert_eq!(h.evicted(), 3);
    }

    #[test]
    fn random_appends_keep_every_retained_message_intact() {
        let mut h = small(64, 8);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut all: Vec<Vec<u8>> = Vec::new();
        for _ in 0..2_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 59) as usize; // 0..32
            let msg: Vec<u8> = (0..len).map(|i| (seed >> 8) as u8 ^ i as u8).collect();
            let seq = h.append(&msg, seed).unwrap();
            all.push(msg);
            assert_eq!(seq as usize, all.len());
            for s in h.first_sequence_number()..h.next_sequence_number() {
                assert_eq!(h.get(s), Some(&all[s as usize - 1][..]), "seq {s}");
            }
            assert!(h.len() <= 8);
        }
        assert_eq!(h.evicted() + h.len() as u64, 2_000);
    }

    #[test]
    fn refuses_messages_longer_than_a_block() {
        let mut h = RetainedHistory::new(HistoryLimits::DEFAULT).unwrap();
        let big = vec![0u8; 65_536];
        assert!(matches!(
            h.append(&big, 0),
            Err(FeedError::MessageTooLarge { len: 65_536, .. })
        ));
        assert!(h.is_empty());
    }
}
