//! Configuration: the deploy files load and validate; bad files stop the binary with exit 2
//! naming the key.

mod common;

use std::path::Path;

use common::{spawn, wait_exit};
use crossbar_venue_sim::config::{SeedSourceConfig, VenueName, VenueSimConfig};

fn deploy(name: &str) -> VenueSimConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../../deploy/venue-sim/{name}.toml"));
    let config: VenueSimConfig = crossbar_runtime::load_config(Some(&path)).unwrap();
    config.validate().unwrap();
    config
}

#[test]
fn deploy_configs_are_three_distinct_venues_over_one_symbol_universe() {
    let venues = [deploy("nasdaq"), deploy("bx"), deploy("psx")];
    let names: Vec<_> = venues.iter().map(|v| (v.venue, v.venue_id)).collect();
    assert_eq!(
        names,
        [
            (VenueName::Nasdaq, 1),
            (VenueName::Bx, 2),
            (VenueName::Psx, 3)
        ]
    );
    let universe = |c: &VenueSimConfig| match &c.seed.source {
        SeedSourceConfig::Generator { seed, symbols, .. } => (*seed, symbols.clone()),
        other => panic!("{other:?}"),
    };
    let (s0, u0) = universe(&venues[0]);
    for venue in &venues[1..] {
        let (seed, symbols) = universe(venue);
        assert_eq!(symbols, u0, "one symbol universe");
        assert_ne!(seed, s0, "each venue its own book");
    }
    assert_eq!(u0.len(), 8);
    let mut ports: Vec<u16> = venues
        .iter()
        .flat_map(|v| {
            [
                v.feed.destination.port(),
                v.feed.request_addr.port(),
                v.ouch.listen_addr.port(),
                v.control_addr.port(),
            ]
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 12, "no two venues share a port");
    let nasdaq = &venues[0].fees;
    assert_eq!(
        (nasdaq.taker_fee_per_share, nasdaq.maker_rebate_per_share),
        (30, 20)
    );
    let bx = &venues[1].fees;
    assert!(
        bx.taker_fee_per_share < 0 && bx.maker_rebate_per_share < 0,
        "BX is inverted"
    );
    let psx = &venues[2].fees;
    assert!(
        psx.taker_fee_per_share > 0 && psx.maker_rebate_per_share < nasdaq.maker_rebate_per_share
    );
    assert!(venues
        .iter()
        .all(|v| v.idle == crossbar_runtime::IdleStrategyConfig::BusySpin));
}

fn exits_2_naming(config: &str, key: &str) {
    let (mut child, _lines, _dir) = spawn(config);
    let status = wait_exit(&mut child);
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("key={key}")), "{key}: {stderr}");
}

#[test]
fn bad_configs_exit_2_naming_the_key() {
    exits_2_naming("venue = \"NYSE\"\n", "venue");
    exits_2_naming("[feed]\nsesion = \"X\"\n", "feed");
    exits_2_naming("[ouch]\nsession = \"\"\n", "ouch.session");
    exits_2_naming(
        "[fees]\ntaker_fee_per_share = 99999\n",
        "fees.taker_fee_per_share",
    );
    exits_2_naming(
        "[seed.source]\nkind = \"generator\"\nsymbols = [\"AAPL\", \"AAPL\"]\n",
        "seed.source.symbols.1",
    );
}
