//! The crate's one error type.

/// Everything that can go wrong framing, decoding, encoding or driving a SoupBinTCP session.
///
/// Each message starts with a stable code (`SOUP_...`) followed by `key=value` context, so logs
/// and counters can group on the code. Decoders never panic: malformed input always lands here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SoupError {
    /// A packet whose length field is 0: every packet holds at least its type byte (SoupBinTCP 3.0 §1.1).
    #[error("SOUP_EMPTY_PACKET length=0 (a packet holds at least its type byte)")]
    EmptyPacket,
    /// A length field larger than the configured maximum packet length (bytes after the length field).
    #[error("SOUP_OVERSIZE length={length} max={max}")]
    Oversize {
        /// The length field read, in bytes.
        length: usize,
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// A packet type byte that SoupBinTCP 3.0 §2 does not define.
    #[error("SOUP_UNKNOWN_TYPE packet_type={packet_type:#04x}")]
    UnknownType {
        /// The type byte.
        packet_type: u8,
    },
    /// A fixed-size packet whose length does not match the spec's layout.
    #[error("SOUP_BAD_LENGTH packet_type={packet_type:#04x} length={length} expected={expected}")]
    BadLength {
        /// The type byte.
        packet_type: u8,
        /// The length received (type byte plus payload), in bytes.
        length: usize,
        /// The length the spec defines, in bytes.
        expected: usize,
    },
    /// A field whose bytes are not valid for its type (e.g. a non-digit in a numeric field).
    #[error("SOUP_BAD_FIELD field={field} byte={byte:#04x}")]
    BadField {
        /// The spec's field name.
        field: &'static str,
        /// The first offending byte.
        byte: u8,
    },
    /// A caller-supplied buffer cannot hold the encoded packet.
    #[error("SOUP_BUFFER_TOO_SMALL needed={needed} available={available}")]
    BufferTooSmall {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// A payload longer than the 2-byte length field can express (65,534 bytes).
    #[error("SOUP_PAYLOAD_TOO_LARGE length={length} max={max}")]
    PayloadTooLarge {
        /// The payload length, in bytes.
        length: usize,
        /// The largest payload allowed, in bytes.
        max: usize,
    },
    /// The session's output buffer is full: the caller must write pending output to the socket first.
    #[error("SOUP_BACK_PRESSURE needed={needed} free={free}")]
    BackPressure {
        /// Bytes the packet needs.
        needed: usize,
        /// Bytes free in the output buffer.
        free: usize,
    },
    /// The event is not allowed in the session's current state (the transition table has no row).
    #[error("SOUP_INVALID_TRANSITION role={role} state={state} event={event}")]
    InvalidTransition {
        /// `client` or `server`.
        role: &'static str,
        /// The state's name.
        state: &'static str,
        /// The event's name.
        event: &'static str,
    },
    /// A packet only the other role may send (e.g. a Login Request arriving at a client).
    #[error("SOUP_UNEXPECTED_PACKET role={role} packet_type={packet_type:#04x}")]
    UnexpectedPacket {
        /// `client` or `server`: the role that received it.
        role: &'static str,
        /// The type byte.
        packet_type: u8,
    },
    /// The message store cannot hold another message.
    #[error("SOUP_STORE_FULL messages={messages} bytes={bytes}")]
    StoreFull {
        /// Messages stored.
        messages: usize,
        /// Payload bytes stored.
        bytes: usize,
    },
    /// A replay needs a sequenced message the store no longer holds.
    #[error("SOUP_NOT_RETAINED sequence_number={sequence_number}")]
    NotRetained {
        /// The missing message's sequence number.
        sequence_number: u64,
    },
    /// A text field (username, password, session) that is too long or not printable ASCII.
    #[error("SOUP_BAD_TEXT field={field} length={length} max={max}")]
    BadText {
        /// The field name.
        field: &'static str,
        /// The text's length, in bytes.
        length: usize,
        /// The field width, in bytes.
        max: usize,
    },
}
