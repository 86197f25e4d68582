//! Packing messages into downstream packets (the sender side, for the venue simulator).

use crate::{MoldError, PacketHeader, Session, BLOCK_PREFIX_LEN, END_OF_SESSION_COUNT, HEADER_LEN};

/// Largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header).
pub const UDP_PAYLOAD_MAX: usize = 65_507;

// Even empty messages cannot reach the end-of-session count in one UDP payload, so a full
// packet never announces 0xFFFF messages.
const _: () =
    assert!((UDP_PAYLOAD_MAX - HEADER_LEN) / BLOCK_PREFIX_LEN < END_OF_SESSION_COUNT as usize);

/// Builds downstream packets of at most `max_payload` bytes, numbering messages from the
/// first sequence number given.
///
/// Usage: for each message, if [`PacketEncoder::fits`] is false, send [`PacketEncoder::packet`]
/// and call [`PacketEncoder::next_packet`]; then [`PacketEncoder::push`]. The packet buffer is
/// allocated once at construction.
#[derive(Clone, Debug)]
pub struct PacketEncoder {
    session: Session,
    /// Sequence number of the first message of the current packet.
    sequence_number: u64,
    count: u16,
    max_payload: usize,
    buf: Vec<u8>,
}

impl PacketEncoder {
    /// An encoder for `session` whose first message gets `first_sequence_number`
    /// (MoldUDP64 sessions start at 1), building packets of at most `max_payload` bytes
    /// (e.g. 1,472 for a 1,500-byte Ethernet MTU, as NASDAQ's feeds use).
    ///
    /// # Errors
    /// [`MoldError::BadMaxPayload`] unless 23 ≤ `max_payload` ≤ 65,507.
    pub fn new(
        session: Session,
        first_sequence_number: u64,
        max_payload: usize,
    ) -> Result<Self, MoldError> {
        if !(HEADER_LEN + BLOCK_PREFIX_LEN + 1..=UDP_PAYLOAD_MAX).contains(&max_payload) {
            return Err(MoldError::BadMaxPayload { max_payload });
        }
        let mut encoder = PacketEncoder {
            session,
            sequence_number: first_sequence_number,
            count: 0,
            max_payload,
            buf: Vec::with_capacity(max_payload),
        };
        encoder.write_header();
        Ok(encoder)
    }

    fn write_header(&mut self) {
        let header = PacketHeader {
            session: self.session,
            sequence_number: self.sequence_number,
            message_count: self.count,
        };
        self.buf.truncate(0);
        self.buf.extend_from_slice(&header.encode());
    }

    /// True when a message of `len` bytes fits in the current packet.
    pub fn fits(&self, len: usize) -> bool {
        self.buf.len() + BLOCK_PREFIX_LEN + len <= self.max_payload
    }

