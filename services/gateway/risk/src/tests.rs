//! Every check at its boundary, state unchanged after every reject, credit never exceeded.

use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce};

use crate::*;

const I0: InstrumentId = InstrumentId(0);
const I1: InstrumentId = InstrumentId(1);
const SEC: u64 = 1_000_000_000;

fn inst_limits() -> InstrumentLimits {
    InstrumentLimits {
        max_order_qty: Qty(1_000),
        max_order_notional: 1_000 * 1_000_000, // 1,000 shares at $100
        max_long_position: 5_000,
        max_short_position: 3_000,
        collar_bps: 500, // 5%
        max_orders_per_window: 50,
    }
}

fn limits() -> RiskLimits {
    RiskLimits {
        instruments: vec![inst_limits(); 2],
        max_open_orders: 64,
        duplicate_window: 128,
        session_max_orders_per_window: 80,
        throttle_window_ns: SEC,
        kill_switch_allows_reducing: true,
    }
}

fn engine() -> RiskEngine {
    let mut e = RiskEngine::new(limits()).unwrap();
    for i in [I0, I1] {
        e.grant_credit(i, Credit::both_sides(1_000_000, i128::MAX / 4))
            .unwrap();
    }
    e
}

fn market() -> MarketView {
    MarketView {
        best_bid: Some(Price(99_0000)),
        best_ask: Some(Price(100_0000)),
        last_trade_price: None,
        stale: false,
    }
}

fn order(seq: u64, side: Side, price: i64, qty: u32) -> OrderRequest {
    OrderRequest {
        order_id: OrderId::new(GatewayId(1), seq).unwrap(),
        instrument: I0,
        side,
        price: Price(price),
        qty: Qty(qty),
        time_in_force: TimeInForce::Day,
    }
}

/// Rejects with `code` and leaves every piece of decision state as it was.
fn assert_rejected(
    e: &mut RiskEngine,
    o: &OrderRequest,
    m: &MarketView,
    now_ns: u64,
    code: u16,
) -> RiskReject {
    let before = e.clone();
    let count = e.reject_count(code);
    let reject = e.check_new_order(o, m, now_ns).unwrap_err();
    assert_eq!(reject.code(), code, "{reject}");
    assert!(e.same_state(&before), "state changed by reject {reject}");
    assert_eq!(e.reject_count(code), count + 1);
    reject
}

#[test]
fn max_order_qty_boundary() {
    let mut e = engine();
    assert!(e
        .check_new_order(&order(1, Side::Buy, 10_0000, 1_000), &market(), 0)
        .is_ok());
    let r = assert_rejected(
        &mut e,
        &order(2, Side::Buy, 10_0000, 1_001),
        &market(),
        0,
        1,
    );
    assert_eq!(
        r.to_string(),
        "RISK_MAX_ORDER_QTY qty=1001 max=1000 instrument=0"
    );
}

#[test]
fn max_notional_boundary_without_overflow() {
    let mut l = limits();
    l.instruments[0].max_order_qty = Qty(u32::MAX);
    l.instruments[0].collar_bps = 10_000;
    l.instruments[0].max_long_position = i64::MAX / 2;
    let mut e = RiskEngine::new(l).unwrap();
    e.grant_credit(I0, Credit::both_sides(i64::MAX / 2, i128::MAX / 2))
        .unwrap();
    // 1,000 * $100 = exactly the limit.
    assert!(e
        .check_new_order(&order(1, Side::Buy, 100_0000, 1_000), &market(), 0)
        .is_ok());
    let r = assert_rejected(
        &mut e,
        &order(2, Side::Buy, 100_0001, 1_000),
        &market(),
        0,
        2,
    );
    assert_eq!(
        r.to_string(),
        "RISK_MAX_NOTIONAL notional=1000001000 max=1000000000 instrument=0"
    );
    // Extreme values do not overflow.
    let m = MarketView {
        best_ask: Some(Price(i64::MAX)),
        ..market()
    };
    let r = assert_rejected(&mut e, &order(3, Side::Buy, i64::MAX, u32::MAX), &m, 0, 2);
    assert!(
        matches!(r, RiskReject::MaxNotional { notional, .. } if notional == i64::MAX as i128 * u32::MAX as i128)
    );
}

