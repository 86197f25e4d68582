//! The execution-stream sequence (`streamSequence`, schema version 2) of a frame, read and
//! stamped in place.
//!
//! A gateway numbers every message it sends the centre on the executions stream
//! (ExecutionReport 23, OrderReject 24, CreditReturn 31, PositionUpdate 32): 1 for the first
//! one its journal holds, +1 per message. The owned [`crate::Message`] structs do not carry
//! the number (it belongs to the stream, not to the event); these two functions work on the
//! encoded frame so the gateway stamps what the order-entry layer encoded, and the centre
//! reads it without decoding twice.
#![forbid(unsafe_code)]

use crate::decode::read_header;
use crate::encode::HEADER_LEN;
use crate::generated as g;
use crate::messages::MessageKind;

/// Offset of `streamSequence` in the root block of `kind`, when `kind` carries one.
const fn offset(kind: MessageKind) -> Option<(usize, u16)> {
    match kind {
        MessageKind::ExecutionReport => Some((
            g::ExecutionReportDecoder::STREAM_SEQUENCE_ENCODING_OFFSET,
            g::ExecutionReportDecoder::STREAM_SEQUENCE_SINCE_VERSION,
        )),
        MessageKind::OrderReject => Some((
            g::OrderRejectDecoder::STREAM_SEQUENCE_ENCODING_OFFSET,
            g::OrderRejectDecoder::STREAM_SEQUENCE_SINCE_VERSION,
        )),
        MessageKind::CreditReturn => Some((
            g::CreditReturnDecoder::STREAM_SEQUENCE_ENCODING_OFFSET,
            g::CreditReturnDecoder::STREAM_SEQUENCE_SINCE_VERSION,
        )),
        MessageKind::PositionUpdate => Some((
            g::PositionUpdateDecoder::STREAM_SEQUENCE_ENCODING_OFFSET,
            g::PositionUpdateDecoder::STREAM_SEQUENCE_SINCE_VERSION,
        )),
        _ => None,
    }
}

/// Byte range of the field in `frame`, when the frame's header is valid, its kind carries
/// the field and its version and root block include it.
fn field(frame: &[u8]) -> Option<usize> {
    let header = read_header(frame).ok()?;
    let (at, since) = offset(header.kind)?;
    if header.version < since || usize::from(header.block_length) < at + 8 {
        return None;
    }
    let start = HEADER_LEN + at;
    (frame.len() >= start + 8).then_some(start)
}

/// The `streamSequence` of an execution-stream frame: `None` for other messages, for frames
/// of a sender before schema version 2, and for the null value (u64::MAX, "not numbered").
/// Only the header is checked; decode the frame with [`crate::decode_view`] for the rest.
pub fn stream_sequence(frame: &[u8]) -> Option<u64> {
    let start = field(frame)?;
    let bytes: [u8; 8] = frame[start..start + 8].try_into().ok()?;
    let value = u64::from_le_bytes(bytes);
    (value != u64::MAX).then_some(value)
}

/// Writes `sequence` into the `streamSequence` of an execution-stream frame encoded at
/// schema version 2 or later. Returns false (frame untouched) for any other frame, or for
/// `sequence` = u64::MAX (the null value).
pub fn set_stream_sequence(frame: &mut [u8], sequence: u64) -> bool {
    if sequence == u64::MAX {
        return false;
    }
    let Some(start) = field(frame) else {
        return false;
    };
    frame[start..start + 8].copy_from_slice(&sequence.to_le_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_view, encode, sample_messages, Message, MessageView};

    #[test]
    fn stamps_and_reads_every_numbered_message_and_nothing_else() {
        for msg in sample_messages() {
            let mut buf = vec![0u8; msg.encoded_len().unwrap()];
            let len = encode(&msg, &mut buf).unwrap();
            let frame = &mut buf[..len];
            assert_eq!(stream_sequence(frame), None, "{:?} unnumbered", msg.kind());
            let numbered = matches!(
                msg,
                Message::ExecutionReport(_)
                    | Message::OrderReject(_)
                    | Message::CreditReturn(_)
                    | Message::PositionUpdate(_)
            );
            assert_eq!(set_stream_sequence(frame, 42), numbered, "{:?}", msg.kind());
            if !numbered {
                continue;
            }
            assert_eq!(stream_sequence(frame), Some(42));
            // The generated decoder reads the same field, and nothing else moved.
            let view = decode_view(frame).unwrap();
            let seen = match &view {
                MessageView::ExecutionReport(d) => d.stream_sequence(),
                MessageView::OrderReject(d) => d.stream_sequence(),
                MessageView::CreditReturn(d) => d.stream_sequence(),
                MessageView::PositionUpdate(d) => d.stream_sequence(),
                _ => unreachable!(),
            };
            assert_eq!(seen, Some(42));
            assert_eq!(view.to_message().unwrap(), msg);
            assert!(!set_stream_sequence(frame, u64::MAX));
        }
    }

    #[test]
    fn a_version_1_frame_has_no_sequence() {
        let msg = &sample_messages()[9]; // ExecutionReport
        let mut buf = vec![0u8; msg.encoded_len().unwrap()];
        let len = encode(msg, &mut buf).unwrap();
        // Re-frame as version 1: block 85 (no streamSequence), version 1.
        let mut v1 = buf[..8].to_vec();
        v1[0..2].copy_from_slice(&85u16.to_le_bytes());
        v1[6..8].copy_from_slice(&1u16.to_le_bytes());
        v1.extend_from_slice(&buf[8..8 + 85]);
        v1.extend_from_slice(&buf[8 + 93..len]);
        assert!(decode_view(&v1).is_ok());
        assert_eq!(stream_sequence(&v1), None);
        assert!(!set_stream_sequence(&mut v1, 5));
    }
}
