//! The engine's state and the book mechanics shared by the seeded and client paths:
//! instruments in an array, orders in a slab, order refs and session tokens in
//! [`RefMap`]s, levels in [`Ladder`]s, each level a FIFO queue of its orders.

use crossbar_book::RefMap;
use crossbar_model::{InstrumentId, Price, Qty, Side};

use crate::error::{MatchError, Resource};
use crate::event::MatchingCounters;
use crate::ladder::{key_of, price_of, Ladder, LevelSlot, ASK, BID};
use crate::limits::MatchingConfig;

/// "No slab index": end of a queue or of the free list.
pub(crate) const NIL: u32 = u32::MAX;
/// Session id of seeded (feed-replayed) orders.
pub(crate) const SEED_SESSION: u16 = u16::MAX;

/// A resting order in the slab (48 bytes). `prev`/`next` link its level's FIFO queue; for a
/// free slot `next` links the free list.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Order {
    pub(crate) order_ref: u64,
    pub(crate) price: i64,
    /// Open shares.
    pub(crate) qty: u32,
    /// Shares executed over the order's whole replace chain (OUCH 5.0 §2.2 liability).
    pub(crate) executed: u32,
    pub(crate) instrument: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    pub(crate) token: u32,
    pub(crate) session: u16,
    pub(crate) side: Side,
}

impl Order {
    const EMPTY: Order = Order {
        order_ref: 0,
        price: 0,
        qty: 0,
        executed: 0,
        instrument: 0,
        prev: NIL,
        next: NIL,
        token: 0,
        session: SEED_SESSION,
        side: Side::Buy,
    };
}

/// Book side index of an order side (`SellShort` rests on the ask side).
#[inline]
pub(crate) fn side_index(side: Side) -> usize {
    if side.is_sell() {
        ASK
    } else {
        BID
    }
}

/// The key of a session's token in the token table.
#[inline]
pub(crate) fn token_key(session: u16, token: u32) -> u64 {
    (u64::from(session) << 32) | u64::from(token)
}

#[derive(Clone, Debug)]
pub(crate) struct InstrumentBook {
    pub(crate) sides: [Ladder; 2],
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SessionState {
    /// Highest token used so far; tokens must strictly increase (OUCH 5.0 §1.2).
    pub(crate) last_token: Option<u32>,
}

/// Who owns a resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Replayed from the venue's ITCH history.
    Seed,
    /// Entered by an order-entry session.
    Client {
        /// The session.
        session: u16,
        /// Its current token (OUCH UserRefNum).
        token: u32,
    },
}

/// A copy of one resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestingOrder {
    /// Order reference number (ITCH's for seeded orders, venue-assigned for client orders).
    pub order_ref: u64,
    /// The instrument.
    pub instrument: InstrumentId,
    /// Side as entered.
    pub side: Side,
    /// Limit/display price, 1/10,000 units.
    pub price: Price,
    /// Open shares.
    pub qty: Qty,
    /// Shares executed so far over the order's replace chain.
    pub executed_qty: Qty,
    /// Seeded or client.
    pub owner: Owner,
}

/// One price level: price, total open shares and number of orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelView {
    /// Price, 1/10,000 units.
    pub price: Price,
    /// Total open shares at the level.
    pub qty: u64,
    /// Orders at the level.
    pub order_count: u32,
}

/// Totals found by [`MatchingEngine::audit`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditTotals {
    /// Resting orders.
    pub orders: u64,
    /// Of which client orders.
    pub client_orders: u64,
    /// Open shares resting, all instruments and sides.
    pub shares: u64,
}

/// An internal inconsistency found by [`MatchingEngine::audit`] (a bug, never bad input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("MATCH_AUDIT_FAILED check={check} instrument={instrument} side={side}")]
pub struct AuditError {
    /// Which check failed.
    pub check: &'static str,
    /// The instrument where it failed (or `u32::MAX` for global checks).
    pub instrument: u32,
    /// 0 bid, 1 ask (or `u8::MAX` for global checks).
    pub side: u8,
}

