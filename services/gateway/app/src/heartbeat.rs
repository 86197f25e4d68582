//! The SBE Heartbeat every stream the gateway publishes carries.

use crossbar_sbe::generated as g;

/// Encoded Heartbeat length, bytes (header + 18-byte block).
pub const HEARTBEAT_BYTES: usize = g::HeartbeatEncoder::ENCODED_LENGTH;

/// Encodes a Heartbeat (`schemas/crossbar.xml` id 1: senderId, sequence from 1, timestamp
/// UTC ns) at the start of `buf`; returns its length, 0 when `buf` is shorter than
/// [`HEARTBEAT_BYTES`].
pub fn encode(buf: &mut [u8], sender_id: u16, sequence: u64, now_ns: u64) -> usize {
    g::HeartbeatEncoder::try_wrap_and_apply_header(buf, 0)
        .map(|e| {
            e.fixed(&g::HeartbeatFixedFields {
                sender_id,
                sequence,
                timestamp_ns: now_ns,
            })
            .encoded_length_with_header()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_round_trips() {
        let mut buf = [0u8; HEARTBEAT_BYTES];
        let len = encode(&mut buf, 3, 9, 77);
        assert_eq!(len, HEARTBEAT_BYTES);
        let crossbar_sbe::Message::Heartbeat(h) = crossbar_sbe::decode(&buf[..len]).unwrap() else {
            panic!("not a heartbeat")
        };
        assert_eq!((h.sender_id, h.sequence, h.timestamp_ns), (3, 9, 77));
        assert_eq!(encode(&mut buf[..4], 3, 9, 77), 0);
    }
}
