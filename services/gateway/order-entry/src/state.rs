//! The per-child-order state machine: one `match (state, event)` table.

/// State of one child order (FIX OrdStatus(39) semantics, `schemas/crossbar.xml` OrderStatus).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Sent to the venue (Enter Order or Replace Order), no answer yet.
    PendingNew,
    /// Accepted by the venue, nothing filled.
    New,
    /// Accepted, partly filled, shares still open.
    PartiallyFilled,
    /// Completely filled (terminal).
    Filled,
    /// Canceled, fully or the remainder (terminal).
    Canceled,
    /// Rejected by the venue (terminal).
    Rejected,
    /// Replaced by a new order id (terminal for this id).
    Replaced,
}

impl OrderState {
    /// Every state, for exhaustive tests.
    pub const ALL: [OrderState; 7] = [
        OrderState::PendingNew,
        OrderState::New,
        OrderState::PartiallyFilled,
        OrderState::Filled,
        OrderState::Canceled,
        OrderState::Rejected,
        OrderState::Replaced,
    ];

    /// True when no further venue message may change the order.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Filled | OrderState::Canceled | OrderState::Rejected | OrderState::Replaced
        )
    }

    /// The SBE OrderStatus of this state.
    pub const fn to_sbe(self) -> crossbar_sbe::OrderStatus {
        use crossbar_sbe::OrderStatus as S;
        match self {
            OrderState::PendingNew => S::PendingNew,
            OrderState::New => S::New,
            OrderState::PartiallyFilled => S::PartiallyFilled,
            OrderState::Filled => S::Filled,
            OrderState::Canceled => S::Canceled,
            OrderState::Rejected => S::Rejected,
            OrderState::Replaced => S::Replaced,
        }
    }
}

/// What happened to a child order, from the venue's messages (OUCH 5.0 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// §3.2 Order Accepted.
    Accepted,
    /// §3.3 Order Replaced, seen by the replacement (new UserRefNum); `partially_filled` when
    /// the chain already has executions.
    ReplaceAccepted {
        /// Shares were executed on the chain before the replace.
        partially_filled: bool,
    },
    /// §3.6 Order Executed leaving shares open.
    PartialFill,
    /// §3.6 Order Executed leaving no shares open.
    FullFill,
    /// §3.4 Order Canceled leaving shares open (a reduce).
    PartialCancel,
    /// §3.4 Order Canceled leaving no shares open.
    FullCancel,
    /// §3.8 Rejected (an Enter Order, or the replacement of a Replace Order).
    Rejected,
    /// §3.3 Order Replaced, seen by the original order.
    ReplacedAway,
}

impl OrderEvent {
    /// Every event, for exhaustive tests.
    pub const ALL: [OrderEvent; 9] = [
        OrderEvent::Accepted,
        OrderEvent::ReplaceAccepted {
            partially_filled: false,
        },
        OrderEvent::ReplaceAccepted {
            partially_filled: true,
        },
        OrderEvent::PartialFill,
        OrderEvent::FullFill,
        OrderEvent::PartialCancel,
        OrderEvent::FullCancel,
        OrderEvent::Rejected,
        OrderEvent::ReplacedAway,
    ];
}

/// An event the order's state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("state={state:?} event={event:?}")]
pub struct InvalidTransition {
    /// State before the event.
    pub state: OrderState,
    /// The refused event.
    pub event: OrderEvent,
}

/// The order state table: the state after `event` in `state`.
///
/// # Errors
/// [`InvalidTransition`] for any pair not in the table (e.g. a fill before the accept, or
/// anything after a terminal state).
pub const fn transition(
    state: OrderState,
    event: OrderEvent,
) -> Result<OrderState, InvalidTransition> {
    use OrderEvent as E;
    use OrderState as S;
    match (state, event) {
        (S::PendingNew, E::Accepted) => Ok(S::New),
        (
            S::PendingNew,
            E::ReplaceAccepted {
                partially_filled: false,
            },
        ) => Ok(S::New),
        (
            S::PendingNew,
            E::ReplaceAccepted {
                partially_filled: true,
            },
        ) => Ok(S::PartiallyFilled),
        (S::PendingNew, E::Rejected) => Ok(S::Rejected),
        (S::New | S::PartiallyFilled, E::PartialFill) => Ok(S::PartiallyFilled),
        (S::New | S::PartiallyFilled, E::FullFill) => Ok(S::Filled),
        (S::New, E::PartialCancel) => Ok(S::New),
        (S::PartiallyFilled, E::PartialCancel) => Ok(S::PartiallyFilled),
        (S::New | S::PartiallyFilled, E::FullCancel) => Ok(S::Canceled),
        (S::New | S::PartiallyFilled, E::ReplacedAway) => Ok(S::Replaced),
        _ => Err(InvalidTransition { state, event }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEvent as E;
    use OrderState as S;

    /// The table written out by hand, independently of the `match`.
    fn expected(state: S, event: E) -> Option<S> {
        let allowed: &[(S, E, S)] = &[
            (S::PendingNew, E::Accepted, S::New),
            (
                S::PendingNew,
                E::ReplaceAccepted {
                    partially_filled: false,
                },
                S::New,
            ),
            (
                S::PendingNew,
                E::ReplaceAccepted {
                    partially_filled: true,
                },
                S::PartiallyFilled,
            ),
            (S::PendingNew, E::Rejected, S::Rejected),
            (S::New, E::PartialFill, S::PartiallyFilled),
            (S::New, E::FullFill, S::Filled),
            (S::New, E::PartialCancel, S::New),
            (S::New, E::FullCancel, S::Canceled),
            (S::New, E::ReplacedAway, S::Replaced),
            (S::PartiallyFilled, E::PartialFill, S::PartiallyFilled),
            (S::PartiallyFilled, E::FullFill, S::Filled),
            (S::PartiallyFilled, E::PartialCancel, S::PartiallyFilled),
            (S::PartiallyFilled, E::FullCancel, S::Canceled),
            (S::PartiallyFilled, E::ReplacedAway, S::Replaced),
        ];
        allowed
            .iter()
            .find(|(s, e, _)| *s == state && *e == event)
            .map(|(_, _, next)| *next)
    }

    #[test]
    fn every_state_event_pair_matches_the_written_table() {
        let mut allowed = 0;
        for state in S::ALL {
            for event in E::ALL {
                let got = transition(state, event);
                match expected(state, event) {
                    Some(next) => {
                        allowed += 1;
                        assert_eq!(got, Ok(next), "{state:?} {event:?}");
                    }
                    None => assert_eq!(
                        got,
                        Err(InvalidTransition { state, event }),
                        "{state:?} {event:?}"
                    ),
                }
            }
        }
        assert_eq!(allowed, 14);
    }

    #[test]
    fn terminal_states_accept_nothing() {
        for state in S::ALL.into_iter().filter(|s| s.is_terminal()) {
            for event in E::ALL {
                assert!(transition(state, event).is_err(), "{state:?} {event:?}");
            }
        }
    }

    #[test]
    fn invalid_transition_message_names_state_and_event() {
        let e = transition(S::Filled, E::PartialFill).unwrap_err();
        assert_eq!(e.to_string(), "state=Filled event=PartialFill");
    }
}
