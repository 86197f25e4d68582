//! The router: one owner calls its `on_*` methods in event order and collects the commands
//! they emit into a [`CommandSink`]. Every method takes the router's clock as `now_ns`.
//! Deterministic: the same events with the same clock give the same commands.

use crate::book::ConsolidatedBook;
use crate::child::{self, Child, ChildEvent};
use crate::counters::Counters;
use crate::credit::{CreditBook, Room};
use crate::error::{check_instrument, check_venue, RouterError};
use crate::events::*;
use crate::kill::{KillFlag, KillState};
use crate::limits::{validate_totals, InstrumentRiskLimits, RouterLimits, VENUES_MAX};
use crate::nbbo::{self, Nbbo};
use crate::parent::{Parent, ParentEvent, ParentState};
use crate::risk::{Counters4, RiskBook};
use crate::snapshot::*;
use crate::strategy::{self, Plan, PlannedChild, RouteContext};
use crate::venue::VenueHealth;
use crossbar_book::RefMap;
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce};

mod restore;
mod resync;

/// Router children's open shares and notional at one (gateway, instrument): what the
/// gateway has reserved of its credit for them.
#[derive(Clone, Copy, Debug, Default)]
struct Working {
    buy: u64,
    sell: u64,
    notional: i128,
}

/// The aggregator's single-writer core. See the crate docs.
pub struct Router {
    limits: RouterLimits,
    book: ConsolidatedBook,
    nbbo: Vec<Nbbo>,
    health: Vec<VenueHealth>,
    healthy_mask: u64,
    gateway_of: Vec<u8>,
    risk: RiskBook,
    credit: CreditBook,
    kill: KillState,
    working: Vec<Working>,
    parents: Vec<Option<Parent>>,
    parent_free: Vec<u32>,
    parent_ids: RefMap,
    finished: Vec<Parent>,
    finished_next: usize,
    /// Order id → index in `finished`, so a finished parent is found without a scan.
    finished_ids: RefMap,
    children: Vec<Option<Child>>,
    child_free: Vec<u32>,
    child_ids: RefMap,
    next_sequence: u64,
    parked_parents: u32,
    plan: Plan,
    counters: Counters,
    /// Version of the per-instrument limits in force (1 = configured, +1 per change).
    limits_version: u64,
    /// Scratch of [`Router::set_limits`]: instruments already listed in the request.
    limits_listed: Vec<bool>,
    /// Replaying a journal (see `restore`): routing and credit rebalancing are suppressed,
    /// because the journal holds the decisions the router took.
    replaying: bool,
    /// Venues (bit = venue index) whose gateway's execution stream the owner has not
    /// resynced yet (`resync`): never routed to; an unsolicited cancel from one finishes
    /// its parent.
    resyncing: u64,
    /// Why the last `plan_children` planned nothing (an IOC parent gives up with it).
    plan_verdict: CancelReason,
}

impl Router {
    /// Builds every table from `limits`. Nothing allocates after this returns (except
    /// [`Self::snapshot_into`], which grows the snapshot's vectors as needed).
    ///
    /// # Errors
    /// [`RouterError::InvalidLimits`].
    pub fn new(limits: RouterLimits) -> Result<Self, RouterError> {
        limits.validate()?;
        let gateways = limits.gateways();
        let gateway_of = limits
            .venues
            .iter()
            .map(|v| {
                gateways
                    .iter()
                    .position(|g| *g == v.gateway)
                    .expect("listed") as u8
            })
            .collect();
        let instruments = limits.instrument_count as usize;
        let venues = limits.venues.len();
        let max_parents = limits.max_parents as usize;
        let max_children = limits.max_children as usize;
        Ok(Self {
            book: ConsolidatedBook::new(instruments, venues, limits.book_depth),
            nbbo: vec![Nbbo::default(); instruments],
            health: vec![VenueHealth::default(); venues],
            healthy_mask: 0,
            gateway_of,
            risk: RiskBook::new(
                limits.instruments.clone(),
                venues,
                limits.max_gross_notional_total,
                limits.max_net_notional_total,
            ),
            working: vec![Working::default(); gateways.len() * instruments],
            credit: CreditBook::new(gateways, instruments),
            kill: KillState::new(venues, instruments),
            parents: vec![None; max_parents],
            parent_free: (0..max_parents as u32).rev().collect(),
            parent_ids: RefMap::with_capacity(max_parents),
            finished: Vec::with_capacity(max_parents),
            finished_next: 0,
            finished_ids: RefMap::with_capacity(max_parents),
            children: vec![None; max_children],
            child_free: (0..max_children as u32).rev().collect(),
            child_ids: RefMap::with_capacity(max_children),
            next_sequence: 1,
            parked_parents: 0,
            plan: Plan::default(),
            counters: Counters::default(),
            replaying: false,
            resyncing: 0,
            plan_verdict: CancelReason::NoLiquidity,
            limits_version: 1,
            limits_listed: vec![false; instruments],
            limits,
        })
    }

    // ---------------------------------------------------------------- accessors

    /// The limits in force.
    pub fn limits(&self) -> &RouterLimits {
        &self.limits
    }

    /// NBBO of `instrument` over the venues healthy at the last health refresh.
    pub fn nbbo(&self, instrument: InstrumentId) -> Option<Nbbo> {
        self.nbbo.get(instrument.index()).copied()
    }

    /// The consolidated book.
    pub fn book(&self) -> &ConsolidatedBook {
        &self.book
    }

    /// Health of venue index `venue`.
    pub fn venue_health(&self, venue: usize) -> Option<&VenueHealth> {
        self.health.get(venue)
    }

    /// Healthy venues (bit per venue) at the last refresh.
    pub fn healthy_venues(&self) -> u64 {
        self.healthy_mask
    }

    /// Positions, exposure and limits.
    pub fn risk(&self) -> &RiskBook {
        &self.risk
    }

    /// Credit slices.
    pub fn credit(&self) -> &CreditBook {
        &self.credit
    }

    /// Kill switch state.
    pub fn kill_state(&self) -> &KillState {
        &self.kill
    }

    /// A live parent.
    pub fn parent(&self, order_id: OrderId) -> Option<&Parent> {
        let slot = self.parent_ids.get(order_id.0)?;
        self.parents[slot as usize].as_ref()
    }

