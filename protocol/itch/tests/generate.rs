//! The day-like generator: determinism, structure, a consistent book, the real type mix.

use std::collections::{HashMap, HashSet};

use crossbar_itch::generate::{
    generate_day, generate_day_to, DayConfig, DayGenerator, REAL_DAY_COUNTS,
};
use crossbar_itch::*;
use crossbar_model::Side;

const CONFIG: DayConfig = DayConfig {
    seed: 20_190_130,
    instruments: 3000,
    messages: 300_000,
};

fn messages(config: &DayConfig) -> Vec<ItchMessage> {
    let mut bytes = Vec::new();
    generate_day(config, &mut bytes).unwrap();
    let mut iter = DayFileIter::new(&bytes);
    let out: Vec<ItchMessage> = iter.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(iter.stats().errors(), 0);
    out
}

#[test]
fn deterministic_per_seed_and_same_through_write() {
    let small = DayConfig {
        messages: 20_000,
        instruments: 100,
        ..CONFIG
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let summary = generate_day(&small, &mut a).unwrap();
    generate_day(&small, &mut b).unwrap();
    generate_day(
        &DayConfig {
            seed: small.seed + 1,
            ..small
        },
        &mut c,
    )
    .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(summary.bytes, a.len() as u64);
    assert_eq!(summary.census.total(), 20_000);
    let mut written = Vec::new();
    let summary_to = generate_day_to(&small, &mut written).unwrap();
    assert_eq!(written, a);
    assert_eq!(summary_to, summary);
    let iterated: Vec<ItchMessage> = DayGenerator::new(small).collect();
    assert_eq!(iterated, messages(&small));
}

#[test]
fn day_structure_directory_first_and_system_events_in_order() {
    let all = messages(&CONFIG);
    assert_eq!(all.len() as u64, CONFIG.messages);
    let n = usize::from(CONFIG.instruments);
    let mut symbols = HashMap::new();
    assert!(matches!(
        all[0],
        ItchMessage::SystemEvent(SystemEvent {
            event_code: b'O',
            ..
        })
    ));
    for (i, m) in all[1..=n].iter().enumerate() {
        let ItchMessage::StockDirectory(r) = m else {
            panic!("{m:?}")
        };
        assert_eq!(usize::from(r.header.stock_locate), i + 1);
        assert!(symbols.insert(r.header.stock_locate, r.stock).is_none());
    }
    assert_eq!(
        symbols.values().collect::<HashSet<_>>().len(),
        n,
        "symbols are unique"
    );
    assert!(all[n + 1..=2 * n]
        .iter()
        .all(|m| matches!(m, ItchMessage::StockTradingAction(h) if h.trading_state == b'T')));
    assert!(all[2 * n + 1..=3 * n]
        .iter()
        .all(|m| m.message_type() == b'Y'));
    let events: Vec<u8> = all
        .iter()
        .filter_map(|m| match m {
            ItchMessage::SystemEvent(s) => Some(s.event_code),
            _ => None,
        })
        .collect();
    assert_eq!(events, b"OSQMEC");
    assert!(matches!(
        all[all.len() - 1],
        ItchMessage::SystemEvent(SystemEvent {
            event_code: b'C',
            ..
        })
    ));
    // Strictly increasing timestamps; every message's stock matches its locate's directory entry.
    for w in all.windows(2) {
        assert!(w[0].header().timestamp_ns < w[1].header().timestamp_ns);
    }
    for m in &all {
        if let ItchMessage::AddOrder(AddOrder { header, stock, .. })
        | ItchMessage::Trade(Trade { header, stock, .. }) = m
        {
            assert_eq!(symbols[&header.stock_locate], *stock);
        }
    }
}

#[test]
fn book_stays_consistent() {
    // reference -> (locate, side, shares)
    let mut book: HashMap<u64, (u16, Side, u32)> = HashMap::new();
    let mut seen_refs = HashSet::new();
    let mut last_match = 0;
    let mut fully_executed = 0;
    let mut bytes = Vec::new();
    let summary = generate_day(&CONFIG, &mut bytes).unwrap();
    let all: Vec<ItchMessage> = DayFileIter::new(&bytes).map(|r| r.unwrap()).collect();
    for m in all {
        match m {
            ItchMessage::AddOrder(a) => {
                assert!(seen_refs.insert(a.order_reference_number));
                assert_eq!(a.price.0 % 100, 0, "cent grid");
                assert!(a.price.0 > 0 && a.shares.0 > 0);
                book.insert(
                    a.order_reference_number,
                    (a.header.stock_locate, a.side, a.shares.0),
                );
            }
            ItchMessage::AddOrderMpid(f) => {
                assert!(seen_refs.insert(f.order_reference_number));
                book.insert(
                    f.order_reference_number,
                    (f.header.stock_locate, f.side, f.shares.0),
                );
            }
            ItchMessage::OrderDelete(d) => {
                let (locate, ..) = book
                    .remove(&d.order_reference_number)
                    .expect("delete of a live order");
                assert_eq!(locate, d.header.stock_locate);
            }
            ItchMessage::OrderCancel(x) => {
                let o = book
                    .get_mut(&x.order_reference_number)
                    .expect("cancel of a live order");
                assert!(
                    x.cancelled_shares.0 > 0 && x.cancelled_shares.0 < o.2,
                    "partial cancel"
                );
                o.2 -= x.cancelled_shares.0;
            }
            ItchMessage::OrderExecuted(OrderExecuted {
                header,
                order_reference_number,
                executed_shares,
                match_number,
            })
            | ItchMessage::OrderExecutedWithPrice(OrderExecutedWithPrice {
                header,
                order_reference_number,
                executed_shares,
                match_number,
                ..
            }) => {
                assert!(match_number > last_match);
                last_match = match_number;
                let o = book
                    .get_mut(&order_reference_number)
                    .expect("execution of a live order");
                assert_eq!(o.0, header.stock_locate);
                assert!(executed_shares.0 > 0 && executed_shares.0 <= o.2);
                o.2 -= executed_shares.0;
                if o.2 == 0 {
                    book.remove(&order_reference_number);
                    fully_executed += 1;
                }
            }
            ItchMessage::OrderReplace(u) => {
                let old = book
                    .remove(&u.original_order_reference_number)
                    .expect("replace of a live order");
                assert!(seen_refs.insert(u.new_order_reference_number));
                assert_eq!(u.price.0 % 100, 0);
                book.insert(u.new_order_reference_number, (old.0, old.1, u.shares.0));
            }
            _ => {}
        }
    }
    assert!(fully_executed > 100, "{fully_executed}");
    assert!(!book.is_empty());
    assert_eq!(book.len(), summary.live_orders);
    let mut generator = DayGenerator::new(CONFIG);
    generator.by_ref().for_each(drop);
    assert_eq!(generator.live_orders(), book.len());
}

#[test]
fn type_mix_follows_the_real_day() {
    let mut census = Census::new();
    DayGenerator::new(CONFIG).for_each(|m| census.add(&m));
    let body_total: u64 = REAL_DAY_COUNTS
        .iter()
        .filter(|(t, _)| !matches!(t, b'R' | b'S'))
        .map(|(_, c)| c)
        .sum();
    let generated_body = CONFIG.messages - CONFIG.structural_messages();
    for &(t, real) in REAL_DAY_COUNTS {
        let expected = real as f64 / body_total as f64 * generated_body as f64;
        let mut got = census.count(t) as f64;
        if matches!(t, b'H' | b'Y') {
            got -= f64::from(CONFIG.instruments); // the start-of-day spins
        }
        if expected > 1000.0 {
            let ratio = got / expected;
            assert!(
                (0.95..1.05).contains(&ratio),
                "type {} got {got} expected {expected:.0}",
                t as char
            );
        }
    }
    assert_eq!(census.count(b'R'), u64::from(CONFIG.instruments));
    assert_eq!(census.count(b'S'), 6);
}

/// Live orders per (locate, side, price), kept from the stream alone.
#[derive(Default)]
struct Depth {
    orders: HashMap<u64, (u16, Side, i64, u32)>,
    levels: HashMap<(u16, Side), std::collections::BTreeMap<i64, u32>>,
}

impl Depth {
    fn add(&mut self, reference: u64, locate: u16, side: Side, price: i64, shares: u32) {
        self.orders.insert(reference, (locate, side, price, shares));
        *self
            .levels
            .entry((locate, side))
            .or_default()
            .entry(price)
            .or_insert(0) += 1;
    }

    fn remove(&mut self, reference: u64) -> (u16, Side, i64, u32) {
        let o = self.orders.remove(&reference).expect("live order");
        let levels = self.levels.get_mut(&(o.0, o.1)).unwrap();
        let n = levels.get_mut(&o.2).unwrap();
        *n -= 1;
        if *n == 0 {
            levels.remove(&o.2);
        }
        o
    }

    fn reduce(&mut self, reference: u64, shares: u32) {
        let o = self.orders.get_mut(&reference).expect("live order");
        o.3 -= shares;
        if o.3 == 0 {
            self.remove(reference);
        }
    }

    /// Best bid strictly below best offer for `locate` (or a side empty).
    fn assert_uncrossed(&self, locate: u16, at: usize) {
        let bid = self
            .levels
            .get(&(locate, Side::Buy))
            .and_then(|l| l.last_key_value());
        let ask = self
            .levels
            .get(&(locate, Side::Sell))
            .and_then(|l| l.first_key_value());
        if let (Some((bid, _)), Some((ask, _))) = (bid, ask) {
            assert!(
                bid < ask,
                "locate {locate} locked/crossed at message {at}: {bid} >= {ask}"
            );
        }
    }
}

fn assert_books_never_lock_or_cross(generator: DayGenerator) -> usize {
    let mut depth = Depth::default();
    let mut checked = 0;
    for (at, m) in generator.enumerate() {
        let locate = match m {
            ItchMessage::AddOrder(a) => {
                let h = a.header.stock_locate;
                depth.add(a.order_reference_number, h, a.side, a.price.0, a.shares.0);
                h
            }
            ItchMessage::AddOrderMpid(f) => {
                let h = f.header.stock_locate;
                depth.add(f.order_reference_number, h, f.side, f.price.0, f.shares.0);
                h
            }
            ItchMessage::OrderReplace(u) => {
                let (locate, side, ..) = depth.remove(u.original_order_reference_number);
                depth.add(
                    u.new_order_reference_number,
                    locate,
                    side,
                    u.price.0,
                    u.shares.0,
                );
                locate
            }
            ItchMessage::OrderDelete(d) => {
                depth.remove(d.order_reference_number);
                continue;
            }
            ItchMessage::OrderCancel(x) => {
                depth.reduce(x.order_reference_number, x.cancelled_shares.0);
                continue;
            }
            ItchMessage::OrderExecuted(e) => {
                depth.reduce(e.order_reference_number, e.executed_shares.0);
                continue;
            }
            ItchMessage::OrderExecutedWithPrice(c) => {
                depth.reduce(c.order_reference_number, c.executed_shares.0);
                continue;
            }
            _ => continue,
        };
        depth.assert_uncrossed(locate, at);
        checked += 1;
    }
    checked
}

#[test]
fn books_never_lock_or_cross_across_thousands_of_instruments() {
    assert!(assert_books_never_lock_or_cross(DayGenerator::new(CONFIG)) > 100_000);
}

/// The venue simulator's case: few symbols, so deep books whose mids drift for a long time.
#[test]
fn books_never_lock_or_cross_over_a_small_universe() {
    let symbols: Vec<Stock> = [
        "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO",
    ]
    .iter()
    .map(|s| Stock::from_symbol(s).unwrap())
    .collect();
    for seed in [11, 22, 33] {
        let config = DayConfig {
            seed,
            instruments: 0,
            messages: 200_000,
        };
        let generator = DayGenerator::with_symbols(config, &symbols);
        assert!(assert_books_never_lock_or_cross(generator) > 50_000);
    }
}
