//! Where a server keeps the sequenced messages it sent, so a reconnecting client can be replayed.

use crate::error::SoupError;

/// The server's record of its session's sequenced messages (SoupBinTCP 3.0 §1.2: the stream
/// survives TCP reconnects). Message `n` (1-based) is the `n`-th Sequenced Data payload.
///
/// The application appends to the store; each [`crate::ServerSession`] sends from it.
pub trait MessageStore {
    /// One more than the number of messages stored: the sequence number the next append gets.
    fn next_sequence_number(&self) -> u64;
    /// Message `sequence_number`, or `None` if it was never stored or is no longer retained.
    fn get(&self, sequence_number: u64) -> Option<&[u8]>;
}

/// A bounded in-memory [`MessageStore`]: payload bytes in one arena, end offsets in another,
/// both allocated at construction; appends beyond the bounds fail instead of growing.
#[derive(Debug)]
pub struct MemoryStore {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    max_messages: usize,
    max_bytes: usize,
}

impl MemoryStore {
    /// A store for up to `max_messages` messages totalling up to `max_bytes` payload bytes.
    pub fn with_capacity(max_messages: usize, max_bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(max_bytes),
            ends: Vec::with_capacity(max_messages),
            max_messages,
            max_bytes,
        }
    }

    /// Appends `message`; returns its sequence number.
    ///
    /// # Errors
    /// [`SoupError::StoreFull`] when either bound would be exceeded.
    pub fn append(&mut self, message: &[u8]) -> Result<u64, SoupError> {
        if self.ends.len() >= self.max_messages || self.max_bytes - self.bytes.len() < message.len()
        {
            return Err(SoupError::StoreFull {
                messages: self.ends.len(),
                bytes: self.bytes.len(),
            });
        }
        self.bytes.extend_from_slice(message);
        self.ends.push(self.bytes.len());
        Ok(self.ends.len() as u64)
    }

    /// Messages stored.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl MessageStore for MemoryStore {
    fn next_sequence_number(&self) -> u64 {
        self.ends.len() as u64 + 1
    }

    fn get(&self, sequence_number: u64) -> Option<&[u8]> {
        let index = usize::try_from(sequence_number.checked_sub(1)?).ok()?;
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.bytes.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_get_and_bounds() {
        let mut store = MemoryStore::with_capacity(3, 8);
        assert_eq!(store.next_sequence_number(), 1);
        assert_eq!(store.append(b"ab"), Ok(1));
        assert_eq!(store.append(b""), Ok(2));
        assert_eq!(store.append(b"cdefgh"), Ok(3));
        assert_eq!(
            store.append(b"x"),
            Err(SoupError::StoreFull {
                messages: 3,
                bytes: 8
            })
        );
        assert_eq!(store.get(1), Some(&b"ab"[..]));
        assert_eq!(store.get(2), Some(&b""[..]));
        assert_eq!(store.get(3), Some(&b"cdefgh"[..]));
        assert_eq!(store.get(0), None);
        assert_eq!(store.get(4), None);
        assert_eq!(store.next_sequence_number(), 4);
        let mut small = MemoryStore::with_capacity(5, 2);
        assert!(small.append(b"abc").is_err());
        assert!(small.is_empty());
    }
}