    /// Appends one message to the current packet.
    ///
    /// # Errors
    /// [`MoldError::MessageTooLarge`] when it cannot fit even an empty packet;
    /// [`MoldError::PacketFull`] when the current packet has no room (send it and call [`PacketEncoder::next_packet`] first).
    pub fn push(&mut self, message: &[u8]) -> Result<(), MoldError> {
        let max = self.max_payload - HEADER_LEN - BLOCK_PREFIX_LEN;
        if message.len() > max {
            return Err(MoldError::MessageTooLarge {
                len: message.len(),
                max,
            });
        }
        if !self.fits(message.len()) {
            return Err(MoldError::PacketFull {
                len: message.len(),
                room: self.max_payload - self.buf.len(),
            });
        }
        self.buf
            .extend_from_slice(&(message.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(message);
        self.count += 1;
        self.buf[HEADER_LEN - 2..HEADER_LEN].copy_from_slice(&self.count.to_be_bytes());
        Ok(())
    }

    /// Messages in the current packet.
    pub fn message_count(&self) -> u16 {
        self.count
    }

    /// True when the current packet holds no message.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The current packet's bytes (header count kept up to date), ready to send.
    pub fn packet(&self) -> &[u8] {
        &self.buf
    }

    /// Starts the next packet: its first sequence number follows the current packet's last.
    pub fn next_packet(&mut self) {
        self.sequence_number += u64::from(self.count);
        self.count = 0;
        self.write_header();
    }

    /// Sequence number the next pushed message will get.
    pub fn next_sequence_number(&self) -> u64 {
        self.sequence_number + u64::from(self.count)
    }

    /// A heartbeat (count 0) carrying the next expected sequence number (spec "Heartbeats").
    pub fn heartbeat(&self) -> [u8; HEADER_LEN] {
        PacketHeader {
            session: self.session,
            sequence_number: self.next_sequence_number(),
            message_count: 0,
        }
        .encode()
    }

    /// An end-of-session packet (count 0xFFFF) carrying the next expected sequence number
    /// (spec "End of Session").
    pub fn end_of_session(&self) -> [u8; HEADER_LEN] {
        PacketHeader {
            session: self.session,
            sequence_number: self.next_sequence_number(),
            message_count: END_OF_SESSION_COUNT,
        }
        .encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Packet, PacketKind};

    #[test]
    fn packs_until_full_then_continues_numbering() {
        let mut enc = PacketEncoder::new(Session(*b"S000000001"), 1, 20 + 3 * 12).unwrap();
        let mut packets = Vec::new();
        for i in 0..7u8 {
            let msg = [i; 10];
            if !enc.fits(msg.len()) {
                packets.push(enc.packet().to_vec());
                enc.next_packet();
            }
            enc.push(&msg).unwrap();
        }
        packets.push(enc.packet().to_vec());
        assert_eq!(packets.len(), 3);
        let mut seen = Vec::new();
        for bytes in &packets {
            assert!(bytes.len() <= 56);
            let p = Packet::parse(bytes).unwrap();
            for (seq, data) in p.messages() {
                seen.push((seq, data[0]));
            }
        }
        assert_eq!(
            seen,
            (0..7u8).map(|i| (u64::from(i) + 1, i)).collect::<Vec<_>>()
        );
        let hb_bytes = enc.heartbeat();
        let hb = Packet::parse(&hb_bytes).unwrap();
        assert_eq!(
            (hb.kind(), hb.header.sequence_number),
            (PacketKind::Heartbeat, 8)
        );
        let eos_bytes = enc.end_of_session();
        let eos = Packet::parse(&eos_bytes).unwrap();
        assert_eq!(
            (eos.kind(), eos.header.sequence_number),
            (PacketKind::EndOfSession, 8)
        );
    }

    #[test]
    fn rejects_oversized_and_bad_limits() {
        assert_eq!(
            PacketEncoder::new(Session::default(), 1, 22).unwrap_err(),
            MoldError::BadMaxPayload { max_payload: 22 }
        );
        assert!(PacketEncoder::new(Session::default(), 1, UDP_PAYLOAD_MAX + 1).is_err());
        let mut enc = PacketEncoder::new(Session::default(), 1, 30).unwrap();
        assert_eq!(
            enc.push(&[0; 9]),
            Err(MoldError::MessageTooLarge { len: 9, max: 8 })
        );
        enc.push(&[0; 8]).unwrap();
        assert_eq!(
            enc.push(&[0; 1]),
            Err(MoldError::PacketFull { len: 1, room: 0 })
        );
        assert!(!enc.is_empty() && enc.message_count() == 1);
    }

    #[test]
    fn empty_messages_fill_a_max_size_packet_below_the_end_of_session_count() {
        let mut enc = PacketEncoder::new(Session::default(), 5, UDP_PAYLOAD_MAX).unwrap();
        while enc.fits(0) {
            enc.push(&[]).unwrap();
        }
        assert_eq!(
            enc.push(&[]),
            Err(MoldError::PacketFull { len: 0, room: 1 })
        );
        assert_eq!(enc.message_count(), 32_743);
        let p = Packet::parse(enc.packet()).unwrap();
        assert_eq!(p.kind(), PacketKind::Messages);
        assert_eq!(p.messages().count(), 32_743);
        assert_eq!(p.messages().last(), Some((5 + 32_742, &[][..])));
    }
}
