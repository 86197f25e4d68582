//! SoupBinTCP 3.0 packets (§2): typed views, decoding from a frame, encoding into caller buffers.
//!
//! A packet on the wire is a 2-byte big-endian length (bytes that follow it), a 1-byte type and
//! a payload (§1.1). [`Packet::decode`] takes the bytes after the length field (type + payload);
//! [`Packet::encode`] writes the whole packet including the length field.

use crate::error::SoupError;

/// Bytes in the length field that starts every packet (§1.1).
pub const LENGTH_FIELD_LEN: usize = 2;
/// Bytes of framing before a data packet's message: the length field and the type byte.
pub const HEADER_LEN: usize = 3;
/// Largest payload after the type byte that the 2-byte length field can express, in bytes.
pub const MAX_PAYLOAD_LEN: usize = u16::MAX as usize - 1;

/// Packet type bytes (SoupBinTCP 3.0 §2).
pub mod packet_type {
    /// Debug Packet, either direction (§2.1).
    pub const DEBUG: u8 = b'+';
    /// Login Accepted, server to client (§2.2.1).
    pub const LOGIN_ACCEPTED: u8 = b'A';
    /// Login Rejected, server to client (§2.2.2).
    pub const LOGIN_REJECTED: u8 = b'J';
    /// Sequenced Data, server to client (§2.2.3).
    pub const SEQUENCED_DATA: u8 = b'S';
    /// Server Heartbeat (§2.2.4).
    pub const SERVER_HEARTBEAT: u8 = b'H';
    /// End of Session (§2.2.5).
    pub const END_OF_SESSION: u8 = b'Z';
    /// Login Request, client to server (§2.3.1).
    pub const LOGIN_REQUEST: u8 = b'L';
    /// Unsequenced Data, client to server (§2.3.2).
    pub const UNSEQUENCED_DATA: u8 = b'U';
    /// Client Heartbeat (§2.3.3).
    pub const CLIENT_HEARTBEAT: u8 = b'R';
    /// Logout Request (§2.3.4).
    pub const LOGOUT_REQUEST: u8 = b'O';
}

/// Type byte plus payload length of a Login Accepted packet: 1 + Session (10) + Sequence Number (20) (§2.2.1).
pub const LOGIN_ACCEPTED_LEN: usize = 31;
/// Type byte plus payload length of a Login Rejected packet: 1 + Reject Reason Code (1) (§2.2.2).
pub const LOGIN_REJECTED_LEN: usize = 2;
/// Type byte plus payload length of a Login Request: 1 + Username (6) + Password (10) + Session (10) + Sequence (20) (§2.3.1).
pub const LOGIN_REQUEST_LEN: usize = 47;
const SEQUENCE_FIELD_LEN: usize = 20;

/// A fixed-width, space-padded ASCII field of `N` bytes (SoupBinTCP 3.0 §1.5 "Character data").
macro_rules! text_field {
    ($name:ident, $len:expr, $field:literal, $left_pad:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// Equality ignores padding and ASCII case (the spec makes username and password
        /// case-insensitive; session ids are compared the same way).
        #[derive(Clone, Copy, Debug)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Field width in bytes.
            pub const LEN: usize = $len;
            /// All spaces.
            pub const BLANK: Self = Self([b' '; $len]);

            /// Pads `text` with spaces to the field width.
            ///
            /// # Errors
            /// [`SoupError::BadText`] when `text` is longer than the field or not printable ASCII.
            pub fn new(text: &str) -> Result<Self, SoupError> {
                let bytes = text.as_bytes();
                let bad = SoupError::BadText {
                    field: $field,
                    length: bytes.len(),
                    max: $len,
                };
                if bytes.len() > $len || !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
                    return Err(bad);
                }
                let mut out = [b' '; $len];
                let start = if $left_pad { $len - bytes.len() } else { 0 };
                out[start..start + bytes.len()].copy_from_slice(bytes);
                Ok(Self(out))
            }

            /// The text without its padding.
            pub fn trimmed(&self) -> &[u8] {
                self.0.trim_ascii()
            }

            /// True when the field is all spaces.
            pub fn is_blank(&self) -> bool {
                self.trimmed().is_empty()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.trimmed().eq_ignore_ascii_case(other.trimmed())
            }
        }
        impl Eq for $name {}
    };
}

