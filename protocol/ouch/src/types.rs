//! Field types of OUCH 5.0 (§1.2 "Data Types", §2, §3, Appendices C–E).

use crate::error::OuchError;
use crate::wire::{Reader, Wire, Writer};

/// A fixed-width alpha field: left-justified, padded on the right with spaces (§1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alpha<const N: usize>(pub [u8; N]);

/// Stock symbol, 8 bytes (§2.1 "Symbol").
pub type Symbol = Alpha<8>;
/// Customer order identifier, 14 bytes (§2.1 "ClOrdID").
pub type ClOrdId = Alpha<14>;
/// Firm identifier, 4 bytes (Appendix B tag 2), or a Route (tag 14).
pub type Mpid = Alpha<4>;

impl<const N: usize> Alpha<N> {
    /// All spaces.
    pub const BLANK: Self = Self([b' '; N]);

    /// Pads `text` on the right with spaces; `None` when longer than `N` bytes or not printable ASCII.
    pub fn new(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() > N || !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
            return None;
        }
        let mut out = [b' '; N];
        out[..bytes.len()].copy_from_slice(bytes);
        Some(Self(out))
    }

    /// The text without right padding.
    pub fn trimmed(&self) -> &[u8] {
        self.0.trim_ascii_end()
    }

    /// The trimmed text as `&str`, or `None` if it is not UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.trimmed()).ok()
    }
}

impl<'r, const N: usize> Wire<'r> for Alpha<N> {
    const MIN_LEN: usize = N;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        Ok(Self(r.take()?))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        w.put(&self.0)
    }
}

/// The client's order token: unsigned, day-unique and strictly increasing per OUCH account (§1.2 "UserRefNum").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserRefNum(pub u32);

impl<'r> Wire<'r> for UserRefNum {
    const MIN_LEN: usize = 4;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        Ok(Self(u32::read(r)?))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        self.0.write(w)
    }
}

/// Defines a one-byte code enum. `strict` enums reject unknown codes with `OUCH_BAD_FIELD`;
/// `open` enums keep them in an `Other` variant (for reason codes the venue may extend, so that an
/// execution or a cancel is never dropped over a new code).
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, strict { $($(#[$vm:meta])* $var:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }
        impl $name {
            /// Parses the wire code; `None` for a code the spec does not define.
            pub const fn from_code(code: u8) -> Option<Self> {
                match code { $($code => Some(Self::$var),)+ _ => None }
            }
            /// The wire code.
            pub const fn code(self) -> u8 {
                match self { $(Self::$var => $code),+ }
            }
        }
        impl<'r> Wire<'r> for $name {
            const MIN_LEN: usize = 1;
            #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
                let [code] = r.take()?;
                Self::from_code(code).ok_or_else(|| r.bad($field, u64::from(code)))
            }
            #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
                w.put(&[self.code()])
            }
        }
    };
    ($(#[$m:meta])* $name:ident, $repr:ty, open { $($(#[$vm:meta])* $var:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var,)+
            /// A code this version of the spec does not list, kept as received.
            Unlisted($repr),
        }
        impl $name {
            /// Parses the wire code.
            pub const fn from_code(code: $repr) -> Self {
                match code { $($code => Self::$var,)+ other => Self::Unlisted(other) }
            }
            /// The wire code.
            pub const fn code(self) -> $repr {
                match self { $(Self::$var => $code,)+ Self::Unlisted(code) => code }
            }
        }
        impl<'r> Wire<'r> for $name {
            const MIN_LEN: usize = std::mem::size_of::<$repr>();
            #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
                Ok(Self::from_code(<$repr>::from_be_bytes(r.take()?)))
            }
            #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
                w.put(&self.code().to_be_bytes())
            }
        }
    };
}

code_enum!(
    /// Order side (§2.1 "Side"). OUCH adds sell short exempt to [`crossbar_model::Side`].
    OrderSide, "Side", strict {
        /// `B`
        Buy = b'B',
        /// `S` (long)
        Sell = b'S',
        /// `T`
        SellShort = b'T',
        /// `E`
        SellShortExempt = b'E',
    }
);

