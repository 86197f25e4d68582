//! What the operator API shows about orders beyond the router's own state: each parent's
//! client order id and order type, and every child it sent with its fills and outcome (the
//! router forgets finished children). Owned by the router thread, updated from the same
//! events the router sees, copied into each published snapshot.
//!
//! Sizing: parents live and finished are remembered up to `max_parents` finished ones (the
//! oldest finished parent is forgotten first, as in the router); maps are allocated for that
//! at start-up. A parent's child list grows when it sends a child (control-plane bookkeeping:
//! one allocation per parent, rarely more). The child → parent index holds live children only
//! (at most `max_children`, the size it is allocated for): a child leaves it with its terminal
//! report, so the router thread's insert per child never grows or rehashes the table
//! (`docs/bench/centre-round-trip.md`).
//!
//! Change tracking for the reader snapshot (`crate::publisher`): every change to a parent's view
//! (and every [`OrderViews::touch`], which the core calls for each parent an event or command
//! changed in the router) puts the parent id in a dirty set, and every child that enters or
//! leaves the live index moves its venue's open-child count. The set is a hash set allocated
//! for `4 × max_parents` ids at start-up and drained (capacity kept) at each publication, so
//! marking a parent costs a hash insert and never allocates between publications unless more
//! distinct parents than that changed.
//!
//! The maps hash with FxHash (`rustc-hash`), not SipHash: they sit on the router thread's path
//! for every report (~100 ns per report with SipHash, `docs/bench/centre-round-trip.md`), and
//! their keys are our own order ids or client order ids of authenticated operators, so there is
//! no untrusted input to flood one bucket.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

use crossbar_model::{OrderId, Price, Qty};
use crossbar_router::{ExecType, NewChildOrder};

use crate::codec::ParentTerms;

/// State of a child as the API reports it (proto `ChildState` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildStatus {
    /// Sent, not yet acknowledged.
    PendingNew,
    /// Working, nothing filled.
    New,
    /// Working, some filled.
    PartiallyFilled,
    /// Filled (terminal).
    Filled,
    /// Canceled (terminal).
    Canceled,
    /// Rejected (terminal).
    Rejected,
    /// Expired (terminal).
    Expired,
}

/// One child order as the API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildView {
    /// Child order id.
    pub order_id: OrderId,
    /// Router venue index.
    pub venue: u16,
    /// Limit, 1/10,000 $.
    pub price: Price,
    /// Shares sent.
    pub qty: Qty,
    /// Shares filled.
    pub cum_qty: u32,
    /// Sum of fill price × shares, 1/10,000 $.
    pub notional: i128,
    /// Outcome so far.
    pub status: ChildStatus,
    /// SBE RejectReason code when rejected, else 0.
    pub reject_reason: u16,
}

impl ChildStatus {
    /// Filled, Canceled, Rejected or Expired: no report follows.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ChildStatus::Filled
                | ChildStatus::Canceled
                | ChildStatus::Rejected
                | ChildStatus::Expired
        )
    }
}

impl ChildView {
    /// Shares open at the venue (0 once terminal).
    pub fn leaves(&self) -> u32 {
        match self.status {
            ChildStatus::PendingNew | ChildStatus::New | ChildStatus::PartiallyFilled => {
                self.qty.0 - self.cum_qty
            }
            _ => 0,
        }
    }
}

/// The API's extra facts about one parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentView {
    /// The operator's terms (client order id, order type).
    pub terms: ParentTerms,
    /// Children in the order they were sent.
    pub children: Vec<ChildView>,
    /// Router time of the last change, UTC ns.
    pub updated_ns: u64,
    /// The parent finished (its end is journaled).
    pub finished: bool,
}

/// Every parent's [`ParentView`] and the client-order-id index.
#[derive(Debug)]
pub struct OrderViews {
    parents: FxHashMap<u64, ParentView>,
    /// Live child → (parent, router venue index).
    child_parent: FxHashMap<u64, (u64, u16)>,
    client_ids: FxHashMap<String, u64>,
    finished: VecDeque<u64>,
    finished_max: usize,
    /// Parents changed (or forgotten) since the last [`OrderViews::drain_dirty`].
    dirty: FxHashSet<u64>,
    /// Live children (those in `child_parent`) per router venue index.
    open: Vec<u32>,
}