text_field!(
    Username,
    6,
    "username",
    false,
    "Login Request Username, 6 bytes, right-padded (§2.3.1)."
);
text_field!(
    Password,
    10,
    "password",
    false,
    "Login Request Password, 10 bytes, right-padded (§2.3.1)."
);
text_field!(
    SessionId,
    10,
    "session",
    true,
    "Session id, 10 bytes, left-padded with spaces (§2.2.1); blank in a Login Request means \"the current session\" (§2.3.1)."
);

/// Login Rejected reason codes (SoupBinTCP 3.0 §2.2.2 "Login Reject Codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRejectReason {
    /// `A`: invalid username and password combination.
    NotAuthorized,
    /// `S`: the requested session is invalid or not available.
    SessionNotAvailable,
    /// Any other code, kept so that the client still learns it was rejected.
    Other(u8),
}

impl LoginRejectReason {
    /// Parses the wire code.
    pub const fn from_code(code: u8) -> Self {
        match code {
            b'A' => Self::NotAuthorized,
            b'S' => Self::SessionNotAvailable,
            other => Self::Other(other),
        }
    }

    /// The wire code.
    pub const fn code(self) -> u8 {
        match self {
            Self::NotAuthorized => b'A',
            Self::SessionNotAvailable => b'S',
            Self::Other(code) => code,
        }
    }
}

/// One SoupBinTCP 3.0 logical packet (§2), borrowing its variable-length parts from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// `+` Debug (§2.1): free text, to be ignored by applications.
    Debug {
        /// The text bytes.
        text: &'a [u8],
    },
    /// `A` Login Accepted (§2.2.1).
    LoginAccepted {
        /// The session now logged into.
        session: SessionId,
        /// Sequence number of the next Sequenced Data packet the server will send (first is 1).
        sequence_number: u64,
    },
    /// `J` Login Rejected (§2.2.2).
    LoginRejected {
        /// Why.
        reason: LoginRejectReason,
    },
    /// `S` Sequenced Data (§2.2.3): one higher-level message; its sequence number is implied.
    SequencedData {
        /// The higher-level message.
        message: &'a [u8],
    },
    /// `H` Server Heartbeat (§2.2.4).
    ServerHeartbeat,
    /// `Z` End of Session (§2.2.5).
    EndOfSession,
    /// `L` Login Request (§2.3.1).
    LoginRequest {
        /// Username.
        username: Username,
        /// Password.
        password: Password,
        /// Session to log into, blank for the current one.
        requested_session: SessionId,
        /// Next sequence number the client wants, or 0 for "from the most recent message on".
        requested_sequence_number: u64,
    },
    /// `U` Unsequenced Data (§2.3.2): one higher-level message from the client.
    UnsequencedData {
        /// The higher-level message.
        message: &'a [u8],
    },
    /// `R` Client Heartbeat (§2.3.3).
    ClientHeartbeat,
    /// `O` Logout Request (§2.3.4).
    LogoutRequest,
}

impl<'a> Packet<'a> {
    /// Decodes a packet from `frame`: the type byte and payload, i.e. the bytes after the length field.
    ///
    /// # Errors
    /// [`SoupError::EmptyPacket`], [`SoupError::UnknownType`], [`SoupError::BadLength`] for a
    /// fixed-size packet of the wrong size, [`SoupError::BadField`] for a malformed numeric field.
    #[inline]
    pub fn decode(frame: &'a [u8]) -> Result<Self, SoupError> {
        // Data packets are the hot path: no length rule, no fields to parse.
        match frame.split_first() {
            Some((&packet_type::SEQUENCED_DATA, message)) => Ok(Packet::SequencedData { message }),
            Some((&packet_type::UNSEQUENCED_DATA, message)) => {
                Ok(Packet::UnsequencedData { message })
            }
            _ => Self::decode_control(frame),
        }
    }

