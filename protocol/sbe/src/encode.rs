//! Owned [`Message`] → bytes, through the generated ergo-sbe encoders.
//!
//! Layout (FIX SBE 1.0 §3): 8-byte message header, the root block (`BLOCK_LENGTH` bytes at this
//! schema's version), then each repeating group (4-byte `groupSizeEncoding` + entries), then
//! each var-data field (uint16 length + bytes). All integers little-endian.
#![forbid(unsafe_code)]

use crate::error::EncodeError;
use crate::generated::{self as g, sbe_rt};
use crate::messages::*;

/// SBE message header length, bytes (SBE 1.0 §3, `messageHeader`).
pub const HEADER_LEN: usize = g::MESSAGE_HEADER_ENCODED_LENGTH;
/// Group dimension header length, bytes (`groupSizeEncoding`).
pub const GROUP_HEADER_LEN: usize = 4;
/// Var-data length prefix, bytes (`varStringEncoding.length`).
pub const VAR_DATA_HEADER_LEN: usize = 2;
/// Largest var-data payload, bytes (`varStringEncoding.length` `maxValue`).
pub const VAR_DATA_MAX_LEN: usize = 1024;
/// Largest group (`numInGroup` is a uint16).
pub const GROUP_MAX_ENTRIES: usize = u16::MAX as usize;

fn var_len(field: &'static str, text: &str) -> Result<usize, EncodeError> {
    if text.len() > VAR_DATA_MAX_LEN {
        return Err(EncodeError::VarDataTooLong {
            field,
            length: text.len(),
            max: VAR_DATA_MAX_LEN,
        });
    }
    Ok(VAR_DATA_HEADER_LEN + text.len())
}

fn group_len(group: &'static str, count: usize, entry_len: usize) -> Result<usize, EncodeError> {
    if count > GROUP_MAX_ENTRIES {
        return Err(EncodeError::GroupTooLarge {
            group,
            count,
            max: GROUP_MAX_ENTRIES,
        });
    }
    Ok(GROUP_HEADER_LEN + count * entry_len)
}

/// Root block length of `kind` at this schema's version, bytes.
pub const fn block_length(kind: MessageKind) -> usize {
    match kind {
        MessageKind::Heartbeat => g::HeartbeatEncoder::BLOCK_LENGTH,
        MessageKind::BookLevelDelta => g::BookLevelDeltaEncoder::BLOCK_LENGTH,
        MessageKind::TopOfBook => g::TopOfBookEncoder::BLOCK_LENGTH,
        MessageKind::Trade => g::TradeEncoder::BLOCK_LENGTH,
        MessageKind::InstrumentStatus => g::InstrumentStatusEncoder::BLOCK_LENGTH,
        MessageKind::FeedStatus => g::FeedStatusEncoder::BLOCK_LENGTH,
        MessageKind::NewChildOrder => g::NewChildOrderEncoder::BLOCK_LENGTH,
        MessageKind::CancelOrder => g::CancelOrderEncoder::BLOCK_LENGTH,
        MessageKind::ReplaceOrder => g::ReplaceOrderEncoder::BLOCK_LENGTH,
        MessageKind::ExecutionReport => g::ExecutionReportEncoder::BLOCK_LENGTH,
        MessageKind::OrderReject => g::OrderRejectEncoder::BLOCK_LENGTH,
        MessageKind::CreditGrant => g::CreditGrantEncoder::BLOCK_LENGTH,
        MessageKind::CreditReturn => g::CreditReturnEncoder::BLOCK_LENGTH,
        MessageKind::PositionUpdate => g::PositionUpdateEncoder::BLOCK_LENGTH,
        MessageKind::RiskLimits => g::RiskLimitsEncoder::BLOCK_LENGTH,
        MessageKind::KillSwitch => g::KillSwitchEncoder::BLOCK_LENGTH,
        MessageKind::ExecutionReplayRequest => g::ExecutionReplayRequestEncoder::BLOCK_LENGTH,
        MessageKind::ExecutionReplayComplete => g::ExecutionReplayCompleteEncoder::BLOCK_LENGTH,
        MessageKind::LimitsState => g::LimitsStateEncoder::BLOCK_LENGTH,
        MessageKind::CreditSlice => g::CreditSliceEncoder::BLOCK_LENGTH,
    }
}

