//! [`GatewayConfig`] checked and turned into the typed start-up values of every component.
//! Everything that can be wrong with a file is found here, before any socket is opened, and
//! reported as [`ConfigInvalid`] naming the key.

use crossbar_book::BookLimits;
use crossbar_feed::{BookBuilderLimits, FeedLimits, MoldFeedConfig, RecoveryPolicy};
use crossbar_itch::Stock;
use crossbar_model::{GatewayId, InstrumentId, Qty, VenueId};
use crossbar_moldudp64::Session;
use crossbar_order_entry::OrderEntryConfig;
use crossbar_ouch as ouch;
use crossbar_risk::{InstrumentLimits, RiskLimits};
use crossbar_soupbintcp::{ClientConfig, Password, Username};

use crate::agent::CentreRule;
use crate::config::{
    invalid, CapacityConfig, ConfigInvalid, GatewayConfig, InstrumentLimitsConfig,
};
use crate::exec::RECORD_BYTES_MAX;

const MS: u64 = 1_000_000;

/// Level updates buffered between drains (crossbar-feed `BookBuilderLimits::level_updates`): the gateway drains after every ITCH message, which
/// records at most two (a replace).
pub const LEVEL_UPDATES: usize = 16;

/// The platform instrument universe: `InstrumentId(i)` is `stocks[i]` / `symbols[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Universe {
    /// ITCH 5.0 Stock (8 bytes, space padded), by instrument id.
    pub stocks: Vec<Stock>,
    /// OUCH 5.0 Symbol, by instrument id.
    pub symbols: Vec<ouch::Symbol>,
}

impl Universe {
    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.stocks.len()
    }

    /// True when empty (never, once validated).
    pub fn is_empty(&self) -> bool {
        self.stocks.is_empty()
    }
}

/// Everything the gateway is built from, validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The file as loaded, default streams filled in.
    pub config: GatewayConfig,
    /// This gateway.
    pub gateway_id: GatewayId,
    /// Its venue.
    pub venue_id: VenueId,
    /// The instrument universe.
    pub universe: Universe,
    /// The feed agent's sockets, limits and recovery policy.
    pub feed: MoldFeedConfig,
    /// Book sizes (instruments = universe).
    pub book: BookBuilderLimits,
    /// Risk limits per instrument id.
    pub risk: RiskLimits,
    /// Start-up credit per instrument: shares, notional 1/10,000.
    pub startup_credit: (i64, i128),
    /// Order-entry sizes and symbol table.
    pub order_entry: OrderEntryConfig,
    /// SoupBinTCP login and timers.
    pub soup: ClientConfig,
    /// OUCH reconnect period, ns.
    pub reconnect_interval_ns: u64,
    /// Heartbeat period, ns.
    pub heartbeat_interval_ns: u64,
    /// Periodic FeedStatus, ns.
    pub feed_status_interval_ns: u64,
    /// Execution queue bytes.
    pub queue_bytes: usize,
    /// The centre liveness rule and shutdown credit return (`[centre]`).
    pub centre_rule: CentreRule,
}

fn positive_ms(key: &str, ms: u64) -> Result<u64, ConfigInvalid> {
    if ms == 0 || ms > 3_600_000 {
        return Err(invalid(key, format!("{ms} not in 1..=3600000")));
    }
    Ok(ms * MS)
}

