//! Output of each reply: aligned tables for people, or one JSON object per line (`--json`).
//!
//! JSON: prices and notionals are decimal strings with 4 decimals (`"189.2500"`, exact),
//! quantities and ids are numbers, enums are lower-case names without their prefix
//! (`SIDE_SELL_SHORT` → `"sell_short"`), times are UTC ns numbers.

use crossbar_api::proto::{
    CancelReason, ChildOrder, InstrumentLimits, KillSwitchEntry, KillSwitchStatus, LimitsSnapshot,
    ParentOrder, Position, PositionsSnapshot, VenueList, VenueStatus,
};
use serde_json::{json, Value};

use crate::price;
use crate::table::{Align, Table};

/// Where output goes and in which form.
pub struct Output {
    /// One JSON object per line instead of tables.
    pub json: bool,
}

impl Output {
    fn emit(&self, objects: Vec<Value>, table: Table, empty: &str) {
        if self.json {
            for object in objects {
                println!("{object}");
            }
        } else if objects.is_empty() {
            println!("{empty}");
        } else {
            print!("{}", table.render());
        }
    }

    /// Positions: one object/row per instrument.
    pub fn positions(&self, snapshot: &PositionsSnapshot) {
        let mut table = Table::new(&[
            ("SYMBOL", Align::Left),
            ("NET", Align::Right),
            ("BOUGHT", Align::Right),
            ("SOLD", Align::Right),
            ("NOTIONAL_BOUGHT", Align::Right),
            ("NOTIONAL_SOLD", Align::Right),
            ("BY_VENUE", Align::Left),
        ]);
        for p in &snapshot.positions {
            let venues: Vec<String> = p
                .by_venue
                .iter()
                .map(|v| format!("{}:{:+}", v.venue, v.net_qty))
                .collect();
            table.row(vec![
                p.instrument_symbol.clone(),
                format!("{:+}", p.net_qty),
                p.bought_qty.to_string(),
                p.sold_qty.to_string(),
                price::format(p.notional_bought),
                price::format(p.notional_sold),
                venues.join(" "),
            ]);
        }
        let objects = snapshot
            .positions
            .iter()
            .map(|p| position_json(p, snapshot.sequence))
            .collect();
        self.emit(objects, table, "no positions");
    }

    /// Parent orders: one object/row each.
    pub fn orders(&self, orders: &[ParentOrder]) {
        let mut table = orders_table();
        for o in orders {
            table.row(order_row(o));
        }
        self.emit(orders.iter().map(order_json).collect(), table, "no orders");
    }

    /// One parent order: its row, then its children (tables), or one object with children.
    pub fn order(&self, order: &ParentOrder) {
        if self.json {
            println!("{}", order_json(order));
            return;
        }
        let mut table = orders_table();
        table.row(order_row(order));
        print!("{}", table.render());
        if !order.reject_code.is_empty() {
            println!("rejected: {} {}", order.reject_code, order.reject_reason);
        }
        if order.cancel_reason() != CancelReason::Unspecified {
            println!("canceled: {}", cancel_reason(order));
        }
        if order.children.is_empty() {
            return;
        }
        let mut children = Table::new(&[
            ("CHILD_ID", Align::Right),
            ("VENUE", Align::Left),
            ("PRICE", Align::Right),
            ("QTY", Align::Right),
            ("CUM", Align::Right),
            ("LEAVES", Align::Right),
            ("AVG_PRICE", Align::Right),
            ("STATE", Align::Left),
        ]);
        for c in &order.children {
            children.row(vec![
                c.child_order_id.to_string(),
                c.venue.clone(),
                price::format(c.price),
                c.qty.to_string(),
                c.cum_qty.to_string(),
                c.leaves_qty.to_string(),
                price::format(c.avg_price),
                name(c.state().as_str_name(), "CHILD_STATE_"),
            ]);
        }
        println!();
        print!("{}", children.render());
    }

