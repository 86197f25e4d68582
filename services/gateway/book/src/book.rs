//! The order-by-order book: instruments in one dense array (each record holding its stale
//! flag, last trade and the best levels of both sides inline, see [`crate::levels`]), orders in
//! a slab of 32-byte records, order refs in an `OrderRefs` (a direct-indexed window over recent
//! references, a [`crate::RefMap`] for the rest), each level a FIFO queue of its orders (a
//! doubly linked list through the slab; the level keeps its last order, slab slot 0 is the
//! sentinel both ends link to).

use crossbar_model::{InstrumentId, Price, Qty, Side};

use crate::error::{BookError, Resource};
use crate::levels::{LevelBody, LevelRec, Overflow, SideMut, SideRef, Window, WINDOW};
use crate::limits::BookLimits;
use crate::ref_map::InsertError;
use crate::ref_window::OrderRefs;

mod prefetch_hints;
use crate::update::{
    BookCounters, Level, LevelAction, LevelUpdate, OrderView, Reduction, Replaced, TopOfBook,
};

/// "No slab index": end of a queue or of the free list. Slab slot 0 is a sentinel that never
/// holds an order, so an unlink writes its neighbours' links without testing for the ends of
/// the queue (a write through `NIL` lands in the sentinel and is never read).
const NIL: u32 = 0;
const BID: usize = 0;
const ASK: usize = 1;

/// Bit of [`Order::inst_side`] set for an ask-side order (instrument ids are below 2^24).
const ASK_BIT: u32 = 1 << 31;
const _: () = assert!(BookLimits::INSTRUMENTS_MAX < ASK_BIT);
// `key_of` and `Order::inst_side` compute the side's mask and bit from `ASK == 1`.
const _: () = assert!(ASK == 1 && BID == 0 && ASK_BIT == (ASK as u32) << 31);

/// A resting order in the slab (32 bytes, two to a cache line). `prev`/`next` link its
/// level's FIFO queue (`NIL` at the ends); for a free slot `next` links the free list.
#[derive(Clone, Copy, Debug)]
struct Order {
    order_ref: u64,
    price: i64,
    qty: u32,
    /// Instrument id, with [`ASK_BIT`] set for the ask side.
    inst_side: u32,
    prev: u32,
    next: u32,
}

const _: () = assert!(std::mem::size_of::<Order>() == 32);

impl Order {
    const FREE: Order = Order {
        order_ref: 0,
        price: 0,
        qty: 0,
        inst_side: 0,
        prev: NIL,
        next: NIL,
    };

    #[inline]
    fn instrument(&self) -> u32 {
        self.inst_side & !ASK_BIT
    }

    #[inline]
    fn side(&self) -> usize {
        usize::from(self.inst_side & ASK_BIT != 0)
    }
}

/// An instrument's hot state: flags and both sides' best levels, in one record so that an
/// event for a cold instrument touches one contiguous block.
#[derive(Clone, Debug)]
#[repr(align(64))]
struct InstrumentBook {
    stale: bool,
    last_trade_price: Option<Price>,
    sides: [Window; 2],
}

const _: () = assert!(std::mem::size_of::<InstrumentBook>() == 896);

/// `ASK` for `Sell`/`SellShort`, `BID` for `Buy`, without a branch (the side is random from
/// event to event; a branch on it mispredicted ~0.2 times per message).
#[inline(always)]
fn side_index(side: Side) -> usize {
    usize::from(side.is_sell())
}

#[inline]
fn book_side(side: usize) -> Side {
    if side == ASK {
        Side::Sell
    } else {
        Side::Buy
    }
}

/// All ones for the ask side, zero for the bid side (`side` is `BID` or `ASK`).
#[inline(always)]
fn ask_mask(side: usize) -> i64 {
    (side as i64).wrapping_neg()
}

/// Sort key of a price on a side: see [`crate::ladder`] (`!price` for asks, computed without
/// a branch: the side is random from event to event, so a branch on it mispredicts).
#[inline]
fn key_of(side: usize, price: i64) -> i64 {
    price ^ ask_mask(side)
}

#[inline]
fn price_of(side: usize, key: i64) -> Price {
    Price(key ^ ask_mask(side))
}

/// Write access to side `side` of instrument `inst` (free function so that callers can keep
/// borrowing the slab and ref table).
#[inline]
fn side_mut<'a>(
    instruments: &'a mut [InstrumentBook],
    overflow: &'a mut Overflow,
    inst: usize,
    side: usize,
) -> SideMut<'a> {
    SideMut {
        window: &mut instruments[inst].sides[side],
        overflow,
        region: inst * 2 + side,
    }
}

