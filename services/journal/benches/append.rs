//! Append latency of the audit journal, in one run so the ratios are comparable:
//!
//! * `crc32c_only`: CRC-32C over a record's header bytes + payload into nothing (the floor
//!   of any CRC-protected append).
//! * `append_in_place`: `Journal::append_with` with the SBE message encoded straight into the
//!   mapped record (header + CRC, no extra copy).
//! * `append_copy`: `Journal::append` copying an already-encoded SBE message (CRC + copy).
//!
//! for a 64-byte payload (a `NewChildOrder`, 52 bytes, padded to 64) and a 256-byte one (an
//! `ExecutionReport` with text, 256 bytes). Time is per append. Rolls happen inside the timed
//! region (onto a spare that `maintain` prepares between batches, as the owning agent does
//! when idle); old segments are deleted between batches so the bench does not fill the disk.
#![allow(missing_docs)] // criterion_group! generates an undocumented fn

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crossbar_journal::{Direction, Journal, JournalConfig};
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_runtime::CounterSet;
use crossbar_sbe::{encode, ExecType, ExecutionReport, Message, NewChildOrder, OrderStatus};

const BATCH: u64 = 4096;

fn sbe_payload(size: usize) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let message = if size <= 64 {
        Message::NewChildOrder(NewChildOrder {
            order_id: OrderId(1 << 48 | 5),
            parent_order_id: OrderId(7),
            instrument_id: InstrumentId(3),
            venue_id: VenueId(1),
            side: Side::Buy,
            time_in_force: TimeInForce::Ioc,
            price: Price(1_234_500),
            qty: Qty(100),
            timestamp_ns: 1_709_303_400_000_000_000,
        })
    } else {
        Message::ExecutionReport(ExecutionReport {
            order_id: OrderId(1 << 48 | 5),
            parent_order_id: OrderId(7),
            venue_id: VenueId(1),
            instrument_id: InstrumentId(3),
            exec_type: ExecType::PartialFill,
            order_status: OrderStatus::PartiallyFilled,
            side: Side::Buy,
            price: Price(1_234_500),
            last_px: Price(1_234_400),
            last_qty: Qty(40),
            leaves_qty: Qty(60),
            cum_qty: Qty(40),
            venue_order_ref: 99,
            match_id: 12_345,
            timestamp_ns: 1_709_303_400_000_000_000,
            venue_timestamp_ns: Some(1_709_303_399_999_990_000),
            text: "x".repeat(256 - 105),
        })
    };
    let len = encode(&message, &mut buf).expect("encodes");
    assert!(len <= size, "message {len} > {size}");
    buf.truncate(size);
    buf
}

fn delete_old_segments(dir: &std::path::Path) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("bench dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "journal"))
        .collect();
    names.sort();
    names.pop();
    for old in names {
        let _ = std::fs::remove_file(old);
    }
}

fn run_batches(
    journal: &mut Journal,
    dir: &std::path::Path,
    iters: u64,
    mut one: impl FnMut(&mut Journal, u64),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = BATCH.min(iters - done);
        let rolls = journal.counts().segment_rolls;
        let start = Instant::now();
        for i in 0..n {
            one(journal, done + i);
        }
        total += start.elapsed();
        done += n;
        journal.maintain(done).expect("maintain");
        if journal.counts().segment_rolls != rolls {
            delete_old_segments(dir);
        }
    }
    total
}

fn bench_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal_append");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    for size in [64usize, 256] {
        let payload = sbe_payload(size);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = JournalConfig {
            segment_size_bytes: 16 * 1024 * 1024,
            ..JournalConfig::in_dir(dir.path())
        };
        let mut journal = Journal::open(&config, &mut CounterSet::new()).expect("open");
        group.throughput(Throughput::Elements(1));

        // Header bytes 4..32 then the payload, contiguous as in a record: one CRC call.
        let mut record = vec![0u8; 28];
        record.extend_from_slice(&payload);
        group.bench_function(BenchmarkId::new("crc32c_only", size), |b| {
            b.iter(|| {
                record[4..12].copy_from_slice(&std::hint::black_box(7u64).to_le_bytes());
                std::hint::black_box(crc32c::crc32c(std::hint::black_box(&record)))
            })
        });
        group.bench_with_input(
            BenchmarkId::new("append_in_place", size),
            &payload,
            |b, p| {
                b.iter_custom(|iters| {
                    run_batches(&mut journal, dir.path(), iters, |j, i| {
                        j.append_with(Direction::Outbound, 1, i, p.len(), |out| {
                            // Stands for an SBE encoder writing its fields in place: one store
                            // per 8 bytes, no intermediate buffer.
                            for (chunk, src) in out.chunks_exact_mut(8).zip(p.chunks_exact(8)) {
                                chunk.copy_from_slice(src);
                            }
                        })
                        .expect("append");
                    })
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("append_copy", size), &payload, |b, p| {
            b.iter_custom(|iters| {
                run_batches(&mut journal, dir.path(), iters, |j, i| {
                    j.append(Direction::Outbound, 1, i, std::hint::black_box(p))
                        .expect("append");
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
