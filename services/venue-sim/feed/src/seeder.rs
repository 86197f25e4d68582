//! The seeder: replays an ITCH 5.0 history into the matching engine and the published
//! stream, so a subscriber's book equals the engine's.

use std::collections::HashMap;

use crossbar_itch::{ItchMessage, Stock};
use crossbar_matching::{Event, FeedEvent, MatchError, MatchingEngine};
use crossbar_model::{InstrumentId, Qty};
use crossbar_runtime::{Agent, Counter, CounterSet};

use crate::{FeedError, MoldPublisher, SeedReader, SeedSource};

/// How fast the seeder replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedPace {
    /// As many messages per duty cycle as the publisher's backlog allows.
    AsFastAsPossible,
    /// At most this many messages per duty cycle (and within the backlog bound).
    PerDutyCycle(u32),
}

/// How a [`Seeder`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeederConfig {
    /// Replay speed.
    pub pace: SeedPace,
    /// Most messages sequenced but not yet sent by the publisher before the seeder waits
    /// (default 4,096), so a fast source never outruns the history's capacity.
    pub backlog_max: u64,
}

impl Default for SeederConfig {
    fn default() -> Self {
        Self {
            pace: SeedPace::AsFastAsPossible,
            backlog_max: 4_096,
        }
    }
}

/// Maps ITCH Stock Locate codes (ITCH 5.0 §1.1 "Stock Locate", u16) to dense
/// [`InstrumentId`]s `0..capacity`, assigned in order of first appearance (Stock Directory or
/// first Add Order), and remembers each instrument's locate and Stock symbol (ITCH 5.0 §1.2.1
/// Stock Directory "Stock", or the first Add Order's) both ways, so a venue can name its
/// instruments on its own feed and look up the symbols clients send. All tables are allocated
/// once: a 256 KiB locate table plus one entry per instrument (at most 65,536).
#[derive(Clone, Debug)]
pub struct LocateMap {
    table: Box<[u32]>,
    assigned: u32,
    capacity: u32,
    /// Locate of each assigned instrument, by instrument id.
    locates: Vec<u16>,
    /// Symbol of each assigned instrument (`Stock::default()`, all zero bytes, until named).
    symbols: Vec<Stock>,
    by_symbol: HashMap<Stock, u32>,
}

impl LocateMap {
    const NONE: u32 = u32::MAX;

    /// An empty map that assigns at most `capacity` instruments.
    pub fn new(capacity: u32) -> Self {
        let entries = (capacity as usize).min(usize::from(u16::MAX) + 1);
        Self {
            table: vec![Self::NONE; usize::from(u16::MAX) + 1].into_boxed_slice(),
            assigned: 0,
            capacity,
            locates: Vec::with_capacity(entries),
            symbols: Vec::with_capacity(entries),
            by_symbol: HashMap::with_capacity(entries),
        }
    }

    /// The instrument of `locate`, if assigned.
    pub fn get(&self, locate: u16) -> Option<InstrumentId> {
        let id = self.table[usize::from(locate)];
        (id != Self::NONE).then_some(InstrumentId(id))
    }

    /// The instrument of `locate`, assigning the next id if new; `None` when full.
    pub fn get_or_assign(&mut self, locate: u16) -> Option<InstrumentId> {
        if let Some(id) = self.get(locate) {
            return Some(id);
        }
        if self.assigned == self.capacity {
            return None;
        }
        self.table[usize::from(locate)] = self.assigned;
        self.locates.push(locate);
        self.symbols.push(Stock::default());
        self.assigned += 1;
        Some(InstrumentId(self.assigned - 1))
    }

    /// Names `instrument` `stock` unless it already has a name or another instrument has
    /// that name (the first name wins: a Stock Directory precedes the stock's orders).
    /// Returns true when the name was recorded.
    pub fn name(&mut self, instrument: InstrumentId, stock: Stock) -> bool {
        let Some(slot) = self.symbols.get_mut(instrument.index()) else {
            return false;
        };
        if *slot != Stock::default() || self.by_symbol.contains_key(&stock) {
            return false;
        }
        *slot = stock;
        self.by_symbol.insert(stock, instrument.0);
        true
    }

    /// The locate `instrument` was assigned from.
    pub fn locate_of(&self, instrument: InstrumentId) -> Option<u16> {
        self.locates.get(instrument.index()).copied()
    }

    /// The symbol of `instrument`, once named.
    pub fn symbol_of(&self, instrument: InstrumentId) -> Option<Stock> {
        self.symbols
            .get(instrument.index())
            .copied()
            .filter(|s| *s != Stock::default())
    }

