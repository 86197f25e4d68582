//! A deterministic, day-like ITCH 5.0 stream generator for load tests, benchmarks and the
//! venue simulator.
//!
//! The stream has the shape of a NASDAQ TotalView-ITCH day file:
//!
//! 1. System Event `O` (start of messages);
//! 2. a Stock Directory (`R`) for every instrument, locates `1..=instruments`, then a Trading
//!    Action (`H`, state `T`) and a Reg SHO (`Y`) spin over all instruments;
//! 3. System Event `S` (start of system hours), then the body; System Event `Q` (start of
//!    market hours) after the pre-market tenth of the body;
//! 4. System Events `M`, `E`, `C` at the end.
//!
//! The body's message types are drawn with the proportions of a real NASDAQ day
//! ([`REAL_DAY_COUNTS`]). Order flow keeps a consistent book: Delete, Cancel, Execute and
//! Replace reference only live orders, Cancel removes fewer shares than remain, Execute at most
//! what remains (removing the order when it reaches zero), Replace retires the old reference
//! and adds the new one with the same side and stock. Most orders are picked for removal
//! shortly after they were added (a recency bias) and are priced a few ticks from the stock's
//! moving mid, as on the real feed where most orders are cancelled quickly near the touch;
//! executions prefer the order closest to the mid among a few candidates. Books never lock or
//! cross: a buy is priced at least a tick below its stock's best offer and a sell at least a
//! tick above its best bid (on a real venue the two would have matched), whatever the mid's
//! drift. Prices are on a
//! one-cent grid (100 in 1/10,000 units) around per-stock reference prices between $2 and
//! $512, and timestamps increase strictly across the day (03:05 to 20:05).
//!
//! Deterministic: the same [`DayConfig`] gives the same bytes on every platform.

use std::collections::BTreeMap;
use std::io::Write;

use crossbar_model::{Price, Qty, Side};

use crate::messages::*;
use crate::{write_frame, Census, Header, ItchError, ItchMessage, Mpid, Stock};

/// Message counts per type of the 2019-01-30 NASDAQ TotalView-ITCH 5.0 day file
/// (368,366,634 messages), as listed in the project's shared venue-data README
/// (`shared/venue-data/README.md`, "Ground truth for a whole NASDAQ day"). The generator's
/// body mix uses these proportions; `R` and `S` are structural and excluded from the body.
pub const REAL_DAY_COUNTS: &[(u8, u64)] = &[
    (b'A', 162_970_455),
    (b'D', 158_273_361),
    (b'U', 27_222_746),
    (b'E', 8_096_995),
    (b'X', 4_669_874),
    (b'I', 3_684_511),
    (b'F', 1_725_898),
    (b'P', 1_326_184),
    (b'L', 193_769),
    (b'C', 158_886),
    (b'Q', 17_430),
    (b'Y', 8_821),
    (b'H', 8_805),
    (b'R', 8_714),
    (b'B', 116),
    (b'J', 62),
    (b'S', 6),
    (b'V', 1),
];

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayConfig {
    /// PRNG seed; equal configs give equal streams.
    pub seed: u64,
    /// Number of instruments (stock locates `1..=instruments`), at least 1, at most 65,535.
    pub instruments: u16,
    /// Total messages to emit, structural ones included. Streams never get shorter than the
    /// structural minimum ([`DayConfig::structural_messages`]).
    pub messages: u64,
}

impl DayConfig {
    /// Messages that are not body: 6 System Events and R, H, Y per instrument.
    pub const fn structural_messages(&self) -> u64 {
        6 + 3 * self.instruments as u64
    }
}

/// What [`generate_day`] produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySummary {
    /// Messages per type.
    pub census: Census,
    /// Bytes written (frames with their 2-byte prefixes).
    pub bytes: u64,
    /// Orders still on the book after the last message.
    pub live_orders: usize,
}

