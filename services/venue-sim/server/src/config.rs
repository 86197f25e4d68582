//! The venue simulator's configuration: one TOML file (`--config path`) over the defaults
//! below, then `CROSSBAR_` environment overrides (`CROSSBAR_OUCH__LISTEN_ADDR=...`), loaded
//! with [`crossbar_runtime::load_config`]. Unknown keys are errors. [`VenueSimConfig::validate`]
//! checks what serde cannot and names the key ([`ConfigProblem`]).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crossbar_runtime::{IdleStrategyConfig, LoggingConfig};
use serde::{Deserialize, Serialize};

use crate::fees::FeeSchedule;

/// Which NASDAQ-family venue this process plays. All three speak the same protocols (ITCH
/// 5.0 over MoldUDP64, OUCH 5.0 over SoupBinTCP 3.0); they differ in configuration only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VenueName {
    /// The Nasdaq Stock Market.
    #[serde(rename = "NASDAQ")]
    Nasdaq,
    /// Nasdaq BX.
    #[serde(rename = "BX")]
    Bx,
    /// Nasdaq PSX.
    #[serde(rename = "PSX")]
    Psx,
}

impl VenueName {
    /// The name as written in configuration and printed in the ready line.
    pub const fn as_str(self) -> &'static str {
        match self {
            VenueName::Nasdaq => "NASDAQ",
            VenueName::Bx => "BX",
            VenueName::Psx => "PSX",
        }
    }
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueSimConfig {
    /// `NASDAQ`, `BX` or `PSX`. Default `NASDAQ`.
    pub venue: VenueName,
    /// The platform's venue id (crossbar_model::VenueId), 1 or more. Default 1.
    pub venue_id: u16,
    /// Control channel TCP listen address (line protocol, see `docs/venue-sim.md`). Port 0
    /// picks a free port (printed in the ready line). Default `127.0.0.1:0`.
    pub control_addr: SocketAddr,
    /// Idle strategy of the engine thread. Default backoff; production configs busy-spin.
    pub idle: IdleStrategyConfig,
    /// The venue's midnight for every ITCH/OUCH Timestamp (ns since midnight, OUCH 5.0
    /// §3.2 "Timestamp"), as seconds east of UTC: local time = UTC + this. Default 0 (UTC
    /// midnight); within ±64,800 (±18 h). A fixed offset: NASDAQ's US Eastern midnight would be
    /// −18,000 (EST) or −14,400 (EDT), set by hand. Gateways must use the same value
    /// (`order_entry.venue_midnight_utc_offset_s`). See [`crate::clock::VenueMidnight`].
    pub midnight_utc_offset_s: i32,
    /// Log format and level.
    pub logging: LoggingConfig,
    /// Market data: MoldUDP64 publisher and retransmission server.
    pub feed: FeedSection,
    /// Retained ITCH history (for retransmission).
    pub history: HistorySection,
    /// Order entry: OUCH 5.0 over SoupBinTCP 3.0.
    pub ouch: OuchSection,
    /// Fees and rebates per share.
    pub fees: FeeSchedule,
    /// Matching engine sizes.
    pub limits: LimitsSection,
    /// Where the book comes from and how fast it is replayed.
    pub seed: SeedSection,
    /// Control channel limits.
    pub control: ControlSection,
}

impl Default for VenueSimConfig {
    fn default() -> Self {
        Self {
            venue: VenueName::Nasdaq,
            venue_id: 1,
            control_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            idle: IdleStrategyConfig::default(),
            midnight_utc_offset_s: 0,
            logging: LoggingConfig::default(),
            feed: FeedSection::default(),
            history: HistorySection::default(),
            ouch: OuchSection::default(),
            fees: FeeSchedule::default(),
            limits: LimitsSection::default(),
            seed: SeedSection::default(),
            control: ControlSection::default(),
        }
    }
}

/// `[feed]`: MoldUDP64 1.00 downstream and the retransmission (request) server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSection {
    /// MoldUDP64 session name, 1 to 10 ASCII characters (space padded on the wire).
    /// Default `NASDAQ0001`.
    pub session: String,
    /// Where downstream packets go: a unicast `ip:port` or a multicast `group:port`.
    /// Default `239.192.0.1:31001`.
    pub destination: SocketAddr,
    /// Local IPv4 address to send from; for a multicast destination this selects the
    /// outgoing interface (Linux routes multicast from a bound source address out of the
    /// interface that owns it). Default: unset (any address, the route's interface).
    pub interface: Option<IpAddr>,
    /// Retransmission request server UDP bind address. Default `127.0.0.1:0`.
    pub request_addr: SocketAddr,
    /// Largest UDP payload, bytes (MoldUDP64 header included). Default 1,400.
    pub max_payload: usize,
    /// Heartbeat after this long without a packet, ms. Default 1,000.
    pub heartbeat_interval_ms: u64,
    /// IPv4 multicast TTL. Default 1.
    pub multicast_ttl: u32,
    /// Deliver multicast to this host's own sockets. Default true.
    pub multicast_loopback: bool,
    /// Most messages answered per request. Default 1,000.
    pub request_count_max: u16,
}