impl Message {
    /// Encoded length of this message, header included, bytes.
    ///
    /// # Errors
    /// [`EncodeError::VarDataTooLong`] for text over 1,024 bytes,
    /// [`EncodeError::GroupTooLarge`] for more than 65,535 group entries.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        let tails = match self {
            Message::BookLevelDelta(m) => group_len(
                "levels",
                m.levels.len(),
                g::BookLevelDeltaLevelsEncoder::ENTRY_BLOCK_LENGTH,
            )?,
            Message::RiskLimits(m) => group_len(
                "limits",
                m.limits.len(),
                g::RiskLimitsLimitsEncoder::ENTRY_BLOCK_LENGTH,
            )?,
            Message::LimitsState(m) => group_len(
                "limits",
                m.limits.len(),
                g::LimitsStateLimitsEncoder::ENTRY_BLOCK_LENGTH,
            )?,
            Message::ExecutionReport(m) => var_len("text", &m.text)?,
            Message::OrderReject(m) => var_len("text", &m.text)?,
            Message::KillSwitch(m) => var_len("reason", &m.reason)?,
            _ => 0,
        };
        Ok(HEADER_LEN + block_length(self.kind()) + tails)
    }
}

/// Encodes `msg` at the start of `buf` with the generated ergo-sbe encoders and returns the
/// number of bytes written (header included). Bytes of `buf` past that are not touched.
///
/// # Errors
/// [`EncodeError::ShortBuffer`] when `buf` is shorter than [`Message::encoded_len`];
/// [`EncodeError::NullEnum`] when an enum field is `NullVal`; [`EncodeError::NullValue`] for
/// `venue_timestamp_ns: Some(u64::MAX)`; the length errors of [`Message::encoded_len`].
pub fn encode(msg: &Message, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let needed = msg.encoded_len()?;
    let template_id = msg.kind().template_id();
    if buf.len() < needed {
        return Err(EncodeError::ShortBuffer {
            template_id,
            needed,
            available: buf.len(),
        });
    }
    check_values(msg)?;
    let written = encode_unchecked_values(msg, buf).map_err(|detail| EncodeError::Codec {
        template_id,
        detail,
    })?;
    debug_assert_eq!(written, needed);
    Ok(written)
}

fn not_null<T: PartialEq>(value: T, null: T, field: &'static str) -> Result<(), EncodeError> {
    if value == null {
        Err(EncodeError::NullEnum { field })
    } else {
        Ok(())
    }
}

fn check_values(msg: &Message) -> Result<(), EncodeError> {
    match msg {
        Message::BookLevelDelta(m) => {
            for level in &m.levels {
                not_null(level.action, BookAction::NullVal, "action")?;
            }
        }
        Message::InstrumentStatus(m) => {
            not_null(m.trading_status, TradingStatus::NullVal, "tradingStatus")?
        }
        Message::FeedStatus(m) => not_null(m.feed_state, FeedState::NullVal, "feedState")?,
        Message::ExecutionReport(m) => {
            not_null(m.exec_type, ExecType::NullVal, "execType")?;
            not_null(m.order_status, OrderStatus::NullVal, "orderStatus")?;
            if m.venue_timestamp_ns == Some(g::ExecutionReportDecoder::VENUE_TIMESTAMP_NS_NULL) {
                return Err(EncodeError::NullValue {
                    field: "venueTimestampNs",
                });
            }
        }
        Message::OrderReject(m) => {
            not_null(m.reject_reason, RejectReason::NullVal, "rejectReason")?
        }
        Message::KillSwitch(m) => not_null(m.scope, KillSwitchScope::NullVal, "scope")?,
        _ => {}
    }
    Ok(())
}

fn side(side: crossbar_model::Side) -> g::Side {
    g::Side::from_raw(side.code())
}

fn boolean(value: bool) -> g::BooleanType {
    if value {
        g::BooleanType::True
    } else {
        g::BooleanType::False
    }
}

