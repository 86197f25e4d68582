//! Routing strategies: pure functions from a book view to a [`Plan`] of child orders.
//!
//! * [`sweep`]: take displayed liquidity in price order across venues (Reg NMS Rule 611).
//! * [`cost`]: the same sweep with ties at a price broken by taker fee plus latency penalty.
//! * [`post`]: rest the remainder at the venue with the best expected outcome without
//!   locking or crossing the NBBO.
//!
//! Strategies see only the venues in [`RouteContext::eligible`] (healthy, not killed, not
//! excluded for this parent). Quotes of other venues are not protected for this decision:
//! the self-help exception of Rule 611(b)(1) for venues that are down, gapped or rejecting.

pub mod cost;
pub mod post;
pub mod sweep;

use crate::book::ConsolidatedBook;
use crate::limits::{VenueConfig, VENUES_MAX};
use crate::nbbo::Nbbo;
use crate::venue::VenueHealth;
use crossbar_model::{InstrumentId, Price, Side, TimeInForce, VenueId};

/// One planned child order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlannedChild {
    /// Venue.
    pub venue: u16,
    /// Limit price, 1/10,000 $ (for a sweep: the worst level taken on that venue).
    pub price: i64,
    /// Shares.
    pub qty: u32,
    /// `true` = IOC (taking), `false` = Day (posting).
    pub ioc: bool,
}

impl PlannedChild {
    /// The child's time in force.
    pub fn time_in_force(&self) -> TimeInForce {
        if self.ioc {
            TimeInForce::Ioc
        } else {
            TimeInForce::Day
        }
    }
}

/// A fixed-capacity list of planned children, at most one per venue (no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    items: [PlannedChild; VENUES_MAX],
    len: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            items: [PlannedChild::default(); VENUES_MAX],
            len: 0,
        }
    }
}

impl Plan {
    /// The planned children, in the order they were first planned.
    pub fn children(&self) -> &[PlannedChild] {
        &self.items[..self.len]
    }

    /// Total planned shares.
    pub fn total_qty(&self) -> u64 {
        self.children().iter().map(|c| u64::from(c.qty)).sum()
    }

    /// Empties the plan.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Adds `qty` at `price` on `venue`, merging into that venue's child (price becomes the
    /// newer, i.e. worse, level).
    pub(crate) fn add(&mut self, venue: u16, price: i64, qty: u32, ioc: bool) {
        debug_assert!(qty > 0);
        if let Some(c) = self.items[..self.len].iter_mut().find(|c| c.venue == venue) {
            c.qty += qty;
            c.price = price;
            return;
        }
        assert!(self.len < VENUES_MAX, "one child per venue");
        self.items[self.len] = PlannedChild {
            venue,
            price,
            qty,
            ioc,
        };
        self.len += 1;
    }
}

/// What a strategy may look at.
#[derive(Clone, Copy, Debug)]
pub struct RouteContext<'a> {
    /// The consolidated book.
    pub book: &'a ConsolidatedBook,
    /// NBBO of the instrument over healthy venues.
    pub nbbo: Nbbo,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side of the order being routed.
    pub side: Side,
    /// Limit price, 1/10,000 $.
    pub limit_price: Price,
    /// Shares to route.
    pub qty: u32,
    /// Venues that may receive a child (bit per venue).
    pub eligible: u64,
    /// Per gateway index: most shares the router may still send there on this side
    /// (the gateway's unused credit slice less the router's working children).
    pub capacity: &'a [u32],
    /// Per venue: index of its gateway in `capacity`.
    pub gateway_of: &'a [u8],
    /// Venue fees.
    pub venues: &'a [VenueConfig],
    /// Venue latency.
    pub health: &'a [VenueHealth],
    /// Penalty per ms of EWMA ack latency, 1/10,000 $ per share.
    pub latency_penalty_ticks_per_ms: i64,
    /// Penalty per 10,000 shares queued ahead when posting, 1/10,000 $ per share.
    pub queue_penalty_ticks_per_10k_shares: i64,
}