/// Checks `config` and builds [`Settings`].
///
/// # Errors
/// [`ConfigInvalid`] naming the first bad key.
pub fn validate(config: GatewayConfig) -> Result<Settings, ConfigInvalid> {
    let config = config.with_default_streams();
    if config.gateway_id == 0 {
        return Err(invalid(
            "gateway_id",
            "must be 1..=65535 (0 is the aggregator)",
        ));
    }
    if config.venue_id == 0 {
        return Err(invalid("venue_id", "must be set (1..=65535)"));
    }
    if config.venue.is_empty() || config.venue.contains(char::is_whitespace) {
        return Err(invalid("venue", "must be a non-empty name without spaces"));
    }
    let universe = universe(&config.instruments)?;
    config
        .transport
        .validate()
        .map_err(|e| invalid("transport", e.to_string()))?;
    let feed = feed(&config)?;
    let book = book(&config, universe.len())?;
    let risk = risk_limits(&config, &universe)?;
    let (order_entry, soup) = order_entry(&config, &universe)?;
    let queue_min = 16 * RECORD_BYTES_MAX;
    if config.executions.queue_bytes < queue_min || config.executions.queue_bytes > 1 << 30 {
        return Err(invalid(
            "executions.queue_bytes",
            format!(
                "{} not in {queue_min}..=1073741824",
                config.executions.queue_bytes
            ),
        ));
    }
    let c = &config.centre;
    if c.heartbeat_timeout_ms > 3_600_000 {
        return Err(invalid(
            "centre.heartbeat_timeout_ms",
            format!("{} not in 0..=3600000", c.heartbeat_timeout_ms),
        ));
    }
    let centre_rule = CentreRule {
        heartbeat_timeout_ns: c.heartbeat_timeout_ms * MS,
        cancel_on_fail_closed: c.cancel_on_fail_closed,
        return_credit_on_shutdown: c.return_credit_on_shutdown,
    };
    config.journal.validate().map_err(|e| match &e {
        crossbar_journal::JournalError::ConfigInvalid { field, .. } => {
            invalid(field, e.to_string())
        }
        _ => invalid("journal", e.to_string()),
    })?;
    Ok(Settings {
        centre_rule,
        gateway_id: GatewayId(config.gateway_id),
        venue_id: VenueId(config.venue_id),
        feed,
        book,
        risk,
        startup_credit: startup_credit(&config)?,
        order_entry,
        soup,
        reconnect_interval_ns: positive_ms(
            "order_entry.reconnect_interval_ms",
            config.order_entry.reconnect_interval_ms,
        )?,
        heartbeat_interval_ns: positive_ms("heartbeat_interval_ms", config.heartbeat_interval_ms)?,
        feed_status_interval_ns: positive_ms(
            "feed_status_interval_ms",
            config.feed_status_interval_ms,
        )?,
        queue_bytes: config.executions.queue_bytes,
        universe,
        config,
    })
}

fn universe(instruments: &[String]) -> Result<Universe, ConfigInvalid> {
    if instruments.is_empty() {
        return Err(invalid(
            "instruments",
            "the universe must list at least one symbol",
        ));
    }
    if instruments.len() > 1 << 20 {
        return Err(invalid("instruments", "more than 1,048,576 symbols"));
    }
    let mut stocks = Vec::with_capacity(instruments.len());
    let mut symbols = Vec::with_capacity(instruments.len());
    for (i, name) in instruments.iter().enumerate() {
        let key = format!("instruments[{i}]");
        let printable = !name.is_empty() && name.bytes().all(|b| (0x21..0x7f).contains(&b));
        let (Some(stock), Some(symbol), true) =
            (Stock::from_symbol(name), ouch::Symbol::new(name), printable)
        else {
            return Err(invalid(
                &key,
                format!("{name:?} is not 1..=8 printable ASCII"),
            ));
        };
        if stocks.contains(&stock) {
            return Err(invalid(&key, format!("{name:?} listed twice")));
        }
        stocks.push(stock);
        symbols.push(symbol);
    }
    Ok(Universe { stocks, symbols })
}

fn feed(config: &GatewayConfig) -> Result<MoldFeedConfig, ConfigInvalid> {
    let f = &config.feed;
    let session = match &f.session {
        None => None,
        Some(s) if s.len() <= 10 && s.bytes().all(|b| (0x20..0x7f).contains(&b)) => {
            let mut bytes = [b' '; 10];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Some(Session(bytes))
        }
        Some(s) => {
            return Err(invalid(
                "feed.session",
                format!("{s:?} is not 0..=10 ASCII"),
            ))
        }
    };
    let limits = FeedLimits {
        reorder_packets: f.reorder_packets,
        reorder_bytes: f.reorder_bytes,
        packet_bytes_max: f.packet_bytes_max,
        datagrams_per_cycle: f.datagrams_per_cycle,
        receive_buffer_bytes: f.receive_buffer_bytes,
    };
    limits.validate().map_err(|e| feed_key(&e))?;
    let recovery = RecoveryPolicy {
        max_count_per_request: f.max_count_per_request,
        request_timeout_ns: f.request_timeout_ms.saturating_mul(MS),
        request_attempts_max: f.request_attempts_max,
    };
    recovery.validate().map_err(|e| feed_key(&e))?;
    if f.first_sequence_number == 0 {
        return Err(invalid("feed.first_sequence_number", "must be at least 1"));
    }
    Ok(MoldFeedConfig {
        feed_addr: f.addr,
        interface: f.interface,
        request_server: f.request_server,
        session,
        first_sequence_number: f.first_sequence_number,
        limits,
        recovery,
    })
}

