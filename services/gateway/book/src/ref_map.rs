//! An open-addressing hash table from sparse `u64` keys (ITCH order reference numbers, platform
//! order ids) to dense `u32` values (slab indices), sized once and never grown.
//!
//! * Slots: a power of two, at least twice the maximum entry count, so the load factor stays
//!   at or below 1/2 and expected probe lengths stay short (about 1.5 for hits, 2.5 for
//!   misses under linear probing).
//! * Hash: a locality-preserving fold (low bits of the key xor the bits above). ITCH
//!   reference numbers and platform order ids arrive nearly sequentially, so consecutive keys
//!   land in consecutive slots, four to a cache line, and the slots of recent orders stay in
//!   cache. (A multiplicative hash was measured first: it spreads recent keys over the whole
//!   table and every event paid a cache and TLB miss on it.) Keys are venue-assigned, not
//!   adversarial; a pathological stride would lengthen runs, never break correctness.
//! * Collisions: linear probing in Robin Hood order (entries in a run sorted by home slot),
//!   which keeps a probe within one or two cache lines and lets misses stop early.
//! * Deletion: backward shift instead of tombstones, stopping at the first empty slot or
//!   entry at its home (so removing from a long run of sequential keys is O(1)). A book deletes
//!   about as often as it inserts, all day; tombstones would accumulate and lengthen every
//!   probe until a rebuild, and a rebuild is an allocation and a pause on the hot path.
//!   Backward shift keeps the table exactly as if the deleted key had never been inserted.

/// A slot: `[key, value + 1]`, and `[_, 0]` when empty (values are slab indices, always below
/// `u32::MAX`). Plain `u64`s so that the table is allocated zeroed (`calloc`): its pages are
/// touched only as entries land in them, so a large table that holds few entries (the
/// fallback of the book's reference window) costs little resident memory.
type Slot = [u64; 2];

const EMPTY_SLOT: Slot = [0, 0];

#[inline(always)]
fn slot(key: u64, value: u32) -> Slot {
    [key, u64::from(value) + 1]
}

#[inline(always)]
fn is_empty(s: &Slot) -> bool {
    s[1] == 0
}

#[inline(always)]
fn value_of(s: &Slot) -> u32 {
    (s[1] - 1) as u32
}

/// Why [`RefMap::insert`] did not insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// The key is already present (its value is unchanged).
    Duplicate,
    /// The map already holds its maximum number of entries.
    Full,
}

/// A fixed-capacity `u64 -> u32` map with linear probing and backward-shift deletion.
/// Values must be below `u32::MAX`. Allocates only in [`RefMap::with_capacity`].
#[derive(Clone, Debug)]
pub struct RefMap {
    slots: Vec<Slot>,
    mask: usize,
    bits: u32,
    len: usize,
    max_len: usize,
}

impl RefMap {
    /// A map that holds up to `max_len` entries (at least 1) in
    /// `next_power_of_two(2 * max_len)` slots of 16 bytes.
    pub fn with_capacity(max_len: usize) -> Self {
        let max_len = max_len.max(1);
        let slot_count = (max_len * 2).next_power_of_two().max(2);
        let bits = slot_count.trailing_zeros();
        Self {
            slots: vec![EMPTY_SLOT; slot_count],
            mask: slot_count - 1,
            bits,
            len: 0,
            max_len,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        // Locality-preserving fold: the low bits of the key, xor the bits above them.
        // Consecutive keys land in consecutive slots (four to a cache line), so the slots
        // of recently added orders stay in cache.
        ((key ^ (key >> self.bits)) as usize) & self.mask
    }

    /// How far slot `i` is from `key`'s home slot.
    #[inline]
    fn distance(&self, i: usize, key: u64) -> usize {
        i.wrapping_sub(self.home(key)) & self.mask
    }

    /// The slot holding `key`, if any. Robin Hood order lets a miss stop as soon as it meets
    /// an entry closer to its own home than the probe is to `key`'s.
    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let mut i = self.home(key);
        let mut probe = 0;
        loop {
            let slot = self.slots[i];
            if is_empty(&slot) || self.distance(i, slot[0]) < probe {
                return None;
            }
            if slot[0] == key {
                return Some(i);
            }
            i = (i + 1) & self.mask;
            probe += 1;
        }
    }

