//! The one place every size and numbering range of the engine is set (TigerBeetle style: one
//! limits struct with its relationships asserted), read once at start-up.

use crate::error::MatchError;

/// How large a [`crate::MatchingEngine`] is. Every table is allocated from these numbers in
/// [`crate::MatchingEngine::new`] and never grows; an order that would need more is rejected
/// with [`MatchError::Capacity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchingLimits {
    /// Number of instruments; valid [`crossbar_model::InstrumentId`]s are `0..instruments`.
    pub instruments: u32,
    /// Most resting orders at once (seeded and client together, all instruments).
    pub orders: u32,
    /// Most distinct price levels on one side of one instrument.
    pub levels_per_side: u32,
    /// Number of order-entry sessions; valid session ids are `0..sessions`.
    pub sessions: u16,
    /// Largest quantity (shares) a client order or replace may carry. NASDAQ OUCH 5.0 §2.1
    /// Enter Order "Quantity": "greater than zero and less than 1,000,000", i.e. 999,999.
    pub order_qty_max: u32,
}

impl MatchingLimits {
    /// Hard ceiling on `orders` (slab indices are `u32` with `u32::MAX` meaning "none", and
    /// the two hash tables have `2 * orders` slots each).
    pub const ORDERS_MAX: u32 = 1 << 30;
    /// Hard ceiling on `instruments`.
    pub const INSTRUMENTS_MAX: u32 = 1 << 24;
    /// Hard ceiling on `levels_per_side`.
    pub const LEVELS_PER_SIDE_MAX: u32 = 1 << 20;
    /// Hard ceiling on `sessions` (`u16::MAX` is reserved internally for seeded orders).
    pub const SESSIONS_MAX: u16 = u16::MAX - 1;
    /// NASDAQ's per-order quantity ceiling, OUCH 5.0 §2.1 (shares).
    pub const NASDAQ_ORDER_QTY_MAX: u32 = 999_999;

    /// Checks each field is at least 1 and at most its `*_MAX`.
    ///
    /// # Errors
    /// [`MatchError::InvalidLimits`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), MatchError> {
        let check = |field: &'static str, value: u64, max: u64| {
            if value == 0 || value > max {
                Err(MatchError::InvalidLimits { field, value, max })
            } else {
                Ok(())
            }
        };
        check(
            "instruments",
            self.instruments.into(),
            Self::INSTRUMENTS_MAX.into(),
        )?;
        check("orders", self.orders.into(), Self::ORDERS_MAX.into())?;
        check(
            "levels_per_side",
            self.levels_per_side.into(),
            Self::LEVELS_PER_SIDE_MAX.into(),
        )?;
        check("sessions", self.sessions.into(), Self::SESSIONS_MAX.into())?;
        check("order_qty_max", self.order_qty_max.into(), u32::MAX.into())?;
        Ok(())
    }
}

/// Start-up configuration: sizes plus the numbering ranges that keep venue-assigned numbers
/// apart from the replayed feed's.
///
/// Seeded orders carry the order reference numbers and match numbers of the venue's own ITCH
/// history (ITCH 5.0 §1.3 Add Order "Order Reference Number", §1.4.1 "Match Number"), and the
/// history keeps arriving while clients trade, so "one above the largest seen so far" could
/// collide with a later seed. Instead client orders and client matches are numbered from a
/// separate high range, and seed events whose numbers reach into that range are rejected
/// ([`MatchError::SeedNumberInClientRange`]), so a collision is impossible by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchingConfig {
    /// Table sizes.
    pub limits: MatchingLimits,
    /// First order reference number given to an accepted client order; later ones count up
    /// by one. Seeded refs must be below it.
    pub client_order_ref_first: u64,
    /// First match number given to a client match; later ones count up by one. Seeded match
    /// numbers must be below it.
    pub match_number_first: u64,
}

impl MatchingConfig {
    /// Default start of the client numbering ranges: 2^62. Real ITCH order references and
    /// match numbers are day-unique counters in the low billions, and 2^62 still leaves
    /// 3 * 2^62 numbers above it within ITCH's 8-byte fields.
    pub const CLIENT_RANGE_FIRST: u64 = 1 << 62;

    /// `limits` with both client ranges starting at [`Self::CLIENT_RANGE_FIRST`].
    pub const fn new(limits: MatchingLimits) -> Self {
        Self {
            limits,
            client_order_ref_first: Self::CLIENT_RANGE_FIRST,
            match_number_first: Self::CLIENT_RANGE_FIRST,
        }
    }

    /// Checks the limits and that both ranges start above zero.
    ///
    /// # Errors
    /// [`MatchError::InvalidLimits`].
    pub fn validate(&self) -> Result<(), MatchError> {
        self.limits.validate()?;
        for (field, value) in [
            ("client_order_ref_first", self.client_order_ref_first),
            ("match_number_first", self.match_number_first),
        ] {
            if value == 0 {
                return Err(MatchError::InvalidLimits {
                    field,
                    value,
                    max: u64::MAX,
                });
            }
        }
        Ok(())
    }
}

// Slab indices leave u32::MAX free as "none"; hash tables have 2 * orders slots.
const _: () = assert!((MatchingLimits::ORDERS_MAX as u64) * 2 < u32::MAX as u64);
const _: () = assert!(MatchingLimits::LEVELS_PER_SIDE_MAX < u32::MAX);
const _: () = assert!(MatchingLimits::SESSIONS_MAX < u16::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> MatchingLimits {
        MatchingLimits {
            instruments: 1,
            orders: 1,
            levels_per_side: 1,
            sessions: 1,
            order_qty_max: 1,
        }
    }

    #[test]
    fn limits_bounds() {
        assert_eq!(ok().validate(), Ok(()));
        let zero = MatchingLimits {
            sessions: 0,
            ..ok()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "MATCH_INVALID_LIMITS field=sessions value=0 max=65534"
        );
        let over = MatchingLimits {
            orders: MatchingLimits::ORDERS_MAX + 1,
            ..ok()
        };
        assert!(matches!(
            over.validate(),
            Err(MatchError::InvalidLimits {
                field: "orders",
                ..
            })
        ));
        let mut config = MatchingConfig::new(ok());
        assert_eq!(config.validate(), Ok(()));
        config.match_number_first = 0;
        assert!(matches!(
            config.validate(),
            Err(MatchError::InvalidLimits {
                field: "match_number_first",
                ..
            })
        ));
    }
}