#[inline]
fn level_update(
    instrument: u32,
    side: usize,
    level: LevelRec,
    level_index: u32,
    action: LevelAction,
) -> LevelUpdate {
    LevelUpdate {
        instrument: InstrumentId(instrument),
        side: book_side(side),
        price: price_of(side, level.key),
        qty: level.qty,
        order_count: level.count,
        level_index,
        action,
    }
}

/// Takes order `slot` (its record `order`, still linked) out of its level's FIFO queue and
/// returns the level's new tail (`tail` is the level's current one). Branch-free: a neighbour
/// that is `NIL` is the sentinel slot 0, whose links are written and never read; only the
/// tail is selected. The caller handles a level whose last order leaves (it removes the level).
#[inline(always)]
fn unlink(orders: &mut [Order], slot: u32, order: Order, tail: u32) -> u32 {
    orders[order.prev as usize].next = order.next;
    orders[order.next as usize].prev = order.prev;
    if slot == tail {
        order.prev
    } else {
        tail
    }
}

/// Where a key sits in one side's window, from `OrderBook::spot`: plain integers and flags
/// rather than an enum of `Result`s, which the compiler turned into a branch on whether the
/// level exists (random from add to add).
#[derive(Clone, Copy, Debug)]
struct Spot {
    /// The window level with the key (`hit`), else the number of window keys below it.
    w: usize,
    /// A window level has the key.
    hit: bool,
    /// The event stays in the window: the level is there, or it is new on a side with fewer
    /// than [`WINDOW`] levels (so none in the overflow). Else the general two-tier code runs.
    in_window: bool,
}

/// A venue-neutral L3 book for many instruments, driven by normalized events (ITCH 5.0 §4.3
/// Add Order, §4.5 Order Executed / Cancel / Delete, §4.6 Order Replace, and their Pillar XDP
/// and Cboe PITCH equivalents).
///
/// All memory is sized from [`BookLimits`] in [`OrderBook::new`]; no event allocates. Every
/// event returns the level it changed or a [`BookError`]; a rejected event changes nothing
/// but the [`BookCounters`].
#[derive(Clone, Debug)]
pub struct OrderBook {
    limits: BookLimits,
    instruments: Vec<InstrumentBook>,
    /// Levels beyond each side's window; region `instrument * 2 + side`.
    overflow: Overflow,
    orders: Vec<Order>,
    free_head: u32,
    refs: OrderRefs,
    counters: BookCounters,
}

impl OrderBook {
    /// Allocates a book for `limits`: one record of 896 bytes per instrument (flags and the
    /// best 15 levels of each side, written now), an overflow arena of
    /// `instruments * 2 * max(levels_per_side - 15, 0) * 24` bytes for deeper levels
    /// (allocated zeroed: pages are touched only as sides go deeper than 15 levels), an order
    /// slab of `(orders + 1) * 32` bytes (slot 0 is the sentinel; reserved, touched as used),
    /// and for order references a window of
    /// `clamp(next_pow2(orders), 64, 2^24) * 4` bytes plus a fallback table of
    /// `next_pow2(2 * orders) * 16` bytes, both allocated zeroed (pages become resident as
    /// they are used; the fallback holds only references outside the window).
    ///
    /// # Errors
    /// [`BookError::InvalidLimits`] when [`BookLimits::validate`] fails.
    pub fn new(limits: BookLimits) -> Result<Self, BookError> {
        limits.validate()?;
        let levels = limits.levels_per_side as usize;
        let instruments = vec![
            InstrumentBook {
                stale: false,
                last_trade_price: None,
                sides: [Window::EMPTY; 2],
            };
            limits.instruments as usize
        ];
        Ok(Self {
            limits,
            instruments,
            overflow: Overflow::new(
                limits.instruments as usize * 2,
                levels.saturating_sub(WINDOW),
            ),
            orders: {
                // Slot 0 is the sentinel (see `NIL`); orders use slots 1..=orders.
                let mut orders = Vec::with_capacity(limits.orders as usize + 1);
                orders.push(Order::FREE);
                orders
            },
            free_head: NIL,
            refs: OrderRefs::with_capacity(limits.orders as usize),
            counters: BookCounters::default(),
        })
    }

    /// The limits this book was sized from.
    pub fn limits(&self) -> BookLimits {
        self.limits
    }