#[test]
fn collar_band_edges_for_buys_and_sells() {
    let mut e = engine();
    // Buy: reference = ask 100.0000, 5% band -> edge 105.0000 passes, 105.0001 rejects.
    assert!(e
        .check_new_order(&order(1, Side::Buy, 105_0000, 1), &market(), 0)
        .is_ok());
    let r = assert_rejected(&mut e, &order(2, Side::Buy, 105_0001, 1), &market(), 0, 3);
    assert_eq!(r.to_string(), "RISK_PRICE_COLLAR price=1050001 reference=1000000 limit=1050000 collar_bps=500 instrument=0");
    // Sell: reference = bid 99.0000 -> edge 94.0500 passes, 94.0499 rejects.
    assert!(e
        .check_new_order(&order(3, Side::Sell, 94_0500, 1), &market(), 0)
        .is_ok());
    let r = assert_rejected(
        &mut e,
        &order(4, Side::SellShort, 94_0499, 1),
        &market(),
        0,
        3,
    );
    assert!(
        matches!(
            r,
            RiskReject::PriceCollar {
                limit: 940_500,
                reference: 990_000,
                ..
            }
        ),
        "{r}"
    );
    // Passive orders far from the touch are not collared.
    assert!(e
        .check_new_order(&order(5, Side::Buy, 1, 1), &market(), 0)
        .is_ok());
}

#[test]
fn collar_reference_falls_back_to_last_then_other_side_then_rejects() {
    let mut e = engine();
    let last_only = MarketView {
        best_bid: None,
        best_ask: None,
        last_trade_price: Some(Price(50_0000)),
        stale: false,
    };
    assert!(e
        .check_new_order(&order(1, Side::Buy, 52_5000, 1), &last_only, 0)
        .is_ok());
    assert_rejected(&mut e, &order(2, Side::Buy, 52_5001, 1), &last_only, 0, 3);
    let bid_only = MarketView {
        best_bid: Some(Price(40_0000)),
        best_ask: None,
        last_trade_price: None,
        stale: false,
    };
    assert!(e
        .check_new_order(&order(3, Side::Buy, 42_0000, 1), &bid_only, 0)
        .is_ok());
    assert_rejected(&mut e, &order(4, Side::Buy, 42_0001, 1), &bid_only, 0, 3);
    let ask_only = MarketView {
        best_bid: None,
        best_ask: Some(Price(40_0000)),
        last_trade_price: None,
        stale: false,
    };
    assert_rejected(&mut e, &order(5, Side::Sell, 37_9999, 1), &ask_only, 0, 3);
    let empty = MarketView {
        best_bid: None,
        best_ask: None,
        last_trade_price: None,
        stale: false,
    };
    let r = assert_rejected(&mut e, &order(6, Side::Buy, 1, 1), &empty, 0, 3);
    assert!(matches!(r, RiskReject::PriceCollar { reference: 0, .. }));
}

#[test]
fn stale_book_rejects_and_market_view_comes_from_the_book() {
    let mut e = engine();
    let stale = MarketView {
        stale: true,
        ..market()
    };
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 100_0000, 1), &stale, 0, 11);
    assert_eq!(r.to_string(), "RISK_STALE_BOOK instrument=0");
    let mut book = crossbar_book::OrderBook::new(crossbar_book::BookLimits {
        instruments: 1,
        orders: 8,
        levels_per_side: 4,
    })
    .unwrap();
    book.add(1, I0, Side::Sell, Price(100_0000), Qty(10))
        .unwrap();
    book.add(2, I0, Side::Buy, Price(99_0000), Qty(10)).unwrap();
    let view = MarketView::from_book(&book, I0);
    assert_eq!(view, market());
    assert!(e
        .check_new_order(&order(2, Side::Buy, 105_0000, 1), &view, 0)
        .is_ok());
    book.set_stale(I0, true).unwrap();
    assert_rejected(
        &mut e,
        &order(3, Side::Buy, 100_0000, 1),
        &MarketView::from_book(&book, I0),
        0,
        11,
    );
    assert!(
        MarketView::from_book(&book, I1).stale,
        "unknown instrument fails closed"
    );
}

#[test]
fn position_limit_counts_open_orders_long_and_short() {
    let mut e = engine();
    e.set_position(I0, 3_000).unwrap();
    assert!(e
        .check_new_order(&order(1, Side::Buy, 100_0000, 1_000), &market(), 0)
        .is_ok());
    assert!(e
        .check_new_order(&order(2, Side::Buy, 100_0000, 1_000), &market(), 0)
        .is_ok()); // worst = 5,000
    let r = assert_rejected(&mut e, &order(3, Side::Buy, 100_0000, 1), &market(), 0, 4);
    assert_eq!(
        r.to_string(),
        "RISK_POSITION_LIMIT worst_case=5001 max=5000 instrument=0"
    );
    // Short side: 3,000 - 6,000 = -3,000 passes (exactly the short limit), one more rejects.
    for seq in 10..16 {
        assert!(e
            .check_new_order(&order(seq, Side::Sell, 99_0000, 1_000), &market(), 0)
            .is_ok());
    }
    let r = assert_rejected(
        &mut e,
        &order(16, Side::SellShort, 99_0000, 1),
        &market(),
        0,
        4,
    );
    assert!(matches!(
        r,
        RiskReject::PositionLimit {
            worst_case: -3_001,
            max: -3_000,
            ..
        }
    ));
    // Releasing an open buy frees long room.
    e.on_order_done(order(1, Side::Buy, 0, 1).order_id).unwrap();
    assert!(e
        .check_new_order(&order(17, Side::Buy, 100_0000, 1_000), &market(), 0)
        .is_ok());
}

