//! The bounded out-of-order buffer: whole downstream packets that arrived ahead of a gap,
//! held in fixed slots allocated once, until the gap is filled.

/// One buffered packet: where its messages start and end, and its bytes in `data[..len]`.
#[derive(Clone, Debug)]
struct Slot {
    first_sequence: u64,
    next_sequence: u64,
    len: usize,
    used: bool,
}

/// Fixed slots of `packet_bytes_max` bytes each; inserts copy, nothing allocates after `new`.
#[derive(Clone, Debug)]
pub(crate) struct ReorderBuffer {
    slots: Vec<Slot>,
    data: Vec<u8>,
    packet_bytes_max: usize,
    used: usize,
}

/// Why a packet was not buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Every slot is taken.
    Full,
    /// Larger than a slot.
    TooLarge,
    /// A buffered packet already starts at this sequence number.
    Duplicate,
}

impl ReorderBuffer {
    pub(crate) fn new(slots: usize, packet_bytes_max: usize) -> Self {
        let empty = Slot {
            first_sequence: 0,
            next_sequence: 0,
            len: 0,
            used: false,
        };
        Self {
            slots: vec![empty; slots],
            data: vec![0; slots * packet_bytes_max],
            packet_bytes_max,
            used: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.used
    }

    /// Copies a packet covering `[first_sequence, next_sequence)` into a free slot.
    pub(crate) fn insert(
        &mut self,
        first_sequence: u64,
        next_sequence: u64,
        bytes: &[u8],
    ) -> Result<(), Rejected> {
        if bytes.len() > self.packet_bytes_max {
            return Err(Rejected::TooLarge);
        }
        if self
            .slots
            .iter()
            .any(|s| s.used && s.first_sequence == first_sequence)
        {
            return Err(Rejected::Duplicate);
        }
        let index = self
            .slots
            .iter()
            .position(|s| !s.used)
            .ok_or(Rejected::Full)?;
        let start = index * self.packet_bytes_max;
        self.data[start..start + bytes.len()].copy_from_slice(bytes);
        self.slots[index] = Slot {
            first_sequence,
            next_sequence,
            len: bytes.len(),
            used: true,
        };
        self.used += 1;
        debug_assert!(self.used <= self.slots.len());
        Ok(())
    }

    /// The lowest first sequence number buffered.
    pub(crate) fn lowest_first_sequence(&self) -> Option<u64> {
        if self.used == 0 {
            return None;
        }
        self.slots
            .iter()
            .filter(|s| s.used)
            .map(|s| s.first_sequence)
            .min()
    }

    /// Frees the slot of the buffered packet with the lowest first sequence number if it
    /// starts at or before `expected`, returning `(slot, first_sequence, next_sequence)`;
    /// its bytes ([`ReorderBuffer::bytes`]) stay valid until the next insert.
    pub(crate) fn take_ready(&mut self, expected: u64) -> Option<(usize, u64, u64)> {
        if self.used == 0 {
            return None;
        }
        let index = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.used && s.first_sequence <= expected)
            .min_by_key(|(_, s)| s.first_sequence)
            .map(|(i, _)| i)?;
        let slot = &mut self.slots[index];
        slot.used = false;
        self.used -= 1;
        Some((index, slot.first_sequence, slot.next_sequence))
    }

    /// The bytes of slot `index` as last inserted.
    pub(crate) fn bytes(&self, index: usize) -> &[u8] {
        let start = index * self.packet_bytes_max;
        &self.data[start..start + self.slots[index].len]
    }

    /// Empties the buffer.
    pub(crate) fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| s.used = false);
        self.used = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_bounded_packets_and_pops_lowest_ready_first() {
        let mut b = ReorderBuffer::new(2, 8);
        assert_eq!(b.insert(10, 12, b"ten"), Ok(()));
        assert_eq!(b.insert(5, 7, b"five"), Ok(()));
        assert_eq!(b.insert(5, 7, b"5"), Err(Rejected::Duplicate));
        assert_eq!(b.insert(20, 21, b"x"), Err(Rejected::Full));
        assert_eq!(b.lowest_first_sequence(), Some(5));
        assert_eq!(b.take_ready(4), None);
        let (slot, first, next) = b.take_ready(5).unwrap();
        assert_eq!((b.bytes(slot), first, next), (&b"five"[..], 5, 7));
        assert_eq!(b.insert(30, 31, b"too large"), Err(Rejected::TooLarge));
        assert_eq!(b.len(), 1);
        b.clear();
        assert_eq!(b.len(), 0);
        assert_eq!(b.take_ready(100), None);
    }
}