    /// Events applied and rejected so far.
    pub fn counters(&self) -> &BookCounters {
        &self.counters
    }

    /// Resting orders across all instruments.
    pub fn order_count(&self) -> usize {
        self.refs.len()
    }

    fn count_error(&mut self, e: BookError) -> BookError {
        let c = &mut self.counters;
        match e {
            BookError::UnknownOrder { .. } => c.unknown_order += 1,
            BookError::DuplicateOrder { .. } => c.duplicate_order += 1,
            BookError::Overfill { .. } => c.overfill += 1,
            BookError::Capacity { .. } => c.capacity += 1,
            BookError::UnknownInstrument { .. } => c.unknown_instrument += 1,
            BookError::ZeroQty { .. } => c.zero_qty += 1,
            BookError::InvalidLimits { .. } => {}
        }
        e
    }

    fn check_instrument(&self, instrument: InstrumentId) -> Result<usize, BookError> {
        let i = instrument.index();
        if i < self.instruments.len() {
            Ok(i)
        } else {
            Err(BookError::UnknownInstrument {
                instrument: instrument.0,
                instruments: self.limits.instruments,
            })
        }
    }

    /// Adds a resting order at the back of its price level's queue (ITCH 5.0 §4.3.1 Add Order
    /// / §4.3.2 with MPID). `side` [`Side::SellShort`] rests on the ask side.
    ///
    /// # Errors
    /// In precedence order: [`BookError::UnknownInstrument`], [`BookError::ZeroQty`],
    /// [`BookError::DuplicateOrder`] (ref already resting), [`BookError::Capacity`] for
    /// [`Resource::Orders`] then [`Resource::Levels`] (a new level on a full side).
    #[inline(always)]
    pub fn add(
        &mut self,
        order_ref: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<LevelUpdate, BookError> {
        match self.try_add(order_ref, instrument, side_index(side), price.0, qty.0) {
            Ok(update) => {
                self.counters.adds += 1;
                Ok(update)
            }
            Err(e) => Err(self.count_error(e)),
        }
    }

    #[inline(always)]
    fn try_add(
        &mut self,
        order_ref: u64,
        instrument: InstrumentId,
        side: usize,
        price: i64,
        qty: u32,
    ) -> Result<LevelUpdate, BookError> {
        let inst = self.check_instrument(instrument)?;
        if qty == 0 {
            return Err(BookError::ZeroQty { order_ref });
        }
        let slot = self.next_free_slot();
        if slot == NIL {
            return Err(self.duplicate_or(
                order_ref,
                Resource::Orders,
                self.limits.orders,
                instrument,
            ));
        }
        let key = key_of(side, price);
        let spot = self.spot(inst, side, key);
        // The rare condition alone first, a well-predicted branch; whether the level exists is
        // random from add to add, so it is looked at only on a full side.
        if self.instruments[inst].sides[side].len() >= self.limits.levels_per_side as usize
            && self.side_ref(inst, side).find(key).is_err()
        {
            let limit = self.limits.levels_per_side;
            return Err(self.duplicate_or(order_ref, Resource::Levels, limit, instrument));
        }
        match self.refs.insert(order_ref, slot) {
            Ok(()) => {}
            Err(InsertError::Duplicate) => return Err(BookError::DuplicateOrder { order_ref }),
            Err(InsertError::Full) => {
                return Err(BookError::Capacity {
                    resource: Resource::Orders,
                    limit: self.limits.orders,
                    instrument: instrument.0,
                })
            }
        }
        self.take_free_slot(slot);
        let order = Order {
            order_ref,
            price,
            qty,
            inst_side: instrument.0 | ((side as u32) << 31),
            prev: NIL,
            next: NIL,
        };
        self.orders[slot as usize] = order;
        Ok(self.link(slot, inst, side, key, spot))
    }

    /// `DuplicateOrder` when `order_ref` rests (it outranks capacity), else `Capacity`.
    fn duplicate_or(
        &self,
        order_ref: u64,
        resource: Resource,
        limit: u32,
        instrument: InstrumentId,
    ) -> BookError {
        if self.refs.contains(order_ref) {
            BookError::DuplicateOrder { order_ref }
        } else {
            BookError::Capacity {
                resource,
                limit,
                instrument: instrument.0,
            }
        }
    }

    /// The slab index the next order will use, or `NIL` when the slab is full.
    #[inline]
    fn next_free_slot(&self) -> u32 {
        if self.free_head != NIL {
            self.free_head
        } else if self.orders.len() <= self.limits.orders as usize {
            self.orders.len() as u32
        } else {
            NIL
        }
    }

    /// Claims `slot` (the value [`Self::next_free_slot`] just returned).
    #[inline]
    fn take_free_slot(&mut self, slot: u32) {
        if slot == self.free_head {
            self.free_head = self.orders[slot as usize].next;
        } else {
            debug_assert_eq!(slot as usize, self.orders.len());
            debug_assert!(
                self.orders.len() < self.orders.capacity(),
                "slab must not grow"
            );
            self.orders.push(Order::FREE);
        }
    }

    #[inline]
    fn release_slot(&mut self, slot: u32) {
        self.orders[slot as usize].next = self.free_head;
        self.free_head = slot;
    }

    /// Read access to one side's levels.
    #[inline]
    fn side_ref(&self, inst: usize, side: usize) -> SideRef<'_> {
        SideRef {
            window: &self.instruments[inst].sides[side],
            overflow: &self.overflow,
            region: inst * 2 + side,
        }
    }

