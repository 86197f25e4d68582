//! The fused path against the decoded path: same books, counters, level updates and errors.

use crossbar_book::BookLimits;
use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{decode, DayFileFrames};
use crossbar_model::{InstrumentId, Side};

use crate::{BookBuilder, BookBuilderLimits, FeedHandler};

fn builder(instruments: u32) -> BookBuilder {
    BookBuilder::new(BookBuilderLimits {
        book: BookLimits {
            instruments,
            orders: 1 << 16,
            levels_per_side: 64,
        },
        level_updates: 1 << 16,
    })
    .unwrap()
}

fn day(instruments: u16, messages: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    generate_day(
        &DayConfig {
            seed: 77,
            instruments,
            messages,
        },
        &mut bytes,
    )
    .unwrap();
    bytes
}

/// Applies `bytes` through both paths and checks the outcome and the level updates match.
fn apply_both(decoded: &mut BookBuilder, fused: &mut BookBuilder, bytes: &[u8], what: &str) {
    let want = decode(bytes);
    if let Ok(m) = &want {
        decoded.on_message(0, m, 0);
    }
    let got = fused.on_message_bytes(bytes);
    assert_eq!(got.err(), want.err(), "{what}: {bytes:02x?}");
    let a: Vec<_> = decoded.drain_updates().collect();
    let b: Vec<_> = fused.drain_updates().collect();
    assert_eq!(a, b, "{what}: level updates");
    assert_eq!(fused.counters(), decoded.counters(), "{what}: counters");
}

fn assert_same_books(a: &BookBuilder, b: &BookBuilder, instruments: u32) {
    assert_eq!(a.counters(), b.counters());
    assert_eq!(a.book().counters(), b.book().counters());
    assert_eq!(a.book().order_count(), b.book().order_count());
    assert_eq!(a.instrument_count(), b.instrument_count());
    for i in 0..instruments {
        let id = InstrumentId(i);
        assert_eq!(a.book().top(id), b.book().top(id), "instrument {i}");
        assert_eq!(a.is_halted(id), b.is_halted(id), "instrument {i}");
        assert_eq!(a.symbol(id), b.symbol(id), "instrument {i}");
        for side in [Side::Buy, Side::Sell] {
            let n = a.book().level_count(id, side);
            assert_eq!(n, b.book().level_count(id, side));
            for level in 0..n {
                assert_eq!(
                    a.book().level(id, side, level),
                    b.book().level(id, side, level)
                );
            }
        }
    }
}

#[test]
fn generated_day_builds_the_same_books_through_both_paths() {
    let bytes = day(60, 200_000);
    let (mut decoded, mut fused) = (builder(64), builder(64));
    let mut frames = DayFileFrames::new(&bytes);
    for (i, frame) in (&mut frames).enumerate() {
        apply_both(
            &mut decoded,
            &mut fused,
            frame.unwrap(),
            &format!("message {i}"),
        );
    }
    assert_eq!(frames.stats().errors(), 0);
    assert!(decoded.book().counters().replaces > 1_000);
    assert!(decoded.book().counters().executes > 1_000);
    assert!(decoded.book().counters().cancels > 1_000);
    assert_same_books(&decoded, &fused, 64);
}

/// Every message of a day, and for each one corrupted copies (cut short, one byte long, type
/// byte replaced, Buy/Sell Indicator replaced, order reference and locate bytes flipped, so
/// book rejects happen too): the fused path returns decode's exact error or applies exactly
/// what the decoded path applies.
#[test]
fn corrupted_messages_give_decode_errors_and_identical_book_rejects() {
    let bytes = day(20, 30_000);
    let (mut decoded, mut fused) = (builder(32), builder(32));
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut rejects_seen = false;
    for (i, frame) in DayFileFrames::new(&bytes).enumerate() {
        let body = frame.unwrap();
        let mut variants: Vec<Vec<u8>> = vec![
            Vec::new(),
            body[..body.len() - 1].to_vec(),
            [body, &[0]].concat(),
        ];
        let mut retyped = body.to_vec();
        retyped[0] = next() as u8;
        variants.push(retyped);
        if body.len() > 19 {
            let mut sided = body.to_vec();
            sided[19] = [b'B', b'S', b'X', 0, next() as u8][(next() % 5) as usize];
            variants.push(sided);
        }
        let mut reref = body.to_vec();
        let at = 11 + (next() as usize % 8);
        if at < reref.len() {
            reref[at] ^= 1 << (next() % 8);
        }
        variants.push(reref);
        let mut relocated = body.to_vec();
        relocated[2] ^= 1 << (next() % 8);
        variants.push(relocated);
        for (v, bytes) in variants.iter().enumerate() {
            apply_both(
                &mut decoded,
                &mut fused,
                bytes,
                &format!("message {i} variant {v}"),
            );
        }
        // The message itself, so the book keeps moving.
        apply_both(&mut decoded, &mut fused, body, &format!("message {i}"));
        rejects_seen |= decoded.counters().book_rejects > 0;
    }
    assert!(rejects_seen, "corruption must have caused book rejects");
    assert!(decoded.counters().unknown_locate > 0);
    assert_same_books(&decoded, &fused, 32);
}

/// The branch-free Buy/Sell Indicator parse against the plain one, for every byte.
#[test]
fn branch_free_side_matches_the_plain_parse_for_every_byte() {
    for code in 0..=u8::MAX {
        assert_eq!(
            super::side_without_branch(code),
            super::side(code),
            "code {code:#04x}"
        );
    }
    assert_eq!(super::side_without_branch(b'B'), Some(Side::Buy));
    assert_eq!(super::side_without_branch(b'S'), Some(Side::Sell));
    assert_eq!(super::side_without_branch(b'T'), None);
}
