//! The bounded out-of-order buffer: downstream packets that arrived ahead of a gap, held in
//! one byte arena allocated once, until the gap is filled.
//!
//! Packets are packed back to back (a one-message ITCH packet takes ~40 bytes, not a
//! 1,472-byte slot), so a gap open for a burst of small packets keeps buffering instead of
//! dropping and re-requesting everything behind it. Entries are kept sorted by first sequence
//! number: arrivals in sequence order (the common case) append in O(1), the lowest is the
//! front, duplicates are found by binary search. The arena is a bump allocator, reset when the
//! buffer empties and compacted in place when it runs out at the end while enough bytes are
//! free (only when several holes are open at once).

use std::collections::VecDeque;
use std::ops::Range;

/// One buffered packet: the sequence numbers it covers and where its bytes are in the arena.
#[derive(Clone, Copy, Debug)]
struct Entry {
    first_sequence: u64,
    next_sequence: u64,
    offset: usize,
    len: usize,
}

/// At most `packets` entries in an arena of `bytes` bytes; inserts copy, nothing allocates
/// after `new`.
#[derive(Clone, Debug)]
pub(crate) struct ReorderBuffer {
    /// Sorted by `first_sequence`, strictly increasing; never longer than `capacity`.
    entries: VecDeque<Entry>,
    capacity: usize,
    data: Vec<u8>,
    packet_bytes_max: usize,
    /// Bump pointer: the arena's bytes `[end..]` are free.
    end: usize,
    /// Bytes of the arena held by entries (`<= end`).
    live_bytes: usize,
    /// Entry indices in offset order, for compaction; capacity `capacity`, never grows.
    scratch: Vec<usize>,
}

/// Why a packet was not buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Every entry is taken, or the arena has no room for the packet.
    Full,
    /// Larger than `packet_bytes_max`.
    TooLarge,
    /// A buffered packet already starts at this sequence number.
    Duplicate,
}

