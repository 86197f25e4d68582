//! Table-driven partial decode: from any ITCH 5.0 message, the fields an order-book consumer
//! needs, in one fixed-shape [`BookFields`], with no branch on the message type.
//!
//! [`decode`](crate::decode) materialises every field of the message's own struct, which needs
//! a 23-way jump on the type byte (the type is effectively random on a live feed, so that
//! jump mispredicts often) and an 88-byte enum. A book builder reads at most seven fields, and
//! most of them sit at the same offset in every order message (the Order Reference Number is
//! at offset 11 in `A F E C X D U`), so [`decode_book_fields`] looks the type up in one
//! 256-entry table of field offsets, checks the length once against the same table, and loads
//! each field from its offset (a field the type does not have is loaded from offset 0 and
//! masked to zero). The consumer still dispatches on [`BookFields::message_type`], once.
//!
//! Offsets are the spec's (ITCH 5.0 §1.1–§1.8); a compile-time check proves every table entry
//! lies inside its type's length, and a test checks every field against [`crate::decode`].

use crossbar_model::{Price, Qty, Side};

use crate::field::{Header, Stock};
use crate::messages::length_error;
use crate::ItchError;

/// The order-book-relevant fields of one ITCH 5.0 message (see the module docs). A field the
/// message type does not carry is zero (`Side::Buy` for `side`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookFields {
    /// Message Type byte (offset 0).
    pub message_type: u8,
    /// Stock Locate (offset 1), every type.
    pub stock_locate: u16,
    /// Timestamp (offset 5, 6 bytes), ns since midnight, every type.
    pub timestamp_ns: u64,
    /// Order Reference Number (offset 11): `A F E C X D P`; the Original Order Reference
    /// Number for `U`.
    pub order_reference_number: u64,
    /// New Order Reference Number (offset 19): `U` only.
    pub new_order_reference_number: u64,
    /// Shares: `A F P` (offset 20), Executed Shares `E C` and Cancelled Shares `X` (offset 19),
    /// `U` (offset 27).
    pub shares: Qty,
    /// Price, 1/10,000: `A F P` (offset 32), Execution Price `C` (offset 32), `U` (offset 31),
    /// Cross Price `Q` (offset 27).
    pub price: Price,
    /// Buy/Sell Indicator (offset 19): `A F P`, validated to be `B` or `S`.
    pub side: Side,
    /// Stock: `R H Y K J h N O` (offset 11), `L` (15), `Q` (19), `A F P` (24), `I` (28).
    pub stock: Stock,
    /// The type's one-byte state code: Event Code `S` (11), Trading State `H` (19), Reg SHO
    /// Action `Y` (19), Operational Halt Action `h` (20), Printable `C` (31), Cross Type `Q`
    /// (39).
    pub code: u8,
}

/// Field offsets of one message type; 0 = the type has no such field (offset 0 is always the
/// type byte, never a field).
#[derive(Clone, Copy)]
struct Layout {
    len: u8,
    reference: u8,
    new_reference: u8,
    shares: u8,
    price: u8,
    side: u8,
    stock: u8,
    code: u8,
}

const NONE: Layout = Layout {
    len: 0,
    reference: 0,
    new_reference: 0,
    shares: 0,
    price: 0,
    side: 0,
    stock: 0,
    code: 0,
};

const fn layout(len: u8) -> Layout {
    Layout { len, ..NONE }
}

