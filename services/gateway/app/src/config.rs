//! The gateway's configuration file (TOML + `CROSSBAR_` environment, see
//! `crossbar_runtime::config`) and its validation into the start-up values every component is
//! sized from. Every key is documented in `docs/gateway.md`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use crossbar_journal::JournalConfig;
use crossbar_runtime::{IdleStrategyConfig, LoggingConfig};
use crossbar_transport::{StreamConfig, TransportConfig};
use serde::{Deserialize, Serialize};

/// Name of the market-data publication (BookLevelDelta, TopOfBook, InstrumentStatus,
/// FeedStatus, Heartbeat).
pub const MARKET_DATA: &str = "market_data";
/// Name of the execution publication (ExecutionReport, OrderReject, PositionUpdate, Heartbeat).
pub const EXECUTIONS: &str = "executions";
/// Name of the order subscription (NewChildOrder, CancelOrder, ReplaceOrder, KillSwitch,
/// RiskLimits, Heartbeat).
pub const ORDERS: &str = "orders";
/// Default market-data stream id.
pub const MARKET_DATA_STREAM_ID: i32 = 1003;
/// Default execution stream id.
pub const EXECUTIONS_STREAM_ID: i32 = 1002;
/// Orders to gateway N arrive on stream `ORDERS_STREAM_BASE + N` by default.
pub const ORDERS_STREAM_BASE: i32 = 1100;

/// Why a configuration is unusable: the dotted key and the reason (printed as
/// `CONFIG_INVALID key=<key> reason=<reason>`; the process exits 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("CONFIG_INVALID key={key} reason={reason}")]
pub struct ConfigInvalid {
    /// Dotted key, e.g. `order_entry.username`.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> ConfigInvalid {
    ConfigInvalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// This gateway's id, 1..=65535 (0 is the aggregator); the top 16 bits of the order ids
    /// it originates and the `senderId` of its heartbeats.
    pub gateway_id: u16,
    /// The venue's id in the platform venue table (NASDAQ 1, BX 2, PSX 3).
    pub venue_id: u16,
    /// The venue's name, for logs and the ready line.
    pub venue: String,
    /// The platform-wide instrument universe: `InstrumentId` = index in this list, the same
    /// list in every process. ITCH/OUCH symbols, 1..=8 printable ASCII characters.
    pub instruments: Vec<String>,
    /// Heartbeat period on every stream the gateway publishes, ms. Default 1,000.
    pub heartbeat_interval_ms: u64,
    /// FeedStatus period (besides one per feed state change), ms. Default 1,000.
    pub feed_status_interval_ms: u64,
    /// Idle strategy of the hot-path thread. Default backoff; production uses busy_spin.
    pub idle: IdleStrategyConfig,
    /// Log format and level.
    pub logging: LoggingConfig,
    /// The MoldUDP64 / ITCH 5.0 feed.
    pub feed: FeedSection,
    /// Order book sizes.
    pub book: BookSection,
    /// The OUCH 5.0 / SoupBinTCP session.
    pub order_entry: OrderEntrySection,
    /// Pre-trade risk limits.
    pub risk: RiskSection,
    /// The execution queue.
    pub executions: ExecutionsSection,
    /// The centre's liveness rule and credit hand-back.
    pub centre: CentreSection,
    /// The audit journal (crossbar-journal `JournalConfig`: `dir`, `segment_size_bytes`,
    /// `max_payload_bytes`, `pretouch`, `sync_interval_ns`). Default directory `journal`.
    pub journal: JournalConfig,
    /// Aeron: driver, and the `market_data`, `executions` publications and `orders`
    /// subscription (defaults: `aeron:ipc`, streams 1003, 1002, 1100 + gateway_id).
    pub transport: TransportConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            gateway_id: 0,
            venue_id: 0,
            venue: String::new(),
            instruments: Vec::new(),
            heartbeat_interval_ms: 1_000,
            feed_status_interval_ms: 1_000,
            idle: IdleStrategyConfig::default(),
            logging: LoggingConfig::default(),
            feed: FeedSection::default(),
            book: BookSection::default(),
            order_entry: OrderEntrySection::default(),
            risk: RiskSection::default(),
            executions: ExecutionsSection::default(),
            centre: CentreSection::default(),
            journal: JournalConfig::default(),
            transport: TransportConfig::default(),
        }
    }
}

