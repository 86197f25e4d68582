//! The router's state as the operator API's messages (`schemas/crossbar.proto`): what the
//! router thread publishes ([`Published`], built by `crate::publisher`) and its conversion to
//! prost types. Prices stay in 1/10,000 $, quantities in shares, times in UTC ns.

use std::collections::HashMap;
use std::sync::Arc;

use crossbar_api::proto;
use crossbar_model::{InstrumentId, Side, TimeInForce, VenueId};
use crossbar_router::parent::ParentState;
use crossbar_router::snapshot::{ParentRow, PositionRow, VenueRow};
use crossbar_router::{FeedState, KillScope, Strategy};

use crate::codec::reject_reason_name;
use crate::orders::{ChildStatus, ParentView};

/// Symbols and venue codes, by id.
#[derive(Clone, Debug)]
pub struct Names {
    /// Symbol of each `InstrumentId`.
    pub symbols: Vec<String>,
    /// API venue code of each router venue index.
    pub venues: Vec<String>,
    /// Platform venue id of each router venue index.
    pub venue_ids: Vec<u16>,
}

impl Names {
    /// `InstrumentId` of `symbol`.
    pub fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
        self.symbols
            .iter()
            .position(|s| s == symbol)
            .map(|i| InstrumentId(i as u32))
    }

    /// Router venue index of venue code `code`.
    pub fn venue(&self, code: &str) -> Option<VenueId> {
        self.venues
            .iter()
            .position(|s| s == code)
            .map(|i| VenueId(i as u16))
    }

    fn symbol(&self, i: InstrumentId) -> String {
        self.symbols.get(i.index()).cloned().unwrap_or_default()
    }

    fn venue_code(&self, v: u16) -> String {
        self.venues.get(v as usize).cloned().unwrap_or_default()
    }
}

/// One engaged kill switch with the operator's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillEntry {
    /// Scope (router ids).
    pub scope: KillScope,
    /// Risk-reducing orders pass.
    pub allow_risk_reducing: bool,
    /// Why (from the request).
    pub reason: String,
    /// When engaged, UTC ns.
    pub activated_ns: u64,
}

/// One parent as readers see it: the router's row and the API's view (client order id,
/// order type, children).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentEntry {
    /// The router's state of the parent (live, finished, or as it finished if the router has
    /// since forgotten it).
    pub row: ParentRow,
    /// The API's facts (`None` only for a parent the order views never saw).
    pub view: Option<ParentView>,
}

/// Every remembered parent by id (ascending id = acceptance order), a persistent B+tree
/// (`imbl`): a clone is O(1) and shares every node, so a publication copies only the paths
/// to the parents that changed.
pub type ParentMap = imbl::OrdMap<u64, Arc<ParentEntry>>;

/// What the router thread publishes for readers: one point in its event order. Published
/// each `snapshot_interval_ms` when something changed and right after every operator command
/// (before its reply), so a reply's effect is in the version current when it is read.
#[derive(Clone, Debug, Default)]
pub struct Published {
    /// +1 per publication (0: nothing published yet).
    pub version: u64,
    /// Router time of the publication, UTC ns.
    pub taken_at_ns: u64,
    /// Every parent the order views remember (live, then up to `max_parents` finished).
    pub parents: ParentMap,
    /// Positions per (instrument, venue) with activity, by instrument then venue index.
    pub positions: Arc<Vec<PositionRow>>,
    /// Every venue, by router venue index.
    pub venues: Arc<Vec<VenueRow>>,
    /// Heartbeat silence after which a venue is unhealthy, ns (`venue_timeout_ms`).
    pub heartbeat_timeout_ns: u64,
    /// Live children per router venue index (venues past the end have none).
    pub open_children: Arc<Vec<u32>>,
    /// Engaged kill switches.
    pub kills: Arc<Vec<KillEntry>>,
    /// The limits in force (Limits.Get).
    pub limits: Arc<proto::LimitsSnapshot>,
}

fn side(s: Side) -> i32 {
    match s {
        Side::Buy => proto::Side::Buy as i32,
        Side::Sell => proto::Side::Sell as i32,
        Side::SellShort => proto::Side::SellShort as i32,
    }
}

fn tif(t: TimeInForce) -> i32 {
    match t {
        TimeInForce::Day => proto::TimeInForce::Day as i32,
        TimeInForce::Ioc => proto::TimeInForce::Ioc as i32,
    }
}

fn strategy(s: Strategy) -> i32 {
    match s {
        Strategy::Sweep => proto::Strategy::Sweep as i32,
        Strategy::CostAware => proto::Strategy::CostAware as i32,
        Strategy::Post => proto::Strategy::Post as i32,
    }
}

