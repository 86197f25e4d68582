//! [`MarketData`]: the gateway's feed handler. It applies ITCH 5.0 to the
//! [`BookBuilder`] and publishes what changed on the market-data Aeron stream as SBE:
//!
//! * one BookLevelDelta per feed event that changed levels (a replace's two changes in one
//!   message), `sequence` = the event's MoldUDP64 sequence number;
//! * TopOfBook when the instrument's best bid or offer (price or size) changed;
//! * InstrumentStatus on Stock Directory (ITCH 5.0 §1.2.1) and Trading Action (§1.2.2);
//! * FeedStatus on every feed state change (and periodically, from the agent).
//!
//! A refused offer (back pressure, no subscriber) never blocks: the instrument is marked
//! dirty, its deltas are no longer sent, and [`MarketData::republish_dirty`] later sends a
//! full refresh (InstrumentStatus, a BookLevelDelta that clears both sides and lists every
//! level, TopOfBook) once offers succeed again. Every buffer is sized at start-up.

use crossbar_book::{Level, LevelAction, LevelUpdate, OrderBook};
use crossbar_feed::{BookBuilder, FeedHandler, FeedState};
use crossbar_itch::ItchMessage;
use crossbar_model::{InstrumentId, Side};
use crossbar_runtime::{Counter, CounterSet};
use crossbar_sbe::generated as g;
use crossbar_sbe::{BookAction, TradingStatus, GROUP_HEADER_LEN, HEADER_LEN};
use crossbar_transport::Publisher;

/// `levelIndex` of a full refresh's "clear this side" entry (action Delete, price 0): the
/// consumer drops every level it holds on that side before applying the entries after it.
pub const CLEAR_SIDE_LEVEL_INDEX: u16 = u16::MAX;

/// Instruments refreshed per duty cycle at most (bounds one `do_work`).
const REFRESHES_PER_CYCLE: usize = 8;

/// Bytes of the largest BookLevelDelta: a full refresh of `levels_per_side` levels per side.
pub fn refresh_bytes(levels_per_side: u32) -> usize {
    HEADER_LEN
        + g::BookLevelDeltaEncoder::BLOCK_LENGTH
        + GROUP_HEADER_LEN
        + g::BookLevelDeltaLevelsEncoder::ENTRY_BLOCK_LENGTH * (2 + 2 * levels_per_side as usize)
}

/// What the market-data side counted, registered as `md.<name>`.
#[derive(Clone, Debug)]
pub struct MarketDataCounters {
    /// BookLevelDelta messages published (refreshes included).
    pub deltas: Counter,
    /// TopOfBook messages published.
    pub tops: Counter,
    /// InstrumentStatus messages published.
    pub statuses: Counter,
    /// FeedStatus messages published.
    pub feed_statuses: Counter,
    /// Heartbeats published.
    pub heartbeats: Counter,
    /// Offers Aeron refused (all kinds; details in `pub.market_data.*`).
    pub refused: Counter,
    /// Times an instrument was marked dirty.
    pub dirty_marked: Counter,
    /// Full refreshes published.
    pub refreshes: Counter,
    /// Deltas not sent because the instrument was waiting for a refresh.
    pub suppressed: Counter,
    /// Times every instrument was queued for a full refresh because the centre came back
    /// ([`MarketData::refresh_all`]).
    pub refresh_all: Counter,
}

impl MarketDataCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("md.{n}"));
        Self {
            deltas: c("deltas"),
            tops: c("tops"),
            statuses: c("statuses"),
            feed_statuses: c("feed_statuses"),
            heartbeats: c("heartbeats"),
            refused: c("refused"),
            dirty_marked: c("dirty_marked"),
            refreshes: c("refreshes"),
            suppressed: c("suppressed"),
            refresh_all: c("refresh_all"),
        }
    }
}

/// Best bid and offer as last published: (bid price, bid qty, ask price, ask qty), empty
/// sides 0 (the SBE TopOfBook convention).
type Touch = [u64; 4];