fn feed_key(e: &crossbar_feed::FeedError) -> ConfigInvalid {
    match e {
        crossbar_feed::FeedError::InvalidLimits { field, .. } => {
            let field = if *field == "request_timeout_ns" {
                "request_timeout_ms"
            } else {
                field
            };
            invalid(&format!("feed.{field}"), e.to_string())
        }
        other => invalid("feed", other.to_string()),
    }
}

fn book(config: &GatewayConfig, instruments: usize) -> Result<BookBuilderLimits, ConfigInvalid> {
    let b = &config.book;
    if b.levels_per_side == 0 || b.levels_per_side > u32::from(u16::MAX) {
        return Err(invalid("book.levels_per_side", "must be 1..=65535"));
    }
    let limits = BookBuilderLimits {
        book: BookLimits {
            instruments: instruments as u32,
            orders: b.orders,
            levels_per_side: b.levels_per_side,
        },
        level_updates: LEVEL_UPDATES,
    };
    limits
        .validate()
        .map_err(|e| invalid("book.orders", e.to_string()))?;
    Ok(limits)
}

fn instrument_limits(
    key: &str,
    c: &InstrumentLimitsConfig,
    base: Option<&InstrumentLimits>,
) -> Result<InstrumentLimits, ConfigInvalid> {
    let need = |field: &str| invalid(&format!("{key}.{field}"), "required in risk.defaults");
    let limits = InstrumentLimits {
        max_order_qty: match (c.max_order_qty, base) {
            (Some(v), _) => Qty(v),
            (None, Some(b)) => b.max_order_qty,
            (None, None) => return Err(need("max_order_qty")),
        },
        max_order_notional: match (c.max_order_notional, base) {
            (Some(v), _) => i128::from(v),
            (None, Some(b)) => b.max_order_notional,
            (None, None) => return Err(need("max_order_notional")),
        },
        max_long_position: match (c.max_long_position, base) {
            (Some(v), _) => v,
            (None, Some(b)) => b.max_long_position,
            (None, None) => return Err(need("max_long_position")),
        },
        max_short_position: match (c.max_short_position, base) {
            (Some(v), _) => v,
            (None, Some(b)) => b.max_short_position,
            (None, None) => return Err(need("max_short_position")),
        },
        collar_bps: match (c.collar_bps, base) {
            (Some(v), _) => v,
            (None, Some(b)) => b.collar_bps,
            (None, None) => return Err(need("collar_bps")),
        },
        max_orders_per_window: match (c.max_orders_per_window, base) {
            (Some(v), _) => v,
            (None, Some(b)) => b.max_orders_per_window,
            (None, None) => return Err(need("max_orders_per_window")),
        },
    };
    limits.validate().map_err(|e| {
        let crossbar_risk::LimitsError::Invalid { field, .. } = e else {
            return invalid(key, e.to_string());
        };
        let field = field.trim_start_matches("instrument.");
        invalid(&format!("{key}.{field}"), e.to_string())
    })?;
    Ok(limits)
}

