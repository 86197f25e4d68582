//! The API's counters, registered once in a [`CounterSet`] at bind time.

use crossbar_runtime::{Counter, CounterSet};

/// Handles to the API's counters (labels in [`ApiCounters::register`]).
#[derive(Clone, Debug)]
pub(crate) struct ApiCounters {
    /// Every call received.
    pub calls: Counter,
    /// Calls refused with UNAUTHENTICATED.
    pub unauthenticated: Counter,
    /// Calls refused with INVALID_ARGUMENT.
    pub invalid_argument: Counter,
    /// Calls the backend failed (any code).
    pub backend_errors: Counter,
    /// Of those, RESOURCE_EXHAUSTED (queue full).
    pub queue_full: Counter,
    /// Server streams started.
    pub streams_opened: Counter,
    /// Server streams ended with DATA_LOSS because the client fell behind.
    pub streams_lagged: Counter,
}

impl ApiCounters {
    pub(crate) fn register(set: &mut CounterSet) -> Self {
        Self {
            calls: set.register("api.calls"),
            unauthenticated: set.register("api.unauthenticated"),
            invalid_argument: set.register("api.invalid_argument"),
            backend_errors: set.register("api.backend_errors"),
            queue_full: set.register("api.queue_full"),
            streams_opened: set.register("api.streams_opened"),
            streams_lagged: set.register("api.streams_lagged"),
        }
    }
}