impl OrderSide {
    /// The platform side; sell short exempt maps to [`crossbar_model::Side::SellShort`] (it is a
    /// short sale for position purposes; the exemption is a regulatory marking only).
    pub const fn to_model(self) -> crossbar_model::Side {
        match self {
            Self::Buy => crossbar_model::Side::Buy,
            Self::Sell => crossbar_model::Side::Sell,
            Self::SellShort | Self::SellShortExempt => crossbar_model::Side::SellShort,
        }
    }
}

impl From<crossbar_model::Side> for OrderSide {
    fn from(side: crossbar_model::Side) -> Self {
        match side {
            crossbar_model::Side::Buy => Self::Buy,
            crossbar_model::Side::Sell => Self::Sell,
            crossbar_model::Side::SellShort => Self::SellShort,
        }
    }
}

code_enum!(
    /// Time in force (§2.1 "Time In Force", FIX tag 59 codes).
    TimeInForce, "TimeInForce", strict {
        /// `0` Day (market hours).
        Day = b'0',
        /// `3` Immediate or cancel.
        Ioc = b'3',
        /// `5` GTX (extended hours).
        Gtx = b'5',
        /// `6` GTT (needs the ExpireTime option).
        Gtt = b'6',
        /// `E` After hours.
        AfterHours = b'E',
    }
);

impl TimeInForce {
    /// The platform time in force, when it has one (Day and IOC).
    pub const fn to_model(self) -> Option<crossbar_model::TimeInForce> {
        match self {
            Self::Day => Some(crossbar_model::TimeInForce::Day),
            Self::Ioc => Some(crossbar_model::TimeInForce::Ioc),
            _ => None,
        }
    }
}

impl From<crossbar_model::TimeInForce> for TimeInForce {
    fn from(tif: crossbar_model::TimeInForce) -> Self {
        match tif {
            crossbar_model::TimeInForce::Day => Self::Day,
            crossbar_model::TimeInForce::Ioc => Self::Ioc,
        }
    }
}

code_enum!(
    /// Display (§2.1 "Display", §3.2 adds `Z`).
    Display, "Display", strict {
        /// `Y` visible.
        Visible = b'Y',
        /// `N` hidden.
        Hidden = b'N',
        /// `A` attributable.
        Attributable = b'A',
        /// `Z` conformant (outbound only).
        Conformant = b'Z',
    }
);

code_enum!(
    /// Capacity (§2.1 "Capacity").
    Capacity, "Capacity", strict {
        /// `A` agency.
        Agency = b'A',
        /// `P` principal.
        Principal = b'P',
        /// `R` riskless.
        Riskless = b'R',
        /// `O` other.
        Other = b'O',
    }
);

code_enum!(
    /// InterMarket Sweep Eligibility (§2.1).
    IntermarketSweep, "InterMarketSweepEligibility", strict {
        /// `Y` eligible.
        Eligible = b'Y',
        /// `N` not eligible.
        NotEligible = b'N',
    }
);

code_enum!(
    /// Cross type (§2.1 "CrossType").
    CrossType, "CrossType", strict {
        /// `N` continuous market.
        Continuous = b'N',
        /// `O` opening cross (Nasdaq only).
        Opening = b'O',
        /// `C` closing cross (Nasdaq only).
        Closing = b'C',
        /// `H` halt/IPO (Nasdaq only).
        HaltIpo = b'H',
        /// `S` supplemental (Nasdaq only).
        Supplemental = b'S',
        /// `R` retail (BX only).
        Retail = b'R',
        /// `E` extended life (Nasdaq only).
        ExtendedLife = b'E',
        /// `A` after hours close (Nasdaq only).
        AfterHoursClose = b'A',
    }
);

code_enum!(
    /// Order state (§3.2 "Order State").
    OrderState, "OrderState", strict {
        /// `L` live.
        Live = b'L',
        /// `D` dead: accepted and automatically canceled; no further messages for this order.
        Dead = b'D',
    }
);

