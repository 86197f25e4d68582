//! The consolidated book: for each (instrument, venue), the top `book_depth` price levels of
//! each side, from `BookLevelDelta` and `TopOfBook` (`schemas/crossbar.xml` ids 10 and 11).
//!
//! Storage is one flat array sized at construction: book `(instrument, venue, side)` owns
//! `depth` consecutive [`Level`] slots, best first (bids descending, asks ascending), and a
//! level count. Updates never allocate.
//!
//! Depth beyond `book_depth` is not kept: a `New` deeper than that is ignored, an insert that
//! pushes a level past it drops that level, and after a `Delete` the deepest slot stays empty
//! until the gateway sends the level again (a `New` or `Change` at the first unknown index
//! appends it). Each level change is atomic: a refused change leaves the book as before it,
//! and the changes of the same event before it stay applied.

use crate::error::RouterError;
use crate::events::{BookAction, BookLevelDelta, LevelChange, TopOfBook};
use crossbar_model::{InstrumentId, Price, Side, VenueId};

/// One price level of one venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Price, 1/10,000 $.
    pub price: Price,
    /// Displayed shares at the price.
    pub qty: u64,
    /// Orders at the price (0 when the source is TopOfBook).
    pub order_count: u32,
}

impl Default for Level {
    fn default() -> Self {
        Level {
            price: Price::ZERO,
            qty: 0,
            order_count: 0,
        }
    }
}

/// Book side index: 0 = bid, 1 = ask.
#[inline]
pub(crate) const fn side_index(side: Side) -> usize {
    if side.is_sell() {
        1
    } else {
        0
    }
}

/// True when `a` is a better price than `b` on `side_idx` (bids: higher, asks: lower).
#[inline]
pub(crate) const fn better(side_idx: usize, a: Price, b: Price) -> bool {
    if side_idx == 0 {
        a.0 > b.0
    } else {
        a.0 < b.0
    }
}

/// Per-(instrument, venue) price-level books, fixed size.
#[derive(Clone, Debug)]
pub struct ConsolidatedBook {
    depth: usize,
    venues: usize,
    instruments: usize,
    levels: Vec<Level>,
    counts: Vec<u16>,
    last_sequence: Vec<u64>,
}

impl ConsolidatedBook {
    /// An empty book for `instruments` x `venues`, `depth` levels per side (all validated by
    /// [`crate::RouterLimits::validate`]).
    pub fn new(instruments: usize, venues: usize, depth: u16) -> Self {
        assert!(instruments > 0 && venues > 0 && depth > 0);
        let books = instruments * venues;
        Self {
            depth: depth as usize,
            venues,
            instruments,
            levels: vec![Level::default(); books * 2 * depth as usize],
            counts: vec![0; books * 2],
            last_sequence: vec![0; books],
        }
    }

    /// Levels kept per side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    #[inline]
    fn book(&self, instrument: usize, venue: usize) -> usize {
        assert!(instrument < self.instruments && venue < self.venues);
        instrument * self.venues + venue
    }

    /// The levels of one side, best first.
    #[inline]
    pub fn side(&self, instrument: InstrumentId, venue: VenueId, side_idx: usize) -> &[Level] {
        let s = self.book(instrument.index(), venue.0 as usize) * 2 + side_idx;
        let start = s * self.depth;
        &self.levels[start..start + self.counts[s] as usize]
    }

    /// Best level of one side, if any.
    #[inline]
    pub fn best(&self, instrument: InstrumentId, venue: VenueId, side_idx: usize) -> Option<Level> {
        self.side(instrument, venue, side_idx).first().copied()
    }

    /// Displayed shares at exactly `price` on one side of one venue (0 if no such level).
    pub fn qty_at(
        &self,
        instrument: InstrumentId,
        venue: VenueId,
        side_idx: usize,
        price: Price,
    ) -> u64 {
        self.side(instrument, venue, side_idx)
            .iter()
            .find(|l| l.price == price)
            .map_or(0, |l| l.qty)
    }

    fn check_sequence(
        &mut self,
        book: usize,
        instrument: u32,
        venue: u16,
        sequence: u64,
    ) -> Result<(), RouterError> {
        let last = self.last_sequence[book];
        if sequence < last {
            return Err(RouterError::StaleSequence {
                instrument,
                venue,
                sequence,
                last,
            });
        }
        self.last_sequence[book] = sequence;
        Ok(())
    }

    /// Applies a `BookLevelDelta`. Indices are validated by the caller.
    ///
    /// # Errors
    /// [`RouterError::StaleSequence`] for an older sequence (nothing applied);
    /// [`RouterError::BookLevel`] / [`RouterError::InvalidOrder`] for a change that would put
    /// the side out of price order or has a zero qty / non-positive price (earlier changes of
    /// the event stay applied).
    pub fn apply_delta(&mut self, delta: &BookLevelDelta<'_>) -> Result<(), RouterError> {
        let (i, v) = (delta.instrument.index(), delta.venue.0 as usize);
        let book = self.book(i, v);
        self.check_sequence(book, delta.instrument.0, delta.venue.0, delta.sequence)?;
        for change in delta.levels {
            self.apply_change(book, delta, change)?;
        }
        Ok(())
    }

