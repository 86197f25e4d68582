//! End-to-end tests over a real Aeron media driver (embedded, shared threading mode, small
//! term buffers, backoff idling), one unique Aeron directory per test under /dev/shm, removed
//! by the driver on shutdown.

use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
use crossbar_transport::{
    DriverThreading, EmbeddedDriver, PublishError, Publisher, StreamConfig, Subscriber, Transport,
    TransportConfig, TransportError,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Generous bound for anything that should take milliseconds (loaded 2-core CI).
const WAIT: Duration = Duration::from_secs(20);

fn test_config(tag: &str) -> TransportConfig {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    TransportConfig {
        aeron_dir: PathBuf::from(format!(
            "/dev/shm/crossbar-test-{}-{tag}-{n}",
            std::process::id()
        )),
        embedded_driver: true,
        driver_threading: DriverThreading::Shared,
        ipc_term_buffer_length: 64 * 1024,
        udp_term_buffer_length: 256 * 1024,
        driver_timeout_ms: 10_000,
        driver_idle: IdleStrategyConfig::default(),
        idle: IdleStrategyConfig::default(),
        ..TransportConfig::default()
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn idle() -> IdleStrategy {
    IdleStrategy::new(IdleStrategyConfig::default())
}

/// Polls until `want` messages arrived or WAIT passes; returns them.
fn receive(subscriber: &mut Subscriber, want: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut idle = idle();
    let deadline = Instant::now() + WAIT;
    while got.len() < want && Instant::now() < deadline {
        let work = subscriber
            .poll(&mut |m: &[u8]| got.push(m.to_vec()), 16)
            .unwrap();
        idle.idle(work);
    }
    got
}

fn connect(publisher: &Publisher, subscriber: &Subscriber) {
    publisher.wait_connected(WAIT, &mut idle()).unwrap();
    subscriber.wait_connected(WAIT, &mut idle()).unwrap();
}

fn round_trip(transport: &mut Transport, stream: &StreamConfig) {
    let publisher = transport.add_publication_with("out", stream).unwrap();
    let mut subscriber = transport.add_subscription_with("in", stream).unwrap();
    connect(&publisher, &subscriber);
    assert!(subscriber.image_count() >= 1);
    let sent: Vec<Vec<u8>> = (0..100u32)
        .map(|i| format!("message {i:03}").into_bytes())
        .collect();
    for m in &sent {
        publisher.offer_with_retry(m, 100_000, &mut idle()).unwrap();
    }
    let got = receive(&mut subscriber, sent.len());
    assert_eq!(got, sent, "every message, in order");
    let bytes: u64 = sent.iter().map(|m| m.len() as u64).sum();
    let counters = transport.counters();
    assert_eq!(counters.value("pub.out.sent"), Some(100));
    assert_eq!(counters.value("pub.out.sent_bytes"), Some(bytes));
    assert_eq!(counters.value("sub.in.messages"), Some(100));
    assert_eq!(counters.value("sub.in.bytes"), Some(bytes));
    assert_eq!(counters.value("sub.in.discarded"), Some(0));
    assert!(counters.value("sub.in.images_available").unwrap() >= 1);
    assert_eq!(transport.client_errors(), 0);
}

#[test]
fn ipc_publish_subscribe_round_trip() {
    let mut transport = Transport::start(test_config("ipc")).unwrap();
    round_trip(&mut transport, &StreamConfig::new("aeron:ipc", 10));
}

#[test]
fn udp_loopback_publish_subscribe_round_trip() {
    let mut transport = Transport::start(test_config("udp")).unwrap();
    let channel = format!("aeron:udp?endpoint=127.0.0.1:{}", free_udp_port());
    round_trip(&mut transport, &StreamConfig::new(channel, 11));
}

#[test]
fn back_pressure_is_counted_and_returned() {
    let mut transport = Transport::start(test_config("bp")).unwrap();
    let stream = StreamConfig::new("aeron:ipc", 12);
    let publisher = transport.add_publication_with("bp", &stream).unwrap();
    let mut subscriber = transport.add_subscription_with("slow", &stream).unwrap();
    connect(&publisher, &subscriber);
    // The subscriber does not poll: the 64 KiB term's window fills after ~32 KiB.
    let message = [7u8; 1000];
    let mut accepted = 0u64;
    let first_refusal = loop {
        match publisher.offer(&message) {
            Ok(_) => accepted += 1,
            Err(e) => break e,
        }
        assert!(
            accepted < 10_000,
            "a non-polling subscriber must back-pressure a 64 KiB term"
        );
    };
    assert_eq!(first_refusal, PublishError::BackPressured);
    assert!(accepted > 0);
    let counters = publisher.counters().clone();
    assert_eq!(counters.back_pressured.get(), 1);
    assert_eq!(counters.sent.get(), accepted);
    // Bounded retry gives up with the typed error after exactly max_attempts offers.
    let mut spin = IdleStrategy::new(IdleStrategyConfig::Sleep { sleep_ns: 1_000 });
    assert_eq!(
        publisher.offer_with_retry(&message, 5, &mut spin),
        Err(PublishError::BackPressured)
    );
    assert_eq!(counters.back_pressured.get(), 6);
    assert_eq!(
        transport.counters().value("pub.bp.back_pressured"),
        Some(6),
        "visible in the transport's set"
    );
    // Draining the subscriber releases the pressure.
    let drained = receive(&mut subscriber, accepted as usize);
    assert_eq!(drained.len() as u64, accepted);
    publisher
        .offer_with_retry(&message, 100_000, &mut idle())
        .unwrap();
    assert_eq!(receive(&mut subscriber, 1).len(), 1);
}

#[test]
fn not_connected_is_counted_and_wait_times_out_naming_the_stream() {
    let mut transport = Transport::start(test_config("nc")).unwrap();
    let publisher = transport
        .add_publication_with("lonely", &StreamConfig::new("aeron:ipc", 13))
        .unwrap();
    assert!(!publisher.is_connected());
    assert_eq!(publisher.offer(b"anyone?"), Err(PublishError::NotConnected));
    assert_eq!(
        publisher.offer_with_retry(b"anyone?", 50, &mut idle()),
        Err(PublishError::NotConnected),
        "not retried"
    );
    assert_eq!(publisher.counters().not_connected.get(), 2);
    assert_eq!(publisher.counters().sent.get(), 0);
    let err = publisher
        .wait_connected(Duration::from_millis(50), &mut idle())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "TRANSPORT_CONNECT_TIMEOUT kind=publication channel=aeron:ipc stream_id=13"
        ),
        "{text}"
    );
}

#[test]
fn messages_larger_than_the_mtu_are_reassembled() {
    let mut config = test_config("big");
    config.ipc_term_buffer_length = 256 * 1024; // max message = term / 8 = 32 KiB
    let mut transport = Transport::start(config).unwrap();
    let port = free_udp_port();
    for (i, channel) in [
        "aeron:ipc".to_owned(),
        format!("aeron:udp?endpoint=127.0.0.1:{port}"),
    ]
    .iter()
    .enumerate()
    {
        let stream = StreamConfig::new(channel.clone(), 14 + i as i32);
        let publisher = transport
            .add_publication_with(&format!("big{i}"), &stream)
            .unwrap();
        let mut subscriber = transport
            .add_subscription_with(&format!("big{i}"), &stream)
            .unwrap();
        connect(&publisher, &subscriber);
        let big: Vec<u8> = (0..20_000u32).map(|b| (b % 251) as u8).collect();
        assert!(
            big.len() > publisher.max_claim_length() * 10,
            "spans many frames"
        );
        publisher
            .offer_with_retry(&big, 100_000, &mut idle())
            .unwrap();
        publisher
            .offer_with_retry(b"small after big", 100_000, &mut idle())
            .unwrap();
        let got = receive(&mut subscriber, 2);
        assert_eq!(got.len(), 2, "{channel}");
        assert_eq!(got[0], big, "{channel}");
        assert_eq!(got[1], b"small after big");
        let c = subscriber.counters();
        assert_eq!(c.messages.get(), 2);
        assert!(
            c.fragments.get() > 10,
            "{channel}: {} fragments",
            c.fragments.get()
        );
        assert_eq!(c.discarded.get(), 0);
        let too_big = vec![0u8; publisher.max_message_length() + 1];
        assert!(matches!(
            publisher.offer(&too_big),
            Err(PublishError::TooLong { .. })
        ));
        assert_eq!(publisher.counters().too_long.get(), 1);
    }
}

#[test]
fn try_claim_writes_in_place() {
    let mut transport = Transport::start(test_config("claim")).unwrap();
    let stream = StreamConfig::new("aeron:ipc", 16);
    let publisher = transport.add_publication_with("claim", &stream).unwrap();
    let mut subscriber = transport.add_subscription_with("claim", &stream).unwrap();
    connect(&publisher, &subscriber);
    let mut retry = idle();
    loop {
        match publisher.try_claim(12, |buf| buf.copy_from_slice(b"claimed-msg!")) {
            Ok(_) => break,
            Err(e) if e.is_transient() => retry.idle(0),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(receive(&mut subscriber, 1), vec![b"claimed-msg!".to_vec()]);
    let over = publisher.max_claim_length() + 1;
    assert!(matches!(
        publisher.try_claim(over, |_| {}),
        Err(PublishError::TooLong { .. })
    ));
    assert_eq!(publisher.counters().sent.get(), 1);
    assert_eq!(publisher.counters().too_long.get(), 1);
}

#[test]
fn external_driver_mode_connects_to_a_running_driver() {
    let config = test_config("ext");
    let driver = EmbeddedDriver::start(&config).unwrap();
    let dir = driver.aeron_dir().to_path_buf();
    assert!(dir.join("cnc.dat").exists());
    let external = TransportConfig {
        embedded_driver: false,
        ..config.clone()
    };
    let mut a = Transport::start(external.clone()).unwrap();
    let mut b = Transport::start(external).unwrap();
    assert!(a.embedded_driver().is_none());
    let stream = StreamConfig::new("aeron:ipc", 17);
    let publisher = a.add_publication_with("x", &stream).unwrap();
    let mut subscriber = b.add_subscription_with("x", &stream).unwrap();
    connect(&publisher, &subscriber);
    publisher
        .offer_with_retry(b"across clients", 100_000, &mut idle())
        .unwrap();
    assert_eq!(
        receive(&mut subscriber, 1),
        vec![b"across clients".to_vec()]
    );
    drop((publisher, subscriber, a, b));
    driver.stop();
    assert!(
        !dir.exists(),
        "the driver deletes its directory on shutdown"
    );
}

#[test]
fn external_mode_without_a_driver_fails_with_the_directory() {
    let config = TransportConfig {
        embedded_driver: false,
        driver_timeout_ms: 300,
        ..test_config("nodriver")
    };
    let err = Transport::start(config.clone()).unwrap_err();
    assert!(matches!(err, TransportError::ClientConnect { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&*config.aeron_dir.to_string_lossy()),
        "{err}"
    );
}

#[test]
fn named_streams_come_from_config_and_unknown_names_are_errors() {
    let mut config = test_config("named");
    config
        .publications
        .insert("orders".into(), StreamConfig::new("aeron:ipc", 18));
    config
        .subscriptions
        .insert("orders_in".into(), StreamConfig::new("aeron:ipc", 18));
    let mut transport = Transport::start(config).unwrap();
    let publisher = transport.add_publication("orders").unwrap();
    let mut subscriber = transport.add_subscription("orders_in").unwrap();
    assert_eq!(
        (publisher.channel(), publisher.stream_id()),
        ("aeron:ipc", 18)
    );
    connect(&publisher, &subscriber);
    publisher
        .offer_with_retry(b"configured", 100_000, &mut idle())
        .unwrap();
    assert_eq!(receive(&mut subscriber, 1), vec![b"configured".to_vec()]);
    let err = transport.add_publication("fills").unwrap_err();
    assert_eq!(
        err.to_string(),
        "TRANSPORT_UNKNOWN_STREAM kind=publication name=fills"
    );
    let err = transport.add_subscription("orders").unwrap_err();
    assert!(matches!(
        err,
        TransportError::UnknownStream {
            kind: "subscription",
            ..
        }
    ));
}

#[test]
fn a_bad_channel_is_refused_with_channel_and_stream() {
    let mut transport = Transport::start(test_config("bad")).unwrap();
    let err = transport
        .add_publication_with("bad", &StreamConfig::new("aeron:udp?endpoint=", 19))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("TRANSPORT_ADD_FAILED kind=publication name=bad channel=aeron:udp?endpoint= stream_id=19"), "{text}");
    let err = transport
        .add_subscription_with("bad", &StreamConfig::new("tcp://x", 19))
        .unwrap_err();
    assert!(matches!(err, TransportError::InvalidConfig { .. }), "{err}");
}

#[test]
fn handles_can_move_to_agent_threads() {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    assert_send::<Publisher>();
    assert_sync::<Publisher>();
    assert_send::<Subscriber>();
    assert_send::<Transport>();
    assert_send::<EmbeddedDriver>();
    // And they work there: subscribe on another thread.
    let mut transport = Transport::start(test_config("thread")).unwrap();
    let stream = StreamConfig::new("aeron:ipc", 20);
    let publisher = transport.add_publication_with("t", &stream).unwrap();
    let mut subscriber = transport.add_subscription_with("t", &stream).unwrap();
    connect(&publisher, &subscriber);
    let reader = std::thread::spawn(move || receive(&mut subscriber, 3));
    for m in [&b"a"[..], b"b", b"c"] {
        publisher.offer_with_retry(m, 100_000, &mut idle()).unwrap();
    }
    assert_eq!(
        reader.join().unwrap(),
        vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
    );
}
