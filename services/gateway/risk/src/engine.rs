//! The risk engine: checks run in a fixed order, read-only; only an accepted order changes
//! state (reservation, credit, duplicate window, throttle windows).

use crossbar_book::{OrderBook, RefMap, TopOfBook};
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce};

use crate::limits::{InstrumentLimits, LimitsError, RiskLimits};
use crate::reject::{FillOutcome, RiskReject, RiskStateError};
use crate::window::{RateWindow, RecentIds};

/// Basis points per unit (10,000 bps = 100%).
const BPS: i128 = 10_000;

/// A new order as the gateway is about to send it (OUCH 5.0 §2.1 Enter Order fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    /// Platform-wide order id (must not be 0).
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Buy, sell or sell short (both sells reduce the position).
    pub side: Side,
    /// Limit price, 1/10,000 currency units; must be positive (no market orders here).
    pub price: Price,
    /// Shares; must be positive.
    pub qty: Qty,
    /// Day or IOC; both reserve until [`RiskEngine::on_order_done`].
    pub time_in_force: TimeInForce,
}

/// The venue's market for the instrument, as the price collar sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketView {
    /// Best bid, 1/10,000.
    pub best_bid: Option<Price>,
    /// Best ask, 1/10,000.
    pub best_ask: Option<Price>,
    /// Last trade, 1/10,000.
    pub last_trade_price: Option<Price>,
    /// True while the feed has a gap open: orders are refused with `RISK_STALE_BOOK`.
    pub stale: bool,
}

impl MarketView {
    /// From a book's [`TopOfBook`].
    pub fn from_top(top: &TopOfBook) -> Self {
        Self {
            best_bid: top.bid.map(|l| l.price),
            best_ask: top.ask.map(|l| l.price),
            last_trade_price: top.last_trade_price,
            stale: top.stale,
        }
    }

    /// From the gateway's venue book; an unknown instrument reads as stale (fails closed).
    pub fn from_book(book: &OrderBook, instrument: InstrumentId) -> Self {
        book.top(instrument).map_or(
            Self {
                best_bid: None,
                best_ask: None,
                last_trade_price: None,
                stale: true,
            },
            |top| Self::from_top(&top),
        )
    }
}

/// What an accepted order reserved; released by [`RiskEngine::on_cancel`] and
/// [`RiskEngine::on_order_done`], converted to position by [`RiskEngine::on_fill`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The order id.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side.
    pub side: Side,
    /// Limit price, 1/10,000.
    pub price: Price,
    /// Shares reserved.
    pub qty: Qty,
    /// Notional reserved, `price * qty`, 1/10,000.
    pub notional: i128,
}

/// Which orders a kill switch stops. The three switches are independent: releasing one
/// leaves the others as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillScope {
    /// Every instrument (SBE KillSwitch scope All).
    All,
    /// Every instrument of this gateway's venue (SBE scope Venue naming this venue).
    Venue,
    /// One instrument.
    Instrument(InstrumentId),
}

/// Why the engine fails closed. Several causes can hold at once (a set); the engine fails
/// closed while any does and reports the first in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailClosedCause {
    /// An operator or test asked for it.
    Operator = 0,
    /// The gateway's execution queue is half full (`EXEC_QUEUE_FULL`).
    ExecQueueFull = 1,
    /// No heartbeat from the centre within its timeout (`CENTRE_SILENT`).
    CentreSilent = 2,
    /// The audit journal could not take a record (`JOURNAL_FAILED`).
    JournalFailed = 3,
}

impl FailClosedCause {
    /// Every cause, in reporting order.
    pub const ALL: [FailClosedCause; 4] = [
        Self::Operator,
        Self::ExecQueueFull,
        Self::CentreSilent,
        Self::JournalFailed,
    ];

    /// The stable code carried in reject texts as `cause=<code>`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::ExecQueueFull => "EXEC_QUEUE_FULL",
            Self::CentreSilent => "CENTRE_SILENT",
            Self::JournalFailed => "JOURNAL_FAILED",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// An amount of credit (SBE CreditGrant / CreditReturn): buy and sell shares are separate
/// budgets; notional (1/10,000 currency units) is shared by both sides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    /// Shares the gateway may buy.
    pub buy_shares: i64,
    /// Shares the gateway may sell (sell and sell short).
    pub sell_shares: i64,
    /// Notional, 1/10,000 currency units, both sides.
    pub notional: i128,
}