#[test]
fn credit_boundaries_consumption_and_release() {
    let mut e = RiskEngine::new(limits()).unwrap();
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 100_0000, 1), &market(), 0, 5);
    assert_eq!(
        r.to_string(),
        "RISK_CREDIT_EXHAUSTED resource=buy_shares needed=1 available=0 instrument=0"
    );
    // 300 buy shares, 50 sell shares, $20,000 notional.
    let grant = Credit {
        buy_shares: 300,
        sell_shares: 50,
        notional: 200 * 100_0000,
    };
    e.grant_credit(I0, grant).unwrap();
    let r = assert_rejected(&mut e, &order(2, Side::Buy, 100_0000, 201), &market(), 0, 5);
    assert!(matches!(
        r,
        RiskReject::CreditExhausted {
            resource: "notional",
            ..
        }
    ));
    // The sell budget is separate: exactly 50 passes, 51 is refused on sell shares.
    let r = assert_rejected(&mut e, &order(20, Side::Sell, 99_0000, 51), &market(), 0, 5);
    assert_eq!(
        r.to_string(),
        "RISK_CREDIT_EXHAUSTED resource=sell_shares needed=51 available=50 instrument=0"
    );
    let id = order(3, Side::Buy, 100_0000, 200).order_id;
    assert!(e
        .check_new_order(&order(3, Side::Buy, 100_0000, 200), &market(), 0)
        .is_ok());
    let c = e.credit(I0).unwrap();
    assert_eq!(
        (
            c.available.buy_shares,
            c.available.sell_shares,
            c.available.notional,
            c.reserved_buy
        ),
        (100, 50, 0, 200)
    );
    // Buy shares at the boundary: the notional is gone, so even 1 more buy share is refused.
    assert_rejected(&mut e, &order(21, Side::Buy, 100_0000, 1), &market(), 0, 5);
    // A fill keeps its credit consumed and moves the position; a cancel gives credit back.
    let f = e.on_fill(id, Qty(50)).unwrap();
    assert_eq!(
        (f.leaves_qty, f.position, f.overfill_qty),
        (Qty(150), 50, 0)
    );
    assert_eq!(e.on_cancel(id, Qty(100)), Ok(Qty(50)));
    let c = e.credit(I0).unwrap();
    assert_eq!(c.available.buy_shares, 200);
    assert_eq!(
        c.available.sell_shares, 50,
        "buy releases never feed the sell budget"
    );
    assert_eq!(c.available.notional, 100 * 100_0000);
    assert_eq!(
        e.on_cancel(id, Qty(51)),
        Err(RiskStateError::CancelOverLeaves {
            order_id: id,
            qty: 51,
            leaves: 50
        })
    );
    assert_eq!(e.on_order_done(id), Ok(Qty(50)));
    assert_eq!(
        e.on_order_done(id),
        Err(RiskStateError::UnknownOrder { order_id: id })
    );
    let c = e.credit(I0).unwrap();
    assert_eq!(
        (
            c.available.buy_shares,
            c.available.notional,
            c.reserved_buy,
            c.reserved_notional
        ),
        (250, 150 * 100_0000, 0, 0)
    );
    // A sell consumes the sell budget and notional; its cancel gives both back.
    let sell = order(4, Side::SellShort, 99_0000, 50);
    e.check_new_order(&sell, &market(), 0).unwrap();
    let c = e.credit(I0).unwrap();
    assert_eq!((c.available.sell_shares, c.reserved_sell), (0, 50));
    assert_eq!(c.available.buy_shares, 250);
    assert_eq!(e.on_order_done(sell.order_id), Ok(Qty(50)));
    assert_eq!(e.credit(I0).unwrap().available.sell_shares, 50);
    // Return: exactly the available passes, more on any dimension fails and changes nothing.
    let before = e.clone();
    for over in [
        Credit {
            buy_shares: 251,
            ..Credit::default()
        },
        Credit {
            sell_shares: 51,
            ..Credit::default()
        },
        Credit {
            notional: 150 * 100_0000 + 1,
            ..Credit::default()
        },
        Credit {
            buy_shares: -1,
            ..Credit::default()
        },
    ] {
        assert!(e.return_credit(I0, over).is_err(), "{over:?}");
        assert!(e.same_state(&before));
    }
    assert!(e
        .grant_credit(
            I0,
            Credit {
                sell_shares: -1,
                ..Credit::default()
            }
        )
        .is_err());
    let all = Credit {
        buy_shares: 250,
        sell_shares: 50,
        notional: 150 * 100_0000,
    };
    assert!(e.return_credit(I0, all).unwrap().available.is_zero());
    assert!(e.grant_credit(InstrumentId(9), all).is_err());
}

