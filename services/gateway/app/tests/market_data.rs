//! The gateway process's market-data path end to end: ITCH 5.0 in MoldUDP64 over real UDP in,
//! SBE over the gateway's own Aeron driver out, rebuilt by the test into the same book a
//! reference [`crossbar_feed::BookBuilder`] builds from the whole stream.

mod common;
use common::*;

use std::net::SocketAddr;
use std::time::Duration;

use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_itch::ItchMessage;
use crossbar_sbe::{FeedState, Message, TradingStatus};

/// The venue lists a symbol outside the universe first and the universe's symbols in another
/// order than the platform's, so ids must come from the universe, not the directory.
const VENUE_SYMBOLS: [&str; 4] = ["ZZZZ", "SPY", "MSFT", "AAPL"];
const UNIVERSE: [&str; 4] = ["AAPL", "MSFT", "SPY", "IBM"];

fn day(messages: u64) -> Vec<ItchMessage> {
    let config = DayConfig {
        seed: 11,
        instruments: VENUE_SYMBOLS.len() as u16,
        messages,
    };
    DayGenerator::with_symbols(config, &stocks(&VENUE_SYMBOLS)).collect()
}

fn feed_addr(setup: &Setup) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], setup.feed_port))
}

/// Polls until a FeedStatus says every message up to `last` is applied and the feed is Ok.
fn until_complete(centre: &mut Centre, mirror: &mut Mirror, last: u64) {
    centre.market_data_until("feed complete", &mut |m| {
        let done = matches!(&m, Message::FeedStatus(f)
            if f.feed_state == FeedState::Ok && f.expected_sequence == last + 1);
        mirror.apply(m);
        done
    });
}

#[test]
fn book_deltas_and_tops_rebuild_the_venue_book_across_a_recovered_gap() {
    let requests = RequestServer::start();
    let venue = Venue::start();
    let s = setup("gw-md", requests.addr, venue.addr);
    let gw = spawn_gateway(&s, &gateway_toml(&s, &UNIVERSE, ""));
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();

    let stream = packetize(&day(4_000), 400);
    *requests.day.lock().unwrap() = stream.messages.clone();
    let last = stream.messages.len() as u64;
    // Packets 30..36 are lost: the gateway must see the gap, re-request it and fill it.
    let delivered: Vec<Vec<u8>> = stream
        .packets
        .iter()
        .enumerate()
        .filter(|(i, _)| !(30..36).contains(i))
        .map(|(_, p)| p.clone())
        .collect();
    assert!(
        stream.packets.len() > 60,
        "a day long enough to drop a middle range"
    );
    send_packets(feed_addr(&s), &delivered);

    let mut mirror = Mirror::default();
    until_complete(&mut centre, &mut mirror, last);
    let universe = stocks(&UNIVERSE);
    let reference = reference(&universe, &stream.messages);
    centre.converge(&mut mirror, &reference, universe.len());
    mirror.assert_matches(&reference, universe.len());
    assert!(mirror.deltas > 500, "deltas: {}", mirror.deltas);

    // FeedStatus went Ok -> Gap (-> Recovering) -> Ok, counting one gap.
    let states: Vec<FeedState> = mirror.feed_states.iter().map(|f| f.feed_state).collect();
    let gap_at = states
        .iter()
        .position(|s| *s == FeedState::Gap)
        .unwrap_or_else(|| panic!("no Gap in {states:?}"));
    assert!(states[gap_at..].contains(&FeedState::Ok), "{states:?}");
    assert!(states.iter().all(|s| *s != FeedState::Stale), "{states:?}");
    // At least the deliberate gap (loopback UDP may drop more under load; each is recovered).
    let gaps = mirror.feed_states.last().unwrap().gap_count;
    assert!(gaps >= 1);

    // Directory and trading actions: ids from the universe, symbols carried.
    let aapl = &mirror.statuses[&0];
    assert_eq!(&aapl.symbol, b"AAPL    ");
    assert_eq!(aapl.trading_status, TradingStatus::Trading);
    assert_eq!(&mirror.statuses[&2].symbol, b"SPY     ");
    assert!(!mirror.statuses.contains_key(&3), "IBM is never listed");

    let got = requests.stop();
    assert!(!got.is_empty(), "the gap was re-requested");
    let counters = stop_gateway(gw);
    assert_eq!(counters["feed.gaps_opened"], gaps);
    assert_eq!(counters["feed.gaps_recovered"], gaps);
    assert_eq!(counters["feed.gaps_failed"], 0);
    assert!(counters["feed.requests_sent"] >= 1);
    // Refusals (no subscriber yet, back pressure from this test's slow polling) are all
    // counted; the book above is right regardless, through refreshes.
    assert_eq!(
        counters["md.refused"],
        counters["pub.market_data.not_connected"] + counters["pub.market_data.back_pressured"],
        "{counters:?}"
    );
}