impl Credit {
    /// The same amount of shares on both sides.
    pub const fn both_sides(shares: i64, notional: i128) -> Self {
        Self {
            buy_shares: shares,
            sell_shares: shares,
            notional,
        }
    }

    /// An amount as SBE carries it (CreditReturn, CreditSlice: `buyQty` / `sellQty` uint64
    /// shares, `notional` int64 1/10,000): shares above `i64::MAX` saturate there (no real
    /// slice comes near it; a grant, which must refuse such a value, converts on its own).
    pub fn from_sbe(buy_qty: u64, sell_qty: u64, notional: i64) -> Self {
        Self {
            buy_shares: i64::try_from(buy_qty).unwrap_or(i64::MAX),
            sell_shares: i64::try_from(sell_qty).unwrap_or(i64::MAX),
            notional: i128::from(notional),
        }
    }

    /// True when every amount is zero.
    pub const fn is_zero(&self) -> bool {
        self.buy_shares == 0 && self.sell_shares == 0 && self.notional == 0
    }
}

/// One instrument's credit slice from the aggregator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreditView {
    /// Unused credit (what a new order may still take).
    pub available: Credit,
    /// Shares reserved by open buy orders.
    pub reserved_buy: i64,
    /// Shares reserved by open sell orders.
    pub reserved_sell: i64,
    /// Notional reserved by open orders, 1/10,000.
    pub reserved_notional: i128,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct InstrumentState {
    position: i64,
    open_buy: i64,
    open_sell: i64,
    credit_buy: i64,
    credit_sell: i64,
    credit_notional: i128,
    reserved_notional: i128,
    halted: bool,
    killed: bool,
    throttle: RateWindow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenOrder {
    order_id: OrderId,
    instrument: InstrumentId,
    side: Side,
    price: Price,
    leaves: u32,
}

/// Everything that decides future checks. Compared whole in tests to prove rejects change
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RiskState {
    instruments: Vec<InstrumentState>,
    open: Vec<Option<OpenOrder>>,
    free: Vec<u32>,
    recent: RecentIds,
    session_throttle: RateWindow,
    kill_all: bool,
    kill_venue: bool,
    /// The set of [`FailClosedCause`]s in force, one bit each.
    fail_closed: u8,
}

/// Local pre-trade risk for one gateway session. Sized once from [`RiskLimits`]; no check or
/// update allocates. Owns no thread and reads no clock: the caller passes `now_ns`.
#[derive(Clone, Debug)]
pub struct RiskEngine {
    limits: RiskLimits,
    state: RiskState,
    open_index: RefMap,
    rejects: [u64; RiskReject::COUNT + 1],
    accepted: u64,
}

impl RiskEngine {
    /// Allocates the engine: per-instrument state and throttle rings, an open-order table of
    /// `max_open_orders`, a duplicate window of `duplicate_window` ids. Starts with zero
    /// positions, zero credit (every order is refused with `RISK_CREDIT_EXHAUSTED` until
    /// [`Self::grant_credit`]), nothing halted or killed, not failing closed.
    ///
    /// # Errors
    /// [`LimitsError`] when [`RiskLimits::validate`] fails.
    pub fn new(limits: RiskLimits) -> Result<Self, LimitsError> {
        limits.validate()?;
        let instruments = limits
            .instruments
            .iter()
            .map(|l| InstrumentState {
                position: 0,
                open_buy: 0,
                open_sell: 0,
                credit_buy: 0,
                credit_sell: 0,
                credit_notional: 0,
                reserved_notional: 0,
                halted: false,
                killed: false,
                throttle: RateWindow::new(l.max_orders_per_window),
            })
            .collect();
        let max_open = limits.max_open_orders;
        let state = RiskState {
            instruments,
            open: vec![None; max_open as usize],
            free: (0..max_open).rev().collect(),
            recent: RecentIds::new(limits.duplicate_window),
            session_throttle: RateWindow::new(limits.session_max_orders_per_window),
            kill_all: false,
            kill_venue: false,
            fail_closed: 0,
        };
        Ok(Self {
            open_index: RefMap::with_capacity(max_open as usize),
            limits,
            state,
            rejects: [0; RiskReject::COUNT + 1],
            accepted: 0,
        })
    }

    /// Checks a new order against every limit (order below) and, when it passes, reserves it:
    /// leaves on its side, credit (shares and notional at the limit price), its id in the
    /// duplicate window, a slot in both throttle windows.
    ///
    /// Order of checks: invalid request, fail closed, kill switch (risk-reducing orders pass
    /// when configured), halted, duplicate id, max qty, max notional, stale book, price
    /// collar, position limit, credit, throttle (instrument, then session), open-order table.
    ///
    /// # Errors
    /// The first [`RiskReject`] that applies. A rejected order changes no state (only the
    /// reject counter).
    pub fn check_new_order(
        &mut self,
        order: &OrderRequest,
        market: &MarketView,
        now_ns: u64,
    ) -> Result<Reservation, RiskReject> {
        match self.check(order, market, now_ns) {
            Ok(limits) => Ok(self.reserve(order, &limits, now_ns)),
            Err(reject) => {
                self.rejects[reject.code() as usize] += 1;
                Err(reject)
            }
        }
    }

    fn check(
        &self,
        o: &OrderRequest,
        m: &MarketView,
        now_ns: u64,
    ) -> Result<InstrumentLimits, RiskReject> {
        let instrument = o.instrument.0;
        let invalid = |field| RiskReject::InvalidOrder {
            field,
            order_id: o.order_id,
            instrument,
        };
        let Some(limits) = self.limits.instruments.get(o.instrument.index()).copied() else {
            return Err(RiskReject::UnknownInstrument {
                order_id: o.order_id,
                instrument,
            });
        };
        if o.qty.is_zero() {
            return Err(invalid("qty"));
        }
        if o.price.0 <= 0 {
            return Err(invalid("price"));
        }
        if o.order_id.0 == 0 {
            return Err(invalid("order_id"));
        }
        let s = &self.state.instruments[o.instrument.index()];
        self.check_switches(o, s)?;
        if self.state.recent.contains(o.order_id.0) || self.open_index.contains(o.order_id.0) {
            return Err(RiskReject::DuplicateOrderId {
                order_id: o.order_id,
            });
        }
        if o.qty > limits.max_order_qty {
            return Err(RiskReject::MaxOrderQty {
                qty: o.qty.0,
                max: limits.max_order_qty.0,
                instrument,
            });
        }
        let notional = o.price.notional(o.qty);
        if notional > limits.max_order_notional {
            return Err(RiskReject::MaxNotional {
                notional,
                max: limits.max_order_notional,
                instrument,
            });
        }
        check_collar(o, m, limits.collar_bps)?;
        check_position(o, s, &limits)?;
        check_credit(o, s, notional)?;
        let window_ns = self.limits.throttle_window_ns;
        if !s.throttle.allows(now_ns, window_ns) {
            return Err(RiskReject::Throttle {
                scope: "instrument",
                max: s.throttle.max(),
                window_ns,
                instrument,
            });
        }
        if !self.state.session_throttle.allows(now_ns, window_ns) {
            let max = self.state.session_throttle.max();
            return Err(RiskReject::Throttle {
                scope: "session",
                max,
                window_ns,
                instrument,
            });
        }
        if self.state.free.is_empty() {
            return Err(RiskReject::OpenOrdersFull {
                max: self.limits.max_open_orders,
            });
        }
        Ok(limits)
    }

    fn check_switches(&self, o: &OrderRequest, s: &InstrumentState) -> Result<(), RiskReject> {
        let instrument = o.instrument.0;
        if let Some(cause) = self.fail_closed_cause() {
            return Err(RiskReject::FailClosed {
                cause: cause.code(),
                instrument,
            });
        }
        let killed = self.state.kill_all || self.state.kill_venue || s.killed;
        if killed && !(self.limits.kill_switch_allows_reducing && reduces_position(o, s)) {
            let scope = if self.state.kill_all {
                "all"
            } else if self.state.kill_venue {
                "venue"
            } else {
                "instrument"
            };
            return Err(RiskReject::KillSwitch { scope, instrument });
        }
        if s.halted {
            return Err(RiskReject::InstrumentHalted { instrument });
        }
        Ok(())
    }

    fn reserve(
        &mut self,
        o: &OrderRequest,
        _limits: &InstrumentLimits,
        now_ns: u64,
    ) -> Reservation {
        let notional = o.price.notional(o.qty);
        let qty = i64::from(o.qty.0);
        let s = &mut self.state.instruments[o.instrument.index()];
        if o.side.is_sell() {
            s.open_sell += qty;
            s.credit_sell -= qty;
        } else {
            s.open_buy += qty;
            s.credit_buy -= qty;
        }
        s.credit_notional -= notional;
        s.reserved_notional += notional;
        s.throttle.record(now_ns);
        self.state.session_throttle.record(now_ns);
        self.state.recent.record(o.order_id.0);
        let slot = self
            .state
            .free
            .pop()
            .unwrap_or_else(|| unreachable!("check() saw a free slot"));
        self.state.open[slot as usize] = Some(OpenOrder {
            order_id: o.order_id,
            instrument: o.instrument,
            side: o.side,
            price: o.price,
            leaves: o.qty.0,
        });
        let inserted = self.open_index.insert(o.order_id.0, slot);
        debug_assert!(
            inserted.is_ok(),
            "check() refused duplicates and a full table"
        );
        self.accepted += 1;
        Reservation {
            order_id: o.order_id,
            instrument: o.instrument,
            side: o.side,
            price: o.price,
            qty: o.qty,
            notional,
        }
    }

    fn open_slot(&self, order_id: OrderId) -> Result<(u32, OpenOrder), RiskStateError> {
        let slot = self
            .open_index
            .get(order_id.0)
            .ok_or(RiskStateError::UnknownOrder { order_id })?;
        let order =
            self.state.open[slot as usize].ok_or(RiskStateError::UnknownOrder { order_id })?;
        Ok((slot, order))
    }

    /// Takes `qty` shares off an order's leaves and its side's open total; frees the order at
    /// zero. Returns the leaves left.
    fn take_leaves(&mut self, slot: u32, order: OpenOrder, qty: u32) -> u32 {
        let s = &mut self.state.instruments[order.instrument.index()];
        if order.side.is_sell() {
            s.open_sell -= i64::from(qty);
        } else {
            s.open_buy -= i64::from(qty);
        }
        s.reserved_notional -= order.price.notional(Qty(qty));
        let leaves = order.leaves - qty;
        if leaves == 0 {
            self.state.open[slot as usize] = None;
            self.open_index.remove(order.order_id.0);
            self.state.free.push(slot);
        } else if let Some(o) = self.state.open[slot as usize].as_mut() {
            o.leaves = leaves;
        }
        leaves
    }

    /// Applies a venue fill (OUCH 5.0 §3.5 Order Executed): the position moves by `fill_qty`
    /// (+ for buys), the filled shares leave the reservation, and their credit stays consumed
    /// (the aggregator re-grants credit after it sees the fill). A fill larger than the leaves
    /// is applied in full to the position and reported in `overfill_qty`.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownOrder`]: nothing changes.
    pub fn on_fill(
        &mut self,
        order_id: OrderId,
        fill_qty: Qty,
    ) -> Result<FillOutcome, RiskStateError> {
        let (slot, order) = self.open_slot(order_id)?;
        let taken = fill_qty.0.min(order.leaves);
        let leaves = self.take_leaves(slot, order, taken);
        let s = &mut self.state.instruments[order.instrument.index()];
        s.position += order.side.sign() * i64::from(fill_qty.0);
        Ok(FillOutcome {
            leaves_qty: Qty(leaves),
            position: s.position,
            overfill_qty: fill_qty.0 - taken,
            limit_price: order.price,
        })
    }

    /// Releases `qty` shares of an order's leaves (a partial cancel or a venue reduce,
    /// OUCH 5.0 §3.4 Order Canceled with a decrement): their shares and notional return to the
    /// credit slice. Returns the leaves left.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownOrder`], [`RiskStateError::CancelOverLeaves`]; nothing changes.
    pub fn on_cancel(&mut self, order_id: OrderId, qty: Qty) -> Result<Qty, RiskStateError> {
        let (slot, order) = self.open_slot(order_id)?;
        if qty.0 > order.leaves {
            return Err(RiskStateError::CancelOverLeaves {
                order_id,
                qty: qty.0,
                leaves: order.leaves,
            });
        }
        self.release(slot, order, qty.0)
    }

    /// The order is finished (cancelled, expired, IOC remainder, rejected by the venue, or never
    /// sent): all its leaves return to the credit slice. Returns the shares released.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownOrder`]; nothing changes.
    pub fn on_order_done(&mut self, order_id: OrderId) -> Result<Qty, RiskStateError> {
        let (slot, order) = self.open_slot(order_id)?;
        self.release(slot, order, order.leaves)?;
        Ok(Qty(order.leaves))
    }

    fn release(&mut self, slot: u32, order: OpenOrder, qty: u32) -> Result<Qty, RiskStateError> {
        let leaves = self.take_leaves(slot, order, qty);
        let s = &mut self.state.instruments[order.instrument.index()];
        if order.side.is_sell() {
            s.credit_sell += i64::from(qty);
        } else {
            s.credit_buy += i64::from(qty);
        }
        s.credit_notional += order.price.notional(Qty(qty));
        Ok(Qty(leaves))
    }

    fn instrument_mut(
        &mut self,
        instrument: InstrumentId,
    ) -> Result<&mut InstrumentState, RiskStateError> {
        self.state
            .instruments
            .get_mut(instrument.index())
            .ok_or(RiskStateError::UnknownInstrument { instrument })
    }

    /// Adds `credit` to the instrument's slice (SBE CreditGrant: additive amounts).
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`]; [`RiskStateError::CreditUnavailable`] for a
    /// negative amount or overflow. Nothing changes on error.
    pub fn grant_credit(
        &mut self,
        instrument: InstrumentId,
        credit: Credit,
    ) -> Result<CreditView, RiskStateError> {
        let s = self.instrument_mut(instrument)?;
        let unavailable = credit_unavailable(&credit, s);
        if credit.buy_shares < 0 || credit.sell_shares < 0 || credit.notional < 0 {
            return Err(unavailable);
        }
        let (Some(buy), Some(sell), Some(notional)) = (
            s.credit_buy.checked_add(credit.buy_shares),
            s.credit_sell.checked_add(credit.sell_shares),
            s.credit_notional.checked_add(credit.notional),
        ) else {
            return Err(unavailable);
        };
        (s.credit_buy, s.credit_sell, s.credit_notional) = (buy, sell, notional);
        self.credit(instrument)
            .ok_or(RiskStateError::UnknownInstrument { instrument })
    }

    /// Sets the instrument's slice to `held` (SBE CreditSlice, absolute): the unused credit
    /// becomes `held − reserved` per dimension (buy shares, sell shares, notional 1/10,000),
    /// so open orders keep their reservations and `unused + reserved == held`. Unused credit
    /// may go below zero when the reservations exceed `held`: new orders are then refused
    /// `RISK_CREDIT_EXHAUSTED` until the centre grants again. `held` comes from
    /// [`crate::held_after_statement`].
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`]; nothing changes.
    pub fn set_credit_held(
        &mut self,
        instrument: InstrumentId,
        held: Credit,
    ) -> Result<CreditView, RiskStateError> {
        let s = self.instrument_mut(instrument)?;
        s.credit_buy = held.buy_shares - s.open_buy;
        s.credit_sell = held.sell_shares - s.open_sell;
        s.credit_notional = held.notional - s.reserved_notional;
        self.credit(instrument)
            .ok_or(RiskStateError::UnknownInstrument { instrument })
    }

    /// Gives unused credit back to the aggregator (SBE CreditReturn).
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`]; [`RiskStateError::CreditUnavailable`] when
    /// any amount is negative or more than the unused amount on its dimension. Nothing
    /// changes on error.
    pub fn return_credit(
        &mut self,
        instrument: InstrumentId,
        credit: Credit,
    ) -> Result<CreditView, RiskStateError> {
        let s = self.instrument_mut(instrument)?;
        let c = &credit;
        if c.buy_shares < 0
            || c.sell_shares < 0
            || c.notional < 0
            || c.buy_shares > s.credit_buy
            || c.sell_shares > s.credit_sell
            || c.notional > s.credit_notional
        {
            return Err(credit_unavailable(c, s));
        }
        s.credit_buy -= c.buy_shares;
        s.credit_sell -= c.sell_shares;
        s.credit_notional -= c.notional;
        self.credit(instrument)
            .ok_or(RiskStateError::UnknownInstrument { instrument })
    }

    /// Re-creates an order's reservation exactly as [`Self::check_new_order`] made it, without
    /// any check (restart recovery replaying the journal: the order was accepted and sent
    /// before). Credit may go below zero if the journal says so; the throttle is not charged.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`]; [`RiskStateError::UnknownOrder`] when the id is
    /// already open or the open-order table is full. Nothing changes on error.
    pub fn restore_order(&mut self, o: &OrderRequest) -> Result<Reservation, RiskStateError> {
        let Some(limits) = self.limits.instruments.get(o.instrument.index()).copied() else {
            return Err(RiskStateError::UnknownInstrument {
                instrument: o.instrument,
            });
        };
        if self.open_index.contains(o.order_id.0) || self.state.free.is_empty() {
            return Err(RiskStateError::UnknownOrder {
                order_id: o.order_id,
            });
        }
        let throttle = self.state.instruments[o.instrument.index()]
            .throttle
            .clone();
        let session = self.state.session_throttle.clone();
        let reservation = self.reserve(o, &limits, 0);
        // Replay does not count against today's rate: put the windows back.
        self.state.instruments[o.instrument.index()].throttle = throttle;
        self.state.session_throttle = session;
        self.accepted -= 1;
        Ok(reservation)
    }

    /// Halts or resumes an instrument (e.g. from ITCH 5.0 §4.2.2 Stock Trading Action).
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`].
    pub fn set_halted(
        &mut self,
        instrument: InstrumentId,
        halted: bool,
    ) -> Result<(), RiskStateError> {
        self.instrument_mut(instrument)?.halted = halted;
        Ok(())
    }

    /// Turns a kill switch on or off. `All`, `Venue` and per-instrument switches are
    /// independent.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`].
    pub fn set_kill_switch(&mut self, scope: KillScope, on: bool) -> Result<(), RiskStateError> {
        match scope {
            KillScope::All => self.state.kill_all = on,
            KillScope::Venue => self.state.kill_venue = on,
            KillScope::Instrument(i) => self.instrument_mut(i)?.killed = on,
        }
        Ok(())
    }

    /// Fail closed for [`FailClosedCause::Operator`] (`true`) or clear that cause.
    pub fn set_fail_closed(&mut self, fail_closed: bool) {
        self.set_fail_closed_cause(FailClosedCause::Operator, fail_closed);
    }

    /// Adds (`on`) or removes one cause from the fail-closed set; the other causes stay as
    /// they are. The engine refuses every new order while the set is not empty.
    pub fn set_fail_closed_cause(&mut self, cause: FailClosedCause, on: bool) {
        if on {
            self.state.fail_closed |= cause.bit();
        } else {
            self.state.fail_closed &= !cause.bit();
        }
    }

    /// Whether the engine is failing closed (any cause).
    pub fn is_fail_closed(&self) -> bool {
        self.state.fail_closed != 0
    }

    /// Whether `cause` is in the fail-closed set.
    pub fn has_fail_closed_cause(&self, cause: FailClosedCause) -> bool {
        self.state.fail_closed & cause.bit() != 0
    }

    /// The first cause in force ([`FailClosedCause::ALL`] order), `None` when not failing
    /// closed.
    pub fn fail_closed_cause(&self) -> Option<FailClosedCause> {
        FailClosedCause::ALL
            .into_iter()
            .find(|c| self.has_fail_closed_cause(*c))
    }

    /// Whether a kill switch of `scope` is on (`None` for an unknown instrument).
    pub fn kill_switch(&self, scope: KillScope) -> Option<bool> {
        match scope {
            KillScope::All => Some(self.state.kill_all),
            KillScope::Venue => Some(self.state.kill_venue),
            KillScope::Instrument(i) => self.state.instruments.get(i.index()).map(|s| s.killed),
        }
    }

    /// Whether risk-reducing orders pass a kill switch (replaces
    /// [`RiskLimits::kill_switch_allows_reducing`]; e.g. from the SBE KillSwitch
    /// `allowRiskReducing` field).
    pub fn set_kill_switch_allows_reducing(&mut self, allows: bool) {
        self.limits.kill_switch_allows_reducing = allows;
    }

    /// The instrument's current limits, `None` for an unknown instrument.
    pub fn instrument_limits(&self, instrument: InstrumentId) -> Option<InstrumentLimits> {
        self.limits.instruments.get(instrument.index()).copied()
    }

    /// Replaces one instrument's limits (e.g. from the SBE RiskLimits message). Open orders
    /// keep their reservations; the new limits apply to the next check. The throttle ring was
    /// sized at start-up, so `max_orders_per_window` may not exceed the start-up value.
    ///
    /// # Errors
    /// [`LimitsError::Invalid`] (`instrument` for an unknown id, else the field that breaks
    /// [`RiskLimits::validate`]'s per-instrument rules or exceeds the ring); nothing changes.
    pub fn set_instrument_limits(
        &mut self,
        instrument: InstrumentId,
        limits: InstrumentLimits,
    ) -> Result<(), LimitsError> {
        let Some(state) = self.state.instruments.get_mut(instrument.index()) else {
            return Err(LimitsError::Invalid {
                field: "instrument",
                value: instrument.0.into(),
            });
        };
        limits.validate()?;
        if limits.max_orders_per_window > state.throttle.capacity() {
            return Err(LimitsError::Invalid {
                field: "instrument.max_orders_per_window",
                value: limits.max_orders_per_window.into(),
            });
        }
        let resized = state.throttle.set_max(limits.max_orders_per_window);
        debug_assert!(resized, "validated against the ring above");
        self.limits.instruments[instrument.index()] = limits;
        Ok(())
    }

    /// Sets the start-of-day (or reconciled) position, shares, + long.
    ///
    /// # Errors
    /// [`RiskStateError::UnknownInstrument`].
    pub fn set_position(
        &mut self,
        instrument: InstrumentId,
        position: i64,
    ) -> Result<(), RiskStateError> {
        self.instrument_mut(instrument)?.position = position;
        Ok(())
    }

    /// Net filled position, shares (+ long), `None` for an unknown instrument.
    pub fn position(&self, instrument: InstrumentId) -> Option<i64> {
        self.state
            .instruments
            .get(instrument.index())
            .map(|s| s.position)
    }

    /// Open (reserved) shares on `side` (both sells share one total).
    pub fn open_qty(&self, instrument: InstrumentId, side: Side) -> Option<i64> {
        let s = self.state.instruments.get(instrument.index())?;
        Some(if side.is_sell() {
            s.open_sell
        } else {
            s.open_buy
        })
    }

    /// The instrument's credit slice.
    pub fn credit(&self, instrument: InstrumentId) -> Option<CreditView> {
        let s = self.state.instruments.get(instrument.index())?;
        Some(CreditView {
            available: Credit {
                buy_shares: s.credit_buy,
                sell_shares: s.credit_sell,
                notional: s.credit_notional,
            },
            reserved_buy: s.open_buy,
            reserved_sell: s.open_sell,
            reserved_notional: s.reserved_notional,
        })
    }

    /// Orders currently holding a reservation.
    pub fn open_order_count(&self) -> usize {
        self.open_index.len()
    }

    /// Orders rejected with SBE reason `code` so far; 0 for codes the engine never emits.
    pub fn reject_count(&self, code: u16) -> u64 {
        self.rejects.get(code as usize).copied().unwrap_or(0)
    }

    /// Orders accepted so far.
    pub fn accepted_count(&self) -> u64 {
        self.accepted
    }

    /// True when every piece of decision state equals `other`'s (counters excluded).
    pub fn same_state(&self, other: &RiskEngine) -> bool {
        self.state == other.state && self.open_index.len() == other.open_index.len()
    }
}

