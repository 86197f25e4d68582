//! [`BookBuilder`] message by message.

use crossbar_book::{BookLimits, LevelAction};
use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_itch::{
    AddOrder, Header, ItchMessage, OrderCancel, OrderDelete, OrderExecuted, OrderReplace, Stock,
};
use crossbar_model::{InstrumentId, Price, Qty, Side};

use crate::{BookBuilder, BookBuilderLimits, FeedHandler, FeedState};

fn builder(instruments: u32, level_updates: usize) -> BookBuilder {
    BookBuilder::new(BookBuilderLimits {
        book: BookLimits {
            instruments,
            orders: 64,
            levels_per_side: 16,
        },
        level_updates,
    })
    .unwrap()
}

/// The generator's opening: System Event, then R for locates 1..=n, then H (trading) for each.
fn directory_and_actions(n: u16) -> (Vec<ItchMessage>, Vec<ItchMessage>) {
    let messages: Vec<ItchMessage> = DayGenerator::new(DayConfig {
        seed: 1,
        instruments: n,
        messages: 0,
    })
    .take(1 + 2 * usize::from(n))
    .collect();
    let directory = messages[1..=usize::from(n)].to_vec();
    let actions = messages[1 + usize::from(n)..].to_vec();
    assert!(directory.iter().all(|m| m.message_type() == b'R'));
    assert!(actions.iter().all(|m| m.message_type() == b'H'));
    (directory, actions)
}

fn header(stock_locate: u16) -> Header {
    Header {
        stock_locate,
        tracking_number: 0,
        timestamp_ns: 1,
    }
}

fn add(locate: u16, order_ref: u64, side: Side, price: i64, shares: u32) -> ItchMessage {
    ItchMessage::AddOrder(AddOrder {
        header: header(locate),
        order_reference_number: order_ref,
        side,
        shares: Qty(shares),
        stock: Stock::from_symbol("X").unwrap(),
        price: Price(price),
    })
}

fn feed_all(b: &mut BookBuilder, messages: &[ItchMessage]) {
    for (i, m) in messages.iter().enumerate() {
        b.on_message(i as u64 + 1, m, 0);
    }
}

#[test]
fn directory_maps_locates_densely_up_to_the_limit() {
    let mut b = builder(2, 16);
    let (directory, _) = directory_and_actions(3);
    feed_all(&mut b, &directory);
    feed_all(&mut b, &directory[..1]); // a repeated R keeps its id
    assert_eq!(b.instrument_count(), 2);
    assert_eq!(b.instrument(1), Some(InstrumentId(0)));
    assert_eq!(b.instrument(2), Some(InstrumentId(1)));
    assert_eq!(b.instrument(3), None);
    let ItchMessage::StockDirectory(first) = directory[0] else {
        unreachable!()
    };
    assert_eq!(b.symbol(InstrumentId(0)), Some(first.stock));
    assert_eq!(b.counters().instruments_mapped, 2);
    assert_eq!(b.counters().directory_overflow, 1);
    b.on_message(9, &add(3, 1, Side::Buy, 100, 10), 0);
    assert_eq!(b.counters().unknown_locate, 1);
    assert_eq!(b.book().order_count(), 0);
}

#[test]
fn trading_action_halts_and_resumes() {
    let mut b = builder(4, 16);
    let (directory, actions) = directory_and_actions(2);
    feed_all(&mut b, &directory);
    let id = InstrumentId(0);
    let ItchMessage::StockTradingAction(trading) = actions[0] else {
        unreachable!()
    };
    assert_eq!(trading.trading_state, b'T');
    b.on_message(10, &ItchMessage::StockTradingAction(trading), 0);
    assert!(b.is_tradable(id));
    let halted = crossbar_itch::StockTradingAction {
        trading_state: b'H',
        ..trading
    };
    b.on_message(11, &ItchMessage::StockTradingAction(halted), 0);
    assert!(b.is_halted(id) && !b.is_tradable(id));
    assert!(!b.is_halted(InstrumentId(1)));
    b.on_message(12, &ItchMessage::StockTradingAction(trading), 0);
    assert!(b.is_tradable(id));
    assert!(b.is_halted(InstrumentId(3)), "unmapped ids fail closed");
    assert_eq!(b.counters().trading_actions, 3);
}

#[test]
fn order_messages_change_the_book_and_record_level_updates() {
    let mut b = builder(4, 16);
    let (directory, _) = directory_and_actions(1);
    feed_all(&mut b, &directory);
    let id = InstrumentId(0);
    let events = [
        add(1, 1, Side::Buy, 100_000, 300),
        add(1, 2, Side::Sell, 101_000, 200),
        ItchMessage::OrderExecuted(OrderExecuted {
            header: header(1),
            order_reference_number: 1,
            executed_shares: Qty(100),
            match_number: 1,
        }),
        ItchMessage::OrderCancel(OrderCancel {
            header: header(1),
            order_reference_number: 2,
            cancelled_shares: Qty(50),
        }),
        ItchMessage::OrderReplace(OrderReplace {
            header: header(1),
            original_order_reference_number: 1,
            new_order_reference_number: 3,
            shares: Qty(400),
            price: Price(100_500),
        }),
        ItchMessage::OrderDelete(OrderDelete {
            header: header(1),
            order_reference_number: 2,
        }),
        ItchMessage::OrderDelete(OrderDelete {
            header: header(1),
            order_reference_number: 99,
        }),
    ];
    feed_all(&mut b, &events);
    let updates: Vec<_> = b.drain_updates().collect();
    let summary: Vec<(Side, i64, u64, LevelAction)> = updates
        .iter()
        .map(|u| (u.side, u.price.0, u.qty, u.action))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Side::Buy, 100_000, 300, LevelAction::New),
            (Side::Sell, 101_000, 200, LevelAction::New),
            (Side::Buy, 100_000, 200, LevelAction::Change),
            (Side::Sell, 101_000, 150, LevelAction::Change),
            (Side::Buy, 100_000, 0, LevelAction::Delete),
            (Side::Buy, 100_500, 400, LevelAction::New),
            (Side::Sell, 101_000, 0, LevelAction::Delete),
        ]
    );
    assert!(updates.iter().all(|u| u.instrument == id));
    assert_eq!(b.drain_updates().count(), 0);
    assert_eq!(b.counters().book_rejects, 1, "delete of unknown order 99");
    assert_eq!(b.book().best_bid(id).map(|l| l.price), Some(Price(100_500)));
    assert_eq!(b.book().best_ask(id), None);
}

