//! The gRPC side (tokio, control plane only): [`AggregatorBackend`] implements
//! `crossbar_api::Backend` over the router thread, and [`Reads`] (with [`run_differ`]) turns
//! the router thread's snapshots into what reads see and the API's update streams.
//!
//! * Mutations (Submit, Cancel, KillSwitch, Limits.Set) go through a bounded `sync_channel` to
//!   the router thread (`try_send`: a full queue is `QueueFull` at once) and await a oneshot
//!   reply for at most `control.command_timeout_ms` (`Timeout`).
//! * Read-your-writes: the router thread publishes what a command changed before it replies
//!   (`crate::core`), and the backend brings [`ApiState`] up to that publication
//!   ([`Reads::catch_up`]) before it answers the caller; so a caller's next read (any RPC, any
//!   connection) shows the effect of every reply it got.
//! * Reads come from [`ApiState`], one publication plus the update sequences it reflects;
//!   nothing reads the router's state directly.
//! * Streams: each new publication is compared with the previous one (only the parents whose
//!   map nodes differ are visited); every parent or instrument position that changed gets the
//!   next sequence number and one update. Changes between two publications arrive as one
//!   update (the final state).

use std::collections::HashMap;
use std::future::Future;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbar_api::proto::{self, ParentOrderUpdate, PositionUpdate};
use crossbar_api::{Backend, BackendError, Valid};
use crossbar_router::KillScope;
use imbl::ordmap::DiffItem;
use tokio::sync::{broadcast, oneshot};

use crate::core::{ApiCommand, Reply};
use crate::views::{self, Names, ParentEntry, Published};

/// What reads are served from: one published snapshot and the update sequences it reflects.
#[derive(Clone, Debug, Default)]
pub struct ApiState {
    /// The router thread's snapshot.
    pub published: Arc<Published>,
    /// Last parent-order update sequence (0 = none yet).
    pub parent_sequence: u64,
    /// Last position update sequence.
    pub position_sequence: u64,
    /// Sequence of the last update of each parent still published (persistent map: a clone
    /// is O(1)).
    pub parent_updated: imbl::OrdMap<u64, u64>,
    /// Snapshot time of the last change of each instrument's position, UTC ns.
    pub position_updated_ns: HashMap<u32, u64>,
    /// Each instrument's position at the last diff.
    pub positions: Vec<proto::Position>,
}

/// The read side: the router thread's latest publication, the [`ApiState`] reads are served
/// from, and the update broadcasts. [`Reads::catch_up`] moves the state to the latest
/// publication; the differ task calls it every snapshot interval and the backend after every
/// command reply.
pub struct Reads {
    published: Arc<ArcSwap<Published>>,
    state: ArcSwap<ApiState>,
    names: Arc<Names>,
    parent_updates: broadcast::Sender<ParentOrderUpdate>,
    position_updates: broadcast::Sender<PositionUpdate>,
    /// Serializes catch-ups (the differ task and command replies) so sequences stay in order;
    /// held only for one diff, never by the router thread.
    diffing: Mutex<()>,
}

impl Reads {
    /// Reads over the router thread's `published` snapshots (caught up to the latest at once),
    /// broadcasting updates on the two senders.
    pub fn new(
        published: Arc<ArcSwap<Published>>,
        names: Arc<Names>,
        parent_updates: broadcast::Sender<ParentOrderUpdate>,
        position_updates: broadcast::Sender<PositionUpdate>,
    ) -> Self {
        let reads = Self {
            published,
            state: ArcSwap::from_pointee(ApiState::default()),
            names,
            parent_updates,
            position_updates,
            diffing: Mutex::new(()),
        };
        reads.catch_up(); // reads never see an empty state once the router has published
        reads
    }

    /// The state reads are served from now.
    pub fn state(&self) -> Arc<ApiState> {
        self.state.load_full()
    }

