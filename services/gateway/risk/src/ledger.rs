//! Absolute credit (SBE CreditSlice, `schemas/crossbar.xml` id 38): the arithmetic that lets a
//! gateway take the centre's statement of its whole slice without ever holding credit the
//! centre does not know of (`docs/gateway.md` § Credit, `docs/router.md` § Absolute credit).
//!
//! The centre states, per instrument, the credit it holds outstanding for this gateway
//! (granted − returned − consumed by fills) counting every execution-stream message of the
//! gateway up to `throughStreamSequence`. Messages the gateway numbered after that (in flight
//! to the centre, or not yet applied there) will still shrink the centre's figure when they
//! arrive: a fill consumes its shares on its side and its notional (last price × last qty, as
//! the centre counts it), a CreditReturn its amounts. So the slice the gateway may hold is
//! `held = stated − taken_after(through)`, and its unused credit is `held − reserved` (open
//! orders keep their reservation). [`CreditLedger`] remembers what each recent numbered
//! message took, in a ring allocated once; it refuses to answer when the ring no longer
//! covers every message after `through` (the gateway then keeps the slice it has).

use crate::engine::Credit;
use crossbar_model::InstrumentId;

/// What one numbered execution-stream message took from the centre's view of the slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    stream_sequence: u64,
    instrument: InstrumentId,
    taken: Credit,
}

/// Why [`CreditLedger::taken_after`] cannot answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// `through` is older than the oldest message the ring still holds: some message after it
    /// was forgotten.
    #[error("CREDIT_LEDGER_UNCOVERED through={through} forgotten_up_to={forgotten}")]
    Uncovered {
        /// The statement's `throughStreamSequence`.
        through: u64,
        /// Highest stream sequence dropped from the ring.
        forgotten: u64,
    },
    /// `through` is above the highest number this gateway gave out: the statement belongs to
    /// another (older) execution stream of this gateway.
    #[error("CREDIT_LEDGER_FUTURE through={through} last={last}")]
    Future {
        /// The statement's `throughStreamSequence`.
        through: u64,
        /// Highest stream sequence given out.
        last: u64,
    },
}

/// Ring of the credit taken by recent numbered execution-stream messages (fills and
/// CreditReturns; other messages take nothing and are not stored). Fixed capacity, no
/// allocation after [`CreditLedger::new`].
#[derive(Clone, Debug)]
pub struct CreditLedger {
    ring: Vec<Entry>,
    next: usize,
    len: usize,
    /// Highest stream sequence evicted from the ring (0 = none).
    forgotten: u64,
    /// Highest stream sequence noted (0 = none).
    last: u64,
}

impl CreditLedger {
    /// A ledger remembering the last `capacity` (at least 1) credit-taking messages.
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: vec![
                Entry {
                    stream_sequence: 0,
                    instrument: InstrumentId(0),
                    taken: Credit::default(),
                };
                capacity.max(1)
            ],
            next: 0,
            len: 0,
            forgotten: 0,
            last: 0,
        }
    }

    /// Message `stream_sequence` (numbers strictly increase) took `taken` from `instrument`'s
    /// slice as the centre counts it: shares on the fill's side and last price × last qty of
    /// notional, or a CreditReturn's amounts. A message taking nothing needs only
    /// [`Self::note_sequence`].
    pub fn record(&mut self, stream_sequence: u64, instrument: InstrumentId, taken: Credit) {
        self.note_sequence(stream_sequence);
        if taken.is_zero() {
            return;
        }
        if self.len == self.ring.len() {
            let oldest = self.ring[self.next].stream_sequence;
            self.forgotten = self.forgotten.max(oldest);
        } else {
            self.len += 1;
        }
        self.ring[self.next] = Entry {
            stream_sequence,
            instrument,
            taken,
        };
        self.next = (self.next + 1) % self.ring.len();
    }

    /// A message numbered `stream_sequence` was sent (whether or not it took credit).
    pub fn note_sequence(&mut self, stream_sequence: u64) {
        self.last = self.last.max(stream_sequence);
    }

    /// Highest stream sequence noted (0 = none).
    pub fn last_sequence(&self) -> u64 {
        self.last
    }

    /// Everything messages numbered after `through` took from `instrument`'s slice.
    ///
    /// # Errors
    /// [`LedgerError::Future`] when `through` is above the last number given out,
    /// [`LedgerError::Uncovered`] when a message after `through` is no longer in the ring.
    pub fn taken_after(
        &self,
        instrument: InstrumentId,
        through: u64,
    ) -> Result<Credit, LedgerError> {
        if through > self.last {
            return Err(LedgerError::Future {
                through,
                last: self.last,
            });
        }
        if through < self.forgotten {
            return Err(LedgerError::Uncovered {
                through,
                forgotten: self.forgotten,
            });
        }
        let mut sum = Credit::default();
        for k in 0..self.len {
            let e = &self.ring[(self.next + self.ring.len() - 1 - k) % self.ring.len()];
            if e.stream_sequence <= through {
                break; // older ones are older still
            }
            if e.instrument == instrument {
                sum.buy_shares += e.taken.buy_shares;
                sum.sell_shares += e.taken.sell_shares;
                sum.notional += e.taken.notional;
            }
        }
        Ok(sum)
    }
}

