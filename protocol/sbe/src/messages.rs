//! Owned message structs: one per message of `schemas/crossbar.xml`.
//!
//! These are for tests, the control plane and tooling. They own their group entries and var
//! data (`Vec`, `String`), so building one for a group or var-data message allocates. Hot paths
//! do not use them: they encode with the generated encoders and read through the validated
//! flyweights returned by [`crate::decode_view`] (see the crate docs).
#![forbid(unsafe_code)]

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

pub use crate::generated::{
    BookAction, ExecType, FeedState, KillSwitchScope, OrderStatus, RejectReason, TradingStatus,
};

/// Template ids of every message in `schemas/crossbar.xml` (the `id` attribute of each
/// `<sbe:message>`; SBE 1.0 §3 "Message header", `templateId`). Stable: never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum MessageKind {
    /// [`Heartbeat`], template 1.
    Heartbeat = 1,
    /// [`BookLevelDelta`], template 10.
    BookLevelDelta = 10,
    /// [`TopOfBook`], template 11.
    TopOfBook = 11,
    /// [`Trade`], template 12.
    Trade = 12,
    /// [`InstrumentStatus`], template 13.
    InstrumentStatus = 13,
    /// [`FeedStatus`], template 14.
    FeedStatus = 14,
    /// [`NewChildOrder`], template 20.
    NewChildOrder = 20,
    /// [`CancelOrder`], template 21.
    CancelOrder = 21,
    /// [`ReplaceOrder`], template 22.
    ReplaceOrder = 22,
    /// [`ExecutionReport`], template 23.
    ExecutionReport = 23,
    /// [`OrderReject`], template 24.
    OrderReject = 24,
    /// [`CreditGrant`], template 30.
    CreditGrant = 30,
    /// [`CreditReturn`], template 31.
    CreditReturn = 31,
    /// [`PositionUpdate`], template 32.
    PositionUpdate = 32,
    /// [`RiskLimits`], template 33.
    RiskLimits = 33,
    /// [`KillSwitch`], template 34.
    KillSwitch = 34,
    /// [`ExecutionReplayRequest`], template 35 (since schema version 2).
    ExecutionReplayRequest = 35,
    /// [`ExecutionReplayComplete`], template 36 (since schema version 2).
    ExecutionReplayComplete = 36,
    /// [`LimitsState`], template 37 (since schema version 3).
    LimitsState = 37,
    /// [`CreditSlice`], template 38 (since schema version 3).
    CreditSlice = 38,
}

impl MessageKind {
    /// Every message kind, in template id order.
    pub const ALL: [MessageKind; 20] = [
        MessageKind::Heartbeat,
        MessageKind::BookLevelDelta,
        MessageKind::TopOfBook,
        MessageKind::Trade,
        MessageKind::InstrumentStatus,
        MessageKind::FeedStatus,
        MessageKind::NewChildOrder,
        MessageKind::CancelOrder,
        MessageKind::ReplaceOrder,
        MessageKind::ExecutionReport,
        MessageKind::OrderReject,
        MessageKind::CreditGrant,
        MessageKind::CreditReturn,
        MessageKind::PositionUpdate,
        MessageKind::RiskLimits,
        MessageKind::KillSwitch,
        MessageKind::ExecutionReplayRequest,
        MessageKind::ExecutionReplayComplete,
        MessageKind::LimitsState,
        MessageKind::CreditSlice,
    ];

    /// The SBE `templateId` of this message.
    pub const fn template_id(self) -> u16 {
        self as u16
    }

