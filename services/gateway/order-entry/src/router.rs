//! [`OrderRouter`]: SBE order requests → risk → OUCH 5.0; OUCH responses → SBE reports.

use crate::config::OrderEntryConfig;
use crate::dedup::ExecutionWindow;
use crate::error::OrderEntryError;
use crate::state::{transition, OrderEvent, OrderState};
use crate::table::{OrderSlot, OrderTable};
use crate::text::{cl_ord_id, format_into};
use crate::venue_time::venue_time_to_utc_ns;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_ouch as ouch;
use crossbar_risk::{MarketView, OrderRequest, RiskEngine, RiskReject};
use crossbar_sbe::generated as g;
use crossbar_sbe::{decode_view, ExecType, MessageView, RejectReason};
use crossbar_soupbintcp::{encode_data_header, packet_type, SoupError, HEADER_LEN};

mod recovery;
pub use recovery::{venue_origin, VenueOrigin};

/// Where the router hands OUCH messages: each call carries one whole SoupBinTCP 3.0
/// Unsequenced Data packet (§2.3.2: 2-byte big-endian length, `U`, the OUCH message).
pub trait OuchSink {
    /// Called with the SBE request (NewChildOrder, CancelOrder, ReplaceOrder, exactly as
    /// received, or as built for a gateway-initiated cancel) right before its OUCH message is
    /// encoded and handed to [`Self::send_packet`]: the audit journal's hook. Returning
    /// `false` (the record could not be kept) stops the send: a new or replacement order is
    /// undone and rejected `RISK_FAIL_CLOSED cause=JOURNAL_FAILED`, a cancel is rejected the
    /// same way. The default keeps nothing and returns `true`.
    fn record_request(&mut self, request: &[u8]) -> bool {
        let _ = request;
        true
    }

    /// Queues or writes `packet`.
    ///
    /// # Errors
    /// Any [`SoupError`] (e.g. `SOUP_BACK_PRESSURE`, or `SOUP_INVALID_TRANSITION` when the
    /// session is not logged in): the router then undoes the order and rejects it with
    /// SBE reason NotConnected (14).
    fn send_packet(&mut self, packet: &[u8]) -> Result<(), SoupError>;
}

/// What one input produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An OUCH message went to the sink; nothing was written to the SBE buffer.
    Sent {
        /// OUCH UserRefNum of the (new) order; for a cancel, of the order canceled.
        user_ref_num: u32,
    },
    /// An SBE OrderReject of `sbe_len` bytes is at the start of the SBE buffer.
    Rejected {
        /// Bytes of the OrderReject.
        sbe_len: usize,
        /// Its reject reason.
        reason: RejectReason,
    },
    /// An SBE ExecutionReport of `sbe_len` bytes is at the start of the SBE buffer.
    Report {
        /// Bytes of the ExecutionReport.
        sbe_len: usize,
    },
    /// A venue message already applied (same sequence number, or an execution whose match
    /// number was seen): ignored, nothing written.
    Duplicate,
    /// A venue message with nothing to report (System Event, Cancel Pending, ...).
    Ignored,
}

/// Counters an operator would ask about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterCounters {
    /// OUCH Enter Orders sent.
    pub orders_sent: u64,
    /// OUCH Cancel Orders sent.
    pub cancels_sent: u64,
    /// OUCH Replace Orders sent.
    pub replaces_sent: u64,
    /// Order requests rejected before the venue (risk, state, not connected).
    pub local_rejects: u64,
    /// Orders rejected by the venue.
    pub venue_rejects: u64,
    /// Executions applied.
    pub executions: u64,
    /// Venue messages dropped as duplicates.
    pub duplicates: u64,
    /// Venue messages with nothing to report.
    pub ignored: u64,
}

/// Largest OUCH packet the router builds: Enter Order (47 bytes) + the 3-byte header; the
/// router sends no appendage.
const PACKET_LEN: usize = 64;

/// The order-entry core of one venue session: no sockets, no threads, the clock passed in.
/// Sized once from [`OrderEntryConfig`]; nothing allocates per order.
#[derive(Debug)]
pub struct OrderRouter {
    venue_id: VenueId,
    symbols: Vec<ouch::Symbol>,
    capacity: ouch::Capacity,
    /// The venue's midnight, seconds east of UTC (OUCH Timestamps count from it).
    venue_midnight_utc_offset_s: i32,
    risk: RiskEngine,
    markets: Vec<MarketView>,
    orders: OrderTable,
    executions: ExecutionWindow,
    next_user_ref_num: u32,
    last_venue_sequence: u64,
    /// SoupBinTCP session of the venue messages (trimmed, space padded), for report texts.
    venue_session: [u8; 10],
    packet: [u8; PACKET_LEN],
    /// Scratch for an SBE request the router builds itself (gateway-initiated cancels).
    request: [u8; REQUEST_LEN],
    counters: RouterCounters,
}

/// Encoded SBE CancelOrder length (the largest request the router builds itself).
const REQUEST_LEN: usize = g::CancelOrderEncoder::ENCODED_LENGTH;

/// An SBE side as the model's.
fn model_side(side: g::Side) -> Side {
    match side {
        g::Side::Sell => Side::Sell,
        g::Side::SellShort => Side::SellShort,
        // decode_view never returns NullVal.
        _ => Side::Buy,
    }
}

fn sbe_side(side: Side) -> g::Side {
    match side {
        Side::Buy => g::Side::Buy,
        Side::Sell => g::Side::Sell,
        Side::SellShort => g::Side::SellShort,
    }
}