#[test]
fn restored_orders_reserve_like_accepted_ones_without_checks_or_throttle() {
    let mut e = RiskEngine::new(limits()).unwrap();
    e.grant_credit(I0, Credit::both_sides(100, 100 * 100_0000))
        .unwrap();
    let o = order(1, Side::Buy, 100_0000, 100);
    e.restore_order(&o).unwrap();
    let c = e.credit(I0).unwrap();
    assert_eq!((c.available.buy_shares, c.reserved_buy), (0, 100));
    assert_eq!(e.open_order_count(), 1);
    assert_eq!(e.accepted_count(), 0);
    assert!(e.restore_order(&o).is_err(), "already open");
    // The id is in the duplicate window, and fills / cancels work on it.
    assert_rejected(&mut e, &o, &market(), 0, 7);
    assert_eq!(e.on_fill(o.order_id, Qty(40)).unwrap().position, 40);
    assert_eq!(e.on_order_done(o.order_id), Ok(Qty(60)));
    assert_eq!(e.credit(I0).unwrap().available.buy_shares, 60);
}

#[test]
fn fills_move_position_and_overfill_is_reported() {
    let mut e = engine();
    let sell = order(1, Side::SellShort, 99_0000, 100);
    e.check_new_order(&sell, &market(), 0).unwrap();
    let f = e.on_fill(sell.order_id, Qty(120)).unwrap();
    assert_eq!(
        (f.leaves_qty, f.position, f.overfill_qty, f.limit_price),
        (Qty(0), -120, 20, Price(99_0000))
    );
    assert_eq!(e.position(I0), Some(-120));
    assert_eq!(e.open_qty(I0, Side::Sell), Some(0));
    assert_eq!(e.open_order_count(), 0);
    assert!(e.on_fill(sell.order_id, Qty(1)).is_err());
}

#[test]
fn throttle_per_instrument_rolls_over_with_a_fixed_clock() {
    let mut e = engine();
    let t0 = 5 * SEC;
    for seq in 1..=50 {
        e.check_new_order(&order(seq, Side::Buy, 1_0000, 1), &market(), t0 + seq)
            .unwrap();
    }
    let r = assert_rejected(
        &mut e,
        &order(51, Side::Buy, 1_0000, 1),
        &market(),
        t0 + SEC,
        6,
    );
    assert_eq!(
        r.to_string(),
        "RISK_THROTTLE scope=instrument max=50 window_ns=1000000000 instrument=0"
    );
    // The first accept was at t0+1: exactly one window later it ages out.
    assert!(e
        .check_new_order(&order(51, Side::Buy, 1_0000, 1), &market(), t0 + 1 + SEC)
        .is_ok());
    assert_rejected(
        &mut e,
        &order(52, Side::Buy, 1_0000, 1),
        &market(),
        t0 + 1 + SEC,
        6,
    );
}

#[test]
fn throttle_per_session_spans_instruments() {
    let mut e = engine();
    for seq in 1..=80u64 {
        let mut o = order(seq, Side::Buy, 1_0000, 1);
        o.instrument = if seq % 2 == 0 { I0 } else { I1 };
        e.check_new_order(&o, &market(), 100).unwrap();
        e.on_order_done(o.order_id).unwrap();
    }
    let mut o = order(81, Side::Buy, 1_0000, 1);
    o.instrument = I1;
    let r = assert_rejected(&mut e, &o, &market(), 100 + SEC - 1, 6);
    assert!(matches!(
        r,
        RiskReject::Throttle {
            scope: "session",
            max: 80,
            ..
        }
    ));
    assert!(e.check_new_order(&o, &market(), 100 + SEC).is_ok());
}

