//! # crossbar-echo
//!
//! The platform's first end-to-end run: two processes exchange every SBE message type of
//! `schemas/crossbar.xml` over Aeron, IPC or UDP, and check every field on the way back.
//!
//! - The **responder** ([`responder::Responder`], an agent) polls the `requests` subscription,
//!   decodes each message into an owned [`crossbar_sbe::Message`], re-encodes it from the
//!   decoded value (so a lossy decoder cannot pass) and publishes it on `replies`. A malformed
//!   buffer is counted, logged with its decode error and skipped; the responder keeps going.
//! - The **initiator** ([`initiator::run`]) sends [`crossbar_sbe::sample_messages`] (one of
//!   every kind, distinct non-default values, groups and var data included), waits for each
//!   echo, decodes it and compares it with what it sent. It can first send malformed buffers
//!   to prove the far side rejects them without losing anything else.
//!
//! Configuration ([`config::EchoConfig`]) is the usual TOML + `CROSSBAR_` environment layering;
//! the streams are the transport's named `requests` and `replies` entries.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod initiator;
pub mod malformed;
pub mod responder;

/// Name of the stream the initiator publishes on and the responder subscribes to.
pub const REQUESTS: &str = "requests";
/// Name of the stream the responder publishes on and the initiator subscribes to.
pub const REPLIES: &str = "replies";
/// Largest SBE message either side encodes, bytes (the schema's var data is at most 1 KiB).
pub const MAX_MESSAGE_BYTES: usize = 4096;
