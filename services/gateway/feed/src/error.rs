//! The crate's one error type.

/// Why the feed handler could not be built or started. Messages start with a stable code and
/// carry `key=value` context. Nothing on the hot path returns this: bad datagrams and book
/// rejections are counted, not raised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// A [`crate::FeedLimits`], [`crate::RecoveryPolicy`] or [`crate::BookBuilderLimits`]
    /// field is out of range.
    #[error("FEED_INVALID_LIMITS field={field} value={value} min={min} max={max}")]
    InvalidLimits {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// Opening, binding, joining or configuring a socket failed.
    #[error("FEED_SOCKET step={step} addr={addr} error={source}")]
    Socket {
        /// What was being done (`bind_feed`, `join_multicast`, `bind_request`, ...).
        step: &'static str,
        /// The address involved.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The order book could not be created.
    #[error("FEED_BOOK error={0}")]
    Book(#[from] crossbar_book::BookError),
}