    /// Where `key` goes on side `side` of `inst`: in the window (nearly always: the level is
    /// one of the best 15, or the side has fewer than 15 levels), else the general combined
    /// position across window and overflow.
    #[inline(always)]
    fn spot(&self, inst: usize, side: usize, key: i64) -> Spot {
        let window = &self.instruments[inst].sides[side];
        let (w, hit) = window.locate(key);
        Spot {
            w,
            hit,
            // `|`, not `||`: both operands are already computed and the first is random.
            in_window: hit | (window.len() < WINDOW),
        }
    }

    /// Appends order `slot` (written, with `prev == next == NIL`) to its level at `spot`
    /// (from [`Self::spot`] with the order's key; the caller checked the level capacity).
    ///
    /// Joining a level and opening one stay two branches: a branch-free merge of the two
    /// (open an empty level, then join it) must read the body slot of a new level before
    /// writing it, and on a cold instrument that read is a cache miss the add then waits for,
    /// where a plain write of the new body is not (measured: 0.38 D1 misses per message moved
    /// from stores to loads, for ~0.08 fewer mispredictions; see `docs/bench/book.md`).
    #[inline(always)]
    fn link(&mut self, slot: u32, inst: usize, side: usize, key: i64, spot: Spot) -> LevelUpdate {
        if !spot.in_window {
            return self.link_general(slot);
        }
        let w = spot.w;
        let qty = self.orders[slot as usize].qty;
        let window = &mut self.instruments[inst].sides[side];
        let (body, action) = if spot.hit {
            let body = window.body_mut(w);
            let tail = body.tail;
            body.tail = slot;
            body.qty += u64::from(qty);
            body.count += 1;
            let body = *body;
            self.orders[slot as usize].prev = tail;
            self.orders[tail as usize].next = slot;
            (body, LevelAction::Change)
        } else {
            let body = LevelBody {
                qty: u64::from(qty),
                count: 1,
                tail: slot,
            };
            window.insert_unspilled(w, key, body);
            (body, LevelAction::New)
        };
        LevelUpdate {
            instrument: InstrumentId(inst as u32),
            side: book_side(side),
            price: price_of(side, key),
            qty: body.qty,
            order_count: body.count,
            level_index: (window.wlen() - 1 - w) as u32,
            action,
        }
    }

    /// [`Self::link`] for an order whose level is below the window, or new on a side whose
    /// window is full: the search across window and overflow, then the two-tier update.
    #[inline(never)]
    fn link_general(&mut self, slot: u32) -> LevelUpdate {
        let order = self.orders[slot as usize];
        let (inst, side) = (order.instrument() as usize, order.side());
        let mut levels = side_mut(&mut self.instruments, &mut self.overflow, inst, side);
        let (level, pos, action) = match levels.find(key_of(side, order.price)) {
            Ok(pos) => {
                let mut level = levels.get(pos);
                let tail = level.tail;
                level.tail = slot;
                level.qty += u64::from(order.qty);
                level.count += 1;
                levels.set(pos, level);
                self.orders[slot as usize].prev = tail;
                self.orders[tail as usize].next = slot;
                (level, pos, LevelAction::Change)
            }
            Err(pos) => {
                debug_assert!(!levels.is_full(self.limits.levels_per_side as usize));
                let level = LevelRec {
                    key: key_of(side, order.price),
                    qty: u64::from(order.qty),
                    count: 1,
                    tail: slot,
                };
                levels.insert(pos, level);
                (level, pos, LevelAction::New)
            }
        };
        let level_index = levels.index_nth_from_best(pos);
        level_update(order.instrument(), side, level, level_index, action)
    }

