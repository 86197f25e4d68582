//! The crate's error type.

use crossbar_moldudp64::MoldError;

/// Why a venue-feed component could not be built or could not take a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// A limit is zero or out of its allowed range.
    #[error("VFEED_INVALID_LIMITS field={field} value={value} (valid {min}..={max})")]
    InvalidLimits {
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A message longer than a MoldUDP64 block can carry or the history can hold.
    #[error("VFEED_MESSAGE_TOO_LARGE len={len} max={max}")]
    MessageTooLarge {
        /// The message's length in bytes.
        len: usize,
        /// The largest accepted length in bytes.
        max: usize,
    },
    /// The publisher already sent End of Session (MoldUDP64 "End of Session"); nothing more
    /// can be published.
    #[error("VFEED_SESSION_ENDED next_sequence_number={next_sequence_number}")]
    SessionEnded {
        /// The sequence number the next message would have had.
        next_sequence_number: u64,
    },
    /// MoldUDP64 framing refused the configuration or a message.
    #[error("VFEED_MOLD {0}")]
    Mold(#[from] MoldError),
    /// A socket could not be created or configured.
    #[error("VFEED_SOCKET op={op} kind={kind:?}")]
    Socket {
        /// What was being done (`bind`, `set_nonblocking`, `multicast_ttl`, ...).
        op: &'static str,
        /// The OS error kind.
        kind: std::io::ErrorKind,
    },
    /// The seed source could not be opened or read.
    #[error("VFEED_SOURCE source={source_kind} reason={reason}")]
    Source {
        /// `day_file` or `pcap`.
        source_kind: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The matching engine could not be built from the given configuration.
    #[error("VFEED_ENGINE {0}")]
    Engine(#[from] crossbar_matching::MatchError),
}

impl FeedError {
    /// A [`FeedError::Socket`] for `op` from an I/O error.
    pub(crate) fn socket(op: &'static str) -> impl FnOnce(std::io::Error) -> FeedError {
        move |e| FeedError::Socket { op, kind: e.kind() }
    }
}
