//! The whole platform as separate processes, started from the deploy files the way
//! `ops/platform.sh` starts them: three `crossbar-venue-sim` (NASDAQ, BX, PSX), one
//! `crossbar-gateway` per venue and `crossbar-aggregator`, each from `deploy/<service>/*.toml`
//! with `CROSSBAR_*` environment overrides (docs/platform.md). Tests drive it like an
//! operator: `crossbarctl` over gRPC, the simulators' control channel, `journal-inspect`.
//!
//! ```text
//!  venue-sim ×3 ── ITCH/MoldUDP64 (UDP unicast) ─► gateway ×3 ── Aeron ──► aggregator ◄── crossbarctl (gRPC)
//!      ▲   ▲ control (TCP)                           │    ▲                   (journal)
//!      │   └──────── OUCH 5.0 / SoupBinTCP ◄─────────┘    └── orders, credit, kill, heartbeats
//! ```
//!
//! Two Aeron layouts: [`Layout::Ipc`] is platform.sh's (one media driver embedded in the
//! aggregator, SHARED threading, the gateways its external clients, IPC streams);
//! [`Layout::Udp`] is the cross-host deploy layout (a driver per process, UDP endpoints).
//! Every port is picked at run time, every Aeron directory is unique, every process idles
//! with a backoff strategy and is killed when its handle drops.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crossbar_integration_tests::{
    aeron_dir, binary, free_tcp_port, free_udp_port, write_file, ChildProcess,
};
use crossbar_itch::{
    write_frame, AddOrder, Header, ItchMessage, Stock, StockDirectory, StockTradingAction,
    SystemEvent,
};
use crossbar_model::{Price, Qty, Side};
use serde_json::Value;

/// Every wait on a condition ends after this (the machine is small, shared and loaded).
pub const DEADLINE: Duration = Duration::from_secs(120);
/// The deploy universe (deploy/*/*.toml): `InstrumentId` = index.
pub const UNIVERSE: [&str; 8] = [
    "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO",
];
const IDLE: &str = "{kind=\"backoff\"}";
const TOKEN: &str = "platform-test-token-0123456789";

/// One venue of the deploy files.
#[derive(Clone, Copy, Debug)]
pub struct VenueDef {
    /// deploy file stem.
    pub file: &'static str,
    /// API venue code and simulator venue name.
    pub name: &'static str,
    /// venue id = gateway id.
    pub id: u16,
    /// The gateway's OUCH account.
    pub account: &'static str,
    /// A second account at the venue for a trader outside the platform.
    pub other_account: &'static str,
    /// Its password.
    pub other_password: &'static str,
}

/// NASDAQ, BX, PSX in deploy order.
pub const VENUES: [VenueDef; 3] = [
    VenueDef {
        file: "nasdaq",
        name: "NASDAQ",
        id: 1,
        account: "GW1A",
        other_account: "GW1B",
        other_password: "gw1bpass",
    },
    VenueDef {
        file: "bx",
        name: "BX",
        id: 2,
        account: "GW2A",
        other_account: "GW2B",
        other_password: "gw2bpass",
    },
    VenueDef {
        file: "psx",
        name: "PSX",
        id: 3,
        account: "GW3A",
        other_account: "GW3B",
        other_password: "gw3bpass",
    },
];

/// One side of a book: (price in 1/10,000 $, shares, orders), best first.
pub type Ladder = Vec<(i64, u64, u64)>;

/// One resting order of a seed day: symbol, side, price (1/10,000 $), shares.
pub type Resting = (&'static str, Side, i64, u32);

/// How the processes reach each other over Aeron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One host: the aggregator's embedded driver (SHARED), every gateway an external client,
    /// IPC streams (ops/platform.sh).
    Ipc,
    /// Cross-host: a driver per process, UDP endpoints (deploy/ as written).
    Udp,
}

