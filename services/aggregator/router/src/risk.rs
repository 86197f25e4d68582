//! Cross-venue positions, exposure and limits.
//!
//! Positions: per (instrument, venue) the day's bought / sold shares and notional. Two sources
//! report them: fills in ExecutionReports the router sees, and the gateways' PositionUpdate
//! counters. Both only grow, so the router keeps each and uses the per-counter maximum: a
//! fill reported by both is counted once whatever the arrival order, and a fill only the
//! gateway saw (a lost report) is still counted. Position = bought - sold (flat at start).
//!
//! Exposure per instrument, priced at the mark (last fill price; before any fill, the limit
//! of the first accepted parent), 1/10,000 $:
//! * gross = `(|position| + open buys + open sells) * mark`
//! * net = `position * mark` (signed)
//!
//! where open buys / sells are the unfilled leaves of live parents. Totals are sums over
//! instruments, kept incrementally. A new order (side, qty, price) is checked against:
//! order qty and notional; worst-case position `|position + open same side + qty|`;
//! instrument gross `gross + qty * price`; instrument net `|worst-case position| * price`;
//! total gross and `|net_total - net + worst-case position * price|`. All inclusive.

use crate::error::{RiskReason, RouterError};
use crate::limits::InstrumentRiskLimits;
use crossbar_model::{InstrumentId, Price, Qty, Side};

/// Monotone day counters of one (instrument, venue).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters4 {
    /// Shares bought.
    pub bought: u64,
    /// Shares sold.
    pub sold: u64,
    /// Notional bought, 1/10,000 $.
    pub notional_bought: i128,
    /// Notional sold, 1/10,000 $.
    pub notional_sold: i128,
}

impl Counters4 {
    fn max(self, o: Counters4) -> Counters4 {
        Counters4 {
            bought: self.bought.max(o.bought),
            sold: self.sold.max(o.sold),
            notional_bought: self.notional_bought.max(o.notional_bought),
            notional_sold: self.notional_sold.max(o.notional_sold),
        }
    }

    /// Net shares, + long.
    pub fn position(&self) -> i64 {
        self.bought as i64 - self.sold as i64
    }
}

/// Growth of the effective counters of one (instrument, venue): what new fills consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consumed {
    /// New shares bought.
    pub bought: u64,
    /// New shares sold.
    pub sold: u64,
    /// New notional bought plus sold, 1/10,000 $.
    pub notional: i128,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Exposure {
    position: i64,
    open_buy: u64,
    open_sell: u64,
    mark: i64,
    gross: i128,
    net: i128,
}

/// Positions and exposure for every instrument, and the limits.
#[derive(Clone, Debug)]
pub struct RiskBook {
    venues: usize,
    limits: Vec<InstrumentRiskLimits>,
    max_gross_total: i128,
    max_net_total: i128,
    router_seen: Vec<Counters4>,
    gateway_seen: Vec<Counters4>,
    exposure: Vec<Exposure>,
    gross_total: i128,
    net_total: i128,
}

impl RiskBook {
    /// Flat positions for every instrument and venue.
    pub fn new(
        limits: Vec<InstrumentRiskLimits>,
        venues: usize,
        max_gross_total: i128,
        max_net_total: i128,
    ) -> Self {
        let n = limits.len();
        Self {
            venues,
            limits,
            max_gross_total,
            max_net_total,
            router_seen: vec![Counters4::default(); n * venues],
            gateway_seen: vec![Counters4::default(); n * venues],
            exposure: vec![Exposure::default(); n],
            gross_total: 0,
            net_total: 0,
        }
    }

    /// The limits of `instrument`.
    pub fn limits(&self, instrument: InstrumentId) -> &InstrumentRiskLimits {
        &self.limits[instrument.index()]
    }

    /// All per-instrument limits.
    pub fn all_limits(&self) -> &[InstrumentRiskLimits] {
        &self.limits
    }

    /// Replaces the limits of `instrument` (already validated by the caller). Positions and
    /// open orders are untouched; the new limits judge the next order.
    pub(crate) fn replace_limits(
        &mut self,
        instrument: InstrumentId,
        limits: InstrumentRiskLimits,
    ) {
        self.limits[instrument.index()] = limits;
    }

    /// Cross-instrument limits `(max_gross_notional_total, max_net_notional_total)`,
    /// 1/10,000 $.
    pub fn total_limits(&self) -> (i128, i128) {
        (self.max_gross_total, self.max_net_total)
    }

    /// Replaces the cross-instrument limits (already validated by the caller, `>= 0`,
    /// 1/10,000 $). Exposure is untouched; the new limits judge the next parent.
    pub(crate) fn replace_total_limits(&mut self, max_gross_total: i128, max_net_total: i128) {
        self.max_gross_total = max_gross_total;
        self.max_net_total = max_net_total;
    }

