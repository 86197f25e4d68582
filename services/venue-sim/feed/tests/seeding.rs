//! The seeder: a generated day, a real BX day file and a pcap replayed into the matching
//! engine and the published stream; the subscriber's book must equal the engine's.

mod common;

use std::time::Duration;

use common::{apply_to_book, book, drive, Receiver, SESSION};
use crossbar_itch::generate::DayConfig;
use crossbar_itch::{DayFileIter, ItchMessage};
use crossbar_matching::{MatchingConfig, MatchingEngine, MatchingLimits};
use crossbar_model::Side;
use crossbar_runtime::CounterSet;
use crossbar_venue_feed::{
    HistoryLimits, LocateMap, MoldPublisher, PublisherConfig, RetainedHistory, SeedPace,
    SeedSource, SeededFeedAgent, Seeder, SeederConfig, SharedHistory,
};

const TIMEOUT: Duration = Duration::from_secs(60);

fn engine(instruments: u32) -> MatchingEngine {
    MatchingEngine::new(MatchingConfig::new(MatchingLimits {
        instruments,
        orders: 1 << 20,
        levels_per_side: 4_096,
        sessions: 1,
        order_qty_max: MatchingLimits::NASDAQ_ORDER_QTY_MAX,
    }))
    .unwrap()
}

fn seeded_agent(
    source: &SeedSource,
    instruments: u32,
    rx: &Receiver,
    pace: SeedPace,
) -> SeededFeedAgent {
    seeded_venue(source, instruments, rx, pace).0
}

fn seeded_venue(
    source: &SeedSource,
    instruments: u32,
    rx: &Receiver,
    pace: SeedPace,
) -> (SeededFeedAgent, SharedHistory) {
    let mut counters = CounterSet::new();
    let history = SharedHistory::new(RetainedHistory::new(HistoryLimits::DEFAULT).unwrap());
    let publisher = MoldPublisher::new(
        PublisherConfig::new(SESSION, rx.addr()),
        history.clone(),
        &mut counters,
    )
    .unwrap();
    let config = SeederConfig {
        pace,
        backlog_max: 512,
    };
    let agent = SeededFeedAgent {
        seeder: Seeder::new(source, config, instruments, &mut counters).unwrap(),
        engine: engine(instruments),
        publisher,
    };
    (agent, history)
}

/// Runs the agent until the source is exhausted and the subscriber has every published
/// message; returns the subscriber's decoded messages.
fn run_to_end(agent: &mut SeededFeedAgent, rx: &mut Receiver) -> Vec<ItchMessage> {
    loop {
        let target = agent.publisher.next_unsent_sequence_number();
        let finished = agent.seeder.is_done() && agent.publisher.backlog() == 0;
        assert!(drive(&mut [&mut *agent], rx, TIMEOUT, |r| r.next >= target));
        if finished {
            break;
        }
    }
    assert!(rx.gaps.is_empty(), "gaps {:?}", rx.gaps);
    rx.messages
        .iter()
        .map(|(_, m)| crossbar_itch::decode(m).unwrap())
        .collect()
}

/// Engine best levels equal the subscriber book's, for every instrument the seeder mapped.
fn assert_books_equal(agent: &SeededFeedAgent, received: &[ItchMessage]) -> usize {
    let instruments = agent.engine.config().limits.instruments;
    let mut book = book(instruments);
    let mut locates = LocateMap::new(instruments);
    let refused: u64 = received
        .iter()
        .map(|m| apply_to_book(&mut book, &mut locates, m))
        .sum();
    assert_eq!(refused, 0, "the published stream applies cleanly");
    assert_eq!(book.order_count(), agent.engine.order_count());
    let mut compared = 0;
    for locate in 0..=u16::MAX {
        let Some(engine_id) = agent.seeder.locates().get(locate) else {
            continue;
        };
        let book_id = locates.get(locate).expect("same locates seen");
        let level =
            |l: Option<crossbar_matching::LevelView>| l.map(|l| (l.price, l.qty, l.order_count));
        let book_level =
            |l: Option<crossbar_book::Level>| l.map(|l| (l.price, l.qty, l.order_count));
        assert_eq!(
            level(agent.engine.best(engine_id, Side::Buy)),
            book_level(book.best_bid(book_id)),
            "bid locate {locate}"
        );
        assert_eq!(
            level(agent.engine.best(engine_id, Side::Sell)),
            book_level(book.best_ask(book_id)),
            "ask locate {locate}"
        );
        compared += 1;
    }
    compared
}

