//! SBE (`schemas/crossbar.xml`) in and out of the router's types.
//!
//! * Venue ids: SBE `venueId` is the platform venue id (NASDAQ 1, BX 2, PSX 3); the router
//!   indexes venues `0..n` in config order. [`VenueMap`] translates both ways.
//! * Commands out ([`encode_command`]): NewChildOrder (20), CancelOrder (21, `leaveQty` 0),
//!   CreditGrant (30), RiskLimits (33, the whole table), KillSwitch (34), Heartbeat (1).
//! * Parent-order records (journal only, never on Aeron; `docs/aggregator.md`):
//!   - accepted: an outbound ExecutionReport with `parentOrderId` 0, `orderId` = the parent,
//!     `venueId` [`NO_VENUE`], execType/orderStatus New, `price` = limit, `leavesQty` = qty,
//!     text `client_order_id=<id> order_type=<limit|marketable_limit> tif=<day|ioc>
//!     strategy=<sweep|cost_aware|post>`;
//!   - finished: the same shape with execType Canceled/Fill, cum and leaves;
//!   - cancel requested by the operator: an inbound CancelOrder whose `orderId` is the parent
//!     and `venueId` [`NO_VENUE`].

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::{Command, InstrumentRiskLimits, KillScope, ParentRequest, Strategy};
use crossbar_sbe::{self as sbe, EncodeError, Message};

/// `venueId` of parent-order records (a parent has no venue).
pub const NO_VENUE: u16 = u16::MAX;

/// Largest encoded command: a KillSwitch with a 256-byte reason (the API's limit) and room.
pub const COMMAND_BYTES_MAX: usize = 512;

/// Platform venue id ↔ router venue index.
#[derive(Clone, Debug)]
pub struct VenueMap {
    ids: Vec<u16>,
    index: Vec<u16>,
}

impl VenueMap {
    /// From the platform id of each router venue index.
    pub fn new(ids: &[u16]) -> Self {
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        let mut index = vec![u16::MAX; max + 1];
        for (i, id) in ids.iter().enumerate() {
            index[*id as usize] = i as u16;
        }
        Self {
            ids: ids.to_vec(),
            index,
        }
    }

    /// Router index of platform venue `id`, `None` when not configured.
    #[inline]
    pub fn to_router(&self, id: u16) -> Option<VenueId> {
        match self.index.get(id as usize) {
            Some(&i) if i != u16::MAX => Some(VenueId(i)),
            _ => None,
        }
    }

    /// Platform id of router venue `v`.
    #[inline]
    pub fn to_platform(&self, v: VenueId) -> u16 {
        self.ids[v.0 as usize]
    }
}

/// Encoded size of a RiskLimits (id 33) with `entries` entries, bytes: message header (8),
/// block (16), group header (4) and 32 bytes per entry (`schemas/crossbar.xml`).
pub const fn risk_limits_bytes(entries: usize) -> usize {
    8 + 16 + 4 + 32 * entries
}

/// Encoded size of a LimitsState (id 37) with `entries` entries, bytes: message header (8),
/// block (32), group header (4) and 56 bytes per entry (`schemas/crossbar.xml`).
pub const fn limits_state_bytes(entries: usize) -> usize {
    8 + 32 + 4 + 56 * entries
}

/// The journal-only SBE LimitsState (id 37) of limits `version`: every instrument's whole
/// limit set (`limits`, the router's table in force, `InstrumentId` = index) and the
/// cross-instrument totals `(gross, net)`, 1/10,000 $. Journaled before the RiskLimits of
/// the same version so a replay restores what RiskLimits does not carry. Allocates (one entry
/// per instrument; control plane).
pub fn limits_state_message(
    version: u64,
    timestamp_ns: u64,
    limits: &[InstrumentRiskLimits],
    totals: (i128, i128),
) -> Message {
    let clamp = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    Message::LimitsState(sbe::LimitsState {
        timestamp_ns,
        version,
        max_gross_notional_total: clamp(totals.0),
        max_net_notional_total: clamp(totals.1),
        limits: limits
            .iter()
            .enumerate()
            .map(|(i, l)| sbe::CentreInstrumentLimit {
                instrument_id: InstrumentId(i as u32),
                max_order_qty: l.max_order_qty,
                max_order_notional: clamp(l.max_order_notional),
                max_position: l.max_position,
                price_collar_bps: l.price_collar_bps,
                max_orders_per_second: l.max_orders_per_second,
                max_gross_notional: clamp(l.max_gross_notional),
                max_net_notional: clamp(l.max_net_notional),
                credit_notional: clamp(l.credit_notional),
            })
            .collect(),
    })
}