impl Default for FeedSection {
    fn default() -> Self {
        Self {
            session: "NASDAQ0001".into(),
            destination: SocketAddr::from(([239, 192, 0, 1], 31_001)),
            interface: None,
            request_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_payload: 1_400,
            heartbeat_interval_ms: 1_000,
            multicast_ttl: 1,
            multicast_loopback: true,
            request_count_max: 1_000,
        }
    }
}

/// `[history]`: how much of the sequenced ITCH stream is kept for retransmission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistorySection {
    /// Message bytes kept (at least 65,535). Default 64 MiB.
    pub bytes: usize,
    /// Messages kept. Default 1,000,000.
    pub messages: usize,
}

impl Default for HistorySection {
    fn default() -> Self {
        Self {
            bytes: 64 << 20,
            messages: 1_000_000,
        }
    }
}

/// One order-entry login (SoupBinTCP 3.0 §2.2.1 Login Request: username ≤ 6, password ≤ 10
/// ASCII characters, compared case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Username, 1 to 6 characters.
    pub username: String,
    /// Password, 1 to 10 characters.
    pub password: String,
}

/// `[ouch]`: the SoupBinTCP listener and its sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OuchSection {
    /// TCP listen address. Default `127.0.0.1:0`.
    pub listen_addr: SocketAddr,
    /// SoupBinTCP session id sent in Login Accepted, 1 to 10 characters. Default `OUCH`.
    pub session: String,
    /// Server Heartbeat after this long without sending, ms (§1.3). Default 1,000.
    pub heartbeat_interval_ms: u64,
    /// Close a logged-in connection silent this long, ms (§1.3). Default 15,000.
    pub client_timeout_ms: u64,
    /// Close a connection that has not logged in this long after connecting, ms. Default 30,000.
    pub login_timeout_ms: u64,
    /// Most TCP connections at once (logged in or not). Default 16.
    pub connections_max: usize,
    /// Sequenced messages kept per account for replay on reconnect. Default 100,000.
    pub store_messages: usize,
    /// Sequenced message bytes kept per account. Default 8 MiB.
    pub store_bytes: usize,
    /// The accounts; each is one engine session with its own sequenced stream, tokens and
    /// fee totals. Default: one account `USER01` / `PASSWD`.
    pub accounts: Vec<Account>,
}

impl Default for OuchSection {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            session: "OUCH".into(),
            heartbeat_interval_ms: 1_000,
            client_timeout_ms: 15_000,
            login_timeout_ms: 30_000,
            connections_max: 16,
            store_messages: 100_000,
            store_bytes: 8 << 20,
            accounts: vec![Account {
                username: "USER01".into(),
                password: "PASSWD".into(),
            }],
        }
    }
}

/// `[limits]`: the matching engine's sizes (crossbar_matching::MatchingLimits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Instruments (symbols) the venue can list. Default 64.
    pub instruments: u32,
    /// Resting orders at once, seeded and client. Default 1,000,000.
    pub orders: u32,
    /// Price levels per side per instrument. Default 4,096.
    pub levels_per_side: u32,
    /// Largest client order, shares (OUCH 5.0 §2.1: below 1,000,000). Default 999,999.
    pub order_qty_max: u32,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            instruments: 64,
            orders: 1_000_000,
            levels_per_side: 4_096,
            order_qty_max: 999_999,
        }
    }
}

/// `[seed]`: the ITCH history replayed into the book and onto the feed at start-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeedSection {
    /// Messages replayed per duty cycle; 0 = as fast as the publisher's backlog allows.
    /// Default 0.
    pub pace_per_duty_cycle: u32,
    /// Most messages sequenced but not yet sent before seeding waits. Default 4,096.
    pub backlog_max: u64,
    /// The history.
    pub source: SeedSourceConfig,
}

impl Default for SeedSection {
    fn default() -> Self {
        Self {
            pace_per_duty_cycle: 0,
            backlog_max: 4_096,
            source: SeedSourceConfig::default(),
        }
    }
}

