//! The aggregator's configuration file (TOML + `CROSSBAR_` environment, see
//! `crossbar_runtime::config`) and its validation into [`Settings`]. Every key is documented
//! in `docs/aggregator.md`; `deploy/aggregator/aggregator.toml` is the example.

use std::collections::BTreeMap;

use crossbar_api::ApiConfig;
use crossbar_journal::JournalConfig;
use crossbar_model::{GatewayId, Qty, VenueId};
use crossbar_router::{InstrumentRiskLimits, RouterLimits, VenueConfig};
use crossbar_runtime::{IdleStrategyConfig, LoggingConfig};
use crossbar_transport::{StreamConfig, TransportConfig};
use serde::Deserialize;

/// Subscription of every gateway's market data (Heartbeat, BookLevelDelta, TopOfBook,
/// FeedStatus; Trade and InstrumentStatus are counted and skipped).
pub const MARKET_DATA: &str = "market_data";
/// Subscription of every gateway's executions (ExecutionReport, OrderReject, PositionUpdate,
/// CreditReturn, Heartbeat).
pub const EXECUTIONS: &str = "executions";
/// Default market-data stream id (the gateways' `market_data` publication).
pub const MARKET_DATA_STREAM_ID: i32 = 1003;
/// Default executions stream id (the gateways' `executions` publication).
pub const EXECUTIONS_STREAM_ID: i32 = 1002;
/// Orders to gateway N go on stream `ORDERS_STREAM_BASE + N` by default.
pub const ORDERS_STREAM_BASE: i32 = 1100;

/// Name of the orders publication to gateway `gateway_id` in `transport.publications`.
pub fn orders_publication(gateway_id: u16) -> String {
    format!("orders_{gateway_id}")
}

/// Why a configuration is unusable (printed as `CONFIG_INVALID key=<key> reason=<reason>`;
/// the process exits 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("CONFIG_INVALID key={key} reason={reason}")]
pub struct ConfigInvalid {
    /// Dotted key, e.g. `venues[1].gateway_id`.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

pub(crate) fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigInvalid {
    ConfigInvalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AggregatorConfig {
    /// Issuer id of every parent and child order id (`OrderId` top 16 bits) and `senderId` of
    /// the aggregator's heartbeats. Default 0, the id `crossbar_model` reserves for it.
    pub router_id: u16,
    /// The platform-wide instrument universe: `InstrumentId` = index in this list, the same
    /// list as every gateway's `instruments`. 1..=8 characters `A-Z 0-9 . - /`.
    pub instruments: Vec<String>,
    /// The venues and the gateways trading them.
    pub venues: Vec<VenueSection>,
    /// Heartbeat period on every orders stream, ms (gateways fail closed without it).
    /// Default 1,000.
    pub heartbeat_interval_ms: u64,
    /// A venue whose gateway sent no heartbeat for this long leaves routing and the NBBO, ms.
    /// Default 3,000.
    pub venue_timeout_ms: u64,
    /// Reader snapshot (gRPC reads, streams) publication period, ms. Default 100.
    pub snapshot_interval_ms: u64,
    /// Idle strategy of the router thread. Default backoff; production uses busy_spin.
    pub idle: IdleStrategyConfig,
    /// Log format and level.
    pub logging: LoggingConfig,
    /// Router sizes and routing penalties.
    pub router: RouterSection,
    /// Cross-venue risk limits.
    pub risk: RiskSection,
    /// The bridge between the gRPC side and the router thread.
    pub control: ControlSection,
    /// Operator gRPC API (crate crossbar-api).
    pub api: ApiConfig,
    /// Audit journal (crate crossbar-journal).
    pub journal: JournalConfig,
    /// Aeron: driver, subscriptions `market_data` (1003) and `executions` (1002), one
    /// publication `orders_<gateway_id>` per gateway (1100 + gateway_id); defaults
    /// `aeron:ipc`.
    pub transport: TransportConfig,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        Self {
            router_id: 0,
            instruments: Vec::new(),
            venues: Vec::new(),
            heartbeat_interval_ms: 1_000,
            venue_timeout_ms: 3_000,
            snapshot_interval_ms: 100,
            idle: IdleStrategyConfig::default(),
            logging: LoggingConfig::default(),
            router: RouterSection::default(),
            risk: RiskSection::default(),
            control: ControlSection::default(),
            api: ApiConfig::default(),
            journal: JournalConfig::in_dir("journal/aggregator"),
            transport: TransportConfig::default(),
        }
    }
}

/// `[[venues]]`: one venue.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueSection {
    /// The venue's platform id as in SBE `venueId` (NASDAQ 1, BX 2, PSX 3), 1..=65535.
    pub venue_id: u16,
    /// The venue code the API names it by, 1..=8 of `A-Z 0-9` (e.g. `NASDAQ`).
    pub name: String,
    /// The gateway trading it (receives its child orders on stream 1100 + gateway_id).
    pub gateway_id: u16,
    /// Fee for taking liquidity, 1/10,000 $ per share (30 = $0.0030); negative = rebate.
    pub taker_fee_ticks: i64,
    /// Rebate for adding liquidity, 1/10,000 $ per share; negative = maker fee.
    pub maker_rebate_ticks: i64,
}

