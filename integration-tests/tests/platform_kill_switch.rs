//! The kill switch leaves no working order anywhere: a Day parent posted at a venue (Post
//! strategy) rests there; activating the kill switch over gRPC cancels it at the venue (the
//! simulator's own book and order count say so), the aggregator shows nothing working, and new
//! parents are refused until the switch is released.

mod e2e;

use crossbar_model::Side::{Buy, Sell};
use e2e::*;

const SYMBOL: &str = "NVDA";
const BID: i64 = 1_200_000; // $120.00
const ASK: i64 = 1_201_000; // $120.10
const POST: i64 = 1_200_500; // $120.05: inside the spread, rests

fn books() -> [Vec<Resting>; 3] {
    let book = || vec![(SYMBOL, Buy, BID, 500), (SYMBOL, Sell, ASK, 500)];
    [book(), book(), book()]
}

fn submit_post(platform: &Platform, client_order_id: &str) -> (i32, String, String) {
    platform.ctl(&[
        "submit",
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--qty",
        "300",
        "--price",
        &dollars(POST),
        "--type",
        "limit",
        "--tif",
        "day",
        "--strategy",
        "post",
        "--client-order-id",
        client_order_id,
    ])
}

#[test]
fn the_kill_switch_cancels_every_working_order_at_every_venue() {
    let platform = Platform::start(Spec {
        test: "kill",
        layout: Layout::Ipc,
        books: books(),
        centre_timeout_ms: 3_000,
    });
    let (code, stdout, stderr) = submit_post(&platform, "post-1");
    assert_eq!(code, 0, "{stderr}");
    let parent: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let id = parent["parent_order_id"].as_u64().unwrap();

    // Working: one acknowledged Day child, resting on exactly one venue's book.
    let working = wait_until("the posted child acknowledged", || {
        let p = platform.parent(id)?;
        let acked = p["children"].as_array().is_some_and(|c| {
            c.len() == 1 && c[0]["state"] == "new" && c[0]["price"] == dollars(POST)
        });
        if p["state"] == "working" && acked {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    });
    let venue = working["children"][0]["venue"].as_str().unwrap().to_owned();
    let resting: Vec<&str> = platform
        .sims
        .iter()
        .filter(|s| s.ok("status")["client_orders"] == 1)
        .map(|s| s.venue.name)
        .collect();
    assert_eq!(resting, [venue.as_str()]);
    let sim = platform
        .sims
        .iter()
        .find(|s| s.venue.name == venue)
        .unwrap();
    assert_eq!(sim.book(SYMBOL).0, [(POST, 300, 1), (BID, 500, 1)]);
    assert_eq!(
        platform.ctl_json(&["orders", "--active"]).len(),
        1,
        "one active parent"
    );

    // Kill switch, all scope.
    let engaged = platform.ctl_json(&["kill", "on", "--all", "--reason", "test"]);
    assert_eq!(engaged.len(), 1, "{engaged:?}");
    assert_eq!(engaged[0]["scope"], "all");

    // No client order at any venue; the venue's book is back to the seeded one.
    wait_until("no client order at any venue", || {
        let counts: Vec<u64> = platform
            .sims
            .iter()
            .map(|s| s.ok("status")["client_orders"].as_u64().unwrap())
            .collect();
        if counts == [0, 0, 0] {
            Ok(())
        } else {
            Err(format!("{counts:?}"))
        }
    });
    for s in &platform.sims {
        assert_eq!(
            s.book(SYMBOL),
            (vec![(BID, 500, 1)], vec![(ASK, 500, 1)]),
            "{}",
            s.venue.name
        );
    }
    // The gateway's account saw the cancel, nothing filled.
    let session = sim.gateway_session();
    assert_eq!(session["orders_accepted"], 1, "{session}");
    assert_eq!(session["fills"], 0, "{session}");

    // Nothing working at the aggregator: the parent is done, no venue has an open child.
    let done = platform.wait_parent(id, "canceled");
    assert_eq!(done["cum_qty"], 0);
    assert_eq!(done["children"][0]["state"], "canceled");
    wait_until("no active parent, no open child", || {
        let active = platform.ctl_json(&["orders", "--active"]);
        let open: u64 = platform
            .ctl_json(&["venues"])
            .iter()
            .map(|v| v["open_child_orders"].as_u64().unwrap())
            .sum();
        if active.is_empty() && open == 0 {
            Ok(())
        } else {
            Err(format!("active {active:?}, open children {open}"))
        }
    });
    let venues = platform.ctl_json(&["venues"]);
    assert!(
        venues.iter().all(|v| v["kill_switch_active"] == true),
        "{venues:?}"
    );

    // New parents are refused while it holds, and accepted again once released.
    let (code, _, stderr) = submit_post(&platform, "post-2");
    assert_eq!(code, 1, "refused: {stderr}");
    assert!(stderr.contains("KillSwitch"), "{stderr}");
    assert!(platform.sims.iter().all(
        |s| s.gateway_session()["orders_accepted"] == if s.venue.name == venue { 1 } else { 0 }
    ));
    platform.ctl_json(&["kill", "off", "--all"]);
    let (code, stdout, stderr) = submit_post(&platform, "post-3");
    assert_eq!(code, 0, "{stderr}");
    let again: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let again = again["parent_order_id"].as_u64().unwrap();
    wait_until("the new parent resting at a venue", || {
        let n: u64 = platform
            .sims
            .iter()
            .map(|s| s.ok("status")["client_orders"].as_u64().unwrap())
            .sum();
        if n == 1 {
            Ok(())
        } else {
            Err(format!("{n} client orders"))
        }
    });
    platform.wait_parent(again, "working");
    platform.stop();
}