    /// The instrument named `stock` (8 bytes, space padded), if any.
    pub fn instrument_of(&self, stock: &Stock) -> Option<InstrumentId> {
        self.by_symbol.get(stock).map(|&id| InstrumentId(id))
    }

    /// Instruments assigned so far.
    pub fn len(&self) -> u32 {
        self.assigned
    }

    /// True when none is assigned.
    pub fn is_empty(&self) -> bool {
        self.assigned == 0
    }
}

/// The seeder's counters, registered under `venue_feed.seed.*`.
#[derive(Clone, Debug)]
pub struct SeederCounters {
    /// Messages read from the source.
    pub messages_read: Counter,
    /// Messages republished (sequenced into the history).
    pub messages_published: Counter,
    /// Order messages (A F E C X D U) the engine applied.
    pub engine_applied: Counter,
    /// Order messages the engine refused (not republished).
    pub engine_rejected: Counter,
    /// Adds refused because the locate map is full (not republished).
    pub instruments_full: Counter,
    /// Messages that could not be re-encoded or published.
    pub publish_errors: Counter,
}

impl SeederCounters {
    /// Registers the counters in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |label: &str| set.register(&format!("venue_feed.seed.{label}"));
        Self {
            messages_read: c("messages_read"),
            messages_published: c("messages_published"),
            engine_applied: c("engine_applied"),
            engine_rejected: c("engine_rejected"),
            instruments_full: c("instruments_full"),
            publish_errors: c("publish_errors"),
        }
    }
}

/// Why an order message was not applied.
enum Refused {
    Engine,
    InstrumentsFull,
}

/// Replays a [`SeedSource`] into a [`MatchingEngine`] (ITCH 5.0 §1.3.1-2 A/F via
/// `seed_add`, §1.4.1-2 E/C via `seed_execute`, §1.4.3 X `seed_cancel`, §1.4.4 D
/// `seed_delete`, §1.4.5 U `seed_replace`) and republishes each message through a
/// [`MoldPublisher`] with the venue's own sequence numbers.
///
/// Published: every non-order message unchanged, and every order message the engine
/// applied (an execute or cancel the engine clamped to the open shares is republished with
/// the shares applied). Refused order messages are counted and not published, so a
/// subscriber applying the stream holds exactly the engine's book.
pub struct Seeder {
    reader: SeedReader,
    locates: LocateMap,
    config: SeederConfig,
    counters: SeederCounters,
    events: Vec<Event>,
    done: bool,
}

impl Seeder {
    /// Opens `source`; locates map to at most `instruments` instruments (the engine's
    /// `MatchingLimits::instruments`).
    ///
    /// # Errors
    /// [`FeedError::Source`] from [`SeedReader::open`]; [`FeedError::InvalidLimits`] when
    /// `pace` is `PerDutyCycle(0)` or `backlog_max` is 0.
    pub fn new(
        source: &SeedSource,
        config: SeederConfig,
        instruments: u32,
        counters: &mut CounterSet,
    ) -> Result<Self, FeedError> {
        if let SeedPace::PerDutyCycle(n) = config.pace {
            crate::limits::check("pace", n as usize, 1, u32::MAX as usize)?;
        }
        crate::limits::check("backlog_max", config.backlog_max as usize, 1, 1 << 30)?;
        Ok(Self {
            reader: SeedReader::open(source)?,
            locates: LocateMap::new(instruments),
            config,
            counters: SeederCounters::register(counters),
            events: Vec::with_capacity(8),
            done: false,
        })
    }

    /// True once the source is exhausted.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The locate → instrument map built so far.
    pub fn locates(&self) -> &LocateMap {
        &self.locates
    }

    /// The counters.
    pub fn counters(&self) -> &SeederCounters {
        &self.counters
    }

    /// The source's skip counts.
    pub fn source_stats(&self) -> crate::SourceStats {
        self.reader.stats()
    }

    /// Reads, applies and publishes up to the pace's budget (bounded by the publisher's
    /// backlog), at venue time `now_ns`. Returns messages read.
    pub fn step(
        &mut self,
        engine: &mut MatchingEngine,
        publisher: &mut MoldPublisher,
        now_ns: u64,
    ) -> usize {
        let room = self.config.backlog_max.saturating_sub(publisher.backlog());
        let budget = match self.config.pace {
            SeedPace::AsFastAsPossible => room,
            SeedPace::PerDutyCycle(n) => room.min(u64::from(n)),
        };
        let mut read = 0;
        while read < budget && !self.done {
            let Some(message) = self.reader.next_message() else {
                self.done = true;
                break;
            };
            read += 1;
            self.counters.messages_read.increment();
            match self.apply(&message, engine) {
                Ok(out) => self.publish(&out, publisher, now_ns),
                Err(Refused::Engine) => self.counters.engine_rejected.increment(),
                Err(Refused::InstrumentsFull) => self.counters.instruments_full.increment(),
            }
        }
        read as usize
    }

