//! The journal on real files: round trips across segment rolls, reopen, torn tails,
//! mid-journal corruption, locking, limits, flush and the reader.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crossbar_journal::limits::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, SEGMENT_SIZE_MIN};
use crossbar_journal::{Direction, Journal, JournalConfig, JournalError, JournalReader};
use crossbar_runtime::CounterSet;

const T0: u64 = 1_709_303_400_000_000_000;

fn config(dir: &Path) -> JournalConfig {
    JournalConfig {
        segment_size_bytes: SEGMENT_SIZE_MIN,
        pretouch: false,
        ..JournalConfig::in_dir(dir)
    }
}

/// Payload for sequence `s`: 17..=316 bytes derived from `s`, so content is checkable.
fn payload(s: u64) -> Vec<u8> {
    let len = 17 + (s * 37 % 300) as usize;
    (0..len).map(|i| (s as usize * 13 + i) as u8).collect()
}

fn append_n(journal: &mut Journal, n: u64) {
    for _ in 0..n {
        let s = journal.next_sequence();
        let dir = if s.is_multiple_of(3) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        let got = journal
            .append(dir, (s % 5) as u16, T0 + s, &payload(s))
            .unwrap();
        assert_eq!(got, s);
    }
}

fn assert_records(dir: &Path, from: u64, last: u64) {
    let reader = JournalReader::open(dir).unwrap();
    let mut expected = from;
    for r in reader.records_from(from) {
        assert_eq!(r.sequence, expected);
        assert_eq!(r.payload, payload(expected), "payload of {expected}");
        assert_eq!(r.timestamp_ns, T0 + expected);
        assert_eq!(r.source_id, (expected % 5) as u16);
        let dir = if expected.is_multiple_of(3) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        assert_eq!(r.direction, dir);
        expected += 1;
    }
    assert_eq!(expected, last + 1, "records {from}..={last}");
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "journal"))
        .collect();
    v.sort();
    v
}

/// `(offset, payload_len)` of every record in a segment file, walking headers.
fn record_offsets(segment: &Path) -> Vec<(usize, usize)> {
    let bytes = std::fs::read(segment).unwrap();
    let mut out = Vec::new();
    let mut offset = SEGMENT_HEADER_LEN;
    while offset + RECORD_HEADER_LEN <= bytes.len() {
        let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        out.push((offset, len));
        offset += (RECORD_HEADER_LEN + len).div_ceil(8) * 8;
    }
    out
}

fn patch(path: &Path, offset: usize, bytes: &[u8]) {
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(offset as u64)).unwrap();
    f.write_all(bytes).unwrap();
}

fn open(dir: &Path) -> Result<Journal, JournalError> {
    Journal::open(&config(dir), &mut CounterSet::new())
}

#[test]
fn round_trip_across_segment_rolls_and_from_any_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let mut counters = CounterSet::new();
    let mut journal = Journal::open(&config(tmp.path()), &mut counters).unwrap();
    assert_eq!(journal.last_sequence(), None);
    append_n(&mut journal, 2_000);
    journal.maintain(T0).unwrap();
    let rolls = journal.counts().segment_rolls;
    assert!(
        rolls >= 5,
        "2,000 records of ~180 B in 64 KiB segments roll; got {rolls}"
    );
    assert_eq!(counters.value("journal.appends"), Some(2_000));
    assert_eq!(counters.value("journal.segment_rolls"), Some(rolls));
    let files = segments(tmp.path());
    assert_eq!(files.len() as u64, rolls + 1);
    assert!(files[0].ends_with("00000000000000000001.journal"));
    for f in &files {
        assert_eq!(
            std::fs::metadata(f).unwrap().len(),
            SEGMENT_SIZE_MIN,
            "pre-allocated"
        );
    }
    assert_records(tmp.path(), 1, 2_000);
    // Start in the middle of a later segment and exactly at a segment's first record.
    assert_records(tmp.path(), 1_234, 2_000);
    let second_first: u64 = files[1]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_records(tmp.path(), second_first, 2_000);
    let reader = JournalReader::open(tmp.path()).unwrap();
    assert_eq!(
        (reader.first_sequence(), reader.last_sequence()),
        (Some(1), Some(2_000))
    );
    assert_eq!(reader.records_from(2_001).count(), 0);
    assert!(reader.torn_tail().is_none());
}

