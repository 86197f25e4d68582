//! Cost of sequencing: ITCH decode + book building for a generated day, with and without the
//! `SequenceTracker` in front (in-order packets, then with every 50th packet arriving late so
//! the reorder buffer and replay are exercised). No sockets: this measures the per-packet
//! path `MoldFeed` runs after `recv`.
#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossbar_book::BookLimits;
use crossbar_feed::{
    BookBuilder, BookBuilderLimits, FeedHandler, FeedLimits, RecoveryPolicy, SequenceTracker,
    Verdict,
};
use crossbar_itch::decode;
use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_moldudp64::{Packet, PacketEncoder, Session};

const SESSION: Session = Session(*b"BENCHSESS1");

fn packets(messages: u64) -> (Vec<Vec<u8>>, u64) {
    let mut encoder = PacketEncoder::new(SESSION, 1, 1_472).unwrap();
    let mut out = Vec::new();
    let mut scratch = [0u8; 64];
    let mut count = 0;
    for message in DayGenerator::new(DayConfig {
        seed: 3,
        instruments: 100,
        messages,
    }) {
        let len = message.encode(&mut scratch).unwrap();
        if !encoder.fits(len) {
            out.push(encoder.packet().to_vec());
            encoder.next_packet();
        }
        encoder.push(&scratch[..len]).unwrap();
        count += 1;
    }
    out.push(encoder.packet().to_vec());
    (out, count)
}

fn builder() -> BookBuilder {
    BookBuilder::new(BookBuilderLimits {
        book: BookLimits {
            instruments: 128,
            orders: 1 << 18,
            levels_per_side: 4_096,
        },
        level_updates: 1 << 20,
    })
    .unwrap()
}

fn tracker() -> SequenceTracker {
    SequenceTracker::new(None, 1, FeedLimits::default(), RecoveryPolicy::default()).unwrap()
}

fn apply(packet: &Packet<'_>, skip: u16, b: &mut BookBuilder) {
    for (seq, data) in packet.messages().skip(usize::from(skip)) {
        if let Ok(m) = decode(data) {
            b.on_message(seq, &m, 0);
        }
    }
}

fn run_tracked(order: &[&[u8]], t: &mut SequenceTracker, b: &mut BookBuilder) {
    for bytes in order {
        let packet = Packet::parse(bytes).unwrap();
        if let Verdict::Deliver { skip } = t.on_packet(&packet.header, bytes) {
            apply(&packet, skip, b);
        }
        while let Some((buffered, skip)) = t.pop_ready() {
            apply(&Packet::parse(buffered).unwrap(), skip, b);
        }
        b.drain_updates().for_each(drop);
    }
}

fn bench(c: &mut Criterion) {
    let (packets, messages) = packets(200_000);
    let in_order: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
    // Every 50th packet is delayed by 3 packets: a gap opens, 3 packets are buffered, the
    // late one fills it and the buffer replays.
    let mut late = in_order.clone();
    for i in (10..late.len().saturating_sub(4)).step_by(50) {
        late[i..i + 4].rotate_left(1);
    }
    let mut group = c.benchmark_group("feed");
    group.throughput(Throughput::Elements(messages));
    group.sample_size(20);
    group.bench_function("decode_book_baseline", |bench| {
        bench.iter_batched(
            builder,
            |mut b| {
                for bytes in &in_order {
                    apply(&Packet::parse(bytes).unwrap(), 0, &mut b);
                    b.drain_updates().for_each(drop);
                }
                b
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("tracker_decode_book_in_order", |bench| {
        bench.iter_batched(
            || (tracker(), builder()),
            |(mut t, mut b)| {
                run_tracked(&in_order, &mut t, &mut b);
                assert_eq!(t.expected(), messages + 1);
                (t, b)
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("tracker_decode_book_late_every_50th", |bench| {
        bench.iter_batched(
            || (tracker(), builder()),
            |(mut t, mut b)| {
                run_tracked(&late, &mut t, &mut b);
                assert_eq!(t.expected(), messages + 1);
                (t, b)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
