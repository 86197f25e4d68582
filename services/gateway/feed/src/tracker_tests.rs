//! One test per [`SequenceTracker`] transition, with a fixed clock and packets built by the
//! MoldUDP64 encoder.

use crossbar_moldudp64::{Packet, PacketEncoder, PacketHeader, RequestPacket, Session};

use crate::{FeedLimits, FeedState, RecoveryPolicy, SequenceTracker, Verdict};

const SESSION: Session = Session(*b"TESTSESS01");
const TIMEOUT_NS: u64 = 1_000;

fn policy() -> RecoveryPolicy {
    RecoveryPolicy {
        max_count_per_request: 100,
        request_timeout_ns: TIMEOUT_NS,
        request_attempts_max: 3,
    }
}

fn tracker_with(reorder_packets: usize) -> SequenceTracker {
    let limits = FeedLimits {
        reorder_packets,
        reorder_bytes: 1_472 * 16,
        packet_bytes_max: 1_472,
        datagrams_per_cycle: 8,
        receive_buffer_bytes: 0,
    };
    SequenceTracker::new(None, 1, limits, policy()).unwrap()
}

fn tracker() -> SequenceTracker {
    tracker_with(16)
}

/// A data packet carrying messages `first..first + count`, each message its own number.
fn data(first: u64, count: u64) -> Vec<u8> {
    let mut enc = PacketEncoder::new(SESSION, first, 1_400).unwrap();
    for seq in first..first + count {
        enc.push(&seq.to_be_bytes()).unwrap();
    }
    enc.packet().to_vec()
}

fn header_only(sequence_number: u64, message_count: u16) -> Vec<u8> {
    PacketHeader {
        session: SESSION,
        sequence_number,
        message_count,
    }
    .encode()
    .to_vec()
}

/// Feeds one packet and drains the buffer as the agent does; returns the verdict and the
/// sequence numbers delivered, in order, checking each message carries its own number.
fn feed(t: &mut SequenceTracker, bytes: &[u8]) -> (Verdict, Vec<u64>) {
    let packet = Packet::parse(bytes).unwrap();
    let verdict = t.on_packet(&packet.header, bytes);
    let mut delivered = Vec::new();
    let mut take = |packet: &Packet<'_>, skip: u16| {
        for (seq, msg) in packet.messages().skip(usize::from(skip)) {
            assert_eq!(msg, seq.to_be_bytes());
            delivered.push(seq);
        }
    };
    if let Verdict::Deliver { skip } = verdict {
        take(&packet, skip);
    }
    while let Some((buffered, skip)) = t.pop_ready() {
        take(&Packet::parse(buffered).unwrap(), skip);
    }
    (verdict, delivered)
}

fn seqs(range: std::ops::Range<u64>) -> Vec<u64> {
    range.collect()
}

#[test]
fn live_in_order_data_is_delivered_and_stays_live() {
    let mut t = tracker();
    assert_eq!(
        feed(&mut t, &data(1, 3)),
        (Verdict::Deliver { skip: 0 }, seqs(1..4))
    );
    assert_eq!(
        feed(&mut t, &data(4, 2)),
        (Verdict::Deliver { skip: 0 }, seqs(4..6))
    );
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(t.expected(), 6);
    assert_eq!(t.session(), Some(SESSION));
    assert_eq!(t.counters().packets, 2);
}

#[test]
fn live_duplicate_is_dropped_and_counted() {
    let mut t = tracker();
    feed(&mut t, &data(1, 3));
    assert_eq!(feed(&mut t, &data(1, 3)), (Verdict::Duplicate, vec![]));
    assert_eq!(feed(&mut t, &data(2, 1)), (Verdict::Duplicate, vec![]));
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(t.counters().duplicates, 2);
}

#[test]
fn live_overlapping_packet_delivers_only_new_messages() {
    let mut t = tracker();
    feed(&mut t, &data(1, 3));
    assert_eq!(
        feed(&mut t, &data(2, 4)),
        (Verdict::Deliver { skip: 2 }, seqs(4..6))
    );
    assert_eq!(t.expected(), 6);
}

#[test]
fn live_data_ahead_opens_a_gap_and_buffers() {
    let mut t = tracker();
    feed(&mut t, &data(1, 2));
    assert_eq!(feed(&mut t, &data(10, 2)), (Verdict::Buffered, vec![]));
    assert_eq!(t.state(), FeedState::Gap { from: 3, to: 10 });
    assert_eq!(t.counters().gaps_opened, 1);
    assert_eq!(t.buffered_packets(), 1);
}

#[test]
fn live_heartbeat_ahead_opens_a_gap_heartbeat_at_expected_does_not() {
    let mut t = tracker();
    feed(&mut t, &data(1, 2));
    assert_eq!(
        feed(&mut t, &header_only(3, 0)),
        (Verdict::Heartbeat, vec![])
    );
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(
        feed(&mut t, &header_only(7, 0)),
        (Verdict::Heartbeat, vec![])
    );
    assert_eq!(t.state(), FeedState::Gap { from: 3, to: 7 });
}