impl OrderViews {
    /// Sized for `max_parents` live and as many finished parents and `max_children` children.
    pub fn new(max_parents: usize, max_children: usize) -> Self {
        Self {
            parents: FxHashMap::with_capacity_and_hasher(2 * max_parents, Default::default()),
            child_parent: FxHashMap::with_capacity_and_hasher(max_children, Default::default()),
            client_ids: FxHashMap::with_capacity_and_hasher(2 * max_parents, Default::default()),
            finished: VecDeque::with_capacity(max_parents),
            finished_max: max_parents,
            dirty: FxHashSet::with_capacity_and_hasher(4 * max_parents, Default::default()),
            open: Vec::new(),
        }
    }

    /// Moves the ids of every parent changed or forgotten since the last call into `out`
    /// (appended, each once, in no particular order); the set keeps its capacity.
    pub fn drain_dirty(&mut self, out: &mut Vec<u64>) {
        if !self.dirty.is_empty() {
            out.extend(self.dirty.drain());
        }
    }

    /// How many parents are marked changed.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// Ids the dirty set holds without allocating.
    pub fn dirty_capacity(&self) -> usize {
        self.dirty.capacity()
    }

    /// Live (non-terminal) children per router venue index; venues past the end have none.
    pub fn open_children(&self) -> &[u32] {
        &self.open
    }