/// Generates the day described by `config` and appends it to `out` in day-file format
/// (2-byte big-endian length prefix per message).
///
/// # Errors
/// [`ItchError::FieldOutOfRange`] if a generated field did not fit its wire width (the
/// generator keeps prices and times in range, so this signals a generator bug).
pub fn generate_day(config: &DayConfig, out: &mut Vec<u8>) -> Result<DaySummary, ItchError> {
    let start = out.len();
    let mut generator = DayGenerator::new(*config);
    let mut census = Census::new();
    out.reserve(usize::try_from(config.messages.saturating_mul(32)).unwrap_or(0));
    for message in &mut generator {
        census.add(&message);
        write_frame(&message, out)?;
    }
    Ok(DaySummary {
        census,
        bytes: (out.len() - start) as u64,
        live_orders: generator.orders.len(),
    })
}

/// Like [`generate_day`] but writes to any [`Write`], in chunks of about 64 KiB.
///
/// # Errors
/// The writer's I/O errors; a generator encoding error is returned as
/// [`std::io::ErrorKind::InvalidData`].
pub fn generate_day_to<W: Write>(config: &DayConfig, mut out: W) -> std::io::Result<DaySummary> {
    let mut generator = DayGenerator::new(*config);
    let mut census = Census::new();
    let mut chunk = Vec::with_capacity(1 << 16);
    let mut bytes = 0u64;
    for message in &mut generator {
        census.add(&message);
        write_frame(&message, &mut chunk)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if chunk.len() >= (1 << 16) - 64 {
            out.write_all(&chunk)?;
            bytes += chunk.len() as u64;
            chunk.clear();
        }
    }
    out.write_all(&chunk)?;
    bytes += chunk.len() as u64;
    Ok(DaySummary {
        census,
        bytes,
        live_orders: generator.orders.len(),
    })
}

/// SplitMix64: small, fast, deterministic (Steele, Lea, Flood 2014).
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Geometric-ish small integer: number of leading zero bits of a random u64, capped.
    #[inline]
    fn geometric(&mut self, cap: u32) -> u32 {
        self.next_u64().leading_zeros().min(cap)
    }
}

#[derive(Clone, Copy, Debug)]
struct LiveOrder {
    reference: u64,
    locate: u16,
    side: Side,
    shares: u32,
    price: u32,
}

#[derive(Clone, Copy, Debug)]
struct Instrument {
    stock: Stock,
    mid: u32,
}

/// Live orders per price of one instrument, per side: the best bid and offer that keep new
/// orders from locking or crossing the book. Off any hot path (a load generator).
#[derive(Clone, Debug, Default)]
struct Quotes {
    bids: BTreeMap<u32, u32>,
    asks: BTreeMap<u32, u32>,
}

impl Quotes {
    fn side(&mut self, side: Side) -> &mut BTreeMap<u32, u32> {
        match side {
            Side::Buy => &mut self.bids,
            _ => &mut self.asks,
        }
    }

    fn add(&mut self, side: Side, price: u32) {
        *self.side(side).entry(price).or_insert(0) += 1;
    }

    fn remove(&mut self, side: Side, price: u32) {
        let levels = self.side(side);
        match levels.get_mut(&price) {
            Some(1) => {
                levels.remove(&price);
            }
            Some(n) => *n -= 1,
            None => debug_assert!(false, "no live order at {price}"),
        }
    }
}

/// One cent in Price (4) units.
const TICK: u32 = 100;
/// Orders kept live at most; beyond this the generator deletes instead of adding.
const LIVE_ORDERS_MAX: usize = 2_000_000;
const MPIDS: [[u8; 4]; 6] = [*b"NSDQ", *b"GSCO", *b"MSCO", *b"UBSS", *b"CDRG", *b"VIRT"];
const NS_PER_S: u64 = 1_000_000_000;
const T_START_OF_MESSAGES: u64 = 3 * 3600 * NS_PER_S + 5 * 60 * NS_PER_S;
const T_SYSTEM_OPEN: u64 = 4 * 3600 * NS_PER_S;
const T_MARKET_OPEN: u64 = 9 * 3600 * NS_PER_S + 30 * 60 * NS_PER_S;
const T_MARKET_CLOSE: u64 = 16 * 3600 * NS_PER_S;
const T_SYSTEM_CLOSE: u64 = 20 * 3600 * NS_PER_S;
const T_END_OF_MESSAGES: u64 = T_SYSTEM_CLOSE + 5 * 60 * NS_PER_S;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    StartOfMessages,
    Directory,
    TradingActionSpin,
    RegShoSpin,
    SystemOpen,
    PreMarket,
    MarketOpen,
    Market,
    Close(u8),
    Done,
}

