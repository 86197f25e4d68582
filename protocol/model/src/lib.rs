//! # crossbar-model
//!
//! The domain types every Crossbar crate shares. They are small `Copy` newtypes so that the
//! hot path can keep them in arrays and pass them in registers, and so that a price can never
//! be mistaken for a quantity.
//!
//! | type | representation | unit |
//! |---|---|---|
//! | [`InstrumentId`] | `u32` dense index | index into per-instrument arrays |
//! | [`Price`] | `i64` fixed point | 1/10,000 of a currency unit (ITCH 5.0 §3 "Price (4)") |
//! | [`Qty`] | `u32` | shares |
//! | [`Side`] | `u8` enum | buy / sell / sell short |
//! | [`TimeInForce`] | `u8` enum | day / IOC |
//! | [`OrderId`] | `u64` = gateway id (16 bits) + sequence (48 bits) | unique across gateways |
//! | [`UtcNanos`] | `u64` | nanoseconds since the Unix epoch, UTC |
//! | [`VenueId`] | `u16` | index into the venue table |
//!
//! Prices are never floats. Converting to a float exists only for display.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ids;
mod price;
mod side;
mod time;

pub use ids::{GatewayId, InstrumentId, OrderId, OrderIdError, VenueId};
pub use price::{Price, PriceParseError, Qty};
pub use side::{Side, SideError, TimeInForce, TimeInForceError};
pub use time::UtcNanos;
