//! An in-memory [`Backend`] for the API's tests (and crossbarctl's, which include this file):
//! the unit under test is the API layer, so the order core is a small stand-in that keeps the
//! real backend's contract: mutating commands go through a bounded queue to one worker thread
//! (the single writer) and the caller awaits the reply with a timeout; a full queue is
//! `QueueFull` at once. The worker can be paused to fill the queue deterministically.
//!
//! Stand-in behaviour: instruments AAPL, MSFT, SPY; venues XNAS (connected) and XBOS
//! (disconnected); a submitted order becomes WORKING with one child on XNAS for its full qty;
//! [`MemoryBackend::fill`] fills shares of it; an active kill switch covering the order makes
//! it REJECTED with reject_code KillSwitch.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crossbar_api::proto::{
    ActivateKillSwitchRequest, CancelParentRequest, ChildOrder, ChildState,
    DeactivateKillSwitchRequest, FeedState, GetLimitsRequest, GetParentRequest,
    GetPositionsRequest, InstrumentLimits, KillSwitchEntry, KillSwitchScope, KillSwitchStatus,
    LimitsSnapshot, ListParentsRequest, ParentOrder, ParentOrderList, ParentOrderUpdate,
    ParentState, Position, PositionUpdate, PositionsSnapshot, SessionState, SetLimitsRequest, Side,
    SubmitParentRequest, VenueList, VenuePosition, VenueStatus,
};
use crossbar_api::{Backend, BackendError, Valid};
use tokio::sync::{broadcast, mpsc, oneshot};

/// Instruments the stand-in knows.
pub const SYMBOLS: [&str; 3] = ["AAPL", "MSFT", "SPY"];
/// Fixed clock of the stand-in, UTC ns.
pub const NOW_NS: u64 = 1_700_000_000_000_000_000;

type Reply<T> = oneshot::Sender<Result<T, BackendError>>;

enum Command {
    Submit(SubmitParentRequest, Reply<ParentOrder>),
    Cancel(u64, Reply<ParentOrder>),
    SetLimits(SetLimitsRequest, Reply<LimitsSnapshot>),
    Activate(ActivateKillSwitchRequest, Reply<KillSwitchStatus>),
    Deactivate(DeactivateKillSwitchRequest, Reply<KillSwitchStatus>),
    Fill {
        parent_order_id: u64,
        qty: u32,
        price: i64,
        reply: Reply<ParentOrder>,
    },
}

/// Pauses the worker between taking a command and applying it.
#[derive(Default)]
struct Gate {
    paused: Mutex<bool>,
    resumed: Condvar,
    waiting: AtomicBool,
}

