//! # crossbar-itch
//!
//! NASDAQ TotalView-ITCH 5.0 (spec: "Nasdaq TotalView-ITCH 5.0", revision 2026-02-19, §1.1–§1.8)
//! decoding, encoding, day-file framing, and a day-like stream generator.
//!
//! * [`decode`]: one message (`&[u8]` starting at the type byte, exactly the type's length) to
//!   an [`ItchMessage`], a `Copy` enum of one struct per message type with every fixed-width
//!   field decoded: big-endian integers, the 6-byte timestamp as `timestamp_ns` since midnight,
//!   prices as [`crossbar_model::Price`] (1/10,000), shares as [`crossbar_model::Qty`], symbols
//!   as [`Stock`] (raw 8 bytes), one-byte codes as raw `u8`. No allocation, no panic; bad input
//!   is an [`ItchError`] with a stable code.
//! * [`decode_book_fields`]: the fields an order book needs (locate, timestamp, reference
//!   numbers, shares, price, side, stock, state code) from any message as one fixed-shape
//!   [`BookFields`], table-driven with no branch on the type; for feed hot paths.
//! * [`message_length`]: the spec's fixed length per type byte; [`MESSAGE_TYPES`] lists all 23.
//! * [`ItchMessage::encode`] / [`write_frame`]: the inverse, for simulators and tests.
//! * [`DayFileIter`] (over a slice) and [`DayFileReader`] (over any `Read`, one fixed buffer):
//!   the 2-byte length-prefixed day-file format, zero prefixes resolved from the type, bad
//!   frames counted in [`FrameStats`] and skipped without losing the next message;
//!   [`DayFileFrames`] yields the same frames' message bytes undecoded.
//! * [`generate`]: a seeded, day-shaped stream (directory, spins, system events, the real
//!   day's type mix, a consistent order book) for load tests and the venue simulator.
//! * [`Census`]: counts per message type.
//!
//! ```
//! use crossbar_itch::{decode, ItchMessage};
//! let bytes = [b'D', 0, 7, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 99];
//! let Ok(ItchMessage::OrderDelete(d)) = decode(&bytes) else { panic!() };
//! assert_eq!((d.header.stock_locate, d.header.timestamp_ns, d.order_reference_number), (7, 42, 99));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod book_fields;
mod census;
mod error;
mod field;
mod framing;
pub mod generate;
mod messages;

pub use book_fields::{decode_book_fields, BookFields};
pub use census::Census;
pub use error::{FrameError, ItchError};
pub use field::{Header, Mpid, Stock};
pub use framing::{
    write_frame, DayFileFrames, DayFileIter, DayFileReader, FrameStats, PREFIX_LEN,
    READER_BUFFER_LEN,
};
pub use messages::*;
