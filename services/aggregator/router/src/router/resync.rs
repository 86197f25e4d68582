//! Execution-stream resync (`docs/aggregator.md` § Execution-stream resync): while the owner
//! has not caught up with a gateway's execution stream, that gateway's venues get no new
//! child, and a child of theirs that reports Canceled / Expired without the router having
//! asked (the gateway canceled it fail closed while the centre was down) finishes its parent
//! instead of being re-routed.

use super::Router;
use crate::events::{CancelReason, CommandSink};
use crate::parent::ParentEvent;
use crossbar_model::GatewayId;

impl Router {
    /// Marks every venue of `gateway` as resyncing (`true`: no routing there) or resynced.
    /// Returns false for a gateway the limits do not list.
    pub fn set_gateway_resyncing(&mut self, gateway: GatewayId, resyncing: bool) -> bool {
        let mut mask = 0u64;
        for (v, venue) in self.limits.venues.iter().enumerate() {
            if venue.gateway == gateway {
                mask |= 1 << v;
            }
        }
        if mask == 0 {
            return false;
        }
        if resyncing {
            self.resyncing |= mask;
        } else {
            self.resyncing &= !mask;
            // Parents parked while the venues were held are retried on the next tick.
            self.parked_parents += 1;
        }
        true
    }

    /// True while any venue of `gateway` is resyncing.
    pub fn is_gateway_resyncing(&self, gateway: GatewayId) -> bool {
        self.limits
            .venues
            .iter()
            .enumerate()
            .any(|(v, venue)| venue.gateway == gateway && self.resyncing & (1 << v) != 0)
    }

    /// The parent of child slot `c` (about to end unsolicited) moves to PendingCancel with
    /// reason GatewayCanceled; its other working children get a CancelOrder.
    pub(super) fn cancel_parent_for_resync(
        &mut self,
        c: usize,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) {
        let ch = self.children[c].expect("live child");
        let slot = ch.parent_slot;
        let p = self.parents[slot as usize]
            .as_mut()
            .expect("child's parent is live");
        if p.apply(ParentEvent::CancelRequest).is_err() {
            return; // already cancelling
        }
        p.cancel_reason = CancelReason::GatewayCanceled;
        self.counters.resync_parent_cancels += 1;
        for other in 0..self.children.len() {
            if other != c && self.children[other].is_some_and(|o| o.parent_slot == slot) {
                self.cancel_child(other, now_ns, sink);
            }
        }
    }
}
