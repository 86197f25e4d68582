//! Bytes → validated flyweight ([`decode_view`]) or owned [`Message`] ([`decode`]).
//!
//! The generated ergo-sbe decoders do the field reads. Before a generated decoder touches a
//! buffer, this module proves what the generated `try_decode` does not fully check:
//! that the header's `blockLength` is at least the root block of that message at the header's
//! `version` (ergo-sbe accepts a shorter one and would then read groups and var data from
//! inside the root block), that every group dimension and var-data length fits the buffer,
//! that enums hold valid values (ergo-sbe maps unknown values to `NullVal` silently), and that
//! text is in its declared encoding. After [`decode_view`] returns `Ok`, every accessor of
//! the flyweight it returns, including group iteration and var data, succeeds.
#![forbid(unsafe_code)]

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

use crate::encode::{HEADER_LEN, VAR_DATA_MAX_LEN};
use crate::error::DecodeError;
use crate::generated as g;
use crate::messages::*;

/// This schema's id (`messageSchema/@id`).
pub const SCHEMA_ID: u16 = g::HeartbeatDecoder::SCHEMA_ID;
/// This schema's version (`messageSchema/@version`); encoders write it in every header.
pub const SCHEMA_VERSION: u16 = g::HeartbeatDecoder::SCHEMA_VERSION;

/// The validated message header (SBE 1.0 §3 `messageHeader`) of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Which message follows (from `templateId`).
    pub kind: MessageKind,
    /// Root block length the sender wrote, bytes; at least [`min_block_length`].
    pub block_length: u16,
    /// Schema version the sender encoded with.
    pub version: u16,
}

/// Smallest root block `kind` can have when encoded at `version`, bytes. Fields with
/// `sinceVersion` above `version` are not required to be present.
pub const fn min_block_length(kind: MessageKind, version: u16) -> usize {
    match kind {
        MessageKind::ExecutionReport
            if version < g::ExecutionReportDecoder::VENUE_TIMESTAMP_NS_SINCE_VERSION =>
        {
            g::ExecutionReportDecoder::VENUE_TIMESTAMP_NS_ENCODING_OFFSET
        }
        MessageKind::ExecutionReport
            if version < g::ExecutionReportDecoder::STREAM_SEQUENCE_SINCE_VERSION =>
        {
            g::ExecutionReportDecoder::STREAM_SEQUENCE_ENCODING_OFFSET
        }
        MessageKind::OrderReject
            if version < g::OrderRejectDecoder::STREAM_SEQUENCE_SINCE_VERSION =>
        {
            g::OrderRejectDecoder::STREAM_SEQUENCE_ENCODING_OFFSET
        }
        MessageKind::CreditReturn
            if version < g::CreditReturnDecoder::STREAM_SEQUENCE_SINCE_VERSION =>
        {
            g::CreditReturnDecoder::STREAM_SEQUENCE_ENCODING_OFFSET
        }
        MessageKind::PositionUpdate
            if version < g::PositionUpdateDecoder::STREAM_SEQUENCE_SINCE_VERSION =>
        {
            g::PositionUpdateDecoder::STREAM_SEQUENCE_ENCODING_OFFSET
        }
        _ => crate::encode::block_length(kind),
    }
}