/// Encodes after the length and value checks of [`encode`].
fn encode_unchecked_values(msg: &Message, buf: &mut [u8]) -> Result<usize, sbe_rt::EncodeError> {
    match msg {
        Message::Heartbeat(m) => Ok(g::HeartbeatEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::HeartbeatFixedFields {
                sender_id: m.sender_id,
                sequence: m.sequence,
                timestamp_ns: m.timestamp_ns,
            })
            .encoded_length_with_header()),
        Message::BookLevelDelta(m) => encode_book_level_delta(m, buf),
        Message::TopOfBook(m) => Ok(g::TopOfBookEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::TopOfBookFixedFields {
                venue_id: m.venue_id.0,
                instrument_id: m.instrument_id.0,
                sequence: m.sequence,
                timestamp_ns: m.timestamp_ns,
                bid_price: m.bid_price.0,
                bid_qty: m.bid_qty,
                ask_price: m.ask_price.0,
                ask_qty: m.ask_qty,
            })
            .encoded_length_with_header()),
        Message::Trade(m) => Ok(g::TradeEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::TradeFixedFields {
                venue_id: m.venue_id.0,
                instrument_id: m.instrument_id.0,
                timestamp_ns: m.timestamp_ns,
                price: m.price.0,
                qty: m.qty,
                aggressor_side: side(m.aggressor_side),
                match_id: m.match_id,
            })
            .encoded_length_with_header()),
        Message::InstrumentStatus(m) => Ok(g::InstrumentStatusEncoder::try_wrap_and_apply_header(
            buf, 0,
        )?
        .fixed(&g::InstrumentStatusFixedFields {
            venue_id: m.venue_id.0,
            instrument_id: m.instrument_id.0,
            timestamp_ns: m.timestamp_ns,
            trading_status: m.trading_status,
            symbol: m.symbol,
            reason: m.reason,
        })
        .encoded_length_with_header()),
        Message::FeedStatus(m) => Ok(g::FeedStatusEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::FeedStatusFixedFields {
                venue_id: m.venue_id.0,
                timestamp_ns: m.timestamp_ns,
                feed_state: m.feed_state,
                expected_sequence: m.expected_sequence,
                received_sequence: m.received_sequence,
                gap_count: m.gap_count,
            })
            .encoded_length_with_header()),
        Message::NewChildOrder(m) => {
            Ok(g::NewChildOrderEncoder::try_wrap_and_apply_header(buf, 0)?
                .fixed(&g::NewChildOrderFixedFields {
                    order_id: m.order_id.0,
                    parent_order_id: m.parent_order_id.0,
                    instrument_id: m.instrument_id.0,
                    venue_id: m.venue_id.0,
                    side: side(m.side),
                    time_in_force: g::TimeInForce::from_raw(m.time_in_force.code()),
                    price: m.price.0,
                    qty: m.qty.0,
                    timestamp_ns: m.timestamp_ns,
                })
                .encoded_length_with_header())
        }
        Message::CancelOrder(m) => Ok(g::CancelOrderEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::CancelOrderFixedFields {
                order_id: m.order_id.0,
                instrument_id: m.instrument_id.0,
                venue_id: m.venue_id.0,
                leave_qty: m.leave_qty.0,
                timestamp_ns: m.timestamp_ns,
            })
            .encoded_length_with_header()),
        Message::ReplaceOrder(m) => Ok(g::ReplaceOrderEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::ReplaceOrderFixedFields {
                order_id: m.order_id.0,
                orig_order_id: m.orig_order_id.0,
                instrument_id: m.instrument_id.0,
                venue_id: m.venue_id.0,
                price: m.price.0,
                qty: m.qty.0,
                timestamp_ns: m.timestamp_ns,
            })
            .encoded_length_with_header()),
        Message::ExecutionReport(m) => encode_execution_report(m, buf),
        Message::OrderReject(m) => Ok(g::OrderRejectEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::OrderRejectFixedFields {
                order_id: m.order_id.0,
                venue_id: m.venue_id.0,
                instrument_id: m.instrument_id.0,
                reject_reason: m.reject_reason,
                timestamp_ns: m.timestamp_ns,
                stream_sequence: None,
            })
            .text(m.text.as_bytes())?
            .encoded_length_with_header()),
        Message::CreditGrant(m) => Ok(g::CreditGrantEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::CreditGrantFixedFields {
                gateway_id: m.gateway_id.0,
                instrument_id: m.instrument_id.0,
                grant_sequence: m.grant_sequence,
                buy_qty: m.buy_qty,
                sell_qty: m.sell_qty,
                notional: m.notional,
                timestamp_ns: m.timestamp_ns,
            })
            .encoded_length_with_header()),
        Message::CreditReturn(m) => Ok(g::CreditReturnEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::CreditReturnFixedFields {
                gateway_id: m.gateway_id.0,
                instrument_id: m.instrument_id.0,
                grant_sequence: m.grant_sequence,
                buy_qty: m.buy_qty,
                sell_qty: m.sell_qty,
                notional: m.notional,
                timestamp_ns: m.timestamp_ns,
                stream_sequence: None,
            })
            .encoded_length_with_header()),
        Message::PositionUpdate(m) => {
            Ok(g::PositionUpdateEncoder::try_wrap_and_apply_header(buf, 0)?
                .fixed(&g::PositionUpdateFixedFields {
                    gateway_id: m.gateway_id.0,
                    venue_id: m.venue_id.0,
                    instrument_id: m.instrument_id.0,
                    position: m.position,
                    bought_qty: m.bought_qty,
                    sold_qty: m.sold_qty,
                    notional_bought: m.notional_bought,
                    notional_sold: m.notional_sold,
                    timestamp_ns: m.timestamp_ns,
                    stream_sequence: None,
                })
                .encoded_length_with_header())
        }
        Message::RiskLimits(m) => encode_risk_limits(m, buf),
        Message::LimitsState(m) => encode_limits_state(m, buf),
        Message::CreditSlice(m) => Ok(g::CreditSliceEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::CreditSliceFixedFields {
                gateway_id: m.gateway_id.0,
                instrument_id: m.instrument_id.0,
                grant_sequence: m.grant_sequence,
                buy_qty: m.buy_qty,
                sell_qty: m.sell_qty,
                notional: m.notional,
                through_stream_sequence: m.through_stream_sequence,
                timestamp_ns: m.timestamp_ns,
            })
            .encoded_length_with_header()),
        Message::KillSwitch(m) => Ok(g::KillSwitchEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::KillSwitchFixedFields {
                active: boolean(m.active),
                scope: m.scope,
                venue_id: m.venue_id.0,
                instrument_id: m.instrument_id.0,
                allow_risk_reducing: boolean(m.allow_risk_reducing),
                timestamp_ns: m.timestamp_ns,
            })
            .reason(m.reason.as_bytes())?
            .encoded_length_with_header()),
        Message::ExecutionReplayRequest(m) => Ok(
            g::ExecutionReplayRequestEncoder::try_wrap_and_apply_header(buf, 0)?
                .fixed(&g::ExecutionReplayRequestFixedFields {
                    gateway_id: m.gateway_id.0,
                    request_id: m.request_id,
                    from_sequence: m.from_sequence,
                    timestamp_ns: m.timestamp_ns,
                })
                .encoded_length_with_header(),
        ),
        Message::ExecutionReplayComplete(m) => Ok(
            g::ExecutionReplayCompleteEncoder::try_wrap_and_apply_header(buf, 0)?
                .fixed(&g::ExecutionReplayCompleteFixedFields {
                    gateway_id: m.gateway_id.0,
                    request_id: m.request_id,
                    from_sequence: m.from_sequence,
                    last_sequence: m.last_sequence,
                    replayed: m.replayed,
                    timestamp_ns: m.timestamp_ns,
                })
                .encoded_length_with_header(),
        ),
    }
}

