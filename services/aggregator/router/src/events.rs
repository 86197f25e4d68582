//! Inputs (events in) and outputs (commands out). Each input mirrors one SBE message of
//! `schemas/crossbar.xml` field for field (minus framing), so the glue decodes a flyweight
//! into one of these on the stack and calls the matching `Router::on_*` method. Each output
//! mirrors one SBE message the glue encodes.

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

/// SBE `Heartbeat` (id 1): a gateway is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// Sending process (`senderId`); the venues this gateway serves are refreshed.
    pub sender: GatewayId,
    /// Heartbeat counter of this sender.
    pub sequence: u64,
    /// Send time, UTC ns (sender's clock; the router judges liveness by its own `now_ns`).
    pub timestamp_ns: u64,
}

/// SBE `BookAction` (BookLevelDelta group field `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookAction {
    /// A level inserted at `level_index`; deeper levels shift down.
    New,
    /// The level at `level_index` changed qty or order count.
    Change,
    /// The level at `level_index` removed; deeper levels shift up.
    Delete,
}

/// One entry of SBE `BookLevelDelta.levels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelChange {
    /// New, Change or Delete.
    pub action: BookAction,
    /// `Buy` = bid side, `Sell`/`SellShort` = ask side.
    pub side: Side,
    /// Depth of the level, 0 = top.
    pub level_index: u16,
    /// Level price, 1/10,000 $.
    pub price: Price,
    /// Aggregate shares at the level after the change (0 on Delete).
    pub qty: u64,
    /// Orders at the level after the change (0 on Delete).
    pub order_count: u32,
}

/// SBE `BookLevelDelta` (id 10): level changes of one book from one feed event, borrowed from
/// the decoder's group so no allocation happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevelDelta<'a> {
    /// Venue of the book.
    pub venue: VenueId,
    /// Instrument of the book.
    pub instrument: InstrumentId,
    /// Venue feed sequence of the event.
    pub sequence: u64,
    /// Venue event time, UTC ns.
    pub timestamp_ns: u64,
    /// Changes, applied in order.
    pub levels: &'a [LevelChange],
}

/// SBE `TopOfBook` (id 11). An empty side has qty 0 and price 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopOfBook {
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Venue feed sequence of the last event applied.
    pub sequence: u64,
    /// Venue event time, UTC ns.
    pub timestamp_ns: u64,
    /// Best bid, 1/10,000 $.
    pub bid_price: Price,
    /// Shares at the best bid; 0 = empty bid side.
    pub bid_qty: u64,
    /// Best ask, 1/10,000 $.
    pub ask_price: Price,
    /// Shares at the best ask; 0 = empty ask side.
    pub ask_qty: u64,
}

/// SBE `FeedState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedState {
    /// In sequence and fresh.
    Ok,
    /// Sequence gap: books suspect (venue unhealthy).
    Gap,
    /// No data within the staleness limit (venue unhealthy).
    Stale,
    /// Recovery in progress (venue unhealthy).
    Recovering,
}

/// SBE `FeedStatus` (id 14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedStatus {
    /// Venue.
    pub venue: VenueId,
    /// Gateway time of the change, UTC ns.
    pub timestamp_ns: u64,
    /// New feed state.
    pub feed_state: FeedState,
    /// Gaps on this feed since gateway start.
    pub gap_count: u64,
}

/// SBE `ExecType` (FIX ExecType(150)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecType {
    /// Accepted by the venue.
    New,
    /// Partially filled.
    PartialFill,
    /// Completely filled.
    Fill,
    /// Canceled (fully or the remainder).
    Canceled,
    /// Replaced (the router sends no ReplaceOrder; refused as an invalid transition).
    Replaced,
    /// Rejected by the venue.
    Rejected,
    /// Expired (IOC remainder or end of day).
    Expired,
    /// Restated (refused as an invalid transition; the router does not track restatements).
    Restated,
}

/// SBE `ExecutionReport` (id 23), the fields the router uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutionReport {
    /// Child order id.
    pub order_id: OrderId,
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// What the report reports.
    pub exec_type: ExecType,
    /// Price of this fill, 1/10,000 $ (0 when not a fill).
    pub last_px: Price,
    /// Shares of this fill (0 when not a fill).
    pub last_qty: Qty,
    /// Shares the venue says are still open.
    pub leaves_qty: Qty,
    /// Gateway receive time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `OrderReject` (id 24) of a child order (gateway risk or venue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderReject {
    /// Rejected child order id.
    pub order_id: OrderId,
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// SBE RejectReason code.
    pub reject_reason: u16,
    /// Reject time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `PositionUpdate` (id 32): the gateway's day counters for one (venue, instrument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionUpdate {
    /// Reporting gateway.
    pub gateway: GatewayId,
    /// Venue.
    pub venue: VenueId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Net shares, + long (must equal bought - sold).
    pub position: i64,
    /// Shares bought today.
    pub bought_qty: u64,
    /// Shares sold today.
    pub sold_qty: u64,
    /// Notional bought today, 1/10,000 $.
    pub notional_bought: i64,
    /// Notional sold today, 1/10,000 $.
    pub notional_sold: i64,
    /// Time of the fill, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `CreditReturn` (id 31): a gateway hands unused credit back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditReturn {
    /// Returning gateway.
    pub gateway: GatewayId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Buy shares returned.
    pub buy_qty: u64,
    /// Sell shares returned.
    pub sell_qty: u64,
    /// Notional returned, 1/10,000 $.
    pub notional: i64,
}

