//! Per-type message counts.

use crate::ItchMessage;

/// Number of messages seen per Message Type byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Census {
    counts: [u64; 256],
}

impl Default for Census {
    fn default() -> Self {
        Census { counts: [0; 256] }
    }
}

impl Census {
    /// An empty census.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one message.
    #[inline]
    pub fn add(&mut self, message: &ItchMessage) {
        self.add_type(message.message_type());
    }

    /// Counts one message of type `message_type`.
    #[inline]
    pub fn add_type(&mut self, message_type: u8) {
        self.counts[usize::from(message_type)] += 1;
    }

    /// Messages counted of type `message_type`.
    pub fn count(&self, message_type: u8) -> u64 {
        self.counts[usize::from(message_type)]
    }

    /// Messages counted in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(type, count)` for every type with a non-zero count, in byte order.
    pub fn nonzero(&self) -> Vec<(u8, u64)> {
        (0..=255u8)
            .filter(|&t| self.count(t) > 0)
            .map(|t| (t, self.count(t)))
            .collect()
    }
}
