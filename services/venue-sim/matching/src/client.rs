//! Client orders from order-entry sessions, with NASDAQ OUCH 5.0 semantics: enter (§2.1),
//! cancel (§2.3) and replace (§2.2), matched aggressively against resting orders of either
//! source at the resting order's price, in price-time priority.

use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};

use crate::engine::{side_index, token_key, MatchingEngine, Order, NIL};
use crate::error::MatchError;
use crate::event::{CancelReason, Event, EventSink, FeedEvent, Liquidity, PrivateEvent};
use crate::ladder::{key_of, price_of, BID};
use crate::seed::check_price;

/// What one [`MatchingEngine::enter`] or [`MatchingEngine::replace`] did to the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderOutcome {
    /// The venue order reference number assigned to the (replacement) order.
    pub order_ref: u64,
    /// Shares executed in this call.
    pub executed_qty: Qty,
    /// Shares left resting on the book.
    pub resting_qty: Qty,
    /// Shares cancelled in this call (the unfilled rest of an IOC order).
    pub cancelled_qty: Qty,
}

/// The aggressor of a match.
#[derive(Clone, Copy)]
struct Taker {
    session: u16,
    token: u32,
    inst: usize,
    side: usize,
    price: i64,
}

impl MatchingEngine {
    /// Enters a client limit order (OUCH 5.0 §2.1 Enter Order) and matches it at once.
    ///
    /// Emits, in order: [`PrivateEvent::Accepted`] (with a venue-assigned order reference
    /// number from the client range, see [`crate::MatchingConfig`]); for each match, best
    /// price first and oldest first within a price, [`FeedEvent::OrderExecuted`] for the
    /// resting order, [`PrivateEvent::Executed`] (`Added`) to the resting order's session if
    /// it is a client order, and [`PrivateEvent::Executed`] (`Removed`) to this session, all
    /// at the resting order's price with one new match number; then for the rest, with
    /// [`TimeInForce::Ioc`] a [`PrivateEvent::Canceled`] (`ImmediateOrCancel`), with
    /// [`TimeInForce::Day`] a [`FeedEvent::AddOrder`] as it rests at the back of its level.
    ///
    /// `token` is the session's OUCH UserRefNum and must exceed every token the session used
    /// before (§1.2). `price` is in 1/10,000 units, `qty` in shares.
    ///
    /// # Errors
    /// In precedence order: [`MatchError::UnknownSession`], [`MatchError::DuplicateToken`],
    /// [`MatchError::UnknownInstrument`], [`MatchError::ZeroQty`],
    /// [`MatchError::QtyTooLarge`], [`MatchError::InvalidPrice`], [`MatchError::Capacity`]
    /// (only when the order would rest). Nothing changes; where OUCH would answer with a
    /// Rejected message ([`MatchError::reject_reason`]) a [`PrivateEvent::Rejected`] is
    /// emitted.
    #[allow(clippy::too_many_arguments)] // one argument per OUCH Enter Order field we use
    pub fn enter(
        &mut self,
        session: u16,
        token: u32,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
        tif: TimeInForce,
        sink: &mut impl EventSink,
    ) -> Result<OrderOutcome, MatchError> {
        if let Err(e) = self.check_enter(session, token, instrument, side, price, qty, tif) {
            return Err(self.reject(session, token, e, sink));
        }
        self.sessions[usize::from(session)].last_token = Some(token);
        self.counters.orders_accepted += 1;
        let order_ref = self.take_order_ref();
        sink.emit(Event::Private(PrivateEvent::Accepted {
            session,
            token,
            order_ref,
            instrument,
            side,
            price,
            qty,
            tif,
        }));
        let taker = Taker {
            session,
            token,
            inst: instrument.index(),
            side: side_index(side),
            price: price.0,
        };
        let remaining = self.take_liquidity(taker, qty.0, sink);
        let executed_qty = Qty(qty.0 - remaining);
        let mut outcome = OrderOutcome {
            order_ref,
            executed_qty,
            resting_qty: Qty::ZERO,
            cancelled_qty: Qty::ZERO,
        };
        if remaining == 0 {
            return Ok(outcome);
        }
        match tif {
            TimeInForce::Ioc => {
                outcome.cancelled_qty = Qty(remaining);
                sink.emit(Event::Private(PrivateEvent::Canceled {
                    session,
                    token,
                    qty: Qty(remaining),
                    reason: CancelReason::ImmediateOrCancel,
                }));
            }
            TimeInForce::Day => {
                outcome.resting_qty = Qty(remaining);
                self.rest_client(order_ref, taker, side, remaining, executed_qty.0, sink);
            }
        }
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    fn check_enter(
        &self,
        session: u16,
        token: u32,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
        tif: TimeInForce,
    ) -> Result<(), MatchError> {
        self.check_new_token(session, token)?;
        let inst = self.check_instrument(instrument)?;
        self.check_qty(qty)?;
        check_price(price)?;
        let s = side_index(side);
        if tif == TimeInForce::Day && self.fillable(inst, s, price.0, qty.0) < qty.0 {
            self.check_room(inst, s, price.0, false, false)?;
        }
        Ok(())
    }

    /// Cancels or reduces a client order (OUCH 5.0 §2.3 Cancel Order): `intended_qty` is the
    /// order's new open size in shares, zero for all of it. A reduced order keeps its queue
    /// place. Emits [`FeedEvent::OrderCancel`] (reduced) or [`FeedEvent::OrderDelete`]
    /// (gone), then [`PrivateEvent::Canceled`] (`UserRequested`, shares removed). An
    /// `intended_qty` at or above the open shares changes nothing and emits nothing (§2.3:
    /// "superfluous Cancel Order Messages are silently ignored"). Returns the shares removed.
    ///
    /// # Errors
    /// [`MatchError::UnknownSession`], [`MatchError::UnknownToken`] (no live order: §2.3
    /// ignores these silently, so no event is emitted). Nothing changes.
    pub fn cancel(
        &mut self,
        session: u16,
        token: u32,
        intended_qty: Qty,
        sink: &mut impl EventSink,
    ) -> Result<Qty, MatchError> {
        let slot = match self.live_slot(session, token) {
            Ok(slot) => slot,
            Err(e) => return Err(self.reject(session, token, e, sink)),
        };
        let order = self.orders[slot as usize];
        if intended_qty.0 >= order.qty {
            self.counters.cancels_superfluous += 1;
            return Ok(Qty::ZERO);
        }
        self.counters.cancels += 1;
        let removed = Qty(order.qty - intended_qty.0);
        let instrument = InstrumentId(order.instrument);
        if intended_qty.is_zero() {
            self.unlink(slot);
            self.forget(slot);
            sink.emit(Event::Feed(FeedEvent::OrderDelete {
                instrument,
                order_ref: order.order_ref,
            }));
        } else {
            self.reduce(slot, removed.0);
            sink.emit(Event::Feed(FeedEvent::OrderCancel {
                instrument,
                order_ref: order.order_ref,
                cancelled_qty: removed,
            }));
        }
        sink.emit(Event::Private(PrivateEvent::Canceled {
            session,
            token,
            qty: removed,
            reason: CancelReason::UserRequested,
        }));
        Ok(removed)
    }

    /// Cancel-replaces a live client order (OUCH 5.0 §2.2 Replace Order): the replacement gets
    /// `new_token`, a new venue order reference number, `price` and a new time priority
    /// ("Replacing an order always gives it a new timestamp for its time priority on the
    /// book", §2.2), even when only the quantity goes down at the same price; a cancel
    /// (§2.3) is the way to reduce and keep priority. `qty` is the total liable for the
    /// whole chain, earlier executions included (§2.2), so the replacement exposes
    /// `qty - executed so far` shares; the replacement keeps the side and is a Day order.
    ///
    /// Emits [`PrivateEvent::Replaced`] (shares exposed; `live: false` when none), then, if
    /// the new price crosses, the matches exactly as [`MatchingEngine::enter`] does, then on
    /// the feed [`FeedEvent::OrderReplace`] (old ref to new ref, shares left resting) or
    /// [`FeedEvent::OrderDelete`] of the old ref when nothing is left to rest.
    ///
    /// # Errors
    /// In precedence order: [`MatchError::UnknownSession`], [`MatchError::UnknownToken`]
    /// (`old_token` not live), [`MatchError::DuplicateToken`] (`new_token` not above the
    /// session's last), [`MatchError::ZeroQty`], [`MatchError::QtyTooLarge`],
    /// [`MatchError::InvalidPrice`], [`MatchError::Capacity`]. Nothing changes, the old order
    /// included (a deliberate difference from §2.2 case 2, which cancels the old order on an
    /// invalid replace); a [`PrivateEvent::Rejected`] for `new_token` is emitted where OUCH
    /// sends one.
    pub fn replace(
        &mut self,
        session: u16,
        old_token: u32,
        new_token: u32,
        price: Price,
        qty: Qty,
        sink: &mut impl EventSink,
    ) -> Result<OrderOutcome, MatchError> {
        let slot = match self.check_replace(session, old_token, new_token, price, qty) {
            Ok(slot) => slot,
            Err(e) => return Err(self.reject(session, new_token, e, sink)),
        };
        self.sessions[usize::from(session)].last_token = Some(new_token);
        self.counters.replaces += 1;
        let old = self.orders[slot as usize];
        self.unlink(slot);
        self.forget(slot);
        let order_ref = self.take_order_ref();
        let exposed = qty.0.saturating_sub(old.executed);
        let instrument = InstrumentId(old.instrument);
        sink.emit(Event::Private(PrivateEvent::Replaced {
            session,
            old_token,
            new_token,
            order_ref,
            instrument,
            side: old.side,
            price,
            qty: Qty(exposed),
            live: exposed > 0,
        }));
        let taker = Taker {
            session,
            token: new_token,
            inst: old.instrument as usize,
            side: side_index(old.side),
            price: price.0,
        };
        let remaining = if exposed > 0 {
            self.take_liquidity(taker, exposed, sink)
        } else {
            0
        };
        let executed_now = exposed - remaining;
        if remaining > 0 {
            let executed = old.executed + executed_now;
            self.rest(client_order(
                order_ref, taker, old.side, remaining, executed,
            ));
            sink.emit(Event::Feed(FeedEvent::OrderReplace {
                instrument,
                old_order_ref: old.order_ref,
                new_order_ref: order_ref,
                qty: Qty(remaining),
                price,
            }));
        } else {
            sink.emit(Event::Feed(FeedEvent::OrderDelete {
                instrument,
                order_ref: old.order_ref,
            }));
        }
        Ok(OrderOutcome {
            order_ref,
            executed_qty: Qty(executed_now),
            resting_qty: Qty(remaining),
            cancelled_qty: Qty::ZERO,
        })
    }

    fn check_replace(
        &self,
        session: u16,
        old_token: u32,
        new_token: u32,
        price: Price,
        qty: Qty,
    ) -> Result<u32, MatchError> {
        let slot = self.live_slot(session, old_token)?;
        self.check_new_token(session, new_token)?;
        self.check_qty(qty)?;
        check_price(price)?;
        let old = &self.orders[slot as usize];
        let exposed = qty.0.saturating_sub(old.executed);
        let (inst, side) = (old.instrument as usize, side_index(old.side));
        if exposed > 0 && self.fillable(inst, side, price.0, exposed) < exposed {
            let same_level = key_of(side, old.price) == key_of(side, price.0);
            let level_freed = same_level || self.alone_at_level(slot);
            self.check_room(inst, side, price.0, true, level_freed)?;
        }
        Ok(slot)
    }

    /// Matches the taker against the opposite side, best level first and each level's queue
    /// from its head, while the level's price crosses the taker's limit. Returns the shares
    /// left unfilled.
    fn take_liquidity(&mut self, taker: Taker, qty: u32, sink: &mut impl EventSink) -> u32 {
        let mut remaining = qty;
        let opposite = 1 - taker.side;
        while remaining > 0 {
            let ladder = &mut self.books[taker.inst].sides[opposite];
            let Some(level) = ladder.levels.last_mut() else {
                break;
            };
            let level_price = price_of(opposite, level.key);
            let crosses = if taker.side == BID {
                level_price <= taker.price
            } else {
                level_price >= taker.price
            };
            if !crosses {
                break;
            }
            let head = level.head;
            let resting = self.orders[head as usize];
            let fill = remaining.min(resting.qty);
            remaining -= fill;
            level.qty -= u64::from(fill);
            let level_emptied = if fill == resting.qty {
                level.count -= 1;
                level.head = resting.next;
                if resting.next == NIL {
                    level.tail = NIL;
                } else {
                    self.orders[resting.next as usize].prev = NIL;
                }
                level.count == 0
            } else {
                false
            };
            if level_emptied {
                ladder.levels.pop();
            }
            if fill == resting.qty {
                self.forget(head);
            } else {
                let order = &mut self.orders[head as usize];
                order.qty -= fill;
                order.executed += fill;
            }
            self.report_match(taker, &resting, fill, level_price, sink);
        }
        remaining
    }

    /// Emits the three events of one match and counts it.
    fn report_match(
        &mut self,
        taker: Taker,
        resting: &Order,
        fill: u32,
        price: i64,
        sink: &mut impl EventSink,
    ) {
        let match_number = self.next_match_number;
        self.next_match_number += 1;
        self.counters.matches += 1;
        self.counters.matched_qty += u64::from(fill);
        sink.emit(Event::Feed(FeedEvent::OrderExecuted {
            instrument: InstrumentId(resting.instrument),
            order_ref: resting.order_ref,
            qty: Qty(fill),
            match_number,
        }));
        if resting.session != crate::engine::SEED_SESSION {
            sink.emit(Event::Private(PrivateEvent::Executed {
                session: resting.session,
                token: resting.token,
                qty: Qty(fill),
                price: Price(price),
                match_number,
                liquidity: Liquidity::Added,
            }));
        }
        sink.emit(Event::Private(PrivateEvent::Executed {
            session: taker.session,
            token: taker.token,
            qty: Qty(fill),
            price: Price(price),
            match_number,
            liquidity: Liquidity::Removed,
        }));
    }

    /// Shares an order of `qty` at `price` on `side` would fill now, without changing
    /// anything: the total of the crossing opposite levels, capped at `qty`.
    fn fillable(&self, inst: usize, side: usize, price: i64, qty: u32) -> u32 {
        let opposite = 1 - side;
        let mut total = 0u64;
        for level in self.books[inst].sides[opposite].levels.iter().rev() {
            let level_price = price_of(opposite, level.key);
            let crosses = if side == BID {
                level_price <= price
            } else {
                level_price >= price
            };
            if !crosses {
                break;
            }
            total += level.qty;
            if total >= u64::from(qty) {
                return qty;
            }
        }
        total as u32
    }

    fn rest_client(
        &mut self,
        order_ref: u64,
        taker: Taker,
        side: Side,
        qty: u32,
        executed: u32,
        sink: &mut impl EventSink,
    ) {
        self.rest(client_order(order_ref, taker, side, qty, executed));
        sink.emit(Event::Feed(FeedEvent::AddOrder {
            instrument: InstrumentId(taker.inst as u32),
            order_ref,
            side,
            price: Price(taker.price),
            qty: Qty(qty),
        }));
    }

    fn take_order_ref(&mut self) -> u64 {
        let order_ref = self.next_order_ref;
        self.next_order_ref += 1;
        order_ref
    }

    fn check_session(&self, session: u16) -> Result<(), MatchError> {
        if usize::from(session) < self.sessions.len() {
            Ok(())
        } else {
            Err(MatchError::UnknownSession {
                session,
                sessions: self.config.limits.sessions,
            })
        }
    }

    fn check_new_token(&self, session: u16, token: u32) -> Result<(), MatchError> {
        self.check_session(session)?;
        match self.sessions[usize::from(session)].last_token {
            Some(last_token) if token <= last_token => Err(MatchError::DuplicateToken {
                session,
                token,
                last_token,
            }),
            _ => Ok(()),
        }
    }

    fn check_qty(&self, qty: Qty) -> Result<(), MatchError> {
        let max = self.config.limits.order_qty_max;
        if qty.is_zero() {
            Err(MatchError::ZeroQty)
        } else if qty.0 > max {
            Err(MatchError::QtyTooLarge { qty: qty.0, max })
        } else {
            Ok(())
        }
    }

    /// The slab slot of `session`'s live order `token`.
    fn live_slot(&self, session: u16, token: u32) -> Result<u32, MatchError> {
        self.check_session(session)?;
        self.tokens
            .get(token_key(session, token))
            .ok_or(MatchError::UnknownToken { session, token })
    }

    /// Counts a refused client call and tells the session where OUCH would.
    fn reject(
        &mut self,
        session: u16,
        token: u32,
        error: MatchError,
        sink: &mut impl EventSink,
    ) -> MatchError {
        self.counters.client_rejected += 1;
        if let Some(reason) = error.reject_reason() {
            sink.emit(Event::Private(PrivateEvent::Rejected {
                session,
                token,
                reason,
            }));
        }
        error
    }
}

fn client_order(order_ref: u64, taker: Taker, side: Side, qty: u32, executed: u32) -> Order {
    Order {
        order_ref,
        price: taker.price,
        qty,
        executed,
        instrument: taker.inst as u32,
        prev: NIL,
        next: NIL,
        token: taker.token,
        session: taker.session,
        side,
    }
}
