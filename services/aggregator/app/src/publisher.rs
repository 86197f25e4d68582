//! Builds the readers' snapshot ([`Published`]) on the router thread at a cost proportional
//! to what changed since the previous one (issue 4: "readers such as the gRPC server get
//! consistent snapshots without locking the hot path").
//!
//! * Parents: a persistent map (`imbl::OrdMap`, [`ParentMap`]) of `Arc<ParentEntry>` lives
//!   here between publications; each publication re-reads only the parents the order views
//!   marked changed ([`OrderViews::drain_dirty`]: every view change and every parent the core
//!   touched), replaces their entries (path copy, O(log n) nodes each) and hands readers an
//!   O(1) clone of the map. A parent leaves the map when the order views forget it (the oldest
//!   finished one beyond `max_parents`); a finished parent the router forgot first keeps the
//!   row it finished with.
//! * Positions (instruments × venues counters), venue rows and open children per venue are
//!   rebuilt into reused buffers and re-shared (`Arc`) only when they differ from the previous
//!   publication; kill switches and the limits view are shared the same way.
//!
//! One publication is one point in the router's event order: the router thread calls
//! [`Publisher::publish`] between events, so positions, parents, children, kill switches and
//! limits are all from the same instant. Readers load the `Arc` and never touch the router.
//!
//! Cost (release, 4,096 live parents × 64 children): `docs/bench/aggregator-publish.md`.

use std::sync::Arc;

use crossbar_api::proto;
use crossbar_model::OrderId;
use crossbar_router::snapshot::{ParentRow, PositionRow, VenueRow};
use crossbar_router::Router;

use crate::orders::OrderViews;
use crate::views::{KillEntry, ParentEntry, ParentMap, Published};

/// The router thread's snapshot builder: the last published parts, kept to share with the
/// next publication.
#[derive(Debug)]
pub struct Publisher {
    version: u64,
    parents: ParentMap,
    ids: Vec<u64>,
    positions: Arc<Vec<PositionRow>>,
    positions_next: Vec<PositionRow>,
    venues: Arc<Vec<VenueRow>>,
    venues_next: Vec<VenueRow>,
    open: Arc<Vec<u32>>,
    kills: Arc<Vec<KillEntry>>,
    started: bool,
}

impl Publisher {
    /// A publisher whose scratch list holds `4 × max_parents` changed ids without allocating.
    /// The first [`Self::publish`] reads every parent the order views hold.
    pub fn new(max_parents: usize) -> Self {
        Self {
            version: 0,
            parents: ParentMap::new(),
            ids: Vec::with_capacity(4 * max_parents),
            positions: Arc::default(),
            positions_next: Vec::new(),
            venues: Arc::default(),
            venues_next: Vec::new(),
            open: Arc::default(),
            kills: Arc::default(),
            started: false,
        }
    }

    /// Version of the last publication (0: none yet).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Builds the next publication (version + 1) from the router and the order views at
    /// `now_ns` (UTC ns), re-reading only the parents changed since the previous one (the
    /// order views' dirty set is drained). Returns it and the number of parent entries it
    /// added, replaced or removed.
    pub fn publish(
        &mut self,
        router: &Router,
        orders: &mut OrderViews,
        kills: &[KillEntry],
        limits: Arc<proto::LimitsSnapshot>,
        now_ns: u64,
    ) -> (Arc<Published>, usize) {
        if !self.started {
            self.ids.extend(orders.all().keys().copied());
            self.started = true;
        }
        orders.drain_dirty(&mut self.ids);
        self.ids.sort_unstable(); // B-tree locality; ids are unique per drain except at start
        self.ids.dedup();
        let mut changed = 0;
        for &id in &self.ids {
            if update_parent(&mut self.parents, router, orders, id) {
                changed += 1;
            }
        }
        self.ids.clear();

        router.positions_into(&mut self.positions_next);
        if self.positions_next != *self.positions {
            self.positions = Arc::new(self.positions_next.clone());
        }
        router.venues_into(&mut self.venues_next);
        if self.venues_next != *self.venues {
            self.venues = Arc::new(self.venues_next.clone());
        }
        if orders.open_children() != self.open.as_slice() {
            self.open = Arc::new(orders.open_children().to_vec());
        }
        if kills != self.kills.as_slice() {
            self.kills = Arc::new(kills.to_vec());
        }
        self.version += 1;
        let published = Arc::new(Published {
            version: self.version,
            taken_at_ns: now_ns,
            parents: self.parents.clone(),
            positions: self.positions.clone(),
            venues: self.venues.clone(),
            heartbeat_timeout_ns: router.limits().heartbeat_timeout_ns,
            open_children: self.open.clone(),
            kills: self.kills.clone(),
            limits,
        });
        #[cfg(debug_assertions)]
        check_against_router(&published, router, orders);
        (published, changed)
    }
}

