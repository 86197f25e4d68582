//! The feed handler over real UDP on loopback: a publisher thread sends a generated ITCH day
//! as MoldUDP64 packets with ranges deliberately dropped, a small request server answers
//! re-requests from its history (or never answers), and the [`MoldFeed`] agent, driven on the
//! test thread with a backoff idle strategy, must detect, re-request and fill the gaps and end
//! with the same books as a reference built from the whole stream, or fail closed.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbar_book::{BookLimits, Level, LevelAction, LevelUpdate};
use crossbar_feed::{
    BookBuilder, BookBuilderLimits, FeedHandler, FeedLimits, FeedState, MoldFeed, MoldFeedConfig,
    RecoveryPolicy,
};
use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_itch::{decode, ItchMessage};
use crossbar_model::{InstrumentId, Price, Side};
use crossbar_moldudp64::{PacketEncoder, RequestPacket, Session};
use crossbar_runtime::agent::wall_clock_ns;
use crossbar_runtime::{Agent, CounterSet, IdleStrategy, IdleStrategyConfig};

const SESSION: Session = Session(*b"LOOPBACK01");
const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A generated day: every message's bytes (index = sequence number - 1) and the packets
/// carrying them.
struct Day {
    messages: Vec<Vec<u8>>,
    packets: Vec<Vec<u8>>,
    end_of_session: Vec<u8>,
}

fn make_day(messages: u64) -> Day {
    let config = DayConfig {
        seed: 7,
        instruments: 20,
        messages,
    };
    let mut encoder = PacketEncoder::new(SESSION, 1, 400).unwrap();
    let mut day = Day {
        messages: Vec::new(),
        packets: Vec::new(),
        end_of_session: Vec::new(),
    };
    let mut scratch = [0u8; 64];
    for message in DayGenerator::new(config) {
        let len = message.encode(&mut scratch).unwrap();
        if !encoder.fits(len) {
            day.packets.push(encoder.packet().to_vec());
            encoder.next_packet();
        }
        encoder.push(&scratch[..len]).unwrap();
        day.messages.push(scratch[..len].to_vec());
    }
    day.packets.push(encoder.packet().to_vec());
    encoder.next_packet();
    day.end_of_session = encoder.end_of_session().to_vec();
    day
}

fn builder_limits() -> BookBuilderLimits {
    BookBuilderLimits {
        book: BookLimits {
            instruments: 64,
            orders: 1 << 17,
            levels_per_side: 4_096,
        },
        level_updates: 1 << 16,
    }
}

/// The publisher: sends every packet except those in `drop`, one malformed datagram, then
/// end-of-session packets every 20 ms until stopped (as venues repeat them).
/// The next sequence number after MoldUDP64 packet `packet` (header: session 10 bytes,
/// sequence number u64, message count u16, big-endian; MoldUDP64 §1.3).
fn next_sequence_after(packet: &[u8]) -> u64 {
    let sequence = u64::from_be_bytes(packet[10..18].try_into().unwrap());
    sequence + u64::from(u16::from_be_bytes(packet[18..20].try_into().unwrap()))
}

