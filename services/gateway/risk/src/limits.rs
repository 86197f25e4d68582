//! Every risk limit and every size, in one place, read once at start-up.

use crossbar_model::Qty;

/// Limits for one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentLimits {
    /// Largest quantity of one order, shares. An order of exactly this size passes.
    pub max_order_qty: Qty,
    /// Largest notional of one order, `price * qty` in 1/10,000 currency units.
    pub max_order_notional: i128,
    /// Largest long position, shares, counting open buy orders at their full leaves.
    pub max_long_position: i64,
    /// Largest short position as a positive number of shares, counting open sell orders.
    pub max_short_position: i64,
    /// Price collar width in basis points (1/100 of a percent) around the reference price.
    pub collar_bps: u32,
    /// Most orders accepted for this instrument in any window of
    /// [`RiskLimits::throttle_window_ns`].
    pub max_orders_per_window: u32,
}

/// The engine's sizes and session-wide limits. Allocation happens once, from these, in
/// [`crate::RiskEngine::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskLimits {
    /// One entry per instrument, indexed by [`crossbar_model::InstrumentId`].
    pub instruments: Vec<InstrumentLimits>,
    /// Most orders open at once across the session (size of the open-order table).
    pub max_open_orders: u32,
    /// How many recent order ids are remembered for the duplicate check.
    pub duplicate_window: u32,
    /// Most orders accepted for the whole session in any window of `throttle_window_ns`.
    pub session_max_orders_per_window: u32,
    /// Length of the throttle's sliding window, ns (1,000,000,000 for "per second").
    pub throttle_window_ns: u64,
    /// Whether, while a kill switch is on, orders that reduce the absolute position (without
    /// flipping it, counting open orders on that side) are still accepted.
    pub kill_switch_allows_reducing: bool,
}

/// Why a [`RiskLimits`] is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitsError {
    /// A size or limit is zero, negative or above its ceiling.
    #[error("RISK_INVALID_LIMITS field={field} value={value}")]
    Invalid {
        /// The field name (for per-instrument fields, prefixed `instrument.`).
        field: &'static str,
        /// The offending value.
        value: i128,
    },
}

impl RiskLimits {
    /// Ceiling on every count-like size (instruments, open orders, windows).
    pub const SIZE_MAX: u32 = 1 << 24;
    /// Ceiling on per-instrument throttle rates (ring slots per instrument).
    pub const RATE_MAX: u32 = 1 << 16;

    /// Checks every field: sizes in `1..=SIZE_MAX`, rates in `1..=RATE_MAX`, window > 0,
    /// notional and position limits non-negative, collar at most 10,000 bps.
    ///
    /// # Errors
    /// [`LimitsError::Invalid`] naming the first bad field.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let bad = |field, value: i128| Err(LimitsError::Invalid { field, value });
        let size_ok = |v: u32| (1..=Self::SIZE_MAX).contains(&v);
        if !size_ok(self.instruments.len().min(u32::MAX as usize) as u32) {
            return bad("instruments", self.instruments.len() as i128);
        }
        if !size_ok(self.max_open_orders) {
            return bad("max_open_orders", self.max_open_orders.into());
        }
        if !size_ok(self.duplicate_window) {
            return bad("duplicate_window", self.duplicate_window.into());
        }
        if !size_ok(self.session_max_orders_per_window) {
            return bad(
                "session_max_orders_per_window",
                self.session_max_orders_per_window.into(),
            );
        }
        if self.throttle_window_ns == 0 {
            return bad("throttle_window_ns", 0);
        }
        for l in &self.instruments {
            l.validate()?;
        }
        Ok(())
    }
}

impl InstrumentLimits {
    /// Checks one instrument's limits: rate in `1..=RiskLimits::RATE_MAX`, notional and
    /// position limits non-negative, collar at most 10,000 bps.
    ///
    /// # Errors
    /// [`LimitsError::Invalid`] naming the first bad field (prefixed `instrument.`).
    pub fn validate(&self) -> Result<(), LimitsError> {
        let bad = |field, value: i128| Err(LimitsError::Invalid { field, value });
        let l = self;
        if l.max_orders_per_window == 0 || l.max_orders_per_window > RiskLimits::RATE_MAX {
            return bad(
                "instrument.max_orders_per_window",
                l.max_orders_per_window.into(),
            );
        }
        if l.max_order_notional < 0 {
            return bad("instrument.max_order_notional", l.max_order_notional);
        }
        if l.max_long_position < 0 || l.max_short_position < 0 {
            return bad(
                "instrument.max_position",
                l.max_long_position.min(l.max_short_position).into(),
            );
        }
        if l.collar_bps > 10_000 {
            return bad("instrument.collar_bps", l.collar_bps.into());
        }
        Ok(())
    }
}
