//! The router thread: one agent, the single writer of the router's state.
//!
//! One duty cycle:
//! 1. market data (Heartbeat, TopOfBook, BookLevelDelta, FeedStatus) → router;
//! 2. executions (ExecutionReport, OrderReject, PositionUpdate, CreditReturn, Heartbeat):
//!    each order event is appended to the journal **before** the router applies it;
//! 3. operator commands from the gRPC side's bounded queue (submit, cancel, kill switch,
//!    limits), each answered on its reply channel;
//! 4. `on_tick` (heartbeat timeouts, parked parents);
//! 5. every command the router emitted is journaled **before** it is published on its
//!    gateway's orders stream (a KillSwitch or RiskLimits on every one); refused offers wait in the
//!    gateway's [`Outbox`] and are retried here;
//! 6. Heartbeat on every orders stream each `heartbeat_interval_ms`; a reader snapshot
//!    ([`Published`]) each `snapshot_interval_ms` when something changed; journal upkeep when
//!    idle.
//!
//! Nothing here locks or waits: the command queue is read with `try_recv`, replies are tokio
//! oneshot sends, the snapshot is an `ArcSwap` store.

use std::sync::mpsc::Receiver;
use std::sync::Arc;

use arc_swap::ArcSwap;
use crossbar_api::{proto, BackendError};
use crossbar_journal::{Direction, Journal};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::snapshot::ParentRow;
use crossbar_router::{
    BookAction, BookLevelDelta, Command, CreditReturn, ExecType, ExecutionReport, FeedState,
    FeedStatus, Heartbeat, KillScope, LevelChange, LimitsUpdate, OrderReject, ParentRequest,
    PositionUpdate, Router, Strategy, TopOfBook, TotalLimitsUpdate,
};
use crossbar_runtime::{Agent, Counter, CounterSet};
use crossbar_sbe::generated as g;
use crossbar_sbe::{decode_view, Message, MessageView};
use crossbar_transport::Subscriber;
use tokio::sync::oneshot;

use crate::codec::{self, ParentTerms, VenueMap, COMMAND_BYTES_MAX};
use crate::orders::OrderViews;
use crate::outbox::Outbox;
use crate::publisher::Publisher;
use crate::resync::{Admit, Streams};
use crate::views::{self, KillEntry, Names, Published};

/// `levelIndex` of a full refresh's "clear this side" entry (gateway market data).
pub const CLEAR_SIDE_LEVEL_INDEX: u16 = u16::MAX;
/// Level changes applied per router call (a longer BookLevelDelta is applied in chunks).
const LEVEL_CHUNK: usize = 1_024;
/// Messages polled per subscription per duty cycle.
const FRAGMENTS_PER_POLL: usize = 64;

/// A reply channel of one operator command.
pub type Reply<T> = oneshot::Sender<Result<T, BackendError>>;

/// An operator command for the router thread.
#[derive(Debug)]
pub enum ApiCommand {
    /// Orders.Submit (already validated by the API).
    Submit {
        /// The request.
        request: proto::SubmitParentRequest,
        /// Where the accepted order goes.
        reply: Reply<proto::ParentOrder>,
    },
    /// Orders.Cancel.
    Cancel {
        /// Parent order id.
        parent: u64,
        /// Where the order after the request goes.
        reply: Reply<proto::ParentOrder>,
    },
    /// KillSwitch.Activate / Deactivate.
    Kill {
        /// Engage (true) or release.
        activate: bool,
        /// Scope, router ids.
        scope: KillScope,
        /// Risk-reducing orders pass.
        allow_risk_reducing: bool,
        /// Why (journaled in the KillSwitch reason).
        reason: String,
        /// Where the engaged switches go.
        reply: Reply<proto::KillSwitchStatus>,
    },
    /// Limits.Set (already validated by the API: 1..=1024 entries, values in range).
    SetLimits {
        /// The request.
        request: proto::SetLimitsRequest,
        /// Where the limits in force after the change go.
        reply: Reply<proto::LimitsSnapshot>,
    },
}

/// What the router thread counted, registered as `agg.<name>`. The router thread is their only
/// writer; the per-message ones (`executions`, `commands`) are bumped with
/// `Counter::increment_single_writer` (no atomic read-modify-write on the hot path).
#[derive(Clone, Debug)]
pub struct CoreCounters {
    /// Market-data messages applied.
    pub market_data: Counter,
    /// Execution-stream messages received.
    pub executions: Counter,
    /// Messages that are not valid SBE, or not expected on their stream (skipped, logged).
    pub malformed: Counter,
    /// Inputs the router refused (unknown order, stale book, ...; skipped, logged at debug).
    pub refused: Counter,
    /// Appends that failed (the event was not acted on, the command not sent: fail closed).
    pub journal_failed: Counter,
    /// Commands published (journaled first).
    pub commands: Counter,
    /// Operator commands handled.
    pub api_commands: Counter,
    /// Snapshots published.
    pub snapshots: Counter,
}

impl CoreCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("agg.{n}"));
        Self {
            market_data: c("market_data"),
            executions: c("executions"),
            malformed: c("malformed"),
            refused: c("refused"),
            journal_failed: c("journal_failed"),
            commands: c("commands"),
            api_commands: c("api_commands"),
            snapshots: c("snapshots"),
        }
    }
}

