//! Journal replay: rebuilding the router after a restart from the decisions it journaled.
//!
//! The aggregator journals every order event it received and every command it sent
//! (`docs/aggregator.md`). Routing depended on books and venue health that are not journaled,
//! so replay does not re-decide: between [`Router::begin_replay`] and [`Router::end_replay`]
//! routing and credit rebalancing are suppressed, received events go through the ordinary
//! `on_*` methods (fills, acks, rejects, position updates, kill switches, parent cancels), and
//! the journaled decisions are applied with the `restore_*` methods below: a parent accepted
//! ([`Router::restore_parent`]), a child sent ([`Router::restore_child`]), a cancel sent
//! ([`Router::restore_cancel_sent`]), a credit grant sent ([`Router::restore_credit_grant`]),
//! a parent given up ([`Router::restore_parent_done`]). Order ids continue after the highest
//! restored id, so no id is reused. [`Router::end_replay`] then routes whatever the journal
//! shows as neither routed nor given up (the decision a crash interrupted) and tops credit up.

use super::Router;
use crate::child::{self, Child, ChildEvent, ChildState};
use crate::error::{check_instrument, check_venue, RouterError};
use crate::events::{
    CommandSink, CreditGrant, CreditSlice, LimitsUpdate, NewChildOrder, ParentRequest,
    TotalLimitsUpdate,
};
use crate::parent::{Parent, ParentState};
use crossbar_model::{OrderId, TimeInForce};

impl Router {
    /// Starts replaying a journal: routing and credit rebalancing are suppressed until
    /// [`Router::end_replay`].
    pub fn begin_replay(&mut self) {
        self.replaying = true;
    }

    /// True between [`Router::begin_replay`] and [`Router::end_replay`].
    pub fn is_replaying(&self) -> bool {
        self.replaying
    }

    /// Ends replay at `now_ns`: every parent with leaves that are neither working nor given
    /// up is routed now (its routing was interrupted by the crash), and every gateway's credit
    /// is topped up as [`Router::start`] does. Commands go to `sink`.
    pub fn end_replay(&mut self, now_ns: u64, sink: &mut impl CommandSink) {
        self.replaying = false;
        for slot in 0..self.parents.len() as u32 {
            let pending = self.parents[slot as usize].is_some_and(|p| {
                p.state != ParentState::PendingCancel && p.takers_in_flight == 0 && p.unrouted() > 0
            });
            if pending {
                self.route(slot, now_ns, sink);
            }
        }
        self.start(now_ns, sink);
    }

    /// A journaled RiskLimits the router sent: the listed instruments' limits and the version
    /// are restored as they were published, without a command and without credit grants
    /// (those are journaled too). Checked as [`Router::set_limits`] except for the version:
    /// `version` must be newer than the one in force. Same as
    /// [`Router::restore_limits_with_totals`] with the totals unchanged.
    ///
    /// # Errors
    /// `ROUTER_LIMITS_VERSION` (not newer), `ROUTER_UNKNOWN_INSTRUMENT`,
    /// `ROUTER_INVALID_LIMITS`; nothing changes.
    pub fn restore_limits(
        &mut self,
        updates: &[LimitsUpdate],
        version: u64,
    ) -> Result<(), RouterError> {
        self.restore_limits_with_totals(updates, TotalLimitsUpdate::default(), version)
    }

    /// A journaled SBE LimitsState (id 37, the centre's whole table: every instrument's
    /// limits including gross / net notional and credit budget, and the totals) or RiskLimits:
    /// restored as [`Router::restore_limits`], the totals too.
    ///
    /// # Errors
    /// As [`Router::restore_limits`]; nothing changes.
    pub fn restore_limits_with_totals(
        &mut self,
        updates: &[LimitsUpdate],
        totals: TotalLimitsUpdate,
        version: u64,
    ) -> Result<(), RouterError> {
        let r = if version <= self.limits_version {
            Err(RouterError::LimitsVersion {
                expected: version,
                actual: self.limits_version,
            })
        } else {
            self.check_limits(updates, totals, 0)
        };
        let r = self.count(r);
        r?;
        self.apply_limits(updates, totals, version);
        Ok(())
    }