fn risk_limits(config: &GatewayConfig, universe: &Universe) -> Result<RiskLimits, ConfigInvalid> {
    let r = &config.risk;
    let defaults = instrument_limits("risk.defaults", &r.defaults, None)?;
    for symbol in r.instruments.keys() {
        if !config.instruments.contains(symbol) {
            return Err(invalid(
                &format!("risk.instruments.{symbol}"),
                "not in the instruments universe",
            ));
        }
    }
    let instruments = config
        .instruments
        .iter()
        .map(|symbol| match r.instruments.get(symbol) {
            Some(o) => instrument_limits(&format!("risk.instruments.{symbol}"), o, Some(&defaults)),
            None => Ok(defaults),
        })
        .collect::<Result<Vec<_>, _>>()?;
    debug_assert_eq!(instruments.len(), universe.len());
    let limits = RiskLimits {
        instruments,
        max_open_orders: r.max_open_orders,
        duplicate_window: r.duplicate_window,
        session_max_orders_per_window: r.session_max_orders_per_window,
        throttle_window_ns: r.throttle_window_ms.saturating_mul(MS),
        kill_switch_allows_reducing: r.kill_switch_allows_reducing,
    };
    limits.validate().map_err(|e| {
        let crossbar_risk::LimitsError::Invalid { field, .. } = e else {
            return invalid("risk", e.to_string());
        };
        let field = if field == "throttle_window_ns" {
            "throttle_window_ms"
        } else {
            field
        };
        invalid(&format!("risk.{field}"), e.to_string())
    })?;
    Ok(limits)
}

fn startup_credit(config: &GatewayConfig) -> Result<(i64, i128), ConfigInvalid> {
    let r = &config.risk;
    if r.startup_credit_shares < 0 {
        return Err(invalid("risk.startup_credit_shares", "must be >= 0"));
    }
    if r.startup_credit_notional < 0 {
        return Err(invalid("risk.startup_credit_notional", "must be >= 0"));
    }
    Ok((
        r.startup_credit_shares,
        i128::from(r.startup_credit_notional),
    ))
}

fn order_entry(
    config: &GatewayConfig,
    universe: &Universe,
) -> Result<(OrderEntryConfig, ClientConfig), ConfigInvalid> {
    let o = &config.order_entry;
    let username = Username::new(&o.username)
        .ok()
        .filter(|_| !o.username.is_empty())
        .ok_or_else(|| invalid("order_entry.username", "must be 1..=6 printable ASCII"))?;
    let password = Password::new(&o.password)
        .map_err(|_| invalid("order_entry.password", "must be 0..=10 printable ASCII"))?;
    let mut soup = ClientConfig::new(username, password);
    soup.heartbeat_interval_ns =
        positive_ms("order_entry.heartbeat_interval_ms", o.heartbeat_interval_ms)?;
    soup.server_timeout_ns = positive_ms("order_entry.server_timeout_ms", o.server_timeout_ms)?;
    let entry = OrderEntryConfig {
        venue_id: VenueId(config.venue_id),
        symbols: universe.symbols.clone(),
        max_live_orders: o.max_live_orders,
        duplicate_execution_window: o.duplicate_execution_window,
        first_user_ref_num: o.first_user_ref_num,
        capacity: match o.capacity {
            CapacityConfig::Agency => ouch::Capacity::Agency,
            CapacityConfig::Principal => ouch::Capacity::Principal,
            CapacityConfig::Riskless => ouch::Capacity::Riskless,
            CapacityConfig::Other => ouch::Capacity::Other,
        },
        venue_midnight_utc_offset_s: o.venue_midnight_utc_offset_s,
    };
    entry.validate(universe.len()).map_err(|e| {
        let key = match &e {
            crossbar_order_entry::OrderEntryError::Config { reason } => match *reason {
                "max_live_orders_out_of_range" => "order_entry.max_live_orders",
                "duplicate_execution_window_out_of_range" => {
                    "order_entry.duplicate_execution_window"
                }
                "first_user_ref_num_zero" => "order_entry.first_user_ref_num",
                "venue_midnight_utc_offset_out_of_range" => {
                    "order_entry.venue_midnight_utc_offset_s"
                }
                _ => "order_entry",
            },
            _ => "order_entry",
        };
        invalid(key, e.to_string())
    })?;
    Ok((entry, soup))
}

