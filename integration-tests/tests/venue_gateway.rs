//! `crossbar-venue-sim` and `crossbar-gateway` as separate processes over real UDP, TCP and
//! Aeron (see `platform/mod.rs` for the wiring): the gateway's SBE book equals the venue's
//! own, gaps are recovered from the venue's request server, SBE child orders become OUCH
//! orders the venue fills, and a cut OUCH session loses and duplicates no execution.

mod platform;

use std::collections::{BTreeMap, BTreeSet};

use crossbar_model::{Side, TimeInForce};
use crossbar_sbe::{ExecType, FeedState, Message, OrderStatus};
use platform::*;

/// The gateway lists the deploy universe in another order than the venue's locates, so
/// instrument ids must come from the symbols.
const GATEWAY_UNIVERSE: [&str; 8] = [
    "AVGO", "TSLA", "META", "GOOGL", "AMZN", "NVDA", "MSFT", "AAPL",
];

fn seeded_platform(test: &str, ports: Ports, seed: u64, messages: u64) -> Platform {
    Platform::start(
        test,
        ports,
        &GATEWAY_UNIVERSE,
        "",
        &generator_source(seed, &DEPLOY_UNIVERSE, messages),
    )
}

/// Every level of both sides and the top of every symbol, once the venue finished seeding
/// and the gateway applied it all.
fn assert_seeded_books_equal(mut p: Platform) {
    let next_seq = p.seeded_and_caught_up();
    let books = p.assert_books_equal();
    let levels: usize = books.values().map(|(b, a)| b.len() + a.len()).sum();
    assert!(levels >= 20, "a day with a real book: {books:?}");
    assert!(p.mirror.deltas > 100, "deltas: {}", p.mirror.deltas);
    let status = p.sim.status();
    assert_eq!(
        status["next_seq"].as_u64(),
        Some(next_seq),
        "no client activity"
    );
    let counters = p.stop();
    assert_eq!(counters["feed.gaps_failed"], 0, "{counters:?}");
}

#[test]
fn gateway_book_equals_venue_book_after_a_seeded_day_unicast() {
    assert_seeded_books_equal(seeded_platform("vg-book", Ports::unicast(), 11, 6_000));
}

#[test]
fn gateway_book_equals_venue_book_over_multicast_on_loopback() {
    assert_seeded_books_equal(seeded_platform("vg-mcast", Ports::multicast(), 22, 6_000));
}

#[test]
fn gateway_book_equals_venue_book_seeded_from_a_real_itch_day_file() {
    let shared = crossbar_capture::require_shared!(
        "gateway_book_equals_venue_book_seeded_from_a_real_itch_day_file"
    );
    // 12,012 messages of BX order flow (adds, executions, cancels, deletes, replaces) over
    // three listed symbols.
    let file = shared.join(
        "venue-data/nasdaq_itch50/semisynthetic_obfuscated_BX_12012msgs__RITCH_ex20101224.TEST_ITCH_50",
    );
    assert!(file.is_file(), "{} missing", file.display());
    let mut p = Platform::start(
        "vg-capture",
        Ports::unicast(),
        &["CHAR", "BOB", "ALC"],
        "",
        &format!("kind = \"day_file\"\npath = \"{}\"\n", file.display()),
    );
    p.seeded_and_caught_up();
    let books = p.assert_books_equal();
    let levels: usize = books.values().map(|(b, a)| b.len() + a.len()).sum();
    assert!(levels >= 10, "the capture leaves a book: {books:?}");
    let counters = p.stop();
    assert_eq!(counters["feed.gaps_failed"], 0, "{counters:?}");
}

