//! Downstream packets: header, message blocks, heartbeat and end of session.

use crate::MoldError;

/// Downstream packet header length in bytes (spec "Downstream Packet Header").
pub const HEADER_LEN: usize = 20;
/// Message block length-prefix size in bytes (spec "Message Block").
pub const BLOCK_PREFIX_LEN: usize = 2;
/// Message Count that marks an end-of-session packet (spec "End of Session").
pub const END_OF_SESSION_COUNT: u16 = 0xFFFF;

/// The 10-byte Session field (alphanumeric, spec "Downstream Packet Header", offset 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Session(pub [u8; 10]);

impl Session {
    /// The session as text with trailing spaces removed, or `None` when not UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok().map(|s| s.trim_end())
    }
}

/// The downstream packet header (spec "Downstream Packet Header").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketHeader {
    /// Session (offset 0, 10 bytes).
    pub session: Session,
    /// Sequence Number (offset 10, u64): sequence of the first message in the packet; for
    /// heartbeats and end of session, the next expected sequence number.
    pub sequence_number: u64,
    /// Message Count (offset 18, u16): 0 heartbeat, 0xFFFF end of session, else blocks.
    pub message_count: u16,
}

/// What a downstream packet is (spec "Heartbeats", "End of Session").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// Message Count 1..=0xFFFE: carries that many messages.
    Messages,
    /// Message Count 0.
    Heartbeat,
    /// Message Count 0xFFFF.
    EndOfSession,
}

impl PacketHeader {
    /// Reads the header from the first 20 bytes of `bytes`.
    ///
    /// # Errors
    /// [`MoldError::TruncatedHeader`] when fewer than 20 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, MoldError> {
        let header = bytes
            .first_chunk::<HEADER_LEN>()
            .ok_or(MoldError::TruncatedHeader {
                actual: bytes.len(),
            })?;
        let (session, rest) = header
            .split_first_chunk::<10>()
            .ok_or(MoldError::TruncatedHeader { actual: 0 })?;
        let (sequence, count) = rest
            .split_first_chunk::<8>()
            .ok_or(MoldError::TruncatedHeader { actual: 0 })?;
        let count = count
            .first_chunk::<2>()
            .ok_or(MoldError::TruncatedHeader { actual: 0 })?;
        Ok(PacketHeader {
            session: Session(*session),
            sequence_number: u64::from_be_bytes(*sequence),
            message_count: u16::from_be_bytes(*count),
        })
    }

    /// The 20 wire bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..10].copy_from_slice(&self.session.0);
        out[10..18].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[18..].copy_from_slice(&self.message_count.to_be_bytes());
        out
    }

    /// Data, heartbeat or end of session, from the message count.
    pub const fn kind(&self) -> PacketKind {
        match self.message_count {
            0 => PacketKind::Heartbeat,
            END_OF_SESSION_COUNT => PacketKind::EndOfSession,
            _ => PacketKind::Messages,
        }
    }

    /// Messages carried: the count for data packets, 0 for heartbeat / end of session.
    pub const fn messages_carried(&self) -> u16 {
        match self.kind() {
            PacketKind::Messages => self.message_count,
            _ => 0,
        }
    }

    /// The sequence number expected after this packet: `sequence_number` plus the messages
    /// carried.
    pub const fn next_sequence_number(&self) -> u64 {
        self.sequence_number
            .wrapping_add(self.messages_carried() as u64)
    }
}

/// A validated downstream packet borrowing its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The header.
    pub header: PacketHeader,
    blocks: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses and validates a whole downstream packet (a UDP payload): the header, then
    /// exactly `message_count` message blocks filling the rest (none for heartbeat and end of
    /// session). Allocation-free.
    ///
    /// # Errors
    /// [`MoldError::TruncatedHeader`], [`MoldError::TruncatedBlock`] (a block running past the
    /// end), [`MoldError::TrailingBytes`] (bytes after the last block).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, MoldError> {
        let header = PacketHeader::decode(bytes)?;
        let blocks = bytes.get(HEADER_LEN..).unwrap_or_default();
        let mut rest = blocks;
        for index in 0..header.messages_carried() {
            let offset = bytes.len() - rest.len();
            let Some((prefix, tail)) = rest.split_first_chunk::<BLOCK_PREFIX_LEN>() else {
                return Err(MoldError::TruncatedBlock {
                    index,
                    offset,
                    expected: BLOCK_PREFIX_LEN,
                    actual: rest.len(),
                });
            };
            let len = usize::from(u16::from_be_bytes(*prefix));
            let Some(after) = tail.get(len..) else {
                let expected = BLOCK_PREFIX_LEN + len;
                return Err(MoldError::TruncatedBlock {
                    index,
                    offset,
                    expected,
                    actual: rest.len(),
                });
            };
            rest = after;
        }
        if !rest.is_empty() {
            return Err(MoldError::TrailingBytes {
                message_count: header.message_count,
                extra: rest.len(),
            });
        }
        Ok(Packet { header, blocks })
    }

    /// Data, heartbeat or end of session.
    pub const fn kind(&self) -> PacketKind {
        self.header.kind()
    }

    /// The messages as `(sequence_number, data)`, numbered from the header's sequence number.
    pub fn messages(&self) -> MessageBlocks<'a> {
        MessageBlocks {
            rest: self.blocks,
            sequence_number: self.header.sequence_number,
            left: self.header.messages_carried(),
        }
    }
}

