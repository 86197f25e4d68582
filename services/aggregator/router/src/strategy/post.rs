//! Posting: rest shares as one Day child at the venue with the best expected outcome, at a
//! price that neither locks nor crosses the NBBO (Reg NMS Rule 610(d)).
//!
//! Price: the limit, pulled back to one tick (Rule 612: $0.01 at or above $1.00, else
//! $0.0001) inside the far side of the NBBO when the limit would lock or cross it.
//!
//! Venue: the eligible venue with capacity maximizing, in 1/10,000 $ per share,
//! `maker_rebate_ticks - queue_ahead_shares * queue_penalty_ticks_per_10k_shares / 10,000 -
//! latency_penalty_ticks`, where `queue_ahead_shares` is what that venue already displays
//! at the post price on our side. Ties: lower venue index.

use super::{tick_size, Plan, RouteContext};
use crossbar_model::Price;

/// The post price for the context's side and limit, or `None` when it would be <= 0.
pub fn post_price(ctx: &RouteContext<'_>) -> Option<Price> {
    let limit = ctx.limit_price;
    let price = if ctx.side.is_sell() {
        match ctx.nbbo.bid {
            Some(bid) if limit <= bid.price => Price(bid.price.0 + tick_size(bid.price)),
            _ => limit,
        }
    } else {
        match ctx.nbbo.ask {
            Some(ask) if limit >= ask.price => Price(ask.price.0 - tick_size(ask.price)),
            _ => limit,
        }
    };
    (price.0 > 0).then_some(price)
}

/// Expected outcome of resting one share at `price` on `venue`, 1/10,000 $ (higher better).
pub fn score(ctx: &RouteContext<'_>, venue: usize, price: Price) -> i64 {
    let own_side = 1 - ctx.take_side();
    let queue = ctx.book.qty_at(
        ctx.instrument,
        super::RouteContext::venue_id(venue),
        own_side,
        price,
    );
    let queue_penalty =
        i128::from(queue) * i128::from(ctx.queue_penalty_ticks_per_10k_shares) / 10_000;
    ctx.venues[venue].maker_rebate_ticks
        - queue_penalty.min(i64::MAX as i128) as i64
        - ctx.latency_penalty_ticks(venue)
}

/// Plans one Day child for up to `ctx.qty` shares. Returns the shares planned (0 when no
/// eligible venue has capacity or no valid price exists).
pub fn plan(ctx: &RouteContext<'_>, plan: &mut Plan) -> u32 {
    plan.clear();
    let Some(price) = post_price(ctx) else {
        return 0;
    };
    let best = (0..ctx.venue_count())
        .filter(|&v| ctx.is_eligible(v) && ctx.venue_capacity(v) > 0)
        .map(|v| (v, score(ctx, v, price)))
        .reduce(|a, b| if b.1 > a.1 { b } else { a });
    let Some((v, _)) = best else {
        return 0;
    };
    let qty = ctx.qty.min(ctx.venue_capacity(v));
    if qty > 0 {
        plan.add(v as u16, price.0, qty, false);
    }
    qty
}