    /// The kind for a `templateId`, or `None` when this schema has no such message.
    pub const fn from_template_id(template_id: u16) -> Option<Self> {
        let mut i = 0;
        while i < Self::ALL.len() {
            if Self::ALL[i] as u16 == template_id {
                return Some(Self::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// The message name as in the schema.
    pub const fn name(self) -> &'static str {
        match self {
            MessageKind::Heartbeat => "Heartbeat",
            MessageKind::BookLevelDelta => "BookLevelDelta",
            MessageKind::TopOfBook => "TopOfBook",
            MessageKind::Trade => "Trade",
            MessageKind::InstrumentStatus => "InstrumentStatus",
            MessageKind::FeedStatus => "FeedStatus",
            MessageKind::NewChildOrder => "NewChildOrder",
            MessageKind::CancelOrder => "CancelOrder",
            MessageKind::ReplaceOrder => "ReplaceOrder",
            MessageKind::ExecutionReport => "ExecutionReport",
            MessageKind::OrderReject => "OrderReject",
            MessageKind::CreditGrant => "CreditGrant",
            MessageKind::CreditReturn => "CreditReturn",
            MessageKind::PositionUpdate => "PositionUpdate",
            MessageKind::RiskLimits => "RiskLimits",
            MessageKind::KillSwitch => "KillSwitch",
            MessageKind::ExecutionReplayRequest => "ExecutionReplayRequest",
            MessageKind::ExecutionReplayComplete => "ExecutionReplayComplete",
            MessageKind::LimitsState => "LimitsState",
            MessageKind::CreditSlice => "CreditSlice",
        }
    }
}

/// Liveness beacon (template 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// Sending process id (gateway id space; 0 = aggregator/router).
    pub sender_id: u16,
    /// Heartbeat counter of this sender, +1 per heartbeat, starting at 1.
    pub sequence: u64,
    /// Send time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// One entry of [`BookLevelDelta::levels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    /// New, Change or Delete.
    pub action: BookAction,
    /// `Buy` = bid side, `Sell` = ask side.
    pub side: Side,
    /// Depth of the level, 0 = top of book.
    pub level_index: u16,
    /// Level price, 1/10,000.
    pub price: Price,
    /// Aggregate shares at the level after the change (0 on Delete).
    pub qty: u64,
    /// Orders at the level after the change (0 on Delete).
    pub order_count: u32,
}

/// Changes to one instrument's price-level book on one venue (template 10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookLevelDelta {
    /// Venue of the book.
    pub venue_id: VenueId,
    /// Instrument of the book.
    pub instrument_id: InstrumentId,
    /// Venue feed sequence number of the event.
    pub sequence: u64,
    /// Venue event time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Level changes in application order (at most 65,535: `numInGroup` is a uint16).
    pub levels: Vec<BookLevel>,
}

/// Best bid and offer of one instrument on one venue (template 11). An empty side has qty 0
/// and price 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopOfBook {
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Venue feed sequence number of the last event applied.
    pub sequence: u64,
    /// Venue event time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Best bid, 1/10,000; `Price(0)` when the bid side is empty.
    pub bid_price: Price,
    /// Shares at the best bid; 0 = bid side empty.
    pub bid_qty: u64,
    /// Best ask, 1/10,000; `Price(0)` when the ask side is empty.
    pub ask_price: Price,
    /// Shares at the best ask; 0 = ask side empty.
    pub ask_qty: u64,
}

/// A print on a venue (template 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Venue execution time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Execution price, 1/10,000.
    pub price: Price,
    /// Executed shares.
    pub qty: u64,
    /// Side of the liquidity-taking order.
    pub aggressor_side: Side,
    /// Venue match number.
    pub match_id: u64,
}

/// Trading state of one instrument on one venue (template 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentStatus {
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Venue event time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// New trading state.
    pub trading_status: TradingStatus,
    /// Venue symbol, ASCII, space padded to 8.
    pub symbol: [u8; 8],
    /// Venue reason code, ASCII, space padded to 4.
    pub reason: [u8; 4],
}

/// Health of one venue's market data feed (template 14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedStatus {
    /// Venue.
    pub venue_id: VenueId,
    /// Gateway time of the state change, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// New feed state.
    pub feed_state: FeedState,
    /// Next feed sequence number the gateway expected.
    pub expected_sequence: u64,
    /// Feed sequence number actually received last.
    pub received_sequence: u64,
    /// Gaps detected on this feed since gateway start.
    pub gap_count: u64,
}

