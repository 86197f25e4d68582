//! Router hot-path costs, three venues, one instrument traded among 64 configured.
//!
//! * `nbbo_update`: one TopOfBook in (book level replaced, NBBO recomputed over 3 venues).
//! * `tob_then_route_sweep` / `tob_then_route_cost_aware`: one TopOfBook in, then a
//!   marketable IOC parent (300 shares, 100 per venue at three prices) accepted, risk
//!   checked and routed: three NewChildOrder out. Timed per iteration with `iter_custom`;
//!   the untimed remainder fills the children (alternating buy and sell parents so the
//!   position stays bounded) to keep the tables in a steady state.
//! * `timer_overhead`: the same `Instant` pair around nothing, to subtract.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossbar_model::{GatewayId, InstrumentId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_router::*;
use std::time::{Duration, Instant};

const I: InstrumentId = InstrumentId(7);

fn router() -> Router {
    let risk = InstrumentRiskLimits {
        max_position: 1_000_000,
        max_order_qty: Qty(100_000),
        max_order_notional: i128::MAX / 4,
        max_gross_notional: i128::MAX / 4,
        max_net_notional: i128::MAX / 4,
        credit_notional: i128::from(i64::MAX),
        price_collar_bps: 500,
        max_orders_per_second: 1_000,
    };
    let mut r = Router::new(RouterLimits {
        router_id: GatewayId(0),
        instrument_count: 64,
        venues: (0..3)
            .map(|v| VenueConfig {
                venue: VenueId(v),
                gateway: GatewayId(v + 1),
                taker_fee_ticks: 30 - 5 * i64::from(v),
                maker_rebate_ticks: 20,
            })
            .collect(),
        book_depth: 8,
        max_parents: 1_024,
        max_children: 4_096,
        max_children_per_parent: 64,
        heartbeat_timeout_ns: u64::MAX / 2,
        latency_penalty_ticks_per_ms: 10,
        queue_penalty_ticks_per_10k_shares: 5,
        instruments: vec![risk; 64],
        max_gross_notional_total: i128::MAX / 4,
        max_net_notional_total: i128::MAX / 4,
    })
    .unwrap();
    let mut sink = Vec::new();
    r.start(0, &mut sink);
    for g in 1..=3 {
        r.on_heartbeat(
            &Heartbeat {
                sender: GatewayId(g),
                sequence: 1,
                timestamp_ns: 0,
            },
            1,
        )
        .unwrap();
    }
    for v in 0..3u16 {
        r.on_top_of_book(&top(v, 1, 0)).unwrap();
    }
    r
}

/// Venue v: bid 99.99 - v cents, ask 100.00 + v cents, 100 shares each.
fn top(v: u16, seq: u64, wiggle: u64) -> TopOfBook {
    TopOfBook {
        venue: VenueId(v),
        instrument: I,
        sequence: seq,
        timestamp_ns: seq,
        bid_price: Price(999_900 - 100 * i64::from(v)),
        bid_qty: 100 + wiggle,
        ask_price: Price(1_000_000 + 100 * i64::from(v)),
        ask_qty: 100 + wiggle,
    }
}

fn fill_all(r: &mut Router, sink: &mut Vec<Command>, scratch: &mut Vec<Command>) {
    for cmd in sink.drain(..) {
        if let Command::NewChild(c) = cmd {
            let er = ExecutionReport {
                order_id: c.order_id,
                venue: c.venue,
                instrument: c.instrument,
                exec_type: ExecType::Fill,
                last_px: c.price,
                last_qty: c.qty,
                leaves_qty: Qty(0),
                timestamp_ns: 0,
            };
            r.on_execution_report(&er, 2, scratch).unwrap();
        }
    }
    scratch.clear();
}

fn route_bench(c: &mut Criterion, name: &str, strategy: Strategy) {
    let mut r = router();
    let mut sink: Vec<Command> = Vec::with_capacity(64);
    let mut scratch: Vec<Command> = Vec::with_capacity(64);
    let mut seq = 2u64;
    let mut buy = true;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                seq += 1;
                let (side, limit) = if buy {
                    (Side::Buy, Price(1_000_200))
                } else {
                    (Side::Sell, Price(999_700))
                };
                let req = ParentRequest {
                    instrument: I,
                    side,
                    qty: Qty(300),
                    limit_price: limit,
                    time_in_force: TimeInForce::Ioc,
                    strategy,
                };
                let tob = top((seq % 3) as u16, seq, 0);
                let start = Instant::now();
                r.on_top_of_book(black_box(&tob)).unwrap();
                r.submit_parent(black_box(&req), seq, &mut sink).unwrap();
                total += start.elapsed();
                assert_eq!(sink.len(), 3);
                fill_all(&mut r, &mut sink, &mut scratch);
                buy = !buy;
            }
            total
        })
    });
}

fn benches(c: &mut Criterion) {
    let mut r = router();
    let mut seq = 2u64;
    c.bench_function("nbbo_update", |b| {
        b.iter(|| {
            seq += 1;
            r.on_top_of_book(black_box(&top((seq % 3) as u16, seq, seq & 7)))
                .unwrap();
            black_box(r.nbbo(I))
        })
    });
    route_bench(c, "tob_then_route_sweep", Strategy::Sweep);
    route_bench(c, "tob_then_route_cost_aware", Strategy::CostAware);
    c.bench_function("timer_overhead", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                total += start.elapsed();
            }
            total
        })
    });
}

criterion_group!(router_benches, benches);
criterion_main!(router_benches);