#[test]
fn a_cursor_resumes_an_iteration_where_it_stopped_across_segment_rolls() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = Journal::open(&config(tmp.path()), &mut CounterSet::new()).unwrap();
    append_n(&mut journal, 2_000);
    assert!(journal.counts().segment_rolls >= 5);
    let reader = JournalReader::open(tmp.path()).unwrap();
    // Resume every 7 records, from a start in the first segment, to the end.
    let mut cursor = reader.records_from(500).cursor();
    let mut seen = Vec::new();
    loop {
        let mut records = reader.records_at(cursor);
        let batch: Vec<u64> = records.by_ref().take(7).map(|r| r.sequence).collect();
        cursor = records.cursor();
        if batch.is_empty() {
            break;
        }
        seen.extend(batch);
    }
    assert_eq!(seen, (500..=2_000).collect::<Vec<u64>>());
    // A cursor at the end stays there.
    assert_eq!(reader.records_at(cursor).count(), 0);
}

#[test]
fn reopen_continues_the_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 700);
    drop(journal);
    let mut journal = open(tmp.path()).unwrap();
    assert_eq!(journal.recovery().last_sequence, Some(700));
    assert!(journal.recovery().torn_tail.is_none());
    assert_eq!(journal.next_sequence(), 701);
    append_n(&mut journal, 300);
    drop(journal);
    assert_records(tmp.path(), 1, 1_000);
}

#[test]
fn second_writer_on_a_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let _first = open(tmp.path()).unwrap();
    let err = open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_LOCKED", "{err}");
}

/// Writes 50 records, damages the last one with `damage`, reopens: the journal must hold
/// exactly 1..=49 and append 50 next, with the damaged bytes gone.
fn torn_tail_recovers(damage: impl FnOnce(&Path, usize, usize)) {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 50);
    drop(journal);
    let last_segment = segments(tmp.path()).pop().unwrap();
    let (offset, len) = *record_offsets(&last_segment).last().unwrap();
    damage(&last_segment, offset, len);

    let reader = JournalReader::open(tmp.path()).unwrap();
    let torn = reader
        .torn_tail()
        .expect("torn tail seen by a reader")
        .clone();
    assert_eq!((torn.sequence, torn.offset), (50, offset));
    assert_eq!(reader.last_sequence(), Some(49));
    drop(reader);

    let mut counters = CounterSet::new();
    let mut journal = Journal::open(&config(tmp.path()), &mut counters).unwrap();
    assert_eq!(
        journal.recovery().torn_tail.as_ref().map(|t| t.sequence),
        Some(50)
    );
    assert_eq!(counters.value("journal.recovered_torn_tails"), Some(1));
    assert_eq!(journal.next_sequence(), 50);
    append_n(&mut journal, 10);
    drop(journal);
    assert_records(tmp.path(), 1, 59);
    let reader = JournalReader::open(tmp.path()).unwrap();
    assert!(reader.torn_tail().is_none(), "recovery zeroed the tail");
    assert_eq!(
        std::fs::metadata(&last_segment).unwrap().len(),
        SEGMENT_SIZE_MIN
    );
}

#[test]
fn torn_tail_record_cut_midway_is_recovered() {
    torn_tail_recovers(|path, offset, len| {
        let mid = offset + RECORD_HEADER_LEN + len / 2;
        patch(path, mid, &vec![0u8; len / 2 + 8]);
    });
}

#[test]
fn torn_tail_with_zeroed_crc_is_recovered() {
    torn_tail_recovers(|path, offset, _| patch(path, offset, &[0, 0, 0, 0]));
}

#[test]
fn torn_tail_with_file_truncated_inside_the_record_is_recovered() {
    torn_tail_recovers(|path, offset, len| {
        let f = OpenOptions::new().write(true).open(path).unwrap();
        f.set_len((offset + RECORD_HEADER_LEN + len / 2) as u64)
            .unwrap();
    });
}

#[test]
fn garbage_after_the_last_record_is_zeroed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 20);
    drop(journal);
    let seg = segments(tmp.path()).pop().unwrap();
    let (offset, len) = *record_offsets(&seg).last().unwrap();
    let end = offset + (RECORD_HEADER_LEN + len).div_ceil(8) * 8;
    patch(&seg, end + 1_000, b"not a record");
    let journal = open(tmp.path()).unwrap();
    let torn = journal.recovery().torn_tail.clone().unwrap();
    assert_eq!((torn.sequence, torn.offset), (21, end));
    assert_eq!(torn.reason, "nonzero_bytes_after_end");
    assert_eq!(journal.next_sequence(), 21);
}

