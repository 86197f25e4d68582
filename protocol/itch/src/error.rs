//! The crate's error type and its positional wrapper for framed streams.

/// Why bytes are not a valid ITCH 5.0 message, or a message could not be encoded.
///
/// Every message starts with a stable code (`ITCH_...`) followed by `key=value` context, so
/// that logs and counters can group by code. `message_type` is the type byte (ITCH 5.0 §1,
/// "Message Type", offset 0), shown as hex and as a character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ItchError {
    /// The type byte is not one of the 23 message types of ITCH 5.0 §1.1–§1.8.
    #[error("ITCH_UNKNOWN_TYPE type={message_type:#04x} char={}", printable(*.message_type))]
    UnknownType {
        /// The type byte.
        message_type: u8,
    },
    /// Fewer bytes than the message type's fixed length (or than a frame's length prefix
    /// announces, in a day-file stream). `message_type` is 0 when not even the type byte
    /// was present.
    #[error("ITCH_TRUNCATED type={message_type:#04x} char={} expected={expected} actual={actual}", printable(*.message_type))]
    Truncated {
        /// The type byte (0 when absent).
        message_type: u8,
        /// Bytes required.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// More bytes than the message type's fixed length (the framing's length prefix and the
    /// spec's length for this type disagree).
    #[error("ITCH_LENGTH_MISMATCH type={message_type:#04x} char={} expected={expected} actual={actual}", printable(*.message_type))]
    LengthMismatch {
        /// The type byte.
        message_type: u8,
        /// The spec's length for this type.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A field whose value the decoder validates holds a value the spec does not allow
    /// (e.g. a Buy/Sell Indicator that is neither `B` nor `S`).
    #[error("ITCH_BAD_FIELD type={message_type:#04x} char={} field={field} value={value:#04x}", printable(*.message_type))]
    BadField {
        /// The type byte.
        message_type: u8,
        /// The field's name (the struct field's name).
        field: &'static str,
        /// The offending byte.
        value: u8,
    },
    /// Encoding: a field's value does not fit its wire width (a price above `u32::MAX` or
    /// negative, a timestamp at or above 2^48 ns, a side of `SellShort`).
    #[error("ITCH_FIELD_OUT_OF_RANGE type={message_type:#04x} char={} field={field} value={value}", printable(*.message_type))]
    FieldOutOfRange {
        /// The type byte.
        message_type: u8,
        /// The field's name.
        field: &'static str,
        /// The value that does not fit (saturated to `i64::MAX` for larger unsigned values).
        value: i64,
    },
    /// Encoding: the output buffer is shorter than the message.
    #[error("ITCH_BUFFER_TOO_SMALL needed={needed} available={available}")]
    BufferTooSmall {
        /// Bytes the message needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// Streaming: the underlying reader failed (not `Interrupted`, which is retried).
    #[error("ITCH_IO kind={kind:?}")]
    Io {
        /// The I/O error's kind.
        kind: std::io::ErrorKind,
    },
}

/// The type byte as a character when printable ASCII, else `?`.
fn printable(byte: u8) -> char {
    if byte.is_ascii_graphic() {
        char::from(byte)
    } else {
        '?'
    }
}

/// An [`ItchError`] met while framing a day-file stream, with the byte offset of the frame
/// (its 2-byte length prefix) from the start of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error} offset={offset}")]
pub struct FrameError {
    /// Offset in bytes of the frame's length prefix from the start of the stream.
    pub offset: u64,
    /// What was wrong.
    pub error: ItchError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_stable_codes_and_context() {
        let e = ItchError::BadField {
            message_type: b'A',
            field: "side",
            value: b'X',
        };
        assert_eq!(
            e.to_string(),
            "ITCH_BAD_FIELD type=0x41 char=A field=side value=0x58"
        );
        let e = ItchError::Truncated {
            message_type: 0,
            expected: 1,
            actual: 0,
        };
        assert_eq!(
            e.to_string(),
            "ITCH_TRUNCATED type=0x00 char=? expected=1 actual=0"
        );
        let f = FrameError {
            offset: 42,
            error: ItchError::UnknownType { message_type: b'z' },
        };
        assert_eq!(
            f.to_string(),
            "ITCH_UNKNOWN_TYPE type=0x7a char=z offset=42"
        );
    }
}
