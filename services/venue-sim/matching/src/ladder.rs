//! One side of one instrument's price levels: a vector sorted so that the best price is at
//! the END (the layout of `crossbar-book`'s ladder).
//!
//! Matching always takes from the best level, so with the best last a fully-taken level is a
//! `pop` and an insert or lookup near the touch shifts or scans only a few entries. Keys make
//! both sides sort the same way: a bid's key is its price, an ask's is `!price` (bitwise not:
//! order-reversing and overflow-free).

/// A price level: 32 bytes, with the FIFO queue of its orders as slab indices.
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

pub(crate) const BID: usize = 0;
pub(crate) const ASK: usize = 1;

/// Sort key of `price` on `side`.
#[inline]
pub(crate) fn key_of(side: usize, price: i64) -> i64 {
    if side == ASK {
        !price
    } else {
        price
    }
}

/// Price of `key` on `side` (inverse of [`key_of`]).
#[inline]
pub(crate) fn price_of(side: usize, key: i64) -> i64 {
    if side == ASK {
        !key
    } else {
        key
    }
}

/// A side's levels; capacity fixed at construction, never grown.
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

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.levels.len() == self.levels.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_binary_search_and_keys_invert() {
        let keys: Vec<i64> = (0..40).map(|k| k * 10).collect();
        let mut l = Ladder::with_capacity(64);
        for &key in &keys {
            l.levels.push(LevelSlot {
                key,
                qty: 1,
                count: 1,
                head: 0,
                tail: 0,
            });
        }
        for probe in -5..420 {
            assert_eq!(l.find(probe), keys.binary_search(&probe), "probe {probe}");
        }
        assert_eq!(Ladder::with_capacity(1).find(5), Err(0));
        assert!(!l.is_full());
        for side in [BID, ASK] {
            assert_eq!(price_of(side, key_of(side, 1234)), 1234);
        }
        // Asks: the lower price has the higher key, so it sorts last (best).
        assert!(key_of(ASK, 100) > key_of(ASK, 200));
    }
}