#[test]
fn duplicate_ids_open_or_recent_are_rejected_and_the_window_is_bounded() {
    let mut l = limits();
    l.duplicate_window = 2;
    let mut e = RiskEngine::new(l).unwrap();
    e.grant_credit(I0, Credit::both_sides(1_000, i128::MAX / 4))
        .unwrap();
    let a = order(1, Side::Buy, 1_0000, 1);
    e.check_new_order(&a, &market(), 0).unwrap();
    let r = assert_rejected(&mut e, &a, &market(), 0, 7);
    assert_eq!(r.to_string(), "RISK_DUPLICATE_ORDER_ID order_id=1-1");
    e.on_order_done(a.order_id).unwrap();
    assert_rejected(&mut e, &a, &market(), 0, 7);
    e.check_new_order(&order(2, Side::Buy, 1_0000, 1), &market(), 0)
        .unwrap();
    e.check_new_order(&order(3, Side::Buy, 1_0000, 1), &market(), 0)
        .unwrap();
    // Id 1 has left the 2-id window and is no longer open.
    assert!(e.check_new_order(&a, &market(), 0).is_ok());
    // Id 2 is still open even though it left the window.
    e.check_new_order(&order(4, Side::Buy, 1_0000, 1), &market(), 0)
        .unwrap();
    assert_rejected(&mut e, &order(2, Side::Buy, 1_0000, 1), &market(), 0, 7);
}

#[test]
fn halted_kill_switch_and_fail_closed() {
    let mut e = engine();
    e.set_halted(I0, true).unwrap();
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 1), &market(), 0, 8);
    assert_eq!(r.to_string(), "RISK_INSTRUMENT_HALTED instrument=0");
    e.set_halted(I0, false).unwrap();
    e.set_position(I0, 100).unwrap();
    e.set_kill_switch(KillScope::Instrument(I0), true).unwrap();
    let r = assert_rejected(&mut e, &order(2, Side::Buy, 1_0000, 1), &market(), 0, 9);
    assert_eq!(
        r.to_string(),
        "RISK_KILL_SWITCH scope=instrument instrument=0"
    );
    // Risk-reducing: selling exactly the long position passes, one more would flip it.
    assert!(e
        .check_new_order(&order(3, Side::Sell, 99_0000, 60), &market(), 0)
        .is_ok());
    assert!(e
        .check_new_order(&order(4, Side::Sell, 99_0000, 40), &market(), 0)
        .is_ok());
    assert_rejected(&mut e, &order(5, Side::Sell, 99_0000, 1), &market(), 0, 9);
    let mut other = order(6, Side::Buy, 1_0000, 1);
    other.instrument = I1;
    assert!(
        e.check_new_order(&other, &market(), 0).is_ok(),
        "per-instrument switch only"
    );
    e.set_kill_switch(KillScope::All, true).unwrap();
    other.order_id = order(7, Side::Buy, 1, 1).order_id;
    let r = assert_rejected(&mut e, &other, &market(), 0, 9);
    assert!(matches!(r, RiskReject::KillSwitch { scope: "all", .. }));
    e.set_kill_switch(KillScope::All, false).unwrap();
    e.set_kill_switch(KillScope::Instrument(I0), false).unwrap();
    // Without the allowance even reducing orders are stopped.
    let mut l = limits();
    l.kill_switch_allows_reducing = false;
    let mut strict = RiskEngine::new(l).unwrap();
    strict
        .grant_credit(I0, Credit::both_sides(1_000, i128::MAX / 4))
        .unwrap();
    strict.set_position(I0, -100).unwrap();
    strict.set_kill_switch(KillScope::All, true).unwrap();
    assert_rejected(
        &mut strict,
        &order(1, Side::Buy, 100_0000, 10),
        &market(),
        0,
        9,
    );
    // Fail closed outranks everything and stops reducing orders too.
    e.set_fail_closed(true);
    assert!(e.is_fail_closed());
    let r = assert_rejected(&mut e, &order(8, Side::Sell, 99_0000, 1), &market(), 0, 10);
    assert_eq!(
        r.to_string(),
        "RISK_FAIL_CLOSED cause=operator instrument=0"
    );
    e.set_fail_closed(false);
    assert!(e
        .check_new_order(&order(8, Side::Buy, 1_0000, 1), &market(), 0)
        .is_ok());
}

