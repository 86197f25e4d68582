//! Restart: the journal replayed into a fresh router before trading starts.
//!
//! Every record is decoded (`crossbar_sbe::decode`) and applied in journal order between
//! `Router::begin_replay` and the core's start (which calls `Router::end_replay`):
//!
//! | record | applied as |
//! |---|---|
//! | in ExecutionReport / OrderReject / PositionUpdate / CreditReturn | the router's `on_*` (fills, positions, credit) |
//! | in CancelOrder, `venueId` = `NO_VENUE` | the operator's parent cancel (`cancel_parent`) |
//! | out ExecutionReport, `parentOrderId` 0, execType New | parent accepted (`restore_parent`, client order id) |
//! | out ExecutionReport, `parentOrderId` 0, Fill / Canceled | parent finished (`restore_parent_done`) |
//! | out NewChildOrder | child sent (`restore_child`) |
//! | out CancelOrder | cancel sent (`restore_cancel_sent`) |
//! | out CreditGrant | grant sent (`restore_credit_grant`) |
//! | out RiskLimits | limits and their version as published (`restore_limits`) |
//! | out KillSwitch | kill switch engaged / released |
//!
//! A record the router refuses is counted and logged with its sequence (`AGG_REPLAY_REFUSED`)
//! and replay goes on; an undecodable record stops start-up (the journal's CRC passed, so it
//! is a bug or a foreign journal).

use crossbar_journal::{Direction, JournalReader};
use crossbar_model::{GatewayId, VenueId};
use crossbar_router::CreditSlice as RouterCreditSlice;
use crossbar_router::{
    CreditGrant, CreditReturn, ExecType, ExecutionReport, KillScope, LimitsUpdate, NewChildOrder,
    OrderReject, ParentRequest, PositionUpdate, Router, RouterError, TotalLimitsUpdate,
};
use crossbar_sbe::{self as sbe, Message};

use crate::codec::{parse_parent_text, VenueMap, NO_VENUE};
use crate::orders::OrderViews;
use crate::views::KillEntry;

/// What replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Records read.
    pub records: u64,
    /// Records the router refused (logged).
    pub refused: u64,
    /// Highest journal timestamp seen, UTC ns.
    pub last_timestamp_ns: u64,
}

/// Why replay stopped start-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The journal could not be read.
    #[error(transparent)]
    Journal(#[from] crossbar_journal::JournalError),
    /// A record is not a message the aggregator writes.
    #[error("AGG_REPLAY_BAD_RECORD sequence={sequence} reason={reason}")]
    BadRecord {
        /// Journal sequence.
        sequence: u64,
        /// What is wrong.
        reason: String,
    },
}

/// State replay rebuilds besides the router.
pub struct Replayed<'a> {
    /// The router (in replay mode; the caller ends replay).
    pub router: &'a mut Router,
    /// Order views.
    pub orders: &'a mut OrderViews,
    /// Engaged kill switches.
    pub kills: &'a mut Vec<KillEntry>,
}

fn kill_scope(k: &sbe::KillSwitch, venues: &VenueMap) -> Option<KillScope> {
    Some(match k.scope {
        sbe::KillSwitchScope::All => KillScope::All,
        sbe::KillSwitchScope::Venue => KillScope::Venue(venues.to_router(k.venue_id.0)?),
        sbe::KillSwitchScope::Instrument => KillScope::Instrument(k.instrument_id),
        _ => return None,
    })
}

fn exec_type(t: sbe::ExecType) -> Option<ExecType> {
    Some(match t {
        sbe::ExecType::New => ExecType::New,
        sbe::ExecType::PartialFill => ExecType::PartialFill,
        sbe::ExecType::Fill => ExecType::Fill,
        sbe::ExecType::Canceled => ExecType::Canceled,
        sbe::ExecType::Replaced => ExecType::Replaced,
        sbe::ExecType::Rejected => ExecType::Rejected,
        sbe::ExecType::Expired => ExecType::Expired,
        sbe::ExecType::Restated => ExecType::Restated,
        _ => return None,
    })
}

