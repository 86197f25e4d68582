//! # crossbar-moldudp64
//!
//! MoldUDP64 1.0 (spec: "MoldUDP64 Protocol Specification V 1.00", Nasdaq) framing, without
//! sockets or threads: callers pass datagram payloads in and get bytes to send out.
//!
//! * [`Packet::parse`]: a downstream packet (20-byte [`PacketHeader`] then message blocks of
//!   `u16 length + data`), validated whole (block count, no truncated block, no trailing
//!   bytes), then [`Packet::messages`] yields `(sequence_number, &[u8])` without allocating.
//!   [`PacketKind`] tells data, heartbeat (count 0) and end of session (count 0xFFFF) apart.
//! * [`RequestPacket`]: the retransmission request (session, first sequence, count).
//! * [`PacketEncoder`]: packs messages into downstream packets up to a maximum payload size,
//!   numbering them, for the venue simulator; also heartbeats and end-of-session packets.
//!
//! All numbers are big-endian (spec "Assumptions"). Errors are [`MoldError`], with stable codes.
//!
//! ```
//! use crossbar_moldudp64::{Packet, PacketEncoder, Session};
//! let mut enc = PacketEncoder::new(Session(*b"SESSION001"), 1, 1400).unwrap();
//! enc.push(b"hello").unwrap();
//! enc.push(b"world").unwrap();
//! let packet = Packet::parse(enc.packet()).unwrap();
//! let got: Vec<(u64, &[u8])> = packet.messages().collect();
//! assert_eq!(got, vec![(1, &b"hello"[..]), (2, &b"world"[..])]);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod encoder;
mod error;
mod packet;
mod request;

pub use encoder::{PacketEncoder, UDP_PAYLOAD_MAX};
pub use error::MoldError;
pub use packet::{
    MessageBlocks, Packet, PacketHeader, PacketKind, Session, BLOCK_PREFIX_LEN,
    END_OF_SESSION_COUNT, HEADER_LEN,
};
pub use request::{RequestPacket, REQUEST_LEN};