#[test]
fn seeding_a_generated_day_leaves_the_engine_equal_to_the_subscriber_book() {
    let config = DayConfig {
        seed: 11,
        instruments: 12,
        messages: 30_000,
    };
    let mut rx = Receiver::bind();
    let mut agent = seeded_agent(
        &SeedSource::Generated(config),
        16,
        &rx,
        SeedPace::PerDutyCycle(256),
    );
    let received = run_to_end(&mut agent, &mut rx);
    assert_eq!(received.len(), 30_000);
    let c = agent.seeder.counters();
    assert_eq!(c.messages_read.get(), 30_000);
    assert_eq!(c.messages_published.get(), 30_000);
    assert_eq!(c.engine_rejected.get(), 0);
    assert!(c.engine_applied.get() > 20_000);
    // The republished stream is the generated one, message for message.
    let original: Vec<ItchMessage> = crossbar_itch::generate::DayGenerator::new(config).collect();
    assert_eq!(received, original);
    assert!(agent.engine.order_count() > 0);
    agent.engine.audit().unwrap();
    assert_eq!(assert_books_equal(&agent, &received), 12);
}

#[test]
fn seeding_as_fast_as_possible_respects_the_backlog_bound() {
    let config = DayConfig {
        seed: 5,
        instruments: 4,
        messages: 5_000,
    };
    let mut rx = Receiver::bind();
    let mut agent = seeded_agent(
        &SeedSource::Generated(config),
        4,
        &rx,
        SeedPace::AsFastAsPossible,
    );
    let publisher_only = |a: &mut SeededFeedAgent| {
        let read = a.seeder.step(&mut a.engine, &mut a.publisher, 0);
        (read, a.publisher.backlog())
    };
    assert_eq!(publisher_only(&mut agent), (512, 512));
    assert_eq!(
        publisher_only(&mut agent),
        (0, 512),
        "waits for the publisher"
    );
    let received = run_to_end(&mut agent, &mut rx);
    assert_eq!(received.len(), 5_000);
    assert_books_equal(&agent, &received);
}

/// The number of distinct stock locates of a day file's order messages and directory.
fn distinct_locates(messages: &[ItchMessage]) -> u32 {
    let mut seen = vec![false; 65_536];
    for m in messages {
        if matches!(
            m,
            ItchMessage::StockDirectory(_)
                | ItchMessage::AddOrder(_)
                | ItchMessage::AddOrderMpid(_)
        ) {
            seen[usize::from(m.header().stock_locate)] = true;
        }
    }
    seen.iter().filter(|&&s| s).count() as u32
}

#[test]
fn seeding_the_bx_day_file_matches_a_book_built_from_the_file() {
    let shared = crossbar_capture::require_shared!(
        "seeding_the_bx_day_file_matches_a_book_built_from_the_file"
    );
    let path = shared.join(
        "venue-data/nasdaq_itch50/semisynthetic_obfuscated_BX_12012msgs__RITCH_ex20101224.TEST_ITCH_50",
    );
    let bytes = std::fs::read(&path).unwrap();
    let file: Vec<ItchMessage> = DayFileIter::new(&bytes).filter_map(Result::ok).collect();
    assert_eq!(file.len(), 12_012);
    let instruments = distinct_locates(&file).max(1);

    // The book straight from the file.
    let mut file_book = book(instruments);
    let mut file_locates = LocateMap::new(instruments);
    let file_refused: u64 = file
        .iter()
        .map(|m| apply_to_book(&mut file_book, &mut file_locates, m))
        .sum();

    let mut rx = Receiver::bind();
    let mut agent = seeded_agent(
        &SeedSource::DayFile(path),
        instruments,
        &rx,
        SeedPace::PerDutyCycle(256),
    );
    let received = run_to_end(&mut agent, &mut rx);
    let c = agent.seeder.counters();
    assert_eq!(c.messages_read.get(), 12_012);
    assert_eq!(agent.engine.order_count(), file_book.order_count());
    assert_eq!(
        c.engine_rejected.get(),
        file_refused,
        "the engine refuses what the book refuses"
    );
    assert_eq!(received.len() as u64, 12_012 - file_refused);
    agent.engine.audit().unwrap();
    assert_books_equal(&agent, &received);
    eprintln!(
        "BX: {} messages, {} instruments, {} resting orders, {} refused",
        file.len(),
        instruments,
        file_book.order_count(),
        file_refused
    );
}

