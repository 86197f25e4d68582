//! The publisher and the request server over real UDP loopback, seen by a plain-socket
//! subscriber.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{drive, Receiver, SESSION};
use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_moldudp64::{Packet, RequestPacket, Session};
use crossbar_runtime::agent::wall_clock_ns;
use crossbar_runtime::{Agent, CounterSet};
use crossbar_venue_feed::{
    FaultCommand, HistoryLimits, MoldPublisher, PublisherConfig, RequestServer,
    RequestServerConfig, RetainedHistory, SharedHistory,
};

const TIMEOUT: Duration = Duration::from_secs(20);

struct Venue {
    publisher: MoldPublisher,
    server: RequestServer,
    counters: CounterSet,
}

fn venue(receiver: &Receiver, tune: impl FnOnce(&mut PublisherConfig)) -> Venue {
    let history = SharedHistory::new(RetainedHistory::new(HistoryLimits::DEFAULT).unwrap());
    let mut counters = CounterSet::new();
    let mut config = PublisherConfig::new(SESSION, receiver.addr());
    tune(&mut config);
    let publisher = MoldPublisher::new(config, history.clone(), &mut counters).unwrap();
    let server = RequestServer::new(
        RequestServerConfig::new(SESSION, "127.0.0.1:0".parse().unwrap()),
        history.clone(),
        &mut counters,
    )
    .unwrap();
    Venue {
        publisher,
        server,
        counters,
    }
}

/// The first `n` messages of a generated day, encoded.
fn generated(n: u64) -> Vec<Vec<u8>> {
    DayGenerator::new(DayConfig {
        seed: 42,
        instruments: 8,
        messages: n,
    })
    .take(n as usize)
    .map(|m| {
        let mut buf = vec![0u8; m.encoded_len()];
        m.encode(&mut buf).unwrap();
        buf
    })
    .collect()
}

/// Publishes `messages` in batches of 100, sending between batches.
fn publish_all(v: &mut Venue, rx: &mut Receiver, messages: &[Vec<u8>]) {
    for batch in messages.chunks(100) {
        let now = wall_clock_ns();
        for m in batch {
            v.publisher.publish(m, now).unwrap();
        }
        assert!(drive(&mut [&mut v.publisher], rx, TIMEOUT, |_| true));
    }
}

#[test]
fn subscriber_receives_every_message_in_order_then_end_of_session() {
    let mut rx = Receiver::bind();
    let mut v = venue(&rx, |_| {});
    let sent = generated(5_000);
    publish_all(&mut v, &mut rx, &sent);
    let n = sent.len() as u64;
    assert!(drive(&mut [&mut v.publisher], &mut rx, TIMEOUT, |r| r.next
        == n + 1));
    v.publisher.end_session(wall_clock_ns()).unwrap();
    assert!(drive(&mut [], &mut rx, TIMEOUT, |r| r
        .end_of_session
        .is_some()));

    assert!(rx.gaps.is_empty(), "gaps {:?}", rx.gaps);
    let seqs: Vec<u64> = rx.messages.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    for ((_, got), want) in rx.messages.iter().zip(&sent) {
        assert_eq!(got, want);
    }
    assert_eq!(rx.end_of_session, Some(n + 1));
    assert!(rx.largest_datagram <= 1_400 && rx.largest_datagram > 1_300);
    assert_eq!(v.publisher.counters().messages_sent.get(), n);
    assert_eq!(
        v.counters.value("venue_feed.pub.messages_published"),
        Some(n)
    );
    assert!(matches!(
        v.publisher.publish(&sent[0], wall_clock_ns()),
        Err(crossbar_venue_feed::FeedError::SessionEnded { next_sequence_number }) if next_sequence_number == n + 1
    ));
}

