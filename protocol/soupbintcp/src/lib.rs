//! # crossbar-soupbintcp
//!
//! SoupBinTCP 3.0 (NASDAQ, "SoupBinTCP Version 3.00", February 2017): packet codec, stream
//! framing and client/server session state machines. No sockets, no threads, no clock: the
//! caller owns the TCP connection, passes the time in as `now_ns: u64`, feeds received bytes in
//! and writes whatever the session emits.
//!
//! | piece | job |
//! |---|---|
//! | [`Packet`] | every packet type (§2), [`Packet::decode`] from a frame, [`Packet::encode`] into a caller buffer |
//! | [`next_frame`], [`RecvBuffer`] | cut whole packets out of partial TCP reads (2-byte big-endian length, §1.1) |
//! | [`ClientSession`] | Disconnected → LoginSent → Active → (LogoutSent) → Closed; tracks the next expected sequence number |
//! | [`ServerSession`] | AwaitingLogin → Active → Closed; replays from a [`MessageStore`] from the client's requested sequence number |
//! | [`client_transition`], [`server_transition`] | the explicit state tables |
//!
//! Driving a client from a non-blocking socket:
//!
//! ```no_run
//! # use crossbar_soupbintcp::*;
//! # struct L; impl ClientListener for L {
//! #   fn on_sequenced_data(&mut self, _: u64, _: &[u8]) {} fn on_status(&mut self, _: ClientStatus) {} }
//! # fn now() -> u64 { 0 }
//! use std::io::{Read, Write};
//! let mut stream = std::net::TcpStream::connect("127.0.0.1:4000").unwrap();
//! stream.set_nonblocking(true).unwrap();
//! let config = ClientConfig::new(Username::new("user").unwrap(), Password::new("pw").unwrap());
//! let mut session = ClientSession::new(config);
//! let mut listener = L;
//! session.connect(now()).unwrap();
//! let mut buf = [0u8; 4096];
//! while session.state() != ClientState::Closed {
//!     match stream.read(&mut buf) {
//!         Ok(0) => session.on_disconnect(&mut listener).unwrap(),
//!         Ok(n) => { session.on_bytes(&buf[..n], now(), &mut listener).unwrap(); }
//!         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
//!         Err(_) => session.on_disconnect(&mut listener).unwrap(),
//!     }
//!     session.poll_timers(now(), &mut listener).unwrap();
//!     if let Ok(n) = stream.write(session.pending_output()) { session.output_sent(n); }
//! }
//! ```
//!
//! Errors are one [`SoupError`] enum whose messages start with a stable `SOUP_...` code.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod error;
mod framer;
mod outbuf;
mod packet;
mod server;
mod store;
#[cfg(test)]
mod transition_table;

pub use client::{
    client_transition, ClientCloseReason, ClientConfig, ClientCounters, ClientEvent,
    ClientListener, ClientSession, ClientState, ClientStatus,
};
pub use error::SoupError;
pub use framer::{next_frame, Frame, RecvBuffer};
pub use outbuf::OutBuffer;
pub use packet::{
    encode_data_header, packet_type, LoginRejectReason, Packet, Password, SessionId, Username,
    HEADER_LEN, LENGTH_FIELD_LEN, LOGIN_ACCEPTED_LEN, LOGIN_REJECTED_LEN, LOGIN_REQUEST_LEN,
    MAX_PAYLOAD_LEN,
};
pub use server::{
    server_transition, ServerCloseReason, ServerConfig, ServerCounters, ServerEvent,
    ServerListener, ServerSession, ServerState, ServerStatus,
};
pub use store::{MemoryStore, MessageStore};
