//! `crossbar-aggregator --config FILE`: the central aggregator (see the crate docs and
//! `docs/aggregator.md`).
//!
//! Replays its journal, starts Aeron and the gRPC server, prints
//! `AGGREGATOR_READY grpc=<addr> replayed=<records>` on stdout, runs the router agent on the
//! main thread until SIGINT or SIGTERM, then prints `AGGREGATOR_COUNTERS name=value ...` and
//! exits 0. Exit 2: bad configuration (`CONFIG_INVALID key=... reason=...` on stderr); exit 1:
//! start-up failed (`AGGREGATOR_START_FAILED ...`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Parser;
use crossbar_aggregator::config::AggregatorConfig;
use crossbar_aggregator::startup::start;
use crossbar_runtime::agent::run_loop;
use crossbar_runtime::process::{counters_line, prepare};
use crossbar_runtime::{IdleStrategy, RunnerStats};

#[derive(Parser)]
#[command(about = "Crossbar aggregator: router core, journal, operator gRPC API over Aeron")]
struct Cli {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (settings, shutdown) = match prepare(
        "crossbar-aggregator",
        cli.config.as_deref(),
        |config: AggregatorConfig| config.validate(),
        |s| &s.config.logging,
    ) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let mut aggregator = match start(&settings) {
        Ok(a) => a,
        Err(error) => {
            eprintln!("crossbar-aggregator: AGGREGATOR_START_FAILED {error}");
            return ExitCode::from(1);
        }
    };
    println!(
        "AGGREGATOR_READY grpc={} replayed={}",
        aggregator.grpc_addr, aggregator.replay.records
    );
    let stats = RunnerStats::default();
    run_loop(
        &mut aggregator.agent,
        IdleStrategy::new(settings.config.idle),
        || shutdown.is_running(),
        &stats,
    );
    aggregator.api_running.store(false, Ordering::Release);
    // Graceful gRPC shutdown waits for clients to close their connections; give it a
    // moment, then exit regardless (the process ends the connections).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !aggregator.api_thread.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let line = counters_line(
        "AGGREGATOR_COUNTERS",
        aggregator
            .counters
            .snapshot()
            .into_iter()
            .chain(aggregator.transport.counters().snapshot()),
        stats.duty_cycle_ns_max.load(Ordering::Relaxed),
    );
    println!("{line}");
    ExitCode::SUCCESS
}