impl ReorderBuffer {
    /// A buffer of at most `packets` packets of at most `packet_bytes_max` bytes each, in an
    /// arena of `bytes` bytes (`bytes >= packet_bytes_max`, checked by `FeedLimits`).
    pub(crate) fn new(packets: usize, bytes: usize, packet_bytes_max: usize) -> Self {
        debug_assert!(packets >= 1 && bytes >= packet_bytes_max);
        Self {
            entries: VecDeque::with_capacity(packets),
            capacity: packets,
            data: vec![0; bytes],
            packet_bytes_max,
            end: 0,
            live_bytes: 0,
            scratch: Vec::with_capacity(packets),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Copies a packet covering `[first_sequence, next_sequence)` into the arena.
    pub(crate) fn insert(
        &mut self,
        first_sequence: u64,
        next_sequence: u64,
        bytes: &[u8],
    ) -> Result<(), Rejected> {
        if bytes.len() > self.packet_bytes_max {
            return Err(Rejected::TooLarge);
        }
        let position = match self.entries.back() {
            Some(last) if last.first_sequence >= first_sequence => {
                match self
                    .entries
                    .binary_search_by_key(&first_sequence, |e| e.first_sequence)
                {
                    Ok(_) => return Err(Rejected::Duplicate),
                    Err(p) => p,
                }
            }
            _ => self.entries.len(),
        };
        if self.entries.len() == self.capacity {
            return Err(Rejected::Full);
        }
        if self.end + bytes.len() > self.data.len() {
            if self.live_bytes + bytes.len() > self.data.len() {
                return Err(Rejected::Full);
            }
            self.compact();
        }
        let offset = self.end;
        self.data[offset..offset + bytes.len()].copy_from_slice(bytes);
        self.end += bytes.len();
        self.live_bytes += bytes.len();
        self.entries.insert(
            position,
            Entry {
                first_sequence,
                next_sequence,
                offset,
                len: bytes.len(),
            },
        );
        debug_assert!(self.entries.len() <= self.capacity);
        debug_assert!(self.live_bytes <= self.end && self.end <= self.data.len());
        Ok(())
    }

    /// Moves every entry's bytes to the front of the arena, in offset order, so the free
    /// space is one run at the end.
    fn compact(&mut self) {
        self.scratch.clear();
        self.scratch.extend(0..self.entries.len());
        let entries = &self.entries;
        self.scratch
            .sort_unstable_by_key(|&i| (entries[i].offset, entries[i].len));
        let mut write = 0;
        for &i in &self.scratch {
            let e = &mut self.entries[i];
            debug_assert!(e.offset >= write);
            self.data.copy_within(e.offset..e.offset + e.len, write);
            e.offset = write;
            write += e.len;
        }
        debug_assert_eq!(write, self.live_bytes);
        self.end = write;
    }

    /// The lowest first sequence number buffered.
    pub(crate) fn lowest_first_sequence(&self) -> Option<u64> {
        self.entries.front().map(|e| e.first_sequence)
    }

    /// Removes the buffered packet with the lowest first sequence number if it starts at or
    /// before `expected`, returning `(arena range, first_sequence, next_sequence)`; its bytes
    /// ([`ReorderBuffer::bytes`]) stay valid until the next insert.
    pub(crate) fn take_ready(&mut self, expected: u64) -> Option<(Range<usize>, u64, u64)> {
        if self.entries.front()?.first_sequence > expected {
            return None;
        }
        let e = self.entries.pop_front()?;
        self.live_bytes -= e.len;
        if self.entries.is_empty() {
            // Bytes stay in place until the next insert overwrites them.
            self.end = 0;
        }
        Some((
            e.offset..e.offset + e.len,
            e.first_sequence,
            e.next_sequence,
        ))
    }

    /// The bytes of a packet just taken by [`ReorderBuffer::take_ready`].
    pub(crate) fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.data[range]
    }

    /// Empties the buffer.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.end = 0;
        self.live_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_bounded_packets_and_pops_lowest_ready_first() {
        let mut b = ReorderBuffer::new(2, 16, 8);
        assert_eq!(b.insert(10, 12, b"ten"), Ok(()));
        assert_eq!(b.insert(5, 7, b"five"), Ok(()));
        assert_eq!(b.insert(5, 7, b"5"), Err(Rejected::Duplicate));
        assert_eq!(b.insert(10, 12, b"10"), Err(Rejected::Duplicate));
        assert_eq!(b.insert(20, 21, b"x"), Err(Rejected::Full));
        assert_eq!(b.lowest_first_sequence(), Some(5));
        assert_eq!(b.take_ready(4), None);
        let (range, first, next) = b.take_ready(5).unwrap();
        assert_eq!((b.bytes(range), first, next), (&b"five"[..], 5, 7));
        assert_eq!(b.insert(30, 31, b"too large"), Err(Rejected::TooLarge));
        assert_eq!(b.len(), 1);
        b.clear();
        assert_eq!(b.len(), 0);
        assert_eq!(b.take_ready(100), None);
    }

    #[test]
    fn small_packets_share_the_arena_and_the_byte_bound_holds() {
        // 20 bytes of arena: five 4-byte packets fit, a sixth does not.
        let mut b = ReorderBuffer::new(100, 20, 8);
        for s in 0..5 {
            assert_eq!(b.insert(10 + s, 11 + s, &[s as u8; 4]), Ok(()));
        }
        assert_eq!(b.insert(15, 16, &[9; 4]), Err(Rejected::Full));
        for s in 0..5 {
            let (range, first, _) = b.take_ready(10 + s).unwrap();
            assert_eq!((b.bytes(range), first), (&[s as u8; 4][..], 10 + s));
        }
        // Empty again: the whole arena is free.
        assert_eq!(b.insert(40, 41, &[7; 8]), Ok(()));
        assert_eq!(b.insert(41, 42, &[8; 8]), Ok(()));
    }

    #[test]
    fn out_of_order_arrivals_pop_in_sequence_order_and_compaction_keeps_bytes() {
        let mut b = ReorderBuffer::new(8, 12, 4);
        // Arrival order 30, 10, 20: sequence order 10, 20, 30.
        b.insert(30, 31, b"cccc").unwrap();
        b.insert(10, 11, b"aaaa").unwrap();
        b.insert(20, 21, b"bbbb").unwrap();
        assert_eq!(b.lowest_first_sequence(), Some(10));
        let (r, first, _) = b.take_ready(10).unwrap();
        assert_eq!((b.bytes(r), first), (&b"aaaa"[..], 10));
        // 4 bytes free, but at offset 4 (behind "cccc"): the next insert compacts.
        b.insert(25, 26, b"dddd").unwrap();
        let mut popped = Vec::new();
        while let Some((r, first, _)) = b.take_ready(u64::MAX) {
            popped.push((first, b.bytes(r).to_vec()));
        }
        assert_eq!(
            popped,
            [
                (20, b"bbbb".to_vec()),
                (25, b"dddd".to_vec()),
                (30, b"cccc".to_vec())
            ]
        );
    }

    /// Against a model (sorted map of sequence -> bytes): random inserts and pops in a small
    /// arena never lose, reorder or corrupt a packet, and refuse only when a bound is hit.
    #[test]
    fn matches_a_sorted_map_model_under_random_operations() {
        use std::collections::BTreeMap;
        let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let (packets, bytes, max) = (6, 40, 10);
        let mut b = ReorderBuffer::new(packets, bytes, max);
        let mut model: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        for step in 0..20_000 {
            if next() % 3 != 0 {
                let first = next() % 50;
                let len = (next() % 12) as usize;
                let payload: Vec<u8> = (0..len)
                    .map(|i| (first as usize + i + step) as u8)
                    .collect();
                let live: usize = model.values().map(Vec::len).sum();
                let expect = if len > max {
                    Err(Rejected::TooLarge)
                } else if model.contains_key(&first) {
                    Err(Rejected::Duplicate)
                } else if model.len() == packets || live + len > bytes {
                    Err(Rejected::Full)
                } else {
                    Ok(())
                };
                assert_eq!(b.insert(first, first + 1, &payload), expect, "step {step}");
                if expect.is_ok() {
                    model.insert(first, payload);
                }
            } else {
                let expected = next() % 50;
                let want = model
                    .first_key_value()
                    .filter(|(k, _)| **k <= expected)
                    .map(|(k, v)| (*k, v.clone()));
                let got = b
                    .take_ready(expected)
                    .map(|(r, first, _)| (first, b.bytes(r).to_vec()));
                assert_eq!(got, want, "step {step}");
                if let Some((k, _)) = want {
                    model.remove(&k);
                }
            }
            assert_eq!(b.len(), model.len());
        }
    }
}