impl Gate {
    fn pass(&self) {
        let mut paused = self.paused.lock().unwrap();
        while *paused {
            self.waiting.store(true, Ordering::SeqCst);
            paused = self.resumed.wait(paused).unwrap();
        }
        self.waiting.store(false, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct State {
    orders: BTreeMap<u64, ParentOrder>,
    fills_notional: BTreeMap<u64, i128>,
    positions: BTreeMap<String, Position>,
    limits: BTreeMap<String, InstrumentLimits>,
    limits_version: u64,
    max_gross_notional_total: i64,
    max_net_notional_total: i64,
    kill: Vec<KillSwitchEntry>,
    order_sequence: u64,
    position_sequence: u64,
    next_parent_id: u64,
    next_child_seq: u64,
    applied: u64,
}

/// The stand-in backend. Cheap to share behind an `Arc`.
pub struct MemoryBackend {
    commands: mpsc::Sender<Command>,
    capacity: usize,
    reply_timeout: Duration,
    state: Arc<Mutex<State>>,
    gate: Arc<Gate>,
    orders_tx: broadcast::Sender<ParentOrderUpdate>,
    positions_tx: broadcast::Sender<PositionUpdate>,
    read_calls: AtomicU64,
}

impl MemoryBackend {
    /// A backend with a command queue of `queue_capacity`, replies awaited up to
    /// `reply_timeout`, and broadcasts of `broadcast_capacity`.
    pub fn new(
        queue_capacity: usize,
        reply_timeout: Duration,
        broadcast_capacity: usize,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(queue_capacity);
        let (orders_tx, _) = broadcast::channel(broadcast_capacity);
        let (positions_tx, _) = broadcast::channel(broadcast_capacity);
        let mut state = State {
            next_parent_id: 1,
            limits_version: 1,
            max_gross_notional_total: DEFAULT_MAX_GROSS_NOTIONAL * 3,
            max_net_notional_total: DEFAULT_MAX_NET_NOTIONAL * 3,
            ..State::default()
        };
        for symbol in ["AAPL", "MSFT"] {
            state.limits.insert(symbol.into(), default_limits(symbol));
        }
        let state = Arc::new(Mutex::new(state));
        let gate = Arc::new(Gate::default());
        let worker = Worker {
            state: Arc::clone(&state),
            gate: Arc::clone(&gate),
            orders_tx: orders_tx.clone(),
            positions_tx: positions_tx.clone(),
        };
        std::thread::Builder::new()
            .name("memory-backend".into())
            .spawn(move || worker.run(rx))
            .unwrap();
        Arc::new(Self {
            commands: tx,
            capacity: queue_capacity,
            reply_timeout,
            state,
            gate,
            orders_tx,
            positions_tx,
            read_calls: AtomicU64::new(0),
        })
    }

    /// A backend with roomy defaults: queue 64, 30 s timeout, broadcast 1024.
    pub fn roomy() -> Arc<Self> {
        Self::new(64, Duration::from_secs(30), 1024)
    }

    /// Mutating commands the worker has applied (successful or refused by state).
    pub fn applied(&self) -> u64 {
        self.state.lock().unwrap().applied
    }

    /// Read calls (positions, orders, limits, status, venues) served.
    pub fn read_calls(&self) -> u64 {
        self.read_calls.load(Ordering::SeqCst)
    }

    /// Every parent order, oldest first.
    pub fn orders(&self) -> Vec<ParentOrder> {
        self.state
            .lock()
            .unwrap()
            .orders
            .values()
            .cloned()
            .collect()
    }

    /// The current limits version.
    pub fn limits_version(&self) -> u64 {
        self.state.lock().unwrap().limits_version
    }

    /// Engaged kill switches.
    pub fn kill_switches(&self) -> Vec<KillSwitchEntry> {
        self.state.lock().unwrap().kill.clone()
    }

    /// Stops the worker before it applies the next command.
    pub fn pause(&self) {
        *self.gate.paused.lock().unwrap() = true;
    }

    /// Lets the worker go on.
    pub fn resume(&self) {
        *self.gate.paused.lock().unwrap() = false;
        self.gate.resumed.notify_all();
    }

    /// True while the paused worker holds a command it has not applied.
    pub fn worker_waiting(&self) -> bool {
        self.gate.waiting.load(Ordering::SeqCst)
    }

    /// Free slots in the command queue.
    pub fn queue_free(&self) -> usize {
        self.commands.capacity()
    }

    /// The queue's capacity.
    pub fn queue_capacity(&self) -> usize {
        self.capacity
    }

    /// Test hook: fill `qty` shares of a parent order at `price` (through the worker).
    pub async fn fill(
        &self,
        parent_order_id: u64,
        qty: u32,
        price: i64,
    ) -> Result<ParentOrder, BackendError> {
        self.call(|reply| Command::Fill {
            parent_order_id,
            qty,
            price,
            reply,
        })
        .await
    }

    /// Sends a command to the worker without waiting for room, then awaits its reply.
    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, BackendError> {
        let (tx, rx) = oneshot::channel();
        self.commands.try_send(make(tx)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => BackendError::QueueFull {
                reason: format!("command queue full (capacity {})", self.capacity),
            },
            mpsc::error::TrySendError::Closed(_) => BackendError::Stopped {
                reason: "worker stopped".into(),
            },
        })?;
        match tokio::time::timeout(self.reply_timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(BackendError::Stopped {
                reason: "worker dropped the reply".into(),
            }),
            Err(_) => Err(BackendError::Timeout {
                waited_ms: self.reply_timeout.as_millis() as u64,
            }),
        }
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&State) -> Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        self.read_calls.fetch_add(1, Ordering::SeqCst);
        f(&self.state.lock().unwrap())
    }
}

/// The limits AAPL and MSFT start with.
pub fn default_limits(symbol: &str) -> InstrumentLimits {
    InstrumentLimits {
        instrument_symbol: symbol.into(),
        max_order_qty: 10_000,
        max_order_notional: 5_000_000 * 10_000,
        max_position: 100_000,
        price_collar_bps: 500,
        max_orders_per_second: 50,
        max_gross_notional: Some(DEFAULT_MAX_GROSS_NOTIONAL),
        max_net_notional: Some(DEFAULT_MAX_NET_NOTIONAL),
        credit_notional: Some(DEFAULT_CREDIT_NOTIONAL),
    }
}

/// Gross exposure limit every instrument starts with, 1/10,000 $.
pub const DEFAULT_MAX_GROSS_NOTIONAL: i64 = 20_000_000 * 10_000;
/// Net exposure limit every instrument starts with, 1/10,000 $.
pub const DEFAULT_MAX_NET_NOTIONAL: i64 = 10_000_000 * 10_000;
/// Credit budget every instrument starts with, 1/10,000 $.
pub const DEFAULT_CREDIT_NOTIONAL: i64 = 30_000_000 * 10_000;

fn known_symbol(symbol: &str) -> Result<(), BackendError> {
    if SYMBOLS.contains(&symbol) {
        Ok(())
    } else {
        Err(BackendError::NotFound {
            what: format!("instrument_symbol={symbol}"),
        })
    }
}

fn known_venue(venue: &str) -> Result<(), BackendError> {
    if ["XNAS", "XBOS"].contains(&venue) {
        Ok(())
    } else {
        Err(BackendError::NotFound {
            what: format!("venue={venue}"),
        })
    }
}

fn limits_snapshot(state: &State, symbol: &str) -> LimitsSnapshot {
    LimitsSnapshot {
        version: state.limits_version,
        instruments: state
            .limits
            .values()
            .filter(|l| symbol.is_empty() || l.instrument_symbol == symbol)
            .cloned()
            .collect(),
        max_gross_notional_total: state.max_gross_notional_total,
        max_net_notional_total: state.max_net_notional_total,
    }
}

fn kill_status(state: &State) -> KillSwitchStatus {
    KillSwitchStatus {
        active: state.kill.clone(),
    }
}

fn is_terminal(state: ParentState) -> bool {
    matches!(
        state,
        ParentState::Filled | ParentState::Canceled | ParentState::Rejected | ParentState::Expired
    )
}

struct Worker {
    state: Arc<Mutex<State>>,
    gate: Arc<Gate>,
    orders_tx: broadcast::Sender<ParentOrderUpdate>,
    positions_tx: broadcast::Sender<PositionUpdate>,
}

impl Worker {
    fn run(self, mut rx: mpsc::Receiver<Command>) {
        while let Some(command) = rx.blocking_recv() {
            self.gate.pass();
            let mut state = self.state.lock().unwrap();
            state.applied += 1;
            match command {
                Command::Submit(r, reply) => drop(reply.send(self.submit(&mut state, r))),
                Command::Cancel(id, reply) => drop(reply.send(self.cancel(&mut state, id))),
                Command::SetLimits(r, reply) => drop(reply.send(set_limits(&mut state, r))),
                Command::Activate(r, reply) => drop(reply.send(activate(&mut state, r))),
                Command::Deactivate(r, reply) => drop(reply.send(deactivate(&mut state, r))),
                Command::Fill {
                    parent_order_id,
                    qty,
                    price,
                    reply,
                } => drop(reply.send(self.fill(&mut state, parent_order_id, qty, price))),
            }
        }
    }

