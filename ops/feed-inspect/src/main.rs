//! # feed-inspect
//!
//! Decodes venue market-data captures to JSON lines (one object per message, every field of
//! the message type) and reports a per-type census. One subcommand, and one module, per
//! protocol:
//!
//! * `feed-inspect itch <FILE>`: NASDAQ TotalView-ITCH 5.0 (spec "Nasdaq TotalView-ITCH 5.0"
//!   §1.1–§1.8), from a day file (2-byte length-prefixed frames) or from a pcap/pcapng of
//!   MoldUDP64 packets ("MoldUDP64 Protocol Specification V 1.00"). See [`itch`].
//!
//! Later venues (NYSE Pillar XDP, Cboe PITCH) add a variant to [`Command`] and a module beside
//! [`itch`]; the output writer ([`output`]), skip reporting ([`skips`]) and errors ([`error`])
//! are shared.
//!
//! Exit status: 0 when the file was read (even if malformed messages were counted and
//! skipped), 1 with an `error: <STABLE_CODE> ...` line on stderr when the file cannot be
//! opened, read or recognised, 2 for usage errors (clap). A closed stdout (`| head`) ends the
//! run quietly with status 0.
//!
//! Usage and the output schema: `docs/feed-inspect.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod itch;
mod output;
mod skips;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::InspectError;

/// Command line: one subcommand per protocol.
#[derive(Debug, Parser)]
#[command(
    name = "feed-inspect",
    version,
    about = "Decode venue market-data captures to JSON lines with a per-type census"
)]
struct Cli {
    /// The protocol to decode.
    #[command(subcommand)]
    command: Command,
}

/// The protocols `feed-inspect` decodes.
#[derive(Debug, Subcommand)]
enum Command {
    /// NASDAQ TotalView-ITCH 5.0: a day file or a pcap/pcapng of MoldUDP64 packets.
    Itch(itch::ItchArgs),
}

fn run(cli: Cli) -> Result<(), InspectError> {
    match cli.command {
        Command::Itch(args) => itch::run(&args),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_closed_output() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feed-inspect: error: {e}");
            ExitCode::FAILURE
        }
    }
}
