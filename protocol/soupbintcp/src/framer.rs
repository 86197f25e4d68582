//! Framing: cutting whole packets out of a byte stream that arrives in arbitrary TCP pieces.
//!
//! [`next_frame`] is the pure function (bytes in, "need more" / packet / error out);
//! [`RecvBuffer`] is a fixed-capacity buffer, allocated once, that a socket reads into.

use crate::error::SoupError;
use crate::packet::{Packet, LENGTH_FIELD_LEN};

/// What [`next_frame`] found at the start of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The buffer does not yet hold a whole packet.
    NeedMore {
        /// At least this many more bytes are needed before a packet can be cut.
        needed: usize,
    },
    /// A whole packet.
    Packet {
        /// The decoded packet, borrowing from the buffer.
        packet: Packet<'a>,
        /// Bytes it occupied, length field included: drop these before the next call.
        consumed: usize,
    },
}

/// Cuts the packet at the start of `buf` (SoupBinTCP 3.0 §1.1 framing).
///
/// `max_frame_len` bounds the length field (type byte plus payload); a larger value is an
/// error as soon as the 2-byte length is readable, before any body arrives.
///
/// # Errors
/// [`SoupError::EmptyPacket`] for a length of 0, [`SoupError::Oversize`] above
/// `max_frame_len`, or any [`Packet::decode`] error for the body.
#[inline]
pub fn next_frame(buf: &[u8], max_frame_len: usize) -> Result<Frame<'_>, SoupError> {
    let Some(length_bytes) = buf.get(..LENGTH_FIELD_LEN) else {
        return Ok(Frame::NeedMore {
            needed: LENGTH_FIELD_LEN - buf.len(),
        });
    };
    let frame_len = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
    if frame_len == 0 {
        return Err(SoupError::EmptyPacket);
    }
    if frame_len > max_frame_len {
        return Err(SoupError::Oversize {
            length: frame_len,
            max: max_frame_len,
        });
    }
    let total = LENGTH_FIELD_LEN + frame_len;
    match buf.get(LENGTH_FIELD_LEN..total) {
        None => Ok(Frame::NeedMore {
            needed: total - buf.len(),
        }),
        Some(frame) => Ok(Frame::Packet {
            packet: Packet::decode(frame)?,
            consumed: total,
        }),
    }
}

/// A fixed-capacity receive buffer: the socket reads into [`RecvBuffer::spare`] (or bytes are
/// copied in with [`RecvBuffer::extend`]) and whole packets come out of [`RecvBuffer::next_packet`].
///
/// Allocates once, in [`RecvBuffer::new`]; unread bytes are moved to the front when space runs out.
#[derive(Debug)]
pub struct RecvBuffer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    max_frame_len: usize,
}

impl RecvBuffer {
    /// A buffer of `capacity` bytes (at least 3, at most 65,537); the largest packet it accepts
    /// has a length field of `capacity - 2`.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(
            LENGTH_FIELD_LEN + 1,
            LENGTH_FIELD_LEN + usize::from(u16::MAX),
        );
        Self {
            buf: vec![0; capacity].into_boxed_slice(),
            start: 0,
            end: 0,
            max_frame_len: capacity - LENGTH_FIELD_LEN,
        }
    }

    /// Largest length field accepted (type byte plus payload), in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Bytes received and not yet cut into packets.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when no unread bytes are held.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The free tail to read socket bytes into; call [`RecvBuffer::commit`] with the count read.
    /// Moves unread bytes to the front first when that frees space.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes written into [`RecvBuffer::spare`] as received (clamped to the free space).
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Copies as much of `bytes` as fits; returns how many bytes were taken.
    pub fn extend(&mut self, bytes: &[u8]) -> usize {
        let spare = self.spare();
        let n = spare.len().min(bytes.len());
        spare[..n].copy_from_slice(&bytes[..n]);
        self.commit(n);
        n
    }

    /// Cuts the next whole packet, or `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    /// As [`next_frame`]. After an error the stream cannot be resynchronised: close the connection.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, SoupError> {
        // Borrow only the bytes, so the cursors can move while the packet borrows them.
        let buf: &[u8] = &self.buf;
        match next_frame(&buf[self.start..self.end], self.max_frame_len)? {
            Frame::NeedMore { .. } => Ok(None),
            Frame::Packet { packet, consumed } => {
                self.start += consumed;
                if self.start == self.end {
                    // Nothing unread: the next read starts at the front (the packet's bytes
                    // stay in place until then).
                    self.start = 0;
                    self.end = 0;
                }
                Ok(Some(packet))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_reports_need_more_then_packet() {
        assert_eq!(next_frame(b"", 100), Ok(Frame::NeedMore { needed: 2 }));
        assert_eq!(next_frame(b"\x00", 100), Ok(Frame::NeedMore { needed: 1 }));
        assert_eq!(
            next_frame(b"\x00\x04Sab", 100),
            Ok(Frame::NeedMore { needed: 1 })
        );
        assert_eq!(
            next_frame(b"\x00\x04Sabc\x00", 100),
            Ok(Frame::Packet {
                packet: Packet::SequencedData { message: b"abc" },
                consumed: 6
            })
        );
    }

    #[test]
    fn frame_rejects_zero_and_oversize_lengths_before_the_body_arrives() {
        assert_eq!(next_frame(b"\x00\x00", 100), Err(SoupError::EmptyPacket));
        assert_eq!(
            next_frame(b"\x01\x00", 100),
            Err(SoupError::Oversize {
                length: 256,
                max: 100
            })
        );
    }

    #[test]
    fn recv_buffer_reassembles_packets_split_at_every_byte() {
        let mut stream = Vec::new();
        let mut tmp = [0u8; 64];
        for packet in [
            Packet::SequencedData { message: b"one" },
            Packet::ServerHeartbeat,
            Packet::SequencedData { message: b"three!" },
            Packet::EndOfSession,
        ] {
            let n = packet.encode(&mut tmp).unwrap();
            stream.extend_from_slice(&tmp[..n]);
        }
        for chunk in 1..=stream.len() {
            // A buffer barely larger than the largest packet forces compaction.
            let mut rb = RecvBuffer::new(12);
            let mut seen = Vec::new();
            for piece in stream.chunks(chunk) {
                let mut rest = piece;
                while !rest.is_empty() {
                    let taken = rb.extend(rest);
                    rest = &rest[taken..];
                    while let Some(p) = rb.next_packet().unwrap() {
                        seen.push(p.packet_type());
                    }
                }
            }
            assert_eq!(seen, b"SHSZ", "chunk size {chunk}");
            assert!(rb.is_empty());
        }
    }

    #[test]
    fn recv_buffer_spare_and_commit() {
        let mut rb = RecvBuffer::new(16);
        assert_eq!(rb.max_frame_len(), 14);
        let spare = rb.spare();
        spare[..3].copy_from_slice(b"\x00\x01H");
        rb.commit(3);
        assert_eq!(rb.len(), 3);
        assert_eq!(rb.next_packet(), Ok(Some(Packet::ServerHeartbeat)));
        assert_eq!(rb.next_packet(), Ok(None));
        rb.extend(b"\x00\x0f");
        assert_eq!(
            rb.next_packet(),
            Err(SoupError::Oversize {
                length: 15,
                max: 14
            })
        );
    }
}
