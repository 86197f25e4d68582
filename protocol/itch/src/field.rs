//! Wire field types and their fixed-width big-endian codecs (ITCH 5.0 "Data Types").

use crossbar_model::{Price, Qty, Side};

/// An 8-byte Stock symbol (ITCH 5.0 "Stock", Alpha(8)): ASCII, left-justified, padded on the
/// right with spaces. Kept as the raw bytes; [`Stock::trimmed`] drops the padding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stock(pub [u8; 8]);

impl Stock {
    /// The symbol padded to 8 bytes with spaces, or `None` when longer than 8 bytes.
    pub fn from_symbol(symbol: &str) -> Option<Stock> {
        pad::<8>(symbol.as_bytes()).map(Stock)
    }

    /// The symbol without its trailing space padding.
    pub fn trimmed(&self) -> &[u8] {
        trim_spaces(&self.0)
    }

    /// The trimmed symbol as text, or `None` when not valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.trimmed()).ok()
    }
}

/// A 4-byte market participant identifier (ITCH 5.0 §1.2.4 "MPID", §1.3.2 "Attribution"),
/// ASCII, space padded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mpid(pub [u8; 4]);

impl Mpid {
    /// The MPID padded to 4 bytes with spaces, or `None` when longer than 4 bytes.
    pub fn from_code(code: &str) -> Option<Mpid> {
        pad::<4>(code.as_bytes()).map(Mpid)
    }

    /// The MPID without trailing spaces.
    pub fn trimmed(&self) -> &[u8] {
        trim_spaces(&self.0)
    }
}

fn pad<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    let mut out = [b' '; N];
    out.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(out)
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    &bytes[..end]
}

/// The fields every ITCH 5.0 message carries at offsets 1..11 (ITCH 5.0 §1: Stock Locate,
/// Tracking Number, Timestamp).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Stock Locate (offset 1, u16): the day's instrument index, 0 for messages not about
    /// one instrument.
    pub stock_locate: u16,
    /// Tracking Number (offset 3, u16): Nasdaq internal tracking number.
    pub tracking_number: u16,
    /// Timestamp (offset 5, 6-byte integer): nanoseconds since midnight, < 2^48.
    pub timestamp_ns: u64,
}

impl Header {
    /// Bytes from the start of a message to the first type-specific field: type (1) +
    /// locate (2) + tracking (2) + timestamp (6).
    pub const LEN: usize = 11;
    /// Largest encodable timestamp: the field is 6 bytes.
    pub const TIMESTAMP_MAX_NS: u64 = (1 << 48) - 1;
}

/// Why a field could not be read or written; mapped to [`crate::ItchError`] with the
/// message type and field name by the caller.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldError {
    /// Not enough bytes left (cannot happen after the length check; kept so no path panics).
    Missing,
    /// A validated byte with a disallowed value.
    BadByte(u8),
    /// A value too wide for its wire field.
    OutOfRange(i64),
}

/// A fixed-width field: `LEN` bytes read from / written to the front of a cursor slice.
pub(crate) trait WireField: Sized + Copy {
    /// Wire width in bytes.
    const LEN: usize;
    /// The value [`WireField::read_checked`] returns if its bytes are missing, which the
    /// decoder's length check rules out: it exists so that no path can panic.
    const UNREACHABLE: Self;
    /// Reads the field from the front of `src` and advances it.
    fn read(src: &mut &[u8]) -> Result<Self, FieldError>;
    /// Writes the field to the front of `dst` and advances it.
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError>;
    /// Reads a field whose bytes already passed [`WireField::read`] (the decoder validates a
    /// whole message first, then reads it): a plain value, so that building the message
    /// needs no `Result` around it.
    #[inline(always)]
    fn read_checked(src: &mut &[u8]) -> Self {
        Self::read(src).unwrap_or(Self::UNREACHABLE)
    }
}

#[inline(always)]
pub(crate) fn take<const N: usize>(src: &mut &[u8]) -> Result<[u8; N], FieldError> {
    let (head, tail) = src.split_first_chunk::<N>().ok_or(FieldError::Missing)?;
    *src = tail;
    Ok(*head)
}