/// Whether the order can only bring the absolute position toward zero, even if it and every
/// open order on its side fill.
fn reduces_position(o: &OrderRequest, s: &InstrumentState) -> bool {
    let qty = i64::from(o.qty.0);
    if o.side.is_sell() {
        s.position > 0 && s.position - s.open_sell - qty >= 0
    } else {
        s.position < 0 && s.position + s.open_buy + qty <= 0
    }
}

/// Price collar. Reference: for a buy the best ask, else the last trade, else the best bid;
/// for a sell the best bid, else the last trade, else the best ask. A buy may be at most
/// `collar_bps` above the reference, a sell at most `collar_bps` below; the band edge itself
/// passes. No reference at all, or a stale book, rejects (fail closed).
fn check_collar(o: &OrderRequest, m: &MarketView, collar_bps: u32) -> Result<(), RiskReject> {
    let instrument = o.instrument.0;
    if m.stale {
        return Err(RiskReject::StaleBook { instrument });
    }
    let reference = if o.side.is_sell() {
        m.best_bid.or(m.last_trade_price).or(m.best_ask)
    } else {
        m.best_ask.or(m.last_trade_price).or(m.best_bid)
    };
    let bps = i128::from(collar_bps);
    let price = i128::from(o.price.0);
    let reject = |reference: i64, limit: i128| RiskReject::PriceCollar {
        price: o.price.0,
        reference,
        limit: limit.clamp(i64::MIN.into(), i64::MAX.into()) as i64,
        collar_bps,
        instrument,
    };
    let Some(Price(r)) = reference else {
        return Err(reject(0, 0));
    };
    let r = i128::from(r);
    if o.side.is_sell() {
        // price >= r * (1 - bps/10,000), exactly.
        if price * BPS < r * (BPS - bps) {
            let edge = r * (BPS - bps);
            return Err(reject(r as i64, (edge + BPS - 1).div_euclid(BPS)));
        }
    } else if price * BPS > r * (BPS + bps) {
        return Err(reject(r as i64, (r * (BPS + bps)).div_euclid(BPS)));
    }
    Ok(())
}

