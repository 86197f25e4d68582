//! The control channel: a TCP line protocol on `control_addr`, served by a control-plane
//! thread (one thread per connection, bounded) that parses each line and hands the command
//! to the engine thread through a bounded queue; the engine stays the only writer of venue
//! state and answers through a one-slot reply channel.
//!
//! Protocol (one command per line, one reply line per command, ASCII):
//!
//! | command | effect | reply |
//! |---|---|---|
//! | `ping` | — | `ok {"pong":true}` |
//! | `status` | — | `ok {...}` (next feed sequence, seeding, sessions, orders, fills, fees) |
//! | `book <SYMBOL> [depth]` | — | `ok {"symbol":..,"bids":[{"price":..,"qty":..,"orders":..}],"asks":[..]}` |
//! | `drop <from_seq> <to_seq>` | live feed withholds that inclusive range (request server still serves it) | `ok {"from":..,"to":..}` |
//! | `delay <ms>` | every live-feed message held `ms` after sequencing (0 removes) | `ok {"delay_ms":..}` |
//! | `pause` / `resume` / `clear` | feed silence / end it / remove every feed fault | `ok {}` |
//! | `cut <username\|all>` | closes those OUCH TCP connections without a goodbye | `ok {"cut":n}` |
//!
//! Errors: `err <CODE> <reason>`; a refused command changes nothing. Codes:
//! `VSIM_BAD_COMMAND`, `VSIM_UNKNOWN_SYMBOL`, `VSIM_UNKNOWN_ACCOUNT`, `VSIM_DROP_REFUSED`,
//! `VSIM_BUSY` (queue full), `VSIM_TIMEOUT`, `VSIM_STOPPING`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Longest command line accepted, bytes.
pub const LINE_LEN_MAX: usize = 256;
/// Most levels per side `book` returns.
pub const BOOK_DEPTH_MAX: usize = 1_000;
/// `book` depth when none is given.
pub const BOOK_DEPTH_DEFAULT: usize = 10;
/// Longest `delay`, ms.
pub const DELAY_MS_MAX: u64 = 60_000;

/// One parsed control command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Liveness of the engine thread.
    Ping,
    /// Venue state as JSON.
    Status,
    /// Aggregated levels of one symbol, up to `depth` per side.
    Book {
        /// The symbol as the client would send it (1-8 characters).
        symbol: String,
        /// Levels per side, 1..=[`BOOK_DEPTH_MAX`].
        depth: usize,
    },
    /// Withhold feed sequence numbers `from..=to` from the live feed.
    Drop {
        /// First sequence number withheld (≥ 1).
        from: u64,
        /// Last sequence number withheld (≥ `from`).
        to: u64,
    },
    /// Hold each live-feed message `ms` after it was sequenced.
    Delay {
        /// Added latency, ms, 0..=[`DELAY_MS_MAX`].
        ms: u64,
    },
    /// Silence the live feed (no data, no heartbeats).
    Pause,
    /// End a pause.
    Resume,
    /// Remove every feed fault.
    Clear,
    /// Close the TCP connections of one account (`Some`) or all connections (`None`).
    Cut {
        /// The username, or `None` for `all`.
        username: Option<String>,
    },
}

/// A refused line: a stable code and a reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}")]
pub struct ControlError {
    /// Stable code, `VSIM_...`.
    pub code: &'static str,
    /// Human-readable context, `key=value` where useful.
    pub reason: String,
}

impl ControlError {
    /// A `VSIM_BAD_COMMAND`.
    pub fn bad(reason: impl Into<String>) -> Self {
        Self {
            code: "VSIM_BAD_COMMAND",
            reason: reason.into(),
        }
    }
}

fn number<T: std::str::FromStr>(what: &str, text: Option<&str>) -> Result<T, ControlError> {
    let text = text.ok_or_else(|| ControlError::bad(format!("missing {what}")))?;
    text.parse()
        .map_err(|_| ControlError::bad(format!("{what}={text:?} is not a non-negative integer")))
}