/// Iterator over a validated packet's message blocks: `(sequence_number, message data)`.
#[derive(Clone, Debug)]
pub struct MessageBlocks<'a> {
    rest: &'a [u8],
    sequence_number: u64,
    left: u16,
}

impl<'a> Iterator for MessageBlocks<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let (prefix, tail) = self.rest.split_first_chunk::<BLOCK_PREFIX_LEN>()?;
        let len = usize::from(u16::from_be_bytes(*prefix));
        let data = tail.get(..len)?;
        self.rest = tail.get(len..)?;
        let sequence_number = self.sequence_number;
        self.sequence_number = self.sequence_number.wrapping_add(1);
        self.left -= 1;
        Some((sequence_number, data))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.left), Some(usize::from(self.left)))
    }
}

/// Once `next` returns `None` (all blocks read, or a block cut off) it keeps returning `None`:
/// the state it stops in is never left.
impl std::iter::FusedIterator for MessageBlocks<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(count: u16, blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = PacketHeader {
            session: Session(*b"ABCDEFGHIJ"),
            sequence_number: 1000,
            message_count: count,
        }
        .encode()
        .to_vec();
        for b in blocks {
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
        out
    }

    #[test]
    fn parses_blocks_with_sequence_numbers() {
        let bytes = packet(3, &[b"a", b"", b"ccc"]);
        let p = Packet::parse(&bytes).unwrap();
        assert_eq!(p.kind(), PacketKind::Messages);
        assert_eq!(p.header.session.as_str(), Some("ABCDEFGHIJ"));
        let got: Vec<_> = p.messages().collect();
        assert_eq!(
            got,
            vec![(1000, &b"a"[..]), (1001, &b""[..]), (1002, &b"ccc"[..])]
        );
        assert_eq!(p.header.next_sequence_number(), 1003);
        // Fused: after the last block, `None` for good.
        let mut blocks = p.messages();
        assert_eq!(blocks.by_ref().count(), 3);
        assert_eq!((blocks.next(), blocks.next()), (None, None));
    }

    #[test]
    fn heartbeat_and_end_of_session() {
        let hb = packet(0, &[]);
        let p = Packet::parse(&hb).unwrap();
        assert_eq!(p.kind(), PacketKind::Heartbeat);
        assert_eq!(p.messages().count(), 0);
        assert_eq!(p.header.next_sequence_number(), 1000);
        let eos = packet(END_OF_SESSION_COUNT, &[]);
        let p = Packet::parse(&eos).unwrap();
        assert_eq!(p.kind(), PacketKind::EndOfSession);
        assert_eq!(p.header.next_sequence_number(), 1000);
        assert_eq!(
            Packet::parse(&packet(0, &[b"x"])),
            Err(MoldError::TrailingBytes {
                message_count: 0,
                extra: 3
            })
        );
    }

    #[test]
    fn rejects_truncation_and_trailing_bytes() {
        assert_eq!(
            Packet::parse(&[0; 19]),
            Err(MoldError::TruncatedHeader { actual: 19 })
        );
        let mut bytes = packet(2, &[b"abc", b"de"]);
        bytes.pop();
        assert_eq!(
            Packet::parse(&bytes),
            Err(MoldError::TruncatedBlock {
                index: 1,
                offset: 25,
                expected: 4,
                actual: 3
            })
        );
        let short_count = packet(1, &[b"abc", b"de"]);
        assert_eq!(
            Packet::parse(&short_count),
            Err(MoldError::TrailingBytes {
                message_count: 1,
                extra: 4
            })
        );
        let only_prefix_byte = [packet(1, &[]), vec![0]].concat();
        assert!(matches!(
            Packet::parse(&only_prefix_byte),
            Err(MoldError::TruncatedBlock { expected: 2, .. })
        ));
    }

    #[test]
    fn header_round_trip_at_extremes() {
        let h = PacketHeader {
            session: Session([0xff; 10]),
            sequence_number: u64::MAX,
            message_count: 0xfffe,
        };
        assert_eq!(PacketHeader::decode(&h.encode()), Ok(h));
        assert_eq!(h.next_sequence_number(), 0xfffd);
    }
}
