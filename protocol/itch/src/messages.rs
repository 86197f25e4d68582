//! The 23 ITCH 5.0 message types: one `Copy` struct each, the [`ItchMessage`] enum, the
//! length table, and the decoder and encoder generated from one field list per message.
//!
//! Each message is declared once, in wire order, with its type byte and total length from the
//! spec; a compile-time assertion checks that the header plus the declared fields' widths add
//! up to that length, so an offset typo cannot compile.

use crossbar_model::{Price, Qty, Side};

use crate::field::{is_buy_sell, put, FieldError, Header, Mpid, Stock, WireField};
use crate::ItchError;

fn field_error(
    message_type: u8,
    field: &'static str,
    actual: usize,
    expected: usize,
    e: FieldError,
) -> ItchError {
    match e {
        FieldError::Missing => ItchError::Truncated {
            message_type,
            expected,
            actual,
        },
        FieldError::BadByte(value) => ItchError::BadField {
            message_type,
            field,
            value,
        },
        FieldError::OutOfRange(value) => ItchError::FieldOutOfRange {
            message_type,
            field,
            value,
        },
    }
}

macro_rules! itch_messages {
    ($(
        $(#[$smeta:meta])*
        $variant:ident($name:ident) = $code:literal, $len:literal {
            $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)?
        }
    )*) => {
        $(
            $(#[$smeta])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub struct $name {
                /// Stock Locate, Tracking Number and Timestamp (offsets 1..11).
                pub header: Header,
                $( $(#[$fmeta])* pub $field: $fty, )*
            }

            const _: () = assert!(Header::LEN $(+ <$fty as WireField>::LEN)* == $len);

            impl $name {
                /// Message Type byte (offset 0).
                pub const TYPE: u8 = $code;
                /// Total length in bytes including the type byte.
                pub const LEN: usize = $len;

                /// Validates every field of a whole message (today: the Buy/Sell Indicator
                /// of `A F P`; the other fields' reads cannot fail and compile to nothing here).
                #[inline(always)]
                fn check_exact(msg: &[u8; $len]) -> Result<(), ItchError> {
                    let mut src: &[u8] = &msg[Header::LEN..];
                    $(
                        <$fty as WireField>::read(&mut src)
                            .map_err(|e| field_error($code, stringify!($field), $len, $len, e))?;
                    )*
                    let _ = &mut src;
                    Ok(())
                }

                /// Reads every field of a whole message that passed [`Self::check_exact`]: a
                /// plain value, never a `Result<Self, _>` (whose error variant shares the
                /// struct's bytes and made the optimiser merge and re-store them).
                #[inline(always)]
                fn read_exact(msg: &[u8; $len]) -> Self {
                    let header = Header::from_message(msg);
                    let mut src: &[u8] = &msg[Header::LEN..];
                    $( let $field = <$fty as WireField>::read_checked(&mut src); )*
                    let _ = &mut src;
                    Self { header $(, $field)* }
                }

                fn encode_exact(&self, out: &mut [u8; $len]) -> Result<(), ItchError> {
                    let mut dst: &mut [u8] = &mut out[..];
                    put(&mut dst, [$code]).map_err(|e| field_error($code, "message_type", 0, $len, e))?;
                    self.header.write(&mut dst)
                        .map_err(|e| field_error($code, "timestamp_ns", 0, $len, e))?;
                    $(
                        self.$field.write(&mut dst)
                            .map_err(|e| field_error($code, stringify!($field), 0, $len, e))?;
                    )*
                    Ok(())
                }
            }

            impl From<$name> for ItchMessage {
                fn from(m: $name) -> Self {
                    ItchMessage::$variant(m)
                }
            }
        )*

        /// One decoded ITCH 5.0 message (ITCH 5.0 §1.1–§1.8), a `Copy` value with every
        /// fixed-width field decoded; alpha fields stay as their raw bytes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ItchMessage {
            $( $(#[$smeta])* $variant($name), )*
        }

        /// Every message type byte of ITCH 5.0, in spec order.
        pub const MESSAGE_TYPES: &[u8] = &[$($code),*];

        /// Message length by type byte, 0 for undefined types (a table, so that framing
        /// costs one load rather than a branch per type).
        const LENGTHS: [u8; 256] = {
            let mut table = [0u8; 256];
            $( table[$code as usize] = $len; )*
            table
        };

        /// The fixed total length in bytes (including the type byte) of ITCH 5.0 messages of
        /// type `message_type`, or `None` for a type the spec does not define.
        ///
        /// Source: the field tables of ITCH 5.0 §1.1–§1.8 (e.g. `A` = 36, `U` = 35).
        #[inline]
        pub const fn message_length(message_type: u8) -> Option<usize> {
            match LENGTHS[message_type as usize] {
                0 => None,
                len => Some(len as usize),
            }
        }

        /// Decodes exactly one ITCH 5.0 message. `bytes` starts at the Message Type byte and
        /// holds exactly the type's length (no framing prefix).
        ///
        /// Allocation-free and panic-free; reads every field of the type.
        ///
        /// # Errors
        /// * [`ItchError::Truncated`]: empty input, or shorter than the type's length.
        /// * [`ItchError::UnknownType`]: a type byte ITCH 5.0 does not define.
        /// * [`ItchError::LengthMismatch`]: longer than the type's length.
        /// * [`ItchError::BadField`]: a Buy/Sell Indicator other than `B`/`S` (A, F, P).
        #[inline]
        pub fn decode(bytes: &[u8]) -> Result<ItchMessage, ItchError> {
            decode_with(bytes, |e| e)
        }

        /// [`decode`], always inlined, with errors passed through `wrap`.
        #[inline(always)]
        pub(crate) fn decode_with<E>(bytes: &[u8], wrap: impl FnOnce(ItchError) -> E) -> Result<ItchMessage, E> {
            decode_visit(bytes, wrap, |result| result)
        }

        /// [`decode`], always inlined, with errors passed through `wrap` and the result handed
        /// to `visit` inside the arm that decoded it. Each of the 23 arms then writes its
        /// message straight into `visit`'s argument: when the arms return a value instead, the
        /// optimiser merges them into one byte-by-byte copy of the 88-byte enum per message.
        #[inline(always)]
        pub(crate) fn decode_visit<E, R>(
            bytes: &[u8],
            wrap: impl FnOnce(ItchError) -> E,
            visit: impl FnOnce(Result<ItchMessage, E>) -> R,
        ) -> R {
            let Some(&message_type) = bytes.first() else {
                return visit(Err(wrap(ItchError::Truncated { message_type: 0, expected: 1, actual: 0 })));
            };
            match message_type {
                $(
                    $code => match <&[u8; $len]>::try_from(bytes) {
                        Ok(exact) => match $name::check_exact(exact) {
                            Ok(()) => visit(Ok(ItchMessage::$variant($name::read_exact(exact)))),
                            Err(e) => visit(Err(wrap(e))),
                        },
                        Err(_) => visit(Err(wrap(length_error(message_type, $len, bytes.len())))),
                    },
                )*
                _ => visit(Err(wrap(ItchError::UnknownType { message_type }))),
            }
        }

        impl ItchMessage {
            /// The Message Type byte (offset 0).
            pub const fn message_type(&self) -> u8 {
                match self { $( ItchMessage::$variant(_) => $code, )* }
            }

            /// The common header: locate, tracking number, timestamp.
            pub const fn header(&self) -> &Header {
                match self { $( ItchMessage::$variant(m) => &m.header, )* }
            }

            /// The wire length of this message in bytes (type byte included, no prefix).
            pub const fn encoded_len(&self) -> usize {
                match self { $( ItchMessage::$variant(_) => $len, )* }
            }

            /// Encodes this message at the start of `out`; returns the bytes written
            /// ([`Self::encoded_len`]).
            ///
            /// # Errors
            /// [`ItchError::BufferTooSmall`] when `out` is shorter than the message;
            /// [`ItchError::FieldOutOfRange`] when a field does not fit its wire width
            /// (negative or > u32 price, timestamp ≥ 2^48 ns, `Side::SellShort`).
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, ItchError> {
                match self {
                    $(
                        ItchMessage::$variant(m) => {
                            let available = out.len();
                            let exact = out
                                .first_chunk_mut::<$len>()
                                .ok_or(ItchError::BufferTooSmall { needed: $len, available })?;
                            m.encode_exact(exact)?;
                            Ok($len)
                        }
                    )*
                }
            }
        }
    };
}

/// Whether `window` (the message's first [`AddOrder::LEN`] bytes, read past the end of a
/// shorter message) starts a valid Add Order or Order Delete of length `len`: type `A` or
/// `D`, `len` the type's length, and for `A` a Buy/Sell Indicator of `B` or `S`. Computed
/// without a branch on which of the two types it is: they are 87% of a NASDAQ day's messages
/// and alternate at random, so a branch between them mispredicts about every other message.
#[inline(always)]
pub(crate) fn is_add_or_delete(len: usize, window: &[u8; AddOrder::LEN]) -> bool {
    /// [`AddOrder::LEN`] at `A`, [`OrderDelete::LEN`] at `D`, 0 elsewhere: type and length
    /// in one load and one compare.
    const ADD_OR_DELETE_LEN: [u8; 256] = {
        let mut table = [0u8; 256];
        table[AddOrder::TYPE as usize] = AddOrder::LEN as u8;
        table[OrderDelete::TYPE as usize] = OrderDelete::LEN as u8;
        table
    };
    let message_type = window[0];
    let expected = usize::from(ADD_OR_DELETE_LEN[usize::from(message_type)]);
    (len == expected)
        & (expected != 0)
        & ((message_type != AddOrder::TYPE) | is_buy_sell(window[19]))
}

/// The message `window` starts, given [`is_add_or_delete`]: both types are read from the
/// same bytes (their header and Order Reference Number are at the same offsets, in the wire
/// and in the enum), and the Order Delete overwrites the Add Order when the type is `D`, so
/// that the optimiser can make the choice a select instead of a branch.
#[inline(always)]
pub(crate) fn read_add_or_delete(window: &[u8; AddOrder::LEN]) -> ItchMessage {
    let mut message = ItchMessage::AddOrder(AddOrder::read_exact(window));
    if window[0] != AddOrder::TYPE {
        if let Some(delete) = window.first_chunk::<{ OrderDelete::LEN }>() {
            message = ItchMessage::OrderDelete(OrderDelete::read_exact(delete));
        }
    }
    message
}

#[cold]
pub(crate) fn length_error(message_type: u8, expected: usize, actual: usize) -> ItchError {
    if actual < expected {
        ItchError::Truncated {
            message_type,
            expected,
            actual,
        }
    } else {
        ItchError::LengthMismatch {
            message_type,
            expected,
            actual,
        }
    }
}

itch_messages! {
    /// System Event (`S`, 12 bytes), ITCH 5.0 §1.1: market or feed-handler event.
    SystemEvent(SystemEvent) = b'S', 12 {
        /// Event Code (offset 11): `O` start of messages, `S` start of system hours, `Q` start
        /// of market hours, `M` end of market hours, `E` end of system hours, `C` end of
        /// messages.
        event_code: u8,
    }

    /// Stock Directory (`R`, 39 bytes), ITCH 5.0 §1.2.1: one per active symbol at start of day.
    StockDirectory(StockDirectory) = b'R', 39 {
        /// Stock (offset 11, Alpha 8).
        stock: Stock,
        /// Market Category (offset 19): `Q` `G` `S` Nasdaq tiers, `N` `A` `P` `M` `Z` `V`
        /// other listing markets, space not available.
        market_category: u8,
        /// Financial Status Indicator (offset 20): `D` `E` `Q` `S` `G` `H` `J` `K` `C` `N`, or space.
        financial_status_indicator: u8,
        /// Round Lot Size (offset 21, u32): shares per round lot.
        round_lot_size: u32,
        /// Round Lots Only (offset 25): `Y` or `N`.
        round_lots_only: u8,
        /// Issue Classification (offset 26), see the spec's appendix.
        issue_classification: u8,
        /// Issue Sub-Type (offset 27, Alpha 2), see the spec's appendix.
        issue_sub_type: [u8; 2],
        /// Authenticity (offset 29): `P` live/production, `T` test.
        authenticity: u8,
        /// Short Sale Threshold Indicator (offset 30): `Y`, `N` or space.
        short_sale_threshold_indicator: u8,
        /// IPO Flag (offset 31): `Y`, `N`, `Z` or space.
        ipo_flag: u8,
        /// LULD Reference Price Tier (offset 32): `1`, `2` or space.
        luld_reference_price_tier: u8,
        /// ETP Flag (offset 33): `Y`, `N` or space.
        etp_flag: u8,
        /// ETP Leverage Factor (offset 34, u32).
        etp_leverage_factor: u32,
        /// Inverse Indicator (offset 38): `Y` or `N`.
        inverse_indicator: u8,
    }

    /// Stock Trading Action (`H`, 25 bytes), ITCH 5.0 §1.2.2: halt / pause / quotation / trading.
    StockTradingAction(StockTradingAction) = b'H', 25 {
        /// Stock (offset 11).
        stock: Stock,
        /// Trading State (offset 19): `H` halted, `P` paused, `Q` quotation only, `T` trading.
        trading_state: u8,
        /// Reserved (offset 20).
        reserved: u8,
        /// Reason (offset 21, Alpha 4).
        reason: [u8; 4],
    }

    /// Reg SHO Short Sale Price Test Restricted Indicator (`Y`, 20 bytes), ITCH 5.0 §1.2.3.
    RegShoRestriction(RegShoRestriction) = b'Y', 20 {
        /// Stock (offset 11).
        stock: Stock,
        /// Reg SHO Action (offset 19): `0` no test, `1` restriction by intraday drop, `2` remains.
        reg_sho_action: u8,
    }

    /// Market Participant Position (`L`, 26 bytes), ITCH 5.0 §1.2.4.
    MarketParticipantPosition(MarketParticipantPosition) = b'L', 26 {
        /// MPID (offset 11, Alpha 4).
        mpid: Mpid,
        /// Stock (offset 15).
        stock: Stock,
        /// Primary Market Maker (offset 23): `Y` or `N`.
        primary_market_maker: u8,
        /// Market Maker Mode (offset 24): `N` `P` `S` `R` `L`.
        market_maker_mode: u8,
        /// Market Participant State (offset 25): `A` `E` `W` `S` `D`.
        market_participant_state: u8,
    }

    /// MWCB Decline Level (`V`, 35 bytes), ITCH 5.0 §1.2.5.1. Levels are Price (8): u64 with
    /// 8 implied decimals, kept raw because 1/10,000 [`Price`] would lose digits.
    MwcbDeclineLevel(MwcbDeclineLevel) = b'V', 35 {
        /// Level 1 (offset 11, Price (8), 1e-8 units).
        level_1_e8: u64,
        /// Level 2 (offset 19, Price (8), 1e-8 units).
        level_2_e8: u64,
        /// Level 3 (offset 27, Price (8), 1e-8 units).
        level_3_e8: u64,
    }

    /// MWCB Status (`W`, 12 bytes), ITCH 5.0 §1.2.5.2.
    MwcbStatus(MwcbStatus) = b'W', 12 {
        /// Breached Level (offset 11): `1`, `2` or `3`.
        breached_level: u8,
    }

    /// IPO Quoting Period Update (`K`, 28 bytes), ITCH 5.0 §1.2.6.
    IpoQuotingPeriodUpdate(IpoQuotingPeriodUpdate) = b'K', 28 {
        /// Stock (offset 11).
        stock: Stock,
        /// IPO Quotation Release Time (offset 19, u32): seconds since midnight.
        ipo_quotation_release_time_s: u32,
        /// IPO Quotation Release Qualifier (offset 23): `A` anticipated, `C` cancelled/postponed.
        ipo_quotation_release_qualifier: u8,
        /// IPO Price (offset 24, Price (4)).
        ipo_price: Price,
    }

    /// LULD Auction Collar (`J`, 35 bytes), ITCH 5.0 §1.2.7.
    LuldAuctionCollar(LuldAuctionCollar) = b'J', 35 {
        /// Stock (offset 11).
        stock: Stock,
        /// Auction Collar Reference Price (offset 19, Price (4)).
        auction_collar_reference_price: Price,
        /// Upper Auction Collar Price (offset 23, Price (4)).
        upper_auction_collar_price: Price,
        /// Lower Auction Collar Price (offset 27, Price (4)).
        lower_auction_collar_price: Price,
        /// Auction Collar Extension (offset 31, u32): number of reopening-auction extensions.
        auction_collar_extension: u32,
    }

    /// Operational Halt (`h`, 21 bytes), ITCH 5.0 §1.2.8.
    OperationalHalt(OperationalHalt) = b'h', 21 {
        /// Stock (offset 11).
        stock: Stock,
        /// Market Code (offset 19): `Q` Nasdaq, `B` Nasdaq Texas (BX), `X` PSX.
        market_code: u8,
        /// Operational Halt Action (offset 20): `H` halted, `T` resumed.
        operational_halt_action: u8,
    }

    /// Add Order – No MPID Attribution (`A`, 36 bytes), ITCH 5.0 §1.3.1.
    AddOrder(AddOrder) = b'A', 36 {
        /// Order Reference Number (offset 11, u64): day-unique order id.
        order_reference_number: u64,
        /// Buy/Sell Indicator (offset 19): `B` or `S` (validated).
        side: Side,
        /// Shares (offset 20, u32).
        shares: Qty,
        /// Stock (offset 24).
        stock: Stock,
        /// Price (offset 32, Price (4)): display price.
        price: Price,
    }

    /// Add Order with MPID Attribution (`F`, 40 bytes), ITCH 5.0 §1.3.2.
    AddOrderMpid(AddOrderMpid) = b'F', 40 {
        /// Order Reference Number (offset 11, u64).
        order_reference_number: u64,
        /// Buy/Sell Indicator (offset 19): `B` or `S` (validated).
        side: Side,
        /// Shares (offset 20, u32).
        shares: Qty,
        /// Stock (offset 24).
        stock: Stock,
        /// Price (offset 32, Price (4)).
        price: Price,
        /// Attribution (offset 36, Alpha 4): the MPID.
        attribution: Mpid,
    }

    /// Order Executed (`E`, 31 bytes), ITCH 5.0 §1.4.1: executed at the display price.
    OrderExecuted(OrderExecuted) = b'E', 31 {
        /// Order Reference Number (offset 11, u64).
        order_reference_number: u64,
        /// Executed Shares (offset 19, u32).
        executed_shares: Qty,
        /// Match Number (offset 23, u64): day-unique.
        match_number: u64,
    }

    /// Order Executed With Price (`C`, 36 bytes), ITCH 5.0 §1.4.2.
    OrderExecutedWithPrice(OrderExecutedWithPrice) = b'C', 36 {
        /// Order Reference Number (offset 11, u64).
        order_reference_number: u64,
        /// Executed Shares (offset 19, u32).
        executed_shares: Qty,
        /// Match Number (offset 23, u64).
        match_number: u64,
        /// Printable (offset 31): `Y` or `N`.
        printable: u8,
        /// Execution Price (offset 32, Price (4)).
        execution_price: Price,
    }

    /// Order Cancel (`X`, 23 bytes), ITCH 5.0 §1.4.3: partial cancel.
    OrderCancel(OrderCancel) = b'X', 23 {
        /// Order Reference Number (offset 11, u64).
        order_reference_number: u64,
        /// Cancelled Shares (offset 19, u32).
        cancelled_shares: Qty,
    }

    /// Order Delete (`D`, 19 bytes), ITCH 5.0 §1.4.4: the whole remainder is removed.
    OrderDelete(OrderDelete) = b'D', 19 {
        /// Order Reference Number (offset 11, u64).
        order_reference_number: u64,
    }

    /// Order Replace (`U`, 35 bytes), ITCH 5.0 §1.4.5: cancel-replace keeping side and stock.
    OrderReplace(OrderReplace) = b'U', 35 {
        /// Original Order Reference Number (offset 11, u64).
        original_order_reference_number: u64,
        /// New Order Reference Number (offset 19, u64).
        new_order_reference_number: u64,
        /// Shares (offset 27, u32): new displayed quantity.
        shares: Qty,
        /// Price (offset 31, Price (4)): new display price.
        price: Price,
    }

    /// Trade, non-cross (`P`, 44 bytes), ITCH 5.0 §1.5.1: a non-displayed order matched.
    Trade(Trade) = b'P', 44 {
        /// Order Reference Number (offset 11, u64): zero since 2010.
        order_reference_number: u64,
        /// Buy/Sell Indicator (offset 19): `B` or `S` (validated; always `B` since 2014).
        side: Side,
        /// Shares (offset 20, u32).
        shares: Qty,
        /// Stock (offset 24).
        stock: Stock,
        /// Price (offset 32, Price (4)).
        price: Price,
        /// Match Number (offset 36, u64).
        match_number: u64,
    }

    /// Cross Trade (`Q`, 40 bytes), ITCH 5.0 §1.5.2.
    CrossTrade(CrossTrade) = b'Q', 40 {
        /// Shares (offset 11, u64): shares matched in the cross.
        shares: u64,
        /// Stock (offset 19).
        stock: Stock,
        /// Cross Price (offset 27, Price (4)).
        cross_price: Price,
        /// Match Number (offset 31, u64).
        match_number: u64,
        /// Cross Type (offset 39): `O` opening, `C` closing, `H` halt/IPO.
        cross_type: u8,
    }

    /// Broken Trade (`B`, 19 bytes), ITCH 5.0 §1.5.3.
    BrokenTrade(BrokenTrade) = b'B', 19 {
        /// Match Number (offset 11, u64) of the broken execution.
        match_number: u64,
    }

    /// Net Order Imbalance Indicator (`I`, 50 bytes), ITCH 5.0 §1.6.
    Noii(Noii) = b'I', 50 {
        /// Paired Shares (offset 11, u64).
        paired_shares: u64,
        /// Imbalance Shares (offset 19, u64).
        imbalance_shares: u64,
        /// Imbalance Direction (offset 27): `B` `S` `N` `O` `P`.
        imbalance_direction: u8,
        /// Stock (offset 28).
        stock: Stock,
        /// Far Price (offset 36, Price (4)).
        far_price: Price,
        /// Near Price (offset 40, Price (4)).
        near_price: Price,
        /// Current Reference Price (offset 44, Price (4)).
        current_reference_price: Price,
        /// Cross Type (offset 48): `O` `C` `H` `A`.
        cross_type: u8,
        /// Price Variation Indicator (offset 49): `L`, `1`–`9`, `A`–`C`, or space.
        price_variation_indicator: u8,
    }

    /// Retail Price Improvement Indicator (`N`, 20 bytes), ITCH 5.0 §1.7.
    RetailInterest(RetailInterest) = b'N', 20 {
        /// Stock (offset 11).
        stock: Stock,
        /// Interest Flag (offset 19): `B` buy, `S` sell, `A` both, `N` none.
        interest_flag: u8,
    }

    /// Direct Listing with Capital Raise Price Discovery (`O`, 48 bytes), ITCH 5.0 §1.8.
    DirectListingCapitalRaise(DirectListingCapitalRaise) = b'O', 48 {
        /// Stock (offset 11).
        stock: Stock,
        /// Open Eligibility Status (offset 19): `N` or `Y`.
        open_eligibility_status: u8,
        /// Minimum Allowable Price (offset 20, Price (4)).
        minimum_allowable_price: Price,
        /// Maximum Allowable Price (offset 24, Price (4)).
        maximum_allowable_price: Price,
        /// Near Execution Price (offset 28, Price (4)).
        near_execution_price: Price,
        /// Near Execution Time (offset 32, u64): as sent (ns since midnight on the feed).
        near_execution_time_ns: u64,
        /// Lower Price Range Collar (offset 40, Price (4)).
        lower_price_range_collar: Price,
        /// Upper Price Range Collar (offset 44, Price (4)).
        upper_price_range_collar: Price,
    }
}