/// The SBE message for router command `cmd` (venue ids translated; KillSwitch with
/// `reason`; RiskLimits with one entry per instrument of `limits`, the router's table in
/// force). Allocation-free except for a non-empty `reason` and RiskLimits.
pub fn command_message(
    cmd: &Command,
    venues: &VenueMap,
    reason: &str,
    limits: &[InstrumentRiskLimits],
) -> Message {
    match cmd {
        Command::NewChild(c) => Message::NewChildOrder(sbe::NewChildOrder {
            order_id: c.order_id,
            parent_order_id: c.parent_order_id,
            instrument_id: c.instrument,
            venue_id: VenueId(venues.to_platform(c.venue)),
            side: c.side,
            time_in_force: c.time_in_force,
            price: c.price,
            qty: c.qty,
            timestamp_ns: c.timestamp_ns,
        }),
        Command::Cancel(c) => Message::CancelOrder(sbe::CancelOrder {
            order_id: c.order_id,
            instrument_id: c.instrument,
            venue_id: VenueId(venues.to_platform(c.venue)),
            leave_qty: Qty::ZERO,
            timestamp_ns: c.timestamp_ns,
        }),
        Command::Credit(g) => Message::CreditGrant(sbe::CreditGrant {
            gateway_id: g.gateway,
            instrument_id: g.instrument,
            grant_sequence: g.grant_sequence,
            buy_qty: g.buy_qty,
            sell_qty: g.sell_qty,
            notional: g.notional,
            timestamp_ns: g.timestamp_ns,
        }),
        Command::Slice(c) => Message::CreditSlice(sbe::CreditSlice {
            gateway_id: c.gateway,
            instrument_id: c.instrument,
            grant_sequence: c.grant_sequence,
            buy_qty: c.buy_qty,
            sell_qty: c.sell_qty,
            notional: c.notional,
            through_stream_sequence: c.through_stream_sequence,
            timestamp_ns: c.timestamp_ns,
        }),
        Command::Kill(k) => {
            let (scope, venue_id, instrument_id) = match k.scope {
                KillScope::All => (sbe::KillSwitchScope::All, VenueId(0), InstrumentId(0)),
                KillScope::Venue(v) => (
                    sbe::KillSwitchScope::Venue,
                    VenueId(venues.to_platform(v)),
                    InstrumentId(0),
                ),
                KillScope::Instrument(i) => (sbe::KillSwitchScope::Instrument, VenueId(0), i),
            };
            Message::KillSwitch(sbe::KillSwitch {
                active: k.active,
                scope,
                venue_id,
                instrument_id,
                allow_risk_reducing: k.allow_risk_reducing,
                timestamp_ns: k.timestamp_ns,
                reason: reason.to_owned(),
            })
        }
        Command::Limits(l) => Message::RiskLimits(sbe::RiskLimits {
            timestamp_ns: l.timestamp_ns,
            version: l.version,
            limits: limits
                .iter()
                .enumerate()
                .map(|(i, l)| sbe::InstrumentLimit {
                    instrument_id: InstrumentId(i as u32),
                    max_order_qty: l.max_order_qty,
                    max_order_notional: i64::try_from(l.max_order_notional).unwrap_or(i64::MAX),
                    max_position: l.max_position,
                    price_collar_bps: l.price_collar_bps,
                    max_orders_per_second: l.max_orders_per_second,
                })
                .collect(),
        }),
    }
}

/// Destination gateway of `cmd`; `None` for a KillSwitch or RiskLimits (every gateway).
pub fn destination(cmd: &Command) -> Option<GatewayId> {
    match cmd {
        Command::NewChild(c) => Some(c.gateway),
        Command::Cancel(c) => Some(c.gateway),
        Command::Credit(g) => Some(g.gateway),
        Command::Slice(c) => Some(c.gateway),
        Command::Kill(_) | Command::Limits(_) => None,
    }
}

