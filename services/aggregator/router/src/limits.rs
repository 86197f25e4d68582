//! Every size and limit of the router, in one place, validated once at construction
//! (TigerBeetle style). All tables are allocated from these in [`crate::Router::new`] and
//! never grow afterwards.

use crate::error::RouterError;
use crossbar_model::{GatewayId, Qty, VenueId};

/// Most venues (venue sets are `u64` bit masks).
pub const VENUES_MAX: usize = 64;
/// Most price levels kept per side per (instrument, venue) book.
pub const BOOK_DEPTH_MAX: u16 = 64;
/// Most instruments.
pub const INSTRUMENTS_MAX: u32 = 1 << 20;
/// Most parent or child orders held at once.
pub const ORDERS_MAX: u32 = 1 << 22;
/// Most child orders one parent may send over its life (bounds re-routing loops).
pub const CHILDREN_PER_PARENT_MAX: u32 = 1 << 16;

const _: () = assert!(VENUES_MAX <= u64::BITS as usize);
const _: () = assert!((ORDERS_MAX as u64) < u32::MAX as u64);

/// One venue as the router sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueConfig {
    /// The venue's index; must equal its position in [`RouterLimits::venues`].
    pub venue: VenueId,
    /// The gateway process that trades this venue (receives its child orders and credit).
    pub gateway: GatewayId,
    /// Fee for taking liquidity, 1/10,000 $ per share (e.g. 30 = $0.0030, the Reg NMS
    /// Rule 610(c) access fee cap). Negative means a taker rebate (inverted venues).
    pub taker_fee_ticks: i64,
    /// Rebate for adding liquidity, 1/10,000 $ per share (e.g. 20 = $0.0020). Negative means a
    /// maker fee.
    pub maker_rebate_ticks: i64,
}

/// Cross-venue risk limits of one instrument. Inclusive: exactly at a limit passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentRiskLimits {
    /// Largest absolute position, shares, counting open parent leaves on the order's side.
    pub max_position: i64,
    /// Largest parent (and child) order, shares.
    pub max_order_qty: Qty,
    /// Largest parent (and child) notional, `price * qty`, 1/10,000 $.
    pub max_order_notional: i128,
    /// Largest gross exposure `(|position| + open buys + open sells) * mark`, 1/10,000 $.
    pub max_gross_notional: i128,
    /// Largest net exposure `|worst-case position| * mark`, 1/10,000 $.
    pub max_net_notional: i128,
    /// Traded-notional budget shared out to gateways as credit, 1/10,000 $. Fills consume it
    /// for the day; returned (unused) credit is re-granted.
    pub credit_notional: i128,
    /// Largest distance of a limit price from the reference price, basis points,
    /// `1..=10_000`. Enforced by the gateways (SBE RiskLimits `priceCollarBps`).
    pub price_collar_bps: u32,
    /// Order rate limit, orders per second, `> 0`. Enforced by the gateways (SBE RiskLimits
    /// `maxOrdersPerSecond`).
    pub max_orders_per_second: u32,
}

/// Largest price collar, basis points (100 %).
pub const PRICE_COLLAR_BPS_MAX: u32 = 10_000;

impl InstrumentRiskLimits {
    /// Checks one instrument's limits: `max_order_qty > 0`, `max_position >= 0`, every
    /// notional in `0..=i64::MAX` (the SBE `Notional` fields of RiskLimits and LimitsState),
    /// `price_collar_bps` in `1..=10_000`, `max_orders_per_second > 0`.
    ///
    /// # Errors
    /// [`RouterError::InvalidLimits`] naming the first bad field (`instruments.<field>`).
    pub fn validate(&self) -> Result<(), RouterError> {
        let bad = |field, value: i128| Err(RouterError::InvalidLimits { field, value });
        if self.max_order_qty.0 == 0 {
            return bad("instruments.max_order_qty", 0);
        }
        if self.max_position < 0 {
            return bad("instruments.max_position", self.max_position.into());
        }
        for (field, v) in [
            ("instruments.max_order_notional", self.max_order_notional),
            ("instruments.max_gross_notional", self.max_gross_notional),
            ("instruments.max_net_notional", self.max_net_notional),
            ("instruments.credit_notional", self.credit_notional),
        ] {
            if v < 0 || v > i128::from(i64::MAX) {
                return bad(field, v);
            }
        }
        if self.price_collar_bps == 0 || self.price_collar_bps > PRICE_COLLAR_BPS_MAX {
            return bad("instruments.price_collar_bps", self.price_collar_bps.into());
        }
        if self.max_orders_per_second == 0 {
            return bad("instruments.max_orders_per_second", 0);
        }
        Ok(())
    }
}

