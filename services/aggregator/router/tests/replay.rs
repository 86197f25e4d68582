//! Journal replay (`Router::begin_replay` .. `end_replay`): a router driven through fills,
//! rejects, cancels, an IOC give-up and a kill switch records what the aggregator journals;
//! a fresh router replaying that record without any market data ends in the same order,
//! position and credit state, and continues order ids after the highest one.

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::parent::ParentState;
use crossbar_router::snapshot::Snapshot;
use crossbar_router::*;

const I0: InstrumentId = InstrumentId(0);
const T0: u64 = 1_000_000_000;

fn limits() -> RouterLimits {
    let risk = InstrumentRiskLimits {
        max_position: 10_000,
        max_order_qty: Qty(5_000),
        max_order_notional: 5_000 * 1_000_000,
        max_gross_notional: 20_000 * 1_000_000,
        max_net_notional: 10_000 * 1_000_000,
        credit_notional: 30_000 * 1_000_000,
        price_collar_bps: 500,
        max_orders_per_second: 1_000,
    };
    let venue = |v: u16| VenueConfig {
        venue: VenueId(v),
        gateway: GatewayId(v + 1),
        taker_fee_ticks: 30,
        maker_rebate_ticks: 20,
    };
    RouterLimits {
        router_id: GatewayId(0),
        instrument_count: 2,
        venues: vec![venue(0), venue(1), venue(2)],
        book_depth: 8,
        max_parents: 16,
        max_children: 64,
        max_children_per_parent: 8,
        heartbeat_timeout_ns: 5_000_000_000,
        latency_penalty_ticks_per_ms: 10,
        queue_penalty_ticks_per_10k_shares: 100,
        instruments: vec![risk; 2],
        max_gross_notional_total: 50_000 * 1_000_000,
        max_net_notional_total: 30_000 * 1_000_000,
    }
}

/// What the aggregator journals, in order.
#[derive(Clone, Debug)]
enum Rec {
    Accepted(OrderId, ParentRequest, u64),
    Sent(Command),
    Report(ExecutionReport),
    Reject(OrderReject),
    CancelParent(OrderId),
    ParentDone(OrderId),
}

struct Recorder {
    r: Router,
    journal: Vec<Rec>,
    now: u64,
}

impl Recorder {
    fn live(&self) -> Vec<OrderId> {
        let mut s = Snapshot::default();
        self.r.snapshot_into(&mut s, self.now);
        s.parents
            .iter()
            .filter(|p| !p.state.is_terminal())
            .map(|p| p.order_id)
            .collect()
    }

    /// Runs `f`, journals its commands, and journals "parent done" for parents that ended
    /// Canceled without a cancel request (the IOC give-up the aggregator records).
    fn step(&mut self, f: impl FnOnce(&mut Router, u64, &mut Vec<Command>)) {
        self.now += 1_000;
        let before = self.live();
        let mut out = Vec::new();
        f(&mut self.r, self.now, &mut out);
        self.journal.extend(out.into_iter().map(Rec::Sent));
        for id in before {
            if let Some(p) = self.r.finished_parent(id) {
                if p.state == ParentState::Canceled {
                    self.journal.push(Rec::ParentDone(id));
                }
            }
        }
    }

    fn submit(&mut self, req: ParentRequest) -> OrderId {
        self.now += 1_000;
        let mut out = Vec::new();
        let id = self.r.submit_parent(&req, self.now, &mut out).unwrap();
        self.journal.push(Rec::Accepted(id, req, self.now));
        self.journal.extend(out.into_iter().map(Rec::Sent));
        if self.r.finished_parent(id).is_some() {
            self.journal.push(Rec::ParentDone(id));
        }
        id
    }

    fn report(&mut self, child: OrderId, exec_type: ExecType, qty: u32, px: i64) {
        let c = *self.r.child(child).expect("live child");
        let er = ExecutionReport {
            order_id: child,
            venue: c.venue,
            instrument: c.instrument,
            exec_type,
            last_px: Price(px),
            last_qty: Qty(qty),
            leaves_qty: Qty(0),
            timestamp_ns: self.now,
        };
        self.journal.push(Rec::Report(er));
        self.step(|r, now, out| r.on_execution_report(&er, now, out).unwrap());
    }
}

fn children(journal: &[Rec], parent: OrderId) -> Vec<NewChildOrder> {
    journal
        .iter()
        .filter_map(|r| match r {
            Rec::Sent(Command::NewChild(c)) if c.parent_order_id == parent => Some(*c),
            _ => None,
        })
        .collect()
}

fn request(qty: u32, limit: i64, tif: TimeInForce, strategy: Strategy) -> ParentRequest {
    ParentRequest {
        instrument: I0,
        side: Side::Buy,
        qty: Qty(qty),
        limit_price: Price(limit),
        time_in_force: tif,
        strategy,
    }
}