/// Everything the router thread owns except its subscriptions.
pub struct Core {
    pub(crate) router: Router,
    /// Every gateway's execution stream (`crate::resync`).
    pub(crate) streams: Streams,
    pub(crate) journal: Journal,
    pub(crate) orders: OrderViews,
    pub(crate) kills: Vec<KillEntry>,
    outboxes: Vec<Outbox>,
    venues: VenueMap,
    names: Arc<Names>,
    out: Vec<Command>,
    levels: Vec<LevelChange>,
    touched: Vec<OrderId>,
    buf: Vec<u8>,
    published: Arc<ArcSwap<Published>>,
    limits_view: Arc<ArcSwap<proto::LimitsSnapshot>>,
    publisher: Publisher,
    router_id: u16,
    heartbeat_interval_ns: u64,
    next_heartbeat_ns: u64,
    heartbeat_sequence: u64,
    snapshot_interval_ns: u64,
    next_snapshot_ns: u64,
    dirty: bool,
    counters: CoreCounters,
}

/// How [`Core`] is built.
pub struct CoreParts {
    /// The router (already replayed).
    pub router: Router,
    /// The open journal.
    pub journal: Journal,
    /// Order views (already replayed).
    pub orders: OrderViews,
    /// Kill switches engaged (already replayed).
    pub kills: Vec<KillEntry>,
    /// One outbox per gateway.
    pub outboxes: Vec<Outbox>,
    /// Venue id translation.
    pub venues: VenueMap,
    /// Names for replies.
    pub names: Arc<Names>,
    /// Where snapshots go.
    pub published: Arc<ArcSwap<Published>>,
    /// Where the limits in force go (Limits.Get), stored at start and after each change.
    pub limits_view: Arc<ArcSwap<proto::LimitsSnapshot>>,
    /// Every gateway's execution stream, `applied` rebuilt from the journal.
    pub streams: Streams,
    /// Heartbeat sender id.
    pub router_id: u16,
    /// Heartbeat period, ns.
    pub heartbeat_interval_ns: u64,
    /// Snapshot period, ns.
    pub snapshot_interval_ns: u64,
    /// Counters.
    pub counters: CoreCounters,
}

impl Core {
    /// Builds the core; tables sized from the router's limits.
    pub fn new(p: CoreParts) -> Self {
        let depth = p.router.limits().book_depth as usize;
        let max_children = p.router.limits().max_children as usize;
        Self {
            out: Vec::with_capacity(max_children.min(1 << 16)),
            levels: Vec::with_capacity(LEVEL_CHUNK + 2 * depth),
            touched: Vec::with_capacity(max_children.min(1 << 16)),
            buf: vec![
                0;
                COMMAND_BYTES_MAX.max(codec::limits_state_bytes(
                    p.router.limits().instrument_count as usize
                ))
            ],
            publisher: Publisher::new(p.router.limits().max_parents as usize),
            router: p.router,
            streams: p.streams,
            journal: p.journal,
            orders: p.orders,
            kills: p.kills,
            outboxes: p.outboxes,
            venues: p.venues,
            names: p.names,
            published: p.published,
            limits_view: p.limits_view,
            router_id: p.router_id,
            heartbeat_interval_ns: p.heartbeat_interval_ns,
            next_heartbeat_ns: 0,
            heartbeat_sequence: 0,
            snapshot_interval_ns: p.snapshot_interval_ns,
            next_snapshot_ns: 0,
            dirty: true,
            counters: p.counters,
        }
    }

    /// Publishes the commands of replay's end and the first credit grants, after holding
    /// every gateway until its execution stream is resynced: each gets an
    /// ExecutionReplayRequest from its last applied message + 1, and none is routed to before
    /// its ExecutionReplayComplete shows nothing is missing; then it gets its whole slice per
    /// instrument (CreditSlice, absolute, `docs/router.md` § Absolute credit).
    /// With `resync` false (an empty journal: no state to resync) nothing is held. With it,
    /// before any replay request, every gateway gets the limits in force (RiskLimits, the
    /// current version: a gateway that holds it ignores it), journaled first.
    pub fn start(&mut self, now_ns: u64, resync: bool) {
        let gateways: Vec<u16> = if resync {
            self.outboxes.iter().map(Outbox::gateway_id).collect()
        } else {
            Vec::new()
        };
        for &g in &gateways {
            self.router.set_gateway_resyncing(GatewayId(g), true);
        }
        let mut out = std::mem::take(&mut self.out);
        self.router.end_replay(now_ns, &mut out);
        if resync {
            out.push(Command::Limits(crossbar_router::RiskLimitsChanged {
                version: self.router.limits_version(),
                timestamp_ns: now_ns,
            }));
        }
        self.out = out;
        self.dispatch(now_ns);
        for &g in &gateways {
            self.request_replay(g, now_ns);
        }
        self.limits_view
            .store(Arc::new(views::limits_snapshot(&self.router, &self.names)));
        self.publish_snapshot(now_ns);
    }

    fn gateway_slot(&self, gateway: GatewayId) -> Option<usize> {
        self.outboxes
            .iter()
            .position(|o| o.gateway_id() == gateway.0)
    }

    /// Journals and sends an ExecutionReplayRequest to `gateway` from its last applied
    /// message + 1; its venues get no child until the answer shows nothing is missing.
    fn request_replay(&mut self, gateway: u16, now_ns: u64) {
        let Some((request_id, from_sequence)) = self.streams.request(gateway, now_ns) else {
            return;
        };
        self.router.set_gateway_resyncing(GatewayId(gateway), true);
        let m = Message::ExecutionReplayRequest(crossbar_sbe::ExecutionReplayRequest {
            gateway_id: GatewayId(gateway),
            request_id,
            from_sequence,
            timestamp_ns: now_ns,
        });
        let Some(len) = self.journal_message(Direction::Outbound, gateway, now_ns, &m) else {
            return; // fail closed: the gateway stays held; retried on the timer
        };
        tracing::warn!(gateway, request_id, from_sequence, "AGG_RESYNC_REQUESTED");
        if let Some(k) = self.gateway_slot(GatewayId(gateway)) {
            self.outboxes[k].send(&self.buf[..len]);
        }
    }

