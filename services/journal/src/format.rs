//! The bytes on disk: segment headers, record headers, CRC-32C, and reading one record slot.
//! Pure functions over byte slices: no files, no mappings, so they are tested directly and
//! never panic on any input (every read is bounds-checked first).
#![forbid(unsafe_code)]

use crate::limits::{
    frame_len, PAYLOAD_BYTES_CEILING, RECORD_ALIGN, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN,
};

/// Magic at the start of every segment file.
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"XBARJNL1";
/// Segment format version written by this code.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Whether a journalled message entered or left the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Direction {
    /// Received (from Aeron, a venue session, or the control plane) before it was acted on.
    Inbound = 1,
    /// About to be sent, journalled before the send.
    Outbound = 2,
}

impl Direction {
    /// The wire tag (byte 24 of the record header).
    pub const fn tag(self) -> u8 {
        self as u8
    }

    /// The direction for a wire tag; `None` for any other byte (0 is never valid, so a zeroed
    /// header never validates).
    pub const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Direction::Inbound),
            2 => Some(Direction::Outbound),
            _ => None,
        }
    }

    /// `"inbound"` / `"outbound"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// One validated record, borrowed from a segment's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Journal sequence number, 1 for the first record, +1 per record, no holes.
    pub sequence: u64,
    /// When the writer journalled it: ns since the Unix epoch, UTC (the caller's `now_ns`).
    pub timestamp_ns: u64,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The peer the message came from or goes to, in the caller's id space (Crossbar uses the
    /// SBE `GatewayId` space: 0 = aggregator/router, N = gateway N).
    pub source_id: u16,
    /// The payload exactly as appended: the SBE message bytes as they are on Aeron.
    pub payload: &'a [u8],
    /// Byte offset of the record header in its segment file.
    pub offset: usize,
}

/// Header fields of a record about to be written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecordHeader {
    pub sequence: u64,
    pub timestamp_ns: u64,
    pub direction: Direction,
    pub source_id: u16,
    pub payload_len: u32,
}

impl RecordHeader {
    /// Writes every header byte except the CRC (bytes 4..32) into `out[..RECORD_HEADER_LEN]`.
    #[inline]
    pub(crate) fn write_without_crc(&self, out: &mut [u8]) {
        out[4..8].copy_from_slice(&self.payload_len.to_le_bytes());
        out[8..16].copy_from_slice(&self.sequence.to_le_bytes());
        out[16..24].copy_from_slice(&self.timestamp_ns.to_le_bytes());
        out[24] = self.direction.tag();
        out[25] = 0;
        out[26..28].copy_from_slice(&self.source_id.to_le_bytes());
        out[28..32].copy_from_slice(&0u32.to_le_bytes());
    }
}

/// CRC-32C (Castagnoli) of a record: header bytes 4..32 then the payload, i.e. the contiguous
/// bytes `frame[4..RECORD_HEADER_LEN + payload_len]`.
#[inline]
pub(crate) fn record_crc(header_and_payload_after_crc: &[u8]) -> u32 {
    crc32c::crc32c(header_and_payload_after_crc)
}

/// Why the bytes at a record position are not the expected record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Payload length 0 or above [`PAYLOAD_BYTES_CEILING`].
    BadLength(u32),
    /// The record would run past the end of the segment.
    Overruns(u32),
    /// CRC-32C mismatch.
    BadCrc { stored: u32, computed: u32 },
    /// CRC is good but the sequence is not the next one.
    WrongSequence(u64),
    /// CRC is good but the direction tag or a reserved byte is invalid.
    BadHeaderField,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::BadLength(len) => write!(f, "bad_length payload_len={len}"),
            Invalid::Overruns(len) => write!(f, "overruns_segment payload_len={len}"),
            Invalid::BadCrc { stored, computed } => {
                write!(f, "bad_crc stored={stored:#010x} computed={computed:#010x}")
            }
            Invalid::WrongSequence(found) => write!(f, "wrong_sequence found={found}"),
            Invalid::BadHeaderField => f.write_str("bad_header_field"),
        }
    }
}