/// The SBE RejectReason for a risk code ([`RiskReject::code`]); the codes are the schema's
/// (`schemas/crossbar.xml` enum RejectReason).
pub(crate) const fn reject_reason(code: u16) -> RejectReason {
    match code {
        1 => RejectReason::MaxOrderQty,
        2 => RejectReason::MaxNotional,
        3 => RejectReason::PriceCollar,
        4 => RejectReason::PositionLimit,
        5 => RejectReason::CreditExhausted,
        6 => RejectReason::Throttle,
        7 => RejectReason::DuplicateOrderId,
        8 => RejectReason::InstrumentHalted,
        9 => RejectReason::KillSwitch,
        10 => RejectReason::FailClosed,
        11 => RejectReason::StaleBook,
        12 => RejectReason::VenueReject,
        13 => RejectReason::UnknownInstrument,
        14 => RejectReason::NotConnected,
        15 => RejectReason::UnknownOrder,
        17 => RejectReason::OpenOrdersFull,
        _ => RejectReason::InvalidOrder,
    }
}

/// Identity of a rejected request, for the SBE OrderReject.
#[derive(Clone, Copy)]
struct RejectTarget {
    order_id: OrderId,
    instrument: InstrumentId,
}

impl OrderRouter {
    /// A router for `config`'s venue using `risk` (credit granted, limits set).
    ///
    /// # Errors
    /// [`OrderEntryError::Config`] when the config is invalid or its symbol table does not
    /// cover the risk engine's instruments.
    pub fn new(config: OrderEntryConfig, risk: RiskEngine) -> Result<Self, OrderEntryError> {
        let instruments = config.symbols.len();
        let risk_instruments = (0..=instruments)
            .take_while(|i| risk.position(InstrumentId(*i as u32)).is_some())
            .count();
        config.validate(risk_instruments)?;
        Ok(Self {
            venue_id: config.venue_id,
            capacity: config.capacity,
            venue_midnight_utc_offset_s: config.venue_midnight_utc_offset_s,
            risk,
            markets: vec![
                MarketView {
                    best_bid: None,
                    best_ask: None,
                    last_trade_price: None,
                    stale: true,
                };
                instruments
            ],
            symbols: config.symbols,
            orders: OrderTable::new(config.max_live_orders),
            executions: ExecutionWindow::new(config.duplicate_execution_window),
            next_user_ref_num: config.first_user_ref_num,
            last_venue_sequence: 0,
            venue_session: [b' '; 10],
            packet: [0; PACKET_LEN],
            request: [0; REQUEST_LEN],
            counters: RouterCounters::default(),
        })
    }

    /// Sets the market the price collar and stale-book checks use for `instrument` (from the
    /// gateway's feed). Unknown instruments are ignored. Every instrument starts stale, so
    /// nothing is sent before the feed reports.
    pub fn update_market(&mut self, instrument: InstrumentId, market: MarketView) {
        if let Some(m) = self.markets.get_mut(instrument.index()) {
            *m = market;
        }
    }

    /// The risk engine (positions, credit, counters).
    pub fn risk(&self) -> &RiskEngine {
        &self.risk
    }

    /// The risk engine, for control-plane updates (credit grants, kill switch, halts).
    pub fn risk_mut(&mut self) -> &mut RiskEngine {
        &mut self.risk
    }

    /// Counters since creation.
    pub fn counters(&self) -> RouterCounters {
        self.counters
    }

    /// Child orders tracked (sent and not yet terminal).
    pub fn live_orders(&self) -> usize {
        self.orders.len()
    }

    /// State, leaves and cum qty (shares) of a tracked child order.
    pub fn order_state(&self, order_id: OrderId) -> Option<(OrderState, Qty, Qty)> {
        let o = self.orders.get(self.orders.slot_of_order(order_id)?)?;
        Some((o.state, Qty(o.leaves), Qty(o.cum)))
    }

    /// The next OUCH UserRefNum this session will use.
    pub fn next_user_ref_num(&self) -> u32 {
        self.next_user_ref_num
    }

    /// A new SoupBinTCP session (not a reconnect to the same one) restarts sequence numbers:
    /// forget the last applied venue sequence number.
    pub fn on_new_venue_session(&mut self) {
        self.last_venue_sequence = 0;
    }

    /// The SoupBinTCP session logged into (§2.2.1 Login Accepted), written into every report
    /// text as `OUCH session=<id> seq=<n>` so the audit journal knows which venue message each
    /// report came from.
    pub fn set_venue_session(&mut self, session: &[u8]) {
        let trimmed = session.trim_ascii();
        let n = trimmed.len().min(10);
        self.venue_session = [b' '; 10];
        self.venue_session[..n].copy_from_slice(&trimmed[..n]);
    }

    /// The last venue sequence number applied (0: none in this session).
    pub fn last_venue_sequence(&self) -> u64 {
        self.last_venue_sequence
    }

