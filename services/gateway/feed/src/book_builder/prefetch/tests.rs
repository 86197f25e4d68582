//! The pipelined path against one-by-one `on_message_bytes`: same results per message (errors,
//! level updates), counters and books, over a generated day with malformed and rejected
//! messages mixed in, for several prefetch distances and batch sizes.

use crossbar_book::{BookLimits, LevelUpdate};
use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{DayFileFrames, ItchError};
use crossbar_model::{InstrumentId, Side};

use crate::{BookBuilder, BookBuilderLimits};

fn builder(instruments: u32) -> BookBuilder {
    BookBuilder::new(BookBuilderLimits {
        book: BookLimits {
            instruments,
            orders: 1 << 14,
            levels_per_side: 64,
        },
        level_updates: 1 << 12,
    })
    .unwrap()
}

/// A generated day's messages, with corrupted copies and replays mixed in: cut short, one
/// byte long, type replaced, Buy/Sell Indicator replaced, reference and locate bits flipped
/// (unknown orders, unknown locates, overfills), an empty message, and earlier messages
/// replayed (duplicate adds, deletes of gone orders).
fn messages_with_malformed(instruments: u16, count: u64) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    generate_day(
        &DayConfig {
            seed: 4_242,
            instruments,
            messages: count,
        },
        &mut bytes,
    )
    .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out: Vec<Vec<u8>> = Vec::new();
    for frame in DayFileFrames::new(&bytes) {
        let body = frame.unwrap().to_vec();
        let r = next();
        if r % 8 == 0 {
            let mut bad = body.clone();
            match (r >> 8) % 8 {
                0 => bad.truncate(bad.len() - 1),
                1 => bad.push(0),
                2 => bad[0] = (r >> 16) as u8,
                3 if bad.len() > 19 => bad[19] = [b'B', b'S', b'X', 0][((r >> 16) % 4) as usize],
                4 if bad.len() > 18 => bad[11 + ((r >> 16) % 8) as usize] ^= 1 << ((r >> 24) % 8),
                5 => bad[2] ^= 1 << ((r >> 16) % 8),
                6 => bad.clear(),
                _ => {
                    if let Some(old) =
                        out.get(out.len().saturating_sub(1 + ((r >> 16) % 50) as usize))
                    {
                        bad = old.clone();
                    }
                }
            }
            out.push(bad);
        }
        out.push(body);
    }
    out
}

type PerMessage = (Result<(), ItchError>, Vec<LevelUpdate>);
type Run = fn(&[Vec<u8>], u32, usize) -> (BookBuilder, Vec<PerMessage>);

fn one_by_one(messages: &[Vec<u8>], instruments: u32) -> (BookBuilder, Vec<PerMessage>) {
    let mut b = builder(instruments);
    let results = messages
        .iter()
        .map(|m| {
            let r = b.on_message_bytes(m);
            (r, b.drain_updates().collect())
        })
        .collect();
    (b, results)
}

fn pipelined<const K: usize>(
    messages: &[Vec<u8>],
    instruments: u32,
    batch: usize,
) -> (BookBuilder, Vec<PerMessage>) {
    let mut b = builder(instruments);
    let mut results = Vec::new();
    for (first, chunk) in messages.chunks(batch).enumerate() {
        let tagged = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| (first * batch + i, m.as_slice()));
        b.on_messages_bytes_with_distance::<usize, K>(tagged, |b, tag, r| {
            assert_eq!(tag, results.len(), "results come back in order");
            results.push((r, b.drain_updates().collect()));
        });
    }
    (b, results)
}

fn assert_same(a: &BookBuilder, b: &BookBuilder, instruments: u32, what: &str) {
    assert_eq!(a.counters(), b.counters(), "{what}");
    assert_eq!(a.book().counters(), b.book().counters(), "{what}");
    assert_eq!(a.book().order_count(), b.book().order_count(), "{what}");
    for i in 0..instruments {
        let id = InstrumentId(i);
        assert_eq!(a.book().top(id), b.book().top(id), "{what} instrument {i}");
        assert_eq!(a.is_halted(id), b.is_halted(id), "{what} instrument {i}");
        for side in [Side::Buy, Side::Sell] {
            let n = a.book().level_count(id, side);
            assert_eq!(n, b.book().level_count(id, side), "{what} instrument {i}");
            for level in 0..n {
                assert_eq!(
                    a.book().level(id, side, level),
                    b.book().level(id, side, level),
                    "{what} instrument {i}"
                );
                let price = a.book().level(id, side, level).unwrap().price;
                assert!(
                    a.book()
                        .queue(id, side, price)
                        .eq(b.book().queue(id, side, price)),
                    "{what} instrument {i} queue at {price:?}"
                );
            }
        }
    }
}

#[test]
fn pipelined_matches_one_by_one_on_a_day_with_malformed_messages() {
    let messages = messages_with_malformed(40, 60_000);
    let (want_book, want) = one_by_one(&messages, 48);
    // The mix exercised every kind of outcome.
    assert!(want.iter().any(|(r, _)| r.is_err()), "decode errors");
    assert!(want_book.counters().book_rejects > 100, "book rejects");
    assert!(want_book.counters().unknown_locate > 10, "unknown locates");
    assert!(want_book.book().counters().replaces > 1_000);
    let runs: [(&str, Run); 5] = [
        ("K=0", pipelined::<0>),
        ("K=1", pipelined::<1>),
        ("K=3", pipelined::<3>),
        ("K=default", pipelined::<{ crate::PREFETCH_DISTANCE }>),
        ("K=16", pipelined::<16>),
    ];
    for (name, run) in runs {
        for batch in [1, 7, 32, 1_000, messages.len()] {
            let what = format!("{name} batch {batch}");
            let (got_book, got) = run(&messages, 48, batch);
            assert_eq!(got.len(), want.len(), "{what}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{what} message {i}: {:02x?}", messages[i]);
            }
            assert_same(&want_book, &got_book, 48, &what);
        }
    }
}