/// `[feed]`: where the MoldUDP64 feed arrives and whom to ask for retransmissions
/// (crossbar-feed `MoldFeedConfig`, `FeedLimits`, `RecoveryPolicy`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSection {
    /// Unicast address to bind, or multicast group:port to join. Default `127.0.0.1:26001`.
    pub addr: SocketAddrV4,
    /// Interface for the multicast join and the request socket. Default `0.0.0.0`.
    pub interface: Ipv4Addr,
    /// The venue's MoldUDP64 request server. Default `127.0.0.1:26101`.
    pub request_server: SocketAddr,
    /// MoldUDP64 session (10 ASCII characters); absent: adopt the first packet's.
    pub session: Option<String>,
    /// First sequence number expected. Default 1.
    pub first_sequence_number: u64,
    /// Most packets held in the reorder buffer while a gap is open. Default 16,384.
    pub reorder_packets: usize,
    /// Bytes of the reorder buffer, packets packed back to back. Default 1,507,328.
    pub reorder_bytes: usize,
    /// Largest packet the reorder buffer holds, bytes. Default 1,472.
    pub packet_bytes_max: usize,
    /// Datagrams read per socket per duty cycle. Default 64.
    pub datagrams_per_cycle: usize,
    /// Kernel receive buffer of the feed socket (`SO_RCVBUF`), bytes; 0 = OS default; capped
    /// by `net.core.rmem_max` (logged `FEED_RCVBUF_CAPPED`). Default 8,388,608.
    pub receive_buffer_bytes: usize,
    /// Largest re-request count. Default 1,000.
    pub max_count_per_request: u16,
    /// Re-request timeout per attempt, ms. Default 200.
    pub request_timeout_ms: u64,
    /// Attempts without progress before the gap is unrecoverable. Default 5.
    pub request_attempts_max: u32,
}

impl Default for FeedSection {
    fn default() -> Self {
        Self {
            addr: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 26_001),
            interface: Ipv4Addr::UNSPECIFIED,
            request_server: SocketAddr::from(([127, 0, 0, 1], 26_101)),
            session: None,
            first_sequence_number: 1,
            reorder_packets: 16_384,
            reorder_bytes: 1_507_328,
            packet_bytes_max: 1_472,
            datagrams_per_cycle: 64,
            receive_buffer_bytes: 8 << 20,
            max_count_per_request: 1_000,
            request_timeout_ms: 200,
            request_attempts_max: 5,
        }
    }
}

/// `[book]`: order book sizes (crossbar-book `BookLimits`; instruments = the universe).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookSection {
    /// Most resting venue orders at once. Default 1,048,576.
    pub orders: u32,
    /// Most price levels per side per instrument, 1..=65,535 (the SBE level index is a
    /// uint16 and 65,535 marks a full refresh's "clear side" entry). Default 1,024.
    pub levels_per_side: u32,
}

impl Default for BookSection {
    fn default() -> Self {
        Self {
            orders: 1 << 20,
            levels_per_side: 1_024,
        }
    }
}

/// OUCH 5.0 §2.1 Capacity, as written in config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityConfig {
    /// `A`.
    #[default]
    Agency,
    /// `P`.
    Principal,
    /// `R`.
    Riskless,
    /// `O`.
    Other,
}

/// `[order_entry]`: the venue's OUCH 5.0 over SoupBinTCP 3.0 session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderEntrySection {
    /// The venue's SoupBinTCP server. Default `127.0.0.1:26201`.
    pub venue_addr: SocketAddr,
    /// SoupBinTCP §2.3.1 Login Request username, 1..=6 printable ASCII.
    pub username: String,
    /// Login Request password, 0..=10 printable ASCII.
    pub password: String,
    /// Order table size (child orders live at once). Default 4,096.
    pub max_live_orders: u32,
    /// Executions remembered to drop duplicates. Default 65,536.
    pub duplicate_execution_window: u32,
    /// First OUCH UserRefNum. Default 1.
    pub first_user_ref_num: u32,
    /// OUCH Capacity on every Enter Order. Default agency.
    pub capacity: CapacityConfig,
    /// The venue's midnight that OUCH Timestamps count from (OUCH 5.0 §3.2 "Timestamp: ns
    /// since midnight"), seconds east of UTC; used to turn them into the ExecutionReport's
    /// `venueTimestampNs` (UTC ns). Default 0 (UTC midnight, as the venue simulator stamps
    /// by default); must equal the venue's (simulator: `midnight_utc_offset_s`). NASDAQ's US
    /// Eastern midnight is −18,000 (EST) / −14,400 (EDT), a fixed value. Within ±64,800.
    pub venue_midnight_utc_offset_s: i32,
    /// Reconnect period while the venue is down, ms. Default 1,000.
    pub reconnect_interval_ms: u64,
    /// SoupBinTCP client heartbeat period, ms. Default 1,000 (§1.3).
    pub heartbeat_interval_ms: u64,
    /// Venue silence that ends the session, ms. Default 15,000 (§1.3).
    pub server_timeout_ms: u64,
}

impl Default for OrderEntrySection {
    fn default() -> Self {
        Self {
            venue_addr: SocketAddr::from(([127, 0, 0, 1], 26_201)),
            username: String::new(),
            password: String::new(),
            max_live_orders: 4_096,
            duplicate_execution_window: 65_536,
            first_user_ref_num: 1,
            capacity: CapacityConfig::Agency,
            venue_midnight_utc_offset_s: 0,
            reconnect_interval_ms: 1_000,
            heartbeat_interval_ms: 1_000,
            server_timeout_ms: 15_000,
        }
    }
}