    /// Every packet other than Sequenced and Unsequenced Data (kept out of line).
    #[inline(never)]
    fn decode_control(frame: &'a [u8]) -> Result<Self, SoupError> {
        use packet_type as t;
        let Some((&kind, payload)) = frame.split_first() else {
            return Err(SoupError::EmptyPacket);
        };
        let expect = |expected: usize| -> Result<(), SoupError> {
            if frame.len() == expected {
                Ok(())
            } else {
                Err(SoupError::BadLength {
                    packet_type: kind,
                    length: frame.len(),
                    expected,
                })
            }
        };
        Ok(match kind {
            t::DEBUG => Packet::Debug { text: payload },
            t::SEQUENCED_DATA => Packet::SequencedData { message: payload },
            t::UNSEQUENCED_DATA => Packet::UnsequencedData { message: payload },
            t::LOGIN_ACCEPTED => {
                expect(LOGIN_ACCEPTED_LEN)?;
                Packet::LoginAccepted {
                    session: SessionId(array_at(payload, 0)),
                    sequence_number: parse_sequence(&payload[10..30], "Sequence Number")?,
                }
            }
            t::LOGIN_REJECTED => {
                expect(LOGIN_REJECTED_LEN)?;
                Packet::LoginRejected {
                    reason: LoginRejectReason::from_code(payload[0]),
                }
            }
            t::LOGIN_REQUEST => {
                expect(LOGIN_REQUEST_LEN)?;
                Packet::LoginRequest {
                    username: Username(array_at(payload, 0)),
                    password: Password(array_at(payload, 6)),
                    requested_session: SessionId(array_at(payload, 16)),
                    requested_sequence_number: parse_sequence(
                        &payload[26..46],
                        "Requested Sequence Number",
                    )?,
                }
            }
            t::SERVER_HEARTBEAT | t::END_OF_SESSION | t::CLIENT_HEARTBEAT | t::LOGOUT_REQUEST => {
                expect(1)?;
                match kind {
                    t::SERVER_HEARTBEAT => Packet::ServerHeartbeat,
                    t::END_OF_SESSION => Packet::EndOfSession,
                    t::CLIENT_HEARTBEAT => Packet::ClientHeartbeat,
                    _ => Packet::LogoutRequest,
                }
            }
            other => return Err(SoupError::UnknownType { packet_type: other }),
        })
    }

    /// The packet type byte (§2).
    #[inline]
    pub const fn packet_type(&self) -> u8 {
        use packet_type as t;
        match self {
            Packet::Debug { .. } => t::DEBUG,
            Packet::LoginAccepted { .. } => t::LOGIN_ACCEPTED,
            Packet::LoginRejected { .. } => t::LOGIN_REJECTED,
            Packet::SequencedData { .. } => t::SEQUENCED_DATA,
            Packet::ServerHeartbeat => t::SERVER_HEARTBEAT,
            Packet::EndOfSession => t::END_OF_SESSION,
            Packet::LoginRequest { .. } => t::LOGIN_REQUEST,
            Packet::UnsequencedData { .. } => t::UNSEQUENCED_DATA,
            Packet::ClientHeartbeat => t::CLIENT_HEARTBEAT,
            Packet::LogoutRequest => t::LOGOUT_REQUEST,
        }
    }

    /// Bytes after the length field: the type byte plus the payload.
    pub const fn frame_len(&self) -> usize {
        match self {
            Packet::Debug { text: bytes }
            | Packet::SequencedData { message: bytes }
            | Packet::UnsequencedData { message: bytes } => 1 + bytes.len(),
            Packet::LoginAccepted { .. } => LOGIN_ACCEPTED_LEN,
            Packet::LoginRejected { .. } => LOGIN_REJECTED_LEN,
            Packet::LoginRequest { .. } => LOGIN_REQUEST_LEN,
            _ => 1,
        }
    }

    /// Bytes the whole packet takes on the wire, length field included.
    pub const fn encoded_len(&self) -> usize {
        LENGTH_FIELD_LEN + self.frame_len()
    }

    /// Writes the whole packet (length field, type, payload) to the start of `out`.
    ///
    /// Returns the number of bytes written ([`Packet::encoded_len`]).
    ///
    /// # Errors
    /// [`SoupError::PayloadTooLarge`] when a payload exceeds [`MAX_PAYLOAD_LEN`];
    /// [`SoupError::BufferTooSmall`] when `out` is shorter than the packet.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, SoupError> {
        let frame_len = self.frame_len();
        if frame_len - 1 > MAX_PAYLOAD_LEN {
            return Err(SoupError::PayloadTooLarge {
                length: frame_len - 1,
                max: MAX_PAYLOAD_LEN,
            });
        }
        let total = LENGTH_FIELD_LEN + frame_len;
        let Some(out) = out.get_mut(..total) else {
            return Err(SoupError::BufferTooSmall {
                needed: total,
                available: out.len(),
            });
        };
        out[..2].copy_from_slice(&(frame_len as u16).to_be_bytes());
        out[2] = self.packet_type();
        let body = &mut out[3..];
        match self {
            Packet::Debug { text: bytes }
            | Packet::SequencedData { message: bytes }
            | Packet::UnsequencedData { message: bytes } => body.copy_from_slice(bytes),
            Packet::LoginAccepted {
                session,
                sequence_number,
            } => {
                body[..10].copy_from_slice(&session.0);
                write_sequence(&mut body[10..30], *sequence_number);
            }
            Packet::LoginRejected { reason } => body[0] = reason.code(),
            Packet::LoginRequest {
                username,
                password,
                requested_session,
                requested_sequence_number,
            } => {
                body[..6].copy_from_slice(&username.0);
                body[6..16].copy_from_slice(&password.0);
                body[16..26].copy_from_slice(&requested_session.0);
                write_sequence(&mut body[26..46], *requested_sequence_number);
            }
            _ => {}
        }
        Ok(total)
    }
}