/// A child order to send to a venue (template 20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewChildOrder {
    /// Child order id.
    pub order_id: OrderId,
    /// Parent order id; `OrderId(0)` = none.
    pub parent_order_id: OrderId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Destination venue.
    pub venue_id: VenueId,
    /// Buy, Sell or SellShort.
    pub side: Side,
    /// Day or IOC.
    pub time_in_force: TimeInForce,
    /// Limit price, 1/10,000.
    pub price: Price,
    /// Shares.
    pub qty: Qty,
    /// Router decision time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// Cancel all or part of a live order (template 21).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelOrder {
    /// Order to cancel.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Venue the order is on.
    pub venue_id: VenueId,
    /// Shares to leave open after the cancel; 0 = cancel all.
    pub leave_qty: Qty,
    /// Request time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// Replace a live order's price and qty under a new order id (template 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplaceOrder {
    /// The new order id.
    pub order_id: OrderId,
    /// The order being replaced.
    pub orig_order_id: OrderId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Venue the order is on.
    pub venue_id: VenueId,
    /// New limit price, 1/10,000.
    pub price: Price,
    /// New total shares.
    pub qty: Qty,
    /// Request time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// Venue acknowledgement, fill, cancel, replace, reject or restatement (template 23).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionReport {
    /// Child order id.
    pub order_id: OrderId,
    /// Parent order id; `OrderId(0)` = none.
    pub parent_order_id: OrderId,
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// What this report reports.
    pub exec_type: ExecType,
    /// Order state after this report.
    pub order_status: OrderStatus,
    /// Order side.
    pub side: Side,
    /// Order limit price, 1/10,000.
    pub price: Price,
    /// Price of this fill, 1/10,000; 0 when not a fill.
    pub last_px: Price,
    /// Shares of this fill; 0 when not a fill.
    pub last_qty: Qty,
    /// Shares still open.
    pub leaves_qty: Qty,
    /// Shares filled so far.
    pub cum_qty: Qty,
    /// Venue's order reference number; 0 = none yet.
    pub venue_order_ref: u64,
    /// Venue match number of this fill; 0 when not a fill.
    pub match_id: u64,
    /// Gateway receive time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Venue's own event time, ns since the Unix epoch (UTC); `None` when the venue gave none
    /// or the sender encoded schema version 0 (field added with `sinceVersion="1"`).
    /// `Some(u64::MAX)` cannot be encoded: u64::MAX is the wire null.
    pub venue_timestamp_ns: Option<u64>,
    /// Free text from the venue, at most 1,024 bytes of UTF-8.
    pub text: String,
}

/// An order refused by Crossbar or the venue (template 24).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderReject {
    /// Rejected order id.
    pub order_id: OrderId,
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Stable reject code.
    pub reject_reason: RejectReason,
    /// Reject time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Human reason with key=value context, at most 1,024 bytes of UTF-8.
    pub text: String,
}

/// Risk grants a gateway pre-approved capacity for one instrument (template 30).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditGrant {
    /// Gateway receiving the credit.
    pub gateway_id: GatewayId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Grant number per (gateway, instrument), +1 per grant.
    pub grant_sequence: u64,
    /// Shares the gateway may buy.
    pub buy_qty: u64,
    /// Shares the gateway may sell.
    pub sell_qty: u64,
    /// Notional the gateway may commit, 1/10,000 currency units.
    pub notional: i64,
    /// Grant time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// A gateway returns unused credit of a grant (template 31).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditReturn {
    /// Gateway returning the credit.
    pub gateway_id: GatewayId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Grant the credit came from.
    pub grant_sequence: u64,
    /// Buy shares returned.
    pub buy_qty: u64,
    /// Sell shares returned.
    pub sell_qty: u64,
    /// Notional returned, 1/10,000 currency units.
    pub notional: i64,
    /// Return time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// A gateway's position in one instrument on one venue (template 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionUpdate {
    /// Reporting gateway.
    pub gateway_id: GatewayId,
    /// Venue.
    pub venue_id: VenueId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Net shares, positive = long.
    pub position: i64,
    /// Shares bought today.
    pub bought_qty: u64,
    /// Shares sold today.
    pub sold_qty: u64,
    /// Notional bought today, 1/10,000 currency units.
    pub notional_bought: i64,
    /// Notional sold today, 1/10,000 currency units.
    pub notional_sold: i64,
    /// Time of the fill that caused the update, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// One entry of [`RiskLimits::limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentLimit {
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Largest order, shares.
    pub max_order_qty: Qty,
    /// Largest order notional, 1/10,000 currency units.
    pub max_order_notional: i64,
    /// Largest absolute position, shares.
    pub max_position: i64,
    /// Largest distance of a limit price from the reference price, basis points.
    pub price_collar_bps: u32,
    /// Order rate limit, orders per second.
    pub max_orders_per_second: u32,
}

