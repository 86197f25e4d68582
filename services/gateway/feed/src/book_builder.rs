//! ITCH 5.0 messages applied to the `crossbar-book` order book: the gateway's [`FeedHandler`].

use crossbar_book::{BookError, BookLimits, LevelUpdate, OrderBook};
use crossbar_itch::{ItchMessage, Stock};
use crossbar_model::{InstrumentId, Price, Qty, Side};

mod prefetch;
mod wire;

use crate::{FeedError, FeedHandler, FeedState};

/// Sizes of a [`BookBuilder`]: the book's limits plus the level-update buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookBuilderLimits {
    /// The order book's limits; `book.instruments` also bounds how many Stock Directory
    /// entries get an [`InstrumentId`] (later ones are counted and ignored).
    pub book: BookLimits,
    /// Level updates held until the caller drains them with [`BookBuilder::drain_updates`].
    pub level_updates: usize,
}

impl BookBuilderLimits {
    /// Most buffered level updates accepted.
    pub const LEVEL_UPDATES_MAX: usize = 1 << 24;

    /// Checks the book limits and the update buffer size (1..=2^24).
    ///
    /// # Errors
    /// [`FeedError::Book`] or [`FeedError::InvalidLimits`].
    pub fn validate(&self) -> Result<(), FeedError> {
        self.book.validate()?;
        if !(1..=Self::LEVEL_UPDATES_MAX).contains(&self.level_updates) {
            return Err(FeedError::InvalidLimits {
                field: "level_updates",
                value: self.level_updates as u64,
                min: 1,
                max: Self::LEVEL_UPDATES_MAX as u64,
            });
        }
        Ok(())
    }
}

/// What the builder did with the messages it was given. Monotonic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookBuilderCounters {
    /// Stock Directory (`R`) messages that mapped a new locate to an instrument.
    pub instruments_mapped: u64,
    /// Stock Directory messages past `book.instruments` (ignored).
    pub directory_overflow: u64,
    /// Stock Directory messages whose symbol is not in the configured universe (ignored;
    /// only with [`BookBuilder::with_universe`]).
    pub outside_universe: u64,
    /// Order messages for a locate no Stock Directory mapped (ignored).
    pub unknown_locate: u64,
    /// Book events the book rejected (details in [`OrderBook::counters`]).
    pub book_rejects: u64,
    /// Level updates not recorded because the buffer was full; see
    /// [`BookBuilder::take_updates_overflowed`].
    pub updates_dropped: u64,
    /// Trading Action (`H`) messages applied.
    pub trading_actions: u64,
}

/// Locate values that carry no instrument mapping.
const UNMAPPED: u32 = u32::MAX;

/// Builds one order book per instrument from ITCH 5.0: maps Stock Locate to a dense
/// [`InstrumentId`] from the Stock Directory (ITCH 5.0 §1.2.1), applies Add (A, F), Executed
/// (E, C), Cancel (X), Delete (D) and Replace (U) (§1.3–§1.4) to the book, tracks Trading
/// Action halts (H, §1.2.2), marks every book stale while the feed is not current, and records
/// each resulting [`LevelUpdate`] for publication.
#[derive(Debug)]
pub struct BookBuilder {
    book: OrderBook,
    locate_to_instrument: Vec<u32>,
    symbols: Vec<Stock>,
    /// With a configured universe: `(symbol, id)` sorted by symbol, and whether each id was
    /// mapped by a Stock Directory yet. Empty in directory-order mode.
    universe: Vec<(Stock, u32)>,
    mapped: Vec<bool>,
    halted: Vec<bool>,
    feed_stale: bool,
    updates: Vec<LevelUpdate>,
    updates_overflowed: bool,
    counters: BookBuilderCounters,
}