/// Iterator over the generated day's messages; see the module docs. [`generate_day`] frames
/// them; use this directly to feed a simulator message by message.
#[derive(Clone, Debug)]
pub struct DayGenerator {
    rng: Rng,
    config: DayConfig,
    instruments: Vec<Instrument>,
    /// Per instrument, same index as `instruments`.
    quotes: Vec<Quotes>,
    orders: Vec<LiveOrder>,
    phase: Phase,
    spin_index: u16,
    body_total: u64,
    body_done: u64,
    next_reference: u64,
    next_match: u64,
    last_timestamp_ns: u64,
    /// Cumulative body weights scaled to 2^32, with their types.
    mix: Vec<(u64, u8)>,
}

impl DayGenerator {
    /// A generator for `config` (instruments below 1 are raised to 1).
    pub fn new(config: DayConfig) -> Self {
        let config = DayConfig {
            instruments: config.instruments.max(1),
            ..config
        };
        let mut rng = Rng(config.seed ^ 0x1cb1_7c5a_0000_0005);
        let instruments: Vec<Instrument> = (0..config.instruments)
            .map(|i| make_instrument(&mut rng, i))
            .collect();
        let quotes = vec![Quotes::default(); instruments.len()];
        let body_total = config.messages.saturating_sub(config.structural_messages());
        DayGenerator {
            rng,
            config,
            instruments,
            quotes,
            orders: Vec::with_capacity(1 << 16),
            phase: Phase::StartOfMessages,
            spin_index: 0,
            body_total,
            body_done: 0,
            next_reference: 1,
            next_match: 1,
            last_timestamp_ns: 0,
            mix: body_mix(),
        }
    }

    /// A generator over an explicit symbol universe: instrument `i` is `symbols[i]` with
    /// stock locate `i + 1` and starting mid [`reference_price`]`(symbols[i])`; `config.seed`
    /// drives only the order flow and `config.instruments` is replaced by `symbols.len()`.
    /// Two configs with different seeds over the same `symbols` therefore list the same
    /// stocks, under the same locates, around the same prices, with different books: the
    /// venue simulator's "one symbol universe, one book per venue".
    ///
    /// Symbols beyond 65,535 are ignored (ITCH locates are u16); an empty list falls back
    /// to one instrument named [`default_symbol`]`(0)`.
    pub fn with_symbols(config: DayConfig, symbols: &[Stock]) -> Self {
        let symbols = &symbols[..symbols.len().min(usize::from(u16::MAX))];
        let fallback = [default_symbol(0)];
        let symbols = if symbols.is_empty() {
            &fallback[..]
        } else {
            symbols
        };
        let config = DayConfig {
            instruments: symbols.len() as u16,
            ..config
        };
        let mut generator = Self::new(config);
        generator.instruments = symbols
            .iter()
            .map(|&stock| Instrument {
                stock,
                mid: u32::try_from(reference_price(stock).0).unwrap_or(51_200 * TICK),
            })
            .collect();
        generator.quotes = vec![Quotes::default(); symbols.len()];
        generator
    }

    /// Orders on the book now.
    pub fn live_orders(&self) -> usize {
        self.orders.len()
    }

    fn header(&mut self, locate: u16, timestamp_ns: u64) -> Header {
        let timestamp_ns = timestamp_ns.max(self.last_timestamp_ns + 1);
        self.last_timestamp_ns = timestamp_ns;
        Header {
            stock_locate: locate,
            tracking_number: 0,
            timestamp_ns,
        }
    }

    fn system_event(&mut self, code: u8, at: u64) -> ItchMessage {
        let header = self.header(0, at);
        SystemEvent {
            header,
            event_code: code,
        }
        .into()
    }

