//! One ITCH 5.0 message as a JSON object with every field of its type (ITCH 5.0 §1.1–§1.8).
//!
//! Serialized straight into the output buffer through `serde`'s map serializer: no
//! intermediate `serde_json::Value`, no per-message allocation (prices are formatted through
//! `collect_str`, which `serde_json` streams into the writer; text is borrowed from the
//! message). Schema (see `docs/feed-inspect.md`):
//!
//! * `type`: the Message Type byte as a one-character string;
//! * where the message came from: `offset` (day file: byte offset of its length prefix) or
//!   `session`, `sequence`, `capture_timestamp_ns` (pcap: the MoldUDP64 session, the message's
//!   sequence number, the packet's capture time in ns since the Unix epoch);
//! * the header: `stock_locate`, `tracking_number`, `timestamp_ns` (ns since midnight);
//! * the type's fields in wire order, named after the spec in snake_case: integers as JSON
//!   numbers, Alpha fields (and one-byte codes) as strings with the right-hand padding (spaces,
//!   NULs) trimmed, `buy_sell_indicator` as `"B"`/`"S"`, each Price (4) field as a decimal string
//!   with 4 decimals plus `<name>_raw` (the wire integer, 1/10,000 units), and the MWCB levels
//!   (Price (8)) with 8 decimals plus `<name>_raw` (1e-8 units).

use std::fmt;

use crossbar_itch::ItchMessage;
use crossbar_model::{Price, Qty, Side};
use crossbar_moldudp64::Session;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Where a message was read from; written before the header fields.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    /// A day file: byte offset of the frame's 2-byte length prefix from the file's start.
    Day {
        /// Offset in bytes.
        offset: u64,
    },
    /// A MoldUDP64 packet in a capture.
    Mold {
        /// The packet header's Session (MoldUDP64 "Downstream Packet Header", offset 0).
        session: &'a Session,
        /// This message's sequence number (header sequence + index in the packet).
        sequence: u64,
        /// Capture time of the packet, ns since the Unix epoch.
        capture_timestamp_ns: u64,
    },
}

/// A message with its origin, serializable as the tool's JSON object.
#[derive(Clone, Copy, Debug)]
pub struct MessageJson<'a> {
    /// The decoded message.
    pub message: &'a ItchMessage,
    /// Where it was read from.
    pub origin: Origin<'a>,
}

/// ASCII text with trailing padding (spaces, and NULs as some captures pad the MoldUDP64
/// session with) removed; invalid UTF-8 is replaced (U+FFFD), which allocates only then.
struct Alpha<'a>(&'a [u8]);

impl Serialize for Alpha<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let end = self
            .0
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        let bytes = self.0.get(..end).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => serializer.serialize_str(&String::from_utf8_lossy(bytes)),
        }
    }
}

/// A non-negative fixed-point wire value with `DECIMALS` implied decimals, as a decimal string.
struct Decimal<const DECIMALS: u32>(u64);

impl<const DECIMALS: u32> fmt::Display for Decimal<DECIMALS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10u64.pow(DECIMALS);
        let width = DECIMALS as usize;
        write!(f, "{}.{:0width$}", self.0 / scale, self.0 % scale)
    }
}

impl<const DECIMALS: u32> Serialize for Decimal<DECIMALS> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A [`Price`] as its 4-decimal string (`Price`'s `Display`).
struct PriceText(Price);

impl Serialize for PriceText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Writes named fields into a JSON map.
struct Fields<'m, M>(&'m mut M);

impl<M: SerializeMap> Fields<'_, M> {
    #[inline]
    fn int<T: Serialize>(&mut self, name: &'static str, value: T) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &value)
    }

    #[inline]
    fn shares(&mut self, name: &'static str, value: Qty) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &value.0)
    }

    #[inline]
    fn alpha(&mut self, name: &'static str, bytes: &[u8]) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &Alpha(bytes))
    }

    #[inline]
    fn code(&mut self, name: &'static str, byte: u8) -> Result<(), M::Error> {
        self.alpha(name, &[byte])
    }

    #[inline]
    fn side(&mut self, side: Side) -> Result<(), M::Error> {
        self.code("buy_sell_indicator", side.code())
    }

    /// Price (4): `name` as 4-decimal text, `raw_name` as the wire integer.
    #[inline]
    fn price(
        &mut self,
        name: &'static str,
        raw_name: &'static str,
        price: Price,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &PriceText(price))?;
        self.0.serialize_entry(raw_name, &price.0)
    }

    /// Price (8): `name` as 8-decimal text, `raw_name` as the wire integer.
    fn price8(
        &mut self,
        name: &'static str,
        raw_name: &'static str,
        raw: u64,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(name, &Decimal::<8>(raw))?;
        self.0.serialize_entry(raw_name, &raw)
    }
}

