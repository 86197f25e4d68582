//! Issue 4's centre round trip: gateway → aggregator → gateway through the real
//! `crossbar-aggregator` process, over Aeron IPC and over UDP, against a raw rusteron
//! ping-pong (`aeron-pingpong --modes raw,crossbar`) run with the same settings in the same
//! run. Method and results: `docs/bench/centre-round-trip.md`.
//!
//! The timed pair (harness: `tests/centre_round_trip.rs`, module `centre`): a gateway offers
//! the SBE ExecutionReport of an IOC child the venue cancelled with nothing filled; the
//! aggregator journals it, the router ends the child, re-plans the parent's leaves (Sweep over
//! the three venues' books) and sends the next IOC child, which is journaled and published on
//! NASDAQ's orders stream. Timed: just before the offer → the NewChildOrder polled off the
//! orders stream (`Instant`, ns). Each answer is checked field by field after the clock stops.
//! Parents (IOC, Sweep, 100 AAPL at $100.01) are submitted over gRPC, untimed; each gives
//! `max_children_per_parent − 1` = 63 timed round trips, then its last cancel ends it.
//!
//! Settings per medium, identical on both sides of the comparison (2-core machine):
//! * IPC: router thread and gateway busy-spin (the only two busy threads), one media driver
//!   (embedded in the aggregator / in ping), SHARED threading, yield idle;
//!   `aeron-pingpong --wait spin`.
//! * UDP: a driver per process (SHARED, yield), every loop yields;
//!   `aeron-pingpong --wait yield --udp-driver-per-process`.
//! * 4 MiB terms; ping-pong payload = the cancel report's encoded length.
//!
//! `cargo bench -p crossbar-integration-tests --bench centre_round_trip`; environment:
//! `CENTRE_BENCH_SAMPLES` (measured round trips per case, default 20,000),
//! `CENTRE_BENCH_WARMUP` (discarded first, default 2,000), `CENTRE_BENCH_MEDIA` (`ipc,udp`).
//! Run without `--bench` (as `cargo test --all-targets` does) it only says so and exits 0.

#[path = "../tests/centre_round_trip.rs"]
#[allow(missing_docs, dead_code)]
mod centre_round_trip;

use std::path::Path;
use std::process::Command;

use centre_round_trip::centre::{
    cancel_report_len, check_next_child, wall_ns, Centre, Medium, Wait, CHILDREN_PER_PARENT,
    TERM_LENGTH,
};
use crossbar_integration_tests::{binary, free_udp_port};
use hdrhistogram::Histogram;

/// p50, p99, p99.9, max, n of one case, ns.
#[derive(Clone, Copy, Debug)]
struct Row {
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    n: u64,
}

impl Row {
    fn of(h: &Histogram<u64>) -> Self {
        Self {
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            n: h.len(),
        }
    }
}

/// One medium's results.
struct Case {
    medium: Medium,
    raw: Row,
    transport: Row,
    ours: Row,
    counters: std::collections::BTreeMap<String, u64>,
}

fn env_count(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v}: not a count: {e}")),
        Err(_) => default,
    }
}

fn wait_of(medium: Medium) -> Wait {
    match medium {
        Medium::Ipc => Wait::Spin,
        Medium::Udp => Wait::Yield,
    }
}

/// Runs `aeron-pingpong` for one medium with this bench's settings and reads its table:
/// (raw, crossbar-transport) rows.
fn pingpong(exe: &Path, medium: Medium, size: usize, samples: u64, warmup: u64) -> (Row, Row) {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--iterations",
        &samples.to_string(),
        "--warmup",
        &warmup.to_string(),
        "--sizes",
        &size.to_string(),
        "--term-length",
        &TERM_LENGTH.to_string(),
        "--modes",
        "raw,crossbar",
    ]);
    match medium {
        Medium::Ipc => cmd.args(["--media", "ipc", "--wait", "spin"]),
        Medium::Udp => cmd.args([
            "--media",
            "udp",
            "--wait",
            "yield",
            "--udp-driver-per-process",
            "--udp-port",
            &free_udp_port().to_string(),
        ]),
    };
    let out = cmd.output().expect("run aeron-pingpong");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aeron-pingpong failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // | medium | bytes | mode | p50 ns | p99 ns | p99.9 ns | max ns | mean ns | n |
    let row = |mode: &str| {
        stdout
            .lines()
            .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
            .find(|c| c.len() == 11 && c[3] == mode && c[2] == size.to_string())
            .map(|c| {
                let num = |i: usize| c[i].parse::<u64>().expect("a number in the table");
                Row {
                    p50: num(4),
                    p99: num(5),
                    p999: num(6),
                    max: num(7),
                    n: num(9),
                }
            })
            .unwrap_or_else(|| panic!("no {mode} row in aeron-pingpong's table:\n{stdout}"))
    };
    (row("Raw"), row("Crossbar"))
}