    /// Handles one SBE order request (`schemas/crossbar.xml` NewChildOrder 20, CancelOrder 21,
    /// ReplaceOrder 22) read off the transport at `now_ns` (UTC ns).
    ///
    /// * NewChildOrder: risk check; on accept an OUCH 5.0 §2.1 Enter Order (new UserRefNum,
    ///   venue symbol, price, qty, side, TIF) goes to `ouch_out` → [`Outcome::Sent`].
    /// * CancelOrder: an OUCH §2.3 Cancel Order for the live order (qty = leave qty).
    /// * ReplaceOrder: risk check of the replacement (new id, shares = new total − filled);
    ///   OUCH §2.2 Replace Order. The original keeps its reservation until the venue answers.
    ///
    /// Refusals write an SBE OrderReject into `sbe_out` → [`Outcome::Rejected`] (risk reason
    /// = [`RiskReject::code`]; text `RISK_... key=value`).
    ///
    /// # Errors
    /// [`OrderEntryError::SbeDecode`] for a malformed frame, [`OrderEntryError::UnexpectedSbe`]
    /// for other messages, [`OrderEntryError::SbeEncode`] when `sbe_out` is too small for a
    /// reject, [`OrderEntryError::UserRefNumExhausted`].
    pub fn on_child_order(
        &mut self,
        sbe: &[u8],
        now_ns: u64,
        ouch_out: &mut impl OuchSink,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        match decode_view(sbe)? {
            MessageView::NewChildOrder(m) => {
                let request = OrderRequest {
                    order_id: OrderId(m.order_id()),
                    instrument: InstrumentId(m.instrument_id()),
                    side: model_side(m.side()),
                    price: Price(m.price()),
                    qty: Qty(m.qty()),
                    time_in_force: match m.time_in_force() {
                        g::TimeInForce::Ioc => TimeInForce::Ioc,
                        _ => TimeInForce::Day,
                    },
                };
                let target = RejectTarget {
                    order_id: request.order_id,
                    instrument: request.instrument,
                };
                if VenueId(m.venue_id()) != self.venue_id {
                    return self.reject_wrong_venue(target, m.venue_id(), now_ns, sbe_out);
                }
                self.new_order(
                    request,
                    OrderId(m.parent_order_id()),
                    sbe,
                    now_ns,
                    ouch_out,
                    sbe_out,
                )
            }
            MessageView::CancelOrder(m) => {
                let target = RejectTarget {
                    order_id: OrderId(m.order_id()),
                    instrument: InstrumentId(m.instrument_id()),
                };
                let leave = Qty(m.leave_qty());
                self.cancel_order(target, leave, sbe, now_ns, ouch_out, sbe_out)
            }
            MessageView::ReplaceOrder(m) => {
                let target = RejectTarget {
                    order_id: OrderId(m.order_id()),
                    instrument: InstrumentId(m.instrument_id()),
                };
                let orig = OrderId(m.orig_order_id());
                let (price, qty) = (Price(m.price()), Qty(m.qty()));
                let replace = ReplaceRequest {
                    target,
                    orig,
                    price,
                    total_qty: qty,
                };
                self.replace_order(replace, sbe, now_ns, ouch_out, sbe_out)
            }
            other => Err(OrderEntryError::UnexpectedSbe {
                template_id: other.kind().template_id(),
            }),
        }
    }

