//! Scenarios through the router's public API: three venues, real event sequences, exact
//! commands out.
#![allow(clippy::too_many_arguments)] // helpers mirror the fields of one order, positionally

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::parent::ParentState;
use crossbar_router::snapshot::Snapshot;
use crossbar_router::*;

const I0: InstrumentId = InstrumentId(0);
const I1: InstrumentId = InstrumentId(1);
const T0: u64 = 1_000_000_000;
const HB_TIMEOUT: u64 = 5_000_000_000;

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
    RouterLimits {
        router_id: GatewayId(0),
        instrument_count: 4,
        venues: vec![
            VenueConfig {
                venue: VenueId(0),
                gateway: GatewayId(1),
                taker_fee_ticks: 30,
                maker_rebate_ticks: 20,
            },
            VenueConfig {
                venue: VenueId(1),
                gateway: GatewayId(2),
                taker_fee_ticks: 25,
                maker_rebate_ticks: 25,
            },
            VenueConfig {
                venue: VenueId(2),
                gateway: GatewayId(3),
                taker_fee_ticks: 10,
                maker_rebate_ticks: 10,
            },
        ],
        book_depth: 8,
        max_parents: 64,
        max_children: 256,
        max_children_per_parent: 16,
        heartbeat_timeout_ns: HB_TIMEOUT,
        latency_penalty_ticks_per_ms: 10,
        queue_penalty_ticks_per_10k_shares: 100,
        instruments: vec![risk; 4],
        max_gross_notional_total: 50_000 * 1_000_000,
        max_net_notional_total: 30_000 * 1_000_000,
    }
}

struct Harness {
    r: Router,
    out: Vec<Command>,
    seq: u64,
}

impl Harness {
    fn new() -> Self {
        let mut r = Router::new(limits()).unwrap();
        let mut out = Vec::new();
        r.start(T0, &mut out);
        for g in 1..=3 {
            r.on_heartbeat(
                &Heartbeat {
                    sender: GatewayId(g),
                    sequence: 1,
                    timestamp_ns: T0,
                },
                T0,
            )
            .unwrap();
        }
        Harness { r, out, seq: 0 }
    }

    fn asks(&mut self, instrument: InstrumentId, v: u16, levels: &[(i64, u64)]) {
        self.side(instrument, v, Side::Sell, levels);
    }

    fn side(&mut self, instrument: InstrumentId, v: u16, side: Side, levels: &[(i64, u64)]) {
        self.seq += 1;
        let changes: Vec<LevelChange> = levels
            .iter()
            .enumerate()
            .map(|(k, &(p, q))| LevelChange {
                action: BookAction::New,
                side,
                level_index: k as u16,
                price: Price(p),
                qty: q,
                order_count: 1,
            })
            .collect();
        self.r
            .on_book_delta(&BookLevelDelta {
                venue: VenueId(v),
                instrument,
                sequence: self.seq,
                timestamp_ns: 0,
                levels: &changes,
            })
            .unwrap();
    }

    fn top(&mut self, instrument: InstrumentId, v: u16, bid: (i64, u64), ask: (i64, u64)) {
        self.seq += 1;
        self.r
            .on_top_of_book(&TopOfBook {
                venue: VenueId(v),
                instrument,
                sequence: self.seq,
                timestamp_ns: 0,
                bid_price: Price(bid.0),
                bid_qty: bid.1,
                ask_price: Price(ask.0),
                ask_qty: ask.1,
            })
            .unwrap();
    }

    fn submit(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        qty: u32,
        limit: i64,
        tif: TimeInForce,
        strategy: Strategy,
        now: u64,
    ) -> Result<OrderId, RouterError> {
        self.r.submit_parent(
            &ParentRequest {
                instrument,
                side,
                qty: Qty(qty),
                limit_price: Price(limit),
                time_in_force: tif,
                strategy,
            },
            now,
            &mut self.out,
        )
    }

    fn report(
        &mut self,
        child: OrderId,
        exec_type: ExecType,
        last_qty: u32,
        last_px: i64,
        now: u64,
    ) -> Result<(), RouterError> {
        let c = *self.r.child(child).expect("live child");
        let er = ExecutionReport {
            order_id: child,
            venue: c.venue,
            instrument: c.instrument,
            exec_type,
            last_px: Price(last_px),
            last_qty: Qty(last_qty),
            leaves_qty: Qty(0),
            timestamp_ns: now,
        };
        self.r.on_execution_report(&er, now, &mut self.out)
    }

    /// Takes the commands emitted so far, dropping credit grants.
    fn take(&mut self) -> Vec<Command> {
        self.out
            .drain(..)
            .filter(|c| !matches!(c, Command::Credit(_)))
            .collect()
    }
}

fn id(seq: u64) -> OrderId {
    OrderId::new(GatewayId(0), seq).unwrap()
}

fn child(
    seq: u64,
    parent: u64,
    instrument: InstrumentId,
    venue: u16,
    side: Side,
    tif: TimeInForce,
    price: i64,
    qty: u32,
    now: u64,
) -> Command {
    Command::NewChild(NewChildOrder {
        order_id: id(seq),
        parent_order_id: id(parent),
        instrument,
        venue: VenueId(venue),
        gateway: GatewayId(venue + 1),
        side,
        time_in_force: tif,
        price: Price(price),
        qty: Qty(qty),
        timestamp_ns: now,
    })
}

fn cancel(seq: u64, instrument: InstrumentId, venue: u16, now: u64) -> Command {
    Command::Cancel(CancelOrder {
        order_id: id(seq),
        instrument,
        venue: VenueId(venue),
        gateway: GatewayId(venue + 1),
        timestamp_ns: now,
    })
}

/// Three venues' asks: V0 100.00x100, 100.02x200; V1 100.01x300; V2 100.00x50, 100.01x100.
fn three_venue_book(h: &mut Harness) {
    h.asks(I0, 0, &[(1_000_000, 100), (1_000_200, 200)]);
    h.asks(I0, 1, &[(1_000_100, 300)]);
    h.asks(I0, 2, &[(1_000_000, 50), (1_000_100, 100)]);
    h.side(I0, 0, Side::Buy, &[(999_900, 500)]);
}