/// The slice a gateway may hold after a CreditSlice: `stated − taken_after`, per dimension
/// (shares and 1/10,000 $). May be negative when fills in flight exceed the statement
/// (the gateway then has no unused credit until the centre grants again).
pub fn held_after_statement(stated: Credit, taken_after: Credit) -> Credit {
    Credit {
        buy_shares: stated.buy_shares - taken_after.buy_shares,
        sell_shares: stated.sell_shares - taken_after.sell_shares,
        notional: stated.notional - taken_after.notional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I0: InstrumentId = InstrumentId(0);
    const I1: InstrumentId = InstrumentId(1);

    fn buy(shares: i64, notional: i128) -> Credit {
        Credit {
            buy_shares: shares,
            sell_shares: 0,
            notional,
        }
    }

    #[test]
    fn messages_after_the_statement_are_subtracted_per_instrument_and_older_ones_are_not() {
        let mut l = CreditLedger::new(8);
        l.record(1, I0, buy(100, 1_000));
        l.note_sequence(2); // a PositionUpdate: takes nothing
        l.record(3, I1, buy(7, 70));
        l.record(4, I0, Credit::both_sides(0, 0)); // nothing taken: not stored
        l.record(
            5,
            I0,
            Credit {
                buy_shares: 0,
                sell_shares: 40,
                notional: 400,
            },
        );
        assert_eq!(l.last_sequence(), 5);
        // The centre applied up to 2: messages 3 and 5 are in flight; only 5 is I0's.
        assert_eq!(
            l.taken_after(I0, 2),
            Ok(Credit {
                buy_shares: 0,
                sell_shares: 40,
                notional: 400
            })
        );
        assert_eq!(l.taken_after(I1, 2), Ok(buy(7, 70)));
        assert_eq!(
            l.taken_after(I0, 0),
            Ok(Credit {
                buy_shares: 100,
                sell_shares: 40,
                notional: 1_400
            })
        );
        assert_eq!(l.taken_after(I0, 5), Ok(Credit::default()), "all applied");
        assert_eq!(
            l.taken_after(I0, 6),
            Err(LedgerError::Future {
                through: 6,
                last: 5
            })
        );
    }

    #[test]
    fn a_statement_older_than_the_ring_is_refused() {
        let mut l = CreditLedger::new(2);
        for seq in 1..=4 {
            l.record(seq, I0, buy(1, 10));
        }
        // Ring holds 3 and 4; 1 and 2 were forgotten.
        assert_eq!(l.taken_after(I0, 2), Ok(buy(2, 20)));
        assert_eq!(
            l.taken_after(I0, 1),
            Err(LedgerError::Uncovered {
                through: 1,
                forgotten: 2
            })
        );
    }

    #[test]
    fn held_is_the_statement_less_what_is_in_flight() {
        let stated = Credit {
            buy_shares: 300,
            sell_shares: 200,
            notional: 3_000,
        };
        let in_flight = Credit {
            buy_shares: 50,
            sell_shares: 0,
            notional: 600,
        };
        assert_eq!(
            held_after_statement(stated, in_flight),
            Credit {
                buy_shares: 250,
                sell_shares: 200,
                notional: 2_400
            }
        );
        // Fills in flight beyond the statement leave nothing unused (negative held).
        let over = Credit {
            buy_shares: 301,
            sell_shares: 0,
            notional: 0,
        };
        assert_eq!(held_after_statement(stated, over).buy_shares, -1);
    }
}
