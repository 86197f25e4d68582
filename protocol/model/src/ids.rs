//! Identifiers: instruments, venues, gateways and platform-wide order ids.

use serde::{Deserialize, Serialize};

/// A dense instrument index, `0..instrument_count`, so that hot-path state per instrument is
/// an array indexed by this value rather than a map keyed by symbol.
///
/// The symbol table that maps symbols to ids is built once at start-up from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentId(pub u32);

impl InstrumentId {
    /// The id as an array index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A venue (exchange) index, `0..venue_count`, e.g. NASDAQ = 0, BX = 1, PSX = 2 as configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VenueId(pub u16);

/// A gateway process id, unique across the deployment (1..=65,535; 0 is reserved for the
/// aggregator/router, which also originates orders).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GatewayId(pub u16);

/// A platform-wide order id: the originating process's [`GatewayId`] in the top 16 bits and
/// that process's order sequence number in the low 48 bits.
///
/// Unique across all gateways without coordination, and deterministic: replaying a journal
/// reproduces the same ids. Sequence 0 is never issued, so `OrderId(0)` means "none".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub u64);

/// Why an [`OrderId`] could not be formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderIdError {
    /// The sequence does not fit in 48 bits or is zero.
    #[error("ORDER_ID_SEQUENCE_OUT_OF_RANGE sequence={sequence} (valid 1..=2^48-1)")]
    SequenceOutOfRange {
        /// The rejected sequence number.
        sequence: u64,
    },
}

impl OrderId {
    /// Number of bits of the sequence part.
    pub const SEQUENCE_BITS: u32 = 48;
    /// Largest sequence number an order id can carry.
    pub const SEQUENCE_MAX: u64 = (1 << Self::SEQUENCE_BITS) - 1;

    /// Builds the id for `sequence` (1..=2^48-1) issued by `origin`.
    ///
    /// # Errors
    /// [`OrderIdError::SequenceOutOfRange`] when `sequence` is 0 or wider than 48 bits.
    pub const fn new(origin: GatewayId, sequence: u64) -> Result<Self, OrderIdError> {
        if sequence == 0 || sequence > Self::SEQUENCE_MAX {
            return Err(OrderIdError::SequenceOutOfRange { sequence });
        }
        Ok(Self(((origin.0 as u64) << Self::SEQUENCE_BITS) | sequence))
    }

    /// The process that issued this id.
    pub const fn origin(self) -> GatewayId {
        GatewayId((self.0 >> Self::SEQUENCE_BITS) as u16)
    }

    /// The issuing process's sequence number (1..=2^48-1).
    pub const fn sequence(self) -> u64 {
        self.0 & Self::SEQUENCE_MAX
    }
}

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.origin().0, self.sequence())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_id_packs_origin_and_sequence() {
        let id = OrderId::new(GatewayId(7), 42).unwrap();
        assert_eq!(id.origin(), GatewayId(7));
        assert_eq!(id.sequence(), 42);
        assert_eq!(id.0, (7u64 << 48) | 42);
        assert_eq!(id.to_string(), "7-42");
    }

    #[test]
    fn order_ids_from_different_gateways_never_collide() {
        let a = OrderId::new(GatewayId(1), 5).unwrap();
        let b = OrderId::new(GatewayId(2), 5).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn order_id_sequence_bounds() {
        assert!(OrderId::new(GatewayId(1), 0).is_err());
        assert!(OrderId::new(GatewayId(1), OrderId::SEQUENCE_MAX).is_ok());
        assert_eq!(
            OrderId::new(GatewayId(1), OrderId::SEQUENCE_MAX + 1),
            Err(OrderIdError::SequenceOutOfRange {
                sequence: OrderId::SEQUENCE_MAX + 1
            })
        );
        let max = OrderId::new(GatewayId(u16::MAX), OrderId::SEQUENCE_MAX).unwrap();
        assert_eq!(max.origin(), GatewayId(u16::MAX));
        assert_eq!(max.0, u64::MAX);
    }
}
