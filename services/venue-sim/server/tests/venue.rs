//! The real `crossbar-venue-sim` binary on loopback: OUCH over TCP, ITCH over UDP, control
//! over TCP, dynamic ports, a sleeping idle strategy.

mod common;

use common::*;
use crossbar_itch::ItchMessage;
use crossbar_model::{InstrumentId, Qty, Side};
use crossbar_ouch::{
    decode_outbound, CancelOrder, LiquidityFlag, OrderState, OutboundMessage, RejectReason,
    ReplaceOrder, TimeInForce, UserRefNum,
};

fn outbound(bytes: &[u8]) -> OutboundMessage<'_> {
    decode_outbound(bytes).unwrap()
}

/// Test-only: keeps a received message alive for the decoded view borrowing it.
fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

/// A sell price that rests without trading: at the best ask, or above the best bid when the
/// seeded book is crossed (seeded orders never match, so a generated book may cross).
fn passive_sell(sim: &Sim, symbol: &str) -> i64 {
    best(sim, symbol, Side::Sell)
        .0
        .max(best(sim, symbol, Side::Buy).0 + 100)
}

/// A buy price that rests without trading, `ticks` cents under both sides.
fn passive_buy(sim: &Sim, symbol: &str, ticks: i64) -> i64 {
    best(sim, symbol, Side::Sell)
        .0
        .min(best(sim, symbol, Side::Buy).0)
        - 100 * ticks
}