/// Sends `request` from a fresh socket and returns the answer packet's bytes, if any arrives
/// within `wait`.
fn ask(v: &mut Venue, request: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_nonblocking(true).unwrap();
    client
        .send_to(request, v.server.local_addr().unwrap())
        .unwrap();
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 65_536];
    while Instant::now() < deadline {
        v.server.do_work(wall_clock_ns());
        if let Ok(len) = client.recv(&mut buf) {
            return Some(buf[..len].to_vec());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

#[test]
fn dropped_range_leaves_a_gap_that_requests_recover_byte_for_byte() {
    let mut rx = Receiver::bind();
    let mut v = venue(&rx, |_| {});
    let faults = v.publisher.fault_handle();
    assert!(faults.send(FaultCommand::DropRange {
        sequence_numbers: 100..160
    }));
    let sent = generated(1_000);
    publish_all(&mut v, &mut rx, &sent);
    assert!(drive(&mut [&mut v.publisher], &mut rx, TIMEOUT, |r| r.next
        == 1_001));
    assert_eq!(rx.gaps, vec![(100, 160)]);
    assert_eq!(rx.messages.len(), 1_000 - 60);
    assert_eq!(v.publisher.counters().messages_dropped.get(), 60);
    assert_eq!(v.publisher.counters().commands_applied.get(), 1);

    // Recover the gap the way a client does: request from the first missing message until
    // the gap is filled; every answer starts where asked and is byte-equal to the original.
    let mut recovered = Vec::new();
    let mut next = 100u64;
    while next < 160 {
        let request = RequestPacket {
            session: SESSION,
            sequence_number: next,
            requested_count: (160 - next) as u16,
        };
        let answer = ask(&mut v, &request.encode(), TIMEOUT).expect("answer");
        let packet = Packet::parse(&answer).unwrap();
        assert_eq!(packet.header.session, SESSION);
        assert_eq!(packet.header.sequence_number, next);
        assert!(answer.len() <= 1_400);
        for (seq, data) in packet.messages() {
            recovered.push((seq, data.to_vec()));
        }
        next = packet.header.next_sequence_number();
    }
    assert_eq!(next, 160, "answers never go past the requested count");
    let want: Vec<(u64, Vec<u8>)> = (100..160)
        .map(|s| (s, sent[s as usize - 1].clone()))
        .collect();
    assert_eq!(recovered, want);
    assert_eq!(
        v.server.counters().messages_resent.get(),
        60,
        "exactly the missing messages"
    );
    assert!(
        v.server.counters().answered.get() >= 2,
        "60 messages need 2+ packets"
    );
}

#[test]
fn foreign_session_malformed_and_unavailable_requests_are_counted_and_ignored() {
    let mut rx = Receiver::bind();
    let mut v = venue(&rx, |_| {});
    publish_all(&mut v, &mut rx, &generated(50));
    let wait = Duration::from_millis(100);
    let foreign = RequestPacket {
        session: Session(*b"OTHERSESS1"),
        sequence_number: 1,
        requested_count: 5,
    };
    assert_eq!(ask(&mut v, &foreign.encode(), wait), None);
    assert_eq!(ask(&mut v, &[0u8; 19], wait), None);
    let zero = RequestPacket {
        session: SESSION,
        sequence_number: 0,
        requested_count: 5,
    };
    assert_eq!(ask(&mut v, &zero.encode(), wait), None);
    let future = RequestPacket {
        session: SESSION,
        sequence_number: 51,
        requested_count: 5,
    };
    assert_eq!(ask(&mut v, &future.encode(), wait), None);
    let c = v.server.counters();
    assert_eq!(c.received.get(), 4);
    assert_eq!(c.foreign_session.get(), 1);
    assert_eq!(c.malformed.get(), 2);
    assert_eq!(c.unavailable.get(), 1);
    assert_eq!(c.answered.get(), 0);
    assert_eq!(
        v.counters.value("venue_feed.request.foreign_session"),
        Some(1)
    );

    // A request past the end is clipped; one above the cap is capped.
    let big = RequestPacket {
        session: SESSION,
        sequence_number: 45,
        requested_count: 60_000,
    };
    let answer = ask(&mut v, &big.encode(), wait).expect("answer");
    let packet = Packet::parse(&answer).unwrap();
    assert_eq!(packet.messages().count(), 6);
    assert_eq!(v.server.counters().capped.get(), 1);
}

#[test]
fn request_for_evicted_messages_is_answered_from_what_remains() {
    let mut rx = Receiver::bind();
    let history = SharedHistory::new(
        RetainedHistory::new(HistoryLimits {
            bytes: 1 << 16,
            messages: 16,
        })
        .unwrap(),
    );
    let mut counters = CounterSet::new();
    let mut server = RequestServer::new(
        RequestServerConfig::new(SESSION, "127.0.0.1:0".parse().unwrap()),
        history.clone(),
        &mut counters,
    )
    .unwrap();
    let mut publisher = MoldPublisher::new(
        PublisherConfig::new(SESSION, rx.addr()),
        history.clone(),
        &mut counters,
    )
    .unwrap();
    let sent = generated(30);
    for m in &sent {
        publisher.publish(m, 0).unwrap();
    }
    assert_eq!(history.lock().first_sequence_number(), 15);
    // Nothing was sent before eviction: the publisher counts the loss.
    publisher.do_work(wall_clock_ns());
    assert_eq!(publisher.counters().messages_evicted_unsent.get(), 14);
    assert!(drive(&mut [], &mut rx, TIMEOUT, |r| r.next == 31));
    assert_eq!(rx.gaps, vec![(1, 15)]);

    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ask = |seq: u64, count: u16, server: &mut RequestServer| {
        let r = RequestPacket {
            session: SESSION,
            sequence_number: seq,
            requested_count: count,
        };
        client
            .send_to(&r.encode(), server.local_addr().unwrap())
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        server.do_work(0);
    };
    ask(9, 10, &mut server);
    client.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut buf = [0u8; 2_000];
    let len = client.recv(&mut buf).unwrap();
    let packet = Packet::parse(&buf[..len]).unwrap();
    let got: Vec<(u64, &[u8])> = packet.messages().collect();
    let want: Vec<(u64, &[u8])> = (15..19).map(|s| (s, &sent[s as usize - 1][..])).collect();
    assert_eq!(
        got, want,
        "from the oldest retained up to the requested end"
    );
    ask(1, 10, &mut server);
    assert_eq!(server.counters().evicted.get(), 2);
    assert_eq!(server.counters().unavailable.get(), 1);
}

#[test]
fn heartbeats_when_idle_carry_the_next_sequence_number() {
    let mut rx = Receiver::bind();
    let mut v = venue(&rx, |c| c.heartbeat_interval_ns = 30_000_000);
    // Withhold the last two: heartbeats must still announce them, exposing the gap.
    v.publisher.apply(FaultCommand::DropRange {
        sequence_numbers: 9..11,
    });
    publish_all(&mut v, &mut rx, &generated(10));
    let start = Instant::now();
    assert!(drive(&mut [&mut v.publisher], &mut rx, TIMEOUT, |r| r
        .heartbeats
        .len()
        >= 3));
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert!(
        rx.heartbeats.iter().all(|&s| s == 11),
        "{:?}",
        rx.heartbeats
    );
    assert_eq!(rx.messages.len(), 8);
    assert_eq!(v.publisher.counters().heartbeats_sent.get(), 3);
}

#[test]
fn delay_holds_messages_and_pause_silences_everything_until_resume() {
    let mut rx = Receiver::bind();
    let mut v = venue(&rx, |c| c.heartbeat_interval_ns = 10_000_000);
    let faults = v.publisher.fault_handle();
    faults.send(FaultCommand::Delay {
        delay_ns: 150_000_000,
    });
    v.publisher.do_work(wall_clock_ns());
    let sent = generated(20);
    let published_at = Instant::now();
    for m in &sent {
        v.publisher.publish(m, wall_clock_ns()).unwrap();
    }
    assert!(drive(&mut [&mut v.publisher], &mut rx, TIMEOUT, |r| r.next == 21));
    assert!(published_at.elapsed() >= Duration::from_millis(150));
    assert_eq!(rx.messages.len(), 20);

    faults.send(FaultCommand::Clear);
    faults.send(FaultCommand::Pause);
    v.publisher.do_work(wall_clock_ns());
    assert!(v.publisher.fault_plan().is_paused());
    let before = rx.heartbeats.len();
    let more = generated(40);
    for m in &more[20..] {
        v.publisher.publish(m, wall_clock_ns()).unwrap();
    }
    // 100 ms paused: no data, no heartbeats (interval 10 ms).
    assert!(!drive(
        &mut [&mut v.publisher],
        &mut rx,
        Duration::from_millis(100),
        |r| r.next > 21
    ));
    assert_eq!(rx.heartbeats.len(), before);
    assert_eq!(v.publisher.backlog(), 20);
    faults.send(FaultCommand::Resume);
    assert!(drive(&mut [&mut v.publisher], &mut rx, TIMEOUT, |r| r.next == 41));
    assert!(rx.gaps.is_empty());
    assert_eq!(v.publisher.counters().commands_applied.get(), 4);
}

#[test]
fn publishes_to_a_multicast_group_when_the_host_allows_it() {
    let group: std::net::Ipv4Addr = "239.255.42.99".parse().unwrap();
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    if socket
        .join_multicast_v4(&group, &std::net::Ipv4Addr::UNSPECIFIED)
        .is_err()
    {
        // Containers without a multicast-capable loopback cannot run this; say so loudly.
        use std::io::Write;
        let _ = std::io::stderr()
            .lock()
            .write_all(b"\nSKIPPED (no multicast on loopback): publishes_to_a_multicast_group\n");
        return;
    }
    let port = socket.local_addr().unwrap().port();
    socket.set_nonblocking(true).unwrap();
    let mut rx = Receiver::bind();
    rx.socket = socket;
    let history = SharedHistory::new(RetainedHistory::new(HistoryLimits::DEFAULT).unwrap());
    let config = PublisherConfig::new(SESSION, (group, port).into());
    let mut publisher = MoldPublisher::new(config, history, &mut CounterSet::new()).unwrap();
    for m in &generated(10) {
        publisher.publish(m, 0).unwrap();
    }
    if !drive(
        &mut [&mut publisher],
        &mut rx,
        Duration::from_secs(2),
        |r| r.next == 11,
    ) {
        use std::io::Write;
        let _ = std::io::stderr().lock().write_all(
            b"\nSKIPPED (multicast not delivered on this host): publishes_to_a_multicast_group\n",
        );
        return;
    }
    assert_eq!(rx.messages.len(), 10);

    // With loopback off the same host hears nothing: the socket option is really set.
    let history = SharedHistory::new(RetainedHistory::new(HistoryLimits::DEFAULT).unwrap());
    let mut config = PublisherConfig::new(Session(*b"QUIETSESS1"), (group, port).into());
    config.multicast_loopback = false;
    let mut quiet = MoldPublisher::new(config, history, &mut CounterSet::new()).unwrap();
    quiet.publish(b"x", 0).unwrap();
    assert!(!drive(
        &mut [&mut quiet],
        &mut rx,
        Duration::from_millis(100),
        |r| { r.foreign_packets > 0 }
    ));
    assert_eq!(quiet.counters().packets_sent.get(), 1);
}

#[test]
fn bad_configuration_and_oversized_messages_are_typed_errors() {
    use crossbar_venue_feed::FeedError;
    let history = SharedHistory::new(RetainedHistory::new(HistoryLimits::DEFAULT).unwrap());
    let rx = Receiver::bind();
    let mut config = PublisherConfig::new(SESSION, rx.addr());
    config.max_payload = 22;
    let err = MoldPublisher::new(config, history.clone(), &mut CounterSet::new())
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "VFEED_MOLD MOLD_BAD_MAX_PAYLOAD max_payload=22 (valid 23..=65507)"
    );
    config.max_payload = 100;
    config.packets_per_duty_cycle_max = 0;
    assert!(matches!(
        MoldPublisher::new(config, history.clone(), &mut CounterSet::new()),
        Err(FeedError::InvalidLimits {
            field: "packets_per_duty_cycle_max",
            ..
        })
    ));
    config.packets_per_duty_cycle_max = 1;
    let mut publisher =
        MoldPublisher::new(config, history.clone(), &mut CounterSet::new()).unwrap();
    // 100 - 20 header - 2 prefix = 78 bytes fit; 79 do not, and nothing is sequenced.
    assert_eq!(publisher.publish(&[b'S'; 78], 0).unwrap(), 1);
    assert_eq!(
        publisher.publish(&[b'S'; 79], 0).unwrap_err().to_string(),
        "VFEED_MESSAGE_TOO_LARGE len=79 max=78"
    );
    assert_eq!(history.lock().next_sequence_number(), 2);

    let mut server_config = RequestServerConfig::new(SESSION, "127.0.0.1:0".parse().unwrap());
    server_config.request_count_max = 0;
    assert!(matches!(
        RequestServer::new(server_config, history.clone(), &mut CounterSet::new()),
        Err(FeedError::InvalidLimits {
            field: "request_count_max",
            ..
        })
    ));
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_config = RequestServerConfig::new(SESSION, taken.local_addr().unwrap());
    assert!(matches!(
        RequestServer::new(server_config, history, &mut CounterSet::new()),
        Err(FeedError::Socket { op: "bind", .. })
    ));
}
