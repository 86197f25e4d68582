//! Gateway → aggregator → gateway round trip through the real `crossbar-aggregator` process
//! (issue 4), the path `benches/centre_round_trip.rs` times: a venue cancels an IOC child with
//! nothing filled (the SBE ExecutionReport a gateway sends for an OUCH 5.0 §2.2.1 Order
//! Accepted in state Dead, `crossbar-order-entry`), and the router re-routes the child's leaves
//! as the parent's next IOC child on the executions → orders streams.
//!
//! The test process stands in for the three gateways with the code a gateway uses
//! (`crossbar-transport` `Publisher`/`Subscriber`, `crossbar-sbe` `encode`/`decode_view`) and
//! for the operator (gRPC Orders.Submit). Over Aeron IPC through the aggregator's embedded
//! SHARED driver, backoff idle everywhere, it runs one parent to its per-parent child cap and
//! checks every answer field by field. The harness is [`centre`]; the bench includes this file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbar_api::proto;
use crossbar_integration_tests::{aeron_dir, binary};

/// The harness shared with `benches/centre_round_trip.rs`: the aggregator process with its own
/// configuration, and one process standing in for the three gateways.
#[allow(dead_code)]
pub mod centre {
    use super::*;
    use crossbar_api::proto::orders_client::OrdersClient;
    use crossbar_api::proto::venues_client::VenuesClient;
    use crossbar_integration_tests::{free_udp_port, write_file, ChildProcess};
    use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
    use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
    use crossbar_sbe::{self as sbe, decode_view, Message, MessageView};
    use crossbar_transport::{
        DriverThreading, Publisher, StreamConfig, Subscriber, Transport, TransportConfig,
    };
    use std::fmt::Write as _;
    use tonic::transport::Channel;

    /// Every set-up wait ends after this.
    pub const DEADLINE: Duration = Duration::from_secs(60);
    /// The aggregator's API token (written into its configuration).
    pub const TOKEN: &str = "centre-round-trip-token-0123456789";
    /// The deploy universe (`deploy/aggregator/aggregator.toml`): `InstrumentId` = index.
    pub const UNIVERSE: [&str; 8] = [
        "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO",
    ];
    /// The parents' instrument, AAPL.
    pub const INSTRUMENT: InstrumentId = InstrumentId(0);
    /// NASDAQ (platform venue 1, gateway 1) offers 10,000 at $100.01 (1/10,000 $); BX and PSX
    /// offer above every parent's limit, so each child goes to NASDAQ.
    pub const NASDAQ_ASK: i64 = 1_000_100;
    /// Every parent: buy this many shares, IOC, Sweep, limit [`NASDAQ_ASK`].
    pub const PARENT_QTY: u32 = 100;
    /// `[router] max_children_per_parent` (the deploy value): a parent sends this many IOC
    /// children, so one parent gives `CHILDREN_PER_PARENT - 1` re-routes.
    pub const CHILDREN_PER_PARENT: u32 = 64;
    /// Gateways' heartbeats are sent (between round trips) this often; the aggregator's
    /// `venue_timeout_ms` is 3,000.
    const HEARTBEAT_EVERY: Duration = Duration::from_millis(200);
    /// Aeron term buffer length, bytes (the transport default, both media).
    pub const TERM_LENGTH: usize = 4 * 1024 * 1024;
    /// Fragments per poll of an orders stream.
    const FRAGMENTS: usize = 16;

