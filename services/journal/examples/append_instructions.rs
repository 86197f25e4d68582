//! `append_instructions VARIANT PAYLOAD_BYTES COUNT`: performs COUNT appends of one variant
//! into a fresh journal in a temp dir, for instruction counting under
//! `valgrind --tool=callgrind` (wall-clock numbers on a shared machine are noise). Run it at
//! two COUNTs and divide the difference in instructions by the difference in COUNT to get
//! instructions per append with set-up cancelled out (see docs/journal.md "Benchmarks").
//!
//! COUNT x (32 + PAYLOAD_BYTES) must fit in one 64 MiB segment (about 200,000 at 256 bytes)
//! so no roll is counted.
//!
//! VARIANT: `crc` (one CRC-32C call over 28 header bytes + payload, no journal), `in_place` (`append_with`, payload
//! written into the mapping by the closure), `copy` (`append`, CRC + copy).
#![forbid(unsafe_code)]

use crossbar_journal::{Direction, Journal, JournalConfig};
use crossbar_runtime::CounterSet;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: append_instructions crc|in_place|copy PAYLOAD_BYTES COUNT";
    let variant = args.get(1).expect(usage).clone();
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).expect(usage);
    let count: u64 = args.get(3).and_then(|s| s.parse().ok()).expect(usage);
    let payload: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = JournalConfig {
        segment_size_bytes: 64 * 1024 * 1024,
        ..JournalConfig::in_dir(dir.path())
    };
    let mut journal = Journal::open(&config, &mut CounterSet::new()).expect("open");
    let mut acc = 0u32;
    // Header bytes 4..32 followed by the payload, contiguous as in a record.
    let mut record: Vec<u8> = vec![0u8; 28];
    record.extend_from_slice(&payload);
    for i in 0..count {
        let p = std::hint::black_box(&payload[..]);
        match variant.as_str() {
            "crc" => {
                record[4..12].copy_from_slice(&i.to_le_bytes());
                acc ^= crc32c::crc32c(std::hint::black_box(&record));
            }
            "in_place" => {
                journal
                    .append_with(Direction::Outbound, 1, i, p.len(), |out| {
                        for (chunk, src) in out.chunks_exact_mut(8).zip(p.chunks_exact(8)) {
                            chunk.copy_from_slice(src);
                        }
                    })
                    .expect("append");
            }
            "copy" => {
                journal
                    .append(Direction::Outbound, 1, i, p)
                    .expect("append");
            }
            other => panic!("unknown variant {other}; {usage}"),
        }
    }
    println!("{variant} {size} {count} {} {acc}", journal.next_sequence());
}