#[test]
fn market_data_refused_while_nobody_listens_is_republished_as_a_full_refresh() {
    let requests = RequestServer::start();
    let venue = Venue::start();
    let s = setup("gw-refresh", requests.addr, venue.addr);
    let gw = spawn_gateway(&s, &gateway_toml(&s, &UNIVERSE, ""));
    let stream = packetize(&day(1_500), 400);
    *requests.day.lock().unwrap() = stream.messages.clone();
    // No market-data subscriber yet: every offer is refused (NOT_CONNECTED).
    send_packets(feed_addr(&s), &stream.packets);
    std::thread::sleep(Duration::from_millis(500));

    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    // The feed was fully applied before anyone listened; the refreshes follow the retried
    // FeedStatus.
    let mut mirror = Mirror::default();
    let last = stream.messages.len() as u64;
    centre.market_data_until("three refreshes", &mut |m| {
        mirror.apply(m);
        mirror.refreshes.len() == 3 && mirror.tops.len() == 3
    });
    // Heartbeats flow on the stream too.
    centre.market_data_until(
        "a heartbeat",
        &mut |m| matches!(m, Message::Heartbeat(h) if h.sender_id == GATEWAY_ID && h.sequence >= 1),
    );
    let complete = mirror.feed_states.last().unwrap();
    assert_eq!(
        (complete.feed_state, complete.expected_sequence),
        (FeedState::Ok, last + 1)
    );
    let universe = stocks(&UNIVERSE);
    mirror.assert_matches(&reference(&universe, &stream.messages), universe.len());
    // Each listed instrument came back as one full refresh (clear both sides, then levels),
    // with its status; the never-listed IBM had nothing to refresh.
    for id in 0..3 {
        assert_eq!(mirror.refreshes.get(&id), Some(&2), "instrument {id}");
        assert_eq!(mirror.statuses[&id].trading_status, TradingStatus::Trading);
    }

    let counters = stop_gateway(gw);
    assert!(
        counters["pub.market_data.not_connected"] > 0,
        "{counters:?}"
    );
    assert!(counters["md.refused"] > 0);
    assert!(counters["md.dirty_marked"] >= 3);
    assert!(counters["md.refreshes"] >= 3);
    drop(requests.stop());
}

/// A centre that restarted asks for an execution replay; it holds none of this venue's books,
/// and the feed may be quiet, so the gateway re-publishes every book as a full refresh: a
/// mirror built only from what follows the request equals the venue's book.
#[test]
fn a_centre_asking_for_a_replay_gets_every_book_again_as_full_refreshes() {
    let requests = RequestServer::start();
    let venue = Venue::start();
    let s = setup("gw-refresh-all", requests.addr, venue.addr);
    let gw = spawn_gateway(&s, &gateway_toml(&s, &UNIVERSE, ""));
    let mut centre = Centre::connect(&s.aeron);
    centre.subscribe_market_data();
    let stream = packetize(&day(1_500), 400);
    *requests.day.lock().unwrap() = stream.messages.clone();
    send_packets(feed_addr(&s), &stream.packets);
    let last = stream.messages.len() as u64;
    let mut before = Mirror::default();
    until_complete(&mut centre, &mut before, last);

    // The restarted centre's request; the feed stays quiet from here on.
    centre.send(&Message::ExecutionReplayRequest(
        crossbar_sbe::ExecutionReplayRequest {
            gateway_id: crossbar_model::GatewayId(GATEWAY_ID),
            request_id: 1,
            from_sequence: 1,
            timestamp_ns: 1,
        },
    ));
    let mut after = Mirror::default();
    centre.market_data_until("every instrument refreshed", &mut |m| {
        after.apply(m);
        after.refreshes.len() == UNIVERSE.len()
            && after
                .feed_states
                .last()
                .is_some_and(|f| f.expected_sequence == last + 1)
    });
    let universe = stocks(&UNIVERSE);
    after.assert_matches(&reference(&universe, &stream.messages), universe.len());
    assert_eq!(
        after.deltas,
        UNIVERSE.len(),
        "refreshes only, no other deltas"
    );

    requests.stop();
    let counters = stop_gateway(gw);
    assert_eq!(counters["md.refresh_all"], 1, "{counters:?}");
}