    /// Brings the state up to the router thread's latest publication (diffing it against the
    /// one the state holds and broadcasting the updates); nothing to do when it is current.
    pub fn catch_up(&self) {
        let next = self.published.load_full();
        if self.state.load().published.version >= next.version && next.version != 0 {
            return;
        }
        let _one = self
            .diffing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        diff_and_publish(
            next,
            &self.state,
            &self.names,
            &self.parent_updates,
            &self.position_updates,
        );
    }
}

/// The Backend the API server calls.
pub struct AggregatorBackend {
    commands: SyncSender<ApiCommand>,
    queue_capacity: usize,
    timeout: Duration,
    reads: Arc<Reads>,
    names: Arc<Names>,
}

impl AggregatorBackend {
    /// A backend over the command queue `commands` (of `queue_capacity`), serving reads from
    /// `reads`.
    pub fn new(
        commands: SyncSender<ApiCommand>,
        queue_capacity: usize,
        timeout: Duration,
        reads: Arc<Reads>,
        names: Arc<Names>,
    ) -> Self {
        Self {
            commands,
            queue_capacity,
            timeout,
            reads,
            names,
        }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> ApiCommand) -> Result<T, BackendError> {
        let (tx, rx) = oneshot::channel();
        match self.commands.try_send(make(tx)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(BackendError::QueueFull {
                    reason: format!("command queue full (capacity {})", self.queue_capacity),
                })
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(BackendError::Stopped {
                    reason: "router thread stopped".into(),
                })
            }
        }
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(reply)) => {
                // The router thread published before replying: make it what reads see.
                self.reads.catch_up();
                reply
            }
            Ok(Err(_)) => Err(BackendError::Stopped {
                reason: "router thread dropped the command".into(),
            }),
            Err(_) => Err(BackendError::Timeout {
                waited_ms: self.timeout.as_millis() as u64,
            }),
        }
    }

    fn scope(&self, scope: i32, venue: &str, symbol: &str) -> Result<KillScope, BackendError> {
        match proto::KillSwitchScope::try_from(scope) {
            Ok(proto::KillSwitchScope::All) => Ok(KillScope::All),
            Ok(proto::KillSwitchScope::Venue) => self
                .names
                .venue(venue)
                .map(KillScope::Venue)
                .ok_or_else(|| BackendError::NotFound {
                    what: format!("venue={venue}"),
                }),
            Ok(proto::KillSwitchScope::Instrument) => self
                .names
                .instrument(symbol)
                .map(KillScope::Instrument)
                .ok_or_else(|| BackendError::NotFound {
                    what: format!("instrument_symbol={symbol}"),
                }),
            _ => Err(BackendError::Rejected {
                code: "InvalidOrder".into(),
                reason: "scope".into(),
            }),
        }
    }

    fn known_symbol(&self, symbol: &str) -> Result<(), BackendError> {
        if symbol.is_empty() || self.names.instrument(symbol).is_some() {
            Ok(())
        } else {
            Err(BackendError::NotFound {
                what: format!("instrument_symbol={symbol}"),
            })
        }
    }
}

impl Backend for AggregatorBackend {
    fn submit_parent(
        &self,
        request: Valid<proto::SubmitParentRequest>,
    ) -> impl Future<Output = Result<proto::ParentOrder, BackendError>> + Send {
        let request = request.into_inner();
        self.call(move |reply| ApiCommand::Submit { request, reply })
    }

    fn cancel_parent(
        &self,
        request: Valid<proto::CancelParentRequest>,
    ) -> impl Future<Output = Result<proto::ParentOrder, BackendError>> + Send {
        let parent = request.parent_order_id;
        self.call(move |reply| ApiCommand::Cancel { parent, reply })
    }

