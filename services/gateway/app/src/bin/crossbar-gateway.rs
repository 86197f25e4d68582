//! `crossbar-gateway --config FILE`: one venue's gateway (see the crate docs and
//! `docs/gateway.md`).
//!
//! After replaying a non-empty journal prints `GATEWAY_RECOVERED records=.. orders_sent=..
//! venue_reports=.. live_orders=.. next_user_ref_num=.. venue_session=.. resume_sequence=..`.
//! Prints `GATEWAY_READY venue=<name> gateway_id=<n> feed=<addr> feed_rcvbuf=<bytes>` once the Aeron streams are
//! added and the feed sockets bound, runs the hot-path agent on the main thread until SIGINT
//! or SIGTERM, then returns unused credit (CreditReturn), flushes the journal, prints `GATEWAY_COUNTERS name=value ...` and exits 0. Exit 2: bad
//! configuration (`CONFIG_INVALID key=... reason=...` on stderr); exit 1: start-up failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use clap::Parser;
use crossbar_gateway::config::GatewayConfig;
use crossbar_gateway::settings::validate;
use crossbar_gateway::startup::{start, StartError};
use crossbar_runtime::agent::run_loop;
use crossbar_runtime::process::{counters_line, prepare};
use crossbar_runtime::{IdleStrategy, RunnerStats};

#[derive(Parser)]
#[command(about = "Crossbar per-venue gateway: feed, book, risk, order entry over Aeron")]
struct Cli {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (settings, shutdown) = match prepare(
        "crossbar-gateway",
        cli.config.as_deref(),
        |config: GatewayConfig| validate(config),
        |s| &s.config.logging,
    ) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let mut gateway = match start(&settings) {
        Ok(g) => g,
        Err(error @ StartError::Config(_)) => {
            eprintln!("crossbar-gateway: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("crossbar-gateway: GATEWAY_START_FAILED {error}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(
        venue = %settings.config.venue,
        gateway_id = settings.gateway_id.0,
        feed = %gateway.feed_addr,
        "gateway ready"
    );
    let r = &gateway.recovered;
    if r.records > 0 {
        println!(
            "GATEWAY_RECOVERED records={} orders_sent={} venue_reports={} live_orders={} \
             next_user_ref_num={} venue_session={} resume_sequence={}",
            r.records,
            r.orders_sent,
            r.venue_reports,
            gateway.agent.session().router().live_orders(),
            gateway.agent.session().router().next_user_ref_num(),
            String::from_utf8_lossy(&r.venue_session),
            r.last_venue_sequence + 1
        );
    }
    println!(
        "GATEWAY_READY venue={} gateway_id={} feed={} feed_rcvbuf={}",
        settings.config.venue,
        settings.gateway_id.0,
        gateway.feed_addr,
        gateway.feed_receive_buffer_bytes
    );
    let stats = RunnerStats::default();
    run_loop(
        &mut gateway.agent,
        IdleStrategy::new(settings.config.idle),
        || shutdown.is_running(),
        &stats,
    );
    gateway
        .agent
        .shutdown(crossbar_runtime::agent::wall_clock_ns());
    let line = counters_line(
        "GATEWAY_COUNTERS",
        gateway.counters.snapshot(),
        stats.duty_cycle_ns_max.load(Ordering::Relaxed),
    );
    println!("{line}");
    ExitCode::SUCCESS
}