code_enum!(
    /// System event code (§3.1 "Event Code").
    EventCode, "EventCode", strict {
        /// `S` start of day.
        StartOfDay = b'S',
        /// `E` end of day.
        EndOfDay = b'E',
    }
);

code_enum!(
    /// Broken trade reason (§3.7 "Reason").
    BrokenTradeReason, "Reason", strict {
        /// `E` erroneous (clearly erroneous).
        Erroneous = b'E',
        /// `C` consent (both parties agreed).
        Consent = b'C',
        /// `S` supervisory.
        Supervisory = b'S',
        /// `X` external third party.
        External = b'X',
    }
);

code_enum!(
    /// Order restated reason (§3.13 "Reason").
    RestateReason, "Reason", strict {
        /// `R` refresh of display (order with reserves).
        Refresh = b'R',
        /// `P` update of displayed price.
        DisplayPriceUpdate = b'P',
    }
);

code_enum!(
    /// Yes / no flag (Appendix B TradeNow, SharesLocated).
    YesNo, "YesNo", strict {
        /// `Y`
        Yes = b'Y',
        /// `N` (the default)
        No = b'N',
    }
);

code_enum!(
    /// Customer type (Appendix B tag 4).
    CustomerType, "CustomerType", strict {
        /// `R` retail designated order.
        Retail = b'R',
        /// `N` not retail designated (default).
        NotRetail = b'N',
    }
);

code_enum!(
    /// Price type and discretion price type (Appendix B tags 6 and 10).
    PriceType, "PriceType", strict {
        /// `L` limit (default).
        Limit = b'L',
        /// `P` market peg.
        MarketPeg = b'P',
        /// `M` midpoint peg.
        MidpointPeg = b'M',
        /// `R` primary peg.
        PrimaryPeg = b'R',
        /// `Q` market maker peg.
        MarketMakerPeg = b'Q',
        /// `m` midpoint.
        Midpoint = b'm',
    }
);

code_enum!(
    /// Post only (Appendix B tag 12).
    PostOnly, "PostOnly", strict {
        /// `P` post only.
        PostOnly = b'P',
        /// `N` no (default).
        No = b'N',
    }
);

code_enum!(
    /// Handling instruction (Appendix B tag 17).
    HandleInst, "HandleInst", strict {
        /// `I` imbalance only (CrossType O and C).
        ImbalanceOnly = b'I',
        /// `O` retail order type 1 (CrossType R).
        RetailOrderType1 = b'O',
        /// `T` retail order type 2 (CrossType R).
        RetailOrderType2 = b'T',
        /// `Q` retail price improvement (CrossType R).
        RetailPriceImprovement = b'Q',
        /// `B` extended life + continuous (CrossType E).
        ExtendedLifeContinuous = b'B',
        /// `D` direct listing capital raise (CrossType H).
        DirectListingCapitalRaise = b'D',
        /// `R` retail price improvement, hidden price improvement indicator (CrossType R).
        RetailPriceImprovementHidden = b'R',
    }
);

code_enum!(
    /// BBO weight indicator (Appendix B tag 18).
    BboWeightIndicator, "BboWeightIndicator", strict {
        /// `0`: 0–0.2%.
        UpTo0_2Pct = b'0',
        /// `1`: 0.2%–1%.
        UpTo1Pct = b'1',
        /// `2`: 1%–2%.
        UpTo2Pct = b'2',
        /// `3`: greater than 2%.
        Over2Pct = b'3',
        /// space: unspecified (default).
        Unspecified = b' ',
        /// `S`: sets the QBBO while joining the NBBO.
        SetsQbbo = b'S',
        /// `N`: improves the NBBO upon entry.
        ImprovesNbbo = b'N',
    }
);