    fn publish_order(&self, state: &mut State, id: u64) -> ParentOrder {
        state.order_sequence += 1;
        let sequence = state.order_sequence;
        let order = state.orders.get_mut(&id).unwrap();
        order.update_sequence = sequence;
        let order = order.clone();
        let _ = self.orders_tx.send(ParentOrderUpdate {
            sequence,
            snapshot: false,
            order: Some(order.clone()),
        });
        order
    }

    fn submit(
        &self,
        state: &mut State,
        r: SubmitParentRequest,
    ) -> Result<ParentOrder, BackendError> {
        known_symbol(&r.instrument_symbol)?;
        if state
            .orders
            .values()
            .any(|o| o.client_order_id == r.client_order_id)
        {
            return Err(BackendError::Duplicate {
                what: format!("client_order_id={}", r.client_order_id),
            });
        }
        let id = state.next_parent_id;
        state.next_parent_id += 1;
        let killed = state.kill.iter().any(|k| match k.scope() {
            KillSwitchScope::All => true,
            KillSwitchScope::Instrument => k.instrument_symbol == r.instrument_symbol,
            KillSwitchScope::Venue => k.venue == "XNAS",
            KillSwitchScope::Unspecified => false,
        });
        let mut order = ParentOrder {
            parent_order_id: id,
            client_order_id: r.client_order_id.clone(),
            instrument_symbol: r.instrument_symbol.clone(),
            side: r.side,
            qty: r.qty,
            limit_price: r.limit_price,
            order_type: r.order_type,
            time_in_force: r.time_in_force,
            strategy: r.strategy,
            leaves_qty: r.qty,
            created_ns: NOW_NS,
            updated_ns: NOW_NS,
            ..ParentOrder::default()
        };
        if killed {
            order.set_state(ParentState::Rejected);
            order.leaves_qty = 0;
            order.reject_code = "KillSwitch".into();
            order.reject_reason = "kill switch engaged".into();
        } else {
            state.next_child_seq += 1;
            let mut child = ChildOrder {
                child_order_id: (1u64 << 48) | state.next_child_seq,
                venue: "XNAS".into(),
                price: r.limit_price,
                qty: r.qty,
                leaves_qty: r.qty,
                ..ChildOrder::default()
            };
            child.set_state(ChildState::New);
            order.children.push(child);
            order.set_state(ParentState::Working);
        }
        state.orders.insert(id, order);
        Ok(self.publish_order(state, id))
    }