#[test]
fn sweep_partial_fills_reject_rerouted_then_ioc_remainder_cancelled() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let t = T0 + 10;
    let parent = h
        .submit(
            I0,
            Side::Buy,
            500,
            1_000_200,
            TimeInForce::Ioc,
            Strategy::Sweep,
            t,
        )
        .unwrap();
    assert_eq!(parent, id(1));
    // Price order across venues: 100.00 (V0 100, V2 50), 100.01 (V1 300, V2 50 of 100).
    assert_eq!(
        h.take(),
        vec![
            child(2, 1, I0, 0, Side::Buy, TimeInForce::Ioc, 1_000_000, 100, t),
            child(3, 1, I0, 2, Side::Buy, TimeInForce::Ioc, 1_000_100, 100, t),
            child(4, 1, I0, 1, Side::Buy, TimeInForce::Ioc, 1_000_100, 300, t),
        ]
    );
    let p = *h.r.parent(parent).unwrap();
    assert_eq!((p.working_qty, p.cum_qty, p.unrouted()), (500, 0, 0));

    // V0 acks after 50 us and fills completely; V2 fills 60 and expires the rest.
    h.report(id(2), ExecType::New, 0, 0, t + 50_000).unwrap();
    assert_eq!(h.r.venue_health(0).unwrap().ack_latency_ewma_ns, 50_000);
    h.report(id(2), ExecType::Fill, 100, 1_000_000, t + 60_000)
        .unwrap();
    h.report(id(3), ExecType::New, 0, 0, t + 70_000).unwrap();
    h.report(id(3), ExecType::PartialFill, 60, 1_000_000, t + 80_000)
        .unwrap();
    h.report(id(3), ExecType::Expired, 0, 0, t + 90_000)
        .unwrap();
    let p = *h.r.parent(parent).unwrap();
    assert_eq!(
        (p.state, p.cum_qty, p.working_qty, p.unrouted()),
        (ParentState::PartiallyFilled, 160, 300, 40)
    );
    assert!(
        h.take().is_empty(),
        "no re-route while V1's IOC is in flight"
    );

    // The books move: V0's 100.00 and V2's 100.00 levels are gone.
    h.top(I0, 0, (999_900, 500), (1_000_200, 200));
    h.top(I0, 2, (0, 0), (1_000_100, 100));
    // V1 rejects: its 300 come back and are re-routed without V1.
    h.r.on_order_reject(
        &OrderReject {
            order_id: id(4),
            venue: VenueId(1),
            instrument: I0,
            reject_reason: 5,
            timestamp_ns: t,
        },
        t + 100_000,
        &mut h.out,
    )
    .unwrap();
    assert_eq!(
        h.take(),
        vec![
            child(
                5,
                1,
                I0,
                2,
                Side::Buy,
                TimeInForce::Ioc,
                1_000_100,
                100,
                t + 100_000
            ),
            child(
                6,
                1,
                I0,
                0,
                Side::Buy,
                TimeInForce::Ioc,
                1_000_200,
                200,
                t + 100_000
            ),
        ]
    );
    assert_eq!(h.r.parent(parent).unwrap().excluded_venues, 0b010);

    // Both fill; nothing is left within the limit, so the IOC parent gives up its last 40.
    h.top(I0, 2, (0, 0), (0, 0));
    h.top(I0, 0, (999_900, 500), (1_000_300, 500));
    h.report(id(5), ExecType::Fill, 100, 1_000_100, t + 200_000)
        .unwrap();
    h.report(id(6), ExecType::Fill, 200, 1_000_200, t + 210_000)
        .unwrap();
    assert!(h.take().is_empty());
    assert!(
        h.r.parent(parent).is_none(),
        "finished parents leave the live table"
    );
    let done = *h.r.finished_parent(parent).unwrap();
    assert_eq!(
        (done.state, done.cum_qty, done.leaves()),
        (ParentState::Canceled, 460, 0)
    );
    // (160 * 100.00 + 100 * 100.01 + 200 * 100.02) / 460 = 100.010869... -> 100.0108
    assert_eq!(done.avg_price(), Some(Price(1_000_108)));
    assert_eq!(h.r.risk().position(I0), 460);
    assert_eq!(h.r.risk().venue_counters(I0, 0).bought, 300);
    assert_eq!(h.r.risk().venue_counters(I0, 2).bought, 160);
    assert_eq!(h.r.risk().open(I0), (0, 0));
    assert_eq!(h.r.live_children().count(), 0);
}

#[test]
fn day_parent_posts_its_remainder_after_taking() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let t = T0 + 10;
    h.submit(
        I0,
        Side::Buy,
        200,
        1_000_000,
        TimeInForce::Day,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    assert_eq!(
        h.take(),
        vec![
            child(2, 1, I0, 0, Side::Buy, TimeInForce::Ioc, 1_000_000, 100, t),
            child(3, 1, I0, 2, Side::Buy, TimeInForce::Ioc, 1_000_000, 50, t)
        ]
    );
    h.report(id(2), ExecType::Fill, 100, 1_000_000, t + 1)
        .unwrap();
    h.top(I0, 0, (999_900, 500), (1_000_200, 200));
    h.report(id(3), ExecType::Expired, 0, 0, t + 2).unwrap();
    // V2's level is still displayed, so the first re-route takes it again; when that
    // expires too and the offer has moved to 100.01, the remaining 100 rest at the 100.00
    // limit on V1 (best rebate, no queue).
    let again = h.take();
    assert_eq!(
        again,
        vec![child(
            4,
            1,
            I0,
            2,
            Side::Buy,
            TimeInForce::Ioc,
            1_000_000,
            50,
            t + 2
        )]
    );
    h.top(I0, 2, (0, 0), (1_000_100, 100));
    h.report(id(4), ExecType::Expired, 0, 0, t + 3).unwrap();
    assert_eq!(
        h.take(),
        vec![child(
            5,
            1,
            I0,
            1,
            Side::Buy,
            TimeInForce::Day,
            1_000_000,
            100,
            t + 3
        )]
    );
    let p = *h.r.parent(id(1)).unwrap();
    assert_eq!((p.cum_qty, p.working_qty, p.unrouted()), (100, 100, 0));
}

#[test]
fn kill_switch_cancels_every_working_child_and_refuses_new_parents() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    h.asks(I1, 2, &[(500_000, 100)]);
    let t = T0 + 10;
    // A Day bid below the offer posts on V1; an I1 sweep is in flight on V2.
    h.submit(
        I0,
        Side::Buy,
        1_000,
        999_500,
        TimeInForce::Day,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    h.submit(
        I1,
        Side::Buy,
        100,
        500_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    assert_eq!(
        h.take(),
        vec![
            child(2, 1, I0, 1, Side::Buy, TimeInForce::Day, 999_500, 1_000, t),
            child(4, 3, I1, 2, Side::Buy, TimeInForce::Ioc, 500_000, 100, t)
        ]
    );
    h.report(id(2), ExecType::New, 0, 0, t + 1).unwrap();
    h.report(id(2), ExecType::PartialFill, 400, 999_500, t + 2)
        .unwrap();

    h.r.engage_kill_switch(KillScope::All, false, t + 3, &mut h.out)
        .unwrap();
    assert_eq!(
        h.take(),
        vec![
            Command::Kill(KillSwitch {
                active: true,
                scope: KillScope::All,
                allow_risk_reducing: false,
                timestamp_ns: t + 3
            }),
            cancel(2, I0, 1, t + 3),
            cancel(4, I1, 2, t + 3),
        ]
    );
    let refused = h
        .submit(
            I0,
            Side::Sell,
            100,
            990_000,
            TimeInForce::Ioc,
            Strategy::Sweep,
            t + 4,
        )
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "ROUTER_KILL_SWITCH instrument=0 scope=all"
    );
    assert_eq!(refused.reject_reason(), 9);
    // Fills racing the cancel still count; the confirmations finish both parents.
    h.report(id(2), ExecType::PartialFill, 100, 999_500, t + 5)
        .unwrap();
    h.report(id(2), ExecType::Canceled, 0, 0, t + 6).unwrap();
    h.report(id(4), ExecType::Expired, 0, 0, t + 6).unwrap();
    assert!(h.take().is_empty(), "cancelled parents are not re-routed");
    assert_eq!(
        h.r.finished_parent(id(1)).unwrap().state,
        ParentState::Canceled
    );
    assert_eq!(h.r.finished_parent(id(1)).unwrap().cum_qty, 500);
    assert_eq!(
        h.r.finished_parent(id(3)).unwrap().state,
        ParentState::Canceled
    );
    assert_eq!(h.r.risk().open(I0), (0, 0));

    // Re-engaged allowing risk reduction: selling the 500 long passes, buying does not.
    h.r.engage_kill_switch(KillScope::All, true, t + 7, &mut h.out)
        .unwrap();
    h.take();
    assert!(h
        .submit(
            I0,
            Side::Sell,
            500,
            999_900,
            TimeInForce::Ioc,
            Strategy::Sweep,
            t + 8
        )
        .is_ok());
    assert_eq!(
        h.submit(
            I0,
            Side::Buy,
            1,
            1_000_000,
            TimeInForce::Ioc,
            Strategy::Sweep,
            t + 8
        )
        .unwrap_err()
        .code(),
        "ROUTER_KILL_SWITCH"
    );
    h.r.release_kill_switch(KillScope::All, t + 9, &mut h.out)
        .unwrap();
    let released = h.take();
    assert_eq!(
        released.last(),
        Some(&Command::Kill(KillSwitch {
            active: false,
            scope: KillScope::All,
            allow_risk_reducing: false,
            timestamp_ns: t + 9
        }))
    );
}

