//! Feed-seeded ("market") orders: the venue's own ITCH 5.0 history replayed into the book.
//!
//! Seeded orders rest exactly as the history gives them and never match, even when they
//! cross a client order: the replayed book is the truth. Each call mirrors one ITCH message
//! and emits the matching [`FeedEvent`] so the simulator can republish the history through
//! the same path as its own events.
//!
//! Once clients trade against seeded orders the history no longer knows the whole book: an
//! execute or cancel for more shares than remain is applied as far as the open shares (and
//! counted in [`crate::MatchingCounters::seed_clamped`]), and events for an order a client
//! already took whole fail with [`MatchError::UnknownOrder`], for the caller to count.

use crossbar_model::{InstrumentId, Price, Qty, Side};

use crate::engine::{side_index, MatchingEngine, Order, NIL, SEED_SESSION};
use crate::error::MatchError;
use crate::event::{Event, EventSink, FeedEvent};
use crate::ladder::key_of;

impl MatchingEngine {
    /// Rests a seeded order at the back of its price level without matching (ITCH 5.0 §1.3.1
    /// Add Order / §1.3.2 Add Order with MPID). `SellShort` rests on the ask side. Emits
    /// [`FeedEvent::AddOrder`].
    ///
    /// # Errors
    /// In precedence order: [`MatchError::UnknownInstrument`], [`MatchError::ZeroQty`],
    /// [`MatchError::InvalidPrice`] (price <= 0), [`MatchError::SeedNumberInClientRange`],
    /// [`MatchError::DuplicateOrder`], [`MatchError::Capacity`] (orders, then levels).
    pub fn seed_add(
        &mut self,
        order_ref: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
        sink: &mut impl EventSink,
    ) -> Result<(), MatchError> {
        let result = self.try_seed_add(order_ref, instrument, side, price, qty);
        if result.is_ok() {
            sink.emit(Event::Feed(FeedEvent::AddOrder {
                instrument,
                order_ref,
                side,
                price,
                qty,
            }));
        }
        self.count_seed(result)
    }