    fn apply_change(
        &mut self,
        book: usize,
        delta: &BookLevelDelta<'_>,
        c: &LevelChange,
    ) -> Result<(), RouterError> {
        let side_idx = side_index(c.side);
        let s = book * 2 + side_idx;
        let start = s * self.depth;
        let count = self.counts[s] as usize;
        let idx = c.level_index as usize;
        let bad_level = || RouterError::BookLevel {
            instrument: delta.instrument.0,
            venue: delta.venue.0,
            index: c.level_index,
            levels: count as u16,
        };
        if idx >= self.depth {
            return Ok(()); // deeper than kept
        }
        let level = Level {
            price: c.price,
            qty: c.qty,
            order_count: c.order_count,
        };
        let slots = &mut self.levels[start..start + self.depth];
        match c.action {
            BookAction::Delete => {
                if idx >= count {
                    return Ok(()); // a level we had already dropped
                }
                slots.copy_within(idx + 1..count, idx);
                self.counts[s] -= 1;
            }
            BookAction::New | BookAction::Change => {
                if c.qty == 0 || c.price.0 <= 0 {
                    return Err(RouterError::InvalidOrder("book level qty 0 or price <= 0"));
                }
                let insert = c.action == BookAction::New;
                if !insert && idx < count {
                    if slots[idx].price != c.price {
                        return Err(bad_level());
                    }
                    slots[idx] = level;
                    return Ok(());
                }
                let at = idx.min(count);
                let ordered_before = at == 0 || better(side_idx, slots[at - 1].price, c.price);
                let ordered_after = at >= count || better(side_idx, c.price, slots[at].price);
                if !ordered_before || !ordered_after {
                    return Err(bad_level());
                }
                let keep = count.min(self.depth - 1);
                slots.copy_within(at..keep, at + 1);
                slots[at] = level;
                self.counts[s] = (keep + 1) as u16;
            }
        }
        Ok(())
    }

    /// Applies a `TopOfBook`: each side's best level becomes the given one; deeper levels
    /// that are not strictly worse are dropped; qty 0 empties the side.
    ///
    /// # Errors
    /// [`RouterError::StaleSequence`] for an older sequence; [`RouterError::InvalidOrder`]
    /// for a non-empty side with a non-positive price (nothing applied).
    pub fn apply_top(&mut self, top: &TopOfBook) -> Result<(), RouterError> {
        if (top.bid_qty > 0 && top.bid_price.0 <= 0) || (top.ask_qty > 0 && top.ask_price.0 <= 0) {
            return Err(RouterError::InvalidOrder("top of book price <= 0"));
        }
        let book = self.book(top.instrument.index(), top.venue.0 as usize);
        self.check_sequence(book, top.instrument.0, top.venue.0, top.sequence)?;
        self.set_top(book * 2, top.bid_price, top.bid_qty);
        self.set_top(book * 2 + 1, top.ask_price, top.ask_qty);
        Ok(())
    }

