//! UTC timestamps.

use serde::{Deserialize, Serialize};

/// A UTC instant in nanoseconds since the Unix epoch. `u64` nanoseconds last until 2554.
///
/// Venue timestamps that are "nanoseconds since midnight" (ITCH 5.0 §1 "Timestamp", 6 bytes)
/// are converted with [`UtcNanos::from_midnight_offset`] given the session date's midnight.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UtcNanos(pub u64);

impl UtcNanos {
    /// Nanoseconds in one second.
    pub const NANOS_PER_SEC: u64 = 1_000_000_000;

    /// The current wall-clock time. Off the hot path only: agents receive `now_ns` from their
    /// runner instead of reading the clock themselves.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UtcNanos(d.as_nanos() as u64)
    }

    /// `midnight_utc` plus a venue's nanoseconds-since-midnight timestamp.
    pub const fn from_midnight_offset(midnight_utc: UtcNanos, since_midnight_ns: u64) -> Self {
        UtcNanos(midnight_utc.0 + since_midnight_ns)
    }

    /// Nanoseconds from `earlier` to `self`, 0 if `earlier` is later.
    pub const fn saturating_since(self, earlier: UtcNanos) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_offset_and_difference() {
        let midnight = UtcNanos(1_700_000_000 * UtcNanos::NANOS_PER_SEC);
        let t = UtcNanos::from_midnight_offset(midnight, 34_200 * UtcNanos::NANOS_PER_SEC);
        assert_eq!(
            t.saturating_since(midnight),
            34_200 * UtcNanos::NANOS_PER_SEC
        );
        assert_eq!(midnight.saturating_since(t), 0);
        assert!(UtcNanos::now().0 > midnight.0);
    }
}