impl Default for VenueSection {
    fn default() -> Self {
        Self {
            venue_id: 0,
            name: String::new(),
            gateway_id: 0,
            taker_fee_ticks: 30,
            maker_rebate_ticks: 20,
        }
    }
}

/// `[router]`: sizes of the router's tables and routing penalties (`RouterLimits`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterSection {
    /// Levels kept per side per (instrument, venue), 1..=64. Default 16.
    pub book_depth: u16,
    /// Parent orders held at once. Default 4,096.
    pub max_parents: u32,
    /// Child orders held at once. Default 16,384.
    pub max_children: u32,
    /// Child orders one parent may send over its life. Default 64.
    pub max_children_per_parent: u32,
    /// Cost-aware penalty per ms of EWMA ack latency, 1/10,000 $ per share. Default 1.
    pub latency_penalty_ticks_per_ms: i64,
    /// Posting penalty per 10,000 shares queued ahead, 1/10,000 $ per share. Default 1.
    pub queue_penalty_ticks_per_10k_shares: i64,
}

impl Default for RouterSection {
    fn default() -> Self {
        Self {
            book_depth: 16,
            max_parents: 4_096,
            max_children: 16_384,
            max_children_per_parent: 64,
            latency_penalty_ticks_per_ms: 1,
            queue_penalty_ticks_per_10k_shares: 1,
        }
    }
}

/// One instrument's cross-venue limits in config; every field optional so
/// `[risk.instruments.<SYMBOL>]` can override a few of `[risk.defaults]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstrumentLimitsConfig {
    /// Largest absolute position, shares.
    pub max_position: Option<i64>,
    /// Largest parent (and child) order, shares.
    pub max_order_qty: Option<u32>,
    /// Largest order notional, 1/10,000 $.
    pub max_order_notional: Option<i64>,
    /// Largest gross exposure, 1/10,000 $.
    pub max_gross_notional: Option<i64>,
    /// Largest net exposure, 1/10,000 $.
    pub max_net_notional: Option<i64>,
    /// Day traded-notional budget shared out to gateways as credit, 1/10,000 $.
    pub credit_notional: Option<i64>,
    /// Price collar published in RiskLimits and reported by Limits.Get (enforced by the
    /// gateways), basis points, 1..=10,000.
    pub price_collar_bps: Option<u32>,
    /// Order rate published in RiskLimits and reported by Limits.Get (enforced by the
    /// gateways), orders per second, > 0.
    pub max_orders_per_second: Option<u32>,
}

/// `[risk]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskSection {
    /// Limits of every instrument (each field required here).
    pub defaults: InstrumentLimitsConfig,
    /// Per-symbol overrides of `defaults`.
    pub instruments: BTreeMap<String, InstrumentLimitsConfig>,
    /// Gross exposure over all instruments, 1/10,000 $.
    pub max_gross_notional_total: i64,
    /// Absolute net exposure over all instruments, 1/10,000 $.
    pub max_net_notional_total: i64,
}

impl Default for RiskSection {
    fn default() -> Self {
        const DOLLARS: i64 = 10_000;
        Self {
            defaults: InstrumentLimitsConfig {
                max_position: Some(100_000),
                max_order_qty: Some(10_000),
                max_order_notional: Some(1_000_000 * DOLLARS),
                max_gross_notional: Some(10_000_000 * DOLLARS),
                max_net_notional: Some(5_000_000 * DOLLARS),
                credit_notional: Some(20_000_000 * DOLLARS),
                price_collar_bps: Some(500),
                max_orders_per_second: Some(1_000),
            },
            instruments: BTreeMap::new(),
            max_gross_notional_total: 100_000_000 * DOLLARS,
            max_net_notional_total: 50_000_000 * DOLLARS,
        }
    }
}