/// `[seed.source]`, chosen by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SeedSourceConfig {
    /// The day-like generator (crossbar_itch::generate) over a symbol universe: `symbols`
    /// when given (locates 1.. in list order), else `symbol_count` generator names
    /// (`AAAA`, `AAAB`, ...). Reference prices depend on the symbol only, so venues with the
    /// same universe and different `seed`s quote the same stocks near the same prices with
    /// different books.
    Generator {
        /// Order-flow seed.
        #[serde(default = "default_generator_seed")]
        seed: u64,
        /// Explicit symbols (1 to 8 ASCII characters each).
        #[serde(default)]
        symbols: Vec<String>,
        /// Generator-named symbols when `symbols` is empty.
        #[serde(default = "default_symbol_count")]
        symbol_count: u16,
        /// Messages in the generated day, structural ones included.
        #[serde(default = "default_generator_messages")]
        messages: u64,
    },
    /// A TotalView-ITCH 5.0 day file (2-byte length prefixed messages).
    DayFile {
        /// The file.
        path: PathBuf,
    },
    /// A pcap/pcapng of MoldUDP64 packets carrying ITCH 5.0.
    Pcap {
        /// The capture.
        path: PathBuf,
    },
}

fn default_generator_seed() -> u64 {
    1
}
fn default_symbol_count() -> u16 {
    8
}
fn default_generator_messages() -> u64 {
    20_000
}

impl Default for SeedSourceConfig {
    fn default() -> Self {
        SeedSourceConfig::Generator {
            seed: default_generator_seed(),
            symbols: Vec::new(),
            symbol_count: default_symbol_count(),
            messages: default_generator_messages(),
        }
    }
}

/// `[control]`: the control channel's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlSection {
    /// Commands waiting for the engine thread at once (bounded queue). Default 64.
    pub queue_capacity: usize,
    /// Control connections at once. Default 8.
    pub connections_max: usize,
    /// How long a connection waits for the engine's answer, ms. Default 5,000.
    pub reply_timeout_ms: u64,
}

impl Default for ControlSection {
    fn default() -> Self {
        Self {
            queue_capacity: 64,
            connections_max: 8,
            reply_timeout_ms: 5_000,
        }
    }
}

/// A value serde accepted but the simulator cannot run with: the dotted key and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("CONFIG_INVALID key={key} reason={reason}")]
pub struct ConfigProblem {
    /// Dotted key, e.g. `ouch.accounts.1.username`.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

fn problem(key: impl Into<String>, reason: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        key: key.into(),
        reason: reason.into(),
    }
}

fn ascii_len(key: &str, value: &str, max: usize) -> Result<(), ConfigProblem> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(problem(
            key,
            format!("must be 1 to {max} printable ASCII characters without spaces, got {value:?}"),
        ));
    }
    Ok(())
}

fn range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigProblem> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(problem(key, format!("{value} is outside {min}..={max}")))
    }
}