    /// A finished parent still remembered (the last `max_parents` finished).
    pub fn finished_parent(&self, order_id: OrderId) -> Option<&Parent> {
        let index = self.finished_ids.get(order_id.0)?;
        self.finished.get(index as usize)
    }

    /// The parent order id of a live child.
    pub fn parent_of_child(&self, child: OrderId) -> Option<OrderId> {
        let c = self.child(child)?;
        self.parents[c.parent_slot as usize].map(|p| p.order_id)
    }

    /// A live child.
    pub fn child(&self, order_id: OrderId) -> Option<&Child> {
        let slot = self.child_ids.get(order_id.0)?;
        self.children[slot as usize].as_ref()
    }

    /// Live children, in slot order.
    pub fn live_children(&self) -> impl Iterator<Item = &Child> {
        self.children.iter().flatten()
    }

    /// Counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    fn count<T>(&mut self, r: Result<T, RouterError>) -> Result<T, RouterError> {
        match &r {
            Ok(_) => self.counters.events += 1,
            Err(e) => self.counters.errors[e.kind_index()] += 1,
        }
        r
    }

    fn next_order_id(&mut self) -> OrderId {
        let id = OrderId::new(self.limits.router_id, self.next_sequence).expect("2^48 ids per day");
        self.next_sequence += 1;
        id
    }

    // ---------------------------------------------------------------- start, health, book

    /// Grants every gateway its initial credit slice of every instrument.
    pub fn start(&mut self, now_ns: u64, sink: &mut impl CommandSink) {
        for i in 0..self.limits.instrument_count {
            self.rebalance_credit(InstrumentId(i), now_ns, sink);
        }
    }

    /// States `gateway`'s whole slice of every instrument it was ever granted credit for as
    /// an absolute [`Command::Slice`] (SBE CreditSlice), counting the gateway's execution-stream
    /// messages up to `through_stream_sequence` (the owner's last applied). Each statement
    /// takes the next grant sequence of its (gateway, instrument). Sent after the gateway's
    /// execution-stream resync, so a gateway that lost its journal gets its slice back and a
    /// gateway that kept it is corrected to the router's count. Returns how many statements.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_GATEWAY`; nothing is emitted.
    pub fn restate_credit(
        &mut self,
        gateway: GatewayId,
        through_stream_sequence: u64,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<usize, RouterError> {
        let r = self.credit.gateway_index(gateway);
        let g = self.count(r)?;
        let mut n = 0;
        for i in 0..self.limits.instrument_count {
            let instrument = InstrumentId(i);
            if self.credit.slice(g, instrument).grant_sequence == 0 {
                continue; // never granted: nothing to state
            }
            let s = self.credit.restate(g, instrument);
            sink.emit(Command::Slice(CreditSlice {
                gateway,
                instrument,
                grant_sequence: s.grant_sequence,
                buy_qty: s.buy,
                sell_qty: s.sell,
                notional: i64::try_from(s.notional).unwrap_or(i64::MAX),
                through_stream_sequence,
                timestamp_ns: now_ns,
            }));
            n += 1;
        }
        Ok(n)
    }

    /// Re-judges venue health at `now_ns` (heartbeat timeouts). Returns true when the set of
    /// healthy venues changed (every NBBO was then recomputed). Call once per duty cycle.
    pub fn on_tick(&mut self, now_ns: u64, sink: &mut impl CommandSink) -> bool {
        let changed = self.refresh_health(now_ns);
        if self.parked_parents > 0 {
            self.route_parked(now_ns, sink);
        }
        changed
    }

    fn refresh_health(&mut self, now_ns: u64) -> bool {
        let timeout = self.limits.heartbeat_timeout_ns;
        let mask = self
            .health
            .iter()
            .enumerate()
            .filter(|(_, h)| h.is_healthy(now_ns, timeout))
            .fold(0u64, |m, (v, _)| m | (1 << v));
        if mask == self.healthy_mask {
            return false;
        }
        self.healthy_mask = mask;
        self.counters.health_changes += 1;
        for i in 0..self.limits.instrument_count {
            self.recompute_nbbo(InstrumentId(i));
        }
        true
    }

    fn recompute_nbbo(&mut self, instrument: InstrumentId) {
        self.nbbo[instrument.index()] = nbbo::compute(
            &self.book,
            instrument,
            self.limits.venues.len(),
            self.healthy_mask,
        );
    }

    /// SBE Heartbeat: refreshes every venue the sender's gateway serves.
    ///
    /// # Errors
    /// [`RouterError::UnknownGateway`].
    pub fn on_heartbeat(&mut self, hb: &Heartbeat, now_ns: u64) -> Result<(), RouterError> {
        let r = self.credit.gateway_index(hb.sender).map(|g| {
            for (v, h) in self.health.iter_mut().enumerate() {
                if self.gateway_of[v] as usize == g {
                    h.last_heartbeat_ns = Some(now_ns);
                }
            }
            self.refresh_health(now_ns);
        });
        self.count(r)
    }

    /// SBE FeedStatus: a venue's feed state (anything but Ok makes it unhealthy).
    ///
    /// # Errors
    /// [`RouterError::UnknownVenue`].
    pub fn on_feed_status(&mut self, fs: &FeedStatus, now_ns: u64) -> Result<(), RouterError> {
        let r = check_venue(fs.venue, self.health.len()).map(|v| {
            self.health[v].feed_state = fs.feed_state;
            self.health[v].gap_count = fs.gap_count;
            self.refresh_health(now_ns);
        });
        self.count(r)
    }

    /// SBE TopOfBook: replaces one venue's best levels, then the instrument's NBBO.
    ///
    /// # Errors
    /// Unknown ids, stale sequence, bad price (nothing changes).
    pub fn on_top_of_book(&mut self, top: &TopOfBook) -> Result<(), RouterError> {
        let r = self.apply_top(top);
        self.count(r)
    }

    fn apply_top(&mut self, top: &TopOfBook) -> Result<(), RouterError> {
        check_instrument(top.instrument, self.limits.instrument_count)?;
        check_venue(top.venue, self.health.len())?;
        self.book.apply_top(top)?;
        self.recompute_nbbo(top.instrument);
        Ok(())
    }

    /// SBE BookLevelDelta: applies level changes, then recomputes the instrument's NBBO
    /// (also after a refused change, since earlier changes of the event stay applied).
    ///
    /// # Errors
    /// Unknown ids, stale sequence, a change out of price order or with zero qty.
    pub fn on_book_delta(&mut self, delta: &BookLevelDelta<'_>) -> Result<(), RouterError> {
        let r = check_instrument(delta.instrument, self.limits.instrument_count)
            .and_then(|_| check_venue(delta.venue, self.health.len()))
            .and_then(|_| {
                let applied = self.book.apply_delta(delta);
                self.recompute_nbbo(delta.instrument);
                applied
            });
        self.count(r)
    }

    // ---------------------------------------------------------------- parents

    /// Accepts a parent order after validation, kill switch and cross-venue risk checks, and
    /// routes it at once. Returns its id (the router's id namespace).
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_INSTRUMENT`, `ROUTER_INVALID_ORDER` (zero qty, price <= 0, Post with
    /// IOC), `ROUTER_KILL_SWITCH`, `ROUTER_RISK_*`, `ROUTER_PARENTS_FULL`. A refused parent
    /// changes nothing.
    pub fn submit_parent(
        &mut self,
        req: &ParentRequest,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<OrderId, RouterError> {
        let r = self.accept_parent(req, now_ns);
        let r = self.count(r);
        let slot = r?;
        let id = self.parents[slot as usize].expect("just stored").order_id;
        self.route(slot, now_ns, sink);
        Ok(id)
    }

    fn accept_parent(&mut self, req: &ParentRequest, now_ns: u64) -> Result<u32, RouterError> {
        check_instrument(req.instrument, self.limits.instrument_count)?;
        if req.qty.is_zero() {
            return Err(RouterError::InvalidOrder("qty 0"));
        }
        if req.limit_price.0 <= 0 {
            return Err(RouterError::InvalidOrder("limit price <= 0"));
        }
        if req.strategy == Strategy::Post && req.time_in_force == TimeInForce::Ioc {
            return Err(RouterError::InvalidOrder(
                "post strategy needs time in force day",
            ));
        }
        self.check_kill(req.instrument, req.side, req.qty)?;
        self.risk
            .check_parent(req.instrument, req.side, req.qty, req.limit_price)?;
        let slot = self
            .parent_free
            .pop()
            .ok_or(RouterError::ParentsFull(self.limits.max_parents))?;
        let order_id = self.next_order_id();
        self.parent_ids
            .insert(order_id.0, slot)
            .expect("sized to max_parents");
        self.parents[slot as usize] = Some(Parent {
            order_id,
            instrument: req.instrument,
            side: req.side,
            qty: req.qty,
            limit_price: req.limit_price,
            time_in_force: req.time_in_force,
            strategy: req.strategy,
            state: ParentState::New,
            cum_qty: 0,
            filled_notional: 0,
            working_qty: 0,
            takers_in_flight: 0,
            children_sent: 0,
            excluded_venues: 0,
            created_ns: now_ns,
            cancel_reason: crate::events::CancelReason::Unspecified,
        });
        self.risk
            .open_parent(req.instrument, req.side, req.qty.0, req.limit_price);
        self.counters.parents_accepted += 1;
        Ok(slot)
    }

    fn check_kill(
        &self,
        instrument: InstrumentId,
        side: Side,
        qty: Qty,
    ) -> Result<(), RouterError> {
        let Some((scope, allow_reducing)) = self.kill.parent_block(instrument) else {
            return Ok(());
        };
        let pos = self.risk.position(instrument);
        let (open_buy, open_sell) = self.risk.open(instrument);
        let q = i64::from(qty.0);
        let reduces = if side.is_sell() {
            pos > 0 && pos - open_sell as i64 - q >= 0
        } else {
            pos < 0 && pos + open_buy as i64 + q <= 0
        };
        if allow_reducing && reduces {
            return Ok(());
        }
        Err(RouterError::KillSwitch {
            instrument: instrument.0,
            scope,
        })
    }

    /// Cancels a live parent: every working child gets a CancelOrder; the parent finishes
    /// (Canceled) once none is working.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_ORDER`; `ROUTER_INVALID_TRANSITION` when already cancelling.
    pub fn cancel_parent(
        &mut self,
        order_id: OrderId,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = match self.parent_ids.get(order_id.0) {
            None => Err(RouterError::UnknownOrder(order_id)),
            Some(slot) => self.cancel_parent_slot(slot, CancelReason::Operator, now_ns, sink),
        };
        self.count(r)
    }

    fn cancel_parent_slot(
        &mut self,
        slot: u32,
        reason: CancelReason,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let p = self.parents[slot as usize].as_mut().expect("live slot");
        p.apply(ParentEvent::CancelRequest)?;
        p.cancel_reason = reason;
        for c in 0..self.children.len() {
            if self.children[c].is_some_and(|ch| ch.parent_slot == slot) {
                self.cancel_child(c, now_ns, sink);
            }
        }
        self.finish_if_idle(slot);
        Ok(())
    }

    fn cancel_child(&mut self, c: usize, now_ns: u64, sink: &mut impl CommandSink) {
        let ch = self.children[c].as_mut().expect("live child");
        let Ok(next) = child::transition(ch.state, ChildEvent::CancelSent) else {
            return; // already pending cancel
        };
        ch.state = next;
        let v = ch.venue.0 as usize;
        sink.emit(Command::Cancel(CancelOrder {
            order_id: ch.order_id,
            instrument: ch.instrument,
            venue: ch.venue,
            gateway: self.limits.venues[v].gateway,
            timestamp_ns: now_ns,
        }));
        self.counters.cancels_sent += 1;
    }

    /// A PendingCancel parent with nothing working gives up its leaves and finishes.
    fn finish_if_idle(&mut self, slot: u32) {
        let p = self.parents[slot as usize].expect("live slot");
        if p.state == ParentState::PendingCancel && p.working_qty == 0 {
            self.give_up(slot);
        }
    }

    /// [`Self::give_up`] recording `reason` unless the parent already has one.
    fn give_up_with(&mut self, slot: u32, reason: CancelReason) {
        let p = self.parents[slot as usize].as_mut().expect("live slot");
        if p.cancel_reason == CancelReason::Unspecified {
            p.cancel_reason = reason;
        }
        self.give_up(slot);
    }

    /// Gives up the parent's unrouted leaves (risk releases them) and finishes it Canceled.
    fn give_up(&mut self, slot: u32) {
        let p = self.parents[slot as usize].as_mut().expect("live slot");
        debug_assert_eq!(p.working_qty, 0);
        let leaves = p.leaves();
        p.apply(ParentEvent::Done).expect("live parent can finish");
        let (instrument, side) = (p.instrument, p.side);
        self.risk.release_parent(instrument, side, leaves);
        self.retire_parent(slot);
    }

    fn retire_parent(&mut self, slot: u32) {
        let p = self.parents[slot as usize].take().expect("live slot");
        assert!(p.state.is_terminal());
        self.parent_ids.remove(p.order_id.0);
        self.parent_free.push(slot);
        let index = self.finished_next;
        let ring = self.limits.max_parents as usize;
        if self.finished.len() < ring {
            self.finished.push(p);
        } else {
            let forgotten = std::mem::replace(&mut self.finished[index], p);
            self.finished_ids.remove(forgotten.order_id.0);
        }
        // Order ids are unique (a live parent's id is refused again), so the key is new and the
        // map, sized like the ring, has room: the ring's oldest entry left it above.
        self.finished_ids
            .insert(self.finished[index].order_id.0, index as u32)
            .expect("finished_ids holds at most the ring's entries");
        self.finished_next = (index + 1) % ring;
    }

    // ---------------------------------------------------------------- routing

    /// Routes a parent's unrouted leaves: take liquidity (Sweep / CostAware) when no taking
    /// child is in flight; otherwise, once takers are done, an IOC parent gives up and a Day
    /// parent posts the rest.
    fn route(&mut self, slot: u32, now_ns: u64, sink: &mut impl CommandSink) {
        if self.replaying {
            return; // the journal holds what was routed; `end_replay` routes what is left
        }
        self.refresh_health(now_ns);
        let p = self.parents[slot as usize].expect("live slot");
        if p.state == ParentState::PendingCancel || p.state.is_terminal() || p.unrouted() == 0 {
            return;
        }
        if p.children_sent > 0 {
            self.counters.reroutes += 1;
        }
        let under_cap = p.children_sent < self.limits.max_children_per_parent;
        if p.takers_in_flight > 0 {
            return; // decide once the in-flight IOC children report
        }
        if under_cap && p.strategy != Strategy::Post && self.plan_children(&p, false) > 0 {
            self.send_plan(slot, now_ns, sink);
            return;
        }
        if p.time_in_force == TimeInForce::Ioc {
            if p.working_qty == 0 {
                let verdict = if under_cap && p.strategy != Strategy::Post {
                    self.plan_verdict
                } else {
                    CancelReason::NoLiquidity // the per-parent child cap: nothing more taken
                };
                self.give_up_with(slot, verdict);
            }
            return;
        }
        // Posting is not bounded by the per-parent cap: a venue that rejects is excluded, so
        // re-posting ends.
        if self.plan_children(&p, true) > 0 {
            self.send_plan(slot, now_ns, sink);
        } else {
            self.park(slot);
        }
    }

    fn park(&mut self, _slot: u32) {
        self.parked_parents += 1;
    }

    /// Day parents left with unrouted leaves (no venue or credit to post): retried each tick.
    fn route_parked(&mut self, now_ns: u64, sink: &mut impl CommandSink) {
        self.parked_parents = 0;
        for slot in 0..self.parents.len() as u32 {
            if self.parents[slot as usize]
                .is_some_and(|p| p.takers_in_flight == 0 && p.unrouted() > 0)
            {
                self.route(slot, now_ns, sink);
            }
        }
    }

    fn plan_children(&mut self, p: &Parent, post: bool) -> u32 {
        let side_sell = p.side.is_sell();
        let gateways = self.credit.gateways().len();
        let max_qty = self.risk.limits(p.instrument).max_order_qty.0;
        let mut capacity = [0u32; VENUES_MAX];
        let nbbo = self.nbbo[p.instrument.index()];
        // Sells may execute above the limit: price credit notional at the best bid then.
        let cap_price = match (side_sell, nbbo.bid) {
            (true, Some(b)) if b.price > p.limit_price => b.price.0,
            _ => p.limit_price.0,
        };
        for (g, cap) in capacity.iter_mut().enumerate().take(gateways) {
            let s = self.credit.slice(g, p.instrument);
            let w = self.working[p.instrument.index() * gateways + g];
            let shares = if side_sell {
                s.sell.saturating_sub(w.sell)
            } else {
                s.buy.saturating_sub(w.buy)
            };
            let notional_shares = ((s.notional - w.notional).max(0) / i128::from(cap_price))
                .min(i128::from(u32::MAX)) as u64;
            *cap = shares.min(notional_shares).min(u64::from(max_qty)) as u32;
        }
        let eligible =
            self.healthy_mask & !p.excluded_venues & !self.kill.killed_venues() & !self.resyncing;
        let credit = (0..self.limits.venues.len())
            .filter(|v| eligible & (1 << v) != 0)
            .any(|v| capacity[self.gateway_of[v] as usize] > 0);
        self.plan_verdict = if eligible == 0 {
            CancelReason::NoVenue
        } else if !credit {
            CancelReason::NoCredit
        } else {
            CancelReason::NoLiquidity
        };
        let ctx = RouteContext {
            book: &self.book,
            nbbo,
            instrument: p.instrument,
            side: p.side,
            limit_price: p.limit_price,
            qty: p.unrouted(),
            eligible,
            capacity: &capacity[..gateways],
            gateway_of: &self.gateway_of,
            venues: &self.limits.venues,
            health: &self.health,
            latency_penalty_ticks_per_ms: self.limits.latency_penalty_ticks_per_ms,
            queue_penalty_ticks_per_10k_shares: self.limits.queue_penalty_ticks_per_10k_shares,
        };
        let plan = &mut self.plan;
        let planned = match (post, p.strategy) {
            (true, _) => strategy::post::plan(&ctx, plan),
            (false, Strategy::CostAware) => strategy::cost::plan(&ctx, plan),
            (false, _) => strategy::sweep::plan(&ctx, plan),
        };
        debug_assert!(post || strategy::sweep::trade_through(&ctx, plan).is_none());
        planned
    }

    fn send_plan(&mut self, slot: u32, now_ns: u64, sink: &mut impl CommandSink) {
        for k in 0..self.plan.children().len() {
            let planned = &{ self.plan.children()[k] };
            let p = self.parents[slot as usize].expect("live slot");
            if planned.ioc && p.children_sent >= self.limits.max_children_per_parent {
                break;
            }
            if let Err(e) = self.send_child(slot, planned, now_ns, sink) {
                self.counters.errors[e.kind_index()] += 1;
                self.counters.children_refused += 1;
            }
        }
        // Nothing could be sent (every child refused): the parent must not hang.
        let p = self.parents[slot as usize].expect("live slot");
        if p.working_qty == 0 {
            if p.time_in_force == TimeInForce::Ioc {
                self.give_up_with(slot, CancelReason::ChildrenRefused);
            } else {
                self.park(slot);
            }
        }
    }

    fn send_child(
        &mut self,
        slot: u32,
        planned: &PlannedChild,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let p = self.parents[slot as usize].expect("live slot");
        let (price, qty) = (Price(planned.price), Qty(planned.qty));
        self.risk.check_order_size(p.instrument, qty, price)?;
        let c = self
            .child_free
            .pop()
            .ok_or(RouterError::ChildrenFull(self.limits.max_children))?;
        let order_id = self.next_order_id();
        self.child_ids
            .insert(order_id.0, c)
            .expect("sized to max_children");
        let venue = RouteContext::venue_id(planned.venue as usize);
        let g = self.gateway_of[venue.0 as usize] as usize;
        let child = Child {
            order_id,
            parent_slot: slot,
            instrument: p.instrument,
            venue,
            side: p.side,
            time_in_force: planned.time_in_force(),
            price,
            qty,
            cum_qty: Qty::ZERO,
            state: child::ChildState::PendingNew,
            sent_ns: now_ns,
        };
        self.children[c as usize] = Some(child);
        self.add_working(g, p.instrument, p.side, i64::from(qty.0), price);
        let pm = self.parents[slot as usize].as_mut().expect("live slot");
        pm.working_qty += qty.0;
        pm.children_sent += 1;
        if planned.ioc {
            pm.takers_in_flight += 1;
        }
        sink.emit(Command::NewChild(NewChildOrder {
            order_id,
            parent_order_id: p.order_id,
            instrument: p.instrument,
            venue,
            gateway: self.limits.venues[venue.0 as usize].gateway,
            side: p.side,
            time_in_force: child.time_in_force,
            price,
            qty,
            timestamp_ns: now_ns,
        }));
        self.counters.children_sent += 1;
        Ok(())
    }

    fn add_working(
        &mut self,
        g: usize,
        instrument: InstrumentId,
        side: Side,
        shares: i64,
        price: Price,
    ) {
        let n = self.credit.gateways().len();
        let w = &mut self.working[instrument.index() * n + g];
        let notional = i128::from(shares) * i128::from(price.0);
        let s = if side.is_sell() {
            &mut w.sell
        } else {
            &mut w.buy
        };
        *s = s
            .checked_add_signed(shares)
            .expect("working shares never negative");
        w.notional += notional;
        debug_assert!(w.notional >= 0);
    }

    // ---------------------------------------------------------------- executions

    /// SBE ExecutionReport of a router child.
    ///
    /// Acks feed the venue's latency EWMA; fills move parent cum/leaves, positions and
    /// credit; a child that ends (filled, canceled, expired, rejected) returns its leaves to
    /// the parent, which is re-routed, posted, given up or finished as its strategy says.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_ORDER`, `ROUTER_INVALID_ORDER` (venue/instrument mismatch, fill of
    /// 0 shares, a Fill leaving shares open), `ROUTER_OVERFILL`,
    /// `ROUTER_INVALID_TRANSITION`. A refused report changes nothing.
    pub fn on_execution_report(
        &mut self,
        er: &ExecutionReport,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = self.apply_report(er, now_ns, sink);
        self.count(r)
    }

    fn apply_report(
        &mut self,
        er: &ExecutionReport,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let c = self
            .child_ids
            .get(er.order_id.0)
            .ok_or(RouterError::UnknownOrder(er.order_id))? as usize;
        let ch = self.children[c].expect("mapped slot is live");
        if ch.venue != er.venue || ch.instrument != er.instrument {
            return Err(RouterError::InvalidOrder(
                "report venue or instrument differs from the child",
            ));
        }
        let event = match er.exec_type {
            ExecType::New => ChildEvent::Ack,
            ExecType::PartialFill | ExecType::Fill => {
                let leaves = ch.leaves();
                if er.last_qty.is_zero() || er.last_px.0 <= 0 {
                    return Err(RouterError::InvalidOrder(
                        "fill with 0 shares or price <= 0",
                    ));
                }
                if er.last_qty.0 > leaves {
                    return Err(RouterError::Overfill {
                        order_id: ch.order_id,
                        last_qty: er.last_qty.0,
                        leaves,
                    });
                }
                let full = er.last_qty.0 == leaves;
                if er.exec_type == ExecType::Fill && !full {
                    return Err(RouterError::InvalidOrder("fill report leaves shares open"));
                }
                if full {
                    ChildEvent::Fill
                } else {
                    ChildEvent::PartialFill
                }
            }
            ExecType::Canceled | ExecType::Expired
                if self.resyncing & (1 << ch.venue.0) != 0
                    && ch.state != child::ChildState::PendingCancel =>
            {
                // Canceled by the gateway (fail closed) or the venue while the router was
                // not listening: the parent's instruction is stale, it finishes.
                self.cancel_parent_for_resync(c, now_ns, sink);
                if er.exec_type == ExecType::Canceled {
                    ChildEvent::Canceled
                } else {
                    ChildEvent::Expired
                }
            }
            ExecType::Canceled => ChildEvent::Canceled,
            ExecType::Rejected => ChildEvent::Rejected,
            ExecType::Expired => ChildEvent::Expired,
            ExecType::Replaced => ChildEvent::Replaced,
            ExecType::Restated => ChildEvent::Restated,
        };
        let next = child::transition(ch.state, event)?;
        self.children[c].as_mut().expect("live").state = next;
        match event {
            ChildEvent::Ack => self.health[ch.venue.0 as usize]
                .record_ack_latency(now_ns.saturating_sub(ch.sent_ns)),
            ChildEvent::PartialFill | ChildEvent::Fill => {
                self.apply_fill(c, er.last_qty.0, er.last_px, now_ns, sink)
            }
            _ => {}
        }
        if next.is_terminal() {
            self.end_child(c, now_ns, sink);
        }
        Ok(())
    }

    /// SBE OrderReject of a router child (gateway risk or venue): the child ends Rejected,
    /// its venue is excluded for its parent, and the leaves are re-routed.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_ORDER`, `ROUTER_INVALID_TRANSITION`.
    pub fn on_order_reject(
        &mut self,
        rej: &OrderReject,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = (|| {
            let c = self
                .child_ids
                .get(rej.order_id.0)
                .ok_or(RouterError::UnknownOrder(rej.order_id))? as usize;
            let ch = self.children[c].as_mut().expect("live");
            ch.state = child::transition(ch.state, ChildEvent::Rejected)?;
            self.end_child(c, now_ns, sink);
            Ok(())
        })();
        self.count(r)
    }

    fn apply_fill(
        &mut self,
        c: usize,
        qty: u32,
        px: Price,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) {
        let ch = self.children[c].as_mut().expect("live");
        ch.cum_qty = Qty(ch.cum_qty.0 + qty);
        let ch = *ch;
        let (v, g) = (
            ch.venue.0 as usize,
            self.gateway_of[ch.venue.0 as usize] as usize,
        );
        self.add_working(g, ch.instrument, ch.side, -i64::from(qty), ch.price);
        let p = self.parents[ch.parent_slot as usize]
            .as_mut()
            .expect("child's parent is live");
        p.cum_qty += qty;
        p.working_qty -= qty;
        p.filled_notional += px.notional(Qty(qty));
        let event = if p.cum_qty == p.qty.0 {
            ParentEvent::Fill
        } else {
            ParentEvent::PartialFill
        };
        p.apply(event)
            .expect("a parent with a live child accepts fills");
        let consumed = self.risk.on_child_fill(ch.instrument, v, ch.side, qty, px);
        self.credit.consume(
            g,
            ch.instrument,
            consumed.bought,
            consumed.sold,
            consumed.notional,
        );
        self.rebalance_credit(ch.instrument, now_ns, sink);
    }

    /// A child reached a terminal state: return its leaves to the parent and decide what
    /// the parent does next.
    fn end_child(&mut self, c: usize, now_ns: u64, sink: &mut impl CommandSink) {
        let ch = self.children[c].take().expect("live");
        self.child_ids.remove(ch.order_id.0);
        self.child_free.push(c as u32);
        let unfilled = ch.qty.0 - ch.cum_qty.0;
        let g = self.gateway_of[ch.venue.0 as usize] as usize;
        if unfilled > 0 {
            self.add_working(g, ch.instrument, ch.side, -i64::from(unfilled), ch.price);
        }
        let slot = ch.parent_slot;
        let p = self.parents[slot as usize]
            .as_mut()
            .expect("child's parent is live");
        p.working_qty -= unfilled;
        if ch.time_in_force == TimeInForce::Ioc {
            p.takers_in_flight -= 1;
        }
        if ch.state == child::ChildState::Rejected {
            p.excluded_venues |= 1 << ch.venue.0;
        }
        match p.state {
            ParentState::Filled => self.retire_parent(slot),
            ParentState::PendingCancel => self.finish_if_idle(slot),
            _ => self.route(slot, now_ns, sink),
        }
    }

    // ---------------------------------------------------------------- positions and credit

    /// SBE PositionUpdate: the gateway's counters for (venue, instrument); fills the router
    /// had not counted consume the gateway's credit and credit is rebalanced.
    ///
    /// # Errors
    /// Unknown ids, a gateway that does not serve the venue, `position != bought - sold`.
    pub fn on_position_update(
        &mut self,
        pu: &PositionUpdate,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = (|| {
            check_instrument(pu.instrument, self.limits.instrument_count)?;
            let v = check_venue(pu.venue, self.health.len())?;
            let g = self.credit.gateway_index(pu.gateway)?;
            if self.gateway_of[v] as usize != g {
                return Err(RouterError::UnknownGateway(pu.gateway.0));
            }
            if i128::from(pu.position) != i128::from(pu.bought_qty) - i128::from(pu.sold_qty) {
                return Err(RouterError::InvalidOrder(
                    "position differs from bought - sold",
                ));
            }
            let counters = Counters4 {
                bought: pu.bought_qty,
                sold: pu.sold_qty,
                notional_bought: pu.notional_bought.into(),
                notional_sold: pu.notional_sold.into(),
            };
            let consumed = self.risk.on_gateway_counters(pu.instrument, v, counters);
            if consumed != Default::default() {
                self.credit.consume(
                    g,
                    pu.instrument,
                    consumed.bought,
                    consumed.sold,
                    consumed.notional,
                );
                self.rebalance_credit(pu.instrument, now_ns, sink);
            }
            Ok(())
        })();
        self.count(r)
    }

    /// SBE CreditReturn: unused credit comes back and is re-granted by rebalancing.
    ///
    /// # Errors
    /// Unknown ids, `ROUTER_CREDIT_RETURN` (more than the slice; nothing changes).
    pub fn on_credit_return(
        &mut self,
        cr: &CreditReturn,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = (|| {
            check_instrument(cr.instrument, self.limits.instrument_count)?;
            let g = self.credit.gateway_index(cr.gateway)?;
            self.credit.give_back(
                g,
                cr.instrument,
                cr.buy_qty,
                cr.sell_qty,
                cr.notional.into(),
            )?;
            self.rebalance_credit(cr.instrument, now_ns, sink);
            Ok(())
        })();
        self.count(r)
    }

    fn rebalance_credit(
        &mut self,
        instrument: InstrumentId,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) {
        if self.replaying {
            return; // grants are replayed from the journal
        }
        let l = *self.risk.limits(instrument);
        let room = Room::new(
            l.max_position,
            self.risk.position(instrument),
            l.credit_notional,
            self.credit.notional_filled(instrument),
        );
        let mut counting = CountingSink {
            inner: sink,
            count: 0,
        };
        self.credit
            .rebalance(instrument, room, now_ns, &mut counting);
        self.counters.credit_grants += counting.count;
    }

    // ---------------------------------------------------------------- limits

    /// Version of the per-instrument limits in force: 1 for the configured limits, +1 per
    /// accepted [`Router::set_limits`] (SBE RiskLimits `version`).
    pub fn limits_version(&self) -> u64 {
        self.limits_version
    }

    /// Replaces the limits of each listed instrument (others unchanged), all or nothing:
    /// every entry is checked first (known instrument, listed once, values as
    /// [`InstrumentRiskLimits::validate`]) and a refusal changes nothing. On success the
    /// version goes up by one, one [`Command::Limits`] announces the whole table to every
    /// gateway, and credit is re-balanced under the new `max_position` and `credit_notional`
    /// of each listed instrument (raising either grants the new room). Orders already
    /// accepted or working are not re-judged: the new limits apply to the next parent (and
    /// the gateways apply them to the next child). Credit already granted is not revoked;
    /// when a lowered limit leaves less room than is outstanding, no more is granted until
    /// fills and returns make room (see [`crate::credit`]). `expected_version` 0 applies
    /// unconditionally, else only when it equals [`Router::limits_version`]. Returns the new
    /// version. Same as [`Router::set_limits_with_totals`] with the totals unchanged.
    ///
    /// # Errors
    /// `ROUTER_LIMITS_VERSION` (stale `expected_version`), `ROUTER_UNKNOWN_INSTRUMENT`,
    /// `ROUTER_INVALID_LIMITS` (empty request, an instrument listed twice
    /// (`field=instrument`), or a bad value).
    pub fn set_limits(
        &mut self,
        updates: &[LimitsUpdate],
        expected_version: u64,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<u64, RouterError> {
        self.set_limits_with_totals(
            updates,
            TotalLimitsUpdate::default(),
            expected_version,
            now_ns,
            sink,
        )
    }

    /// [`Router::set_limits`] that may also replace the cross-instrument limits
    /// (`max_gross_notional_total`, `max_net_notional_total`, 1/10,000 $). `updates` may be
    /// empty when `totals` changes something. All or nothing as [`Router::set_limits`]; the
    /// version goes up by one for the whole change.
    ///
    /// # Errors
    /// As [`Router::set_limits`]; a negative total is `ROUTER_INVALID_LIMITS
    /// field=max_gross_notional_total` / `field=max_net_notional_total`; no instrument and no
    /// total is `field=instruments`.
    pub fn set_limits_with_totals(
        &mut self,
        updates: &[LimitsUpdate],
        totals: TotalLimitsUpdate,
        expected_version: u64,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<u64, RouterError> {
        let r = self.check_limits(updates, totals, expected_version);
        let r = self.count(r);
        r?;
        let version = self.limits_version + 1;
        self.apply_limits(updates, totals, version);
        sink.emit(Command::Limits(RiskLimitsChanged {
            version,
            timestamp_ns: now_ns,
        }));
        for u in updates {
            self.rebalance_credit(u.instrument, now_ns, sink);
        }
        Ok(version)
    }

    /// The limits `u` would make of its instrument's current ones.
    fn updated_limits(&self, u: &LimitsUpdate) -> InstrumentRiskLimits {
        let now = self.risk.limits(u.instrument);
        InstrumentRiskLimits {
            max_order_qty: u.max_order_qty,
            max_order_notional: u.max_order_notional.into(),
            max_position: u.max_position,
            price_collar_bps: u.price_collar_bps,
            max_orders_per_second: u.max_orders_per_second,
            max_gross_notional: u
                .max_gross_notional
                .map_or(now.max_gross_notional, i128::from),
            max_net_notional: u.max_net_notional.map_or(now.max_net_notional, i128::from),
            credit_notional: u.credit_notional.map_or(now.credit_notional, i128::from),
        }
    }

    /// The cross-instrument limits `t` would make of the current ones.
    fn updated_totals(&self, t: TotalLimitsUpdate) -> (i128, i128) {
        let (gross, net) = self.risk.total_limits();
        (
            t.max_gross_notional_total.map_or(gross, i128::from),
            t.max_net_notional_total.map_or(net, i128::from),
        )
    }

    pub(crate) fn check_limits(
        &mut self,
        updates: &[LimitsUpdate],
        totals: TotalLimitsUpdate,
        expected_version: u64,
    ) -> Result<(), RouterError> {
        if expected_version != 0 && expected_version != self.limits_version {
            return Err(RouterError::LimitsVersion {
                expected: expected_version,
                actual: self.limits_version,
            });
        }
        if (updates.is_empty() && totals.is_empty()) || updates.len() > self.limits_listed.len() {
            return Err(RouterError::InvalidLimits {
                field: "instruments",
                value: updates.len() as i128,
            });
        }
        let (gross_total, net_total) = self.updated_totals(totals);
        let mut r = validate_totals(gross_total, net_total);
        for u in updates {
            if r.is_err() {
                break;
            }
            r = check_instrument(u.instrument, self.limits.instrument_count)
                .and_then(|i| {
                    if std::mem::replace(&mut self.limits_listed[i], true) {
                        Err(RouterError::InvalidLimits {
                            field: "instrument",
                            value: u.instrument.0.into(),
                        })
                    } else {
                        Ok(())
                    }
                })
                .and_then(|()| self.updated_limits(u).validate());
        }
        for u in updates {
            if let Some(seen) = self.limits_listed.get_mut(u.instrument.index()) {
                *seen = false;
            }
        }
        r
    }

    pub(crate) fn apply_limits(
        &mut self,
        updates: &[LimitsUpdate],
        totals: TotalLimitsUpdate,
        version: u64,
    ) {
        for u in updates {
            let l = self.updated_limits(u);
            self.risk.replace_limits(u.instrument, l);
            self.limits.instruments[u.instrument.index()] = l;
        }
        let (gross_total, net_total) = self.updated_totals(totals);
        self.risk.replace_total_limits(gross_total, net_total);
        self.limits.max_gross_notional_total = gross_total;
        self.limits.max_net_notional_total = net_total;
        self.limits_version = version;
    }

    // ---------------------------------------------------------------- kill switch

    /// Engages a kill switch: forwards it to the gateways, sends CancelOrder for every
    /// working child in scope, and (scopes All / Instrument) cancels the parents in scope.
    /// New parents in scope are refused from now on, except risk-reducing ones when
    /// `allow_risk_reducing`. A venue scope only stops routing to that venue.
    ///
    /// # Errors
    /// Unknown venue or instrument in the scope.
    pub fn engage_kill_switch(
        &mut self,
        scope: KillScope,
        allow_risk_reducing: bool,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = self.check_scope(scope).map(|()| {
            self.kill.set(
                scope,
                KillFlag {
                    active: true,
                    allow_risk_reducing,
                },
            );
            sink.emit(Command::Kill(KillSwitch {
                active: true,
                scope,
                allow_risk_reducing,
                timestamp_ns: now_ns,
            }));
            if !matches!(scope, KillScope::Venue(_)) {
                for slot in 0..self.parents.len() as u32 {
                    let in_scope = self.parents[slot as usize].is_some_and(|p| {
                        p.state != ParentState::PendingCancel
                            && KillState::covers(scope, p.instrument, crossbar_model::VenueId(0))
                    });
                    if in_scope {
                        let _ =
                            self.cancel_parent_slot(slot, CancelReason::KillSwitch, now_ns, sink);
                    }
                }
            }
            for c in 0..self.children.len() {
                if self.children[c]
                    .is_some_and(|ch| KillState::covers(scope, ch.instrument, ch.venue))
                {
                    self.cancel_child(c, now_ns, sink);
                }
            }
        });
        self.count(r)
    }

    /// Releases a kill switch and forwards the release to the gateways.
    ///
    /// # Errors
    /// Unknown venue or instrument in the scope.
    pub fn release_kill_switch(
        &mut self,
        scope: KillScope,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) -> Result<(), RouterError> {
        let r = self.check_scope(scope).map(|()| {
            self.kill.set(scope, KillFlag::default());
            sink.emit(Command::Kill(KillSwitch {
                active: false,
                scope,
                allow_risk_reducing: false,
                timestamp_ns: now_ns,
            }));
        });
        self.count(r)
    }

    fn check_scope(&self, scope: KillScope) -> Result<(), RouterError> {
        match scope {
            KillScope::All => Ok(()),
            KillScope::Venue(v) => check_venue(v, self.health.len()).map(|_| ()),
            KillScope::Instrument(i) => {
                check_instrument(i, self.limits.instrument_count).map(|_| ())
            }
        }
    }

    // ---------------------------------------------------------------- snapshot

    /// Position rows with activity (any bought or sold shares or notional), by instrument then
    /// router venue index, into `out` (cleared first; no allocation once it has grown): what
    /// [`Self::snapshot_into`] publishes as `positions`.
    pub fn positions_into(&self, out: &mut Vec<PositionRow>) {
        out.clear();
        let venues = self.limits.venues.len();
        for i in 0..self.limits.instrument_count {
            let instrument = InstrumentId(i);
            for v in 0..venues {
                let c = self.risk.venue_counters(instrument, v);
                if c != Counters4::default() {
                    out.push(PositionRow {
                        instrument,
                        venue: RouteContext::venue_id(v),
                        position: c.position(),
                        bought: c.bought,
                        sold: c.sold,
                        notional_bought: c.notional_bought,
                        notional_sold: c.notional_sold,
                    });
                }
            }
        }
    }

    /// Every configured venue's row (health, feed state, heartbeat and ack latency in ns, kill
    /// state), in router venue index order, into `out` (cleared first): what
    /// [`Self::snapshot_into`] publishes as `venues`.
    pub fn venues_into(&self, out: &mut Vec<VenueRow>) {
        out.clear();
        let killed = self.kill.killed_venues();
        out.extend(self.limits.venues.iter().enumerate().map(|(v, cfg)| {
            let h = &self.health[v];
            VenueRow {
                venue: cfg.venue,
                gateway: cfg.gateway,
                healthy: self.healthy_mask & (1 << v) != 0,
                feed_state: h.feed_state,
                last_heartbeat_ns: h.last_heartbeat_ns,
                ack_latency_ewma_ns: h.ack_latency_ewma_ns,
                gap_count: h.gap_count,
                killed: killed & (1 << v) != 0,
            }
        }));
    }

    /// Fills `snap` with the current state, reusing its vectors. Call between events.
    pub fn snapshot_into(&self, snap: &mut Snapshot, now_ns: u64) {
        snap.taken_at_ns = now_ns;
        snap.events_applied = self.counters.events;
        self.positions_into(&mut snap.positions);
        snap.instruments.clear();
        for i in 0..self.limits.instrument_count {
            let instrument = InstrumentId(i);
            let (open_buy, open_sell) = self.risk.open(instrument);
            let (gross, net) = self.risk.exposure(instrument);
            let position = self.risk.position(instrument);
            let nbbo = self.nbbo[instrument.index()];
            if position != 0 || open_buy != 0 || open_sell != 0 || nbbo != Nbbo::default() {
                snap.instruments.push(InstrumentRow {
                    instrument,
                    position,
                    open_buy,
                    open_sell,
                    gross_notional: gross,
                    net_notional: net,
                    mark: self.risk.mark(instrument),
                    nbbo,
                });
            }
        }
        snap.parents.clear();
        snap.parents.extend(
            self.parents
                .iter()
                .flatten()
                .chain(self.finished.iter())
                .map(ParentRow::of),
        );
        self.venues_into(&mut snap.venues);
        snap.kill_switches.clear();
        snap.kill_switches.extend(self.kill.engaged());
        (snap.gross_notional_total, snap.net_notional_total) = self.risk.totals();
        match &mut snap.limits {
            Some(l) => l.clone_from(&self.limits),
            None => snap.limits = Some(self.limits.clone()),
        }
        snap.counters = self.counters;
    }
}

struct CountingSink<'a, S: CommandSink> {
    inner: &'a mut S,
    count: u64,
}

impl<S: CommandSink> CommandSink for CountingSink<'_, S> {
    fn emit(&mut self, command: Command) {
        self.count += 1;
        self.inner.emit(command);
    }
}