/// Long: position + open buys + this buy <= max_long. Short: position - open sells - this sell
/// >= -max_short.
fn check_position(
    o: &OrderRequest,
    s: &InstrumentState,
    l: &InstrumentLimits,
) -> Result<(), RiskReject> {
    let qty = i64::from(o.qty.0);
    let instrument = o.instrument.0;
    if o.side.is_sell() {
        let worst_case = s.position - s.open_sell - qty;
        if worst_case < -l.max_short_position {
            return Err(RiskReject::PositionLimit {
                worst_case,
                max: -l.max_short_position,
                instrument,
            });
        }
    } else {
        let worst_case = s.position + s.open_buy + qty;
        if worst_case > l.max_long_position {
            return Err(RiskReject::PositionLimit {
                worst_case,
                max: l.max_long_position,
                instrument,
            });
        }
    }
    Ok(())
}

fn credit_unavailable(c: &Credit, s: &InstrumentState) -> RiskStateError {
    RiskStateError::CreditUnavailable {
        buy_shares: c.buy_shares,
        sell_shares: c.sell_shares,
        notional: c.notional,
        available_buy: s.credit_buy,
        available_sell: s.credit_sell,
        available_notional: s.credit_notional,
    }
}

/// The order's side budget (buy, or sell for both sells) in shares, then notional.
fn check_credit(o: &OrderRequest, s: &InstrumentState, notional: i128) -> Result<(), RiskReject> {
    let instrument = o.instrument.0;
    let qty = i64::from(o.qty.0);
    let (resource, available) = if o.side.is_sell() {
        ("sell_shares", s.credit_sell)
    } else {
        ("buy_shares", s.credit_buy)
    };
    if qty > available {
        return Err(RiskReject::CreditExhausted {
            resource,
            needed: qty.into(),
            available: available.into(),
            instrument,
        });
    }
    if notional > s.credit_notional {
        return Err(RiskReject::CreditExhausted {
            resource: "notional",
            needed: notional,
            available: s.credit_notional,
            instrument,
        });
    }
    Ok(())
}
