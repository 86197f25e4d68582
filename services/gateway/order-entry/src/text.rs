//! Allocation-free text for SBE var-data fields and OUCH ClOrdID.

use std::fmt;
use std::io::Write;

/// Formats `args` into `buf` and returns the bytes written (truncated at `buf.len()`).
pub(crate) fn format_into(buf: &mut [u8], args: fmt::Arguments<'_>) -> usize {
    let len = buf.len();
    let mut cursor = std::io::Cursor::new(buf);
    // A full buffer truncates the text; the stable code comes first, so it survives.
    let _ = cursor.write_fmt(args);
    (cursor.position() as usize).min(len)
}

/// OUCH 5.0 §2.1 ClOrdID (14 bytes, alphanumeric, space padded) for a platform order id:
/// the id in base 36, upper case (a u64 needs at most 13 digits).
pub(crate) fn cl_ord_id(order_id: u64) -> crossbar_ouch::ClOrdId {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut tmp = [0u8; 13];
    let mut n = order_id;
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let mut out = [b' '; 14];
    out[..tmp.len() - i].copy_from_slice(&tmp[i..]);
    crossbar_ouch::Alpha(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cl_ord_id_is_base36_left_aligned() {
        assert_eq!(&cl_ord_id(0).0, b"0             ");
        assert_eq!(&cl_ord_id(35).0, b"Z             ");
        assert_eq!(&cl_ord_id(36).0, b"10            ");
        assert_eq!(&cl_ord_id(u64::MAX).0, b"3W5E11264SGSF ");
        assert_eq!(
            u64::from_str_radix(cl_ord_id(u64::MAX).as_str().unwrap().trim(), 36).unwrap(),
            u64::MAX
        );
    }

    #[test]
    fn format_truncates_instead_of_failing() {
        let mut buf = [0u8; 8];
        let n = format_into(&mut buf, format_args!("CODE k={}", 123_456));
        assert_eq!(&buf[..n], b"CODE k=1");
    }
}