#[test]
fn first_packet_after_the_configured_start_is_a_gap() {
    let mut t = tracker();
    assert_eq!(feed(&mut t, &data(5, 1)), (Verdict::Buffered, vec![]));
    assert_eq!(t.state(), FeedState::Gap { from: 1, to: 5 });
}

#[test]
fn gap_poll_sends_request_and_enters_recovering() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(500, 1));
    let request = t.poll(100).unwrap();
    assert_eq!(
        request,
        RequestPacket {
            session: SESSION,
            sequence_number: 2,
            requested_count: 100, // gap of 498 capped at max_count_per_request
        }
    );
    assert_eq!(
        t.state(),
        FeedState::Recovering {
            from: 2,
            to: 500,
            attempt: 1,
            deadline_ns: 100 + TIMEOUT_NS
        }
    );
    assert_eq!(t.counters().requests_sent, 1);
}

#[test]
fn recovering_before_deadline_waits() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(5, 1));
    assert_eq!(t.poll(0).unwrap().requested_count, 3);
    let waiting = t.state();
    assert_eq!(t.poll(TIMEOUT_NS - 1), None);
    assert_eq!(t.state(), waiting);
    assert_eq!(t.counters().request_timeouts, 0);
}

#[test]
fn recovering_timeout_retries_with_next_attempt() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(5, 1));
    t.poll(0).unwrap();
    let again = t.poll(TIMEOUT_NS).unwrap();
    assert_eq!((again.sequence_number, again.requested_count), (2, 3));
    assert_eq!(
        t.state(),
        FeedState::Recovering {
            from: 2,
            to: 5,
            attempt: 2,
            deadline_ns: 2 * TIMEOUT_NS
        }
    );
    assert_eq!(t.counters().request_timeouts, 1);
    assert_eq!(t.counters().requests_sent, 2);
}

#[test]
fn recovering_out_of_attempts_fails_and_then_ignores_everything() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(5, 1));
    let mut now = 0;
    let mut sent = 0;
    while let Some(_request) = t.poll(now) {
        sent += 1;
        now += TIMEOUT_NS;
    }
    assert_eq!(sent, 3);
    assert_eq!(t.state(), FeedState::Failed { from: 2, to: 5 });
    let c = *t.counters();
    assert_eq!(
        (c.requests_sent, c.request_timeouts, c.gaps_failed),
        (3, 3, 1)
    );
    assert_eq!(t.buffered_packets(), 0);
    assert_eq!(feed(&mut t, &data(2, 3)), (Verdict::Ignored, vec![]));
    assert_eq!(t.poll(now + 10 * TIMEOUT_NS), None);
    assert_eq!(t.state(), FeedState::Failed { from: 2, to: 5 });
    assert_eq!(t.counters().ignored, 1);
}

#[test]
fn recovering_partial_fill_asks_again_for_the_rest() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(10, 1));
    t.poll(0).unwrap();
    t.poll(TIMEOUT_NS).unwrap(); // attempt 2
    assert_eq!(
        feed(&mut t, &data(2, 3)),
        (Verdict::Deliver { skip: 0 }, seqs(2..5))
    );
    assert_eq!(t.state(), FeedState::Gap { from: 5, to: 10 });
    let rest = t.poll(2 * TIMEOUT_NS).unwrap();
    assert_eq!((rest.sequence_number, rest.requested_count), (5, 5));
    assert!(matches!(
        t.state(),
        FeedState::Recovering { attempt: 1, .. }
    ));
}

#[test]
fn recovering_fill_replays_buffer_and_returns_live() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(5, 2));
    feed(&mut t, &data(7, 1));
    t.poll(0).unwrap();
    let (verdict, delivered) = feed(&mut t, &data(2, 3));
    assert_eq!(verdict, Verdict::Deliver { skip: 0 });
    assert_eq!(delivered, seqs(2..8));
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(t.counters().gaps_recovered, 1);
    assert_eq!(t.buffered_packets(), 0);
    assert_eq!(t.poll(10 * TIMEOUT_NS), None);
}

#[test]
fn gap_filled_before_any_request_returns_live() {
    let mut t = tracker();
    feed(&mut t, &data(2, 1));
    assert_eq!(t.state(), FeedState::Gap { from: 1, to: 2 });
    assert_eq!(feed(&mut t, &data(1, 1)).1, seqs(1..3));
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(t.counters().gaps_recovered, 1);
}