    fn cancel(&self, state: &mut State, id: u64) -> Result<ParentOrder, BackendError> {
        let order = state
            .orders
            .get_mut(&id)
            .ok_or_else(|| BackendError::NotFound {
                what: format!("parent_order_id={id}"),
            })?;
        if is_terminal(order.state()) {
            return Err(BackendError::Rejected {
                code: "NotCancelable".into(),
                reason: format!("parent order {id} is {}", order.state().as_str_name()),
            });
        }
        order.set_state(ParentState::Canceled);
        order.leaves_qty = 0;
        for child in &mut order.children {
            child.leaves_qty = 0;
            child.set_state(ChildState::Canceled);
        }
        Ok(self.publish_order(state, id))
    }

    fn fill(
        &self,
        state: &mut State,
        id: u64,
        qty: u32,
        price: i64,
    ) -> Result<ParentOrder, BackendError> {
        let order = state
            .orders
            .get_mut(&id)
            .ok_or_else(|| BackendError::NotFound {
                what: format!("parent_order_id={id}"),
            })?;
        if qty == 0 || qty > order.leaves_qty {
            return Err(BackendError::Rejected {
                code: "Overfill".into(),
                reason: format!("leaves {}", order.leaves_qty),
            });
        }
        order.leaves_qty -= qty;
        order.cum_qty += qty;
        let notional = state.fills_notional.entry(id).or_default();
        *notional += price as i128 * qty as i128;
        order.avg_price = (*notional / order.cum_qty as i128) as i64;
        order.set_state(if order.leaves_qty == 0 {
            ParentState::Filled
        } else {
            ParentState::PartiallyFilled
        });
        let child = &mut order.children[0];
        child.leaves_qty -= qty;
        child.cum_qty += qty;
        child.avg_price = order.avg_price;
        child.set_state(if child.leaves_qty == 0 {
            ChildState::Filled
        } else {
            ChildState::PartiallyFilled
        });
        let symbol = order.instrument_symbol.clone();
        let sell = order.side() != Side::Buy;
        let signed = if sell { -(qty as i64) } else { qty as i64 };
        let position = state
            .positions
            .entry(symbol.clone())
            .or_insert_with(|| Position {
                instrument_symbol: symbol.clone(),
                by_venue: vec![VenuePosition {
                    venue: "XNAS".into(),
                    ..VenuePosition::default()
                }],
                ..Position::default()
            });
        position.net_qty += signed;
        position.by_venue[0].net_qty += signed;
        if sell {
            position.sold_qty += qty as u64;
            position.by_venue[0].sold_qty += qty as u64;
            position.notional_sold += price * qty as i64;
        } else {
            position.bought_qty += qty as u64;
            position.by_venue[0].bought_qty += qty as u64;
            position.notional_bought += price * qty as i64;
        }
        position.updated_ns = NOW_NS;
        let position = position.clone();
        state.position_sequence += 1;
        let _ = self.positions_tx.send(PositionUpdate {
            sequence: state.position_sequence,
            snapshot: false,
            position: Some(position),
        });
        Ok(self.publish_order(state, id))
    }
}

fn set_limits(state: &mut State, r: SetLimitsRequest) -> Result<LimitsSnapshot, BackendError> {
    if r.expected_version != 0 && r.expected_version != state.limits_version {
        return Err(BackendError::Rejected {
            code: "VersionMismatch".into(),
            reason: format!(
                "expected {} current {}",
                r.expected_version, state.limits_version
            ),
        });
    }
    for entry in &r.instruments {
        known_symbol(&entry.instrument_symbol)?;
    }
    // As the real backend: an absent gross / net / credit field or total keeps its value.
    for mut entry in r.instruments {
        if let Some(now) = state.limits.get(&entry.instrument_symbol) {
            entry.max_gross_notional = entry.max_gross_notional.or(now.max_gross_notional);
            entry.max_net_notional = entry.max_net_notional.or(now.max_net_notional);
            entry.credit_notional = entry.credit_notional.or(now.credit_notional);
        }
        state.limits.insert(entry.instrument_symbol.clone(), entry);
    }
    if let Some(v) = r.max_gross_notional_total {
        state.max_gross_notional_total = v;
    }
    if let Some(v) = r.max_net_notional_total {
        state.max_net_notional_total = v;
    }
    state.limits_version += 1;
    Ok(limits_snapshot(state, ""))
}

fn same_scope(k: &KillSwitchEntry, scope: i32, venue: &str, symbol: &str) -> bool {
    k.scope == scope && k.venue == venue && k.instrument_symbol == symbol
}

fn activate(
    state: &mut State,
    r: ActivateKillSwitchRequest,
) -> Result<KillSwitchStatus, BackendError> {
    if !r.venue.is_empty() {
        known_venue(&r.venue)?;
    }
    if !r.instrument_symbol.is_empty() {
        known_symbol(&r.instrument_symbol)?;
    }
    state
        .kill
        .retain(|k| !same_scope(k, r.scope, &r.venue, &r.instrument_symbol));
    state.kill.push(KillSwitchEntry {
        scope: r.scope,
        venue: r.venue,
        instrument_symbol: r.instrument_symbol,
        allow_risk_reducing: r.allow_risk_reducing,
        reason: r.reason,
        activated_ns: NOW_NS,
    });
    Ok(kill_status(state))
}

fn deactivate(
    state: &mut State,
    r: DeactivateKillSwitchRequest,
) -> Result<KillSwitchStatus, BackendError> {
    state
        .kill
        .retain(|k| !same_scope(k, r.scope, &r.venue, &r.instrument_symbol));
    Ok(kill_status(state))
}

impl Backend for MemoryBackend {
    async fn submit_parent(
        &self,
        request: Valid<SubmitParentRequest>,
    ) -> Result<ParentOrder, BackendError> {
        self.call(|reply| Command::Submit(request.into_inner(), reply))
            .await
    }