#[test]
fn venue_kill_cancels_its_children_and_reroutes_elsewhere() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let t = T0 + 10;
    h.submit(
        I0,
        Side::Buy,
        100,
        999_500,
        TimeInForce::Day,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    assert_eq!(
        h.take(),
        vec![child(
            2,
            1,
            I0,
            1,
            Side::Buy,
            TimeInForce::Day,
            999_500,
            100,
            t
        )]
    );
    h.r.engage_kill_switch(KillScope::Venue(VenueId(1)), false, t + 1, &mut h.out)
        .unwrap();
    assert_eq!(h.take()[1..], [cancel(2, I0, 1, t + 1)]);
    h.report(id(2), ExecType::Canceled, 0, 0, t + 2).unwrap();
    // Next best outcome without V1: V0 (rebate 20, no queue at 99.95).
    assert_eq!(
        h.take(),
        vec![child(
            3,
            1,
            I0,
            0,
            Side::Buy,
            TimeInForce::Day,
            999_500,
            100,
            t + 2
        )]
    );
}

#[test]
fn unhealthy_venues_leave_the_nbbo_and_routing() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let nbbo = h.r.nbbo(I0).unwrap();
    assert_eq!(nbbo.ask.unwrap().venues, 0b101);
    assert_eq!(nbbo.ask.unwrap().qty, 150);
    // V2 reports a gap: out of the NBBO and not routed to.
    h.r.on_feed_status(
        &FeedStatus {
            venue: VenueId(2),
            timestamp_ns: 0,
            feed_state: FeedState::Gap,
            gap_count: 1,
        },
        T0 + 1,
    )
    .unwrap();
    assert_eq!(h.r.nbbo(I0).unwrap().ask.unwrap().venues, 0b001);
    let t = T0 + 2;
    h.submit(
        I0,
        Side::Buy,
        150,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    assert_eq!(
        h.take(),
        vec![child(
            2,
            1,
            I0,
            0,
            Side::Buy,
            TimeInForce::Ioc,
            1_000_000,
            100,
            t
        )]
    );
    // Heartbeats: only gateway 1 keeps beating; after the timeout V1 is out as well.
    let later = T0 + HB_TIMEOUT + 1;
    assert!(h.r.on_tick(later, &mut h.out), "every gateway timed out");
    assert_eq!(h.r.healthy_venues(), 0);
    assert_eq!(h.r.nbbo(I0).unwrap().ask, None);
    h.r.on_heartbeat(
        &Heartbeat {
            sender: GatewayId(1),
            sequence: 2,
            timestamp_ns: later,
        },
        later,
    )
    .unwrap();
    assert!(!h.r.on_tick(later, &mut h.out));
    assert_eq!(h.r.healthy_venues(), 0b001);
    h.r.on_feed_status(
        &FeedStatus {
            venue: VenueId(2),
            timestamp_ns: 0,
            feed_state: FeedState::Ok,
            gap_count: 1,
        },
        later,
    )
    .unwrap();
    assert_eq!(
        h.r.healthy_venues(),
        0b001,
        "V2 feed ok again but its gateway is silent"
    );
    h.r.on_heartbeat(
        &Heartbeat {
            sender: GatewayId(3),
            sequence: 2,
            timestamp_ns: later,
        },
        later,
    )
    .unwrap();
    assert_eq!(h.r.healthy_venues(), 0b101);
}

#[test]
fn risk_refusals_are_typed_and_change_nothing() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let before = (h.r.risk().open(I0), h.r.counters().parents_accepted);
    let e = h
        .submit(
            I0,
            Side::Buy,
            5_001,
            1_000_000,
            TimeInForce::Ioc,
            Strategy::Sweep,
            T0,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "ROUTER_RISK_MAX_ORDER_QTY instrument=0 value=5001 limit=5000"
    );
    assert_eq!(e.reject_reason(), 1);
    let e = h
        .submit(
            I0,
            Side::Buy,
            5_000,
            1_000_100,
            TimeInForce::Ioc,
            Strategy::Sweep,
            T0,
        )
        .unwrap_err();
    assert_eq!(e.code(), "ROUTER_RISK_MAX_ORDER_NOTIONAL");
    assert_eq!(
        h.submit(
            I0,
            Side::Buy,
            0,
            1_000_000,
            TimeInForce::Ioc,
            Strategy::Sweep,
            T0
        )
        .unwrap_err()
        .code(),
        "ROUTER_INVALID_ORDER"
    );
    assert_eq!(
        h.submit(
            I0,
            Side::Buy,
            1,
            1_000_000,
            TimeInForce::Ioc,
            Strategy::Post,
            T0
        )
        .unwrap_err()
        .code(),
        "ROUTER_INVALID_ORDER"
    );
    assert_eq!(
        h.submit(
            InstrumentId(9),
            Side::Buy,
            1,
            1,
            TimeInForce::Ioc,
            Strategy::Sweep,
            T0
        )
        .unwrap_err()
        .code(),
        "ROUTER_UNKNOWN_INSTRUMENT"
    );
    assert_eq!(
        (h.r.risk().open(I0), h.r.counters().parents_accepted),
        before
    );
    assert!(h.take().is_empty());
    assert_eq!(
        h.r.counters().errors[RouterError::Risk {
            reason: RiskReason::MaxOrderQty,
            instrument: 0,
            value: 0,
            limit: 0
        }
        .kind_index()],
        2
    );
}

#[test]
fn bad_reports_are_refused_counted_and_change_nothing() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    h.submit(
        I0,
        Side::Buy,
        100,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        T0,
    )
    .unwrap();
    h.take();
    let child_before = *h.r.child(id(2)).unwrap();
    assert_eq!(
        h.report(id(2), ExecType::Fill, 101, 1_000_000, T0)
            .unwrap_err()
            .code(),
        "ROUTER_OVERFILL"
    );
    assert_eq!(
        h.report(id(2), ExecType::Fill, 40, 1_000_000, T0)
            .unwrap_err()
            .code(),
        "ROUTER_INVALID_ORDER"
    );
    assert_eq!(
        h.report(id(2), ExecType::Replaced, 0, 0, T0)
            .unwrap_err()
            .code(),
        "ROUTER_INVALID_TRANSITION"
    );
    h.report(id(2), ExecType::New, 0, 0, T0).unwrap();
    let twice = h.report(id(2), ExecType::New, 0, 0, T0).unwrap_err();
    assert_eq!(
        twice.to_string(),
        "ROUTER_INVALID_TRANSITION order=child state=new event=ack"
    );
    let er = ExecutionReport {
        order_id: id(99),
        venue: VenueId(0),
        instrument: I0,
        exec_type: ExecType::Fill,
        last_px: Price(1),
        last_qty: Qty(1),
        leaves_qty: Qty(0),
        timestamp_ns: 0,
    };
    assert_eq!(
        h.r.on_execution_report(&er, T0, &mut h.out)
            .unwrap_err()
            .code(),
        "ROUTER_UNKNOWN_ORDER"
    );
    let c = *h.r.child(id(2)).unwrap();
    assert_eq!((c.cum_qty, c.qty), (child_before.cum_qty, child_before.qty));
    assert_eq!(h.r.parent(id(1)).unwrap().cum_qty, 0);
    assert_eq!(h.r.counters().errors.iter().sum::<u64>(), 5);
}

