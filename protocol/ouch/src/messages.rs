//! Every OUCH 5.0 message (§2 inbound, §3 outbound) as a `Copy` struct with `decode` and `encode`;
//! messages with an appendage borrow it as an [`OptionsView`].

use crate::error::OuchError;
use crate::options::OptionsView;
use crate::types::*;
use crate::wire::{Reader, Wire, Writer};
use crossbar_model::{Price, Qty};

macro_rules! message {
    ($(#[$m:meta])* $name:ident $(<$lt:lifetime>)? = $code:literal { $( $(#[$fm:meta])* $field:ident : $ty:ty ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name $(<$lt>)? { $( $(#[$fm])* pub $field: $ty, )* }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The message type byte.
            pub const TYPE: u8 = $code;
            /// Bytes of the fixed part, type byte included (plus the appendage, when the message has one).
            pub const FIXED_LEN: usize = 1 $(+ <$ty as Wire<'static>>::MIN_LEN)*;

            /// Bytes this message encodes to.
            #[inline]
            pub fn encoded_len(&self) -> usize {
                1 $(+ Wire::wire_len(&self.$field))*
            }

            /// Decodes one whole message from `buf` (type byte first, nothing after it); the
            /// appendage, if any, stays borrowed from `buf`.
            ///
            /// # Errors
            /// [`OuchError::WrongType`], [`OuchError::Truncated`], [`OuchError::TrailingBytes`],
            /// [`OuchError::BadField`], [`OuchError::BadAppendage`].
            #[inline]
            pub fn decode(buf: & $($lt)? [u8]) -> Result<Self, OuchError> {
                #[allow(unused_mut)]
                let mut r = Reader::new(buf, $code)?;
                let message = Self { $( $field: Wire::read(&mut r)?, )* };
                r.finish()?;
                Ok(message)
            }

            /// Encodes into the start of `out`; returns the bytes written ([`Self::encoded_len`]).
            /// An appendage is copied as its view holds it.
            ///
            /// # Errors
            /// [`OuchError::BufferTooSmall`]; [`OuchError::BadField`] for a negative price.
            #[inline]
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, OuchError> {
                let len = self.encoded_len();
                #[allow(unused_mut, unused_variables)]
                let mut w = Writer::new(out, len, $code)?;
                $( Wire::write(&self.$field, &mut w)?; )*
                Ok(len)
            }
        }
    };
}

// ---- §2 Inbound (client to NASDAQ) ----

message! {
    /// `O` Enter Order (OUCH 5.0 §2.1): 47 bytes plus the appendage.
    EnterOrder<'a> = b'O' {
        /// Day-unique, strictly increasing client order token.
        user_ref_num: UserRefNum,
        /// Side.
        side: OrderSide,
        /// Shares, 1..=999,999.
        quantity: Qty,
        /// Stock symbol.
        symbol: Symbol,
        /// Limit price, 1/10,000 (0x7FFFFFFF = market order for a cross).
        price: Price,
        /// Time in force.
        time_in_force: TimeInForce,
        /// Display.
        display: Display,
        /// Capacity.
        capacity: Capacity,
        /// InterMarket Sweep eligibility.
        intermarket_sweep: IntermarketSweep,
        /// Cross type.
        cross_type: CrossType,
        /// Customer order id (not checked for uniqueness).
        cl_ord_id: ClOrdId,
        /// Appendix B options.
        options: OptionsView<'a>,
    }
}

message! {
    /// `U` Replace Order Request (OUCH 5.0 §2.2): 40 bytes plus the appendage.
    ReplaceOrder<'a> = b'U' {
        /// UserRefNum of the order being replaced.
        orig_user_ref_num: UserRefNum,
        /// New UserRefNum for the replacement.
        user_ref_num: UserRefNum,
        /// Total shares liable on the chain, including earlier executions.
        quantity: Qty,
        /// New price, 1/10,000.
        price: Price,
        /// Time in force.
        time_in_force: TimeInForce,
        /// Display.
        display: Display,
        /// InterMarket Sweep eligibility.
        intermarket_sweep: IntermarketSweep,
        /// Customer order id of the replacement.
        cl_ord_id: ClOrdId,
        /// Appendix B options.
        options: OptionsView<'a>,
    }
}

message! {
    /// `X` Cancel Order Request (OUCH 5.0 §2.3): 9 bytes.
    CancelOrder = b'X' {
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// New intended order size in shares; 0 cancels all open shares.
        quantity: Qty,
    }
}

