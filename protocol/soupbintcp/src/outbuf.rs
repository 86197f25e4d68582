//! The fixed-capacity output buffer a session writes packets into and the caller drains to its socket.

use crate::error::SoupError;
use crate::packet::Packet;

/// Bytes a session has emitted and the caller has not yet written to the socket.
///
/// Allocated once; [`OutBuffer::push`] fails with [`SoupError::BackPressure`] instead of growing.
#[derive(Debug)]
pub struct OutBuffer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl OutBuffer {
    /// A buffer of `capacity` bytes (at least 64).
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: vec![0; capacity.max(64)].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// Bytes waiting to be written to the socket, oldest first.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks the first `n` pending bytes as written (clamped to what is pending).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Bytes that can still be pushed, after compaction.
    pub fn free(&self) -> usize {
        self.buf.len() - (self.end - self.start)
    }

    /// Appends `packet`, encoded.
    ///
    /// # Errors
    /// [`SoupError::BackPressure`] when it does not fit; [`SoupError::PayloadTooLarge`] from the encoder.
    pub fn push(&mut self, packet: &Packet<'_>) -> Result<(), SoupError> {
        let needed = packet.encoded_len();
        if needed > self.free() {
            return Err(SoupError::BackPressure {
                needed,
                free: self.free(),
            });
        }
        if self.buf.len() - self.end < needed {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.end += packet.encode(&mut self.buf[self.end..])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_drain_compact_and_back_pressure() {
        let mut out = OutBuffer::new(64);
        let msg = [7u8; 27]; // 30-byte packets
        out.push(&Packet::SequencedData { message: &msg }).unwrap();
        out.push(&Packet::SequencedData { message: &msg }).unwrap();
        assert_eq!(out.pending().len(), 60);
        assert_eq!(
            out.push(&Packet::SequencedData { message: &msg }),
            Err(SoupError::BackPressure {
                needed: 30,
                free: 4
            })
        );
        out.consume(30);
        out.push(&Packet::SequencedData { message: &msg }).unwrap(); // needs compaction
        assert_eq!(out.pending().len(), 60);
        assert_eq!(&out.pending()[..3], b"\x00\x1cS");
        out.consume(1000);
        assert!(out.pending().is_empty());
        assert_eq!(out.free(), 64);
    }
}