#[test]
fn credit_is_granted_at_start_consumed_by_fills_once_and_regranted() {
    let mut r = Router::new(limits()).unwrap();
    let mut out = Vec::new();
    r.start(T0, &mut out);
    // 4 instruments x 3 gateways, each a third of the room.
    assert_eq!(out.len(), 12);
    assert!(out.iter().all(|c| matches!(c, Command::Credit(g) if g.buy_qty == 3_333 && g.sell_qty == 3_333 && g.notional == 10_000 * 1_000_000 && g.grant_sequence == 1)));
    let mut h = Harness::new();
    three_venue_book(&mut h);
    h.out.clear();
    h.submit(
        I0,
        Side::Buy,
        100,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        T0,
    )
    .unwrap();
    h.out.clear();
    h.report(id(2), ExecType::Fill, 100, 1_000_000, T0).unwrap();
    // Gateway 1 bought 100: its buy slice shrank by 100 and the buy room by 100 (the one
    // share the initial 3-way split left idle goes to it); the sell room grew by 100 (+33
    // each).
    let s0 = h.r.credit().slice(0, I0);
    assert_eq!((s0.buy, s0.sell), (3_333 - 100 + 1, 3_333 + 33));
    let grants: Vec<_> = h
        .out
        .iter()
        .filter_map(|c| {
            if let Command::Credit(g) = c {
                Some((g.gateway.0, g.buy_qty, g.sell_qty))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(grants, vec![(1, 1, 33), (2, 0, 33), (3, 0, 33)]);
    // The gateway's PositionUpdate for the same fill consumes nothing more.
    h.out.clear();
    let pu = PositionUpdate {
        gateway: GatewayId(1),
        venue: VenueId(0),
        instrument: I0,
        position: 100,
        bought_qty: 100,
        sold_qty: 0,
        notional_bought: 100 * 1_000_000,
        notional_sold: 0,
        timestamp_ns: T0,
    };
    h.r.on_position_update(&pu, T0, &mut h.out).unwrap();
    assert!(h.out.is_empty());
    assert_eq!(h.r.credit().slice(0, I0), s0);
    assert_eq!(h.r.risk().position(I0), 100);
    // A position update from the wrong gateway is refused.
    let wrong = PositionUpdate {
        gateway: GatewayId(2),
        ..pu
    };
    assert_eq!(
        h.r.on_position_update(&wrong, T0, &mut h.out)
            .unwrap_err()
            .code(),
        "ROUTER_UNKNOWN_GATEWAY"
    );
    // Returned credit is granted again.
    h.r.on_credit_return(
        &CreditReturn {
            gateway: GatewayId(2),
            instrument: I0,
            buy_qty: 1_000,
            sell_qty: 0,
            notional: 0,
        },
        T0,
        &mut h.out,
    )
    .unwrap();
    // Room 9,900, target 3,300 each: gateway 1 tops up to 3,300, gateway 2 gets the rest of
    // what it returned (934 of 1,000), gateway 3 keeps 3,333.
    let slices: Vec<u64> = (0..3).map(|g| h.r.credit().slice(g, I0).buy).collect();
    assert_eq!(slices, vec![3_300, 3_267, 3_333]);
    assert_eq!(slices.iter().sum::<u64>(), 9_900);
}

#[test]
fn snapshot_shows_positions_parents_venues_and_limits() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    h.submit(
        I0,
        Side::Buy,
        300,
        1_000_000,
        TimeInForce::Day,
        Strategy::Sweep,
        T0,
    )
    .unwrap();
    h.report(id(2), ExecType::Fill, 100, 1_000_000, T0 + 1)
        .unwrap();
    let mut snap = Snapshot::default();
    h.r.snapshot_into(&mut snap, T0 + 2);
    assert_eq!(snap.taken_at_ns, T0 + 2);
    assert_eq!(snap.positions.len(), 1);
    assert_eq!(
        (snap.positions[0].venue, snap.positions[0].position),
        (VenueId(0), 100)
    );
    let p = snap.parents.iter().find(|p| p.order_id == id(1)).unwrap();
    assert_eq!(
        (p.cum_qty, p.leaves_qty, p.working_qty, p.avg_price),
        (100, 200, 50, Some(Price(1_000_000)))
    );
    assert_eq!(snap.venues.len(), 3);
    assert!(snap.venues.iter().all(|v| v.healthy && !v.killed));
    let row = snap
        .instruments
        .iter()
        .find(|r| r.instrument == I0)
        .unwrap();
    assert_eq!((row.position, row.open_buy), (100, 200));
    assert_eq!(snap.limits.as_ref().unwrap().venues.len(), 3);
    assert_eq!(snap.gross_notional_total, 300 * 1_000_000);
    // Rebuilding into the same snapshot replaces, not appends.
    h.r.snapshot_into(&mut snap, T0 + 3);
    assert_eq!(snap.positions.len(), 1);
}

#[test]
fn same_events_same_commands() {
    let run = || {
        let mut h = Harness::new();
        three_venue_book(&mut h);
        h.submit(
            I0,
            Side::Buy,
            500,
            1_000_200,
            TimeInForce::Ioc,
            Strategy::CostAware,
            T0,
        )
        .unwrap();
        h.report(id(3), ExecType::PartialFill, 10, 1_000_000, T0 + 5)
            .unwrap();
        h.report(id(3), ExecType::Expired, 0, 0, T0 + 6).unwrap();
        std::mem::take(&mut h.out)
    };
    let a = run();
    assert!(a.len() > 12);
    assert_eq!(a, run());
}

#[test]
fn cancel_parent_cancels_its_children_and_finishes_when_they_do() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let t = T0 + 10;
    let p = h
        .submit(
            I0,
            Side::Buy,
            100,
            999_500,
            TimeInForce::Day,
            Strategy::Post,
            t,
        )
        .unwrap();
    assert_eq!(
        h.take(),
        vec![child(
            2,
            1,
            I0,
            1,
            Side::Buy,
            TimeInForce::Day,
            999_500,
            100,
            t
        )]
    );
    h.r.cancel_parent(p, t + 1, &mut h.out).unwrap();
    assert_eq!(h.take(), vec![cancel(2, I0, 1, t + 1)]);
    assert_eq!(h.r.parent(p).unwrap().state, ParentState::PendingCancel);
    assert_eq!(
        h.r.cancel_parent(p, t + 1, &mut h.out).unwrap_err().code(),
        "ROUTER_INVALID_TRANSITION"
    );
    h.report(id(2), ExecType::Canceled, 0, 0, t + 2).unwrap();
    assert_eq!(h.r.finished_parent(p).unwrap().state, ParentState::Canceled);
    assert_eq!(h.r.risk().open(I0), (0, 0));
    assert_eq!(
        h.r.cancel_parent(p, t + 3, &mut h.out).unwrap_err().code(),
        "ROUTER_UNKNOWN_ORDER"
    );
}

#[test]
fn ioc_parent_stops_rerouting_at_the_per_parent_child_cap() {
    let mut h = Harness::new();
    h.asks(I0, 0, &[(1_000_000, 100)]);
    let t = T0 + 10;
    h.submit(
        I0,
        Side::Buy,
        100,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        t,
    )
    .unwrap();
    // The book keeps showing 100 at V0 but every IOC expires: 16 children, then give up.
    for k in 0..16u64 {
        let sent = h.take();
        assert_eq!(
            sent,
            vec![child(
                2 + k,
                1,
                I0,
                0,
                Side::Buy,
                TimeInForce::Ioc,
                1_000_000,
                100,
                t + k
            )]
        );
        h.report(id(2 + k), ExecType::Expired, 0, 0, t + k + 1)
            .unwrap();
    }
    assert!(h.take().is_empty());
    assert_eq!(
        h.r.finished_parent(id(1)).unwrap().state,
        ParentState::Canceled
    );
    assert_eq!(h.r.counters().children_sent, 16);
}

#[test]
fn parent_table_full_is_refused_with_a_code() {
    let mut h = Harness::new();
    for k in 0..64 {
        h.submit(
            I0,
            Side::Buy,
            1,
            900_000,
            TimeInForce::Day,
            Strategy::Post,
            T0 + k,
        )
        .unwrap();
    }
    let e = h
        .submit(
            I0,
            Side::Buy,
            1,
            900_000,
            TimeInForce::Day,
            Strategy::Post,
            T0,
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "ROUTER_PARENTS_FULL max=64");
}

fn update(instrument: InstrumentId, max_order_qty: u32, max_position: i64) -> LimitsUpdate {
    LimitsUpdate {
        instrument,
        max_order_qty: Qty(max_order_qty),
        max_order_notional: 2_000 * 1_000_000,
        max_position,
        price_collar_bps: 250,
        max_orders_per_second: 20,
        max_gross_notional: None,
        max_net_notional: None,
        credit_notional: None,
    }
}

fn limit_commands(out: &[Command]) -> Vec<RiskLimitsChanged> {
    out.iter()
        .filter_map(|c| match c {
            Command::Limits(l) => Some(*l),
            _ => None,
        })
        .collect()
}

#[test]
fn set_limits_replaces_listed_instruments_announces_them_and_judges_the_next_parent() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    h.out.clear();
    assert_eq!(h.r.limits_version(), 1);
    let before_i1 = *h.r.risk().limits(I1);
    let v =
        h.r.set_limits(&[update(I0, 100, 10_000)], 1, T0 + 5, &mut h.out)
            .unwrap();
    assert_eq!(v, 2);
    assert_eq!(h.r.limits_version(), 2);
    assert_eq!(
        limit_commands(&h.out),
        vec![RiskLimitsChanged {
            version: 2,
            timestamp_ns: T0 + 5
        }]
    );
    let l = *h.r.risk().limits(I0);
    assert_eq!(
        (
            l.max_order_qty,
            l.max_order_notional,
            l.max_position,
            l.price_collar_bps,
            l.max_orders_per_second
        ),
        (Qty(100), 2_000 * 1_000_000, 10_000, 250, 20)
    );
    // Not carried by the update: kept as configured.
    assert_eq!(l.max_gross_notional, 20_000 * 1_000_000);
    assert_eq!(l.credit_notional, 30_000 * 1_000_000);
    assert_eq!(h.r.limits().instruments[0], l);
    assert_eq!(*h.r.risk().limits(I1), before_i1);
    // The next parent is judged by the new limit.
    let e = h
        .submit(
            I0,
            Side::Buy,
            101,
            1_000_000,
            TimeInForce::Ioc,
            Strategy::Sweep,
            T0,
        )
        .unwrap_err();
    assert_eq!(e.code(), "ROUTER_RISK_MAX_ORDER_QTY");
    h.submit(
        I0,
        Side::Buy,
        100,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        T0,
    )
    .unwrap();
    // On another instrument the old limit still holds.
    h.submit(
        I1,
        Side::Buy,
        101,
        1_000_000,
        TimeInForce::Ioc,
        Strategy::Sweep,
        T0,
    )
    .unwrap();
}