const LAYOUTS: [Layout; 256] = {
    let mut t = [NONE; 256];
    let order = Layout {
        len: 36,
        reference: 11,
        side: 19,
        shares: 20,
        stock: 24,
        price: 32,
        ..NONE
    };
    t[b'A' as usize] = order;
    t[b'F' as usize] = Layout { len: 40, ..order };
    t[b'P' as usize] = Layout { len: 44, ..order };
    t[b'E' as usize] = Layout {
        reference: 11,
        shares: 19,
        ..layout(31)
    };
    t[b'C' as usize] = Layout {
        reference: 11,
        shares: 19,
        code: 31,
        price: 32,
        ..layout(36)
    };
    t[b'X' as usize] = Layout {
        reference: 11,
        shares: 19,
        ..layout(23)
    };
    t[b'D' as usize] = Layout {
        reference: 11,
        ..layout(19)
    };
    t[b'U' as usize] = Layout {
        reference: 11,
        new_reference: 19,
        shares: 27,
        price: 31,
        ..layout(35)
    };
    t[b'S' as usize] = Layout {
        code: 11,
        ..layout(12)
    };
    t[b'R' as usize] = Layout {
        stock: 11,
        ..layout(39)
    };
    t[b'H' as usize] = Layout {
        stock: 11,
        code: 19,
        ..layout(25)
    };
    t[b'Y' as usize] = Layout {
        stock: 11,
        code: 19,
        ..layout(20)
    };
    t[b'L' as usize] = Layout {
        stock: 15,
        ..layout(26)
    };
    t[b'V' as usize] = layout(35);
    t[b'W' as usize] = layout(12);
    t[b'K' as usize] = Layout {
        stock: 11,
        ..layout(28)
    };
    t[b'J' as usize] = Layout {
        stock: 11,
        ..layout(35)
    };
    t[b'h' as usize] = Layout {
        stock: 11,
        code: 20,
        ..layout(21)
    };
    t[b'Q' as usize] = Layout {
        stock: 19,
        price: 27,
        code: 39,
        ..layout(40)
    };
    t[b'B' as usize] = layout(19);
    t[b'I' as usize] = Layout {
        stock: 28,
        ..layout(50)
    };
    t[b'N' as usize] = Layout {
        stock: 11,
        ..layout(20)
    };
    t[b'O' as usize] = Layout {
        stock: 11,
        ..layout(48)
    };
    t
};

// Every table entry is a defined type with the spec's length, and every field lies inside it.
const _: () = {
    let mut i = 0;
    while i < 256 {
        let l = LAYOUTS[i];
        let spec = match crate::message_length(i as u8) {
            Some(len) => len,
            None => 0,
        };
        assert!(l.len as usize == spec);
        if l.len != 0 {
            let len = l.len as usize;
            assert!(l.reference as usize + 8 <= len && l.new_reference as usize + 8 <= len);
            assert!(l.shares as usize + 4 <= len && l.price as usize + 4 <= len);
            assert!(l.stock as usize + 8 <= len);
            assert!((l.side as usize) < len && (l.code as usize) < len);
        }
        i += 1;
    }
};

/// The `N` bytes at `at` (table offsets are inside the validated length, so the `None` arm
/// is never taken; it keeps the function panic-free).
#[inline(always)]
fn load<const N: usize>(bytes: &[u8], at: u8) -> Option<&[u8; N]> {
    bytes.get(usize::from(at)..)?.first_chunk::<N>()
}

#[inline(always)]
fn be_u64(bytes: &[u8], at: u8) -> u64 {
    load::<8>(bytes, at).map_or(0, |b| u64::from_be_bytes(*b))
}

#[inline(always)]
fn be_u32(bytes: &[u8], at: u8) -> u32 {
    load::<4>(bytes, at).map_or(0, |b| u32::from_be_bytes(*b))
}

#[inline(always)]
fn byte(bytes: &[u8], at: u8) -> u8 {
    bytes.get(usize::from(at)).copied().unwrap_or(0)
}

/// 1 for the two valid Buy/Sell Indicator bytes, `B` and `S` (ITCH 5.0 §1.3.1).
const SIDE_VALID: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'B' as usize] = 1;
    t[b'S' as usize] = 1;
    t
};

/// All ones when the field is present (`at != 0`), else zero.
#[inline(always)]
fn mask(at: u8) -> u64 {
    u64::from(at != 0).wrapping_neg()
}