    /// A gateway's sequenced order event, before the router sees it: admitted in stream order
    /// ([`Self::admit`]), journaled, then marked applied. `false`: dropped (a duplicate, a gap
    /// asked for again, or a journal failure, each counted where it happens).
    fn take_in(&mut self, gateway: u16, bytes: &[u8], now_ns: u64) -> bool {
        if !self.admit(gateway, bytes, now_ns) || !self.append_raw(gateway, now_ns, bytes) {
            return false;
        }
        self.streams
            .applied(gateway, crossbar_sbe::stream_sequence(bytes));
        true
    }

    /// Whether a numbered execution-stream message of `gateway` is applied (see
    /// `crate::resync`); a gap asks for a replay, a duplicate outside a resync too (the
    /// gateway's journal may have restarted).
    fn admit(&mut self, gateway: u16, bytes: &[u8], now_ns: u64) -> bool {
        let sequence = crossbar_sbe::stream_sequence(bytes);
        match self.streams.admit(gateway, sequence) {
            Admit::Apply => true,
            Admit::Duplicate | Admit::Gap if self.streams.is_resyncing(gateway) => false,
            Admit::Duplicate | Admit::Gap => {
                tracing::warn!(gateway, ?sequence, "AGG_RESYNC_GAP");
                self.request_replay(gateway, now_ns);
                false
            }
        }
    }

    /// An ExecutionReplayComplete: releases the gateway when nothing is missing, else asks
    /// again from what was applied.
    fn replay_complete(&mut self, d: &g::ExecutionReplayCompleteDecoder<'_>, now_ns: u64) {
        let gateway = d.gateway_id();
        match self
            .streams
            .complete(gateway, d.request_id(), d.last_sequence())
        {
            Some(true) => {
                self.router.set_gateway_resyncing(GatewayId(gateway), false);
                // Every message of the gateway is applied: state its whole slices (a
                // gateway that lost its journal gets them back; `docs/router.md`).
                let through = self.streams.get(gateway).map_or(0, |s| s.applied);
                let mut out = std::mem::take(&mut self.out);
                let _ = self
                    .router
                    .restate_credit(GatewayId(gateway), through, now_ns, &mut out);
                self.out = out;
                self.dispatch(now_ns);
                self.dirty = true;
                tracing::warn!(
                    gateway,
                    replayed = d.replayed(),
                    last_sequence = d.last_sequence(),
                    "AGG_RESYNC_DONE"
                );
            }
            Some(false) => self.request_replay(gateway, now_ns),
            None => {}
        }
    }

    /// Journals then publishes every command in `self.out`, then journals parents that
    /// finished in this step.
    fn dispatch(&mut self, now_ns: u64) {
        let mut out = std::mem::take(&mut self.out);
        for cmd in out.drain(..) {
            match &cmd {
                Command::NewChild(c) => {
                    self.orders.on_child(c);
                    self.touched.push(c.parent_order_id);
                }
                Command::Cancel(c) => {
                    if let Some(p) = self.router.parent_of_child(c.order_id) {
                        self.touched.push(p);
                    }
                }
                Command::Limits(l) => {
                    // The centre's whole table first (journal only): a crash after it
                    // replays to these limits; the gateways get them from the RiskLimits
                    // below or, after a restart, from the one start-up re-sends.
                    let state = codec::limits_state_message(
                        l.version,
                        l.timestamp_ns,
                        self.router.risk().all_limits(),
                        self.router.risk().total_limits(),
                    );
                    if self
                        .journal_message(Direction::Outbound, 0, now_ns, &state)
                        .is_none()
                    {
                        continue; // fail closed: not journaled, RiskLimits not sent
                    }
                }
                Command::Credit(_) | Command::Slice(_) | Command::Kill(_) => {}
            }
            let reason = match &cmd {
                Command::Kill(k) if k.active => self
                    .kills
                    .iter()
                    .find(|e| e.scope == k.scope)
                    .map_or("", |e| e.reason.as_str()),
                _ => "",
            };
            let message =
                codec::command_message(&cmd, &self.venues, reason, self.router.risk().all_limits());
            let dest = codec::destination(&cmd);
            let Some(len) = self.journal_message(
                Direction::Outbound,
                dest.map_or(0, |g| g.0),
                now_ns,
                &message,
            ) else {
                continue; // fail closed: not journaled, not sent
            };
            self.counters.commands.increment_single_writer();
            match dest {
                Some(gw) => match self.gateway_slot(gw) {
                    Some(k) => self.outboxes[k].send(&self.buf[..len]),
                    None => tracing::error!(
                        gateway = gw.0,
                        "AGG_NO_OUTBOX command for an unconfigured gateway"
                    ),
                },
                None => {
                    for o in &mut self.outboxes {
                        o.send(&self.buf[..len]);
                    }
                }
            }
        }
        self.out = out;
        self.finish_touched(now_ns);
        self.dirty = true;
    }

