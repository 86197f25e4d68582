//! The process contract: bad configuration exits 2 naming the key; the shipped deploy configs
//! are valid and number instruments alike.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbar_gateway::config::GatewayConfig;
use crossbar_gateway::settings::validate;
use crossbar_integration_tests::{write_file, ChildProcess};
use crossbar_runtime::load_config;

fn run_with(toml: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "gateway.toml", toml);
    let gw = ChildProcess::spawn(
        "crossbar-gateway",
        Path::new(env!("CARGO_BIN_EXE_crossbar-gateway")),
        &["--config", path.to_str().unwrap()],
        &[],
    );
    let (status, _, stderr) = gw.wait(Duration::from_secs(60));
    (status.code().unwrap_or(-1), stderr)
}

const GOOD: &str = "gateway_id = 1\nvenue_id = 1\nvenue = \"NASDAQ\"\ninstruments = [\"AAPL\"]\n\
                    [order_entry]\nusername = \"GW1\"\n";

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    for (toml, key) in [
        (
            GOOD.replace("username = \"GW1\"", "username = \"TOOLONG\""),
            "key=order_entry.username",
        ),
        (GOOD.replace("[\"AAPL\"]", "[]"), "key=instruments"),
        (
            GOOD.replace("[\"AAPL\"]", "[\"AAPL\", \"AAPL\"]"),
            "key=instruments[1]",
        ),
        (format!("{GOOD}[feed]\nadr = \"x\"\n"), "adr"),
        (
            GOOD.replace("gateway_id = 1", "gateway_id = \"one\""),
            "key=gateway_id",
        ),
        (
            format!("{GOOD}[book]\nlevels_per_side = 0\n"),
            "key=book.levels_per_side",
        ),
    ] {
        let (code, stderr) = run_with(&toml);
        assert_eq!(code, 2, "{toml}\n{stderr}");
        assert!(stderr.contains("CONFIG_INVALID"), "{stderr}");
        assert!(stderr.contains(key), "want {key} in {stderr}");
    }
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../deploy/gateway")
}

#[test]
fn deploy_configs_are_valid_and_share_one_universe() {
    let mut universes = Vec::new();
    for (file, id, orders_stream) in [("nasdaq", 1, 1101), ("bx", 2, 1102), ("psx", 3, 1103)] {
        let path = deploy_dir().join(format!("{file}.toml"));
        let config: GatewayConfig = load_config(Some(&path)).unwrap();
        let settings = validate(config).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(settings.gateway_id.0, id);
        assert_eq!(settings.venue_id.0, id);
        let t = &settings.config.transport;
        assert_eq!(t.subscriptions["orders"].stream_id, orders_stream);
        assert_eq!(t.publications["executions"].stream_id, 1002);
        assert_eq!(t.publications["market_data"].stream_id, 1003);
        universes.push(settings.universe);
    }
    assert!(universes.windows(2).all(|w| w[0] == w[1]));
}