/// A price-time priority matching engine for many instruments, venue-neutral and
/// protocol-free.
///
/// * Seeded orders ([`MatchingEngine::seed_add`] and friends) mirror the venue's ITCH 5.0
///   history and never match: the replayed book is the truth.
/// * Client orders ([`MatchingEngine::enter`], [`MatchingEngine::cancel`],
///   [`MatchingEngine::replace`]) follow OUCH 5.0 and match against resting orders of either
///   source at the resting order's price, best price first, oldest first within a price.
///
/// Every call writes what it did to a caller's [`crate::EventSink`]. All memory is sized
/// from [`MatchingConfig`] in [`MatchingEngine::new`]; no call allocates afterwards (the
/// sink's own buffer aside), and a full table is a [`MatchError::Capacity`].
#[derive(Clone, Debug)]
pub struct MatchingEngine {
    pub(crate) config: MatchingConfig,
    pub(crate) books: Vec<InstrumentBook>,
    pub(crate) orders: Vec<Order>,
    pub(crate) free_head: u32,
    /// Order ref -> slab index, every resting order.
    pub(crate) refs: RefMap,
    /// `token_key(session, token)` -> slab index, resting client orders.
    pub(crate) tokens: RefMap,
    pub(crate) sessions: Vec<SessionState>,
    pub(crate) next_order_ref: u64,
    pub(crate) next_match_number: u64,
    pub(crate) counters: MatchingCounters,
}

impl MatchingEngine {
    /// Allocates an engine for `config`: `instruments * 2` level vectors of
    /// `levels_per_side * 32` bytes (reserved; pages are touched as levels are used), an
    /// order slab of `orders * 48` bytes and two hash tables of
    /// `next_pow2(2 * orders) * 16` bytes each.
    ///
    /// # Errors
    /// [`MatchError::InvalidLimits`] when [`MatchingConfig::validate`] fails.
    pub fn new(config: MatchingConfig) -> Result<Self, MatchError> {
        config.validate()?;
        let limits = config.limits;
        let levels = limits.levels_per_side as usize;
        let books = (0..limits.instruments)
            .map(|_| InstrumentBook {
                sides: [Ladder::with_capacity(levels), Ladder::with_capacity(levels)],
            })
            .collect();
        Ok(Self {
            config,
            books,
            orders: Vec::with_capacity(limits.orders as usize),
            free_head: NIL,
            refs: RefMap::with_capacity(limits.orders as usize),
            tokens: RefMap::with_capacity(limits.orders as usize),
            sessions: vec![SessionState::default(); usize::from(limits.sessions)],
            next_order_ref: config.client_order_ref_first,
            next_match_number: config.match_number_first,
            counters: MatchingCounters::default(),
        })
    }

    /// The configuration this engine was built from.
    pub fn config(&self) -> &MatchingConfig {
        &self.config
    }

    /// What the engine has done so far.
    pub fn counters(&self) -> &MatchingCounters {
        &self.counters
    }

    /// Resting orders across all instruments.
    pub fn order_count(&self) -> usize {
        self.refs.len()
    }

    /// Resting client orders (entered through [`MatchingEngine::enter`] or
    /// [`MatchingEngine::replace`] and still on the book), all sessions.
    pub fn client_order_count(&self) -> usize {
        self.tokens.len()
    }

    /// The order reference number the next accepted client order will get.
    pub fn next_order_ref(&self) -> u64 {
        self.next_order_ref
    }

    /// The match number the next client match will get.
    pub fn next_match_number(&self) -> u64 {
        self.next_match_number
    }

    /// The resting order with reference `order_ref`, if any.
    pub fn order(&self, order_ref: u64) -> Option<RestingOrder> {
        self.refs.get(order_ref).map(|slot| self.view(slot))
    }