/// Sends the day, leaving out the `drop` ranges of packets. With `paced`, after the packet
/// that reveals each dropped range it waits (up to 30 s) until the consumer's expected
/// sequence (`paced`, published by [`run_until`]) is past that packet, i.e. the gap was
/// recovered: every dropped range is then its own gap whatever the machine's load.
fn spawn_publisher(
    day: Arc<Day>,
    target: SocketAddr,
    drop: Vec<Range<usize>>,
    stop: Arc<AtomicBool>,
    paced: Option<Arc<AtomicU64>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
        for (i, packet) in day.packets.iter().enumerate() {
            if i == 3 {
                socket.send_to(b"not a mold packet", target).unwrap();
            }
            if !drop.iter().any(|r| r.contains(&i)) {
                socket.send_to(packet, target).unwrap();
            }
            if let Some(progress) = paced.as_ref().filter(|_| drop.iter().any(|r| r.end == i)) {
                let want = next_sequence_after(packet);
                let deadline = Instant::now() + Duration::from_secs(30);
                while progress.load(Ordering::Acquire) < want && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            if i % 16 == 15 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        while !stop.load(Ordering::Acquire) {
            socket.send_to(&day.end_of_session, target).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

/// The venue's request server: answers each request with one packet of up to the requested
/// count from its history (as many as fit 1,400 bytes), or never answers. Returns the
/// requests it received.
fn spawn_request_server(
    day: Arc<Day>,
    answer: bool,
    stop: Arc<AtomicBool>,
) -> (SocketAddr, JoinHandle<Vec<RequestPacket>>) {
    let socket = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::Acquire) {
            let Ok((len, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let request = RequestPacket::decode(&buf[..len]).unwrap();
            received.push(request);
            if !answer || request.session != SESSION || request.sequence_number == 0 {
                continue;
            }
            let mut encoder = PacketEncoder::new(SESSION, request.sequence_number, 1_400).unwrap();
            let first = (request.sequence_number - 1) as usize;
            let wanted = usize::from(request.requested_count);
            for message in day.messages.iter().skip(first).take(wanted) {
                if !encoder.fits(message.len()) {
                    break;
                }
                encoder.push(message).unwrap();
            }
            socket.send_to(encoder.packet(), from).unwrap();
        }
        received
    });
    (addr, handle)
}

/// Wraps the [`BookBuilder`] to check, at every state change, that books are stale exactly
/// while the feed is not current, and to count what arrives while stale.
struct Recorder {
    builder: BookBuilder,
    states: Vec<FeedState>,
    stale_states_checked: usize,
}

impl FeedHandler for Recorder {
    fn on_message(&mut self, sequence_number: u64, message: &ItchMessage, now_ns: u64) {
        self.builder.on_message(sequence_number, message, now_ns);
    }

    fn on_feed_state(&mut self, state: FeedState, now_ns: u64) {
        self.builder.on_feed_state(state, now_ns);
        self.states.push(state);
        for id in 0..self.builder.instrument_count() {
            let id = InstrumentId(id as u32);
            assert_eq!(
                self.builder.book().is_stale(id),
                !state.is_current(),
                "{state:?}"
            );
            if !state.is_current() {
                assert!(!self.builder.is_tradable(id));
            }
        }
        if !state.is_current() && self.builder.instrument_count() > 0 {
            self.stale_states_checked += 1;
        }
    }
}

/// What the published level updates say the depth is: (instrument, side) → price → (qty, n).
type PublishedDepth = BTreeMap<(u32, u8), BTreeMap<i64, (u64, u32)>>;

fn apply_updates(depth: &mut PublishedDepth, updates: impl Iterator<Item = LevelUpdate>) {
    for u in updates {
        let side = depth.entry((u.instrument.0, u.side.code())).or_default();
        match u.action {
            LevelAction::New | LevelAction::Change => {
                side.insert(u.price.0, (u.qty, u.order_count));
            }
            LevelAction::Delete => {
                assert!(side.remove(&u.price.0).is_some(), "delete of unknown level");
            }
        }
    }
}

fn levels(builder: &BookBuilder, id: InstrumentId, side: Side) -> Vec<Level> {
    let mut out = vec![Level::EMPTY; builder.book().level_count(id, side)];
    let n = builder.book().depth(id, side, out.len(), &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

fn reference_builder(day: &Day) -> BookBuilder {
    let mut reference = BookBuilder::new(builder_limits()).unwrap();
    for (i, bytes) in day.messages.iter().enumerate() {
        reference.on_message(i as u64 + 1, &decode(bytes).unwrap(), 0);
    }
    assert_eq!(reference.book().counters().rejected(), 0);
    reference
}

fn new_feed(
    request_server: SocketAddr,
    recovery: RecoveryPolicy,
    counters: &mut CounterSet,
) -> MoldFeed<Recorder> {
    try_new_feed(
        SocketAddrV4::new(LOCALHOST, 0),
        request_server,
        recovery,
        counters,
    )
    .unwrap()
}

fn try_new_feed(
    feed_addr: SocketAddrV4,
    request_server: SocketAddr,
    recovery: RecoveryPolicy,
    counters: &mut CounterSet,
) -> Result<MoldFeed<Recorder>, crossbar_feed::FeedError> {
    let recorder = Recorder {
        builder: BookBuilder::new(builder_limits()).unwrap(),
        states: Vec::new(),
        stale_states_checked: 0,
    };
    let config = MoldFeedConfig {
        feed_addr,
        interface: LOCALHOST,
        request_server,
        session: None,
        first_sequence_number: 1,
        limits: FeedLimits::default(),
        recovery,
    };
    MoldFeed::new("feed", config, recorder, counters)
}

/// Drives the agent (backoff idle, no busy spin) until `done` or the deadline, draining level
/// updates into `depth` after every cycle.
/// Runs the feed until `done`; publishes the tracker's expected sequence into `progress`
/// after every duty cycle (for a paced publisher).
fn run_until(
    feed: &mut MoldFeed<Recorder>,
    depth: &mut PublishedDepth,
    timeout: Duration,
    progress: &AtomicU64,
    done: impl Fn(&MoldFeed<Recorder>) -> bool,
) {
    let mut idle = IdleStrategy::new(IdleStrategyConfig::Backoff {
        max_spins: 10,
        max_yields: 5,
        min_park_ns: 10_000,
        max_park_ns: 1_000_000,
    });
    let deadline = Instant::now() + timeout;
    while !done(feed) {
        assert!(
            Instant::now() < deadline,
            "timed out in state {:?}, expected {}",
            feed.tracker().state(),
            feed.tracker().expected()
        );
        let work = feed.do_work(wall_clock_ns());
        progress.store(feed.tracker().expected(), Ordering::Release);
        apply_updates(depth, feed.handler_mut().builder.drain_updates());
        idle.idle(work);
    }
}

#[test]
fn dropped_ranges_are_rerequested_and_the_book_matches_the_full_stream() {
    let day = Arc::new(make_day(30_000));
    let total = day.messages.len() as u64;
    let stop = Arc::new(AtomicBool::new(false));
    let (server, server_thread) = spawn_request_server(day.clone(), true, stop.clone());
    let mut counters = CounterSet::new();
    let recovery = RecoveryPolicy {
        max_count_per_request: 50,
        request_timeout_ns: 100_000_000,
        request_attempts_max: 20,
    };
    let mut feed = new_feed(server, recovery, &mut counters);
    let target = feed.feed_local_addr().unwrap();
    let drops = vec![50..60, 300..305, day.packets.len() - 2..day.packets.len()];
    // Paced: the publisher waits for each gap to be recovered before going on, so the three
    // dropped ranges are three gaps (the last one revealed by End of Session) even when the
    // consumer lags far behind on a loaded machine.
    let progress = Arc::new(AtomicU64::new(0));
    let publisher = spawn_publisher(
        day.clone(),
        target,
        drops,
        stop.clone(),
        Some(progress.clone()),
    );

    let mut depth = PublishedDepth::new();
    run_until(
        &mut feed,
        &mut depth,
        Duration::from_secs(60),
        &progress,
        |f| f.tracker().state() == FeedState::Ended,
    );
    stop.store(true, Ordering::Release);
    publisher.join().unwrap();
    let requests = server_thread.join().unwrap();

    assert_eq!(feed.tracker().expected(), total + 1);
    let c = feed.counters();
    assert_eq!(
        c.messages.get(),
        total,
        "every message delivered exactly once"
    );
    assert_eq!(c.malformed.get(), 1);
    assert_eq!(c.itch_errors.get(), 0);
    // Pacing makes each dropped range its own gap; a datagram the kernel drops under load
    // can only add one.
    assert!(c.gaps_opened.get() >= 3, "gaps {}", c.gaps_opened.get());
    assert_eq!(c.gaps_recovered.get(), c.gaps_opened.get());
    assert_eq!(c.gaps_failed.get(), 0);
    assert!(c.requests_sent.get() >= 3);
    assert_eq!(c.requests_sent.get(), requests.len() as u64);
    assert!(requests.iter().all(|r| r.requested_count <= 50));
    assert_eq!(counters.value("feed.gaps_failed"), Some(0));

    let recorder = feed.handler();
    assert!(
        recorder.stale_states_checked >= 3,
        "books were stale in every gap"
    );
    assert!(recorder
        .states
        .iter()
        .any(|s| matches!(s, FeedState::Recovering { .. })));
    assert_eq!(recorder.states.last(), Some(&FeedState::Ended));

    let built = &recorder.builder;
    let reference = reference_builder(&day);
    assert_eq!(built.book().counters().rejected(), 0);
    assert_eq!(built.instrument_count(), 20);
    assert_eq!(built.instrument_count(), reference.instrument_count());
    assert_eq!(built.book().order_count(), reference.book().order_count());
    let mut levels_compared = 0;
    for id in 0..reference.instrument_count() {
        let id = InstrumentId(id as u32);
        assert_eq!(built.symbol(id), reference.symbol(id));
        assert_eq!(built.book().best_bid(id), reference.book().best_bid(id));
        assert_eq!(built.book().best_ask(id), reference.book().best_ask(id));
        assert!(!built.book().is_stale(id));
        assert_eq!(built.is_halted(id), reference.is_halted(id));
        for side in [Side::Buy, Side::Sell] {
            let ours = levels(built, id, side);
            assert_eq!(ours, levels(&reference, id, side), "{id:?} {side:?}");
            levels_compared += ours.len();
            // The published updates describe the same depth.
            let published: Vec<Level> = depth
                .get(&(id.0, side.code()))
                .map(|m| {
                    let mut v: Vec<Level> = m
                        .iter()
                        .map(|(&p, &(qty, order_count))| Level {
                            price: Price(p),
                            qty,
                            order_count,
                        })
                        .collect();
                    if side == Side::Buy {
                        v.reverse();
                    }
                    v
                })
                .unwrap_or_default();
            assert_eq!(published, ours, "published depth {id:?} {side:?}");
        }
    }
    assert!(levels_compared > 100, "the day built real depth");
}

#[test]
fn unanswered_requests_fail_the_gap_after_bounded_retries_and_books_stay_stale() {
    let day = Arc::new(make_day(5_000));
    let stop = Arc::new(AtomicBool::new(false));
    let (server, server_thread) = spawn_request_server(day.clone(), false, stop.clone());
    let mut counters = CounterSet::new();
    let recovery = RecoveryPolicy {
        max_count_per_request: 1_000,
        request_timeout_ns: 30_000_000,
        request_attempts_max: 3,
    };
    let mut feed = new_feed(server, recovery, &mut counters);
    let target = feed.feed_local_addr().unwrap();
    let publisher = spawn_publisher(
        day.clone(),
        target,
        vec![Range { start: 20, end: 25 }],
        stop.clone(),
        None,
    );
    let progress = AtomicU64::new(0);

    let mut depth = PublishedDepth::new();
    run_until(
        &mut feed,
        &mut depth,
        Duration::from_secs(30),
        &progress,
        |f| matches!(f.tracker().state(), FeedState::Failed { .. }),
    );
    // Keep running: more packets and end-of-session arrive, nothing changes.
    let until = Instant::now() + Duration::from_millis(200);
    run_until(
        &mut feed,
        &mut depth,
        Duration::from_secs(10),
        &progress,
        |_| Instant::now() >= until,
    );
    stop.store(true, Ordering::Release);
    publisher.join().unwrap();
    let requests = server_thread.join().unwrap();

    let FeedState::Failed { from, to } = feed.tracker().state() else {
        panic!("not failed: {:?}", feed.tracker().state());
    };
    assert_eq!(from, feed.tracker().expected());
    assert!(to > from);
    assert_eq!(requests.len(), 3, "bounded retries");
    assert!(requests
        .iter()
        .all(|r| r.sequence_number == from && r.session == SESSION));
    assert_eq!(counters.value("feed.requests_sent"), Some(3));
    assert_eq!(counters.value("feed.request_timeouts"), Some(3));
    assert_eq!(counters.value("feed.gaps_opened"), Some(1));
    assert_eq!(counters.value("feed.gaps_failed"), Some(1));
    assert_eq!(counters.value("feed.gaps_recovered"), Some(0));
    assert_eq!(counters.value("feed.messages"), Some(from - 1));
    assert!(feed.tracker().counters().ignored > 0);

    let builder = &feed.handler().builder;
    assert_eq!(builder.instrument_count(), 20);
    for id in 0..builder.instrument_count() {
        let id = InstrumentId(id as u32);
        assert!(
            builder.book().is_stale(id),
            "fail closed: {id:?} stays stale"
        );
        assert!(!builder.is_tradable(id));
    }
    assert_eq!(
        feed.handler().states.last(),
        Some(&FeedState::Failed { from, to })
    );
}

/// Two feeds joined to the same group and port on one host (a gateway and an observer such
/// as feed-inspect): both bind, which needs `SO_REUSEADDR`, and both build the whole day.
#[test]
fn multicast_feed_joined_on_loopback_delivers_the_day() {
    let day = Arc::new(make_day(3_000));
    let stop = Arc::new(AtomicBool::new(false));
    let (server, server_thread) = spawn_request_server(day.clone(), true, stop.clone());
    let port = UdpSocket::bind((LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 73, 11), port);
    let mut counters = CounterSet::new();
    let mut feeds = match try_new_feed(group, server, RecoveryPolicy::default(), &mut counters) {
        Ok(feed) => vec![feed],
        Err(e) => {
            eprintln!("SKIPPED (no multicast on loopback: {e}): multicast_feed_joined_on_loopback_delivers_the_day");
            stop.store(true, Ordering::Release);
            server_thread.join().unwrap();
            return;
        }
    };
    let mut observer_counters = CounterSet::new();
    feeds.push(
        try_new_feed(
            group,
            server,
            RecoveryPolicy::default(),
            &mut observer_counters,
        )
        .expect("a second listener on the same group and port (SO_REUSEADDR)"),
    );
    // The publisher's socket is bound to 127.0.0.1, so its multicast leaves on loopback.
    let publisher = spawn_publisher(
        day.clone(),
        SocketAddr::V4(group),
        vec![],
        stop.clone(),
        None,
    );
    let mut idle = IdleStrategy::new(IdleStrategyConfig::Backoff {
        max_spins: 10,
        max_yields: 5,
        min_park_ns: 10_000,
        max_park_ns: 1_000_000,
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while feeds
        .iter()
        .any(|f| f.tracker().state() != FeedState::Ended)
    {
        assert!(Instant::now() < deadline, "timed out");
        let mut work = 0;
        for feed in &mut feeds {
            work += feed.do_work(wall_clock_ns());
            feed.handler_mut().builder.drain_updates().for_each(drop);
        }
        idle.idle(work);
    }
    stop.store(true, Ordering::Release);
    publisher.join().unwrap();
    server_thread.join().unwrap();
    let reference = reference_builder(&day);
    for feed in &feeds {
        assert_eq!(feed.counters().messages.get(), day.messages.len() as u64);
        let built = &feed.handler().builder;
        for id in 0..reference.instrument_count() {
            let id = InstrumentId(id as u32);
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(levels(built, id, side), levels(&reference, id, side));
            }
        }
    }
}

/// `FeedLimits::receive_buffer_bytes` reaches the kernel: requests within `rmem_max` are
/// granted (Linux reports double) and read back; 0 keeps the OS default.
#[test]
fn feed_socket_receive_buffer_is_the_configured_one() {
    let open = |receive_buffer_bytes: usize| {
        let config = MoldFeedConfig {
            feed_addr: SocketAddrV4::new(LOCALHOST, 0),
            interface: LOCALHOST,
            request_server: SocketAddr::from((LOCALHOST, 9)),
            session: None,
            first_sequence_number: 1,
            limits: FeedLimits {
                receive_buffer_bytes,
                ..FeedLimits::default()
            },
            recovery: RecoveryPolicy::default(),
        };
        let recorder = Recorder {
            builder: BookBuilder::new(builder_limits()).unwrap(),
            states: Vec::new(),
            stale_states_checked: 0,
        };
        MoldFeed::new("feed", config, recorder, &mut CounterSet::new())
            .unwrap()
            .feed_receive_buffer_bytes()
    };
    assert!(open(0) > 0, "the OS default");
    // Both below every Linux rmem_max default (208 KiB), so both are granted in full.
    let (small, large) = (48 << 10, 96 << 10);
    let (granted_small, granted_large) = (open(small), open(large));
    assert!(granted_small >= small, "granted {granted_small} < {small}");
    assert!(granted_large >= large, "granted {granted_large} < {large}");
    assert!(granted_small < granted_large);
}