fn encode_book_level_delta(
    m: &BookLevelDelta,
    buf: &mut [u8],
) -> Result<usize, sbe_rt::EncodeError> {
    // encoded_len() already bounded the count to u16.
    let count = u16::try_from(m.levels.len()).unwrap_or(u16::MAX);
    let done = g::BookLevelDeltaEncoder::try_wrap_and_apply_header(buf, 0)?
        .fixed(&g::BookLevelDeltaFixedFields {
            venue_id: m.venue_id.0,
            instrument_id: m.instrument_id.0,
            sequence: m.sequence,
            timestamp_ns: m.timestamp_ns,
        })
        .levels(count, |group| {
            for level in &m.levels {
                group.add_struct(&g::BookLevelDeltaLevelsEntry {
                    action: level.action,
                    side: side(level.side),
                    level_index: level.level_index,
                    price: level.price.0,
                    qty: level.qty,
                    order_count: level.order_count,
                })?;
            }
            Ok(())
        })?;
    Ok(done.encoded_length_with_header())
}

fn encode_risk_limits(m: &RiskLimits, buf: &mut [u8]) -> Result<usize, sbe_rt::EncodeError> {
    let count = u16::try_from(m.limits.len()).unwrap_or(u16::MAX);
    let done = g::RiskLimitsEncoder::try_wrap_and_apply_header(buf, 0)?
        .fixed(&g::RiskLimitsFixedFields {
            timestamp_ns: m.timestamp_ns,
            version: m.version,
        })
        .limits(count, |group| {
            for limit in &m.limits {
                group.add_struct(&g::RiskLimitsLimitsEntry {
                    instrument_id: limit.instrument_id.0,
                    max_order_qty: limit.max_order_qty.0,
                    max_order_notional: limit.max_order_notional,
                    max_position: limit.max_position,
                    price_collar_bps: limit.price_collar_bps,
                    max_orders_per_second: limit.max_orders_per_second,
                })?;
            }
            Ok(())
        })?;
    Ok(done.encoded_length_with_header())
}