#[test]
fn a_dropped_range_is_re_requested_from_the_venue_and_the_books_still_match() {
    // A long day paced at one message per duty cycle, so the live feed can be paused while
    // it is still being seeded.
    let mut p = Platform::start(
        "vg-gap",
        Ports::unicast(),
        &GATEWAY_UNIVERSE,
        "pace_per_duty_cycle = 1\nbacklog_max = 512\n",
        &generator_source(33, &DEPLOY_UNIVERSE, 20_000),
    );
    p.sim.ok("pause");
    let unsent = p.sim.status()["next_unsent_seq"].as_u64().unwrap();
    assert!(
        unsent + 400 < 20_000,
        "seeding ended before the pause arrived (next_unsent_seq {unsent})"
    );
    // Held back while paused: nothing from `unsent` on has left, so the range is droppable.
    let (from, to) = (unsent + 100, unsent + 299);
    let dropped = p.sim.ok(&format!("drop {from} {to}"));
    assert_eq!(
        (dropped["from"].as_u64(), dropped["to"].as_u64()),
        (Some(from), Some(to))
    );
    p.sim.ok("resume");

    p.seeded_and_caught_up();
    p.assert_books_equal();

    // FeedStatus: a Gap (or Recovering) after Ok, then Ok again, counting the gap.
    let states: Vec<FeedState> = p.mirror.feed.iter().map(|f| f.feed_state).collect();
    let gap = states
        .iter()
        .position(|s| matches!(s, FeedState::Gap | FeedState::Recovering))
        .unwrap_or_else(|| panic!("no Gap in {states:?}"));
    assert!(states[gap..].contains(&FeedState::Ok), "{states:?}");
    assert!(!states.contains(&FeedState::Stale), "{states:?}");
    let gaps = p.mirror.feed.last().unwrap().gap_count;
    assert!(gaps >= 1, "{:?}", p.mirror.feed.last());

    // The venue withheld exactly the range and served it on request.
    let counters = p.sim.status()["counters"].clone();
    assert_eq!(
        counters["venue_feed.pub.messages_dropped"].as_u64(),
        Some(to - from + 1),
        "{counters}"
    );
    assert!(counters["venue_feed.request.received"].as_u64().unwrap() >= 1);
    let resent = counters["venue_feed.request.messages_resent"]
        .as_u64()
        .unwrap();
    assert!(resent > to - from, "{counters}");
    let gw = p.stop();
    assert_eq!(gw["feed.gaps_opened"], gaps, "{gw:?}");
    assert_eq!(gw["feed.gaps_recovered"], gaps, "{gw:?}");
    assert_eq!(gw["feed.gaps_failed"], 0, "{gw:?}");
    assert!(gw["feed.requests_sent"] >= 1, "{gw:?}");
    // The burst behind the hole waits in the gateway's reorder arena: nothing is dropped
    // there. With the venue's hole the only gap, only the hole is re-sent (slack for a
    // timed-out request sent again on a busy machine); further gaps mean the kernel dropped
    // datagrams while the gateway was descheduled, and those are re-requested too.
    assert_eq!(gw["feed.reorder_dropped"], 0, "{gw:?}");
    if gaps == 1 {
        assert!(
            resent <= 5 * (to - from + 1),
            "{resent} messages re-sent for one {}-message hole: {counters}",
            to - from + 1
        );
    }
}

/// The symbol with the most shares at its best offer, its best ask price and those shares.
fn deepest_offer(books: &BTreeMap<String, (Ladder, Ladder)>) -> (String, i64, u64) {
    books
        .iter()
        .filter_map(|(s, (_, asks))| asks.first().map(|a| (s.clone(), a.0, a.1)))
        .max_by_key(|(_, _, q)| *q)
        .expect("some symbol has an offer")
}