code_enum!(
    /// Why an order was reduced or canceled (Appendix C).
    CancelReason, u8, open {
        /// `D` regulatory restriction (e.g. trade-through).
        RegulatoryRestriction = b'D',
        /// `E` closed: DAY order received after the closing cross.
        Closed = b'E',
        /// `F` post only cancel: would have been price slid for NMS.
        PostOnlyNms = b'F',
        /// `G` post only cancel: would have been price slid due to a contra-side displayed order.
        PostOnlyContra = b'G',
        /// `H` halted: symbol remained halted after the opening cross.
        Halted = b'H',
        /// `I` immediate or cancel.
        ImmediateOrCancel = b'I',
        /// `K` market collars.
        MarketCollars = b'K',
        /// `Q` self match prevention.
        SelfMatchPrevention = b'Q',
        /// `S` supervisory.
        Supervisory = b'S',
        /// `T` timeout: the time in force expired.
        Timeout = b'T',
        /// `U` user requested cancel.
        UserRequested = b'U',
        /// `X` open protection.
        OpenProtection = b'X',
        /// `Z` system cancel.
        System = b'Z',
        /// `e` direct listing capital raise order exceeds allowable shares offered.
        DirectListingExceedsShares = b'e',
    }
);

code_enum!(
    /// Why an order or replace was rejected (Appendix D, 2-byte code).
    RejectReason, u16, open {
        /// 0x0001
        QuoteUnavailable = 0x0001,
        /// 0x0002
        DestinationClosed = 0x0002,
        /// 0x0003
        InvalidDisplay = 0x0003,
        /// 0x0004
        InvalidMaxFloor = 0x0004,
        /// 0x0005
        InvalidPegType = 0x0005,
        /// 0x0006
        FatFinger = 0x0006,
        /// 0x0007
        Halted = 0x0007,
        /// 0x0008
        IsoNotAllowed = 0x0008,
        /// 0x0009
        InvalidSide = 0x0009,
        /// 0x000A
        ProcessingError = 0x000A,
        /// 0x000B
        CancelPending = 0x000B,
        /// 0x000C
        FirmNotAuthorized = 0x000C,
        /// 0x000D
        InvalidMinQuantity = 0x000D,
        /// 0x000E
        NoClosingReferencePrice = 0x000E,
        /// 0x000F
        Other = 0x000F,
        /// 0x0010
        CancelNotAllowed = 0x0010,
        /// 0x0011
        PeggingNotAllowed = 0x0011,
        /// 0x0012
        CrossedMarket = 0x0012,
        /// 0x0013
        InvalidQuantity = 0x0013,
        /// 0x0014
        InvalidCrossOrder = 0x0014,
        /// 0x0015
        ReplaceNotAllowed = 0x0015,
        /// 0x0016
        RoutingNotAllowed = 0x0016,
        /// 0x0017
        InvalidSymbol = 0x0017,
        /// 0x0018
        Test = 0x0018,
        /// 0x0019
        LateLocTooAggressive = 0x0019,
        /// 0x001A
        RetailNotAllowed = 0x001A,
        /// 0x001B
        InvalidMidpointPostOnlyPrice = 0x001B,
        /// 0x001C
        InvalidDestination = 0x001C,
        /// 0x001D
        InvalidPrice = 0x001D,
        /// 0x001E
        SharesExceedThreshold = 0x001E,
        /// 0x001F
        ExceedsMaximumAllowedNotionalValue = 0x001F,
        /// 0x0020
        RiskAggregateExposureExceeded = 0x0020,
        /// 0x0021
        RiskMarketImpact = 0x0021,
        /// 0x0022
        RiskRestrictedStock = 0x0022,
        /// 0x0023
        RiskShortSellRestricted = 0x0023,
        /// 0x0024
        RiskOrderTypeRestricted = 0x0024,
        /// 0x0025
        RiskExceedsAdvLimit = 0x0025,
        /// 0x0026
        RiskFatFinger = 0x0026,
        /// 0x0027
        RiskLocateRequired = 0x0027,
        /// 0x0028
        RiskSymbolMessageRateRestriction = 0x0028,
        /// 0x0029
        RiskPortMessageRateRestriction = 0x0029,
        /// 0x002A
        RiskDuplicateMessageRateRestriction = 0x002A,
    }
);