/// Parses one line (without its line end).
///
/// # Errors
/// [`ControlError`] `VSIM_BAD_COMMAND` naming what is wrong: unknown verb, missing or extra
/// argument, a number that does not parse or is out of range.
pub fn parse_command(line: &str) -> Result<Command, ControlError> {
    let mut words = line.split_ascii_whitespace();
    let verb = words
        .next()
        .ok_or_else(|| ControlError::bad("empty line"))?;
    let command = match verb {
        "ping" => Command::Ping,
        "status" => Command::Status,
        "pause" => Command::Pause,
        "resume" => Command::Resume,
        "clear" => Command::Clear,
        "book" => {
            let symbol = words
                .next()
                .ok_or_else(|| ControlError::bad("missing symbol"))?;
            if symbol.len() > 8 || !symbol.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ControlError::bad(format!(
                    "symbol={symbol:?} is not 1-8 printable ASCII characters"
                )));
            }
            let depth = match words.next() {
                None => BOOK_DEPTH_DEFAULT,
                Some(text) => number("depth", Some(text))?,
            };
            if !(1..=BOOK_DEPTH_MAX).contains(&depth) {
                return Err(ControlError::bad(format!(
                    "depth={depth} is outside 1..={BOOK_DEPTH_MAX}"
                )));
            }
            Command::Book {
                symbol: symbol.to_owned(),
                depth,
            }
        }
        "drop" => {
            let from: u64 = number("from_seq", words.next())?;
            let to: u64 = number("to_seq", words.next())?;
            if from == 0 || to < from {
                return Err(ControlError::bad(format!(
                    "range {from}..={to} is empty or starts at 0 (sequence numbers start at 1)"
                )));
            }
            Command::Drop { from, to }
        }
        "delay" => {
            let ms: u64 = number("ms", words.next())?;
            if ms > DELAY_MS_MAX {
                return Err(ControlError::bad(format!(
                    "ms={ms} is above {DELAY_MS_MAX}"
                )));
            }
            Command::Delay { ms }
        }
        "cut" => {
            let who = words
                .next()
                .ok_or_else(|| ControlError::bad("missing username or all"))?;
            Command::Cut {
                username: (who != "all").then(|| who.to_owned()),
            }
        }
        other => {
            return Err(ControlError::bad(format!(
                "unknown command {other:?} (ping status book drop delay pause resume clear cut)"
            )))
        }
    };
    if let Some(extra) = words.next() {
        return Err(ControlError::bad(format!(
            "unexpected argument {extra:?} after {verb}"
        )));
    }
    Ok(command)
}

/// The reply line for a result, without the line end: `ok <json>` or `err <CODE> <reason>`.
pub fn reply_line(result: &Result<serde_json::Value, ControlError>) -> String {
    match result {
        Ok(json) => format!("ok {json}"),
        Err(e) => format!("err {} {}", e.code, e.reason),
    }
}

/// A command on its way to the engine, with the channel its answer goes back on.
#[derive(Debug)]
pub struct ControlRequest {
    /// The command.
    pub command: Command,
    /// Where the engine answers (capacity 1; the engine never blocks on it).
    pub reply: SyncSender<Result<serde_json::Value, ControlError>>,
}

/// The engine's end of the control queue.
pub type ControlInbox = Receiver<ControlRequest>;

/// The control-plane side: accepts connections on `listener` and serves each on its own
/// thread (at most `connections_max` at once), forwarding parsed commands to the engine
/// through `queue`. Runs until the process exits.
#[derive(Clone, Debug)]
pub struct ControlPlane {
    queue: SyncSender<ControlRequest>,
    reply_timeout: Duration,
    connections: Arc<AtomicUsize>,
    connections_max: usize,
}

impl ControlPlane {
    /// A control plane and the engine's inbox, with a queue of `capacity` commands.
    pub fn new(
        capacity: usize,
        reply_timeout: Duration,
        connections_max: usize,
    ) -> (Self, ControlInbox) {
        let (queue, inbox) = sync_channel(capacity);
        let plane = Self {
            queue,
            reply_timeout,
            connections: Arc::new(AtomicUsize::new(0)),
            connections_max,
        };
        (plane, inbox)
    }