/// Shares offered at or below `price`.
fn asks_through(sim: &Sim, symbol: &str, price: i64) -> u32 {
    let book = sim.control_ok(&format!("book {symbol} 1000"));
    book["asks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["price"].as_i64().unwrap() <= price)
        .map(|l| l["qty"].as_u64().unwrap() as u32)
        .sum()
}

/// Next sequence number of the feed, from `status`.
fn next_seq(sim: &Sim) -> u64 {
    sim.status()["next_seq"].as_u64().unwrap()
}

/// Waits until the venue's feed has sequenced up to `next` (exclusive) and the subscriber
/// holds all of it.
fn feed_through_now(sim: &Sim, feed: &mut Subscriber) -> u64 {
    let next = next_seq(sim);
    feed.through(next);
    next
}

#[test]
fn marketable_order_executes_on_ouch_and_itch_with_one_match_number_and_book_matches_feed() {
    let mut feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    feed.through(sim.next_seq_after_seed);
    let (ask_price, ask_qty) = best(&sim, "MSFT", Side::Sell);
    let qty = ask_qty.min(150) as u32;
    let (mut alice, first) = OuchClient::login(sim.ouch, "alice", "ALICEPW", 1);
    assert_eq!(first, 1);
    alice.enter(&Order {
        token: 1,
        side: Side::Buy,
        qty,
        symbol: "MSFT",
        price: ask_price,
        tif: TimeInForce::Ioc,
    });
    let accepted = alice.sequenced();
    let OutboundMessage::OrderAccepted(a) = outbound(&accepted) else {
        panic!("accepted first: {:?}", outbound(&accepted));
    };
    assert_eq!(
        (a.user_ref_num, a.quantity, a.order_state),
        (UserRefNum(1), Qty(qty), OrderState::Live)
    );
    assert!(a.order_reference_number >= CLIENT_FIRST);
    assert_eq!(a.symbol.as_str(), Some("MSFT"));

    let before = rebuild_book(&feed, sim.next_seq_after_seed);
    let mut fills = Vec::new();
    let mut filled = 0;
    while filled < qty {
        let bytes = alice.sequenced();
        let OutboundMessage::OrderExecuted(e) = outbound(&bytes) else {
            panic!("execution expected: {:?}", outbound(&bytes));
        };
        assert_eq!(e.liquidity_flag, LiquidityFlag::REMOVED);
        assert_eq!(e.price.0, ask_price, "executes at the resting price");
        assert!(e.match_number >= CLIENT_FIRST);
        filled += e.quantity.0;
        fills.push((e.match_number, e.quantity));
    }
    assert_eq!(filled, qty, "IOC within the best level fills whole");

    let next = feed_through_now(&sim, &mut feed);
    let executions: Vec<_> = (sim.next_seq_after_seed..next)
        .filter_map(|seq| match feed.itch(seq) {
            ItchMessage::OrderExecuted(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(executions.len(), fills.len());
    for (itch, (match_number, shares)) in executions.iter().zip(&fills) {
        assert_eq!(
            (itch.match_number, itch.executed_shares),
            (*match_number, *shares)
        );
        let resting = before
            .order(itch.order_reference_number)
            .expect("a seeded ask");
        assert_eq!((resting.price.0, resting.side), (ask_price, Side::Sell));
        assert_eq!(itch.header.stock_locate, 2, "MSFT is the second symbol");
    }

    let status = sim.status();
    let alice_status = &status["sessions"][0];
    assert_eq!(alice_status["fills"], fills.len() as u64);
    assert_eq!(alice_status["taker_fills"], fills.len() as u64);
    assert_eq!(
        alice_status["net_fees"],
        i64::from(qty) * 30,
        "30/10,000 $ per share taken"
    );
    assert_eq!(status["fills"], fills.len() as u64);

    // The venue's `book` equals a book rebuilt only from what arrived over UDP.
    let rebuilt = rebuild_book(&feed, next);
    for (i, symbol) in SYMBOLS.iter().enumerate() {
        let book = sim.control_ok(&format!("book {symbol} 1000"));
        for (key, side) in [("bids", Side::Buy), ("asks", Side::Sell)] {
            let mut levels = vec![crossbar_book::Level::EMPTY; 1_000];
            let n = rebuilt
                .depth(InstrumentId(i as u32), side, 1_000, &mut levels)
                .unwrap();
            let expected: Vec<(i64, u64, u64)> = levels[..n]
                .iter()
                .map(|l| (l.price.0, l.qty, u64::from(l.order_count)))
                .collect();
            let got: Vec<(i64, u64, u64)> = book[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["price"].as_i64().unwrap(),
                        l["qty"].as_u64().unwrap(),
                        l["orders"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert!(!got.is_empty(), "{symbol} {key} seeded");
            assert_eq!(got, expected, "{symbol} {key}");
        }
    }
}

#[test]
fn resting_order_replace_cancel_and_a_maker_fill_round_trip_on_both_streams() {
    let mut feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    feed.through(sim.next_seq_after_seed);
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);
    let start = next_seq(&sim);

    // Rests well below the bid: Accepted, and an ITCH Add with the engine's reference.
    let low = passive_buy(&sim, "AAPL", 50);
    alice.enter(&Order {
        token: 10,
        side: Side::Buy,
        qty: 300,
        symbol: "AAPL",
        price: low,
        tif: TimeInForce::Day,
    });
    let OutboundMessage::OrderAccepted(a) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    let first_ref = a.order_reference_number;
    feed.through(start + 1);
    let ItchMessage::AddOrder(add) = feed.itch(start) else {
        panic!("{:?}", feed.itch(start))
    };
    assert_eq!(
        (
            add.order_reference_number,
            add.price.0,
            add.shares,
            add.side
        ),
        (first_ref, low, Qty(300), Side::Buy)
    );

    // Replace: new token, price and size; ITCH Order Replace old -> new reference.
    let mut buf = [0u8; 128];
    let n = ReplaceOrder {
        orig_user_ref_num: UserRefNum(10),
        user_ref_num: UserRefNum(11),
        quantity: Qty(200),
        price: crossbar_model::Price(low - 100),
        time_in_force: TimeInForce::Day,
        display: crossbar_ouch::Display::Visible,
        intermarket_sweep: crossbar_ouch::IntermarketSweep::NotEligible,
        cl_ord_id: crossbar_ouch::ClOrdId::new("R11").unwrap(),
        options: crossbar_ouch::OptionsView::EMPTY,
    }
    .encode(&mut buf)
    .unwrap();
    alice.send_ouch(&buf[..n]);
    let OutboundMessage::OrderReplaced(r) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    assert_eq!(
        (
            r.orig_user_ref_num,
            r.user_ref_num,
            r.quantity,
            r.order_state
        ),
        (UserRefNum(10), UserRefNum(11), Qty(200), OrderState::Live)
    );
    assert_eq!(r.symbol.as_str(), Some("AAPL"));
    feed.through(start + 2);
    let ItchMessage::OrderReplace(u) = feed.itch(start + 1) else {
        panic!()
    };
    assert_eq!(
        (
            u.original_order_reference_number,
            u.new_order_reference_number,
            u.shares,
            u.price.0
        ),
        (first_ref, r.order_reference_number, Qty(200), low - 100)
    );

    // Partial cancel (intended size 50) then cancel all.
    let cancel = |qty| {
        let mut buf = [0u8; 16];
        let n = CancelOrder {
            user_ref_num: UserRefNum(11),
            quantity: Qty(qty),
        }
        .encode(&mut buf)
        .unwrap();
        buf[..n].to_vec()
    };
    alice.send_ouch(&cancel(50));
    let OutboundMessage::OrderCanceled(c) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    assert_eq!((c.quantity, c.reason.code()), (Qty(150), b'U'));
    alice.send_ouch(&cancel(0));
    let OutboundMessage::OrderCanceled(c) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    assert_eq!(c.quantity, Qty(50));
    feed.through(start + 4);
    let ItchMessage::OrderCancel(x) = feed.itch(start + 2) else {
        panic!()
    };
    assert_eq!(
        (x.order_reference_number, x.cancelled_shares),
        (r.order_reference_number, Qty(150))
    );
    let ItchMessage::OrderDelete(d) = feed.itch(start + 3) else {
        panic!()
    };
    assert_eq!(d.order_reference_number, r.order_reference_number);

    // Alice joins the best ask; Bob sweeps the level: Alice is the maker (A), Bob the taker (R).
    let ask = passive_sell(&sim, "AAPL");
    alice.enter(&Order {
        token: 12,
        side: Side::Sell,
        qty: 100,
        symbol: "AAPL",
        price: ask,
        tif: TimeInForce::Day,
    });
    let OutboundMessage::OrderAccepted(_) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    let (mut bob, _) = OuchClient::login(sim.ouch, "BOB", "bobpw", 1);
    let total = asks_through(&sim, "AAPL", ask);
    bob.enter(&Order {
        token: 1,
        side: Side::Buy,
        qty: total,
        symbol: "AAPL",
        price: ask,
        tif: TimeInForce::Ioc,
    });
    let OutboundMessage::OrderAccepted(_) = outbound(leak(bob.sequenced())) else {
        panic!()
    };
    let mut bob_filled = 0;
    while bob_filled < total {
        let OutboundMessage::OrderExecuted(e) = outbound(leak(bob.sequenced())) else {
            panic!()
        };
        assert_eq!(e.liquidity_flag, LiquidityFlag::REMOVED);
        assert!(e.price.0 <= ask);
        bob_filled += e.quantity.0;
    }
    let OutboundMessage::OrderExecuted(maker) = outbound(leak(alice.sequenced())) else {
        panic!()
    };
    assert_eq!(
        (maker.user_ref_num, maker.quantity, maker.price.0),
        (UserRefNum(12), Qty(100), ask)
    );
    assert_eq!(maker.liquidity_flag, LiquidityFlag::ADDED);
    let status = sim.status();
    assert_eq!(
        status["sessions"][0]["net_fees"],
        -100 * 20,
        "Alice earns the maker rebate"
    );
    assert_eq!(status["sessions"][1]["net_fees"], i64::from(total) * 30);
    assert_eq!(status["client_orders"], 0);
}

#[test]
fn bad_orders_are_rejected_with_ouch_reasons_and_malformed_input_changes_nothing() {
    let feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);
    let order = Order {
        token: 1,
        side: Side::Buy,
        qty: 100,
        symbol: "ZZZZ",
        price: 10_000,
        tif: TimeInForce::Day,
    };
    let reject = |client: &mut OuchClient| match outbound(leak(client.sequenced())) {
        OutboundMessage::Rejected(j) => (j.user_ref_num.0, j.reason),
        other => panic!("rejected expected: {other:?}"),
    };
    alice.enter(&order);
    assert_eq!(reject(&mut alice), (1, RejectReason::InvalidSymbol));
    alice.enter(&Order {
        token: 2,
        symbol: "AAPL",
        qty: 0,
        ..order
    });
    assert_eq!(reject(&mut alice), (2, RejectReason::InvalidQuantity));
    alice.enter(&Order {
        token: 3,
        symbol: "AAPL",
        price: 0,
        ..order
    });
    assert_eq!(reject(&mut alice), (3, RejectReason::InvalidPrice));
    alice.enter(&Order {
        token: 4,
        symbol: "AAPL",
        tif: TimeInForce::Gtx,
        ..order
    });
    assert_eq!(reject(&mut alice), (4, RejectReason::Other));
    assert!(alice
        .debug()
        .starts_with("VSIM_UNSUPPORTED field=TimeInForce value=5"));

    let price = passive_buy(&sim, "AAPL", 20);
    alice.enter(&Order {
        token: 5,
        symbol: "AAPL",
        price,
        ..order
    });
    let OutboundMessage::OrderAccepted(_) = outbound(leak(alice.sequenced())) else {
        panic!()
    };

    let before = sim.status();
    // Garbage, a truncated Enter Order, an unknown type and a duplicate token: Debug text
    // only, nothing sequenced, nothing changed.
    alice.send_ouch(b"O\x00\x00");
    assert!(
        alice.debug().starts_with("VSIM_BAD_OUCH OUCH_TRUNCATED"),
        "truncated"
    );
    alice.send_ouch(b"\x7fjunk");
    assert!(alice.debug().starts_with("VSIM_BAD_OUCH OUCH_UNKNOWN_TYPE"));
    let mut enter = [0u8; 128];
    let n = Order {
        token: 9,
        symbol: "AAPL",
        ..order
    }
    .message()
    .encode(&mut enter)
    .unwrap();
    enter[5] = b'Z'; // side
    alice.send_ouch(&enter[..n]);
    let text = alice.debug();
    assert!(
        text.starts_with("VSIM_BAD_OUCH OUCH_BAD_FIELD") && text.contains("Side"),
        "{text}"
    );
    alice.enter(&Order {
        token: 2,
        symbol: "AAPL",
        price,
        ..order
    });
    let text = alice.debug();
    assert!(
        text.starts_with("VSIM_IGNORED MATCH_DUPLICATE_TOKEN"),
        "{text}"
    );
    alice.send_ouch(b"Q");
    assert!(alice.debug().starts_with("VSIM_UNSUPPORTED_MESSAGE type=Q"));

    // Malformed control commands: refused with a reason, nothing changes.
    for (line, code) in [
        ("frobnicate", "err VSIM_BAD_COMMAND unknown command"),
        ("drop 7", "err VSIM_BAD_COMMAND missing to_seq"),
        ("drop 9 2", "err VSIM_BAD_COMMAND range 9..=2"),
        ("delay soon", "err VSIM_BAD_COMMAND ms=\"soon\""),
        ("book", "err VSIM_BAD_COMMAND missing symbol"),
        ("book ZZZZ", "err VSIM_UNKNOWN_SYMBOL symbol=ZZZZ"),
        ("cut MALLORY", "err VSIM_UNKNOWN_ACCOUNT username=MALLORY"),
        ("drop 1 1", "err VSIM_DROP_REFUSED from=1 is below"),
    ] {
        let reply = sim.control(line);
        assert!(reply.starts_with(code), "{line}: {reply}");
    }
    let after = sim.status();
    for key in [
        "next_seq",
        "orders",
        "client_orders",
        "orders_accepted",
        "fills",
    ] {
        assert_eq!(before[key], after[key], "{key}");
    }
    assert_eq!(
        after["sessions"][0]["malformed"],
        before["sessions"][0]["malformed"].as_u64().unwrap() + 4
    );
    assert_eq!(
        after["sessions"][0]["next_seq"], 6,
        "four Rejected, one Accepted, nothing else"
    );
    assert_eq!(sim.control("ping"), "ok {\"pong\":true}");
}

#[test]
fn reconnect_replays_exactly_the_missed_messages_and_cut_drops_the_session() {
    let feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    let ask = passive_sell(&sim, "NVDA");
    let low = passive_buy(&sim, "NVDA", 100);
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);
    for token in 1..=3 {
        alice.enter(&Order {
            token,
            side: Side::Sell,
            qty: 100,
            symbol: "NVDA",
            price: ask,
            tif: TimeInForce::Day,
        });
    }
    let seen: Vec<Vec<u8>> = (0..3).map(|_| alice.sequenced()).collect();

    // cut: the venue closes Alice's TCP connection.
    assert_eq!(sim.control_ok("cut ALICE")["cut"], 1);
    assert_eq!(alice.recv(), Received::Closed);
    assert_eq!(sim.status()["sessions"][0]["connected"], false);

    // While she is away Bob takes the level, her three orders included.
    let (mut bob, _) = OuchClient::login(sim.ouch, "BOB", "bobpw", 1);
    let qty = asks_through(&sim, "NVDA", ask);
    bob.enter(&Order {
        token: 1,
        side: Side::Buy,
        qty,
        symbol: "NVDA",
        price: ask,
        tif: TimeInForce::Ioc,
    });
    let deadline = std::time::Instant::now() + WAIT;
    while sim.status()["sessions"][0]["next_seq"] != 7 {
        assert!(
            std::time::Instant::now() < deadline,
            "three maker fills for Alice"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // Reconnect asking for 4: exactly her three executions, in order, then nothing.
    let (mut alice, first) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 4);
    assert_eq!(first, 4);
    let mut replayed = Vec::new();
    for token in 1..=3 {
        let bytes = alice.sequenced();
        let OutboundMessage::OrderExecuted(e) = outbound(&bytes) else {
            panic!()
        };
        assert_eq!(
            (e.user_ref_num, e.quantity, e.liquidity_flag),
            (UserRefNum(token), Qty(100), LiquidityFlag::ADDED)
        );
        replayed.push(bytes);
    }
    alice.enter(&Order {
        token: 4,
        side: Side::Buy,
        qty: 100,
        symbol: "NVDA",
        price: low,
        tif: TimeInForce::Day,
    });
    let OutboundMessage::OrderAccepted(a) = outbound(leak(alice.sequenced())) else {
        panic!("the next message is new, not a replayed one");
    };
    assert_eq!(
        a.user_ref_num,
        UserRefNum(4),
        "tokens continue across reconnects"
    );
    drop(alice);

    // From 2: the whole stream from there, byte for byte.
    let deadline = std::time::Instant::now() + WAIT;
    while sim.status()["sessions"][0]["connected"] == true {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (mut alice, first) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 2);
    assert_eq!(first, 2);
    assert_eq!(alice.sequenced(), seen[1]);
    assert_eq!(alice.sequenced(), seen[2]);
    for bytes in &replayed {
        assert_eq!(&alice.sequenced(), bytes);
    }
    // A second concurrent login of the same account is refused (not authorized).
    let mut again = OuchClient::connect(sim.ouch);
    again.send_packet(&crossbar_soupbintcp::Packet::LoginRequest {
        username: crossbar_soupbintcp::Username::new("ALICE").unwrap(),
        password: crossbar_soupbintcp::Password::new("alicepw").unwrap(),
        requested_session: crossbar_soupbintcp::SessionId::BLANK,
        requested_sequence_number: 1,
    });
    assert_eq!(again.recv(), Received::LoginRejected(b'A'));
}

#[test]
fn dropped_range_is_missing_on_the_live_feed_and_served_by_the_request_server() {
    let mut feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    feed.through(sim.next_seq_after_seed);
    let next = next_seq(&sim);
    let reply = sim.control_ok(&format!("drop {} {}", next, next + 1));
    assert_eq!(
        (reply["from"].as_u64(), reply["to"].as_u64()),
        (Some(next), Some(next + 1))
    );
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);
    let mut refs = Vec::new();
    for token in 1..=3 {
        let price = passive_buy(&sim, "MSFT", i64::from(token));
        alice.enter(&Order {
            token,
            side: Side::Buy,
            qty: 100,
            symbol: "MSFT",
            price,
            tif: TimeInForce::Day,
        });
        let OutboundMessage::OrderAccepted(a) = outbound(leak(alice.sequenced())) else {
            panic!()
        };
        refs.push(a.order_reference_number);
    }
    feed.until(|s| s.messages.contains_key(&(next + 2)));
    // Anything still in flight has a moment to arrive before the gap is checked.
    feed.drain_for(std::time::Duration::from_millis(300));
    assert!(!feed.messages.contains_key(&next) && !feed.messages.contains_key(&(next + 1)));
    let ItchMessage::AddOrder(third) = feed.itch(next + 2) else {
        panic!()
    };
    assert_eq!(third.order_reference_number, refs[2]);

    let answer = request(sim.request, next, 2);
    assert_eq!(answer.len(), 2);
    for (i, (seq, bytes)) in answer.iter().enumerate() {
        assert_eq!(*seq, next + i as u64);
        let Ok(ItchMessage::AddOrder(add)) = crossbar_itch::decode(bytes) else {
            panic!()
        };
        assert_eq!(add.order_reference_number, refs[i]);
        assert_eq!(add.shares, Qty(100));
    }
    assert!(
        sim.status()["counters"]["venue_feed.pub.messages_dropped"]
            .as_u64()
            .unwrap()
            >= 2
    );
}

#[test]
fn sigterm_ends_the_feed_and_the_sessions_and_exits_zero() {
    let mut feed = Subscriber::bind();
    let mut sim = Sim::start(&feed, "");
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);
    let status = sim.sigterm();
    assert!(status.success(), "{status:?}");
    assert_eq!(alice.recv(), Received::EndOfSession);
    feed.until(|s| s.end_of_session);
    wait_line(&sim.lines, "VENUE_SIM_STOPPED venue=NASDAQ");
}
