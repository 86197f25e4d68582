//! Retained-history costs, per message, over batches of generated ITCH messages:
//!
//! * `append/retained_history` vs `append/baseline_vecdeque`: sequencing one message into
//!   `RetainedHistory` (full, so each append also evicts) vs pushing a `Vec<u8>` copy onto a
//!   bounded `VecDeque` (pop_front when full), measured in the same run.
//! * `get/retained_history` vs `get/baseline_vecdeque`: looking one message up by sequence
//!   number.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use std::collections::VecDeque;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_venue_feed::{HistoryLimits, RetainedHistory};

const BATCH: usize = 4_096;
const CAPACITY: usize = 65_536;

fn messages() -> Vec<Vec<u8>> {
    DayGenerator::new(DayConfig {
        seed: 3,
        instruments: 64,
        messages: BATCH as u64,
    })
    .map(|m| {
        let mut buf = vec![0u8; m.encoded_len()];
        m.encode(&mut buf).unwrap();
        buf
    })
    .collect()
}

fn full_history(messages: &[Vec<u8>]) -> RetainedHistory {
    let mut h = RetainedHistory::new(HistoryLimits {
        bytes: 1 << 21,
        messages: CAPACITY,
    })
    .unwrap();
    for i in 0..CAPACITY + 1 {
        h.append(&messages[i % messages.len()], 0).unwrap();
    }
    h
}

fn full_deque(messages: &[Vec<u8>]) -> VecDeque<Vec<u8>> {
    let mut d = VecDeque::with_capacity(CAPACITY);
    for i in 0..CAPACITY {
        d.push_back(messages[i % messages.len()].clone());
    }
    d
}

fn bench(c: &mut Criterion) {
    let messages = messages();
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut h = full_history(&messages);
    group.bench_function("retained_history", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(h.append(m, 0).unwrap());
            }
        })
    });
    let mut d = full_deque(&messages);
    group.bench_function("baseline_vecdeque", |b| {
        b.iter(|| {
            for m in &messages {
                if d.len() == CAPACITY {
                    black_box(d.pop_front());
                }
                d.push_back(m.clone());
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("get");
    group.throughput(Throughput::Elements(BATCH as u64));
    let first = h.first_sequence_number();
    group.bench_function("retained_history", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for i in 0..BATCH as u64 {
                n += h
                    .get(first + i * 13 % CAPACITY as u64)
                    .map_or(0, <[u8]>::len);
            }
            black_box(n)
        })
    });
    group.bench_function("baseline_vecdeque", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for i in 0..BATCH {
                n += d.get(i * 13 % CAPACITY).map_or(0, Vec::len);
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
