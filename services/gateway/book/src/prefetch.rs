//! The crate's only `unsafe`: a software prefetch hint (x86-64 `PREFETCHT0`).
//!
//! Why `unsafe` at all: `core::arch::x86_64::_mm_prefetch` is a `#[target_feature(enable =
//! "sse")]` function, and on rustc 1.95 calling one from a function without that attribute is
//! `unsafe` (E0133) even though SSE is part of the x86-64 baseline. The instruction itself is
//! a pure hint: it never faults, whatever the address, and changes no architectural state.
//!
//! The safe entry points take a reference (obtained by ordinary bounds-checked indexing), so
//! the address is always that of a live value; nothing is ever read through it here.

/// Asks the CPU to start loading the cache line holding `value` into L1 (x86-64
/// `PREFETCHT0`); a no-op on other targets. Changes nothing observable, never faults.
#[inline(always)]
pub(crate) fn prefetch_read<T>(value: &T) {
    prefetch_line(std::ptr::from_ref(value).cast::<u8>());
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn prefetch_line(address: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: `_mm_prefetch` is `unsafe` to call only because it is declared
    // `#[target_feature(enable = "sse")]`; SSE is part of the x86-64 baseline, so every CPU that
    // runs this code has it. PREFETCHT0 is a hint that never faults (for any address) and writes
    // no register or memory; `address` moreover comes from a live reference.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn prefetch_line(_address: *const u8) {}

#[cfg(test)]
mod tests {
    use super::prefetch_read;

    #[test]
    fn prefetch_changes_nothing() {
        let values = [1u64, 2, 3, 4];
        for v in &values {
            prefetch_read(v);
        }
        prefetch_read(&values);
        assert_eq!(values, [1, 2, 3, 4]);
    }
}
