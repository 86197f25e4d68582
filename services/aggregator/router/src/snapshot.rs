//! Snapshots for readers (the gRPC API). The owner thread builds one between events with
//! [`crate::Router::snapshot_into`], so it is consistent (one point in the event order), and
//! publishes it (the glue puts it in an `arc_swap::ArcSwap<Snapshot>`); readers never touch
//! the router. Building reuses the vectors of the snapshot passed in, so a pair of snapshots
//! swapped back and forth stops allocating once they have grown to size.

use crate::counters::Counters;
use crate::events::{FeedState, KillScope, Strategy};
use crate::kill::KillFlag;
use crate::limits::RouterLimits;
use crate::nbbo::Nbbo;
use crate::parent::{Parent, ParentState};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

/// Position of one instrument on one venue (rows only where something traded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionRow {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Venue.
    pub venue: VenueId,
    /// Net shares, + long.
    pub position: i64,
    /// Shares bought today.
    pub bought: u64,
    /// Shares sold today.
    pub sold: u64,
    /// Notional bought today, 1/10,000 $.
    pub notional_bought: i128,
    /// Notional sold today, 1/10,000 $.
    pub notional_sold: i128,
}

/// One instrument's totals (rows only for instruments with a position, open orders or a
/// quote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentRow {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Net shares over all venues.
    pub position: i64,
    /// Open parent leaves, buy side, shares.
    pub open_buy: u64,
    /// Open parent leaves, sell side, shares.
    pub open_sell: u64,
    /// Gross exposure, 1/10,000 $.
    pub gross_notional: i128,
    /// Net exposure (signed), 1/10,000 $.
    pub net_notional: i128,
    /// Mark price used for exposure, 1/10,000 $.
    pub mark: Price,
    /// NBBO over healthy venues.
    pub nbbo: Nbbo,
}

/// One parent order (live ones, then recently finished ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParentRow {
    /// Parent order id.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side.
    pub side: Side,
    /// Shares ordered.
    pub qty: Qty,
    /// Limit, 1/10,000 $.
    pub limit_price: Price,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Strategy.
    pub strategy: Strategy,
    /// State.
    pub state: ParentState,
    /// Shares filled.
    pub cum_qty: u32,
    /// Shares not filled (0 once terminal).
    pub leaves_qty: u32,
    /// Shares on live children.
    pub working_qty: u32,
    /// Average fill price, 1/10,000 $, rounded toward zero.
    pub avg_price: Option<Price>,
    /// Router time the parent was accepted, ns.
    pub created_ns: u64,
    /// Why it was canceled (`Unspecified` unless Canceled).
    pub cancel_reason: crate::events::CancelReason,
}

impl ParentRow {
    /// The row of `parent` as it stands now (leaves, average price in 1/10,000 $ computed
    /// from its fills).
    pub fn of(parent: &Parent) -> Self {
        Self {
            order_id: parent.order_id,
            instrument: parent.instrument,
            side: parent.side,
            qty: parent.qty,
            limit_price: parent.limit_price,
            time_in_force: parent.time_in_force,
            strategy: parent.strategy,
            state: parent.state,
            cum_qty: parent.cum_qty,
            leaves_qty: parent.leaves(),
            working_qty: parent.working_qty,
            avg_price: parent.avg_price(),
            created_ns: parent.created_ns,
            cancel_reason: parent.cancel_reason,
        }
    }
}

/// One venue's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueRow {
    /// Venue.
    pub venue: VenueId,
    /// Its gateway.
    pub gateway: GatewayId,
    /// In the NBBO and routable.
    pub healthy: bool,
    /// Last feed state.
    pub feed_state: FeedState,
    /// Router time of the last heartbeat, ns.
    pub last_heartbeat_ns: Option<u64>,
    /// EWMA ack latency, ns.
    pub ack_latency_ewma_ns: u64,
    /// Feed gaps reported.
    pub gap_count: u64,
    /// Kill switch engaged on this venue.
    pub killed: bool,
}

/// Everything a reader may ask about, at one point in the router's event order.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Router time the snapshot was taken, ns.
    pub taken_at_ns: u64,
    /// Events applied before it (a monotonic version).
    pub events_applied: u64,
    /// Positions per (instrument, venue) with activity.
    pub positions: Vec<PositionRow>,
    /// Instrument totals with activity.
    pub instruments: Vec<InstrumentRow>,
    /// Live parents, then finished parents still remembered.
    pub parents: Vec<ParentRow>,
    /// Every venue.
    pub venues: Vec<VenueRow>,
    /// Engaged kill switches.
    pub kill_switches: Vec<(KillScope, KillFlag)>,
    /// Gross exposure over all instruments, 1/10,000 $.
    pub gross_notional_total: i128,
    /// Net exposure over all instruments, 1/10,000 $.
    pub net_notional_total: i128,
    /// The limits in force.
    pub limits: Option<RouterLimits>,
    /// Counters.
    pub counters: Counters,
}