/// SBE `KillSwitchScope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillScope {
    /// Everything.
    All,
    /// One venue.
    Venue(VenueId),
    /// One instrument on every venue.
    Instrument(InstrumentId),
}

/// Routing strategy of a parent order (see `docs/router.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Take displayed liquidity in price order across venues (Reg NMS Rule 611 safe); ties by
    /// displayed size.
    Sweep,
    /// As `Sweep`, ties at one price broken by fee plus latency penalty per share.
    CostAware,
    /// Take nothing: rest the whole order at the best venue without locking or crossing.
    Post,
}

/// A parent order request (from the gRPC API through the command queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParentRequest {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Buy, Sell or SellShort.
    pub side: Side,
    /// Shares, > 0.
    pub qty: Qty,
    /// Limit price, 1/10,000 $, > 0. A marketable limit is one at or through the far touch.
    pub limit_price: Price,
    /// IOC: leaves not filled by taking are cancelled. Day: the remainder is posted.
    pub time_in_force: TimeInForce,
    /// How to route.
    pub strategy: Strategy,
}

/// SBE `NewChildOrder` (id 20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewChildOrder {
    /// Child order id (router namespace).
    pub order_id: OrderId,
    /// Parent order id.
    pub parent_order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Destination venue.
    pub venue: VenueId,
    /// Gateway serving that venue (the stream to publish on).
    pub gateway: GatewayId,
    /// Side.
    pub side: Side,
    /// Day or IOC.
    pub time_in_force: TimeInForce,
    /// Limit price, 1/10,000 $.
    pub price: Price,
    /// Shares.
    pub qty: Qty,
    /// Router decision time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `CancelOrder` (id 21), always a full cancel (`leaveQty` 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelOrder {
    /// Child order to cancel.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Venue the order is on.
    pub venue: VenueId,
    /// Gateway serving that venue.
    pub gateway: GatewayId,
    /// Request time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `CreditGrant` (id 30). Grants are additive: the gateway adds them to what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditGrant {
    /// Gateway receiving the credit.
    pub gateway: GatewayId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Grant number per (gateway, instrument), +1 per grant, from 1.
    pub grant_sequence: u64,
    /// Shares the gateway may additionally buy.
    pub buy_qty: u64,
    /// Shares the gateway may additionally sell.
    pub sell_qty: u64,
    /// Notional the gateway may additionally commit, 1/10,000 $.
    pub notional: i64,
    /// Grant time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `CreditSlice` (id 38): the whole slice of one instrument the router holds outstanding
/// for one gateway (granted − returned − consumed by fills), counting that gateway's
/// execution-stream messages up to `through_stream_sequence`. The gateway sets its slice to
/// this minus what its own later messages took (`docs/router.md` § Absolute credit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditSlice {
    /// Gateway the slice belongs to.
    pub gateway: GatewayId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Grant number per (gateway, instrument), shared with [`CreditGrant`] (+1 per grant or
    /// slice statement).
    pub grant_sequence: u64,
    /// Buy shares outstanding.
    pub buy_qty: u64,
    /// Sell shares outstanding.
    pub sell_qty: u64,
    /// Notional outstanding, 1/10,000 $.
    pub notional: i64,
    /// Last `streamSequence` of the gateway the owner had applied (0 = none).
    pub through_stream_sequence: u64,
    /// Statement time, UTC ns.
    pub timestamp_ns: u64,
}

/// SBE `KillSwitch` (id 34), to forward to every gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KillSwitch {
    /// Engaged (true) or released.
    pub active: bool,
    /// What it covers.
    pub scope: KillScope,
    /// Risk-reducing orders still pass.
    pub allow_risk_reducing: bool,
    /// Time engaged or released, UTC ns.
    pub timestamp_ns: u64,
}