    async fn get_parent(
        &self,
        request: Valid<proto::GetParentRequest>,
    ) -> Result<proto::ParentOrder, BackendError> {
        let s = self.reads.state();
        let id = request.parent_order_id;
        s.published
            .parents
            .get(&id)
            .map(|e| {
                let seq = s.parent_updated.get(&id).copied().unwrap_or(0);
                views::parent_order(&e.row, e.view.as_ref(), &self.names, seq)
            })
            .ok_or_else(|| BackendError::NotFound {
                what: format!("parent_order_id={id}"),
            })
    }

    async fn list_parents(
        &self,
        request: Valid<proto::ListParentsRequest>,
    ) -> Result<proto::ParentOrderList, BackendError> {
        let s = self.reads.state();
        // Newest first: the map is ordered by id, ids grow with acceptance.
        Ok(proto::ParentOrderList {
            sequence: s.parent_sequence,
            orders: s
                .published
                .parents
                .iter()
                .rev()
                .filter(|(_, e)| !request.active_only || !e.row.state.is_terminal())
                .take(request.limit as usize)
                .map(|(id, e)| {
                    let seq = s.parent_updated.get(id).copied().unwrap_or(0);
                    views::parent_order(&e.row, e.view.as_ref(), &self.names, seq)
                })
                .collect(),
        })
    }

    async fn positions(
        &self,
        request: Valid<proto::GetPositionsRequest>,
    ) -> Result<proto::PositionsSnapshot, BackendError> {
        self.known_symbol(&request.instrument_symbol)?;
        let s = self.reads.state();
        Ok(proto::PositionsSnapshot {
            sequence: s.position_sequence,
            as_of_ns: s.published.taken_at_ns,
            positions: s
                .positions
                .iter()
                .filter(|p| {
                    request.instrument_symbol.is_empty()
                        || p.instrument_symbol == request.instrument_symbol
                })
                .cloned()
                .collect(),
        })
    }

    fn subscribe_positions(&self) -> Result<broadcast::Receiver<PositionUpdate>, BackendError> {
        Ok(self.reads.position_updates.subscribe())
    }

    fn subscribe_parent_updates(
        &self,
    ) -> Result<broadcast::Receiver<ParentOrderUpdate>, BackendError> {
        Ok(self.reads.parent_updates.subscribe())
    }

    async fn get_limits(
        &self,
        request: Valid<proto::GetLimitsRequest>,
    ) -> Result<proto::LimitsSnapshot, BackendError> {
        self.known_symbol(&request.instrument_symbol)?;
        let mut limits = (*self.reads.state().published.limits).clone();
        limits.instruments.retain(|l| {
            request.instrument_symbol.is_empty() || l.instrument_symbol == request.instrument_symbol
        });
        Ok(limits)
    }

    async fn set_limits(
        &self,
        request: Valid<proto::SetLimitsRequest>,
    ) -> Result<proto::LimitsSnapshot, BackendError> {
        for e in &request.instruments {
            self.known_symbol(&e.instrument_symbol)?;
        }
        let request = request.into_inner();
        self.call(move |reply| ApiCommand::SetLimits { request, reply })
            .await
    }

    fn activate_kill_switch(
        &self,
        request: Valid<proto::ActivateKillSwitchRequest>,
    ) -> impl Future<Output = Result<proto::KillSwitchStatus, BackendError>> + Send {
        let scope = self.scope(request.scope, &request.venue, &request.instrument_symbol);
        let (allow_risk_reducing, reason) = (request.allow_risk_reducing, request.reason.clone());
        async move {
            let scope = scope?;
            self.call(move |reply| ApiCommand::Kill {
                activate: true,
                scope,
                allow_risk_reducing,
                reason,
                reply,
            })
            .await
        }
    }

    fn deactivate_kill_switch(
        &self,
        request: Valid<proto::DeactivateKillSwitchRequest>,
    ) -> impl Future<Output = Result<proto::KillSwitchStatus, BackendError>> + Send {
        let scope = self.scope(request.scope, &request.venue, &request.instrument_symbol);
        async move {
            let scope = scope?;
            self.call(move |reply| ApiCommand::Kill {
                activate: false,
                scope,
                allow_risk_reducing: false,
                reason: String::new(),
                reply,
            })
            .await
        }
    }

