//! Bounded reading and writing of big-endian fields (OUCH 5.0 §1.2 "Data Types").

use crate::error::OuchError;
use crossbar_model::{Price, Qty};

/// A cursor over one message that never reads past its end.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    pub(crate) message_type: u8,
}

impl<'a> Reader<'a> {
    /// Starts after the type byte, which must be `message_type`.
    #[inline]
    pub(crate) fn new(buf: &'a [u8], message_type: u8) -> Result<Self, OuchError> {
        match buf.first() {
            None => Err(OuchError::Empty),
            Some(&found) if found != message_type => Err(OuchError::WrongType {
                expected: message_type,
                found,
            }),
            Some(_) => Ok(Self {
                buf,
                pos: 1,
                message_type,
            }),
        }
    }

    /// A reader over one TagValue element's value (no type byte to skip).
    #[inline]
    pub(crate) fn over_value(buf: &'a [u8], message_type: u8) -> Self {
        Self {
            buf,
            pos: 0,
            message_type,
        }
    }

    #[inline]
    pub(crate) fn take_slice(&mut self, n: usize) -> Result<&'a [u8], OuchError> {
        let end = self.pos.saturating_add(n);
        let out = self.buf.get(self.pos..end).ok_or(OuchError::Truncated {
            message_type: self.message_type,
            needed: end,
            length: self.buf.len(),
        })?;
        self.pos = end;
        Ok(out)
    }

    #[inline]
    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], OuchError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take_slice(N)?);
        Ok(out)
    }

    /// Rejects leftover bytes.
    #[inline]
    pub(crate) fn finish(&self) -> Result<(), OuchError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(OuchError::TrailingBytes {
                message_type: self.message_type,
                expected: self.pos,
                length: self.buf.len(),
            })
        }
    }

    #[cold]
    pub(crate) fn bad(&self, field: &'static str, value: u64) -> OuchError {
        OuchError::BadField {
            message_type: self.message_type,
            field,
            value,
        }
    }
}

/// A cursor over a caller buffer already checked to hold the whole message.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    pub(crate) message_type: u8,
}

impl<'a> Writer<'a> {
    /// Checks `out` holds `len` bytes and writes the type byte.
    #[inline]
    pub(crate) fn new(out: &'a mut [u8], len: usize, message_type: u8) -> Result<Self, OuchError> {
        let available = out.len();
        let buf = out.get_mut(..len).ok_or(OuchError::BufferTooSmall {
            message_type,
            needed: len,
            available,
        })?;
        let mut w = Self {
            buf,
            pos: 0,
            message_type,
        };
        w.put(&[message_type])?;
        Ok(w)
    }

    /// Checks `out` holds `len` bytes; writes nothing yet (for an appendage encoded on its own).
    #[inline]
    pub(crate) fn without_type(
        out: &'a mut [u8],
        len: usize,
        message_type: u8,
    ) -> Result<Self, OuchError> {
        let available = out.len();
        let buf = out.get_mut(..len).ok_or(OuchError::BufferTooSmall {
            message_type,
            needed: len,
            available,
        })?;
        Ok(Self {
            buf,
            pos: 0,
            message_type,
        })
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), OuchError> {
        let end = self.pos + bytes.len();
        let needed = end;
        let available = self.buf.len();
        let slot = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(OuchError::BufferTooSmall {
                message_type: self.message_type,
                needed,
                available,
            })?;
        slot.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    #[cold]
    pub(crate) fn bad(&self, field: &'static str, value: u64) -> OuchError {
        OuchError::BadField {
            message_type: self.message_type,
            field,
            value,
        }
    }
}

/// A fixed- or variable-size wire field, read from a message buffer that lives for `'r`.
pub(crate) trait Wire<'r>: Sized {
    /// Bytes the field takes at least (exactly, for fixed-size fields).
    const MIN_LEN: usize;
    /// Bytes this value takes.
    fn wire_len(&self) -> usize {
        Self::MIN_LEN
    }
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError>;
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError>;
}

macro_rules! wire_int {
    ($($t:ty),+) => {$(
        impl<'r> Wire<'r> for $t {
            const MIN_LEN: usize = std::mem::size_of::<$t>();
            #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
                Ok(<$t>::from_be_bytes(r.take()?))
            }
            #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
                w.put(&self.to_be_bytes())
            }
        }
    )+};
}
wire_int!(u8, u16, u32, u64);

/// Quantity: 4-byte unsigned integer, shares.
impl<'r> Wire<'r> for Qty {
    const MIN_LEN: usize = 4;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        Ok(Qty(u32::read(r)?))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        self.0.write(w)
    }
}

/// Price: 8-byte unsigned integer with 4 implied decimals (§1.2); values above `i64::MAX` are rejected.
impl<'r> Wire<'r> for Price {
    const MIN_LEN: usize = 8;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        let raw = u64::read(r)?;
        i64::try_from(raw)
            .map(Price)
            .map_err(|_| r.bad("Price", raw))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        let raw = u64::try_from(self.0).map_err(|_| w.bad("Price", self.0 as u64))?;
        raw.write(w)
    }
}

/// A 4-byte signed price offset with 4 implied decimals (Appendix B "Signed Price": PegOffset,
/// DiscretionPegOffset), carried as a [`Price`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SignedPrice4(pub(crate) Price);

impl<'r> Wire<'r> for SignedPrice4 {
    const MIN_LEN: usize = 4;
    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        Ok(SignedPrice4(Price(i64::from(i32::from_be_bytes(
            r.take()?,
        )))))
    }
    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        let raw = i32::try_from(self.0 .0).map_err(|_| w.bad("PegOffset", self.0 .0 as u64))?;
        w.put(&raw.to_be_bytes())
    }
}
