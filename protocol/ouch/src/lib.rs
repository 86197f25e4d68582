//! # crossbar-ouch
//!
//! NASDAQ OUCH 5.0 order entry ("OUCH 5.0 Order Entry Specification", April 2023): every
//! inbound (§2: Enter, Replace, Cancel, Modify, Account Query) and outbound (§3: System Event,
//! Accepted, Replaced, Canceled, AIQ Canceled, Executed, Broken Trade, Rejected, Cancel Pending,
//! Cancel Reject, Priority Update, Modified, Restated, Account Query Response) message, with the
//! optional TagValue appendage (§1.2, Appendix B) and the reason-code tables (Appendices C–E).
//!
//! * Decoding is allocation-free into `Copy` structs ([`decode_inbound`], [`decode_outbound`],
//!   or each message's `decode`); every decoder is bounds-checked and rejects leftover bytes.
//! * The appendage is an [`OptionsView`] borrowed from the input, fully checked at decode time
//!   and read on demand (`msg.options.firm()`, [`OptionsView::iter`]); [`OptionsView::to_options`]
//!   materialises the owned [`OrderOptions`]. To send options, [`OrderOptions::encode`] them into
//!   a small buffer and put the returned view in the message.
//! * Encoding writes into a caller buffer (`encode(&self, &mut [u8]) -> Result<usize, _>`).
//! * Prices are [`crossbar_model::Price`] (8-byte unsigned on the wire, 4 implied decimals;
//!   peg offsets are 4-byte signed), quantities [`crossbar_model::Qty`], the client order token
//!   is [`UserRefNum`]. [`OrderSide`] and [`TimeInForce`] carry OUCH's full code sets and convert
//!   to the model's types.
//! * Timestamps are nanoseconds since midnight, named `timestamp_ns`.
//! * Errors are one [`OuchError`] enum whose messages start with a stable `OUCH_...` code.
//!
//! OUCH rides on SoupBinTCP (crate `crossbar-soupbintcp`): inbound messages in Unsequenced Data
//! packets, outbound in Sequenced Data packets. This crate knows nothing of the session layer.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod messages;
mod options;
mod types;
mod wire;

pub use error::OuchError;
pub use messages::{
    decode_inbound, decode_outbound, AccountQuery, AccountQueryResponse, AiqCanceled, BrokenTrade,
    CancelOrder, CancelPending, CancelReject, EnterOrder, InboundMessage, ModifyOrder,
    OrderAccepted, OrderCanceled, OrderExecuted, OrderModified, OrderPriorityUpdate, OrderReplaced,
    OrderRestated, OutboundMessage, Rejected, ReplaceOrder, SystemEvent,
};
pub use options::{OptionsIter, OptionsView, OrderOption, OrderOptions};
pub use types::{
    Alpha, BboWeightIndicator, BrokenTradeReason, CancelReason, Capacity, ClOrdId, CrossType,
    CustomerType, Display, EventCode, HandleInst, IntermarketSweep, LiquidityFlag, Mpid, OrderSide,
    OrderState, PostOnly, PriceType, RejectReason, RestateReason, Symbol, TimeInForce, UserRefNum,
    YesNo,
};
