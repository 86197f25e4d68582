//! Issue 4's platform latency: a parent order submitted over gRPC to its first child order's
//! bytes at the venue simulator, p50/p90/p99/p99.9/max, against the gRPC round trip of a
//! read-only call (KillSwitch.Status) measured the same way in the same run. Results and
//! method: `docs/bench/platform-latency.md`.
//!
//! The platform is the one `tests/platform_sweep.rs` runs (`tests/e2e/mod.rs`): three
//! `crossbar-venue-sim`, three `crossbar-gateway`, `crossbar-aggregator`, every process its own
//! binary from its deploy file, Aeron IPC through the aggregator's embedded SHARED driver,
//! backoff idle strategies everywhere. Only NASDAQ holds MSFT liquidity (a 1,000,000-share bid
//! at $9.99 and offer at $10.01), so each parent, a 100-share IOC limit at the far touch
//! (buys and sells alternate, the position stays flat), becomes exactly one child, on NASDAQ.
//!
//! Per parent, all times CLOCK_REALTIME ns on one host:
//! * `t0`: just before `Orders.Submit` is called;
//! * `t_reply`: the Submit reply is back;
//! * `t1`: the gateway's journal record of the child's OUCH request (outbound `NewChildOrder`,
//!   journalled before the OUCH bytes are written to the venue's socket; its timestamp is the
//!   gateway duty cycle's clock, read before the cycle polled the order off Aeron), a lower
//!   bound of the bytes' arrival at the simulator, short of it by the rest of that duty cycle
//!   and the loopback TCP hop;
//! * `t_venue`: the simulator's receive time of the child's OUCH Enter Order, read right after
//!   the `read` that completed it, before matching: the Timestamp of its OUCH Order Accepted
//!   (OUCH 5.0 §3.2, ns since UTC midnight), which the gateway turns into the first
//!   `ExecutionReport`'s `venueTimestampNs` (UTC ns); **the figure asked for**;
//! * `t_ack`: the gateway's journal record of the venue's first report for the child (inbound
//!   `ExecutionReport`, the Accepted).
//!
//! The baseline, once per parent just before it: `t_reply - t0` of `KillSwitch.Status`.
//!
//! `cargo bench -p crossbar-integration-tests --bench submit_to_venue`; environment:
//! `SUBMIT_BENCH_ORDERS` (measured parents, default 300), `SUBMIT_BENCH_WARMUP` (unmeasured
//! parents first, default 20). Run without `--bench` (as `cargo test --all-targets` does) it
//! only says so and exits 0.

#[path = "../tests/e2e/mod.rs"]
#[allow(missing_docs, unused_imports)]
mod e2e;

use std::path::Path;
use std::time::{Duration, Instant};

use crossbar_api::proto::kill_switch_client::KillSwitchClient;
use crossbar_api::proto::orders_client::OrdersClient;
use crossbar_api::proto::{
    GetParentRequest, KillSwitchStatusRequest, OrderType, ParentOrder, Side as ApiSide, Strategy,
    SubmitParentRequest, TimeInForce,
};
use crossbar_journal::{Direction, JournalReader};
use crossbar_model::Side::{Buy, Sell};
use crossbar_sbe::{ExecType, Message};
use e2e::{Layout, Platform, Resting, Spec, DEADLINE};
use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};
use tonic::Request;

/// The aggregator's API token in `tests/e2e/mod.rs` (private there; a different value is
/// refused with UNAUTHENTICATED, so a drift fails the first call).
const TOKEN: &str = "platform-test-token-0123456789";
const SYMBOL: &str = "MSFT";
/// Best bid $9.99 and best offer $10.01, 1/10,000 $. A low price on purpose: the deploy
/// limits give MSFT a $20M daily credit notional (`risk.defaults.credit_notional`), a third of
/// it sliced to each gateway, so at $400 NASDAQ's slice ran out after ~166 parents of 100
/// shares (the parent then ends CANCELED with no child); at $10 it lasts ~6,600.
const BID: i64 = 99_900;
const ASK: i64 = 100_100;
/// Parents the NASDAQ credit slice above allows with margin.
const PARENTS_MAX: u64 = 5_000;
/// Shares resting on each side at NASDAQ: enough for 10,000 parents of [`QTY`] per side.
const DEPTH: u32 = 1_000_000;
/// How long a parent's child may take to show in the gateway's journal.
const CHILD_WAIT: Duration = Duration::from_secs(10);
/// Shares per parent.
const QTY: u32 = 100;

fn books() -> [Vec<Resting>; 3] {
    [
        vec![(SYMBOL, Buy, BID, DEPTH), (SYMBOL, Sell, ASK, DEPTH)],
        vec![],
        vec![],
    ]
}

fn env_count(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v}: not a count: {e}")),
        Err(_) => default,
    }
}

/// CLOCK_REALTIME, ns since the Unix epoch: the clock every Crossbar journal stamps with
/// (`crossbar_runtime::agent::wall_clock_ns`).
fn now_ns() -> u64 {
    crossbar_runtime::agent::wall_clock_ns()
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("ASCII token"),
    );
    request
}