    /// Removes `qty` shares (fewer than it has) from order `slot`, which keeps its place in
    /// the queue.
    #[inline(always)]
    fn reduce_partial(&mut self, slot: u32, qty: u32) -> LevelUpdate {
        let order = self.orders[slot as usize];
        debug_assert!(qty < order.qty);
        let (inst, side) = (order.instrument() as usize, order.side());
        let window = &mut self.instruments[inst].sides[side];
        let (w, hit) = window.locate(key_of(side, order.price));
        if !hit {
            return self.reduce_general(slot, qty);
        }
        let level_index = (window.wlen() - 1 - w) as u32;
        let body = window.body_mut(w);
        body.qty -= u64::from(qty);
        self.orders[slot as usize].qty = order.qty - qty;
        LevelUpdate {
            instrument: InstrumentId(order.instrument()),
            side: book_side(side),
            price: Price(order.price),
            qty: body.qty,
            order_count: body.count,
            level_index,
            action: LevelAction::Change,
        }
    }

    /// Takes order `slot` (record `order`) out of the book: out of its level's queue (the
    /// level goes when it was its last order) and back to the free list. The caller has
    /// removed its reference.
    ///
    /// Whether the level empties stays a branch (random from delete to delete, ~0.09
    /// mispredictions per message): a branch-free removal (shift by a computed amount, pad
    /// by a select) cost ~12 instructions per message more than it saved; see
    /// `docs/bench/book.md`. The update's quantity and count are the body's, 0 when the level
    /// went.
    #[inline(always)]
    fn take_out(&mut self, slot: u32, order: Order) -> LevelUpdate {
        let (inst, side) = (order.instrument() as usize, order.side());
        let window = &mut self.instruments[inst].sides[side];
        let (w, hit) = window.locate(key_of(side, order.price));
        if !hit {
            // Below the window (or, were the book inconsistent, nowhere: the general path
            // reports that).
            return self.reduce_general(slot, order.qty);
        }
        let level_index = (window.wlen() - 1 - w) as u32;
        let body = window.body_mut(w);
        body.qty -= u64::from(order.qty);
        body.count -= 1;
        let (qty, count) = (body.qty, body.count);
        // Alone at its level exactly when it has no queue neighbours: known from the order
        // record, before the search, so a misprediction here is found early (the level's
        // count is known only after the search and a load).
        let gone = (order.prev | order.next) == NIL;
        debug_assert_eq!(
            gone,
            count == 0,
            "BOOK_INVARIANT queue links vs level count"
        );
        if gone {
            if window.len() <= WINDOW {
                window.remove_unspilled(w);
            } else {
                self.remove_spilled(inst, side, w);
            }
        } else {
            body.tail = unlink(&mut self.orders, slot, order, body.tail);
        }
        self.release_slot(slot);
        LevelUpdate {
            instrument: InstrumentId(order.instrument()),
            side: book_side(side),
            price: Price(order.price),
            qty,
            order_count: count,
            level_index,
            action: if gone {
                LevelAction::Delete
            } else {
                LevelAction::Change
            },
        }
    }

    /// Removes window level `w` of a side that has overflow levels (the overflow's best moves
    /// into the window).
    #[inline(never)]
    fn remove_spilled(&mut self, inst: usize, side: usize, w: usize) {
        let mut levels = side_mut(&mut self.instruments, &mut self.overflow, inst, side);
        let olen = levels.len() - WINDOW;
        levels.remove(olen + w);
    }