    /// Net position of `instrument` over all venues, shares.
    pub fn position(&self, instrument: InstrumentId) -> i64 {
        self.exposure[instrument.index()].position
    }

    /// Effective counters of one (instrument, venue).
    pub fn venue_counters(&self, instrument: InstrumentId, venue: usize) -> Counters4 {
        let k = instrument.index() * self.venues + venue;
        self.router_seen[k].max(self.gateway_seen[k])
    }

    /// Open parent leaves (buy, sell), shares.
    pub fn open(&self, instrument: InstrumentId) -> (u64, u64) {
        let e = &self.exposure[instrument.index()];
        (e.open_buy, e.open_sell)
    }

    /// (gross, net) exposure of `instrument`, 1/10,000 $.
    pub fn exposure(&self, instrument: InstrumentId) -> (i128, i128) {
        let e = &self.exposure[instrument.index()];
        (e.gross, e.net)
    }

    /// (gross, net) exposure over all instruments, 1/10,000 $.
    pub fn totals(&self) -> (i128, i128) {
        (self.gross_total, self.net_total)
    }

    /// Mark price of `instrument`, 1/10,000 $ (0 before any order).
    pub fn mark(&self, instrument: InstrumentId) -> Price {
        Price(self.exposure[instrument.index()].mark)
    }

    /// Order size limits only (qty and notional), used for every child.
    ///
    /// # Errors
    /// [`RouterError::Risk`] with `MaxOrderQty` or `MaxOrderNotional`.
    pub fn check_order_size(
        &self,
        instrument: InstrumentId,
        qty: Qty,
        price: Price,
    ) -> Result<(), RouterError> {
        let l = &self.limits[instrument.index()];
        let refuse = |reason, value, limit| {
            Err(RouterError::Risk {
                reason,
                instrument: instrument.0,
                value,
                limit,
            })
        };
        if qty > l.max_order_qty {
            return refuse(
                RiskReason::MaxOrderQty,
                qty.0.into(),
                l.max_order_qty.0.into(),
            );
        }
        let notional = price.notional(qty);
        if notional > l.max_order_notional {
            return refuse(RiskReason::MaxOrderNotional, notional, l.max_order_notional);
        }
        Ok(())
    }

    /// Every limit, for a new parent order. Read-only.
    ///
    /// # Errors
    /// [`RouterError::Risk`] naming the first limit breached, in the order of the module doc.
    pub fn check_parent(
        &self,
        instrument: InstrumentId,
        side: Side,
        qty: Qty,
        price: Price,
    ) -> Result<(), RouterError> {
        self.check_order_size(instrument, qty, price)?;
        let l = &self.limits[instrument.index()];
        let e = &self.exposure[instrument.index()];
        let refuse = |reason, value, limit| {
            Err(RouterError::Risk {
                reason,
                instrument: instrument.0,
                value,
                limit,
            })
        };
        let q = i64::from(qty.0);
        let worst = if side.is_sell() {
            e.position - e.open_sell as i64 - q
        } else {
            e.position + e.open_buy as i64 + q
        };
        if worst.abs() > l.max_position {
            return refuse(
                RiskReason::PositionLimit,
                worst.abs().into(),
                l.max_position.into(),
            );
        }
        let order_notional = price.notional(qty);
        let gross = e.gross + order_notional;
        if gross > l.max_gross_notional {
            return refuse(RiskReason::GrossExposure, gross, l.max_gross_notional);
        }
        let net = i128::from(worst) * i128::from(price.0);
        if net.abs() > l.max_net_notional {
            return refuse(RiskReason::NetExposure, net.abs(), l.max_net_notional);
        }
        let gross_total = self.gross_total + order_notional;
        if gross_total > self.max_gross_total {
            return refuse(
                RiskReason::GrossExposureTotal,
                gross_total,
                self.max_gross_total,
            );
        }
        let net_total = self.net_total - e.net + net;
        if net_total.abs() > self.max_net_total {
            return refuse(
                RiskReason::NetExposureTotal,
                net_total.abs(),
                self.max_net_total,
            );
        }
        Ok(())
    }

    /// A parent was accepted: its qty is open on its side.
    pub fn open_parent(&mut self, instrument: InstrumentId, side: Side, qty: u32, price: Price) {
        let e = &mut self.exposure[instrument.index()];
        if side.is_sell() {
            e.open_sell += u64::from(qty);
        } else {
            e.open_buy += u64::from(qty);
        }
        if e.mark == 0 {
            e.mark = price.0;
        }
        self.reprice(instrument);
    }