/// Decodes the [`BookFields`] of one ITCH 5.0 message. `bytes` starts at the Message Type
/// byte and holds exactly the type's length (as for [`crate::decode`]).
///
/// Validates the type, the length and, for `A F P`, the Buy/Sell Indicator (like
/// [`crate::decode`]); other one-byte codes are passed through raw. Allocation-free, panic-free.
///
/// # Errors
/// [`ItchError::Truncated`] (empty or short), [`ItchError::LengthMismatch`] (long),
/// [`ItchError::UnknownType`], [`ItchError::BadField`] (`side` not `B`/`S`).
#[inline]
pub fn decode_book_fields(bytes: &[u8]) -> Result<BookFields, ItchError> {
    let Some(&message_type) = bytes.first() else {
        return Err(ItchError::Truncated {
            message_type: 0,
            expected: 1,
            actual: 0,
        });
    };
    let l = LAYOUTS[usize::from(message_type)];
    if usize::from(l.len) != bytes.len() {
        return Err(layout_error(message_type, l.len, bytes.len()));
    }
    // Branch-free in the type: a type without a side passes through `no_side`, so the one
    // branch below is taken only for a bad side byte (a branch on "has a side" would follow
    // the effectively random type and mispredict).
    let side_byte = byte(bytes, l.side);
    let has_side = u8::from(l.side != 0);
    if (SIDE_VALID[usize::from(side_byte)] | (has_side ^ 1)) == 0 {
        return Err(bad_side(message_type, side_byte));
    }
    let is_sell = u8::from(side_byte == b'S') & has_side;
    // Offsets 3..5 are the Tracking Number, 5..11 the Timestamp: one 8-byte load, with the
    // tracking number masked off; offsets 0..4 hold type, locate and half the tracking number.
    let tracking_time = be_u64(bytes, 3);
    let stock = load::<8>(bytes, l.stock).map_or(0, |b| u64::from_ne_bytes(*b)) & mask(l.stock);
    Ok(BookFields {
        message_type,
        stock_locate: (be_u32(bytes, 0) >> 8) as u16,
        timestamp_ns: tracking_time & Header::TIMESTAMP_MAX_NS,
        order_reference_number: be_u64(bytes, l.reference) & mask(l.reference),
        new_order_reference_number: be_u64(bytes, l.new_reference) & mask(l.new_reference),
        shares: Qty(be_u32(bytes, l.shares) & mask(l.shares) as u32),
        price: Price::from_itch(be_u32(bytes, l.price) & mask(l.price) as u32),
        side: [Side::Buy, Side::Sell][usize::from(is_sell)],
        stock: Stock(stock.to_ne_bytes()),
        code: byte(bytes, l.code) & mask(l.code) as u8,
    })
}

#[cold]
fn layout_error(message_type: u8, len: u8, actual: usize) -> ItchError {
    if len == 0 {
        ItchError::UnknownType { message_type }
    } else {
        length_error(message_type, usize::from(len), actual)
    }
}

