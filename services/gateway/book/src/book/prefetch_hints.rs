//! Prefetch hints: [`OrderBook`] methods that start loading the cache lines a coming event
//! will touch, so that a caller which sees events ahead (a batch of feed messages) can overlap
//! their memory latency with the work on earlier events (software pipelining; see
//! `docs/book.md`, "Prefetch hints").
//!
//! Every hint reads only state an earlier hint for the same event is expected to have brought
//! into cache, never changes the book, never panics and never allocates: a reference outside
//! the reference window, an unknown instrument or a stale slot (the book changed between the
//! hint and the event) gives a useless prefetch or none, never a wrong result.
//!
//! The hints avoid data-dependent branches (a hint runs for every message, and a branch on,
//! say, whether a slot is vacant is as random as the message types): a vacant or stale slot
//! is clamped to some valid record and prefetched anyway.

use crossbar_model::InstrumentId;

use super::{Order, OrderBook};
use crate::prefetch::prefetch_read;

impl OrderBook {
    /// First stage (the pipeline's stage 0) for an event naming `order_ref` (execute, cancel,
    /// delete, replace; also an add, whose reference slot the add writes): starts loading the
    /// reference-window slot of `order_ref`. Nothing for a reference outside the window
    /// (those are looked up in the fallback table, which is not prefetched).
    #[inline(always)]
    pub fn prefetch_reference(&self, order_ref: u64) {
        if let Some(slot) = self.refs.window_slot(order_ref) {
            prefetch_read(slot);
        }
    }

    /// First stage (the pipeline's stage 0) for any event of `instrument`: starts loading,
    /// on both sides (an execute's or a delete's side is known only from the order record),
    /// the line with the level count and the first 7 keys and the two lines with the bodies of
    /// levels `0..8` (see `Window::prefetch_hot_lines`): 6 lines of the 896-byte record.
    /// Nothing for an unknown instrument.
    #[inline(always)]
    pub fn prefetch_instrument(&self, instrument: InstrumentId) {
        if let Some(book) = self.instruments.get(instrument.index()) {
            book.sides[0].prefetch_hot_lines();
            book.sides[1].prefetch_hot_lines();
        }
    }

    /// Second stage (the pipeline's stage 1) for an event naming a resting order: reads
    /// `order_ref`'s window slot (expected cached by [`Self::prefetch_reference`]) and starts
    /// loading the 32-byte order record (some record, for a vacant slot). Nothing for a
    /// reference outside the window.
    #[inline(always)]
    pub fn prefetch_order_of(&self, order_ref: u64) {
        if let Some(order) = self.window_order(order_ref) {
            prefetch_read(order);
        }
    }

    /// The order record `order_ref`'s window slot points to, clamped into the slab (a vacant
    /// or stale slot gives some record: a hint only). `None` outside the window or with an
    /// empty slab.
    #[inline(always)]
    fn window_order(&self, order_ref: u64) -> Option<&Order> {
        // Stored values are `slab index + 1`; vacant (0) wraps to u32::MAX, then clamps.
        self.order_clamped(self.refs.window_slot(order_ref)?.wrapping_sub(1))
    }

    /// `orders[min(index, len - 1)]` without a data-dependent branch; `None` only for an
    /// empty slab.
    #[inline(always)]
    fn order_clamped(&self, index: u32) -> Option<&Order> {
        self.orders
            .get((index as usize).min(self.orders.len().saturating_sub(1)))
    }
}

#[cfg(test)]
mod tests {
    use crossbar_model::{InstrumentId, Price, Qty, Side};

    use crate::{BookLimits, OrderBook};

    /// Every hint, on a populated book (window and fallback references, sides with more than 7
    /// levels, thin and empty sides, freed slots), with in-range, stale and absurd arguments:
    /// no panic, no change.
    #[test]
    fn hints_never_change_the_book_or_panic() {
        let mut book = OrderBook::new(BookLimits {
            instruments: 4,
            orders: 64,
            levels_per_side: 40,
        })
        .unwrap();
        for r in 1..=48u64 {
            let side = if r % 2 == 0 { Side::Buy } else { Side::Sell };
            let price = Price(1_000 + (r as i64 % 20) * 10);
            book.add(r, InstrumentId((r % 3) as u32), side, price, Qty(100))
                .unwrap();
        }
        // A far reference moves the window: old references go to the fallback.
        book.add(1_000_000, InstrumentId(0), Side::Buy, Price(990), Qty(5))
            .unwrap();
        book.delete(7).unwrap();
        book.delete(1_000_000).unwrap();
        let before = format!("{book:?}");
        // Instrument 1's bid side has 8 levels; instrument 3 has none.
        assert_eq!(book.level_count(InstrumentId(1), Side::Buy), 8);
        assert_eq!(book.level_count(InstrumentId(3), Side::Buy), 0);
        let refs = [0, 1, 2, 7, 20, 40, 41, 1_000_000, 999_999, u64::MAX];
        let instruments = [0, 1, 2, 3, 4, u32::MAX];
        for r in refs {
            book.prefetch_reference(r);
            book.prefetch_order_of(r);
        }
        for i in instruments {
            book.prefetch_instrument(InstrumentId(i));
        }
        assert_eq!(format!("{book:?}"), before);
    }
}
