//! Parent orders: what the user asked for, split by the router into child orders. The state
//! machine is one `match (state, event)` table; any other pair is `ROUTER_INVALID_TRANSITION`.

use crate::error::RouterError;
use crate::events::Strategy;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce};

/// State of a parent order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParentState {
    /// Accepted and working, nothing filled.
    New,
    /// Working, partly filled.
    PartiallyFilled,
    /// Cancel requested (user or kill switch); waiting for its children to finish.
    PendingCancel,
    /// Completely filled (terminal).
    Filled,
    /// Finished with leaves given up: cancelled, or IOC out of liquidity (terminal).
    Canceled,
}

/// What happened to a parent order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParentEvent {
    /// A child fill leaving parent leaves open.
    PartialFill,
    /// A child fill completing the parent.
    Fill,
    /// Cancel requested.
    CancelRequest,
    /// No child is working and the leaves are given up.
    Done,
}

impl ParentState {
    /// Every state, for exhaustive tests.
    pub const ALL: [ParentState; 5] = [
        ParentState::New,
        ParentState::PartiallyFilled,
        ParentState::PendingCancel,
        ParentState::Filled,
        ParentState::Canceled,
    ];

    /// No event may change the order any more.
    pub const fn is_terminal(self) -> bool {
        matches!(self, ParentState::Filled | ParentState::Canceled)
    }

    /// Name for messages and snapshots.
    pub const fn name(self) -> &'static str {
        match self {
            ParentState::New => "new",
            ParentState::PartiallyFilled => "partially_filled",
            ParentState::PendingCancel => "pending_cancel",
            ParentState::Filled => "filled",
            ParentState::Canceled => "canceled",
        }
    }
}

impl ParentEvent {
    /// Every event, for exhaustive tests.
    pub const ALL: [ParentEvent; 4] = [
        ParentEvent::PartialFill,
        ParentEvent::Fill,
        ParentEvent::CancelRequest,
        ParentEvent::Done,
    ];

    /// Name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ParentEvent::PartialFill => "partial_fill",
            ParentEvent::Fill => "fill",
            ParentEvent::CancelRequest => "cancel_request",
            ParentEvent::Done => "done",
        }
    }
}

/// The parent state table.
///
/// # Errors
/// [`RouterError::InvalidTransition`] for every pair not listed.
pub const fn transition(
    state: ParentState,
    event: ParentEvent,
) -> Result<ParentState, RouterError> {
    use ParentEvent as E;
    use ParentState as S;
    match (state, event) {
        (S::New | S::PartiallyFilled, E::PartialFill) => Ok(S::PartiallyFilled),
        (S::PendingCancel, E::PartialFill) => Ok(S::PendingCancel),
        (S::New | S::PartiallyFilled | S::PendingCancel, E::Fill) => Ok(S::Filled),
        (S::New | S::PartiallyFilled, E::CancelRequest) => Ok(S::PendingCancel),
        (S::New | S::PartiallyFilled | S::PendingCancel, E::Done) => Ok(S::Canceled),
        _ => Err(RouterError::InvalidTransition {
            order: "parent",
            state: state.name(),
            event: event.name(),
        }),
    }
}

/// One parent order and its accounting. Invariant:
/// `cum_qty + working_qty + unrouted == qty` while not terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parent {
    /// Parent order id (router namespace).
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side.
    pub side: Side,
    /// Shares ordered.
    pub qty: Qty,
    /// Limit price, 1/10,000 $.
    pub limit_price: Price,
    /// IOC or Day.
    pub time_in_force: TimeInForce,
    /// Routing strategy.
    pub strategy: Strategy,
    /// State.
    pub state: ParentState,
    /// Shares filled.
    pub cum_qty: u32,
    /// Sum of fill notional, `last_px * last_qty`, 1/10,000 $.
    pub filled_notional: i128,
    /// Shares open on live children.
    pub working_qty: u32,
    /// Live IOC (taking) children.
    pub takers_in_flight: u32,
    /// Children sent over the parent's life.
    pub children_sent: u32,
    /// Venues that rejected a child of this parent (bit per venue): not routed to again.
    pub excluded_venues: u64,
    /// Router time the parent was accepted, ns.
    pub created_ns: u64,
    /// Why it was canceled (`Unspecified` while live or when not recorded).
    pub cancel_reason: crate::events::CancelReason,
}