    fn publish(&mut self, message: &ItchMessage, publisher: &mut MoldPublisher, now_ns: u64) {
        let mut buf = [0u8; 64];
        let published = message
            .encode(&mut buf)
            .ok()
            .and_then(|len| publisher.publish(&buf[..len], now_ns).ok());
        match published {
            Some(_) => self.counters.messages_published.increment(),
            None => self.counters.publish_errors.increment(),
        }
    }

    /// Applies one message to the engine; returns the message to publish.
    fn apply(
        &mut self,
        message: &ItchMessage,
        engine: &mut MatchingEngine,
    ) -> Result<ItchMessage, Refused> {
        self.events.clear();
        let ev = &mut self.events;
        let result: Result<(), MatchError> = match message {
            ItchMessage::StockDirectory(m) => {
                // Assign directory order; a full map only matters for later adds.
                if let Some(inst) = self.locates.get_or_assign(m.header.stock_locate) {
                    self.locates.name(inst, m.stock);
                }
                return Ok(*message);
            }
            ItchMessage::AddOrder(m) => {
                let inst = self
                    .locates
                    .get_or_assign(m.header.stock_locate)
                    .ok_or(Refused::InstrumentsFull)?;
                if self.locates.symbol_of(inst).is_none() {
                    self.locates.name(inst, m.stock);
                }
                engine.seed_add(
                    m.order_reference_number,
                    inst,
                    m.side,
                    m.price,
                    m.shares,
                    ev,
                )
            }
            ItchMessage::AddOrderMpid(m) => {
                let inst = self
                    .locates
                    .get_or_assign(m.header.stock_locate)
                    .ok_or(Refused::InstrumentsFull)?;
                if self.locates.symbol_of(inst).is_none() {
                    self.locates.name(inst, m.stock);
                }
                engine.seed_add(
                    m.order_reference_number,
                    inst,
                    m.side,
                    m.price,
                    m.shares,
                    ev,
                )
            }
            ItchMessage::OrderExecuted(m) => engine.seed_execute(
                m.order_reference_number,
                m.executed_shares,
                m.match_number,
                ev,
            ),
            ItchMessage::OrderExecutedWithPrice(m) => engine.seed_execute(
                m.order_reference_number,
                m.executed_shares,
                m.match_number,
                ev,
            ),
            ItchMessage::OrderCancel(m) => {
                engine.seed_cancel(m.order_reference_number, m.cancelled_shares, ev)
            }
            ItchMessage::OrderDelete(m) => engine.seed_delete(m.order_reference_number, ev),
            ItchMessage::OrderReplace(m) => engine.seed_replace(
                m.original_order_reference_number,
                m.new_order_reference_number,
                m.shares,
                m.price,
                ev,
            ),
            _ => return Ok(*message),
        };
        result.map_err(|_| Refused::Engine)?;
        self.counters.engine_applied.increment();
        Ok(with_applied_qty(*message, &self.events))
    }
}

/// `message` with its shares replaced by what the engine applied, when the engine clamped
/// an execute or cancel to the open shares.
fn with_applied_qty(mut message: ItchMessage, events: &[Event]) -> ItchMessage {
    let applied = events.iter().find_map(|e| match e {
        Event::Feed(FeedEvent::OrderExecuted { qty, .. }) => Some(*qty),
        Event::Feed(FeedEvent::OrderCancel { cancelled_qty, .. }) => Some(*cancelled_qty),
        _ => None,
    });
    let Some(Qty(applied)) = applied else {
        return message;
    };
    match &mut message {
        ItchMessage::OrderExecuted(m) => m.executed_shares.0 = m.executed_shares.0.min(applied),
        ItchMessage::OrderExecutedWithPrice(m) => {
            m.executed_shares.0 = m.executed_shares.0.min(applied)
        }
        ItchMessage::OrderCancel(m) => m.cancelled_shares.0 = m.cancelled_shares.0.min(applied),
        _ => {}
    }
    message
}

/// One agent for a seeded venue feed: each duty cycle seeds a batch into the engine and the
/// history, then lets the publisher send it. Run the [`crate::RequestServer`] beside it (the
/// same or another thread).
pub struct SeededFeedAgent {
    /// The seeder.
    pub seeder: Seeder,
    /// The venue's matching engine.
    pub engine: MatchingEngine,
    /// The publisher.
    pub publisher: MoldPublisher,
}

impl Agent for SeededFeedAgent {
    fn role_name(&self) -> &str {
        "vfeed-seeded"
    }