/// Reads and checks the 8-byte message header at the start of `buf`: schema id, template id,
/// and that the root block (`blockLength` bytes) is in the buffer and long enough for the
/// header's version.
///
/// # Errors
/// `SBE_SHORT_BUFFER`, `SBE_SCHEMA_MISMATCH`, `SBE_UNKNOWN_TEMPLATE`, `SBE_BAD_BLOCK_LENGTH`.
pub fn read_header(buf: &[u8]) -> Result<FrameHeader, DecodeError> {
    let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::ShortBuffer {
            field: "messageHeader",
            needed: HEADER_LEN,
            available: buf.len(),
        });
    };
    let header = g::MessageHeader(*header);
    if header.schema_id() != SCHEMA_ID {
        return Err(DecodeError::SchemaMismatch {
            expected: SCHEMA_ID,
            actual: header.schema_id(),
        });
    }
    let template_id = header.template_id();
    let Some(kind) = MessageKind::from_template_id(template_id) else {
        return Err(DecodeError::UnknownTemplate { template_id });
    };
    let (block_length, version) = (header.block_length(), header.version());
    let min = min_block_length(kind, version);
    if usize::from(block_length) < min {
        return Err(DecodeError::BadBlockLength {
            template_id,
            version,
            block_length,
            min: min as u16,
        });
    }
    let root_end = HEADER_LEN + usize::from(block_length);
    if buf.len() < root_end {
        return Err(DecodeError::ShortBuffer {
            field: "rootBlock",
            needed: root_end,
            available: buf.len(),
        });
    }
    Ok(FrameHeader {
        kind,
        block_length,
        version,
    })
}

fn u16_at(buf: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes([buf[offset], buf[offset + 1]])
}

/// Checks the group dimension header at `offset` and that its entries fit; returns the end
/// offset of the group.
fn check_group(
    buf: &[u8],
    offset: usize,
    group: &'static str,
    entry_len: usize,
) -> Result<usize, DecodeError> {
    let entries_start = offset + 4;
    if buf.len() < entries_start {
        return Err(DecodeError::ShortBuffer {
            field: group,
            needed: entries_start,
            available: buf.len(),
        });
    }
    let (block_length, num_in_group) = (u16_at(buf, offset), u16_at(buf, offset + 2));
    let available = buf.len() - entries_start;
    let total = usize::from(num_in_group) * usize::from(block_length);
    if (num_in_group > 0 && usize::from(block_length) < entry_len) || total > available {
        return Err(DecodeError::BadGroup {
            group,
            num_in_group,
            block_length,
            min_block_length: entry_len as u16,
            available,
        });
    }
    Ok(entries_start + total)
}

/// Checks the var-data field at `offset` (uint16 length + UTF-8 bytes); returns its end.
fn check_var_data(buf: &[u8], offset: usize, field: &'static str) -> Result<usize, DecodeError> {
    let data_start = offset + 2;
    if buf.len() < data_start {
        return Err(DecodeError::ShortBuffer {
            field,
            needed: data_start,
            available: buf.len(),
        });
    }
    let length = usize::from(u16_at(buf, offset));
    let available = buf.len() - data_start;
    if length > VAR_DATA_MAX_LEN || length > available {
        return Err(DecodeError::BadVarData {
            field,
            length,
            max: VAR_DATA_MAX_LEN,
            available,
        });
    }
    utf8(&buf[data_start..data_start + length], field)?;
    Ok(data_start + length)
}

fn utf8<'a>(bytes: &'a [u8], field: &'static str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|e| DecodeError::BadText {
        field,
        encoding: "UTF-8",
        valid_up_to: e.valid_up_to(),
    })
}

fn ascii<const N: usize>(bytes: [u8; N], field: &'static str) -> Result<[u8; N], DecodeError> {
    match bytes.iter().position(|b| !b.is_ascii()) {
        None => Ok(bytes),
        Some(valid_up_to) => Err(DecodeError::BadText {
            field,
            encoding: "US-ASCII",
            valid_up_to,
        }),
    }
}

fn side(raw: u8, field: &'static str) -> Result<Side, DecodeError> {
    Side::from_code(raw).map_err(|_| DecodeError::BadEnum {
        field,
        value: u16::from(raw),
    })
}

fn time_in_force(raw: u8, field: &'static str) -> Result<TimeInForce, DecodeError> {
    TimeInForce::from_code(raw).map_err(|_| DecodeError::BadEnum {
        field,
        value: u16::from(raw),
    })
}

fn boolean(raw: u8, field: &'static str) -> Result<bool, DecodeError> {
    match raw {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::BadEnum {
            field,
            value: u16::from(raw),
        }),
    }
}