    /// [`Self::reduce_partial`] and [`Self::take_out`] (`qty == order.qty`) for an order whose
    /// level is below the window.
    #[inline(never)]
    fn reduce_general(&mut self, slot: u32, qty: u32) -> LevelUpdate {
        let order = self.orders[slot as usize];
        let (inst, side) = (order.instrument() as usize, order.side());
        let mut levels = side_mut(&mut self.instruments, &mut self.overflow, inst, side);
        let key = key_of(side, order.price);
        let Ok(pos) = levels.find(key) else {
            unreachable!(
                "BOOK_INVARIANT resting order_ref={} has no level",
                order.order_ref
            )
        };
        let mut level = levels.get(pos);
        let level_index = levels.index_nth_from_best(pos);
        level.qty -= u64::from(qty);
        if qty < order.qty {
            levels.set(pos, level);
            self.orders[slot as usize].qty = order.qty - qty;
            return level_update(
                order.instrument(),
                side,
                level,
                level_index,
                LevelAction::Change,
            );
        }
        level.count -= 1;
        if level.count == 0 {
            levels.remove(pos);
            self.release_slot(slot);
            return LevelUpdate {
                instrument: InstrumentId(order.instrument()),
                side: book_side(side),
                price: Price(order.price),
                qty: 0,
                order_count: 0,
                level_index,
                action: LevelAction::Delete,
            };
        }
        level.tail = unlink(&mut self.orders, slot, order, level.tail);
        levels.set(pos, level);
        self.release_slot(slot);
        level_update(
            order.instrument(),
            side,
            level,
            level_index,
            LevelAction::Change,
        )
    }

    fn lookup(&self, order_ref: u64) -> Result<u32, BookError> {
        self.refs
            .get(order_ref)
            .ok_or(BookError::UnknownOrder { order_ref })
    }

    fn try_reduce(&mut self, order_ref: u64, qty: u32) -> Result<Reduction, BookError> {
        if qty == 0 {
            return Err(BookError::ZeroQty { order_ref });
        }
        let slot = self.lookup(order_ref)?;
        let open_qty = self.orders[slot as usize].qty;
        if qty > open_qty {
            return Err(BookError::Overfill {
                order_ref,
                qty,
                open_qty,
            });
        }
        let level = if qty < open_qty {
            self.reduce_partial(slot, qty)
        } else {
            self.refs.remove(order_ref);
            let order = self.orders[slot as usize];
            self.take_out(slot, order)
        };
        Ok(Reduction {
            level,
            removed_qty: Qty(qty),
            remaining_qty: Qty(open_qty - qty),
        })
    }

    /// Executes `qty` shares of a resting order (ITCH 5.0 §4.5.1 Order Executed; also §4.5.2
    /// Order Executed With Price, whose printed price is the caller's to report). The order
    /// keeps its queue position while shares remain and leaves the book at zero. Records the
    /// order's price as the instrument's last trade price.
    ///
    /// # Errors
    /// [`BookError::ZeroQty`], [`BookError::UnknownOrder`], [`BookError::Overfill`] when
    /// `qty` exceeds the open shares (nothing is executed).
    #[inline]
    pub fn execute(&mut self, order_ref: u64, qty: Qty) -> Result<Reduction, BookError> {
        match self.try_reduce(order_ref, qty.0) {
            Ok(r) => {
                self.counters.executes += 1;
                self.instruments[r.level.instrument.index()].last_trade_price = Some(r.level.price);
                Ok(r)
            }
            Err(e) => Err(self.count_error(e)),
        }
    }

    /// Cancels `qty` shares of a resting order (ITCH 5.0 §4.5.3 Order Cancel). The order keeps
    /// its queue position; cancelling all its shares removes it.
    ///
    /// # Errors
    /// [`BookError::ZeroQty`], [`BookError::UnknownOrder`], [`BookError::Overfill`].
    #[inline]
    pub fn cancel(&mut self, order_ref: u64, qty: Qty) -> Result<Reduction, BookError> {
        match self.try_reduce(order_ref, qty.0) {
            Ok(r) => {
                self.counters.cancels += 1;
                Ok(r)
            }
            Err(e) => Err(self.count_error(e)),
        }
    }

    /// Removes a resting order entirely (ITCH 5.0 §4.5.4 Order Delete).
    ///
    /// # Errors
    /// [`BookError::UnknownOrder`].
    #[inline(always)]
    pub fn delete(&mut self, order_ref: u64) -> Result<LevelUpdate, BookError> {
        // One probe finds and removes the reference; the whole order then leaves.
        match self.refs.remove(order_ref) {
            Some(slot) => {
                let order = self.orders[slot as usize];
                self.counters.deletes += 1;
                Ok(self.take_out(slot, order))
            }
            None => Err(self.count_error(BookError::UnknownOrder { order_ref })),
        }
    }