/// The gateway journal's times for one parent's child, UTC ns: `t1` (the outbound OUCH
/// request), `t_ack` (the venue's first report), `t_venue` (that report's venue timestamp:
/// when the simulator read the Enter Order), and how many children the parent had there.
struct ChildTimes {
    request_ns: u64,
    report_ns: u64,
    venue_ns: u64,
    children: usize,
}

/// Scans `dir` from `from` for `parent`'s outbound NewChildOrder and the first inbound
/// ExecutionReport of that child; `None` until both are journalled. With the times, the
/// journal's next sequence (where the next scan starts).
fn child_times(dir: &Path, from: u64, parent: u64) -> Option<(ChildTimes, u64)> {
    // A live journal: a record being written can read as corrupt for a moment; look again.
    let reader = JournalReader::open(dir).ok()?;
    let mut request: Option<(u64, u64)> = None;
    let mut children = 0;
    let mut report: Option<(u64, Option<u64>, ExecType)> = None;
    for record in reader.records_from(from) {
        let Ok(message) = crossbar_sbe::decode(record.payload) else {
            continue;
        };
        match (record.direction, message) {
            (Direction::Outbound, Message::NewChildOrder(c)) if c.parent_order_id.0 == parent => {
                children += 1;
                request.get_or_insert((c.order_id.0, record.timestamp_ns));
            }
            (Direction::Inbound, Message::ExecutionReport(r))
                if request.is_some_and(|(id, _)| id == r.order_id.0) && report.is_none() =>
            {
                report = Some((record.timestamp_ns, r.venue_timestamp_ns, r.exec_type));
            }
            _ => {}
        }
    }
    let (_, request_ns) = request?;
    let (report_ns, venue_ns, exec_type) = report?;
    assert_eq!(
        exec_type,
        ExecType::New,
        "parent {parent}: the child's first report is the venue's Order Accepted"
    );
    let venue_ns = venue_ns.unwrap_or_else(|| {
        panic!("parent {parent}: the Accepted's ExecutionReport has no venueTimestampNs")
    });
    Some((
        ChildTimes {
            request_ns,
            report_ns,
            venue_ns,
            children,
        },
        reader.next_sequence(),
    ))
}

struct Histograms {
    to_request: Histogram<u64>,
    to_venue: Histogram<u64>,
    request_to_venue: Histogram<u64>,
    to_report: Histogram<u64>,
    submit_rtt: Histogram<u64>,
    status_rtt: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds")
}

fn row(name: &str, h: &Histogram<u64>) -> String {
    let us = |ns: u64| ns as f64 / 1_000.0;
    format!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        h.len(),
        us(h.value_at_quantile(0.50)),
        us(h.value_at_quantile(0.90)),
        us(h.value_at_quantile(0.99)),
        us(h.value_at_quantile(0.999)),
        us(h.max()),
        us(h.min()),
    )
}

