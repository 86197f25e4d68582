//! The command line (clap): global options, subcommands and their conversion to requests.
//! Values clap cannot parse (a price with 5 decimals, an unknown side) are usage errors
//! (exit 2); values it passes through unchecked (qty 0, a lower-case symbol) are the server's
//! to refuse (exit 1), so the server's validation is what decides.

use clap::{Args, Parser, Subcommand, ValueEnum};
use crossbar_api::proto::{
    ActivateKillSwitchRequest, DeactivateKillSwitchRequest, InstrumentLimits, KillSwitchScope,
    OrderType, SetLimitsRequest, Side, Strategy, SubmitParentRequest, TimeInForce,
};

use crate::price;

/// crossbarctl: operate the Crossbar aggregator over its gRPC API.
#[derive(Debug, Parser)]
#[command(name = "crossbarctl", version)]
pub struct Cli {
    /// Server address: http://host:port, or host:port.
    #[arg(long, global = true, default_value = "http://127.0.0.1:50051")]
    pub addr: String,
    /// Bearer token (needed for submit, cancel, limits set, kill on/off).
    #[arg(long, global = true, env = "CROSSBAR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// One JSON object per line instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// TLS / mTLS options.
    #[command(flatten)]
    pub tls: crate::tls::TlsArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cross-venue positions.
    Positions {
        /// Only this instrument.
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Parent orders, newest first; with ID, that order and its child orders.
    Orders {
        /// A parent order id.
        id: Option<u64>,
        /// Only orders not in a terminal state.
        #[arg(long)]
        active: bool,
        /// Most orders to list (0 = the server's maximum).
        #[arg(long, default_value_t = 0)]
        limit: u32,
    },
    /// Submit a parent order.
    Submit(SubmitArgs),
    /// Cancel a parent order's remainder.
    Cancel {
        /// The parent order id.
        id: u64,
    },
    /// Show (default) or set pre-trade limits.
    Limits {
        /// get or set.
        #[command(subcommand)]
        command: Option<LimitsCommand>,
    },
    /// Show (default), engage or release the kill switch.
    Kill {
        /// status, on or off.
        #[command(subcommand)]
        command: Option<KillCommand>,
    },
    /// Venue sessions and feeds.
    Venues,
}

/// `limits get|set`.
#[derive(Debug, Subcommand)]
pub enum LimitsCommand {
    /// Limits of every instrument, or of one.
    Get {
        /// Only this instrument.
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Replace one instrument's limits.
    Set(SetLimitsArgs),
}

/// `kill status|on|off`.
#[derive(Debug, Subcommand)]
pub enum KillCommand {
    /// Engaged kill switches.
    Status,
    /// Engage the kill switch for a scope.
    On(KillOnArgs),
    /// Release the kill switch of a scope.
    Off(ScopeArgs),
}

/// Order side.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SideArg {
    /// Buy.
    Buy,
    /// Sell long.
    Sell,
    /// Sell short.
    SellShort,
}

/// Order type.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TypeArg {
    /// Limit.
    Limit,
    /// Marketable limit (price is the cap).
    MarketableLimit,
}

/// Time in force.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TifArg {
    /// Day.
    Day,
    /// Immediate or cancel.
    Ioc,
}

/// Routing strategy.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StrategyArg {
    /// Take across venues.
    Sweep,
    /// Fee- and fill-aware split.
    CostAware,
    /// Post passively.
    Post,
}

/// `submit` options.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Instrument symbol, e.g. AAPL.
    #[arg(long)]
    symbol: String,
    /// Side.
    #[arg(long, value_enum)]
    side: SideArg,
    /// Shares.
    #[arg(long)]
    qty: u32,
    /// Limit price in dollars, at most 4 decimals (e.g. 189.25).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true)]
    price: i64,
    /// Order type.
    #[arg(long = "type", value_enum, default_value = "limit")]
    order_type: TypeArg,
    /// Time in force.
    #[arg(long, value_enum, default_value = "day")]
    tif: TifArg,
    /// Routing strategy.
    #[arg(long, value_enum, default_value = "sweep")]
    strategy: StrategyArg,
    /// Client order id (default: `ctl-<UTC ns>`).
    #[arg(long)]
    client_order_id: Option<String>,
}

impl SubmitArgs {
    /// The request these options describe.
    pub fn into_request(self) -> SubmitParentRequest {
        let side = match self.side {
            SideArg::Buy => Side::Buy,
            SideArg::Sell => Side::Sell,
            SideArg::SellShort => Side::SellShort,
        };
        let order_type = match self.order_type {
            TypeArg::Limit => OrderType::Limit,
            TypeArg::MarketableLimit => OrderType::MarketableLimit,
        };
        let time_in_force = match self.tif {
            TifArg::Day => TimeInForce::Day,
            TifArg::Ioc => TimeInForce::Ioc,
        };
        let strategy = match self.strategy {
            StrategyArg::Sweep => Strategy::Sweep,
            StrategyArg::CostAware => Strategy::CostAware,
            StrategyArg::Post => Strategy::Post,
        };
        let client_order_id = self
            .client_order_id
            .unwrap_or_else(|| format!("ctl-{}", crossbar_model::UtcNanos::now().0));
        SubmitParentRequest {
            instrument_symbol: self.symbol,
            side: side as i32,
            qty: self.qty,
            limit_price: self.price,
            order_type: order_type as i32,
            time_in_force: time_in_force as i32,
            strategy: strategy as i32,
            client_order_id,
        }
    }
}