/// A generated enum value, rejecting its `NullVal` (what ergo-sbe returns for unknown codes).
fn valid<T: PartialEq>(value: T, null: T, raw: u16, field: &'static str) -> Result<T, DecodeError> {
    if value == null {
        Err(DecodeError::BadEnum { field, value: raw })
    } else {
        Ok(value)
    }
}

/// A validated message: the generated ergo-sbe flyweight decoder over the caller's buffer.
///
/// Zero-copy and allocation-free. Every accessor of the wrapped decoder is safe to call:
/// [`decode_view`] has checked the root block, groups, var data, enum values and text. Enum
/// accessors never return `NullVal`; `text()`/`reason()` return valid UTF-8 (the generated
/// `*_as_str` helpers can be used too).
#[allow(missing_docs)] // each variant wraps the generated decoder of the same name
#[derive(Debug)]
pub enum MessageView<'a> {
    Heartbeat(g::HeartbeatDecoder<'a>),
    BookLevelDelta(g::BookLevelDeltaDecoder<'a>),
    TopOfBook(g::TopOfBookDecoder<'a>),
    Trade(g::TradeDecoder<'a>),
    InstrumentStatus(g::InstrumentStatusDecoder<'a>),
    FeedStatus(g::FeedStatusDecoder<'a>),
    NewChildOrder(g::NewChildOrderDecoder<'a>),
    CancelOrder(g::CancelOrderDecoder<'a>),
    ReplaceOrder(g::ReplaceOrderDecoder<'a>),
    ExecutionReport(g::ExecutionReportDecoder<'a>),
    OrderReject(g::OrderRejectDecoder<'a>),
    CreditGrant(g::CreditGrantDecoder<'a>),
    CreditReturn(g::CreditReturnDecoder<'a>),
    PositionUpdate(g::PositionUpdateDecoder<'a>),
    RiskLimits(g::RiskLimitsDecoder<'a>),
    KillSwitch(g::KillSwitchDecoder<'a>),
    ExecutionReplayRequest(g::ExecutionReplayRequestDecoder<'a>),
    ExecutionReplayComplete(g::ExecutionReplayCompleteDecoder<'a>),
    LimitsState(g::LimitsStateDecoder<'a>),
    CreditSlice(g::CreditSliceDecoder<'a>),
}

macro_rules! wrap {
    ($buf:expr, $header:expr, $decoder:ident) => {
        g::$decoder::try_decode($buf, 0).map_err(|detail| DecodeError::Codec {
            template_id: $header.kind.template_id(),
            detail,
        })?
    };
}

/// Validates `buf` as exactly one message and returns the generated flyweight for it.
///
/// `buf` must hold one whole message starting at offset 0. Bytes after the message are an
/// error, except when the sender's version is newer than ours: a newer schema may append
/// groups or var data, which are skipped (SBE 1.0 §3.7 "Schema evolution"). A root block or
/// group entry longer than ours is skipped using the `blockLength` on the wire.
///
/// # Errors
/// Any [`DecodeError`]; never panics, never reads outside `buf`.
pub fn decode_view(buf: &[u8]) -> Result<MessageView<'_>, DecodeError> {
    let header = read_header(buf)?;
    let root_end = HEADER_LEN + usize::from(header.block_length);
    let (view, end) = match header.kind {
        MessageKind::Heartbeat => {
            let d = wrap!(buf, header, HeartbeatDecoder);
            (MessageView::Heartbeat(d), root_end)
        }
        MessageKind::BookLevelDelta => {
            let d = wrap!(buf, header, BookLevelDeltaDecoder);
            let end = check_group(
                buf,
                root_end,
                "levels",
                g::BookLevelDeltaLevelsDecoder::ENTRY_BLOCK_LENGTH,
            )?;
            for entry in d.levels().map_err(|detail| codec(header, detail))? {
                book_level(&entry)?;
            }
            (MessageView::BookLevelDelta(d), end)
        }
        MessageKind::TopOfBook => {
            let d = wrap!(buf, header, TopOfBookDecoder);
            (MessageView::TopOfBook(d), root_end)
        }
        MessageKind::Trade => {
            let d = wrap!(buf, header, TradeDecoder);
            trade(&d)?;
            (MessageView::Trade(d), root_end)
        }
        MessageKind::InstrumentStatus => {
            let d = wrap!(buf, header, InstrumentStatusDecoder);
            instrument_status(&d)?;
            (MessageView::InstrumentStatus(d), root_end)
        }
        MessageKind::FeedStatus => {
            let d = wrap!(buf, header, FeedStatusDecoder);
            feed_status(&d)?;
            (MessageView::FeedStatus(d), root_end)
        }
        MessageKind::NewChildOrder => {
            let d = wrap!(buf, header, NewChildOrderDecoder);
            new_child_order(&d)?;
            (MessageView::NewChildOrder(d), root_end)
        }
        MessageKind::CancelOrder => {
            let d = wrap!(buf, header, CancelOrderDecoder);
            (MessageView::CancelOrder(d), root_end)
        }
        MessageKind::ReplaceOrder => {
            let d = wrap!(buf, header, ReplaceOrderDecoder);
            (MessageView::ReplaceOrder(d), root_end)
        }
        MessageKind::ExecutionReport => {
            let d = wrap!(buf, header, ExecutionReportDecoder);
            execution_report_enums(&d)?;
            let end = check_var_data(buf, root_end, "text")?;
            (MessageView::ExecutionReport(d), end)
        }
        MessageKind::OrderReject => {
            let d = wrap!(buf, header, OrderRejectDecoder);
            reject_reason(&d)?;
            let end = check_var_data(buf, root_end, "text")?;
            (MessageView::OrderReject(d), end)
        }
        MessageKind::CreditGrant => {
            let d = wrap!(buf, header, CreditGrantDecoder);
            (MessageView::CreditGrant(d), root_end)
        }
        MessageKind::CreditReturn => {
            let d = wrap!(buf, header, CreditReturnDecoder);
            (MessageView::CreditReturn(d), root_end)
        }
        MessageKind::PositionUpdate => {
            let d = wrap!(buf, header, PositionUpdateDecoder);
            (MessageView::PositionUpdate(d), root_end)
        }
        MessageKind::RiskLimits => {
            let d = wrap!(buf, header, RiskLimitsDecoder);
            let end = check_group(
                buf,
                root_end,
                "limits",
                g::RiskLimitsLimitsDecoder::ENTRY_BLOCK_LENGTH,
            )?;
            (MessageView::RiskLimits(d), end)
        }
        MessageKind::KillSwitch => {
            let d = wrap!(buf, header, KillSwitchDecoder);
            kill_switch_enums(&d)?;
            let end = check_var_data(buf, root_end, "reason")?;
            (MessageView::KillSwitch(d), end)
        }
        MessageKind::ExecutionReplayRequest => {
            let d = wrap!(buf, header, ExecutionReplayRequestDecoder);
            (MessageView::ExecutionReplayRequest(d), root_end)
        }
        MessageKind::ExecutionReplayComplete => {
            let d = wrap!(buf, header, ExecutionReplayCompleteDecoder);
            (MessageView::ExecutionReplayComplete(d), root_end)
        }
        MessageKind::LimitsState => {
            let d = wrap!(buf, header, LimitsStateDecoder);
            let end = check_group(
                buf,
                root_end,
                "limits",
                g::LimitsStateLimitsDecoder::ENTRY_BLOCK_LENGTH,
            )?;
            (MessageView::LimitsState(d), end)
        }
        MessageKind::CreditSlice => {
            let d = wrap!(buf, header, CreditSliceDecoder);
            (MessageView::CreditSlice(d), root_end)
        }
    };
    if end != buf.len() && !(header.version > SCHEMA_VERSION && end < buf.len()) {
        return Err(DecodeError::TrailingBytes {
            template_id: header.kind.template_id(),
            message_len: end,
            buffer_len: buf.len(),
        });
    }
    Ok(view)
}

fn codec(header: FrameHeader, detail: g::sbe_rt::DecodeError) -> DecodeError {
    DecodeError::Codec {
        template_id: header.kind.template_id(),
        detail,
    }
}

/// Decodes `buf` (exactly one message, see [`decode_view`]) into an owned [`Message`].
///
/// Allocates for group entries and var data; fixed-only messages do not allocate.
///
/// # Errors
/// Any [`DecodeError`]; never panics, never reads outside `buf`.
pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
    decode_view(buf)?.to_message()
}

impl MessageView<'_> {
    /// Which message this is.
    pub fn kind(&self) -> MessageKind {
        match self {
            MessageView::Heartbeat(_) => MessageKind::Heartbeat,
            MessageView::BookLevelDelta(_) => MessageKind::BookLevelDelta,
            MessageView::TopOfBook(_) => MessageKind::TopOfBook,
            MessageView::Trade(_) => MessageKind::Trade,
            MessageView::InstrumentStatus(_) => MessageKind::InstrumentStatus,
            MessageView::FeedStatus(_) => MessageKind::FeedStatus,
            MessageView::NewChildOrder(_) => MessageKind::NewChildOrder,
            MessageView::CancelOrder(_) => MessageKind::CancelOrder,
            MessageView::ReplaceOrder(_) => MessageKind::ReplaceOrder,
            MessageView::ExecutionReport(_) => MessageKind::ExecutionReport,
            MessageView::OrderReject(_) => MessageKind::OrderReject,
            MessageView::CreditGrant(_) => MessageKind::CreditGrant,
            MessageView::CreditReturn(_) => MessageKind::CreditReturn,
            MessageView::PositionUpdate(_) => MessageKind::PositionUpdate,
            MessageView::RiskLimits(_) => MessageKind::RiskLimits,
            MessageView::KillSwitch(_) => MessageKind::KillSwitch,
            MessageView::ExecutionReplayRequest(_) => MessageKind::ExecutionReplayRequest,
            MessageView::ExecutionReplayComplete(_) => MessageKind::ExecutionReplayComplete,
            MessageView::LimitsState(_) => MessageKind::LimitsState,
            MessageView::CreditSlice(_) => MessageKind::CreditSlice,
        }
    }

    /// Copies the message out into an owned [`Message`].
    ///
    /// # Errors
    /// None for a view from [`decode_view`] (it validated everything read here); the
    /// `Result` keeps this total rather than panicking.
    pub fn to_message(&self) -> Result<Message, DecodeError> {
        Ok(match self {
            MessageView::Heartbeat(d) => Message::Heartbeat(Heartbeat {
                sender_id: d.sender_id(),
                sequence: d.sequence(),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::BookLevelDelta(d) => Message::BookLevelDelta(book_level_delta(d)?),
            MessageView::TopOfBook(d) => Message::TopOfBook(TopOfBook {
                venue_id: VenueId(d.venue_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                sequence: d.sequence(),
                timestamp_ns: d.timestamp_ns(),
                bid_price: Price(d.bid_price()),
                bid_qty: d.bid_qty(),
                ask_price: Price(d.ask_price()),
                ask_qty: d.ask_qty(),
            }),
            MessageView::Trade(d) => Message::Trade(trade(d)?),
            MessageView::InstrumentStatus(d) => Message::InstrumentStatus(instrument_status(d)?),
            MessageView::FeedStatus(d) => Message::FeedStatus(feed_status(d)?),
            MessageView::NewChildOrder(d) => Message::NewChildOrder(new_child_order(d)?),
            MessageView::CancelOrder(d) => Message::CancelOrder(CancelOrder {
                order_id: OrderId(d.order_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                venue_id: VenueId(d.venue_id()),
                leave_qty: Qty(d.leave_qty()),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::ReplaceOrder(d) => Message::ReplaceOrder(ReplaceOrder {
                order_id: OrderId(d.order_id()),
                orig_order_id: OrderId(d.orig_order_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                venue_id: VenueId(d.venue_id()),
                price: Price(d.price()),
                qty: Qty(d.qty()),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::ExecutionReport(d) => Message::ExecutionReport(execution_report(d)?),
            MessageView::OrderReject(d) => Message::OrderReject(OrderReject {
                order_id: OrderId(d.order_id()),
                venue_id: VenueId(d.venue_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                reject_reason: reject_reason(d)?,
                timestamp_ns: d.timestamp_ns(),
                text: text(d.text(), "text", MessageKind::OrderReject)?,
            }),
            MessageView::CreditGrant(d) => Message::CreditGrant(CreditGrant {
                gateway_id: GatewayId(d.gateway_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                grant_sequence: d.grant_sequence(),
                buy_qty: d.buy_qty(),
                sell_qty: d.sell_qty(),
                notional: d.notional(),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::CreditReturn(d) => Message::CreditReturn(CreditReturn {
                gateway_id: GatewayId(d.gateway_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                grant_sequence: d.grant_sequence(),
                buy_qty: d.buy_qty(),
                sell_qty: d.sell_qty(),
                notional: d.notional(),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::PositionUpdate(d) => Message::PositionUpdate(PositionUpdate {
                gateway_id: GatewayId(d.gateway_id()),
                venue_id: VenueId(d.venue_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                position: d.position(),
                bought_qty: d.bought_qty(),
                sold_qty: d.sold_qty(),
                notional_bought: d.notional_bought(),
                notional_sold: d.notional_sold(),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::RiskLimits(d) => Message::RiskLimits(risk_limits(d)?),
            MessageView::LimitsState(d) => Message::LimitsState(limits_state(d)?),
            MessageView::CreditSlice(d) => Message::CreditSlice(CreditSlice {
                gateway_id: GatewayId(d.gateway_id()),
                instrument_id: InstrumentId(d.instrument_id()),
                grant_sequence: d.grant_sequence(),
                buy_qty: d.buy_qty(),
                sell_qty: d.sell_qty(),
                notional: d.notional(),
                through_stream_sequence: d.through_stream_sequence(),
                timestamp_ns: d.timestamp_ns(),
            }),
            MessageView::KillSwitch(d) => {
                let (active, scope, allow_risk_reducing) = kill_switch_enums(d)?;
                Message::KillSwitch(KillSwitch {
                    active,
                    scope,
                    venue_id: VenueId(d.venue_id()),
                    instrument_id: InstrumentId(d.instrument_id()),
                    allow_risk_reducing,
                    timestamp_ns: d.timestamp_ns(),
                    reason: text(d.reason(), "reason", MessageKind::KillSwitch)?,
                })
            }
            MessageView::ExecutionReplayRequest(d) => {
                Message::ExecutionReplayRequest(ExecutionReplayRequest {
                    gateway_id: GatewayId(d.gateway_id()),
                    request_id: d.request_id(),
                    from_sequence: d.from_sequence(),
                    timestamp_ns: d.timestamp_ns(),
                })
            }
            MessageView::ExecutionReplayComplete(d) => {
                Message::ExecutionReplayComplete(ExecutionReplayComplete {
                    gateway_id: GatewayId(d.gateway_id()),
                    request_id: d.request_id(),
                    from_sequence: d.from_sequence(),
                    last_sequence: d.last_sequence(),
                    replayed: d.replayed(),
                    timestamp_ns: d.timestamp_ns(),
                })
            }
        })
    }
}

fn text(
    bytes: Result<&[u8], g::sbe_rt::DecodeError>,
    field: &'static str,
    kind: MessageKind,
) -> Result<String, DecodeError> {
    let bytes = bytes.map_err(|detail| DecodeError::Codec {
        template_id: kind.template_id(),
        detail,
    })?;
    Ok(utf8(bytes, field)?.to_owned())
}

fn book_level(e: &g::BookLevelDeltaLevelsEntryDecoder<'_>) -> Result<BookLevel, DecodeError> {
    Ok(BookLevel {
        action: valid(
            e.action(),
            BookAction::NullVal,
            u16::from(e.raw_action()),
            "action",
        )?,
        side: side(e.raw_side(), "side")?,
        level_index: e.level_index(),
        price: Price(e.price()),
        qty: e.qty(),
        order_count: e.order_count(),
    })
}

fn book_level_delta(d: &g::BookLevelDeltaDecoder<'_>) -> Result<BookLevelDelta, DecodeError> {
    let levels = d.levels().map_err(|detail| DecodeError::Codec {
        template_id: MessageKind::BookLevelDelta.template_id(),
        detail,
    })?;
    Ok(BookLevelDelta {
        venue_id: VenueId(d.venue_id()),
        instrument_id: InstrumentId(d.instrument_id()),
        sequence: d.sequence(),
        timestamp_ns: d.timestamp_ns(),
        levels: levels.map(|e| book_level(&e)).collect::<Result<_, _>>()?,
    })
}

fn risk_limits(d: &g::RiskLimitsDecoder<'_>) -> Result<RiskLimits, DecodeError> {
    let limits = d.limits().map_err(|detail| DecodeError::Codec {
        template_id: MessageKind::RiskLimits.template_id(),
        detail,
    })?;
    Ok(RiskLimits {
        timestamp_ns: d.timestamp_ns(),
        version: d.version(),
        limits: limits
            .map(|e| InstrumentLimit {
                instrument_id: InstrumentId(e.instrument_id()),
                max_order_qty: Qty(e.max_order_qty()),
                max_order_notional: e.max_order_notional(),
                max_position: e.max_position(),
                price_collar_bps: e.price_collar_bps(),
                max_orders_per_second: e.max_orders_per_second(),
            })
            .collect(),
    })
}

fn limits_state(d: &g::LimitsStateDecoder<'_>) -> Result<LimitsState, DecodeError> {
    let limits = d.limits().map_err(|detail| DecodeError::Codec {
        template_id: MessageKind::LimitsState.template_id(),
        detail,
    })?;
    Ok(LimitsState {
        timestamp_ns: d.timestamp_ns(),
        version: d.version(),
        max_gross_notional_total: d.max_gross_notional_total(),
        max_net_notional_total: d.max_net_notional_total(),
        limits: limits
            .map(|e| CentreInstrumentLimit {
                instrument_id: InstrumentId(e.instrument_id()),
                max_order_qty: Qty(e.max_order_qty()),
                max_order_notional: e.max_order_notional(),
                max_position: e.max_position(),
                price_collar_bps: e.price_collar_bps(),
                max_orders_per_second: e.max_orders_per_second(),
                max_gross_notional: e.max_gross_notional(),
                max_net_notional: e.max_net_notional(),
                credit_notional: e.credit_notional(),
            })
            .collect(),
    })
}

fn trade(d: &g::TradeDecoder<'_>) -> Result<Trade, DecodeError> {
    Ok(Trade {
        venue_id: VenueId(d.venue_id()),
        instrument_id: InstrumentId(d.instrument_id()),
        timestamp_ns: d.timestamp_ns(),
        price: Price(d.price()),
        qty: d.qty(),
        aggressor_side: side(d.raw_aggressor_side(), "aggressorSide")?,
        match_id: d.match_id(),
    })
}

fn instrument_status(d: &g::InstrumentStatusDecoder<'_>) -> Result<InstrumentStatus, DecodeError> {
    Ok(InstrumentStatus {
        venue_id: VenueId(d.venue_id()),
        instrument_id: InstrumentId(d.instrument_id()),
        timestamp_ns: d.timestamp_ns(),
        trading_status: valid(
            d.trading_status(),
            TradingStatus::NullVal,
            u16::from(d.raw_trading_status()),
            "tradingStatus",
        )?,
        symbol: ascii(d.symbol(), "symbol")?,
        reason: ascii(d.reason(), "reason")?,
    })
}

fn feed_status(d: &g::FeedStatusDecoder<'_>) -> Result<FeedStatus, DecodeError> {
    Ok(FeedStatus {
        venue_id: VenueId(d.venue_id()),
        timestamp_ns: d.timestamp_ns(),
        feed_state: valid(
            d.feed_state(),
            FeedState::NullVal,
            u16::from(d.raw_feed_state()),
            "feedState",
        )?,
        expected_sequence: d.expected_sequence(),
        received_sequence: d.received_sequence(),
        gap_count: d.gap_count(),
    })
}

fn new_child_order(d: &g::NewChildOrderDecoder<'_>) -> Result<NewChildOrder, DecodeError> {
    Ok(NewChildOrder {
        order_id: OrderId(d.order_id()),
        parent_order_id: OrderId(d.parent_order_id()),
        instrument_id: InstrumentId(d.instrument_id()),
        venue_id: VenueId(d.venue_id()),
        side: side(d.raw_side(), "side")?,
        time_in_force: time_in_force(d.raw_time_in_force(), "timeInForce")?,
        price: Price(d.price()),
        qty: Qty(d.qty()),
        timestamp_ns: d.timestamp_ns(),
    })
}

fn execution_report_enums(
    d: &g::ExecutionReportDecoder<'_>,
) -> Result<(ExecType, OrderStatus, Side), DecodeError> {
    Ok((
        valid(
            d.exec_type(),
            ExecType::NullVal,
            u16::from(d.raw_exec_type()),
            "execType",
        )?,
        valid(
            d.order_status(),
            OrderStatus::NullVal,
            u16::from(d.raw_order_status()),
            "orderStatus",
        )?,
        side(d.raw_side(), "side")?,
    ))
}

fn execution_report(d: &g::ExecutionReportDecoder<'_>) -> Result<ExecutionReport, DecodeError> {
    let (exec_type, order_status, side) = execution_report_enums(d)?;
    Ok(ExecutionReport {
        order_id: OrderId(d.order_id()),
        parent_order_id: OrderId(d.parent_order_id()),
        venue_id: VenueId(d.venue_id()),
        instrument_id: InstrumentId(d.instrument_id()),
        exec_type,
        order_status,
        side,
        price: Price(d.price()),
        last_px: Price(d.last_px()),
        last_qty: Qty(d.last_qty()),
        leaves_qty: Qty(d.leaves_qty()),
        cum_qty: Qty(d.cum_qty()),
        venue_order_ref: d.venue_order_ref(),
        match_id: d.match_id(),
        timestamp_ns: d.timestamp_ns(),
        venue_timestamp_ns: d.venue_timestamp_ns(),
        text: text(d.text(), "text", MessageKind::ExecutionReport)?,
    })
}

fn reject_reason(d: &g::OrderRejectDecoder<'_>) -> Result<RejectReason, DecodeError> {
    valid(
        d.reject_reason(),
        RejectReason::NullVal,
        d.raw_reject_reason(),
        "rejectReason",
    )
}

fn kill_switch_enums(
    d: &g::KillSwitchDecoder<'_>,
) -> Result<(bool, KillSwitchScope, bool), DecodeError> {
    Ok((
        boolean(d.raw_active(), "active")?,
        valid(
            d.scope(),
            KillSwitchScope::NullVal,
            u16::from(d.raw_scope()),
            "scope",
        )?,
        boolean(d.raw_allow_risk_reducing(), "allowRiskReducing")?,
    ))
}
