//! The book's one error type.

/// Which pre-sized resource ran out, in [`BookError::Capacity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The order slab ([`crate::BookLimits::orders`]).
    Orders,
    /// One side's price levels ([`crate::BookLimits::levels_per_side`]).
    Levels,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resource::Orders => "orders",
            Resource::Levels => "levels_per_side",
        })
    }
}

/// Why a book event was not applied. A rejected event leaves the book exactly as it was and is
/// counted in [`crate::BookCounters`]; the book never panics on bad input.
///
/// Messages start with a stable code and carry `key=value` context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// Execute, cancel, delete or replace named an order the book does not hold
    /// (ITCH 5.0 §4.5 and §4.6 messages refer to an earlier Add Order by reference number).
    #[error("BOOK_UNKNOWN_ORDER order_ref={order_ref}")]
    UnknownOrder {
        /// The order reference number from the event.
        order_ref: u64,
    },
    /// Add or replace used an order reference number the book already holds.
    #[error("BOOK_DUPLICATE_ORDER order_ref={order_ref}")]
    DuplicateOrder {
        /// The order reference number from the event.
        order_ref: u64,
    },
    /// Execute or cancel of more shares than the order has open.
    #[error("BOOK_OVERFILL order_ref={order_ref} qty={qty} open_qty={open_qty}")]
    Overfill {
        /// The order reference number from the event.
        order_ref: u64,
        /// Shares the event asked to remove.
        qty: u32,
        /// Shares the order had open.
        open_qty: u32,
    },
    /// A pre-sized limit was reached; the book did not grow.
    #[error("BOOK_CAPACITY resource={resource} limit={limit} instrument={instrument}")]
    Capacity {
        /// Which limit.
        resource: Resource,
        /// Its configured value.
        limit: u32,
        /// The instrument the event was for.
        instrument: u32,
    },
    /// The instrument id is not below [`crate::BookLimits::instruments`].
    #[error("BOOK_UNKNOWN_INSTRUMENT instrument={instrument} instruments={instruments}")]
    UnknownInstrument {
        /// The instrument id from the event.
        instrument: u32,
        /// The configured instrument count.
        instruments: u32,
    },
    /// An add, replace, execute or cancel with zero shares.
    #[error("BOOK_ZERO_QTY order_ref={order_ref}")]
    ZeroQty {
        /// The order reference number from the event.
        order_ref: u64,
    },
    /// [`crate::BookLimits::validate`] failed.
    #[error("BOOK_INVALID_LIMITS field={field} value={value} max={max}")]
    InvalidLimits {
        /// The limits field out of range.
        field: &'static str,
        /// Its value.
        value: u32,
        /// Its largest allowed value (the smallest is 1).
        max: u32,
    },
}

impl BookError {
    /// The stable code that starts the message, e.g. `"BOOK_OVERFILL"`.
    pub const fn code(&self) -> &'static str {
        match self {
            BookError::UnknownOrder { .. } => "BOOK_UNKNOWN_ORDER",
            BookError::DuplicateOrder { .. } => "BOOK_DUPLICATE_ORDER",
            BookError::Overfill { .. } => "BOOK_OVERFILL",
            BookError::Capacity { .. } => "BOOK_CAPACITY",
            BookError::UnknownInstrument { .. } => "BOOK_UNKNOWN_INSTRUMENT",
            BookError::ZeroQty { .. } => "BOOK_ZERO_QTY",
            BookError::InvalidLimits { .. } => "BOOK_INVALID_LIMITS",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_their_code() {
        let all = [
            BookError::UnknownOrder { order_ref: 1 },
            BookError::DuplicateOrder { order_ref: 2 },
            BookError::Overfill {
                order_ref: 3,
                qty: 10,
                open_qty: 5,
            },
            BookError::Capacity {
                resource: Resource::Levels,
                limit: 4,
                instrument: 9,
            },
            BookError::UnknownInstrument {
                instrument: 7,
                instruments: 2,
            },
            BookError::ZeroQty { order_ref: 4 },
            BookError::InvalidLimits {
                field: "orders",
                value: 0,
                max: 1,
            },
        ];
        for e in all {
            let text = e.to_string();
            assert!(text.starts_with(e.code()), "{text}");
            assert!(text.contains('='), "{text}");
        }
        assert_eq!(
            BookError::Overfill {
                order_ref: 3,
                qty: 10,
                open_qty: 5
            }
            .to_string(),
            "BOOK_OVERFILL order_ref=3 qty=10 open_qty=5"
        );
        assert_eq!(
            BookError::Capacity {
                resource: Resource::Levels,
                limit: 4,
                instrument: 9
            }
            .to_string(),
            "BOOK_CAPACITY resource=levels_per_side limit=4 instrument=9"
        );
    }
}
