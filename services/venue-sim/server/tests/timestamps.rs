//! OUCH 5.0 timestamps (§3.2–§3.8 "Timestamp: Expressed as nanoseconds since midnight") of
//! the real `crossbar-venue-sim` binary over TCP: Accepted and Rejected carry the time the
//! Enter Order's bytes were read (the read that completed the packet), Executed, Canceled and
//! Replaced the time the engine handled the request, both since the venue's midnight (UTC by
//! default, `midnight_utc_offset_s` otherwise). Each lies between the client's send and
//! receive times on this host's clock (CLOCK_REALTIME, shared by client and venue).

mod common;

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use crossbar_model::{Price, Qty, Side};
use crossbar_ouch::{
    decode_outbound, CancelOrder, ClOrdId, Display, IntermarketSweep, OptionsView, OutboundMessage,
    RejectReason, ReplaceOrder, TimeInForce, UserRefNum,
};
use crossbar_soupbintcp::Packet;

const DAY: i128 = 86_400_000_000_000;

/// CLOCK_REALTIME, UTC ns since the Unix epoch (the venue's clock too).
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// The UTC instant (ns) of a venue timestamp `since_midnight` (ns since the midnight of the
/// zone `offset_s` east of UTC) that lies nearest `near_ns`: an independent oracle, not the
/// gateway's conversion.
fn venue_utc(since_midnight: u64, offset_s: i64, near_ns: u64) -> u64 {
    let offset = i128::from(offset_s) * 1_000_000_000;
    let local_near = i128::from(near_ns) + offset;
    let mut local = local_near - local_near.rem_euclid(DAY) + i128::from(since_midnight);
    if local - local_near > DAY / 2 {
        local -= DAY;
    } else if local_near - local > DAY / 2 {
        local += DAY;
    }
    (local - offset) as u64
}

/// The OUCH Timestamp of any message these tests receive.
fn timestamp(message: &OutboundMessage<'_>) -> u64 {
    match message {
        OutboundMessage::OrderAccepted(m) => m.timestamp_ns,
        OutboundMessage::OrderExecuted(m) => m.timestamp_ns,
        OutboundMessage::OrderCanceled(m) => m.timestamp_ns,
        OutboundMessage::OrderReplaced(m) => m.timestamp_ns,
        OutboundMessage::Rejected(m) => m.timestamp_ns,
        other => panic!("unexpected {other:?}"),
    }
}

/// Sends `message` (one OUCH request), reads the next sequenced message; returns it with the
/// client's send and receive times and the venue time in UTC ns, checked to lie between them.
fn round_trip(
    client: &mut OuchClient,
    message: &[u8],
    offset_s: i64,
    what: &str,
) -> (Vec<u8>, u64) {
    let sent = now_ns();
    client.send_ouch(message);
    let reply = client.sequenced();
    let received = now_ns();
    let venue = venue_utc(timestamp(&decode_outbound(&reply).unwrap()), offset_s, sent);
    assert!(
        sent <= venue && venue <= received,
        "{what}: venue time {venue} outside [send {sent}, receive {received}]"
    );
    (reply, venue)
}

