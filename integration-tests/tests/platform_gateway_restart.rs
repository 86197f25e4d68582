//! A gateway killed with SIGKILL and restarted on its journal loses and duplicates no order
//! and no fill. A Day parent rests at one venue; its gateway is killed; while it is down a
//! trader outside the platform fills part of the resting order at the venue; the restarted
//! gateway rebuilds the order from its journal, resumes its OUCH session where the journal
//! ends, and the aggregator receives the missed fill exactly once. A second fill after the
//! restart completes the parent: the venue saw one order, the positions equal the fills.

mod e2e;

use crossbar_model::Side::{Buy, Sell};
use e2e::*;

const SYMBOL: &str = "GOOGL";
const BID: i64 = 1_500_000; // $150.00
const ASK: i64 = 1_501_000; // $150.10
const POST: i64 = 1_500_500; // $150.05

fn position_at(platform: &Platform, venue: &str) -> Result<(i64, i64), String> {
    let p = platform.position(SYMBOL).ok_or("no position yet")?;
    let at = p["by_venue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue"] == venue)
        .map(|v| v["net_qty"].as_i64().unwrap())
        .unwrap_or(0);
    Ok((p["net_qty"].as_i64().unwrap(), at))
}

#[test]
fn a_gateway_killed_and_restarted_recovers_its_orders_from_the_journal() {
    let mut platform = Platform::start(Spec {
        test: "gwrestart",
        layout: Layout::Ipc,
        books: std::array::from_fn(|_| vec![(SYMBOL, Buy, BID, 500), (SYMBOL, Sell, ASK, 500)]),
        centre_timeout_ms: 3_000,
    });
    let parent = platform.submit(&[
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
        "restart-1",
    ]);
    let id = parent["parent_order_id"].as_u64().unwrap();
    let working = wait_until("the child resting at its venue", || {
        let p = platform.parent(id)?;
        if p["children"][0]["state"] == "new" {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    });
    let venue = working["children"][0]["venue"].as_str().unwrap().to_owned();
    let child = working["children"][0]["child_order_id"].as_u64().unwrap();
    let index = VENUES.iter().position(|v| v.name == venue).unwrap();
    assert_eq!(platform.sims[index].ok("status")["client_orders"], 1);

    // Crash.
    platform.kill_gateway(index);

    // While the gateway is down, the venue fills 100 of the resting 300.
    let mut trader = OtherTrader::login(&platform.sims[index]);
    trader.ioc(Sell, SYMBOL, POST, 100);
    wait_until("the fill at the venue", || {
        let s = platform.sims[index].gateway_session();
        if s["shares_filled"] == 100 {
            Ok(())
        } else {
            Err(s.to_string())
        }
    });

    // Restart on the same journal: one live order rebuilt, the session resumed.
    let recovered = platform.restart_gateway(index);
    assert_eq!(field(&recovered, "live_orders"), "1", "{recovered}");
    assert_eq!(field(&recovered, "orders_sent"), "1", "{recovered}");
    assert_eq!(field(&recovered, "next_user_ref_num"), "2", "{recovered}");
    platform.wait_venues_live(&[&venue]);

    // The missed fill reaches the aggregator, once.
    let p = platform.wait_parent(id, "partially_filled");
    assert_eq!(p["cum_qty"], 100);
    assert_eq!(p["children"][0]["leaves_qty"], 200);
    wait_until("position 100 at the venue", || {
        match position_at(&platform, &venue)? {
            (100, 100) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    // The recovered order keeps working: the rest fills, nothing is doubled.
    trader.ioc(Sell, SYMBOL, POST, 200);
    let done = platform.wait_parent(id, "filled");
    assert_eq!(done["cum_qty"], 300);
    assert_eq!(done["children"].as_array().unwrap().len(), 1, "{done}");
    wait_until("position 300 at the venue", || {
        match position_at(&platform, &venue)? {
            (300, 300) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    // Give a duplicate time to show up, then look again.
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(position_at(&platform, &venue), Ok((300, 300)));
    assert_eq!(platform.parent(id).unwrap()["cum_qty"], 300);

    // The venue saw one order from the gateway account, filled twice.
    let session = platform.sims[index].gateway_session();
    assert_eq!(session["orders_accepted"], 1, "{session}");
    assert_eq!(session["fills"], 2, "{session}");
    assert_eq!(session["shares_filled"], 300, "{session}");
    assert_eq!(platform.sims[index].ok("status")["client_orders"], 0);

    // Both journals hold each fill once: the gateway's (from the venue) and the aggregator's.
    let life = platform.order_life(child);
    let gw = format!("gw-{}", VENUES[index].file);
    for journal in [gw.as_str(), "aggregator"] {
        let fills: Vec<u64> = life
            .iter()
            .filter(|r| {
                r["journal"] == journal
                    && r["direction"] == "inbound"
                    && r["message"] == "ExecutionReport"
                    && (r["fields"]["execType"] == "PartialFill"
                        || r["fields"]["execType"] == "Fill")
            })
            .map(|r| r["fields"]["lastQty"].as_u64().unwrap())
            .collect();
        assert_eq!(fills, [100, 200], "{journal}: {life:#?}");
    }
    platform.stop();
}