    /// Spawns the accept thread.
    ///
    /// # Errors
    /// The OS error when the thread cannot be spawned.
    pub fn spawn(self, listener: TcpListener) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("vsim-control".into())
            .spawn(move || self.accept_loop(listener))
            .map(|_| ())
    }

    fn accept_loop(self, listener: TcpListener) {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if self.connections.fetch_add(1, Ordering::AcqRel) >= self.connections_max {
                self.connections.fetch_sub(1, Ordering::AcqRel);
                let _ = writeln!(
                    stream,
                    "err VSIM_TOO_MANY_CONNECTIONS max={}",
                    self.connections_max
                );
                continue;
            }
            let plane = self.clone();
            let spawned = std::thread::Builder::new()
                .name("vsim-ctl-conn".into())
                .spawn(move || {
                    plane.serve(stream);
                    plane.connections.fetch_sub(1, Ordering::AcqRel);
                });
            if spawned.is_err() {
                self.connections.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    fn serve(&self, stream: TcpStream) {
        let Ok(mut writer) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut line = Vec::with_capacity(LINE_LEN_MAX);
        loop {
            line.clear();
            match Read::take(&mut reader, LINE_LEN_MAX as u64 + 1).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let result = if line.len() > LINE_LEN_MAX && line.last() != Some(&b'\n') {
                // Skip the rest of the over-long line before answering.
                let mut rest = Vec::new();
                if reader.read_until(b'\n', &mut rest).is_err() {
                    return;
                }
                Err(ControlError::bad(format!(
                    "line longer than {LINE_LEN_MAX} bytes"
                )))
            } else {
                match std::str::from_utf8(&line) {
                    Ok(text) => self.execute(text.trim_end_matches(['\n', '\r'])),
                    Err(_) => Err(ControlError::bad("line is not UTF-8")),
                }
            };
            if writeln!(writer, "{}", reply_line(&result)).is_err() {
                return;
            }
        }
    }

    /// Parses `line`, hands it to the engine and waits for the answer.
    pub fn execute(&self, line: &str) -> Result<serde_json::Value, ControlError> {
        let command = parse_command(line)?;
        let (reply, answer) = sync_channel(1);
        match self.queue.try_send(ControlRequest { command, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(ControlError {
                    code: "VSIM_BUSY",
                    reason: "control queue full; retry".into(),
                })
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(ControlError {
                    code: "VSIM_STOPPING",
                    reason: "engine thread has stopped".into(),
                })
            }
        }
        match answer.recv_timeout(self.reply_timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(ControlError {
                code: "VSIM_TIMEOUT",
                reason: format!("no answer within {} ms", self.reply_timeout.as_millis()),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(ControlError {
                code: "VSIM_STOPPING",
                reason: "engine thread has stopped".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_commands_parse() {
        assert_eq!(parse_command("ping"), Ok(Command::Ping));
        assert_eq!(parse_command("  status  "), Ok(Command::Status));
        assert_eq!(
            parse_command("book AAPL"),
            Ok(Command::Book {
                symbol: "AAPL".into(),
                depth: BOOK_DEPTH_DEFAULT
            })
        );
        assert_eq!(
            parse_command("book MSFT 3"),
            Ok(Command::Book {
                symbol: "MSFT".into(),
                depth: 3
            })
        );
        assert_eq!(
            parse_command("drop 5 5"),
            Ok(Command::Drop { from: 5, to: 5 })
        );
        assert_eq!(parse_command("delay 0"), Ok(Command::Delay { ms: 0 }));
        assert_eq!(
            parse_command("cut all"),
            Ok(Command::Cut { username: None })
        );
        assert_eq!(
            parse_command("cut USER01"),
            Ok(Command::Cut {
                username: Some("USER01".into())
            })
        );
        assert_eq!(parse_command("clear"), Ok(Command::Clear));
    }

    #[test]
    fn bad_commands_are_refused_with_a_reason() {
        let cases = [
            ("", "empty line"),
            ("frobnicate", "unknown command \"frobnicate\""),
            ("drop 5", "missing to_seq"),
            ("drop 0 3", "starts at 0"),
            ("drop 9 3", "is empty"),
            ("drop x 3", "from_seq=\"x\" is not a non-negative integer"),
            ("drop -1 3", "is not a non-negative integer"),
            ("delay 60001", "ms=60001 is above 60000"),
            ("book", "missing symbol"),
            ("book TOOLONGSYM", "not 1-8 printable"),
            ("book AAPL 0", "depth=0 is outside"),
            ("book AAPL 2 3", "unexpected argument \"3\""),
            ("ping now", "unexpected argument"),
            ("cut", "missing username"),
        ];
        for (line, want) in cases {
            let err = parse_command(line).unwrap_err();
            assert_eq!(err.code, "VSIM_BAD_COMMAND", "{line}");
            assert!(err.reason.contains(want), "{line}: {}", err.reason);
        }
        let line = reply_line(&Err(ControlError::bad("missing symbol")));
        assert_eq!(line, "err VSIM_BAD_COMMAND missing symbol");
        assert_eq!(
            reply_line(&Ok(serde_json::json!({"pong": true}))),
            "ok {\"pong\":true}"
        );
    }

    #[test]
    fn a_full_queue_an_unanswered_command_and_a_stopped_engine_are_reported() {
        let (plane, inbox) = ControlPlane::new(1, Duration::from_millis(50), 1);
        let (reply, _answer) = sync_channel(1);
        plane
            .queue
            .try_send(ControlRequest {
                command: Command::Ping,
                reply,
            })
            .unwrap();
        assert_eq!(plane.execute("status").unwrap_err().code, "VSIM_BUSY");
        let probe = inbox.try_recv().unwrap();
        assert_eq!(probe.command, Command::Ping);
        assert_eq!(plane.execute("ping").unwrap_err().code, "VSIM_TIMEOUT");
        let unanswered = inbox.try_recv().unwrap();
        assert_eq!(unanswered.command, Command::Ping);
        drop(inbox);
        assert_eq!(plane.execute("ping").unwrap_err().code, "VSIM_STOPPING");
        assert_eq!(
            plane.execute("nonsense").unwrap_err().code,
            "VSIM_BAD_COMMAND",
            "parse errors never reach the engine"
        );
    }
}