/// Encodes `message` into `buf`; returns its length.
///
/// # Errors
/// [`EncodeError`] when `buf` is too short.
pub fn encode(message: &Message, buf: &mut [u8]) -> Result<usize, EncodeError> {
    sbe::encode(message, buf)
}

/// Encodes a Heartbeat (id 1) from `sender`; returns its length.
pub fn heartbeat(buf: &mut [u8], sender: u16, sequence: u64, now_ns: u64) -> usize {
    let m = Message::Heartbeat(sbe::Heartbeat {
        sender_id: sender,
        sequence,
        timestamp_ns: now_ns,
    });
    sbe::encode(&m, buf).unwrap_or(0)
}

/// How the operator asked for a parent order, beyond what the router keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentTerms {
    /// The caller's id (unique per day).
    pub client_order_id: String,
    /// `true` for MARKETABLE_LIMIT (routed like a limit: the router takes at the far touch up
    /// to the limit either way).
    pub marketable: bool,
}

fn tif_name(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "day",
        TimeInForce::Ioc => "ioc",
    }
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Sweep => "sweep",
        Strategy::CostAware => "cost_aware",
        Strategy::Post => "post",
    }
}

/// The journal record of an accepted parent (see the module docs).
pub fn parent_accepted(
    id: OrderId,
    req: &ParentRequest,
    terms: &ParentTerms,
    now_ns: u64,
) -> Message {
    let text = format!(
        "client_order_id={} order_type={} tif={} strategy={}",
        terms.client_order_id,
        if terms.marketable {
            "marketable_limit"
        } else {
            "limit"
        },
        tif_name(req.time_in_force),
        strategy_name(req.strategy)
    );
    parent_report(
        id,
        req.instrument,
        req.side,
        req.limit_price,
        (sbe::ExecType::New, sbe::OrderStatus::New),
        (0, req.qty.0),
        now_ns,
        text,
    )
}

/// The journal record of a parent that finished (`filled` or given up / cancelled); a
/// canceled one carries text `cancel_reason=<name>` ([`CancelReason::name`]).
#[allow(clippy::too_many_arguments)] // one SBE message's fields
pub fn parent_finished(
    id: OrderId,
    instrument: InstrumentId,
    side: Side,
    limit: Price,
    filled: bool,
    cum_qty: u32,
    reason: crossbar_router::CancelReason,
    now_ns: u64,
) -> Message {
    let kind = if filled {
        (sbe::ExecType::Fill, sbe::OrderStatus::Filled)
    } else {
        (sbe::ExecType::Canceled, sbe::OrderStatus::Canceled)
    };
    parent_report(
        id,
        instrument,
        side,
        limit,
        kind,
        (cum_qty, 0),
        now_ns,
        if filled {
            String::new()
        } else {
            format!("cancel_reason={}", reason.name())
        },
    )
}

/// The cancel reason of a "parent finished" record's text (`Unspecified` when absent, as in
/// records written before reasons were journaled, or unknown).
pub fn parse_cancel_reason(text: &str) -> crossbar_router::CancelReason {
    text.split_whitespace()
        .find_map(|kv| kv.strip_prefix("cancel_reason="))
        .and_then(crossbar_router::CancelReason::from_name)
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)] // one SBE message's fields
fn parent_report(
    id: OrderId,
    instrument: InstrumentId,
    side: Side,
    limit: Price,
    (exec_type, order_status): (sbe::ExecType, sbe::OrderStatus),
    (cum, leaves): (u32, u32),
    now_ns: u64,
    text: String,
) -> Message {
    Message::ExecutionReport(sbe::ExecutionReport {
        order_id: id,
        parent_order_id: OrderId(0),
        venue_id: VenueId(NO_VENUE),
        instrument_id: instrument,
        exec_type,
        order_status,
        side,
        price: limit,
        last_px: Price::ZERO,
        last_qty: Qty::ZERO,
        leaves_qty: Qty(leaves),
        cum_qty: Qty(cum),
        venue_order_ref: 0,
        match_id: 0,
        timestamp_ns: now_ns,
        venue_timestamp_ns: None,
        text,
    })
}

/// The journal record of an operator's cancel of parent `id`.
pub fn parent_cancel(id: OrderId, instrument: InstrumentId, now_ns: u64) -> Message {
    Message::CancelOrder(sbe::CancelOrder {
        order_id: id,
        instrument_id: instrument,
        venue_id: VenueId(NO_VENUE),
        leave_qty: Qty::ZERO,
        timestamp_ns: now_ns,
    })
}