message! {
    /// `M` Modify Order Request (OUCH 5.0 §2.4): 10 bytes.
    ModifyOrder = b'M' {
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// New side (only S↔E, S↔T, E↔T changes are allowed).
        side: OrderSide,
        /// New intended order size, shares.
        quantity: Qty,
    }
}

message! {
    /// `Q` Account Query Request (OUCH 5.0 §2.5): 1 byte.
    AccountQuery = b'Q' {}
}

// ---- §3 Outbound (NASDAQ to client) ----

message! {
    /// `S` System Event (OUCH 5.0 §3.1): 10 bytes.
    SystemEvent = b'S' {
        /// Nanoseconds since midnight (venue local).
        timestamp_ns: u64,
        /// Event code.
        event_code: EventCode,
    }
}

message! {
    /// `A` Order Accepted (OUCH 5.0 §3.2): 64 bytes plus the appendage.
    OrderAccepted<'a> = b'A' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum as entered.
        user_ref_num: UserRefNum,
        /// Side as entered.
        side: OrderSide,
        /// Shares accepted.
        quantity: Qty,
        /// Symbol as entered.
        symbol: Symbol,
        /// Accepted price, 1/10,000 (may be better than entered).
        price: Price,
        /// Accepted time in force.
        time_in_force: TimeInForce,
        /// Accepted display.
        display: Display,
        /// Day-unique order reference number assigned by NASDAQ.
        order_reference_number: u64,
        /// Capacity.
        capacity: Capacity,
        /// InterMarket Sweep eligibility.
        intermarket_sweep: IntermarketSweep,
        /// Cross type.
        cross_type: CrossType,
        /// Live, or dead (accepted and canceled at once).
        order_state: OrderState,
        /// Customer order id.
        cl_ord_id: ClOrdId,
        /// Appendix B options.
        options: OptionsView<'a>,
    }
}

message! {
    /// `U` Order Replaced (OUCH 5.0 §3.3): 68 bytes plus the appendage.
    OrderReplaced<'a> = b'U' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the replaced order.
        orig_user_ref_num: UserRefNum,
        /// UserRefNum of the replacement.
        user_ref_num: UserRefNum,
        /// Side of the original order in the chain.
        side: OrderSide,
        /// Shares outstanding.
        quantity: Qty,
        /// Symbol.
        symbol: Symbol,
        /// Accepted price, 1/10,000.
        price: Price,
        /// Accepted time in force.
        time_in_force: TimeInForce,
        /// Accepted display.
        display: Display,
        /// Day-unique order reference number.
        order_reference_number: u64,
        /// Capacity.
        capacity: Capacity,
        /// InterMarket Sweep eligibility.
        intermarket_sweep: IntermarketSweep,
        /// Cross type.
        cross_type: CrossType,
        /// Live or dead.
        order_state: OrderState,
        /// Customer order id of the replacement.
        cl_ord_id: ClOrdId,
        /// Appendix B options.
        options: OptionsView<'a>,
    }
}

message! {
    /// `C` Order Canceled (OUCH 5.0 §3.4): 18 bytes.
    OrderCanceled = b'C' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Shares just canceled (incremental, not cumulative).
        quantity: Qty,
        /// Why (Appendix C).
        reason: CancelReason,
    }
}

message! {
    /// `D` AIQ Canceled (OUCH 5.0 §3.5): 32 bytes.
    AiqCanceled = b'D' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Shares just decremented (incremental).
        decrement_shares: Qty,
        /// Always `Q` (self match prevention) for this message.
        reason: CancelReason,
        /// Shares that would have executed.
        quantity_prevented_from_trading: Qty,
        /// Price the trade would have had, 1/10,000.
        execution_price: Price,
        /// Liquidity flag the order would have received.
        liquidity_flag: LiquidityFlag,
        /// AIQ strategy used (wire byte; the spec lists no codes).
        aiq_strategy: u8,
    }
}

message! {
    /// `E` Order Executed (OUCH 5.0 §3.6): 36 bytes plus the appendage.
    OrderExecuted<'a> = b'E' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Shares just executed (incremental).
        quantity: Qty,
        /// Execution price, 1/10,000.
        price: Price,
        /// Liquidity flag (Appendix E).
        liquidity_flag: LiquidityFlag,
        /// Match number, shared by both sides of the trade.
        match_number: u64,
        /// Appendix B options.
        options: OptionsView<'a>,
    }
}

message! {
    /// `B` Broken Trade (OUCH 5.0 §3.7): 36 bytes.
    BrokenTrade = b'B' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Match number of the execution being broken.
        match_number: u64,
        /// Why.
        reason: BrokenTradeReason,
        /// Customer order id.
        cl_ord_id: ClOrdId,
    }
}