#[inline(always)]
pub(crate) fn put<const N: usize>(dst: &mut &mut [u8], bytes: [u8; N]) -> Result<(), FieldError> {
    let (head, tail) = std::mem::take(dst)
        .split_first_chunk_mut::<N>()
        .ok_or(FieldError::Missing)?;
    *head = bytes;
    *dst = tail;
    Ok(())
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl WireField for $t {
            const LEN: usize = std::mem::size_of::<$t>();
            const UNREACHABLE: Self = 0;
            #[inline(always)]
            fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
                Ok(<$t>::from_be_bytes(take(src)?))
            }
            #[inline(always)]
            fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
                put(dst, self.to_be_bytes())
            }
        }
    )*};
}
int_field!(u8, u16, u32, u64);

impl<const N: usize> WireField for [u8; N] {
    const LEN: usize = N;
    const UNREACHABLE: Self = [0; N];
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        take(src)
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        put(dst, self)
    }
}

impl WireField for Stock {
    const LEN: usize = 8;
    const UNREACHABLE: Self = Stock([0; 8]);
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        take(src).map(Stock)
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        put(dst, self.0)
    }
}

impl WireField for Mpid {
    const LEN: usize = 4;
    const UNREACHABLE: Self = Mpid([0; 4]);
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        take(src).map(Mpid)
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        put(dst, self.0)
    }
}

/// Price (4): u32 with 4 implied decimals, ITCH 5.0 "Data Types".
impl WireField for Price {
    const LEN: usize = 4;
    const UNREACHABLE: Self = Price(0);
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        Ok(Price::from_itch(u32::from_be_bytes(take(src)?)))
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        let raw = u32::try_from(self.0).map_err(|_| FieldError::OutOfRange(self.0))?;
        put(dst, raw.to_be_bytes())
    }
}

/// Shares: u32, ITCH 5.0 §1.3 "Shares".
impl WireField for Qty {
    const LEN: usize = 4;
    const UNREACHABLE: Self = Qty(0);
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        Ok(Qty(u32::from_be_bytes(take(src)?)))
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        put(dst, self.0.to_be_bytes())
    }
}

/// `code` is `B` or `S` (ITCH 5.0 §1.3.1 Buy/Sell Indicator), tested without a branch on
/// which of the two it is.
#[inline(always)]
pub(crate) fn is_buy_sell(code: u8) -> bool {
    const MASK: u32 = 1 | 1 << (b'S' - b'B');
    let d = u32::from(code.wrapping_sub(b'B'));
    d < 32 && (MASK >> d) & 1 == 1
}

/// Buy/Sell Indicator: `B` or `S` (ITCH 5.0 §1.3.1); `SellShort` has no ITCH code.
impl WireField for Side {
    const LEN: usize = 1;
    const UNREACHABLE: Self = Side::Buy;
    #[inline(always)]
    fn read(src: &mut &[u8]) -> Result<Self, FieldError> {
        let [code] = take::<1>(src)?;
        // One well-predicted validity branch and a select, rather than a branch per code:
        // B and S are equally likely on the feed, so branching on them mispredicts often.
        // The validity test is a bit test (bits 0 and 17 of a mask: `B` and `S` less `B`),
        // because `(code == b'B') | (code == b'S')` is compiled to two branches, the first
        // of which is a coin flip per Add Order.
        if is_buy_sell(code) {
            Ok(if code == b'B' { Side::Buy } else { Side::Sell })
        } else {
            Err(FieldError::BadByte(code))
        }
    }
    /// After validation (`B` or `S`): a select, with no second validity test (which, in the
    /// Add Order / Order Delete path, would branch on an Order Delete's unrelated byte).
    #[inline(always)]
    fn read_checked(src: &mut &[u8]) -> Self {
        match take::<1>(src) {
            Ok([b'S']) => Side::Sell,
            _ => Side::Buy,
        }
    }
    #[inline(always)]
    fn write(self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        match self {
            Side::Buy => put(dst, [b'B']),
            Side::Sell => put(dst, [b'S']),
            Side::SellShort => Err(FieldError::OutOfRange(i64::from(Side::SellShort.code()))),
        }
    }
}

