//! Gateway hot path: SBE NewChildOrder bytes (as read off Aeron) → risk → OUCH Enter Order in
//! a SoupBinTCP Unsequenced Data packet handed to the socket sink. HdrHistogram p50/p99/p99.9
//! over 1,000,000 orders, beside a baseline that only copies the same SBE bytes into the sink,
//! and the risk check alone. Run: `cargo bench -p crossbar-order-entry --bench hot_path`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side as MSide, TimeInForce};
use crossbar_order_entry::{OuchSink, Outcome};
use crossbar_risk::{MarketView, OrderRequest};
use crossbar_sbe::generated::Side;
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::time::Instant;

const ORDERS: u64 = 1_000_000;

fn main() {
    let mut router = router(4096);
    let mut sink = CopySink(Vec::with_capacity(256));
    let mut sbe_out = [0u8; 2048];
    let mut orders = [
        new_child_order(1, 0, Side::Buy, 1_000_050, 100),
        new_child_order(1, 1, Side::Sell, 1_000_000, 200),
    ];
    let mut hot = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).unwrap();
    let mut base = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).unwrap();
    let mut risk_h = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).unwrap();
    let mut now_ns = NOW_NS;
    for i in 1..=ORDERS {
        now_ns += 1_000;
        let buf = &mut orders[(i % 2) as usize];
        buf[8..16].copy_from_slice(&i.to_le_bytes()); // orderId: first field after the header
                                                      // Baseline: the bare copy of the SBE bytes into the sink.
        let t = Instant::now();
        sink.send_packet(black_box(buf.as_slice())).unwrap();
        base.record(t.elapsed().as_nanos() as u64).unwrap();
        // Hot path.
        let t = Instant::now();
        let out = router.on_child_order(black_box(buf.as_slice()), now_ns, &mut sink, &mut sbe_out);
        hot.record(t.elapsed().as_nanos() as u64).unwrap();
        let Ok(Outcome::Sent { user_ref_num }) = out else {
            panic!("order {i}: {out:?}")
        };
        black_box(&sink.0);
        // Release the reservation and the slot (not timed): the venue rejects it.
        router
            .on_venue_message(0, &rejected(user_ref_num), now_ns, &mut sbe_out)
            .unwrap();
    }
    // Risk check alone.
    let market = MarketView {
        best_bid: Some(Price(1_000_000)),
        best_ask: Some(Price(1_000_100)),
        last_trade_price: None,
        stale: false,
    };
    let risk = router.risk_mut();
    for i in 1..=ORDERS {
        now_ns += 1_000;
        let request = OrderRequest {
            order_id: OrderId(ORDERS + i),
            instrument: InstrumentId((i % 2) as u32),
            side: if i % 2 == 0 { MSide::Buy } else { MSide::Sell },
            price: Price(1_000_050),
            qty: Qty(100),
            time_in_force: TimeInForce::Day,
        };
        let t = Instant::now();
        let r = risk.check_new_order(black_box(&request), &market, now_ns);
        risk_h.record(t.elapsed().as_nanos() as u64).unwrap();
        assert!(r.is_ok());
        risk.on_order_done(request.order_id).unwrap();
    }
    print_percentiles("baseline_copy_sbe_bytes", &base);
    print_percentiles("sbe_to_ouch_hot_path", &hot);
    print_percentiles("risk_check_new_order", &risk_h);
    println!(
        "p50 ratio hot_path/baseline = {:.1}",
        hot.value_at_quantile(0.5) as f64 / base.value_at_quantile(0.5).max(1) as f64
    );
}