/// `[control]`: the gRPC side's bounded command queue to the router thread.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlSection {
    /// Commands the queue holds; a full queue is RESOURCE_EXHAUSTED. Default 1,024.
    pub command_queue: usize,
    /// Commands the router thread takes per duty cycle at most. Default 16.
    pub commands_per_cycle: usize,
    /// How long a gRPC call waits for the router thread's reply, ms. Default 2,000.
    pub command_timeout_ms: u64,
    /// Order-update and position-update broadcast capacity (how far a stream may lag).
    /// Default 4,096.
    pub update_buffer: usize,
    /// Bytes of messages queued per gateway while its orders stream is back-pressured or not
    /// yet connected (each message plus 2 bytes), retried every duty cycle; allocated at
    /// start-up. Default 4 MiB.
    pub outbox_bytes: usize,
}

impl Default for ControlSection {
    fn default() -> Self {
        Self {
            command_queue: 1_024,
            commands_per_cycle: 16,
            command_timeout_ms: 2_000,
            update_buffer: 4_096,
            outbox_bytes: 4 << 20,
        }
    }
}

/// Everything the aggregator is built from, validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The file as loaded, default streams filled in.
    pub config: AggregatorConfig,
    /// Router limits (venues indexed 0.. in file order).
    pub limits: RouterLimits,
    /// Platform venue id of router venue index `i`.
    pub venue_ids: Vec<u16>,
    /// API venue code of router venue index `i`.
    pub venue_names: Vec<String>,
    /// Distinct gateway ids, ascending.
    pub gateways: Vec<u16>,
    /// Heartbeat period, ns.
    pub heartbeat_interval_ns: u64,
    /// Snapshot period, ns.
    pub snapshot_interval_ns: u64,
}

const MS: u64 = 1_000_000;

fn symbol_ok(s: &str) -> bool {
    (1..=8).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"./-".contains(&b))
}