/// The instrument id of `symbol` in the universe.
pub fn instrument_of(universe: &Universe, symbol: &str) -> Option<InstrumentId> {
    let stock = Stock::from_symbol(symbol)?;
    universe
        .stocks
        .iter()
        .position(|s| *s == stock)
        .map(|i| InstrumentId(i as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EXECUTIONS, MARKET_DATA, ORDERS};

    fn base() -> GatewayConfig {
        GatewayConfig {
            gateway_id: 2,
            venue_id: 2,
            venue: "BX".into(),
            instruments: vec!["AAPL".into(), "MSFT".into()],
            order_entry: crate::config::OrderEntrySection {
                username: "GW2".into(),
                password: "pw".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn key_of(config: GatewayConfig) -> String {
        validate(config).unwrap_err().key
    }

    #[test]
    fn a_complete_config_validates_with_default_streams_and_ids_from_the_universe() {
        let s = validate(base()).unwrap();
        assert_eq!(s.universe.len(), 2);
        assert_eq!(instrument_of(&s.universe, "MSFT"), Some(InstrumentId(1)));
        assert_eq!(s.order_entry.symbols[1], ouch::Symbol::new("MSFT").unwrap());
        assert_eq!(s.book.book.instruments, 2);
        let t = &s.config.transport;
        assert_eq!(t.subscriptions[ORDERS].stream_id, 1102);
        assert_eq!(t.publications[EXECUTIONS].stream_id, 1002);
        assert_eq!(t.publications[MARKET_DATA].stream_id, 1003);
        assert_eq!(
            s.order_entry.venue_midnight_utc_offset_s, 0,
            "UTC midnight by default"
        );
        let mut c = base();
        c.order_entry.venue_midnight_utc_offset_s = -18_000;
        let s = validate(c).unwrap();
        assert_eq!(s.order_entry.venue_midnight_utc_offset_s, -18_000);
    }

    #[test]
    fn every_bad_value_names_its_key() {
        let mut c = base();
        c.gateway_id = 0;
        assert_eq!(key_of(c), "gateway_id");
        let mut c = base();
        c.instruments.push("AAPL".into());
        assert_eq!(key_of(c), "instruments[2]");
        let mut c = base();
        c.instruments[1] = "TOOLONGSYM".into();
        assert_eq!(key_of(c), "instruments[1]");
        let mut c = base();
        c.instruments.clear();
        assert_eq!(key_of(c), "instruments");
        let mut c = base();
        c.order_entry.username = "SEVENCH".into();
        assert_eq!(key_of(c), "order_entry.username");
        let mut c = base();
        c.order_entry.venue_midnight_utc_offset_s = 64_801;
        assert_eq!(key_of(c), "order_entry.venue_midnight_utc_offset_s");
        let mut c = base();
        c.feed.request_attempts_max = 0;
        assert_eq!(key_of(c), "feed.request_attempts_max");
        let mut c = base();
        c.book.levels_per_side = 70_000;
        assert_eq!(key_of(c), "book.levels_per_side");
        let mut c = base();
        c.risk.defaults.collar_bps = Some(20_000);
        assert_eq!(key_of(c), "risk.defaults.collar_bps");
        let mut c = base();
        c.risk.instruments.insert("SPY".into(), Default::default());
        assert_eq!(key_of(c), "risk.instruments.SPY");
        let mut c = base();
        c.executions.queue_bytes = 10;
        assert_eq!(key_of(c), "executions.queue_bytes");
        let mut c = base();
        c.heartbeat_interval_ms = 0;
        assert_eq!(key_of(c), "heartbeat_interval_ms");
        let mut c = base();
        c.centre.heartbeat_timeout_ms = 3_600_001;
        assert_eq!(key_of(c), "centre.heartbeat_timeout_ms");
        let mut c = base();
        c.journal.segment_size_bytes = 1_000;
        assert_eq!(key_of(c), "journal.segment_size_bytes");
        let mut c = base();
        c.journal.max_payload_bytes = 0;
        assert_eq!(key_of(c), "journal.max_payload_bytes");
    }

    #[test]
    fn per_symbol_risk_overrides_only_what_they_name() {
        let mut c = base();
        c.risk.instruments.insert(
            "MSFT".into(),
            InstrumentLimitsConfig {
                max_order_qty: Some(7),
                ..Default::default()
            },
        );
        let s = validate(c).unwrap();
        assert_eq!(s.risk.instruments[1].max_order_qty, Qty(7));
        assert_eq!(s.risk.instruments[0].max_order_qty, Qty(10_000));
        assert_eq!(
            s.risk.instruments[1].collar_bps,
            s.risk.instruments[0].collar_bps
        );
    }
}