#[test]
fn invalid_requests_and_open_order_table_capacity() {
    let mut e = engine();
    let mut bad = order(1, Side::Buy, 1_0000, 0);
    let r = assert_rejected(&mut e, &bad, &market(), 0, 16);
    assert_eq!(
        r.to_string(),
        "RISK_INVALID_ORDER field=qty order_id=1-1 instrument=0"
    );
    bad.qty = Qty(1);
    bad.price = Price(0);
    assert_rejected(&mut e, &bad, &market(), 0, 16);
    bad.price = Price(1_0000);
    bad.instrument = InstrumentId(2);
    let r = assert_rejected(&mut e, &bad, &market(), 0, 13);
    assert_eq!(
        r.to_string(),
        "RISK_UNKNOWN_INSTRUMENT order_id=1-1 instrument=2"
    );
    bad.instrument = I0;
    bad.order_id = OrderId(0);
    assert_rejected(&mut e, &bad, &market(), 0, 16);
    for seq in 1..=64 {
        let mut o = order(seq, Side::Buy, 1_0000, 1);
        o.instrument = if seq <= 32 { I0 } else { I1 };
        e.check_new_order(&o, &market(), seq * SEC).unwrap();
    }
    let r = assert_rejected(
        &mut e,
        &order(65, Side::Buy, 1_0000, 1),
        &market(),
        100 * SEC,
        17,
    );
    assert_eq!(r.to_string(), "RISK_OPEN_ORDERS_FULL max=64");
    assert_eq!(e.accepted_count(), 64);
}

#[test]
fn invalid_limits_are_refused() {
    let mut l = limits();
    l.instruments[1].collar_bps = 10_001;
    assert!(RiskEngine::new(l).is_err());
    let mut l = limits();
    l.throttle_window_ns = 0;
    assert_eq!(
        RiskEngine::new(l).unwrap_err().to_string(),
        "RISK_INVALID_LIMITS field=throttle_window_ns value=0"
    );
    let mut l = limits();
    l.instruments.clear();
    assert!(RiskEngine::new(l).is_err());
}

#[test]
fn credit_is_never_exceeded_across_random_sequences() {
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut e = RiskEngine::new(limits()).unwrap();
    // Net credit granted, and what fills consumed, per instrument (buy, sell, notional).
    let mut granted = [(0i64, 0i64, 0i128); 2];
    let mut filled = [(0i64, 0i64, 0i128); 2];
    let mut open: Vec<OrderRequest> = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for step in 0..200_000u64 {
        let i = rng.below(2) as usize;
        let inst = InstrumentId(i as u32);
        match rng.below(10) {
            0 => {
                let c = Credit {
                    buy_shares: rng.below(500) as i64,
                    sell_shares: rng.below(500) as i64,
                    notional: i128::from(rng.below(50_000_000)),
                };
                e.grant_credit(inst, c).unwrap();
                granted[i].0 += c.buy_shares;
                granted[i].1 += c.sell_shares;
                granted[i].2 += c.notional;
            }
            1 => {
                let c = Credit {
                    buy_shares: rng.below(300) as i64,
                    sell_shares: rng.below(300) as i64,
                    notional: i128::from(rng.below(30_000_000)),
                };
                if e.return_credit(inst, c).is_ok() {
                    granted[i].0 -= c.buy_shares;
                    granted[i].1 -= c.sell_shares;
                    granted[i].2 -= c.notional;
                }
            }
            2..=5 => {
                let side = if rng.below(2) == 0 {
                    Side::Buy
                } else {
                    Side::Sell
                };
                let mut o = order(
                    step + 1,
                    side,
                    95_0000 + rng.below(10_0000) as i64,
                    1 + rng.below(400) as u32,
                );
                o.instrument = inst;
                let before = e.clone();
                match e.check_new_order(&o, &market(), step * 30_000_000) {
                    Ok(_) => {
                        accepted += 1;
                        open.push(o);
                    }
                    Err(_) => {
                        rejected += 1;
                        assert!(e.same_state(&before));
                    }
                }
            }
            6 | 7 if !open.is_empty() => {
                let k = rng.below(open.len() as u64) as usize;
                let o = open[k];
                let leaves = e.open_qty(o.instrument, o.side).unwrap();
                let q = 1 + rng.below(o.qty.0 as u64) as u32;
                if let Ok(f) = e.on_fill(o.order_id, Qty(q)) {
                    let taken = i64::from(q - f.overfill_qty);
                    let fi = &mut filled[o.instrument.index()];
                    if o.side.is_sell() {
                        fi.1 += taken;
                    } else {
                        fi.0 += taken;
                    }
                    fi.2 += o.price.notional(Qty(taken as u32));
                    if f.leaves_qty.is_zero() {
                        open.swap_remove(k);
                    }
                }
                assert!(leaves >= 0);
            }
            8 if !open.is_empty() => {
                let k = rng.below(open.len() as u64) as usize;
                if e.on_cancel(open[k].order_id, Qty(1 + rng.below(50) as u32)) == Ok(Qty(0)) {
                    open.swap_remove(k);
                }
            }
            _ if !open.is_empty() => {
                let k = rng.below(open.len() as u64) as usize;
                e.on_order_done(open.swap_remove(k).order_id).unwrap();
            }
            _ => {}
        }
        for (i, inst) in [I0, I1].into_iter().enumerate() {
            let c = e.credit(inst).unwrap();
            let a = c.available;
            assert!(
                a.buy_shares >= 0 && a.sell_shares >= 0 && a.notional >= 0,
                "step {step}: {c:?}"
            );
            assert_eq!(
                a.buy_shares + c.reserved_buy + filled[i].0,
                granted[i].0,
                "step {step}"
            );
            assert_eq!(
                a.sell_shares + c.reserved_sell + filled[i].1,
                granted[i].1,
                "step {step}"
            );
            assert_eq!(
                a.notional + c.reserved_notional + filled[i].2,
                granted[i].2,
                "step {step}"
            );
        }
    }
    assert!(
        accepted > 10_000 && rejected > 10_000,
        "{accepted} {rejected}"
    );
}