    /// How the processes reach each other.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Medium {
        /// One host: the aggregator's embedded driver (SHARED threading), the gateways its
        /// external client, `aeron:ipc` (ops/platform.sh).
        Ipc,
        /// Cross-host deploy layout: a driver per process (SHARED), UDP loopback endpoints.
        Udp,
    }

    /// How every loop waits: the aggregator's router thread (`idle`), both media drivers
    /// (`transport.driver_idle`) and the stand-in gateway.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Wait {
        /// Busy-spin (router thread and gateway); the drivers yield.
        Spin,
        /// `sched_yield` everywhere.
        Yield,
        /// Backoff (spin, yield, park 1 µs..1 ms) everywhere.
        Backoff,
    }

    impl Wait {
        /// The runtime idle strategy of the router thread and the gateway.
        pub fn loop_idle(self) -> IdleStrategyConfig {
            match self {
                Wait::Spin => IdleStrategyConfig::BusySpin,
                Wait::Yield => IdleStrategyConfig::Yield,
                Wait::Backoff => backoff(),
            }
        }

        /// The drivers' idle strategy: never busy-spin (a third thread on two cores).
        pub fn driver_idle(self) -> IdleStrategyConfig {
            match self {
                Wait::Spin | Wait::Yield => IdleStrategyConfig::Yield,
                Wait::Backoff => backoff(),
            }
        }
    }

    fn backoff() -> IdleStrategyConfig {
        IdleStrategyConfig::Backoff {
            max_spins: 10,
            max_yields: 5,
            min_park_ns: 1_000,
            max_park_ns: 1_000_000,
        }
    }

    /// `idle = ...` in the aggregator's TOML.
    fn idle_toml(idle: IdleStrategyConfig) -> String {
        match idle {
            IdleStrategyConfig::BusySpin => r#"{ kind = "busy_spin" }"#.to_owned(),
            IdleStrategyConfig::Yield => r#"{ kind = "yield" }"#.to_owned(),
            IdleStrategyConfig::Backoff {
                max_spins,
                max_yields,
                min_park_ns,
                max_park_ns,
            } => format!(
                "{{ kind = \"backoff\", max_spins = {max_spins}, max_yields = {max_yields}, \
                 min_park_ns = {min_park_ns}, max_park_ns = {max_park_ns} }}"
            ),
            IdleStrategyConfig::Sleep { sleep_ns } => {
                format!("{{ kind = \"sleep\", sleep_ns = {sleep_ns} }}")
            }
        }
    }

    /// Where each stream lives, as both sides are configured.
    struct Channels {
        market_data: String,
        executions: String,
        orders: [String; 3],
    }

    impl Channels {
        fn new(medium: Medium) -> Self {
            match medium {
                Medium::Ipc => Self {
                    market_data: "aeron:ipc".into(),
                    executions: "aeron:ipc".into(),
                    orders: ["aeron:ipc".into(), "aeron:ipc".into(), "aeron:ipc".into()],
                },
                Medium::Udp => {
                    let udp = || format!("aeron:udp?endpoint=127.0.0.1:{}", free_udp_port());
                    Self {
                        market_data: udp(),
                        executions: udp(),
                        orders: [udp(), udp(), udp()],
                    }
                }
            }
        }
    }

    /// The aggregator's configuration: `deploy/aggregator/aggregator.toml` (venues, fees,
    /// router and risk limits, control, intervals) with this run's idle strategies, Aeron
    /// directory and channels, journal directory and an ephemeral gRPC port.
    fn aggregator_toml(
        aeron: &Path,
        journal: &Path,
        channels: &Channels,
        wait: Wait,
        small_journal: bool,
    ) -> String {
        let universe = UNIVERSE.map(|s| format!("\"{s}\"")).join(", ");
        let journal_sizing = if small_journal {
            "segment_size_bytes = 1048576\npretouch = false\n"
        } else {
            ""
        };
        format!(
            r#"router_id = 0
instruments = [{universe}]
heartbeat_interval_ms = 1000
venue_timeout_ms = 3000
snapshot_interval_ms = 100
idle = {idle}

[logging]
level = "warn"

[[venues]]
venue_id = 1
name = "NASDAQ"
gateway_id = 1
taker_fee_ticks = 30
maker_rebate_ticks = 20

[[venues]]
venue_id = 2
name = "BX"
gateway_id = 2
taker_fee_ticks = -6
maker_rebate_ticks = -20

[[venues]]
venue_id = 3
name = "PSX"
gateway_id = 3
taker_fee_ticks = 28
maker_rebate_ticks = 10

[router]
book_depth = 16
max_parents = 4096
max_children = 16384
max_children_per_parent = {cap}
latency_penalty_ticks_per_ms = 1
queue_penalty_ticks_per_10k_shares = 1

[risk]
max_gross_notional_total = 1000000000000
max_net_notional_total = 500000000000

[risk.defaults]
max_position = 100000
max_order_qty = 10000
max_order_notional = 10000000000
max_gross_notional = 100000000000
max_net_notional = 50000000000
credit_notional = 200000000000
price_collar_bps = 500
max_orders_per_second = 1000

[control]
command_queue = 1024
commands_per_cycle = 16
command_timeout_ms = 2000
update_buffer = 4096
outbox_bytes = 4194304

[api]
addr = "127.0.0.1:0"
tokens = ["{TOKEN}"]
allow_unauthenticated_reads = true

[journal]
dir = "{journal}"
{journal_sizing}
[transport]
aeron_dir = "{aeron}"
embedded_driver = true
driver_threading = "shared"
driver_idle = {driver_idle}
idle = {driver_idle}
ipc_term_buffer_length = {TERM_LENGTH}
udp_term_buffer_length = {TERM_LENGTH}

[transport.subscriptions.market_data]
channel = "{md}"
stream_id = 1003

[transport.subscriptions.executions]
channel = "{ex}"
stream_id = 1002

[transport.publications.orders_1]
channel = "{o1}"
stream_id = 1101

[transport.publications.orders_2]
channel = "{o2}"
stream_id = 1102

[transport.publications.orders_3]
channel = "{o3}"
stream_id = 1103
"#,
            idle = idle_toml(wait.loop_idle()),
            driver_idle = idle_toml(wait.driver_idle()),
            cap = CHILDREN_PER_PARENT,
            journal = journal.display(),
            aeron = aeron.display(),
            md = channels.market_data,
            ex = channels.executions,
            o1 = channels.orders[0],
            o2 = channels.orders[1],
            o3 = channels.orders[2],
        )
    }

    /// UTC ns, the clock every Crossbar process stamps with.
    pub fn wall_ns() -> u64 {
        crossbar_runtime::agent::wall_clock_ns()
    }

    /// The three gateways of one stand-in process: market data and executions out, the
    /// three orders streams in, on one Aeron client (its own driver over UDP).
    pub struct Gateways {
        market_data: Publisher,
        executions: Publisher,
        orders: Vec<Subscriber>,
        idle: IdleStrategy,
        buf: Vec<u8>,
        report: Message,
        venue_sequence: u64,
        last_heartbeat: Option<Instant>,
        heartbeat_sequence: u64,
        transport: Transport,
    }

    impl Gateways {
        fn start(medium: Medium, aeron: &Path, channels: &Channels, wait: Wait) -> Self {
            let config = TransportConfig {
                aeron_dir: aeron.to_path_buf(),
                embedded_driver: medium == Medium::Udp,
                driver_threading: DriverThreading::Shared,
                ipc_term_buffer_length: TERM_LENGTH,
                udp_term_buffer_length: TERM_LENGTH,
                driver_idle: wait.driver_idle(),
                idle: wait.driver_idle(),
                ..TransportConfig::default()
            };
            let mut transport = Transport::start(config).expect("gateways' Aeron client");
            let market_data = transport
                .add_publication_with("md", &StreamConfig::new(&channels.market_data, 1003))
                .expect("market data publication");
            let executions = transport
                .add_publication_with("exec", &StreamConfig::new(&channels.executions, 1002))
                .expect("executions publication");
            let orders = (0..3)
                .map(|g| {
                    transport
                        .add_subscription_with(
                            &format!("orders_{}", g + 1),
                            &StreamConfig::new(&channels.orders[g], 1101 + g as i32),
                        )
                        .expect("orders subscription")
                })
                .collect();
            Self {
                market_data,
                executions,
                orders,
                idle: IdleStrategy::new(wait.loop_idle()),
                buf: vec![0; 4096],
                report: Message::ExecutionReport(empty_cancel()),
                venue_sequence: 0,
                last_heartbeat: None,
                heartbeat_sequence: 0,
                transport,
            }
        }

        fn wait_connected(&mut self) {
            let mut idle = IdleStrategy::new(IdleStrategyConfig::Sleep {
                sleep_ns: 1_000_000,
            });
            self.market_data
                .wait_connected(DEADLINE, &mut idle)
                .expect("market data stream connects");
            self.executions
                .wait_connected(DEADLINE, &mut idle)
                .expect("executions stream connects");
            for o in &self.orders {
                o.wait_connected(DEADLINE, &mut idle)
                    .expect("orders stream connects");
            }
        }

        fn send(publisher: &Publisher, buf: &mut [u8], idle: &mut IdleStrategy, m: &Message) {
            let len = sbe::encode(m, buf).expect("encode");
            publisher
                .offer_with_retry(&buf[..len], u32::MAX, idle)
                .expect("offer");
        }

        /// A Heartbeat of every gateway on the market-data stream when one is due (never
        /// inside a timed round trip).
        pub fn heartbeat_if_due(&mut self) {
            if self
                .last_heartbeat
                .is_some_and(|t| t.elapsed() < HEARTBEAT_EVERY)
            {
                return;
            }
            self.heartbeat_sequence += 1;
            for g in 1..=3u16 {
                let m = Message::Heartbeat(sbe::Heartbeat {
                    sender_id: g,
                    sequence: self.heartbeat_sequence,
                    timestamp_ns: wall_ns(),
                });
                Self::send(&self.market_data, &mut self.buf, &mut self.idle, &m);
            }
            self.last_heartbeat = Some(Instant::now());
        }

        /// Top of book for [`INSTRUMENT`]: NASDAQ at [`NASDAQ_ASK`], BX and PSX above it.
        fn books(&mut self) {
            for (venue, ask) in [
                (1u16, NASDAQ_ASK),
                (2, NASDAQ_ASK + 200),
                (3, NASDAQ_ASK + 300),
            ] {
                let m = Message::TopOfBook(sbe::TopOfBook {
                    venue_id: VenueId(venue),
                    instrument_id: INSTRUMENT,
                    sequence: 1,
                    timestamp_ns: wall_ns(),
                    bid_price: Price(999_900),
                    bid_qty: 10_000,
                    ask_price: Price(ask),
                    ask_qty: 10_000,
                });
                Self::send(&self.market_data, &mut self.buf, &mut self.idle, &m);
            }
        }

        /// Encodes, into `self.buf`, the ExecutionReport a gateway sends when the venue
        /// cancels `child` (an IOC) with nothing filled; returns its length.
        fn encode_cancel(&mut self, child: &sbe::NewChildOrder) -> usize {
            self.venue_sequence += 1;
            let Message::ExecutionReport(r) = &mut self.report else {
                unreachable!("the report template is an ExecutionReport")
            };
            fill_cancel(r, child, self.venue_sequence, wall_ns());
            sbe::encode(&self.report, &mut self.buf).expect("encode ExecutionReport")
        }

        /// Polls gateway `g`'s orders stream (1-based) until a NewChildOrder arrives;
        /// heartbeats and credit grants are skipped, anything else is an error.
        fn next_child(
            &mut self,
            g: usize,
            timeout: Duration,
        ) -> Result<sbe::NewChildOrder, String> {
            let start = Instant::now();
            loop {
                let (n, got) = self.poll_child(g)?;
                if let Some(c) = got {
                    self.idle.reset();
                    return Ok(c);
                }
                if n == 0 && start.elapsed() > timeout {
                    return Err(format!("gateway {g}: no child order within {timeout:?}"));
                }
                self.idle.idle(n);
            }
        }

        /// One poll of gateway `g`'s orders stream: (fragments, the child order if one came).
        #[inline]
        fn poll_child(&mut self, g: usize) -> Result<(usize, Option<sbe::NewChildOrder>), String> {
            let mut child = None;
            let mut unexpected = None;
            let n = self.orders[g - 1]
                .poll(
                    &mut |b: &[u8]| match decode_view(b) {
                        Ok(MessageView::NewChildOrder(d)) => {
                            let view = (|| {
                                Some(sbe::NewChildOrder {
                                    order_id: OrderId(d.order_id()),
                                    parent_order_id: OrderId(d.parent_order_id()),
                                    instrument_id: InstrumentId(d.instrument_id()),
                                    venue_id: VenueId(d.venue_id()),
                                    side: Side::from_code(d.raw_side()).ok()?,
                                    time_in_force: TimeInForce::from_code(d.raw_time_in_force())
                                        .ok()?,
                                    price: Price(d.price()),
                                    qty: Qty(d.qty()),
                                    timestamp_ns: d.timestamp_ns(),
                                })
                            })();
                            match view {
                                Some(c) => child = Some(c),
                                None => unexpected = Some("NewChildOrder with a bad enum".into()),
                            }
                        }
                        Ok(MessageView::Heartbeat(_) | MessageView::CreditGrant(_)) => {}
                        Ok(other) => unexpected = Some(other.kind().name().to_owned()),
                        Err(e) => unexpected = Some(format!("not SBE: {e}")),
                    },
                    FRAGMENTS,
                )
                .map_err(|e| e.to_string())?;
            match unexpected {
                Some(what) => Err(format!("gateway {g} got {what}")),
                None => Ok((n, child)),
            }
        }

        /// Reads gateways 2 and 3's streams (heartbeats, credit) so they never back up.
        fn drain_others(&mut self) -> Result<(), String> {
            for g in 2..=3 {
                let (_, child) = self.poll_child(g)?;
                if let Some(c) = child {
                    return Err(format!("gateway {g} got a child order: {c:?}"));
                }
            }
            Ok(())
        }

        /// **The timed round trip**: offers the cancel of `child` on the executions stream
        /// and waits for the next NewChildOrder on NASDAQ's orders stream. Returns the
        /// offer → answer time (ns, `Instant`) and the answer. Encoding happens before the
        /// clock starts; nothing is checked before it stops.
        ///
        /// # Errors
        /// When the offer fails for good, a message other than a heartbeat, credit grant or
        /// child arrives, or no child comes within [`DEADLINE`].
        #[inline]
        pub fn round_trip(
            &mut self,
            child: &sbe::NewChildOrder,
        ) -> Result<(u64, sbe::NewChildOrder), String> {
            let len = self.encode_cancel(child);
            let started = Instant::now();
            self.executions
                .offer_with_retry(&self.buf[..len], u32::MAX, &mut self.idle)
                .map_err(|e| format!("offer: {e}"))?;
            loop {
                let (n, got) = self.poll_child(1)?;
                if let Some(answer) = got {
                    let ns = started.elapsed().as_nanos() as u64;
                    self.idle.reset();
                    return Ok((ns, answer));
                }
                if n == 0 && started.elapsed() > DEADLINE {
                    return Err(format!("no answer to the cancel of {child:?}"));
                }
                self.idle.idle(n);
            }
        }

        /// The cancel of a parent's last child (its cap reached): offered, no answer expected.
        pub fn cancel_last(&mut self, child: &sbe::NewChildOrder) {
            let len = self.encode_cancel(child);
            self.executions
                .offer_with_retry(&self.buf[..len], u32::MAX, &mut self.idle)
                .expect("offer");
        }
    }

    /// An ExecutionReport Canceled with nothing filled (fields set by [`fill_cancel`]).
    fn empty_cancel() -> sbe::ExecutionReport {
        sbe::ExecutionReport {
            order_id: OrderId(0),
            parent_order_id: OrderId(0),
            venue_id: VenueId(1),
            instrument_id: INSTRUMENT,
            exec_type: sbe::ExecType::Canceled,
            order_status: sbe::OrderStatus::Canceled,
            side: Side::Buy,
            price: Price(0),
            last_px: Price(0),
            last_qty: Qty(0),
            leaves_qty: Qty(0),
            cum_qty: Qty(0),
            venue_order_ref: 0,
            match_id: 0,
            timestamp_ns: 0,
            venue_timestamp_ns: None,
            text: String::with_capacity(64),
        }
    }

    /// Makes `r` the report `crossbar-order-entry` writes for an IOC child the venue accepted
    /// dead (nothing to match, OUCH 5.0 §2.2.1 state `D`): Canceled, leaves 0, cum 0, the
    /// venue's sequence as order reference, text `OUCH session=<id> seq=<n>`.
    fn fill_cancel(
        r: &mut sbe::ExecutionReport,
        child: &sbe::NewChildOrder,
        seq: u64,
        now_ns: u64,
    ) {
        r.order_id = child.order_id;
        r.parent_order_id = child.parent_order_id;
        r.venue_id = child.venue_id;
        r.instrument_id = child.instrument_id;
        r.side = child.side;
        r.price = child.price;
        r.venue_order_ref = seq;
        r.timestamp_ns = now_ns;
        r.text.clear();
        let _ = write!(r.text, "OUCH session=0000000001 seq={seq}");
    }

    /// Bytes of the cancel report of a typical child (a 4-digit venue sequence): the
    /// message size class of the round trip.
    pub fn cancel_report_len() -> usize {
        let child = sbe::NewChildOrder {
            order_id: OrderId(1_000),
            parent_order_id: OrderId(999),
            instrument_id: INSTRUMENT,
            venue_id: VenueId(1),
            side: Side::Buy,
            time_in_force: TimeInForce::Ioc,
            price: Price(NASDAQ_ASK),
            qty: Qty(PARENT_QTY),
            timestamp_ns: 0,
        };
        let mut r = empty_cancel();
        fill_cancel(&mut r, &child, 1_000, wall_ns());
        Message::ExecutionReport(r)
            .encoded_len()
            .expect("encodable report")
    }

    /// What the router must answer to the cancel of `prev`: the parent's next IOC child, the
    /// same venue, price and shares, the next order id (parents and children share one id
    /// sequence), stamped by the router between `prev`'s stamp and `received_ns`.
    ///
    /// # Errors
    /// Naming the field that differs.
    pub fn check_next_child(
        prev: &sbe::NewChildOrder,
        answer: &sbe::NewChildOrder,
        received_ns: u64,
    ) -> Result<(), String> {
        let expected = sbe::NewChildOrder {
            order_id: OrderId(prev.order_id.0 + 1),
            timestamp_ns: answer.timestamp_ns,
            ..*prev
        };
        if *answer != expected {
            return Err(format!("answer {answer:?}, expected {expected:?}"));
        }
        if !(prev.timestamp_ns..=received_ns).contains(&answer.timestamp_ns) {
            return Err(format!(
                "answer stamped {} outside [{}, {received_ns}]",
                answer.timestamp_ns, prev.timestamp_ns
            ));
        }
        Ok(())
    }

    /// The running aggregator, the stand-in gateways and an operator gRPC client.
    pub struct Centre {
        /// The gateways.
        pub gateways: Gateways,
        aggregator: ChildProcess,
        runtime: tokio::runtime::Runtime,
        channel: Channel,
        next_client_id: u64,
        dir: tempfile::TempDir,
        medium: Medium,
    }

    impl Centre {
        /// Starts `aggregator_bin` from a configuration written to a temp dir and the
        /// stand-in gateways, publishes heartbeats and books, and waits until all three venues
        /// are CONNECTED over gRPC. `small_journal`: 1 MiB segments, no pre-touch (tests).
        pub fn start(
            aggregator_bin: &Path,
            medium: Medium,
            wait: Wait,
            small_journal: bool,
        ) -> Self {
            let dir = tempfile::Builder::new()
                .prefix("xbar-centre-rtt-")
                .tempdir()
                .expect("temp dir");
            let channels = Channels::new(medium);
            let aeron = aeron_dir("centre-rtt-agg");
            let config = write_file(
                dir.path(),
                "aggregator.toml",
                &aggregator_toml(
                    &aeron,
                    &dir.path().join("journal"),
                    &channels,
                    wait,
                    small_journal,
                ),
            );
            let mut aggregator = ChildProcess::spawn(
                "crossbar-aggregator",
                aggregator_bin,
                &["--config", config.to_str().expect("utf-8 path")],
                &[],
            );
            let ready = aggregator.wait_for_line("AGGREGATOR_READY", DEADLINE);
            let grpc = ready
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("grpc="))
                .expect("grpc= in the ready line")
                .to_owned();
            let gateway_aeron = match medium {
                Medium::Ipc => aeron.clone(),
                Medium::Udp => aeron_dir("centre-rtt-gw"),
            };
            let mut gateways = Gateways::start(medium, &gateway_aeron, &channels, wait);
            gateways.wait_connected();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let channel = runtime
                .block_on(
                    Channel::from_shared(format!("http://{grpc}"))
                        .expect("endpoint")
                        .connect_timeout(DEADLINE)
                        .timeout(DEADLINE)
                        .connect(),
                )
                .expect("connect to the aggregator's gRPC API");
            let mut centre = Self {
                gateways,
                aggregator,
                runtime,
                channel,
                next_client_id: 0,
                dir,
                medium,
            };
            centre.wait_connected_venues();
            centre
        }

        fn wait_connected_venues(&mut self) {
            let start = Instant::now();
            loop {
                self.gateways.heartbeat_if_due();
                self.gateways.books();
                let mut client = VenuesClient::new(self.channel.clone());
                let list = self
                    .runtime
                    .block_on(client.list(proto::ListVenuesRequest {}))
                    .expect("Venues.List")
                    .into_inner();
                let connected = list
                    .venues
                    .iter()
                    .filter(|v| v.session_state == proto::SessionState::Connected as i32)
                    .count();
                if connected == 3 {
                    return;
                }
                assert!(
                    start.elapsed() < DEADLINE,
                    "venues never all CONNECTED: {list:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        /// The medium.
        pub fn medium(&self) -> Medium {
            self.medium
        }

        /// Submits an IOC Sweep buy of [`PARENT_QTY`] at [`NASDAQ_ASK`] over gRPC and waits
        /// for its first child on NASDAQ's orders stream (untimed set-up). Returns the parent
        /// id and that child.
        pub fn new_parent(&mut self) -> (u64, sbe::NewChildOrder) {
            self.gateways.heartbeat_if_due();
            self.next_client_id += 1;
            let mut request = tonic::Request::new(proto::SubmitParentRequest {
                instrument_symbol: UNIVERSE[0].to_owned(),
                side: proto::Side::Buy as i32,
                qty: PARENT_QTY,
                limit_price: NASDAQ_ASK,
                order_type: proto::OrderType::Limit as i32,
                time_in_force: proto::TimeInForce::Ioc as i32,
                strategy: proto::Strategy::Sweep as i32,
                client_order_id: format!("rtt-{}-{}", std::process::id(), self.next_client_id),
            });
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {TOKEN}").parse().expect("ASCII token"),
            );
            let mut client = OrdersClient::new(self.channel.clone());
            let parent = self
                .runtime
                .block_on(client.submit(request))
                .unwrap_or_else(|s| panic!("Orders.Submit: {s}"))
                .into_inner();
            let child = self.gateways.next_child(1, DEADLINE).unwrap_or_else(|e| {
                panic!("first child of parent {}: {e}", parent.parent_order_id)
            });
            assert_eq!(
                child,
                sbe::NewChildOrder {
                    order_id: child.order_id,
                    parent_order_id: OrderId(parent.parent_order_id),
                    instrument_id: INSTRUMENT,
                    venue_id: VenueId(1),
                    side: Side::Buy,
                    time_in_force: TimeInForce::Ioc,
                    price: Price(NASDAQ_ASK),
                    qty: Qty(PARENT_QTY),
                    timestamp_ns: child.timestamp_ns,
                },
                "first child"
            );
            self.gateways
                .drain_others()
                .unwrap_or_else(|e| panic!("{e}"));
            (parent.parent_order_id, child)
        }

        /// Between round trips (untimed): heartbeats when due, other gateways' streams read.
        pub fn between(&mut self) {
            self.gateways.heartbeat_if_due();
            self.gateways
                .drain_others()
                .unwrap_or_else(|e| panic!("{e}"));
        }

        /// The parent as Orders.Get shows it (reads come from the aggregator's snapshot,
        /// published every `snapshot_interval_ms`: a new parent is NOT_FOUND until then).
        pub fn parent(&mut self, id: u64) -> Result<proto::ParentOrder, tonic::Status> {
            let mut client = OrdersClient::new(self.channel.clone());
            self.runtime
                .block_on(client.get(proto::GetParentRequest {
                    parent_order_id: id,
                }))
                .map(tonic::Response::into_inner)
        }

        /// Polls Orders.Get until the parent is CANCELED (an IOC parent that gave up).
        pub fn wait_parent_canceled(&mut self, id: u64) -> proto::ParentOrder {
            let start = Instant::now();
            loop {
                self.gateways.heartbeat_if_due();
                let p = self.parent(id);
                if let Ok(p) = &p {
                    if p.state == proto::ParentState::Canceled as i32 {
                        return p.clone();
                    }
                }
                assert!(
                    start.elapsed() < DEADLINE,
                    "parent {id} never CANCELED: {p:?}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// SIGTERM; the aggregator's `AGGREGATOR_COUNTERS` as name → value.
        ///
        /// # Panics
        /// If it does not exit 0 or prints no counters.
        pub fn stop(self) -> std::collections::BTreeMap<String, u64> {
            let Centre {
                gateways,
                aggregator,
                ..
            } = self;
            // The gateways' Aeron client first: over IPC its driver is the aggregator's.
            drop(gateways);
            let (status, lines, stderr) = aggregator.terminate(DEADLINE);
            assert!(status.success(), "aggregator exit {status:?}\n{stderr}");
            let line = lines
                .iter()
                .find(|l| l.starts_with("AGGREGATOR_COUNTERS"))
                .unwrap_or_else(|| panic!("no counters line: {lines:?}\n{stderr}"));
            line.split_whitespace()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_owned(), v.parse().ok()?))
                })
                .collect()
        }

        /// The temp dir (journal, config).
        pub fn dir(&self) -> PathBuf {
            self.dir.path().to_path_buf()
        }
    }
}