/// What lies at a record position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot<'a> {
    /// The expected record, valid.
    Record(Record<'a>),
    /// No record: a zeroed header (never written) or less than a header left in the segment.
    Empty,
    /// Something that is not the expected valid record.
    Invalid(Invalid),
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(b)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

fn u16_at(buf: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([buf[at], buf[at + 1]])
}

/// Reads the slot at `offset` of `segment` (the whole segment's bytes), expecting sequence
/// `expected`. `offset` must be 8-aligned and at least [`SEGMENT_HEADER_LEN`].
pub(crate) fn read_slot(segment: &[u8], offset: usize, expected: u64) -> Slot<'_> {
    debug_assert!(offset.is_multiple_of(RECORD_ALIGN) && offset >= SEGMENT_HEADER_LEN);
    let Some(header) = segment.get(offset..offset + RECORD_HEADER_LEN) else {
        return Slot::Empty;
    };
    if header.iter().all(|b| *b == 0) {
        return Slot::Empty;
    }
    let payload_len = u32_at(header, 4);
    if payload_len == 0 || payload_len > PAYLOAD_BYTES_CEILING {
        return Slot::Invalid(Invalid::BadLength(payload_len));
    }
    let end = offset + RECORD_HEADER_LEN + payload_len as usize;
    if end > segment.len() {
        return Slot::Invalid(Invalid::Overruns(payload_len));
    }
    let stored = u32_at(header, 0);
    let computed = record_crc(&segment[offset + 4..end]);
    if stored != computed {
        return Slot::Invalid(Invalid::BadCrc { stored, computed });
    }
    let sequence = u64_at(header, 8);
    if sequence != expected {
        return Slot::Invalid(Invalid::WrongSequence(sequence));
    }
    let (Some(direction), 0, 0) = (
        Direction::from_tag(header[24]),
        header[25],
        u32_at(header, 28),
    ) else {
        return Slot::Invalid(Invalid::BadHeaderField);
    };
    Slot::Record(Record {
        sequence,
        timestamp_ns: u64_at(header, 16),
        direction,
        source_id: u16_at(header, 26),
        payload: &segment[offset + RECORD_HEADER_LEN..end],
        offset,
    })
}

/// The first 8-aligned offset at or after `from` holding a CRC-valid record whose sequence is
/// above `after_sequence`: evidence that data was committed after a bad slot, which turns a
/// torn tail into mid-journal corruption. Returns `(offset, sequence)`.
pub(crate) fn find_later_record(
    segment: &[u8],
    from: usize,
    after_sequence: u64,
) -> Option<(usize, u64)> {
    let mut offset = from.next_multiple_of(RECORD_ALIGN);
    while offset + RECORD_HEADER_LEN <= segment.len() {
        let header = &segment[offset..offset + RECORD_HEADER_LEN];
        let sequence = u64_at(header, 8);
        let payload_len = u32_at(header, 4);
        let plausible = sequence > after_sequence
            && payload_len != 0
            && payload_len <= PAYLOAD_BYTES_CEILING
            && Direction::from_tag(header[24]).is_some()
            && offset + RECORD_HEADER_LEN + payload_len as usize <= segment.len();
        if plausible && matches!(read_slot(segment, offset, sequence), Slot::Record(_)) {
            return Some((offset, sequence));
        }
        offset += RECORD_ALIGN;
    }
    None
}

/// Fields of a segment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub first_sequence: u64,
    pub segment_len: u64,
    pub created_ns: u64,
}

impl SegmentHeader {
    /// The 64 header bytes: magic, version u32, reserved u32, first sequence u64, segment
    /// length u64, creation ns u64, 20 reserved zero bytes, CRC-32C of bytes 0..60.
    pub(crate) fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut out = [0u8; SEGMENT_HEADER_LEN];
        out[0..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[16..24].copy_from_slice(&self.first_sequence.to_le_bytes());
        out[24..32].copy_from_slice(&self.segment_len.to_le_bytes());
        out[32..40].copy_from_slice(&self.created_ns.to_le_bytes());
        let crc = crc32c::crc32c(&out[..60]);
        out[60..64].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses and checks a segment header; the error text says what is wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let Some(h) = bytes.get(..SEGMENT_HEADER_LEN) else {
            return Err(format!("short_file len={}", bytes.len()));
        };
        if h[0..8] != SEGMENT_MAGIC {
            return Err("bad_magic".to_owned());
        }
        let stored = u32_at(h, 60);
        let computed = crc32c::crc32c(&h[..60]);
        if stored != computed {
            return Err(format!(
                "bad_header_crc stored={stored:#010x} computed={computed:#010x}"
            ));
        }
        let version = u32_at(h, 8);
        if version != FORMAT_VERSION {
            return Err(format!("unsupported_version version={version}"));
        }
        Ok(SegmentHeader {
            first_sequence: u64_at(h, 16),
            segment_len: u64_at(h, 24),
            created_ns: u64_at(h, 32),
        })
    }
}

/// Writes a complete record (header with CRC, payload) into `frame`, which must be at least
/// `RECORD_HEADER_LEN + payload.len()` bytes. Used by tests to build journals byte by byte.
#[cfg(test)]
pub(crate) fn encode_record(frame: &mut [u8], header: &RecordHeader, payload: &[u8]) {
    header.write_without_crc(frame);
    frame[RECORD_HEADER_LEN..RECORD_HEADER_LEN + payload.len()].copy_from_slice(payload);
    let crc = record_crc(&frame[4..RECORD_HEADER_LEN + payload.len()]);
    frame[0..4].copy_from_slice(&crc.to_le_bytes());
}