/// What to start.
pub struct Spec {
    /// Test name (directories, Aeron dirs).
    pub test: &'static str,
    /// The Aeron layout.
    pub layout: Layout,
    /// Each venue's seed day, in [`VENUES`] order.
    pub books: [Vec<Resting>; 3],
    /// The gateways' `centre.heartbeat_timeout_ms`.
    pub centre_timeout_ms: u64,
}

/// An ITCH 5.0 day file (2-byte big-endian length prefixes, ITCH 5.0 §1 message layouts):
/// System Event `O`, a Stock Directory (§1.2.1) and Trading Action `T` (§1.2.2) for every
/// universe symbol at locate index + 1, System Events `S` and `Q`, then one Add Order (§1.3.1)
/// per resting order, references from 1.
pub fn day_file(dir: &Path, name: &str, orders: &[Resting]) -> PathBuf {
    let mut out = Vec::new();
    let mut time = 4 * 3_600_000_000_000u64; // 04:00, ns since midnight
    let mut header = |locate: u16| {
        time += 1_000;
        Header {
            stock_locate: locate,
            tracking_number: 0,
            timestamp_ns: time,
        }
    };
    let mut push = |m: ItchMessage| write_frame(&m, &mut out).expect("encode ITCH");
    push(
        SystemEvent {
            header: header(0),
            event_code: b'O',
        }
        .into(),
    );
    for (i, symbol) in UNIVERSE.iter().enumerate() {
        let locate = i as u16 + 1;
        let stock = Stock::from_symbol(symbol).expect("symbol");
        push(
            StockDirectory {
                header: header(locate),
                stock,
                market_category: b'Q',
                financial_status_indicator: b'N',
                round_lot_size: 100,
                round_lots_only: b'N',
                issue_classification: b'C',
                issue_sub_type: *b"Z ",
                authenticity: b'P',
                short_sale_threshold_indicator: b'N',
                ipo_flag: b'N',
                luld_reference_price_tier: b'1',
                etp_flag: b'N',
                etp_leverage_factor: 0,
                inverse_indicator: b'N',
            }
            .into(),
        );
        push(
            StockTradingAction {
                header: header(locate),
                stock,
                trading_state: b'T',
                reserved: b' ',
                reason: *b"    ",
            }
            .into(),
        );
    }
    for code in [b'S', b'Q'] {
        push(
            SystemEvent {
                header: header(0),
                event_code: code,
            }
            .into(),
        );
    }
    for (reference, &(symbol, side, price, qty)) in orders.iter().enumerate() {
        let locate = instrument(symbol) as u16 + 1;
        push(
            AddOrder {
                header: header(locate),
                order_reference_number: reference as u64 + 1,
                side,
                shares: Qty(qty),
                stock: Stock::from_symbol(symbol).expect("symbol"),
                price: Price(price),
            }
            .into(),
        );
    }
    let path = dir.join(name);
    std::fs::write(&path, out).expect("write the day file");
    path
}

/// The deploy simulator file at `path` with its `[seed.source]` table replaced by the day
/// file `day`. (An environment override cannot do it: `CROSSBAR_SEED__SOURCE` is merged into
/// the file's generator table, whose `seed`/`symbols`/`messages` a day file does not accept.)
pub fn with_day_file(path: &str, day: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            skipping = line.trim() == "[seed.source]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(out.len() < text.len(), "{path} has no [seed.source] table");
    out.push_str(&format!(
        "\n[seed.source]\nkind = \"day_file\"\npath = \"{}\"\n",
        day.display()
    ));
    out
}

/// The universe index of `symbol`.
pub fn instrument(symbol: &str) -> usize {
    UNIVERSE
        .iter()
        .position(|s| *s == symbol)
        .unwrap_or_else(|| panic!("{symbol} is not in the universe"))
}

/// `deploy/<service>/<file>.toml`.
pub fn deploy(service: &str, file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(service)
        .join(format!("{file}.toml"))
        .to_str()
        .expect("utf-8 path")
        .to_owned()
}

