//! Every size and time limit of the feed handler in one place (TigerBeetle style), validated
//! once at start-up; buffers are allocated from these numbers and never grow.

use crossbar_moldudp64::{END_OF_SESSION_COUNT, HEADER_LEN, UDP_PAYLOAD_MAX};

use crate::FeedError;

/// Sizes of the feed handler's pre-allocated buffers and the per-cycle work bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedLimits {
    /// Most out-of-order packets held while a gap is open. Packets ahead of the gap beyond
    /// this (or beyond `reorder_bytes`) are dropped and recovered by re-request instead.
    pub reorder_packets: usize,
    /// Bytes of the reorder arena, packets packed back to back (a one-message ITCH packet
    /// takes ~40 bytes). At least `packet_bytes_max`.
    pub reorder_bytes: usize,
    /// Largest downstream packet kept in the reorder buffer, bytes (1,472 for a 1,500-byte
    /// Ethernet MTU). Larger packets are still delivered in order, just never buffered.
    pub packet_bytes_max: usize,
    /// Datagrams read per socket per duty cycle (bounds one `do_work`).
    pub datagrams_per_cycle: usize,
    /// Kernel receive buffer requested for the feed socket (`SO_RCVBUF`), bytes; 0 keeps the
    /// OS default. The kernel caps it at `net.core.rmem_max` (logged as `FEED_RCVBUF_CAPPED`
    /// when it does); datagrams arriving while it is full are dropped by the kernel and come
    /// back as gaps to re-request.
    pub receive_buffer_bytes: usize,
}

impl Default for FeedLimits {
    /// 16,384 reorder packets in 1,507,328 bytes (1,024 full 1,472-byte packets, or ~37,000
    /// one-message ITCH packets), 64 datagrams per socket per cycle, an 8 MiB receive buffer
    /// (~200,000 one-message packets; granted only up to `net.core.rmem_max`).
    fn default() -> Self {
        Self {
            reorder_packets: 16_384,
            reorder_bytes: 1_507_328,
            packet_bytes_max: 1_472,
            datagrams_per_cycle: 64,
            receive_buffer_bytes: 8 << 20,
        }
    }
}

impl FeedLimits {
    /// Most reorder packets accepted.
    pub const REORDER_PACKETS_MAX: usize = 1 << 20;
    /// Largest reorder arena accepted, bytes (256 MiB).
    pub const REORDER_BYTES_MAX: usize = 1 << 28;
    /// Most datagrams per socket per cycle accepted.
    pub const DATAGRAMS_PER_CYCLE_MAX: usize = 1 << 16;
    /// Largest receive buffer accepted, bytes (1 GiB).
    pub const RECEIVE_BUFFER_BYTES_MAX: usize = 1 << 30;

    /// Checks every field against its range.
    ///
    /// # Errors
    /// [`FeedError::InvalidLimits`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), FeedError> {
        check(
            "reorder_packets",
            self.reorder_packets as u64,
            1,
            Self::REORDER_PACKETS_MAX as u64,
        )?;
        check(
            "packet_bytes_max",
            self.packet_bytes_max as u64,
            HEADER_LEN as u64,
            UDP_PAYLOAD_MAX as u64,
        )?;
        check(
            "reorder_bytes",
            self.reorder_bytes as u64,
            self.packet_bytes_max as u64,
            Self::REORDER_BYTES_MAX as u64,
        )?;
        check(
            "datagrams_per_cycle",
            self.datagrams_per_cycle as u64,
            1,
            Self::DATAGRAMS_PER_CYCLE_MAX as u64,
        )?;
        check(
            "receive_buffer_bytes",
            self.receive_buffer_bytes as u64,
            0,
            Self::RECEIVE_BUFFER_BYTES_MAX as u64,
        )
    }
}

/// How gaps are re-requested from the venue's MoldUDP64 request server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// Largest Requested Message Count per request (MoldUDP64 "Request Packet"); the server
    /// answers with as many as fit one packet, and the handler asks again for the rest.
    pub max_count_per_request: u16,
    /// How long one request may go unanswered before it is sent again, ns.
    pub request_timeout_ns: u64,
    /// Requests sent for one gap without progress before it is declared unrecoverable.
    pub request_attempts_max: u32,
}

impl Default for RecoveryPolicy {
    /// 1,000 messages per request, 200 ms timeout, 5 attempts (1 s without progress).
    fn default() -> Self {
        Self {
            max_count_per_request: 1_000,
            request_timeout_ns: 200_000_000,
            request_attempts_max: 5,
        }
    }
}

impl RecoveryPolicy {
    /// Longest per-attempt timeout accepted: one minute.
    pub const REQUEST_TIMEOUT_NS_MAX: u64 = 60_000_000_000;
    /// Most attempts accepted.
    pub const REQUEST_ATTEMPTS_MAX: u32 = 1_000;

    /// Checks every field against its range (count 1..=0xFFFE: 0 and 0xFFFF are not
    /// message counts in MoldUDP64).
    ///
    /// # Errors
    /// [`FeedError::InvalidLimits`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), FeedError> {
        check(
            "max_count_per_request",
            u64::from(self.max_count_per_request),
            1,
            u64::from(END_OF_SESSION_COUNT - 1),
        )?;
        check(
            "request_timeout_ns",
            self.request_timeout_ns,
            1,
            Self::REQUEST_TIMEOUT_NS_MAX,
        )?;
        check(
            "request_attempts_max",
            u64::from(self.request_attempts_max),
            1,
            u64::from(Self::REQUEST_ATTEMPTS_MAX),
        )
    }
}

fn check(field: &'static str, value: u64, min: u64, max: u64) -> Result<(), FeedError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(FeedError::InvalidLimits {
            field,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        assert!(FeedLimits::default().validate().is_ok());
        assert!(RecoveryPolicy::default().validate().is_ok());
        let bad = FeedLimits {
            packet_bytes_max: 19,
            ..FeedLimits::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "FEED_INVALID_LIMITS field=packet_bytes_max value=19 min=20 max=65507"
        );
        let bad = FeedLimits {
            receive_buffer_bytes: FeedLimits::RECEIVE_BUFFER_BYTES_MAX + 1,
            ..FeedLimits::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "FEED_INVALID_LIMITS field=receive_buffer_bytes value=1073741825 min=0 max=1073741824"
        );
        let bad = RecoveryPolicy {
            max_count_per_request: 0xFFFF,
            ..RecoveryPolicy::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(FeedError::InvalidLimits {
                field: "max_count_per_request",
                ..
            })
        ));
        let bad = RecoveryPolicy {
            request_attempts_max: 0,
            ..RecoveryPolicy::default()
        };
        assert!(bad.validate().is_err());
    }
}