fn touch_of(book: &OrderBook, id: InstrumentId) -> Touch {
    let side = |l: Option<Level>| l.map_or((0, 0), |l| (l.price.0 as u64, l.qty));
    let (bp, bq) = side(book.best_bid(id));
    let (ap, aq) = side(book.best_ask(id));
    [bp, bq, ap, aq]
}

/// The feed handler that publishes (see the module docs).
pub struct MarketData {
    builder: BookBuilder,
    publisher: Publisher,
    venue_id: u16,
    gateway_id: u16,
    buf: Vec<u8>,
    depth: Vec<Level>,
    updates: Vec<LevelUpdate>,
    touches: Vec<Touch>,
    dirty: Vec<bool>,
    dirty_list: Vec<u32>,
    state: FeedState,
    last_sequence: u64,
    gaps: u64,
    feed_status_pending: bool,
    heartbeat_sequence: u64,
    counters: MarketDataCounters,
}

fn sbe_side(side: Side) -> g::Side {
    if side.is_sell() {
        g::Side::Sell
    } else {
        g::Side::Buy
    }
}

fn book_action(action: LevelAction) -> BookAction {
    match action {
        LevelAction::New => BookAction::New,
        LevelAction::Change => BookAction::Change,
        LevelAction::Delete => BookAction::Delete,
    }
}

/// ITCH 5.0 §1.2.2 Trading State as the SBE TradingStatus.
fn trading_status(state: u8) -> TradingStatus {
    match state {
        b'T' => TradingStatus::Trading,
        b'P' => TradingStatus::Paused,
        b'Q' => TradingStatus::QuotationOnly,
        _ => TradingStatus::Halted,
    }
}

/// The SBE FeedState of a sequencing state, with (expected, received) sequence numbers.
fn feed_state(state: FeedState, last_sequence: u64) -> (crossbar_sbe::FeedState, u64, u64) {
    use crossbar_sbe::FeedState as S;
    match state {
        FeedState::Live | FeedState::Ended => (S::Ok, last_sequence + 1, last_sequence),
        FeedState::Gap { from, to } => (S::Gap, from, to),
        FeedState::Recovering { from, to, .. } => (S::Recovering, from, to),
        FeedState::Failed { from, to } => (S::Stale, from, to),
    }
}

impl MarketData {
    /// A handler over `builder` (its universe fixes the instrument ids) publishing on
    /// `publisher`. `levels_per_side` sizes the refresh buffer; the caller has checked it
    /// fits the publication's largest message.
    pub fn new(
        builder: BookBuilder,
        publisher: Publisher,
        venue_id: u16,
        gateway_id: u16,
        levels_per_side: u32,
        counters: MarketDataCounters,
    ) -> Self {
        let instruments = builder.instrument_count();
        Self {
            builder,
            publisher,
            venue_id,
            gateway_id,
            buf: vec![0; refresh_bytes(levels_per_side)],
            depth: vec![Level::EMPTY; levels_per_side as usize],
            updates: Vec::with_capacity(crate::settings::LEVEL_UPDATES),
            touches: vec![[0; 4]; instruments],
            dirty: vec![false; instruments],
            dirty_list: Vec::with_capacity(instruments),
            state: FeedState::Live,
            last_sequence: 0,
            gaps: 0,
            feed_status_pending: true,
            heartbeat_sequence: 0,
            counters,
        }
    }

    /// The book builder (books, halts, mapping).
    pub fn builder(&self) -> &BookBuilder {
        &self.builder
    }

    /// Queues every instrument for a full refresh and the FeedStatus for re-publication:
    /// a centre that restarted (or missed our stream while it was silent) holds no book of
    /// ours, and deltas alone would never rebuild the levels that did not change since.
    /// The refreshes go out 8 per duty cycle (`REFRESHES_PER_CYCLE`) through
    /// [`MarketData::republish_dirty`]; deltas of a queued instrument wait for its refresh.
    pub fn refresh_all(&mut self) {
        self.counters.refresh_all.increment();
        self.feed_status_pending = true;
        for id in 0..self.dirty.len() {
            self.mark_dirty(InstrumentId(id as u32));
        }
    }