/// Reads an accepted-parent record's text back: the terms, time in force and strategy.
///
/// # Errors
/// `AGG_BAD_PARENT_RECORD text=...` when a key is missing or a value unknown.
pub fn parse_parent_text(text: &str) -> Result<(ParentTerms, TimeInForce, Strategy), String> {
    let get = |key: &str| {
        text.split(' ')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    };
    let bad = || format!("AGG_BAD_PARENT_RECORD text={text:?}");
    let client_order_id = get("client_order_id").ok_or_else(bad)?.to_owned();
    let marketable = match get("order_type").ok_or_else(bad)? {
        "limit" => false,
        "marketable_limit" => true,
        _ => return Err(bad()),
    };
    let tif = match get("tif").ok_or_else(bad)? {
        "day" => TimeInForce::Day,
        "ioc" => TimeInForce::Ioc,
        _ => return Err(bad()),
    };
    let strategy = match get("strategy").ok_or_else(bad)? {
        "sweep" => Strategy::Sweep,
        "cost_aware" => Strategy::CostAware,
        "post" => Strategy::Post,
        _ => return Err(bad()),
    };
    Ok((
        ParentTerms {
            client_order_id,
            marketable,
        },
        tif,
        strategy,
    ))
}

/// SBE `RejectReason` names by code (schema order), for API reject codes.
pub fn reject_reason_name(code: u16) -> &'static str {
    const NAMES: [&str; 18] = [
        "Unknown",
        "MaxOrderQty",
        "MaxNotional",
        "PriceCollar",
        "PositionLimit",
        "CreditExhausted",
        "Throttle",
        "DuplicateOrderId",
        "InstrumentHalted",
        "KillSwitch",
        "FailClosed",
        "StaleBook",
        "VenueReject",
        "UnknownInstrument",
        "NotConnected",
        "UnknownOrder",
        "InvalidOrder",
        "OpenOrdersFull",
    ];
    NAMES.get(code as usize).copied().unwrap_or("Unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_records_round_trip_through_sbe() {
        let req = ParentRequest {
            instrument: InstrumentId(2),
            side: Side::SellShort,
            qty: Qty(300),
            limit_price: Price(1_892_500),
            time_in_force: TimeInForce::Ioc,
            strategy: Strategy::CostAware,
        };
        let terms = ParentTerms {
            client_order_id: "ctl-1".into(),
            marketable: true,
        };
        let id = OrderId::new(GatewayId(0), 7).unwrap();
        let mut buf = [0u8; COMMAND_BYTES_MAX];
        let n = encode(&parent_accepted(id, &req, &terms, 5), &mut buf).unwrap();
        let Message::ExecutionReport(er) = sbe::decode(&buf[..n]).unwrap() else {
            panic!("not a report")
        };
        assert_eq!(
            (er.order_id, er.parent_order_id.0, er.venue_id.0),
            (id, 0, NO_VENUE)
        );
        assert_eq!(
            (er.leaves_qty, er.price, er.side),
            (Qty(300), Price(1_892_500), Side::SellShort)
        );
        let (t, tif, strategy) = parse_parent_text(&er.text).unwrap();
        assert_eq!(
            (t, tif, strategy),
            (terms, TimeInForce::Ioc, Strategy::CostAware)
        );
        assert!(parse_parent_text("client_order_id=x tif=gtc").is_err());
        for reason in crossbar_router::CancelReason::ALL {
            let Message::ExecutionReport(er) = parent_finished(
                id,
                InstrumentId(2),
                Side::Buy,
                Price(1),
                false,
                0,
                reason,
                9,
            ) else {
                unreachable!()
            };
            assert_eq!(parse_cancel_reason(&er.text), reason);
        }
        assert_eq!(
            parse_cancel_reason(""),
            crossbar_router::CancelReason::Unspecified
        );
    }

    #[test]
    fn venue_map_translates_both_ways() {
        let m = VenueMap::new(&[1, 2, 3]);
        assert_eq!(m.to_router(2), Some(VenueId(1)));
        assert_eq!(m.to_router(0), None);
        assert_eq!(m.to_router(9), None);
        assert_eq!(m.to_platform(VenueId(2)), 3);
        assert_eq!(reject_reason_name(9), "KillSwitch");
    }
}