impl BookBuilder {
    /// A builder with every buffer allocated from `limits` (the locate table holds all
    /// 65,536 ITCH locates).
    ///
    /// # Errors
    /// [`FeedError::Book`] / [`FeedError::InvalidLimits`] for bad limits.
    pub fn new(limits: BookBuilderLimits) -> Result<Self, FeedError> {
        limits.validate()?;
        let instruments = limits.book.instruments as usize;
        Ok(Self {
            book: OrderBook::new(limits.book)?,
            locate_to_instrument: vec![UNMAPPED; usize::from(u16::MAX) + 1],
            symbols: Vec::with_capacity(instruments),
            universe: Vec::new(),
            mapped: Vec::new(),
            halted: Vec::with_capacity(instruments),
            feed_stale: false,
            updates: Vec::with_capacity(limits.level_updates),
            updates_overflowed: false,
            counters: BookBuilderCounters::default(),
        })
    }

    /// A builder for a platform-wide instrument universe: `universe[i]` is
    /// [`InstrumentId`]`(i)` whatever order the venue's Stock Directory (ITCH 5.0 §1.2.1)
    /// lists symbols in, so every gateway numbers instruments alike. Directory entries for
    /// other symbols are ignored and counted (`outside_universe`). Until its Stock Directory
    /// arrives an instrument reports halted (fail closed).
    ///
    /// # Errors
    /// As [`Self::new`]; [`FeedError::InvalidLimits`] (`universe`) when the universe is
    /// larger than `book.instruments`, and (`universe_duplicate`) when a symbol repeats.
    pub fn with_universe(limits: BookBuilderLimits, universe: &[Stock]) -> Result<Self, FeedError> {
        let mut builder = Self::new(limits)?;
        let max = u64::from(limits.book.instruments);
        if universe.len() as u64 > max {
            return Err(FeedError::InvalidLimits {
                field: "universe",
                value: universe.len() as u64,
                min: 0,
                max,
            });
        }
        let mut sorted: Vec<(Stock, u32)> = universe
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u32))
            .collect();
        sorted.sort_unstable_by_key(|(s, _)| s.0);
        if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(FeedError::InvalidLimits {
                field: "universe_duplicate",
                value: u64::from(w[1].1),
                min: 0,
                max,
            });
        }
        builder.universe = sorted;
        builder.mapped = vec![false; universe.len()];
        builder.symbols.extend_from_slice(universe);
        builder.halted.resize(universe.len(), true);
        Ok(builder)
    }

    /// True when a Stock Directory has mapped `instrument` (always true for ids below
    /// [`Self::instrument_count`] in directory-order mode).
    pub fn is_mapped(&self, instrument: InstrumentId) -> bool {
        if self.universe.is_empty() {
            instrument.index() < self.symbols.len()
        } else {
            self.mapped
                .get(instrument.index())
                .copied()
                .unwrap_or(false)
        }
    }

    /// The order book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// Counts so far.
    pub fn counters(&self) -> &BookBuilderCounters {
        &self.counters
    }

    /// Instruments with an id: mapped so far in directory-order mode ([`Self::new`]), the
    /// configured universe's size with [`Self::with_universe`]. Ids are
    /// `0..instrument_count()`.
    pub fn instrument_count(&self) -> usize {
        self.symbols.len()
    }

    /// The instrument of an ITCH Stock Locate, once its Stock Directory was seen.
    #[inline]
    pub fn instrument(&self, stock_locate: u16) -> Option<InstrumentId> {
        match self.locate_to_instrument[usize::from(stock_locate)] {
            UNMAPPED => None,
            id => Some(InstrumentId(id)),
        }
    }

    /// The symbol of a mapped instrument.
    pub fn symbol(&self, instrument: InstrumentId) -> Option<Stock> {
        self.symbols.get(instrument.index()).copied()
    }

    /// True when the last Trading Action for the instrument was not `T` (trading): halted,
    /// paused or quotation only. Unknown instruments report `true` (fail closed).
    pub fn is_halted(&self, instrument: InstrumentId) -> bool {
        self.halted.get(instrument.index()).copied().unwrap_or(true)
    }

    /// True when orders may be priced against this instrument's book: mapped, not stale, not
    /// halted.
    pub fn is_tradable(&self, instrument: InstrumentId) -> bool {
        !self.book.is_stale(instrument) && !self.is_halted(instrument)
    }

    /// Removes and yields the recorded level updates, oldest first (the buffer keeps its
    /// capacity, so this does not allocate).
    pub fn drain_updates(&mut self) -> std::vec::Drain<'_, LevelUpdate> {
        self.updates.drain(..)
    }

    /// True (once, then reset) when updates were dropped because the buffer was full since the
    /// last call: the publisher must then send full depth rather than deltas.
    pub fn take_updates_overflowed(&mut self) -> bool {
        std::mem::take(&mut self.updates_overflowed)
    }

    #[inline(always)]
    fn record(&mut self, update: LevelUpdate) {
        if self.updates.len() < self.updates.capacity() {
            self.updates.push(update);
        } else {
            self.counters.updates_dropped += 1;
            self.updates_overflowed = true;
        }
    }

    fn map_directory(&mut self, stock_locate: u16, stock: Stock) {
        if self.instrument(stock_locate).is_some() {
            return;
        }
        if !self.universe.is_empty() {
            self.map_universe(stock_locate, stock);
            return;
        }
        if self.symbols.len() >= self.book.limits().instruments as usize {
            self.counters.directory_overflow += 1;
            return;
        }
        let id = InstrumentId(self.symbols.len() as u32);
        self.locate_to_instrument[usize::from(stock_locate)] = id.0;
        self.symbols.push(stock);
        self.halted.push(false);
        // A mapped id is below book.instruments, so set_stale cannot fail.
        let _ = self.book.set_stale(id, self.feed_stale);
        self.counters.instruments_mapped += 1;
    }

    fn map_universe(&mut self, stock_locate: u16, stock: Stock) {
        let Ok(pos) = self.universe.binary_search_by_key(&stock.0, |(s, _)| s.0) else {
            self.counters.outside_universe += 1;
            return;
        };
        let id = self.universe[pos].1;
        if self.mapped[id as usize] {
            // The same symbol under a second locate: keep the first mapping.
            self.counters.directory_overflow += 1;
            return;
        }
        self.mapped[id as usize] = true;
        self.halted[id as usize] = false;
        self.locate_to_instrument[usize::from(stock_locate)] = id;
        // A universe id is below book.instruments, so set_stale cannot fail.
        let _ = self.book.set_stale(InstrumentId(id), self.feed_stale);
        self.counters.instruments_mapped += 1;
    }

    #[inline]
    fn mapped(&mut self, stock_locate: u16) -> Option<InstrumentId> {
        let id = self.instrument(stock_locate);
        if id.is_none() {
            self.counters.unknown_locate += 1;
        }
        id
    }

    /// Applies one decoded message (the path of [`FeedHandler::on_message`]).
    fn apply(&mut self, message: &ItchMessage) {
        match message {
            ItchMessage::StockDirectory(m) => self.map_directory(m.header.stock_locate, m.stock),
            ItchMessage::StockTradingAction(m) => {
                self.trading_action(m.header.stock_locate, m.trading_state)
            }
            ItchMessage::AddOrder(m) => self.add(
                m.header.stock_locate,
                m.order_reference_number,
                m.side,
                m.price,
                m.shares,
            ),
            ItchMessage::AddOrderMpid(m) => self.add(
                m.header.stock_locate,
                m.order_reference_number,
                m.side,
                m.price,
                m.shares,
            ),
            ItchMessage::OrderExecuted(m) => {
                self.execute(m.order_reference_number, m.executed_shares)
            }
            ItchMessage::OrderExecutedWithPrice(m) => {
                self.execute(m.order_reference_number, m.executed_shares)
            }
            ItchMessage::OrderCancel(m) => {
                self.cancel(m.order_reference_number, m.cancelled_shares)
            }
            ItchMessage::OrderDelete(m) => self.delete(m.order_reference_number),
            ItchMessage::OrderReplace(m) => self.replace(
                m.original_order_reference_number,
                m.new_order_reference_number,
                m.price,
                m.shares,
            ),
            _ => {}
        }
    }

    /// Trading Action (ITCH 5.0 §1.2.2): halted unless the state is `T`.
    #[inline]
    fn trading_action(&mut self, stock_locate: u16, trading_state: u8) {
        if let Some(id) = self.mapped(stock_locate) {
            self.halted[id.index()] = trading_state != b'T';
            self.counters.trading_actions += 1;
        }
    }

    /// Add Order / Add Order with MPID (ITCH 5.0 §1.3.1–§1.3.2).
    #[inline(always)]
    fn add(&mut self, stock_locate: u16, order_ref: u64, side: Side, price: Price, shares: Qty) {
        let Some(id) = self.mapped(stock_locate) else {
            return;
        };
        match self.book.add(order_ref, id, side, price, shares) {
            Ok(u) => self.record(u),
            Err(e) => self.rejected(e),
        }
    }

    /// Order Executed / with Price (ITCH 5.0 §1.4.1–§1.4.2).
    #[inline(always)]
    fn execute(&mut self, order_ref: u64, shares: Qty) {
        match self.book.execute(order_ref, shares) {
            Ok(r) => self.record(r.level),
            Err(e) => self.rejected(e),
        }
    }

    /// Order Cancel (ITCH 5.0 §1.4.3).
    #[inline(always)]
    fn cancel(&mut self, order_ref: u64, shares: Qty) {
        match self.book.cancel(order_ref, shares) {
            Ok(r) => self.record(r.level),
            Err(e) => self.rejected(e),
        }
    }

    /// Order Delete (ITCH 5.0 §1.4.4).
    #[inline(always)]
    fn delete(&mut self, order_ref: u64) {
        match self.book.delete(order_ref) {
            Ok(u) => self.record(u),
            Err(e) => self.rejected(e),
        }
    }

    /// Order Replace (ITCH 5.0 §1.4.5).
    #[inline(always)]
    fn replace(&mut self, old_ref: u64, new_ref: u64, price: Price, shares: Qty) {
        match self.book.replace(old_ref, new_ref, price, shares) {
            Ok(r) => {
                self.record(r.removed);
                self.record(r.added);
            }
            Err(e) => self.rejected(e),
        }
    }

    #[cold]
    fn rejected(&mut self, e: BookError) {
        self.counters.book_rejects += 1;
        tracing::debug!(error = %e, "book rejected ITCH event");
    }

    fn set_all_stale(&mut self, stale: bool) {
        self.feed_stale = stale;
        for id in 0..self.symbols.len() {
            // Every mapped id is below book.instruments, so set_stale cannot fail.
            let _ = self.book.set_stale(InstrumentId(id as u32), stale);
        }
    }
}

impl FeedHandler for BookBuilder {
    fn on_message(&mut self, _sequence_number: u64, message: &ItchMessage, _now_ns: u64) {
        self.apply(message);
    }

    /// The fused path: [`BookBuilder::on_message_bytes`].
    #[inline]
    fn on_message_bytes(
        &mut self,
        _sequence_number: u64,
        bytes: &[u8],
        _now_ns: u64,
    ) -> Result<(), crossbar_itch::ItchError> {
        BookBuilder::on_message_bytes(self, bytes)
    }

    /// The pipelined path's hints (`BookBuilder::on_messages_bytes`): cache lines of the book
    /// the message will touch; never changes state.
    #[inline(always)]
    fn prefetch_message_bytes(&self, stage: usize, bytes: &[u8]) {
        self.prefetch_stage(stage, bytes);
    }

    /// Marks every mapped instrument stale while the feed is not current, and fresh again
    /// when it is (gap recovered, or session ended with nothing missing).
    fn on_feed_state(&mut self, state: FeedState, _now_ns: u64) {
        let stale = !state.is_current();
        if stale != self.feed_stale {
            self.set_all_stale(stale);
        }
    }
}
