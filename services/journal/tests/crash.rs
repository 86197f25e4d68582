//! A real writer process SIGKILLed mid-stream: every record it reported as appended survives
//! intact, and a new writer continues the sequence.
//!
//! The child is `journal-test-writer` (src/bin/journal_test_writer.rs): it appends forever
//! and prints each sequence after `append` returned it. The kill lands wherever the child
//! is, usually between or inside appends; the pages it wrote live in the page cache, so the
//! mapping survives the process (docs/journal.md "Durability").

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crossbar_journal::{Direction, Journal, JournalConfig, JournalReader};
use crossbar_runtime::CounterSet;

const SEGMENT: u64 = 64 * 1024;

/// Same formula as the writer binary's `payload_for`.
fn payload_for(s: u64) -> Vec<u8> {
    let len = 24 + (s % 128) as usize;
    (0..len)
        .map(|i| (s.wrapping_mul(31).wrapping_add(i as u64)) as u8)
        .collect()
}

/// Runs one writer over `dir` until it has reported `at_least` sequences, SIGKILLs it, and
/// returns every sequence it printed (including the ones still in the pipe).
fn run_and_kill(dir: &std::path::Path, at_least: u64) -> Vec<u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_journal-test-writer"))
        .arg(dir)
        .arg(SEGMENT.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn journal-test-writer");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let seq: u64 = line.trim().parse().expect("writer prints sequences");
            seen.push(seq);
            let _ = tx.send(seq);
        }
        seen
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(seq) if seq >= at_least => break,
            Ok(_) => {}
            Err(e) => {
                let _ = child.kill();
                panic!("writer stopped reporting: {e}");
            }
        }
        assert!(std::time::Instant::now() < deadline, "writer too slow");
    }
    child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status:?}");
    reader.join().unwrap()
}

fn check_intact(dir: &std::path::Path, reported: &[u64]) -> u64 {
    let reader = JournalReader::open(dir).expect("journal readable after SIGKILL");
    let last = reader.last_sequence().expect("records present");
    let max_reported = *reported.iter().max().unwrap();
    assert!(
        last >= max_reported,
        "reported {max_reported} but journal ends at {last}"
    );
    let mut expected = 1;
    for record in reader.records() {
        assert_eq!(record.sequence, expected);
        assert_eq!(
            record.payload,
            payload_for(expected),
            "payload of {expected}"
        );
        expected += 1;
    }
    for seq in reported {
        assert!(*seq < expected, "reported {seq} missing");
    }
    last
}

#[test]
fn sigkilled_writer_loses_nothing_it_reported_and_appending_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let first = run_and_kill(tmp.path(), 3_000);
    assert!(first.len() >= 3_000);
    assert_eq!(first[0], 1);
    let last = check_intact(tmp.path(), &first);
    let segments = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".journal")
        })
        .count();
    assert!(segments >= 3, "the writer rolled segments before the kill");

    // A second writer process continues the sequence, and is killed too.
    let second = run_and_kill(tmp.path(), last + 2_000);
    assert_eq!(
        second[0],
        last + 1,
        "second writer resumed after the last record"
    );
    let last = check_intact(tmp.path(), &second);

    // And an in-process writer continues after that.
    let config = JournalConfig {
        segment_size_bytes: SEGMENT,
        ..JournalConfig::in_dir(tmp.path())
    };
    let mut journal = Journal::open(&config, &mut CounterSet::new()).unwrap();
    assert_eq!(journal.next_sequence(), last + 1);
    let s = journal.next_sequence();
    assert_eq!(
        journal
            .append(Direction::Inbound, 0, 1, &payload_for(s))
            .unwrap(),
        last + 1
    );
    drop(journal);
    check_intact(tmp.path(), &[last + 1]);
}