/// Proto state of a router parent state.
pub fn parent_state(s: ParentState) -> proto::ParentState {
    match s {
        ParentState::New => proto::ParentState::Working,
        ParentState::PartiallyFilled => proto::ParentState::PartiallyFilled,
        ParentState::PendingCancel => proto::ParentState::PendingCancel,
        ParentState::Filled => proto::ParentState::Filled,
        ParentState::Canceled => proto::ParentState::Canceled,
    }
}

fn child_state(s: ChildStatus) -> i32 {
    (match s {
        ChildStatus::PendingNew => proto::ChildState::PendingNew,
        ChildStatus::New => proto::ChildState::New,
        ChildStatus::PartiallyFilled => proto::ChildState::PartiallyFilled,
        ChildStatus::Filled => proto::ChildState::Filled,
        ChildStatus::Canceled => proto::ChildState::Canceled,
        ChildStatus::Rejected => proto::ChildState::Rejected,
        ChildStatus::Expired => proto::ChildState::Expired,
    }) as i32
}

/// A parent order as the API shows it.
pub fn parent_order(
    row: &ParentRow,
    view: Option<&ParentView>,
    names: &Names,
    update_sequence: u64,
) -> proto::ParentOrder {
    let children = view
        .map(|v| {
            v.children
                .iter()
                .map(|c| proto::ChildOrder {
                    child_order_id: c.order_id.0,
                    venue: names.venue_code(c.venue),
                    price: c.price.0,
                    qty: c.qty.0,
                    leaves_qty: c.leaves(),
                    cum_qty: c.cum_qty,
                    avg_price: if c.cum_qty > 0 {
                        (c.notional / i128::from(c.cum_qty)) as i64
                    } else {
                        0
                    },
                    state: child_state(c.status),
                    reject_code: if c.status == ChildStatus::Rejected {
                        reject_reason_name(c.reject_reason).to_owned()
                    } else {
                        String::new()
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let order_type = match view {
        Some(v) if v.terms.marketable => proto::OrderType::MarketableLimit,
        _ => proto::OrderType::Limit,
    };
    proto::ParentOrder {
        parent_order_id: row.order_id.0,
        client_order_id: view
            .map(|v| v.terms.client_order_id.clone())
            .unwrap_or_default(),
        instrument_symbol: names.symbol(row.instrument),
        side: side(row.side),
        qty: row.qty.0,
        limit_price: row.limit_price.0,
        order_type: order_type as i32,
        time_in_force: tif(row.time_in_force),
        strategy: strategy(row.strategy),
        state: parent_state(row.state) as i32,
        leaves_qty: row.leaves_qty,
        cum_qty: row.cum_qty,
        avg_price: row.avg_price.map_or(0, |p| p.0),
        reject_code: String::new(),
        reject_reason: String::new(),
        created_ns: row.created_ns,
        updated_ns: view.map_or(row.created_ns, |v| v.updated_ns),
        children,
        update_sequence,
        cancel_reason: cancel_reason(row.cancel_reason) as i32,
    }
}

/// The API's cancel reason of a router one.
pub fn cancel_reason(r: crossbar_router::CancelReason) -> proto::CancelReason {
    use crossbar_router::CancelReason as R;
    match r {
        R::Operator => proto::CancelReason::Operator,
        R::KillSwitch => proto::CancelReason::KillSwitch,
        R::NoVenue => proto::CancelReason::NoVenue,
        R::NoCredit => proto::CancelReason::NoCredit,
        R::NoLiquidity => proto::CancelReason::NoLiquidity,
        R::ChildrenRefused => proto::CancelReason::ChildrenRefused,
        R::GatewayCanceled => proto::CancelReason::GatewayCanceled,
        // #[non_exhaustive]-proof: anything new reads as unspecified until mapped.
        #[allow(unreachable_patterns)]
        _ => proto::CancelReason::Unspecified,
    }
}

/// Proto scope and names of a router kill scope: (scope, venue, instrument_symbol).
pub fn kill_scope(scope: KillScope, names: &Names) -> (proto::KillSwitchScope, String, String) {
    match scope {
        KillScope::All => (proto::KillSwitchScope::All, String::new(), String::new()),
        KillScope::Venue(v) => (
            proto::KillSwitchScope::Venue,
            names.venue_code(v.0),
            String::new(),
        ),
        KillScope::Instrument(i) => (
            proto::KillSwitchScope::Instrument,
            String::new(),
            names.symbol(i),
        ),
    }
}

/// Every engaged kill switch.
pub fn kill_status(kills: &[KillEntry], names: &Names) -> proto::KillSwitchStatus {
    proto::KillSwitchStatus {
        active: kills
            .iter()
            .map(|k| {
                let (scope, venue, instrument_symbol) = kill_scope(k.scope, names);
                proto::KillSwitchEntry {
                    scope: scope as i32,
                    venue,
                    instrument_symbol,
                    allow_risk_reducing: k.allow_risk_reducing,
                    reason: k.reason.clone(),
                    activated_ns: k.activated_ns,
                }
            })
            .collect(),
    }
}

/// Positions per instrument (with per-venue breakdown), ordered by symbol; `updated_ns` by
/// instrument id from the caller.
pub fn positions(
    rows: &[PositionRow],
    names: &Names,
    updated_ns: &HashMap<u32, u64>,
) -> Vec<proto::Position> {
    let mut by_instrument: Vec<proto::Position> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    for row in rows {
        let k = match ids.iter().position(|i| *i == row.instrument.0) {
            Some(k) => k,
            None => {
                ids.push(row.instrument.0);
                by_instrument.push(proto::Position {
                    instrument_symbol: names.symbol(row.instrument),
                    updated_ns: updated_ns.get(&row.instrument.0).copied().unwrap_or(0),
                    ..Default::default()
                });
                by_instrument.len() - 1
            }
        };
        let p = &mut by_instrument[k];
        p.net_qty += row.position;
        p.bought_qty += row.bought;
        p.sold_qty += row.sold;
        p.notional_bought += row.notional_bought as i64;
        p.notional_sold += row.notional_sold as i64;
        p.by_venue.push(proto::VenuePosition {
            venue: names.venue_code(row.venue.0),
            net_qty: row.position,
            bought_qty: row.bought,
            sold_qty: row.sold,
        });
    }
    by_instrument.sort_by(|a, b| a.instrument_symbol.cmp(&b.instrument_symbol));
    by_instrument
}

/// Venue health.
pub fn venues(published: &Published, names: &Names) -> proto::VenueList {
    let timeout_ns = published.heartbeat_timeout_ns;
    let mut venues: Vec<proto::VenueStatus> = published
        .venues
        .iter()
        .map(|v| {
            let i = v.venue.0 as usize;
            let all_killed = published.kills.iter().any(|k| k.scope == KillScope::All);
            proto::VenueStatus {
                venue: names.venue_code(v.venue.0),
                venue_id: u32::from(names.venue_ids.get(i).copied().unwrap_or(0)),
                session_state: if v
                    .last_heartbeat_ns
                    .is_some_and(|t| published.taken_at_ns.saturating_sub(t) <= timeout_ns)
                {
                    proto::SessionState::Connected
                } else {
                    proto::SessionState::HeartbeatLost
                } as i32,
                feed_state: (match v.feed_state {
                    FeedState::Ok => proto::FeedState::Ok,
                    FeedState::Gap => proto::FeedState::Gap,
                    FeedState::Stale => proto::FeedState::Stale,
                    FeedState::Recovering => proto::FeedState::Recovering,
                }) as i32,
                kill_switch_active: v.killed || all_killed,
                last_heartbeat_ns: v.last_heartbeat_ns.unwrap_or(0),
                open_child_orders: published.open_children.get(i).copied().unwrap_or(0),
            }
        })
        .collect();
    venues.sort_by(|a, b| a.venue.cmp(&b.venue));
    proto::VenueList { venues }
}

/// Limits.Get / Limits.Set reply from the router's table in force: version, one entry per
/// instrument (every field, gross / net / credit included) ordered by symbol, and the
/// cross-instrument totals (`schemas/crossbar.proto` LimitsSnapshot).
pub fn limits_snapshot(router: &crossbar_router::Router, names: &Names) -> proto::LimitsSnapshot {
    let clamp = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    let mut instruments: Vec<proto::InstrumentLimits> = router
        .risk()
        .all_limits()
        .iter()
        .enumerate()
        .map(|(i, l)| proto::InstrumentLimits {
            instrument_symbol: names.symbols.get(i).cloned().unwrap_or_default(),
            max_order_qty: l.max_order_qty.0,
            max_order_notional: clamp(l.max_order_notional),
            max_position: l.max_position,
            price_collar_bps: l.price_collar_bps,
            max_orders_per_second: l.max_orders_per_second,
            max_gross_notional: Some(clamp(l.max_gross_notional)),
            max_net_notional: Some(clamp(l.max_net_notional)),
            credit_notional: Some(clamp(l.credit_notional)),
        })
        .collect();
    instruments.sort_by(|a, b| a.instrument_symbol.cmp(&b.instrument_symbol));
    let (gross, net) = router.risk().total_limits();
    proto::LimitsSnapshot {
        version: router.limits_version(),
        instruments,
        max_gross_notional_total: clamp(gross),
        max_net_notional_total: clamp(net),
    }
}