#[test]
fn instrument_limits_replaced_at_run_time_apply_to_the_next_check() {
    let mut e = engine();
    let tighter = InstrumentLimits {
        max_order_qty: Qty(10),
        max_orders_per_window: 3,
        ..inst_limits()
    };
    e.set_instrument_limits(I0, tighter).unwrap();
    assert_eq!(e.instrument_limits(I0), Some(tighter));
    assert_eq!(
        e.instrument_limits(I1),
        Some(inst_limits()),
        "other untouched"
    );
    assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 11), &market(), 0, 1);
    for seq in 2..=4 {
        e.check_new_order(&order(seq, Side::Buy, 1_0000, 10), &market(), seq)
            .unwrap();
    }
    // The lowered rate counts the accepts already in the ring.
    assert_rejected(&mut e, &order(5, Side::Buy, 1_0000, 1), &market(), 4, 6);
    assert!(e
        .check_new_order(&order(5, Side::Buy, 1_0000, 1), &market(), 2 + SEC)
        .is_ok());
    // Above the ring sized at start-up, or invalid, or unknown: refused, nothing changes.
    let too_fast = InstrumentLimits {
        max_orders_per_window: 51,
        ..inst_limits()
    };
    let err = e.set_instrument_limits(I0, too_fast).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RISK_INVALID_LIMITS field=instrument.max_orders_per_window value=51"
    );
    let bad_collar = InstrumentLimits {
        collar_bps: 10_001,
        ..inst_limits()
    };
    assert!(e.set_instrument_limits(I0, bad_collar).is_err());
    assert!(e
        .set_instrument_limits(InstrumentId(2), inst_limits())
        .is_err());
    assert_eq!(e.instrument_limits(I0), Some(tighter));
    // Raised back to the start-up rate: the full window is usable again.
    e.set_instrument_limits(I0, inst_limits()).unwrap();
    assert!(e
        .check_new_order(&order(6, Side::Buy, 1_0000, 1), &market(), 2 + SEC)
        .is_ok());
}

#[test]
fn fail_closed_causes_are_a_set_and_kill_switch_allowance_can_change() {
    let mut e = engine();
    e.set_fail_closed_cause(FailClosedCause::CentreSilent, true);
    e.set_fail_closed_cause(FailClosedCause::ExecQueueFull, true);
    assert_eq!(e.fail_closed_cause(), Some(FailClosedCause::ExecQueueFull));
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 1), &market(), 0, 10);
    assert_eq!(
        r.to_string(),
        "RISK_FAIL_CLOSED cause=EXEC_QUEUE_FULL instrument=0"
    );
    // Clearing one cause leaves the other in force.
    e.set_fail_closed_cause(FailClosedCause::ExecQueueFull, false);
    assert!(e.is_fail_closed());
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 1), &market(), 0, 10);
    assert_eq!(
        r.to_string(),
        "RISK_FAIL_CLOSED cause=CENTRE_SILENT instrument=0"
    );
    e.set_fail_closed_cause(FailClosedCause::CentreSilent, false);
    assert!(!e.is_fail_closed());
    // limits() allows reducing orders through a kill switch; switch that off at run time.
    e.set_position(I0, 100).unwrap();
    e.set_kill_switch(KillScope::All, true).unwrap();
    assert!(e
        .check_new_order(&order(2, Side::Sell, 99_0000, 10), &market(), 0)
        .is_ok());
    e.set_kill_switch_allows_reducing(false);
    assert_rejected(&mut e, &order(3, Side::Sell, 99_0000, 10), &market(), 0, 9);
}

