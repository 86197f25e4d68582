//! One side of one instrument's price levels: a vector sorted so that the best price is at
//! the END.
//!
//! Most book events land at or near the touch, so with the best level last an insert or
//! remove shifts only the few levels between it and the end, and a lookup scans a few slots
//! back from the end before falling back to binary search. Keys make both sides sort the same
//! way: a bid's key is its price (best = highest = last), an ask's key is `!price` (bitwise
//! not: order-reversing and overflow-free, so best = lowest price = last).
//!
//! Public so that the venue simulator's matching engine (`crossbar-matching`) keeps its levels
//! in the same structure rather than a copy of it.

/// One price level: 32 bytes, with the FIFO queue of its orders as slab indices (the slab
/// belongs to the book or engine that owns the ladder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelSlot {
    /// Sort key: the price for bids, `!price` for asks (price in 1/10,000).
    pub key: i64,
    /// Aggregate shares resting at the level.
    pub qty: u64,
    /// Orders resting at the level.
    pub count: u32,
    /// Slab index of the first (oldest) order in the FIFO queue.
    pub head: u32,
    /// Slab index of the last (newest) order in the FIFO queue.
    pub tail: u32,
}

/// How many slots back from the best to scan linearly before binary search.
const LINEAR_SCAN: usize = 8;

/// A side's levels sorted by key with the best last; capacity fixed at construction and
/// never grown (callers check [`Ladder::is_full`] before inserting).
#[derive(Clone, Debug)]
pub struct Ladder {
    /// The levels, ascending by key (best = last).
    pub levels: Vec<LevelSlot>,
}

impl Ladder {
    /// An empty ladder with room for `levels` price levels, allocated now.
    pub fn with_capacity(levels: usize) -> Self {
        Self {
            levels: Vec::with_capacity(levels),
        }
    }

    /// `Ok(pos)` when a level with `key` exists, else `Err(pos)` where it would be inserted.
    #[inline]
    pub fn find(&self, key: i64) -> Result<usize, usize> {
        let len = self.levels.len();
        let stop = len.saturating_sub(LINEAR_SCAN);
        let mut pos = len;
        while pos > stop {
            let k = self.levels[pos - 1].key;
            if k == key {
                return Ok(pos - 1);
            }
            if k < key {
                return Err(pos);
            }
            pos -= 1;
        }
        self.levels[..stop].binary_search_by(|l| l.key.cmp(&key))
    }

    /// Distance of `pos` from the best level (0 = best).
    #[inline]
    pub fn index_from_best(&self, pos: usize) -> u32 {
        (self.levels.len() - 1 - pos) as u32
    }

    /// True when no level can be added without exceeding the capacity.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.levels.len() == self.levels.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder(keys: &[i64]) -> Ladder {
        let mut l = Ladder::with_capacity(64);
        for &key in keys {
            l.levels.push(LevelSlot {
                key,
                qty: 1,
                count: 1,
                head: 0,
                tail: 0,
            });
        }
        l
    }

    #[test]
    fn find_agrees_with_binary_search_near_and_far_from_the_end() {
        let keys: Vec<i64> = (0..40).map(|k| k * 10).collect();
        let l = ladder(&keys);
        for probe in -5..420 {
            assert_eq!(l.find(probe), keys.binary_search(&probe), "probe {probe}");
        }
        let empty = ladder(&[]);
        assert_eq!(empty.find(5), Err(0));
        assert_eq!(l.index_from_best(39), 0);
        assert_eq!(l.index_from_best(0), 39);
    }
}
