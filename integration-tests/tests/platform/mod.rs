//! The NASDAQ venue simulator and the gateway as two real processes, and the test as the
//! centre: an Aeron client of the gateway's embedded (shared-threading) media driver that
//! publishes SBE orders and rebuilds the venue's book from the gateway's SBE market data.
//!
//! ```text
//!  crossbar-venue-sim ── ITCH/MoldUDP64 (UDP, unicast or multicast) ──► crossbar-gateway
//!        ▲   ▲        ◄── MoldUDP64 re-requests (UDP) ────────────────────┘   │ ▲
//!        │   └─────── OUCH 5.0 / SoupBinTCP (TCP) ◄───────────────────────────┘ │
//!   control (TCP: book, drop, cut, status)            Aeron IPC: market data 1003,
//!        └──────────────────────── this test ───────── executions 1002, orders 1101
//! ```
//!
//! Every port is chosen at run time; both processes idle with sleep/backoff strategies.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbar_integration_tests::{
    aeron_dir, binary, free_tcp_port, free_udp_port, write_file, ChildProcess,
};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
use crossbar_sbe::{BookAction, CreditGrant, FeedState, FeedStatus, Message, NewChildOrder};
use crossbar_transport::{Publisher, StreamConfig, Subscriber, Transport, TransportConfig};

/// Every wait on a condition ends after this (the machine is small and shared).
pub const DEADLINE: Duration = Duration::from_secs(60);
/// The deploy configs' universe (deploy/venue-sim/*.toml, deploy/gateway/*.toml).
pub const DEPLOY_UNIVERSE: [&str; 8] = [
    "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO",
];
pub const GATEWAY_ID: u16 = 1;
pub const VENUE_ID: u16 = 1;
pub const ACCOUNT: &str = "GW1A";
const PASSWORD: &str = "gw1apass";
/// A second venue account the test trades on directly (not through the gateway).
pub const OTHER_ACCOUNT: &str = "GW1B";
const OTHER_PASSWORD: &str = "gw1bpass";
const FEED_SESSION: &str = "ITESTFEED1";
/// Credit granted per instrument, each side (shares) and notional (1/10,000 $: $100M).
const CREDIT_SHARES: u64 = 1_000_000;
const CREDIT_NOTIONAL: i64 = 1_000_000_000_000;
/// The gateway's book depth; the simulator's `book` command is asked for up to 1,000 levels.
const LEVELS_PER_SIDE: u32 = 1024;
const BOOK_DEPTH: usize = 1000;

/// (price in 1/10,000 $, shares, orders), best first.
pub type Ladder = Vec<(i64, u64, u32)>;

// ---------------------------------------------------------------- addresses

/// Where the feed goes and where the simulator's servers listen, all picked at run time.
pub struct Ports {
    /// The simulator's `feed.destination` and the gateway's `feed.addr`.
    pub feed: SocketAddr,
    pub multicast: bool,
    pub request: SocketAddr,
    pub ouch: SocketAddr,
}

impl Ports {
    /// Unicast feed to a loopback port the gateway binds.
    pub fn unicast() -> Self {
        Self::with_feed(SocketAddr::from(([127, 0, 0, 1], free_udp_port())), false)
    }

    /// Feed to an administratively scoped multicast group (RFC 2365) on loopback: the
    /// simulator sends through 127.0.0.1, the gateway joins on 127.0.0.1. The group's low
    /// bytes come from the process id so parallel test runs do not share a group.
    pub fn multicast() -> Self {
        let pid = std::process::id();
        let group = [239, 255, (pid >> 8) as u8, pid as u8];
        Self::with_feed(SocketAddr::from((group, free_udp_port())), true)
    }

    fn with_feed(feed: SocketAddr, multicast: bool) -> Self {
        Self {
            feed,
            multicast,
            request: SocketAddr::from(([127, 0, 0, 1], free_udp_port())),
            ouch: SocketAddr::from(([127, 0, 0, 1], free_tcp_port())),
        }
    }
}

// ---------------------------------------------------------------- configurations