async fn run(platform: &Platform, orders: u64, warmup: u64) -> Histograms {
    let channel: Channel = Endpoint::from_shared(format!("http://{}", platform.grpc))
        .expect("endpoint")
        .connect_timeout(DEADLINE)
        .timeout(DEADLINE)
        .connect()
        .await
        .expect("connect to the aggregator's gRPC API");
    let mut orders_api = OrdersClient::new(channel.clone());
    let mut kill = KillSwitchClient::new(channel);
    let journal = platform.journal("gw-nasdaq");
    let mut from = 1;
    let mut h = Histograms {
        to_request: histogram(),
        to_venue: histogram(),
        request_to_venue: histogram(),
        to_report: histogram(),
        submit_rtt: histogram(),
        status_rtt: histogram(),
    };
    let pid = std::process::id();
    for i in 0..warmup + orders {
        let measured = i >= warmup;

        let t0 = now_ns();
        kill.status(authorized(KillSwitchStatusRequest {}))
            .await
            .expect("KillSwitch.Status");
        let status_rtt = now_ns() - t0;

        let (side, price) = if i % 2 == 0 {
            (ApiSide::Buy, ASK)
        } else {
            (ApiSide::Sell, BID)
        };
        let request = authorized(SubmitParentRequest {
            instrument_symbol: SYMBOL.to_owned(),
            side: side as i32,
            qty: QTY,
            limit_price: price,
            order_type: OrderType::Limit as i32,
            time_in_force: TimeInForce::Ioc as i32,
            strategy: Strategy::Sweep as i32,
            client_order_id: format!("lat-{pid}-{i}"),
        });
        let t0 = now_ns();
        let parent: ParentOrder = orders_api
            .submit(request)
            .await
            .unwrap_or_else(|s| panic!("Orders.Submit #{i}: {s}"))
            .into_inner();
        let submit_rtt = now_ns() - t0;
        assert!(
            parent.reject_code.is_empty(),
            "parent #{i} rejected: {} {}",
            parent.reject_code,
            parent.reject_reason
        );

        let start = Instant::now();
        let (times, next) = loop {
            if let Some(found) = child_times(&journal, from, parent.parent_order_id) {
                break found;
            }
            if start.elapsed() > CHILD_WAIT {
                let now = orders_api
                    .get(authorized(GetParentRequest {
                        parent_order_id: parent.parent_order_id,
                    }))
                    .await
                    .map(|r| format!("{:?}", r.into_inner()));
                panic!(
                    "parent #{i}: no child request and venue report in gw-nasdaq's journal \
                     within {CHILD_WAIT:?}; the parent now: {now:?}"
                );
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        from = next;
        assert_eq!(times.children, 1, "parent #{i}: one child on NASDAQ");
        // One host clock: the gateway journals the request before writing it, the simulator
        // reads it after; the report is journalled after the request.
        assert!(
            times.request_ns >= t0
                && times.venue_ns >= times.request_ns
                && times.report_ns >= times.request_ns,
            "parent #{i}: t0 {t0} request {} venue {} report {}: clocks out of order",
            times.request_ns,
            times.venue_ns,
            times.report_ns
        );
        if measured {
            h.to_request.record(times.request_ns - t0).unwrap();
            h.to_venue.record(times.venue_ns - t0).unwrap();
            h.request_to_venue
                .record(times.venue_ns - times.request_ns)
                .unwrap();
            h.to_report.record(times.report_ns - t0).unwrap();
            h.submit_rtt.record(submit_rtt).unwrap();
            h.status_rtt.record(status_rtt).unwrap();
        }
        // One parent at a time: let the aggregator apply the fill before the next Submit.
        std::thread::sleep(Duration::from_millis(2));
    }
    h
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("submit_to_venue: a benchmark; run it with `cargo bench` (skipped)");
        return;
    }
    let orders = env_count("SUBMIT_BENCH_ORDERS", 300);
    let warmup = env_count("SUBMIT_BENCH_WARMUP", 20);
    assert!(orders > 0, "SUBMIT_BENCH_ORDERS must be > 0");
    assert!(
        orders + warmup <= PARENTS_MAX && (orders + warmup) * u64::from(QTY) <= u64::from(DEPTH),
        "at most {PARENTS_MAX} parents: the seeded book and the credit slice are sized for that"
    );

    let platform = Platform::start(Spec {
        test: "bench-submit",
        layout: Layout::Ipc,
        books: books(),
        centre_timeout_ms: 3_000,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let h = runtime.block_on(run(&platform, orders, warmup));

    // Exactly one venue was touched: BX and PSX never saw an order.
    for gw in ["gw-bx", "gw-psx"] {
        let reader = JournalReader::open(platform.journal(gw)).expect("open journal");
        let children = reader
            .records()
            .filter(|r| {
                r.direction == Direction::Outbound
                    && matches!(
                        crossbar_sbe::decode(r.payload),
                        Ok(Message::NewChildOrder(_))
                    )
            })
            .count();
        assert_eq!(children, 0, "{gw} sent {children} orders to its venue");
    }
    let counters = platform.stop();
    for c in &counters {
        assert_eq!(c.get("orders.malformed"), Some(&0), "{c:?}");
    }

    let p50 = |h: &Histogram<u64>| h.value_at_quantile(0.50) as f64;
    println!(
        "submit_to_venue: {orders} parents (after {warmup} warm-up), 1 child each on NASDAQ, \
         backoff idle in every process; microseconds"
    );
    println!("| measure | n | p50 | p90 | p99 | p99.9 | max | min |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "{}",
        row(
            "Submit -> child's OUCH Enter read by the venue (venue clock, t_venue - t0)",
            &h.to_venue
        )
    );
    println!(
        "{}",
        row(
            "Submit -> child OUCH request journalled at gateway (t1 - t0)",
            &h.to_request
        )
    );
    println!(
        "{}",
        row(
            "hop: gateway journal -> venue read (t_venue - t1)",
            &h.request_to_venue
        )
    );
    println!(
        "{}",
        row(
            "Submit -> venue's first report journalled at gateway (t_ack - t0)",
            &h.to_report
        )
    );
    println!("{}", row("Orders.Submit gRPC round trip", &h.submit_rtt));
    println!(
        "{}",
        row("baseline: KillSwitch.Status gRPC round trip", &h.status_rtt)
    );
    let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99) as f64;
    println!(
        "ratio p50: (t_venue - t0) / Status RTT = {:.2}; (t1 - t0) / Status RTT = {:.2}; \
         Submit RTT / Status RTT = {:.2}",
        p50(&h.to_venue) / p50(&h.status_rtt),
        p50(&h.to_request) / p50(&h.status_rtt),
        p50(&h.submit_rtt) / p50(&h.status_rtt)
    );
    println!(
        "ratio p99: (t_venue - t0) / Status RTT = {:.2}",
        p99(&h.to_venue) / p99(&h.status_rtt)
    );
}