fn venue_code_ok(s: &str) -> bool {
    (1..=8).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn positive_ms(key: &str, ms: u64) -> Result<u64, ConfigInvalid> {
    if ms == 0 || ms > 3_600_000 {
        return Err(invalid(key, "must be 1..=3600000 ms"));
    }
    Ok(ms * MS)
}

fn limit<T: Copy>(
    key: &str,
    symbol: &str,
    over: Option<T>,
    default: Option<T>,
) -> Result<T, ConfigInvalid> {
    over.or(default).ok_or_else(|| {
        invalid(
            format!("risk.defaults.{key}"),
            format!("missing (needed by {symbol})"),
        )
    })
}

impl AggregatorConfig {
    /// Fills in the default streams for any of `market_data`, `executions`,
    /// `orders_<gateway_id>` the file does not name.
    pub fn with_default_streams(mut self) -> Self {
        let t = &mut self.transport;
        t.subscriptions
            .entry(MARKET_DATA.to_owned())
            .or_insert_with(|| StreamConfig::new("aeron:ipc", MARKET_DATA_STREAM_ID));
        t.subscriptions
            .entry(EXECUTIONS.to_owned())
            .or_insert_with(|| StreamConfig::new("aeron:ipc", EXECUTIONS_STREAM_ID));
        for v in &self.venues {
            t.publications
                .entry(orders_publication(v.gateway_id))
                .or_insert_with(|| {
                    StreamConfig::new("aeron:ipc", ORDERS_STREAM_BASE + i32::from(v.gateway_id))
                });
        }
        self
    }

    /// Checks everything and builds [`Settings`].
    ///
    /// # Errors
    /// [`ConfigInvalid`] naming the first bad key.
    pub fn validate(self) -> Result<Settings, ConfigInvalid> {
        let c = self.with_default_streams();
        if c.instruments.is_empty() {
            return Err(invalid("instruments", "at least one instrument is needed"));
        }
        for (i, s) in c.instruments.iter().enumerate() {
            if !symbol_ok(s) {
                return Err(invalid(
                    format!("instruments[{i}]"),
                    "1..=8 of A-Z 0-9 . - /",
                ));
            }
            if c.instruments[..i].contains(s) {
                return Err(invalid(format!("instruments[{i}]"), "listed twice"));
            }
        }
        if c.venues.is_empty() || c.venues.len() > crossbar_router::VENUES_MAX {
            return Err(invalid("venues", "1..=64 venues are needed"));
        }
        let mut venues = Vec::with_capacity(c.venues.len());
        for (i, v) in c.venues.iter().enumerate() {
            let key = |k: &str| format!("venues[{i}].{k}");
            if v.venue_id == 0 || c.venues[..i].iter().any(|o| o.venue_id == v.venue_id) {
                return Err(invalid(key("venue_id"), "must be 1..=65535 and unique"));
            }
            if !venue_code_ok(&v.name) || c.venues[..i].iter().any(|o| o.name == v.name) {
                return Err(invalid(key("name"), "1..=8 of A-Z 0-9, unique"));
            }
            if v.gateway_id == 0 || v.gateway_id == c.router_id {
                return Err(invalid(
                    key("gateway_id"),
                    "must be 1..=65535 and differ from router_id",
                ));
            }
            venues.push(VenueConfig {
                venue: VenueId(i as u16),
                gateway: GatewayId(v.gateway_id),
                taker_fee_ticks: v.taker_fee_ticks,
                maker_rebate_ticks: v.maker_rebate_ticks,
            });
        }
        for name in c.risk.instruments.keys() {
            if !c.instruments.contains(name) {
                return Err(invalid(
                    format!("risk.instruments.{name}"),
                    "not in instruments",
                ));
            }
        }
        let mut instruments = Vec::with_capacity(c.instruments.len());
        let d = c.risk.defaults;
        for symbol in &c.instruments {
            let o = c.risk.instruments.get(symbol).copied().unwrap_or_default();
            instruments.push(InstrumentRiskLimits {
                max_position: limit("max_position", symbol, o.max_position, d.max_position)?,
                max_order_qty: Qty(limit(
                    "max_order_qty",
                    symbol,
                    o.max_order_qty,
                    d.max_order_qty,
                )?),
                max_order_notional: limit(
                    "max_order_notional",
                    symbol,
                    o.max_order_notional,
                    d.max_order_notional,
                )?
                .into(),
                max_gross_notional: limit(
                    "max_gross_notional",
                    symbol,
                    o.max_gross_notional,
                    d.max_gross_notional,
                )?
                .into(),
                max_net_notional: limit(
                    "max_net_notional",
                    symbol,
                    o.max_net_notional,
                    d.max_net_notional,
                )?
                .into(),
                credit_notional: limit(
                    "credit_notional",
                    symbol,
                    o.credit_notional,
                    d.credit_notional,
                )?
                .into(),
                price_collar_bps: limit(
                    "price_collar_bps",
                    symbol,
                    o.price_collar_bps,
                    d.price_collar_bps,
                )?,
                max_orders_per_second: limit(
                    "max_orders_per_second",
                    symbol,
                    o.max_orders_per_second,
                    d.max_orders_per_second,
                )?,
            });
        }
        let heartbeat_timeout_ns = positive_ms("venue_timeout_ms", c.venue_timeout_ms)?;
        let heartbeat_interval_ns = positive_ms("heartbeat_interval_ms", c.heartbeat_interval_ms)?;
        let snapshot_interval_ns = positive_ms("snapshot_interval_ms", c.snapshot_interval_ms)?;
        positive_ms("control.command_timeout_ms", c.control.command_timeout_ms)?;
        for (key, v) in [
            ("control.command_queue", c.control.command_queue),
            ("control.commands_per_cycle", c.control.commands_per_cycle),
            ("control.update_buffer", c.control.update_buffer),
        ] {
            if v == 0 || v > 1 << 24 {
                return Err(invalid(key, "must be 1..=16777216"));
            }
        }
        if !(4_096..=1 << 30).contains(&c.control.outbox_bytes) {
            return Err(invalid("control.outbox_bytes", "must be 4096..=1073741824"));
        }
        let limits = RouterLimits {
            router_id: GatewayId(c.router_id),
            instrument_count: c.instruments.len() as u32,
            venues,
            book_depth: c.router.book_depth,
            max_parents: c.router.max_parents,
            max_children: c.router.max_children,
            max_children_per_parent: c.router.max_children_per_parent,
            heartbeat_timeout_ns,
            latency_penalty_ticks_per_ms: c.router.latency_penalty_ticks_per_ms,
            queue_penalty_ticks_per_10k_shares: c.router.queue_penalty_ticks_per_10k_shares,
            instruments,
            max_gross_notional_total: c.risk.max_gross_notional_total.into(),
            max_net_notional_total: c.risk.max_net_notional_total.into(),
        };
        if let Err(crossbar_router::RouterError::InvalidLimits { field, value }) = limits.validate()
        {
            let key = match field {
                "instruments.max_position"
                | "instruments.max_order_notional"
                | "instruments.max_gross_notional"
                | "instruments.max_net_notional"
                | "instruments.credit_notional" => {
                    format!("risk.{}", field.replace("instruments.", "defaults."))
                }
                "max_gross_notional_total" | "max_net_notional_total" => format!("risk.{field}"),
                "heartbeat_timeout_ns" => "venue_timeout_ms".to_owned(),
                f if f.starts_with("venues") => "venues".to_owned(),
                f => format!("router.{f}"),
            };
            return Err(invalid(key, format!("value {value} out of bounds")));
        }
        c.journal
            .validate()
            .map_err(|e| invalid("journal", e.to_string()))?;
        c.transport
            .validate()
            .map_err(|e| invalid("transport", e.to_string()))?;
        let mut gateways: Vec<u16> = c.venues.iter().map(|v| v.gateway_id).collect();
        gateways.sort_unstable();
        gateways.dedup();
        Ok(Settings {
            venue_ids: c.venues.iter().map(|v| v.venue_id).collect(),
            venue_names: c.venues.iter().map(|v| v.name.clone()).collect(),
            gateways,
            heartbeat_interval_ns,
            snapshot_interval_ns,
            limits,
            config: c,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> AggregatorConfig {
        AggregatorConfig {
            instruments: vec!["AAPL".into(), "MSFT".into()],
            venues: [(1, "NASDAQ", 1), (2, "BX", 2), (3, "PSX", 3)]
                .into_iter()
                .map(|(venue_id, name, gateway_id)| VenueSection {
                    venue_id,
                    name: name.into(),
                    gateway_id,
                    ..VenueSection::default()
                })
                .collect(),
            ..AggregatorConfig::default()
        }
    }

    #[test]
    fn example_config_loads_and_validates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../deploy/aggregator/aggregator.toml");
        let c: AggregatorConfig = crossbar_runtime::load_config(Some(&path)).unwrap();
        let s = c.validate().unwrap();
        assert_eq!(s.venue_ids, [1, 2, 3]);
        assert_eq!(s.gateways, [1, 2, 3]);
        let t = &s.config.transport;
        assert_eq!(t.subscriptions[MARKET_DATA].stream_id, 1003);
        assert_eq!(t.subscriptions[EXECUTIONS].stream_id, 1002);
        assert_eq!(t.publications["orders_2"].stream_id, 1102);
    }

    #[test]
    fn bad_values_name_their_key() {
        let key = |f: fn(&mut AggregatorConfig)| {
            let mut c = good();
            f(&mut c);
            c.validate().unwrap_err().key
        };
        assert!(good().validate().is_ok());
        assert_eq!(key(|c| c.instruments.clear()), "instruments");
        assert_eq!(key(|c| c.instruments[1] = "aapl".into()), "instruments[1]");
        assert_eq!(key(|c| c.venues[1].venue_id = 1), "venues[1].venue_id");
        assert_eq!(key(|c| c.venues[2].name = "nope!".into()), "venues[2].name");
        assert_eq!(key(|c| c.venues[0].gateway_id = 0), "venues[0].gateway_id");
        assert_eq!(key(|c| c.venue_timeout_ms = 0), "venue_timeout_ms");
        assert_eq!(key(|c| c.router.book_depth = 0), "router.book_depth");
        assert_eq!(
            key(|c| c.control.command_queue = 0),
            "control.command_queue"
        );
        assert_eq!(
            key(|c| c.risk.defaults.max_position = Some(-1)),
            "risk.defaults.max_position"
        );
        assert_eq!(
            key(|c| {
                c.risk
                    .instruments
                    .insert("ZZZ".into(), InstrumentLimitsConfig::default());
            }),
            "risk.instruments.ZZZ"
        );
    }
}
