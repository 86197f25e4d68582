//! # crossbar-capture
//!
//! Reads network captures (classic pcap, and pcapng) into the transport payloads that the
//! protocol crates decode, and finds the shared venue-data directory that tests read.
//!
//! * [`read_capture`] / [`read_capture_bytes`]: every IPv4/IPv6 UDP or TCP packet of a capture as a
//!   [`CapturedPacket`] (`timestamp_ns`, `src`, `dst`, [`Transport`], `payload`). File parsing is
//!   the `pcap-file` crate's; Ethernet / Linux SLL / raw-IP, IP, UDP and TCP headers are parsed
//!   by `etherparse`. Packets that are not IP/UDP/TCP are counted in [`Capture::skipped`].
//! * [`tcp_streams`]: per-direction TCP byte streams, reassembled by sequence number
//!   (retransmissions and overlaps dropped, holes counted), for the stream protocols
//!   (SoupBinTCP, BOE) whose messages span segments.
//! * [`shared_dir`], [`venue_data`] and the [`require_shared!`] macro: how tests and tools find
//!   `shared/` (the read-only venue captures and specs kept beside the project root, never copied
//!   into it), and how a test skips loudly when it is absent.
//!
//! This crate is for tests, tools and the ops CLI, not the hot path: it allocates freely.
//!
//! ```no_run
//! # fn demo() -> Result<(), crossbar_capture::CaptureError> {
//! let Some(path) = crossbar_capture::venue_data("nasdaq_itch50/omi_moldudp64_pcaps") else {
//!     return Ok(());
//! };
//! let capture = crossbar_capture::read_capture(path.join("some.pcap"))?;
//! for packet in &capture.packets {
//!     println!("{} {} -> {} {} bytes", packet.timestamp_ns, packet.src, packet.dst, packet.payload.len());
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod packet;
mod read;
mod shared;
mod tcp;

pub use error::CaptureError;
pub use packet::{CapturedPacket, Transport};
pub use read::{read_capture, read_capture_bytes, Capture};
pub use shared::{report_skipped, shared_dir, venue_data, SHARED_DIR_ENV};
pub use tcp::{tcp_streams, TcpStream};