    /// Instruments waiting for a full refresh.
    pub fn dirty_count(&self) -> usize {
        self.dirty_list.len()
    }

    fn offer(&mut self, len: usize) -> bool {
        match self.publisher.offer(&self.buf[..len]) {
            Ok(_) => true,
            Err(_) => {
                self.counters.refused.increment();
                false
            }
        }
    }

    fn mark_dirty(&mut self, id: InstrumentId) {
        if let Some(d) = self.dirty.get_mut(id.index()) {
            if !*d {
                *d = true;
                self.dirty_list.push(id.0);
                self.counters.dirty_marked.increment();
            }
        }
    }

    fn is_dirty(&self, id: InstrumentId) -> bool {
        self.dirty.get(id.index()).copied().unwrap_or(false)
    }

    fn encode_delta(&mut self, id: InstrumentId, updates: &[LevelUpdate], now_ns: u64) -> usize {
        let fixed = g::BookLevelDeltaFixedFields {
            venue_id: self.venue_id,
            instrument_id: id.0,
            sequence: self.last_sequence,
            timestamp_ns: now_ns,
        };
        let encoded = g::BookLevelDeltaEncoder::try_wrap_and_apply_header(&mut self.buf, 0)
            .map(|e| e.fixed(&fixed))
            .and_then(|e| {
                e.levels(updates.len() as u16, |group| {
                    for u in updates {
                        group.add_struct(&g::BookLevelDeltaLevelsEntry {
                            action: book_action(u.action),
                            side: sbe_side(u.side),
                            level_index: u.level_index as u16,
                            price: u.price.0,
                            qty: u.qty,
                            order_count: u.order_count,
                        })?;
                    }
                    Ok(())
                })
            });
        // The buffer holds a full refresh, far more than any event's updates.
        encoded.map_or(0, |e| e.encoded_length_with_header())
    }

    fn publish_top(&mut self, id: InstrumentId, now_ns: u64, force: bool) -> bool {
        let touch = touch_of(self.builder.book(), id);
        if !force && self.touches.get(id.index()) == Some(&touch) {
            return true;
        }
        let len = g::TopOfBookEncoder::try_wrap_and_apply_header(&mut self.buf, 0)
            .map(|e| {
                e.fixed(&g::TopOfBookFixedFields {
                    venue_id: self.venue_id,
                    instrument_id: id.0,
                    sequence: self.last_sequence,
                    timestamp_ns: now_ns,
                    bid_price: touch[0] as i64,
                    bid_qty: touch[1],
                    ask_price: touch[2] as i64,
                    ask_qty: touch[3],
                })
                .encoded_length_with_header()
            })
            .unwrap_or(0);
        if len > 0 && self.offer(len) {
            self.counters.tops.increment();
            if let Some(t) = self.touches.get_mut(id.index()) {
                *t = touch;
            }
            true
        } else {
            self.mark_dirty(id);
            false
        }
    }

    fn publish_status(
        &mut self,
        id: InstrumentId,
        status: TradingStatus,
        reason: [u8; 4],
        now_ns: u64,
    ) -> bool {
        let symbol = self.builder.symbol(id).map_or([b' '; 8], |s| s.0);
        let len = g::InstrumentStatusEncoder::try_wrap_and_apply_header(&mut self.buf, 0)
            .map(|e| {
                e.fixed(&g::InstrumentStatusFixedFields {
                    venue_id: self.venue_id,
                    instrument_id: id.0,
                    timestamp_ns: now_ns,
                    trading_status: status,
                    symbol,
                    reason,
                })
                .encoded_length_with_header()
            })
            .unwrap_or(0);
        if len > 0 && self.offer(len) {
            self.counters.statuses.increment();
            true
        } else {
            self.mark_dirty(id);
            false
        }
    }

