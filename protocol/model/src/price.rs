//! Fixed-point prices and share quantities.

use serde::{Deserialize, Serialize};

/// A price in fixed point: an `i64` count of 1/10,000 of a currency unit, so `$12.3456` is
/// `Price(123_456)`.
///
/// The scale is the one ITCH 5.0 (§3, "Price (4)") and OUCH 5.0 (§2, "Price") put on the
/// wire, so NASDAQ prices need no rescaling. Feeds with other scales (Pillar's per-symbol price
/// scale, Cboe PITCH short prices with 2 decimals) convert once in their decoder. Signed so
/// that differences and negative prices (some spreads) are representable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Price(pub i64);

/// Why a decimal string is not a [`Price`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceParseError {
    /// Not of the form `[-]digits[.digits]`.
    #[error("PRICE_SYNTAX input={0:?} (expected [-]digits[.digits])")]
    Syntax(String),
    /// More than four decimal places.
    #[error("PRICE_PRECISION input={0:?} (at most 4 decimal places)")]
    Precision(String),
    /// Does not fit in an `i64` at scale 10,000.
    #[error("PRICE_OVERFLOW input={0:?}")]
    Overflow(String),
}

impl Price {
    /// Units per currency unit: prices carry 4 implied decimals.
    pub const SCALE: i64 = 10_000;
    /// Zero.
    pub const ZERO: Price = Price(0);

    /// The price of `whole` currency units plus `ten_thousandths`/10,000.
    pub const fn from_parts(whole: i64, ten_thousandths: i64) -> Self {
        Price(whole * Self::SCALE + ten_thousandths)
    }

    /// Reads an ITCH/OUCH `Price (4)` wire value (u32, 4 implied decimals).
    #[inline]
    pub const fn from_itch(raw: u32) -> Self {
        Price(raw as i64)
    }

    /// Notional value of `qty` shares at this price, in 1/10,000 currency units, saturating.
    #[inline]
    pub const fn notional(self, qty: Qty) -> i128 {
        self.0 as i128 * qty.0 as i128
    }

    /// Parses a decimal like `"12.3456"`, `"-0.5"` or `"100"` exactly (no float on the way).
    ///
    /// # Errors
    /// [`PriceParseError`] for bad syntax, more than 4 decimals, or overflow.
    pub fn parse_decimal(input: &str) -> Result<Self, PriceParseError> {
        let (negative, body) = match input.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(frac) || (body.ends_with('.')) {
            return Err(PriceParseError::Syntax(input.to_owned()));
        }
        if frac.len() > 4 {
            return Err(PriceParseError::Precision(input.to_owned()));
        }
        let overflow = || PriceParseError::Overflow(input.to_owned());
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let mut frac_units: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| overflow())?
        };
        for _ in frac.len()..4 {
            frac_units *= 10;
        }
        let magnitude = whole
            .checked_mul(Self::SCALE)
            .and_then(|w| w.checked_add(frac_units))
            .ok_or_else(overflow)?;
        Ok(Price(if negative { -magnitude } else { magnitude }))
    }

    /// The price as a float, for display and reports only; never for arithmetic.
    pub fn to_f64_lossy(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:04}",
            abs / Self::SCALE as u64,
            abs % Self::SCALE as u64
        )
    }
}

/// A quantity of shares. `u32` covers every venue's order size field (ITCH 5.0 "Shares",
/// OUCH 5.0 "Quantity"); positions, which can exceed it and go negative, are `i64`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Qty(pub u32);

impl Qty {
    /// Zero shares.
    pub const ZERO: Qty = Qty(0);

    /// True when no shares.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self - other`, or `None` when `other` is larger.
    #[inline]
    pub const fn checked_sub(self, other: Qty) -> Option<Qty> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Qty(v)),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for (text, raw) in [
            ("12.3456", 123_456),
            ("0.0001", 1),
            ("100", 1_000_000),
            ("-0.5", -5_000),
        ] {
            let p = Price::parse_decimal(text).unwrap();
            assert_eq!(p, Price(raw), "{text}");
            assert_eq!(Price::parse_decimal(&p.to_string()).unwrap(), p);
        }
        assert_eq!(Price(123_456).to_string(), "12.3456");
        assert_eq!(Price(-5_000).to_string(), "-0.5000");
    }

    #[test]
    fn parse_rejects_bad_input_with_reason() {
        assert!(matches!(
            Price::parse_decimal("1.23456"),
            Err(PriceParseError::Precision(_))
        ));
        assert!(matches!(
            Price::parse_decimal("abc"),
            Err(PriceParseError::Syntax(_))
        ));
        assert!(matches!(
            Price::parse_decimal(""),
            Err(PriceParseError::Syntax(_))
        ));
        assert!(matches!(
            Price::parse_decimal("1."),
            Err(PriceParseError::Syntax(_))
        ));
        assert!(matches!(
            Price::parse_decimal(".5"),
            Err(PriceParseError::Syntax(_))
        ));
        assert!(matches!(
            Price::parse_decimal("999999999999999999"),
            Err(PriceParseError::Overflow(_))
        ));
    }

    #[test]
    fn itch_price_has_four_implied_decimals() {
        assert_eq!(Price::from_itch(1_000_000).to_string(), "100.0000");
        assert_eq!(Price::from_itch(u32::MAX).0, u32::MAX as i64);
        assert_eq!(Price::from_parts(12, 3456), Price(123_456));
    }

    #[test]
    fn notional_does_not_overflow_at_extremes() {
        let n = Price(i64::MAX).notional(Qty(u32::MAX));
        assert_eq!(n, i64::MAX as i128 * u32::MAX as i128);
    }

    #[test]
    fn qty_checked_sub() {
        assert_eq!(Qty(5).checked_sub(Qty(3)), Some(Qty(2)));
        assert_eq!(Qty(3).checked_sub(Qty(5)), None);
        assert!(Qty::ZERO.is_zero());
    }
}