impl Parent {
    /// Shares not yet filled (0 once terminal).
    pub fn leaves(&self) -> u32 {
        if self.state.is_terminal() {
            0
        } else {
            self.qty.0 - self.cum_qty
        }
    }

    /// Leaves not on any live child.
    pub fn unrouted(&self) -> u32 {
        debug_assert!(self.leaves() >= self.working_qty || self.state.is_terminal());
        self.leaves().saturating_sub(self.working_qty)
    }

    /// Average fill price rounded toward zero, 1/10,000 $; `None` before the first fill.
    pub fn avg_price(&self) -> Option<Price> {
        (self.cum_qty > 0).then(|| Price((self.filled_notional / i128::from(self.cum_qty)) as i64))
    }

    /// Applies `event` through the table.
    ///
    /// # Errors
    /// [`RouterError::InvalidTransition`].
    pub fn apply(&mut self, event: ParentEvent) -> Result<(), RouterError> {
        self.state = transition(self.state, event)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParentEvent as E;
    use ParentState as S;

    const ALLOWED: &[(S, E, S)] = &[
        (S::New, E::PartialFill, S::PartiallyFilled),
        (S::New, E::Fill, S::Filled),
        (S::New, E::CancelRequest, S::PendingCancel),
        (S::New, E::Done, S::Canceled),
        (S::PartiallyFilled, E::PartialFill, S::PartiallyFilled),
        (S::PartiallyFilled, E::Fill, S::Filled),
        (S::PartiallyFilled, E::CancelRequest, S::PendingCancel),
        (S::PartiallyFilled, E::Done, S::Canceled),
        (S::PendingCancel, E::PartialFill, S::PendingCancel),
        (S::PendingCancel, E::Fill, S::Filled),
        (S::PendingCancel, E::Done, S::Canceled),
    ];

    #[test]
    fn every_state_event_pair_matches_the_written_table() {
        let mut allowed = 0;
        for state in S::ALL {
            for event in E::ALL {
                let want = ALLOWED
                    .iter()
                    .find(|(s, e, _)| *s == state && *e == event)
                    .map(|(_, _, n)| *n);
                match (transition(state, event), want) {
                    (Ok(got), Some(next)) => {
                        assert_eq!(got, next, "{state:?} {event:?}");
                        allowed += 1;
                    }
                    (Err(e), None) => assert_eq!(e.code(), "ROUTER_INVALID_TRANSITION"),
                    (got, want) => panic!("{state:?} {event:?}: got {got:?} want {want:?}"),
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn avg_price_and_leaves() {
        let mut p = Parent {
            order_id: OrderId(1),
            instrument: InstrumentId(0),
            side: Side::Buy,
            qty: Qty(300),
            limit_price: Price(100_100),
            time_in_force: TimeInForce::Ioc,
            strategy: Strategy::Sweep,
            state: S::New,
            cum_qty: 0,
            filled_notional: 0,
            working_qty: 300,
            takers_in_flight: 2,
            children_sent: 2,
            excluded_venues: 0,
            created_ns: 0,
            cancel_reason: crate::events::CancelReason::Unspecified,
        };
        assert_eq!(p.avg_price(), None);
        p.cum_qty = 300;
        p.working_qty = 0;
        p.filled_notional = 100 * 100_000 + 200 * 100_100;
        assert_eq!(p.avg_price(), Some(Price(100_066)));
        p.apply(E::Fill).unwrap();
        assert_eq!(p.leaves(), 0);
        assert!(p.apply(E::Done).is_err());
    }
}
