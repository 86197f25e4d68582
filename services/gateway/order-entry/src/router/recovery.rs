//! Journal replay and gateway-initiated cancels: the order table, risk reservations,
//! positions and the duplicate-execution window rebuilt from the audit journal's records
//! (`docs/gateway.md`, "Restart recovery"), through the same code the live path runs.

use super::{EventTimes, OrderRouter, OuchSink, VenueEvent, REQUEST_LEN};
use crate::error::OrderEntryError;
use crate::state::OrderState;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side, TimeInForce};
use crossbar_ouch as ouch;
use crossbar_risk::OrderRequest;
use crossbar_sbe::generated as g;
use crossbar_sbe::{decode_view, ExecType, MessageView, RejectReason};
use crossbar_soupbintcp::HEADER_LEN;

/// Where a venue report came from: the SoupBinTCP session and sequence number the router
/// wrote into its text (`OUCH session=<id> seq=<n>`, anywhere in the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueOrigin<'a> {
    /// The session id, trimmed.
    pub session: &'a [u8],
    /// The SoupBinTCP sequence number (§1.2) of the venue message.
    pub sequence: u64,
}

/// Finds `OUCH session=<id> seq=<n>` in a report text; `None` when absent or malformed.
pub fn venue_origin(text: &[u8]) -> Option<VenueOrigin<'_>> {
    const KEY: &[u8] = b"OUCH session=";
    let start = text.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = &text[start..];
    let space = rest.iter().position(|b| *b == b' ')?;
    let session = &rest[..space];
    let seq = rest[space..].strip_prefix(b" seq=")?;
    let digits = seq.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 20 {
        return None;
    }
    let sequence = std::str::from_utf8(&seq[..digits]).ok()?.parse().ok()?;
    Some(VenueOrigin { session, sequence })
}

fn model_side(side: g::Side) -> Side {
    match side {
        g::Side::Sell => Side::Sell,
        g::Side::SellShort => Side::SellShort,
        _ => Side::Buy,
    }
}