message! {
    /// `J` Rejected (OUCH 5.0 §3.8): 29 bytes.
    Rejected = b'J' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the rejected order (cannot be reused).
        user_ref_num: UserRefNum,
        /// Why (Appendix D).
        reason: RejectReason,
        /// Customer order id.
        cl_ord_id: ClOrdId,
    }
}

message! {
    /// `P` Cancel Pending (OUCH 5.0 §3.9): 13 bytes.
    CancelPending = b'P' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
    }
}

message! {
    /// `I` Cancel Reject (OUCH 5.0 §3.10): 13 bytes.
    CancelReject = b'I' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
    }
}

message! {
    /// `T` Order Priority Update (OUCH 5.0 §3.11): 30 bytes.
    OrderPriorityUpdate = b'T' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Limit price, 1/10,000.
        price: Price,
        /// New display.
        display: Display,
        /// New order reference number.
        order_reference_number: u64,
    }
}

message! {
    /// `M` Order Modified (OUCH 5.0 §3.12): 18 bytes.
    OrderModified = b'M' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Side as modified.
        side: OrderSide,
        /// Shares outstanding.
        quantity: Qty,
    }
}

message! {
    /// `R` Order Restated (OUCH 5.0 §3.13): 16 bytes plus the appendage.
    OrderRestated<'a> = b'R' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// UserRefNum of the order.
        user_ref_num: UserRefNum,
        /// Why.
        reason: RestateReason,
        /// Appendix B options (display quantity, display price, secondary order reference number).
        options: OptionsView<'a>,
    }
}

message! {
    /// `Q` Account Query Response (OUCH 5.0 §3.14): 13 bytes.
    AccountQueryResponse = b'Q' {
        /// Nanoseconds since midnight.
        timestamp_ns: u64,
        /// Next available UserRefNum.
        next_user_ref_num: UserRefNum,
    }
}

macro_rules! direction {
    ($(#[$m:meta])* $name:ident, $direction:literal, $decode:ident { $( $variant:ident $(<$vlt:lifetime>)? ),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name<'a> { $( #[doc = concat!("[`", stringify!($variant), "`]")] $variant($variant $(<$vlt>)?), )+ }

        impl<'a> $name<'a> {
            /// Decodes one whole message, dispatching on its type byte; an appendage stays
            /// borrowed from `buf`.
            ///
            /// # Errors
            /// [`OuchError::Empty`], [`OuchError::UnknownType`], or the message decoder's errors.
            #[inline]
            pub fn decode(buf: &'a [u8]) -> Result<Self, OuchError> {
                match buf.first() {
                    None => Err(OuchError::Empty),
                    $( Some(&$variant::TYPE) => $variant::decode(buf).map(Self::$variant), )+
                    Some(&message_type) => Err(OuchError::UnknownType { direction: $direction, message_type }),
                }
            }

            /// The message type byte.
            pub fn message_type(&self) -> u8 {
                match self { $( Self::$variant(_) => $variant::TYPE, )+ }
            }

            /// Bytes the message encodes to.
            pub fn encoded_len(&self) -> usize {
                match self { $( Self::$variant(m) => m.encoded_len(), )+ }
            }

            /// Encodes into the start of `out`; returns the bytes written.
            ///
            /// # Errors
            /// As the message's own `encode`.
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, OuchError> {
                match self { $( Self::$variant(m) => m.encode(out), )+ }
            }
        }

        /// Shorthand for [`
        #[doc = stringify!($name)]
        /// ::decode`].
        ///
        /// # Errors
        /// As that function.
        #[inline]
        pub fn $decode(buf: &[u8]) -> Result<$name<'_>, OuchError> {
            $name::decode(buf)
        }
    };
}

direction! {
    /// A client-to-NASDAQ message (OUCH 5.0 §2).
    InboundMessage, "inbound", decode_inbound {
        EnterOrder<'a>, ReplaceOrder<'a>, CancelOrder, ModifyOrder, AccountQuery,
    }
}

direction! {
    /// A NASDAQ-to-client message (OUCH 5.0 §3).
    OutboundMessage, "outbound", decode_outbound {
        SystemEvent, OrderAccepted<'a>, OrderReplaced<'a>, OrderCanceled, AiqCanceled,
        OrderExecuted<'a>, BrokenTrade, Rejected, CancelPending, CancelReject,
        OrderPriorityUpdate, OrderModified, OrderRestated<'a>, AccountQueryResponse,
    }
}