/// New limits of one instrument, as carried by gRPC `InstrumentLimits` (Limits.Set) and the
/// journal's SBE LimitsState (id 37) entries. The first five fields are also what each SBE
/// RiskLimits (id 33) entry carries to the gateways; `max_gross_notional`,
/// `max_net_notional` and `credit_notional` are the centre's own and `None` leaves them as
/// they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitsUpdate {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Largest parent (and child) order, shares, `> 0`.
    pub max_order_qty: Qty,
    /// Largest order notional, `price * qty`, 1/10,000 $, `1..=i64::MAX`.
    pub max_order_notional: i64,
    /// Largest absolute position, shares, `>= 0` (0 = must stay flat).
    pub max_position: i64,
    /// Price collar, basis points, `1..=10_000` (enforced by the gateways).
    pub price_collar_bps: u32,
    /// Order rate, orders per second, `> 0` (enforced by the gateways).
    pub max_orders_per_second: u32,
    /// Largest gross exposure of the instrument, 1/10,000 $, `>= 0`; `None` = unchanged.
    pub max_gross_notional: Option<i64>,
    /// Largest absolute net exposure of the instrument, 1/10,000 $, `>= 0`; `None` =
    /// unchanged.
    pub max_net_notional: Option<i64>,
    /// Traded-notional budget shared out to the gateways as credit, 1/10,000 $, `>= 0`;
    /// `None` = unchanged. Raising it grants the new room (additive CreditGrants); lowering it
    /// revokes nothing ([`crate::credit`]).
    pub credit_notional: Option<i64>,
}

/// New cross-instrument limits (`RouterLimits::max_gross_notional_total` /
/// `max_net_notional_total`), 1/10,000 $, `>= 0`; `None` = unchanged. Carried by gRPC
/// `SetLimitsRequest` fields 3 and 4 and SBE LimitsState (id 37).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TotalLimitsUpdate {
    /// Largest gross exposure over all instruments.
    pub max_gross_notional_total: Option<i64>,
    /// Largest absolute net exposure over all instruments.
    pub max_net_notional_total: Option<i64>,
}

impl TotalLimitsUpdate {
    /// True when neither total is changed.
    pub fn is_empty(&self) -> bool {
        self.max_gross_notional_total.is_none() && self.max_net_notional_total.is_none()
    }
}

/// SBE `RiskLimits` (id 33), to publish to every gateway: the full per-instrument table in
/// force right after the change ([`crate::Router::risk`] `.all_limits()`), under `version`.
/// The glue encodes it before the router handles another call, so the table it reads is the
/// one this command announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskLimitsChanged {
    /// Limits version, +1 per accepted change (1 = the configured limits).
    pub version: u64,
    /// Time of the change, UTC ns.
    pub timestamp_ns: u64,
}

/// A command for the glue to encode as SBE and publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Publish a NewChildOrder to `gateway`.
    NewChild(NewChildOrder),
    /// Publish a CancelOrder to `gateway`.
    Cancel(CancelOrder),
    /// Publish a CreditGrant to `gateway`.
    Credit(CreditGrant),
    /// Publish a CreditSlice (absolute) to `gateway`.
    Slice(CreditSlice),
    /// Publish a KillSwitch to every gateway.
    Kill(KillSwitch),
    /// Publish RiskLimits (the whole table) to every gateway.
    Limits(RiskLimitsChanged),
}

/// Where the router puts its commands. The router never blocks on it; a sink that cannot
/// take a command must buffer or count it itself (Aeron back pressure is the glue's job).
pub trait CommandSink {
    /// Takes one command.
    fn emit(&mut self, command: Command);
}

impl CommandSink for Vec<Command> {
    fn emit(&mut self, command: Command) {
        self.push(command);
    }
}

/// Why a parent finished Canceled (reported with the parent, gRPC `ParentOrder.cancel_reason`;
/// `docs/router.md` § Orders). Stable names ([`CancelReason::name`]) are journaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Not canceled (or canceled before reasons were recorded).
    #[default]
    Unspecified,
    /// Orders.Cancel from an operator.
    Operator,
    /// A kill switch covering the parent.
    KillSwitch,
    /// IOC: no eligible venue (unhealthy, killed, resyncing or excluded after a reject).
    NoVenue,
    /// IOC: eligible venues, but no gateway has credit (shares or notional) for a child.
    NoCredit,
    /// IOC: nothing (more) to take within the limit on the eligible venues.
    NoLiquidity,
    /// IOC: every planned child was refused by the per-child risk checks or a full table.
    ChildrenRefused,
    /// A child was canceled by its gateway or venue while the aggregator was not listening
    /// (reported during the gateway's execution-stream resync): the parent is not re-routed.
    GatewayCanceled,
}

impl CancelReason {
    /// Every reason, in code order.
    pub const ALL: [CancelReason; 8] = [
        CancelReason::Unspecified,
        CancelReason::Operator,
        CancelReason::KillSwitch,
        CancelReason::NoVenue,
        CancelReason::NoCredit,
        CancelReason::NoLiquidity,
        CancelReason::ChildrenRefused,
        CancelReason::GatewayCanceled,
    ];

    /// Stable snake_case name (journal text `cancel_reason=<name>`, crossbarctl).
    pub const fn name(self) -> &'static str {
        match self {
            CancelReason::Unspecified => "unspecified",
            CancelReason::Operator => "operator",
            CancelReason::KillSwitch => "kill_switch",
            CancelReason::NoVenue => "no_venue",
            CancelReason::NoCredit => "no_credit",
            CancelReason::NoLiquidity => "no_liquidity",
            CancelReason::ChildrenRefused => "children_refused",
            CancelReason::GatewayCanceled => "gateway_canceled",
        }
    }

    /// The reason named `name` ([`CancelReason::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}
