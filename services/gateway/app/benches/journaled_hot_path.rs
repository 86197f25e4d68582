//! The gateway's child-order path with its audit journal: SBE NewChildOrder bytes (as taken
//! off the order stream) journaled inbound (`Audit::inbound_centre`), then risk, the SBE
//! request journaled outbound (`Audit::outbound_venue`, through `OuchSink::record_request` as
//! `Executions` does) and the OUCH Enter Order in a SoupBinTCP Unsequenced Data packet handed
//! to the socket sink. Real `crossbar-journal` segments in a temporary directory, pretouched;
//! `Audit::maintain` runs between orders, untimed, as the agent runs it on idle duty cycles.
//!
//! Baselines in the same run, per order, interleaved with the journaled path: the bare copy
//! of the SBE bytes into the sink, and the same router path with no journal (what
//! `crossbar-order-entry`'s `hot_path` bench times). HdrHistogram p50/p99/p99.9, ns, each
//! including ~20 ns of timer overhead. Run:
//! `cargo bench -p crossbar-gateway --bench journaled_hot_path` (`HOT_PATH_ORDERS=N`,
//! default 1,000,000).

#[path = "../../order-entry/tests/common/mod.rs"]
mod common;

use common::{new_child_order, print_percentiles, rejected, router, CopySink, NOW_NS};
use crossbar_gateway::audit::Audit;
use crossbar_journal::JournalConfig;
use crossbar_order_entry::{OrderRouter, OuchSink, Outcome};
use crossbar_runtime::CounterSet;
use crossbar_sbe::generated::Side;
use crossbar_soupbintcp::SoupError;
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::time::Instant;

/// [`CopySink`] that journals each request before its OUCH bytes are written, as the
/// gateway's `Executions` sink does.
struct JournaledSink {
    audit: Audit,
    now_ns: u64,
    out: CopySink,
}

impl OuchSink for JournaledSink {
    fn record_request(&mut self, request: &[u8]) -> bool {
        self.audit.outbound_venue(request, self.now_ns)
    }

    fn send_packet(&mut self, packet: &[u8]) -> Result<(), SoupError> {
        self.out.send_packet(packet)
    }
}

fn sent(order: u64, out: Result<Outcome, crossbar_order_entry::OrderEntryError>) -> u32 {
    match out {
        Ok(Outcome::Sent { user_ref_num }) => user_ref_num,
        other => panic!("order {order}: {other:?}"),
    }
}

fn release(router: &mut OrderRouter, user_ref_num: u32, now_ns: u64, sbe_out: &mut [u8]) {
    router
        .on_venue_message(0, &rejected(user_ref_num), now_ns, sbe_out)
        .unwrap();
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000, 3).unwrap()
}

fn main() {
    let orders: u64 = std::env::var("HOT_PATH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let mut counters = CounterSet::new();
    let audit = Audit::open(&JournalConfig::in_dir(dir.path()), 1, &mut counters).unwrap();
    let mut journaled = JournaledSink {
        audit,
        now_ns: NOW_NS,
        out: CopySink(Vec::with_capacity(256)),
    };
    let mut plain = CopySink(Vec::with_capacity(256));
    let (mut plain_router, mut journaled_router) = (router(4096), router(4096));
    let mut sbe_out = [0u8; 2048];
    let mut order_bytes = [
        new_child_order(1, 0, Side::Buy, 1_000_050, 100),
        new_child_order(1, 1, Side::Sell, 1_000_000, 200),
    ];
    let (mut copy_h, mut plain_h, mut journaled_h) = (histogram(), histogram(), histogram());
    let mut now_ns = NOW_NS;
    for i in 1..=orders {
        now_ns += 1_000;
        let buf = &mut order_bytes[(i % 2) as usize];
        buf[8..16].copy_from_slice(&i.to_le_bytes()); // orderId: first field after the header

        let t = Instant::now();
        plain.send_packet(black_box(buf.as_slice())).unwrap();
        copy_h.record(t.elapsed().as_nanos() as u64).unwrap();

        let t = Instant::now();
        let out = plain_router.on_child_order(
            black_box(buf.as_slice()),
            now_ns,
            &mut plain,
            &mut sbe_out,
        );
        plain_h.record(t.elapsed().as_nanos() as u64).unwrap();
        let plain_ref = sent(i, out);

        journaled.now_ns = now_ns;
        let t = Instant::now();
        assert!(journaled
            .audit
            .inbound_centre(black_box(buf.as_slice()), now_ns));
        let out =
            journaled_router.on_child_order(buf.as_slice(), now_ns, &mut journaled, &mut sbe_out);
        journaled_h.record(t.elapsed().as_nanos() as u64).unwrap();
        let journaled_ref = sent(i, out);
        assert_eq!(
            journaled.out.0, plain.0,
            "order {i}: the same OUCH bytes either way"
        );

        release(&mut plain_router, plain_ref, now_ns, &mut sbe_out);
        release(&mut journaled_router, journaled_ref, now_ns, &mut sbe_out);
        journaled.audit.maintain(now_ns);
    }
    assert!(!journaled.audit.take_failure(), "every append succeeded");
    let appends = counters.value("journal.appends").unwrap_or(0);
    assert_eq!(appends, 2 * orders, "two appends per order");
    print_percentiles("baseline_copy_sbe_bytes", &copy_h);
    print_percentiles("hot_path_no_journal", &plain_h);
    print_percentiles("hot_path_journaled", &journaled_h);
    println!(
        "journal appends {} (two per order), segment rolls {:?}, unprepared rolls {:?}, pages touched {:?}",
        appends,
        counters.value("journal.segment_rolls"),
        counters.value("journal.unprepared_rolls"),
        counters.value("journal.pages_touched"),
    );
    let p50 = |h: &Histogram<u64>| h.value_at_quantile(0.5).max(1) as f64;
    println!(
        "p50 ratios: journaled/no_journal = {:.2}, journaled/copy = {:.1}",
        p50(&journaled_h) / p50(&plain_h),
        p50(&journaled_h) / p50(&copy_h)
    );
}
