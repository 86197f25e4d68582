//! `journal-test-writer DIR SEGMENT_SIZE_BYTES`: appends records to the journal in `DIR`
//! forever (until killed), printing each record's sequence number on stdout, one per line,
//! after `append` returned it. Used by the crash test (`tests/crash.rs`), which SIGKILLs it
//! mid-stream and checks every printed sequence survived. The payload of sequence `s` is
//! [`payload_for`]`(s)`, so the test can check each record is intact, not only present.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use crossbar_journal::{Direction, Journal, JournalConfig};
use crossbar_runtime::CounterSet;

/// Deterministic payload for sequence `s`: 24..=151 bytes, each `(s * 31 + i) as u8`.
fn payload_for(s: u64, out: &mut [u8; 160]) -> usize {
    let len = 24 + (s % 128) as usize;
    for (i, b) in out[..len].iter_mut().enumerate() {
        *b = (s.wrapping_mul(31).wrapping_add(i as u64)) as u8;
    }
    len
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(Ok(segment_size_bytes))) = (args.get(1), args.get(2).map(|s| s.parse()))
    else {
        eprintln!("usage: journal-test-writer DIR SEGMENT_SIZE_BYTES");
        return ExitCode::from(2);
    };
    let config = JournalConfig {
        segment_size_bytes,
        ..JournalConfig::in_dir(dir)
    };
    let mut journal = match Journal::open(&config, &mut CounterSet::new()) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("journal-test-writer: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut payload = [0u8; 160];
    let mut timestamp_ns = 1_709_303_400_000_000_000u64;
    loop {
        let sequence = journal.next_sequence();
        let len = payload_for(sequence, &mut payload);
        timestamp_ns += 1_000;
        let direction = if sequence.is_multiple_of(2) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        match journal.append(
            direction,
            (sequence % 7) as u16,
            timestamp_ns,
            &payload[..len],
        ) {
            Ok(appended) => {
                if writeln!(out, "{appended}")
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return ExitCode::SUCCESS;
                }
            }
            Err(e) => {
                eprintln!("journal-test-writer: error: {e}");
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = journal.maintain(timestamp_ns) {
            eprintln!("journal-test-writer: error: {e}");
            return ExitCode::FAILURE;
        }
    }
}