/// Runs the centre round trip `warmup + samples` times; the histogram of the measured ones
/// and the aggregator's counters.
fn centre(
    aggregator: &Path,
    medium: Medium,
    samples: u64,
    warmup: u64,
) -> (Row, std::collections::BTreeMap<String, u64>) {
    let mut c = Centre::start(aggregator, medium, wait_of(medium), false);
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("bounds");
    let total = warmup + samples;
    let mut done = 0u64;
    while done < total {
        let (_, mut child) = c.new_parent();
        for _ in 1..CHILDREN_PER_PARENT {
            if done == total {
                break;
            }
            let (ns, answer) = c
                .gateways
                .round_trip(&child)
                .unwrap_or_else(|e| panic!("round trip {done}: {e}"));
            check_next_child(&child, &answer, wall_ns())
                .unwrap_or_else(|e| panic!("round trip {done}: {e}"));
            if done >= warmup {
                h.record(ns.max(1)).expect("in range");
            }
            done += 1;
            child = answer;
            c.between();
        }
        c.gateways.cancel_last(&child);
    }
    let counters = c.stop();
    for name in ["agg.refused", "agg.malformed", "agg.journal_failed"] {
        assert_eq!(counters.get(name), Some(&0), "{name}: {counters:?}");
    }
    (Row::of(&h), counters)
}

fn us(ns: u64) -> String {
    format!("{:.2}", ns as f64 / 1_000.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("centre_round_trip: a benchmark; run it with `cargo bench` (skipped)");
        return;
    }
    let samples = env_count("CENTRE_BENCH_SAMPLES", 20_000);
    let warmup = env_count("CENTRE_BENCH_WARMUP", 2_000);
    assert!(samples > 0, "CENTRE_BENCH_SAMPLES must be > 0");
    let media: Vec<Medium> = std::env::var("CENTRE_BENCH_MEDIA")
        .unwrap_or_else(|_| "ipc,udp".into())
        .split(',')
        .map(|m| match m.trim() {
            "ipc" => Medium::Ipc,
            "udp" => Medium::Udp,
            other => panic!("CENTRE_BENCH_MEDIA: unknown medium {other:?} (ipc, udp)"),
        })
        .collect();
    let aggregator = binary("crossbar-aggregator", "crossbar-aggregator");
    let pingpong_exe = binary("crossbar-transport", "aeron-pingpong");
    let size = cancel_report_len();

    let mut cases = Vec::new();
    for medium in media {
        eprintln!("{medium:?}: aeron-pingpong raw + crossbar, {size} B");
        let (raw, transport) = pingpong(&pingpong_exe, medium, size, samples, warmup);
        eprintln!("{medium:?}: centre round trip");
        let (ours, counters) = centre(&aggregator, medium, samples, warmup);
        cases.push(Case {
            medium,
            raw,
            transport,
            ours,
            counters,
        });
    }

    println!(
        "centre_round_trip: {samples} measured round trips per case after {warmup} warm-up; \
         cancel report {size} B (ping-pong payload); microseconds"
    );
    println!(
        "| transport | idle | raw p50 | raw p99 | raw p99.9 | ours p50 | ours p99 | ours p99.9 | \
         ours/raw p50 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for c in &cases {
        println!(
            "| {:?} | {:?} | {} | {} | {} | {} | {} | {} | {:.2} |",
            c.medium,
            wait_of(c.medium),
            us(c.raw.p50),
            us(c.raw.p99),
            us(c.raw.p999),
            us(c.ours.p50),
            us(c.ours.p99),
            us(c.ours.p999),
            c.ours.p50 as f64 / c.raw.p50.max(1) as f64
        );
    }
    println!();
    println!("| transport | case | n | p50 | p99 | p99.9 | max |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for c in &cases {
        for (name, r) in [
            ("raw rusteron ping-pong", c.raw),
            ("crossbar-transport ping-pong", c.transport),
            ("gateway -> aggregator -> gateway", c.ours),
        ] {
            println!(
                "| {:?} | {name} | {} | {} | {} | {} | {} |",
                c.medium,
                r.n,
                us(r.p50),
                us(r.p99),
                us(r.p999),
                us(r.max)
            );
        }
    }
    println!();
    for c in &cases {
        let get = |k: &str| c.counters.get(k).copied().unwrap_or(0);
        println!(
            "{:?} aggregator: duty_cycle_ns_max={} snapshots={} commands={} executions={} \
             journal.appends={}",
            c.medium,
            get("runner.duty_cycle_ns_max"),
            get("agg.snapshots"),
            get("agg.commands"),
            get("agg.executions"),
            get("journal.appends"),
        );
    }
}