#[test]
fn bad_limit_sets_are_refused_with_codes_and_change_nothing() {
    let mut h = Harness::new();
    h.out.clear();
    let table = h.r.risk().all_limits().to_vec();
    let errors = |r: &Router| r.counters().errors_of(0) + r.counters().errors_of(1);
    let mut refused = 0;
    let cases: Vec<(Vec<LimitsUpdate>, u64, &str)> = vec![
        (vec![], 0, "ROUTER_INVALID_LIMITS field=instruments value=0"),
        (
            vec![update(InstrumentId(4), 1, 1)],
            0,
            "ROUTER_UNKNOWN_INSTRUMENT instrument=4",
        ),
        (
            vec![update(I0, 10, 10), update(I1, 10, 10), update(I0, 20, 20)],
            0,
            "ROUTER_INVALID_LIMITS field=instrument value=0",
        ),
        (
            vec![update(I1, 10, 10), update(I0, 0, 10)],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.max_order_qty value=0",
        ),
        (
            vec![update(I0, 10, -1)],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.max_position value=-1",
        ),
        (
            vec![LimitsUpdate {
                max_order_notional: -5,
                ..update(I0, 10, 10)
            }],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.max_order_notional value=-5",
        ),
        (
            vec![LimitsUpdate {
                price_collar_bps: 0,
                ..update(I0, 10, 10)
            }],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.price_collar_bps value=0",
        ),
        (
            vec![LimitsUpdate {
                price_collar_bps: 10_001,
                ..update(I0, 10, 10)
            }],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.price_collar_bps value=10001",
        ),
        (
            vec![LimitsUpdate {
                max_orders_per_second: 0,
                ..update(I0, 10, 10)
            }],
            0,
            "ROUTER_INVALID_LIMITS field=instruments.max_orders_per_second value=0",
        ),
    ];
    for (updates, expected, message) in cases {
        let e =
            h.r.set_limits(&updates, expected, T0, &mut h.out)
                .unwrap_err();
        assert_eq!(e.to_string(), message);
        refused += 1;
        assert_eq!(errors(&h.r), refused, "{message}");
        assert!(h.out.is_empty(), "{message}");
        assert_eq!(h.r.risk().all_limits(), &table[..], "{message}");
        assert_eq!(h.r.limits_version(), 1);
    }
    // A stale version is refused; the duplicate scratch was cleared by the refusals above.
    let e =
        h.r.set_limits(&[update(I0, 10, 10)], 7, T0, &mut h.out)
            .unwrap_err();
    assert_eq!(e.to_string(), "ROUTER_LIMITS_VERSION expected=7 actual=1");
    assert!(h.out.is_empty());
    h.r.set_limits(&[update(I0, 10, 10), update(I1, 10, 10)], 1, T0, &mut h.out)
        .unwrap();
    assert_eq!(h.r.limits_version(), 2);
}

#[test]
fn lowered_position_limit_grants_no_credit_until_there_is_room_again() {
    let mut r = Router::new(limits()).unwrap();
    let mut out = Vec::new();
    r.start(T0, &mut out);
    out.clear();
    let buy = |r: &Router| -> Vec<u64> { (0..3).map(|g| r.credit().slice(g, I0).buy).collect() };
    assert_eq!(buy(&r), vec![3_333; 3]);
    // Room 3,000 < 9,999 outstanding: nothing is revoked, nothing granted.
    r.set_limits(&[update(I0, 100, 3_000)], 0, T0, &mut out)
        .unwrap();
    assert_eq!(limit_commands(&out).len(), 1);
    assert!(!out.iter().any(|c| matches!(c, Command::Credit(_))));
    assert_eq!(buy(&r), vec![3_333; 3]);
    // Returns lower the outstanding sum, but while it is above the room no grant follows.
    for g in [2, 3] {
        out.clear();
        r.on_credit_return(
            &CreditReturn {
                gateway: GatewayId(g),
                instrument: I0,
                buy_qty: 3_333,
                sell_qty: 3_333,
                notional: 0,
            },
            T0,
            &mut out,
        )
        .unwrap();
        assert!(
            out.is_empty(),
            "no grant while 3,333+ outstanding > 3,000 room"
        );
    }
    assert_eq!(buy(&r), vec![3_333, 0, 0]);
    // Raised to 12,000: the free 8,667 tops everyone toward 4,000, the sum is the room.
    out.clear();
    r.set_limits(&[update(I0, 100, 12_000)], 0, T0, &mut out)
        .unwrap();
    let grants: Vec<(u16, u64, u64)> = out
        .iter()
        .filter_map(|c| match c {
            Command::Credit(g) => Some((g.gateway.0, g.buy_qty, g.sell_qty)),
            _ => None,
        })
        .collect();
    assert_eq!(
        grants,
        vec![(1, 667, 667), (2, 4_000, 4_000), (3, 4_000, 4_000)]
    );
    assert_eq!(buy(&r).iter().sum::<u64>(), 12_000);
    r.credit()
        .assert_within(I0, credit::Room::new(12_000, 0, 30_000 * 1_000_000, 0));
}