impl RouteContext<'_> {
    /// Book side index the order takes from (buy takes asks = 1, sell takes bids = 0).
    pub fn take_side(&self) -> usize {
        if self.side.is_sell() {
            0
        } else {
            1
        }
    }

    /// `price` is within the limit for taking.
    pub fn within_limit(&self, price: Price) -> bool {
        if self.side.is_sell() {
            price >= self.limit_price
        } else {
            price <= self.limit_price
        }
    }

    /// Latency penalty of `venue`, 1/10,000 $ per share: `ewma_ns * per_ms / 1,000,000`.
    pub fn latency_penalty_ticks(&self, venue: usize) -> i64 {
        let ewma = i128::from(self.health[venue].ack_latency_ewma_ns);
        (ewma * i128::from(self.latency_penalty_ticks_per_ms) / 1_000_000) as i64
    }

    /// Venue `v` is eligible.
    pub fn is_eligible(&self, v: usize) -> bool {
        self.eligible & (1 << v) != 0
    }

    /// Shares venue `v`'s gateway can still take.
    pub fn venue_capacity(&self, v: usize) -> u32 {
        self.capacity[self.gateway_of[v] as usize]
    }

    pub(crate) fn venue_count(&self) -> usize {
        self.venues.len()
    }

    pub(crate) fn venue_id(v: usize) -> VenueId {
        VenueId(v as u16)
    }
}

/// Minimum price increment for quoting at `price` (Reg NMS Rule 612): $0.01 (100) at or above
/// $1.00, $0.0001 (1) below.
pub const fn tick_size(price: Price) -> i64 {
    if price.0 >= 10_000 {
        100
    } else {
        1
    }
}

#[cfg(test)]
pub(crate) mod testkit {
    //! A three-venue book and context for strategy tests.
    use super::*;
    use crate::events::TopOfBook;
    use crate::events::{BookAction, BookLevelDelta, LevelChange};
    use crate::nbbo;
    use crossbar_model::GatewayId;

    pub const I: InstrumentId = InstrumentId(0);

    pub struct Kit {
        pub book: ConsolidatedBook,
        pub venues: Vec<VenueConfig>,
        pub health: Vec<VenueHealth>,
        pub capacity: Vec<u32>,
        pub gateway_of: Vec<u8>,
        pub seq: u64,
    }

    impl Kit {
        pub fn new() -> Self {
            Kit {
                book: ConsolidatedBook::new(1, 3, 8),
                venues: (0..3)
                    .map(|v| VenueConfig {
                        venue: VenueId(v),
                        gateway: GatewayId(v + 1),
                        taker_fee_ticks: 30,
                        maker_rebate_ticks: 20,
                    })
                    .collect(),
                health: vec![VenueHealth::default(); 3],
                capacity: vec![u32::MAX; 3],
                gateway_of: vec![0, 1, 2],
                seq: 0,
            }
        }

        /// Sets venue `v`'s `side` levels (price in ticks, qty), best first.
        pub fn levels(&mut self, v: u16, side: Side, levels: &[(i64, u64)]) {
            self.seq += 1;
            let changes: Vec<LevelChange> = levels
                .iter()
                .enumerate()
                .map(|(k, &(p, q))| LevelChange {
                    action: BookAction::New,
                    side,
                    level_index: k as u16,
                    price: Price(p),
                    qty: q,
                    order_count: 1,
                })
                .collect();
            self.book
                .apply_delta(&BookLevelDelta {
                    venue: VenueId(v),
                    instrument: I,
                    sequence: self.seq,
                    timestamp_ns: 0,
                    levels: &changes,
                })
                .unwrap();
        }

        pub fn top(&mut self, v: u16, bid: (i64, u64), ask: (i64, u64)) {
            self.seq += 1;
            self.book
                .apply_top(&TopOfBook {
                    venue: VenueId(v),
                    instrument: I,
                    sequence: self.seq,
                    timestamp_ns: 0,
                    bid_price: Price(bid.0),
                    bid_qty: bid.1,
                    ask_price: Price(ask.0),
                    ask_qty: ask.1,
                })
                .unwrap();
        }