#[test]
fn mid_segment_corruption_is_an_error_naming_the_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 40);
    drop(journal);
    let seg = segments(tmp.path()).pop().unwrap();
    let first: u64 = seg.file_stem().unwrap().to_str().unwrap().parse().unwrap();
    let offsets = record_offsets(&seg);
    let (offset, _) = offsets[5];
    let sequence = first + 5;
    patch(&seg, offset + RECORD_HEADER_LEN + 3, &[0xFF]);

    for err in [
        JournalReader::open(tmp.path()).unwrap_err(),
        open(tmp.path()).unwrap_err(),
    ] {
        let text = err.to_string();
        assert_eq!(err.code(), "JOURNAL_CORRUPT_RECORD", "{text}");
        assert!(
            text.contains(&format!(
                "sequence={sequence} offset={offset} reason=bad_crc"
            )),
            "{text}"
        );
        assert!(text.contains("valid_record_follows"), "{text}");
    }
    // Nothing was repaired: the file still has the later records.
    assert_eq!(record_offsets(&seg).len(), offsets.len());
}

#[test]
fn a_hole_of_zeros_before_valid_records_is_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 30);
    drop(journal);
    let seg = segments(tmp.path()).pop().unwrap();
    let (offset, len) = record_offsets(&seg)[10];
    patch(&seg, offset, &vec![0u8; RECORD_HEADER_LEN + len]);
    let err = JournalReader::open(tmp.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("sequence=11 offset={offset}")),
        "{err}"
    );
}

#[test]
fn corruption_at_the_end_of_an_older_segment_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 800);
    drop(journal);
    let files = segments(tmp.path());
    assert!(files.len() >= 3);
    let (offset, _) = *record_offsets(&files[0]).last().unwrap();
    patch(&files[0], offset, &[0, 0, 0, 0]);
    let err = open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_CORRUPT_RECORD");
    assert!(err.to_string().contains("later_segment_follows"), "{err}");
}

#[test]
fn missing_middle_segment_is_a_sequence_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 800);
    drop(journal);
    let files = segments(tmp.path());
    std::fs::remove_file(&files[1]).unwrap();
    let err = JournalReader::open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_SEQUENCE_GAP", "{err}");
}

#[test]
fn damaged_segment_header_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 5);
    drop(journal);
    let seg = segments(tmp.path()).pop().unwrap();
    patch(&seg, 20, &[0xAB]);
    let err = open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_BAD_SEGMENT");
    assert!(err.to_string().contains("bad_header_crc"), "{err}");
}

#[test]
fn segment_renamed_away_from_its_first_sequence_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 5);
    drop(journal);
    let seg = segments(tmp.path()).pop().unwrap();
    std::fs::rename(&seg, tmp.path().join("00000000000000000009.journal")).unwrap();
    let err = JournalReader::open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_BAD_SEGMENT");
    assert!(
        err.to_string()
            .contains("name_disagrees_with_header header_first_sequence=1"),
        "{err}"
    );
}

#[test]
fn bad_appends_are_refused_counted_and_leave_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    let max = journal.config().max_payload_bytes as usize;
    let err = journal.append(Direction::Inbound, 0, T0, &[]).unwrap_err();
    assert_eq!(err.code(), "JOURNAL_EMPTY_PAYLOAD");
    let err = journal
        .append(Direction::Inbound, 0, T0, &vec![1u8; max + 1])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("JOURNAL_RECORD_TOO_LARGE len={} max={max}", max + 1)
    );
    assert_eq!(
        journal
            .append(Direction::Inbound, 0, T0, &vec![1u8; max])
            .unwrap(),
        1
    );
    assert_eq!(journal.counts().rejected, 2);
    assert_eq!(journal.next_sequence(), 2);
}

#[test]
fn append_with_writes_in_place_and_unprepared_rolls_still_work() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    // No maintain() between rolls: the second roll finds no spare and makes one itself.
    for s in 1..=1_000u64 {
        let p = payload(s);
        let dir = if s.is_multiple_of(3) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        let got = journal
            .append_with(dir, (s % 5) as u16, T0 + s, p.len(), |out| {
                assert!(out.iter().all(|b| *b == 0));
                out.copy_from_slice(&p);
            })
            .unwrap();
        assert_eq!(got, s);
    }
    let counts = journal.counts();
    assert!(counts.segment_rolls >= 2);
    assert_eq!(counts.unprepared_rolls, counts.segment_rolls - 1);
    drop(journal);
    assert_records(tmp.path(), 1, 1_000);
}

#[test]
fn flush_and_interval_sync_make_everything_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        sync_interval_ns: 1_000,
        ..config(tmp.path())
    };
    let mut counters = CounterSet::new();
    let mut journal = Journal::open(&cfg, &mut counters).unwrap();
    append_n(&mut journal, 600);
    assert!(journal.has_unflushed());
    assert!(journal.maintain(T0).unwrap() >= 1);
    assert!(
        !journal.has_unflushed(),
        "maintain flushed after the interval"
    );
    assert_eq!(counters.value("journal.flushes"), Some(1));
    assert_eq!(journal.maintain(T0 + 10).unwrap(), 0, "nothing to do");
    append_n(&mut journal, 1);
    journal.flush().unwrap();
    assert!(!journal.has_unflushed());
    assert_eq!(journal.counts().flushes, 2);
}