#[test]
fn journaled_limits_are_restored_with_their_version_and_no_commands() {
    let mut r = Router::new(limits()).unwrap();
    r.begin_replay();
    r.restore_limits(&[update(I1, 42, 500)], 3).unwrap();
    assert_eq!(r.limits_version(), 3);
    assert_eq!(r.risk().limits(I1).max_order_qty, Qty(42));
    let e = r.restore_limits(&[update(I1, 7, 500)], 3).unwrap_err();
    assert_eq!(e.code(), "ROUTER_LIMITS_VERSION");
    assert_eq!(r.risk().limits(I1).max_order_qty, Qty(42));
    let mut out = Vec::new();
    r.end_replay(T0, &mut out);
    assert!(limit_commands(&out).is_empty());
    // The next change continues from the restored version.
    assert_eq!(r.set_limits(&[update(I1, 8, 500)], 3, T0, &mut out), Ok(4));
}

/// Every instrument's limits and the totals, to compare before and after a refused change.
fn limits_state(r: &Router) -> (Vec<InstrumentRiskLimits>, (i128, i128), u64) {
    (
        r.risk().all_limits().to_vec(),
        r.risk().total_limits(),
        r.limits_version(),
    )
}

#[test]
fn gross_net_credit_and_totals_are_set_at_their_boundary_and_refused_below_it() {
    let mut h = Harness::new();
    h.out.clear();
    let with = |f: &dyn Fn(&mut LimitsUpdate)| {
        let mut u = update(I0, 10, 10);
        f(&mut u);
        u
    };
    // Refused: one below each boundary, naming the field; nothing changes, nothing is sent.
    let refused: Vec<(Vec<LimitsUpdate>, TotalLimitsUpdate, &str)> = vec![
        (
            vec![with(&|u| u.max_gross_notional = Some(-1))],
            TotalLimitsUpdate::default(),
            "ROUTER_INVALID_LIMITS field=instruments.max_gross_notional value=-1",
        ),
        (
            vec![with(&|u| u.max_net_notional = Some(-1))],
            TotalLimitsUpdate::default(),
            "ROUTER_INVALID_LIMITS field=instruments.max_net_notional value=-1",
        ),
        (
            vec![with(&|u| u.credit_notional = Some(-1))],
            TotalLimitsUpdate::default(),
            "ROUTER_INVALID_LIMITS field=instruments.credit_notional value=-1",
        ),
        (
            vec![update(I0, 10, 10)],
            TotalLimitsUpdate {
                max_gross_notional_total: Some(-1),
                max_net_notional_total: None,
            },
            "ROUTER_INVALID_LIMITS field=max_gross_notional_total value=-1",
        ),
        (
            vec![],
            TotalLimitsUpdate {
                max_gross_notional_total: Some(0),
                max_net_notional_total: Some(-1),
            },
            "ROUTER_INVALID_LIMITS field=max_net_notional_total value=-1",
        ),
        (
            vec![],
            TotalLimitsUpdate::default(),
            "ROUTER_INVALID_LIMITS field=instruments value=0",
        ),
    ];
    for (updates, totals, message) in refused {
        let before = limits_state(&h.r);
        let e =
            h.r.set_limits_with_totals(&updates, totals, 0, T0, &mut h.out)
                .unwrap_err();
        assert_eq!(e.to_string(), message);
        assert_eq!(e.code(), "ROUTER_INVALID_LIMITS");
        assert_eq!(limits_state(&h.r), before, "{message}");
        assert!(h.out.is_empty(), "{message}");
    }
    // Accepted at the boundary: 0 on every new field, then i64::MAX.
    for (v, version) in [(0, 2), (i64::MAX, 3)] {
        let u = LimitsUpdate {
            max_gross_notional: Some(v),
            max_net_notional: Some(v),
            credit_notional: Some(v),
            ..update(I1, 10, 10)
        };
        let totals = TotalLimitsUpdate {
            max_gross_notional_total: Some(v),
            max_net_notional_total: Some(v),
        };
        assert_eq!(
            h.r.set_limits_with_totals(&[u], totals, 0, T0, &mut h.out),
            Ok(version)
        );
        let l = h.r.risk().limits(I1);
        let v = i128::from(v);
        assert_eq!(
            (l.max_gross_notional, l.max_net_notional, l.credit_notional),
            (v, v, v)
        );
        assert_eq!(h.r.risk().total_limits(), (v, v));
        assert_eq!(h.r.limits().max_gross_notional_total, v);
        assert_eq!(h.r.limits().instruments[1], *l);
    }
    // Totals alone (no instrument listed) are a change of their own; None keeps a value.
    let before = *h.r.risk().limits(I1);
    assert_eq!(
        h.r.set_limits_with_totals(
            &[],
            TotalLimitsUpdate {
                max_gross_notional_total: Some(7),
                max_net_notional_total: None,
            },
            3,
            T0,
            &mut h.out
        ),
        Ok(4)
    );
    assert_eq!(h.r.risk().total_limits(), (7, i128::from(i64::MAX)));
    assert_eq!(*h.r.risk().limits(I1), before);
    // An update without the new fields leaves them as they are.
    h.r.set_limits(&[update(I1, 11, 10)], 4, T0, &mut h.out)
        .unwrap();
    let after = h.r.risk().limits(I1);
    assert_eq!(after.max_order_qty, Qty(11));
    assert_eq!(after.credit_notional, before.credit_notional);
    assert_eq!(after.max_gross_notional, before.max_gross_notional);
}