    /// Timestamp of body message `i`: pre-market tenth spread over 04:00–09:30, the rest over
    /// 09:30–16:00, plus jitter below the gap, so strictly increasing.
    fn body_time(&mut self) -> u64 {
        let pre = self.body_total / 10;
        let (start, span, index, count) = if self.body_done < pre {
            (
                T_SYSTEM_OPEN,
                T_MARKET_OPEN - T_SYSTEM_OPEN,
                self.body_done,
                pre,
            )
        } else {
            (
                T_MARKET_OPEN,
                T_MARKET_CLOSE - T_MARKET_OPEN,
                self.body_done - pre,
                self.body_total - pre,
            )
        };
        let gap = (span / count.max(1)).max(1);
        start + index * gap + self.rng.below(gap)
    }

    fn pick_stock(&mut self) -> u16 {
        // Skewed popularity: low locates are far busier, like the real feed's top names.
        let u = self.rng.below(1 << 20);
        let skew = (((u * u) >> 20) * u) >> 20;
        let n = u64::from(self.config.instruments);
        ((skew * n) >> 20) as u16 + 1
    }

    fn index(&self, locate: u16) -> usize {
        usize::from(locate.saturating_sub(1)) % self.instruments.len()
    }

    fn instrument(&mut self, locate: u16) -> &mut Instrument {
        let index = self.index(locate);
        &mut self.instruments[index]
    }

    fn quotes(&mut self, locate: u16) -> &mut Quotes {
        let index = self.index(locate);
        &mut self.quotes[index]
    }

    /// A few ticks from the mid on `side`, never at or through the other side's best price.
    fn order_price(&mut self, locate: u16, side: Side) -> u32 {
        let mid = self.instrument(locate).mid;
        let ticks = self.rng.geometric(8) + u32::from(self.rng.below(2) == 0);
        let quotes = self.quotes(locate);
        match side {
            // Sells never go below bid + 1 tick >= 2 ticks, so ask - 1 tick >= 1 tick.
            Side::Buy => {
                let price = mid.saturating_sub(ticks * TICK).max(TICK);
                quotes
                    .asks
                    .first_key_value()
                    .map_or(price, |(&ask, _)| price.min(ask - TICK))
            }
            _ => {
                let price = mid + ticks * TICK;
                quotes
                    .bids
                    .last_key_value()
                    .map_or(price, |(&bid, _)| price.max(bid + TICK))
            }
        }
    }

    fn lot(&mut self) -> u32 {
        match self.rng.below(16) {
            0..=7 => 100,
            8..=9 => 200,
            10 => 300,
            11 => 500,
            12 => 1000,
            _ => 1 + self.rng.below(99) as u32,
        }
    }

    /// Index of a live order: usually one of the most recent (quick cancels), else any.
    fn pick_order(&mut self) -> Option<usize> {
        let len = self.orders.len() as u64;
        if len == 0 {
            return None;
        }
        let back = if self.rng.below(4) != 0 {
            self.rng.below(len.min(64))
        } else {
            self.rng.below(len)
        };
        Some((len - 1 - back) as usize)
    }

    /// Of a few random live orders, the one priced closest to its stock's mid.
    fn pick_near_touch(&mut self) -> Option<usize> {
        if self.orders.is_empty() {
            return None;
        }
        let mut best: Option<(usize, u32)> = None;
        for _ in 0..4 {
            let i = self.rng.below(self.orders.len() as u64) as usize;
            let o = self.orders[i];
            let distance = self.instrument(o.locate).mid.abs_diff(o.price);
            if best.is_none_or(|(_, d)| distance < d) {
                best = Some((i, distance));
            }
        }
        best.map(|(i, _)| i)
    }

    fn add_order(&mut self, with_mpid: bool, at: u64) -> ItchMessage {
        let locate = self.pick_stock();
        let side = if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let price = self.order_price(locate, side);
        self.quotes(locate).add(side, price);
        let shares = self.lot();
        let reference = self.next_reference;
        self.next_reference += 1;
        self.orders.push(LiveOrder {
            reference,
            locate,
            side,
            shares,
            price,
        });
        let stock = self.instrument(locate).stock;
        let header = self.header(locate, at);
        let (shares, price) = (Qty(shares), Price::from_itch(price));
        if with_mpid {
            let attribution = Mpid(MPIDS[self.rng.below(MPIDS.len() as u64) as usize]);
            let order_reference_number = reference;
            AddOrderMpid {
                header,
                order_reference_number,
                side,
                shares,
                stock,
                price,
                attribution,
            }
            .into()
        } else {
            AddOrder {
                header,
                order_reference_number: reference,
                side,
                shares,
                stock,
                price,
            }
            .into()
        }
    }