    /// Replaces a resting order (ITCH 5.0 §4.6 Order Replace): the old order leaves the book
    /// and a new order with `new_ref`, `new_price` and `new_qty` joins the back of the queue at
    /// its price, keeping the old order's instrument and side. Priority is lost even when the
    /// price is unchanged. `new_ref == old_ref` is accepted (venues that modify in place).
    ///
    /// # Errors
    /// [`BookError::ZeroQty`] (`new_qty` 0), [`BookError::UnknownOrder`] (`old_ref`),
    /// [`BookError::DuplicateOrder`] (`new_ref` rests already), [`BookError::Capacity`] for
    /// [`Resource::Levels`] when the new price needs a level on a full side.
    #[inline(always)]
    pub fn replace(
        &mut self,
        old_ref: u64,
        new_ref: u64,
        new_price: Price,
        new_qty: Qty,
    ) -> Result<Replaced, BookError> {
        match self.try_replace(old_ref, new_ref, new_price.0, new_qty.0) {
            Ok(r) => {
                self.counters.replaces += 1;
                Ok(r)
            }
            Err(e) => Err(self.count_error(e)),
        }
    }

    #[inline(always)]
    fn try_replace(
        &mut self,
        old_ref: u64,
        new_ref: u64,
        new_price: i64,
        new_qty: u32,
    ) -> Result<Replaced, BookError> {
        if new_qty == 0 {
            return Err(BookError::ZeroQty { order_ref: new_ref });
        }
        let slot = self.lookup(old_ref)?;
        if new_ref != old_ref && self.refs.contains(new_ref) {
            return Err(BookError::DuplicateOrder { order_ref: new_ref });
        }
        let old = self.orders[slot as usize];
        let (inst, side) = (old.instrument() as usize, old.side());
        let new_key = key_of(side, new_price);
        // Only a side at its level limit can refuse the new price (checked before anything
        // changes): when the new price needs a level and the old level stays.
        if self.instruments[inst].sides[side].len() >= self.limits.levels_per_side as usize {
            let levels = self.side_ref(inst, side);
            let new_level = levels.find(new_key).is_err();
            let old_level_goes = match levels.find(key_of(side, old.price)) {
                Ok(pos) => levels.get(pos).count == 1,
                Err(_) => false,
            };
            if new_level && !old_level_goes {
                return Err(BookError::Capacity {
                    resource: Resource::Levels,
                    limit: self.limits.levels_per_side,
                    instrument: old.instrument(),
                });
            }
        }
        self.refs.remove(old_ref);
        let removed = self.take_out(slot, old);
        let slot = self.next_free_slot();
        let inserted = self.refs.insert(new_ref, slot);
        debug_assert_eq!(inserted, Ok(()), "a slot and a ref entry were just freed");
        self.take_free_slot(slot);
        self.orders[slot as usize] = Order {
            order_ref: new_ref,
            price: new_price,
            qty: new_qty,
            prev: NIL,
            next: NIL,
            ..old
        };
        let spot = self.spot(inst, side, new_key);
        let added = self.link(slot, inst, side, new_key, spot);
        Ok(Replaced { removed, added })
    }

    /// Removes every order of `instrument` (for example before applying a snapshot after a
    /// gap) and returns how many were removed. Leaves the stale flag and last trade as they are.
    ///
    /// # Errors
    /// [`BookError::UnknownInstrument`].
    pub fn clear_instrument(&mut self, instrument: InstrumentId) -> Result<usize, BookError> {
        let inst = self.check_instrument(instrument)?;
        let mut removed = 0;
        for side in [BID, ASK] {
            let mut levels = side_mut(&mut self.instruments, &mut self.overflow, inst, side);
            for pos in 0..levels.len() {
                // Back to front: a level keeps only its queue's last order.
                let mut slot = levels.get(pos).tail;
                while slot != NIL {
                    let order = self.orders[slot as usize];
                    self.refs.remove(order.order_ref);
                    self.orders[slot as usize].next = self.free_head;
                    self.free_head = slot;
                    removed += 1;
                    slot = order.prev;
                }
            }
            levels.clear();
        }
        Ok(removed)
    }

    /// Marks an instrument's book stale (`true`, while the feed handler has a gap open) or
    /// fresh again. The risk price collar refuses to price against a stale book.
    ///
    /// # Errors
    /// [`BookError::UnknownInstrument`].
    pub fn set_stale(&mut self, instrument: InstrumentId, stale: bool) -> Result<(), BookError> {
        let inst = self.check_instrument(instrument)?;
        self.instruments[inst].stale = stale;
        Ok(())
    }

    /// Whether the instrument's book is stale. Unknown instruments report `true` (fail closed).
    pub fn is_stale(&self, instrument: InstrumentId) -> bool {
        self.instruments
            .get(instrument.index())
            .is_none_or(|b| b.stale)
    }