    /// Limits: one object/row per instrument; objects carry the version and the
    /// cross-instrument totals, the table has them on its first line.
    pub fn limits(&self, limits: &LimitsSnapshot) {
        let mut table = Table::new(&[
            ("SYMBOL", Align::Left),
            ("MAX_ORDER_QTY", Align::Right),
            ("MAX_ORDER_NOTIONAL", Align::Right),
            ("MAX_POSITION", Align::Right),
            ("COLLAR_BPS", Align::Right),
            ("MAX_ORDERS_PER_SEC", Align::Right),
            ("MAX_GROSS_NOTIONAL", Align::Right),
            ("MAX_NET_NOTIONAL", Align::Right),
            ("CREDIT_NOTIONAL", Align::Right),
        ]);
        let optional = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), price::format);
        for l in &limits.instruments {
            table.row(vec![
                l.instrument_symbol.clone(),
                l.max_order_qty.to_string(),
                price::format(l.max_order_notional),
                l.max_position.to_string(),
                l.price_collar_bps.to_string(),
                l.max_orders_per_second.to_string(),
                optional(l.max_gross_notional),
                optional(l.max_net_notional),
                optional(l.credit_notional),
            ]);
        }
        if !self.json {
            println!(
                "limits version {} max_gross_notional_total {} max_net_notional_total {}",
                limits.version,
                price::format(limits.max_gross_notional_total),
                price::format(limits.max_net_notional_total)
            );
        }
        let objects = limits
            .instruments
            .iter()
            .map(|l| limits_json(l, limits))
            .collect();
        self.emit(objects, table, "no limits");
    }

    /// Engaged kill switches: one object/row each.
    pub fn kill_switch(&self, status: &KillSwitchStatus) {
        let mut table = Table::new(&[
            ("SCOPE", Align::Left),
            ("VENUE", Align::Left),
            ("SYMBOL", Align::Left),
            ("RISK_REDUCING", Align::Left),
            ("ACTIVATED_NS", Align::Right),
            ("REASON", Align::Left),
        ]);
        for k in &status.active {
            table.row(vec![
                name(k.scope().as_str_name(), "KILL_SWITCH_SCOPE_"),
                dash(&k.venue),
                dash(&k.instrument_symbol),
                if k.allow_risk_reducing {
                    "allowed"
                } else {
                    "blocked"
                }
                .to_owned(),
                k.activated_ns.to_string(),
                k.reason.clone(),
            ]);
        }
        self.emit(
            status.active.iter().map(kill_json).collect(),
            table,
            "no kill switch engaged",
        );
    }

    /// Venues: one object/row each.
    pub fn venues(&self, list: &VenueList) {
        let mut table = Table::new(&[
            ("VENUE", Align::Left),
            ("ID", Align::Right),
            ("SESSION", Align::Left),
            ("FEED", Align::Left),
            ("KILLED", Align::Left),
            ("OPEN_CHILDREN", Align::Right),
            ("LAST_HEARTBEAT_NS", Align::Right),
        ]);
        for v in &list.venues {
            table.row(vec![
                v.venue.clone(),
                v.venue_id.to_string(),
                name(v.session_state().as_str_name(), "SESSION_STATE_"),
                name(v.feed_state().as_str_name(), "FEED_STATE_"),
                if v.kill_switch_active { "yes" } else { "no" }.to_owned(),
                v.open_child_orders.to_string(),
                v.last_heartbeat_ns.to_string(),
            ]);
        }
        self.emit(
            list.venues.iter().map(venue_json).collect(),
            table,
            "no venues",
        );
    }
}

/// `"SIDE_SELL_SHORT"`, `"SIDE_"` → `"sell_short"`.
/// The order's cancel reason as crossbarctl prints it (`no_credit`, ..., `unspecified`).
fn cancel_reason(o: &ParentOrder) -> String {
    name(o.cancel_reason().as_str_name(), "CANCEL_REASON_")
}

pub fn name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_ascii_lowercase()
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

fn orders_table() -> Table {
    Table::new(&[
        ("ID", Align::Right),
        ("CLIENT_ID", Align::Left),
        ("SYMBOL", Align::Left),
        ("SIDE", Align::Left),
        ("QTY", Align::Right),
        ("PRICE", Align::Right),
        ("TYPE", Align::Left),
        ("TIF", Align::Left),
        ("STRATEGY", Align::Left),
        ("STATE", Align::Left),
        ("CUM", Align::Right),
        ("LEAVES", Align::Right),
        ("AVG_PRICE", Align::Right),
    ])
}