#[test]
fn seeding_from_a_pcap_republishes_its_itch_messages() {
    let shared =
        crossbar_capture::require_shared!("seeding_from_a_pcap_republishes_its_itch_messages");
    let path = shared.join(
        "venue-data/nasdaq_itch50/omi_moldudp64_pcaps/Nasdaq__Nasdaq.Equities.TotalView.Itch.v5.0.20230822__AddOrderNoMPID.pcap",
    );
    let capture = crossbar_capture::read_capture(&path).unwrap();
    // Messages once per (session, sequence number), as a subscriber to A/B lines takes them
    // (these sample captures repeat sequence number 0 in every packet).
    let mut seen = std::collections::HashSet::new();
    let mut want = Vec::new();
    let mut all = 0;
    for datagram in capture.udp() {
        if let Ok(packet) = crossbar_moldudp64::Packet::parse(&datagram.payload) {
            for (seq, m) in packet.messages() {
                all += 1;
                if seen.insert((packet.header.session, seq)) {
                    want.push(m.to_vec());
                }
            }
        }
    }
    assert!(!want.is_empty());
    let mut rx = Receiver::bind();
    let mut agent = seeded_agent(&SeedSource::Pcap(path), 4, &rx, SeedPace::AsFastAsPossible);
    run_to_end(&mut agent, &mut rx);
    let got: Vec<Vec<u8>> = rx.messages.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(got, want);
    let stats = agent.seeder.source_stats();
    assert_eq!(stats.duplicate_messages, all - want.len() as u64);
    assert_eq!(stats.decode_errors, 0);
    let adds = want.iter().filter(|m| m.first() == Some(&b'A')).count();
    assert_eq!(agent.engine.order_count(), adds);
}

#[test]
fn missing_day_file_is_a_source_error() {
    let err = Seeder::new(
        &SeedSource::DayFile("/nonexistent/day.itch".into()),
        SeederConfig::default(),
        1,
        &mut CounterSet::new(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().starts_with("VFEED_SOURCE source=day_file"),
        "{err}"
    );
}

#[test]
fn agents_on_runner_threads_recover_a_fault_and_end_the_session_on_stop() {
    use crossbar_moldudp64::{Packet, RequestPacket};
    use crossbar_runtime::{AgentRunner, IdleStrategyConfig};
    use crossbar_venue_feed::{FaultCommand, RequestServer, RequestServerConfig};

    let source = SeedSource::Generated(DayConfig {
        seed: 9,
        instruments: 4,
        messages: 3_000,
    });
    let mut rx = Receiver::bind();
    let (agent, history) = seeded_venue(&source, 4, &rx, SeedPace::PerDutyCycle(64));
    let faults = agent.publisher.fault_handle();
    assert!(faults.send(FaultCommand::DropRange {
        sequence_numbers: 500..520
    }));
    let server = RequestServer::new(
        RequestServerConfig::new(SESSION, "127.0.0.1:0".parse().unwrap()),
        history,
        &mut CounterSet::new(),
    )
    .unwrap();
    let server_addr = server.local_addr().unwrap();
    let idle = IdleStrategyConfig::Sleep { sleep_ns: 200_000 };
    let feed_runner = AgentRunner::start(agent, idle).unwrap();
    let server_runner = AgentRunner::start(server, idle).unwrap();

    assert!(drive(&mut [], &mut rx, TIMEOUT, |r| r.next == 3_001));
    assert_eq!(rx.gaps, vec![(500, 520)]);
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(TIMEOUT)).unwrap();
    let request = RequestPacket {
        session: SESSION,
        sequence_number: 500,
        requested_count: 20,
    };
    client.send_to(&request.encode(), server_addr).unwrap();
    let mut buf = [0u8; 2_048];
    let len = client.recv(&mut buf).unwrap();
    let answer = Packet::parse(&buf[..len]).unwrap();
    let got: Vec<u64> = answer.messages().map(|(s, _)| s).collect();
    assert_eq!(got, (500..520).collect::<Vec<_>>());

    assert!(feed_runner.stop());
    assert!(server_runner.stop());
    assert!(drive(&mut [], &mut rx, TIMEOUT, |r| r
        .end_of_session
        .is_some()));
    assert_eq!(rx.end_of_session, Some(3_001));
}