#[test]
fn a_parent_that_passed_is_refused_after_gross_net_or_total_limits_are_lowered() {
    let t = T0 + 10;
    // Buy 100 @ $100: order notional 1e8. After one such parent, a second one makes gross
    // 2e8 and worst-case net 200 x 1e6 = 2e8 (instrument and totals alike).
    let buy = |h: &mut Harness| {
        h.submit(
            I0,
            Side::Buy,
            100,
            1_000_000,
            TimeInForce::Day,
            Strategy::Post,
            t,
        )
    };
    let at: i64 = 200_000_000;
    let cases: [(LimitsUpdate, TotalLimitsUpdate, RiskReason); 4] = [
        (
            LimitsUpdate {
                max_gross_notional: Some(at - 1),
                ..update(I0, 5_000, 10_000)
            },
            TotalLimitsUpdate::default(),
            RiskReason::GrossExposure,
        ),
        (
            LimitsUpdate {
                max_net_notional: Some(at - 1),
                ..update(I0, 5_000, 10_000)
            },
            TotalLimitsUpdate::default(),
            RiskReason::NetExposure,
        ),
        (
            update(I0, 5_000, 10_000),
            TotalLimitsUpdate {
                max_gross_notional_total: Some(at - 1),
                max_net_notional_total: None,
            },
            RiskReason::GrossExposureTotal,
        ),
        (
            update(I0, 5_000, 10_000),
            TotalLimitsUpdate {
                max_gross_notional_total: None,
                max_net_notional_total: Some(at - 1),
            },
            RiskReason::NetExposureTotal,
        ),
    ];
    for (u, totals, reason) in cases {
        let mut h = Harness::new();
        buy(&mut h).unwrap();
        // The same parent passes under the configured limits ...
        h.r.set_limits_with_totals(&[u], totals, 0, T0, &mut h.out)
            .unwrap();
        // ... and is refused under the lowered one, naming it, changing nothing.
        let open = h.r.risk().open(I0);
        let e = buy(&mut h).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{} instrument=0 value={at} limit={}", reason.code(), at - 1)
        );
        assert_eq!(
            e.reject_reason(),
            4,
            "PositionLimit family (SBE RejectReason)"
        );
        assert_eq!(h.r.risk().open(I0), open);
        // Exactly at the limit passes again (inclusive).
        let mut u = u;
        let mut totals = totals;
        u.max_gross_notional = u.max_gross_notional.map(|_| at);
        u.max_net_notional = u.max_net_notional.map(|_| at);
        totals.max_gross_notional_total = totals.max_gross_notional_total.map(|_| at);
        totals.max_net_notional_total = totals.max_net_notional_total.map(|_| at);
        h.r.set_limits_with_totals(&[u], totals, 0, T0, &mut h.out)
            .unwrap();
        buy(&mut h).unwrap();
    }
}

#[test]
fn raised_credit_budget_is_granted_to_the_gateways_and_lowered_one_revokes_nothing() {
    let mut r = Router::new(limits()).unwrap();
    let mut out = Vec::new();
    r.start(T0, &mut out);
    let notional =
        |r: &Router| -> Vec<i128> { (0..3).map(|g| r.credit().slice(g, I0).notional).collect() };
    assert_eq!(notional(&r), vec![10_000 * 1_000_000; 3]);
    let with_credit = |c: i64| LimitsUpdate {
        credit_notional: Some(c),
        ..update(I0, 5_000, 10_000)
    };
    let grants = |out: &[Command]| -> Vec<(u16, u64, u64, i64, u64)> {
        out.iter()
            .filter_map(|c| match c {
                Command::Credit(g) => Some((
                    g.gateway.0,
                    g.buy_qty,
                    g.sell_qty,
                    g.notional,
                    g.grant_sequence,
                )),
                _ => None,
            })
            .collect()
    };
    // Raised from 30,000 $ M to 36,000: the 6,000 of new room goes out, 2,000 each.
    out.clear();
    r.set_limits(&[with_credit(36_000 * 1_000_000)], 0, T0, &mut out)
        .unwrap();
    assert_eq!(
        grants(&out),
        vec![
            (1, 0, 0, 2_000 * 1_000_000, 2),
            (2, 0, 0, 2_000 * 1_000_000, 2),
            (3, 0, 0, 2_000 * 1_000_000, 2)
        ]
    );
    assert_eq!(notional(&r), vec![12_000 * 1_000_000; 3]);
    // Lowered to 3,000: nothing revoked, nothing granted.
    out.clear();
    r.set_limits(&[with_credit(3_000 * 1_000_000)], 0, T0, &mut out)
        .unwrap();
    assert!(grants(&out).is_empty());
    assert_eq!(notional(&r), vec![12_000 * 1_000_000; 3]);
    // Raised to 39,000: 3,000 free over the 36,000 outstanding, +1,000 each.
    out.clear();
    r.set_limits(&[with_credit(39_000 * 1_000_000)], 0, T0, &mut out)
        .unwrap();
    assert_eq!(
        grants(&out),
        vec![
            (1, 0, 0, 1_000 * 1_000_000, 3),
            (2, 0, 0, 1_000 * 1_000_000, 3),
            (3, 0, 0, 1_000 * 1_000_000, 3)
        ]
    );
    r.credit()
        .assert_within(I0, credit::Room::new(10_000, 0, 39_000 * 1_000_000, 0));
}

#[test]
fn journaled_limits_state_restores_gross_net_credit_and_totals() {
    let mut r = Router::new(limits()).unwrap();
    r.begin_replay();
    let u = LimitsUpdate {
        max_gross_notional: Some(11),
        max_net_notional: Some(12),
        credit_notional: Some(13),
        ..update(I1, 42, 500)
    };
    let totals = TotalLimitsUpdate {
        max_gross_notional_total: Some(14),
        max_net_notional_total: Some(15),
    };
    r.restore_limits_with_totals(&[u], totals, 2).unwrap();
    let l = r.risk().limits(I1);
    assert_eq!(
        (l.max_gross_notional, l.max_net_notional, l.credit_notional),
        (11, 12, 13)
    );
    assert_eq!(r.risk().total_limits(), (14, 15));
    // An older or equal version is refused and changes nothing.
    let before = limits_state(&r);
    assert!(r
        .restore_limits_with_totals(&[update(I1, 1, 1)], TotalLimitsUpdate::default(), 2)
        .is_err());
    assert_eq!(limits_state(&r), before);
    let mut out = Vec::new();
    r.end_replay(T0, &mut out);
    assert!(limit_commands(&out).is_empty());
}

/// The NewChild commands in `out`.
fn new_children(out: &[Command]) -> Vec<NewChildOrder> {
    out.iter()
        .filter_map(|c| match c {
            Command::NewChild(n) => Some(*n),
            _ => None,
        })
        .collect()
}

#[test]
fn unsolicited_cancel_during_resync_finishes_the_parent_and_held_gateways_get_nothing() {
    let mut h = Harness::new();
    three_venue_book(&mut h);
    let t = T0 + 10;
    // Outside a resync, a venue's unsolicited cancel of a Day child re-posts the leaves.
    let first = h
        .submit(
            I0,
            Side::Buy,
            100,
            999_800,
            TimeInForce::Day,
            Strategy::Post,
            t,
        )
        .unwrap();
    let posted = new_children(&h.take());
    assert_eq!(posted.len(), 1);
    h.report(posted[0].order_id, ExecType::Canceled, 0, 0, t + 1)
        .unwrap();
    let reposted = new_children(&h.take());
    assert_eq!(reposted.len(), 1, "re-posted");
    let venue = reposted[0].venue;
    let gateway = GatewayId(venue.0 + 1);

    // The same cancel reported while the child's gateway is resyncing finishes the parent.
    assert!(h.r.set_gateway_resyncing(gateway, true));
    assert!(h.r.is_gateway_resyncing(gateway));
    assert!(!h.r.set_gateway_resyncing(GatewayId(99), true), "unknown");
    h.report(reposted[0].order_id, ExecType::Canceled, 0, 0, t + 2)
        .unwrap();
    assert_eq!(h.take(), vec![], "nothing re-routed");
    assert!(h.r.parent(first).is_none());
    let done = h.r.finished_parent(first).unwrap();
    assert_eq!(done.state, ParentState::Canceled);
    assert_eq!(done.cancel_reason, CancelReason::GatewayCanceled);
    assert_eq!(h.r.counters().resync_parent_cancels, 1);

    // While every gateway is resyncing, a new Day parent gets no child (parked) ...
    for g in 1..=3 {
        h.r.set_gateway_resyncing(GatewayId(g), true);
    }
    let second = h
        .submit(
            I0,
            Side::Buy,
            100,
            999_800,
            TimeInForce::Day,
            Strategy::Post,
            t + 3,
        )
        .unwrap();
    h.r.on_tick(t + 4, &mut h.out);
    assert_eq!(new_children(&h.take()), vec![]);
    // ... and once one is resynced, the next tick posts there and only there.
    h.r.set_gateway_resyncing(gateway, false);
    h.r.on_tick(t + 5, &mut h.out);
    let routed = new_children(&h.take());
    assert_eq!(routed.len(), 1, "{routed:?}");
    assert_eq!(routed[0].gateway, gateway);
    assert_eq!(routed[0].parent_order_id, second);
    // A cancel the router asked for is not unsolicited: the parent finishes as requested.
    assert!(h.r.parent(second).is_some());
}