/// Liquidity flag of an execution (Appendix E), kept as the wire byte: the table is long,
/// venue-specific and extended often, and an execution must never be refused over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LiquidityFlag(pub u8);

impl LiquidityFlag {
    /// `A` added liquidity.
    pub const ADDED: Self = Self(b'A');
    /// `R` removed liquidity.
    pub const REMOVED: Self = Self(b'R');

    /// Appendix E's meaning of the flag, or `None` for a flag it does not list.
    pub const fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            b'A' => "Added",
            b'C' => "Closing Cross",
            b'e' => "Retail designated execution that added displayed liquidity",
            b'H' => "Halt/IPO Cross",
            b'i' => "After hours closing cross",
            b'J' => "Non-displayed adding liquidity",
            b'j' => "RPI (Retail Price Improving) order provides liquidity",
            b'k' => "Added liquidity via a midpoint order",
            b'K' => "Halt Cross",
            b'L' => "Closing Cross (imbalance-only)",
            b'M' => "Opening Cross (imbalance-only)",
            b'm' => "Removed liquidity at a midpoint",
            b'N' => "Passive midpoint execution",
            b'n' => "Midpoint Extended Life Order execution",
            b'O' => "Opening Cross",
            b'p' => "Removed price improving non-displayed liquidity",
            b'q' => "RMO Retail Order removes non-RPI midpoint liquidity",
            b'R' => "Removed",
            b'r' => "Retail Order removes RPI liquidity",
            b't' => "Retail Order removes price improving non-displayed liquidity other than RPI liquidity",
            b'0' => "Supplemental order execution",
            b'7' => "Displayed, liquidity-adding order improves the NBBO",
            b'8' => "Displayed, liquidity-adding order sets the QBBO while joining the NBBO",
            b'1' => "RPI order provides liquidity, No RPII",
            _ => return None,
        })
    }
}

impl<'r> Wire<'r> for LiquidityFlag {
    const MIN_LEN: usize = 1;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        let [code] = r.take()?;
        Ok(Self(code))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        w.put(&[self.0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_enums_round_trip_and_reject_unknown() {
        for s in [
            OrderSide::Buy,
            OrderSide::Sell,
            OrderSide::SellShort,
            OrderSide::SellShortExempt,
        ] {
            assert_eq!(OrderSide::from_code(s.code()), Some(s));
        }
        assert_eq!(OrderSide::from_code(b'X'), None);
        assert_eq!(
            OrderSide::SellShortExempt.to_model(),
            crossbar_model::Side::SellShort
        );
        assert_eq!(OrderSide::from(crossbar_model::Side::Sell), OrderSide::Sell);
        assert_eq!(TimeInForce::Gtx.to_model(), None);
        assert_eq!(
            TimeInForce::Ioc.to_model(),
            Some(crossbar_model::TimeInForce::Ioc)
        );
        assert_eq!(CancelReason::from_code(b'U'), CancelReason::UserRequested);
        assert_eq!(CancelReason::from_code(b'?'), CancelReason::Unlisted(b'?'));
        assert_eq!(CancelReason::Unlisted(b'?').code(), b'?');
        assert_eq!(
            RejectReason::from_code(0x2A),
            RejectReason::RiskDuplicateMessageRateRestriction
        );
        assert_eq!(RejectReason::from_code(0x99), RejectReason::Unlisted(0x99));
        assert_eq!(
            LiquidityFlag(b'k').description(),
            Some("Added liquidity via a midpoint order")
        );
        assert_eq!(LiquidityFlag(b'Z').description(), None);
    }

    #[test]
    fn alpha_pads_and_trims() {
        let s = Symbol::new("AAPL").unwrap();
        assert_eq!(&s.0, b"AAPL    ");
        assert_eq!(s.as_str(), Some("AAPL"));
        assert!(Symbol::new("TOOLONGSYM").is_none());
        assert!(ClOrdId::new("tab\t").is_none());
    }
}
