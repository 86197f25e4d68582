//! National best bid and offer over the healthy venues (Reg NMS Rule 600(b) "national best
//! bid/offer", here over the venues this deployment trades), recomputed per instrument from
//! the venues' top levels after every book change.

use crate::book::ConsolidatedBook;
use crossbar_model::{InstrumentId, Price, VenueId};

/// The best price of one side over the healthy venues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Best price, 1/10,000 $.
    pub price: Price,
    /// Displayed shares at that price summed over the venues quoting it.
    pub qty: u64,
    /// Bit `v` set when venue `v` quotes the best price.
    pub venues: u64,
}

/// Best bid and best offer of one instrument; `None` when no healthy venue quotes that side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nbbo {
    /// Best bid.
    pub bid: Option<Quote>,
    /// Best offer (ask).
    pub ask: Option<Quote>,
}

impl Nbbo {
    /// The side by book side index (0 bid, 1 ask).
    #[inline]
    pub fn side(&self, side_idx: usize) -> Option<Quote> {
        if side_idx == 0 {
            self.bid
        } else {
            self.ask
        }
    }

    /// Midpoint `(bid + ask) / 2` rounded down, when both sides exist.
    pub fn mid(&self) -> Option<Price> {
        match (self.bid, self.ask) {
            (Some(b), Some(a)) => Some(Price((b.price.0 + a.price.0).div_euclid(2))),
            _ => None,
        }
    }
}

/// Computes the NBBO of `instrument` over the venues whose bit is set in `healthy`.
pub fn compute(
    book: &ConsolidatedBook,
    instrument: InstrumentId,
    venue_count: usize,
    healthy: u64,
) -> Nbbo {
    Nbbo {
        bid: best_side(book, instrument, venue_count, healthy, 0),
        ask: best_side(book, instrument, venue_count, healthy, 1),
    }
}

fn best_side(
    book: &ConsolidatedBook,
    instrument: InstrumentId,
    venue_count: usize,
    healthy: u64,
    side_idx: usize,
) -> Option<Quote> {
    let mut best: Option<Quote> = None;
    for v in 0..venue_count {
        if healthy & (1 << v) == 0 {
            continue;
        }
        let Some(level) = book.best(instrument, VenueId(v as u16), side_idx) else {
            continue;
        };
        best = match best {
            Some(q) if q.price == level.price => Some(Quote {
                price: q.price,
                qty: q.qty.saturating_add(level.qty),
                venues: q.venues | (1 << v),
            }),
            Some(q) if !crate::book::better(side_idx, level.price, q.price) => Some(q),
            _ => Some(Quote {
                price: level.price,
                qty: level.qty,
                venues: 1 << v,
            }),
        };
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::TopOfBook;

    fn top(venue: u16, seq: u64, bid: i64, bid_qty: u64, ask: i64, ask_qty: u64) -> TopOfBook {
        TopOfBook {
            venue: VenueId(venue),
            instrument: InstrumentId(0),
            sequence: seq,
            timestamp_ns: 0,
            bid_price: Price(bid),
            bid_qty,
            ask_price: Price(ask),
            ask_qty,
        }
    }

    #[test]
    fn nbbo_sums_qty_and_collects_venues_at_the_best() {
        let mut b = ConsolidatedBook::new(1, 3, 4);
        b.apply_top(&top(0, 1, 100_000, 100, 100_100, 200)).unwrap();
        b.apply_top(&top(1, 1, 100_000, 300, 100_200, 50)).unwrap();
        b.apply_top(&top(2, 1, 99_900, 500, 100_100, 70)).unwrap();
        let n = compute(&b, InstrumentId(0), 3, 0b111);
        assert_eq!(
            n.bid,
            Some(Quote {
                price: Price(100_000),
                qty: 400,
                venues: 0b011
            })
        );
        assert_eq!(
            n.ask,
            Some(Quote {
                price: Price(100_100),
                qty: 270,
                venues: 0b101
            })
        );
        assert_eq!(n.mid(), Some(Price(100_050)));
    }

    #[test]
    fn unhealthy_venues_are_left_out() {
        let mut b = ConsolidatedBook::new(1, 3, 4);
        b.apply_top(&top(0, 1, 100_000, 100, 100_100, 200)).unwrap();
        b.apply_top(&top(1, 1, 100_100, 300, 100_200, 50)).unwrap();
        let n = compute(&b, InstrumentId(0), 3, 0b001);
        assert_eq!(n.bid.unwrap().price, Price(100_000));
        assert_eq!(n.bid.unwrap().venues, 0b001);
        assert_eq!(compute(&b, InstrumentId(0), 3, 0), Nbbo::default());
    }

    #[test]
    fn empty_side_has_no_quote() {
        let mut b = ConsolidatedBook::new(1, 1, 4);
        b.apply_top(&top(0, 1, 0, 0, 100_100, 200)).unwrap();
        let n = compute(&b, InstrumentId(0), 1, 1);
        assert_eq!(n.bid, None);
        assert_eq!(n.mid(), None);
        assert!(n.ask.is_some());
    }
}
