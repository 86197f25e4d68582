//! The router thread's cost of one reader snapshot (issue 4), 4,096 live parents × 64 children
//! each (the deploy limits: `max_parents` 4096, `max_children_per_parent` 64), 3 venues,
//! 8 instruments. Results: `docs/bench/aggregator-publish.md`.
//!
//! * `before_full_clone`: what `Core::publish_snapshot` did before (router `snapshot_into`,
//!   clone of the snapshot and of every order view, open children counted over the child
//!   table, the previous publication dropped) — the baseline, measured in the same run.
//! * `publish/<k>`: `Publisher::publish` after `k` parents changed (each touched at a new
//!   time, so its entry is really replaced), the previous publication dropped.
//! * `mark_parent`: `OrderViews::touch`, what each event adds to the router thread's path to
//!   mark its parent changed (a hash-set insert of an id already there, the common case).

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use crossbar_aggregator::codec::ParentTerms;
use crossbar_aggregator::orders::OrderViews;
use crossbar_aggregator::publisher::Publisher;
use crossbar_aggregator::views::Published;
use crossbar_api::proto;
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::snapshot::Snapshot;
use crossbar_router::*;

const PARENTS: u32 = 4_096;
const CHILDREN: u64 = 64;

/// 4,096 live Day parents (no venue is up yet, so each is parked with its leaves: live, no
/// router child) and their views with 64 children each (ended: filled or canceled).
fn state() -> (Router, OrderViews, Vec<OrderId>) {
    let risk = InstrumentRiskLimits {
        max_position: 1 << 40,
        max_order_qty: Qty(1_000_000),
        max_order_notional: 1 << 50,
        max_gross_notional: 1 << 60,
        max_net_notional: 1 << 60,
        credit_notional: 1 << 50,
        price_collar_bps: 500,
        max_orders_per_second: 1_000,
    };
    let mut router = Router::new(RouterLimits {
        router_id: GatewayId(0),
        instrument_count: 8,
        venues: (0..3)
            .map(|v| VenueConfig {
                venue: VenueId(v),
                gateway: GatewayId(v + 1),
                taker_fee_ticks: 30,
                maker_rebate_ticks: 20,
            })
            .collect(),
        book_depth: 16,
        max_parents: PARENTS,
        max_children: 16_384,
        max_children_per_parent: 64,
        heartbeat_timeout_ns: 3_000_000_000,
        latency_penalty_ticks_per_ms: 1,
        queue_penalty_ticks_per_10k_shares: 1,
        instruments: vec![risk; 8],
        max_gross_notional_total: 1 << 62,
        max_net_notional_total: 1 << 62,
    })
    .unwrap();
    let mut out = Vec::new();
    router.start(0, &mut out);
    let mut orders = OrderViews::new(PARENTS as usize, 16_384);
    let mut ids = Vec::new();
    let mut child_seq = 1u64 << 40;
    for n in 0..PARENTS {
        let req = ParentRequest {
            instrument: InstrumentId(n % 8),
            side: if n % 2 == 0 { Side::Buy } else { Side::Sell },
            qty: Qty(6_400),
            limit_price: Price(1_000_000),
            time_in_force: TimeInForce::Day,
            strategy: Strategy::Post,
        };
        out.clear();
        let id = router
            .submit_parent(&req, 1 + u64::from(n), &mut out)
            .unwrap();
        assert!(router.parent(id).is_some(), "parked, live");
        let terms = ParentTerms {
            client_order_id: format!("client-{n:08}"),
            marketable: false,
        };
        orders.on_accept(id, terms, 1);
        for k in 0..CHILDREN {
            child_seq += 1;
            let child = OrderId::new(GatewayId(0), child_seq).unwrap();
            orders.on_child(&NewChildOrder {
                order_id: child,
                parent_order_id: id,
                instrument: req.instrument,
                venue: VenueId((k % 3) as u16),
                gateway: GatewayId((k % 3) as u16 + 1),
                side: req.side,
                time_in_force: TimeInForce::Day,
                price: Price(1_000_000),
                qty: Qty(100),
                timestamp_ns: 2,
            });
            let (exec, qty) = if k % 2 == 0 {
                (ExecType::Fill, Qty(100))
            } else {
                (ExecType::Canceled, Qty(0))
            };
            orders.on_report(child, exec, qty, Price(1_000_000), 3);
        }
        ids.push(id);
    }
    (router, orders, ids)
}

fn publish(c: &mut Criterion) {
    let (router, mut orders, ids) = state();
    let limits = Arc::new(proto::LimitsSnapshot::default());
    let mut g = c.benchmark_group("publish_4096x64");

    let mut snap = Snapshot::default();
    let mut held: Option<Box<dyn std::any::Any>> = None;
    g.bench_function("before_full_clone", |b| {
        b.iter(|| {
            router.snapshot_into(&mut snap, 5);
            let mut open = vec![0u32; router.limits().venues.len()];
            for ch in router.live_children() {
                open[ch.venue.0 as usize] += 1;
            }
            let published = Arc::new((snap.clone(), orders.all().clone(), open));
            held = Some(Box::new(black_box(published))); // drops the previous one
        })
    });
    drop(held);

    let mut publisher = Publisher::new(PARENTS as usize);
    let (mut last, n) = publisher.publish(&router, &mut orders, &[], limits.clone(), 5);
    assert_eq!(n, PARENTS as usize);
    let mut now = 10u64;
    for k in [0usize, 1, 16, 256] {
        g.bench_with_input(BenchmarkId::new("publish", k), &k, |b, &k| {
            b.iter(|| {
                now += 1_000_000; // a new time for every touched parent: a real change
                for (j, id) in ids
                    .iter()
                    .cycle()
                    .skip(now as usize / 1_000_000 % 4_096)
                    .take(k)
                    .enumerate()
                {
                    orders.touch(*id, now + j as u64);
                }
                let (p, changed) =
                    publisher.publish(&router, &mut orders, &[], limits.clone(), now);
                debug_assert_eq!(changed, k);
                last = black_box(p); // drops the previous one
            })
        });
    }
    let p: &Published = &last;
    assert_eq!(p.parents.len(), PARENTS as usize);

    let id = ids[17];
    g.bench_function("mark_parent", |b| {
        b.iter(|| {
            now += 1;
            orders.touch(black_box(id), now);
        })
    });
    g.finish();
}

criterion_group!(benches, publish);
criterion_main!(benches);