fn enter(order: &Order) -> Vec<u8> {
    let mut buf = [0u8; 128];
    let n = order.message().encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn ouch_timestamps_are_the_venue_receive_and_match_times_since_utc_midnight() {
    let mut feed = Subscriber::bind();
    let sim = Sim::start(&feed, "");
    feed.through(sim.next_seq_after_seed);
    let (mut alice, _) = OuchClient::login(sim.ouch, "ALICE", "alicepw", 1);

    // A marketable IOC: Accepted at receipt, then Executed at the match, not before it.
    let (ask, ask_qty) = best(&sim, "MSFT", Side::Sell);
    let qty = ask_qty.min(100) as u32;
    let (reply, accepted) = round_trip(
        &mut alice,
        &enter(&Order {
            token: 1,
            side: Side::Buy,
            qty,
            symbol: "MSFT",
            price: ask,
            tif: TimeInForce::Ioc,
        }),
        0,
        "Accepted (IOC)",
    );
    assert!(matches!(
        decode_outbound(&reply).unwrap(),
        OutboundMessage::OrderAccepted(_)
    ));
    let mut filled = 0;
    while filled < qty {
        let bytes = alice.sequenced();
        let received = now_ns();
        let OutboundMessage::OrderExecuted(e) = decode_outbound(&bytes).unwrap() else {
            panic!("execution expected")
        };
        let venue = venue_utc(e.timestamp_ns, 0, accepted);
        assert!(
            accepted <= venue && venue <= received,
            "Executed at {venue} outside [Accepted {accepted}, receive {received}]"
        );
        filled += e.quantity.0;
    }

    // An Enter Order written in two halves 50 ms apart: stamped by the read that completed
    // it, not the one that brought its first bytes.
    let low = best(&sim, "AAPL", Side::Buy)
        .0
        .min(best(&sim, "AAPL", Side::Sell).0)
        - 5_000;
    let message = enter(&Order {
        token: 2,
        side: Side::Buy,
        qty: 100,
        symbol: "AAPL",
        price: low,
        tif: TimeInForce::Day,
    });
    let mut packet = vec![0u8; message.len() + 3];
    let n = Packet::UnsequencedData { message: &message }
        .encode(&mut packet)
        .unwrap();
    let half = n / 2;
    alice.stream.write_all(&packet[..half]).unwrap();
    alice.stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let second_half = now_ns();
    alice.stream.write_all(&packet[half..n]).unwrap();
    let reply = alice.sequenced();
    let received = now_ns();
    let OutboundMessage::OrderAccepted(a) = decode_outbound(&reply).unwrap() else {
        panic!("Accepted expected")
    };
    let venue = venue_utc(a.timestamp_ns, 0, second_half);
    assert!(
        second_half <= venue && venue <= received,
        "split Enter: Accepted at {venue} outside [second half {second_half}, receive {received}]"
    );

    // Replace and Cancel of the resting order: stamped when the engine handled them.
    let mut buf = [0u8; 128];
    let n = ReplaceOrder {
        orig_user_ref_num: UserRefNum(2),
        user_ref_num: UserRefNum(3),
        quantity: Qty(80),
        price: Price(low - 100),
        time_in_force: TimeInForce::Day,
        display: Display::Visible,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cl_ord_id: ClOrdId::new("R3").unwrap(),
        options: OptionsView::EMPTY,
    }
    .encode(&mut buf)
    .unwrap();
    let (reply, _) = round_trip(&mut alice, &buf[..n], 0, "Replaced");
    assert!(matches!(
        decode_outbound(&reply).unwrap(),
        OutboundMessage::OrderReplaced(_)
    ));
    let n = CancelOrder {
        user_ref_num: UserRefNum(3),
        quantity: Qty(0),
    }
    .encode(&mut buf)
    .unwrap();
    let (reply, _) = round_trip(&mut alice, &buf[..n], 0, "Canceled");
    assert!(matches!(
        decode_outbound(&reply).unwrap(),
        OutboundMessage::OrderCanceled(_)
    ));

    // Rejected by the engine (unknown symbol) and by the simulator itself (GTX).
    let (reply, _) = round_trip(
        &mut alice,
        &enter(&Order {
            token: 4,
            side: Side::Buy,
            qty: 100,
            symbol: "ZZZZ",
            price: 10_000,
            tif: TimeInForce::Day,
        }),
        0,
        "Rejected (engine)",
    );
    let OutboundMessage::Rejected(r) = decode_outbound(&reply).unwrap() else {
        panic!("Rejected expected")
    };
    assert_eq!(r.reason, RejectReason::InvalidSymbol);
    let (reply, _) = round_trip(
        &mut alice,
        &enter(&Order {
            token: 5,
            side: Side::Buy,
            qty: 100,
            symbol: "AAPL",
            price: low,
            tif: TimeInForce::Gtx,
        }),
        0,
        "Rejected (unsupported)",
    );
    assert!(matches!(
        decode_outbound(&reply).unwrap(),
        OutboundMessage::Rejected(_)
    ));
    assert!(alice.debug().starts_with("VSIM_UNSUPPORTED"));
}

#[test]
fn a_configured_midnight_offset_shifts_every_ouch_timestamp() {
    // UTC−5 (US Eastern standard time): the venue's day starts at 05:00 UTC.
    const OFFSET_S: i64 = -18_000;
    let feed = Subscriber::bind();
    let config = format!(
        "midnight_utc_offset_s = {OFFSET_S}\n{}",
        config_text(feed.addr(), "")
    );
    let sim = Sim::start_config(&config);
    let (mut bob, _) = OuchClient::login(sim.ouch, "BOB", "bobpw", 1);
    let low = best(&sim, "NVDA", Side::Buy)
        .0
        .min(best(&sim, "NVDA", Side::Sell).0)
        - 5_000;
    let sent = now_ns();
    let (reply, venue) = round_trip(
        &mut bob,
        &enter(&Order {
            token: 1,
            side: Side::Buy,
            qty: 100,
            symbol: "NVDA",
            price: low,
            tif: TimeInForce::Day,
        }),
        OFFSET_S,
        "Accepted (UTC−5)",
    );
    let since_midnight = timestamp(&decode_outbound(&reply).unwrap());
    // Read as UTC midnight it would be five hours off the send time.
    let as_utc = venue_utc(since_midnight, 0, sent);
    assert_eq!(
        (venue as i128 - as_utc as i128).rem_euclid(DAY),
        18_000_000_000_000,
        "the same instant, counted from a midnight five hours later"
    );
}
