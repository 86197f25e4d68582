//! Counters an operator asks about. Plain integers owned by the single writer; published in
//! snapshots.

use crate::error::RouterError;

/// Event and outcome counts since construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Inputs applied successfully.
    pub events: u64,
    /// Refused inputs and requests by error kind ([`RouterError::kind_index`]).
    pub errors: [u64; RouterError::KINDS],
    /// Parents accepted.
    pub parents_accepted: u64,
    /// NewChildOrder commands emitted.
    pub children_sent: u64,
    /// CancelOrder commands emitted.
    pub cancels_sent: u64,
    /// CreditGrant commands emitted.
    pub credit_grants: u64,
    /// Routing passes after the first one of a parent (re-routes of returned leaves).
    pub reroutes: u64,
    /// Planned children dropped by a per-child risk check or a full child table.
    pub children_refused: u64,
    /// Times the healthy-venue set changed.
    pub health_changes: u64,
    /// Parents finished because a child was canceled unsolicited during a gateway resync.
    pub resync_parent_cancels: u64,
}

impl Counters {
    /// Refusals of `code` (a [`RouterError::code`]) so far.
    pub fn errors_of(&self, kind_index: usize) -> u64 {
        self.errors[kind_index]
    }
}