    /// `qty` open shares of a parent are given up (cancel, IOC out of liquidity).
    pub fn release_parent(&mut self, instrument: InstrumentId, side: Side, qty: u32) {
        let e = &mut self.exposure[instrument.index()];
        let open = if side.is_sell() {
            &mut e.open_sell
        } else {
            &mut e.open_buy
        };
        assert!(*open >= u64::from(qty), "released more than open");
        *open -= u64::from(qty);
        self.reprice(instrument);
    }

    /// A fill of a router child the router saw: `qty` shares of the parent's open leaves
    /// become position. Returns what the fill consumed (zero when the gateway already
    /// reported it).
    pub fn on_child_fill(
        &mut self,
        instrument: InstrumentId,
        venue: usize,
        side: Side,
        qty: u32,
        px: Price,
    ) -> Consumed {
        let k = instrument.index() * self.venues + venue;
        let mut seen = self.router_seen[k];
        let notional = px.notional(Qty(qty));
        if side.is_sell() {
            seen.sold += u64::from(qty);
            seen.notional_sold += notional;
        } else {
            seen.bought += u64::from(qty);
            seen.notional_bought += notional;
        }
        let e = &mut self.exposure[instrument.index()];
        let open = if side.is_sell() {
            &mut e.open_sell
        } else {
            &mut e.open_buy
        };
        assert!(
            *open >= u64::from(qty),
            "fill larger than open parent leaves"
        );
        *open -= u64::from(qty);
        e.mark = px.0;
        self.merge(instrument, venue, seen, self.gateway_seen[k])
    }

    /// A gateway PositionUpdate: its day counters for (instrument, venue). Returns what
    /// fills the router had not counted yet consumed.
    pub fn on_gateway_counters(
        &mut self,
        instrument: InstrumentId,
        venue: usize,
        counters: Counters4,
    ) -> Consumed {
        let k = instrument.index() * self.venues + venue;
        let gw = self.gateway_seen[k].max(counters);
        self.merge(instrument, venue, self.router_seen[k], gw)
    }

    fn merge(
        &mut self,
        instrument: InstrumentId,
        venue: usize,
        router: Counters4,
        gateway: Counters4,
    ) -> Consumed {
        let k = instrument.index() * self.venues + venue;
        let before = self.router_seen[k].max(self.gateway_seen[k]);
        self.router_seen[k] = router;
        self.gateway_seen[k] = gateway;
        let after = router.max(gateway);
        let consumed = Consumed {
            bought: after.bought - before.bought,
            sold: after.sold - before.sold,
            notional: (after.notional_bought - before.notional_bought)
                + (after.notional_sold - before.notional_sold),
        };
        let e = &mut self.exposure[instrument.index()];
        e.position += consumed.bought as i64 - consumed.sold as i64;
        self.reprice(instrument);
        consumed
    }