/// `limits set` options: every limit of one instrument (`--symbol` with the five limits the
/// gateways enforce, optionally its gross / net exposure limits and credit budget), and/or the
/// cross-instrument totals. Absent optional values stay as they are.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args(["symbol", "max_gross_notional_total", "max_net_notional_total"])
))]
pub struct SetLimitsArgs {
    /// Instrument symbol (then the five per-instrument limits below are required).
    #[arg(
        long,
        requires_all = ["max_order_qty", "max_order_notional", "max_position", "collar_bps", "max_orders_per_second"]
    )]
    symbol: Option<String>,
    /// Largest order, shares.
    #[arg(long, requires = "symbol")]
    max_order_qty: Option<u32>,
    /// Largest order notional, dollars (at most 4 decimals).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true, requires = "symbol")]
    max_order_notional: Option<i64>,
    /// Largest absolute position, shares.
    #[arg(long, allow_negative_numbers = true, requires = "symbol")]
    max_position: Option<i64>,
    /// Price collar, basis points.
    #[arg(long, requires = "symbol")]
    collar_bps: Option<u32>,
    /// Orders per second.
    #[arg(long, requires = "symbol")]
    max_orders_per_second: Option<u32>,
    /// Largest gross exposure of the instrument, dollars (unchanged when absent).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true, requires = "symbol")]
    max_gross_notional: Option<i64>,
    /// Largest absolute net exposure of the instrument, dollars (unchanged when absent).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true, requires = "symbol")]
    max_net_notional: Option<i64>,
    /// Credit budget of the instrument shared out to the gateways, dollars (unchanged when
    /// absent; raising it grants the new room at once, lowering it revokes nothing).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true, requires = "symbol")]
    credit_notional: Option<i64>,
    /// Largest gross exposure over all instruments, dollars (unchanged when absent).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true)]
    max_gross_notional_total: Option<i64>,
    /// Largest absolute net exposure over all instruments, dollars (unchanged when absent).
    #[arg(long, value_parser = price::parse, allow_negative_numbers = true)]
    max_net_notional_total: Option<i64>,
    /// Apply only if the current limits version is this (0 = unconditionally).
    #[arg(long, default_value_t = 0)]
    expected_version: u64,
}

impl SetLimitsArgs {
    /// The request these options describe.
    pub fn into_request(self) -> SetLimitsRequest {
        // clap guarantees every per-instrument limit is present with --symbol.
        let instruments = match self.symbol {
            Some(symbol) => vec![InstrumentLimits {
                instrument_symbol: symbol,
                max_order_qty: self.max_order_qty.unwrap_or_default(),
                max_order_notional: self.max_order_notional.unwrap_or_default(),
                max_position: self.max_position.unwrap_or_default(),
                price_collar_bps: self.collar_bps.unwrap_or_default(),
                max_orders_per_second: self.max_orders_per_second.unwrap_or_default(),
                max_gross_notional: self.max_gross_notional,
                max_net_notional: self.max_net_notional,
                credit_notional: self.credit_notional,
            }],
            None => Vec::new(),
        };
        SetLimitsRequest {
            instruments,
            expected_version: self.expected_version,
            max_gross_notional_total: self.max_gross_notional_total,
            max_net_notional_total: self.max_net_notional_total,
        }
    }
}

/// The scope of a kill switch: exactly one of --all, --venue, --symbol.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// Everything.
    #[arg(long)]
    all: bool,
    /// One venue, e.g. XNAS.
    #[arg(long)]
    venue: Option<String>,
    /// One instrument on every venue.
    #[arg(long)]
    symbol: Option<String>,
}

impl ScopeArgs {
    fn parts(self) -> (KillSwitchScope, String, String) {
        match (self.all, self.venue, self.symbol) {
            (_, Some(venue), _) => (KillSwitchScope::Venue, venue, String::new()),
            (_, _, Some(symbol)) => (KillSwitchScope::Instrument, String::new(), symbol),
            _ => (KillSwitchScope::All, String::new(), String::new()),
        }
    }

    /// The Deactivate request for this scope.
    pub fn into_request(self) -> DeactivateKillSwitchRequest {
        let (scope, venue, instrument_symbol) = self.parts();
        DeactivateKillSwitchRequest {
            scope: scope as i32,
            venue,
            instrument_symbol,
        }
    }
}

/// `kill on` options.
#[derive(Debug, Args)]
pub struct KillOnArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Let orders that reduce the position through.
    #[arg(long)]
    allow_risk_reducing: bool,
    /// Why (kept in the audit journal).
    #[arg(long, default_value = "")]
    reason: String,
}

impl KillOnArgs {
    /// The Activate request these options describe.
    pub fn into_request(self) -> ActivateKillSwitchRequest {
        let (scope, venue, instrument_symbol) = self.scope.parts();
        ActivateKillSwitchRequest {
            scope: scope as i32,
            venue,
            instrument_symbol,
            allow_risk_reducing: self.allow_risk_reducing,
            reason: self.reason,
        }
    }
}