    /// A child left the live index (terminal, or its parent forgotten).
    fn child_gone(&mut self, child: u64) {
        if let Some((_, venue)) = self.child_parent.remove(&child) {
            if let Some(n) = self.open.get_mut(usize::from(venue)) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// The parent that used `client_order_id`, if remembered.
    pub fn by_client_id(&self, client_order_id: &str) -> Option<OrderId> {
        self.client_ids.get(client_order_id).map(|&id| OrderId(id))
    }

    /// One parent's view.
    pub fn get(&self, parent: OrderId) -> Option<&ParentView> {
        self.parents.get(&parent.0)
    }

    /// Every parent's view.
    pub fn all(&self) -> &FxHashMap<u64, ParentView> {
        &self.parents
    }

    /// A parent was accepted.
    pub fn on_accept(&mut self, parent: OrderId, terms: ParentTerms, now_ns: u64) {
        self.dirty.insert(parent.0);
        self.client_ids
            .insert(terms.client_order_id.clone(), parent.0);
        self.parents.insert(
            parent.0,
            ParentView {
                terms,
                children: Vec::new(),
                updated_ns: now_ns,
                finished: false,
            },
        );
    }

    /// A child was sent (or restored).
    pub fn on_child(&mut self, c: &NewChildOrder) {
        if let Some(p) = self.parents.get_mut(&c.parent_order_id.0) {
            p.children.push(ChildView {
                order_id: c.order_id,
                venue: c.venue.0,
                price: c.price,
                qty: c.qty,
                cum_qty: 0,
                notional: 0,
                status: ChildStatus::PendingNew,
                reject_reason: 0,
            });
            p.updated_ns = c.timestamp_ns;
            self.dirty.insert(c.parent_order_id.0);
            if self
                .child_parent
                .insert(c.order_id.0, (c.parent_order_id.0, c.venue.0))
                .is_none()
            {
                let v = c.venue.0 as usize;
                if v >= self.open.len() {
                    self.open.resize(v + 1, 0); // once per venue
                }
                self.open[v] += 1;
            }
        }
    }

    fn child_mut(&mut self, child: OrderId, now_ns: u64) -> Option<&mut ChildView> {
        let (parent, _) = *self.child_parent.get(&child.0)?;
        let p = self.parents.get_mut(&parent)?;
        p.updated_ns = now_ns;
        self.dirty.insert(parent);
        p.children.iter_mut().find(|c| c.order_id == child)
    }

    /// An ExecutionReport of a child the router accepted. A terminal one also drops the
    /// child from the child → parent index (the view keeps it in its parent's list).
    pub fn on_report(
        &mut self,
        child: OrderId,
        exec_type: ExecType,
        qty: Qty,
        px: Price,
        now_ns: u64,
    ) {
        let Some(c) = self.child_mut(child, now_ns) else {
            return;
        };
        c.cum_qty += qty.0;
        c.notional += px.notional(qty);
        c.status = match exec_type {
            ExecType::New => ChildStatus::New,
            ExecType::PartialFill => ChildStatus::PartiallyFilled,
            ExecType::Fill => ChildStatus::Filled,
            ExecType::Canceled => ChildStatus::Canceled,
            ExecType::Rejected => ChildStatus::Rejected,
            ExecType::Expired => ChildStatus::Expired,
            ExecType::Replaced | ExecType::Restated => c.status,
        };
        if c.status.is_terminal() {
            self.child_gone(child.0);
        }
    }

    /// An OrderReject of a child (terminal: the child leaves the child → parent index).
    pub fn on_reject(&mut self, child: OrderId, reason: u16, now_ns: u64) {
        if let Some(c) = self.child_mut(child, now_ns) {
            c.status = ChildStatus::Rejected;
            c.reject_reason = reason;
            self.child_gone(child.0);
        }
    }

    /// A parent changed in the router (the core calls this for every parent an event or
    /// command touched): marked changed for the next snapshot, its view's `updated_ns` set.
    pub fn touch(&mut self, parent: OrderId, now_ns: u64) {
        self.dirty.insert(parent.0);
        if let Some(p) = self.parents.get_mut(&parent.0) {
            p.updated_ns = now_ns;
        }
    }

    /// True when `parent` is known and finished.
    pub fn is_finished(&self, parent: OrderId) -> bool {
        self.parents.get(&parent.0).is_some_and(|p| p.finished)
    }

    /// A parent finished (once; later calls do nothing): it is remembered until `max_parents` newer ones have finished.
    pub fn on_finished(&mut self, parent: OrderId, now_ns: u64) {
        match self.parents.get_mut(&parent.0) {
            Some(p) if !p.finished => {
                p.finished = true;
                p.updated_ns = now_ns;
                self.dirty.insert(parent.0);
            }
            _ => return,
        }
        if self.finished.len() == self.finished_max {
            if let Some(old) = self.finished.pop_front() {
                self.dirty.insert(old);
                if let Some(p) = self.parents.remove(&old) {
                    self.client_ids.remove(&p.terms.client_order_id);
                    for c in &p.children {
                        self.child_gone(c.order_id.0); // none normally: its children ended
                    }
                }
            }
        }
        self.finished.push_back(parent.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbar_model::{GatewayId, InstrumentId, Side, TimeInForce, VenueId};

    #[test]
    fn children_accumulate_fills_and_finished_parents_are_forgotten_oldest_first() {
        let mut v = OrderViews::new(1, 8);
        let id = |s| OrderId::new(GatewayId(0), s).unwrap();
        let terms = |c: &str| ParentTerms {
            client_order_id: c.into(),
            marketable: false,
        };
        v.on_accept(id(1), terms("a"), 1);
        v.on_child(&NewChildOrder {
            order_id: id(2),
            parent_order_id: id(1),
            instrument: InstrumentId(0),
            venue: VenueId(1),
            gateway: GatewayId(2),
            side: Side::Buy,
            time_in_force: TimeInForce::Ioc,
            price: Price(100),
            qty: Qty(10),
            timestamp_ns: 2,
        });
        v.on_report(id(2), ExecType::PartialFill, Qty(4), Price(99), 3);
        let c = v.get(id(1)).unwrap().children[0];
        assert_eq!(
            (c.cum_qty, c.notional, c.leaves(), c.status),
            (4, 396, 6, ChildStatus::PartiallyFilled)
        );
        v.on_report(id(2), ExecType::Expired, Qty(0), Price(0), 4);
        assert_eq!(v.get(id(1)).unwrap().children[0].leaves(), 0);
        assert_eq!(v.by_client_id("a"), Some(id(1)));
        v.on_finished(id(1), 5);
        v.on_accept(id(3), terms("b"), 6);
        v.on_finished(id(3), 7);
        assert!(v.get(id(1)).is_none() && v.by_client_id("a").is_none());
        assert_eq!(v.get(id(3)).unwrap().updated_ns, 7);
    }

    #[test]
    fn the_child_index_holds_live_children_only() {
        let mut v = OrderViews::new(4, 4);
        let id = |s| OrderId::new(GatewayId(0), s).unwrap();
        v.on_accept(
            id(1),
            ParentTerms {
                client_order_id: "p".into(),
                marketable: false,
            },
            1,
        );
        let child = |n| NewChildOrder {
            order_id: id(n),
            parent_order_id: id(1),
            instrument: InstrumentId(0),
            venue: VenueId(1),
            gateway: GatewayId(2),
            side: Side::Buy,
            time_in_force: TimeInForce::Ioc,
            price: Price(100),
            qty: Qty(10),
            timestamp_ns: n,
        };
        // Far more children over time than the index is sized for: it never holds more
        // than the live ones.
        for n in 2..200 {
            v.on_child(&child(n));
            v.on_report(id(n), ExecType::New, Qty(0), Price(0), n);
            assert_eq!(v.child_parent.len(), 1);
            match n % 3 {
                0 => v.on_report(id(n), ExecType::Canceled, Qty(0), Price(0), n),
                1 => v.on_report(id(n), ExecType::Fill, Qty(10), Price(100), n),
                _ => v.on_reject(id(n), 7, n),
            }
            assert!(v.child_parent.is_empty(), "child {n} still indexed");
        }
        assert!(
            v.child_parent.capacity() < 64,
            "{}",
            v.child_parent.capacity()
        );
        // The views keep every child with its outcome; a report after the end changes nothing.
        let p = v.get(id(1)).unwrap();
        assert_eq!(p.children.len(), 198);
        assert_eq!(p.children[0].status, ChildStatus::Rejected);
        assert_eq!(p.children[1].status, ChildStatus::Canceled);
        assert_eq!(
            (p.children[2].status, p.children[2].cum_qty),
            (ChildStatus::Filled, 10)
        );
        v.on_report(id(4), ExecType::Fill, Qty(10), Price(100), 999);
        assert_eq!(v.get(id(1)).unwrap().children[2].cum_qty, 10);
        assert_eq!(v.get(id(1)).unwrap().updated_ns, 199);
    }

    #[test]
    fn changes_mark_parents_once_without_growing_the_set_and_count_open_children() {
        let mut v = OrderViews::new(4, 8);
        let capacity = v.dirty_capacity();
        assert!(capacity >= 16);
        let id = |s| OrderId::new(GatewayId(0), s).unwrap();
        for p in 1..=4 {
            v.on_accept(
                id(p),
                ParentTerms {
                    client_order_id: format!("p{p}"),
                    marketable: false,
                },
                p,
            );
        }
        let mut drained = Vec::new();
        v.drain_dirty(&mut drained);
        drained.sort_unstable();
        assert_eq!(drained, (1..=4).map(|p| id(p).0).collect::<Vec<_>>());
        assert_eq!(v.dirty_len(), 0);
        // Thousands of reports on one parent's children: one mark, no growth.
        for n in 0..2_000u64 {
            v.on_child(&NewChildOrder {
                order_id: id(100 + n),
                parent_order_id: id(2),
                instrument: InstrumentId(0),
                venue: VenueId((n % 3) as u16),
                gateway: GatewayId(1),
                side: Side::Buy,
                time_in_force: TimeInForce::Day,
                price: Price(100),
                qty: Qty(10),
                timestamp_ns: n,
            });
            v.on_report(id(100 + n), ExecType::New, Qty(0), Price(0), n);
            if n % 2 == 0 {
                v.on_report(id(100 + n), ExecType::Fill, Qty(10), Price(100), n);
            } else {
                v.on_reject(id(100 + n), 3, n);
            }
            v.touch(id(3), n);
        }
        assert_eq!(v.dirty_len(), 2);
        assert_eq!(v.dirty_capacity(), capacity);
        assert_eq!(v.open_children(), &[0, 0, 0]);
        // Live children are counted per venue; forgetting a parent unmarks nothing else.
        v.on_child(&NewChildOrder {
            order_id: id(9_000),
            parent_order_id: id(1),
            instrument: InstrumentId(0),
            venue: VenueId(1),
            gateway: GatewayId(1),
            side: Side::Buy,
            time_in_force: TimeInForce::Day,
            price: Price(100),
            qty: Qty(10),
            timestamp_ns: 1,
        });
        assert_eq!(v.open_children(), &[0, 1, 0]);
        v.drain_dirty(&mut drained);
        assert_eq!(v.dirty_len(), 0);
    }
}