    /// Journals "parent finished" for every touched parent the router no longer holds live.
    fn finish_touched(&mut self, now_ns: u64) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.drain(..) {
            self.orders.touch(id, now_ns);
            if self.router.parent(id).is_some() || self.orders.is_finished(id) {
                continue;
            }
            let Some(p) = self.router.finished_parent(id).copied() else {
                continue;
            };
            let filled = p.state == crossbar_router::parent::ParentState::Filled;
            let m = codec::parent_finished(
                id,
                p.instrument,
                p.side,
                p.limit_price,
                filled,
                p.cum_qty,
                p.cancel_reason,
                now_ns,
            );
            let _ = self.journal_message(Direction::Outbound, 0, now_ns, &m);
            self.orders.on_finished(id, now_ns);
        }
        self.touched = touched;
    }

    /// Encodes `m` into `self.buf` and appends it to the journal. `None` (counted, logged)
    /// when it cannot be encoded or journaled.
    fn journal_message(
        &mut self,
        dir: Direction,
        source: u16,
        now_ns: u64,
        m: &Message,
    ) -> Option<usize> {
        let len = match codec::encode(m, &mut self.buf) {
            Ok(len) => len,
            Err(e) => {
                self.counters.journal_failed.increment();
                tracing::error!(error = %e, "AGG_ENCODE_FAILED");
                return None;
            }
        };
        self.append(dir, source, now_ns, len).then_some(len)
    }

    fn append(&mut self, dir: Direction, source: u16, now_ns: u64, len: usize) -> bool {
        match self.journal.append(dir, source, now_ns, &self.buf[..len]) {
            Ok(_) => true,
            Err(e) => {
                self.counters.journal_failed.increment();
                tracing::error!(error = %e, "AGG_JOURNAL_FAILED event not acted on");
                false
            }
        }
    }

    fn append_raw(&mut self, source: u16, now_ns: u64, bytes: &[u8]) -> bool {
        match self
            .journal
            .append(Direction::Inbound, source, now_ns, bytes)
        {
            Ok(_) => true,
            Err(e) => {
                self.counters.journal_failed.increment();
                tracing::error!(error = %e, "AGG_JOURNAL_FAILED event not acted on");
                false
            }
        }
    }

    fn refused(&self, what: &'static str, e: crossbar_router::RouterError) {
        self.counters.refused.increment();
        tracing::debug!(what, error = %e, "AGG_ROUTER_REFUSED");
    }

    // ------------------------------------------------------------------ market data

    /// One market-data stream message.
    pub fn on_market_data(&mut self, bytes: &[u8], now_ns: u64) {
        let view = match decode_view(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.counters.malformed.increment();
                tracing::debug!(error = %e, "AGG_MALFORMED_MARKET_DATA");
                return;
            }
        };
        self.counters.market_data.increment();
        let r = match view {
            MessageView::Heartbeat(h) => self.heartbeat(&h, now_ns),
            MessageView::TopOfBook(t) => {
                let Some(venue) = self.venues.to_router(t.venue_id()) else {
                    return self.unknown_venue(t.venue_id());
                };
                self.router.on_top_of_book(&TopOfBook {
                    venue,
                    instrument: InstrumentId(t.instrument_id()),
                    sequence: t.sequence(),
                    timestamp_ns: t.timestamp_ns(),
                    bid_price: Price(t.bid_price()),
                    bid_qty: t.bid_qty(),
                    ask_price: Price(t.ask_price()),
                    ask_qty: t.ask_qty(),
                })
            }
            MessageView::BookLevelDelta(d) => return self.book_delta(&d),
            MessageView::FeedStatus(f) => {
                let Some(venue) = self.venues.to_router(f.venue_id()) else {
                    return self.unknown_venue(f.venue_id());
                };
                let feed_state = match f.feed_state() {
                    g::FeedState::Ok => FeedState::Ok,
                    g::FeedState::Gap => FeedState::Gap,
                    g::FeedState::Stale => FeedState::Stale,
                    _ => FeedState::Recovering,
                };
                self.router.on_feed_status(
                    &FeedStatus {
                        venue,
                        timestamp_ns: f.timestamp_ns(),
                        feed_state,
                        gap_count: f.gap_count(),
                    },
                    now_ns,
                )
            }
            MessageView::Trade(_) | MessageView::InstrumentStatus(_) => return,
            other => {
                self.counters.malformed.increment();
                tracing::debug!(kind = other.kind().name(), "AGG_UNEXPECTED_MARKET_DATA");
                return;
            }
        };
        if let Err(e) = r {
            self.refused("market_data", e);
        }
    }

    fn unknown_venue(&self, venue_id: u16) {
        self.counters.malformed.increment();
        tracing::debug!(venue_id, "AGG_UNKNOWN_VENUE");
    }

    fn heartbeat(
        &mut self,
        h: &g::HeartbeatDecoder<'_>,
        now_ns: u64,
    ) -> Result<(), crossbar_router::RouterError> {
        self.router.on_heartbeat(
            &Heartbeat {
                sender: GatewayId(h.sender_id()),
                sequence: h.sequence(),
                timestamp_ns: h.timestamp_ns(),
            },
            now_ns,
        )
    }

    fn book_delta(&mut self, d: &g::BookLevelDeltaDecoder<'_>) {
        let Some(venue) = self.venues.to_router(d.venue_id()) else {
            return self.unknown_venue(d.venue_id());
        };
        let (instrument, sequence, timestamp_ns) = (
            InstrumentId(d.instrument_id()),
            d.sequence(),
            d.timestamp_ns(),
        );
        let entries = match d.levels() {
            Ok(e) => e,
            Err(e) => {
                self.counters.malformed.increment();
                tracing::debug!(error = ?e, "AGG_MALFORMED_MARKET_DATA");
                return;
            }
        };
        let depth = self.router.limits().book_depth;
        self.levels.clear();
        for e in entries {
            let Ok(side) = Side::from_code(e.raw_side()) else {
                self.counters.malformed.increment();
                return;
            };
            let action = match e.action() {
                g::BookAction::New => BookAction::New,
                g::BookAction::Change => BookAction::Change,
                _ => BookAction::Delete,
            };
            if action == BookAction::Delete && e.level_index() == CLEAR_SIDE_LEVEL_INDEX {
                // A full refresh clears the side first: delete the top `depth` times.
                for _ in 0..depth {
                    self.levels.push(LevelChange {
                        action,
                        side,
                        level_index: 0,
                        price: Price::ZERO,
                        qty: 0,
                        order_count: 0,
                    });
                }
            } else {
                self.levels.push(LevelChange {
                    action,
                    side,
                    level_index: e.level_index(),
                    price: Price(e.price()),
                    qty: e.qty(),
                    order_count: e.order_count(),
                });
            }
            if self.levels.len() >= LEVEL_CHUNK {
                self.apply_levels(venue, instrument, sequence, timestamp_ns);
            }
        }
        self.apply_levels(venue, instrument, sequence, timestamp_ns);
    }

    fn apply_levels(
        &mut self,
        venue: VenueId,
        instrument: InstrumentId,
        sequence: u64,
        timestamp_ns: u64,
    ) {
        if self.levels.is_empty() {
            return;
        }
        let r = self.router.on_book_delta(&BookLevelDelta {
            venue,
            instrument,
            sequence,
            timestamp_ns,
            levels: &self.levels,
        });
        self.levels.clear();
        if let Err(e) = r {
            self.refused("book_delta", e);
        }
    }

    // ------------------------------------------------------------------ executions

    /// One executions stream message: order events are journaled, then applied.
    pub fn on_execution(&mut self, bytes: &[u8], now_ns: u64) {
        let view = match decode_view(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.counters.malformed.increment();
                tracing::debug!(error = %e, "AGG_MALFORMED_EXECUTION");
                return;
            }
        };
        self.counters.executions.increment_single_writer();
        match view {
            MessageView::Heartbeat(h) => {
                if let Err(e) = self.heartbeat(&h, now_ns) {
                    self.refused("heartbeat", e);
                }
            }
            MessageView::ExecutionReport(d) => self.execution_report(&d, bytes, now_ns),
            MessageView::OrderReject(d) => {
                let Some(venue) = self.venues.to_router(d.venue_id()) else {
                    return self.unknown_venue(d.venue_id());
                };
                let rej = OrderReject {
                    order_id: OrderId(d.order_id()),
                    venue,
                    instrument: InstrumentId(d.instrument_id()),
                    reject_reason: d.raw_reject_reason(),
                    timestamp_ns: d.timestamp_ns(),
                };
                let source = self.router.limits().venues[venue.0 as usize].gateway.0;
                if !self.take_in(source, bytes, now_ns) {
                    return;
                }
                let parent = self.router.parent_of_child(rej.order_id);
                let mut out = std::mem::take(&mut self.out);
                let r = self.router.on_order_reject(&rej, now_ns, &mut out);
                self.out = out;
                match r {
                    Ok(()) => {
                        self.orders
                            .on_reject(rej.order_id, rej.reject_reason, now_ns);
                        self.touched.extend(parent);
                    }
                    Err(e) => self.refused("order_reject", e),
                }
                self.dispatch(now_ns);
            }
            MessageView::PositionUpdate(d) => {
                let Some(venue) = self.venues.to_router(d.venue_id()) else {
                    return self.unknown_venue(d.venue_id());
                };
                let pu = PositionUpdate {
                    gateway: GatewayId(d.gateway_id()),
                    venue,
                    instrument: InstrumentId(d.instrument_id()),
                    position: d.position(),
                    bought_qty: d.bought_qty(),
                    sold_qty: d.sold_qty(),
                    notional_bought: d.notional_bought(),
                    notional_sold: d.notional_sold(),
                    timestamp_ns: d.timestamp_ns(),
                };
                if !self.take_in(pu.gateway.0, bytes, now_ns) {
                    return;
                }
                let mut out = std::mem::take(&mut self.out);
                let r = self.router.on_position_update(&pu, now_ns, &mut out);
                self.out = out;
                if let Err(e) = r {
                    self.refused("position_update", e);
                }
                self.dispatch(now_ns);
            }
            MessageView::CreditReturn(d) => {
                let cr = CreditReturn {
                    gateway: GatewayId(d.gateway_id()),
                    instrument: InstrumentId(d.instrument_id()),
                    buy_qty: d.buy_qty(),
                    sell_qty: d.sell_qty(),
                    notional: d.notional(),
                };
                if !self.take_in(cr.gateway.0, bytes, now_ns) {
                    return;
                }
                let mut out = std::mem::take(&mut self.out);
                let r = self.router.on_credit_return(&cr, now_ns, &mut out);
                self.out = out;
                if let Err(e) = r {
                    self.refused("credit_return", e);
                }
                self.dispatch(now_ns);
            }
            MessageView::ExecutionReplayComplete(d) => self.replay_complete(&d, now_ns),
            other => {
                self.counters.malformed.increment();
                tracing::debug!(kind = other.kind().name(), "AGG_UNEXPECTED_EXECUTION");
            }
        }
    }

    fn execution_report(&mut self, d: &g::ExecutionReportDecoder<'_>, bytes: &[u8], now_ns: u64) {
        let Some(venue) = self.venues.to_router(d.venue_id()) else {
            return self.unknown_venue(d.venue_id());
        };
        let Some(exec_type) = exec_type(d.exec_type()) else {
            self.counters.malformed.increment();
            return;
        };
        let er = ExecutionReport {
            order_id: OrderId(d.order_id()),
            venue,
            instrument: InstrumentId(d.instrument_id()),
            exec_type,
            last_px: Price(d.last_px()),
            last_qty: Qty(d.last_qty()),
            leaves_qty: Qty(d.leaves_qty()),
            timestamp_ns: d.timestamp_ns(),
        };
        let source = self.router.limits().venues[venue.0 as usize].gateway.0;
        if !self.take_in(source, bytes, now_ns) {
            return;
        }
        let parent = self.router.parent_of_child(er.order_id);
        let mut out = std::mem::take(&mut self.out);
        let r = self.router.on_execution_report(&er, now_ns, &mut out);
        self.out = out;
        match r {
            Ok(()) => {
                self.orders
                    .on_report(er.order_id, er.exec_type, er.last_qty, er.last_px, now_ns);
                self.touched.extend(parent);
            }
            Err(e) => self.refused("execution_report", e),
        }
        self.dispatch(now_ns);
    }

    // ------------------------------------------------------------------ operator commands

    /// Handles one operator command and answers it. What it changed is published before the
    /// reply is sent (read-your-writes: a caller's next read sees it).
    pub fn on_command(&mut self, cmd: ApiCommand, now_ns: u64) {
        self.counters.api_commands.increment();
        match cmd {
            ApiCommand::Submit { request, reply } => {
                let r = self.submit(request, now_ns);
                self.publish_changes(now_ns);
                let _ = reply.send(r);
            }
            ApiCommand::Cancel { parent, reply } => {
                let r = self.cancel(OrderId(parent), now_ns);
                self.publish_changes(now_ns);
                let _ = reply.send(r);
            }
            ApiCommand::Kill {
                activate,
                scope,
                allow_risk_reducing,
                reason,
                reply,
            } => {
                let r = self.kill(activate, scope, allow_risk_reducing, reason, now_ns);
                self.publish_changes(now_ns);
                let _ = reply.send(r);
            }
            ApiCommand::SetLimits { request, reply } => {
                let r = self.set_limits(&request, now_ns);
                self.publish_changes(now_ns);
                let _ = reply.send(r);
            }
        }
    }

    /// Limits.Set: the router replaces the limits and totals (all or nothing), the LimitsState
    /// of the new version (journal only) and the RiskLimits it emits are journaled, the
    /// RiskLimits then published on every gateway's orders stream, credit grants of a raised
    /// budget follow, and the limits view is stored before the reply.
    fn set_limits(
        &mut self,
        request: &proto::SetLimitsRequest,
        now_ns: u64,
    ) -> Result<proto::LimitsSnapshot, BackendError> {
        let mut updates = Vec::with_capacity(request.instruments.len());
        for e in &request.instruments {
            let instrument = self.names.instrument(&e.instrument_symbol).ok_or_else(|| {
                BackendError::NotFound {
                    what: format!("instrument_symbol={}", e.instrument_symbol),
                }
            })?;
            updates.push(LimitsUpdate {
                instrument,
                max_order_qty: Qty(e.max_order_qty),
                max_order_notional: e.max_order_notional,
                max_position: e.max_position,
                price_collar_bps: e.price_collar_bps,
                max_orders_per_second: e.max_orders_per_second,
                max_gross_notional: e.max_gross_notional,
                max_net_notional: e.max_net_notional,
                credit_notional: e.credit_notional,
            });
        }
        let totals = TotalLimitsUpdate {
            max_gross_notional_total: request.max_gross_notional_total,
            max_net_notional_total: request.max_net_notional_total,
        };
        let failed_before = self.counters.journal_failed.get();
        let mut out = std::mem::take(&mut self.out);
        let r = self.router.set_limits_with_totals(
            &updates,
            totals,
            request.expected_version,
            now_ns,
            &mut out,
        );
        self.out = out;
        let version = match r {
            Ok(v) => v,
            Err(e) => {
                let code = match e {
                    crossbar_router::RouterError::LimitsVersion { .. } => "VersionMismatch",
                    _ => "InvalidLimits",
                };
                return Err(BackendError::Rejected {
                    code: code.into(),
                    reason: e.to_string(),
                });
            }
        };
        self.dispatch(now_ns);
        let view = Arc::new(views::limits_snapshot(&self.router, &self.names));
        self.limits_view.store(view.clone());
        if self.counters.journal_failed.get() != failed_before {
            return Err(BackendError::Stopped {
                reason: format!(
                    "limits version {version} applied by the router but its RiskLimits could                      not be journaled, so it was not published (fail closed)"
                ),
            });
        }
        tracing::info!(version, entries = updates.len(), "AGG_LIMITS_SET");
        Ok((*view).clone())
    }

    fn parent_reply(&self, id: OrderId) -> Result<proto::ParentOrder, BackendError> {
        let p = self
            .router
            .parent(id)
            .or_else(|| self.router.finished_parent(id))
            .ok_or_else(|| BackendError::NotFound {
                what: format!("parent_order_id={}", id.0),
            })?;
        let row = ParentRow::of(p);
        Ok(views::parent_order(
            &row,
            self.orders.get(id),
            &self.names,
            0,
        ))
    }

    fn submit(
        &mut self,
        request: proto::SubmitParentRequest,
        now_ns: u64,
    ) -> Result<proto::ParentOrder, BackendError> {
        if self.orders.by_client_id(&request.client_order_id).is_some() {
            return Err(BackendError::Duplicate {
                what: format!("client_order_id={}", request.client_order_id),
            });
        }
        let instrument = self
            .names
            .instrument(&request.instrument_symbol)
            .ok_or_else(|| BackendError::NotFound {
                what: format!("instrument_symbol={}", request.instrument_symbol),
            })?;
        let req = parent_request(&request, instrument)?;
        let terms = ParentTerms {
            client_order_id: request.client_order_id,
            marketable: request.order_type == proto::OrderType::MarketableLimit as i32,
        };
        let mut out = std::mem::take(&mut self.out);
        let r = self.router.submit_parent(&req, now_ns, &mut out);
        self.out = out;
        let id = match r {
            Ok(id) => id,
            Err(e) => {
                return Err(BackendError::Rejected {
                    code: codec::reject_reason_name(e.reject_reason()).to_owned(),
                    reason: e.to_string(),
                })
            }
        };
        let record = codec::parent_accepted(id, &req, &terms, now_ns);
        if self
            .journal_message(Direction::Outbound, 0, now_ns, &record)
            .is_none()
        {
            tracing::error!(
                parent = id.0,
                "AGG_JOURNAL_FAILED accepted parent not journaled"
            );
        }
        self.orders.on_accept(id, terms, now_ns);
        self.touched.push(id);
        self.dispatch(now_ns);
        tracing::info!(parent = id.0, "AGG_PARENT_ACCEPTED");
        self.parent_reply(id)
    }

    fn cancel(&mut self, id: OrderId, now_ns: u64) -> Result<proto::ParentOrder, BackendError> {
        let Some(p) = self.router.parent(id).copied() else {
            return match self.router.finished_parent(id) {
                Some(_) => Err(BackendError::Rejected {
                    code: "NotCancelable".into(),
                    reason: format!("parent_order_id={} is finished", id.0),
                }),
                None => Err(BackendError::NotFound {
                    what: format!("parent_order_id={}", id.0),
                }),
            };
        };
        if p.state == crossbar_router::parent::ParentState::PendingCancel {
            return self.parent_reply(id);
        }
        let record = codec::parent_cancel(id, p.instrument, now_ns);
        let Some(len) = codec::encode(&record, &mut self.buf).ok() else {
            return Err(BackendError::Stopped {
                reason: "encode failed".into(),
            });
        };
        if !self.append(Direction::Inbound, 0, now_ns, len) {
            return Err(BackendError::Stopped {
                reason: "journal append failed (fail closed)".into(),
            });
        }
        let mut out = std::mem::take(&mut self.out);
        let r = self.router.cancel_parent(id, now_ns, &mut out);
        self.out = out;
        if let Err(e) = r {
            self.dispatch(now_ns);
            return Err(BackendError::Rejected {
                code: "NotCancelable".into(),
                reason: e.to_string(),
            });
        }
        self.touched.push(id);
        self.dispatch(now_ns);
        self.parent_reply(id)
    }

    fn kill(
        &mut self,
        activate: bool,
        scope: KillScope,
        allow_risk_reducing: bool,
        reason: String,
        now_ns: u64,
    ) -> Result<proto::KillSwitchStatus, BackendError> {
        self.kills.retain(|k| k.scope != scope);
        if activate {
            self.kills.push(KillEntry {
                scope,
                allow_risk_reducing,
                reason,
                activated_ns: now_ns,
            });
        }
        let live: Vec<OrderId> = self
            .orders
            .all()
            .iter()
            .filter(|(_, v)| !v.finished)
            .map(|(&id, _)| OrderId(id))
            .collect();
        let mut out = std::mem::take(&mut self.out);
        let r = if activate {
            self.router
                .engage_kill_switch(scope, allow_risk_reducing, now_ns, &mut out)
        } else {
            self.router.release_kill_switch(scope, now_ns, &mut out)
        };
        self.out = out;
        self.touched.extend(live);
        self.dispatch(now_ns);
        r.map_err(|e| BackendError::NotFound {
            what: e.to_string(),
        })?;
        tracing::info!(activate, ?scope, "AGG_KILL_SWITCH");
        Ok(views::kill_status(&self.kills, &self.names))
    }

    // ------------------------------------------------------------------ timers

    /// `on_tick`, outbox retries, heartbeats, snapshots. Returns work done.
    pub fn on_timers(&mut self, now_ns: u64) -> usize {
        let mut work = 0;
        let mut out = std::mem::take(&mut self.out);
        if self.router.on_tick(now_ns, &mut out) {
            self.dirty = true;
        }
        self.out = out;
        if !self.out.is_empty() {
            work += self.out.len();
            self.dispatch(now_ns);
        }
        for o in &mut self.outboxes {
            work += o.retry();
        }
        // A replay request unanswered for a venue timeout is sent again (the gateway may not
        // have been connected): the gateway stays held meanwhile (fail closed).
        let retry_ns = self.router.limits().heartbeat_timeout_ns.max(1);
        let overdue: Vec<u16> = self.streams.overdue(now_ns, retry_ns).collect();
        for g in overdue {
            self.request_replay(g, now_ns);
            work += 1;
        }
        if now_ns >= self.next_heartbeat_ns {
            self.heartbeat_sequence += 1;
            let len = codec::heartbeat(
                &mut self.buf,
                self.router_id,
                self.heartbeat_sequence,
                now_ns,
            );
            for o in &mut self.outboxes {
                o.heartbeat(&self.buf[..len]);
            }
            self.next_heartbeat_ns = now_ns + self.heartbeat_interval_ns;
            self.dirty = true; // venue health ages
            work += 1;
        }
        if now_ns >= self.next_snapshot_ns && self.dirty {
            self.publish_snapshot(now_ns);
            work += 1;
        }
        work
    }

    /// Publishes a reader snapshot if anything changed since the last one (whatever the
    /// snapshot interval): what a command did is visible before its reply.
    fn publish_changes(&mut self, now_ns: u64) {
        if self.dirty || self.orders.dirty_len() > 0 {
            self.publish_snapshot(now_ns);
        }
    }

    /// Builds and stores a reader snapshot ([`Published`], `crate::publisher`): the cost is
    /// proportional to the parents changed since the last one.
    pub fn publish_snapshot(&mut self, now_ns: u64) {
        let (published, _) = self.publisher.publish(
            &self.router,
            &mut self.orders,
            &self.kills,
            self.limits_view.load_full(),
            now_ns,
        );
        self.published.store(published);
        self.counters.snapshots.increment();
        self.dirty = false;
        self.next_snapshot_ns = now_ns + self.snapshot_interval_ns;
    }

    /// Journal upkeep (spare segment, interval sync) when idle.
    pub fn maintain(&mut self, now_ns: u64) {
        if let Err(e) = self.journal.maintain(now_ns) {
            self.counters.journal_failed.increment();
            tracing::error!(error = %e, "AGG_JOURNAL_MAINTAIN_FAILED");
        }
    }
}