    fn bump_sequence(&mut self, id: OrderId) -> Result<(), RouterError> {
        if id.origin() != self.limits.router_id || id.sequence() == 0 {
            return Err(RouterError::InvalidOrder("order id of another issuer"));
        }
        self.next_sequence = self.next_sequence.max(id.sequence() + 1);
        Ok(())
    }

    /// A journaled parent acceptance: the parent is stored under its original id and its
    /// shares opened in risk, without risk or kill-switch checks (it was accepted then) and
    /// without routing.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_INSTRUMENT`, `ROUTER_INVALID_ORDER` (zero qty, price <= 0, id of
    /// another issuer or already live), `ROUTER_PARENTS_FULL`. Nothing changes on error.
    pub fn restore_parent(
        &mut self,
        order_id: OrderId,
        req: &ParentRequest,
        created_ns: u64,
    ) -> Result<(), RouterError> {
        let r = self.restore_parent_inner(order_id, req, created_ns);
        self.count(r)
    }

    fn restore_parent_inner(
        &mut self,
        order_id: OrderId,
        req: &ParentRequest,
        created_ns: u64,
    ) -> Result<(), RouterError> {
        check_instrument(req.instrument, self.limits.instrument_count)?;
        if req.qty.is_zero() || req.limit_price.0 <= 0 {
            return Err(RouterError::InvalidOrder("qty 0 or limit price <= 0"));
        }
        if self.parent_ids.get(order_id.0).is_some() {
            return Err(RouterError::InvalidOrder("order id in use"));
        }
        let slot = *self
            .parent_free
            .last()
            .ok_or(RouterError::ParentsFull(self.limits.max_parents))?;
        self.bump_sequence(order_id)?;
        self.parent_free.pop();
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
            created_ns,
            cancel_reason: crate::events::CancelReason::Unspecified,
        });
        self.risk
            .open_parent(req.instrument, req.side, req.qty.0, req.limit_price);
        self.counters.parents_accepted += 1;
        Ok(())
    }

    /// A journaled NewChildOrder: the child is stored (PendingNew) under its parent, whose
    /// working shares (and takers in flight, for IOC) grow as when it was sent.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_ORDER` (parent not live), `ROUTER_UNKNOWN_VENUE`,
    /// `ROUTER_INVALID_ORDER` (instrument or side differs from the parent, more shares than
    /// the parent has unrouted, id in use or of another issuer), `ROUTER_CHILDREN_FULL`.
    pub fn restore_child(&mut self, order: &NewChildOrder) -> Result<(), RouterError> {
        let r = self.restore_child_inner(order);
        self.count(r)
    }

    fn restore_child_inner(&mut self, order: &NewChildOrder) -> Result<(), RouterError> {
        let slot = self
            .parent_ids
            .get(order.parent_order_id.0)
            .ok_or(RouterError::UnknownOrder(order.parent_order_id))?;
        let v = check_venue(order.venue, self.health.len())?;
        let p = self.parents[slot as usize].expect("mapped slot is live");
        if p.instrument != order.instrument || p.side != order.side {
            return Err(RouterError::InvalidOrder(
                "child instrument or side differs from its parent",
            ));
        }
        if order.qty.is_zero() || order.qty.0 > p.unrouted() {
            return Err(RouterError::InvalidOrder(
                "child qty 0 or above the parent's unrouted shares",
            ));
        }
        if self.child_ids.get(order.order_id.0).is_some() {
            return Err(RouterError::InvalidOrder("order id in use"));
        }
        let c = *self
            .child_free
            .last()
            .ok_or(RouterError::ChildrenFull(self.limits.max_children))?;
        self.bump_sequence(order.order_id)?;
        self.child_free.pop();
        self.child_ids
            .insert(order.order_id.0, c)
            .expect("sized to max_children");
        self.children[c as usize] = Some(Child {
            order_id: order.order_id,
            parent_slot: slot,
            instrument: order.instrument,
            venue: order.venue,
            side: order.side,
            time_in_force: order.time_in_force,
            price: order.price,
            qty: order.qty,
            cum_qty: crossbar_model::Qty::ZERO,
            state: ChildState::PendingNew,
            sent_ns: order.timestamp_ns,
        });
        let g = self.gateway_of[v] as usize;
        self.add_working(
            g,
            order.instrument,
            order.side,
            i64::from(order.qty.0),
            order.price,
        );
        let pm = self.parents[slot as usize].as_mut().expect("live slot");
        pm.working_qty += order.qty.0;
        pm.children_sent += 1;
        if order.time_in_force == TimeInForce::Ioc {
            pm.takers_in_flight += 1;
        }
        self.counters.children_sent += 1;
        Ok(())
    }

    /// A journaled CancelOrder for a child: the child moves to PendingCancel. A child that is
    /// already PendingCancel (the replayed kill switch or parent cancel moved it) or already
    /// finished is left as it is.
    ///
    /// # Errors
    /// None today; the `Result` keeps the `restore_*` family uniform.
    pub fn restore_cancel_sent(&mut self, order_id: OrderId) -> Result<(), RouterError> {
        if let Some(c) = self.child_ids.get(order_id.0) {
            let ch = self.children[c as usize]
                .as_mut()
                .expect("mapped slot is live");
            if let Ok(next) = child::transition(ch.state, ChildEvent::CancelSent) {
                ch.state = next;
                self.counters.cancels_sent += 1;
            }
        }
        self.count(Ok(()))
    }

    /// A journaled CreditGrant: the gateway's slice grows by it and its grant sequence
    /// continues from it.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_GATEWAY`, `ROUTER_UNKNOWN_INSTRUMENT`.
    pub fn restore_credit_grant(&mut self, grant: &CreditGrant) -> Result<(), RouterError> {
        let r = check_instrument(grant.instrument, self.limits.instrument_count)
            .and_then(|_| self.credit.gateway_index(grant.gateway))
            .map(|g| {
                self.credit.restore_grant(g, grant);
                self.counters.credit_grants += 1;
            });
        self.count(r)
    }

    /// A journaled CreditSlice the router sent ([`Router::restate_credit`]): its grant
    /// sequence is taken so the next grant continues after it; the amounts are the router's
    /// own (rebuilt from grants, returns and fills) and do not change.
    ///
    /// # Errors
    /// `ROUTER_UNKNOWN_INSTRUMENT`, `ROUTER_UNKNOWN_GATEWAY`; nothing changes.
    pub fn restore_credit_slice(&mut self, slice: &CreditSlice) -> Result<(), RouterError> {
        let r = check_instrument(slice.instrument, self.limits.instrument_count)
            .and_then(|_| self.credit.gateway_index(slice.gateway))
            .map(|g| {
                self.credit
                    .restore_statement(g, slice.instrument, slice.grant_sequence);
            });
        self.count(r)
    }

    /// A journaled "parent finished": if the parent is still live after the replayed events,
    /// it gave up its unrouted leaves then (an IOC parent out of liquidity) and finishes
    /// Canceled now. A parent the replayed events already finished is left alone.
    ///
    /// # Errors
    /// `ROUTER_INVALID_ORDER` when the parent still has working children.
    pub fn restore_parent_done(&mut self, order_id: OrderId) -> Result<(), RouterError> {
        self.restore_parent_done_with(order_id, crate::events::CancelReason::Unspecified)
    }

    /// [`Router::restore_parent_done`] with the journaled cancel reason (`reason` is kept
    /// unless the parent already has one).
    ///
    /// # Errors
    /// As [`Router::restore_parent_done`].
    pub fn restore_parent_done_with(
        &mut self,
        order_id: OrderId,
        reason: crate::events::CancelReason,
    ) -> Result<(), RouterError> {
        let r = match self.parent_ids.get(order_id.0) {
            None => Ok(()),
            Some(slot) => {
                let p = self.parents[slot as usize].expect("mapped slot is live");
                if p.working_qty > 0 {
                    Err(RouterError::InvalidOrder(
                        "parent finished with children still working",
                    ))
                } else {
                    self.give_up_with(slot, reason);
                    Ok(())
                }
            }
        };
        self.count(r)
    }

    /// State of a restored child, for tests and tools.
    pub fn child_state(&self, order_id: OrderId) -> Option<ChildState> {
        self.child(order_id).map(|c| c.state)
    }
}
