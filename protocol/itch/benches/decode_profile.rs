//! One decode pass over a generated day, for `valgrind --tool=callgrind`: instruction and
//! branch-misprediction counts per message are repeatable on a loaded machine, wall clock is
//! not. Each decoder is its own `#[inline(never)]` function, so callgrind's inclusive cost of
//! that function divided by the message count is the per-message cost.
//!
//! ```text
//! cargo bench -p crossbar-itch --bench decode_profile --no-run
//! ITCH_PROFILE_MESSAGES=1000000 valgrind --tool=callgrind --branch-sim=yes \
//!     target/release/deps/decode_profile-<hash>
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep profile_
//! ```
//!
//! Knobs: `ITCH_PROFILE_MESSAGES` (default 1,000,000 under `cargo bench`, else 10,000: the
//! generator adds its directory of 8,000 instruments on top), `ITCH_PROFILE_DECODERS` (comma
//! list of `eager` and `itchy` (`for_each`), `eager_next` and `itchy_next` (`for` loops),
//! `reader`, `frames`; default `eager,itchy`). Every decoder must accept every message.
#![allow(missing_docs)]

use std::hint::black_box;

use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{DayFileFrames, DayFileIter, DayFileReader};

/// Eager decode of every field of every message (`DayFileIter`), each item to `black_box`,
/// by internal iteration (`for_each`, i.e. `DayFileIter::fold`).
#[inline(never)]
fn profile_crossbar_eager(bytes: &[u8]) -> u64 {
    let mut n = 0;
    DayFileIter::new(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

/// The same through a `for` loop (`DayFileIter::next`).
#[inline(never)]
fn profile_crossbar_eager_next(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for item in DayFileIter::new(bytes) {
        black_box(&item);
        n += u64::from(item.is_ok());
    }
    n
}

/// Framing only (`DayFileFrames`, what the fused book path iterates), each frame to
/// `black_box`.
#[inline(never)]
fn profile_crossbar_frames(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for frame in DayFileFrames::new(bytes) {
        black_box(&frame);
        n += u64::from(frame.is_ok());
    }
    n
}

/// The streaming reader over the same bytes.
#[inline(never)]
fn profile_crossbar_reader(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for item in DayFileReader::new(bytes) {
        black_box(&item);
        n += u64::from(item.is_ok());
    }
    n
}

/// itchy 0.3 `MessageStream`: every field of every message, each item to `black_box`
/// (`for_each`, the same shape as ours).
#[inline(never)]
fn profile_itchy(bytes: &[u8]) -> u64 {
    let mut n = 0;
    itchy::MessageStream::from_reader(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

/// itchy through a `for` loop.
#[inline(never)]
fn profile_itchy_next(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for item in itchy::MessageStream::from_reader(bytes) {
        black_box(&item);
        n += u64::from(item.is_ok());
    }
    n
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `cargo bench` passes `--bench`; run any other way (`cargo test --all-targets`, or
    // directly without the variable) the default is a small smoke-test day.
    let default = if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        10_000
    };
    let messages = std::env::var("ITCH_PROFILE_MESSAGES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default);
    let decoders =
        std::env::var("ITCH_PROFILE_DECODERS").unwrap_or_else(|_| "eager,itchy".to_owned());
    let config = DayConfig {
        seed: 20_190_130,
        instruments: 8_000,
        messages,
    };
    let mut bytes = Vec::new();
    let summary = generate_day(&config, &mut bytes).expect("generator");
    let total = summary.census.total();
    println!("PROFILE messages={total} bytes={}", bytes.len());
    for name in decoders.split(',') {
        let n = match name.trim() {
            "eager" => profile_crossbar_eager(&bytes),
            "eager_next" => profile_crossbar_eager_next(&bytes),
            "itchy_next" => profile_itchy_next(&bytes),
            "reader" => profile_crossbar_reader(&bytes),
            "frames" => profile_crossbar_frames(&bytes),
            "itchy" => profile_itchy(&bytes),
            other => panic!("unknown decoder {other:?}"),
        };
        assert_eq!(n, total, "{name}: every message must decode");
        println!("PROFILE decoder={name} messages={n}");
    }
}