#[test]
fn venue_and_all_kill_switches_are_independent() {
    let mut e = engine();
    e.set_kill_switch_allows_reducing(false);
    e.set_kill_switch(KillScope::Venue, true).unwrap();
    e.set_kill_switch(KillScope::All, true).unwrap();
    // Releasing All leaves the Venue switch on, and the other way round.
    e.set_kill_switch(KillScope::All, false).unwrap();
    assert_eq!(e.kill_switch(KillScope::Venue), Some(true));
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 1), &market(), 0, 9);
    assert_eq!(r.to_string(), "RISK_KILL_SWITCH scope=venue instrument=0");
    e.set_kill_switch(KillScope::All, true).unwrap();
    e.set_kill_switch(KillScope::Venue, false).unwrap();
    let r = assert_rejected(&mut e, &order(1, Side::Buy, 1_0000, 1), &market(), 0, 9);
    assert_eq!(r.to_string(), "RISK_KILL_SWITCH scope=all instrument=0");
    e.set_kill_switch(KillScope::All, false).unwrap();
    assert!(e
        .check_new_order(&order(1, Side::Buy, 1_0000, 1), &market(), 0)
        .is_ok());
}

/// Absolute credit with messages in flight: the gateway holds 1,000 buy shares, has an order
/// of 300 working (reserved) of which 100 filled in a message the centre has not applied yet.
/// The centre's statement (through the message before the fill) says 1,000: the gateway keeps
/// 1,000 − 100 = 900, of which 200 stay reserved, 700 unused: exactly what it had; a
/// statement after the fill (900) gives the same; a larger statement (a gateway that lost its
/// journal, or a centre grant it never got) tops it up.
#[test]
fn credit_statement_minus_messages_in_flight_keeps_reservations() {
    let mut e = RiskEngine::new(limits()).unwrap();
    e.grant_credit(I0, Credit::both_sides(1_000, 1_000 * 100_0000))
        .unwrap();
    let o = order(1, Side::Buy, 100_0000, 300);
    e.check_new_order(&o, &market(), SEC).unwrap();
    e.on_fill(o.order_id, Qty(100)).unwrap();
    let before = e.credit(I0).unwrap();
    assert_eq!(
        (before.available.buy_shares, before.reserved_buy),
        (700, 200)
    );
    let mut ledger = CreditLedger::new(16);
    ledger.note_sequence(1); // the order's New report
    ledger.record(
        2,
        I0,
        Credit {
            buy_shares: 100,
            sell_shares: 0,
            notional: 100 * 100_0000,
        },
    );
    let stated = Credit::both_sides(1_000, 1_000 * 100_0000);
    for (through, stated) in [
        (1, stated),
        (
            2,
            Credit {
                buy_shares: 900,
                sell_shares: 1_000,
                notional: 900 * 100_0000,
            },
        ),
    ] {
        let taken = ledger.taken_after(I0, through).unwrap();
        let view = e
            .set_credit_held(I0, held_after_statement(stated, taken))
            .unwrap();
        assert_eq!(view, before, "through {through}");
    }
    // The centre says more than the gateway knew: the difference becomes unused credit.
    let more = Credit {
        buy_shares: 1_400,
        sell_shares: 1_000,
        notional: 1_400 * 100_0000,
    };
    let view = e
        .set_credit_held(
            I0,
            held_after_statement(more, ledger.taken_after(I0, 2).unwrap()),
        )
        .unwrap();
    assert_eq!((view.available.buy_shares, view.reserved_buy), (1_200, 200));
    // Less than is reserved: nothing unused, new orders refused for credit.
    let view = e.set_credit_held(I0, Credit::both_sides(150, 0)).unwrap();
    assert_eq!(view.available.buy_shares, -50);
    assert_rejected(
        &mut e,
        &order(2, Side::Buy, 100_0000, 1),
        &market(),
        2 * SEC,
        5,
    );
    // The working order's cancel hands its reservation back: unused + reserved == held.
    e.on_order_done(o.order_id).unwrap();
    assert_eq!(e.credit(I0).unwrap().available.buy_shares, 150);
    assert!(e.set_credit_held(InstrumentId(9), more).is_err());
}

#[test]
fn credit_from_sbe_amounts_saturates_shares_above_i64() {
    assert_eq!(
        Credit::from_sbe(5, 7, -9),
        Credit {
            buy_shares: 5,
            sell_shares: 7,
            notional: -9
        }
    );
    let huge = Credit::from_sbe(u64::MAX, i64::MAX as u64, i64::MAX);
    assert_eq!((huge.buy_shares, huge.sell_shares), (i64::MAX, i64::MAX));
    assert_eq!(huge.notional, i128::from(i64::MAX));
}
