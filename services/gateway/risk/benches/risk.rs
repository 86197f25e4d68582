//! Cost of `RiskEngine::check_new_order` on the gateway hot path.
//!
//! * `accept_then_done`: an order that passes every check and is reserved, then released
//!   with `on_order_done` (the pair keeps the open-order table from filling).
//! * `reject_max_qty`: rejected by an early check (max order quantity).
//! * `reject_throttle`: rejected by a late check (every earlier check runs and passes).
//! * `baseline_copy_request`: copying the request, for scale, measured in the same run.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce};
use crossbar_risk::*;

const INSTRUMENTS: u32 = 5_000;

fn engine(rate: u32, window_ns: u64) -> RiskEngine {
    let l = InstrumentLimits {
        max_order_qty: Qty(10_000),
        max_order_notional: i128::from(i64::MAX),
        max_long_position: i64::MAX / 4,
        max_short_position: i64::MAX / 4,
        collar_bps: 500,
        max_orders_per_window: rate,
    };
    let mut e = RiskEngine::new(RiskLimits {
        instruments: vec![l; INSTRUMENTS as usize],
        max_open_orders: 65_536,
        duplicate_window: 65_536,
        session_max_orders_per_window: rate,
        throttle_window_ns: window_ns,
        kill_switch_allows_reducing: true,
    })
    .unwrap();
    for i in 0..INSTRUMENTS {
        e.grant_credit(
            InstrumentId(i),
            crossbar_risk::Credit::both_sides(i64::MAX / 4, i128::MAX / 4),
        )
        .unwrap();
    }
    e
}

fn request(seq: u64, qty: u32) -> OrderRequest {
    OrderRequest {
        order_id: OrderId::new(GatewayId(3), seq).unwrap(),
        instrument: InstrumentId((seq % u64::from(INSTRUMENTS)) as u32),
        side: if seq.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        price: Price(100_0000),
        qty: Qty(qty),
        time_in_force: TimeInForce::Day,
    }
}

fn benches(c: &mut Criterion) {
    let market = MarketView {
        best_bid: Some(Price(99_9900)),
        best_ask: Some(Price(100_0000)),
        last_trade_price: Some(Price(100_0000)),
        stale: false,
    };
    let mut e = engine(100, 1_000);
    let mut seq = 0u64;
    let mut now_ns = 0u64;
    c.bench_function("risk/accept_then_done", |b| {
        b.iter(|| {
            seq += 1;
            now_ns += 1_000;
            let o = request(seq, 100);
            let r = e
                .check_new_order(black_box(&o), black_box(&market), now_ns)
                .unwrap();
            black_box(e.on_order_done(r.order_id).unwrap())
        })
    });
    c.bench_function("risk/reject_max_qty", |b| {
        b.iter(|| {
            seq += 1;
            let o = request(seq, 20_000);
            black_box(
                e.check_new_order(black_box(&o), black_box(&market), now_ns)
                    .unwrap_err(),
            )
        })
    });
    let mut t = engine(1, u64::MAX);
    let first = request(1, 100);
    t.check_new_order(&first, &market, 0).unwrap();
    c.bench_function("risk/reject_throttle", |b| {
        b.iter(|| {
            seq += 1;
            let mut o = request(seq, 100);
            o.instrument = first.instrument;
            black_box(
                t.check_new_order(black_box(&o), black_box(&market), 1)
                    .unwrap_err(),
            )
        })
    });
    let mut out = request(1, 1);
    c.bench_function("risk/baseline_copy_request", |b| {
        b.iter(|| {
            seq += 1;
            out = black_box(request(seq, 100));
        })
    });
    black_box(out);
}

criterion_group!(risk_benches, benches);
criterion_main!(risk_benches);