/// Checks the cross-instrument limits: each in `0..=i64::MAX`, 1/10,000 $.
///
/// # Errors
/// [`RouterError::InvalidLimits`] naming `max_gross_notional_total` or
/// `max_net_notional_total`.
pub fn validate_totals(max_gross_total: i128, max_net_total: i128) -> Result<(), RouterError> {
    for (field, v) in [
        ("max_gross_notional_total", max_gross_total),
        ("max_net_notional_total", max_net_total),
    ] {
        if v < 0 || v > i128::from(i64::MAX) {
            return Err(RouterError::InvalidLimits { field, value: v });
        }
    }
    Ok(())
}

/// The router's configuration: sizes, venues, fees and risk limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterLimits {
    /// Issuer id of every parent and child order id the router creates
    /// (`crossbar_model::OrderId` top 16 bits; 0 is the aggregator's reserved id).
    pub router_id: GatewayId,
    /// Instruments, `InstrumentId` `0..instrument_count`.
    pub instrument_count: u32,
    /// Venues, indexed by `VenueId`; at most [`VENUES_MAX`].
    pub venues: Vec<VenueConfig>,
    /// Price levels kept per side of each (instrument, venue) book, `1..=BOOK_DEPTH_MAX`.
    pub book_depth: u16,
    /// Parent orders held at once (live and not yet removed).
    pub max_parents: u32,
    /// Child orders held at once.
    pub max_children: u32,
    /// Child orders one parent may send over its life; when reached, an IOC parent is
    /// cancelled and a DAY parent stops taking and posts.
    pub max_children_per_parent: u32,
    /// A venue whose gateway sent no Heartbeat for longer than this is unhealthy, ns.
    pub heartbeat_timeout_ns: u64,
    /// Cost-aware routing: penalty per millisecond of a venue's EWMA ack latency,
    /// 1/10,000 $ per share per ms.
    pub latency_penalty_ticks_per_ms: i64,
    /// Posting: penalty per 10,000 shares queued ahead at the post price,
    /// 1/10,000 $ per share.
    pub queue_penalty_ticks_per_10k_shares: i64,
    /// Per-instrument risk limits, indexed by `InstrumentId` (`instrument_count` entries).
    pub instruments: Vec<InstrumentRiskLimits>,
    /// Gross exposure over all instruments, 1/10,000 $.
    pub max_gross_notional_total: i128,
    /// Absolute net exposure over all instruments, 1/10,000 $.
    pub max_net_notional_total: i128,
}

impl RouterLimits {
    /// Checks every size and limit.
    ///
    /// # Errors
    /// [`RouterError::InvalidLimits`] naming the first bad field.
    pub fn validate(&self) -> Result<(), RouterError> {
        let bad = |field, value: i128| Err(RouterError::InvalidLimits { field, value });
        if self.instrument_count == 0 || self.instrument_count > INSTRUMENTS_MAX {
            return bad("instrument_count", self.instrument_count.into());
        }
        if self.venues.is_empty() || self.venues.len() > VENUES_MAX {
            return bad("venues", self.venues.len() as i128);
        }
        for (i, v) in self.venues.iter().enumerate() {
            if v.venue.0 as usize != i {
                return bad("venues.venue", v.venue.0.into());
            }
            if v.gateway == self.router_id {
                return bad("venues.gateway", v.gateway.0.into());
            }
        }
        if self.book_depth == 0 || self.book_depth > BOOK_DEPTH_MAX {
            return bad("book_depth", self.book_depth.into());
        }
        if self.max_parents == 0 || self.max_parents > ORDERS_MAX {
            return bad("max_parents", self.max_parents.into());
        }
        if self.max_children == 0 || self.max_children > ORDERS_MAX {
            return bad("max_children", self.max_children.into());
        }
        if self.max_children_per_parent == 0
            || self.max_children_per_parent > CHILDREN_PER_PARENT_MAX
        {
            return bad(
                "max_children_per_parent",
                self.max_children_per_parent.into(),
            );
        }
        if self.heartbeat_timeout_ns == 0 {
            return bad("heartbeat_timeout_ns", 0);
        }
        if self.latency_penalty_ticks_per_ms < 0 {
            return bad(
                "latency_penalty_ticks_per_ms",
                self.latency_penalty_ticks_per_ms.into(),
            );
        }
        if self.queue_penalty_ticks_per_10k_shares < 0 {
            return bad(
                "queue_penalty_ticks_per_10k_shares",
                self.queue_penalty_ticks_per_10k_shares.into(),
            );
        }
        if self.instruments.len() != self.instrument_count as usize {
            return bad("instruments", self.instruments.len() as i128);
        }
        for l in &self.instruments {
            l.validate()?;
        }
        validate_totals(self.max_gross_notional_total, self.max_net_notional_total)?;
        Ok(())
    }

    /// Number of distinct gateways serving the venues.
    pub(crate) fn gateways(&self) -> Vec<GatewayId> {
        let mut g: Vec<GatewayId> = self.venues.iter().map(|v| v.gateway).collect();
        g.sort();
        g.dedup();
        g
    }
}