#[test]
fn full_reorder_buffer_drops_and_the_gap_extends_past_it() {
    let mut t = tracker_with(1);
    feed(&mut t, &data(1, 1));
    assert_eq!(feed(&mut t, &data(3, 1)).0, Verdict::Buffered);
    assert_eq!(feed(&mut t, &data(4, 1)).0, Verdict::Dropped);
    assert_eq!(feed(&mut t, &data(3, 1)).0, Verdict::Duplicate);
    assert_eq!(t.counters().dropped, 1);
    t.poll(0).unwrap();
    // 2 arrives: 2 and 3 are delivered, 4 is still missing: ask again from 4.
    assert_eq!(feed(&mut t, &data(2, 1)).1, seqs(2..4));
    assert_eq!(t.state(), FeedState::Gap { from: 4, to: 5 });
    assert_eq!(feed(&mut t, &data(4, 1)).1, seqs(4..5));
    assert_eq!(t.state(), FeedState::Live);
}

#[test]
fn retransmission_overlapping_buffered_packets_is_not_delivered_twice() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    feed(&mut t, &data(4, 2));
    t.poll(0).unwrap();
    // The server answers 2..=5 in one packet: 4 and 5 are also buffered.
    assert_eq!(feed(&mut t, &data(2, 4)).1, seqs(2..6));
    assert_eq!(t.counters().duplicates, 1, "the buffered copy is discarded");
    assert_eq!(t.state(), FeedState::Live);
}

#[test]
fn end_of_session_at_expected_ends() {
    let mut t = tracker();
    feed(&mut t, &data(1, 2));
    assert_eq!(
        feed(&mut t, &header_only(3, 0xFFFF)),
        (Verdict::EndOfSession, vec![])
    );
    assert_eq!(t.state(), FeedState::Ended);
    assert_eq!(feed(&mut t, &data(3, 1)).0, Verdict::Ignored);
}

#[test]
fn end_of_session_ahead_opens_gap_then_ends_when_filled() {
    let mut t = tracker();
    feed(&mut t, &data(1, 2));
    feed(&mut t, &header_only(5, 0xFFFF));
    assert_eq!(t.state(), FeedState::Gap { from: 3, to: 5 });
    t.poll(0).unwrap();
    feed(&mut t, &data(3, 2));
    assert_eq!(t.state(), FeedState::Ended);
    assert_eq!(t.counters().gaps_recovered, 1);
}

#[test]
fn other_session_is_dropped() {
    let mut t = tracker();
    feed(&mut t, &data(1, 1));
    let mut enc = PacketEncoder::new(Session(*b"OTHERSESS1"), 2, 100).unwrap();
    enc.push(b"x").unwrap();
    let bytes = enc.packet().to_vec();
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(t.on_packet(&p.header, &bytes), Verdict::WrongSession);
    assert_eq!(t.expected(), 2);
    assert_eq!(t.counters().wrong_session, 1);
}

#[test]
fn configured_session_rejects_first_packet_of_another() {
    let limits = FeedLimits::default();
    let mut t = SequenceTracker::new(Some(Session(*b"OTHERSESS1")), 1, limits, policy()).unwrap();
    assert_eq!(feed(&mut t, &data(1, 1)).0, Verdict::WrongSession);
    assert_eq!(t.state(), FeedState::Live);
}

#[test]
fn sequence_overflow_is_dropped_not_wrapped() {
    let mut t = tracker();
    let mut bytes = header_only(u64::MAX, 2);
    bytes.extend_from_slice(&[0, 1, b'a', 0, 1, b'b']);
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(t.on_packet(&p.header, &bytes), Verdict::Dropped);
    assert_eq!(t.state(), FeedState::Live);
}

/// A gap followed by a burst of one-message packets far beyond 1,024 packets: the arena packs
/// them, nothing is dropped, and one request for exactly the hole recovers everything.
#[test]
fn a_burst_of_small_packets_behind_a_gap_is_buffered_and_only_the_hole_is_requested() {
    let limits = FeedLimits::default();
    let mut t = SequenceTracker::new(None, 1, limits, policy()).unwrap();
    feed(&mut t, &data(1, 1));
    // 2..=201 lost; 202..=10_201 arrive, one message per packet.
    for s in 202..10_202 {
        assert_eq!(feed(&mut t, &data(s, 1)).0, Verdict::Buffered, "{s}");
    }
    assert_eq!(t.counters().dropped, 0);
    // The policy allows 100 per request: two requests, each for the rest of the hole only.
    let request = t.poll(0).unwrap();
    assert_eq!((request.sequence_number, request.requested_count), (2, 100));
    assert_eq!(feed(&mut t, &data(2, 100)).1, seqs(2..102));
    let request = t.poll(1).unwrap();
    assert_eq!(
        (request.sequence_number, request.requested_count),
        (102, 100)
    );
    assert_eq!(feed(&mut t, &data(102, 100)).1, seqs(102..10_202));
    assert_eq!(t.state(), FeedState::Live);
    assert_eq!(t.counters().requests_sent, 2);
}
