//! Every size and the instrument table of the order-entry path, read once at start-up.

use crate::error::OrderEntryError;
use crossbar_model::VenueId;
use crossbar_ouch::{Capacity, Symbol};

/// Configuration of one [`crate::OrderRouter`] (one venue session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEntryConfig {
    /// The venue this session trades on; child orders for another venue are rejected.
    pub venue_id: VenueId,
    /// Venue symbol (OUCH 5.0 §2.1 "Symbol", 8 bytes space padded) per instrument, indexed by
    /// [`crossbar_model::InstrumentId`]; must have one entry per risk instrument.
    pub symbols: Vec<Symbol>,
    /// Most child orders tracked at once (live or awaiting the venue's answer); size of the
    /// order table. Should equal the risk engine's `max_open_orders`.
    pub max_live_orders: u32,
    /// How many recent executions (match number and side) are remembered to drop duplicates.
    pub duplicate_execution_window: u32,
    /// First OUCH UserRefNum of the session (OUCH 5.0 §2: strictly increasing per day; after a
    /// restart, the Account Query Response §3.14 gives the next one). At least 1.
    pub first_user_ref_num: u32,
    /// OUCH 5.0 §2.1 "Capacity" sent on every Enter Order.
    pub capacity: Capacity,
    /// The venue's midnight, seconds east of UTC, that OUCH Timestamps count from (OUCH 5.0
    /// §3.2 "Timestamp: nanoseconds since midnight"; local = UTC + offset). 0 for UTC midnight
    /// (the venue simulator's default); NASDAQ's US Eastern midnight is −18,000 (EST) or
    /// −14,400 (EDT), a fixed value here. Within ±[`crate::VENUE_MIDNIGHT_OFFSET_MAX_S`].
    pub venue_midnight_utc_offset_s: i32,
}

impl OrderEntryConfig {
    /// Checks the sizes.
    ///
    /// # Errors
    /// [`OrderEntryError::Config`] when a size is zero or out of range, or the venue's midnight
    /// offset is beyond ±[`crate::VENUE_MIDNIGHT_OFFSET_MAX_S`] s.
    pub fn validate(&self, risk_instruments: usize) -> Result<(), OrderEntryError> {
        let bad = |reason: &'static str| Err(OrderEntryError::Config { reason });
        if self.symbols.len() != risk_instruments {
            return bad("symbols_len_ne_risk_instruments");
        }
        if self.max_live_orders == 0 || self.max_live_orders >= u32::MAX / 2 {
            return bad("max_live_orders_out_of_range");
        }
        if self.duplicate_execution_window == 0 || self.duplicate_execution_window >= u32::MAX / 2 {
            return bad("duplicate_execution_window_out_of_range");
        }
        if self.first_user_ref_num == 0 {
            return bad("first_user_ref_num_zero");
        }
        if self.venue_midnight_utc_offset_s.unsigned_abs()
            > crate::VENUE_MIDNIGHT_OFFSET_MAX_S.unsigned_abs()
        {
            return bad("venue_midnight_utc_offset_out_of_range");
        }
        Ok(())
    }
}