    fn drift(&mut self, locate: u16) {
        let step = self.rng.below(3);
        let inst = self.instrument(locate);
        inst.mid = match step {
            0 if inst.mid > 20 * TICK => inst.mid - TICK,
            2 if inst.mid < 100_000 * 10_000 => inst.mid + TICK,
            _ => inst.mid,
        };
    }

    /// The next body message of type `kind`, or an add when `kind` needs a live order and
    /// there is none suitable.
    fn body_message(&mut self, kind: u8, at: u64) -> ItchMessage {
        if self.orders.len() >= LIVE_ORDERS_MAX && matches!(kind, b'A' | b'F') {
            return self.body_message(b'D', at);
        }
        match kind {
            b'D' => match self.pick_order() {
                Some(i) => {
                    let o = self.orders.swap_remove(i);
                    self.quotes(o.locate).remove(o.side, o.price);
                    let header = self.header(o.locate, at);
                    OrderDelete {
                        header,
                        order_reference_number: o.reference,
                    }
                    .into()
                }
                None => self.add_order(false, at),
            },
            b'X' => match self.pick_order().filter(|&i| self.orders[i].shares >= 2) {
                Some(i) => {
                    let o = self.orders[i];
                    let cancelled = if o.shares > 100 && o.shares.is_multiple_of(100) {
                        100 * (1 + self.rng.below(u64::from(o.shares / 100 - 1)) as u32)
                    } else {
                        1 + self.rng.below(u64::from(o.shares - 1)) as u32
                    };
                    self.orders[i].shares -= cancelled;
                    let header = self.header(o.locate, at);
                    OrderCancel {
                        header,
                        order_reference_number: o.reference,
                        cancelled_shares: Qty(cancelled),
                    }
                    .into()
                }
                None => self.add_order(false, at),
            },
            b'U' => match self.pick_order() {
                Some(i) => {
                    let old = self.orders[i];
                    self.quotes(old.locate).remove(old.side, old.price);
                    let price = self.order_price(old.locate, old.side);
                    self.quotes(old.locate).add(old.side, price);
                    let shares = self.lot();
                    let reference = self.next_reference;
                    self.next_reference += 1;
                    self.orders.swap_remove(i);
                    self.orders.push(LiveOrder {
                        reference,
                        shares,
                        price,
                        ..old
                    });
                    let header = self.header(old.locate, at);
                    OrderReplace {
                        header,
                        original_order_reference_number: old.reference,
                        new_order_reference_number: reference,
                        shares: Qty(shares),
                        price: Price::from_itch(price),
                    }
                    .into()
                }
                None => self.add_order(false, at),
            },
            b'E' | b'C' => match self.pick_near_touch() {
                Some(i) => self.execute(i, kind == b'C', at),
                None => self.add_order(false, at),
            },
            b'F' => self.add_order(true, at),
            b'A' => self.add_order(false, at),
            other => self.non_order_message(other, at),
        }
    }

    fn execute(&mut self, i: usize, with_price: bool, at: u64) -> ItchMessage {
        let o = self.orders[i];
        let lot = self.lot();
        let executed = lot.min(o.shares);
        if executed == o.shares {
            self.orders.swap_remove(i);
            self.quotes(o.locate).remove(o.side, o.price);
        } else {
            self.orders[i].shares -= executed;
        }
        self.drift(o.locate);
        let match_number = self.next_match;
        self.next_match += 1;
        let header = self.header(o.locate, at);
        let (order_reference_number, executed_shares) = (o.reference, Qty(executed));
        if with_price {
            let improvement = if o.side == Side::Buy {
                o.price.saturating_sub(TICK)
            } else {
                o.price + TICK
            };
            let printable = if self.rng.below(8) == 0 { b'N' } else { b'Y' };
            let execution_price = Price::from_itch(improvement.max(TICK));
            OrderExecutedWithPrice {
                header,
                order_reference_number,
                executed_shares,
                match_number,
                printable,
                execution_price,
            }
            .into()
        } else {
            OrderExecuted {
                header,
                order_reference_number,
                executed_shares,
                match_number,
            }
            .into()
        }
    }