fn exec_type(t: g::ExecType) -> Option<ExecType> {
    Some(match t {
        g::ExecType::New => ExecType::New,
        g::ExecType::PartialFill => ExecType::PartialFill,
        g::ExecType::Fill => ExecType::Fill,
        g::ExecType::Canceled => ExecType::Canceled,
        g::ExecType::Replaced => ExecType::Replaced,
        g::ExecType::Rejected => ExecType::Rejected,
        g::ExecType::Expired => ExecType::Expired,
        g::ExecType::Restated => ExecType::Restated,
        _ => return None,
    })
}

/// The router request of a validated Submit.
///
/// # Errors
/// `Rejected` (code `InvalidOrder`) for enum values the API let through but the router has
/// no meaning for.
pub fn parent_request(
    r: &proto::SubmitParentRequest,
    instrument: InstrumentId,
) -> Result<ParentRequest, BackendError> {
    let bad = |field: &str| BackendError::Rejected {
        code: "InvalidOrder".into(),
        reason: format!("field={field}"),
    };
    let side = match proto::Side::try_from(r.side) {
        Ok(proto::Side::Buy) => Side::Buy,
        Ok(proto::Side::Sell) => Side::Sell,
        Ok(proto::Side::SellShort) => Side::SellShort,
        _ => return Err(bad("side")),
    };
    let time_in_force = match proto::TimeInForce::try_from(r.time_in_force) {
        Ok(proto::TimeInForce::Day) => TimeInForce::Day,
        Ok(proto::TimeInForce::Ioc) => TimeInForce::Ioc,
        _ => return Err(bad("time_in_force")),
    };
    let strategy = match proto::Strategy::try_from(r.strategy) {
        Ok(proto::Strategy::Sweep) => Strategy::Sweep,
        Ok(proto::Strategy::CostAware) => Strategy::CostAware,
        Ok(proto::Strategy::Post) => Strategy::Post,
        _ => return Err(bad("strategy")),
    };
    Ok(ParentRequest {
        instrument,
        side,
        qty: Qty(r.qty),
        limit_price: Price(r.limit_price),
        time_in_force,
        strategy,
    })
}