#[test]
fn foreign_files_and_a_leftover_spare_are_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 10);
    drop(journal);
    std::fs::write(tmp.path().join("README"), b"hello").unwrap();
    std::fs::write(tmp.path().join("next-segment.spare"), b"half made").unwrap();
    let mut journal = open(tmp.path()).unwrap();
    append_n(&mut journal, 5);
    drop(journal);
    assert_records(tmp.path(), 1, 15);
}

#[test]
fn empty_directory_is_an_empty_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let reader = JournalReader::open(tmp.path()).unwrap();
    assert_eq!((reader.first_sequence(), reader.next_sequence()), (None, 1));
    assert_eq!(reader.records().count(), 0);
    let missing = JournalReader::open(tmp.path().join("nope")).unwrap_err();
    assert_eq!(missing.code(), "JOURNAL_IO");
}

/// Minor page faults of the calling thread so far (`getrusage(RUSAGE_THREAD)`).
fn minor_faults() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable rusage; RUSAGE_THREAD is supported on Linux.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: getrusage returned 0, so it filled the struct.
    unsafe { usage.assume_init() }.ru_minflt
}

/// Faults taken by 32,768 appends of 48-byte payloads (~2.6 MB, ~640 pages) after
/// `maintain` ran until it had nothing left to do.
fn faults_appending(pretouch: bool) -> i64 {
    let tmp = tempfile::tempdir().unwrap();
    let config = JournalConfig {
        segment_size_bytes: 8 << 20,
        pretouch,
        ..JournalConfig::in_dir(tmp.path())
    };
    let mut counters = CounterSet::new();
    let mut journal = Journal::open(&config, &mut counters).unwrap();
    let mut calls = 0;
    while journal.maintain(T0).unwrap() > 0 {
        calls += 1;
        assert!(calls < 1_000, "maintain never settles");
    }
    let payload = [7u8; 48];
    let before = minor_faults();
    for i in 0..32_768 {
        journal
            .append(Direction::Inbound, 1, T0 + i, &payload)
            .unwrap();
    }
    let faults = minor_faults() - before;
    journal.maintain(T0).unwrap();
    let touched = counters.value("journal.pages_touched").unwrap();
    assert_eq!(touched > 0, pretouch, "pages_touched {touched}");
    faults
}

/// With `pretouch`, `maintain` write-faults the pages ahead of the append position, so the
/// appends themselves take (almost) no page faults; without it, every new page faults on its
/// first append. The first would fail if the touch were elided or read-only.
#[test]
fn maintain_write_faults_pages_ahead_so_appends_take_none() {
    let cold = faults_appending(false);
    let warm = faults_appending(true);
    eprintln!("page faults appending ~2.6 MB: {cold} without pretouch, {warm} with");
    assert!(
        cold >= 300,
        "appends without pretouch took only {cold} faults"
    );
    assert!(
        warm <= 8,
        "appends after maintain's pretouch took {warm} faults"
    );
}

/// Whether this process maps `path` (`/proc/self/maps`).
fn mapped(path: &Path) -> bool {
    let path = path.to_str().unwrap();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .any(|line| line.ends_with(path))
}

/// Regression (a 2.5 ms stall in the gateway's hot path, `docs/bench/order-entry.md`): the
/// append that rolls must not unmap the segment it leaves; the next `maintain` does, and
/// every record stays readable across the roll.
#[test]
fn the_rolling_append_leaves_the_old_segment_mapped_until_maintain() {
    let tmp = tempfile::tempdir().unwrap();
    let mut counters = CounterSet::new();
    let mut journal = Journal::open(&config(tmp.path()), &mut counters).unwrap();
    let first = tmp.path().join("00000000000000000001.journal");
    assert!(mapped(&first), "the first segment is mapped while active");
    let segments = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("journal".as_ref()))
            .count()
    };
    let mut appended = 0;
    while segments() == 1 {
        append_n(&mut journal, 1);
        appended += 1;
        assert!(appended < 10_000, "no roll after {appended} appends");
    }
    assert!(
        mapped(&first),
        "the rolling append left the old segment mapped"
    );
    assert!(
        journal.maintain(T0).unwrap() > 0,
        "maintain had the unmapping to do"
    );
    assert!(
        !mapped(&first),
        "maintain unmapped the segment the roll left"
    );
    journal.maintain(T0).unwrap();
    assert_eq!(counters.value("journal.segment_rolls"), Some(1));
    assert_records(tmp.path(), 1, appended);
}
