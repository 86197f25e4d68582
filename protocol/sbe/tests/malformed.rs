//! Malformed buffers return typed errors: never a panic, never a read out of bounds.

use crossbar_sbe::generated as g;
use crossbar_sbe::{
    decode, decode_view, encode, sample_messages, DecodeError, Message, MessageKind,
};

fn encoded(msg: &Message) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let len = encode(msg, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

fn sample(kind: MessageKind) -> Vec<u8> {
    encoded(sample_messages().iter().find(|m| m.kind() == kind).unwrap())
}

const H: usize = 8;

#[test]
fn every_truncation_is_an_error() {
    for msg in sample_messages() {
        let frame = encoded(&msg);
        for len in 0..frame.len() {
            // Copy into an exact-length Vec so any over-read would hit the allocation end.
            let cut = frame[..len].to_vec();
            let err = decode(&cut).unwrap_err();
            let code = err.code();
            assert!(
                matches!(
                    code,
                    "SBE_SHORT_BUFFER" | "SBE_BAD_GROUP" | "SBE_BAD_VAR_DATA"
                ),
                "{:?} len={len}: {err}",
                msg.kind()
            );
            assert!(err.to_string().starts_with(code));
        }
    }
    assert_eq!(
        decode(&[]).unwrap_err(),
        DecodeError::ShortBuffer {
            field: "messageHeader",
            needed: 8,
            available: 0
        }
    );
}

#[test]
fn wrong_schema_id_is_rejected() {
    let mut frame = sample(MessageKind::Heartbeat);
    frame[4..6].copy_from_slice(&101u16.to_le_bytes());
    assert_eq!(
        decode(&frame).unwrap_err(),
        DecodeError::SchemaMismatch {
            expected: 100,
            actual: 101
        }
    );
    assert_eq!(
        decode(&frame).unwrap_err().to_string(),
        "SBE_SCHEMA_MISMATCH expected=100 actual=101"
    );
}

#[test]
fn unknown_template_id_is_rejected() {
    for template_id in [0u16, 2, 15, 25, 39, u16::MAX] {
        let mut frame = sample(MessageKind::Heartbeat);
        frame[2..4].copy_from_slice(&template_id.to_le_bytes());
        assert_eq!(
            decode(&frame).unwrap_err(),
            DecodeError::UnknownTemplate { template_id }
        );
    }
}

#[test]
fn group_count_beyond_the_buffer_is_rejected() {
    for (kind, group, block) in [
        (
            MessageKind::BookLevelDelta,
            "levels",
            g::BookLevelDeltaEncoder::BLOCK_LENGTH,
        ),
        (
            MessageKind::RiskLimits,
            "limits",
            g::RiskLimitsEncoder::BLOCK_LENGTH,
        ),
    ] {
        let mut frame = sample(kind);
        let dim = H + block;
        for count in [3u16, 4, 1_000, u16::MAX] {
            let actual = u16::from_le_bytes([frame[dim + 2], frame[dim + 3]]);
            if count <= actual {
                continue;
            }
            frame[dim + 2..dim + 4].copy_from_slice(&count.to_le_bytes());
            let err = decode(&frame).unwrap_err();
            assert!(
                matches!(err, DecodeError::BadGroup { group: g, num_in_group, .. } if g == group && num_in_group == count),
                "{err}"
            );
        }
        // Entry block length shorter than ours.
        let mut frame = sample(kind);
        frame[dim..dim + 2].copy_from_slice(&4u16.to_le_bytes());
        assert!(matches!(
            decode(&frame).unwrap_err(),
            DecodeError::BadGroup {
                block_length: 4,
                ..
            }
        ));
        // Zero entries with any block length is fine (and then leaves trailing bytes).
        let mut frame = sample(kind);
        frame[dim..dim + 4].copy_from_slice(&[0, 0, 0, 0]);
        frame.truncate(dim + 4);
        assert!(decode(&frame).is_ok());
    }
}

#[test]
fn var_data_length_past_the_end_or_over_max_is_rejected() {
    for (kind, field, block) in [
        (
            MessageKind::ExecutionReport,
            "text",
            g::ExecutionReportEncoder::BLOCK_LENGTH,
        ),
        (
            MessageKind::OrderReject,
            "text",
            g::OrderRejectEncoder::BLOCK_LENGTH,
        ),
        (
            MessageKind::KillSwitch,
            "reason",
            g::KillSwitchEncoder::BLOCK_LENGTH,
        ),
    ] {
        let mut frame = sample(kind);
        let at = H + block;
        let actual = usize::from(u16::from_le_bytes([frame[at], frame[at + 1]]));
        frame[at..at + 2].copy_from_slice(&((actual + 1) as u16).to_le_bytes());
        assert_eq!(
            decode(&frame).unwrap_err(),
            DecodeError::BadVarData {
                field,
                length: actual + 1,
                max: 1024,
                available: actual
            }
        );
        // Over the schema maximum even though the bytes are there.
        let mut frame = sample(kind);
        frame.truncate(at);
        frame.extend_from_slice(&1025u16.to_le_bytes());
        frame.extend(std::iter::repeat_n(b'a', 1025));
        assert!(matches!(
            decode(&frame).unwrap_err(),
            DecodeError::BadVarData { length: 1025, .. }
        ));
        // Not UTF-8.
        let mut frame = sample(kind);
        frame[at + 3] = 0xFF;
        assert_eq!(
            decode(&frame).unwrap_err(),
            DecodeError::BadText {
                field,
                encoding: "UTF-8",
                valid_up_to: 1
            }
        );
    }
}

fn with_byte(kind: MessageKind, offset: usize, value: &[u8]) -> Result<Message, DecodeError> {
    let mut frame = sample(kind);
    frame[H + offset..H + offset + value.len()].copy_from_slice(value);
    let view = decode_view(&frame).map(|v| v.kind());
    let owned = decode(&frame);
    assert_eq!(view.is_ok(), owned.is_ok());
    owned
}

#[test]
fn bad_enum_values_are_rejected() {
    type NC = g::NewChildOrderDecoder<'static>;
    type ER = g::ExecutionReportDecoder<'static>;
    type KS = g::KillSwitchDecoder<'static>;
    let cases: Vec<(MessageKind, usize, Vec<u8>, &str, u16)> = vec![
        (
            MessageKind::NewChildOrder,
            NC::SIDE_ENCODING_OFFSET,
            vec![b'X'],
            "side",
            u16::from(b'X'),
        ),
        (
            MessageKind::NewChildOrder,
            NC::SIDE_ENCODING_OFFSET,
            vec![0],
            "side",
            0,
        ),
        (
            MessageKind::NewChildOrder,
            NC::TIME_IN_FORCE_ENCODING_OFFSET,
            vec![b'1'],
            "timeInForce",
            u16::from(b'1'),
        ),
        (
            MessageKind::ExecutionReport,
            ER::EXEC_TYPE_ENCODING_OFFSET,
            vec![8],
            "execType",
            8,
        ),
        (
            MessageKind::ExecutionReport,
            ER::ORDER_STATUS_ENCODING_OFFSET,
            vec![255],
            "orderStatus",
            255,
        ),
        (
            MessageKind::OrderReject,
            g::OrderRejectDecoder::REJECT_REASON_ENCODING_OFFSET,
            vec![0, 0],
            "rejectReason",
            0,
        ),
        (
            MessageKind::OrderReject,
            g::OrderRejectDecoder::REJECT_REASON_ENCODING_OFFSET,
            vec![0xE7, 0x03],
            "rejectReason",
            999,
        ),
        (
            MessageKind::KillSwitch,
            KS::ACTIVE_ENCODING_OFFSET,
            vec![2],
            "active",
            2,
        ),
        (
            MessageKind::KillSwitch,
            KS::ALLOW_RISK_REDUCING_ENCODING_OFFSET,
            vec![255],
            "allowRiskReducing",
            255,
        ),
        (
            MessageKind::KillSwitch,
            KS::SCOPE_ENCODING_OFFSET,
            vec![3],
            "scope",
            3,
        ),
        (
            MessageKind::Trade,
            g::TradeDecoder::AGGRESSOR_SIDE_ENCODING_OFFSET,
            vec![b'b'],
            "aggressorSide",
            u16::from(b'b'),
        ),
        (
            MessageKind::InstrumentStatus,
            g::InstrumentStatusDecoder::TRADING_STATUS_ENCODING_OFFSET,
            vec![4],
            "tradingStatus",
            4,
        ),
        (
            MessageKind::FeedStatus,
            g::FeedStatusDecoder::FEED_STATE_ENCODING_OFFSET,
            vec![9],
            "feedState",
            9,
        ),
        // First group entry of BookLevelDelta: after the root block and the 4-byte dimension.
        (
            MessageKind::BookLevelDelta,
            g::BookLevelDeltaEncoder::BLOCK_LENGTH + 4,
            vec![3],
            "action",
            3,
        ),
        (
            MessageKind::BookLevelDelta,
            g::BookLevelDeltaEncoder::BLOCK_LENGTH + 4 + 24 + 1,
            vec![b'T' + 1],
            "side",
            u16::from(b'U'),
        ),
    ];
    for (kind, offset, bytes, field, value) in cases {
        assert_eq!(
            with_byte(kind, offset, &bytes).unwrap_err(),
            DecodeError::BadEnum { field, value },
            "{kind:?} {field}"
        );
    }
    // Sell short is valid in a book entry side byte too (it is the generic side enum).
    assert!(with_byte(
        MessageKind::BookLevelDelta,
        g::BookLevelDeltaEncoder::BLOCK_LENGTH + 5,
        b"T"
    )
    .is_ok());
}

#[test]
fn non_ascii_symbol_is_rejected() {
    let off = g::InstrumentStatusDecoder::SYMBOL_ENCODING_OFFSET;
    assert_eq!(
        with_byte(MessageKind::InstrumentStatus, off + 2, &[0xC3]).unwrap_err(),
        DecodeError::BadText {
            field: "symbol",
            encoding: "US-ASCII",
            valid_up_to: 2
        }
    );
}

/// xorshift64* with a fixed seed: reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_mutations_never_panic_and_what_decodes_re_encodes() {
    let frames: Vec<Vec<u8>> = sample_messages().iter().map(encoded).collect();
    let mut rng = Rng(0x5EED_C0DE_CAFE_F00D);
    let (mut ok, mut err) = (0usize, 0usize);
    let mut out = vec![0u8; 8192];
    for _ in 0..100_000 {
        let mut frame = frames[rng.below(frames.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(6) {
                // Flip a random byte anywhere.
                0 | 1 => {
                    let i = rng.below(frame.len());
                    frame[i] = rng.next() as u8;
                }
                // Hit the header or the first group/var-data length: the interesting fields.
                2 => {
                    let i = rng.below(frame.len().min(H + 2));
                    frame[i] = rng.next() as u8;
                }
                3 => {
                    let len = rng.below(frame.len() + 1);
                    frame.truncate(len);
                }
                4 => {
                    let n = rng.below(8);
                    frame.extend((0..n).map(|_| rng.next() as u8));
                }
                _ => {
                    if frame.len() >= 2 {
                        let i = rng.below(frame.len() - 1);
                        frame[i..i + 2].copy_from_slice(&(rng.next() as u16).to_le_bytes());
                    }
                }
            }
            if frame.is_empty() {
                break;
            }
        }
        let frame = frame.clone(); // exact-length allocation
        match decode(&frame) {
            Ok(msg) => {
                ok += 1;
                // Whatever decodes is a valid message: it re-encodes and decodes to itself.
                let len = encode(&msg, &mut out).unwrap();
                assert_eq!(decode(&out[..len]).unwrap(), msg);
            }
            Err(e) => {
                err += 1;
                assert!(e.to_string().starts_with(e.code()));
            }
        }
    }
    assert!(ok > 1_000 && err > 1_000, "ok={ok} err={err}");
}