        pub fn ctx(&self, side: Side, limit: i64, qty: u32) -> RouteContext<'_> {
            RouteContext {
                book: &self.book,
                nbbo: nbbo::compute(&self.book, I, 3, 0b111),
                instrument: I,
                side,
                limit_price: Price(limit),
                qty,
                eligible: 0b111,
                capacity: &self.capacity,
                gateway_of: &self.gateway_of,
                venues: &self.venues,
                health: &self.health,
                latency_penalty_ticks_per_ms: 10,
                queue_penalty_ticks_per_10k_shares: 100,
            }
        }
    }

    /// (venue, price, qty, ioc) of each planned child.
    pub fn kids(plan: &Plan) -> Vec<(u16, i64, u32, bool)> {
        plan.children()
            .iter()
            .map(|c| (c.venue, c.price, c.qty, c.ioc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;

    #[test]
    fn sweep_takes_in_price_order_across_venues_one_child_per_venue() {
        let mut k = Kit::new();
        k.levels(0, Side::Sell, &[(1_000_000, 100), (1_000_200, 200)]);
        k.levels(1, Side::Sell, &[(1_000_100, 300)]);
        k.levels(2, Side::Sell, &[(1_000_000, 50), (1_000_100, 100)]);
        let ctx = k.ctx(Side::Buy, 1_000_200, 500);
        let mut plan = Plan::default();
        assert_eq!(sweep::plan(&ctx, &mut plan), 500);
        assert_eq!(
            kids(&plan),
            vec![
                (0, 1_000_000, 100, true),
                (2, 1_000_100, 100, true),
                (1, 1_000_100, 300, true)
            ]
        );
        assert_eq!(sweep::trade_through(&ctx, &plan), None);
        // The limit stops the sweep.
        let ctx = k.ctx(Side::Buy, 1_000_000, 500);
        assert_eq!(sweep::plan(&ctx, &mut plan), 150);
        assert_eq!(
            kids(&plan),
            vec![(0, 1_000_000, 100, true), (2, 1_000_000, 50, true)]
        );
    }

    #[test]
    fn sweep_sells_into_bids_best_first() {
        let mut k = Kit::new();
        k.levels(0, Side::Buy, &[(999_900, 100), (999_800, 100)]);
        k.levels(1, Side::Buy, &[(999_950, 10)]);
        let ctx = k.ctx(Side::Sell, 999_800, 150);
        let mut plan = Plan::default();
        assert_eq!(sweep::plan(&ctx, &mut plan), 150);
        assert_eq!(
            kids(&plan),
            vec![(1, 999_950, 10, true), (0, 999_800, 140, true)]
        );
        assert_eq!(sweep::trade_through(&ctx, &plan), None);
    }

    #[test]
    fn capacity_short_of_a_level_stops_worse_prices_rule_611() {
        let mut k = Kit::new();
        k.levels(0, Side::Sell, &[(1_000_000, 100)]);
        k.levels(1, Side::Sell, &[(1_000_100, 300)]);
        k.levels(2, Side::Sell, &[(1_000_000, 50)]);
        k.capacity[0] = 40;
        let ctx = k.ctx(Side::Buy, 1_000_200, 500);
        let mut plan = Plan::default();
        assert_eq!(sweep::plan(&ctx, &mut plan), 90);
        assert_eq!(
            kids(&plan),
            vec![(0, 1_000_000, 40, true), (2, 1_000_000, 50, true)]
        );
        assert_eq!(sweep::trade_through(&ctx, &plan), None);
    }

    #[test]
    fn trade_through_check_flags_a_skipped_better_protected_quote() {
        let mut k = Kit::new();
        k.levels(0, Side::Sell, &[(1_000_000, 100)]);
        k.levels(1, Side::Sell, &[(1_000_100, 300)]);
        let ctx = k.ctx(Side::Buy, 1_000_200, 300);
        let mut plan = Plan::default();
        plan.add(1, 1_000_100, 300, true);
        assert_eq!(sweep::trade_through(&ctx, &plan), Some(0));
        plan.clear();
        plan.add(1, 1_000_100, 200, true);
        plan.add(0, 1_000_000, 99, true);
        assert_eq!(
            sweep::trade_through(&ctx, &plan),
            Some(0),
            "one share short still trades through"
        );
        plan.clear();
        plan.add(0, 1_000_000, 100, true);
        plan.add(1, 1_000_100, 200, true);
        assert_eq!(sweep::trade_through(&ctx, &plan), None);
    }

    #[test]
    fn cost_aware_sends_equal_prices_to_the_cheaper_faster_venue_first() {
        let mut k = Kit::new();
        for v in 0..3 {
            k.levels(v, Side::Sell, &[(1_000_000, 100)]);
        }
        k.venues[0].taker_fee_ticks = 30;
        k.venues[1].taker_fee_ticks = 20;
        k.venues[2].taker_fee_ticks = 20;
        k.health[2].record_ack_latency(2_000_000); // 2 ms * 10 ticks/ms = 20 ticks
        let ctx = k.ctx(Side::Buy, 1_000_000, 150);
        assert_eq!(cost::score(&ctx, 0, Price(1_000_000)), 1_000_030);
        assert_eq!(cost::score(&ctx, 1, Price(1_000_000)), 1_000_020);
        assert_eq!(cost::score(&ctx, 2, Price(1_000_000)), 1_000_040);
        let mut plan = Plan::default();
        assert_eq!(cost::plan(&ctx, &mut plan), 150);
        assert_eq!(
            kids(&plan),
            vec![(1, 1_000_000, 100, true), (0, 1_000_000, 50, true)]
        );
        // Plain sweep at equal sizes goes by venue index.
        assert_eq!(sweep::plan(&ctx, &mut plan), 150);
        assert_eq!(
            kids(&plan),
            vec![(0, 1_000_000, 100, true), (1, 1_000_000, 50, true)]
        );
    }

    #[test]
    fn cost_aware_never_skips_a_better_price_for_a_cheaper_fee() {
        let mut k = Kit::new();
        k.levels(0, Side::Sell, &[(999_900, 20)]);
        k.levels(1, Side::Sell, &[(1_000_000, 100)]);
        k.venues[0].taker_fee_ticks = 30;
        k.venues[1].taker_fee_ticks = -20;
        let ctx = k.ctx(Side::Buy, 1_000_000, 100);
        let mut plan = Plan::default();
        assert_eq!(cost::plan(&ctx, &mut plan), 100);
        assert_eq!(
            kids(&plan),
            vec![(0, 999_900, 20, true), (1, 1_000_000, 80, true)]
        );
        assert_eq!(sweep::trade_through(&ctx, &plan), None);
    }

    #[test]
    fn post_rests_one_tick_inside_without_locking_at_the_best_outcome_venue() {
        let mut k = Kit::new();
        k.top(0, (999_900, 1_000), (1_000_000, 100));
        k.top(1, (999_800, 100), (1_000_100, 100));
        k.top(2, (999_800, 100), (1_000_100, 100));
        k.venues[0].maker_rebate_ticks = 20; // queue 1,000 at 99.99 -> 20 - 10 = 10
        k.venues[1].maker_rebate_ticks = 15; // no queue -> 15
        k.venues[2].maker_rebate_ticks = 25; // 2 ms latency -> 25 - 20 = 5
        k.health[2].record_ack_latency(2_000_000);
        let ctx = k.ctx(Side::Buy, 1_000_500, 300);
        assert_eq!(post::post_price(&ctx), Some(Price(999_900)));
        assert_eq!(post::score(&ctx, 0, Price(999_900)), 10);
        let mut plan = Plan::default();
        assert_eq!(post::plan(&ctx, &mut plan), 300);
        assert_eq!(kids(&plan), vec![(1, 999_900, 300, false)]);
        assert_eq!(plan.children()[0].time_in_force(), TimeInForce::Day);
        // A non-marketable limit rests at the limit, where venue 0 has no queue (score 20);
        // its gateway's capacity caps the child.
        k.capacity[0] = 120;
        let ctx = k.ctx(Side::Buy, 999_000, 300);
        assert_eq!(post::plan(&ctx, &mut plan), 120);
        assert_eq!(kids(&plan), vec![(0, 999_000, 120, false)]);
        // No capacity anywhere: nothing planned.
        k.capacity = vec![0; 3];
        let ctx = k.ctx(Side::Buy, 999_000, 300);
        assert_eq!(post::plan(&ctx, &mut plan), 0);
        // A sell below the bid rests one tick above it.
        let ctx = k.ctx(Side::Sell, 990_000, 10);
        assert_eq!(post::post_price(&ctx), Some(Price(1_000_000)));
    }

    #[test]
    fn tick_size_follows_rule_612() {
        assert_eq!(tick_size(Price(10_000)), 100);
        assert_eq!(tick_size(Price(9_999)), 1);
    }
}
