//! One side of one instrument's price levels: a vector sorted so that the best price is at
//! the END.
//!
//! Most book events land at or near the touch, so with the best level last an insert or
//! remove shifts only the few levels between it and the end, and a lookup scans a few slots
//! back from the end before falling back to binary search. Keys make both sides sort the same
//! way: a bid's key is its price (best = highest = last), an ask's key is `!price` (bitwise
//! not: order-reversing and overflow-free, so best = lowest price = last).

/// Internal level record: 32 bytes, with the FIFO queue of its orders as slab indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LevelSlot {
    pub(crate) key: i64,
    pub(crate) qty: u64,
    pub(crate) count: u32,
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

/// How many slots back from the best to scan linearly before binary search.
const LINEAR_SCAN: usize = 8;

/// A side's levels, capacity fixed at construction.
#[derive(Clone, Debug)]
pub(crate) struct Ladder {
    pub(crate) levels: Vec<LevelSlot>,
}

impl Ladder {
    pub(crate) fn with_capacity(levels: usize) -> Self {
        Self {
            levels: Vec::with_capacity(levels),
        }
    }

    /// `Ok(pos)` when a level with `key` exists, else `Err(pos)` where it would be inserted.
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
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
    pub(crate) fn index_from_best(&self, pos: usize) -> u32 {
        (self.levels.len() - 1 - pos) as u32
    }

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
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
