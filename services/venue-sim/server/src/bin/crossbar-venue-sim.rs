//! `crossbar-venue-sim --config FILE`: one NASDAQ-family venue (see the crate docs and
//! `docs/venue-sim.md`). Prints `VENUE_SIM_READY ...` once every socket is bound and
//! `VENUE_SIM_SEEDED ...` when the seed history is replayed. Exit status: 0 after SIGINT or
//! SIGTERM (feed End of Session sent, OUCH sessions ended), 2 bad configuration or a socket
//! that cannot be bound, 1 signal handlers that cannot be installed.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use crossbar_runtime::agent::run_loop;
use crossbar_runtime::process::prepare;
use crossbar_runtime::{IdleStrategy, RunnerStats};
use crossbar_venue_sim::config::VenueSimConfig;
use crossbar_venue_sim::control::ControlPlane;
use crossbar_venue_sim::Venue;

#[derive(Parser)]
#[command(
    about = "NASDAQ-family venue simulator: ITCH/MoldUDP64 feed, OUCH/SoupBinTCP order entry"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("crossbar-venue-sim: {error}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (config, shutdown) = match prepare(
        "crossbar-venue-sim",
        cli.config.as_deref(),
        |config: VenueSimConfig| config.validate().map(|()| config),
        |config| &config.logging,
    ) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let control_listener = match TcpListener::bind(config.control_addr) {
        Ok(l) => l,
        Err(error) => {
            return fail(format!(
                "VSIM_SOCKET what=control addr={} error={error}",
                config.control_addr
            ))
        }
    };
    let control_addr = match control_listener.local_addr() {
        Ok(a) => a,
        Err(error) => return fail(format!("VSIM_SOCKET what=control error={error}")),
    };
    let (plane, inbox) = ControlPlane::new(
        config.control.queue_capacity,
        Duration::from_millis(config.control.reply_timeout_ms),
        config.control.connections_max,
    );
    let idle = config.idle;
    let name = config.venue.as_str();
    let mut venue = match Venue::new(config, Some(inbox)) {
        Ok(v) => v,
        Err(error) => return fail(error),
    };
    if let Err(error) = plane.spawn(control_listener) {
        return fail(format!("VSIM_THREAD what=control error={error}"));
    }
    let addrs = venue.addrs();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "VENUE_SIM_READY venue={name} feed={} request={} ouch={} control={control_addr}",
            addrs.feed, addrs.request, addrs.ouch
        );
        let _ = out.flush();
    }
    let stats = RunnerStats::default();
    run_loop(
        &mut venue,
        IdleStrategy::new(idle),
        || shutdown.is_running(),
        &stats,
    );
    let _ = writeln!(std::io::stdout().lock(), "VENUE_SIM_STOPPED venue={name}");
    ExitCode::SUCCESS
}