/// The simulator's configuration: sleep idle, NASDAQ fees, one account for the gateway,
/// `seed_source` as the `[seed.source]` table body and `seed` as the `[seed]` body.
pub fn sim_toml(ports: &Ports, seed: &str, seed_source: &str) -> String {
    let interface = if ports.multicast {
        "interface = \"127.0.0.1\"\nmulticast_loopback = true\n"
    } else {
        ""
    };
    format!(
        r#"venue = "NASDAQ"
venue_id = {VENUE_ID}
control_addr = "127.0.0.1:0"
idle = {{ kind = "sleep", sleep_ns = 200000 }}
[logging]
level = "warn"
[feed]
session = "{FEED_SESSION}"
destination = "{feed}"
{interface}request_addr = "{request}"
heartbeat_interval_ms = 200
[history]
bytes = 16777216
messages = 200000
[ouch]
listen_addr = "{ouch}"
session = "ITESTOUCH"
accounts = [ {{ username = "{ACCOUNT}", password = "{PASSWORD}" }}, {{ username = "{OTHER_ACCOUNT}", password = "{OTHER_PASSWORD}" }} ]
[fees]
taker_fee_per_share = 30
maker_rebate_per_share = 20
[limits]
instruments = 16
orders = 200000
levels_per_side = 4096
[seed]
{seed}
[seed.source]
{seed_source}
"#,
        feed = ports.feed,
        request = ports.request,
        ouch = ports.ouch,
    )
}

/// The generator over `symbols` (locates 1.. in that order).
pub fn generator_source(seed: u64, symbols: &[&str], messages: u64) -> String {
    let list: Vec<String> = symbols.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "kind = \"generator\"\nseed = {seed}\nsymbols = [{}]\nmessages = {messages}\n",
        list.join(", ")
    )
}

/// The gateway's configuration: backoff idle, 100 ms FeedStatus, its own shared-threading
/// media driver in `aeron`, default IPC streams, its audit journal in `journal` (one per
/// test: a journal is replayed at start-up). No start-up credit: the test grants it with
/// CreditGrant. The centre-silence rule is off (`centre.heartbeat_timeout_ms = 0`): these
/// tests are about the venue side, and the test's polling loops are no heartbeat source.
pub fn gateway_toml(
    ports: &Ports,
    universe: &[&str],
    aeron: &Path,
    journal: &Path,
    reconnect_ms: u64,
) -> String {
    let instruments: Vec<String> = universe.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"gateway_id = {GATEWAY_ID}
venue_id = {VENUE_ID}
venue = "NASDAQ"
instruments = [{instruments}]
heartbeat_interval_ms = 100
feed_status_interval_ms = 100
idle = {{ kind = "backoff", max_park_ns = 200000 }}
[logging]
level = "warn"
[feed]
addr = "{feed}"
interface = "127.0.0.1"
request_server = "{request}"
session = "{FEED_SESSION}"
request_timeout_ms = 100
request_attempts_max = 100
[book]
orders = 262144
levels_per_side = {LEVELS_PER_SIDE}
[order_entry]
venue_addr = "{ouch}"
username = "{ACCOUNT}"
password = "{PASSWORD}"
reconnect_interval_ms = {reconnect_ms}
[centre]
heartbeat_timeout_ms = 0
[journal]
dir = "{journal}"
[transport]
aeron_dir = "{aeron}"
embedded_driver = true
driver_threading = "shared"
ipc_term_buffer_length = 1048576
idle = {{ kind = "backoff" }}
driver_idle = {{ kind = "backoff" }}
"#,
        instruments = instruments.join(", "),
        feed = ports.feed,
        request = ports.request,
        ouch = ports.ouch,
        aeron = aeron.display(),
        journal = journal.display(),
    )
}

// ---------------------------------------------------------------- the simulator

/// The running simulator and its control channel.
pub struct Sim {
    pub process: ChildProcess,
    pub control: SocketAddr,
}

fn addr_in(line: &str, key: &str) -> SocketAddr {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {line}: {e}"))
}

fn number_in(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {line}: {e}"))
}

impl Sim {
    /// Starts `crossbar-venue-sim` and waits for `VENUE_SIM_READY` (sockets bound; seeding
    /// runs from here on).
    pub fn start(dir: &Path, toml: &str, ports: &Ports) -> Self {
        let config = write_file(dir, "venue-sim.toml", toml);
        let mut process = ChildProcess::spawn(
            "crossbar-venue-sim",
            &binary("crossbar-venue-sim", "crossbar-venue-sim"),
            &["--config", config.to_str().expect("utf-8 path")],
            &[],
        );
        let ready = process.wait_for_line("VENUE_SIM_READY", DEADLINE);
        assert_eq!(addr_in(&ready, "request"), ports.request, "{ready}");
        assert_eq!(addr_in(&ready, "ouch"), ports.ouch, "{ready}");
        Self {
            control: addr_in(&ready, "control"),
            process,
        }
    }

