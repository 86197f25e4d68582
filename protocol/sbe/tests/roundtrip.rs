//! Every message kind round-trips through encode/decode, through both the owned and the
//! flyweight path.

use crossbar_sbe::{
    decode, decode_view, encode, read_header, sample_messages, EncodeError, Message, MessageKind,
    SCHEMA_ID, SCHEMA_VERSION,
};

#[test]
fn samples_cover_every_kind_once_in_order() {
    let kinds: Vec<MessageKind> = sample_messages().iter().map(Message::kind).collect();
    assert_eq!(kinds, Message::ALL_KINDS.to_vec());
    for kind in MessageKind::ALL {
        assert_eq!(
            MessageKind::from_template_id(kind.template_id()),
            Some(kind)
        );
    }
    assert_eq!(MessageKind::from_template_id(0), None);
    assert_eq!(MessageKind::from_template_id(2), None);
}

#[test]
fn every_message_round_trips() {
    let mut buf = [0u8; 2048];
    for msg in sample_messages() {
        let len = encode(&msg, &mut buf).unwrap();
        assert_eq!(len, msg.encoded_len().unwrap(), "{:?}", msg.kind());
        let header = read_header(&buf[..len]).unwrap();
        assert_eq!(header.kind, msg.kind());
        assert_eq!(header.version, SCHEMA_VERSION);
        assert_eq!(u16::from_le_bytes([buf[4], buf[5]]), SCHEMA_ID);
        let view = decode_view(&buf[..len]).unwrap();
        assert_eq!(view.kind(), msg.kind());
        assert_eq!(view.to_message().unwrap(), msg);
        assert_eq!(decode(&buf[..len]).unwrap(), msg, "{:?}", msg.kind());
    }
}

#[test]
fn encoding_does_not_depend_on_buffer_contents() {
    for msg in sample_messages() {
        let mut zeros = vec![0u8; 2048];
        let mut ones = vec![0xFFu8; 2048];
        let a = encode(&msg, &mut zeros).unwrap();
        let b = encode(&msg, &mut ones).unwrap();
        assert_eq!(zeros[..a], ones[..b], "{:?}", msg.kind());
        assert!(
            ones[b..].iter().all(|&x| x == 0xFF),
            "wrote past the message"
        );
    }
}

#[test]
fn absent_venue_timestamp_round_trips_as_none() {
    let mut msg = sample_messages().swap_remove(9);
    let Message::ExecutionReport(er) = &mut msg else {
        panic!("sample 9 is ExecutionReport")
    };
    er.venue_timestamp_ns = None;
    er.text.clear();
    let mut buf = [0u8; 256];
    let len = encode(&msg, &mut buf).unwrap();
    assert_eq!(decode(&buf[..len]).unwrap(), msg);
}

#[test]
fn encode_rejects_short_buffer_null_enum_and_long_text() {
    let msgs = sample_messages();
    let mut buf = [0u8; 4096];
    for msg in &msgs {
        let need = msg.encoded_len().unwrap();
        let err = encode(msg, &mut buf[..need - 1]).unwrap_err();
        assert!(
            matches!(err, EncodeError::ShortBuffer { needed, available, .. } if needed == need && available == need - 1)
        );
        assert!(err.to_string().starts_with("SBE_ENCODE_SHORT_BUFFER "));
    }
    let Message::ExecutionReport(mut er) = msgs[9].clone() else {
        panic!()
    };
    er.exec_type = crossbar_sbe::ExecType::NullVal;
    let err = encode(&Message::ExecutionReport(er.clone()), &mut buf).unwrap_err();
    assert_eq!(err, EncodeError::NullEnum { field: "execType" });
    er.exec_type = crossbar_sbe::ExecType::Fill;
    er.venue_timestamp_ns = Some(u64::MAX);
    let err = encode(&Message::ExecutionReport(er.clone()), &mut buf).unwrap_err();
    assert_eq!(
        err,
        EncodeError::NullValue {
            field: "venueTimestampNs"
        }
    );
    er.venue_timestamp_ns = None;
    er.text = "x".repeat(1025);
    let err = encode(&Message::ExecutionReport(er.clone()), &mut buf).unwrap_err();
    assert_eq!(
        err,
        EncodeError::VarDataTooLong {
            field: "text",
            length: 1025,
            max: 1024
        }
    );
    er.text = "x".repeat(1024);
    let len = encode(&Message::ExecutionReport(er.clone()), &mut buf).unwrap();
    assert_eq!(decode(&buf[..len]).unwrap(), Message::ExecutionReport(er));
}

#[test]
fn group_count_limit_is_enforced_on_encode() {
    let Message::RiskLimits(mut limits) = sample_messages().swap_remove(14) else {
        panic!()
    };
    let entry = limits.limits[0];
    limits.limits = vec![entry; 65_536];
    let msg = Message::RiskLimits(limits);
    assert_eq!(
        msg.encoded_len().unwrap_err(),
        EncodeError::GroupTooLarge {
            group: "limits",
            count: 65_536,
            max: 65_535
        }
    );
}