/// Re-reads parent `id` into `map`; true when its entry was added, replaced or removed.
fn update_parent(map: &mut ParentMap, router: &Router, orders: &OrderViews, id: u64) -> bool {
    let Some(view) = orders.get(OrderId(id)) else {
        return map.remove(&id).is_some(); // forgotten by the order views
    };
    let prev = map.get(&id);
    let row = match router
        .parent(OrderId(id))
        .or_else(|| router.finished_parent(OrderId(id)))
    {
        Some(p) => ParentRow::of(p),
        None => match prev {
            Some(e) => e.row, // the router forgot it first: it finished as last published
            None => return false,
        },
    };
    if prev.is_some_and(|e| e.row == row && e.view.as_ref() == Some(view)) {
        return false;
    }
    let entry = Arc::new(ParentEntry {
        row,
        view: Some(view.clone()),
    });
    map.insert(id, entry);
    true
}

/// Debug builds (every test of the process): the incremental publication equals what a full
/// rebuild from the router and the order views gives. O(everything); never in release.
#[cfg(debug_assertions)]
fn check_against_router(p: &Published, router: &Router, orders: &OrderViews) {
    let mut snap = crossbar_router::snapshot::Snapshot::default();
    router.snapshot_into(&mut snap, p.taken_at_ns);
    assert_eq!(*p.positions, snap.positions, "published positions");
    assert_eq!(*p.venues, snap.venues, "published venues");
    let rows: rustc_hash::FxHashMap<u64, &crossbar_router::snapshot::ParentRow> =
        snap.parents.iter().map(|r| (r.order_id.0, r)).collect();
    for (id, view) in orders.all() {
        let entry = p.parents.get(id);
        match rows.get(id) {
            Some(row) => {
                let e = entry.unwrap_or_else(|| panic!("parent {id} not published"));
                assert_eq!(&e.row, *row, "parent {id} row");
            }
            None => assert!(
                entry.is_none() || view.finished,
                "parent {id} published but unknown to the router and not finished"
            ),
        }
        if let Some(e) = entry {
            assert_eq!(e.view.as_ref(), Some(view), "parent {id} view");
        }
    }
    assert!(
        p.parents
            .keys()
            .all(|id| orders.get(OrderId(*id)).is_some()),
        "a published parent the order views forgot"
    );
    let mut open = vec![0u32; router.limits().venues.len()];
    for c in router.live_children() {
        open[c.venue.0 as usize] += 1;
    }
    let published: Vec<u32> = (0..open.len())
        .map(|v| p.open_children.get(v).copied().unwrap_or(0))
        .collect();
    assert_eq!(published, open, "open children per venue");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ParentTerms;
    use crossbar_model::{GatewayId, InstrumentId, Price, Qty, Side, TimeInForce, VenueId};
    use crossbar_router::{
        Command, ExecType, ExecutionReport, Heartbeat, InstrumentRiskLimits, NewChildOrder,
        ParentRequest, RouterLimits, Strategy, TopOfBook, VenueConfig,
    };
    use imbl::ordmap::DiffItem;

    /// A router with two healthy venues quoting AAPL (instrument 0) and order views fed the
    /// way `crate::core` feeds them (every touched parent marked).
    struct Rig {
        router: Router,
        orders: OrderViews,
        publisher: Publisher,
        out: Vec<Command>,
        children: Vec<NewChildOrder>,
        now: u64,
    }

    impl Rig {
        fn new(max_parents: u32) -> Self {
            let risk = InstrumentRiskLimits {
                max_position: 1_000_000,
                max_order_qty: Qty(100_000),
                max_order_notional: 1 << 50,
                max_gross_notional: 1 << 50,
                max_net_notional: 1 << 50,
                credit_notional: 1 << 50,
                price_collar_bps: 500,
                max_orders_per_second: 1_000,
            };
            let mut router = Router::new(RouterLimits {
                router_id: GatewayId(0),
                instrument_count: 1,
                venues: (0..2)
                    .map(|v| VenueConfig {
                        venue: VenueId(v),
                        gateway: GatewayId(v + 1),
                        taker_fee_ticks: 30,
                        maker_rebate_ticks: 20,
                    })
                    .collect(),
                book_depth: 4,
                max_parents,
                max_children: 256,
                max_children_per_parent: 64,
                heartbeat_timeout_ns: u64::MAX / 2,
                latency_penalty_ticks_per_ms: 0,
                queue_penalty_ticks_per_10k_shares: 0,
                instruments: vec![risk],
                max_gross_notional_total: 1 << 52,
                max_net_notional_total: 1 << 52,
            })
            .unwrap();
            let mut out = Vec::new();
            router.start(0, &mut out);
            out.clear();
            for g in 1..=2 {
                let hb = Heartbeat {
                    sender: GatewayId(g),
                    sequence: 1,
                    timestamp_ns: 1,
                };
                router.on_heartbeat(&hb, 1).unwrap();
            }
            for v in 0..2u16 {
                router
                    .on_top_of_book(&TopOfBook {
                        venue: VenueId(v),
                        instrument: InstrumentId(0),
                        sequence: 1,
                        timestamp_ns: 1,
                        bid_price: Price(999_000),
                        bid_qty: 1_000,
                        ask_price: Price(1_000_000),
                        ask_qty: 1_000,
                    })
                    .unwrap();
            }
            Self {
                router,
                orders: OrderViews::new(max_parents as usize, 256),
                publisher: Publisher::new(max_parents as usize),
                out,
                children: Vec::new(),
                now: 10,
            }
        }

        fn dispatch(&mut self) {
            for c in self.out.drain(..) {
                match c {
                    Command::NewChild(c) => {
                        self.orders.on_child(&c);
                        self.children.push(c);
                    }
                    Command::Cancel(c) => {
                        if let Some(p) = self.router.parent_of_child(c.order_id) {
                            self.orders.touch(p, self.now);
                        }
                    }
                    _ => {}
                }
            }
        }

        fn settle(&mut self, parent: OrderId) {
            self.orders.touch(parent, self.now);
            if self.router.parent(parent).is_none() {
                self.orders.on_finished(parent, self.now);
            }
        }

        /// An IOC sweep buy of `qty` at 100.00: children on both venues.
        fn submit(&mut self, qty: u32) -> OrderId {
            self.now += 1;
            let req = ParentRequest {
                instrument: InstrumentId(0),
                side: Side::Buy,
                qty: Qty(qty),
                limit_price: Price(1_000_000),
                time_in_force: TimeInForce::Ioc,
                strategy: Strategy::Sweep,
            };
            let id = self
                .router
                .submit_parent(&req, self.now, &mut self.out)
                .unwrap();
            let terms = ParentTerms {
                client_order_id: format!("c{}", id.0),
                marketable: false,
            };
            self.orders.on_accept(id, terms, self.now);
            self.dispatch();
            self.settle(id);
            id
        }

        /// The venue's report on `child`: filled in full or canceled.
        fn report(&mut self, child: NewChildOrder, fill: bool) {
            self.now += 1;
            let parent = self.router.parent_of_child(child.order_id).unwrap();
            let (exec_type, qty) = if fill {
                (ExecType::Fill, child.qty)
            } else {
                (ExecType::Canceled, Qty(0))
            };
            let er = ExecutionReport {
                order_id: child.order_id,
                venue: child.venue,
                instrument: child.instrument,
                exec_type,
                last_px: child.price,
                last_qty: qty,
                leaves_qty: Qty(0),
                timestamp_ns: self.now,
            };
            self.router
                .on_execution_report(&er, self.now, &mut self.out)
                .unwrap();
            self.orders
                .on_report(child.order_id, exec_type, qty, child.price, self.now);
            self.dispatch();
            self.settle(parent);
        }

        fn publish(&mut self) -> (Arc<Published>, usize) {
            self.now += 1;
            let limits = Arc::new(proto::LimitsSnapshot::default());
            self.publisher
                .publish(&self.router, &mut self.orders, &[], limits, self.now)
        }
    }

    fn diff_ids(a: &Published, b: &Published) -> Vec<u64> {
        a.parents
            .diff(&b.parents)
            .map(|d| match d {
                DiffItem::Add(id, _) | DiffItem::Remove(id, _) => *id,
                DiffItem::Update { new: (id, _), .. } => *id,
            })
            .collect()
    }

    #[test]
    fn a_publication_re_reads_only_the_changed_parents_and_shares_the_rest() {
        let mut rig = Rig::new(8);
        let a = rig.submit(500);
        let b = rig.submit(400);
        let (first, n) = rig.publish();
        assert_eq!((first.version, n, first.parents.len()), (1, 2, 2));
        let sent = rig.children.len() as u32;
        assert!(sent >= 2);
        assert_eq!(first.open_children.iter().sum::<u32>(), sent);

        // Nothing changed: the same map, no entry re-read.
        let (same, n) = rig.publish();
        assert_eq!((same.version, n), (2, 0));
        assert!(same.parents.ptr_eq(&first.parents));
        assert!(Arc::ptr_eq(&same.positions, &first.positions));

        // One fill of b's first child: b alone changes, positions and open children follow;
        // the earlier publication still shows the old state (readers keep their version).
        let child = *rig
            .children
            .iter()
            .find(|c| c.parent_order_id == b)
            .unwrap();
        rig.report(child, true);
        let (next, n) = rig.publish();
        assert_eq!(n, 1);
        assert_eq!(diff_ids(&same, &next), vec![b.0]);
        assert!(!Arc::ptr_eq(&same.positions, &next.positions));
        assert_eq!(next.positions[0].bought, u64::from(child.qty.0));
        assert_eq!(next.open_children.iter().sum::<u32>(), sent - 1);
        assert_eq!(same.parents[&b.0].row.cum_qty, 0);
        assert_eq!(next.parents[&b.0].row.cum_qty, child.qty.0);
        assert_eq!(next.parents[&a.0], same.parents[&a.0]);
    }

    #[test]
    fn finished_parents_stay_until_the_views_forget_them() {
        let mut rig = Rig::new(2);
        let mut ids = Vec::new();
        for _ in 0..4 {
            let id = rig.submit(100); // 100 of the 1,000 offered on each venue
            let kids: Vec<_> = rig
                .children
                .iter()
                .filter(|c| c.parent_order_id == id)
                .copied()
                .collect();
            for c in kids {
                rig.report(c, true);
            }
            assert!(rig.router.parent(id).is_none(), "parent {id:?} finished");
            ids.push(id);
            let (p, _) = rig.publish();
            assert_eq!(
                p.parents[&id.0].row.state,
                crossbar_router::parent::ParentState::Filled
            );
        }
        // Two finished parents remembered: the two oldest left the map.
        let (p, n) = rig.publish();
        assert_eq!(n, 0);
        let kept: Vec<u64> = p.parents.keys().copied().collect();
        assert_eq!(kept, vec![ids[2].0, ids[3].0]);
        assert_eq!(p.open_children.iter().sum::<u32>(), 0);
    }

    #[test]
    fn a_cancel_and_an_unchanged_touch_are_told_apart() {
        let mut rig = Rig::new(4);
        let id = rig.submit(3_000); // more than the book: IOC gives up the rest once done
        let (before, _) = rig.publish();
        // A touch that changes nothing visible re-reads the parent but replaces nothing.
        let same_time = rig.orders.get(id).unwrap().updated_ns;
        rig.orders.touch(id, same_time);
        let (p, n) = rig.publish();
        assert_eq!(n, 0);
        assert!(p.parents.ptr_eq(&before.parents));
        // Every child canceled (the router re-routes the leaves until its per-parent cap).
        let mut k = 0;
        while rig.router.parent(id).is_some() {
            let c = rig.children[k];
            rig.report(c, false);
            k += 1;
        }
        let (after, n) = rig.publish();
        assert_eq!(n, 1);
        let row = after.parents[&id.0].row;
        assert!(row.state.is_terminal(), "{row:?}");
        let view = after.parents[&id.0].view.as_ref().unwrap();
        assert_eq!(view.children.len(), rig.children.len());
    }
}
