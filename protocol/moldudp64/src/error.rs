//! The crate's error type.

/// Why bytes are not a valid MoldUDP64 packet, or a packet could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoldError {
    /// Fewer than the 20 header bytes (spec "Downstream Packet Header").
    #[error("MOLD_TRUNCATED_HEADER expected=20 actual={actual}")]
    TruncatedHeader {
        /// Bytes present.
        actual: usize,
    },
    /// A message block's length prefix or data runs past the end of the packet.
    #[error(
        "MOLD_TRUNCATED_BLOCK index={index} offset={offset} expected={expected} actual={actual}"
    )]
    TruncatedBlock {
        /// Index of the block in the packet (0-based).
        index: u16,
        /// Offset of the block from the start of the packet.
        offset: usize,
        /// Bytes the block needs (prefix included).
        expected: usize,
        /// Bytes left in the packet.
        actual: usize,
    },
    /// Bytes after the last message block the header's count announces (or after the header
    /// of a heartbeat / end-of-session packet).
    #[error("MOLD_TRAILING_BYTES message_count={message_count} extra={extra}")]
    TrailingBytes {
        /// The header's message count.
        message_count: u16,
        /// Bytes left over.
        extra: usize,
    },
    /// A request packet that is not exactly 20 bytes (spec "Request Packet").
    #[error("MOLD_REQUEST_LENGTH expected=20 actual={actual}")]
    RequestLength {
        /// Bytes given.
        actual: usize,
    },
    /// Encoding: the message can never fit a packet of the configured maximum payload.
    #[error("MOLD_MESSAGE_TOO_LARGE len={len} max={max}")]
    MessageTooLarge {
        /// The message's length.
        len: usize,
        /// The largest message that fits an empty packet.
        max: usize,
    },
    /// Encoding: the message does not fit in the current packet (send it, then push again).
    #[error("MOLD_PACKET_FULL len={len} room={room}")]
    PacketFull {
        /// The message's length.
        len: usize,
        /// Bytes of room left, prefix included.
        room: usize,
    },
    /// Encoding: a maximum payload too small for a header and one block, or above the UDP
    /// payload limit of 65,507 bytes.
    #[error("MOLD_BAD_MAX_PAYLOAD max_payload={max_payload} (valid 23..=65507)")]
    BadMaxPayload {
        /// The rejected size.
        max_payload: usize,
    },
}