    fn set_top(&mut self, s: usize, price: Price, qty: u64) {
        let side_idx = s % 2;
        let start = s * self.depth;
        let count = self.counts[s] as usize;
        if qty == 0 {
            self.counts[s] = 0;
            return;
        }
        let slots = &mut self.levels[start..start + self.depth];
        let kept_orders = if count > 0 && slots[0].price == price {
            slots[0].order_count
        } else {
            0
        };
        // First existing level strictly worse than the new top survives, with all after it.
        let first_kept = (0..count)
            .find(|&k| better(side_idx, price, slots[k].price))
            .unwrap_or(count);
        let survivors = (count - first_kept).min(self.depth - 1);
        slots.copy_within(first_kept..first_kept + survivors, 1);
        slots[0] = Level {
            price,
            qty,
            order_count: kept_orders,
        };
        self.counts[s] = (survivors + 1) as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::BookAction::{Change, Delete, New};

    const I: InstrumentId = InstrumentId(0);
    const V: VenueId = VenueId(1);

    fn chg(action: BookAction, side: Side, idx: u16, price: i64, qty: u64) -> LevelChange {
        LevelChange {
            action,
            side,
            level_index: idx,
            price: Price(price),
            qty,
            order_count: 1,
        }
    }

    fn delta<'a>(seq: u64, levels: &'a [LevelChange]) -> BookLevelDelta<'a> {
        BookLevelDelta {
            venue: V,
            instrument: I,
            sequence: seq,
            timestamp_ns: 0,
            levels,
        }
    }

    fn prices(b: &ConsolidatedBook, side_idx: usize) -> Vec<(i64, u64)> {
        b.side(I, V, side_idx)
            .iter()
            .map(|l| (l.price.0, l.qty))
            .collect()
    }

    #[test]
    fn new_change_delete_keep_sides_sorted_best_first() {
        let mut b = ConsolidatedBook::new(1, 2, 3);
        b.apply_delta(&delta(
            1,
            &[
                chg(New, Side::Buy, 0, 100, 10),
                chg(New, Side::Buy, 1, 99, 20),
                chg(New, Side::Sell, 0, 101, 5),
                chg(New, Side::Sell, 1, 103, 7),
                chg(New, Side::Sell, 1, 102, 6),
            ],
        ))
        .unwrap();
        assert_eq!(prices(&b, 0), vec![(100, 10), (99, 20)]);
        assert_eq!(prices(&b, 1), vec![(101, 5), (102, 6), (103, 7)]);
        b.apply_delta(&delta(
            2,
            &[
                chg(Change, Side::Sell, 1, 102, 60),
                chg(Delete, Side::Buy, 0, 0, 0),
            ],
        ))
        .unwrap();
        assert_eq!(prices(&b, 0), vec![(99, 20)]);
        assert_eq!(prices(&b, 1), vec![(101, 5), (102, 60), (103, 7)]);
        // Insert at the top of a full side drops the deepest level.
        b.apply_delta(&delta(3, &[chg(New, Side::Sell, 0, 100, 1)]))
            .unwrap();
        assert_eq!(prices(&b, 1), vec![(100, 1), (101, 5), (102, 60)]);
        // Deeper than kept: ignored. Delete then a Change at the first unknown index appends.
        b.apply_delta(&delta(
            4,
            &[
                chg(New, Side::Sell, 3, 104, 1),
                chg(Delete, Side::Sell, 0, 0, 0),
                chg(Change, Side::Sell, 2, 103, 7),
            ],
        ))
        .unwrap();
        assert_eq!(prices(&b, 1), vec![(101, 5), (102, 60), (103, 7)]);
        assert_eq!(b.qty_at(I, V, 1, Price(102)), 60);
        assert_eq!(b.qty_at(I, V, 1, Price(105)), 0);
    }

    #[test]
    fn bad_changes_are_refused_without_touching_the_side() {
        let mut b = ConsolidatedBook::new(1, 2, 4);
        b.apply_delta(&delta(
            5,
            &[
                chg(New, Side::Buy, 0, 100, 10),
                chg(New, Side::Buy, 1, 99, 10),
            ],
        ))
        .unwrap();
        let before = prices(&b, 0);
        let out_of_order = b
            .apply_delta(&delta(6, &[chg(New, Side::Buy, 1, 101, 1)]))
            .unwrap_err();
        assert_eq!(out_of_order.code(), "ROUTER_BOOK_LEVEL");
        let wrong_price = b
            .apply_delta(&delta(6, &[chg(Change, Side::Buy, 0, 98, 1)]))
            .unwrap_err();
        assert_eq!(wrong_price.code(), "ROUTER_BOOK_LEVEL");
        let zero = b
            .apply_delta(&delta(6, &[chg(New, Side::Buy, 0, 102, 0)]))
            .unwrap_err();
        assert_eq!(zero.code(), "ROUTER_INVALID_ORDER");
        assert_eq!(prices(&b, 0), before);
        let stale = b
            .apply_delta(&delta(4, &[chg(Delete, Side::Buy, 0, 0, 0)]))
            .unwrap_err();
        assert_eq!(
            stale.to_string(),
            "ROUTER_STALE_SEQUENCE instrument=0 venue=1 sequence=4 last=6"
        );
        assert_eq!(prices(&b, 0), before);
    }

    #[test]
    fn top_of_book_replaces_the_best_and_drops_crossed_depth() {
        let mut b = ConsolidatedBook::new(1, 2, 4);
        b.apply_delta(&delta(
            1,
            &[
                chg(New, Side::Sell, 0, 101, 5),
                chg(New, Side::Sell, 1, 102, 6),
                chg(New, Side::Sell, 2, 103, 7),
            ],
        ))
        .unwrap();
        let top = |seq, ask: i64, ask_qty| TopOfBook {
            venue: V,
            instrument: I,
            sequence: seq,
            timestamp_ns: 0,
            bid_price: Price(0),
            bid_qty: 0,
            ask_price: Price(ask),
            ask_qty,
        };
        b.apply_top(&top(2, 102, 9)).unwrap();
        assert_eq!(prices(&b, 1), vec![(102, 9), (103, 7)]);
        b.apply_top(&top(3, 100, 1)).unwrap();
        assert_eq!(prices(&b, 1), vec![(100, 1), (102, 9), (103, 7)]);
        assert_eq!(prices(&b, 0), vec![]);
        b.apply_top(&top(4, 0, 0)).unwrap();
        assert_eq!(prices(&b, 1), vec![]);
        assert_eq!(
            b.apply_top(&top(5, -1, 5)).unwrap_err().code(),
            "ROUTER_INVALID_ORDER"
        );
    }
}
