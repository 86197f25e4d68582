//! Side keys for the price levels, which are `crossbar-book`'s [`Ladder`]: a vector sorted so
//! that the best price is at the END.
//!
//! Matching always takes from the best level, so with the best last a fully-taken level is a
//! `pop` and an insert or lookup near the touch shifts or scans only a few entries. Keys make
//! both sides sort the same way: a bid's key is its price, an ask's is `!price` (bitwise not:
//! order-reversing and overflow-free).

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

pub(crate) use crossbar_book::ladder::{Ladder, LevelSlot};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_invert_and_asks_sort_best_last() {
        for side in [BID, ASK] {
            for price in [i64::MIN, -1, 0, 1234, i64::MAX] {
                assert_eq!(price_of(side, key_of(side, price)), price);
            }
        }
        // Asks: the lower price has the higher key, so it sorts last (best).
        assert!(key_of(ASK, 100) > key_of(ASK, 200));
        assert!(key_of(BID, 200) > key_of(BID, 100));
    }
}