    /// Waits for `VENUE_SIM_SEEDED`; returns its `next_seq` (messages `1..next_seq` are the
    /// seeded history).
    pub fn wait_seeded(&mut self) -> u64 {
        let line = self.process.wait_for_line("VENUE_SIM_SEEDED", DEADLINE);
        number_in(&line, "next_seq")
    }

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
    pub fn ok(&self, line: &str) -> serde_json::Value {
        let reply = self.command(line);
        let json = reply
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("{line}: {reply}"));
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{line}: {e}: {json}"))
    }

    pub fn status(&self) -> serde_json::Value {
        self.ok("status")
    }

    /// The gateway account's entry of `status.sessions`.
    pub fn session(&self) -> serde_json::Value {
        self.session_of(ACCOUNT)
    }

    /// `account`'s entry of `status.sessions`.
    pub fn session_of(&self, account: &str) -> serde_json::Value {
        let status = self.status();
        status["sessions"]
            .as_array()
            .expect("sessions")
            .iter()
            .find(|s| s["username"] == account)
            .cloned()
            .unwrap_or_else(|| panic!("no {account} in {status}"))
    }

    /// `book <symbol> 1000`: (bids, asks), best first.
    pub fn book(&self, symbol: &str) -> (Ladder, Ladder) {
        let book = self.ok(&format!("book {symbol} {BOOK_DEPTH}"));
        let side = |key: &str| -> Ladder {
            let levels = book[key].as_array().expect("levels");
            assert!(
                levels.len() < BOOK_DEPTH,
                "{symbol} {key}: {BOOK_DEPTH} levels or more, the comparison would be cut short"
            );
            levels
                .iter()
                .map(|l| {
                    (
                        l["price"].as_i64().unwrap(),
                        l["qty"].as_u64().unwrap(),
                        l["orders"].as_u64().unwrap() as u32,
                    )
                })
                .collect()
        };
        (side("bids"), side("asks"))
    }

    /// Every symbol's book.
    pub fn books(&self, symbols: &[&str]) -> BTreeMap<String, (Ladder, Ladder)> {
        symbols
            .iter()
            .map(|s| (s.to_string(), self.book(s)))
            .collect()
    }
}

// ---------------------------------------------------------------- the book over SBE

/// The book the centre rebuilds from the gateway's SBE market data (BookLevelDelta with the
/// full-refresh clear-side marker `Delete` at level index 65,535, TopOfBook), plus every
/// FeedStatus seen.
#[derive(Debug, Default)]
pub struct Mirror {
    pub sides: BTreeMap<(u32, u8), Ladder>,
    /// instrument → [bid price, bid qty, ask price, ask qty].
    pub tops: BTreeMap<u32, [i64; 4]>,
    pub feed: Vec<FeedStatus>,
    pub deltas: usize,
    pub refreshes: usize,
}

impl Mirror {
    pub fn apply(&mut self, message: Message) {
        match message {
            Message::BookLevelDelta(d) => {
                self.deltas += 1;
                for l in &d.levels {
                    let ladder = self
                        .sides
                        .entry((d.instrument_id.0, l.side.code()))
                        .or_default();
                    let i = usize::from(l.level_index);
                    let entry = (l.price.0, l.qty, l.order_count);
                    match l.action {
                        BookAction::Delete if l.level_index == u16::MAX => {
                            ladder.clear();
                            self.refreshes += 1;
                        }
                        BookAction::New => {
                            assert!(i <= ladder.len(), "New at {i} past {ladder:?}");
                            ladder.insert(i, entry);
                        }
                        BookAction::Change => {
                            assert_eq!(ladder.get(i).map(|l| l.0), Some(entry.0), "Change {i}");
                            ladder[i] = entry;
                        }
                        BookAction::Delete => {
                            assert_eq!(ladder.get(i).map(|l| l.0), Some(entry.0), "Delete {i}");
                            ladder.remove(i);
                        }
                        other => panic!("unexpected book action {other:?}"),
                    }
                }
            }
            Message::TopOfBook(t) => {
                let top = [
                    t.bid_price.0,
                    t.bid_qty as i64,
                    t.ask_price.0,
                    t.ask_qty as i64,
                ];
                self.tops.insert(t.instrument_id.0, top);
            }
            Message::FeedStatus(f) => self.feed.push(f),
            Message::InstrumentStatus(_) | Message::Heartbeat(_) => {}
            other => panic!("unexpected on the market-data stream: {other:?}"),
        }
    }