impl VenueSimConfig {
    /// Checks every value serde cannot: lengths of protocol text fields, ranges of sizes
    /// and timers, distinct usernames, fee magnitudes, symbols.
    ///
    /// # Errors
    /// The first [`ConfigProblem`] found, naming its dotted key.
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        range("venue_id", self.venue_id.into(), 1, u16::MAX.into())?;
        if crate::clock::VenueMidnight::with_offset_s(self.midnight_utc_offset_s).is_none() {
            let max = crate::clock::MIDNIGHT_OFFSET_MAX_S;
            return Err(problem(
                "midnight_utc_offset_s",
                format!(
                    "{} is outside -{max}..={max} (seconds east of UTC)",
                    self.midnight_utc_offset_s
                ),
            ));
        }
        ascii_len("feed.session", &self.feed.session, 10)?;
        range("feed.max_payload", self.feed.max_payload as u64, 64, 65_507)?;
        range(
            "feed.heartbeat_interval_ms",
            self.feed.heartbeat_interval_ms,
            1,
            3_600_000,
        )?;
        range(
            "feed.request_count_max",
            self.feed.request_count_max.into(),
            1,
            65_534,
        )?;
        if self.feed.destination.port() == 0 {
            return Err(problem("feed.destination", "port 0 is not a destination"));
        }
        range("history.bytes", self.history.bytes as u64, 65_535, 1 << 34)?;
        range("history.messages", self.history.messages as u64, 1, 1 << 28)?;
        self.validate_ouch()?;
        self.fees.validate()?;
        let l = &self.limits;
        range("limits.instruments", l.instruments.into(), 1, 65_536)?;
        range("limits.orders", l.orders.into(), 1, 1 << 30)?;
        range(
            "limits.levels_per_side",
            l.levels_per_side.into(),
            1,
            1 << 20,
        )?;
        range("limits.order_qty_max", l.order_qty_max.into(), 1, 999_999)?;
        range("seed.backlog_max", self.seed.backlog_max, 1, 1 << 30)?;
        self.validate_source()?;
        let c = &self.control;
        range("control.queue_capacity", c.queue_capacity as u64, 1, 4_096)?;
        range("control.connections_max", c.connections_max as u64, 1, 256)?;
        range("control.reply_timeout_ms", c.reply_timeout_ms, 1, 600_000)
    }

    fn validate_ouch(&self) -> Result<(), ConfigProblem> {
        let o = &self.ouch;
        ascii_len("ouch.session", &o.session, 10)?;
        range(
            "ouch.heartbeat_interval_ms",
            o.heartbeat_interval_ms,
            1,
            3_600_000,
        )?;
        range("ouch.client_timeout_ms", o.client_timeout_ms, 1, 3_600_000)?;
        range("ouch.login_timeout_ms", o.login_timeout_ms, 1, 3_600_000)?;
        range("ouch.connections_max", o.connections_max as u64, 1, 4_096)?;
        range("ouch.store_messages", o.store_messages as u64, 1, 1 << 28)?;
        range("ouch.store_bytes", o.store_bytes as u64, 256, 1 << 34)?;
        range("ouch.accounts", o.accounts.len() as u64, 1, 1_000)?;
        for (i, account) in o.accounts.iter().enumerate() {
            ascii_len(&format!("ouch.accounts.{i}.username"), &account.username, 6)?;
            ascii_len(
                &format!("ouch.accounts.{i}.password"),
                &account.password,
                10,
            )?;
            let duplicate = o.accounts[..i]
                .iter()
                .any(|a| a.username.eq_ignore_ascii_case(&account.username));
            if duplicate || account.username.eq_ignore_ascii_case("all") {
                return Err(problem(
                    format!("ouch.accounts.{i}.username"),
                    format!(
                        "{:?} is a duplicate or reserved (\"all\")",
                        account.username
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_source(&self) -> Result<(), ConfigProblem> {
        let SeedSourceConfig::Generator {
            symbols,
            symbol_count,
            messages,
            ..
        } = &self.seed.source
        else {
            return Ok(());
        };
        let count = if symbols.is_empty() {
            u64::from(*symbol_count)
        } else {
            symbols.len() as u64
        };
        range(
            "seed.source.symbol_count",
            count,
            1,
            self.limits.instruments.into(),
        )?;
        range("seed.source.messages", *messages, 1, 1 << 40)?;
        for (i, symbol) in symbols.iter().enumerate() {
            let key = format!("seed.source.symbols.{i}");
            ascii_len(&key, symbol, 8)?;
            if symbols[..i].contains(symbol) {
                return Err(problem(key, format!("{symbol:?} is listed twice")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        VenueSimConfig::default().validate().unwrap();
    }

    #[test]
    fn problems_name_their_key() {
        let mut c = VenueSimConfig::default();
        c.ouch.accounts.push(Account {
            username: "user01".into(),
            password: "x".into(),
        });
        assert_eq!(c.validate().unwrap_err().key, "ouch.accounts.1.username");
        let mut c = VenueSimConfig::default();
        c.feed.session = "ELEVENCHARS".into();
        assert_eq!(c.validate().unwrap_err().key, "feed.session");
        let mut c = VenueSimConfig::default();
        c.seed.source = SeedSourceConfig::Generator {
            seed: 1,
            symbols: vec!["AAPL".into(), "TOOLONGSYM".into()],
            symbol_count: 0,
            messages: 10,
        };
        assert_eq!(c.validate().unwrap_err().key, "seed.source.symbols.1");
        let mut c = VenueSimConfig::default();
        c.fees.taker_fee_per_share = 20_000;
        assert_eq!(c.validate().unwrap_err().key, "fees.taker_fee_per_share");
        let mut c = VenueSimConfig::default();
        c.limits.instruments = 4;
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "CONFIG_INVALID key=seed.source.symbol_count reason=8 is outside 1..=4"
        );
        let mut c = VenueSimConfig {
            midnight_utc_offset_s: -64_801,
            ..VenueSimConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "CONFIG_INVALID key=midnight_utc_offset_s reason=-64801 is outside -64800..=64800 \
             (seconds east of UTC)"
        );
        c.midnight_utc_offset_s = -18_000;
        c.validate().unwrap();
    }
}