    async fn kill_switch_status(&self) -> Result<proto::KillSwitchStatus, BackendError> {
        let s = self.reads.state();
        Ok(views::kill_status(&s.published.kills, &self.names))
    }

    async fn venues(&self) -> Result<proto::VenueList, BackendError> {
        let s = self.reads.state();
        Ok(views::venues(&s.published, &self.names))
    }
}

/// Compares `next` with the state in `state`, stores the new state and broadcasts one update
/// per changed parent and instrument position (after storing, so a stream that snapshots in
/// between drops them as already reflected). Parents are compared with the persistent map's
/// diff, which skips the nodes both publications share: O(changed × log parents). Callers
/// serialize calls ([`Reads::catch_up`]).
pub fn diff_and_publish(
    next: Arc<Published>,
    state: &ArcSwap<ApiState>,
    names: &Names,
    parent_updates: &broadcast::Sender<ParentOrderUpdate>,
    position_updates: &broadcast::Sender<PositionUpdate>,
) {
    let prev = state.load_full();
    if prev.published.version >= next.version && prev.published.version != 0 {
        return;
    }
    let mut s = (*prev).clone();
    let mut parent_out = Vec::new();
    let mut changed = |id: u64, e: &ParentEntry, s: &mut ApiState| {
        s.parent_sequence += 1;
        s.parent_updated.insert(id, s.parent_sequence);
        parent_out.push(ParentOrderUpdate {
            sequence: s.parent_sequence,
            snapshot: false,
            order: Some(views::parent_order(
                &e.row,
                e.view.as_ref(),
                names,
                s.parent_sequence,
            )),
        });
    };
    for d in prev.published.parents.diff(&next.parents) {
        match d {
            DiffItem::Add(id, e) => changed(*id, e, &mut s),
            DiffItem::Update { new: (id, e), .. } => changed(*id, e, &mut s),
            DiffItem::Remove(id, _) => {
                s.parent_updated.remove(id);
            }
        }
    }
    let mut position_out = Vec::new();
    if !Arc::ptr_eq(&prev.published.positions, &next.positions) {
        let mut positions = views::positions(&next.positions, names, &s.position_updated_ns);
        for p in &mut positions {
            let before = prev
                .positions
                .iter()
                .find(|o| o.instrument_symbol == p.instrument_symbol);
            let same = before.is_some_and(|b| {
                (
                    b.net_qty,
                    b.bought_qty,
                    b.sold_qty,
                    b.notional_bought,
                    b.notional_sold,
                ) == (
                    p.net_qty,
                    p.bought_qty,
                    p.sold_qty,
                    p.notional_bought,
                    p.notional_sold,
                )
            });
            if same {
                p.updated_ns = before.map_or(0, |b| b.updated_ns);
                continue;
            }
            p.updated_ns = next.taken_at_ns;
            if let Some(i) = names.instrument(&p.instrument_symbol) {
                s.position_updated_ns.insert(i.0, p.updated_ns);
            }
            s.position_sequence += 1;
            position_out.push(PositionUpdate {
                sequence: s.position_sequence,
                snapshot: false,
                position: Some(p.clone()),
            });
        }
        s.positions = positions;
    }
    s.published = next;
    state.store(Arc::new(s));
    for u in parent_out {
        let _ = parent_updates.send(u);
    }
    for u in position_out {
        let _ = position_updates.send(u);
    }
}

/// Runs [`Reads::catch_up`] every `interval` until `running()` turns false.
pub async fn run_differ(reads: Arc<Reads>, interval: Duration, running: impl Fn() -> bool) {
    while running() {
        reads.catch_up();
        tokio::time::sleep(interval).await;
    }
}