    fn try_seed_add(
        &mut self,
        order_ref: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<(), MatchError> {
        let inst = self.check_instrument(instrument)?;
        if qty.is_zero() {
            return Err(MatchError::ZeroQty);
        }
        check_price(price)?;
        self.check_seed_ref(order_ref)?;
        if self.refs.contains(order_ref) {
            return Err(MatchError::DuplicateOrder { order_ref });
        }
        self.check_room(inst, side_index(side), price.0, false, false)?;
        self.rest(Order {
            order_ref,
            price: price.0,
            qty: qty.0,
            executed: 0,
            instrument: instrument.0,
            prev: NIL,
            next: NIL,
            token: 0,
            session: SEED_SESSION,
            side,
        });
        Ok(())
    }

    /// Executes `qty` shares of a seeded order at its price, keeping its queue place until it
    /// reaches zero, when it leaves the book (ITCH 5.0 §1.4.1 Order Executed, §1.4.2 with
    /// Price). `match_number` is the history's. Emits [`FeedEvent::OrderExecuted`] with the
    /// shares actually applied (at most the open shares).
    ///
    /// # Errors
    /// [`MatchError::ZeroQty`], [`MatchError::SeedNumberInClientRange`] (ref or match number),
    /// [`MatchError::UnknownOrder`].
    pub fn seed_execute(
        &mut self,
        order_ref: u64,
        qty: Qty,
        match_number: u64,
        sink: &mut impl EventSink,
    ) -> Result<(), MatchError> {
        let result = self.check_seed_match_number(match_number).and_then(|()| {
            let (instrument, applied) = self.seed_reduce(order_ref, qty, true)?;
            sink.emit(Event::Feed(FeedEvent::OrderExecuted {
                instrument,
                order_ref,
                qty: applied,
                match_number,
            }));
            Ok(())
        });
        self.count_seed(result)
    }

    /// Cancels `qty` shares of a seeded order, keeping its queue place until it reaches zero
    /// (ITCH 5.0 §1.4.3 Order Cancel). Emits [`FeedEvent::OrderCancel`] with the shares
    /// actually removed (at most the open shares).
    ///
    /// # Errors
    /// [`MatchError::ZeroQty`], [`MatchError::SeedNumberInClientRange`],
    /// [`MatchError::UnknownOrder`].
    pub fn seed_cancel(
        &mut self,
        order_ref: u64,
        qty: Qty,
        sink: &mut impl EventSink,
    ) -> Result<(), MatchError> {
        let result = self
            .seed_reduce(order_ref, qty, false)
            .map(|(instrument, applied)| {
                sink.emit(Event::Feed(FeedEvent::OrderCancel {
                    instrument,
                    order_ref,
                    cancelled_qty: applied,
                }));
            });
        self.count_seed(result)
    }

    /// Removes a seeded order whole (ITCH 5.0 §1.4.4 Order Delete). Emits
    /// [`FeedEvent::OrderDelete`].
    ///
    /// # Errors
    /// [`MatchError::SeedNumberInClientRange`], [`MatchError::UnknownOrder`].
    pub fn seed_delete(
        &mut self,
        order_ref: u64,
        sink: &mut impl EventSink,
    ) -> Result<(), MatchError> {
        let result = self.seed_slot(order_ref).map(|slot| {
            let instrument = InstrumentId(self.orders[slot as usize].instrument);
            self.unlink(slot);
            self.forget(slot);
            sink.emit(Event::Feed(FeedEvent::OrderDelete {
                instrument,
                order_ref,
            }));
        });
        self.count_seed(result)
    }

    /// Cancel-replaces a seeded order: `old_ref` leaves the book and `new_ref` rests at the
    /// back of the queue at `price` with `qty` shares, same side and instrument, even when
    /// the price is unchanged (ITCH 5.0 §1.4.5 Order Replace: priority is lost). Never
    /// matches. Emits [`FeedEvent::OrderReplace`].
    ///
    /// # Errors
    /// In precedence order: [`MatchError::ZeroQty`], [`MatchError::InvalidPrice`],
    /// [`MatchError::SeedNumberInClientRange`] (either ref), [`MatchError::UnknownOrder`],
    /// [`MatchError::DuplicateOrder`] (`new_ref` rests and is not `old_ref`),
    /// [`MatchError::Capacity`] (a new level on a full side).
    pub fn seed_replace(
        &mut self,
        old_ref: u64,
        new_ref: u64,
        qty: Qty,
        price: Price,
        sink: &mut impl EventSink,
    ) -> Result<(), MatchError> {
        let result = self
            .try_seed_replace(old_ref, new_ref, qty, price)
            .map(|instrument| {
                sink.emit(Event::Feed(FeedEvent::OrderReplace {
                    instrument,
                    old_order_ref: old_ref,
                    new_order_ref: new_ref,
                    qty,
                    price,
                }));
            });
        self.count_seed(result)
    }

    fn try_seed_replace(
        &mut self,
        old_ref: u64,
        new_ref: u64,
        qty: Qty,
        price: Price,
    ) -> Result<InstrumentId, MatchError> {
        if qty.is_zero() {
            return Err(MatchError::ZeroQty);
        }
        check_price(price)?;
        self.check_seed_ref(new_ref)?;
        let slot = self.seed_slot(old_ref)?;
        if new_ref != old_ref && self.refs.contains(new_ref) {
            return Err(MatchError::DuplicateOrder { order_ref: new_ref });
        }
        let old = self.orders[slot as usize];
        let side = side_index(old.side);
        let same_level = key_of(side, old.price) == key_of(side, price.0);
        let level_freed = same_level || self.alone_at_level(slot);
        self.check_room(old.instrument as usize, side, price.0, true, level_freed)?;
        self.unlink(slot);
        let by_ref = self.refs.remove(old_ref);
        debug_assert_eq!(by_ref, Some(slot));
        let order = &mut self.orders[slot as usize];
        order.order_ref = new_ref;
        order.price = price.0;
        order.qty = qty.0;
        let by_ref = self.refs.insert(new_ref, slot);
        debug_assert!(by_ref.is_ok());
        self.link_back(slot);
        Ok(InstrumentId(old.instrument))
    }

    /// Removes up to `qty` shares from seeded order `order_ref` (executed or cancelled);
    /// returns its instrument and the shares applied.
    fn seed_reduce(
        &mut self,
        order_ref: u64,
        qty: Qty,
        executed: bool,
    ) -> Result<(InstrumentId, Qty), MatchError> {
        if qty.is_zero() {
            return Err(MatchError::ZeroQty);
        }
        let slot = self.seed_slot(order_ref)?;
        let order = self.orders[slot as usize];
        let applied = qty.0.min(order.qty);
        if applied < qty.0 {
            self.counters.seed_clamped += 1;
        }
        if applied == order.qty {
            self.unlink(slot);
            self.forget(slot);
        } else {
            self.reduce(slot, applied);
            if executed {
                self.orders[slot as usize].executed += applied;
            }
        }
        Ok((InstrumentId(order.instrument), Qty(applied)))
    }

    /// The slab slot of seeded order `order_ref`.
    fn seed_slot(&self, order_ref: u64) -> Result<u32, MatchError> {
        self.check_seed_ref(order_ref)?;
        self.refs
            .get(order_ref)
            .ok_or(MatchError::UnknownOrder { order_ref })
    }

    fn check_seed_ref(&self, order_ref: u64) -> Result<(), MatchError> {
        let client_first = self.config.client_order_ref_first;
        if order_ref >= client_first {
            return Err(MatchError::SeedNumberInClientRange {
                field: "order_ref",
                value: order_ref,
                client_first,
            });
        }
        Ok(())
    }

    fn check_seed_match_number(&self, match_number: u64) -> Result<(), MatchError> {
        let client_first = self.config.match_number_first;
        if match_number >= client_first {
            return Err(MatchError::SeedNumberInClientRange {
                field: "match_number",
                value: match_number,
                client_first,
            });
        }
        Ok(())
    }

    fn count_seed<T>(&mut self, result: Result<T, MatchError>) -> Result<T, MatchError> {
        match result {
            Ok(_) => self.counters.seed_applied += 1,
            Err(_) => self.counters.seed_rejected += 1,
        }
        result
    }
}

/// Prices must be above zero (1/10,000 units).
pub(crate) fn check_price(price: Price) -> Result<(), MatchError> {
    if price.0 <= 0 {
        return Err(MatchError::InvalidPrice { price: price.0 });
    }
    Ok(())
}