#[cold]
fn bad_side(message_type: u8, value: u8) -> ItchError {
    ItchError::BadField {
        message_type,
        field: "side",
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{DayConfig, DayGenerator};
    use crate::{decode, ItchMessage, MESSAGE_TYPES};

    /// What `decode_book_fields` must return, derived from the eager decoder.
    fn expected(m: &ItchMessage) -> BookFields {
        let h = m.header();
        let mut f = BookFields {
            message_type: m.message_type(),
            stock_locate: h.stock_locate,
            timestamp_ns: h.timestamp_ns,
            order_reference_number: 0,
            new_order_reference_number: 0,
            shares: Qty(0),
            price: Price(0),
            side: Side::Buy,
            stock: Stock([0; 8]),
            code: 0,
        };
        match *m {
            ItchMessage::AddOrder(o) => {
                (f.order_reference_number, f.side, f.shares) =
                    (o.order_reference_number, o.side, o.shares);
                (f.stock, f.price) = (o.stock, o.price);
            }
            ItchMessage::AddOrderMpid(o) => {
                (f.order_reference_number, f.side, f.shares) =
                    (o.order_reference_number, o.side, o.shares);
                (f.stock, f.price) = (o.stock, o.price);
            }
            ItchMessage::Trade(o) => {
                (f.order_reference_number, f.side, f.shares) =
                    (o.order_reference_number, o.side, o.shares);
                (f.stock, f.price) = (o.stock, o.price);
            }
            ItchMessage::OrderExecuted(o) => {
                (f.order_reference_number, f.shares) = (o.order_reference_number, o.executed_shares)
            }
            ItchMessage::OrderExecutedWithPrice(o) => {
                (f.order_reference_number, f.shares) =
                    (o.order_reference_number, o.executed_shares);
                (f.code, f.price) = (o.printable, o.execution_price);
            }
            ItchMessage::OrderCancel(o) => {
                (f.order_reference_number, f.shares) =
                    (o.order_reference_number, o.cancelled_shares)
            }
            ItchMessage::OrderDelete(o) => f.order_reference_number = o.order_reference_number,
            ItchMessage::OrderReplace(o) => {
                f.order_reference_number = o.original_order_reference_number;
                f.new_order_reference_number = o.new_order_reference_number;
                (f.shares, f.price) = (o.shares, o.price);
            }
            ItchMessage::SystemEvent(o) => f.code = o.event_code,
            ItchMessage::StockDirectory(o) => f.stock = o.stock,
            ItchMessage::StockTradingAction(o) => (f.stock, f.code) = (o.stock, o.trading_state),
            ItchMessage::RegShoRestriction(o) => (f.stock, f.code) = (o.stock, o.reg_sho_action),
            ItchMessage::MarketParticipantPosition(o) => f.stock = o.stock,
            ItchMessage::IpoQuotingPeriodUpdate(o) => f.stock = o.stock,
            ItchMessage::LuldAuctionCollar(o) => f.stock = o.stock,
            ItchMessage::OperationalHalt(o) => {
                (f.stock, f.code) = (o.stock, o.operational_halt_action)
            }
            ItchMessage::CrossTrade(o) => {
                (f.stock, f.price, f.code) = (o.stock, o.cross_price, o.cross_type)
            }
            ItchMessage::Noii(o) => f.stock = o.stock,
            ItchMessage::RetailInterest(o) => f.stock = o.stock,
            ItchMessage::DirectListingCapitalRaise(o) => f.stock = o.stock,
            ItchMessage::MwcbDeclineLevel(_)
            | ItchMessage::MwcbStatus(_)
            | ItchMessage::BrokenTrade(_) => {}
        }
        f
    }

    /// Every field of every message of a generated day agrees with the eager decoder.
    #[test]
    fn agrees_with_decode_on_a_generated_day() {
        let mut buf = [0u8; 64];
        let mut seen = [false; 256];
        for m in DayGenerator::new(DayConfig {
            seed: 7,
            instruments: 50,
            messages: 200_000,
        }) {
            let len = m.encode(&mut buf).unwrap();
            assert_eq!(decode_book_fields(&buf[..len]), Ok(expected(&m)), "{m:?}");
            seen[usize::from(m.message_type())] = true;
        }
        for t in *b"AFEXDUSRHY" {
            assert!(seen[usize::from(t)], "type {}", t as char);
        }
    }

    /// Every type, with every byte after the type set to a distinct pattern, agrees with the
    /// eager decoder (so no offset in the table is wrong, including types the generator
    /// never emits).
    #[test]
    fn agrees_with_decode_for_every_type_and_byte_pattern() {
        for &t in MESSAGE_TYPES {
            let len = crate::message_length(t).unwrap();
            for seed in 0u8..4 {
                let mut bytes: Vec<u8> = (0..len as u8)
                    .map(|i| i.wrapping_mul(37).wrapping_add(seed.wrapping_mul(101)))
                    .collect();
                bytes[0] = t;
                if matches!(t, b'A' | b'F' | b'P') {
                    bytes[19] = if seed % 2 == 0 { b'B' } else { b'S' };
                }
                let eager = decode(&bytes).unwrap();
                assert_eq!(
                    decode_book_fields(&bytes),
                    Ok(expected(&eager)),
                    "type {}",
                    t as char
                );
            }
        }
    }

    #[test]
    fn rejects_what_decode_rejects_with_the_same_error() {
        let mut add = [0u8; 36];
        add[0] = b'A';
        add[19] = b'X';
        for bad in [
            &[][..],
            &[b'z', 0, 0][..],
            &add[..],
            &add[..35],
            &[&add[..], &[0][..]].concat()[..],
        ] {
            let want = decode(bad).unwrap_err();
            assert_eq!(decode_book_fields(bad), Err(want), "{bad:?}");
        }
        let mut delete = [0u8; 19];
        delete[0] = b'D';
        delete[19 - 1] = 7;
        assert_eq!(
            decode_book_fields(&delete).unwrap().order_reference_number,
            7
        );
    }
}