/// Full set of per-instrument pre-trade limits (template 33).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskLimits {
    /// Publish time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Limits version, +1 per publication.
    pub version: u64,
    /// One entry per instrument (at most 65,535).
    pub limits: Vec<InstrumentLimit>,
}

/// Stop (or resume) order entry for a scope (template 34).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillSwitch {
    /// True = engaged, false = released.
    pub active: bool,
    /// What the switch covers.
    pub scope: KillSwitchScope,
    /// Venue when `scope` = Venue, else ignored.
    pub venue_id: VenueId,
    /// Instrument when `scope` = Instrument, else ignored.
    pub instrument_id: InstrumentId,
    /// True = position-reducing orders still pass.
    pub allow_risk_reducing: bool,
    /// Time engaged or released, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Why, with key=value context, at most 1,024 bytes of UTF-8.
    pub reason: String,
}

/// The centre asks one gateway to send again, from its audit journal, every execution-stream
/// message (ExecutionReport, OrderReject, CreditReturn, PositionUpdate) whose
/// `streamSequence` is at least `from_sequence`, then an [`ExecutionReplayComplete`]
/// (template 35, schema version 2; `docs/aggregator.md` § Execution-stream resync).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutionReplayRequest {
    /// Gateway asked to replay.
    pub gateway_id: GatewayId,
    /// The centre's request number, echoed in the answer.
    pub request_id: u64,
    /// First `streamSequence` wanted (the centre's last applied + 1).
    pub from_sequence: u64,
    /// Request time, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// A gateway has sent every journaled execution-stream message an
/// [`ExecutionReplayRequest`] asked for; it follows them on the executions stream
/// (template 36, schema version 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutionReplayComplete {
    /// Replaying gateway.
    pub gateway_id: GatewayId,
    /// `request_id` of the request answered.
    pub request_id: u64,
    /// `from_sequence` of the request answered.
    pub from_sequence: u64,
    /// Highest `streamSequence` the gateway has sent (0 = none): the centre is in sync once
    /// it has applied it.
    pub last_sequence: u64,
    /// Messages sent again for this request.
    pub replayed: u64,
    /// Time the replay was queued, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// One entry of [`LimitsState::limits`]: an instrument's whole limit set at the centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CentreInstrumentLimit {
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Largest order, shares.
    pub max_order_qty: Qty,
    /// Largest order notional, 1/10,000 currency units.
    pub max_order_notional: i64,
    /// Largest absolute position, shares.
    pub max_position: i64,
    /// Largest distance of a limit price from the reference price, basis points.
    pub price_collar_bps: u32,
    /// Order rate limit, orders per second.
    pub max_orders_per_second: u32,
    /// Largest gross exposure of the instrument, 1/10,000 currency units.
    pub max_gross_notional: i64,
    /// Largest absolute net exposure of the instrument, 1/10,000 currency units.
    pub max_net_notional: i64,
    /// Traded-notional budget shared out as credit, 1/10,000 currency units.
    pub credit_notional: i64,
}