    /// Publishes the current FeedStatus; false when Aeron refused it (retried by the agent).
    pub fn publish_feed_status(&mut self, now_ns: u64) -> bool {
        let (state, expected, received) = feed_state(self.state, self.last_sequence);
        let len = g::FeedStatusEncoder::try_wrap_and_apply_header(&mut self.buf, 0)
            .map(|e| {
                e.fixed(&g::FeedStatusFixedFields {
                    venue_id: self.venue_id,
                    timestamp_ns: now_ns,
                    feed_state: state,
                    expected_sequence: expected,
                    received_sequence: received,
                    gap_count: self.gaps,
                })
                .encoded_length_with_header()
            })
            .unwrap_or(0);
        let sent = len > 0 && self.offer(len);
        if sent {
            self.counters.feed_statuses.increment();
        }
        self.feed_status_pending = !sent;
        sent
    }

    /// Publishes a Heartbeat (`senderId` = gateway id, +1 per heartbeat from 1).
    pub fn publish_heartbeat(&mut self, now_ns: u64) -> bool {
        let sequence = self.heartbeat_sequence + 1;
        let len = crate::heartbeat::encode(&mut self.buf, self.gateway_id, sequence, now_ns);
        let sent = self.offer(len);
        if sent {
            self.heartbeat_sequence = sequence;
            self.counters.heartbeats.increment();
        }
        sent
    }

    /// Encodes a full refresh of `id`: clear both sides, then every level, best first.
    fn encode_refresh(&mut self, id: InstrumentId, now_ns: u64) -> usize {
        let book = self.builder.book();
        let fixed = g::BookLevelDeltaFixedFields {
            venue_id: self.venue_id,
            instrument_id: id.0,
            sequence: self.last_sequence,
            timestamp_ns: now_ns,
        };
        let bids = book.level_count(id, Side::Buy).min(self.depth.len());
        let asks = book.level_count(id, Side::Sell).min(self.depth.len());
        let count = (2 + bids + asks) as u16;
        let depth = &mut self.depth;
        let encoded = g::BookLevelDeltaEncoder::try_wrap_and_apply_header(&mut self.buf, 0)
            .map(|e| e.fixed(&fixed))
            .and_then(|e| {
                e.levels(count, |group| {
                    for side in [Side::Buy, Side::Sell] {
                        group.add_struct(&g::BookLevelDeltaLevelsEntry {
                            action: BookAction::Delete,
                            side: sbe_side(side),
                            level_index: CLEAR_SIDE_LEVEL_INDEX,
                            price: 0,
                            qty: 0,
                            order_count: 0,
                        })?;
                    }
                    for side in [Side::Buy, Side::Sell] {
                        let n = book.depth(id, side, depth.len(), depth).unwrap_or(0);
                        for (i, level) in depth[..n].iter().enumerate() {
                            group.add_struct(&g::BookLevelDeltaLevelsEntry {
                                action: BookAction::New,
                                side: sbe_side(side),
                                level_index: i as u16,
                                price: level.price.0,
                                qty: level.qty,
                                order_count: level.order_count,
                            })?;
                        }
                    }
                    Ok(())
                })
            });
        encoded.map_or(0, |e| e.encoded_length_with_header())
    }

    fn refresh(&mut self, id: InstrumentId, now_ns: u64) -> bool {
        if self.builder.is_mapped(id) {
            let status = if self.builder.is_halted(id) {
                TradingStatus::Halted
            } else {
                TradingStatus::Trading
            };
            if !self.publish_status(id, status, *b"    ", now_ns) {
                return false;
            }
        }
        let len = self.encode_refresh(id, now_ns);
        if len == 0 || !self.offer(len) {
            return false;
        }
        self.counters.deltas.increment();
        self.publish_top(id, now_ns, true)
    }

    /// Sends full refreshes for dirty instruments (at most a few per call), stopping at the
    /// first refused offer; also retries a refused FeedStatus. Returns refreshes sent.
    pub fn republish_dirty(&mut self, now_ns: u64) -> usize {
        if self.feed_status_pending {
            self.publish_feed_status(now_ns);
        }
        let mut done = 0;
        while done < REFRESHES_PER_CYCLE {
            let Some(&id) = self.dirty_list.last() else {
                break;
            };
            let id = InstrumentId(id);
            if !self.refresh(id, now_ns) {
                break;
            }
            self.dirty_list.pop();
            self.dirty[id.index()] = false;
            self.counters.refreshes.increment();
            done += 1;
        }
        done
    }

