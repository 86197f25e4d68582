//! Decoded SBE messages as named fields, for the table (human units) and JSON (raw units).
//! Field names are the schema's (`schemas/crossbar.xml`), in schema order.

use crossbar_model::{OrderId, Price};
use crossbar_sbe::Message;
use serde_json::{json, Value};

/// One field value.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// An order id: `gateway-sequence` for people, the raw u64 in JSON.
    Order(OrderId),
    /// A price or notional in 1/10,000: decimal for people, raw ticks in JSON.
    Px(Price),
    /// Unsigned integer (ids, shares, sequences, ns).
    U(u64),
    /// Signed integer (positions).
    I(i64),
    /// Enum value name, e.g. `Buy`, `PartialFill`.
    Name(String),
    /// Text (var data, symbols), shown quoted.
    Text(String),
    /// A repeating group: its entry count for people, an array of objects in JSON.
    Group(Vec<Vec<(&'static str, Field)>>),
}

impl Field {
    fn human(&self) -> String {
        match self {
            Field::Order(id) => id.to_string(),
            Field::Px(p) => p.to_string(),
            Field::U(v) => v.to_string(),
            Field::I(v) => v.to_string(),
            Field::Name(n) => n.clone(),
            Field::Text(t) => format!("{t:?}"),
            Field::Group(entries) => format!("[{} entries]", entries.len()),
        }
    }

    fn json(&self) -> Value {
        match self {
            Field::Order(id) => json!(id.0),
            Field::Px(p) => json!(p.0),
            Field::U(v) => json!(v),
            Field::I(v) => json!(v),
            Field::Name(n) | Field::Text(n) => json!(n),
            Field::Group(entries) => Value::Array(entries.iter().map(|e| json(e)).collect()),
        }
    }
}

/// `key=value` pairs for people.
pub fn human(fields: &[(&'static str, Field)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.human()))
        .collect();
    parts.join(" ")
}

/// A JSON object in schema order.
pub fn json(fields: &[(&'static str, Field)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.json()))
            .collect(),
    )
}

/// The order ids a message mentions: `(orderId, origOrderId or parentOrderId)`; 0 = none.
/// Only order messages carry ids; every other message returns `None`.
pub fn order_ids(message: &Message) -> Option<(OrderId, OrderId)> {
    match message {
        Message::NewChildOrder(m) => Some((m.order_id, m.parent_order_id)),
        Message::CancelOrder(m) => Some((m.order_id, OrderId(0))),
        Message::ReplaceOrder(m) => Some((m.order_id, m.orig_order_id)),
        Message::ExecutionReport(m) => Some((m.order_id, m.parent_order_id)),
        Message::OrderReject(m) => Some((m.order_id, OrderId(0))),
        _ => None,
    }
}

fn ascii(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_owned()
}

fn dbg(v: impl std::fmt::Debug) -> Field {
    Field::Name(format!("{v:?}"))
}

/// Every field of `message`, named as in the schema.
pub fn fields(message: &Message) -> Vec<(&'static str, Field)> {
    use Field::{Order, Px, Text, I, U};
    match message {
        Message::Heartbeat(m) => vec![
            ("senderId", U(m.sender_id.into())),
            ("sequence", U(m.sequence)),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::BookLevelDelta(m) => vec![
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("sequence", U(m.sequence)),
            ("timestampNs", U(m.timestamp_ns)),
            (
                "levels",
                Field::Group(
                    m.levels
                        .iter()
                        .map(|l| {
                            vec![
                                ("action", dbg(l.action)),
                                ("side", dbg(l.side)),
                                ("levelIndex", U(l.level_index.into())),
                                ("price", Px(l.price)),
                                ("qty", U(l.qty)),
                                ("orderCount", U(l.order_count.into())),
                            ]
                        })
                        .collect(),
                ),
            ),
        ],
        Message::TopOfBook(m) => vec![
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("sequence", U(m.sequence)),
            ("timestampNs", U(m.timestamp_ns)),
            ("bidPrice", Px(m.bid_price)),
            ("bidQty", U(m.bid_qty)),
            ("askPrice", Px(m.ask_price)),
            ("askQty", U(m.ask_qty)),
        ],
        Message::Trade(m) => vec![
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
            ("price", Px(m.price)),
            ("qty", U(m.qty)),
            ("aggressorSide", dbg(m.aggressor_side)),
            ("matchId", U(m.match_id)),
        ],
        Message::InstrumentStatus(m) => vec![
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
            ("tradingStatus", dbg(m.trading_status)),
            ("symbol", Text(ascii(&m.symbol))),
            ("reason", Text(ascii(&m.reason))),
        ],
        Message::FeedStatus(m) => vec![
            ("venueId", U(m.venue_id.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
            ("feedState", dbg(m.feed_state)),
            ("expectedSequence", U(m.expected_sequence)),
            ("receivedSequence", U(m.received_sequence)),
            ("gapCount", U(m.gap_count)),
        ],
        Message::NewChildOrder(m) => vec![
            ("orderId", Order(m.order_id)),
            ("parentOrderId", Order(m.parent_order_id)),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("venueId", U(m.venue_id.0.into())),
            ("side", dbg(m.side)),
            ("timeInForce", dbg(m.time_in_force)),
            ("price", Px(m.price)),
            ("qty", U(m.qty.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::CancelOrder(m) => vec![
            ("orderId", Order(m.order_id)),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("venueId", U(m.venue_id.0.into())),
            ("leaveQty", U(m.leave_qty.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::ReplaceOrder(m) => vec![
            ("orderId", Order(m.order_id)),
            ("origOrderId", Order(m.orig_order_id)),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("venueId", U(m.venue_id.0.into())),
            ("price", Px(m.price)),
            ("qty", U(m.qty.0.into())),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::ExecutionReport(m) => {
            let mut f = vec![
                ("orderId", Order(m.order_id)),
                ("parentOrderId", Order(m.parent_order_id)),
                ("venueId", U(m.venue_id.0.into())),
                ("instrumentId", U(m.instrument_id.0.into())),
                ("execType", dbg(m.exec_type)),
                ("orderStatus", dbg(m.order_status)),
                ("side", dbg(m.side)),
                ("price", Px(m.price)),
                ("lastPx", Px(m.last_px)),
                ("lastQty", U(m.last_qty.0.into())),
                ("leavesQty", U(m.leaves_qty.0.into())),
                ("cumQty", U(m.cum_qty.0.into())),
                ("venueOrderRef", U(m.venue_order_ref)),
                ("matchId", U(m.match_id)),
                ("timestampNs", U(m.timestamp_ns)),
            ];
            if let Some(v) = m.venue_timestamp_ns {
                f.push(("venueTimestampNs", U(v)));
            }
            f.push(("text", Text(m.text.clone())));
            f
        }
        Message::OrderReject(m) => vec![
            ("orderId", Order(m.order_id)),
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("rejectReason", dbg(m.reject_reason)),
            ("timestampNs", U(m.timestamp_ns)),
            ("text", Text(m.text.clone())),
        ],
        Message::CreditGrant(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("grantSequence", U(m.grant_sequence)),
            ("buyQty", U(m.buy_qty)),
            ("sellQty", U(m.sell_qty)),
            ("notional", Px(Price(m.notional))),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::CreditReturn(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("grantSequence", U(m.grant_sequence)),
            ("buyQty", U(m.buy_qty)),
            ("sellQty", U(m.sell_qty)),
            ("notional", Px(Price(m.notional))),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::PositionUpdate(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("position", I(m.position)),
            ("boughtQty", U(m.bought_qty)),
            ("soldQty", U(m.sold_qty)),
            ("notionalBought", Px(Price(m.notional_bought))),
            ("notionalSold", Px(Price(m.notional_sold))),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::RiskLimits(m) => vec![
            ("timestampNs", U(m.timestamp_ns)),
            ("version", U(m.version)),
            (
                "limits",
                Field::Group(
                    m.limits
                        .iter()
                        .map(|l| {
                            vec![
                                ("instrumentId", U(l.instrument_id.0.into())),
                                ("maxOrderQty", U(l.max_order_qty.0.into())),
                                ("maxOrderNotional", Px(Price(l.max_order_notional))),
                                ("maxPosition", I(l.max_position)),
                                ("priceCollarBps", U(l.price_collar_bps.into())),
                                ("maxOrdersPerSecond", U(l.max_orders_per_second.into())),
                            ]
                        })
                        .collect(),
                ),
            ),
        ],
        Message::KillSwitch(m) => vec![
            ("active", dbg(m.active)),
            ("scope", dbg(m.scope)),
            ("venueId", U(m.venue_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("allowRiskReducing", dbg(m.allow_risk_reducing)),
            ("timestampNs", U(m.timestamp_ns)),
            ("reason", Text(m.reason.clone())),
        ],
        Message::ExecutionReplayRequest(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("requestId", U(m.request_id)),
            ("fromSequence", U(m.from_sequence)),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::ExecutionReplayComplete(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("requestId", U(m.request_id)),
            ("fromSequence", U(m.from_sequence)),
            ("lastSequence", U(m.last_sequence)),
            ("replayed", U(m.replayed)),
            ("timestampNs", U(m.timestamp_ns)),
        ],
        Message::LimitsState(m) => vec![
            ("timestampNs", U(m.timestamp_ns)),
            ("version", U(m.version)),
            (
                "maxGrossNotionalTotal",
                Px(Price(m.max_gross_notional_total)),
            ),
            ("maxNetNotionalTotal", Px(Price(m.max_net_notional_total))),
            (
                "limits",
                Field::Group(
                    m.limits
                        .iter()
                        .map(|l| {
                            vec![
                                ("instrumentId", U(l.instrument_id.0.into())),
                                ("maxOrderQty", U(l.max_order_qty.0.into())),
                                ("maxOrderNotional", Px(Price(l.max_order_notional))),
                                ("maxPosition", I(l.max_position)),
                                ("priceCollarBps", U(l.price_collar_bps.into())),
                                ("maxOrdersPerSecond", U(l.max_orders_per_second.into())),
                                ("maxGrossNotional", Px(Price(l.max_gross_notional))),
                                ("maxNetNotional", Px(Price(l.max_net_notional))),
                                ("creditNotional", Px(Price(l.credit_notional))),
                            ]
                        })
                        .collect(),
                ),
            ),
        ],
        Message::CreditSlice(m) => vec![
            ("gatewayId", U(m.gateway_id.0.into())),
            ("instrumentId", U(m.instrument_id.0.into())),
            ("grantSequence", U(m.grant_sequence)),
            ("buyQty", U(m.buy_qty)),
            ("sellQty", U(m.sell_qty)),
            ("notional", Px(Price(m.notional))),
            ("throughStreamSequence", U(m.through_stream_sequence)),
            ("timestampNs", U(m.timestamp_ns)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_message_has_fields_and_json() {
        for m in crossbar_sbe::sample_messages() {
            let f = fields(&m);
            assert!(!f.is_empty(), "{:?}", m.kind());
            assert!(json(&f).is_object());
            assert!(human(&f).contains('='));
        }
    }
}