    /// The resting client order of `session` whose current token is `token`, if any.
    pub fn client_order(&self, session: u16, token: u32) -> Option<RestingOrder> {
        self.tokens
            .get(token_key(session, token))
            .map(|slot| self.view(slot))
    }

    /// The best level on `side` (`Buy` = bids, `Sell`/`SellShort` = asks) of `instrument`;
    /// `None` when that side is empty or the instrument unknown.
    pub fn best(&self, instrument: InstrumentId, side: Side) -> Option<LevelView> {
        let s = side_index(side);
        let ladder = &self.books.get(instrument.index())?.sides[s];
        ladder.levels.last().map(|l| level_view(s, l))
    }

    /// Writes up to `out.len()` levels of `side`, best first; returns how many.
    pub fn depth(&self, instrument: InstrumentId, side: Side, out: &mut [LevelView]) -> usize {
        let s = side_index(side);
        let Some(book) = self.books.get(instrument.index()) else {
            return 0;
        };
        let mut n = 0;
        for (dst, level) in out.iter_mut().zip(book.sides[s].levels.iter().rev()) {
            *dst = level_view(s, level);
            n += 1;
        }
        n
    }

    /// Every resting order on `side` of `instrument` in priority order: best price first,
    /// oldest first within a price. Empty for an unknown instrument.
    pub fn queue(&self, instrument: InstrumentId, side: Side) -> Queue<'_> {
        let s = side_index(side);
        let levels: &[LevelSlot] = match self.books.get(instrument.index()) {
            Some(book) => &book.sides[s].levels,
            None => &[],
        };
        Queue {
            engine: self,
            levels,
            next_level: levels.len(),
            slot: NIL,
        }
    }

    /// Checks every internal invariant (levels strictly sorted and non-empty, level totals
    /// equal to their orders, queue links both ways, every resting order indexed by ref and
    /// client orders by token) in O(orders + levels). For tests and debugging.
    ///
    /// # Errors
    /// [`AuditError`] naming the first failed check.
    pub fn audit(&self) -> Result<AuditTotals, AuditError> {
        let mut totals = AuditTotals::default();
        for (i, book) in self.books.iter().enumerate() {
            for (s, ladder) in book.sides.iter().enumerate() {
                let fail = |check| AuditError {
                    check,
                    instrument: i as u32,
                    side: s as u8,
                };
                if ladder.levels.windows(2).any(|w| w[0].key >= w[1].key) {
                    return Err(fail("levels_sorted"));
                }
                for level in &ladder.levels {
                    self.audit_level(i as u32, s, level, &mut totals)
                        .map_err(fail)?;
                }
            }
        }
        let global = |check| AuditError {
            check,
            instrument: u32::MAX,
            side: u8::MAX,
        };
        if totals.orders != self.refs.len() as u64 {
            return Err(global("ref_count"));
        }
        if totals.client_orders != self.tokens.len() as u64 {
            return Err(global("token_count"));
        }
        Ok(totals)
    }

    fn audit_level(
        &self,
        instrument: u32,
        side: usize,
        level: &LevelSlot,
        totals: &mut AuditTotals,
    ) -> Result<(), &'static str> {
        let (mut slot, mut prev, mut count, mut qty) = (level.head, NIL, 0u32, 0u64);
        while slot != NIL {
            let o = &self.orders[slot as usize];
            let ok = o.prev == prev
                && o.instrument == instrument
                && side_index(o.side) == side
                && key_of(side, o.price) == level.key
                && o.qty > 0
                && self.refs.get(o.order_ref) == Some(slot);
            if !ok {
                return Err("order_fields");
            }
            if o.session != SEED_SESSION {
                if self.tokens.get(token_key(o.session, o.token)) != Some(slot) {
                    return Err("token_index");
                }
                totals.client_orders += 1;
            }
            count += 1;
            qty += u64::from(o.qty);
            prev = slot;
            slot = o.next;
        }
        if count == 0 || count != level.count || qty != level.qty || prev != level.tail {
            return Err("level_totals");
        }
        totals.orders += u64::from(count);
        totals.shares += qty;
        Ok(())
    }

    pub(crate) fn view(&self, slot: u32) -> RestingOrder {
        let o = &self.orders[slot as usize];
        RestingOrder {
            order_ref: o.order_ref,
            instrument: InstrumentId(o.instrument),
            side: o.side,
            price: Price(o.price),
            qty: Qty(o.qty),
            executed_qty: Qty(o.executed),
            owner: if o.session == SEED_SESSION {
                Owner::Seed
            } else {
                Owner::Client {
                    session: o.session,
                    token: o.token,
                }
            },
        }
    }

    pub(crate) fn check_instrument(&self, instrument: InstrumentId) -> Result<usize, MatchError> {
        let i = instrument.index();
        if i < self.books.len() {
            Ok(i)
        } else {
            Err(MatchError::UnknownInstrument {
                instrument: instrument.0,
                instruments: self.config.limits.instruments,
            })
        }
    }

    /// `Ok` when one more order can rest at `price` on `side` of book `inst`: a free slab
    /// slot (or `slot_freed`: a replace reuses the old order's), and an existing level or
    /// room for a new one (or `level_freed`: the replaced order empties its own level first).
    pub(crate) fn check_room(
        &self,
        inst: usize,
        side: usize,
        price: i64,
        slot_freed: bool,
        level_freed: bool,
    ) -> Result<(), MatchError> {
        let capacity = |resource, limit| MatchError::Capacity {
            resource,
            limit,
            instrument: inst as u32,
        };
        if !slot_freed && self.next_free_slot() == NIL {
            return Err(capacity(Resource::Orders, self.config.limits.orders));
        }
        let ladder = &self.books[inst].sides[side];
        let key = key_of(side, price);
        if ladder.find(key).is_err() && ladder.is_full() && !level_freed {
            return Err(capacity(
                Resource::Levels,
                self.config.limits.levels_per_side,
            ));
        }
        Ok(())
    }

    /// The slab index the next order will use, or `NIL` when the slab is full.
    #[inline]
    pub(crate) fn next_free_slot(&self) -> u32 {
        if self.free_head != NIL {
            self.free_head
        } else if self.orders.len() < self.config.limits.orders as usize {
            self.orders.len() as u32
        } else {
            NIL
        }
    }

    /// Stores `order` in a free slot (the caller checked there is one), indexes it by ref
    /// (and token, for a client order) and appends it to the back of its level's queue.
    pub(crate) fn rest(&mut self, order: Order) -> u32 {
        let slot = self.next_free_slot();
        debug_assert!(slot != NIL, "caller checks capacity");
        if slot == self.free_head {
            self.free_head = self.orders[slot as usize].next;
        } else {
            debug_assert!(
                self.orders.len() < self.orders.capacity(),
                "slab never grows"
            );
            self.orders.push(Order::EMPTY);
        }
        self.orders[slot as usize] = order;
        let by_ref = self.refs.insert(order.order_ref, slot);
        debug_assert!(by_ref.is_ok(), "caller checks duplicates");
        if order.session != SEED_SESSION {
            let by_token = self
                .tokens
                .insert(token_key(order.session, order.token), slot);
            debug_assert!(by_token.is_ok(), "caller checks tokens");
        }
        self.link_back(slot);
        slot
    }

    /// Appends order `slot` to the back of its level's queue, creating the level if needed
    /// (the caller checked there is room).
    pub(crate) fn link_back(&mut self, slot: u32) {
        let order = self.orders[slot as usize];
        let side = side_index(order.side);
        let ladder = &mut self.books[order.instrument as usize].sides[side];
        let key = key_of(side, order.price);
        match ladder.find(key) {
            Ok(pos) => {
                let level = &mut ladder.levels[pos];
                let tail = level.tail;
                level.tail = slot;
                level.qty += u64::from(order.qty);
                level.count += 1;
                self.orders[slot as usize].prev = tail;
                self.orders[slot as usize].next = NIL;
                self.orders[tail as usize].next = slot;
            }
            Err(pos) => {
                debug_assert!(!ladder.is_full(), "caller checks level capacity");
                ladder.levels.insert(
                    pos,
                    LevelSlot {
                        key,
                        qty: u64::from(order.qty),
                        count: 1,
                        head: slot,
                        tail: slot,
                    },
                );
                self.orders[slot as usize].prev = NIL;
                self.orders[slot as usize].next = NIL;
            }
        }
    }

    /// Takes order `slot` out of its level's queue (removing the level when it empties). The
    /// slot stays allocated and indexed.
    pub(crate) fn unlink(&mut self, slot: u32) {
        let order = self.orders[slot as usize];
        let side = side_index(order.side);
        let ladder = &mut self.books[order.instrument as usize].sides[side];
        let Ok(pos) = ladder.find(key_of(side, order.price)) else {
            debug_assert!(false, "resting order without a level");
            return;
        };
        let level = &mut ladder.levels[pos];
        level.qty -= u64::from(order.qty);
        level.count -= 1;
        if level.count == 0 {
            ladder.levels.remove(pos);
            return;
        }
        if order.prev == NIL {
            level.head = order.next;
        } else {
            self.orders[order.prev as usize].next = order.next;
        }
        if order.next == NIL {
            level.tail = order.prev;
        } else {
            self.orders[order.next as usize].prev = order.prev;
        }
    }

    /// Drops order `slot` from its ref (and token) index and returns the slot to the free
    /// list. The caller has already unlinked it.
    pub(crate) fn forget(&mut self, slot: u32) {
        let order = self.orders[slot as usize];
        let by_ref = self.refs.remove(order.order_ref);
        debug_assert_eq!(by_ref, Some(slot));
        if order.session != SEED_SESSION {
            let by_token = self.tokens.remove(token_key(order.session, order.token));
            debug_assert_eq!(by_token, Some(slot));
        }
        self.orders[slot as usize].next = self.free_head;
        self.free_head = slot;
    }

    /// Removes `qty` (less than the open shares) from order `slot`, keeping its queue place.
    pub(crate) fn reduce(&mut self, slot: u32, qty: u32) {
        let order = &mut self.orders[slot as usize];
        debug_assert!(qty < order.qty);
        order.qty -= qty;
        let side = side_index(order.side);
        let ladder = &mut self.books[order.instrument as usize].sides[side];
        if let Ok(pos) = ladder.find(key_of(side, order.price)) {
            ladder.levels[pos].qty -= u64::from(qty);
        } else {
            debug_assert!(false, "resting order without a level");
        }
    }
}

fn level_view(side: usize, level: &LevelSlot) -> LevelView {
    LevelView {
        price: Price(price_of(side, level.key)),
        qty: level.qty,
        order_count: level.count,
    }
}

/// Iterator over one side's resting orders in priority order, from
/// [`MatchingEngine::queue`].
#[derive(Clone, Debug)]
pub struct Queue<'a> {
    engine: &'a MatchingEngine,
    levels: &'a [LevelSlot],
    /// Levels not yet started, counted from the front (best is last).
    next_level: usize,
    slot: u32,
}

impl Iterator for Queue<'_> {
    type Item = RestingOrder;

    fn next(&mut self) -> Option<RestingOrder> {
        while self.slot == NIL {
            if self.next_level == 0 {
                return None;
            }
            self.next_level -= 1;
            self.slot = self.levels[self.next_level].head;
        }
        let slot = self.slot;
        self.slot = self.engine.orders[slot as usize].next;
        Some(self.engine.view(slot))
    }
}

impl MatchingEngine {
    /// True when order `slot` is the only order at its level.
    pub(crate) fn alone_at_level(&self, slot: u32) -> bool {
        let o = &self.orders[slot as usize];
        o.prev == NIL && o.next == NIL
    }
}