    /// `sim`'s books keyed by symbol against this mirror keyed by universe index: the first
    /// difference (levels of either side, or the top), `None` when equal.
    pub fn difference(
        &self,
        universe: &[&str],
        sim: &BTreeMap<String, (Ladder, Ladder)>,
    ) -> Option<String> {
        for (id, symbol) in universe.iter().enumerate() {
            let id = id as u32;
            let (bids, asks) = &sim[*symbol];
            for (side, want) in [(Side::Buy, bids), (Side::Sell, asks)] {
                let got = self
                    .sides
                    .get(&(id, side.code()))
                    .cloned()
                    .unwrap_or_default();
                if &got != want {
                    return Some(format!(
                        "{symbol} (id {id}) {side:?}: gateway {got:?} simulator {want:?}"
                    ));
                }
            }
            let touch = |l: &Ladder| l.first().map_or((0, 0), |l| (l.0, l.1 as i64));
            let ((bp, bq), (ap, aq)) = (touch(bids), touch(asks));
            let got = self.tops.get(&id).copied().unwrap_or([0; 4]);
            if got != [bp, bq, ap, aq] {
                return Some(format!(
                    "{symbol} (id {id}) top: gateway {got:?} simulator {:?}",
                    [bp, bq, ap, aq]
                ));
            }
        }
        None
    }
}

// ---------------------------------------------------------------- the centre (Aeron)

/// An external Aeron client of the gateway's driver: orders out, market data and executions
/// in.
pub struct Centre {
    orders: Publisher,
    market_data: Subscriber,
    executions: Subscriber,
    _transport: Transport,
    idle: IdleStrategy,
}

impl Centre {
    pub fn connect(aeron: &Path) -> Self {
        let config = TransportConfig {
            aeron_dir: aeron.to_owned(),
            embedded_driver: false,
            ipc_term_buffer_length: 1_048_576,
            ..TransportConfig::default()
        };
        let mut transport = Transport::start(config).expect("connect to the gateway's driver");
        let mut idle = IdleStrategy::new(IdleStrategyConfig::default());
        let orders = transport
            .add_publication_with(
                "orders",
                &StreamConfig::new("aeron:ipc", 1100 + i32::from(GATEWAY_ID)),
            )
            .unwrap();
        orders.wait_connected(DEADLINE, &mut idle).unwrap();
        let market_data = transport
            .add_subscription_with("market_data", &StreamConfig::new("aeron:ipc", 1003))
            .unwrap();
        market_data.wait_connected(DEADLINE, &mut idle).unwrap();
        let executions = transport
            .add_subscription_with("executions", &StreamConfig::new("aeron:ipc", 1002))
            .unwrap();
        executions.wait_connected(DEADLINE, &mut idle).unwrap();
        Self {
            orders,
            market_data,
            executions,
            _transport: transport,
            idle,
        }
    }

    pub fn send(&mut self, message: &Message) {
        let mut buf = [0u8; 1024];
        let len = crossbar_sbe::encode(message, &mut buf).unwrap();
        self.orders
            .offer_with_retry(&buf[..len], 1_000_000, &mut self.idle)
            .unwrap();
    }

    /// Applies market data to `mirror` until `done(mirror)` (checked after every poll).
    pub fn market_data_until(
        &mut self,
        mirror: &mut Mirror,
        what: &str,
        mut done: impl FnMut(&Mirror) -> bool,
    ) {
        let start = Instant::now();
        while !done(mirror) {
            assert!(
                start.elapsed() < DEADLINE,
                "market data never reached: {what}; last feed status {:?}",
                mirror.feed.last()
            );
            let n = self
                .market_data
                .poll(
                    &mut |bytes: &[u8]| mirror.apply(crossbar_sbe::decode(bytes).unwrap()),
                    256,
                )
                .unwrap();
            self.idle.idle(n);
        }
    }

    /// Waits until the gateway says it applied every message below `next_seq` and its feed
    /// is Ok.
    pub fn caught_up(&mut self, mirror: &mut Mirror, next_seq: u64) {
        self.market_data_until(mirror, &format!("feed Ok through {next_seq}"), |m| {
            m.feed
                .last()
                .is_some_and(|f| f.feed_state == FeedState::Ok && f.expected_sequence >= next_seq)
        });
    }