fn replay(journal: &[Rec]) -> (Router, Vec<Command>) {
    let mut r = Router::new(limits()).unwrap();
    r.begin_replay();
    let mut discard = Vec::new();
    for rec in journal {
        match rec {
            Rec::Accepted(id, req, ts) => r.restore_parent(*id, req, *ts).unwrap(),
            Rec::Sent(Command::NewChild(c)) => r.restore_child(c).unwrap(),
            Rec::Sent(Command::Cancel(c)) => r.restore_cancel_sent(c.order_id).unwrap(),
            Rec::Sent(Command::Credit(g)) => r.restore_credit_grant(g).unwrap(),
            Rec::Sent(Command::Slice(c)) => r.restore_credit_slice(c).unwrap(),
            Rec::Sent(Command::Kill(k)) => {
                if k.active {
                    r.engage_kill_switch(
                        k.scope,
                        k.allow_risk_reducing,
                        k.timestamp_ns,
                        &mut discard,
                    )
                    .unwrap()
                } else {
                    r.release_kill_switch(k.scope, k.timestamp_ns, &mut discard)
                        .unwrap()
                }
            }
            Rec::Sent(Command::Limits(l)) => {
                panic!("these scenarios change no limits (restore_limits is tested in scenario.rs): {l:?}")
            }
            Rec::Report(er) => r
                .on_execution_report(er, er.timestamp_ns, &mut discard)
                .unwrap(),
            Rec::Reject(rej) => r
                .on_order_reject(rej, rej.timestamp_ns, &mut discard)
                .unwrap(),
            Rec::CancelParent(id) => r.cancel_parent(*id, 0, &mut discard).unwrap(),
            Rec::ParentDone(id) => r.restore_parent_done(*id).unwrap(),
        }
    }
    assert!(r.is_replaying());
    let mut out = Vec::new();
    r.end_replay(T0 + 1_000_000_000, &mut out);
    (r, out)
}

fn state(
    r: &Router,
) -> (
    Snapshot,
    Vec<crossbar_router::child::Child>,
    Vec<crossbar_router::credit::Slice>,
) {
    let mut s = Snapshot::default();
    r.snapshot_into(&mut s, 0);
    s.parents.retain(|p| !p.state.is_terminal());
    let children = r.live_children().copied().collect();
    let slices = (0..3).map(|g| r.credit().slice(g, I0)).collect();
    (s, children, slices)
}

#[test]
fn replay_rebuilds_orders_positions_and_credit_and_continues_ids() {
    let mut rec = Recorder {
        r: Router::new(limits()).unwrap(),
        journal: Vec::new(),
        now: T0,
    };
    rec.step(|r, now, out| r.start(now, out));
    for g in 1..=3 {
        rec.r
            .on_heartbeat(
                &Heartbeat {
                    sender: GatewayId(g),
                    sequence: 1,
                    timestamp_ns: T0,
                },
                T0,
            )
            .unwrap();
    }
    for (v, price) in [(0u16, 1_000_000i64), (1, 1_000_100), (2, 1_000_000)] {
        let levels = [LevelChange {
            action: BookAction::New,
            side: Side::Sell,
            level_index: 0,
            price: Price(price),
            qty: 100,
            order_count: 1,
        }];
        rec.r
            .on_book_delta(&BookLevelDelta {
                venue: VenueId(v),
                instrument: I0,
                sequence: 1,
                timestamp_ns: 0,
                levels: &levels,
            })
            .unwrap();
    }

    // An IOC sweep: three takers; one fills, one expires, one is rejected.
    let ioc = rec.submit(request(300, 1_000_100, TimeInForce::Ioc, Strategy::Sweep));
    let ioc_children = children(&rec.journal, ioc);
    assert_eq!(ioc_children.len(), 3);
    rec.report(ioc_children[0].order_id, ExecType::New, 0, 0);
    rec.report(
        ioc_children[0].order_id,
        ExecType::Fill,
        100,
        ioc_children[0].price.0,
    );
    rec.report(ioc_children[1].order_id, ExecType::Expired, 0, 0);
    let rej = OrderReject {
        order_id: ioc_children[2].order_id,
        venue: ioc_children[2].venue,
        instrument: I0,
        reject_reason: 12,
        timestamp_ns: rec.now,
    };
    // The displayed asks are gone: when the last taker ends, the IOC parent gives up.
    for v in 0..3u16 {
        let levels = [LevelChange {
            action: BookAction::Delete,
            side: Side::Sell,
            level_index: 0,
            price: Price(0),
            qty: 0,
            order_count: 0,
        }];
        rec.r
            .on_book_delta(&BookLevelDelta {
                venue: VenueId(v),
                instrument: I0,
                sequence: 2,
                timestamp_ns: 0,
                levels: &levels,
            })
            .unwrap();
    }
    rec.journal.push(Rec::Reject(rej));
    rec.step(|r, now, out| r.on_order_reject(&rej, now, out).unwrap());

    // A Day parent posts its remainder after a partial fill; a second Day parent is
    // cancelled by the operator, a third is working when the kill switch hits.
    let day = rec.submit(request(150, 999_000, TimeInForce::Day, Strategy::Post));
    let day_children = children(&rec.journal, day);
    assert_eq!(day_children.len(), 1, "{:?}", rec.journal);
    rec.report(day_children[0].order_id, ExecType::New, 0, 0);
    rec.report(day_children[0].order_id, ExecType::PartialFill, 40, 999_000);

    let cancelled = rec.submit(request(10, 998_000, TimeInForce::Day, Strategy::Post));
    rec.journal.push(Rec::CancelParent(cancelled));
    rec.step(|r, now, out| r.cancel_parent(cancelled, now, out).unwrap());

    let (live_before, children_before, slices_before) = state(&rec.r);
    assert!(rec.r.finished_parent(ioc).is_some());
    let highest = rec
        .journal
        .iter()
        .filter_map(|r| match r {
            Rec::Accepted(id, ..) => Some(id.sequence()),
            Rec::Sent(Command::NewChild(c)) => Some(c.order_id.sequence()),
            _ => None,
        })
        .max()
        .unwrap();

    let (mut replayed, resumed) = replay(&rec.journal);
    let (live_after, children_after, slices_after) = state(&replayed);
    assert_eq!(live_after.parents, live_before.parents);
    assert_eq!(live_after.positions, live_before.positions);
    assert_eq!(children_after, children_before);
    assert_eq!(slices_after, slices_before);
    assert!(
        replayed.parent(ioc).is_none(),
        "the IOC parent gave up before the restart"
    );
    assert!(
        resumed.is_empty(),
        "nothing was left unrouted, credit was topped up: {resumed:?}"
    );

    // Ids continue after the highest journaled id.
    let mut out = Vec::new();
    let next = replayed
        .submit_parent(
            &request(5, 990_000, TimeInForce::Day, Strategy::Post),
            T0,
            &mut out,
        )
        .unwrap();
    assert_eq!(next.sequence(), highest + 1);

    // The kill switch replays too: engaged, it cancels the working Day child.
    let mut out = Vec::new();
    rec.r
        .engage_kill_switch(KillScope::All, false, rec.now, &mut out)
        .unwrap();
    rec.journal.extend(out.into_iter().map(Rec::Sent));
    let (killed, _) = replay(&rec.journal);
    assert_eq!(
        killed.child_state(day_children[0].order_id),
        Some(crossbar_router::child::ChildState::PendingCancel)
    );
    assert_eq!(
        killed.parent(day).unwrap().state,
        ParentState::PendingCancel
    );
}