/// The debug aggregator the workspace built (built here if missing).
fn aggregator() -> PathBuf {
    binary("crossbar-aggregator", "crossbar-aggregator")
}

#[test]
fn an_ioc_childs_cancel_is_answered_with_the_next_child_until_the_cap() {
    use centre::*;
    let mut c = Centre::start(&aggregator(), Medium::Ipc, Wait::Backoff, true);
    let (parent, mut child) = c.new_parent();
    assert_eq!(child.parent_order_id.0, parent);
    // Every cancel but the last is answered with the next child, field by field.
    for k in 1..CHILDREN_PER_PARENT {
        let (ns, answer) = c
            .gateways
            .round_trip(&child)
            .unwrap_or_else(|e| panic!("round trip {k}: {e}"));
        check_next_child(&child, &answer, wall_ns())
            .unwrap_or_else(|e| panic!("round trip {k}: {e}"));
        assert!(ns > 0 && ns < DEADLINE.as_nanos() as u64);
        child = answer;
        c.between();
    }
    // The cap is reached: the last cancel ends the IOC parent with nothing filled.
    c.gateways.cancel_last(&child);
    let done = c.wait_parent_canceled(parent);
    assert_eq!((done.cum_qty, done.leaves_qty), (0, 0), "{done:?}");
    assert_eq!(done.children.len(), CHILDREN_PER_PARENT as usize);
    assert!(done
        .children
        .iter()
        .all(|ch| ch.state == proto::ChildState::Canceled as i32));
    // No further child anywhere; a second parent starts with a fresh id sequence step.
    let (second, first) = c.new_parent();
    assert_eq!(second, child.order_id.0 + 1);
    assert_eq!(first.order_id.0, second + 1);
    let counters = c.stop();
    for name in ["agg.refused", "agg.malformed", "agg.journal_failed"] {
        assert_eq!(counters.get(name), Some(&0), "{name}: {counters:?}");
    }
    // Received: 64 cancels (+ heartbeats); sent: the children (+ start-up credit).
    assert_eq!(counters.get("agg.api_commands"), Some(&2));
    assert!(counters["agg.commands"] > u64::from(CHILDREN_PER_PARENT));
}
