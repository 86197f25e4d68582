//! Schema evolution (SBE 1.0 §3.7 / docs/sbe.md): the `blockLength` in the message header
//! and in each group dimension header drives skipping, and `sinceVersion` fields of a newer
//! version than the sender's read as absent.

use crossbar_sbe::generated::ExecutionReportDecoder;
use crossbar_sbe::{
    decode, decode_view, encode, sample_messages, DecodeError, Message, MessageView,
};

const JUNK: u8 = 0xA5;

fn encoded(msg: &Message) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let len = encode(msg, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

/// Rebuilds `frame` as a sender of schema `version` with longer blocks would send it: the
/// root block grows by `root_extra` junk bytes, every entry of the (single) group by
/// `entry_extra` junk bytes, and `tail` (e.g. a var-data field added later) is appended.
fn widen(
    frame: &[u8],
    has_group: bool,
    root_extra: usize,
    entry_extra: usize,
    version: u16,
    tail: &[u8],
) -> Vec<u8> {
    let block = usize::from(u16::from_le_bytes([frame[0], frame[1]]));
    let mut out = Vec::new();
    out.extend_from_slice(&((block + root_extra) as u16).to_le_bytes());
    out.extend_from_slice(&frame[2..6]);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&frame[8..8 + block]);
    out.extend(std::iter::repeat_n(JUNK, root_extra));
    let mut pos = 8 + block;
    if has_group {
        let entry = usize::from(u16::from_le_bytes([frame[pos], frame[pos + 1]]));
        let count = usize::from(u16::from_le_bytes([frame[pos + 2], frame[pos + 3]]));
        out.extend_from_slice(&((entry + entry_extra) as u16).to_le_bytes());
        out.extend_from_slice(&frame[pos + 2..pos + 4]);
        pos += 4;
        for _ in 0..count {
            out.extend_from_slice(&frame[pos..pos + entry]);
            out.extend(std::iter::repeat_n(JUNK, entry_extra));
            pos += entry;
        }
    }
    out.extend_from_slice(&frame[pos..]);
    out.extend_from_slice(tail);
    out
}

#[test]
fn longer_root_and_group_blocks_from_a_newer_version_are_skipped() {
    for msg in sample_messages() {
        let has_group = matches!(
            msg,
            Message::BookLevelDelta(_) | Message::RiskLimits(_) | Message::LimitsState(_)
        );
        let frame = encoded(&msg);
        // A sender of the next version appended 8 bytes to the root block and 6 to each group
        // entry, and a new var-data field (length 3 + "new") after ours.
        let newer = widen(
            &frame,
            has_group,
            8,
            6,
            crossbar_sbe::SCHEMA_VERSION + 1,
            &[3, 0, b'n', b'e', b'w'],
        );
        assert_ne!(newer, frame);
        assert_eq!(decode(&newer).unwrap(), msg, "{:?}", msg.kind());
    }
}

#[test]
fn longer_blocks_at_our_own_version_still_decode_but_trailing_bytes_do_not() {
    for msg in sample_messages() {
        let has_group = matches!(
            msg,
            Message::BookLevelDelta(_) | Message::RiskLimits(_) | Message::LimitsState(_)
        );
        let frame = encoded(&msg);
        let wider = widen(&frame, has_group, 5, 3, crossbar_sbe::SCHEMA_VERSION, &[]);
        assert_eq!(decode(&wider).unwrap(), msg, "{:?}", msg.kind());
        let trailing = widen(&frame, has_group, 0, 0, crossbar_sbe::SCHEMA_VERSION, &[0]);
        assert!(
            matches!(decode(&trailing), Err(DecodeError::TrailingBytes { buffer_len, message_len, .. }) if buffer_len == message_len + 1),
            "{:?}",
            msg.kind()
        );
    }
}

/// The ExecutionReport as a version-0 sender (before `venueTimestampNs`) would send it.
fn execution_report_v0(frame_v1: &[u8], block_length: u16) -> Vec<u8> {
    let v0_fields = ExecutionReportDecoder::VENUE_TIMESTAMP_NS_ENCODING_OFFSET;
    let mut out = Vec::new();
    out.extend_from_slice(&block_length.to_le_bytes());
    out.extend_from_slice(&frame_v1[2..6]);
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&frame_v1[8..8 + v0_fields]);
    out.extend(std::iter::repeat_n(
        0u8,
        usize::from(block_length) - v0_fields,
    ));
    out.extend_from_slice(&frame_v1[8 + ExecutionReportDecoder::BLOCK_LENGTH..]);
    out
}

