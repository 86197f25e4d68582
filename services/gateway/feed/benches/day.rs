//! One run over a generated NASDAQ-like day: decode-only throughput of crossbar-itch against
//! the `itchy` crate on the same bytes, decode + L3 book throughput on one core (eager decode +
//! `BookBuilder::on_message`, the fused `BookBuilder::on_message_bytes`, and the fused path
//! software-pipelined with prefetch hints, `BookBuilder::on_messages_bytes`), and peak memory.
//! Rates are per wall-clock second and per CPU-second of the bench thread. A bench binary
//! (`harness = false`, no criterion) so that `cargo test` never runs it.
//!
//! Run: `cargo bench -p crossbar-feed --bench day`
//! Knobs: `DAY_BENCH_MESSAGES` (default 10,000,000), `DAY_BENCH_INSTRUMENTS` (default 8,000),
//! `DAY_BENCH_PASSES` (default 5, interleaved; the best and the median pass are reported),
//! `DAY_BENCH_DISTANCES` (prefetch distances of the pipelined rows, comma-separated, default
//! `PREFETCH_DISTANCE`; each pass runs fused and every pipelined row on the same bytes, in
//! alternating order, plus one pipelined row in batches of 32 messages as `MoldFeed` runs it
//! per packet), `DAY_BENCH_BOOK_ONLY=1` (only the fused and pipelined rows).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use crossbar_book::{BookCounters, BookLimits};
use crossbar_feed::{
    BookBuilder, BookBuilderCounters, BookBuilderLimits, FeedHandler, PREFETCH_DISTANCE,
};
use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{decode_book_fields, DayFileFrames, DayFileIter, FrameStats};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `VmHWM` / `VmRSS` from `/proc/self/status`, KiB (0 where unavailable).
fn proc_status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Eager decode of every field of every message (the same work as itchy). Both decode-only
/// sides iterate with `for_each`: ours then runs `DayFileIter::fold` (the message written in
/// place per type), itchy's `MessageStream` the default `next` loop.
#[inline(never)] // a separate symbol for callgrind
fn crossbar_eager(bytes: &[u8]) -> u64 {
    let mut n = 0;
    DayFileIter::new(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

/// Lazy decode: framing, then only the fields a book consumer needs (`decode_book_fields`).
#[inline(never)] // a separate symbol for callgrind
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

#[inline(never)] // a separate symbol for callgrind
fn itchy(bytes: &[u8]) -> u64 {
    let mut n = 0;
    itchy::MessageStream::from_reader(bytes).for_each(|item| {
        black_box(&item);
        n += u64::from(item.is_ok());
    });
    n
}

fn book_limits(instruments: u64) -> BookBuilderLimits {
    BookBuilderLimits {
        book: BookLimits {
            instruments: instruments as u32,
            orders: 1 << 21,
            levels_per_side: 2_048,
        },
        level_updates: 4_096,
    }
}

/// Decode + book: every message through `BookBuilder` (the gateway's feed handler), level
/// updates drained every 32 messages (about one MoldUDP64 packet's worth).
#[inline(never)] // a separate symbol for callgrind
fn decode_and_book(bytes: &[u8], builder: &mut BookBuilder) -> (u64, FrameStats) {
    let mut iter = DayFileIter::new(bytes);
    let mut n = 0u64;
    for (i, item) in (&mut iter).enumerate() {
        if let Ok(m) = item {
            builder.on_message(i as u64 + 1, &m, 0);
            n += 1;
        }
        if i % 32 == 31 {
            builder.drain_updates().for_each(|u| {
                black_box(u);
            });
        }
    }
    (n, iter.stats())
}

/// Decode fused into the book: framing, then `BookBuilder::on_message_bytes` reads each
/// message's fields at its type's fixed offsets (no `ItchMessage`); drained as above.
#[inline(never)] // a separate symbol for callgrind
fn fused_decode_and_book(bytes: &[u8], builder: &mut BookBuilder) -> (u64, FrameStats) {
    let mut frames = DayFileFrames::new(bytes);
    let mut n = 0u64;
    for (i, frame) in (&mut frames).enumerate() {
        if let Ok(body) = frame {
            n += u64::from(builder.on_message_bytes(body).is_ok());
        }
        if i % 32 == 31 {
            builder.drain_updates().for_each(|u| {
                black_box(u);
            });
        }
    }
    (n, frames.stats())
}

/// [`fused_decode_and_book`] through the software-pipelined `BookBuilder::on_messages_bytes`
/// (prefetch hints `K` messages apart ahead of each message); same framing, same draining.
#[inline(never)] // a separate symbol for callgrind
fn pipelined_decode_and_book<const K: usize>(
    bytes: &[u8],
    builder: &mut BookBuilder,
) -> (u64, FrameStats) {
    let mut frames = DayFileFrames::new(bytes);
    let (mut n, mut i) = (0u64, 0u64);
    builder.on_messages_bytes_with_distance::<(), K>(
        (&mut frames).filter_map(Result::ok).map(|body| ((), body)),
        |builder, (), result| {
            n += u64::from(result.is_ok());
            if i % 32 == 31 {
                builder.drain_updates().for_each(|u| {
                    black_box(u);
                });
            }
            i += 1;
        },
    );
    (n, frames.stats())
}

/// Messages per MoldUDP64 packet in the batched row (a 1,472-byte payload holds ~32 messages
/// of the day's mix, average 30.5 bytes + 2-byte block length).
const PACKET_MESSAGES: usize = 32;

/// [`pipelined_decode_and_book`] at `PREFETCH_DISTANCE`, but one `on_messages_bytes` call per
/// batch of [`PACKET_MESSAGES`] messages, as `MoldFeed` pipelines within each packet: the
/// pipeline fills and drains every batch. Drained after every batch.
#[inline(never)] // a separate symbol for callgrind
fn pipelined_per_packet(bytes: &[u8], builder: &mut BookBuilder) -> (u64, FrameStats) {
    let mut frames = DayFileFrames::new(bytes);
    let mut n = 0u64;
    let mut batch: [&[u8]; PACKET_MESSAGES] = [&[]; PACKET_MESSAGES];
    loop {
        let mut len = 0;
        for body in (&mut frames).filter_map(Result::ok).take(PACKET_MESSAGES) {
            batch[len] = body;
            len += 1;
        }
        if len == 0 {
            break;
        }
        builder.on_messages_bytes(batch[..len].iter().map(|b| ((), *b)), |_, (), result| {
            n += u64::from(result.is_ok());
        });
        builder.drain_updates().for_each(|u| {
            black_box(u);
        });
    }
    (n, frames.stats())
}

/// Pipelined runs at distance `k` (the values the sweep accepts; others are refused).
fn pipelined_at(k: usize, bytes: &[u8], builder: &mut BookBuilder) -> (u64, FrameStats) {
    match k {
        0 => pipelined_decode_and_book::<0>(bytes, builder),
        1 => pipelined_decode_and_book::<1>(bytes, builder),
        2 => pipelined_decode_and_book::<2>(bytes, builder),
        3 => pipelined_decode_and_book::<3>(bytes, builder),
        4 => pipelined_decode_and_book::<4>(bytes, builder),
        6 => pipelined_decode_and_book::<6>(bytes, builder),
        8 => pipelined_decode_and_book::<8>(bytes, builder),
        12 => pipelined_decode_and_book::<12>(bytes, builder),
        16 => pipelined_decode_and_book::<16>(bytes, builder),
        _ => panic!("DAY_BENCH_DISTANCES: {k} is not one of 0 1 2 3 4 6 8 12 16"),
    }
}

/// CPU time this thread has run, ns: `utime + stime` from `/proc/thread-self/stat` (fields 14
/// and 15, in clock ticks of 10 ms: `USER_HZ` is 100 on Linux), so a pass of a few seconds is
/// resolved to under 1%. Unlike wall clock it excludes time the thread waited for a core,
/// which on a shared machine is most of the noise. `None` where unavailable.
fn thread_cpu_ns() -> Option<u64> {
    const NS_PER_TICK: u64 = 10_000_000;
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name start at field 3 (state).
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = rest.next()?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some((utime + stime) * NS_PER_TICK)
}

struct Rates {
    name: String,
    per_pass: Vec<f64>,
    /// Messages per CPU-second of this thread, per pass (empty without schedstat).
    per_cpu_pass: Vec<f64>,
}

impl Rates {
    fn new(name: impl Into<String>) -> Self {
        Rates {
            name: name.into(),
            per_pass: Vec::new(),
            per_cpu_pass: Vec::new(),
        }
    }
    fn time(&mut self, messages: u64, f: impl FnOnce() -> u64) {
        let cpu_start = thread_cpu_ns();
        let start = Instant::now();
        let n = f();
        let secs = start.elapsed().as_secs_f64();
        let cpu_end = thread_cpu_ns();
        assert_eq!(n, messages, "{}: every message must decode", self.name);
        self.per_pass.push(messages as f64 / secs);
        if let (Some(a), Some(b)) = (cpu_start, cpu_end) {
            self.per_cpu_pass
                .push(messages as f64 / ((b.saturating_sub(a)).max(1) as f64 / 1e9));
        }
    }
    fn best(&self) -> f64 {
        self.per_pass.iter().copied().fold(0.0, f64::max)
    }
    fn median(&self) -> f64 {
        median_of(&self.per_pass)
    }
    /// Median rate per CPU-second (0 without schedstat).
    fn cpu_median(&self) -> f64 {
        if self.per_cpu_pass.is_empty() {
            0.0
        } else {
            median_of(&self.per_cpu_pass)
        }
    }
    fn line(&self) -> String {
        format!(
            "{:<40} median {:>7.2} M msg/s ({:>6.2} ns/msg)  best {:>7.2} M msg/s  cpu-time median {:>7.2} M msg/s ({:>6.2} ns/msg)",
            self.name,
            self.median() / 1e6,
            1e9 / self.median(),
            self.best() / 1e6,
            self.cpu_median() / 1e6,
            1e9 / self.cpu_median()
        )
    }
}

fn median_of(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a libtest-style filter or `--list` is ignored.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let messages = env_u64("DAY_BENCH_MESSAGES", 10_000_000);
    let instruments = env_u64("DAY_BENCH_INSTRUMENTS", 8_000).clamp(1, 65_535);
    let passes = env_u64("DAY_BENCH_PASSES", 5).max(1) as usize;
    let book_only = env_u64("DAY_BENCH_BOOK_ONLY", 0) != 0;
    let distances: Vec<usize> = std::env::var("DAY_BENCH_DISTANCES")
        .ok()
        .map(|v| {
            v.split(',')
                .map(|k| {
                    k.trim()
                        .parse()
                        .expect("DAY_BENCH_DISTANCES: comma-separated numbers")
                })
                .collect()
        })
        .unwrap_or_else(|| vec![PREFETCH_DISTANCE]);
    let config = DayConfig {
        seed: 20_190_130,
        instruments: instruments as u16,
        messages,
    };
    let mut bytes = Vec::new();
    let start = Instant::now();
    let summary = generate_day(&config, &mut bytes).expect("generator");
    let messages = summary.census.total();
    println!(
        "DAY seed={} instruments={} messages={} bytes={} live_orders_at_end={} generated_in={:.2?}",
        config.seed,
        instruments,
        messages,
        bytes.len(),
        summary.live_orders,
        start.elapsed()
    );
    println!(
        "MIX {}",
        summary
            .census
            .nonzero()
            .iter()
            .map(|(t, c)| format!("{}={c}", *t as char))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let rss_stream_kib = proc_status_kib("VmRSS:");

    if !book_only {
        // Both decoders must accept every message, or the comparison means nothing.
        assert_eq!(crossbar_eager(&bytes), messages);
        assert_eq!(crossbar_book_fields(&bytes), messages);
        assert_eq!(itchy(&bytes), messages);
    }

    let mut eager = Rates::new("decode crossbar eager (DayFileIter)");
    let mut lazy = Rates::new("decode crossbar book fields (lazy)");
    let mut theirs = Rates::new("decode itchy 0.3 MessageStream");
    let mut book = Rates::new("decode + book (BookBuilder)");
    let mut fused = Rates::new("fused decode + book (on_message_bytes)");
    let mut pipelined: Vec<Rates> = distances
        .iter()
        .map(|k| Rates::new(format!("pipelined K={k} (on_messages_bytes)")))
        .collect();
    let mut per_packet = Rates::new(format!(
        "pipelined K={PREFETCH_DISTANCE}, per {PACKET_MESSAGES}-message packet"
    ));
    let mut last_builder: Option<BookBuilder> = None;
    let mut book_rss_kib = 0;
    for pass in 0..passes {
        if !book_only {
            eager.time(messages, || crossbar_eager(&bytes));
            lazy.time(messages, || crossbar_book_fields(&bytes));
            theirs.time(messages, || itchy(&bytes));
        }
        // Drop the previous pass's book before building a new one, so peak memory is one book.
        drop(last_builder.take());
        let mut stats = FrameStats::default();
        let mut reference: Option<(BookBuilderCounters, BookCounters, usize)> = None;
        if !book_only {
            // The first book of the run is built in fresh memory: its VmRSS growth is one
            // book's.
            let rss_before = proc_status_kib("VmRSS:");
            let mut builder = BookBuilder::new(book_limits(instruments)).expect("limits");
            book.time(messages, || {
                let (n, s) = decode_and_book(&bytes, &mut builder);
                stats = s;
                n
            });
            assert_eq!(stats.errors(), 0);
            if book_rss_kib == 0 {
                book_rss_kib = proc_status_kib("VmRSS:").saturating_sub(rss_before);
            }
            reference = Some(outcome(&builder));
        }
        // Fused and pipelined alternate which runs first, so neither always gets the warmer
        // (or the colder) machine state.
        // `None`: fused; `Some(j < distances.len())`: pipelined at `distances[j]`;
        // `Some(distances.len())`: pipelined per packet.
        let mut runs: Vec<Option<usize>> = std::iter::once(None)
            .chain((0..=distances.len()).map(Some))
            .collect();
        if pass % 2 == 1 {
            runs.reverse();
        }
        for run in runs {
            // One book at a time, so peak memory stays one book's.
            drop(last_builder.take());
            let mut builder = BookBuilder::new(book_limits(instruments)).expect("limits");
            let (rates, what) = match run {
                None => (&mut fused, "fused"),
                Some(j) if j == distances.len() => (&mut per_packet, "pipelined per packet"),
                Some(j) => (&mut pipelined[j], "pipelined"),
            };
            rates.time(messages, || {
                let (n, s) = match run {
                    None => fused_decode_and_book(&bytes, &mut builder),
                    Some(j) if j == distances.len() => pipelined_per_packet(&bytes, &mut builder),
                    Some(j) => pipelined_at(distances[j], &bytes, &mut builder),
                };
                stats = s;
                n
            });
            assert_eq!(stats.errors(), 0);
            let got = outcome(&builder);
            match reference {
                Some(want) => assert_eq!(got, want, "{what} path: same counters and orders"),
                None => reference = Some(got),
            }
            last_builder = Some(builder);
        }
    }
    let builder = last_builder.expect("at least one pass");
    let counters = builder.counters();
    let book_counters = builder.book().counters();
    assert_eq!(counters.book_rejects, 0, "the generated day is consistent");

    println!("PASSES {passes} (interleaved; median and best pass)");
    if !book_only {
        for r in [&eager, &lazy, &theirs, &book] {
            println!("{}", r.line());
        }
    }
    println!("{}", fused.line());
    for r in pipelined.iter().chain([&per_packet]) {
        println!("{}", r.line());
    }
    if !book_only {
        println!(
            "RATIO decode eager/itchy median {:.2}x best {:.2}x (both decode every field)",
            eager.median() / theirs.median(),
            eager.best() / theirs.best()
        );
        println!(
            "RATIO decode book-fields/itchy median {:.2}x best {:.2}x (ours: the book's fields only)",
            lazy.median() / theirs.median(),
            lazy.best() / theirs.best()
        );
        println!(
            "RATIO decode+book fused/eager median {:.2}x best {:.2}x",
            fused.median() / book.median(),
            fused.best() / book.best()
        );
        println!(
            "RATIO cpu-time medians: eager/itchy {:.2}x book-fields/itchy {:.2}x fused/eager book {:.2}x",
            eager.cpu_median() / theirs.cpu_median(),
            lazy.cpu_median() / theirs.cpu_median(),
            fused.cpu_median() / book.cpu_median()
        );
    }
    for r in pipelined.iter().chain([&per_packet]) {
        println!(
            "RATIO {} / fused: wall median {:.2}x best {:.2}x cpu-time median {:.2}x",
            r.name,
            r.median() / fused.median(),
            r.best() / fused.best(),
            r.cpu_median() / fused.cpu_median()
        );
    }
    println!(
        "BOOK instruments_mapped={} resting_orders={} adds={} executes={} cancels={} deletes={} replaces={} rejects={}",
        counters.instruments_mapped,
        builder.book().order_count(),
        book_counters.adds,
        book_counters.executes,
        book_counters.cancels,
        book_counters.deletes,
        book_counters.replaces,
        book_counters.rejected()
    );
    println!(
        "MEMORY VmHWM={} KiB (peak RSS of the whole run) VmRSS_after_generation={} KiB (stream {} KiB) book_rss={} KiB (VmRSS growth from creating to having built the run's first book; 0 with DAY_BENCH_BOOK_ONLY)",
        proc_status_kib("VmHWM:"),
        rss_stream_kib,
        bytes.len() / 1024,
        book_rss_kib
    );
    let day = 368_366_634.0;
    if !book_only {
        println!(
            "PROJECTION 368,366,634-message NASDAQ day at the median decode+book rate: {:.1} s (fused {:.1} s)",
            day / book.median(),
            day / fused.median()
        );
    }
}

/// What a run left: builder counters, book counters, resting orders (every path must agree).
fn outcome(builder: &BookBuilder) -> (BookBuilderCounters, BookCounters, usize) {
    (
        *builder.counters(),
        *builder.book().counters(),
        builder.book().order_count(),
    )
}