/// `frame_len` re-exported for the writer and reader modules.
pub(crate) const fn record_frame_len(payload_len: usize) -> usize {
    frame_len(payload_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment_with(records: &[(u64, &[u8])]) -> Vec<u8> {
        let mut seg = vec![0u8; 4096];
        let mut offset = SEGMENT_HEADER_LEN;
        for (seq, payload) in records {
            let h = RecordHeader {
                sequence: *seq,
                timestamp_ns: 1_000 + seq,
                direction: Direction::Outbound,
                source_id: 7,
                payload_len: payload.len() as u32,
            };
            encode_record(&mut seg[offset..], &h, payload);
            offset += record_frame_len(payload.len());
        }
        seg
    }

    #[test]
    fn record_round_trips_and_zero_header_is_empty() {
        let seg = segment_with(&[(1, b"abc"), (2, b"0123456789")]);
        let Slot::Record(r1) = read_slot(&seg, SEGMENT_HEADER_LEN, 1) else {
            panic!("record 1")
        };
        assert_eq!((r1.sequence, r1.timestamp_ns, r1.source_id), (1, 1_001, 7));
        assert_eq!(
            (r1.direction, r1.payload),
            (Direction::Outbound, &b"abc"[..])
        );
        let next = SEGMENT_HEADER_LEN + record_frame_len(3);
        assert_eq!(next, SEGMENT_HEADER_LEN + 40, "32 + 3 rounded up to 8");
        let Slot::Record(r2) = read_slot(&seg, next, 2) else {
            panic!("record 2")
        };
        assert_eq!(r2.payload, b"0123456789");
        let after = next + record_frame_len(10);
        assert_eq!(read_slot(&seg, after, 3), Slot::Empty);
        assert_eq!(read_slot(&seg, seg.len() - 8, 3), Slot::Empty, "short tail");
    }

    #[test]
    fn every_single_byte_flip_is_detected() {
        let seg = segment_with(&[(1, b"payload-bytes")]);
        let len = RECORD_HEADER_LEN + 13;
        for i in 0..len {
            let mut bad = seg.clone();
            bad[SEGMENT_HEADER_LEN + i] ^= 0x01;
            assert!(
                matches!(read_slot(&bad, SEGMENT_HEADER_LEN, 1), Slot::Invalid(_)),
                "flip at byte {i} went unnoticed"
            );
        }
    }

    #[test]
    fn wrong_sequence_and_bad_lengths_are_invalid() {
        let seg = segment_with(&[(5, b"x")]);
        assert_eq!(
            read_slot(&seg, SEGMENT_HEADER_LEN, 4),
            Slot::Invalid(Invalid::WrongSequence(5))
        );
        let mut huge = seg.clone();
        huge[SEGMENT_HEADER_LEN + 4..SEGMENT_HEADER_LEN + 8]
            .copy_from_slice(&(PAYLOAD_BYTES_CEILING + 1).to_le_bytes());
        assert!(matches!(
            read_slot(&huge, SEGMENT_HEADER_LEN, 5),
            Slot::Invalid(Invalid::BadLength(_))
        ));
        let mut over = seg.clone();
        over[SEGMENT_HEADER_LEN + 4..SEGMENT_HEADER_LEN + 8]
            .copy_from_slice(&5000u32.to_le_bytes());
        assert!(matches!(
            read_slot(&over, SEGMENT_HEADER_LEN, 5),
            Slot::Invalid(Invalid::Overruns(5000))
        ));
    }

    #[test]
    fn later_record_is_found_past_a_hole() {
        let seg = segment_with(&[(1, b"aaaa"), (2, b"bbbb"), (3, b"cccc")]);
        let mut holed = seg.clone();
        let second = SEGMENT_HEADER_LEN + record_frame_len(4);
        holed[second..second + 8].fill(0);
        let third = second + record_frame_len(4);
        assert_eq!(find_later_record(&holed, second, 1), Some((third, 3)));
        assert_eq!(find_later_record(&holed, third + 8, 1), None);
    }

    #[test]
    fn segment_header_round_trips_and_rejects_damage() {
        let h = SegmentHeader {
            first_sequence: 42,
            segment_len: 65_536,
            created_ns: 9,
        };
        let bytes = h.encode();
        assert_eq!(SegmentHeader::decode(&bytes), Ok(h));
        let mut bad = bytes;
        bad[20] ^= 1;
        assert!(SegmentHeader::decode(&bad)
            .unwrap_err()
            .starts_with("bad_header_crc"));
        assert!(SegmentHeader::decode(&bytes[..10])
            .unwrap_err()
            .starts_with("short_file"));
        assert_eq!(SegmentHeader::decode(&[0u8; 64]).unwrap_err(), "bad_magic");
    }
}
