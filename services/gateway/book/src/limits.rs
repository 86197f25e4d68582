//! The one place every size of the book is set (TigerBeetle style: one limits struct, with
//! its relationships asserted), read once at start-up.

use crate::error::BookError;

/// How large a [`crate::OrderBook`] is. Every array the book uses is allocated from these
/// numbers in [`crate::OrderBook::new`] and never grows afterwards; an event that would need
/// more returns [`BookError::Capacity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLimits {
    /// Number of instruments; valid [`crossbar_model::InstrumentId`]s are `0..instruments`.
    pub instruments: u32,
    /// Most resting orders at once, across all instruments (slab size).
    pub orders: u32,
    /// Most distinct price levels on one side of one instrument.
    pub levels_per_side: u32,
}

impl BookLimits {
    /// Hard ceiling on `orders`: slab indices are `u32` (slot 0 is the book's sentinel, the
    /// "none" of its queues; orders use `1..=orders`, stored `+ 1` in the reference window,
    /// far below `u32::MAX`), and the order-ref table has twice as many slots as orders.
    pub const ORDERS_MAX: u32 = 1 << 30;
    /// Hard ceiling on `instruments` (2^24, far above any venue's symbol count).
    pub const INSTRUMENTS_MAX: u32 = 1 << 24;
    /// Hard ceiling on `levels_per_side`.
    pub const LEVELS_PER_SIDE_MAX: u32 = 1 << 20;

    /// Checks the limits' relationships: each at least 1 and at most its `*_MAX`.
    ///
    /// # Errors
    /// [`BookError::InvalidLimits`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), BookError> {
        let check = |field: &'static str, value: u32, max: u32| {
            if value == 0 || value > max {
                Err(BookError::InvalidLimits { field, value, max })
            } else {
                Ok(())
            }
        };
        check("instruments", self.instruments, Self::INSTRUMENTS_MAX)?;
        check("orders", self.orders, Self::ORDERS_MAX)?;
        check(
            "levels_per_side",
            self.levels_per_side,
            Self::LEVELS_PER_SIDE_MAX,
        )?;
        Ok(())
    }
}

// The ref table's slot count (2 * orders, rounded up to a power of two) must fit in usize, and
// slab indices (1..=orders, plus the sentinel 0) stored + 1 must stay below u32::MAX.
const _: () = assert!((BookLimits::ORDERS_MAX as u64) * 2 < u32::MAX as u64);
const _: () = assert!(BookLimits::LEVELS_PER_SIDE_MAX < u32::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_bounds() {
        let ok = BookLimits {
            instruments: 1,
            orders: 1,
            levels_per_side: 1,
        };
        assert_eq!(ok.validate(), Ok(()));
        let max = BookLimits {
            instruments: BookLimits::INSTRUMENTS_MAX,
            orders: BookLimits::ORDERS_MAX,
            levels_per_side: BookLimits::LEVELS_PER_SIDE_MAX,
        };
        assert_eq!(max.validate(), Ok(()));
        let zero = BookLimits { orders: 0, ..ok };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "BOOK_INVALID_LIMITS field=orders value=0 max=1073741824"
        );
        let over = BookLimits {
            levels_per_side: BookLimits::LEVELS_PER_SIDE_MAX + 1,
            ..ok
        };
        assert!(matches!(
            over.validate(),
            Err(BookError::InvalidLimits {
                field: "levels_per_side",
                ..
            })
        ));
        let over = BookLimits {
            instruments: BookLimits::INSTRUMENTS_MAX + 1,
            ..ok
        };
        assert!(matches!(
            over.validate(),
            Err(BookError::InvalidLimits {
                field: "instruments",
                ..
            })
        ));
    }
}