/// Writes the 3-byte header (length field and type) of a data packet (`S`, `U` or `+`) whose
/// message of `message_len` bytes the caller writes (or has written) at `out[3..]`.
///
/// Lets an encoder put a higher-level message straight into its final place with no copy.
/// Returns the whole packet's length, `3 + message_len`.
///
/// # Errors
/// [`SoupError::PayloadTooLarge`] above [`MAX_PAYLOAD_LEN`]; [`SoupError::BufferTooSmall`] when
/// `out` is shorter than the packet.
#[inline]
pub fn encode_data_header(
    out: &mut [u8],
    packet_type: u8,
    message_len: usize,
) -> Result<usize, SoupError> {
    if message_len > MAX_PAYLOAD_LEN {
        return Err(SoupError::PayloadTooLarge {
            length: message_len,
            max: MAX_PAYLOAD_LEN,
        });
    }
    let total = HEADER_LEN + message_len;
    if out.len() < total {
        return Err(SoupError::BufferTooSmall {
            needed: total,
            available: out.len(),
        });
    }
    out[..2].copy_from_slice(&((message_len + 1) as u16).to_be_bytes());
    out[2] = packet_type;
    Ok(total)
}

fn array_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

/// Parses a 20-byte ASCII sequence number: digits, padded with spaces on either side (§2.2.1
/// says left-padded; some clients right-pad, and both are accepted). All spaces is an error.
fn parse_sequence(field: &[u8], name: &'static str) -> Result<u64, SoupError> {
    let digits = field.trim_ascii();
    if digits.is_empty() {
        return Err(SoupError::BadField {
            field: name,
            byte: b' ',
        });
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(SoupError::BadField {
                field: name,
                byte: b,
            });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(SoupError::BadField {
                field: name,
                byte: b,
            })?;
    }
    Ok(value)
}

