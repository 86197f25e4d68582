//! Venue health and measured latency.
//!
//! A venue is healthy when its gateway's last `Heartbeat` (SBE id 1) is at most
//! `heartbeat_timeout_ns` old by the router's clock and its last `FeedStatus` (SBE id 14) is
//! `Ok`. Before its first heartbeat a venue is unhealthy (fail closed); before any
//! FeedStatus its feed counts as `Ok` (gateways publish FeedStatus on changes). Unhealthy
//! venues are left out of the NBBO and of routing.
//!
//! Latency: an exponentially weighted moving average of child-order ack latency (router send
//! time to the router seeing the venue's accept, both on the router's clock, so no
//! cross-host clock skew), `ewma += (sample - ewma) / 8`, in ns, integer arithmetic.

use crate::events::FeedState;

/// Weight of a new latency sample: 1/2^`EWMA_SHIFT`.
pub const EWMA_SHIFT: u32 = 3;

/// What the router knows about one venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueHealth {
    /// Router time of the last heartbeat from the venue's gateway, ns; `None` before the first.
    pub last_heartbeat_ns: Option<u64>,
    /// Last reported feed state.
    pub feed_state: FeedState,
    /// Gaps reported by the gateway since its start.
    pub gap_count: u64,
    /// EWMA of ack latency, ns; 0 before the first ack.
    pub ack_latency_ewma_ns: u64,
    /// Acks measured.
    pub ack_samples: u64,
}

impl Default for VenueHealth {
    fn default() -> Self {
        Self {
            last_heartbeat_ns: None,
            feed_state: FeedState::Ok,
            gap_count: 0,
            ack_latency_ewma_ns: 0,
            ack_samples: 0,
        }
    }
}

impl VenueHealth {
    /// Healthy at `now_ns` given the timeout.
    pub fn is_healthy(&self, now_ns: u64, timeout_ns: u64) -> bool {
        let fresh = self
            .last_heartbeat_ns
            .is_some_and(|t| now_ns.saturating_sub(t) <= timeout_ns);
        fresh && self.feed_state == FeedState::Ok
    }

    /// Folds one ack latency sample (ns) into the EWMA.
    pub fn record_ack_latency(&mut self, sample_ns: u64) {
        if self.ack_samples == 0 {
            self.ack_latency_ewma_ns = sample_ns;
        } else {
            let ewma = self.ack_latency_ewma_ns as i128;
            let next = ewma + ((sample_ns as i128 - ewma) >> EWMA_SHIFT);
            self.ack_latency_ewma_ns = next.max(0) as u64;
        }
        self.ack_samples += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_timeout_and_feed_state_decide_health() {
        let mut h = VenueHealth::default();
        assert!(!h.is_healthy(0, 100), "no heartbeat yet: fail closed");
        h.last_heartbeat_ns = Some(1_000);
        assert!(
            h.is_healthy(1_100, 100),
            "exactly at the timeout is still healthy"
        );
        assert!(!h.is_healthy(1_101, 100));
        for (state, healthy) in [
            (FeedState::Ok, true),
            (FeedState::Gap, false),
            (FeedState::Stale, false),
            (FeedState::Recovering, false),
        ] {
            h.feed_state = state;
            assert_eq!(h.is_healthy(1_050, 100), healthy, "{state:?}");
        }
    }

    #[test]
    fn ewma_starts_at_first_sample_and_moves_an_eighth() {
        let mut h = VenueHealth::default();
        h.record_ack_latency(80_000);
        assert_eq!(h.ack_latency_ewma_ns, 80_000);
        h.record_ack_latency(160_000);
        assert_eq!(h.ack_latency_ewma_ns, 90_000);
        h.record_ack_latency(10_000);
        assert_eq!(h.ack_latency_ewma_ns, 80_000);
        assert_eq!(h.ack_samples, 3);
    }
}