fn order_row(o: &ParentOrder) -> Vec<String> {
    vec![
        o.parent_order_id.to_string(),
        o.client_order_id.clone(),
        o.instrument_symbol.clone(),
        name(o.side().as_str_name(), "SIDE_"),
        o.qty.to_string(),
        price::format(o.limit_price),
        name(o.order_type().as_str_name(), "ORDER_TYPE_"),
        name(o.time_in_force().as_str_name(), "TIME_IN_FORCE_"),
        name(o.strategy().as_str_name(), "STRATEGY_"),
        name(o.state().as_str_name(), "PARENT_STATE_"),
        o.cum_qty.to_string(),
        o.leaves_qty.to_string(),
        price::format(o.avg_price),
    ]
}

fn order_json(o: &ParentOrder) -> Value {
    json!({
        "parent_order_id": o.parent_order_id,
        "client_order_id": o.client_order_id,
        "instrument_symbol": o.instrument_symbol,
        "side": name(o.side().as_str_name(), "SIDE_"),
        "qty": o.qty,
        "limit_price": price::format(o.limit_price),
        "order_type": name(o.order_type().as_str_name(), "ORDER_TYPE_"),
        "time_in_force": name(o.time_in_force().as_str_name(), "TIME_IN_FORCE_"),
        "strategy": name(o.strategy().as_str_name(), "STRATEGY_"),
        "state": name(o.state().as_str_name(), "PARENT_STATE_"),
        "leaves_qty": o.leaves_qty,
        "cum_qty": o.cum_qty,
        "avg_price": price::format(o.avg_price),
        "reject_code": o.reject_code,
        "reject_reason": o.reject_reason,
        "created_ns": o.created_ns,
        "updated_ns": o.updated_ns,
        "update_sequence": o.update_sequence,
        "cancel_reason": cancel_reason(o),
        "children": o.children.iter().map(child_json).collect::<Vec<_>>(),
    })
}

fn child_json(c: &ChildOrder) -> Value {
    json!({
        "child_order_id": c.child_order_id,
        "venue": c.venue,
        "price": price::format(c.price),
        "qty": c.qty,
        "leaves_qty": c.leaves_qty,
        "cum_qty": c.cum_qty,
        "avg_price": price::format(c.avg_price),
        "state": name(c.state().as_str_name(), "CHILD_STATE_"),
        "reject_code": c.reject_code,
    })
}

fn position_json(p: &Position, sequence: u64) -> Value {
    json!({
        "instrument_symbol": p.instrument_symbol,
        "net_qty": p.net_qty,
        "bought_qty": p.bought_qty,
        "sold_qty": p.sold_qty,
        "notional_bought": price::format(p.notional_bought),
        "notional_sold": price::format(p.notional_sold),
        "updated_ns": p.updated_ns,
        "sequence": sequence,
        "by_venue": p.by_venue.iter().map(|v| json!({
            "venue": v.venue,
            "net_qty": v.net_qty,
            "bought_qty": v.bought_qty,
            "sold_qty": v.sold_qty,
        })).collect::<Vec<_>>(),
    })
}

fn limits_json(l: &InstrumentLimits, limits: &LimitsSnapshot) -> Value {
    json!({
        "version": limits.version,
        "instrument_symbol": l.instrument_symbol,
        "max_order_qty": l.max_order_qty,
        "max_order_notional": price::format(l.max_order_notional),
        "max_position": l.max_position,
        "price_collar_bps": l.price_collar_bps,
        "max_orders_per_second": l.max_orders_per_second,
        "max_gross_notional": l.max_gross_notional.map(price::format),
        "max_net_notional": l.max_net_notional.map(price::format),
        "credit_notional": l.credit_notional.map(price::format),
        "max_gross_notional_total": price::format(limits.max_gross_notional_total),
        "max_net_notional_total": price::format(limits.max_net_notional_total),
    })
}

fn kill_json(k: &KillSwitchEntry) -> Value {
    json!({
        "scope": name(k.scope().as_str_name(), "KILL_SWITCH_SCOPE_"),
        "venue": k.venue,
        "instrument_symbol": k.instrument_symbol,
        "allow_risk_reducing": k.allow_risk_reducing,
        "reason": k.reason,
        "activated_ns": k.activated_ns,
    })
}

fn venue_json(v: &VenueStatus) -> Value {
    json!({
        "venue": v.venue,
        "venue_id": v.venue_id,
        "session_state": name(v.session_state().as_str_name(), "SESSION_STATE_"),
        "feed_state": name(v.feed_state().as_str_name(), "FEED_STATE_"),
        "kill_switch_active": v.kill_switch_active,
        "last_heartbeat_ns": v.last_heartbeat_ns,
        "open_child_orders": v.open_child_orders,
    })
}