    fn non_order_message(&mut self, kind: u8, at: u64) -> ItchMessage {
        let locate = self.pick_stock();
        let Instrument { stock, mid } = *self.instrument(locate);
        let price = Price::from_itch(mid);
        let header = self.header(locate, at);
        match kind {
            b'P' => {
                let match_number = self.next_match;
                self.next_match += 1;
                let shares = Qty(self.lot());
                Trade {
                    header,
                    order_reference_number: 0,
                    side: Side::Buy,
                    shares,
                    stock,
                    price,
                    match_number,
                }
                .into()
            }
            b'Q' => {
                let match_number = self.next_match;
                self.next_match += 1;
                let shares = self.rng.below(1_000_000);
                let cross_type = [b'O', b'C', b'H'][self.rng.below(3) as usize];
                CrossTrade {
                    header,
                    shares,
                    stock,
                    cross_price: price,
                    match_number,
                    cross_type,
                }
                .into()
            }
            b'B' if self.next_match > 1 => {
                let match_number = 1 + self.rng.below(self.next_match - 1);
                BrokenTrade {
                    header,
                    match_number,
                }
                .into()
            }
            b'I' => {
                let paired_shares = self.rng.below(500_000);
                let imbalance_shares = self.rng.below(100_000);
                let imbalance_direction = [b'B', b'S', b'N', b'O'][self.rng.below(4) as usize];
                let near = Price::from_itch(mid + TICK * self.rng.below(3) as u32);
                Noii {
                    header,
                    paired_shares,
                    imbalance_shares,
                    imbalance_direction,
                    stock,
                    far_price: near,
                    near_price: near,
                    current_reference_price: price,
                    cross_type: if self.body_done < self.body_total / 2 {
                        b'O'
                    } else {
                        b'C'
                    },
                    price_variation_indicator: b'L',
                }
                .into()
            }
            b'L' => {
                let mpid = Mpid(MPIDS[self.rng.below(MPIDS.len() as u64) as usize]);
                MarketParticipantPosition {
                    header,
                    mpid,
                    stock,
                    primary_market_maker: b'N',
                    market_maker_mode: b'N',
                    market_participant_state: b'A',
                }
                .into()
            }
            b'Y' => RegShoRestriction {
                header,
                stock,
                reg_sho_action: b'0',
            }
            .into(),
            b'J' => LuldAuctionCollar {
                header,
                stock,
                auction_collar_reference_price: price,
                upper_auction_collar_price: Price::from_itch(mid + mid / 10),
                lower_auction_collar_price: Price::from_itch(mid - mid / 10),
                auction_collar_extension: 0,
            }
            .into(),
            b'V' => MwcbDeclineLevel {
                header: Header {
                    stock_locate: 0,
                    ..header
                },
                level_1_e8: 350_000_000_000,
                level_2_e8: 325_000_000_000,
                level_3_e8: 290_000_000_000,
            }
            .into(),
            _ => StockTradingAction {
                header,
                stock,
                trading_state: b'T',
                reserved: b' ',
                reason: *b"    ",
            }
            .into(),
        }
    }

    fn next_body(&mut self) -> ItchMessage {
        let at = self.body_time();
        self.body_done += 1;
        let draw = self.rng.next_u64() >> 32;
        let kind = self
            .mix
            .iter()
            .find(|(cum, _)| draw < *cum)
            .map_or(b'A', |&(_, t)| t);
        self.body_message(kind, at)
    }
}

fn make_instrument(rng: &mut Rng, index: u16) -> Instrument {
    Instrument {
        stock: default_symbol(index),
        mid: draw_mid(rng),
    }
}