    async fn cancel_parent(
        &self,
        request: Valid<CancelParentRequest>,
    ) -> Result<ParentOrder, BackendError> {
        self.call(|reply| Command::Cancel(request.parent_order_id, reply))
            .await
    }

    async fn get_parent(
        &self,
        request: Valid<GetParentRequest>,
    ) -> Result<ParentOrder, BackendError> {
        let id = request.parent_order_id;
        self.read(|s| {
            s.orders
                .get(&id)
                .cloned()
                .ok_or_else(|| BackendError::NotFound {
                    what: format!("parent_order_id={id}"),
                })
        })
    }

    async fn list_parents(
        &self,
        request: Valid<ListParentsRequest>,
    ) -> Result<ParentOrderList, BackendError> {
        self.read(|s| {
            Ok(ParentOrderList {
                sequence: s.order_sequence,
                orders: s
                    .orders
                    .values()
                    .rev()
                    .filter(|o| !request.active_only || !is_terminal(o.state()))
                    .take(request.limit as usize)
                    .cloned()
                    .collect(),
            })
        })
    }

    async fn positions(
        &self,
        request: Valid<GetPositionsRequest>,
    ) -> Result<PositionsSnapshot, BackendError> {
        let symbol = request.into_inner().instrument_symbol;
        if !symbol.is_empty() {
            known_symbol(&symbol)?;
        }
        self.read(|s| {
            Ok(PositionsSnapshot {
                sequence: s.position_sequence,
                as_of_ns: NOW_NS,
                positions: s
                    .positions
                    .values()
                    .filter(|p| symbol.is_empty() || p.instrument_symbol == symbol)
                    .cloned()
                    .collect(),
            })
        })
    }