#[test]
fn older_version_without_since_version_field_reads_it_as_absent() {
    let msg = sample_messages().swap_remove(9);
    let Message::ExecutionReport(expected) = &msg else {
        panic!("sample 9 is ExecutionReport")
    };
    assert!(expected.venue_timestamp_ns.is_some());
    let frame = encoded(&msg);
    let v0 = execution_report_v0(&frame, 77);
    // Version 2 added streamSequence (8 bytes) after venueTimestampNs (8 bytes).
    assert_eq!(v0.len(), frame.len() - 16);
    let Message::ExecutionReport(got) = decode(&v0).unwrap() else {
        panic!("kind")
    };
    assert_eq!(got.venue_timestamp_ns, None);
    assert_eq!(got.text, expected.text);
    assert_eq!(
        Message::ExecutionReport(got.clone()),
        Message::ExecutionReport(crossbar_sbe::ExecutionReport {
            venue_timestamp_ns: None,
            ..expected.clone()
        })
    );
    let MessageView::ExecutionReport(view) = decode_view(&v0).unwrap() else {
        panic!("kind")
    };
    assert_eq!(view.acting_version(), 0);
    assert_eq!(view.venue_timestamp_ns(), None);
    // A version-0 sender whose block happens to be padded to 85 bytes: the bytes at the
    // version-1 field are padding, not a timestamp.
    let padded = execution_report_v0(&frame, 85);
    let Message::ExecutionReport(got) = decode(&padded).unwrap() else {
        panic!("kind")
    };
    assert_eq!(got.venue_timestamp_ns, None);
    assert_eq!(got.text, expected.text);
}

#[test]
fn block_length_shorter_than_the_version_requires_is_rejected() {
    let frame = encoded(&sample_messages()[9]);
    // Version 1 header but the version-0 block length: the v1 field would be missing.
    let mut short = execution_report_v0(&frame, 77);
    short[6] = 1;
    assert_eq!(
        decode(&short).unwrap_err(),
        DecodeError::BadBlockLength {
            template_id: 23,
            version: 1,
            block_length: 77,
            min: 85
        }
    );
    // Version 0 with a block shorter than the version-0 fields.
    let mut shorter = frame.clone();
    shorter[0] = 76;
    shorter[6] = 0;
    assert!(matches!(
        decode(&shorter),
        Err(DecodeError::BadBlockLength { min: 77, .. })
    ));
    for msg in sample_messages() {
        let mut frame = encoded(&msg);
        let block = u16::from_le_bytes([frame[0], frame[1]]);
        frame[0..2].copy_from_slice(&(block - 1).to_le_bytes());
        let err = decode(&frame).unwrap_err();
        assert_eq!(err.code(), "SBE_BAD_BLOCK_LENGTH", "{:?}", msg.kind());
    }
}

/// Pins the ergo-sbe 0.1.30 gaps the hand-written layer guards: the generated `try_decode`
/// accepts a header `blockLength` shorter than the root block (tails would then be read from
/// inside the root block) and maps unknown enum codes to `NullVal` without an error.
#[test]
fn generated_decoder_gaps_that_decode_view_closes() {
    let mut frame = encoded(&sample_messages()[1]); // BookLevelDelta
    frame[0..2].copy_from_slice(&2u16.to_le_bytes());
    assert!(crossbar_sbe::generated::BookLevelDeltaDecoder::try_decode(&frame, 0).is_ok());
    assert!(matches!(
        decode(&frame),
        Err(DecodeError::BadBlockLength {
            block_length: 2,
            min: 22,
            ..
        })
    ));

    let mut frame = encoded(&sample_messages()[6]); // NewChildOrder
    let side_at = 8 + crossbar_sbe::generated::NewChildOrderDecoder::SIDE_ENCODING_OFFSET;
    frame[side_at] = b'X';
    let raw = crossbar_sbe::generated::NewChildOrderDecoder::try_decode(&frame, 0).unwrap();
    assert_eq!(raw.side(), crossbar_sbe::generated::Side::NullVal);
    assert!(matches!(
        decode(&frame),
        Err(DecodeError::BadEnum { field: "side", .. })
    ));
}

/// Version 3 only added messages (LimitsState 37, CreditSlice 38): every message of
/// version 2 encoded by a version-2 sender (same layout, header version 2), as old journals
/// hold them, decodes to the same message.
#[test]
fn version_2_frames_decode_unchanged_under_version_3() {
    assert_eq!(crossbar_sbe::SCHEMA_VERSION, 3);
    let mut v2_kinds = 0;
    for msg in sample_messages() {
        if msg.kind().template_id() > 36 {
            continue;
        }
        let mut frame = encoded(&msg);
        frame[6..8].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(decode(&frame).unwrap(), msg, "{:?}", msg.kind());
        v2_kinds += 1;
    }
    assert_eq!(v2_kinds, 18);
}