#[test]
fn canceled_ioc_parents_say_why_credit_liquidity_or_venue() {
    let mut l = limits();
    l.instruments[1].credit_notional = 1; // 1/10,000 $: no gateway can afford one share
    let mut h = Harness::new();
    h.r = Router::new(l).unwrap();
    h.r.start(T0, &mut h.out);
    let t = T0 + 10;
    let ioc = |h: &mut Harness, instrument, limit, now| {
        h.submit(
            instrument,
            Side::Buy,
            100,
            limit,
            TimeInForce::Ioc,
            Strategy::Sweep,
            now,
        )
        .unwrap()
    };
    let why = |h: &Harness, id| {
        let p = h.r.finished_parent(id).expect("finished");
        assert_eq!(p.state, ParentState::Canceled);
        p.cancel_reason
    };
    // No heartbeat yet: no venue is healthy.
    let no_venue = ioc(&mut h, I0, 1_000_000, t);
    assert_eq!(why(&h, no_venue), CancelReason::NoVenue);
    for g in 1..=3 {
        h.r.on_heartbeat(
            &Heartbeat {
                sender: GatewayId(g),
                sequence: 1,
                timestamp_ns: t,
            },
            t,
        )
        .unwrap();
    }
    h.asks(I0, 0, &[(1_000_000, 500)]);
    h.asks(I1, 0, &[(1_000_000, 500)]);
    h.take();
    // Liquidity within the limit, but the instrument's credit buys no share anywhere.
    let no_credit = ioc(&mut h, I1, 1_000_000, t + 1);
    assert_eq!(new_children(&h.take()), vec![], "no child");
    assert_eq!(why(&h, no_credit), CancelReason::NoCredit);
    // The reader snapshot carries it too.
    let mut snap = Snapshot::default();
    h.r.snapshot_into(&mut snap, t + 1);
    let row = snap
        .parents
        .iter()
        .find(|p| p.order_id == no_credit)
        .unwrap();
    assert_eq!(row.cancel_reason, CancelReason::NoCredit);
    // Credit, but nothing offered at or below the limit.
    let no_liquidity = ioc(&mut h, I0, 999_000, t + 2);
    assert_eq!(why(&h, no_liquidity), CancelReason::NoLiquidity);
    // An IOC that fills nothing after taking: its child expires and nothing is left.
    let taken = ioc(&mut h, I0, 1_000_000, t + 3);
    let sent = new_children(&h.take());
    assert_eq!(sent.len(), 1);
    h.top(I0, 0, (0, 0), (0, 0));
    h.report(sent[0].order_id, ExecType::Expired, 0, 0, t + 4)
        .unwrap();
    assert_eq!(why(&h, taken), CancelReason::NoLiquidity);
    // Operator and kill-switch cancels of resting Day parents.
    h.asks(I0, 0, &[(1_000_000, 500)]);
    let day = h
        .submit(
            I0,
            Side::Buy,
            10,
            990_000,
            TimeInForce::Day,
            Strategy::Post,
            t + 5,
        )
        .unwrap();
    let c = new_children(&h.take());
    h.r.cancel_parent(day, t + 6, &mut h.out).unwrap();
    h.report(c[0].order_id, ExecType::Canceled, 0, 0, t + 7)
        .unwrap();
    assert_eq!(why(&h, day), CancelReason::Operator);
    let day = h
        .submit(
            I0,
            Side::Buy,
            10,
            990_000,
            TimeInForce::Day,
            Strategy::Post,
            t + 8,
        )
        .unwrap();
    let c = new_children(&h.take());
    h.r.engage_kill_switch(KillScope::All, false, t + 9, &mut h.out)
        .unwrap();
    h.report(c[0].order_id, ExecType::Canceled, 0, 0, t + 10)
        .unwrap();
    assert_eq!(why(&h, day), CancelReason::KillSwitch);
    for r in CancelReason::ALL {
        assert_eq!(CancelReason::from_name(r.name()), Some(r));
    }
}

#[test]
fn credit_is_restated_absolutely_per_instrument_and_the_grant_sequence_continues() {
    let mut r = Router::new(limits()).unwrap();
    let mut out = Vec::new();
    r.start(T0, &mut out);
    // Gateway 2 returns part of its I0 slice: the statement says what is left.
    r.on_credit_return(
        &CreditReturn {
            gateway: GatewayId(2),
            instrument: I0,
            buy_qty: 333,
            sell_qty: 0,
            notional: 1_000,
        },
        T0,
        &mut out,
    )
    .unwrap();
    out.clear();
    let before = r.credit().slice(1, I0);
    assert_eq!(r.restate_credit(GatewayId(2), 41, T0 + 5, &mut out), Ok(4));
    let slices: Vec<CreditSlice> = out
        .iter()
        .map(|c| match c {
            Command::Slice(s) => *s,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        slices[0],
        CreditSlice {
            gateway: GatewayId(2),
            instrument: I0,
            grant_sequence: before.grant_sequence + 1,
            buy_qty: before.buy,
            sell_qty: before.sell,
            notional: before.notional as i64,
            through_stream_sequence: 41,
            timestamp_ns: T0 + 5,
        }
    );
    assert_eq!(
        slices.iter().map(|s| s.instrument.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    // Amounts unchanged; the next grant continues after the statement's sequence.
    let after = r.credit().slice(1, I0);
    assert_eq!(
        (after.buy, after.sell, after.notional),
        (before.buy, before.sell, before.notional)
    );
    assert_eq!(after.grant_sequence, before.grant_sequence + 1);
    assert_eq!(
        r.restate_credit(GatewayId(9), 0, T0, &mut out)
            .unwrap_err()
            .code(),
        "ROUTER_UNKNOWN_GATEWAY"
    );
    // Replay: a journaled statement moves only the sequence.
    let mut replayed = Router::new(limits()).unwrap();
    replayed.begin_replay();
    replayed.restore_credit_slice(&slices[0]).unwrap();
    assert_eq!(
        replayed.credit().slice(1, I0).grant_sequence,
        slices[0].grant_sequence
    );
    assert_eq!(replayed.credit().slice(1, I0).buy, 0);
}

/// Finished parents are looked up by id (an index beside the ring, no scan); the ring keeps the
/// newest `max_parents` and forgets the oldest first.
#[test]
fn finished_parents_are_found_by_id_and_the_oldest_are_forgotten() {
    let mut h = Harness::new();
    let ring = u64::from(limits().max_parents);
    let extra = 6;
    // No liquidity anywhere: each IOC parent finishes canceled as soon as it is submitted.
    let ids: Vec<OrderId> = (0..ring + extra)
        .map(|k| {
            h.submit(
                I0,
                Side::Buy,
                100,
                1_000_000,
                TimeInForce::Ioc,
                Strategy::Sweep,
                T0 + 10 + k,
            )
            .unwrap()
        })
        .collect();
    for (k, &id) in ids.iter().enumerate() {
        let found = h.r.finished_parent(id);
        if (k as u64) < extra {
            assert!(found.is_none(), "parent {k} should be forgotten");
        } else {
            let p = found.unwrap_or_else(|| panic!("parent {k} should be remembered"));
            assert_eq!((p.order_id, p.state), (id, ParentState::Canceled));
        }
    }
    assert!(h.r.finished_parent(OrderId(u64::MAX)).is_none());
}