    fn reprice(&mut self, instrument: InstrumentId) {
        let e = &mut self.exposure[instrument.index()];
        let mark = i128::from(e.mark);
        let gross = (i128::from(e.position.unsigned_abs())
            + i128::from(e.open_buy)
            + i128::from(e.open_sell))
            * mark;
        let net = i128::from(e.position) * mark;
        self.gross_total += gross - e.gross;
        self.net_total += net - e.net;
        e.gross = gross;
        e.net = net;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> InstrumentRiskLimits {
        InstrumentRiskLimits {
            max_position: 1_000,
            max_order_qty: Qty(500),
            max_order_notional: 500 * 1_000_000,
            max_gross_notional: 1_500 * 1_000_000,
            max_net_notional: 1_000 * 1_000_000,
            credit_notional: 0,
            price_collar_bps: 500,
            max_orders_per_second: 1_000,
        }
    }

    fn book() -> RiskBook {
        RiskBook::new(vec![limits(); 2], 2, 2_000 * 1_000_000, 1_500 * 1_000_000)
    }

    const I0: InstrumentId = InstrumentId(0);
    const I1: InstrumentId = InstrumentId(1);
    const PX: Price = Price(1_000_000); // $100

    fn reason(r: Result<(), RouterError>) -> Option<RiskReason> {
        match r {
            Err(RouterError::Risk { reason, .. }) => Some(reason),
            Ok(()) => None,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn each_limit_is_inclusive_and_refuses_one_over() {
        let b = book();
        assert_eq!(reason(b.check_parent(I0, Side::Buy, Qty(500), PX)), None);
        assert_eq!(
            reason(b.check_parent(I0, Side::Buy, Qty(501), PX)),
            Some(RiskReason::MaxOrderQty)
        );
        assert_eq!(
            reason(b.check_parent(I0, Side::Buy, Qty(500), Price(1_000_001))),
            Some(RiskReason::MaxOrderNotional)
        );
        let err = b.check_parent(I0, Side::Buy, Qty(501), PX).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ROUTER_RISK_MAX_ORDER_QTY instrument=0 value=501 limit=500"
        );
    }

    #[test]
    fn open_parents_count_toward_position_and_gross() {
        let mut b = book();
        b.open_parent(I0, Side::Buy, 500, PX);
        b.open_parent(I0, Side::Buy, 500, PX);
        assert_eq!(b.exposure(I0), (1_000 * 1_000_000, 0));
        assert_eq!(
            reason(b.check_parent(I0, Side::Buy, Qty(1), PX)),
            Some(RiskReason::PositionLimit)
        );
        // A sell does not add to the long side but adds gross: 1000 + 500 = 1500 * $100 passes,
        assert_eq!(reason(b.check_parent(I0, Side::Sell, Qty(500), PX)), None);
        b.open_parent(I0, Side::Sell, 500, PX);
        // and one more share breaches the instrument gross limit.
        assert_eq!(
            reason(b.check_parent(I0, Side::Sell, Qty(1), PX)),
            Some(RiskReason::GrossExposure)
        );
        b.release_parent(I0, Side::Buy, 500);
        b.release_parent(I0, Side::Buy, 500);
        b.release_parent(I0, Side::Sell, 500);
        assert_eq!(b.totals(), (0, 0));
    }

    #[test]
    fn net_and_totals_across_instruments() {
        let mut b = book();
        b.open_parent(I0, Side::Buy, 500, PX);
        b.on_child_fill(I0, 0, Side::Buy, 500, PX);
        b.open_parent(I0, Side::Buy, 400, PX);
        b.on_child_fill(I0, 1, Side::Buy, 400, PX);
        assert_eq!(b.position(I0), 900);
        assert_eq!(b.exposure(I0), (900 * 1_000_000, 900 * 1_000_000));
        // Instrument net: 900 + 101 = 1001 shares > 1000 position limit first.
        assert_eq!(
            reason(b.check_parent(I0, Side::Buy, Qty(101), PX)),
            Some(RiskReason::PositionLimit)
        );
        // Instrument 1: 500 * $100 net on its own is fine, but total net 900+500+... checked:
        b.open_parent(I1, Side::Buy, 500, PX);
        b.on_child_fill(I1, 0, Side::Buy, 500, PX);
        assert_eq!(b.totals(), (1_400 * 1_000_000, 1_400 * 1_000_000));
        assert_eq!(reason(b.check_parent(I1, Side::Buy, Qty(100), PX)), None);
        assert_eq!(
            reason(b.check_parent(I1, Side::Buy, Qty(101), PX)),
            Some(RiskReason::NetExposureTotal)
        );
        // Selling reduces net: allowed.
        assert_eq!(reason(b.check_parent(I1, Side::Sell, Qty(500), PX)), None);
        // Total gross: 1400 + 500 = 1900 <= 2000; a 500 buy on I1 stops at net total first,
        // a sell of 500 on I0 passes gross (1900) and the next one breaches gross total.
        b.open_parent(I0, Side::Sell, 500, PX);
        assert_eq!(b.totals().0, 1_900 * 1_000_000);
        assert_eq!(
            reason(b.check_parent(I1, Side::Sell, Qty(101), PX)),
            Some(RiskReason::GrossExposureTotal)
        );
    }

    #[test]
    fn fills_from_both_sources_are_counted_once_in_any_order() {
        let gw = |bought: u64| Counters4 {
            bought,
            sold: 0,
            notional_bought: i128::from(bought) * 1_000_000,
            notional_sold: 0,
        };
        // Router first, then gateway.
        let mut a = book();
        a.open_parent(I0, Side::Buy, 300, PX);
        assert_eq!(a.on_child_fill(I0, 0, Side::Buy, 100, PX).bought, 100);
        assert_eq!(a.on_gateway_counters(I0, 0, gw(100)), Consumed::default());
        // Gateway first, then router.
        let mut b = book();
        b.open_parent(I0, Side::Buy, 300, PX);
        assert_eq!(b.on_gateway_counters(I0, 0, gw(100)).bought, 100);
        assert_eq!(
            b.on_child_fill(I0, 0, Side::Buy, 100, PX),
            Consumed::default()
        );
        assert_eq!(a.position(I0), 100);
        assert_eq!(b.position(I0), 100);
        // A fill only the gateway saw still counts; a stale (lower) update changes nothing.
        assert_eq!(b.on_gateway_counters(I0, 0, gw(150)).bought, 50);
        assert_eq!(b.on_gateway_counters(I0, 0, gw(120)), Consumed::default());
        assert_eq!(b.position(I0), 150);
        assert_eq!(b.venue_counters(I0, 0).bought, 150);
    }
}