    fn do_work(&mut self, now_ns: u64) -> usize {
        let seeded = self
            .seeder
            .step(&mut self.engine, &mut self.publisher, now_ns);
        seeded + self.publisher.do_work(now_ns)
    }

    fn on_close(&mut self) {
        self.publisher.on_close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbar_itch::{Header, OrderCancel, OrderExecuted};

    #[test]
    fn locate_map_assigns_dense_ids_in_first_seen_order_up_to_capacity() {
        let mut map = LocateMap::new(2);
        assert!(map.is_empty() && map.get(7).is_none());
        assert_eq!(map.get_or_assign(7), Some(InstrumentId(0)));
        assert_eq!(map.get_or_assign(65_535), Some(InstrumentId(1)));
        assert_eq!(map.get_or_assign(7), Some(InstrumentId(0)));
        assert_eq!(map.get_or_assign(1), None, "full");
        assert_eq!((map.len(), map.get(65_535)), (2, Some(InstrumentId(1))));
    }

    #[test]
    fn locate_map_names_instruments_both_ways_first_name_wins() {
        let mut map = LocateMap::new(3);
        let aapl = Stock::from_symbol("AAPL").unwrap();
        let msft = Stock::from_symbol("MSFT").unwrap();
        let a = map.get_or_assign(12).unwrap();
        let b = map.get_or_assign(3).unwrap();
        assert_eq!((map.symbol_of(a), map.locate_of(b)), (None, Some(3)));
        assert!(map.name(a, aapl));
        assert!(!map.name(a, msft), "already named");
        assert!(!map.name(b, aapl), "name taken by another instrument");
        assert!(map.name(b, msft));
        assert!(!map.name(InstrumentId(7), msft), "unassigned instrument");
        assert_eq!(map.instrument_of(&aapl), Some(a));
        assert_eq!(map.instrument_of(&msft), Some(b));
        assert_eq!(map.symbol_of(b), Some(msft));
        assert_eq!(map.locate_of(a), Some(12));
        assert_eq!(map.instrument_of(&Stock::from_symbol("IBM").unwrap()), None);
    }

    #[test]
    fn seeder_names_instruments_from_the_directory() {
        let symbols: Vec<Stock> = ["ZVZZT", "AAPL"]
            .iter()
            .map(|s| Stock::from_symbol(s).unwrap())
            .collect();
        let source = SeedSource::GeneratedSymbols {
            config: crossbar_itch::generate::DayConfig {
                seed: 4,
                instruments: 1,
                messages: 200,
            },
            symbols: symbols.clone(),
        };
        let mut counters = CounterSet::new();
        let mut seeder = Seeder::new(&source, SeederConfig::default(), 8, &mut counters).unwrap();
        let mut engine = MatchingEngine::new(crossbar_matching::MatchingConfig::new(
            crossbar_matching::MatchingLimits {
                instruments: 8,
                orders: 10_000,
                levels_per_side: 1_000,
                sessions: 1,
                order_qty_max: 999_999,
            },
        ))
        .unwrap();
        while let Some(message) = seeder.reader.next_message() {
            let _ = seeder.apply(&message, &mut engine);
        }
        let map = seeder.locates();
        assert_eq!(map.instrument_of(&symbols[1]), Some(InstrumentId(1)));
        assert_eq!(map.symbol_of(InstrumentId(0)), Some(symbols[0]));
        assert_eq!(map.locate_of(InstrumentId(1)), Some(2));
    }

    #[test]
    fn clamped_executes_and_cancels_are_republished_with_the_applied_shares() {
        let header = Header {
            stock_locate: 1,
            tracking_number: 0,
            timestamp_ns: 5,
        };
        let executed: ItchMessage = OrderExecuted {
            header,
            order_reference_number: 9,
            executed_shares: Qty(300),
            match_number: 4,
        }
        .into();
        let events = [Event::Feed(FeedEvent::OrderExecuted {
            instrument: InstrumentId(0),
            order_ref: 9,
            qty: Qty(120),
            match_number: 4,
        })];
        let ItchMessage::OrderExecuted(out) = with_applied_qty(executed, &events) else {
            panic!("type kept");
        };
        assert_eq!((out.executed_shares, out.match_number), (Qty(120), 4));
        let cancel: ItchMessage = OrderCancel {
            header,
            order_reference_number: 9,
            cancelled_shares: Qty(50),
        }
        .into();
        let events = [Event::Feed(FeedEvent::OrderCancel {
            instrument: InstrumentId(0),
            order_ref: 9,
            cancelled_qty: Qty(50),
        })];
        assert_eq!(
            with_applied_qty(cancel, &events),
            cancel,
            "unclamped: unchanged"
        );
    }
}