    fn take_user_ref_num(&mut self) -> Result<u32, OrderEntryError> {
        let token = self.next_user_ref_num;
        self.next_user_ref_num = token
            .checked_add(1)
            .ok_or(OrderEntryError::UserRefNumExhausted { last: token })?;
        Ok(token)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_order(
        &mut self,
        request: OrderRequest,
        parent_order_id: OrderId,
        sbe: &[u8],
        now_ns: u64,
        ouch_out: &mut impl OuchSink,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let target = RejectTarget {
            order_id: request.order_id,
            instrument: request.instrument,
        };
        let market = self
            .markets
            .get(request.instrument.index())
            .copied()
            .unwrap_or(MarketView {
                best_bid: None,
                best_ask: None,
                last_trade_price: None,
                stale: true,
            });
        if let Err(reject) = self.risk.check_new_order(&request, &market, now_ns) {
            return self.reject_risk(target, &reject, now_ns, sbe_out);
        }
        if !ouch_out.record_request(sbe) {
            self.risk.on_order_done(request.order_id)?;
            return self.reject_not_recorded(target, now_ns, sbe_out);
        }
        let slot = match self.admit_new(&request, parent_order_id)? {
            Ok(slot) => slot,
            Err(full) => return self.reject_risk(target, &full, now_ns, sbe_out),
        };
        let Some(order) = self.orders.get(slot).copied() else {
            return Err(OrderEntryError::Config {
                reason: "slot_vanished",
            });
        };
        let user_ref_num = order.user_ref_num;
        let enter = ouch::EnterOrder {
            user_ref_num: ouch::UserRefNum(user_ref_num),
            side: request.side.into(),
            quantity: request.qty,
            symbol: self.symbols[request.instrument.index()],
            price: request.price,
            time_in_force: request.time_in_force.into(),
            display: ouch::Display::Visible,
            capacity: self.capacity,
            intermarket_sweep: ouch::IntermarketSweep::NotEligible,
            cross_type: ouch::CrossType::Continuous,
            cl_ord_id: cl_ord_id(request.order_id.0),
            options: ouch::OptionsView::EMPTY,
        };
        let sent = match enter.encode(&mut self.packet[HEADER_LEN..]) {
            Ok(len) => self.send(len, ouch_out),
            Err(e) => Err(OrderEntryError::OuchEncode(e)),
        };
        match sent {
            Ok(()) => {
                self.counters.orders_sent += 1;
                Ok(Outcome::Sent { user_ref_num })
            }
            Err(e) => self.undo_unsent(slot, target, e, now_ns, sbe_out),
        }
    }

    /// After risk accepted `request` (and its request was recorded): takes the next
    /// UserRefNum and tracks the order as PendingNew. Live and journal replay share this, so
    /// a replayed journal gives every order the UserRefNum it had. `Ok(Err(reject))` when the
    /// order table is full (the risk reservation is released, the UserRefNum stays used).
    pub(crate) fn admit_new(
        &mut self,
        request: &OrderRequest,
        parent_order_id: OrderId,
    ) -> Result<Result<u32, RiskReject>, OrderEntryError> {
        let user_ref_num = self.take_user_ref_num()?;
        let order = OrderSlot {
            order_id: request.order_id,
            parent_order_id,
            orig_order_id: OrderId(0),
            instrument: request.instrument,
            side: request.side,
            time_in_force: request.time_in_force,
            price: request.price,
            leaves: request.qty.0,
            cum: 0,
            reserved: request.qty.0,
            state: OrderState::PendingNew,
            user_ref_num,
            venue_order_ref: 0,
        };
        match self.orders.insert(order) {
            Some(slot) => Ok(Ok(slot)),
            None => {
                self.risk.on_order_done(request.order_id)?;
                Ok(Err(RiskReject::OpenOrdersFull {
                    max: self.orders.len() as u32,
                }))
            }
        }
    }

    /// The replacement of `orig` (risk accepted, request recorded): next UserRefNum, tracked
    /// PendingNew with the original's side, instrument and chain fill. Shared with replay.
    pub(crate) fn admit_replacement(
        &mut self,
        orig: &OrderSlot,
        order_id: OrderId,
        price: Price,
        open: u32,
    ) -> Result<Result<u32, RiskReject>, OrderEntryError> {
        let user_ref_num = self.take_user_ref_num()?;
        let order = OrderSlot {
            order_id,
            orig_order_id: orig.order_id,
            price,
            leaves: open,
            reserved: open,
            state: OrderState::PendingNew,
            user_ref_num,
            ..*orig
        };
        match self.orders.insert(order) {
            Some(slot) => Ok(Ok(slot)),
            None => {
                self.risk.on_order_done(order_id)?;
                Ok(Err(RiskReject::OpenOrdersFull {
                    max: self.orders.len() as u32,
                }))
            }
        }
    }

    /// Undoes a new or replacement order whose bytes never reached the session: frees its
    /// slot, releases its risk reservation, and answers an SBE NotConnected reject (an OUCH
    /// encode error is returned as is: it is a bug, not a venue condition).
    fn undo_unsent(
        &mut self,
        slot: u32,
        target: RejectTarget,
        error: OrderEntryError,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        self.orders.remove(slot);
        self.risk.on_order_done(target.order_id)?;
        match error {
            OrderEntryError::OuchEncode(_) => Err(error),
            _ => self.reject_not_connected(target, &error, now_ns, sbe_out),
        }
    }

    /// Frames `self.packet[3..3 + len]` as Unsequenced Data and hands it to the sink.
    fn send(&mut self, len: usize, ouch_out: &mut impl OuchSink) -> Result<(), OrderEntryError> {
        let total = encode_data_header(&mut self.packet, packet_type::UNSEQUENCED_DATA, len)
            .map_err(OrderEntryError::Sink)?;
        ouch_out
            .send_packet(&self.packet[..total])
            .map_err(OrderEntryError::Sink)
    }

    #[allow(clippy::too_many_arguments)]
    fn cancel_order(
        &mut self,
        target: RejectTarget,
        leave_qty: Qty,
        sbe: &[u8],
        now_ns: u64,
        ouch_out: &mut impl OuchSink,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let live = self
            .orders
            .slot_of_order(target.order_id)
            .and_then(|s| self.orders.get(s))
            .filter(|o| !o.state.is_terminal())
            .copied();
        let Some(order) = live else {
            return self.reject_unknown_order(target, now_ns, sbe_out);
        };
        if !ouch_out.record_request(sbe) {
            return self.reject_not_recorded(target, now_ns, sbe_out);
        }
        let cancel = ouch::CancelOrder {
            user_ref_num: ouch::UserRefNum(order.user_ref_num),
            quantity: leave_qty,
        };
        let len = cancel
            .encode(&mut self.packet[HEADER_LEN..])
            .map_err(OrderEntryError::OuchEncode)?;
        match self.send(len, ouch_out) {
            Ok(()) => {
                self.counters.cancels_sent += 1;
                Ok(Outcome::Sent {
                    user_ref_num: order.user_ref_num,
                })
            }
            Err(e) => self.reject_not_connected(target, &e, now_ns, sbe_out),
        }
    }

    fn replace_order(
        &mut self,
        replace: ReplaceRequest,
        sbe: &[u8],
        now_ns: u64,
        ouch_out: &mut impl OuchSink,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let ReplaceRequest {
            target,
            orig: orig_order_id,
            price,
            total_qty,
        } = replace;
        let live = self
            .orders
            .slot_of_order(orig_order_id)
            .and_then(|s| self.orders.get(s))
            .filter(|o| matches!(o.state, OrderState::New | OrderState::PartiallyFilled))
            .copied();
        let Some(orig) = live else {
            return self.reject_unknown_order(target, now_ns, sbe_out);
        };
        // The replacement's open shares: the new total less what the chain has filled.
        let open = total_qty.0.saturating_sub(orig.cum);
        let request = OrderRequest {
            order_id: target.order_id,
            instrument: orig.instrument,
            side: orig.side,
            price,
            qty: Qty(open),
            time_in_force: orig.time_in_force,
        };
        let target = RejectTarget {
            order_id: target.order_id,
            instrument: orig.instrument,
        };
        let market = self.markets[orig.instrument.index()];
        if let Err(reject) = self.risk.check_new_order(&request, &market, now_ns) {
            return self.reject_risk(target, &reject, now_ns, sbe_out);
        }
        if !ouch_out.record_request(sbe) {
            self.risk.on_order_done(target.order_id)?;
            return self.reject_not_recorded(target, now_ns, sbe_out);
        }
        let slot = match self.admit_replacement(&orig, target.order_id, price, open)? {
            Ok(slot) => slot,
            Err(full) => return self.reject_risk(target, &full, now_ns, sbe_out),
        };
        let user_ref_num = self.orders.get(slot).map_or(0, |o| o.user_ref_num);
        let replace = ouch::ReplaceOrder {
            orig_user_ref_num: ouch::UserRefNum(orig.user_ref_num),
            user_ref_num: ouch::UserRefNum(user_ref_num),
            quantity: total_qty,
            price,
            time_in_force: orig.time_in_force.into(),
            display: ouch::Display::Visible,
            intermarket_sweep: ouch::IntermarketSweep::NotEligible,
            cl_ord_id: cl_ord_id(target.order_id.0),
            options: ouch::OptionsView::EMPTY,
        };
        let sent = match replace.encode(&mut self.packet[HEADER_LEN..]) {
            Ok(len) => self.send(len, ouch_out),
            Err(e) => Err(OrderEntryError::OuchEncode(e)),
        };
        match sent {
            Ok(()) => {
                self.counters.replaces_sent += 1;
                Ok(Outcome::Sent { user_ref_num })
            }
            Err(e) => self.undo_unsent(slot, target, e, now_ns, sbe_out),
        }
    }

    /// Handles one OUCH 5.0 outbound message (§3) delivered by the SoupBinTCP session with
    /// sequence number `sequence` (0 = unsequenced, never treated as a duplicate), at
    /// `now_ns` (UTC ns, the gateway's clock). Accepted / Replaced / Canceled / Executed become
    /// an SBE ExecutionReport in `sbe_out` (exec type, order status, last px/qty, leaves, cum;
    /// `timestampNs` = `now_ns`, `venueTimestampNs` = the message's OUCH Timestamp as UTC ns,
    /// [`crate::venue_time_to_utc_ns`] with the configured venue midnight, the day picked by
    /// `now_ns`; null when the Timestamp is not a time of day);
    /// Rejected becomes an SBE OrderReject (reason VenueReject, 12). Fills go to
    /// [`RiskEngine::on_fill`], cancels to `on_cancel` / `on_order_done`.
    ///
    /// A sequence number at or below the last applied one, or an execution whose match number
    /// (and side) was already applied, returns [`Outcome::Duplicate`] and changes nothing.
    ///
    /// # Errors
    /// [`OrderEntryError::OuchDecode`], [`OrderEntryError::UnknownUserRefNum`],
    /// [`OrderEntryError::InvalidTransition`], [`OrderEntryError::RiskState`],
    /// [`OrderEntryError::SbeEncode`]. On error nothing changed except the sequence number.
    pub fn on_venue_message(
        &mut self,
        sequence: u64,
        message: &[u8],
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        if sequence != 0 {
            if sequence <= self.last_venue_sequence {
                self.counters.duplicates += 1;
                return Ok(Outcome::Duplicate);
            }
            self.last_venue_sequence = sequence;
        }
        let decoded = ouch::decode_outbound(message)?;
        let venue_ns = venue_timestamp(&decoded)
            .and_then(|t| venue_time_to_utc_ns(t, self.venue_midnight_utc_offset_s, now_ns));
        let event = match decoded {
            ouch::OutboundMessage::OrderAccepted(m) => VenueEvent::Accepted {
                user_ref_num: m.user_ref_num,
                order_ref: m.order_reference_number,
                dead: m.order_state == ouch::OrderState::Dead,
            },
            ouch::OutboundMessage::OrderExecuted(m) => VenueEvent::Executed {
                user_ref_num: m.user_ref_num,
                qty: m.quantity,
                price: m.price,
                match_number: m.match_number,
            },
            ouch::OutboundMessage::OrderCanceled(m) => VenueEvent::Canceled {
                user_ref_num: m.user_ref_num,
                qty: m.quantity,
            },
            ouch::OutboundMessage::OrderReplaced(m) => VenueEvent::Replaced {
                orig_user_ref_num: m.orig_user_ref_num,
                user_ref_num: m.user_ref_num,
                qty: m.quantity,
                price: m.price,
                order_ref: m.order_reference_number,
            },
            ouch::OutboundMessage::Rejected(m) => VenueEvent::Rejected {
                user_ref_num: m.user_ref_num,
                reason: m.reason,
            },
            _ => VenueEvent::Other,
        };
        let at = EventTimes { now_ns, venue_ns };
        let outcome = self.apply_venue_event(event, sequence, at, sbe_out)?;
        match outcome {
            Outcome::Duplicate => self.counters.duplicates += 1,
            Outcome::Ignored => self.counters.ignored += 1,
            _ => {}
        }
        Ok(outcome)
    }

    /// Applies one venue event (live, or replayed from the journal) and writes its SBE
    /// report; `sequence` goes into the report text, `at` gives its times.
    pub(crate) fn apply_venue_event(
        &mut self,
        event: VenueEvent,
        sequence: u64,
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let mut text = [0u8; REPORT_TEXT_MAX];
        let n = self.report_text(sequence, &mut text);
        let text = &text[..n];
        match event {
            VenueEvent::Accepted {
                user_ref_num,
                order_ref,
                dead,
            } => self.on_accepted(user_ref_num, order_ref, dead, text, at, sbe_out),
            VenueEvent::Executed {
                user_ref_num,
                qty,
                price,
                match_number,
            } => self.on_executed(user_ref_num, qty, price, match_number, text, at, sbe_out),
            VenueEvent::Canceled { user_ref_num, qty } => {
                self.on_canceled(user_ref_num, qty, text, at, sbe_out)
            }
            VenueEvent::Replaced {
                orig_user_ref_num,
                user_ref_num,
                qty,
                price,
                order_ref,
            } => self.on_replaced(
                (orig_user_ref_num, user_ref_num),
                qty,
                price,
                order_ref,
                text,
                at,
                sbe_out,
            ),
            // OrderReject has no venue time: only the gateway's.
            VenueEvent::Rejected {
                user_ref_num,
                reason,
            } => self.on_rejected(user_ref_num, reason, sequence, at.now_ns, sbe_out),
            VenueEvent::Other => Ok(Outcome::Ignored),
        }
    }

    /// `OUCH session=<id> seq=<n>` without the formatting machinery (hot path).
    fn report_text(&self, sequence: u64, out: &mut [u8; REPORT_TEXT_MAX]) -> usize {
        let session = self.venue_session.trim_ascii();
        let mut n = 0;
        for part in [&b"OUCH session="[..], session, b" seq="] {
            out[n..n + part.len()].copy_from_slice(part);
            n += part.len();
        }
        n + write_decimal(sequence, &mut out[n..])
    }

    fn slot_for(
        &self,
        user_ref_num: ouch::UserRefNum,
        message_type: u8,
    ) -> Result<u32, OrderEntryError> {
        self.orders
            .slot_of_user_ref_num(user_ref_num.0)
            .ok_or(OrderEntryError::UnknownUserRefNum {
                user_ref_num: user_ref_num.0,
                message_type: char::from(message_type),
            })
    }

    /// Applies `event` to the order in `slot` (state only).
    fn apply(&mut self, slot: u32, event: OrderEvent) -> Result<OrderSlot, OrderEntryError> {
        let Some(order) = self.orders.get_mut(slot) else {
            return Err(OrderEntryError::Config {
                reason: "slot_vanished",
            });
        };
        order.state = transition(order.state, event).map_err(|transition| {
            OrderEntryError::InvalidTransition {
                order_id: order.order_id,
                transition,
            }
        })?;
        Ok(*order)
    }

    /// Checks `event` is allowed without applying it.
    fn check(&self, slot: u32, event: OrderEvent) -> Result<OrderSlot, OrderEntryError> {
        let Some(order) = self.orders.get(slot) else {
            return Err(OrderEntryError::Config {
                reason: "slot_vanished",
            });
        };
        transition(order.state, event).map_err(|transition| {
            OrderEntryError::InvalidTransition {
                order_id: order.order_id,
                transition,
            }
        })?;
        Ok(*order)
    }

    fn on_accepted(
        &mut self,
        user_ref_num: ouch::UserRefNum,
        order_ref: u64,
        dead: bool,
        text: &[u8],
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let slot = self.slot_for(user_ref_num, ouch::OrderAccepted::TYPE)?;
        self.check(slot, OrderEvent::Accepted)?;
        // A dead order (§3.2 Order State `D`, e.g. an IOC with nothing to match) is accepted
        // and canceled at once; no further message comes for it.
        if dead {
            let order = self.apply(slot, OrderEvent::Accepted)?;
            self.risk.on_order_done(order.order_id)?;
            let order = self.apply(slot, OrderEvent::FullCancel)?;
            let report = Report::plain(ExecType::Canceled, Qty(0));
            let len = self.write_report(&order, &report, text, at, sbe_out);
            self.orders.remove(slot);
            return len.map(|sbe_len| Outcome::Report { sbe_len });
        }
        let order = self.apply(slot, OrderEvent::Accepted)?;
        if let Some(o) = self.orders.get_mut(slot) {
            o.venue_order_ref = order_ref;
        }
        let order = OrderSlot {
            venue_order_ref: order_ref,
            ..order
        };
        let sbe_len = self.write_report(
            &order,
            &Report::plain(ExecType::New, Qty(0)),
            text,
            at,
            sbe_out,
        )?;
        Ok(Outcome::Report { sbe_len })
    }

    #[allow(clippy::too_many_arguments)]
    fn on_executed(
        &mut self,
        user_ref_num: ouch::UserRefNum,
        quantity: Qty,
        price: Price,
        match_number: u64,
        text: &[u8],
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let slot = self.slot_for(user_ref_num, ouch::OrderExecuted::TYPE);
        let slot = match slot {
            Ok(slot) => slot,
            // A replayed execution of an order already finished: its key is in the window.
            Err(e) => {
                let buy = ExecutionWindow::key(match_number, false);
                let sell = ExecutionWindow::key(match_number, true);
                if self.executions.contains(buy) || self.executions.contains(sell) {
                    return Ok(Outcome::Duplicate);
                }
                return Err(e);
            }
        };
        let Some(order) = self.orders.get(slot).copied() else {
            return Err(OrderEntryError::Config {
                reason: "slot_vanished",
            });
        };
        let key = ExecutionWindow::key(match_number, order.side.is_sell());
        if self.executions.contains(key) {
            return Ok(Outcome::Duplicate);
        }
        let leaves = order.leaves.saturating_sub(quantity.0);
        let event = if leaves == 0 {
            OrderEvent::FullFill
        } else {
            OrderEvent::PartialFill
        };
        self.check(slot, event)?;
        self.risk.on_fill(order.order_id, quantity)?;
        self.apply(slot, event)?;
        let order = {
            let Some(o) = self.orders.get_mut(slot) else {
                return Err(OrderEntryError::Config {
                    reason: "slot_vanished",
                });
            };
            o.leaves = leaves;
            o.cum = o.cum.saturating_add(quantity.0);
            o.reserved = o.reserved.saturating_sub(quantity.0).max(leaves);
            *o
        };
        self.executions.insert(key);
        self.counters.executions += 1;
        let exec_type = if leaves == 0 {
            ExecType::Fill
        } else {
            ExecType::PartialFill
        };
        let report = Report {
            exec_type,
            last_px: price,
            last_qty: quantity,
            match_id: match_number,
        };
        let len = self.write_report(&order, &report, text, at, sbe_out);
        if leaves == 0 {
            self.orders.remove(slot);
        }
        len.map(|sbe_len| Outcome::Report { sbe_len })
    }

    fn on_canceled(
        &mut self,
        user_ref_num: ouch::UserRefNum,
        quantity: Qty,
        text: &[u8],
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let slot = self.slot_for(user_ref_num, ouch::OrderCanceled::TYPE)?;
        let Some(order) = self.orders.get(slot).copied() else {
            return Err(OrderEntryError::Config {
                reason: "slot_vanished",
            });
        };
        let leaves = order.leaves.saturating_sub(quantity.0);
        let event = if leaves == 0 {
            OrderEvent::FullCancel
        } else {
            OrderEvent::PartialCancel
        };
        self.check(slot, event)?;
        if leaves == 0 {
            self.risk.on_order_done(order.order_id)?;
        } else {
            self.risk.on_cancel(order.order_id, quantity)?;
        }
        self.apply(slot, event)?;
        let order = {
            let Some(o) = self.orders.get_mut(slot) else {
                return Err(OrderEntryError::Config {
                    reason: "slot_vanished",
                });
            };
            o.leaves = leaves;
            o.reserved = leaves;
            *o
        };
        let len = self.write_report(
            &order,
            &Report::plain(ExecType::Canceled, Qty(0)),
            text,
            at,
            sbe_out,
        );
        if leaves == 0 {
            self.orders.remove(slot);
        }
        len.map(|sbe_len| Outcome::Report { sbe_len })
    }

    #[allow(clippy::too_many_arguments)]
    fn on_replaced(
        &mut self,
        (orig_user_ref_num, user_ref_num): (ouch::UserRefNum, ouch::UserRefNum),
        quantity: Qty,
        price: Price,
        order_ref: u64,
        text: &[u8],
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let orig_slot = self.slot_for(orig_user_ref_num, ouch::OrderReplaced::TYPE)?;
        let new_slot = self.slot_for(user_ref_num, ouch::OrderReplaced::TYPE)?;
        let orig = self.check(orig_slot, OrderEvent::ReplacedAway)?;
        let event = OrderEvent::ReplaceAccepted {
            partially_filled: orig.cum > 0,
        };
        let new = self.check(new_slot, event)?;
        // The venue's outstanding shares are the truth; give back any reservation above them.
        let leaves = quantity.0;
        self.risk.on_order_done(orig.order_id)?;
        if new.reserved > leaves {
            self.risk
                .on_cancel(new.order_id, Qty(new.reserved - leaves))?;
        }
        self.apply(orig_slot, OrderEvent::ReplacedAway)?;
        self.orders.remove(orig_slot);
        self.apply(new_slot, event)?;
        let order = {
            let Some(o) = self.orders.get_mut(new_slot) else {
                return Err(OrderEntryError::Config {
                    reason: "slot_vanished",
                });
            };
            o.cum = orig.cum;
            o.leaves = leaves;
            o.reserved = leaves.min(o.reserved);
            o.price = price;
            o.venue_order_ref = order_ref;
            *o
        };
        let sbe_len = self.write_report(
            &order,
            &Report::plain(ExecType::Replaced, Qty(0)),
            text,
            at,
            sbe_out,
        )?;
        Ok(Outcome::Report { sbe_len })
    }

    fn on_rejected(
        &mut self,
        user_ref_num: ouch::UserRefNum,
        reason: ouch::RejectReason,
        sequence: u64,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let slot = self.slot_for(user_ref_num, ouch::Rejected::TYPE)?;
        let order = self.check(slot, OrderEvent::Rejected)?;
        self.risk.on_order_done(order.order_id)?;
        self.apply(slot, OrderEvent::Rejected)?;
        self.orders.remove(slot);
        self.counters.venue_rejects += 1;
        let mut text = [0u8; 160];
        let session = std::str::from_utf8(self.venue_session.trim_ascii()).unwrap_or("");
        let n = format_into(
            &mut text,
            format_args!(
                "VENUE_REJECT ouch_reason={:?} user_ref_num={} order_id={} OUCH session={session} seq={sequence}",
                reason, user_ref_num.0, order.order_id
            ),
        );
        let target = RejectTarget {
            order_id: order.order_id,
            instrument: order.instrument,
        };
        let sbe_len = self.write_reject(
            target,
            RejectReason::VenueReject,
            &text[..n],
            now_ns,
            sbe_out,
        )?;
        Ok(Outcome::Rejected {
            sbe_len,
            reason: RejectReason::VenueReject,
        })
    }

    fn write_report(
        &self,
        order: &OrderSlot,
        report: &Report,
        text: &[u8],
        at: EventTimes,
        sbe_out: &mut [u8],
    ) -> Result<usize, OrderEntryError> {
        let available = sbe_out.len();
        let too_small = |_| OrderEntryError::SbeEncode {
            needed: g::ExecutionReportEncoder::HEADER_LENGTH
                + g::ExecutionReportEncoder::BLOCK_LENGTH
                + crossbar_sbe::VAR_DATA_HEADER_LEN,
            available,
        };
        Ok(
            g::ExecutionReportEncoder::try_wrap_and_apply_header(sbe_out, 0)
                .map_err(too_small)?
                .fixed(&g::ExecutionReportFixedFields {
                    order_id: order.order_id.0,
                    parent_order_id: order.parent_order_id.0,
                    venue_id: self.venue_id.0,
                    instrument_id: order.instrument.0,
                    exec_type: report.exec_type,
                    order_status: order.state.to_sbe(),
                    side: sbe_side(order.side),
                    price: order.price.0,
                    last_px: report.last_px.0,
                    last_qty: report.last_qty.0,
                    leaves_qty: order.leaves,
                    cum_qty: order.cum,
                    venue_order_ref: order.venue_order_ref,
                    match_id: report.match_id,
                    timestamp_ns: at.now_ns,
                    venue_timestamp_ns: at.venue_ns,
                    // Numbered by the gateway's execution stream when it sends the report.
                    stream_sequence: None,
                })
                .text(text)
                .map_err(too_small)?
                .encoded_length_with_header(),
        )
    }

    fn write_reject(
        &self,
        target: RejectTarget,
        reason: RejectReason,
        text: &[u8],
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<usize, OrderEntryError> {
        let available = sbe_out.len();
        let too_small = |_| OrderEntryError::SbeEncode {
            needed: g::OrderRejectEncoder::HEADER_LENGTH
                + g::OrderRejectEncoder::BLOCK_LENGTH
                + crossbar_sbe::VAR_DATA_HEADER_LEN
                + text.len(),
            available,
        };
        Ok(g::OrderRejectEncoder::try_wrap_and_apply_header(sbe_out, 0)
            .map_err(too_small)?
            .fixed(&g::OrderRejectFixedFields {
                order_id: target.order_id.0,
                venue_id: self.venue_id.0,
                instrument_id: target.instrument.0,
                reject_reason: reason,
                timestamp_ns: now_ns,
                // Numbered by the gateway's execution stream when it sends the reject.
                stream_sequence: None,
            })
            .text(text)
            .map_err(too_small)?
            .encoded_length_with_header())
    }

    fn local_reject(
        &mut self,
        target: RejectTarget,
        reason: RejectReason,
        args: std::fmt::Arguments<'_>,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        self.counters.local_rejects += 1;
        let mut text = [0u8; 256];
        let n = format_into(&mut text, args);
        let sbe_len = self.write_reject(target, reason, &text[..n], now_ns, sbe_out)?;
        Ok(Outcome::Rejected { sbe_len, reason })
    }

    fn reject_risk(
        &mut self,
        target: RejectTarget,
        reject: &RiskReject,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let reason = reject_reason(reject.code());
        self.local_reject(target, reason, format_args!("{reject}"), now_ns, sbe_out)
    }

    fn reject_not_recorded(
        &mut self,
        target: RejectTarget,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let reject = RiskReject::FailClosed {
            cause: crossbar_risk::FailClosedCause::JournalFailed.code(),
            instrument: target.instrument.0,
        };
        self.reject_risk(target, &reject, now_ns, sbe_out)
    }

    fn reject_wrong_venue(
        &mut self,
        target: RejectTarget,
        venue_id: u16,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let ours = self.venue_id.0;
        let args = format_args!("OE_WRONG_VENUE venue_id={venue_id} session_venue_id={ours}");
        self.local_reject(target, RejectReason::InvalidOrder, args, now_ns, sbe_out)
    }

    fn reject_unknown_order(
        &mut self,
        target: RejectTarget,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let args = format_args!("OE_UNKNOWN_ORDER order_id={}", target.order_id);
        self.local_reject(target, RejectReason::UnknownOrder, args, now_ns, sbe_out)
    }

    fn reject_not_connected(
        &mut self,
        target: RejectTarget,
        error: &OrderEntryError,
        now_ns: u64,
        sbe_out: &mut [u8],
    ) -> Result<Outcome, OrderEntryError> {
        let args = format_args!(
            "OE_NOT_CONNECTED order_id={} cause={error}",
            target.order_id
        );
        self.local_reject(target, RejectReason::NotConnected, args, now_ns, sbe_out)
    }
}

/// Longest report text: `OUCH session=` (13) + 10 + ` seq=` (5) + 20 digits.
const REPORT_TEXT_MAX: usize = 48;

/// Writes `n` in decimal at the start of `out` (at least 20 bytes); returns the length.
pub(crate) fn write_decimal(mut n: u64, out: &mut [u8]) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = tmp.len() - i;
    out[..len].copy_from_slice(&tmp[i..]);
    len
}

/// The times of one venue event: `now_ns`, the gateway's clock when it arrived (UTC ns), and
/// `venue_ns`, the venue's own time of the event (its OUCH Timestamp as UTC ns), if usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EventTimes {
    pub(crate) now_ns: u64,
    pub(crate) venue_ns: Option<u64>,
}

