//! The aggregator dies and every gateway fails closed. Cross-host layout (deploy/ as written:
//! a media driver per process, UDP between them), so the gateways' Aeron survives the
//! aggregator's SIGKILL. With `centre.heartbeat_timeout_ms` = 1,000 and
//! `centre.cancel_on_fail_closed`, the working order a Day parent left at a venue is canceled
//! there by its gateway, and every gateway refuses a new order with `RISK_FAIL_CLOSED
//! cause=CENTRE_SILENT` (SBE FailClosed) without a byte to its venue. The new orders come from
//! the test, standing in for an aggregator that lost its heartbeats: its own driver, the
//! gateways' UDP order endpoints, the executions endpoint the dead aggregator had bound.

mod e2e;

use std::time::Instant;

use crossbar_model::Side::{Buy, Sell};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, TimeInForce, VenueId};
use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
use crossbar_sbe::{Message, NewChildOrder, RejectReason};
use crossbar_transport::{StreamConfig, Transport, TransportConfig};
use e2e::*;

const SYMBOL: &str = "AMZN";
const BID: i64 = 2_000_000; // $200.00
const ASK: i64 = 2_001_000; // $200.10
const POST: i64 = 2_000_500;

#[test]
fn without_the_aggregator_every_gateway_cancels_and_refuses() {
    let mut platform = Platform::start(Spec {
        test: "failclosed",
        layout: Layout::Udp,
        books: std::array::from_fn(|_| vec![(SYMBOL, Buy, BID, 500), (SYMBOL, Sell, ASK, 500)]),
        centre_timeout_ms: 1_000,
    });

    // A working Day order at one venue.
    let parent = platform.submit(&[
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--qty",
        "200",
        "--price",
        &dollars(POST),
        "--type",
        "limit",
        "--tif",
        "day",
        "--strategy",
        "post",
        "--client-order-id",
        "resting-1",
    ]);
    let id = parent["parent_order_id"].as_u64().unwrap();
    let working = wait_until("the child resting at its venue", || {
        let p = platform.parent(id)?;
        let n: u64 = platform
            .sims
            .iter()
            .map(|s| s.ok("status")["client_orders"].as_u64().unwrap())
            .sum();
        if p["children"][0]["state"] == "new" && n == 1 {
            Ok(p)
        } else {
            Err(format!("{p} with {n} client orders"))
        }
    });
    let venue = working["children"][0]["venue"].as_str().unwrap().to_owned();
    let accepted_before: Vec<u64> = platform
        .sims
        .iter()
        .map(|s| s.gateway_session()["orders_accepted"].as_u64().unwrap())
        .collect();

    // The aggregator crashes: its heartbeats stop.
    let (status, _, _) = platform.aggregator.take().unwrap().kill();
    assert!(!status.success());
    let killed = Instant::now();

    // The gateway cancels the working order at the venue.
    wait_until("the working order canceled at its venue", || {
        let n: u64 = platform
            .sims
            .iter()
            .map(|s| s.ok("status")["client_orders"].as_u64().unwrap())
            .sum();
        if n == 0 {
            Ok(())
        } else {
            Err(format!("{n} client orders"))
        }
    });
    let canceled_after = killed.elapsed();
    let sim = platform
        .sims
        .iter()
        .find(|s| s.venue.name == venue)
        .unwrap();
    assert_eq!(sim.book(SYMBOL), (vec![(BID, 500, 1)], vec![(ASK, 500, 1)]));

    // The test takes the aggregator's place on the wire, without heartbeats.
    let aeron = crossbar_integration_tests::aeron_dir("failclosed-centre");
    let mut transport = Transport::start(TransportConfig {
        aeron_dir: aeron.clone(),
        embedded_driver: true,
        ipc_term_buffer_length: 1_048_576,
        udp_term_buffer_length: 1_048_576,
        ..TransportConfig::default()
    })
    .expect("the test's media driver");
    let mut idle = IdleStrategy::new(IdleStrategyConfig::default());
    let exec = platform.executions_endpoint.unwrap();
    let mut executions = transport
        .add_subscription_with(
            "executions",
            &StreamConfig::new(format!("aeron:udp?endpoint={exec}"), 1002),
        )
        .unwrap();
    // An Aeron image joins a stream at its current position: a reject published before this
    // subscription has an image of that gateway's executions publication is never seen here.
    // Every gateway heartbeats on the stream, so one heartbeat from each proves the images.
    let mut heard = std::collections::BTreeSet::new();
    let start = Instant::now();
    while heard.len() < VENUES.len() {
        assert!(
            start.elapsed() < DEADLINE,
            "heartbeats only from gateways {heard:?}"
        );
        let n = executions
            .poll(
                &mut |bytes: &[u8]| {
                    if let Ok(Message::Heartbeat(h)) = crossbar_sbe::decode(bytes) {
                        heard.insert(h.sender_id);
                    }
                },
                256,
            )
            .unwrap();
        idle.idle(n);
    }
    let mut received = Vec::new();
    for (i, v) in VENUES.iter().enumerate() {
        let orders = transport
            .add_publication_with(
                &format!("orders_{}", v.id),
                &StreamConfig::new(
                    format!("aeron:udp?endpoint={}", platform.orders_endpoints[i]),
                    1100 + i32::from(v.id),
                ),
            )
            .unwrap();
        orders.wait_connected(DEADLINE, &mut idle).unwrap();
        // A marketable IOC buy that would fill at once if it reached the venue.
        let order = Message::NewChildOrder(NewChildOrder {
            order_id: OrderId::new(GatewayId(0), 1_000 + u64::from(v.id)).unwrap(),
            parent_order_id: OrderId::new(GatewayId(0), 999).unwrap(),
            instrument_id: InstrumentId(instrument(SYMBOL) as u32),
            venue_id: VenueId(v.id),
            side: Buy,
            time_in_force: TimeInForce::Ioc,
            price: Price(ASK),
            qty: Qty(100),
            timestamp_ns: 1,
        });
        let mut buf = [0u8; 256];
        let len = crossbar_sbe::encode(&order, &mut buf).unwrap();
        orders
            .offer_with_retry(&buf[..len], 1_000_000, &mut idle)
            .unwrap();
        received.push(orders);
    }

    // Every gateway refuses its order, fail closed.
    let mut rejects = Vec::new();
    let start = Instant::now();
    while rejects.len() < 3 {
        assert!(start.elapsed() < DEADLINE, "rejects {rejects:#?}");
        let n = executions
            .poll(
                &mut |bytes: &[u8]| {
                    if let Message::OrderReject(r) = crossbar_sbe::decode(bytes).expect("SBE") {
                        rejects.push(r);
                    }
                },
                256,
            )
            .unwrap();
        idle.idle(n);
    }
    let mut venues: Vec<u16> = rejects.iter().map(|r| r.venue_id.0).collect();
    venues.sort_unstable();
    assert_eq!(venues, [1, 2, 3], "{rejects:#?}");
    for r in &rejects {
        assert_eq!(r.reject_reason, RejectReason::FailClosed, "{r:?}");
        assert!(r.text.contains("CENTRE_SILENT"), "{r:?}");
    }
    // The gateway's journal holds the cancel it sent on its own and the venue's answer. (Its
    // ExecutionReport went out on UDP while the dead aggregator's image was still timing out,
    // so no centre received it: the restarted aggregator gets it by resync, below.)
    let child = working["children"][0]["child_order_id"].as_u64().unwrap();
    let gw = format!(
        "gw-{}",
        VENUES.iter().find(|v| v.name == venue).unwrap().file
    );
    let life = platform.order_life(child);
    let has = |direction: &str, message: &str, exec_type: Option<&str>| {
        life.iter().any(|r| {
            r["journal"] == gw.as_str()
                && r["direction"] == direction
                && r["message"] == message
                && exec_type.is_none_or(|t| r["fields"]["execType"] == t)
        })
    };
    assert!(has("outbound", "CancelOrder", None), "{life:#?}");
    assert!(
        has("inbound", "ExecutionReport", Some("Canceled")),
        "{life:#?}"
    );
    // Not a byte of the refused orders reached a venue: nothing new accepted, nothing filled.
    for (s, before) in platform.sims.iter().zip(&accepted_before) {
        let session = s.gateway_session();
        assert_eq!(
            session["orders_accepted"].as_u64(),
            Some(*before),
            "{session}"
        );
        assert_eq!(session["fills"], 0, "{session}");
    }

    drop(received);
    drop(executions);
    drop(transport);
    let _ = std::fs::remove_dir_all(aeron);

    // Meanwhile another venue's gateway loses its disk: killed, restarted on an EMPTY journal
    // (no credit, no grant sequence). Only the absolute CreditSlice the restarted aggregator
    // sends after its resync gives it back its whole slice (no delta grant is re-sent).
    let fresh = VENUES.iter().position(|v| v.name != venue).unwrap();
    platform.kill_gateway(fresh);
    let ready_fresh = platform.restart_gateway_fresh(fresh);
    assert!(ready_fresh.starts_with("GATEWAY_READY"), "{ready_fresh}");

    // The aggregator restarts on its journal, where the child is still working. It asks every
    // gateway to replay its execution stream from the last message it applied; the gateway
    // answers from its journal, so the Canceled it never received arrives now, and the parent
    // ends Canceled (reason gateway_canceled) instead of being re-posted.
    let ready = platform.restart_aggregator();
    assert!(
        field(&ready, "replayed").parse::<u64>().unwrap() > 0,
        "{ready}"
    );
    let done = platform.wait_parent(id, "canceled");
    assert_eq!(done["children"][0]["state"], "canceled", "{done}");
    assert_eq!(done["children"].as_array().unwrap().len(), 1, "{done}");
    assert_eq!(done["cum_qty"], 0, "{done}");
    assert_eq!(done["cancel_reason"], "gateway_canceled", "{done}");
    let position = platform.position(SYMBOL);
    assert!(
        position.as_ref().is_none_or(|p| p["net_qty"] == 0),
        "{position:?}"
    );
    // Every gateway is resynced and routed to again: a new Day parent rests at a venue.
    platform.wait_venues_live(&["NASDAQ", "BX", "PSX"]);
    let again = platform.submit(&[
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--qty",
        "100",
        "--price",
        &dollars(POST),
        "--type",
        "limit",
        "--tif",
        "day",
        "--strategy",
        "post",
        "--client-order-id",
        "resting-2",
    ]);
    let again = again["parent_order_id"].as_u64().unwrap();
    wait_until("the new child resting at its venue", || {
        let p = platform.parent(again)?;
        if p["children"][0]["state"] == "new" {
            Ok(())
        } else {
            Err(format!("{p}"))
        }
    });
    // The fresh gateway trades on the slice it was stated, and the restarted aggregator sees
    // every venue's offer (each gateway re-published its books as full refreshes when the
    // aggregator asked it to resync): an IOC sweep of the three 500-share offers fills 1,500.
    let sweep = platform.submit(&[
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--qty",
        "1500",
        "--price",
        &dollars(ASK),
        "--type",
        "limit",
        "--tif",
        "ioc",
        "--strategy",
        "sweep",
        "--client-order-id",
        "sweep-after-fresh",
    ]);
    let sweep = sweep["parent_order_id"].as_u64().unwrap();
    let swept = wait_until("the sweep finished", || {
        let p = platform.parent(sweep)?;
        if p["state"] == "filled" || p["state"] == "canceled" {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    });
    assert_eq!(swept["state"], "filled", "{swept}");
    assert_eq!(swept["cum_qty"], 1500, "{swept}");
    let fresh_name = VENUES[fresh].name;
    assert!(
        swept["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["venue"] == fresh_name && c["cum_qty"] == 500),
        "{swept}"
    );

    // The aggregator's journal holds the resync requests; the gateway's replay went out once.
    let life = platform.order_life(child);
    assert_eq!(
        life.iter()
            .filter(|r| r["journal"] == "aggregator"
                && r["direction"] == "inbound"
                && r["message"] == "ExecutionReport"
                && r["fields"]["execType"] == "Canceled")
            .count(),
        1,
        "{life:#?}"
    );

    let (counters, aggregator) = platform.stop_all();
    assert_eq!(
        aggregator.get("resync.completed"),
        Some(&3),
        "{aggregator:?}"
    );
    assert_eq!(aggregator.get("resync.gaps"), Some(&0), "{aggregator:?}");
    let by_venue = |name: &str| &counters[VENUES.iter().position(|v| v.name == name).unwrap()];
    assert_eq!(by_venue(&venue).get("centre.silent_cancels"), Some(&1));
    assert!(
        by_venue(&venue)["exec.replayed"] >= 1,
        "{:?}",
        by_venue(&venue)
    );
    for c in &counters {
        assert!(c["exec.replay_completes"] >= 1, "{c:?}");
        assert!(c["centre.credit_slices"] >= 1, "{c:?}");
        assert_eq!(c["centre.credit_slices_ignored"], 0, "{c:?}");
    }

    eprintln!("working order canceled {canceled_after:?} after the aggregator's SIGKILL");
}