/// Writes `value` as ASCII digits left-padded with spaces to the 20-byte field (§2.2.1).
fn write_sequence(field: &mut [u8], mut value: u64) {
    debug_assert_eq!(field.len(), SEQUENCE_FIELD_LEN);
    field.fill(b' ');
    let mut at = field.len();
    loop {
        at -= 1;
        field[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(packet: Packet<'_>) {
        let mut buf = [0u8; 128];
        let n = packet.encode(&mut buf).unwrap();
        assert_eq!(n, packet.encoded_len());
        assert_eq!(usize::from(u16::from_be_bytes([buf[0], buf[1]])), n - 2);
        assert_eq!(Packet::decode(&buf[2..n]).unwrap(), packet);
        // One byte short of the packet is refused, not truncated.
        assert!(matches!(
            packet.encode(&mut buf[..n - 1]),
            Err(SoupError::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn every_packet_type_round_trips() {
        let session = SessionId::new("SESS01").unwrap();
        for packet in [
            Packet::Debug { text: b"hello" },
            Packet::LoginAccepted {
                session,
                sequence_number: 12_345_678_901,
            },
            Packet::LoginRejected {
                reason: LoginRejectReason::NotAuthorized,
            },
            Packet::LoginRejected {
                reason: LoginRejectReason::SessionNotAvailable,
            },
            Packet::SequencedData {
                message: b"\x00\x0a\xffany bytes",
            },
            Packet::SequencedData { message: b"" },
            Packet::ServerHeartbeat,
            Packet::EndOfSession,
            Packet::LoginRequest {
                username: Username::new("user").unwrap(),
                password: Password::new("secret").unwrap(),
                requested_session: SessionId::BLANK,
                requested_sequence_number: 0,
            },
            Packet::UnsequencedData { message: b"O..." },
            Packet::ClientHeartbeat,
            Packet::LogoutRequest,
        ] {
            round_trip(packet);
        }
    }

    #[test]
    fn login_accepted_layout_matches_spec() {
        let mut buf = [0u8; 33];
        let packet = Packet::LoginAccepted {
            session: SessionId::new("ABC").unwrap(),
            sequence_number: 42,
        };
        assert_eq!(packet.encode(&mut buf).unwrap(), 33);
        assert_eq!(&buf[..3], b"\x00\x1fA");
        assert_eq!(&buf[3..13], b"       ABC");
        assert_eq!(&buf[13..33], b"                  42");
    }

    #[test]
    fn login_request_layout_matches_spec() {
        let mut buf = [0u8; 49];
        let packet = Packet::LoginRequest {
            username: Username::new("ab").unwrap(),
            password: Password::new("pw").unwrap(),
            requested_session: SessionId::BLANK,
            requested_sequence_number: 1,
        };
        assert_eq!(packet.encode(&mut buf).unwrap(), 49);
        assert_eq!(&buf[..3], b"\x00\x2fL");
        assert_eq!(&buf[3..9], b"ab    ");
        assert_eq!(&buf[9..19], b"pw        ");
        assert_eq!(&buf[19..29], b"          ");
        assert_eq!(&buf[29..49], b"                   1");
    }

    #[test]
    fn sequence_number_accepts_either_padding_and_rejects_garbage() {
        assert_eq!(parse_sequence(b"7                   ", "s"), Ok(7));
        assert_eq!(parse_sequence(b"00000000000000000009", "s"), Ok(9));
        assert_eq!(
            parse_sequence(b"                    ", "s"),
            Err(SoupError::BadField {
                field: "s",
                byte: b' '
            })
        );
        assert_eq!(
            parse_sequence(b"   1 2              ", "s"),
            Err(SoupError::BadField {
                field: "s",
                byte: b' '
            })
        );
        assert_eq!(
            parse_sequence(b"99999999999999999999", "s"),
            Err(SoupError::BadField {
                field: "s",
                byte: b'9'
            })
        );
        assert_eq!(parse_sequence(b"18446744073709551615", "s"), Ok(u64::MAX));
    }

    #[test]
    fn fixed_size_packets_reject_wrong_length_and_unknown_types() {
        assert_eq!(Packet::decode(b""), Err(SoupError::EmptyPacket));
        assert_eq!(
            Packet::decode(b"Hx"),
            Err(SoupError::BadLength {
                packet_type: b'H',
                length: 2,
                expected: 1
            })
        );
        assert_eq!(
            Packet::decode(b"J"),
            Err(SoupError::BadLength {
                packet_type: b'J',
                length: 1,
                expected: 2
            })
        );
        assert_eq!(
            Packet::decode(b"Q"),
            Err(SoupError::UnknownType { packet_type: b'Q' })
        );
        assert_eq!(
            Packet::decode(b"A          "),
            Err(SoupError::BadLength {
                packet_type: b'A',
                length: 11,
                expected: LOGIN_ACCEPTED_LEN
            })
        );
    }

    #[test]
    fn text_fields_pad_compare_and_validate() {
        assert_eq!(Username::new("ab").unwrap().0, *b"ab    ");
        assert_eq!(SessionId::new("ab").unwrap().0, *b"        ab");
        assert_eq!(Username::new("AB").unwrap(), Username(*b"ab    "));
        assert_eq!(SessionId::new("S1").unwrap(), SessionId(*b"S1        "));
        assert!(SessionId::BLANK.is_blank());
        assert!(Username::new("toolong").is_err());
        assert!(Password::new("tab\t").is_err());
    }

    #[test]
    fn data_header_encodes_in_place() {
        let mut buf = [0u8; 8];
        buf[3..8].copy_from_slice(b"hello");
        assert_eq!(
            encode_data_header(&mut buf, packet_type::UNSEQUENCED_DATA, 5),
            Ok(8)
        );
        assert_eq!(
            Packet::decode(&buf[2..]).unwrap(),
            Packet::UnsequencedData { message: b"hello" }
        );
        assert!(encode_data_header(&mut buf, b'U', 6).is_err());
        assert!(encode_data_header(&mut [0u8; 70_000], b'U', MAX_PAYLOAD_LEN + 1).is_err());
    }
}