/// The router thread's agent: the [`Core`] plus its subscriptions and command queue.
pub struct AggregatorAgent {
    core: Core,
    market_data: Subscriber,
    executions: Subscriber,
    commands: Receiver<ApiCommand>,
    commands_per_cycle: usize,
}

impl AggregatorAgent {
    /// Assembles the agent.
    pub fn new(
        core: Core,
        market_data: Subscriber,
        executions: Subscriber,
        commands: Receiver<ApiCommand>,
        commands_per_cycle: usize,
    ) -> Self {
        Self {
            core,
            market_data,
            executions,
            commands,
            commands_per_cycle,
        }
    }

    /// The core (for start-up and tests).
    pub fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
}

impl Agent for AggregatorAgent {
    fn role_name(&self) -> &str {
        "aggregator"
    }

    fn do_work(&mut self, now_ns: u64) -> usize {
        let core = &mut self.core;
        let mut work = 0;
        let md = self.market_data.poll(
            &mut |b: &[u8]| core.on_market_data(b, now_ns),
            FRAGMENTS_PER_POLL,
        );
        work += md.unwrap_or_else(|e| {
            tracing::error!(error = %e, "AGG_POLL_FAILED");
            0
        });
        let ex = self.executions.poll(
            &mut |b: &[u8]| core.on_execution(b, now_ns),
            FRAGMENTS_PER_POLL,
        );
        work += ex.unwrap_or_else(|e| {
            tracing::error!(error = %e, "AGG_POLL_FAILED");
            0
        });
        for _ in 0..self.commands_per_cycle {
            match self.commands.try_recv() {
                Ok(cmd) => {
                    core.on_command(cmd, now_ns);
                    work += 1;
                }
                Err(_) => break,
            }
        }
        work += core.on_timers(now_ns);
        if work == 0 {
            core.maintain(now_ns);
        }
        work
    }
}