    fn subscribe_positions(&self) -> Result<broadcast::Receiver<PositionUpdate>, BackendError> {
        Ok(self.positions_tx.subscribe())
    }

    fn subscribe_parent_updates(
        &self,
    ) -> Result<broadcast::Receiver<ParentOrderUpdate>, BackendError> {
        Ok(self.orders_tx.subscribe())
    }

    async fn get_limits(
        &self,
        request: Valid<GetLimitsRequest>,
    ) -> Result<LimitsSnapshot, BackendError> {
        let symbol = request.into_inner().instrument_symbol;
        if !symbol.is_empty() {
            known_symbol(&symbol)?;
        }
        self.read(|s| Ok(limits_snapshot(s, &symbol)))
    }

    async fn set_limits(
        &self,
        request: Valid<SetLimitsRequest>,
    ) -> Result<LimitsSnapshot, BackendError> {
        self.call(|reply| Command::SetLimits(request.into_inner(), reply))
            .await
    }

    async fn activate_kill_switch(
        &self,
        request: Valid<ActivateKillSwitchRequest>,
    ) -> Result<KillSwitchStatus, BackendError> {
        self.call(|reply| Command::Activate(request.into_inner(), reply))
            .await
    }

    async fn deactivate_kill_switch(
        &self,
        request: Valid<DeactivateKillSwitchRequest>,
    ) -> Result<KillSwitchStatus, BackendError> {
        self.call(|reply| Command::Deactivate(request.into_inner(), reply))
            .await
    }

    async fn kill_switch_status(&self) -> Result<KillSwitchStatus, BackendError> {
        self.read(|s| Ok(kill_status(s)))
    }

    async fn venues(&self) -> Result<VenueList, BackendError> {
        self.read(|s| {
            let killed = |venue: &str| {
                s.kill.iter().any(|k| {
                    k.scope() == KillSwitchScope::All
                        || (k.scope() == KillSwitchScope::Venue && k.venue == venue)
                })
            };
            let open = s
                .orders
                .values()
                .flat_map(|o| &o.children)
                .filter(|c| c.leaves_qty > 0)
                .count() as u32;
            let mut xnas = VenueStatus {
                venue: "XNAS".into(),
                venue_id: 1,
                kill_switch_active: killed("XNAS"),
                last_heartbeat_ns: NOW_NS,
                open_child_orders: open,
                ..VenueStatus::default()
            };
            xnas.set_session_state(SessionState::Connected);
            xnas.set_feed_state(FeedState::Ok);
            let mut xbos = VenueStatus {
                venue: "XBOS".into(),
                venue_id: 2,
                kill_switch_active: killed("XBOS"),
                ..VenueStatus::default()
            };
            xbos.set_session_state(SessionState::Disconnected);
            xbos.set_feed_state(FeedState::Stale);
            Ok(VenueList {
                venues: vec![xbos, xnas],
            })
        })
    }
}