impl OrderRouter {
    /// Replays one request the gateway sent to the venue (an SBE NewChildOrder,
    /// ReplaceOrder or CancelOrder recorded by [`OuchSink::record_request`]): a new or
    /// replacement order gets its risk reservation back (no checks, it passed them when it
    /// was sent) and the next UserRefNum, exactly as when it was sent, and is tracked as
    /// PendingNew until its venue reports are replayed. A cancel changes nothing (the venue's
    /// answer does). Returns the UserRefNum taken, if any.
    ///
    /// # Errors
    /// [`OrderEntryError::SbeDecode`], [`OrderEntryError::UnexpectedSbe`],
    /// [`OrderEntryError::RiskState`] (journal and configuration disagree, e.g. a smaller
    /// order table), [`OrderEntryError::UnknownUserRefNum`]-style state errors.
    pub fn replay_request_sent(&mut self, sbe: &[u8]) -> Result<Option<u32>, OrderEntryError> {
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
                self.risk.restore_order(&request)?;
                let slot = self.admit_new(&request, OrderId(m.parent_order_id()))?;
                Ok(slot
                    .ok()
                    .and_then(|s| self.orders.get(s))
                    .map(|o| o.user_ref_num))
            }
            MessageView::ReplaceOrder(m) => {
                let orig_id = OrderId(m.orig_order_id());
                let orig = self
                    .orders
                    .slot_of_order(orig_id)
                    .and_then(|s| self.orders.get(s))
                    .copied()
                    .ok_or(OrderEntryError::Config {
                        reason: "replayed_replace_of_unknown_order",
                    })?;
                let open = m.qty().saturating_sub(orig.cum);
                let request = OrderRequest {
                    order_id: OrderId(m.order_id()),
                    instrument: orig.instrument,
                    side: orig.side,
                    price: Price(m.price()),
                    qty: Qty(open),
                    time_in_force: orig.time_in_force,
                };
                self.risk.restore_order(&request)?;
                let slot = self.admit_replacement(&orig, request.order_id, request.price, open)?;
                Ok(slot
                    .ok()
                    .and_then(|s| self.orders.get(s))
                    .map(|o| o.user_ref_num))
            }
            MessageView::CancelOrder(_) => Ok(None),
            other => Err(OrderEntryError::UnexpectedSbe {
                template_id: other.kind().template_id(),
            }),
        }
    }

    /// Replays the undo of a new or replacement order whose bytes never reached the venue
    /// (its request was recorded, then the session refused it: the journal holds the
    /// NotConnected OrderReject right after): frees the order and its reservation. The
    /// UserRefNum stays used, as it did live.
    ///
    /// # Errors
    /// [`OrderEntryError::Config`] when the order is not tracked as PendingNew.
    pub fn replay_unsent(&mut self, order_id: OrderId) -> Result<(), OrderEntryError> {
        let slot = self
            .orders
            .slot_of_order(order_id)
            .filter(|s| {
                self.orders
                    .get(*s)
                    .is_some_and(|o| o.state == OrderState::PendingNew)
            })
            .ok_or(OrderEntryError::Config {
                reason: "replayed_undo_of_unknown_order",
            })?;
        self.orders.remove(slot);
        self.risk.on_order_done(order_id)?;
        Ok(())
    }

    /// Replays one venue report (the SBE ExecutionReport or venue OrderReject the router
    /// wrote for an OUCH message, with its `OUCH session=.. seq=..` text): rebuilds the OUCH
    /// event from it and the order table (UserRefNum, leaves before the event) and applies it
    /// through the live handlers, so state, risk, positions and the duplicate-execution
    /// window end exactly as they were. `scratch` receives the (discarded) SBE again, with the
    /// record's `timestamp_ns` and the report's own `venueTimestampNs`.
    /// Returns the venue origin, or `None` for a record that is not a venue report (e.g. a
    /// local reject).
    ///
    /// # Errors
    /// As [`Self::on_venue_message`]; [`OrderEntryError::Config`] for a report whose order
    /// is not tracked.
    pub fn replay_venue_report(
        &mut self,
        sbe: &[u8],
        timestamp_ns: u64,
        scratch: &mut [u8],
    ) -> Result<Option<u64>, OrderEntryError> {
        let unknown = OrderEntryError::Config {
            reason: "replayed_report_of_unknown_order",
        };
        let (event, text, venue_ns) = match decode_view(sbe)? {
            MessageView::ExecutionReport(r) => {
                let text = r.text().map_err(|_| unknown.clone())?;
                let Some(slot) = self.orders.slot_of_order(OrderId(r.order_id())) else {
                    return Err(unknown);
                };
                let Some(o) = self.orders.get(slot).copied() else {
                    return Err(unknown);
                };
                let user_ref_num = ouch::UserRefNum(o.user_ref_num);
                let event = match r.exec_type() {
                    ExecType::New => VenueEvent::Accepted {
                        user_ref_num,
                        order_ref: r.venue_order_ref(),
                        dead: false,
                    },
                    ExecType::Canceled if o.state == OrderState::PendingNew => {
                        VenueEvent::Accepted {
                            user_ref_num,
                            order_ref: r.venue_order_ref(),
                            dead: true,
                        }
                    }
                    ExecType::Canceled => VenueEvent::Canceled {
                        user_ref_num,
                        qty: Qty(o.leaves.saturating_sub(r.leaves_qty())),
                    },
                    ExecType::PartialFill | ExecType::Fill => VenueEvent::Executed {
                        user_ref_num,
                        qty: Qty(r.last_qty()),
                        price: Price(r.last_px()),
                        match_number: r.match_id(),
                    },
                    ExecType::Replaced => {
                        let orig = self
                            .orders
                            .slot_of_order(o.orig_order_id)
                            .and_then(|s| self.orders.get(s))
                            .ok_or(unknown)?;
                        VenueEvent::Replaced {
                            orig_user_ref_num: ouch::UserRefNum(orig.user_ref_num),
                            user_ref_num,
                            qty: Qty(r.leaves_qty()),
                            price: Price(r.price()),
                            order_ref: r.venue_order_ref(),
                        }
                    }
                    _ => VenueEvent::Other,
                };
                (event, text, r.venue_timestamp_ns())
            }
            MessageView::OrderReject(r) if r.reject_reason() == RejectReason::VenueReject => {
                let text = r.text().map_err(|_| unknown.clone())?;
                let slot = self
                    .orders
                    .slot_of_order(OrderId(r.order_id()))
                    .ok_or(unknown.clone())?;
                let o = self.orders.get(slot).copied().ok_or(unknown)?;
                let event = VenueEvent::Rejected {
                    user_ref_num: ouch::UserRefNum(o.user_ref_num),
                    reason: ouch::RejectReason::from_code(0),
                };
                (event, text, None)
            }
            _ => return Ok(None),
        };
        let Some(origin) = venue_origin(text) else {
            return Ok(None);
        };
        let sequence = origin.sequence;
        self.set_venue_session(origin.session);
        self.last_venue_sequence = self.last_venue_sequence.max(sequence);
        let at = EventTimes {
            now_ns: timestamp_ns,
            venue_ns,
        };
        self.apply_venue_event(event, sequence, at, scratch)?;
        Ok(Some(sequence))
    }

    /// After replay: the session will be resumed at `last_sequence + 1` (SoupBinTCP §2.3.1
    /// Login Request), so venue messages up to `last_sequence` count as already applied.
    pub fn resume_venue_session(&mut self, last_sequence: u64) {
        self.last_venue_sequence = last_sequence;
    }

    /// Sends an OUCH 5.0 §2.3 Cancel Order (quantity 0: cancel everything) for every working
    /// order: accepted (New, PartiallyFilled) or still PendingNew. Each cancel's request is
    /// first recorded as an SBE CancelOrder (`leaveQty` 0, timestamp `now_ns`) through
    /// [`OuchSink::record_request`]. Used when the gateway fails closed on the centre's
    /// silence. Returns (cancels sent, cancels that could not be sent).
    pub fn cancel_all_working(&mut self, now_ns: u64, ouch_out: &mut impl OuchSink) -> (u32, u32) {
        let (mut sent, mut failed) = (0, 0);
        for slot in 0..self.orders.capacity() {
            let Some(o) = self.orders.get(slot).copied() else {
                continue;
            };
            if o.state.is_terminal() {
                continue;
            }
            let request = g::CancelOrderEncoder::try_wrap_and_apply_header(&mut self.request, 0)
                .map(|e| {
                    e.fixed(&g::CancelOrderFixedFields {
                        order_id: o.order_id.0,
                        instrument_id: o.instrument.0,
                        venue_id: self.venue_id.0,
                        leave_qty: 0,
                        timestamp_ns: now_ns,
                    })
                    .encoded_length_with_header()
                });
            let Ok(len) = request else {
                failed += 1;
                continue;
            };
            debug_assert!(len <= REQUEST_LEN);
            if !ouch_out.record_request(&self.request[..len]) {
                failed += 1;
                continue;
            }
            let cancel = ouch::CancelOrder {
                user_ref_num: ouch::UserRefNum(o.user_ref_num),
                quantity: Qty(0),
            };
            let ok = match cancel.encode(&mut self.packet[HEADER_LEN..]) {
                Ok(len) => self.send(len, ouch_out).is_ok(),
                Err(_) => false,
            };
            if ok {
                sent += 1;
                self.counters.cancels_sent += 1;
            } else {
                failed += 1;
            }
        }
        (sent, failed)
    }
}