    /// The value stored for `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        self.find(key).map(|i| value_of(&self.slots[i]))
    }

    /// True when `key` is present.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    /// Inserts `key -> value` (`value < u32::MAX`). Robin Hood insertion: an entry farther
    /// from its home takes the slot of one nearer to its home, which keeps every probe run
    /// ordered by home slot.
    ///
    /// # Errors
    /// [`InsertError::Duplicate`] when `key` is present, [`InsertError::Full`] when the map
    /// holds `max_len` entries. Either way the map is unchanged.
    #[inline]
    pub fn insert(&mut self, key: u64, value: u32) -> Result<(), InsertError> {
        debug_assert!(value != u32::MAX, "value u32::MAX is reserved");
        if self.len == self.max_len {
            return Err(if self.find(key).is_some() {
                InsertError::Duplicate
            } else {
                InsertError::Full
            });
        }
        // One pass: walk the run as `find` would; meeting `key` means a duplicate, and the
        // first empty slot or richer resident is where `key` belongs (Robin Hood order means
        // `key` cannot appear after it).
        let mut i = self.home(key);
        let mut probe = 0;
        loop {
            let slot = self.slots[i];
            if is_empty(&slot) {
                self.slots[i] = self::slot(key, value);
                self.len += 1;
                return Ok(());
            }
            if slot[0] == key {
                return Err(InsertError::Duplicate);
            }
            if self.distance(i, slot[0]) < probe {
                break;
            }
            i = (i + 1) & self.mask;
            probe += 1;
        }
        let mut carried = self::slot(key, value);
        loop {
            let slot = self.slots[i];
            if is_empty(&slot) {
                self.slots[i] = carried;
                break;
            }
            let resident = self.distance(i, slot[0]);
            if resident < probe {
                self.slots[i] = carried;
                carried = slot;
                probe = resident;
            }
            i = (i + 1) & self.mask;
            probe += 1;
        }
        self.len += 1;
        Ok(())
    }

    /// Removes `key`, returning its value, and shifts the rest of its probe run back one slot
    /// until an empty slot or an entry already at its home, so that no tombstone is left.
    #[inline]
    pub fn remove(&mut self, key: u64) -> Option<u32> {
        let mut hole = self.find(key)?;
        let value = value_of(&self.slots[hole]);
        loop {
            let next = (hole + 1) & self.mask;
            let slot = self.slots[next];
            if is_empty(&slot) || self.distance(next, slot[0]) == 0 {
                break;
            }
            self.slots[hole] = slot;
            hole = next;
        }
        self.slots[hole] = EMPTY_SLOT;
        self.len -= 1;
        Some(value)
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Most entries the map accepts.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Number of slots (a power of two, at least `2 * max_len`).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn insert_get_remove_and_errors() {
        let mut m = RefMap::with_capacity(3);
        assert_eq!(m.slot_count(), 8);
        assert_eq!(m.insert(0, 10), Ok(()));
        assert_eq!(m.insert(u64::MAX, 11), Ok(()));
        assert_eq!(m.insert(0, 12), Err(InsertError::Duplicate));
        assert_eq!(m.get(0), Some(10));
        assert_eq!(m.insert(5, 13), Ok(()));
        assert_eq!(m.insert(6, 14), Err(InsertError::Full));
        assert_eq!(m.len(), 3);
        assert_eq!(m.remove(0), Some(10));
        assert_eq!(m.remove(0), None);
        assert_eq!(m.get(0), None);
        assert_eq!(m.insert(6, 14), Ok(()));
        assert_eq!(m.get(u64::MAX), Some(11));
        assert_eq!(m.get(6), Some(14));
    }

    #[test]
    fn random_churn_matches_std_hashmap_and_never_grows() {
        // Keys drawn from a small range so that probe runs collide and wrap around often.
        let mut m = RefMap::with_capacity(100);
        let slots = m.slot_count();
        let mut reference: HashMap<u64, u32> = HashMap::new();
        let mut x: u64 = 0x1234_5678;
        for step in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = x % 300;
            if x & (1 << 40) == 0 {
                let expected = if reference.contains_key(&key) {
                    Err(InsertError::Duplicate)
                } else if reference.len() == 100 {
                    Err(InsertError::Full)
                } else {
                    reference.insert(key, step);
                    Ok(())
                };
                assert_eq!(m.insert(key, step), expected);
            } else {
                assert_eq!(m.remove(key), reference.remove(&key));
            }
            assert_eq!(m.len(), reference.len());
            if step % 1000 == 0 {
                for k in 0..300 {
                    assert_eq!(m.get(k), reference.get(&k).copied(), "key {k} step {step}");
                }
            }
        }
        assert_eq!(m.slot_count(), slots);
    }
}
