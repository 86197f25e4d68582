//! ns per encode and per decode of NewChildOrder, ExecutionReport and BookLevelDelta:
//! the flyweight path (generated encoder into a stack buffer; `decode_view` + reading every
//! field) and the owned `Message` path (`encode` / `decode`).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use crossbar_sbe::generated as g;
use crossbar_sbe::{decode, decode_view, encode, sample_messages, Message, MessageView};

fn sample(index: usize) -> Message {
    sample_messages().swap_remove(index)
}

fn encode_new_child_order_flyweight(buf: &mut [u8], order_id: u64) -> usize {
    g::NewChildOrderEncoder::try_wrap_and_apply_header(buf, 0)
        .unwrap()
        .fixed(&g::NewChildOrderFixedFields {
            order_id,
            parent_order_id: 77_000_123,
            instrument_id: 21,
            venue_id: 1,
            side: g::Side::SellShort,
            time_in_force: g::TimeInForce::Ioc,
            price: 1_234_600,
            qty: 500,
            timestamp_ns: 1_709_303_400_000_000_007,
        })
        .encoded_length_with_header()
}

fn encode_execution_report_flyweight(buf: &mut [u8], order_id: u64) -> usize {
    g::ExecutionReportEncoder::try_wrap_and_apply_header(buf, 0)
        .unwrap()
        .fixed(&g::ExecutionReportFixedFields {
            order_id,
            parent_order_id: 77_000_123,
            venue_id: 1,
            instrument_id: 21,
            exec_type: g::ExecType::PartialFill,
            order_status: g::OrderStatus::PartiallyFilled,
            side: g::Side::Buy,
            price: 1_234_600,
            last_px: 1_234_550,
            last_qty: 200,
            leaves_qty: 300,
            cum_qty: 200,
            venue_order_ref: 88_000_001,
            match_id: 55_502,
            timestamp_ns: 1_709_303_400_000_000_010,
            venue_timestamp_ns: Some(1_709_303_400_000_000_009),
            stream_sequence: Some(11),
        })
        .text(b"fill liq=A")
        .unwrap()
        .encoded_length_with_header()
}

const LEVELS: [g::BookLevelDeltaLevelsEntry; 3] = [
    g::BookLevelDeltaLevelsEntry {
        action: g::BookAction::New,
        side: g::Side::Buy,
        level_index: 0,
        price: 1_234_500,
        qty: 700,
        order_count: 3,
    },
    g::BookLevelDeltaLevelsEntry {
        action: g::BookAction::Change,
        side: g::Side::Sell,
        level_index: 2,
        price: 1_235_100,
        qty: 1_900,
        order_count: 11,
    },
    g::BookLevelDeltaLevelsEntry {
        action: g::BookAction::Delete,
        side: g::Side::Sell,
        level_index: 4,
        price: 1_236_000,
        qty: 0,
        order_count: 0,
    },
];

fn encode_book_level_delta_flyweight(buf: &mut [u8], sequence: u64) -> usize {
    g::BookLevelDeltaEncoder::try_wrap_and_apply_header(buf, 0)
        .unwrap()
        .fixed(&g::BookLevelDeltaFixedFields {
            venue_id: 1,
            instrument_id: 17,
            sequence,
            timestamp_ns: 1_709_303_400_000_000_002,
        })
        .levels(3, |group| {
            for level in &LEVELS {
                group.add_struct(level)?;
            }
            Ok(())
        })
        .unwrap()
        .encoded_length_with_header()
}

/// Reads every field through the validated flyweight and folds them into one number.
fn read_view(bytes: &[u8]) -> u64 {
    match decode_view(bytes).unwrap() {
        MessageView::NewChildOrder(d) => {
            d.order_id()
                ^ d.parent_order_id()
                ^ u64::from(d.instrument_id())
                ^ u64::from(d.venue_id())
                ^ u64::from(d.raw_side())
                ^ u64::from(d.raw_time_in_force())
                ^ d.price() as u64
                ^ u64::from(d.qty())
                ^ d.timestamp_ns()
        }
        MessageView::ExecutionReport(d) => {
            d.order_id()
                ^ d.parent_order_id()
                ^ u64::from(d.instrument_id())
                ^ u64::from(d.raw_exec_type())
                ^ u64::from(d.raw_order_status())
                ^ d.last_px() as u64
                ^ u64::from(d.last_qty())
                ^ u64::from(d.leaves_qty())
                ^ u64::from(d.cum_qty())
                ^ d.match_id()
                ^ d.timestamp_ns()
                ^ d.venue_timestamp_ns().unwrap_or(0)
                ^ d.text().map_or(0, |t| t.len() as u64)
        }
        MessageView::BookLevelDelta(d) => {
            let mut acc = d.sequence() ^ u64::from(d.instrument_id());
            for e in d.levels().unwrap() {
                acc ^= e.price() as u64
                    ^ e.qty()
                    ^ u64::from(e.level_index())
                    ^ u64::from(e.raw_action());
            }
            acc
        }
        other => panic!("unexpected {:?}", other.kind()),
    }
}

type FlyweightEncode = fn(&mut [u8], u64) -> usize;

fn bench(c: &mut Criterion) {
    let cases: [(&str, usize, FlyweightEncode); 3] = [
        ("NewChildOrder", 6, encode_new_child_order_flyweight),
        ("ExecutionReport", 9, encode_execution_report_flyweight),
        ("BookLevelDelta", 1, encode_book_level_delta_flyweight),
    ];
    for (name, index, flyweight_encode) in cases {
        let msg = sample(index);
        let mut buf = [0u8; 256];
        let len = encode(&msg, &mut buf).unwrap();
        let bytes = buf[..len].to_vec();
        // The flyweight encoder writes the same message as the owned path.
        let mut fly = [0u8; 256];
        let key = match &msg {
            Message::BookLevelDelta(m) => m.sequence,
            Message::NewChildOrder(m) => m.order_id.0,
            Message::ExecutionReport(m) => m.order_id.0,
            _ => unreachable!(),
        };
        let fly_len = flyweight_encode(&mut fly, key);
        assert_eq!(&fly[..fly_len], &bytes[..]);

        let mut group = c.benchmark_group(name);
        group.bench_function("encode_flyweight", |b| {
            let mut out = [0u8; 256];
            b.iter(|| black_box(flyweight_encode(black_box(&mut out), black_box(key))))
        });
        group.bench_function("encode_owned", |b| {
            let mut out = [0u8; 256];
            b.iter(|| black_box(encode(black_box(&msg), black_box(&mut out)).unwrap()))
        });
        group.bench_function("decode_view_read_all", |b| {
            b.iter(|| black_box(read_view(black_box(&bytes))))
        });
        group.bench_function("decode_owned", |b| {
            b.iter(|| black_box(decode(black_box(&bytes)).unwrap()))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
