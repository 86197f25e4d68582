//! Error types. Every message starts with a stable code followed by key=value context.
//!
//! [`TransportError`] covers set-up and waiting (driver, client, adding streams, connection
//! timeouts, polling). [`PublishError`] is the hot-path outcome of one offer: `Copy`, no
//! allocation, one variant per negative Aeron offer result (Aeron C client
//! `aeron_publication_offer`: `AERON_PUBLICATION_NOT_CONNECTED` -1, `BACK_PRESSURED` -2,
//! `ADMIN_ACTION` -3, `CLOSED` -4, `MAX_POSITION_EXCEEDED` -5, `ERROR` -6).

/// Why the transport could not be set up, a stream could not be added or a wait timed out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A configuration value is invalid.
    #[error("TRANSPORT_INVALID_CONFIG key={key} reason={reason}")]
    InvalidConfig {
        /// Dotted key, e.g. `transport.ipc_term_buffer_length`.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The embedded media driver failed to initialise or start.
    #[error("TRANSPORT_DRIVER_START_FAILED aeron_dir={aeron_dir} reason={reason}")]
    DriverStart {
        /// The driver's directory.
        aeron_dir: String,
        /// Aeron's error text.
        reason: String,
    },
    /// The client could not connect to a driver (none running at `aeron_dir`, or it timed out).
    #[error("TRANSPORT_CLIENT_CONNECT_FAILED aeron_dir={aeron_dir} reason={reason}")]
    ClientConnect {
        /// The directory the client looked in.
        aeron_dir: String,
        /// Aeron's error text.
        reason: String,
    },
    /// No publication or subscription of that name is configured.
    #[error("TRANSPORT_UNKNOWN_STREAM kind={kind} name={name}")]
    UnknownStream {
        /// `publication` or `subscription`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The driver refused to add a publication or subscription (bad URI, port in use...),
    /// or did not answer within the driver timeout.
    #[error("TRANSPORT_ADD_FAILED kind={kind} name={name} channel={channel} stream_id={stream_id} reason={reason}")]
    AddFailed {
        /// `publication` or `subscription`.
        kind: &'static str,
        /// The configured name.
        name: String,
        /// Channel URI.
        channel: String,
        /// Stream id.
        stream_id: i32,
        /// Aeron's error text or `timed out after <ms> ms`.
        reason: String,
    },
    /// A publication had no connected subscriber, or a subscription no image, within the
    /// timeout.
    #[error("TRANSPORT_CONNECT_TIMEOUT kind={kind} channel={channel} stream_id={stream_id} timeout_ms={timeout_ms}")]
    ConnectTimeout {
        /// `publication` or `subscription`.
        kind: &'static str,
        /// Channel URI.
        channel: String,
        /// Stream id.
        stream_id: i32,
        /// How long it waited, ms.
        timeout_ms: u64,
    },
    /// Polling a subscription failed (it was closed under us).
    #[error("TRANSPORT_POLL_FAILED channel={channel} stream_id={stream_id} reason={reason}")]
    Poll {
        /// Channel URI.
        channel: String,
        /// Stream id.
        stream_id: i32,
        /// Aeron's error text.
        reason: String,
    },
}

/// The outcome of an offer or claim that did not publish. Each variant has its own counter
/// (`pub.<name>.<counter_suffix>`) so none is ever dropped silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Aeron -2: the subscriber(s) are a full window behind (flow control / term full).
    /// Retry after idling.
    #[error("PUBLISH_BACK_PRESSURED")]
    BackPressured,
    /// Aeron -1: no subscriber is connected. The message was not sent.
    #[error("PUBLISH_NOT_CONNECTED")]
    NotConnected,
    /// Aeron -3: the publication is rotating a term; retry at once.
    #[error("PUBLISH_ADMIN_ACTION")]
    AdminAction,
    /// Aeron -4: the publication is closed. Fatal for this publisher.
    #[error("PUBLISH_CLOSED")]
    Closed,
    /// Aeron -5: the stream reached its maximum position. Fatal: a new publication
    /// (session) is needed.
    #[error("PUBLISH_MAX_POSITION_EXCEEDED")]
    MaxPositionExceeded,
    /// The message is longer than the publication's maximum (`term length / 8`, at most
    /// 16 MiB), or a claim is longer than one frame's payload (MTU − 32). Not offered.
    #[error("PUBLISH_TOO_LONG length={length} max_length={max_length}")]
    TooLong {
        /// Bytes asked for.
        length: usize,
        /// The limit, bytes.
        max_length: usize,
    },
    /// Any other negative Aeron result (-6 `AERON_PUBLICATION_ERROR` or unknown).
    #[error("PUBLISH_AERON_ERROR code={code}")]
    Aeron {
        /// The raw Aeron result.
        code: i64,
    },
}

impl PublishError {
    /// Maps a negative Aeron offer / try_claim result to its variant (Aeron C client
    /// `aeron_publication.h` constants).
    pub fn from_aeron_result(result: i64) -> Self {
        match result {
            -1 => PublishError::NotConnected,
            -2 => PublishError::BackPressured,
            -3 => PublishError::AdminAction,
            -4 => PublishError::Closed,
            -5 => PublishError::MaxPositionExceeded,
            code => PublishError::Aeron { code },
        }
    }

    /// `true` for outcomes a retry can fix without outside help: back-pressure and admin
    /// action. Not-connected is not retried by `offer_with_retry`: waiting for a subscriber
    /// is a different decision (see `Publisher::wait_connected`).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            PublishError::BackPressured | PublishError::AdminAction
        )
    }

    /// The suffix of the counter this outcome increments: `pub.<name>.<suffix>`.
    pub fn counter_suffix(&self) -> &'static str {
        match self {
            PublishError::BackPressured => "back_pressured",
            PublishError::NotConnected => "not_connected",
            PublishError::AdminAction => "admin_action",
            PublishError::Closed => "closed",
            PublishError::MaxPositionExceeded => "max_position",
            PublishError::TooLong { .. } => "too_long",
            PublishError::Aeron { .. } => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aeron_results_map_to_variants_and_counters() {
        let cases = [
            (-1, PublishError::NotConnected, "not_connected", false),
            (-2, PublishError::BackPressured, "back_pressured", true),
            (-3, PublishError::AdminAction, "admin_action", true),
            (-4, PublishError::Closed, "closed", false),
            (-5, PublishError::MaxPositionExceeded, "max_position", false),
            (-6, PublishError::Aeron { code: -6 }, "error", false),
        ];
        for (raw, variant, suffix, transient) in cases {
            let e = PublishError::from_aeron_result(raw);
            assert_eq!(e, variant);
            assert_eq!(e.counter_suffix(), suffix);
            assert_eq!(e.is_transient(), transient, "{e}");
        }
        let e = PublishError::TooLong {
            length: 10,
            max_length: 5,
        };
        assert_eq!(e.to_string(), "PUBLISH_TOO_LONG length=10 max_length=5");
    }
}
