//! The fused path: ITCH 5.0 wire bytes straight into the book, with no intermediate
//! [`ItchMessage`](crossbar_itch::ItchMessage).
//!
//! [`BookBuilder::on_message_bytes`] dispatches once on the Message Type byte; each arm the book
//! needs converts the slice to a fixed-size array (one length compare, which is also the length
//! validation) and reads its fields at the spec's constant offsets (ITCH 5.0 §1.2–§1.4), so
//! there is no per-field bounds check, no `Result` per field and no 88-byte message value.
//! Every input the fast arms do not accept (wrong length, unknown type, bad Buy/Sell
//! Indicator, empty) goes to a cold path that runs [`crossbar_itch::decode`] and so returns
//! exactly its error; a test checks, message by message, that the two paths leave identical
//! books, counters and level updates, and return identical errors.

use crossbar_itch::{decode, message_length, ItchError, Stock};
use crossbar_model::{Price, Qty, Side};

use super::BookBuilder;

#[inline(always)]
pub(super) fn be_u16<const N: usize>(m: &[u8; N], at: usize) -> u16 {
    u16::from_be_bytes([m[at], m[at + 1]])
}

#[inline(always)]
fn be_u32<const N: usize>(m: &[u8; N], at: usize) -> u32 {
    u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
}

#[inline(always)]
pub(super) fn be_u64<const N: usize>(m: &[u8; N], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&m[at..at + 8]);
    u64::from_be_bytes(b)
}

/// Buy/Sell Indicator (ITCH 5.0 §1.3.1): `B` or `S`, else `None`. The validity test is one
/// well-predicted branch; which side it is becomes a select, not a branch (the side is
/// random from message to message, and a branch on it mispredicted ~0.2 times per message).
#[inline(always)]
fn side(code: u8) -> Option<Side> {
    if (code == b'B') | (code == b'S') {
        Some(if code == b'S' { Side::Sell } else { Side::Buy })
    } else {
        None
    }
}

/// [`side`] for the add arms, computed with bit arithmetic so that the only branch is on
/// validity (always taken the same way on a good feed). With `==` compares, even through a
/// lookup table, the compiler emits `cmp 'S'; je; cmp 'B'; je`, whose first branch depends on
/// which side the order is: random from order to order, it mispredicted ~0.5 times per add.
#[inline(always)]
pub(super) fn side_without_branch(code: u8) -> Option<Side> {
    // `B` -> 0x00, `S` -> 0x11; valid iff only bits 0 and 4 may be set, and both equal.
    let d = code ^ b'B';
    let invalid = (d & !0x11) | ((d ^ (d >> 4)) & 1);
    if invalid != 0 {
        return None;
    }
    Some(BUY_SELL[usize::from(d & 1)])
}

/// [`Side`] by `Buy/Sell Indicator == 'S'`.
const BUY_SELL: [Side; 2] = [Side::Buy, Side::Sell];

/// Stock Locate (offset 1, every type).
pub(super) const LOCATE: usize = 1;
/// Order Reference Number (offset 11: `A F E C X D P`; the original one in `U`).
pub(super) const REFERENCE: usize = 11;