    /// Keeps applying market data until the mirror equals `sim` (instruments refused under
    /// back pressure arrive later as full refreshes); panics with the difference after the
    /// deadline.
    pub fn books_equal(
        &mut self,
        mirror: &mut Mirror,
        universe: &[&str],
        sim: &BTreeMap<String, (Ladder, Ladder)>,
    ) {
        let start = Instant::now();
        while let Some(difference) = mirror.difference(universe, sim) {
            assert!(start.elapsed() < DEADLINE, "books differ: {difference}");
            let n = self
                .market_data
                .poll(
                    &mut |bytes: &[u8]| mirror.apply(crossbar_sbe::decode(bytes).unwrap()),
                    256,
                )
                .unwrap();
            self.idle.idle(n);
        }
    }

    /// Polls the execution stream into `out` (heartbeats left out) until `done(out)`.
    pub fn executions_until(
        &mut self,
        out: &mut Vec<Message>,
        what: &str,
        mut done: impl FnMut(&[Message]) -> bool,
    ) {
        let start = Instant::now();
        while !done(out) {
            assert!(
                start.elapsed() < DEADLINE,
                "executions never reached: {what}; got {out:#?}"
            );
            let n = self.poll_executions(out);
            self.idle.idle(n);
        }
    }

    /// One poll of the execution stream into `out`; returns the fragments read.
    pub fn poll_executions(&mut self, out: &mut Vec<Message>) -> usize {
        self.executions
            .poll(
                &mut |bytes: &[u8]| match crossbar_sbe::decode(bytes).unwrap() {
                    Message::Heartbeat(_) => {}
                    m => out.push(m),
                },
                256,
            )
            .unwrap()
    }
}

/// A child order from the centre (origin 0) for instrument `id` of the universe.
pub fn child_order(
    sequence: u64,
    id: u32,
    side: Side,
    price: i64,
    qty: u32,
    tif: TimeInForce,
) -> Message {
    Message::NewChildOrder(NewChildOrder {
        order_id: order_id(sequence),
        parent_order_id: OrderId(1_000_000 + sequence),
        instrument_id: InstrumentId(id),
        venue_id: VenueId(VENUE_ID),
        side,
        time_in_force: tif,
        price: Price(price),
        qty: Qty(qty),
        timestamp_ns: 1,
    })
}

pub fn order_id(sequence: u64) -> OrderId {
    OrderId::new(GatewayId(0), sequence).unwrap()
}

// ---------------------------------------------------------------- the whole platform

