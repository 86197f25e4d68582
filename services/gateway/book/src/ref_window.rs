//! [`OrderRefs`]: the book's order-reference map. A direct-indexed window over the most recent
//! references, with a [`RefMap`] for everything outside it.
//!
//! Why: ITCH 5.0 Order Reference Numbers are "unique for the trading day" and assigned in
//! increasing order (§1.3.1; Pillar XDP and PITCH order ids behave alike), and most orders live
//! briefly, so nearly every lookup is for a reference close to the newest one. For a reference
//! inside the window `[base, base + W)` the slot is `ref & (W - 1)` in an array of `u32`: no
//! hash, no probe loop, no key compare (the position is the key), 4 bytes per entry instead of
//! 16, sixteen neighbouring references to a cache line.
//!
//! Invariant: a key in `[base, base + W)` is always in the window, any other key always in the
//! fallback. The window moves only forward: inserting a key at or above `base + W` moves
//! `base` so that the key sits a quarter window below the top, and first moves every entry that
//! falls out of the window into the fallback (each slot is visited once per window of
//! references, so this is O(1) amortised for increasing references; the scan stops as soon as
//! no entry is left in the window). A key below `base` goes to the fallback. So any sequence
//! of keys is handled correctly; only keys that jump far ahead repeatedly while old ones stay
//! in the window pay the eviction scan.
//!
//! Capacity: at most `max_len` entries in total, window and fallback together, like [`RefMap`].

use crate::ref_map::{InsertError, RefMap};

/// An empty window slot (stored values are `slab index + 1`, so the array is allocated
/// zeroed and its pages are touched only as the window passes over them).
const VACANT: u32 = 0;

/// Fixed-capacity `u64 -> u32` map for order references (see the module docs). Values must be
/// below `u32::MAX`. Allocates only in [`OrderRefs::with_capacity`].
#[derive(Clone, Debug)]
pub(crate) struct OrderRefs {
    window: Vec<u32>,
    /// `window.len() - 1`; the window length is a power of two.
    mask: u64,
    /// Lowest key of the window.
    base: u64,
    /// Entries in the window.
    in_window: usize,
    /// Keys outside the window.
    fallback: RefMap,
    max_len: usize,
}

impl OrderRefs {
    /// Smallest and largest window, in entries.
    const WINDOW_MIN: usize = 64;
    const WINDOW_MAX: usize = 1 << 24;

    /// A map for up to `max_len` entries (at least 1): a window of
    /// `clamp(next_power_of_two(max_len), 64, 2^24)` `u32` slots (allocated zeroed) and a
    /// [`RefMap`] of the same `max_len` for keys outside it.
    pub(crate) fn with_capacity(max_len: usize) -> Self {
        let max_len = max_len.max(1);
        let window_len = max_len
            .next_power_of_two()
            .clamp(Self::WINDOW_MIN, Self::WINDOW_MAX);
        Self {
            window: vec![VACANT; window_len],
            mask: window_len as u64 - 1,
            base: 0,
            in_window: 0,
            fallback: RefMap::with_capacity(max_len),
            max_len,
        }
    }

    #[inline]
    fn window_len(&self) -> u64 {
        self.mask + 1
    }

    /// True when `key` lies in the window `[base, base + W)` (exact: `base + W - 1` never
    /// overflows, so a key below `base` wraps to more than `mask`).
    #[inline]
    fn in_range(&self, key: u64) -> bool {
        key.wrapping_sub(self.base) <= self.mask
    }

    #[inline]
    fn index(&self, key: u64) -> usize {
        (key & self.mask) as usize
    }

