//! Order side and time in force.

use serde::{Deserialize, Serialize};

/// The side of an order. Wire codes are the ITCH/OUCH ones: `B`, `S`, `T` (sell short).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Side {
    /// Buy (`B`).
    Buy = b'B',
    /// Sell long (`S`).
    Sell = b'S',
    /// Sell short (`T`), OUCH 5.0 §3.1 Enter Order "Side".
    SellShort = b'T',
}

/// An unknown side code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SIDE_UNKNOWN code={0:#04x}")]
pub struct SideError(pub u8);

impl Side {
    /// Parses a wire code (`B`, `S`, `T`).
    ///
    /// # Errors
    /// [`SideError`] for any other byte.
    pub const fn from_code(code: u8) -> Result<Self, SideError> {
        match code {
            b'B' => Ok(Side::Buy),
            b'S' => Ok(Side::Sell),
            b'T' => Ok(Side::SellShort),
            other => Err(SideError(other)),
        }
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// True for the sell sides (long and short).
    pub const fn is_sell(self) -> bool {
        !matches!(self, Side::Buy)
    }

    /// +1 for buy, -1 for sell: the sign of a fill's effect on a position.
    pub const fn sign(self) -> i64 {
        if self.is_sell() {
            -1
        } else {
            1
        }
    }
}

/// How long an order works. Wire codes follow OUCH 5.0 "Time In Force" (`0` day, `3` IOC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum TimeInForce {
    /// Works until the end of the trading day (`0`).
    Day = b'0',
    /// Immediate or cancel: whatever does not fill at once is cancelled (`3`).
    Ioc = b'3',
}

/// An unknown time-in-force code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TIME_IN_FORCE_UNKNOWN code={0:#04x}")]
pub struct TimeInForceError(pub u8);

impl TimeInForce {
    /// Parses a wire code (`0` day, `3` IOC).
    ///
    /// # Errors
    /// [`TimeInForceError`] for any other byte.
    pub const fn from_code(code: u8) -> Result<Self, TimeInForceError> {
        match code {
            b'0' => Ok(TimeInForce::Day),
            b'3' => Ok(TimeInForce::Ioc),
            other => Err(TimeInForceError(other)),
        }
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_codes_round_trip() {
        for s in [Side::Buy, Side::Sell, Side::SellShort] {
            assert_eq!(Side::from_code(s.code()), Ok(s));
        }
        assert_eq!(Side::from_code(b'X'), Err(SideError(b'X')));
        assert_eq!(Side::Buy.sign(), 1);
        assert_eq!(Side::SellShort.sign(), -1);
    }

    #[test]
    fn tif_codes_round_trip() {
        for t in [TimeInForce::Day, TimeInForce::Ioc] {
            assert_eq!(TimeInForce::from_code(t.code()), Ok(t));
        }
        assert_eq!(TimeInForce::from_code(b'9'), Err(TimeInForceError(b'9')));
    }
}