/// Replays every record of the journal in `reader` into `state`.
///
/// # Errors
/// [`ReplayError`] for a record that is not one the aggregator writes.
pub fn replay(
    reader: &JournalReader,
    venues: &VenueMap,
    state: Replayed<'_>,
) -> Result<ReplayReport, ReplayError> {
    let Replayed {
        router,
        orders,
        kills,
    } = state;
    router.begin_replay();
    let mut report = ReplayReport::default();
    let mut discard = Vec::new();
    for record in reader.records() {
        report.records += 1;
        report.last_timestamp_ns = report.last_timestamp_ns.max(record.timestamp_ns);
        let now = record.timestamp_ns;
        let bad = |reason: String| ReplayError::BadRecord {
            sequence: record.sequence,
            reason,
        };
        let message = sbe::decode(record.payload).map_err(|e| bad(e.to_string()))?;
        let venue = |v: VenueId| {
            venues
                .to_router(v.0)
                .ok_or_else(|| bad(format!("unknown venue {}", v.0)))
        };
        let r: Result<(), RouterError> = match (record.direction, &message) {
            (Direction::Inbound, Message::ExecutionReport(er)) => {
                let Some(exec_type) = exec_type(er.exec_type) else {
                    return Err(bad("exec type".into()));
                };
                let r = router.on_execution_report(
                    &ExecutionReport {
                        order_id: er.order_id,
                        venue: venue(er.venue_id)?,
                        instrument: er.instrument_id,
                        exec_type,
                        last_px: er.last_px,
                        last_qty: er.last_qty,
                        leaves_qty: er.leaves_qty,
                        timestamp_ns: er.timestamp_ns,
                    },
                    now,
                    &mut discard,
                );
                if r.is_ok() {
                    orders.on_report(er.order_id, exec_type, er.last_qty, er.last_px, now);
                }
                r
            }
            (Direction::Inbound, Message::OrderReject(rej)) => {
                let r = router.on_order_reject(
                    &OrderReject {
                        order_id: rej.order_id,
                        venue: venue(rej.venue_id)?,
                        instrument: rej.instrument_id,
                        reject_reason: rej.reject_reason as u16,
                        timestamp_ns: rej.timestamp_ns,
                    },
                    now,
                    &mut discard,
                );
                if r.is_ok() {
                    orders.on_reject(rej.order_id, rej.reject_reason as u16, now);
                }
                r
            }
            (Direction::Inbound, Message::PositionUpdate(pu)) => router.on_position_update(
                &PositionUpdate {
                    gateway: pu.gateway_id,
                    venue: venue(pu.venue_id)?,
                    instrument: pu.instrument_id,
                    position: pu.position,
                    bought_qty: pu.bought_qty,
                    sold_qty: pu.sold_qty,
                    notional_bought: pu.notional_bought,
                    notional_sold: pu.notional_sold,
                    timestamp_ns: pu.timestamp_ns,
                },
                now,
                &mut discard,
            ),
            (Direction::Inbound, Message::CreditReturn(cr)) => router.on_credit_return(
                &CreditReturn {
                    gateway: cr.gateway_id,
                    instrument: cr.instrument_id,
                    buy_qty: cr.buy_qty,
                    sell_qty: cr.sell_qty,
                    notional: cr.notional,
                },
                now,
                &mut discard,
            ),
            (Direction::Inbound, Message::CancelOrder(c)) if c.venue_id.0 == NO_VENUE => {
                let r = router.cancel_parent(c.order_id, now, &mut discard);
                orders.touch(c.order_id, now);
                r
            }
            (Direction::Outbound, Message::ExecutionReport(er))
                if er.parent_order_id.0 == 0 && er.venue_id.0 == NO_VENUE =>
            {
                if er.exec_type == sbe::ExecType::New {
                    let (terms, time_in_force, strategy) =
                        parse_parent_text(&er.text).map_err(bad)?;
                    let req = ParentRequest {
                        instrument: er.instrument_id,
                        side: er.side,
                        qty: er.leaves_qty,
                        limit_price: er.price,
                        time_in_force,
                        strategy,
                    };
                    let r = router.restore_parent(er.order_id, &req, er.timestamp_ns);
                    if r.is_ok() {
                        orders.on_accept(er.order_id, terms, er.timestamp_ns);
                    }
                    r
                } else {
                    let r = router.restore_parent_done_with(
                        er.order_id,
                        crate::codec::parse_cancel_reason(&er.text),
                    );
                    orders.on_finished(er.order_id, now);
                    r
                }
            }
            (Direction::Outbound, Message::NewChildOrder(c)) => {
                let v = venue(c.venue_id)?;
                let gateway = router.limits().venues[v.0 as usize].gateway;
                let child = NewChildOrder {
                    order_id: c.order_id,
                    parent_order_id: c.parent_order_id,
                    instrument: c.instrument_id,
                    venue: v,
                    gateway,
                    side: c.side,
                    time_in_force: c.time_in_force,
                    price: c.price,
                    qty: c.qty,
                    timestamp_ns: c.timestamp_ns,
                };
                let r = router.restore_child(&child);
                if r.is_ok() {
                    orders.on_child(&child);
                }
                r
            }
            (Direction::Outbound, Message::CancelOrder(c)) => {
                router.restore_cancel_sent(c.order_id)
            }
            (Direction::Outbound, Message::CreditGrant(g)) => {
                router.restore_credit_grant(&CreditGrant {
                    gateway: GatewayId(g.gateway_id.0),
                    instrument: g.instrument_id,
                    grant_sequence: g.grant_sequence,
                    buy_qty: g.buy_qty,
                    sell_qty: g.sell_qty,
                    notional: g.notional,
                    timestamp_ns: g.timestamp_ns,
                })
            }
            (Direction::Outbound, Message::CreditSlice(c)) => {
                router.restore_credit_slice(&RouterCreditSlice {
                    gateway: GatewayId(c.gateway_id.0),
                    instrument: c.instrument_id,
                    grant_sequence: c.grant_sequence,
                    buy_qty: c.buy_qty,
                    sell_qty: c.sell_qty,
                    notional: c.notional,
                    through_stream_sequence: c.through_stream_sequence,
                    timestamp_ns: c.timestamp_ns,
                })
            }
            // Re-sent at a restart (same version), or published after the LimitsState of its
            // version (restored from that): already in force.
            (Direction::Outbound, Message::RiskLimits(l))
                if l.version <= router.limits_version() =>
            {
                Ok(())
            }
            // A journal written before LimitsState (schema version 2): RiskLimits alone.
            (Direction::Outbound, Message::RiskLimits(l)) => {
                let updates: Vec<LimitsUpdate> = l
                    .limits
                    .iter()
                    .map(|e| LimitsUpdate {
                        instrument: e.instrument_id,
                        max_order_qty: e.max_order_qty,
                        max_order_notional: e.max_order_notional,
                        max_position: e.max_position,
                        price_collar_bps: e.price_collar_bps,
                        max_orders_per_second: e.max_orders_per_second,
                        max_gross_notional: None,
                        max_net_notional: None,
                        credit_notional: None,
                    })
                    .collect();
                router.restore_limits(&updates, l.version)
            }
            (Direction::Outbound, Message::LimitsState(l))
                if l.version <= router.limits_version() =>
            {
                Ok(())
            }
            (Direction::Outbound, Message::LimitsState(l)) => {
                let updates: Vec<LimitsUpdate> = l
                    .limits
                    .iter()
                    .map(|e| LimitsUpdate {
                        instrument: e.instrument_id,
                        max_order_qty: e.max_order_qty,
                        max_order_notional: e.max_order_notional,
                        max_position: e.max_position,
                        price_collar_bps: e.price_collar_bps,
                        max_orders_per_second: e.max_orders_per_second,
                        max_gross_notional: Some(e.max_gross_notional),
                        max_net_notional: Some(e.max_net_notional),
                        credit_notional: Some(e.credit_notional),
                    })
                    .collect();
                let totals = TotalLimitsUpdate {
                    max_gross_notional_total: Some(l.max_gross_notional_total),
                    max_net_notional_total: Some(l.max_net_notional_total),
                };
                router.restore_limits_with_totals(&updates, totals, l.version)
            }
            (Direction::Outbound, Message::KillSwitch(k)) => {
                let scope = kill_scope(k, venues).ok_or_else(|| bad("kill switch scope".into()))?;
                kills.retain(|e| e.scope != scope);
                if k.active {
                    kills.push(KillEntry {
                        scope,
                        allow_risk_reducing: k.allow_risk_reducing,
                        reason: k.reason.clone(),
                        activated_ns: k.timestamp_ns,
                    });
                    router.engage_kill_switch(scope, k.allow_risk_reducing, now, &mut discard)
                } else {
                    router.release_kill_switch(scope, now, &mut discard)
                }
            }
            // A resync request: the streams' state is rebuilt from the inbound records.
            (Direction::Outbound, Message::ExecutionReplayRequest(_)) => Ok(()),
            (dir, m) => {
                return Err(bad(format!("unexpected {:?} {}", dir, m.kind().name())));
            }
        };
        discard.clear();
        if let Err(e) = r {
            report.refused += 1;
            tracing::warn!(sequence = record.sequence, error = %e, "AGG_REPLAY_REFUSED");
        }
    }
    Ok(report)
}
