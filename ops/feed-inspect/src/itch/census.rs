//! The census written after the messages: counts per ITCH message type, total, skipped
//! errors, and the source's framing counters, as one JSON object
//! `{"census": {...}}` (schema in `docs/feed-inspect.md`).

use crossbar_itch::{Census, FrameStats};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Day-file framing counters ([`FrameStats`] of `crossbar-itch`), in bytes and frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayStats {
    /// Bytes consumed, prefixes included.
    pub bytes: u64,
    /// Frames whose length prefix was 0 (length taken from the type).
    pub zero_prefix_frames: u64,
    /// Frames with a type ITCH 5.0 does not define.
    pub unknown_type: u64,
    /// Frames shorter than their type's length or cut off by the end of the file.
    pub truncated: u64,
    /// Frames longer than their type's length.
    pub length_mismatch: u64,
    /// Frames with an invalid validated field (e.g. Buy/Sell Indicator).
    pub bad_field: u64,
    /// Bytes left unread because the framing was lost (zero prefix + unknown type, or a
    /// frame cut off at the end).
    pub bytes_unframed: u64,
}

impl From<FrameStats> for DayStats {
    fn from(s: FrameStats) -> Self {
        DayStats {
            bytes: s.bytes,
            zero_prefix_frames: s.zero_prefix_frames,
            unknown_type: s.unknown_type,
            truncated: s.truncated,
            length_mismatch: s.length_mismatch,
            bad_field: s.bad_field,
            bytes_unframed: s.bytes_unframed,
        }
    }
}

/// Capture and MoldUDP64 counters for a pcap/pcapng input (packets are records of the file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PcapStats {
    /// UDP datagrams read (each should be a MoldUDP64 downstream packet).
    pub udp_packets: u64,
    /// TCP segments in the capture (ignored: MoldUDP64 is UDP).
    pub tcp_packets: u64,
    /// Capture records that were not IP/UDP/TCP (ARP, fragments, ...), skipped by the reader.
    pub other_records: u64,
    /// MoldUDP64 packets carrying messages (Message Count 1..=0xFFFE).
    pub data_packets: u64,
    /// MoldUDP64 heartbeats (Message Count 0).
    pub heartbeats: u64,
    /// MoldUDP64 end-of-session packets (Message Count 0xFFFF).
    pub end_of_session: u64,
    /// UDP payloads that are not valid MoldUDP64 packets (skipped whole).
    pub bad_packets: u64,
    /// Message blocks that are not valid ITCH 5.0 messages (skipped).
    pub bad_messages: u64,
}

/// Framing counters of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A day file.
    Day(DayStats),
    /// A pcap/pcapng capture.
    Pcap(PcapStats),
}

/// What one run read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CensusReport {
    /// The input file as given.
    pub file: String,
    /// Messages decoded per type.
    pub census: Census,
    /// Malformed messages and packets counted and skipped.
    pub errors: u64,
    /// True when `--limit` stopped the run before the end of the file.
    pub limit_reached: bool,
    /// The source's counters.
    pub detail: Detail,
}

/// The non-zero counts as a JSON object keyed by the type character.
struct Counts<'a>(&'a Census);

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nonzero = self.0.nonzero();
        let mut map = serializer.serialize_map(Some(nonzero.len()))?;
        for (message_type, count) in nonzero {
            map.serialize_entry(&char::from(message_type), &count)?;
        }
        map.end()
    }
}

/// The body of `{"census": ...}`.
struct Body<'a>(&'a CensusReport);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("file", &r.file)?;
        let format = match r.detail {
            Detail::Day(_) => "day",
            Detail::Pcap(_) => "pcap",
        };
        map.serialize_entry("format", format)?;
        map.serialize_entry("counts", &Counts(&r.census))?;
        map.serialize_entry("total", &r.census.total())?;
        map.serialize_entry("errors", &r.errors)?;
        map.serialize_entry("limit_reached", &r.limit_reached)?;
        match &r.detail {
            Detail::Day(stats) => map.serialize_entry("day", stats)?,
            Detail::Pcap(stats) => map.serialize_entry("pcap", stats)?,
        }
        map.end()
    }
}

impl Serialize for CensusReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("census", &Body(self))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_json_shape() {
        let mut census = Census::new();
        census.add_type(b'S');
        census.add_type(b'A');
        census.add_type(b'A');
        let report = CensusReport {
            file: "f.itch".into(),
            census,
            errors: 1,
            limit_reached: false,
            detail: Detail::Day(DayStats {
                bytes: 10,
                truncated: 1,
                ..DayStats::default()
            }),
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            concat!(
                r#"{"census":{"file":"f.itch","format":"day","counts":{"A":2,"S":1},"total":3,"#,
                r#""errors":1,"limit_reached":false,"day":{"bytes":10,"zero_prefix_frames":0,"#,
                r#""unknown_type":0,"truncated":1,"length_mismatch":0,"bad_field":0,"#,
                r#""bytes_unframed":0}}}"#
            )
        );
    }
}
