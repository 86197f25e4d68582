//! Cost-aware taking: the sweep of [`super::sweep`] (price order first, so Rule 611 holds),
//! with venues quoting the same price ranked by their all-in cost per share:
//!
//! `score = price + taker_fee_ticks + latency_penalty_ticks` for a buy,
//! `score = price - taker_fee_ticks - latency_penalty_ticks` for a sell,
//!
//! all in 1/10,000 $ per share, integers only. At one price the price term is common, so the
//! rank is `taker_fee_ticks + latency_penalty_ticks` (lower first), then displayed size, then
//! venue index. `latency_penalty_ticks = ewma_ack_latency_ns * latency_penalty_ticks_per_ms /
//! 1,000,000`.

use super::{sweep, Plan, RouteContext};
use crossbar_model::Price;

/// All-in score of taking one share at `price` on `venue`, 1/10,000 $ (lower is better for a
/// buy, higher for a sell).
pub fn score(ctx: &RouteContext<'_>, venue: usize, price: Price) -> i64 {
    let cost = ctx.venues[venue].taker_fee_ticks + ctx.latency_penalty_ticks(venue);
    if ctx.side.is_sell() {
        price.0 - cost
    } else {
        price.0 + cost
    }
}

/// Plans a cost-aware sweep. Returns the shares planned.
pub fn plan(ctx: &RouteContext<'_>, plan: &mut Plan) -> u32 {
    // Rank = fee + latency, scaled so that displayed size only breaks exact cost ties.
    let rank = |v: usize, level_qty: u64| {
        let cost = ctx.venues[v].taker_fee_ticks + ctx.latency_penalty_ticks(v);
        cost.saturating_mul(1 << 32) + sweep::size_rank(v, level_qty.min(u32::MAX as u64))
    };
    sweep::plan_take(ctx, rank, plan)
}
