//! The deploy files fit together (docs/platform.md, "deploy/: the cross-host layout"): each
//! loads on its own through `crossbar_runtime::load_config`, and what one process sends is
//! where the other listens — universe, venue and gateway ids, fee schedules, feeds, request
//! servers, OUCH ports and accounts, and the Aeron UDP endpoints and stream ids.

mod e2e;

use std::path::Path;

use e2e::{deploy, VENUES};
use serde_json::Value;

fn load(service: &str, file: &str) -> Value {
    let path = deploy(service, file);
    crossbar_runtime::load_config(Some(Path::new(&path))).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_deploy_files_describe_one_platform() {
    let aggregator = load("aggregator", "aggregator");
    let universe = &aggregator["instruments"];
    assert_eq!(universe.as_array().map(Vec::len), Some(8));
    let transport = &aggregator["transport"];
    let agg_md = &transport["subscriptions"]["market_data"];
    let agg_exec = &transport["subscriptions"]["executions"];
    assert!(
        agg_md["channel"].as_str().unwrap().starts_with("aeron:udp"),
        "cross-host: {agg_md}"
    );
    assert!(aggregator["heartbeat_interval_ms"].as_u64().is_some());

    for v in VENUES {
        let sim = load("venue-sim", v.file);
        let gw = load("gateway", v.file);
        let what = v.name;
        // Ids and the universe.
        assert_eq!(sim["venue"], v.name, "{what}");
        assert_eq!(sim["venue_id"], v.id, "{what}");
        assert_eq!(gw["venue_id"], v.id, "{what}");
        assert_eq!(gw["gateway_id"], v.id, "{what}");
        assert_eq!(&gw["instruments"], universe, "{what}");
        assert_eq!(&sim["seed"]["source"]["symbols"], universe, "{what}");
        let venue = aggregator["venues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["venue_id"] == v.id)
            .unwrap_or_else(|| panic!("no venue {what} at the aggregator"));
        assert_eq!(venue["name"], v.name);
        assert_eq!(venue["gateway_id"], v.id);
        // The router prices venues with the fees the venue charges.
        assert_eq!(
            venue["taker_fee_ticks"], sim["fees"]["taker_fee_per_share"],
            "{what}"
        );
        assert_eq!(
            venue["maker_rebate_ticks"], sim["fees"]["maker_rebate_per_share"],
            "{what}"
        );
        // Venue ↔ gateway: feed, re-requests, interface, session, OUCH.
        assert_eq!(gw["feed"]["addr"], sim["feed"]["destination"], "{what}");
        assert_eq!(gw["feed"]["interface"], sim["feed"]["interface"], "{what}");
        assert_eq!(
            gw["feed"]["request_server"], sim["feed"]["request_addr"],
            "{what}"
        );
        assert_eq!(gw["feed"]["session"], sim["feed"]["session"], "{what}");
        assert_eq!(
            gw["order_entry"]["venue_addr"], sim["ouch"]["listen_addr"],
            "{what}"
        );
        let account = sim["ouch"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == gw["order_entry"]["username"])
            .unwrap_or_else(|| panic!("{what}: the gateway's account is not at the venue"));
        assert_eq!(account["password"], gw["order_entry"]["password"], "{what}");
        assert_eq!(account["username"], v.account, "{what}");
        // Gateway ↔ aggregator: Aeron channels and stream ids.
        let gt = &gw["transport"];
        assert_eq!(&gt["publications"]["market_data"], agg_md, "{what}");
        assert_eq!(&gt["publications"]["executions"], agg_exec, "{what}");
        assert_eq!(
            gt["subscriptions"]["orders"],
            transport["publications"][format!("orders_{}", v.id)],
            "{what}"
        );
        assert_eq!(
            gt["subscriptions"]["orders"]["stream_id"],
            1100 + u64::from(v.id),
            "{what}"
        );
        // A gateway outlives a missed aggregator heartbeat or two before failing closed.
        assert!(
            gw["centre"]["heartbeat_timeout_ms"].as_u64().unwrap()
                >= 2 * aggregator["heartbeat_interval_ms"].as_u64().unwrap(),
            "{what}"
        );
        // Each process its own driver and directory (cross-host).
        assert_eq!(gt["embedded_driver"], true, "{what}");
        assert_ne!(gt["aeron_dir"], transport["aeron_dir"], "{what}");
    }
}
