//! One run over a generated NASDAQ-like day: decode-only throughput of crossbar-itch against
//! the `itchy` crate on the same bytes, decode + L3 book throughput on one core (eager decode +
//! `BookBuilder::on_message`, and the fused `BookBuilder::on_message_bytes`), and peak memory.
//! Rates are per wall-clock second and per CPU-second of the bench thread. A bench binary
//! (`harness = false`, no criterion) so that `cargo test` never runs it.
//!
//! Run: `cargo bench -p crossbar-feed --bench day`
//! Knobs: `DAY_BENCH_MESSAGES` (default 10,000,000), `DAY_BENCH_INSTRUMENTS` (default 8,000),
//! `DAY_BENCH_PASSES` (default 5, interleaved; the best and the median pass are reported).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use crossbar_book::BookLimits;
use crossbar_feed::{BookBuilder, BookBuilderLimits, FeedHandler};
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
    name: &'static str,
    per_pass: Vec<f64>,
    /// Messages per CPU-second of this thread, per pass (empty without schedstat).
    per_cpu_pass: Vec<f64>,
}

impl Rates {
    fn new(name: &'static str) -> Self {
        Rates {
            name,
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

    // Both decoders must accept every message, or the comparison means nothing.
    assert_eq!(crossbar_eager(&bytes), messages);
    assert_eq!(crossbar_book_fields(&bytes), messages);
    assert_eq!(itchy(&bytes), messages);

    let mut eager = Rates::new("decode crossbar eager (DayFileIter)");
    let mut lazy = Rates::new("decode crossbar book fields (lazy)");
    let mut theirs = Rates::new("decode itchy 0.3 MessageStream");
    let mut book = Rates::new("decode + book (BookBuilder)");
    let mut fused = Rates::new("fused decode + book (on_message_bytes)");
    let mut last_builder: Option<BookBuilder> = None;
    let mut book_rss_kib = 0;
    for _ in 0..passes {
        eager.time(messages, || crossbar_eager(&bytes));
        lazy.time(messages, || crossbar_book_fields(&bytes));
        theirs.time(messages, || itchy(&bytes));
        // Drop the previous pass's book before building a new one, so peak memory is one book.
        drop(last_builder.take());
        // The first book of the run is built in fresh memory: its VmRSS growth is one book's.
        let rss_before = proc_status_kib("VmRSS:");
        let mut builder = BookBuilder::new(book_limits(instruments)).expect("limits");
        let mut stats = FrameStats::default();
        book.time(messages, || {
            let (n, s) = decode_and_book(&bytes, &mut builder);
            stats = s;
            n
        });
        assert_eq!(stats.errors(), 0);
        if book_rss_kib == 0 {
            book_rss_kib = proc_status_kib("VmRSS:").saturating_sub(rss_before);
        }
        let eager_counters = *builder.counters();
        let eager_book = *builder.book().counters();
        drop(builder);
        let mut builder = BookBuilder::new(book_limits(instruments)).expect("limits");
        fused.time(messages, || {
            let (n, s) = fused_decode_and_book(&bytes, &mut builder);
            stats = s;
            n
        });
        assert_eq!(stats.errors(), 0);
        assert_eq!(
            *builder.counters(),
            eager_counters,
            "fused path: same builder counters"
        );
        assert_eq!(
            *builder.book().counters(),
            eager_book,
            "fused path: same book counters"
        );
        last_builder = Some(builder);
    }
    let builder = last_builder.expect("at least one pass");
    let counters = builder.counters();
    let book_counters = builder.book().counters();
    assert_eq!(counters.book_rejects, 0, "the generated day is consistent");

    println!("PASSES {passes} (interleaved; median and best pass)");
    for r in [&eager, &lazy, &theirs, &book, &fused] {
        println!("{}", r.line());
    }
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
        "MEMORY VmHWM={} KiB (peak RSS of the whole run) VmRSS_after_generation={} KiB (stream {} KiB) book_rss={} KiB (VmRSS growth from creating to having built the run's first book)",
        proc_status_kib("VmHWM:"),
        rss_stream_kib,
        bytes.len() / 1024,
        book_rss_kib
    );
    let day = 368_366_634.0;
    println!(
        "PROJECTION 368,366,634-message NASDAQ day at the median decode+book rate: {:.1} s (fused {:.1} s)",
        day / book.median(),
        day / fused.median()
    );
}