/// The centre's whole limit table after a change (template 37, schema version 3): journaled
/// by the aggregator before the [`RiskLimits`] of the same version, never sent to a gateway
/// (`docs/journal.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitsState {
    /// Time of the change, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
    /// Limits version (the same as the RiskLimits published with it).
    pub version: u64,
    /// Largest gross exposure over all instruments, 1/10,000 currency units.
    pub max_gross_notional_total: i64,
    /// Largest absolute net exposure over all instruments, 1/10,000 currency units.
    pub max_net_notional_total: i64,
    /// One entry per instrument (at most 65,535).
    pub limits: Vec<CentreInstrumentLimit>,
}

/// Absolute credit (template 38, schema version 3): the whole slice of one instrument the
/// centre holds outstanding for one gateway, counting that gateway's execution-stream
/// messages up to `through_stream_sequence` (`docs/router.md` § Absolute credit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditSlice {
    /// Gateway the slice belongs to.
    pub gateway_id: GatewayId,
    /// Instrument.
    pub instrument_id: InstrumentId,
    /// Grant number per (gateway, instrument), shared with [`CreditGrant`].
    pub grant_sequence: u64,
    /// Buy shares outstanding.
    pub buy_qty: u64,
    /// Sell shares outstanding.
    pub sell_qty: u64,
    /// Notional outstanding, 1/10,000 currency units.
    pub notional: i64,
    /// Last `streamSequence` of this gateway the centre had applied (0 = none).
    pub through_stream_sequence: u64,
    /// Time computed, ns since the Unix epoch (UTC).
    pub timestamp_ns: u64,
}

/// Any message of `schemas/crossbar.xml`, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented on its struct
pub enum Message {
    Heartbeat(Heartbeat),
    BookLevelDelta(BookLevelDelta),
    TopOfBook(TopOfBook),
    Trade(Trade),
    InstrumentStatus(InstrumentStatus),
    FeedStatus(FeedStatus),
    NewChildOrder(NewChildOrder),
    CancelOrder(CancelOrder),
    ReplaceOrder(ReplaceOrder),
    ExecutionReport(ExecutionReport),
    OrderReject(OrderReject),
    CreditGrant(CreditGrant),
    CreditReturn(CreditReturn),
    PositionUpdate(PositionUpdate),
    RiskLimits(RiskLimits),
    KillSwitch(KillSwitch),
    ExecutionReplayRequest(ExecutionReplayRequest),
    ExecutionReplayComplete(ExecutionReplayComplete),
    LimitsState(LimitsState),
    CreditSlice(CreditSlice),
}

impl Message {
    /// Every message kind, in template id order (same as [`MessageKind::ALL`]).
    pub const ALL_KINDS: [MessageKind; 20] = MessageKind::ALL;

    /// Which message this is.
    pub const fn kind(&self) -> MessageKind {
        match self {
            Message::Heartbeat(_) => MessageKind::Heartbeat,
            Message::BookLevelDelta(_) => MessageKind::BookLevelDelta,
            Message::TopOfBook(_) => MessageKind::TopOfBook,
            Message::Trade(_) => MessageKind::Trade,
            Message::InstrumentStatus(_) => MessageKind::InstrumentStatus,
            Message::FeedStatus(_) => MessageKind::FeedStatus,
            Message::NewChildOrder(_) => MessageKind::NewChildOrder,
            Message::CancelOrder(_) => MessageKind::CancelOrder,
            Message::ReplaceOrder(_) => MessageKind::ReplaceOrder,
            Message::ExecutionReport(_) => MessageKind::ExecutionReport,
            Message::OrderReject(_) => MessageKind::OrderReject,
            Message::CreditGrant(_) => MessageKind::CreditGrant,
            Message::CreditReturn(_) => MessageKind::CreditReturn,
            Message::PositionUpdate(_) => MessageKind::PositionUpdate,
            Message::RiskLimits(_) => MessageKind::RiskLimits,
            Message::KillSwitch(_) => MessageKind::KillSwitch,
            Message::ExecutionReplayRequest(_) => MessageKind::ExecutionReplayRequest,
            Message::ExecutionReplayComplete(_) => MessageKind::ExecutionReplayComplete,
            Message::LimitsState(_) => MessageKind::LimitsState,
            Message::CreditSlice(_) => MessageKind::CreditSlice,
        }
    }
}