    fn level_view(&self, inst: usize, side: usize, index: usize) -> Option<Level> {
        if inst >= self.instruments.len() {
            return None;
        }
        let l = self.side_ref(inst, side).nth_from_best(index)?;
        Some(Level {
            price: price_of(side, l.key),
            qty: l.qty,
            order_count: l.count,
        })
    }

    /// The best (highest) bid level, `None` if the side is empty or the instrument unknown.
    pub fn best_bid(&self, instrument: InstrumentId) -> Option<Level> {
        self.level_view(instrument.index(), BID, 0)
    }

    /// The best (lowest) ask level, `None` if the side is empty or the instrument unknown.
    pub fn best_ask(&self, instrument: InstrumentId) -> Option<Level> {
        self.level_view(instrument.index(), ASK, 0)
    }

    /// The level `index` places from the best on `side` (0 = best); `Sell` and `SellShort`
    /// mean the ask side.
    pub fn level(&self, instrument: InstrumentId, side: Side, index: usize) -> Option<Level> {
        self.level_view(instrument.index(), side_index(side), index)
    }

    /// Number of price levels on `side`, 0 for an unknown instrument.
    pub fn level_count(&self, instrument: InstrumentId, side: Side) -> usize {
        self.instruments.get(instrument.index()).map_or(0, |_| {
            self.side_ref(instrument.index(), side_index(side)).len()
        })
    }

    /// Writes up to `n` levels of `side`, best first, into `out` and returns how many were
    /// written (at most `min(n, out.len(), level_count)`). Allocation-free.
    ///
    /// # Errors
    /// [`BookError::UnknownInstrument`].
    pub fn depth(
        &self,
        instrument: InstrumentId,
        side: Side,
        n: usize,
        out: &mut [Level],
    ) -> Result<usize, BookError> {
        let inst = self.check_instrument(instrument)?;
        let side = side_index(side);
        let levels = self.side_ref(inst, side);
        let count = n.min(out.len()).min(levels.len());
        for (index, dst) in out[..count].iter_mut().enumerate() {
            let Some(src) = levels.nth_from_best(index) else {
                break;
            };
            *dst = Level {
                price: price_of(side, src.key),
                qty: src.qty,
                order_count: src.count,
            };
        }
        Ok(count)
    }

    /// Best bid, best ask, last trade price and stale flag, `None` for an unknown instrument.
    pub fn top(&self, instrument: InstrumentId) -> Option<TopOfBook> {
        let book = self.instruments.get(instrument.index())?;
        Some(TopOfBook {
            bid: self.best_bid(instrument),
            ask: self.best_ask(instrument),
            last_trade_price: book.last_trade_price,
            stale: book.stale,
        })
    }

    /// The resting order with reference `order_ref`.
    pub fn order(&self, order_ref: u64) -> Option<OrderView> {
        let slot = self.refs.get(order_ref)?;
        Some(self.view(slot))
    }

    fn view(&self, slot: u32) -> OrderView {
        let o = self.orders[slot as usize];
        OrderView {
            order_ref: o.order_ref,
            instrument: InstrumentId(o.instrument()),
            side: book_side(o.side()),
            price: Price(o.price),
            qty: Qty(o.qty),
        }
    }

    /// The orders resting at `price` on `side`, in time priority (front of the queue first).
    /// Empty for a missing level or unknown instrument. Allocation-free.
    pub fn queue(&self, instrument: InstrumentId, side: Side, price: Price) -> Queue<'_> {
        let side = side_index(side);
        let tail = if instrument.index() < self.instruments.len() {
            let levels = self.side_ref(instrument.index(), side);
            levels
                .find(key_of(side, price.0))
                .map_or(NIL, |pos| levels.get(pos).tail)
        } else {
            NIL
        };
        // A level keeps only its queue's last order: walk back to the first.
        let mut head = tail;
        while head != NIL && self.orders[head as usize].prev != NIL {
            head = self.orders[head as usize].prev;
        }
        Queue {
            book: self,
            next: head,
        }
    }
}

/// Iterator over one price level's orders in time priority, from [`OrderBook::queue`].
#[derive(Debug)]
pub struct Queue<'a> {
    book: &'a OrderBook,
    next: u32,
}

impl Iterator for Queue<'_> {
    type Item = OrderView;

    fn next(&mut self) -> Option<OrderView> {
        if self.next == NIL {
            return None;
        }
        let view = self.book.view(self.next);
        self.next = self.book.orders[self.next as usize].next;
        Some(view)
    }
}