#[test]
fn full_update_buffer_drops_and_flags_overflow_once() {
    let mut b = builder(4, 1);
    let (directory, _) = directory_and_actions(1);
    feed_all(&mut b, &directory);
    feed_all(
        &mut b,
        &[add(1, 1, Side::Buy, 100, 1), add(1, 2, Side::Buy, 200, 1)],
    );
    assert_eq!(b.counters().updates_dropped, 1);
    assert!(b.take_updates_overflowed());
    assert!(!b.take_updates_overflowed());
    assert_eq!(b.drain_updates().count(), 1);
    assert_eq!(b.book().order_count(), 2, "the book itself is complete");
}

#[test]
fn feed_state_marks_every_book_stale_including_ones_mapped_during_the_gap() {
    let mut b = builder(4, 16);
    let (directory, _) = directory_and_actions(3);
    feed_all(&mut b, &directory[..2]);
    b.on_feed_state(FeedState::Gap { from: 5, to: 9 }, 0);
    assert!(b.book().is_stale(InstrumentId(0)) && b.book().is_stale(InstrumentId(1)));
    feed_all(&mut b, &directory[2..]);
    assert!(b.book().is_stale(InstrumentId(2)));
    b.on_feed_state(
        FeedState::Recovering {
            from: 5,
            to: 9,
            attempt: 1,
            deadline_ns: 1,
        },
        0,
    );
    assert!(b.book().is_stale(InstrumentId(2)));
    b.on_feed_state(FeedState::Live, 0);
    for id in 0..3 {
        assert!(!b.book().is_stale(InstrumentId(id)));
    }
    b.on_feed_state(FeedState::Failed { from: 5, to: 9 }, 0);
    assert!(b.book().is_stale(InstrumentId(0)));
    assert!(!b.is_tradable(InstrumentId(0)));
}

fn directory_entry(locate: u16, symbol: &str) -> ItchMessage {
    let (directory, _) = directory_and_actions(1);
    let ItchMessage::StockDirectory(mut r) = directory[0] else {
        unreachable!()
    };
    r.header = header(locate);
    r.stock = Stock::from_symbol(symbol).unwrap();
    ItchMessage::StockDirectory(r)
}

#[test]
fn universe_fixes_ids_whatever_the_directory_order_and_ignores_other_symbols() {
    let universe = ["AAPL", "MSFT", "SPY"].map(|s| Stock::from_symbol(s).unwrap());
    let limits = BookBuilderLimits {
        book: BookLimits {
            instruments: 3,
            orders: 64,
            levels_per_side: 16,
        },
        level_updates: 16,
    };
    let mut b = BookBuilder::with_universe(limits, &universe).unwrap();
    assert_eq!(b.instrument_count(), 3);
    assert!(
        b.is_halted(InstrumentId(0)),
        "no directory yet: fail closed"
    );
    // The venue lists SPY first, then a symbol outside the universe, then AAPL, then AAPL
    // again under another locate.
    feed_all(
        &mut b,
        &[
            directory_entry(7, "SPY"),
            directory_entry(8, "ZZZZ"),
            directory_entry(9, "AAPL"),
            directory_entry(10, "AAPL"),
        ],
    );
    assert_eq!(b.instrument(7), Some(InstrumentId(2)));
    assert_eq!(b.instrument(9), Some(InstrumentId(0)));
    assert_eq!(b.instrument(8), None);
    assert_eq!(b.instrument(10), None);
    assert_eq!(b.counters().outside_universe, 1);
    assert_eq!(b.counters().directory_overflow, 1);
    assert_eq!(b.counters().instruments_mapped, 2);
    assert!(b.is_mapped(InstrumentId(0)) && !b.is_mapped(InstrumentId(1)));
    assert!(!b.is_halted(InstrumentId(2)));
    assert!(
        b.is_halted(InstrumentId(1)),
        "MSFT never listed: stays halted"
    );
    assert_eq!(b.symbol(InstrumentId(1)), Some(universe[1]));
    b.on_message(20, &add(7, 1, Side::Buy, 100, 10), 0);
    b.on_message(21, &add(8, 2, Side::Buy, 100, 10), 0);
    assert_eq!(b.counters().unknown_locate, 1, "the ZZZZ order is ignored");
    assert_eq!(b.book().best_bid(InstrumentId(2)).map(|l| l.qty), Some(10));
    // A universe larger than the book, or with a repeated symbol, is refused.
    let big = ["A", "B", "C", "D"].map(|s| Stock::from_symbol(s).unwrap());
    assert!(BookBuilder::with_universe(limits, &big).is_err());
    let twice = ["A", "B", "A"].map(|s| Stock::from_symbol(s).unwrap());
    assert!(BookBuilder::with_universe(limits, &twice).is_err());
}