/// Roughly log-uniform reference price from $2 to $512 on the cent grid, integers only (so
/// streams are identical on every platform): a random octave, then uniform within it.
/// Price(4) units.
fn draw_mid(rng: &mut Rng) -> u32 {
    let octave_low_cents = 200u64 << rng.below(8);
    let cents = octave_low_cents + rng.below(octave_low_cents);
    u32::try_from(cents).unwrap_or(51_200) * TICK
}

/// The generator's name for instrument `index` (0-based; stock locate `index + 1`): four
/// letters counting in base 26 from `AAAA` (`AAAA`, `AAAB`, ... `AAAZ`, `AABA`, ...),
/// space-padded to ITCH's 8-byte Stock field (ITCH 5.0 §1.1 "Alpha").
pub fn default_symbol(index: u16) -> Stock {
    let mut symbol = [b' '; 8];
    let mut n = u32::from(index);
    for slot in symbol.iter_mut().take(4) {
        *slot = b'A' + (n % 26) as u8;
        n /= 26;
    }
    symbol[..4].reverse();
    Stock(symbol)
}

/// The reference (starting mid) price [`DayGenerator::with_symbols`] gives `stock`: a
/// function of the symbol's 8 bytes alone, never of the seed, so every venue generated over
/// the same symbol universe quotes each stock around the same price. Log-uniform between $2
/// and $512 on the one-cent grid; [`Price`] units (1/10,000 dollars).
pub fn reference_price(stock: Stock) -> Price {
    let mut rng = Rng(u64::from_be_bytes(stock.0) ^ 0x5eed_5eed_0000_0001);
    Price::from_itch(draw_mid(&mut rng))
}

fn body_mix() -> Vec<(u64, u8)> {
    let body: Vec<(u8, u64)> = REAL_DAY_COUNTS
        .iter()
        .copied()
        .filter(|(t, _)| !matches!(t, b'R' | b'S'))
        .collect();
    let total: u64 = body.iter().map(|(_, c)| c).sum();
    let mut cumulative = 0u64;
    body.iter()
        .map(|&(t, c)| {
            cumulative += c;
            // Scale to 2^32 rounding up so rare types keep a non-zero slice.
            (
                ((u128::from(cumulative) << 32).div_ceil(u128::from(total))) as u64,
                t,
            )
        })
        .collect()
}

impl Iterator for DayGenerator {
    type Item = ItchMessage;

    fn next(&mut self) -> Option<ItchMessage> {
        let n = self.config.instruments;
        let message = match self.phase {
            Phase::StartOfMessages => {
                self.phase = Phase::Directory;
                self.system_event(b'O', T_START_OF_MESSAGES)
            }
            Phase::Directory => {
                let inst = self.instruments[usize::from(self.spin_index)];
                let header = self.header(self.spin_index + 1, T_START_OF_MESSAGES);
                self.spin_index += 1;
                if self.spin_index == n {
                    (self.phase, self.spin_index) = (Phase::TradingActionSpin, 0);
                }
                directory(header, inst)
            }
            Phase::TradingActionSpin | Phase::RegShoSpin => {
                let inst = self.instruments[usize::from(self.spin_index)];
                let locate = self.spin_index + 1;
                let header = self.header(locate, T_START_OF_MESSAGES);
                let message: ItchMessage = if self.phase == Phase::TradingActionSpin {
                    StockTradingAction {
                        header,
                        stock: inst.stock,
                        trading_state: b'T',
                        reserved: b' ',
                        reason: *b"    ",
                    }
                    .into()
                } else {
                    RegShoRestriction {
                        header,
                        stock: inst.stock,
                        reg_sho_action: b'0',
                    }
                    .into()
                };
                self.spin_index += 1;
                if self.spin_index == n {
                    self.spin_index = 0;
                    self.phase = if self.phase == Phase::TradingActionSpin {
                        Phase::RegShoSpin
                    } else {
                        Phase::SystemOpen
                    };
                }
                message
            }
            Phase::SystemOpen => {
                self.phase = Phase::PreMarket;
                self.system_event(b'S', T_SYSTEM_OPEN)
            }
            Phase::PreMarket if self.body_done >= self.body_total / 10 => {
                self.phase = Phase::MarketOpen;
                return self.next();
            }
            Phase::MarketOpen => {
                self.phase = Phase::Market;
                self.system_event(b'Q', T_MARKET_OPEN)
            }
            Phase::PreMarket | Phase::Market if self.body_done < self.body_total => {
                self.next_body()
            }
            Phase::PreMarket | Phase::Market => {
                self.phase = Phase::Close(0);
                return self.next();
            }
            Phase::Close(step) => {
                let (code, at) = [
                    (b'M', T_MARKET_CLOSE),
                    (b'E', T_SYSTEM_CLOSE),
                    (b'C', T_END_OF_MESSAGES),
                ][usize::from(step.min(2))];
                self.phase = if step >= 2 {
                    Phase::Done
                } else {
                    Phase::Close(step + 1)
                };
                self.system_event(code, at)
            }
            Phase::Done => return None,
        };
        Some(message)
    }
}