    fn on_book_event(&mut self, now_ns: u64) {
        if self.builder.take_updates_overflowed() {
            for id in 0..self.dirty.len() {
                self.mark_dirty(InstrumentId(id as u32));
            }
        }
        self.updates.clear();
        self.updates.extend(self.builder.drain_updates());
        let mut start = 0;
        while start < self.updates.len() {
            let id = self.updates[start].instrument;
            let end = start
                + self.updates[start..]
                    .iter()
                    .take_while(|u| u.instrument == id)
                    .count();
            if self.is_dirty(id) {
                self.counters.suppressed.increment();
            } else {
                self.publish_run(id, start, end, now_ns);
                if !self.is_dirty(id) {
                    self.publish_top(id, now_ns, false);
                }
            }
            start = end;
        }
    }

    fn publish_run(&mut self, id: InstrumentId, start: usize, end: usize, now_ns: u64) {
        let updates = std::mem::take(&mut self.updates);
        let len = self.encode_delta(id, &updates[start..end], now_ns);
        self.updates = updates;
        if len > 0 && self.offer(len) {
            self.counters.deltas.increment();
        } else {
            self.mark_dirty(id);
        }
    }
}

impl FeedHandler for MarketData {
    fn on_message(&mut self, sequence_number: u64, message: &ItchMessage, now_ns: u64) {
        self.builder.on_message(sequence_number, message, now_ns);
        self.last_sequence = sequence_number;
        match message {
            ItchMessage::StockDirectory(m) => {
                if let Some(id) = self.builder.instrument(m.header.stock_locate) {
                    if !self.is_dirty(id) {
                        self.publish_status(id, TradingStatus::Trading, *b"    ", now_ns);
                    }
                }
            }
            ItchMessage::StockTradingAction(m) => {
                if let Some(id) = self.builder.instrument(m.header.stock_locate) {
                    if !self.is_dirty(id) {
                        let status = trading_status(m.trading_state);
                        self.publish_status(id, status, m.reason, now_ns);
                    }
                }
            }
            _ => self.on_book_event(now_ns),
        }
    }

    /// The feed's path: book messages go through the builder's fused decode (fields read at
    /// fixed offsets, no decoded message); Stock Directory (`R`, ITCH 5.0 §1.2.1) and Stock
    /// Trading Action (`H`, §1.2.2), which publish InstrumentStatus, take the decoded path.
    ///
    /// # Errors
    /// [`crossbar_itch::decode`]'s errors; the message is then not applied.
    #[inline]
    fn on_message_bytes(
        &mut self,
        sequence_number: u64,
        bytes: &[u8],
        now_ns: u64,
    ) -> Result<(), crossbar_itch::ItchError> {
        if matches!(bytes.first(), Some(b'R' | b'H')) {
            let message = crossbar_itch::decode(bytes)?;
            self.on_message(sequence_number, &message, now_ns);
            return Ok(());
        }
        self.builder.on_message_bytes(bytes)?;
        self.last_sequence = sequence_number;
        self.on_book_event(now_ns);
        Ok(())
    }

    /// The builder's prefetch hints, so `MoldFeed`'s pipelined delivery reaches the book.
    #[inline(always)]
    fn prefetch_message_bytes(&self, stage: usize, bytes: &[u8]) {
        self.builder.prefetch_message_bytes(stage, bytes);
    }

    fn on_feed_state(&mut self, state: FeedState, now_ns: u64) {
        self.builder.on_feed_state(state, now_ns);
        let was_gap = !self.state.is_current();
        if !state.is_current() && !was_gap {
            self.gaps += 1;
        }
        self.state = state;
        self.publish_feed_status(now_ns);
    }
}
