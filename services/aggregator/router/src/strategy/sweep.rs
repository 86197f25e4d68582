//! Sweep: take displayed liquidity in price order across the eligible venues, one IOC child
//! per venue priced at the worst level taken there.
//!
//! Reg NMS Rule 611 (order protection): a child may not execute at a price worse than a
//! protected quote (a venue's best displayed price) on another venue unless that quote is
//! taken by the same sweep. Taking every level strictly in price order guarantees that; when
//! a venue's credit capacity stops us short of a level, nothing worse than that level is taken
//! anywhere. [`trade_through`] checks a plan against the rule.
//!
//! Ties at one price: by the strategy's rank (lower first), then venue index.

use super::{Plan, RouteContext};
use crate::limits::VENUES_MAX;
use crossbar_model::Price;

/// Plans taking up to `ctx.qty` shares; `rank(venue, level_qty)` orders venues quoting the
/// same price (lower first). Returns the shares planned.
pub fn plan_take(ctx: &RouteContext<'_>, rank: impl Fn(usize, u64) -> i64, plan: &mut Plan) -> u32 {
    plan.clear();
    let side_idx = ctx.take_side();
    let mut cursor = [0u16; VENUES_MAX];
    let mut used = [0u32; VENUES_MAX];
    let mut remaining = ctx.qty;
    let mut stop_worse_than: Option<Price> = None;
    while remaining > 0 {
        let Some((v, level)) = next_level(ctx, side_idx, &cursor, &rank) else {
            break;
        };
        if !ctx.within_limit(level.price) {
            break;
        }
        if stop_worse_than.is_some_and(|p| crate::book::better(side_idx, p, level.price)) {
            break;
        }
        let g = ctx.gateway_of[v] as usize;
        let room = ctx.capacity[g].saturating_sub(used[g]);
        let take = u64::from(remaining.min(room)).min(level.qty) as u32;
        if take > 0 {
            plan.add(v as u16, level.price.0, take, true);
            used[g] += take;
            remaining -= take;
        }
        if u64::from(take) < level.qty && remaining > 0 {
            // Capacity stopped us inside this level: nothing worse may be taken elsewhere.
            stop_worse_than = Some(level.price);
            cursor[v] = u16::MAX;
        } else {
            cursor[v] += 1;
        }
    }
    ctx.qty - remaining
}

fn next_level(
    ctx: &RouteContext<'_>,
    side_idx: usize,
    cursor: &[u16; VENUES_MAX],
    rank: &impl Fn(usize, u64) -> i64,
) -> Option<(usize, crate::book::Level)> {
    let mut best: Option<(usize, crate::book::Level, i64)> = None;
    for (v, &at) in cursor.iter().enumerate().take(ctx.venue_count()) {
        if !ctx.is_eligible(v) || at == u16::MAX {
            continue;
        }
        let levels = ctx
            .book
            .side(ctx.instrument, RouteContext::venue_id(v), side_idx);
        let Some(level) = levels.get(at as usize).copied() else {
            continue;
        };
        let r = rank(v, level.qty);
        let wins = match best {
            None => true,
            Some((_, b, br)) => {
                crate::book::better(side_idx, level.price, b.price)
                    || (level.price == b.price && r < br)
            }
        };
        if wins {
            best = Some((v, level, r));
        }
    }
    best.map(|(v, l, _)| (v, l))
}

/// Sweep ranking: larger displayed size first at one price (fewer, fuller children).
pub fn size_rank(_venue: usize, level_qty: u64) -> i64 {
    -(level_qty.min(i64::MAX as u64) as i64)
}

/// Plans a sweep (ties by displayed size).
pub fn plan(ctx: &RouteContext<'_>, plan: &mut Plan) -> u32 {
    plan_take(ctx, size_rank, plan)
}

/// Reg NMS Rule 611 check: the first eligible venue whose protected quote (best level) is
/// strictly better than the worst price in `plan` but is not fully taken by the plan's child on
/// that venue. `None` when the plan trades through nothing.
pub fn trade_through(ctx: &RouteContext<'_>, plan: &Plan) -> Option<u16> {
    let side_idx = ctx.take_side();
    let worst = plan
        .children()
        .iter()
        .map(|c| Price(c.price))
        .reduce(|a, b| {
            if crate::book::better(side_idx, a, b) {
                b
            } else {
                a
            }
        })?;
    (0..ctx.venue_count()).find_map(|v| {
        if !ctx.is_eligible(v) {
            return None;
        }
        let top = ctx
            .book
            .best(ctx.instrument, RouteContext::venue_id(v), side_idx)?;
        if !crate::book::better(side_idx, top.price, worst) {
            return None;
        }
        let taken = plan
            .children()
            .iter()
            .find(|c| c.venue as usize == v)
            .map_or(0, |c| u64::from(c.qty));
        (taken < top.qty).then_some(v as u16)
    })
}