/// The gateway (started first, so nothing the simulator sends is missed), the centre
/// subscribed to it, then the simulator.
pub struct Platform {
    pub sim: Sim,
    pub gateway: ChildProcess,
    pub centre: Centre,
    pub mirror: Mirror,
    pub universe: Vec<&'static str>,
    pub aeron: PathBuf,
    ouch: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Platform {
    /// `universe` is the gateway's instrument list (its order is the platform's ids, not
    /// the venue's locates).
    pub fn start(
        test: &str,
        ports: Ports,
        universe: &[&'static str],
        seed: &str,
        seed_source: &str,
    ) -> Self {
        Self::start_with(test, ports, universe, seed, seed_source, 100)
    }

    /// [`Platform::start`] with the gateway's OUCH reconnect interval in ms.
    pub fn start_with(
        test: &str,
        ports: Ports,
        universe: &[&'static str],
        seed: &str,
        seed_source: &str,
        reconnect_ms: u64,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let aeron = aeron_dir(test);
        let config = write_file(
            dir.path(),
            "gateway.toml",
            &gateway_toml(
                &ports,
                universe,
                &aeron,
                &dir.path().join("journal"),
                reconnect_ms,
            ),
        );
        let mut gateway = ChildProcess::spawn(
            "crossbar-gateway",
            &binary("crossbar-gateway", "crossbar-gateway"),
            &["--config", config.to_str().expect("utf-8 path")],
            &[],
        );
        let ready = gateway.wait_for_line("GATEWAY_READY", DEADLINE);
        assert!(
            ready.starts_with(&format!(
                "GATEWAY_READY venue=NASDAQ gateway_id={GATEWAY_ID} feed="
            )),
            "{ready}"
        );
        let mut centre = Centre::connect(&aeron);
        for id in 0..universe.len() as u32 {
            centre.send(&Message::CreditGrant(CreditGrant {
                gateway_id: GatewayId(GATEWAY_ID),
                instrument_id: InstrumentId(id),
                grant_sequence: 1,
                buy_qty: CREDIT_SHARES,
                sell_qty: CREDIT_SHARES,
                notional: CREDIT_NOTIONAL,
                timestamp_ns: 1,
            }));
        }
        let ouch = ports.ouch;
        let sim = Sim::start(dir.path(), &sim_toml(&ports, seed, seed_source), &ports);
        Self {
            sim,
            gateway,
            centre,
            mirror: Mirror::default(),
            universe: universe.to_vec(),
            aeron,
            ouch,
            _dir: dir,
        }
    }

    /// Waits for the simulator's seeding and for the gateway to have applied all of it;
    /// returns the seeded `next_seq`.
    pub fn seeded_and_caught_up(&mut self) -> u64 {
        let next_seq = self.sim.wait_seeded();
        self.centre.caught_up(&mut self.mirror, next_seq);
        next_seq
    }

    /// Asserts (waiting up to the deadline) that the book rebuilt from the gateway's market
    /// data equals the simulator's `book` output for every universe symbol.
    pub fn assert_books_equal(&mut self) -> BTreeMap<String, (Ladder, Ladder)> {
        let books = self.sim.books(&self.universe);
        let universe = self.universe.clone();
        self.centre.books_equal(&mut self.mirror, &universe, &books);
        books
    }

    /// The simulator's OUCH address.
    pub fn sim_ouch(&self) -> SocketAddr {
        self.ouch
    }

    /// The gateway's universe index of `symbol`.
    pub fn id(&self, symbol: &str) -> u32 {
        self.universe
            .iter()
            .position(|s| *s == symbol)
            .unwrap_or_else(|| panic!("{symbol} not in the universe")) as u32
    }

    /// SIGTERM to the gateway (exit 0 and its `GATEWAY_COUNTERS`), then to the simulator
    /// (exit 0, `VENUE_SIM_STOPPED`).
    pub fn stop(self) -> BTreeMap<String, u64> {
        let (status, lines, stderr) = self.gateway.terminate(DEADLINE);
        assert!(status.success(), "gateway exit {status:?}\n{stderr}");
        let counters = lines
            .iter()
            .find(|l| l.starts_with("GATEWAY_COUNTERS"))
            .unwrap_or_else(|| panic!("no GATEWAY_COUNTERS in {lines:?}\n{stderr}"))
            .split_whitespace()
            .skip(1)
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(u64::MAX)))
            .collect();
        let (status, lines, stderr) = self.sim.process.terminate(DEADLINE);
        assert!(status.success(), "venue-sim exit {status:?}\n{stderr}");
        assert!(
            lines.iter().any(|l| l.starts_with("VENUE_SIM_STOPPED")),
            "{lines:?}"
        );
        counters
    }
}

// ---------------------------------------------------------------- a direct venue client

/// A SoupBinTCP 3.0 client of the simulator logged in as [`OTHER_ACCOUNT`], sending OUCH 5.0
/// Enter Orders (§2.1); the venue's answers are read back through `status`, not here.
pub struct OtherTrader {
    stream: TcpStream,
    next_token: u32,
}

impl OtherTrader {
    /// Connects and sends a Login Request (SoupBinTCP §2.3.1) for new messages only.
    pub fn login(ouch: SocketAddr) -> Self {
        use crossbar_soupbintcp::{Packet, Password, SessionId, Username};
        let mut trader = Self {
            stream: TcpStream::connect(ouch).expect("connect to the venue's OUCH port"),
            next_token: 1,
        };
        trader.stream.set_nodelay(true).unwrap();
        trader.write(&Packet::LoginRequest {
            username: Username::new(OTHER_ACCOUNT).unwrap(),
            password: Password::new(OTHER_PASSWORD).unwrap(),
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

    /// An immediate-or-cancel limit buy of `qty` shares of `symbol` at `price`.
    pub fn buy_ioc(&mut self, symbol: &str, price: i64, qty: u32) {
        use crossbar_ouch::{
            Capacity, ClOrdId, CrossType, Display, EnterOrder, IntermarketSweep, OptionsView,
            OrderSide, Symbol, UserRefNum,
        };
        let token = self.next_token;
        self.next_token += 1;
        let order = EnterOrder {
            user_ref_num: UserRefNum(token),
            side: OrderSide::from(Side::Buy),
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
