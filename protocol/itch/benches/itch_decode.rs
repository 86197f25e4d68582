//! Decode-only throughput of crossbar-itch against the `itchy` crate on the same bytes: a
//! generated day-like ITCH 5.0 stream of 10M messages (day-file format), built once in memory.
//!
//! Run: `cargo bench -p crossbar-itch --bench itch_decode`
//! (`ITCH_BENCH_MESSAGES=N` changes the stream size; default 10,000,000.)
#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{decode_book_fields, DayFileFrames, DayFileIter, DayFileReader};

fn stream() -> (Vec<u8>, u64) {
    let messages = std::env::var("ITCH_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let config = DayConfig {
        seed: 20_190_130,
        instruments: 8_000,
        messages,
    };
    let mut bytes = Vec::new();
    let start = Instant::now();
    let summary = generate_day(&config, &mut bytes).expect("generator");
    let elapsed = start.elapsed();
    println!(
        "generated {} messages, {} bytes in {:.2?} ({:.1} M msg/s); types: {}",
        summary.census.total(),
        bytes.len(),
        elapsed,
        summary.census.total() as f64 / elapsed.as_secs_f64() / 1e6,
        summary
            .census
            .nonzero()
            .iter()
            .map(|(t, c)| format!("{}={c}", *t as char))
            .collect::<Vec<_>>()
            .join(" ")
    );
    (bytes, summary.census.total())
}

fn crossbar_slice(bytes: &[u8]) -> u64 {
    let mut n = 0;
    DayFileIter::new(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

/// Lazy: framing plus only the fields a book needs (`decode_book_fields`, table-driven).
fn crossbar_book_fields(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for frame in DayFileFrames::new(bytes) {
        let Ok(body) = frame else { continue };
        let fields = decode_book_fields(body);
        black_box(&fields);
        n += u64::from(fields.is_ok());
    }
    n
}

fn crossbar_reader(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for item in DayFileReader::new(bytes) {
        black_box(&item);
        n += u64::from(item.is_ok());
    }
    n
}

fn itchy(bytes: &[u8]) -> u64 {
    let mut n = 0;
    itchy::MessageStream::from_reader(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

/// Best-of-`runs` messages per second.
fn best_rate(runs: usize, messages: u64, f: impl Fn() -> u64) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            assert_eq!(f(), messages);
            messages as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn bench(c: &mut Criterion) {
    let (bytes, messages) = stream();
    // Both decoders must accept every message, or the comparison means nothing.
    assert_eq!(crossbar_slice(&bytes), messages);
    assert_eq!(itchy(&bytes), messages);
    assert_eq!(crossbar_book_fields(&bytes), messages);

    let mut group = c.benchmark_group("itch_decode_day");
    group.throughput(Throughput::Elements(messages));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("crossbar_day_file_iter", |b| {
        b.iter(|| crossbar_slice(&bytes))
    });
    group.bench_function("crossbar_book_fields", |b| {
        b.iter(|| crossbar_book_fields(&bytes))
    });
    group.bench_function("crossbar_day_file_reader", |b| {
        b.iter(|| crossbar_reader(&bytes))
    });
    group.bench_function("itchy_message_stream", |b| b.iter(|| itchy(&bytes)));
    group.finish();

    // Side-by-side summary in the same process, best of 5 passes each.
    let ours = best_rate(5, messages, || crossbar_slice(&bytes));
    let ours_reader = best_rate(5, messages, || crossbar_reader(&bytes));
    let ours_fields = best_rate(5, messages, || crossbar_book_fields(&bytes));
    let theirs = best_rate(5, messages, || itchy(&bytes));
    println!(
        "SUMMARY messages={messages} crossbar_iter={:.1}M/s crossbar_reader={:.1}M/s crossbar_book_fields={:.1}M/s itchy={:.1}M/s ratio_iter={:.2}x ratio_reader={:.2}x ratio_book_fields={:.2}x",
        ours / 1e6,
        ours_reader / 1e6,
        ours_fields / 1e6,
        theirs / 1e6,
        ours / theirs,
        ours_reader / theirs,
        ours_fields / theirs
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