#[test]
fn parked_day_parent_stays_unrouted_through_replay_and_end_replay() {
    let mut rec = Recorder {
        r: Router::new(limits()).unwrap(),
        journal: Vec::new(),
        now: T0,
    };
    rec.step(|r, now, out| r.start(now, out));
    let day = rec.submit(request(100, 999_000, TimeInForce::Day, Strategy::Post));
    // No venue healthy: the Day parent is parked; nothing routed yet.
    assert!(children(&rec.journal, day).is_empty());
    let (replayed, resumed) = replay(&rec.journal);
    assert_eq!(replayed.parent(day).unwrap().working_qty, 0);
    // Still no healthy venue after the restart: nothing can be sent, the parent stays.
    assert!(
        resumed.iter().all(|c| matches!(c, Command::Credit(_))),
        "{resumed:?}"
    );
    assert_eq!(replayed.parent(day).unwrap().unrouted(), 100);
}

#[test]
fn restore_refuses_ids_of_another_issuer_and_unknown_parents() {
    let mut r = Router::new(limits()).unwrap();
    r.begin_replay();
    let foreign = OrderId::new(GatewayId(7), 1).unwrap();
    let req = request(10, 1_000_000, TimeInForce::Day, Strategy::Post);
    assert!(matches!(
        r.restore_parent(foreign, &req, 0),
        Err(RouterError::InvalidOrder(_))
    ));
    let child = NewChildOrder {
        order_id: OrderId::new(GatewayId(0), 2).unwrap(),
        parent_order_id: OrderId::new(GatewayId(0), 1).unwrap(),
        instrument: I0,
        venue: VenueId(0),
        gateway: GatewayId(1),
        side: Side::Buy,
        time_in_force: TimeInForce::Day,
        price: Price(1_000_000),
        qty: Qty(10),
        timestamp_ns: 0,
    };
    assert!(matches!(
        r.restore_child(&child),
        Err(RouterError::UnknownOrder(_))
    ));
    r.restore_parent(child.parent_order_id, &req, 0).unwrap();
    r.restore_child(&child).unwrap();
    let too_big = NewChildOrder {
        order_id: OrderId::new(GatewayId(0), 3).unwrap(),
        qty: Qty(1),
        ..child
    };
    assert!(matches!(
        r.restore_child(&too_big),
        Err(RouterError::InvalidOrder(_))
    ));
    assert!(matches!(
        r.restore_parent_done(child.parent_order_id),
        Err(RouterError::InvalidOrder(_))
    ));
}
