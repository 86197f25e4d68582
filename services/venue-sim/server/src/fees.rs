//! The venue's fee schedule and the per-account totals it produces.
//!
//! Unit: every amount is fixed-point `i64` in **1/10,000 dollar** (the same unit as
//! [`crossbar_model::Price`]), per share for rates and in total for accumulated fees. A rate
//! of 30 is $0.0030 per share; 100 shares at 30 cost 3,000 units = $0.30. Positive amounts
//! are paid by the member to the venue, negative amounts are paid to the member (rebates).

use crossbar_matching::Liquidity;
use serde::{Deserialize, Serialize};

use crate::config::ConfigProblem;

/// Fees per share by liquidity (OUCH 5.0 Appendix E flag `R` removed / `A` added).
///
/// A maker-taker venue (NASDAQ) has `taker_fee_per_share > 0` and
/// `maker_rebate_per_share > 0`; an inverted venue (BX) has both negative: the taker is
/// paid and the maker pays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeSchedule {
    /// Charged per share to the aggressor (liquidity removed), 1/10,000 $; negative is a
    /// rebate paid to the taker.
    pub taker_fee_per_share: i64,
    /// Paid per share to the resting order's owner (liquidity added), 1/10,000 $; negative
    /// is a fee charged to the maker.
    pub maker_rebate_per_share: i64,
}

impl FeeSchedule {
    /// Largest rate magnitude accepted: $1.00 per share.
    pub const RATE_ABS_MAX: i64 = 10_000;

    /// Checks both rates are within ±[`FeeSchedule::RATE_ABS_MAX`].
    ///
    /// # Errors
    /// [`ConfigProblem`] naming `fees.taker_fee_per_share` or `fees.maker_rebate_per_share`.
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        for (key, rate) in [
            ("fees.taker_fee_per_share", self.taker_fee_per_share),
            ("fees.maker_rebate_per_share", self.maker_rebate_per_share),
        ] {
            if rate.abs() > Self::RATE_ABS_MAX {
                return Err(ConfigProblem {
                    key: key.into(),
                    reason: format!("|{rate}| is above {} ($1.00 per share)", Self::RATE_ABS_MAX),
                });
            }
        }
        Ok(())
    }

    /// The fee for one fill of `shares` with `liquidity`, 1/10,000 $: `shares * taker` for
    /// removed, `-(shares * maker_rebate)` for added. Cannot overflow: shares ≤ u32::MAX and
    /// |rate| ≤ 10,000.
    pub fn fee_for(&self, liquidity: Liquidity, shares: u32) -> i64 {
        let shares = i64::from(shares);
        match liquidity {
            Liquidity::Removed => shares * self.taker_fee_per_share,
            Liquidity::Added => -(shares * self.maker_rebate_per_share),
        }
    }
}

/// What one account traded and paid, accumulated fill by fill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeTotals {
    /// Fills (one per OUCH Order Executed).
    pub fills: u64,
    /// Shares filled.
    pub shares: u64,
    /// Fills that removed liquidity.
    pub taker_fills: u64,
    /// Fills that added liquidity.
    pub maker_fills: u64,
    /// Net fees, 1/10,000 $ (positive: owed to the venue).
    pub net_fees: i64,
}

impl FeeTotals {
    /// Adds one fill priced by `schedule`.
    pub fn record(&mut self, schedule: &FeeSchedule, liquidity: Liquidity, shares: u32) {
        self.fills += 1;
        self.shares += u64::from(shares);
        match liquidity {
            Liquidity::Removed => self.taker_fills += 1,
            Liquidity::Added => self.maker_fills += 1,
        }
        self.net_fees = self
            .net_fees
            .saturating_add(schedule.fee_for(liquidity, shares));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maker_taker_and_inverted_schedules_price_fills() {
        let nasdaq = FeeSchedule {
            taker_fee_per_share: 30,
            maker_rebate_per_share: 20,
        };
        assert_eq!(nasdaq.fee_for(Liquidity::Removed, 100), 3_000, "$0.30");
        assert_eq!(
            nasdaq.fee_for(Liquidity::Added, 100),
            -2_000,
            "$0.20 rebate"
        );
        let bx = FeeSchedule {
            taker_fee_per_share: -6,
            maker_rebate_per_share: -20,
        };
        assert_eq!(bx.fee_for(Liquidity::Removed, 250), -1_500);
        assert_eq!(bx.fee_for(Liquidity::Added, 250), 5_000);
        let mut totals = FeeTotals::default();
        totals.record(&nasdaq, Liquidity::Removed, 100);
        totals.record(&nasdaq, Liquidity::Added, 50);
        assert_eq!(
            totals,
            FeeTotals {
                fills: 2,
                shares: 150,
                taker_fills: 1,
                maker_fills: 1,
                net_fees: 3_000 - 1_000,
            }
        );
        assert_eq!(
            FeeSchedule {
                taker_fee_per_share: 10_000,
                maker_rebate_per_share: 0
            }
            .fee_for(Liquidity::Removed, u32::MAX),
            i64::from(u32::MAX) * 10_000,
            "largest fill fits i64"
        );
    }

    #[test]
    fn rates_above_a_dollar_are_refused() {
        let bad = FeeSchedule {
            taker_fee_per_share: 0,
            maker_rebate_per_share: -10_001,
        };
        assert_eq!(
            bad.validate().unwrap_err().key,
            "fees.maker_rebate_per_share"
        );
        assert!(FeeSchedule::default().validate().is_ok());
    }
}