impl BookBuilder {
    /// Applies one ITCH 5.0 message from its wire bytes: the same effect as
    /// [`crate::FeedHandler::on_message`] with [`crossbar_itch::decode`]`(bytes)`, without
    /// building the decoded message (see the module docs). `bytes` starts at the Message Type
    /// byte and holds exactly the type's length (a day-file frame or MoldUDP64 message block
    /// body, prefix removed).
    ///
    /// Book rejects are counted as with `on_message` ([`super::BookBuilderCounters`]); they are
    /// not errors of this call.
    ///
    /// # Errors
    /// Exactly [`crossbar_itch::decode`]'s: [`ItchError::Truncated`] (empty or short),
    /// [`ItchError::LengthMismatch`] (long), [`ItchError::UnknownType`], [`ItchError::BadField`]
    /// (Buy/Sell Indicator of `A F P` not `B`/`S`). The book is unchanged on error.
    #[inline(always)]
    pub fn on_message_bytes(&mut self, bytes: &[u8]) -> Result<(), ItchError> {
        let Some(&message_type) = bytes.first() else {
            return self.decode_and_apply(bytes);
        };
        match message_type {
            // Add Order (§1.3.1, 36 bytes) and with MPID (§1.3.2, 40 bytes): side 19,
            // shares 20, stock 24, price 32.
            b'A' => match <&[u8; 36]>::try_from(bytes) {
                Ok(m) => self.add_wire(m),
                Err(_) => self.decode_and_apply(bytes),
            },
            b'F' => match <&[u8; 40]>::try_from(bytes) {
                Ok(m) => self.add_wire(m),
                Err(_) => self.decode_and_apply(bytes),
            },
            // Order Delete (§1.4.4, 19 bytes).
            b'D' => match <&[u8; 19]>::try_from(bytes) {
                Ok(m) => {
                    self.delete(be_u64(m, REFERENCE));
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Order Replace (§1.4.5, 35 bytes): new reference 19, shares 27, price 31.
            b'U' => match <&[u8; 35]>::try_from(bytes) {
                Ok(m) => {
                    self.replace(
                        be_u64(m, REFERENCE),
                        be_u64(m, 19),
                        Price::from_itch(be_u32(m, 31)),
                        Qty(be_u32(m, 27)),
                    );
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Order Executed (§1.4.1, 31 bytes) and with Price (§1.4.2, 36 bytes): executed
            // shares 19.
            b'E' => match <&[u8; 31]>::try_from(bytes) {
                Ok(m) => {
                    self.execute(be_u64(m, REFERENCE), Qty(be_u32(m, 19)));
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            b'C' => match <&[u8; 36]>::try_from(bytes) {
                Ok(m) => {
                    self.execute(be_u64(m, REFERENCE), Qty(be_u32(m, 19)));
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Order Cancel (§1.4.3, 23 bytes): cancelled shares 19.
            b'X' => match <&[u8; 23]>::try_from(bytes) {
                Ok(m) => {
                    self.cancel(be_u64(m, REFERENCE), Qty(be_u32(m, 19)));
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Stock Directory (§1.2.1, 39 bytes): stock 11.
            b'R' => match <&[u8; 39]>::try_from(bytes) {
                Ok(m) => {
                    let mut stock = [0u8; 8];
                    stock.copy_from_slice(&m[11..19]);
                    self.map_directory(be_u16(m, LOCATE), Stock(stock));
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Stock Trading Action (§1.2.2, 25 bytes): trading state 19.
            b'H' => match <&[u8; 25]>::try_from(bytes) {
                Ok(m) => {
                    self.trading_action(be_u16(m, LOCATE), m[19]);
                    Ok(())
                }
                Err(_) => self.decode_and_apply(bytes),
            },
            // Trade (§1.5.1, 44 bytes): not a book event, but its Buy/Sell Indicator is
            // validated as decode does.
            b'P' => match <&[u8; 44]>::try_from(bytes) {
                Ok(m) if side(m[19]).is_some() => Ok(()),
                _ => self.decode_and_apply(bytes),
            },
            // Every other type: no book effect, and decode validates only the length.
            _ => match message_length(message_type) {
                Some(len) if len == bytes.len() => Ok(()),
                _ => self.decode_and_apply(bytes),
            },
        }
    }

    #[inline(always)]
    fn add_wire<const N: usize>(&mut self, m: &[u8; N]) -> Result<(), ItchError> {
        let Some(side) = side_without_branch(m[19]) else {
            return self.decode_and_apply(m);
        };
        self.add(
            be_u16(m, LOCATE),
            be_u64(m, REFERENCE),
            side,
            Price::from_itch(be_u32(m, 32)),
            Qty(be_u32(m, 20)),
        );
        Ok(())
    }

    /// Everything the fast arms do not accept: decode (for its exact error) and, should it
    /// succeed after all, apply the decoded message.
    #[cold]
    #[inline(never)]
    fn decode_and_apply(&mut self, bytes: &[u8]) -> Result<(), ItchError> {
        let message = decode(bytes)?;
        self.apply(&message);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