/// Polls `probe` every 100 ms until it returns `Some`, panicking with `what` (and the last
/// thing `describe` says) after [`DEADLINE`].
pub fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match probe() {
            Ok(v) => return v,
            Err(last) => assert!(
                start.elapsed() < DEADLINE,
                "{what}: not reached within {DEADLINE:?}; last: {last}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------- the simulators

/// A running simulator and its addresses.
pub struct Sim {
    /// The process.
    pub process: ChildProcess,
    /// Venue.
    pub venue: VenueDef,
    /// Control channel.
    pub control: SocketAddr,
    /// OUCH (SoupBinTCP) listener.
    pub ouch: SocketAddr,
}

impl Sim {
    /// One control command; the reply line (`ok {...}` or `err CODE ...`).
    pub fn command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(self.control).expect("connect to control");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        writeln!(stream, "{line}").unwrap();
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).unwrap();
        reply.trim_end().to_owned()
    }

    /// A command that must succeed: its JSON.
    pub fn ok(&self, line: &str) -> Value {
        let reply = self.command(line);
        let json = reply
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("{}: {line}: {reply}", self.venue.name));
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{line}: {e}: {json}"))
    }

    /// The gateway account's entry of `status.sessions`.
    pub fn gateway_session(&self) -> Value {
        self.session(self.venue.account)
    }

    /// `account`'s entry of `status.sessions`.
    pub fn session(&self, account: &str) -> Value {
        let status = self.ok("status");
        status["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .find(|s| s["username"] == account)
            .cloned()
            .unwrap_or_else(|| panic!("no {account} in {status}"))
    }

    /// `book <symbol>`: (bids, asks) as (price, shares, orders), best first.
    pub fn book(&self, symbol: &str) -> (Ladder, Ladder) {
        let book = self.ok(&format!("book {symbol} 100"));
        let side = |key: &str| {
            book[key]
                .as_array()
                .expect("levels")
                .iter()
                .map(|l| {
                    (
                        l["price"].as_i64().unwrap(),
                        l["qty"].as_u64().unwrap(),
                        l["orders"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        (side("bids"), side("asks"))
    }
}

// ---------------------------------------------------------------- the platform

/// Ports and directories a gateway needs, kept so it can be restarted on the same journal.
struct GatewayPlan {
    env: Vec<(String, String)>,
}

/// Every process of the platform.
pub struct Platform {
    /// Scratch directory: day files, journals.
    pub dir: tempfile::TempDir,
    /// The layout.
    pub layout: Layout,
    /// Aggregator (None once stopped or killed).
    pub aggregator: Option<ChildProcess>,
    /// gRPC address of the aggregator.
    pub grpc: SocketAddr,
    /// Gateways in [`VENUES`] order (None while stopped).
    pub gateways: [Option<ChildProcess>; 3],
    /// Simulators in [`VENUES`] order.
    pub sims: Vec<Sim>,
    plans: Vec<GatewayPlan>,
    /// UDP layout: the executions endpoint every gateway publishes to.
    pub executions_endpoint: Option<SocketAddr>,
    /// UDP layout: each gateway's orders endpoint.
    pub orders_endpoints: Vec<SocketAddr>,
    aeron_dirs: Vec<PathBuf>,
    /// The aggregator's environment, for a restart on the same journal.
    aggregator_env: Vec<(String, String)>,
}

fn env_pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn kv(k: &str, v: impl ToString) -> (String, String) {
    (k.to_owned(), v.to_string())
}

fn udp(addr: SocketAddr) -> String {
    format!("aeron:udp?endpoint={addr}")
}

impl Platform {
    /// Starts the aggregator, the three gateways and the three simulators (each seeded with
    /// its day of `spec.books`), then waits for every ready line, every simulator's seeding,
    /// and all three venues connected with a live feed at the aggregator for a whole second.
    pub fn start(spec: Spec) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("xbar-{}-", spec.test))
            .tempdir()
            .expect("temp dir");
        let journals = dir.path().join("journals");
        let common = |journal: Option<&str>| {
            let mut env = vec![
                kv("CROSSBAR_IDLE", IDLE),
                kv("CROSSBAR_LOGGING__LEVEL", "warn"),
            ];
            if let Some(name) = journal {
                env.extend([
                    kv("CROSSBAR_JOURNAL__DIR", journals.join(name).display()),
                    kv("CROSSBAR_JOURNAL__SEGMENT_SIZE_BYTES", 1_048_576),
                    kv("CROSSBAR_JOURNAL__PRETOUCH", false),
                ]);
            }
            env
        };
        let transport = |aeron: &Path, embedded: bool| {
            vec![
                kv("CROSSBAR_TRANSPORT__AERON_DIR", aeron.display()),
                kv("CROSSBAR_TRANSPORT__EMBEDDED_DRIVER", embedded),
                kv("CROSSBAR_TRANSPORT__DRIVER_THREADING", "shared"),
                kv("CROSSBAR_TRANSPORT__DRIVER_IDLE", IDLE),
                kv("CROSSBAR_TRANSPORT__IDLE", IDLE),
                kv("CROSSBAR_TRANSPORT__IPC_TERM_BUFFER_LENGTH", 1_048_576),
                kv("CROSSBAR_TRANSPORT__UDP_TERM_BUFFER_LENGTH", 1_048_576),
            ]
        };

        // Addresses, all picked now so every process can be configured before it starts.
        let feeds: Vec<SocketAddr> = (0..3).map(|_| loopback(free_udp_port())).collect();
        let requests: Vec<SocketAddr> = (0..3).map(|_| loopback(free_udp_port())).collect();
        let ouch: Vec<SocketAddr> = (0..3).map(|_| loopback(free_tcp_port())).collect();
        let (md, exec) = (loopback(free_udp_port()), loopback(free_udp_port()));
        let orders: Vec<SocketAddr> = (0..3).map(|_| loopback(free_udp_port())).collect();
        let shared_aeron = aeron_dir(spec.test);
        let mut aeron_dirs = vec![shared_aeron.clone()];

        // The aggregator: the media driver's owner in the IPC layout.
        let mut env = common(Some("aggregator"));
        env.extend(transport(&shared_aeron, true));
        env.extend([
            kv("CROSSBAR_API__ADDR", "127.0.0.1:0"),
            kv("CROSSBAR_API__TOKENS", format!("[\"{TOKEN}\"]")),
        ]);
        for v in VENUES {
            let (key, channel) = (
                format!("CROSSBAR_TRANSPORT__PUBLICATIONS__ORDERS_{}__CHANNEL", v.id),
                match spec.layout {
                    Layout::Ipc => "aeron:ipc".to_owned(),
                    Layout::Udp => udp(orders[usize::from(v.id) - 1]),
                },
            );
            env.push((key, channel));
        }
        let (md_channel, exec_channel) = match spec.layout {
            Layout::Ipc => ("aeron:ipc".to_owned(), "aeron:ipc".to_owned()),
            Layout::Udp => (udp(md), udp(exec)),
        };
        env.extend([
            kv(
                "CROSSBAR_TRANSPORT__SUBSCRIPTIONS__MARKET_DATA__CHANNEL",
                &md_channel,
            ),
            kv(
                "CROSSBAR_TRANSPORT__SUBSCRIPTIONS__EXECUTIONS__CHANNEL",
                &exec_channel,
            ),
        ]);
        let mut aggregator = ChildProcess::spawn(
            "crossbar-aggregator",
            &binary("crossbar-aggregator", "crossbar-aggregator"),
            &["--config", &deploy("aggregator", "aggregator")],
            &env_pairs(&env),
        );
        let ready = aggregator.wait_for_line("AGGREGATOR_READY", DEADLINE);
        let grpc = field(&ready, "grpc").parse().expect("grpc address");
        let aggregator_env = env;

        // The gateways (before the simulators, so the live feed misses nothing).
        let mut plans = Vec::new();
        for (i, v) in VENUES.iter().enumerate() {
            let mut env = common(Some(&format!("gw-{}", v.file)));
            match spec.layout {
                Layout::Ipc => env.extend(transport(&shared_aeron, false)),
                Layout::Udp => {
                    let own = aeron_dir(&format!("{}-gw{}", spec.test, v.id));
                    env.extend(transport(&own, true));
                    aeron_dirs.push(own);
                }
            }
            let orders_channel = match spec.layout {
                Layout::Ipc => "aeron:ipc".to_owned(),
                Layout::Udp => udp(orders[i]),
            };
            env.extend([
                kv(
                    "CROSSBAR_TRANSPORT__PUBLICATIONS__MARKET_DATA__CHANNEL",
                    &md_channel,
                ),
                kv(
                    "CROSSBAR_TRANSPORT__PUBLICATIONS__EXECUTIONS__CHANNEL",
                    &exec_channel,
                ),
                kv(
                    "CROSSBAR_TRANSPORT__SUBSCRIPTIONS__ORDERS__CHANNEL",
                    orders_channel,
                ),
                kv("CROSSBAR_FEED__ADDR", feeds[i]),
                kv("CROSSBAR_FEED__INTERFACE", "127.0.0.1"),
                kv("CROSSBAR_FEED__REQUEST_SERVER", requests[i]),
                kv("CROSSBAR_ORDER_ENTRY__VENUE_ADDR", ouch[i]),
                kv("CROSSBAR_ORDER_ENTRY__RECONNECT_INTERVAL_MS", 200),
                kv("CROSSBAR_BOOK__ORDERS", 65_536),
                kv("CROSSBAR_FEED_STATUS_INTERVAL_MS", 200),
                kv(
                    "CROSSBAR_CENTRE__HEARTBEAT_TIMEOUT_MS",
                    spec.centre_timeout_ms,
                ),
            ]);
            plans.push(GatewayPlan { env });
        }
        let mut gateways: [Option<ChildProcess>; 3] = [None, None, None];
        for (i, plan) in plans.iter().enumerate() {
            gateways[i] = Some(start_gateway(VENUES[i], plan));
        }

        // The simulators, each seeded from its own day file.
        let mut sims = Vec::new();
        for (i, v) in VENUES.iter().enumerate() {
            let day = day_file(dir.path(), &format!("{}.itch", v.file), &spec.books[i]);
            let mut env = common(None);
            env.extend([
                kv("CROSSBAR_CONTROL_ADDR", "127.0.0.1:0"),
                kv("CROSSBAR_FEED__DESTINATION", feeds[i]),
                kv("CROSSBAR_FEED__REQUEST_ADDR", requests[i]),
                kv("CROSSBAR_FEED__HEARTBEAT_INTERVAL_MS", 200),
                kv("CROSSBAR_OUCH__LISTEN_ADDR", ouch[i]),
                kv("CROSSBAR_HISTORY__BYTES", 1_048_576),
                kv("CROSSBAR_HISTORY__MESSAGES", 10_000),
                kv("CROSSBAR_LIMITS__ORDERS", 10_000),
            ]);
            let config = with_day_file(&deploy("venue-sim", v.file), &day);
            let config = write_file(dir.path(), &format!("{}.toml", v.file), &config);
            let mut process = ChildProcess::spawn(
                &format!("crossbar-venue-sim {}", v.name),
                &binary("crossbar-venue-sim", "crossbar-venue-sim"),
                &["--config", config.to_str().expect("utf-8 path")],
                &env_pairs(&env),
            );
            let ready = process.wait_for_line("VENUE_SIM_READY", DEADLINE);
            sims.push(Sim {
                control: field(&ready, "control").parse().expect("control"),
                ouch: field(&ready, "ouch").parse().expect("ouch"),
                process,
                venue: *v,
            });
        }
        for sim in &mut sims {
            sim.process.wait_for_line("VENUE_SIM_SEEDED", DEADLINE);
        }
        let platform = Self {
            dir,
            layout: spec.layout,
            aggregator: Some(aggregator),
            grpc,
            gateways,
            sims,
            plans,
            executions_endpoint: (spec.layout == Layout::Udp).then_some(exec),
            orders_endpoints: orders,
            aeron_dirs,
            aggregator_env,
        };
        platform.wait_venues_live(&["NASDAQ", "BX", "PSX"]);
        platform
    }

    /// Waits until `venues` are connected with a live feed at the aggregator, and stay so
    /// for a second (the gateways publish FeedStatus every 200 ms here).
    pub fn wait_venues_live(&self, venues: &[&str]) {
        let mut since: Option<Instant> = None;
        wait_until("venues live at the aggregator", || {
            let list = self.ctl_json(&["venues"]);
            let live = venues.iter().all(|name| {
                list.iter().any(|v| {
                    v["venue"] == *name
                        && v["session_state"] == "connected"
                        && v["feed_state"] == "ok"
                })
            });
            if !live {
                since = None;
                return Err(format!("{list:?}"));
            }
            let first = *since.get_or_insert_with(Instant::now);
            if first.elapsed() >= Duration::from_secs(1) {
                Ok(())
            } else {
                Err("live for less than a second".to_owned())
            }
        })
    }

    /// `crossbarctl --json ARGS` against the aggregator: (exit code, stdout, stderr).
    pub fn ctl(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(binary("crossbarctl", "crossbarctl"))
            .args(["--addr", &format!("http://{}", self.grpc), "--token", TOKEN])
            .arg("--json")
            .args(args)
            .output()
            .expect("run crossbarctl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `crossbarctl --json ARGS` that must succeed: one JSON value per output line.
    pub fn ctl_json(&self, args: &[&str]) -> Vec<Value> {
        let (code, stdout, stderr) = self.ctl(args);
        assert_eq!(code, 0, "crossbarctl {args:?}: {stderr}");
        stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// One parent order (`crossbarctl orders ID`). Reads come from the aggregator's latest
    /// snapshot (every `snapshot_interval_ms`), so a parent just submitted may not be there
    /// yet: NOT_FOUND is an `Err` here.
    pub fn parent(&self, id: u64) -> Result<Value, String> {
        let (code, stdout, stderr) = self.ctl(&["orders", &id.to_string()]);
        if code != 0 {
            return Err(stderr);
        }
        serde_json::from_str(stdout.lines().next().ok_or("no output")?).map_err(|e| e.to_string())
    }

    /// Submits a parent; returns its JSON.
    pub fn submit(&self, args: &[&str]) -> Value {
        let mut full = vec!["submit"];
        full.extend_from_slice(args);
        self.ctl_json(&full).remove(0)
    }

    /// Waits until parent `id` is in `state`; returns it.
    pub fn wait_parent(&self, id: u64, state: &str) -> Value {
        wait_until(&format!("parent {id} {state}"), || {
            let p = self.parent(id)?;
            if p["state"] == state {
                Ok(p)
            } else {
                Err(p.to_string())
            }
        })
    }

    /// The position of `symbol` (`crossbarctl positions --symbol`), or None when flat and
    /// never traded.
    pub fn position(&self, symbol: &str) -> Option<Value> {
        self.ctl_json(&["positions", "--symbol", symbol]).pop()
    }

    /// The journal directory of `name` (`aggregator`, `gw-nasdaq`, ...).
    pub fn journal(&self, name: &str) -> PathBuf {
        self.dir.path().join("journals").join(name)
    }

    /// `journal-inspect order ID <every journal> --json`: the records, merged by time.
    pub fn order_life(&self, id: u64) -> Vec<Value> {
        let mut cmd = Command::new(binary("crossbar-journal-inspect", "journal-inspect"));
        cmd.arg("order").arg(id.to_string());
        for name in ["aggregator", "gw-nasdaq", "gw-bx", "gw-psx"] {
            cmd.arg(self.journal(name));
        }
        let out = cmd.arg("--json").output().expect("run journal-inspect");
        assert!(
            out.status.success(),
            "journal-inspect: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("journal-inspect JSON"))
            .collect()
    }

    /// Starts the aggregator again (after a kill) with its configuration and journal; returns
    /// its `AGGREGATOR_READY` line. The gRPC address is the new one.
    pub fn restart_aggregator(&mut self) -> String {
        assert!(self.aggregator.is_none(), "the aggregator is running");
        let mut aggregator = ChildProcess::spawn(
            "crossbar-aggregator",
            &binary("crossbar-aggregator", "crossbar-aggregator"),
            &["--config", &deploy("aggregator", "aggregator")],
            &env_pairs(&self.aggregator_env),
        );
        let ready = aggregator.wait_for_line("AGGREGATOR_READY", DEADLINE);
        self.grpc = field(&ready, "grpc").parse().expect("grpc address");
        self.aggregator = Some(aggregator);
        ready
    }

    /// SIGKILLs gateway `index` (as a crash); returns what it printed.
    pub fn kill_gateway(&mut self, index: usize) -> Vec<String> {
        let (_, lines, _) = self.gateways[index].take().expect("gateway running").kill();
        lines
    }

    /// Starts gateway `index` again with its configuration and journal; returns its
    /// `GATEWAY_RECOVERED` line (the journal had records).
    pub fn restart_gateway(&mut self, index: usize) -> String {
        let mut process = start_gateway_process(VENUES[index], &self.plans[index]);
        let recovered = process.wait_for_line("GATEWAY_RECOVERED", DEADLINE);
        process.wait_for_line("GATEWAY_READY", DEADLINE);
        self.gateways[index] = Some(process);
        recovered
    }

    /// Starts gateway `index` again (after a kill) on an EMPTY journal directory, as a host
    /// that lost its disk: everything it had journaled is deleted first. Returns its
    /// `GATEWAY_READY` line.
    pub fn restart_gateway_fresh(&mut self, index: usize) -> String {
        assert!(self.gateways[index].is_none(), "the gateway is running");
        let journal = self.journal(&format!("gw-{}", VENUES[index].file));
        std::fs::remove_dir_all(&journal).expect("remove the gateway journal");
        std::fs::create_dir_all(&journal).expect("empty gateway journal");
        let mut process = start_gateway_process(VENUES[index], &self.plans[index]);
        let ready = process.wait_for_line("GATEWAY_READY", DEADLINE);
        self.gateways[index] = Some(process);
        ready
    }

    /// SIGTERMs every process (simulators, gateways, aggregator last: it owns the IPC
    /// driver) and checks each exits 0; returns the gateways' `GATEWAY_COUNTERS`.
    pub fn stop(self) -> Vec<std::collections::BTreeMap<String, u64>> {
        self.stop_all().0
    }

    /// [`Platform::stop`], also returning the aggregator's `AGGREGATOR_COUNTERS` (empty when
    /// it was not running).
    pub fn stop_all(
        mut self,
    ) -> (
        Vec<std::collections::BTreeMap<String, u64>>,
        std::collections::BTreeMap<String, u64>,
    ) {
        for sim in self.sims.drain(..) {
            let (status, _, stderr) = sim.process.terminate(DEADLINE);
            assert!(
                status.success(),
                "venue-sim {}: {status:?}\n{stderr}",
                sim.venue.name
            );
        }
        let mut all = Vec::new();
        for g in self.gateways.iter_mut() {
            if let Some(g) = g.take() {
                let (status, lines, stderr) = g.terminate(DEADLINE);
                assert!(status.success(), "gateway: {status:?}\n{stderr}");
                all.push(counters(&lines, "GATEWAY_COUNTERS"));
            }
        }
        let mut aggregator = std::collections::BTreeMap::new();
        if let Some(a) = self.aggregator.take() {
            let (status, lines, stderr) = a.terminate(DEADLINE);
            assert!(status.success(), "aggregator: {status:?}\n{stderr}");
            aggregator = counters(&lines, "AGGREGATOR_COUNTERS");
        }
        (all, aggregator)
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        // Children are killed by their own handles; remove the Aeron directories a killed
        // driver could not.
        self.sims.clear();
        for g in self.gateways.iter_mut() {
            g.take();
        }
        self.aggregator.take();
        for d in &self.aeron_dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn start_gateway(venue: VenueDef, plan: &GatewayPlan) -> ChildProcess {
    let mut process = start_gateway_process(venue, plan);
    process.wait_for_line("GATEWAY_READY", DEADLINE);
    process
}

fn start_gateway_process(venue: VenueDef, plan: &GatewayPlan) -> ChildProcess {
    ChildProcess::spawn(
        &format!("crossbar-gateway {}", venue.name),
        &binary("crossbar-gateway", "crossbar-gateway"),
        &["--config", &deploy("gateway", venue.file)],
        &env_pairs(&plan.env),
    )
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The value of `key=` in a ready line.
pub fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

/// `name=value` pairs of a `*_COUNTERS` line.
pub fn counters(lines: &[String], tag: &str) -> std::collections::BTreeMap<String, u64> {
    lines
        .iter()
        .find(|l| l.starts_with(tag))
        .unwrap_or_else(|| panic!("no {tag} in {lines:?}"))
        .split_whitespace()
        .skip(1)
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(u64::MAX)))
        .collect()
}

/// Dollars with 4 decimals, as crossbarctl prints and takes prices.
pub fn dollars(price: i64) -> String {
    format!("{}.{:04}", price / 10_000, price % 10_000)
}

// ---------------------------------------------------------------- a trader outside the platform

/// A SoupBinTCP 3.0 client of a simulator logged in with the venue's second account, sending
/// OUCH 5.0 Enter Orders (§2.1); its answers are read through the simulator's `status`.
pub struct OtherTrader {
    stream: TcpStream,
    next_token: u32,
}

impl OtherTrader {
    /// Connects and sends a Login Request (SoupBinTCP §2.3.1) for new messages only.
    pub fn login(sim: &Sim) -> Self {
        use crossbar_soupbintcp::{Packet, Password, SessionId, Username};
        let mut trader = Self {
            stream: TcpStream::connect(sim.ouch).expect("connect to the venue's OUCH port"),
            next_token: 1,
        };
        trader.stream.set_nodelay(true).unwrap();
        trader.write(&Packet::LoginRequest {
            username: Username::new(sim.venue.other_account).unwrap(),
            password: Password::new(sim.venue.other_password).unwrap(),
            requested_session: SessionId::BLANK,
            requested_sequence_number: 0,
        });
        trader
    }

    fn write(&mut self, packet: &crossbar_soupbintcp::Packet<'_>) {
        let mut out = [0u8; 512];
        let n = packet.encode(&mut out).unwrap();
        self.stream.write_all(&out[..n]).unwrap();
    }

    /// An immediate-or-cancel limit order of `qty` shares of `symbol` at `price`.
    pub fn ioc(&mut self, side: Side, symbol: &str, price: i64, qty: u32) {
        use crossbar_ouch::{
            Capacity, ClOrdId, CrossType, Display, EnterOrder, IntermarketSweep, OptionsView,
            OrderSide, Symbol, UserRefNum,
        };
        let token = self.next_token;
        self.next_token += 1;
        let order = EnterOrder {
            user_ref_num: UserRefNum(token),
            side: OrderSide::from(side),
            quantity: Qty(qty),
            symbol: Symbol::new(symbol).unwrap(),
            price: Price(price),
            time_in_force: crossbar_ouch::TimeInForce::Ioc,
            display: Display::Visible,
            capacity: Capacity::Agency,
            intermarket_sweep: IntermarketSweep::NotEligible,
            cross_type: CrossType::Continuous,
            cl_ord_id: ClOrdId::new(&format!("OTHER{token}")).unwrap(),
            options: OptionsView::EMPTY,
        };
        let mut buf = [0u8; 128];
        let n = order.encode(&mut buf).unwrap();
        self.write(&crossbar_soupbintcp::Packet::UnsequencedData { message: &buf[..n] });
    }
}
