//! crossbarctl as a real binary against a real API server (127.0.0.1:0, TCP) in front of the
//! API crate's in-memory stand-in backend: tables, `--json`, and exit codes.

#[path = "../../../services/aggregator/api/tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::memory_backend::MemoryBackend;
use common::{config, start, TestServer, TOKEN};
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs crossbarctl with `args` (and `--addr` of `server` unless `addr` is given).
async fn ctl(addr: &str, token: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crossbarctl"));
    command
        .arg("--addr")
        .arg(addr)
        .args(args)
        .env_remove("CROSSBAR_TOKEN");
    if let Some(token) = token {
        command.env("CROSSBAR_TOKEN", token);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("run crossbarctl"))
        .await
        .unwrap();
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

async fn ok(server: &TestServer, args: &[&str]) -> String {
    let run = ctl(&server.url(), Some(TOKEN), args).await;
    assert_eq!(run.code, 0, "{args:?}: stderr={}", run.stderr);
    run.stdout
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// The column where `header` starts in the first line equals where `cell` ends/starts in a row.
fn column_of(line: &str, word: &str) -> usize {
    line.find(word)
        .unwrap_or_else(|| panic!("{word} not in {line:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_submit_show_list_and_cancel_as_tables_and_json() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let submitted = ok(
        &server,
        &[
            "submit",
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--qty",
            "100",
            "--price",
            "189.25",
            "--client-order-id",
            "c-1",
        ],
    )
    .await;
    let lines: Vec<&str> = submitted.lines().collect();
    assert!(
        lines[0]
            .starts_with("ID  CLIENT_ID  SYMBOL  SIDE  QTY     PRICE  TYPE   TIF  STRATEGY  STATE"),
        "{submitted}"
    );
    assert!(
        lines[1].contains("c-1") && lines[1].contains("189.2500") && lines[1].contains("working"),
        "{submitted}"
    );
    // Right-aligned price column: the value ends where the header ends.
    let price_end = column_of(lines[0], "PRICE") + "PRICE".len();
    assert_eq!(
        column_of(lines[1], "189.2500") + "189.2500".len(),
        price_end
    );
    assert!(
        submitted.contains("CHILD_ID") && submitted.contains("XNAS"),
        "{submitted}"
    );
    let order = &server.backend.orders()[0];
    assert_eq!(
        order.limit_price, 1_892_500,
        "189.25 was sent as exact fixed point"
    );

    server.backend.fill(1, 40, 1_892_412).await.unwrap();
    ok(
        &server,
        &[
            "submit",
            "--symbol",
            "MSFT",
            "--side",
            "sell-short",
            "--qty",
            "5",
            "--price",
            "410.1234",
            "--type",
            "marketable-limit",
            "--tif",
            "ioc",
            "--strategy",
            "cost-aware",
            "--client-order-id",
            "c-2",
        ],
    )
    .await;

    let listed = json_lines(&ok(&server, &["--json", "orders"]).await);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["client_order_id"], "c-2", "newest first");
    assert_eq!(listed[0]["side"], "sell_short");
    assert_eq!(listed[0]["order_type"], "marketable_limit");
    assert_eq!(listed[0]["time_in_force"], "ioc");
    assert_eq!(listed[0]["strategy"], "cost_aware");
    assert_eq!(listed[0]["limit_price"], "410.1234");
    assert_eq!(listed[1]["cum_qty"], 40);
    assert_eq!(listed[1]["avg_price"], "189.2412");
    assert_eq!(listed[1]["children"][0]["venue"], "XNAS");

    let one = json_lines(&ok(&server, &["orders", "1", "--json"]).await);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["state"], "partially_filled");

    let canceled = json_lines(&ok(&server, &["--json", "cancel", "1"]).await);
    assert_eq!(canceled[0]["state"], "canceled");
    let active = json_lines(&ok(&server, &["--json", "orders", "--active"]).await);
    assert_eq!(active.len(), 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_limits_kill_and_venues() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    assert_eq!(ok(&server, &["positions"]).await, "no positions\n");
    ok(
        &server,
        &[
            "submit", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--price", "189.25",
        ],
    )
    .await;
    server.backend.fill(1, 30, 1_892_500).await.unwrap();
    let table = ok(&server, &["positions"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("SYMBOL  NET  BOUGHT  SOLD  NOTIONAL_BOUGHT  NOTIONAL_SOLD  BY_VENUE"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("AAPL    +30      30     0")
            && lines[1].contains("5677.5000")
            && lines[1].ends_with("XNAS:+30"),
        "{table}"
    );
    let positions = json_lines(&ok(&server, &["positions", "--json", "--symbol", "AAPL"]).await);
    assert_eq!(positions[0]["net_qty"], 30);
    assert_eq!(positions[0]["notional_bought"], "5677.5000");

    let limits = ok(&server, &["limits"]).await;
    assert!(
        limits.starts_with(
            "limits version 1 max_gross_notional_total 60000000.0000 \
             max_net_notional_total 30000000.0000\nSYMBOL"
        ),
        "{limits}"
    );
    let set = json_lines(
        &ok(
            &server,
            &[
                "--json",
                "limits",
                "set",
                "--symbol",
                "SPY",
                "--max-order-qty",
                "500",
                "--max-order-notional",
                "250000.50",
                "--max-position",
                "2000",
                "--collar-bps",
                "300",
                "--max-orders-per-second",
                "20",
                "--expected-version",
                "1",
            ],
        )
        .await,
    );
    let spy = set
        .iter()
        .find(|l| l["instrument_symbol"] == "SPY")
        .unwrap();
    assert_eq!(spy["version"], 2);
    assert_eq!(spy["max_order_notional"], "250000.5000");
    let got = json_lines(&ok(&server, &["--json", "limits", "get", "--symbol", "SPY"]).await);
    assert_eq!(got, vec![spy.clone()]);

    assert_eq!(ok(&server, &["kill"]).await, "no kill switch engaged\n");
    let on = json_lines(
        &ok(
            &server,
            &[
                "--json",
                "kill",
                "on",
                "--venue",
                "XNAS",
                "--allow-risk-reducing",
                "--reason",
                "drill",
            ],
        )
        .await,
    );
    assert_eq!(on[0]["scope"], "venue");
    assert_eq!(on[0]["venue"], "XNAS");
    assert_eq!(on[0]["allow_risk_reducing"], true);
    let status = ok(&server, &["kill", "status"]).await;
    assert!(
        status
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("venue  XNAS   -       allowed"),
        "{status}"
    );
    let venues = ok(&server, &["venues"]).await;
    let rows: Vec<&str> = venues.lines().collect();
    assert!(
        rows[0].starts_with("VENUE  ID  SESSION       FEED   KILLED"),
        "{venues}"
    );
    assert!(
        rows[1].starts_with("XBOS    2  disconnected  stale  no"),
        "{venues}"
    );
    assert!(
        rows[2].starts_with("XNAS    1  connected     ok     yes"),
        "{venues}"
    );
    assert_eq!(
        ok(&server, &["kill", "off", "--venue", "XNAS"]).await,
        "no kill switch engaged\n"
    );
    let venues = json_lines(&ok(&server, &["venues", "--json"]).await);
    assert_eq!(venues[1]["kill_switch_active"], false);
    assert_eq!(venues[1]["session_state"], "connected");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_refused_usage_and_connection() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let url = server.url();
    let submit = [
        "submit", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--price", "189.25",
    ];

    let no_token = ctl(&url, None, &submit).await;
    assert_eq!(no_token.code, 1, "{}", no_token.stderr);
    assert!(
        no_token
            .stderr
            .starts_with("crossbarctl: refused: code=Unauthenticated API_UNAUTHENTICATED reason="),
        "{}",
        no_token.stderr
    );
    let wrong = ctl(&url, Some("wrong-token-0123456789"), &submit).await;
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("unknown bearer token"),
        "{}",
        wrong.stderr
    );
    let flag = ctl(&url, None, &["--token", TOKEN, "venues"]).await;
    assert_eq!(
        flag.code, 0,
        "--token works like CROSSBAR_TOKEN: {}",
        flag.stderr
    );

    let zero = ctl(
        &url,
        Some(TOKEN),
        &[
            "submit", "--symbol", "AAPL", "--side", "buy", "--qty", "0", "--price", "1",
        ],
    )
    .await;
    assert_eq!(zero.code, 1);
    assert!(
        zero.stderr
            .contains("code=InvalidArgument API_INVALID_ARGUMENT field=qty"),
        "{}",
        zero.stderr
    );
    let negative = ctl(
        &url,
        Some(TOKEN),
        &[
            "submit", "--symbol", "AAPL", "--side", "buy", "--qty", "1", "--price", "-1.5",
        ],
    )
    .await;
    assert_eq!(negative.code, 1);
    assert!(
        negative.stderr.contains("field=limit_price"),
        "{}",
        negative.stderr
    );
    let missing = ctl(&url, Some(TOKEN), &["orders", "42"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("code=NotFound API_NOT_FOUND"),
        "{}",
        missing.stderr
    );
    assert_eq!(server.backend.applied(), 0);

    let precise = ctl(
        &url,
        Some(TOKEN),
        &[
            "submit",
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--qty",
            "1",
            "--price",
            "189.25001",
        ],
    )
    .await;
    assert_eq!(precise.code, 2);
    assert!(
        precise.stderr.contains("PRICE_PRECISION"),
        "{}",
        precise.stderr
    );
    for usage in [
        &["frobnicate"][..],
        &["kill", "on"],
        &["kill", "on", "--all", "--venue", "XNAS"],
        &["submit", "--symbol", "AAPL"],
    ] {
        let run = ctl(&url, Some(TOKEN), usage).await;
        assert_eq!(run.code, 2, "{usage:?}: {}", run.stderr);
    }
    assert_eq!(server.backend.applied(), 0, "usage errors send nothing");

    server.stop().await.unwrap();
    let gone = ctl(&url, Some(TOKEN), &["venues"]).await;
    assert_eq!(gone.code, 2, "{}", gone.stderr);
    assert!(
        gone.stderr.starts_with(&format!(
            "crossbarctl: error: CTL_CONNECT_FAILED addr={url}"
        )),
        "{}",
        gone.stderr
    );
    let bad_addr = ctl("http://[not an address", Some(TOKEN), &["venues"]).await;
    assert_eq!(bad_addr.code, 2, "{}", bad_addr.stderr);
}

/// `limits` shows and `limits set` sets the gross / net exposure limits, the credit budget
/// and the totals (dollars in, exact 4-decimal strings out); totals alone are a change;
/// negative values are refused by the server (exit 1, the field named) and per-instrument
/// flags without --symbol, or no change at all, are usage errors (exit 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_gross_net_credit_and_totals() {
    let server = start(config(false), MemoryBackend::roomy()).await;
    let table = ok(&server, &["limits"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[1].contains("MAX_GROSS_NOTIONAL")
            && lines[1].contains("MAX_NET_NOTIONAL")
            && lines[1].ends_with("CREDIT_NOTIONAL"),
        "{table}"
    );
    let cells: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        (cells[0], &cells[6..]),
        (
            "AAPL",
            &["20000000.0000", "10000000.0000", "30000000.0000"][..]
        ),
        "{table}"
    );
    let set = json_lines(
        &ok(
            &server,
            &[
                "--json",
                "limits",
                "set",
                "--symbol",
                "AAPL",
                "--max-order-qty",
                "500",
                "--max-order-notional",
                "250000",
                "--max-position",
                "2000",
                "--collar-bps",
                "300",
                "--max-orders-per-second",
                "20",
                "--max-gross-notional",
                "1000000.25",
                "--max-net-notional",
                "0",
                "--credit-notional",
                "750000",
                "--max-gross-notional-total",
                "5000000",
            ],
        )
        .await,
    );
    let aapl = set
        .iter()
        .find(|l| l["instrument_symbol"] == "AAPL")
        .unwrap();
    assert_eq!(aapl["version"], 2);
    assert_eq!(aapl["max_gross_notional"], "1000000.2500");
    assert_eq!(aapl["max_net_notional"], "0.0000");
    assert_eq!(aapl["credit_notional"], "750000.0000");
    assert_eq!(aapl["max_gross_notional_total"], "5000000.0000");
    assert_eq!(aapl["max_net_notional_total"], "30000000.0000");
    // Totals alone.
    let set = json_lines(
        &ok(
            &server,
            &[
                "--json",
                "limits",
                "set",
                "--max-net-notional-total",
                "12.5",
            ],
        )
        .await,
    );
    assert!(set
        .iter()
        .all(|l| l["version"] == 3 && l["max_net_notional_total"] == "12.5000"));
    let got = json_lines(&ok(&server, &["--json", "limits", "get", "--symbol", "AAPL"]).await);
    assert_eq!(got[0]["credit_notional"], "750000.0000");
    assert_eq!(got[0]["max_gross_notional_total"], "5000000.0000");

    let refused = ctl(
        &server.url(),
        Some(TOKEN),
        &["limits", "set", "--max-gross-notional-total", "-1"],
    )
    .await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("field=max_gross_notional_total"),
        "{}",
        refused.stderr
    );
    for args in [
        &["limits", "set"][..],
        &["limits", "set", "--credit-notional", "5"][..],
        &["limits", "set", "--symbol", "AAPL", "--max-order-qty", "5"][..],
    ] {
        let usage = ctl(&server.url(), Some(TOKEN), args).await;
        assert_eq!(usage.code, 2, "{args:?}: {}", usage.stderr);
    }
    assert_eq!(server.backend.limits_version(), 3);
    server.stop().await.unwrap();
}
