//! Test support: checks a session state machine's transition function against its written
//! table, every (state, event) pair, for the client and the server alike.

use std::fmt::Debug;

use crate::SoupError;

/// Asserts that `transition` allows exactly the `allowed` rows (`(state, event, next)`) and
/// refuses every other pair of `states` x `events` with `SoupError::InvalidTransition` naming
/// `role`, the state (`state_name`) and the event (`event_name`).
pub(crate) fn assert_matches_table<S, E>(
    role: &str,
    states: &[S],
    events: &[E],
    allowed: &[(S, E, S)],
    transition: impl Fn(S, E) -> Result<S, SoupError>,
    state_name: impl Fn(S) -> &'static str,
    event_name: impl Fn(E) -> &'static str,
) where
    S: Copy + Eq + Debug,
    E: Copy + Eq + Debug,
{
    let mut matched = 0;
    for &state in states {
        for &event in events {
            let expected = allowed
                .iter()
                .find(|(s, e, _)| *s == state && *e == event)
                .map(|row| row.2);
            match (transition(state, event), expected) {
                (Ok(got), Some(want)) => {
                    assert_eq!(got, want, "{state:?} + {event:?}");
                    matched += 1;
                }
                (
                    Err(SoupError::InvalidTransition {
                        role: r,
                        state: s,
                        event: e,
                    }),
                    None,
                ) => {
                    assert_eq!((r, s, e), (role, state_name(state), event_name(event)));
                }
                (got, want) => panic!("{state:?} + {event:?}: got {got:?}, want {want:?}"),
            }
        }
    }
    assert_eq!(matched, allowed.len(), "rows of the table never reached");
}