/// `f.price(...)` with the `_raw` name derived at compile time.
macro_rules! price {
    ($f:expr, $m:expr, $field:ident) => {
        $f.price(
            stringify!($field),
            concat!(stringify!($field), "_raw"),
            $m.$field,
        )
    };
}

impl Serialize for MessageJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &Alpha(&[self.message.message_type()]))?;
        match self.origin {
            Origin::Day { offset } => map.serialize_entry("offset", &offset)?,
            Origin::Mold {
                session,
                sequence,
                capture_timestamp_ns,
            } => {
                map.serialize_entry("session", &Alpha(&session.0))?;
                map.serialize_entry("sequence", &sequence)?;
                map.serialize_entry("capture_timestamp_ns", &capture_timestamp_ns)?;
            }
        }
        let header = self.message.header();
        map.serialize_entry("stock_locate", &header.stock_locate)?;
        map.serialize_entry("tracking_number", &header.tracking_number)?;
        map.serialize_entry("timestamp_ns", &header.timestamp_ns)?;
        body_fields(&mut Fields(&mut map), self.message)?;
        map.end()
    }
}

/// The type-specific fields, in wire order (ITCH 5.0 §1.1–§1.8 field tables).
fn body_fields<M: SerializeMap>(
    f: &mut Fields<'_, M>,
    message: &ItchMessage,
) -> Result<(), M::Error> {
    match message {
        ItchMessage::SystemEvent(m) => f.code("event_code", m.event_code),
        ItchMessage::StockDirectory(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("market_category", m.market_category)?;
            f.code("financial_status_indicator", m.financial_status_indicator)?;
            f.int("round_lot_size", m.round_lot_size)?;
            f.code("round_lots_only", m.round_lots_only)?;
            f.code("issue_classification", m.issue_classification)?;
            f.alpha("issue_sub_type", &m.issue_sub_type)?;
            f.code("authenticity", m.authenticity)?;
            f.code(
                "short_sale_threshold_indicator",
                m.short_sale_threshold_indicator,
            )?;
            f.code("ipo_flag", m.ipo_flag)?;
            f.code("luld_reference_price_tier", m.luld_reference_price_tier)?;
            f.code("etp_flag", m.etp_flag)?;
            f.int("etp_leverage_factor", m.etp_leverage_factor)?;
            f.code("inverse_indicator", m.inverse_indicator)
        }
        ItchMessage::StockTradingAction(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("trading_state", m.trading_state)?;
            f.code("reserved", m.reserved)?;
            f.alpha("reason", &m.reason)
        }
        ItchMessage::RegShoRestriction(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("reg_sho_action", m.reg_sho_action)
        }
        ItchMessage::MarketParticipantPosition(m) => {
            f.alpha("mpid", &m.mpid.0)?;
            f.alpha("stock", &m.stock.0)?;
            f.code("primary_market_maker", m.primary_market_maker)?;
            f.code("market_maker_mode", m.market_maker_mode)?;
            f.code("market_participant_state", m.market_participant_state)
        }
        ItchMessage::MwcbDeclineLevel(m) => {
            f.price8("level_1", "level_1_raw", m.level_1_e8)?;
            f.price8("level_2", "level_2_raw", m.level_2_e8)?;
            f.price8("level_3", "level_3_raw", m.level_3_e8)
        }
        ItchMessage::MwcbStatus(m) => f.code("breached_level", m.breached_level),
        ItchMessage::IpoQuotingPeriodUpdate(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.int(
                "ipo_quotation_release_time_s",
                m.ipo_quotation_release_time_s,
            )?;
            f.code(
                "ipo_quotation_release_qualifier",
                m.ipo_quotation_release_qualifier,
            )?;
            price!(f, m, ipo_price)
        }
        ItchMessage::LuldAuctionCollar(m) => {
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, auction_collar_reference_price)?;
            price!(f, m, upper_auction_collar_price)?;
            price!(f, m, lower_auction_collar_price)?;
            f.int("auction_collar_extension", m.auction_collar_extension)
        }
        ItchMessage::OperationalHalt(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("market_code", m.market_code)?;
            f.code("operational_halt_action", m.operational_halt_action)
        }
        ItchMessage::AddOrder(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.side(m.side)?;
            f.shares("shares", m.shares)?;
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, price)
        }
        ItchMessage::AddOrderMpid(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.side(m.side)?;
            f.shares("shares", m.shares)?;
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, price)?;
            f.alpha("attribution", &m.attribution.0)
        }
        ItchMessage::OrderExecuted(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.shares("executed_shares", m.executed_shares)?;
            f.int("match_number", m.match_number)
        }
        ItchMessage::OrderExecutedWithPrice(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.shares("executed_shares", m.executed_shares)?;
            f.int("match_number", m.match_number)?;
            f.code("printable", m.printable)?;
            price!(f, m, execution_price)
        }
        ItchMessage::OrderCancel(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.shares("cancelled_shares", m.cancelled_shares)
        }
        ItchMessage::OrderDelete(m) => f.int("order_reference_number", m.order_reference_number),
        ItchMessage::OrderReplace(m) => {
            f.int(
                "original_order_reference_number",
                m.original_order_reference_number,
            )?;
            f.int("new_order_reference_number", m.new_order_reference_number)?;
            f.shares("shares", m.shares)?;
            price!(f, m, price)
        }
        ItchMessage::Trade(m) => {
            f.int("order_reference_number", m.order_reference_number)?;
            f.side(m.side)?;
            f.shares("shares", m.shares)?;
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, price)?;
            f.int("match_number", m.match_number)
        }
        ItchMessage::CrossTrade(m) => {
            f.int("shares", m.shares)?;
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, cross_price)?;
            f.int("match_number", m.match_number)?;
            f.code("cross_type", m.cross_type)
        }
        ItchMessage::BrokenTrade(m) => f.int("match_number", m.match_number),
        ItchMessage::Noii(m) => {
            f.int("paired_shares", m.paired_shares)?;
            f.int("imbalance_shares", m.imbalance_shares)?;
            f.code("imbalance_direction", m.imbalance_direction)?;
            f.alpha("stock", &m.stock.0)?;
            price!(f, m, far_price)?;
            price!(f, m, near_price)?;
            price!(f, m, current_reference_price)?;
            f.code("cross_type", m.cross_type)?;
            f.code("price_variation_indicator", m.price_variation_indicator)
        }
        ItchMessage::RetailInterest(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("interest_flag", m.interest_flag)
        }
        ItchMessage::DirectListingCapitalRaise(m) => {
            f.alpha("stock", &m.stock.0)?;
            f.code("open_eligibility_status", m.open_eligibility_status)?;
            price!(f, m, minimum_allowable_price)?;
            price!(f, m, maximum_allowable_price)?;
            price!(f, m, near_execution_price)?;
            f.int("near_execution_time_ns", m.near_execution_time_ns)?;
            price!(f, m, lower_price_range_collar)?;
            price!(f, m, upper_price_range_collar)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbar_itch::decode;

    fn to_json(bytes: &[u8], origin: Origin<'_>) -> String {
        let message = decode(bytes).unwrap();
        serde_json::to_string(&MessageJson {
            message: &message,
            origin,
        })
        .unwrap()
    }

    #[test]
    fn add_order_fields_in_wire_order() {
        // A, locate 7, tracking 1, ts 0x010203040506, ref 42, B, 300 shares, "AB", $12.3400.
        let mut bytes = vec![b'A', 0, 7, 0, 1, 1, 2, 3, 4, 5, 6];
        bytes.extend_from_slice(&42u64.to_be_bytes());
        bytes.push(b'B');
        bytes.extend_from_slice(&300u32.to_be_bytes());
        bytes.extend_from_slice(b"AB      ");
        bytes.extend_from_slice(&123_400u32.to_be_bytes());
        assert_eq!(
            to_json(&bytes, Origin::Day { offset: 9 }),
            concat!(
                r#"{"type":"A","offset":9,"stock_locate":7,"tracking_number":1,"#,
                r#""timestamp_ns":1108152157446,"order_reference_number":42,"#,
                r#""buy_sell_indicator":"B","shares":300,"stock":"AB","price":"12.3400","#,
                r#""price_raw":123400}"#
            )
        );
    }

    #[test]
    fn mold_origin_and_price8_and_escaping() {
        // V with levels 1.5, 0.00000001 and 123456.78901234 (Price (8)).
        let mut bytes = vec![b'V', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        for raw in [150_000_000u64, 1, 12_345_678_901_234] {
            bytes.extend_from_slice(&raw.to_be_bytes());
        }
        let session = Session(*b"SESS\"1    ");
        let json = to_json(
            &bytes,
            Origin::Mold {
                session: &session,
                sequence: 5,
                capture_timestamp_ns: 6,
            },
        );
        assert_eq!(
            json,
            concat!(
                r#"{"type":"V","session":"SESS\"1","sequence":5,"capture_timestamp_ns":6,"#,
                r#""stock_locate":0,"tracking_number":0,"timestamp_ns":1,"#,
                r#""level_1":"1.50000000","level_1_raw":150000000,"#,
                r#""level_2":"0.00000001","level_2_raw":1,"#,
                r#""level_3":"123456.78901234","level_3_raw":12345678901234}"#
            )
        );
    }

    #[test]
    fn alpha_trimming_and_invalid_utf8() {
        let text = |b: &[u8]| serde_json::to_string(&Alpha(b)).unwrap();
        assert_eq!(text(b"Z "), r#""Z""#);
        assert_eq!(text(b" "), r#""""#);
        assert_eq!(text(b" A  "), r#"" A""#);
        assert_eq!(text(&[0xff, b'A']), "\"\u{fffd}A\"");
        assert_eq!(text(&[0x01]), r#""\u0001""#);
        assert_eq!(text(&[b'S', 0, 0, b' ']), r#""S""#);
    }
}
