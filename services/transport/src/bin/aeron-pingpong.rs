//! Round-trip latency between two processes over Aeron: rusteron used directly (`raw`, the
//! baseline) against crossbar-transport's `Publisher`/`Subscriber` (`crossbar`), over IPC and
//! UDP loopback, in one run.
//!
//! The ping process owns one embedded media driver (shared threading mode) and re-executes
//! itself with `--pong` once per (transport, size, mode) case; the pong connects to the same
//! Aeron directory as an external-driver client and echoes every message until it gets the
//! 1-byte stop message. Ping sends `warmup` then `iterations` messages one at a time, each
//! carrying its sequence number, and records send→echo time in an HdrHistogram (ns).
//!
//! With `--udp-driver-per-process` every UDP pong starts its own embedded media driver (its
//! own Aeron directory, same settings) instead of using ping's: the cross-host deploy layout,
//! where each process talks UDP through its own driver. `--modes raw` runs only the baseline.
//! Other benchmarks run this binary as their raw-Aeron baseline and read its table
//! (`integration-tests/benches/centre_round_trip.rs`).
//!
//! ```text
//! cargo run --release -p crossbar-transport --bin aeron-pingpong -- --iterations 100000
//! ```

use clap::{Parser, ValueEnum};
use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
use crossbar_transport::{
    EmbeddedDriver, Publisher, StreamConfig, Subscriber, Transport, TransportConfig,
};
use hdrhistogram::Histogram;
use rusteron_client::{
    Aeron, AeronContext, AeronHeader, AeronPublication, AeronSubscription, Handlers, IntoCString,
};
use std::error::Error;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// How long set-up steps (adding streams, connecting) may take before the run fails.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The stop message: measured payloads are at least 8 bytes, so 1 byte is unambiguous.
const STOP: [u8; 1] = [0xFF];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// rusteron-client directly: offer + poll_fn.
    Raw,
    /// crossbar-transport Publisher::offer_with_retry + Subscriber::poll.
    Crossbar,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Medium {
    /// `aeron:ipc`.
    Ipc,
    /// `aeron:udp` on 127.0.0.1.
    Udp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Wait {
    /// Busy-spin while waiting (needs a free core per process).
    Spin,
    /// `sched_yield` while waiting (default; fair on a 2-core machine).
    Yield,
}

impl Wait {
    fn config(self) -> IdleStrategyConfig {
        match self {
            Wait::Spin => IdleStrategyConfig::BusySpin,
            Wait::Yield => IdleStrategyConfig::Yield,
        }
    }
}

#[derive(Parser, Debug)]
#[command(about = "Aeron ping-pong: raw rusteron vs crossbar-transport, IPC and UDP")]
struct Args {
    /// Measured round trips per case.
    #[arg(long, default_value_t = 100_000)]
    iterations: u64,
    /// Warm-up round trips per case (not recorded); defaults to --iterations.
    #[arg(long)]
    warmup: Option<u64>,
    /// Payload sizes, bytes (each ≥ 8).
    #[arg(long, value_delimiter = ',', default_values_t = [64usize, 256])]
    sizes: Vec<usize>,
    /// Media to test.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [Medium::Ipc, Medium::Udp])]
    media: Vec<Medium>,
    /// Wait strategy of ping and pong (the driver always yields).
    #[arg(long, value_enum, default_value_t = Wait::Yield)]
    wait: Wait,
    /// Implementations to measure, in this order per size.
    #[arg(long, value_delimiter = ',', value_enum, default_values_t = [Mode::Raw, Mode::Crossbar])]
    modes: Vec<Mode>,
    /// UDP cases: each pong runs its own embedded media driver (shared threading, yield
    /// idle, same term length) in `<aeron dir>-pong<case>` instead of using ping's driver.
    #[arg(long)]
    udp_driver_per_process: bool,
    /// First UDP port; each case uses the next two.
    #[arg(long, default_value_t = 40123)]
    udp_port: u16,
    /// Term buffer length, bytes (IPC and UDP).
    #[arg(long, default_value_t = 1 << 20)]
    term_length: usize,
    /// Aeron directory (default /dev/shm/crossbar-pingpong-<pid>).
    #[arg(long)]
    aeron_dir: Option<PathBuf>,
    /// Internal: run as the pong side.
    #[arg(long, hide = true)]
    pong: bool,
    /// Internal (pong): start an embedded media driver at --aeron-dir first.
    #[arg(long, hide = true)]
    own_driver: bool,
    /// Internal (pong): implementation to echo with.
    #[arg(long, value_enum, hide = true, default_value_t = Mode::Raw)]
    mode: Mode,
    /// Internal (pong): channel to receive on.
    #[arg(long, hide = true, default_value = "")]
    sub_channel: String,
    /// Internal (pong): stream to receive on.
    #[arg(long, hide = true, default_value_t = 0)]
    sub_stream: i32,
    /// Internal (pong): channel to echo on.
    #[arg(long, hide = true, default_value = "")]
    pub_channel: String,
    /// Internal (pong): stream to echo on.
    #[arg(long, hide = true, default_value_t = 0)]
    pub_stream: i32,
}

/// One direction pair of a case: where ping sends and where pong answers.
#[derive(Clone, Debug)]
struct Streams {
    ping: StreamConfig,
    pong: StreamConfig,
}

/// What ping needs from either implementation.
trait Endpoint {
    /// Publishes `message`, retrying transient refusals with `idle`.
    fn send(&mut self, message: &[u8], idle: &mut IdleStrategy) -> BoxResult<()>;
    /// Polls once; returns (frames read, first 8 bytes of a whole message if one arrived).
    fn poll(&mut self) -> BoxResult<(usize, Option<[u8; 8]>)>;
    /// `true` when both directions are connected.
    fn connected(&self) -> bool;
}

struct RawEndpoint {
    publication: AeronPublication,
    subscription: AeronSubscription,
}

impl Endpoint for RawEndpoint {
    #[inline]
    fn send(&mut self, message: &[u8], idle: &mut IdleStrategy) -> BoxResult<()> {
        loop {
            match self.publication.offer(message) {
                Ok(_) => return Ok(()),
                Err(e) if e.is_retryable() => idle.idle(0),
                Err(e) => return Err(e.into()),
            }
        }
    }
    #[inline]
    fn poll(&mut self) -> BoxResult<(usize, Option<[u8; 8]>)> {
        let mut head = None;
        let n = self
            .subscription
            .poll_fn(|buf: &[u8], _h: AeronHeader| head = first8(buf), 1)?;
        Ok((n as usize, head))
    }
    fn connected(&self) -> bool {
        self.publication.is_connected() && self.subscription.is_connected()
    }
}

struct CrossbarEndpoint {
    publisher: Publisher,
    subscriber: Subscriber,
}

impl Endpoint for CrossbarEndpoint {
    #[inline]
    fn send(&mut self, message: &[u8], idle: &mut IdleStrategy) -> BoxResult<()> {
        self.publisher.offer_with_retry(message, u32::MAX, idle)?;
        Ok(())
    }
    #[inline]
    fn poll(&mut self) -> BoxResult<(usize, Option<[u8; 8]>)> {
        let mut head = None;
        let n = self
            .subscriber
            .poll(&mut |buf: &[u8]| head = first8(buf), 1)?;
        Ok((n, head))
    }
    fn connected(&self) -> bool {
        self.publisher.is_connected() && self.subscriber.is_connected()
    }
}

#[inline]
fn first8(buf: &[u8]) -> Option<[u8; 8]> {
    let mut out = [0u8; 8];
    match buf.len() {
        n if n >= 8 => out.copy_from_slice(&buf[..8]),
        1 => out[0] = buf[0],
        _ => return None,
    }
    Some(out)
}

fn raw_client(aeron_dir: &str) -> BoxResult<Aeron> {
    let context = AeronContext::new()?;
    context.set_dir(&aeron_dir.into_c_string())?;
    let aeron = Aeron::new(&context)?;
    aeron.start()?;
    Ok(aeron)
}

fn raw_endpoint(
    aeron: &Aeron,
    publish: &StreamConfig,
    subscribe: &StreamConfig,
) -> BoxResult<RawEndpoint> {
    let publication = aeron
        .async_add_publication(&publish.channel.as_str().into_c_string(), publish.stream_id)?
        .poll_blocking(SETUP_TIMEOUT)?;
    let subscription = aeron
        .async_add_subscription(
            &subscribe.channel.as_str().into_c_string(),
            subscribe.stream_id,
            Handlers::NONE,
            Handlers::NONE,
        )?
        .poll_blocking(SETUP_TIMEOUT)?;
    Ok(RawEndpoint {
        publication,
        subscription,
    })
}

fn crossbar_endpoint(
    transport: &mut Transport,
    publish: &StreamConfig,
    subscribe: &StreamConfig,
) -> BoxResult<CrossbarEndpoint> {
    let publisher = transport.add_publication_with("pingpong_out", publish)?;
    let subscriber = transport.add_subscription_with("pingpong_in", subscribe)?;
    Ok(CrossbarEndpoint {
        publisher,
        subscriber,
    })
}

/// Transport settings of both sides. The driver always yields when idle: with `--wait spin`
/// ping and pong already occupy both cores of the reference machine, and for UDP the
/// driver's sender/receiver are on the data path and must get the CPU.
fn client_config(aeron_dir: &str, term_length: usize) -> TransportConfig {
    TransportConfig {
        aeron_dir: PathBuf::from(aeron_dir),
        embedded_driver: false,
        ipc_term_buffer_length: term_length,
        udp_term_buffer_length: term_length,
        driver_idle: IdleStrategyConfig::Yield,
        idle: IdleStrategyConfig::Sleep { sleep_ns: 100_000 },
        ..TransportConfig::default()
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> BoxResult<()> {
    let deadline = Instant::now() + SETUP_TIMEOUT;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

// ---------------------------------------------------------------- pong side

fn run_pong(args: &Args) -> BoxResult<()> {
    let dir = args
        .aeron_dir
        .as_ref()
        .ok_or("--aeron-dir is required with --pong")?
        .to_string_lossy()
        .into_owned();
    let subscribe = StreamConfig::new(args.sub_channel.clone(), args.sub_stream);
    let publish = StreamConfig::new(args.pub_channel.clone(), args.pub_stream);
    let driver = if args.own_driver {
        Some(EmbeddedDriver::start(&TransportConfig {
            embedded_driver: true,
            ..client_config(&dir, args.term_length)
        })?)
    } else {
        None
    };
    let echoed = echo(args, &dir, &publish, &subscribe);
    if let Some(driver) = driver {
        driver.stop();
    }
    echoed
}

/// Echoes every message from `subscribe` on `publish` until the stop message.
fn echo(args: &Args, dir: &str, publish: &StreamConfig, subscribe: &StreamConfig) -> BoxResult<()> {
    let mut idle = IdleStrategy::new(args.wait.config());
    match args.mode {
        Mode::Raw => {
            let aeron = raw_client(dir)?;
            let endpoint = raw_endpoint(&aeron, publish, subscribe)?;
            wait_for("pong raw connection", || endpoint.connected())?;
            let mut stop = false;
            while !stop {
                let n = endpoint.subscription.poll_fn(
                    |buf: &[u8], _h: AeronHeader| {
                        stop |= buf == STOP;
                        while let Err(e) = endpoint.publication.offer(buf) {
                            assert!(e.is_retryable(), "pong offer failed: {e}");
                        }
                    },
                    1,
                )?;
                idle.idle(n as usize);
            }
        }
        Mode::Crossbar => {
            let mut transport = Transport::start(client_config(dir, args.term_length))?;
            let mut endpoint = crossbar_endpoint(&mut transport, publish, subscribe)?;
            wait_for("pong crossbar connection", || endpoint.connected())?;
            let mut stop = false;
            let mut retry = IdleStrategy::new(IdleStrategyConfig::BusySpin);
            let publisher = &endpoint.publisher;
            let mut failure = None;
            while !stop {
                let n = endpoint.subscriber.poll(
                    &mut |buf: &[u8]| {
                        stop |= buf == STOP;
                        if let Err(e) = publisher.offer_with_retry(buf, u32::MAX, &mut retry) {
                            failure = Some(e);
                            stop = true;
                        }
                    },
                    1,
                )?;
                idle.idle(n);
            }
            if let Some(e) = failure {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- ping side

struct CaseResult {
    medium: Medium,
    size: usize,
    mode: Mode,
    histogram: Histogram<u64>,
}

fn streams_for(medium: Medium, case: u16, udp_port: u16) -> Streams {
    let stream_id = 3000 + 2 * i32::from(case);
    let (ping_channel, pong_channel) = match medium {
        Medium::Ipc => ("aeron:ipc".to_owned(), "aeron:ipc".to_owned()),
        Medium::Udp => {
            let port = udp_port + 2 * case;
            (
                format!("aeron:udp?endpoint=127.0.0.1:{port}"),
                format!("aeron:udp?endpoint=127.0.0.1:{}", port + 1),
            )
        }
    };
    Streams {
        ping: StreamConfig::new(ping_channel, stream_id),
        pong: StreamConfig::new(pong_channel, stream_id + 1),
    }
}

fn spawn_pong(
    args: &Args,
    dir: &str,
    (medium, mode, case): (Medium, Mode, u16),
    streams: &Streams,
) -> BoxResult<Child> {
    let exe = std::env::current_exe()?;
    let own_driver = medium == Medium::Udp && args.udp_driver_per_process;
    let pong_dir = if own_driver {
        format!("{dir}-pong{case}")
    } else {
        dir.to_owned()
    };
    let mode = match mode {
        Mode::Raw => "raw",
        Mode::Crossbar => "crossbar",
    };
    let wait = match args.wait {
        Wait::Spin => "spin",
        Wait::Yield => "yield",
    };
    let mut command = Command::new(exe);
    if own_driver {
        command.arg("--own-driver");
    }
    Ok(command
        .arg("--pong")
        .args(["--aeron-dir", &pong_dir, "--mode", mode, "--wait", wait])
        .args(["--term-length", &args.term_length.to_string()])
        .args([
            "--sub-channel",
            &streams.ping.channel,
            "--sub-stream",
            &streams.ping.stream_id.to_string(),
        ])
        .args([
            "--pub-channel",
            &streams.pong.channel,
            "--pub-stream",
            &streams.pong.stream_id.to_string(),
        ])
        .spawn()?)
}

/// Sends `warmup + iterations` messages of `size` bytes one at a time; returns the histogram
/// of the measured round trips, ns.
fn ping_loop(
    endpoint: &mut impl Endpoint,
    size: usize,
    warmup: u64,
    iterations: u64,
    wait: Wait,
) -> BoxResult<Histogram<u64>> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let mut message = vec![0xA5u8; size];
    let mut idle = IdleStrategy::new(wait.config());
    for seq in 0..warmup + iterations {
        message[..8].copy_from_slice(&seq.to_le_bytes());
        let started = Instant::now();
        endpoint.send(&message, &mut idle)?;
        let head = loop {
            let (work, head) = endpoint.poll()?;
            if let Some(head) = head {
                break head;
            }
            idle.idle(work);
        };
        let elapsed_ns = started.elapsed().as_nanos() as u64;
        if u64::from_le_bytes(head) != seq {
            return Err(format!(
                "echo out of order: sent {seq}, got {}",
                u64::from_le_bytes(head)
            )
            .into());
        }
        if seq >= warmup {
            histogram.record(elapsed_ns.max(1))?;
        }
    }
    endpoint.send(&STOP, &mut idle)?;
    loop {
        if let (_, Some(head)) = endpoint.poll()? {
            if head[0] == STOP[0] {
                return Ok(histogram);
            }
        }
        idle.idle(0);
    }
}

fn run_case(
    args: &Args,
    dir: &str,
    raw: &Aeron,
    transport: &mut Transport,
    (medium, size, mode, case): (Medium, usize, Mode, u16),
) -> BoxResult<CaseResult> {
    let streams = streams_for(medium, case, args.udp_port);
    let warmup = args.warmup.unwrap_or(args.iterations);
    let mut pong = spawn_pong(args, dir, (medium, mode, case), &streams)?;
    let outcome = (|| -> BoxResult<Histogram<u64>> {
        match mode {
            Mode::Raw => {
                let mut endpoint = raw_endpoint(raw, &streams.ping, &streams.pong)?;
                wait_for("ping raw connection", || endpoint.connected())?;
                ping_loop(&mut endpoint, size, warmup, args.iterations, args.wait)
            }
            Mode::Crossbar => {
                let mut endpoint = crossbar_endpoint(transport, &streams.ping, &streams.pong)?;
                wait_for("ping crossbar connection", || endpoint.connected())?;
                ping_loop(&mut endpoint, size, warmup, args.iterations, args.wait)
            }
        }
    })();
    match outcome {
        Ok(histogram) => {
            let status = pong.wait()?;
            if !status.success() {
                return Err(format!("pong exited with {status}").into());
            }
            Ok(CaseResult {
                medium,
                size,
                mode,
                histogram,
            })
        }
        Err(e) => {
            let _ = pong.kill();
            let _ = pong.wait();
            Err(e)
        }
    }
}

fn run_ping(args: &Args) -> BoxResult<()> {
    if args.sizes.iter().any(|s| *s < 8) {
        return Err("every --sizes value must be ≥ 8 bytes".into());
    }
    let dir = args.aeron_dir.clone().unwrap_or_else(|| {
        PathBuf::from(format!("/dev/shm/crossbar-pingpong-{}", std::process::id()))
    });
    let dir_text = dir.to_string_lossy().into_owned();
    let driver_config = TransportConfig {
        embedded_driver: true,
        ..client_config(&dir_text, args.term_length)
    };
    let driver = EmbeddedDriver::start(&driver_config)?;
    let raw = raw_client(&dir_text)?;
    let mut transport = Transport::start(client_config(&dir_text, args.term_length))?;
    let mut results = Vec::new();
    let mut case = 0u16;
    for &medium in &args.media {
        for &size in &args.sizes {
            for &mode in &args.modes {
                eprintln!("case {case}: {medium:?} {size} B {mode:?}");
                results.push(run_case(
                    args,
                    &dir_text,
                    &raw,
                    &mut transport,
                    (medium, size, mode, case),
                )?);
                case += 1;
            }
        }
    }
    print_table(&results);
    drop(transport);
    drop(raw);
    driver.stop();
    Ok(())
}

fn print_table(results: &[CaseResult]) {
    println!("| medium | bytes | mode | p50 ns | p99 ns | p99.9 ns | max ns | mean ns | n |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let h = &r.histogram;
        println!(
            "| {:?} | {} | {:?} | {} | {} | {} | {} | {:.0} | {} |",
            r.medium,
            r.size,
            r.mode,
            h.value_at_quantile(0.50),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
            h.mean(),
            h.len()
        );
    }
    println!();
    println!("| medium | bytes | crossbar/raw p50 | crossbar/raw p99 |");
    println!("|---|---:|---:|---:|");
    for raw in results.iter().filter(|r| r.mode == Mode::Raw) {
        let crossbar = results
            .iter()
            .find(|r| r.mode == Mode::Crossbar && r.medium == raw.medium && r.size == raw.size);
        if let Some(crossbar) = crossbar {
            let ratio = |q: f64| {
                crossbar.histogram.value_at_quantile(q) as f64
                    / raw.histogram.value_at_quantile(q).max(1) as f64
            };
            println!(
                "| {:?} | {} | {:.3} | {:.3} |",
                raw.medium,
                raw.size,
                ratio(0.50),
                ratio(0.99)
            );
        }
    }
}

fn main() -> BoxResult<()> {
    let args = Args::parse();
    crossbar_runtime::init_logging(&crossbar_runtime::LoggingConfig {
        level: "warn".to_owned(),
        ..Default::default()
    })?;
    if args.pong {
        run_pong(&args)
    } else {
        run_ping(&args)
    }
}