/// The Timestamp (ns since the venue's midnight, OUCH 5.0 §3.2 "Timestamp") of the outbound
/// messages that become ExecutionReports; `None` for the others.
fn venue_timestamp(message: &ouch::OutboundMessage<'_>) -> Option<u64> {
    match message {
        ouch::OutboundMessage::OrderAccepted(m) => Some(m.timestamp_ns),
        ouch::OutboundMessage::OrderExecuted(m) => Some(m.timestamp_ns),
        ouch::OutboundMessage::OrderCanceled(m) => Some(m.timestamp_ns),
        ouch::OutboundMessage::OrderReplaced(m) => Some(m.timestamp_ns),
        _ => None,
    }
}

/// A ReplaceOrder request's fields.
struct ReplaceRequest {
    target: RejectTarget,
    orig: OrderId,
    price: Price,
    total_qty: Qty,
}

/// One venue message's meaning (OUCH 5.0 §3), as the live path decodes it and as journal
/// replay rebuilds it from the report it produced.
#[derive(Clone, Copy, Debug)]
pub(crate) enum VenueEvent {
    /// §3.2 Order Accepted (`dead`: Order State `D`).
    Accepted {
        user_ref_num: ouch::UserRefNum,
        order_ref: u64,
        dead: bool,
    },
    /// §3.6 Order Executed.
    Executed {
        user_ref_num: ouch::UserRefNum,
        qty: Qty,
        price: Price,
        match_number: u64,
    },
    /// §3.4 Order Canceled (`qty` = shares canceled).
    Canceled {
        user_ref_num: ouch::UserRefNum,
        qty: Qty,
    },
    /// §3.3 Order Replaced (`qty` = the replacement's open shares).
    Replaced {
        orig_user_ref_num: ouch::UserRefNum,
        user_ref_num: ouch::UserRefNum,
        qty: Qty,
        price: Price,
        order_ref: u64,
    },
    /// §3.8 Rejected.
    Rejected {
        user_ref_num: ouch::UserRefNum,
        reason: ouch::RejectReason,
    },
    /// Nothing to report (System Event, Cancel Pending, ...).
    Other,
}

/// The execution-specific fields of one ExecutionReport.
struct Report {
    exec_type: ExecType,
    /// 1/10,000; 0 when not a fill.
    last_px: Price,
    last_qty: Qty,
    match_id: u64,
}

impl Report {
    const fn plain(exec_type: ExecType, last_qty: Qty) -> Self {
        Self {
            exec_type,
            last_px: Price(0),
            last_qty,
            match_id: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reject_reason;

    #[test]
    fn every_risk_code_maps_to_the_same_numbered_sbe_reason() {
        // RiskReject::code() values are the schema's RejectReason values (1..=11, 13, 16, 17).
        for code in [1u16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17] {
            assert_eq!(reject_reason(code) as u16, code, "risk code {code}");
        }
    }
}