/// Fill reports (ExecType PartialFill or Fill) of `messages`.
fn fills(messages: &[Message]) -> Vec<&crossbar_sbe::ExecutionReport> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::ExecutionReport(r)
                if matches!(r.exec_type, ExecType::PartialFill | ExecType::Fill) =>
            {
                Some(r)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_child_order_crossing_the_venue_book_is_filled_and_both_books_show_it() {
    let mut p = seeded_platform("vg-fill", Ports::unicast(), 44, 6_000);
    p.seeded_and_caught_up();
    let before = p.assert_books_equal();
    let (symbol, ask, ask_qty) = deepest_offer(&before);
    let qty = ask_qty.min(100) as u32;
    // The gateway logs in to the venue on its own (it retries every 100 ms).
    wait_until("the gateway's OUCH login", || {
        p.sim.session()["connected"] == true
    });

    let id = p.id(&symbol);
    p.centre
        .send(&child_order(1, id, Side::Buy, ask, qty, TimeInForce::Day));
    let mut reports = Vec::new();
    p.centre
        .executions_until(&mut reports, "the order filled", |m| {
            m.iter().any(|m| {
                matches!(m, Message::ExecutionReport(r)
                if r.order_status == OrderStatus::Filled)
            })
        });
    let Message::ExecutionReport(new) = &reports[0] else {
        panic!("{reports:#?}")
    };
    assert_eq!(new.exec_type, ExecType::New, "{reports:#?}");
    assert_eq!(new.order_id, order_id(1));
    let fill_reports: Vec<crossbar_sbe::ExecutionReport> =
        fills(&reports).into_iter().cloned().collect();
    let fills = fill_reports;
    assert!(!fills.is_empty());
    for f in &fills {
        assert_eq!(f.order_id, order_id(1));
        assert_eq!(f.instrument_id.0, id);
        assert_eq!(f.last_px.0, ask, "fills at the resting offer");
        assert_ne!(f.match_id, 0);
    }
    let filled: u32 = fills.iter().map(|f| f.last_qty.0).sum();
    assert_eq!(filled, qty);
    assert_eq!(fills.last().unwrap().cum_qty.0, qty);
    assert_eq!(fills.last().unwrap().leaves_qty.0, 0);
    p.centre
        .executions_until(&mut reports, "a position update", |m| {
            m.iter()
                .any(|m| matches!(m, Message::PositionUpdate(u) if u.position == i64::from(qty)))
        });

    // The venue's side of it: one accepted order, its fills and shares, the taker fee.
    let session = p.sim.session();
    assert_eq!(session["orders_accepted"].as_u64(), Some(1), "{session}");
    assert_eq!(
        session["fills"].as_u64(),
        Some(fills.len() as u64),
        "{session}"
    );
    assert_eq!(session["shares_filled"].as_u64(), Some(u64::from(qty)));
    assert_eq!(session["taker_fills"].as_u64(), Some(fills.len() as u64));
    assert_eq!(session["net_fees"].as_i64(), Some(i64::from(qty) * 30));

    // Both books lost exactly those shares at the offer.
    let after = p.assert_books_equal();
    let left = ask_qty - u64::from(qty);
    let best_after = after[&symbol].1.first().copied();
    if left == 0 {
        assert!(best_after.is_none_or(|l| l.0 > ask), "{best_after:?}");
    } else {
        assert_eq!(best_after.map(|l| (l.0, l.1)), Some((ask, left)));
    }
    for (s, book) in &before {
        if *s != symbol {
            assert_eq!(&after[s], book, "{s} untouched");
        }
    }
    let gw = p.stop();
    assert_eq!(gw["exec.overflowed"], 0, "{gw:?}");
}

/// Orders of `reports` (by sequence) that reached a final state: filled, canceled (an IOC
/// remainder) or rejected.
fn finished(reports: &[Message]) -> BTreeSet<u64> {
    reports
        .iter()
        .filter_map(|m| match m {
            Message::ExecutionReport(r)
                if matches!(r.order_status, OrderStatus::Filled | OrderStatus::Canceled) =>
            {
                Some(r.order_id.sequence())
            }
            Message::OrderReject(r) => Some(r.order_id.sequence()),
            _ => None,
        })
        .collect()
}

fn news(reports: &[Message]) -> Vec<u64> {
    reports
        .iter()
        .filter_map(|m| match m {
            Message::ExecutionReport(r) if r.exec_type == ExecType::New => {
                Some(r.order_id.sequence())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn an_ouch_session_cut_mid_burst_delivers_every_execution_exactly_once() {
    // The gateway reconnects 1 s after losing its session: long enough for the venue to fill
    // its resting orders while it is away, executions it must then get by replay.
    let mut p = Platform::start_with(
        "vg-cut",
        Ports::unicast(),
        &GATEWAY_UNIVERSE,
        "",
        &generator_source(55, &DEPLOY_UNIVERSE, 6_000),
        1_000,
    );
    p.seeded_and_caught_up();
    let books = p.assert_books_equal();
    // Marketable buys: IOC, a few shares each, up to 3% through the best offer (inside the
    // gateway's 5% collar).
    let (buy_symbol, ask, _) = deepest_offer(&books);
    let limit = ask + ask * 3 / 100;
    let offered: u64 = books[&buy_symbol]
        .1
        .iter()
        .filter(|l| l.0 <= limit)
        .map(|l| l.1)
        .sum();
    let shares = (offered / 40).clamp(1, 20) as u32;
    let buy_id = p.id(&buy_symbol);
    // Resting sells in another symbol at twice any price in its book (passive: no collar).
    let (rest_symbol, (bids, asks)) = books
        .iter()
        .find(|(s, (b, a))| **s != buy_symbol && !(b.is_empty() && a.is_empty()))
        .expect("a second symbol with a book");
    let high = 2 * bids.iter().chain(asks).map(|l| l.0).max().unwrap();
    let rest_id = p.id(rest_symbol);
    const REST_SHARES: u32 = 5;
    wait_until("the gateway's OUCH login", || {
        p.sim.session()["connected"] == true
    });

    let mut reports = Vec::new();
    let buy = |p: &mut Platform, sequence: u64| {
        p.centre.send(&child_order(
            sequence,
            buy_id,
            Side::Buy,
            limit,
            shares,
            TimeInForce::Ioc,
        ));
    };
    // Burst 1: odd orders buy, even orders rest.
    for sequence in 1..=20u64 {
        if sequence % 2 == 1 {
            buy(&mut p, sequence);
        } else {
            p.centre.send(&child_order(
                sequence,
                rest_id,
                Side::Sell,
                high,
                REST_SHARES,
                TimeInForce::Day,
            ));
        }
    }
    p.centre
        .executions_until(&mut reports, "burst 1 accepted, its buys done", |m| {
            let done = finished(m);
            news(m).len() == 20 && (1..=20).step_by(2).all(|s| done.contains(&s))
        });
    let fills_before_cut = p.sim.session()["fills"].as_u64().unwrap();

    // The cut, then another account sweeps the resting sells while the gateway is away.
    let cut = p.sim.ok(&format!("cut {ACCOUNT}"));
    assert_eq!(cut["cut"].as_u64(), Some(1), "the session was live: {cut}");
    // Burst 2 meets the closed session: rejected NotConnected by the gateway, or (if it is
    // already back) sent.
    for sequence in 21..=30 {
        buy(&mut p, sequence);
    }
    let sweep: u64 = p.sim.book(rest_symbol).1.iter().map(|l| l.1).sum();
    assert!(sweep >= 10 * u64::from(REST_SHARES));
    let mut other = OtherTrader::login(p.sim_ouch());
    other.buy_ioc(rest_symbol, high, sweep as u32);
    wait_until("the sweep filled the gateway's resting sells", || {
        p.sim.session()["fills"].as_u64().unwrap() >= fills_before_cut + 10
    });
    assert_eq!(
        p.sim.session()["connected"],
        false,
        "the sweep happened while the gateway was away"
    );
    wait_until("the gateway's OUCH re-login", || {
        p.centre.poll_executions(&mut reports);
        p.sim.session()["connected"] == true
    });
    // Burst 3 on the new session.
    for sequence in 31..=40 {
        buy(&mut p, sequence);
    }

    // Settled: every order finished and every fill the venue made is reported.
    let start = std::time::Instant::now();
    loop {
        while p.centre.poll_executions(&mut reports) > 0 {}
        let venue_fills = p.sim.session()["fills"].as_u64().unwrap();
        let done = finished(&reports);
        // Orders 21..=30 met the cut: they may have been lost with the connection.
        let all_done = (1..=20).chain(31..=40).all(|s| done.contains(&s));
        if fills(&reports).len() as u64 >= venue_fills && all_done {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "gateway fills {} venue fills {venue_fills}: {reports:#?}",
            fills(&reports).len()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // A moment more: nothing arrives twice late.
    let quiet = std::time::Instant::now();
    while quiet.elapsed() < std::time::Duration::from_millis(500) {
        if p.centre.poll_executions(&mut reports) == 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    let got = fills(&reports);
    let mut matches = BTreeSet::new();
    for f in &got {
        assert!(
            matches.insert(f.match_id),
            "match {} twice: {f:?}",
            f.match_id
        );
    }
    let session = p.sim.session();
    assert_eq!(
        Some(matches.len() as u64),
        session["fills"].as_u64(),
        "{session}"
    );
    let reported: u64 = got.iter().map(|f| u64::from(f.last_qty.0)).sum();
    assert_eq!(
        Some(reported),
        session["shares_filled"].as_u64(),
        "{session}"
    );
    // Each resting sell was filled once, at its price, while the session was down.
    for sequence in (2..=20).step_by(2) {
        let mine: Vec<_> = got
            .iter()
            .filter(|f| f.order_id == order_id(sequence))
            .collect();
        assert_eq!(mine.len(), 1, "order {sequence}: {mine:?}");
        assert_eq!((mine[0].last_qty.0, mine[0].last_px.0), (REST_SHARES, high));
        assert_eq!(mine[0].order_status, OrderStatus::Filled);
    }
    // Buys filled before the cut and after the reconnect, at or under the limit.
    assert!(got
        .iter()
        .any(|f| f.order_id <= order_id(20) && f.side == Side::Buy));
    assert!(got.iter().any(|f| f.order_id > order_id(30)), "{got:#?}");
    assert!(got
        .iter()
        .all(|f| f.side == Side::Sell || f.last_px.0 <= limit));
    // No order was acknowledged twice.
    let mut acknowledged = BTreeSet::new();
    for sequence in news(&reports) {
        assert!(acknowledged.insert(sequence), "order {sequence} New twice");
    }
    assert_eq!(
        Some(acknowledged.len() as u64),
        session["orders_accepted"].as_u64(),
        "{session}"
    );

    let status = p.sim.status();
    assert_eq!(
        status["venue_counters"]["connections_cut"].as_u64(),
        Some(1),
        "{status}"
    );
    let gw = p.stop();
    assert_eq!(gw["exec.overflowed"], 0, "{gw:?}");
}

/// Polls `done` every 20 ms until it holds; panics after the deadline.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "never happened: {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
