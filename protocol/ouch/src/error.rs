//! The crate's one error type.

/// Everything that can go wrong decoding or encoding an OUCH 5.0 message.
///
/// Each message starts with a stable code (`OUCH_...`) followed by `key=value` context.
/// Decoders never panic and never read out of bounds: malformed input always lands here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OuchError {
    /// An empty buffer: no message type byte.
    #[error("OUCH_EMPTY length=0 (no message type byte)")]
    Empty,
    /// A message type byte that OUCH 5.0 does not define for this direction (§2 inbound, §3 outbound).
    #[error("OUCH_UNKNOWN_TYPE direction={direction} message_type={message_type:#04x}")]
    UnknownType {
        /// `inbound` (client to venue) or `outbound` (venue to client).
        direction: &'static str,
        /// The type byte.
        message_type: u8,
    },
    /// A message-specific decoder was given another message type.
    #[error("OUCH_WRONG_TYPE expected={expected:#04x} found={found:#04x}")]
    WrongType {
        /// The type byte the decoder handles.
        expected: u8,
        /// The type byte found.
        found: u8,
    },
    /// The buffer ends before the message's fixed fields (or its declared appendage) do.
    #[error("OUCH_TRUNCATED message_type={message_type:#04x} needed={needed} length={length}")]
    Truncated {
        /// The type byte.
        message_type: u8,
        /// Bytes needed to read the next field, counted from the type byte.
        needed: usize,
        /// Bytes available.
        length: usize,
    },
    /// Bytes left over after the message (every OUCH message has a fixed length plus its declared appendage, §1.1).
    #[error(
        "OUCH_TRAILING_BYTES message_type={message_type:#04x} expected={expected} length={length}"
    )]
    TrailingBytes {
        /// The type byte.
        message_type: u8,
        /// Bytes the message occupies.
        expected: usize,
        /// Bytes given.
        length: usize,
    },
    /// A field whose value the spec does not allow (an unknown code, a price above `i64::MAX`,
    /// or, when encoding, a negative price or an offset that does not fit its field).
    #[error("OUCH_BAD_FIELD message_type={message_type:#04x} field={field} value={value:#x}")]
    BadField {
        /// The type byte.
        message_type: u8,
        /// The spec's field name.
        field: &'static str,
        /// The offending value (a code byte, or the raw number; negative numbers as two's complement).
        value: u64,
    },
    /// A malformed optional appendage (§1.2 TagValue, Appendix B).
    #[error("OUCH_BAD_APPENDAGE message_type={message_type:#04x} offset={offset} tag={tag} reason={reason}")]
    BadAppendage {
        /// The type byte.
        message_type: u8,
        /// Offset of the offending TagValue element within the appendage.
        offset: usize,
        /// The element's OptionTag (0 when the element is too short to have one).
        tag: u8,
        /// `overruns_appendage`, `empty_element`, `wrong_size`, `duplicate_tag` or `bad_value`.
        reason: &'static str,
    },
    /// The caller's output buffer is shorter than the encoded message.
    #[error("OUCH_BUFFER_TOO_SMALL message_type={message_type:#04x} needed={needed} available={available}")]
    BufferTooSmall {
        /// The type byte.
        message_type: u8,
        /// Bytes the message needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
}
