//! Malformed SBE buffers the initiator can send to prove the responder rejects them.

use crossbar_sbe::{encode, sample_messages, MessageKind};

/// One malformed buffer and what is wrong with it.
#[derive(Clone, Debug)]
pub struct MalformedProbe {
    /// What the probe breaks, for logs.
    pub description: &'static str,
    /// The bytes sent.
    pub bytes: Vec<u8>,
}

/// Buffers that must each be refused with a decode error: a truncated message, a wrong
/// schema id, an unknown template id, and a group count larger than the buffer.
pub fn malformed_probes() -> Vec<MalformedProbe> {
    let samples = sample_messages();
    let encoded = |kind: MessageKind| -> Vec<u8> {
        let msg = samples
            .iter()
            .find(|m| m.kind() == kind)
            .expect("every kind has a sample");
        let mut buf = vec![0u8; crate::MAX_MESSAGE_BYTES];
        let len = encode(msg, &mut buf).expect("samples encode");
        buf.truncate(len);
        buf
    };
    let order = encoded(MessageKind::NewChildOrder);
    let mut truncated = order.clone();
    truncated.truncate(order.len() / 2);
    let mut wrong_schema = order.clone();
    wrong_schema[4..6].copy_from_slice(&0x7777u16.to_le_bytes());
    let mut unknown_template = order;
    unknown_template[2..4].copy_from_slice(&0x7777u16.to_le_bytes());
    let mut group_overrun = encoded(MessageKind::BookLevelDelta);
    let header_len = crossbar_sbe::HEADER_LEN;
    let block = u16::from_le_bytes([group_overrun[0], group_overrun[1]]) as usize;
    let num_in_group_at = header_len + block + 2;
    group_overrun[num_in_group_at..num_in_group_at + 2].copy_from_slice(&1000u16.to_le_bytes());
    vec![
        MalformedProbe {
            description: "truncated NewChildOrder",
            bytes: truncated,
        },
        MalformedProbe {
            description: "wrong schema id",
            bytes: wrong_schema,
        },
        MalformedProbe {
            description: "unknown template id",
            bytes: unknown_template,
        },
        MalformedProbe {
            description: "group count past the end",
            bytes: group_overrun,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_is_refused_by_the_decoder() {
        for probe in malformed_probes() {
            let err = crossbar_sbe::decode(&probe.bytes);
            assert!(err.is_err(), "{} decoded: {:?}", probe.description, err);
        }
    }
}