impl Header {
    /// Reads the header from a whole message (`msg[0]` is the type byte, so `N` is a
    /// type's length, at least 12), with no per-field bounds checks.
    #[inline(always)]
    pub(crate) fn from_message<const N: usize>(msg: &[u8; N]) -> Self {
        let Some(head) = msg.first_chunk::<{ Self::LEN }>() else {
            // Every ITCH message is longer than its header; the decoder never gets here.
            return Header::default();
        };
        let [_, l0, l1, t0, t1, s0, s1, s2, s3, s4, s5] = *head;
        // Locate and tracking number as one 4-byte load, byte-swapped and rotated so that
        // the two halves are stored as one 4-byte store (locate low, tracking high).
        let ids = u32::from_be_bytes([l0, l1, t0, t1]).rotate_left(16);
        // The 6-byte timestamp: where the message has two more bytes after it (every type
        // but the 12-byte `S` and `W`), one 8-byte load shifted right, else byte by byte.
        let timestamp_ns = match msg.get(5..13).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            Some(wide) => u64::from_be_bytes(wide) >> 16,
            None => u64::from_be_bytes([0, 0, s0, s1, s2, s3, s4, s5]),
        };
        Header {
            stock_locate: ids as u16,
            tracking_number: (ids >> 16) as u16,
            timestamp_ns,
        }
    }

    /// Writes locate, tracking number and the 6-byte timestamp.
    #[inline(always)]
    pub(crate) fn write(&self, dst: &mut &mut [u8]) -> Result<(), FieldError> {
        if self.timestamp_ns > Self::TIMESTAMP_MAX_NS {
            return Err(FieldError::OutOfRange(
                i64::try_from(self.timestamp_ns).unwrap_or(i64::MAX),
            ));
        }
        self.stock_locate.write(dst)?;
        self.tracking_number.write(dst)?;
        let [_, _, a, b, c, d, e, f] = self.timestamp_ns.to_be_bytes();
        put(dst, [a, b, c, d, e, f])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_padding_and_trimming() {
        let s = Stock::from_symbol("AAPL").unwrap();
        assert_eq!(&s.0, b"AAPL    ");
        assert_eq!(s.trimmed(), b"AAPL");
        assert_eq!(s.as_str(), Some("AAPL"));
        assert_eq!(Stock::from_symbol("TOOLONGSYM"), None);
        assert_eq!(Stock([b' '; 8]).trimmed(), b"");
        assert_eq!(Mpid::from_code("NSDQ").unwrap().trimmed(), b"NSDQ");
        assert_eq!(Mpid::from_code("AB").unwrap().0, *b"AB  ");
    }

    #[test]
    fn buy_sell_bit_test_accepts_exactly_b_and_s() {
        for code in 0..=u8::MAX {
            assert_eq!(
                is_buy_sell(code),
                code == b'B' || code == b'S',
                "{code:#04x}"
            );
            let read = Side::read(&mut &[code][..]);
            match code {
                b'B' => assert!(matches!(read, Ok(Side::Buy))),
                b'S' => assert!(matches!(read, Ok(Side::Sell))),
                _ => assert!(matches!(read, Err(FieldError::BadByte(c)) if c == code)),
            }
        }
    }

    #[test]
    fn header_round_trip_and_timestamp_range() {
        let h = Header {
            stock_locate: 0x0102,
            tracking_number: 3,
            timestamp_ns: 0x0000_a1b2_c3d4_e5f6,
        };
        let mut buf = [0u8; 10];
        Header::write(&h, &mut &mut buf[..]).unwrap();
        assert_eq!(
            buf,
            [0x01, 0x02, 0x00, 0x03, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6]
        );
        let mut msg = [b'S'; 12];
        msg[1..11].copy_from_slice(&buf);
        assert_eq!(Header::from_message(&msg), h);
        // The timestamp is masked to its 6 bytes: the tracking number's bytes do not leak in.
        msg[3..5].copy_from_slice(&[0xff, 0xff]);
        assert_eq!(Header::from_message(&msg).timestamp_ns, h.timestamp_ns);
        assert_eq!(Header::from_message(&msg).tracking_number, 0xffff);
        let too_late = Header {
            timestamp_ns: 1 << 48,
            ..h
        };
        assert!(matches!(
            Header::write(&too_late, &mut &mut buf[..]),
            Err(FieldError::OutOfRange(_))
        ));
    }
}