/// One instrument's limits in config (crossbar-risk `InstrumentLimits`); every field
/// optional so `[risk.instruments.<SYMBOL>]` can override a few of `[risk.defaults]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstrumentLimitsConfig {
    /// Largest order, shares.
    pub max_order_qty: Option<u32>,
    /// Largest order notional, 1/10,000 currency units.
    pub max_order_notional: Option<i64>,
    /// Largest long position, shares.
    pub max_long_position: Option<i64>,
    /// Largest short position, shares (positive).
    pub max_short_position: Option<i64>,
    /// Price collar, basis points.
    pub collar_bps: Option<u32>,
    /// Orders per throttle window (also the throttle ring size: RiskLimits updates may not
    /// raise it above this start-up value).
    pub max_orders_per_window: Option<u32>,
}

/// `[risk]`: crossbar-risk `RiskLimits` plus the start-up credit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskSection {
    /// Open-order table size. Default 4,096.
    pub max_open_orders: u32,
    /// Recent order ids remembered. Default 65,536.
    pub duplicate_window: u32,
    /// Orders per throttle window, whole session. Default 10,000.
    pub session_max_orders_per_window: u32,
    /// Throttle window, ms. Default 1,000.
    pub throttle_window_ms: u64,
    /// Risk-reducing orders pass a kill switch. Default true.
    pub kill_switch_allows_reducing: bool,
    /// Credit granted per instrument at start-up, shares, on each side (buy and sell). Added
    /// to whatever the centre's CreditGrants give; 0 (default): nothing until the centre
    /// grants, every order is refused `RISK_CREDIT_EXHAUSTED`.
    pub startup_credit_shares: i64,
    /// Credit granted per instrument at start-up, notional 1/10,000. Default 0.
    pub startup_credit_notional: i64,
    /// Limits of every instrument (each field required here).
    pub defaults: InstrumentLimitsConfig,
    /// Per-symbol overrides of `defaults`.
    pub instruments: BTreeMap<String, InstrumentLimitsConfig>,
}

impl Default for RiskSection {
    fn default() -> Self {
        Self {
            max_open_orders: 4_096,
            duplicate_window: 65_536,
            session_max_orders_per_window: 10_000,
            throttle_window_ms: 1_000,
            kill_switch_allows_reducing: true,
            startup_credit_shares: 0,
            startup_credit_notional: 0,
            defaults: InstrumentLimitsConfig {
                max_order_qty: Some(10_000),
                max_order_notional: Some(1_000_000 * 10_000),
                max_long_position: Some(100_000),
                max_short_position: Some(100_000),
                collar_bps: Some(500),
                max_orders_per_window: Some(1_000),
            },
            instruments: BTreeMap::new(),
        }
    }
}

/// `[executions]`: the bounded queue that holds execution-stream messages Aeron refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionsSection {
    /// Queue size, bytes (allocated once). At least 16 × the largest message record
    /// (`crate::exec::RECORD_BYTES_MAX`). Default 16 MiB.
    pub queue_bytes: usize,
}

impl Default for ExecutionsSection {
    fn default() -> Self {
        Self {
            queue_bytes: 16 << 20,
        }
    }
}

/// `[centre]`: how the gateway treats the centre (aggregator) that sends it orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CentreSection {
    /// Fail closed (`RISK_FAIL_CLOSED cause=CENTRE_SILENT`) when no centre Heartbeat arrived
    /// for this long, ms; measured from start-up until the first heartbeat. 0 disables the
    /// rule (tests, a gateway run without a centre). Default 3,000.
    pub heartbeat_timeout_ms: u64,
    /// On entering CENTRE_SILENT, send an OUCH Cancel for every working order. Default true.
    pub cancel_on_fail_closed: bool,
    /// On shutdown (SIGINT/SIGTERM), hand every instrument's unused credit back with a
    /// CreditReturn on the executions stream. Default true.
    pub return_credit_on_shutdown: bool,
}

impl Default for CentreSection {
    fn default() -> Self {
        Self {
            heartbeat_timeout_ms: 3_000,
            cancel_on_fail_closed: true,
            return_credit_on_shutdown: true,
        }
    }
}

impl GatewayConfig {
    /// Fills in the default streams (`aeron:ipc`, 1003 / 1002 / 1100 + gateway_id) for any
    /// of `market_data`, `executions`, `orders` the file does not name.
    pub fn with_default_streams(mut self) -> Self {
        let t = &mut self.transport;
        t.publications
            .entry(MARKET_DATA.to_owned())
            .or_insert_with(|| StreamConfig::new("aeron:ipc", MARKET_DATA_STREAM_ID));
        t.publications
            .entry(EXECUTIONS.to_owned())
            .or_insert_with(|| StreamConfig::new("aeron:ipc", EXECUTIONS_STREAM_ID));
        let orders = ORDERS_STREAM_BASE + i32::from(self.gateway_id);
        t.subscriptions
            .entry(ORDERS.to_owned())
            .or_insert_with(|| StreamConfig::new("aeron:ipc", orders));
        self
    }
}