    /// The value stored for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        if self.in_range(key) {
            match self.window[self.index(key)] {
                VACANT => None,
                v => Some(v - 1),
            }
        } else {
            self.fallback_get(key)
        }
    }

    /// Out of line: keys outside the window are rare, and inlining the table probe into every
    /// caller costs registers on the hot path.
    #[inline(never)]
    fn fallback_get(&self, key: u64) -> Option<u32> {
        self.fallback.get(key)
    }

    #[inline(never)]
    fn fallback_remove(&mut self, key: u64) -> Option<u32> {
        self.fallback.remove(key)
    }

    #[inline(never)]
    fn fallback_insert(&mut self, key: u64, value: u32) -> Result<(), InsertError> {
        self.fallback.insert(key, value)
    }

    /// True when `key` is present.
    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Inserts `key -> value` (`value < u32::MAX`).
    ///
    /// # Errors
    /// [`InsertError::Duplicate`] when `key` is present, [`InsertError::Full`] when the map
    /// holds `max_len` entries. Either way the map is unchanged.
    #[inline(always)]
    pub(crate) fn insert(&mut self, key: u64, value: u32) -> Result<(), InsertError> {
        debug_assert!(value != u32::MAX, "value u32::MAX is reserved");
        if self.len() == self.max_len {
            return Err(if self.contains(key) {
                InsertError::Duplicate
            } else {
                InsertError::Full
            });
        }
        if !self.in_range(key) {
            if key < self.base {
                return self.fallback_insert(key, value);
            }
            self.advance(key);
        }
        let i = self.index(key);
        if self.window[i] != VACANT {
            return Err(InsertError::Duplicate);
        }
        self.window[i] = value + 1;
        self.in_window += 1;
        Ok(())
    }

    /// Moves the window forward so that `key` (at or above `base + W`) is inside it, a quarter
    /// window below the top; entries that leave the window go to the fallback (which cannot be
    /// full: the total count is below `max_len`).
    #[cold]
    #[inline(never)]
    fn advance(&mut self, key: u64) {
        let w = self.window_len();
        // Capped so that `base + mask` never overflows, which keeps `in_range` exact.
        let new_base = key.saturating_sub(w - w / 4 - 1).min(u64::MAX - self.mask);
        debug_assert!(new_base > self.base);
        // Keys of the old window below `new_base`: [base, min(new_base, base + w)).
        let mut k = self.base;
        let end = new_base.min(self.base.saturating_add(w));
        while k < end && self.in_window > 0 {
            let i = self.index(k);
            let v = self.window[i];
            if v != VACANT {
                self.window[i] = VACANT;
                self.in_window -= 1;
                let moved = self.fallback.insert(k, v - 1);
                debug_assert_eq!(moved, Ok(()), "fallback holds every entry at most once");
            }
            k += 1;
        }
        self.base = new_base;
        debug_assert!(self.in_range(key));
    }

    /// Removes `key`, returning its value.
    #[inline(always)]
    pub(crate) fn remove(&mut self, key: u64) -> Option<u32> {
        if self.in_range(key) {
            let i = self.index(key);
            match std::mem::replace(&mut self.window[i], VACANT) {
                VACANT => None,
                v => {
                    self.in_window -= 1;
                    Some(v - 1)
                }
            }
        } else {
            self.fallback_remove(key)
        }
    }

    /// Number of entries.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.in_window + self.fallback.len()
    }

    /// For prefetch hints (`crate::book::prefetch_hints`): the window slot that `key` maps to,
    /// `None` outside the window (the fallback is never probed).
    #[inline(always)]
    pub(crate) fn window_slot(&self, key: u64) -> Option<&u32> {
        if self.in_range(key) {
            self.window.get(self.index(key))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random churn over keys that mostly increase (as ITCH references do), with old keys
    /// deleted late, keys below the window, far jumps and keys near `u64::MAX`, against a
    /// `HashMap`; every answer and the length are compared.
    #[test]
    fn matches_a_hashmap_for_increasing_old_and_far_keys() {
        let mut m = OrderRefs::with_capacity(100);
        assert_eq!(m.window_len(), 128);
        let mut model: HashMap<u64, u32> = HashMap::new();
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next_key = 1u64;
        let mut fallback_used = 0u64;
        for step in 0..300_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = match x % 16 {
                0..=7 => {
                    next_key += 1 + (x >> 60);
                    next_key
                }
                8..=11 => next_key.saturating_sub((x >> 8) % 40),
                12 => next_key.saturating_sub((x >> 8) % 2_000),
                13 => (x >> 8) % 3,
                14 if x & (1 << 30) != 0 => {
                    next_key = next_key.saturating_add((x >> 8) % 10_000);
                    next_key
                }
                14 => u64::MAX - (x >> 8) % 300,
                _ => x >> 4,
            };
            if x & (1 << 40) == 0 {
                let expected = if model.contains_key(&key) {
                    Err(InsertError::Duplicate)
                } else if model.len() == 100 {
                    Err(InsertError::Full)
                } else {
                    model.insert(key, step);
                    Ok(())
                };
                assert_eq!(m.insert(key, step), expected, "step {step} key {key}");
            } else {
                assert_eq!(m.remove(key), model.remove(&key), "step {step} key {key}");
            }
            assert_eq!(m.len(), model.len());
            fallback_used += u64::from(!m.fallback.is_empty());
            if step % 500 == 0 {
                for (k, v) in &model {
                    assert_eq!(m.get(*k), Some(*v), "step {step} key {k}");
                }
                assert_eq!(m.get(next_key + 1), model.get(&(next_key + 1)).copied());
            }
        }
        // Both tiers were exercised: the window moved, and keys lived in the fallback.
        assert!(m.base > 0);
        assert!(fallback_used > 1_000, "{fallback_used}");
    }

    #[test]
    fn window_moves_entries_to_the_fallback_and_keeps_them() {
        let mut m = OrderRefs::with_capacity(64);
        assert_eq!(m.insert(5, 50), Ok(()));
        assert_eq!(m.insert(1_000, 10), Ok(()));
        assert_eq!(m.fallback.len(), 1, "5 left the window");
        assert_eq!(m.get(5), Some(50));
        assert_eq!(m.insert(5, 51), Err(InsertError::Duplicate));
        assert_eq!(m.insert(1_000, 11), Err(InsertError::Duplicate));
        assert_eq!(m.insert(u64::MAX, 12), Ok(()));
        assert_eq!(m.get(u64::MAX), Some(12));
        assert_eq!(m.get(1_000), Some(10));
        assert_eq!(m.remove(5), Some(50));
        assert_eq!(m.remove(5), None);
        assert_eq!(m.len(), 2);
    }
}
