//! Child orders: one venue order of a parent. The state machine is one `match (state,
//! event)` table (NautilusTrader `OrderStatus::transition` style); any other pair is
//! `ROUTER_INVALID_TRANSITION`. States follow SBE `OrderStatus` (FIX OrdStatus(39)).

use crate::error::RouterError;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};

/// State of a child order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildState {
    /// Sent, not yet acknowledged.
    PendingNew,
    /// Accepted by the venue, nothing filled.
    New,
    /// Accepted, partly filled, shares open.
    PartiallyFilled,
    /// Cancel sent, not yet confirmed (fills may still arrive).
    PendingCancel,
    /// Completely filled (terminal).
    Filled,
    /// Canceled (terminal).
    Canceled,
    /// Rejected by the gateway or venue (terminal).
    Rejected,
    /// Expired: IOC remainder or end of day (terminal).
    Expired,
}

/// What happened to a child order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildEvent {
    /// ExecType New.
    Ack,
    /// ExecType PartialFill (shares stay open).
    PartialFill,
    /// ExecType Fill (nothing open).
    Fill,
    /// The router sent a CancelOrder.
    CancelSent,
    /// ExecType Canceled.
    Canceled,
    /// ExecType Rejected or an OrderReject.
    Rejected,
    /// ExecType Expired.
    Expired,
    /// ExecType Replaced (the router never replaces).
    Replaced,
    /// ExecType Restated (not tracked).
    Restated,
}

impl ChildState {
    /// Every state, for exhaustive tests.
    pub const ALL: [ChildState; 8] = [
        ChildState::PendingNew,
        ChildState::New,
        ChildState::PartiallyFilled,
        ChildState::PendingCancel,
        ChildState::Filled,
        ChildState::Canceled,
        ChildState::Rejected,
        ChildState::Expired,
    ];

    /// No event may change the order any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            ChildState::Filled | ChildState::Canceled | ChildState::Rejected | ChildState::Expired
        )
    }

    /// Name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ChildState::PendingNew => "pending_new",
            ChildState::New => "new",
            ChildState::PartiallyFilled => "partially_filled",
            ChildState::PendingCancel => "pending_cancel",
            ChildState::Filled => "filled",
            ChildState::Canceled => "canceled",
            ChildState::Rejected => "rejected",
            ChildState::Expired => "expired",
        }
    }
}

impl ChildEvent {
    /// Every event, for exhaustive tests.
    pub const ALL: [ChildEvent; 9] = [
        ChildEvent::Ack,
        ChildEvent::PartialFill,
        ChildEvent::Fill,
        ChildEvent::CancelSent,
        ChildEvent::Canceled,
        ChildEvent::Rejected,
        ChildEvent::Expired,
        ChildEvent::Replaced,
        ChildEvent::Restated,
    ];

    /// Name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ChildEvent::Ack => "ack",
            ChildEvent::PartialFill => "partial_fill",
            ChildEvent::Fill => "fill",
            ChildEvent::CancelSent => "cancel_sent",
            ChildEvent::Canceled => "canceled",
            ChildEvent::Rejected => "rejected",
            ChildEvent::Expired => "expired",
            ChildEvent::Replaced => "replaced",
            ChildEvent::Restated => "restated",
        }
    }
}

/// The child state table.
///
/// Fills are accepted before the ack (a venue may report an execution first; money is never
/// dropped). A cancel may be sent while the order is unacknowledged.
///
/// # Errors
/// [`RouterError::InvalidTransition`] for every pair not listed.
pub const fn transition(state: ChildState, event: ChildEvent) -> Result<ChildState, RouterError> {
    use ChildEvent as E;
    use ChildState as S;
    match (state, event) {
        (S::PendingNew, E::Ack) => Ok(S::New),
        (S::PendingNew | S::New | S::PartiallyFilled, E::PartialFill) => Ok(S::PartiallyFilled),
        (S::PendingCancel, E::PartialFill) => Ok(S::PendingCancel),
        (S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel, E::Fill) => Ok(S::Filled),
        (S::PendingNew | S::New | S::PartiallyFilled, E::CancelSent) => Ok(S::PendingCancel),
        (S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel, E::Canceled) => {
            Ok(S::Canceled)
        }
        (S::PendingNew | S::PendingCancel, E::Rejected) => Ok(S::Rejected),
        (S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel, E::Expired) => {
            Ok(S::Expired)
        }
        _ => Err(RouterError::InvalidTransition {
            order: "child",
            state: state.name(),
            event: event.name(),
        }),
    }
}

/// One child order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Child {
    /// Child order id.
    pub order_id: OrderId,
    /// Slot of its parent in the parent table.
    pub parent_slot: u32,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Venue.
    pub venue: VenueId,
    /// Side.
    pub side: Side,
    /// Day or IOC.
    pub time_in_force: TimeInForce,
    /// Limit price, 1/10,000 $.
    pub price: Price,
    /// Shares sent.
    pub qty: Qty,
    /// Shares filled.
    pub cum_qty: Qty,
    /// State.
    pub state: ChildState,
    /// Router time the order was sent, ns.
    pub sent_ns: u64,
}

impl Child {
    /// Shares still open at the venue (0 once terminal).
    pub fn leaves(&self) -> u32 {
        if self.state.is_terminal() {
            0
        } else {
            self.qty.0 - self.cum_qty.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChildEvent as E;
    use ChildState as S;

    /// The table written out by hand, independently of the `match`.
    const ALLOWED: &[(S, E, S)] = &[
        (S::PendingNew, E::Ack, S::New),
        (S::PendingNew, E::PartialFill, S::PartiallyFilled),
        (S::PendingNew, E::Fill, S::Filled),
        (S::PendingNew, E::CancelSent, S::PendingCancel),
        (S::PendingNew, E::Canceled, S::Canceled),
        (S::PendingNew, E::Rejected, S::Rejected),
        (S::PendingNew, E::Expired, S::Expired),
        (S::New, E::PartialFill, S::PartiallyFilled),
        (S::New, E::Fill, S::Filled),
        (S::New, E::CancelSent, S::PendingCancel),
        (S::New, E::Canceled, S::Canceled),
        (S::New, E::Expired, S::Expired),
        (S::PartiallyFilled, E::PartialFill, S::PartiallyFilled),
        (S::PartiallyFilled, E::Fill, S::Filled),
        (S::PartiallyFilled, E::CancelSent, S::PendingCancel),
        (S::PartiallyFilled, E::Canceled, S::Canceled),
        (S::PartiallyFilled, E::Expired, S::Expired),
        (S::PendingCancel, E::PartialFill, S::PendingCancel),
        (S::PendingCancel, E::Fill, S::Filled),
        (S::PendingCancel, E::Canceled, S::Canceled),
        (S::PendingCancel, E::Rejected, S::Rejected),
        (S::PendingCancel, E::Expired, S::Expired),
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
                    (Err(e), None) => {
                        assert_eq!(e.code(), "ROUTER_INVALID_TRANSITION");
                        assert!(e.to_string().contains(state.name()), "{e}");
                    }
                    (got, want) => panic!("{state:?} {event:?}: got {got:?} want {want:?}"),
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len());
    }

    #[test]
    fn terminal_states_accept_nothing() {
        for state in S::ALL.into_iter().filter(|s| s.is_terminal()) {
            for event in E::ALL {
                assert!(transition(state, event).is_err(), "{state:?} {event:?}");
            }
        }
    }
}
