//! The retransmission Request Packet (spec "Request Packet").

use crate::{MoldError, Session};

/// Request packet length in bytes.
pub const REQUEST_LEN: usize = 20;

/// A request to retransmit `requested_count` messages from `sequence_number` of `session`
/// (spec "Request Packet": Session offset 0 len 10, Sequence Number offset 10 len 8,
/// Requested Message Count offset 18 len 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RequestPacket {
    /// The session.
    pub session: Session,
    /// First requested sequence number.
    pub sequence_number: u64,
    /// Number of messages requested; the server returns as many as fit one packet.
    pub requested_count: u16,
}

impl RequestPacket {
    /// Parses a request datagram.
    ///
    /// # Errors
    /// [`MoldError::RequestLength`] unless exactly 20 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, MoldError> {
        let exact =
            <&[u8; REQUEST_LEN]>::try_from(bytes).map_err(|_| MoldError::RequestLength {
                actual: bytes.len(),
            })?;
        let (session, rest) = exact
            .split_first_chunk::<10>()
            .ok_or(MoldError::RequestLength { actual: 0 })?;
        let (sequence, count) = rest
            .split_first_chunk::<8>()
            .ok_or(MoldError::RequestLength { actual: 0 })?;
        let count = count
            .first_chunk::<2>()
            .ok_or(MoldError::RequestLength { actual: 0 })?;
        Ok(RequestPacket {
            session: Session(*session),
            sequence_number: u64::from_be_bytes(*sequence),
            requested_count: u16::from_be_bytes(*count),
        })
    }

    /// The 20 wire bytes.
    pub fn encode(&self) -> [u8; REQUEST_LEN] {
        let mut out = [0u8; REQUEST_LEN];
        out[..10].copy_from_slice(&self.session.0);
        out[10..18].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[18..].copy_from_slice(&self.requested_count.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip_and_wire_layout() {
        let r = RequestPacket {
            session: Session(*b"0000012345"),
            sequence_number: 0x0102_0304_0506_0708,
            requested_count: 0x0a0b,
        };
        let bytes = r.encode();
        assert_eq!(&bytes[..10], b"0000012345");
        assert_eq!(&bytes[10..], &[1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b]);
        assert_eq!(RequestPacket::decode(&bytes), Ok(r));
    }

    #[test]
    fn request_length_must_be_exact() {
        assert_eq!(
            RequestPacket::decode(&[0; 19]),
            Err(MoldError::RequestLength { actual: 19 })
        );
        assert_eq!(
            RequestPacket::decode(&[0; 21]),
            Err(MoldError::RequestLength { actual: 21 })
        );
        assert_eq!(
            RequestPacket::decode(&[]),
            Err(MoldError::RequestLength { actual: 0 })
        );
    }
}