fn encode_limits_state(m: &LimitsState, buf: &mut [u8]) -> Result<usize, sbe_rt::EncodeError> {
    let count = u16::try_from(m.limits.len()).unwrap_or(u16::MAX);
    let done = g::LimitsStateEncoder::try_wrap_and_apply_header(buf, 0)?
        .fixed(&g::LimitsStateFixedFields {
            timestamp_ns: m.timestamp_ns,
            version: m.version,
            max_gross_notional_total: m.max_gross_notional_total,
            max_net_notional_total: m.max_net_notional_total,
        })
        .limits(count, |group| {
            for l in &m.limits {
                group.add_struct(&g::LimitsStateLimitsEntry {
                    instrument_id: l.instrument_id.0,
                    max_order_qty: l.max_order_qty.0,
                    max_order_notional: l.max_order_notional,
                    max_position: l.max_position,
                    price_collar_bps: l.price_collar_bps,
                    max_orders_per_second: l.max_orders_per_second,
                    max_gross_notional: l.max_gross_notional,
                    max_net_notional: l.max_net_notional,
                    credit_notional: l.credit_notional,
                })?;
            }
            Ok(())
        })?;
    Ok(done.encoded_length_with_header())
}

fn encode_execution_report(
    m: &ExecutionReport,
    buf: &mut [u8],
) -> Result<usize, sbe_rt::EncodeError> {
    Ok(
        g::ExecutionReportEncoder::try_wrap_and_apply_header(buf, 0)?
            .fixed(&g::ExecutionReportFixedFields {
                order_id: m.order_id.0,
                parent_order_id: m.parent_order_id.0,
                venue_id: m.venue_id.0,
                instrument_id: m.instrument_id.0,
                exec_type: m.exec_type,
                order_status: m.order_status,
                side: side(m.side),
                price: m.price.0,
                last_px: m.last_px.0,
                last_qty: m.last_qty.0,
                leaves_qty: m.leaves_qty.0,
                cum_qty: m.cum_qty.0,
                venue_order_ref: m.venue_order_ref,
                match_id: m.match_id,
                timestamp_ns: m.timestamp_ns,
                venue_timestamp_ns: m.venue_timestamp_ns,
                stream_sequence: None,
            })
            .text(m.text.as_bytes())?
            .encoded_length_with_header(),
    )
}