fn directory(header: Header, inst: Instrument) -> ItchMessage {
    StockDirectory {
        header,
        stock: inst.stock,
        market_category: b'Q',
        financial_status_indicator: b'N',
        round_lot_size: 100,
        round_lots_only: b'N',
        issue_classification: b'C',
        issue_sub_type: *b"Z ",
        authenticity: b'P',
        short_sale_threshold_indicator: b'N',
        ipo_flag: b'N',
        luld_reference_price_tier: b'1',
        etp_flag: b'N',
        etp_leverage_factor: 0,
        inverse_indicator: b'N',
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols() -> Vec<Stock> {
        ["AAPL", "MSFT", "NVDA"]
            .iter()
            .map(|s| Stock::from_symbol(s).unwrap())
            .collect()
    }

    type Directory = Vec<(u16, Stock)>;
    type Adds = Vec<(u16, Stock, Price)>;

    fn directory_and_adds(generator: DayGenerator) -> (Directory, Adds) {
        let mut directory = Vec::new();
        let mut adds = Vec::new();
        for message in generator {
            match message {
                ItchMessage::StockDirectory(m) => directory.push((m.header.stock_locate, m.stock)),
                ItchMessage::AddOrder(m) => adds.push((m.header.stock_locate, m.stock, m.price)),
                _ => {}
            }
        }
        (directory, adds)
    }

    #[test]
    fn default_symbols_count_in_base_26() {
        assert_eq!(&default_symbol(0).0, b"AAAA    ");
        assert_eq!(&default_symbol(1).0, b"AAAB    ");
        assert_eq!(&default_symbol(26).0, b"AABA    ");
    }

    #[test]
    fn same_universe_different_seeds_share_symbols_locates_and_prices_not_books() {
        let universe = symbols();
        let config = |seed| DayConfig {
            seed,
            instruments: 99,
            messages: 3_000,
        };
        let (dir_a, adds_a) = directory_and_adds(DayGenerator::with_symbols(config(1), &universe));
        let (dir_b, adds_b) = directory_and_adds(DayGenerator::with_symbols(config(2), &universe));
        let expected: Vec<(u16, Stock)> = (1..).zip(universe.iter().copied()).collect();
        assert_eq!(dir_a, expected, "instruments replaced by the symbol list");
        assert_eq!(dir_b, expected);
        assert_ne!(adds_a, adds_b, "different seeds give different order flow");
        for (locate, stock, price) in adds_a.iter().chain(&adds_b) {
            assert_eq!(
                universe[usize::from(*locate) - 1],
                *stock,
                "locate names its stock"
            );
            let mid = reference_price(*stock).0;
            assert!(
                (price.0 - mid).abs() <= mid / 2,
                "{stock:?} at {price:?} strays far from the shared reference {mid}"
            );
        }
        let mid = reference_price(universe[0]).0;
        assert!(
            (20_000..=5_120_000).contains(&mid) && mid % 100 == 0,
            "{mid}"
        );
        assert_eq!(reference_price(universe[0]), reference_price(universe[0]));
    }

    #[test]
    fn empty_symbol_list_falls_back_to_one_default_instrument() {
        let config = DayConfig {
            seed: 3,
            instruments: 5,
            messages: 100,
        };
        let (directory, _) = directory_and_adds(DayGenerator::with_symbols(config, &[]));
        assert_eq!(directory, vec![(1, default_symbol(0))]);
    }
}
