//! `crossbar-echo responder|initiator --config FILE`: the two sides of the SBE-over-Aeron
//! exchange (see the crate docs). Exit status: 0 success, 1 a message was lost or differed,
//! 2 bad configuration or set-up failure.

use clap::{Parser, Subcommand};
use crossbar_echo::config::EchoConfig;
use crossbar_echo::responder::{Responder, ResponderCounters};
use crossbar_echo::{initiator, REPLIES, REQUESTS};
use crossbar_runtime::agent::run_loop;
use crossbar_runtime::{init_logging, load_config, IdleStrategy, RunnerStats, ShutdownSignal};
use crossbar_transport::{Transport, TransportError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Exchange every Crossbar SBE message type between two processes over Aeron")]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Echo every decodable message from `requests` back on `replies` until SIGINT/SIGTERM.
    Responder {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Send one of every message type, check each echo, print the results.
    Initiator {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (path, is_responder) = match &cli.role {
        Role::Responder { config } => (config.clone(), true),
        Role::Initiator { config } => (config.clone(), false),
    };
    let config: EchoConfig = match load_config(path.as_deref()) {
        Ok(c) => c,
        Err(error) => {
            eprintln!("crossbar-echo: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = init_logging(&config.logging) {
        eprintln!("crossbar-echo: {error}");
        return ExitCode::from(2);
    }
    let mut transport = match start_transport(&config) {
        Ok(t) => t,
        Err(error) => {
            eprintln!("crossbar-echo: {error}");
            return ExitCode::from(2);
        }
    };
    if is_responder {
        respond(&config, &mut transport)
    } else {
        initiate(&config, &mut transport)
    }
}

/// Starts the transport; an external driver may not be up yet, so retry until the timeout.
fn start_transport(config: &EchoConfig) -> Result<Transport, TransportError> {
    let deadline = Instant::now() + Duration::from_millis(config.echo.connect_timeout_ms);
    loop {
        match Transport::start(config.transport.clone()) {
            Ok(t) => return Ok(t),
            Err(e @ TransportError::ClientConnect { .. })
                if !config.transport.embedded_driver && Instant::now() < deadline =>
            {
                tracing::info!(error = %e, "external driver not ready; retrying");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(e),
        }
    }
}

fn respond(config: &EchoConfig, transport: &mut Transport) -> ExitCode {
    let shutdown = match ShutdownSignal::install() {
        Ok(s) => s,
        Err(error) => {
            eprintln!("crossbar-echo: cannot install signal handlers: {error}");
            return ExitCode::from(2);
        }
    };
    let (requests, replies) = match (
        transport.add_subscription(REQUESTS),
        transport.add_publication(REPLIES),
    ) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("crossbar-echo: {e}");
            return ExitCode::from(2);
        }
    };
    let mut counter_set = crossbar_runtime::CounterSet::new();
    let counters = ResponderCounters::register(&mut counter_set);
    let mut responder = Responder::new(
        requests,
        replies,
        counters,
        IdleStrategy::new(config.echo.idle),
    );
    tracing::info!(aeron_dir = %config.transport.aeron_dir.display(), "responder ready");
    println!("responder ready");
    let stats = RunnerStats::default();
    run_loop(
        &mut responder,
        IdleStrategy::new(config.echo.idle),
        || shutdown.is_running(),
        &stats,
    );
    let c = responder.counters();
    println!(
        "responder: received={} echoed={} malformed={} echo_failed={} duty_cycle_ns_max={}",
        c.received.get(),
        c.echoed.get(),
        c.malformed.get(),
        c.echo_failed.get(),
        stats
            .duty_cycle_ns_max
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    ExitCode::SUCCESS
}

fn initiate(config: &EchoConfig, transport: &mut Transport) -> ExitCode {
    let report = match initiator::run(config, transport) {
        Ok(r) => r,
        Err(error) => {
            eprintln!("crossbar-echo: {error}");
            return ExitCode::from(1);
        }
    };
    if report.malformed_sent > 0 {
        println!(
            "{:<4} sent {} malformed buffers first (the responder must count and skip them)",
            report.label, report.malformed_sent
        );
    }
    for e in &report.exchanges {
        let rtt = e
            .round_trip_ns
            .map(|ns| format!("{:>9.1} us", ns as f64 / 1_000.0))
            .unwrap_or_else(|| "        - ".into());
        let verdict = match &e.failure {
            None => "ok".to_owned(),
            Some(why) => format!("FAILED {why}"),
        };
        println!(
            "{:<4} {:<17} {:>5} bytes  round trip {rtt}  {verdict}",
            report.label,
            e.kind.name(),
            e.bytes
        );
    }
    let ok = report
        .exchanges
        .iter()
        .filter(|e| e.failure.is_none())
        .count();
    println!(
        "{}: {ok}/{} message types echoed intact",
        report.label,
        report.exchanges.len()
    );
    if report.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
