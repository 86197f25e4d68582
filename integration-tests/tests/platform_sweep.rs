//! The platform end to end, as `ops/platform.sh` runs it (one host, IPC through the
//! aggregator's media driver, every service its own process from its deploy file): a
//! marketable buy submitted over gRPC sweeps three venues whose books the test wrote itself,
//! and the children, fills, parent and positions are exactly what those books dictate.

mod e2e;

use std::collections::BTreeMap;

use crossbar_model::Side::{Buy, Sell};
use e2e::*;

const SYMBOL: &str = "MSFT";

/// $400.10 = 4,001,000 in 1/10,000 $.
const fn px(cents_over_400: i64) -> i64 {
    4_000_000 + cents_over_400 * 100
}

fn books() -> [Vec<Resting>; 3] {
    [
        // NASDAQ
        vec![
            (SYMBOL, Buy, px(-10), 500),
            (SYMBOL, Sell, px(10), 100),
            (SYMBOL, Sell, px(12), 200),
            (SYMBOL, Sell, px(15), 300),
            ("AAPL", Sell, 1_900_000, 100),
        ],
        // BX
        vec![
            (SYMBOL, Buy, px(-12), 400),
            (SYMBOL, Sell, px(11), 150),
            (SYMBOL, Sell, px(12), 250),
            (SYMBOL, Sell, px(20), 500),
        ],
        // PSX
        vec![
            (SYMBOL, Buy, px(-11), 300),
            (SYMBOL, Sell, px(10), 120),
            (SYMBOL, Sell, px(13), 80),
            (SYMBOL, Sell, px(14), 400),
        ],
    ]
}

#[test]
fn a_marketable_buy_sweeps_three_venues_with_exact_fills_and_positions() {
    let platform = Platform::start(Spec {
        test: "sweep",
        layout: Layout::Ipc,
        books: books(),
        centre_timeout_ms: 3_000,
    });
    // The venues hold exactly the seeded books.
    assert_eq!(
        platform.sims[0].book(SYMBOL).1,
        [(px(10), 100, 1), (px(12), 200, 1), (px(15), 300, 1)]
    );

    // BUY 850 at $400.13: in price order 400.10 (PSX 120 first: larger size, then NASDAQ 100),
    // 400.11 BX 150, 400.12 NASDAQ 200 + BX 250, then 30 of PSX's 80 at 400.13 = 850. Reg NMS
    // sweep: one IOC child per venue priced at the worst level it takes there.
    let parent = platform.submit(&[
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--qty",
        "850",
        "--price",
        &dollars(px(13)),
        "--type",
        "limit",
        "--tif",
        "ioc",
        "--strategy",
        "sweep",
        "--client-order-id",
        "sweep-1",
    ]);
    let id = parent["parent_order_id"].as_u64().expect("parent id");
    let done = platform.wait_parent(id, "filled");
    assert_eq!(done["cum_qty"], 850);
    assert_eq!(done["leaves_qty"], 0);
    // (100 × 400.10 + 200 × 400.12 + 150 × 400.11 + 250 × 400.12 + 120 × 400.10 + 30 × 400.13)
    // / 850 = 400.11341..., rounded toward zero.
    assert_eq!(done["avg_price"], "400.1134");

    let children: BTreeMap<String, (u64, String, u64, String, String)> = done["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| {
            (
                c["venue"].as_str().unwrap().to_owned(),
                (
                    c["qty"].as_u64().unwrap(),
                    c["price"].as_str().unwrap().to_owned(),
                    c["cum_qty"].as_u64().unwrap(),
                    c["avg_price"].as_str().unwrap().to_owned(),
                    c["state"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let child = |qty, price: i64, avg: &str| {
        (
            qty,
            dollars(price),
            qty,
            avg.to_owned(),
            "filled".to_owned(),
        )
    };
    assert_eq!(
        children,
        BTreeMap::from([
            ("NASDAQ".to_owned(), child(300, px(12), "400.1133")),
            ("BX".to_owned(), child(400, px(12), "400.1162")),
            ("PSX".to_owned(), child(150, px(13), "400.1060")),
        ]),
        "{done}"
    );

    // Positions over gRPC: per venue and in total, equal to the fills.
    let position = wait_until("the position of the fills", || {
        let p = platform.position(SYMBOL).ok_or("no position")?;
        if p["net_qty"] == 850 {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    });
    assert_eq!(position["bought_qty"], 850);
    assert_eq!(position["sold_qty"], 0);
    let by_venue: BTreeMap<String, i64> = position["by_venue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["venue"].as_str().unwrap().to_owned(),
                v["net_qty"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_venue,
        BTreeMap::from([
            ("BX".to_owned(), 150 + 250),
            ("NASDAQ".to_owned(), 100 + 200),
            ("PSX".to_owned(), 120 + 30),
        ])
    );

    // The venues agree: fills and shares on each gateway account, what is left on the books.
    for (sim, (fills, shares)) in platform.sims.iter().zip([(2, 300), (2, 400), (2, 150)]) {
        let session = sim.gateway_session();
        assert_eq!(session["fills"], fills, "{}: {session}", sim.venue.name);
        assert_eq!(
            session["shares_filled"], shares,
            "{}: {session}",
            sim.venue.name
        );
        assert_eq!(
            session["taker_fills"], fills,
            "{}: {session}",
            sim.venue.name
        );
    }
    assert_eq!(platform.sims[0].book(SYMBOL).1, [(px(15), 300, 1)]);
    assert_eq!(platform.sims[1].book(SYMBOL).1, [(px(20), 500, 1)]);
    assert_eq!(
        platform.sims[2].book(SYMBOL).1,
        [(px(13), 50, 1), (px(14), 400, 1)]
    );

    // The journals hold each child's whole path, the one ops/platform.sh measures hop by hop:
    // aggregator NewChildOrder out → gateway in → OUCH request out → venue reports in at the
    // gateway → reports in at the aggregator.
    let life = platform.order_life(id);
    let children_out: Vec<&serde_json::Value> = life
        .iter()
        .filter(|r| {
            r["journal"] == "aggregator"
                && r["direction"] == "outbound"
                && r["message"] == "NewChildOrder"
        })
        .collect();
    assert_eq!(children_out.len(), 3, "{life:#?}");
    for out in children_out {
        let order = &out["fields"]["orderId"];
        let gw = match out["fields"]["venueId"].as_u64() {
            Some(1) => "gw-nasdaq",
            Some(2) => "gw-bx",
            _ => "gw-psx",
        };
        let has = |journal: &str, direction: &str, message: &str| {
            life.iter().any(|r| {
                r["journal"] == journal
                    && r["direction"] == direction
                    && r["message"] == message
                    && r["fields"]["orderId"] == *order
            })
        };
        assert!(has(gw, "inbound", "NewChildOrder"), "{gw} in: {order}");
        assert!(
            has(gw, "outbound", "NewChildOrder"),
            "{gw} OUCH out: {order}"
        );
        assert!(
            has(gw, "inbound", "ExecutionReport"),
            "{gw} venue report: {order}"
        );
        assert!(
            has(gw, "outbound", "ExecutionReport"),
            "{gw} report out: {order}"
        );
        assert!(
            has("aggregator", "inbound", "ExecutionReport"),
            "aggregator report in: {order}"
        );
    }

    let counters = platform.stop();
    for c in &counters {
        assert_eq!(c.get("orders.malformed"), Some(&0), "{c:?}");
    }
}
