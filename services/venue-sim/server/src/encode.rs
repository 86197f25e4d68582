//! Engine events to wire messages: [`FeedEvent`] → ITCH 5.0 (public feed) and
//! [`PrivateEvent`] → OUCH 5.0 (one account's sequenced stream). Pure functions over caller
//! buffers: no allocation, no I/O.

use crossbar_itch::{
    AddOrder, Header, ItchError, ItchMessage, OrderCancel, OrderDelete, OrderExecuted,
    OrderReplace, Stock,
};
use crossbar_matching::{CancelReason, FeedEvent, Liquidity, PrivateEvent};
use crossbar_model::{InstrumentId, Side};
use crossbar_ouch::{
    Capacity, ClOrdId, CrossType, Display, IntermarketSweep, LiquidityFlag, OptionsView,
    OrderAccepted, OrderCanceled, OrderExecuted as OuchExecuted, OrderReplaced, OrderSide,
    OrderState, OuchError, RejectReason, Rejected, Symbol, TimeInForce, UserRefNum,
};

/// How the venue names an instrument on its feed: ITCH Stock Locate and Stock symbol.
pub trait InstrumentNames {
    /// `(locate, stock)` of `instrument`, `None` when the venue never listed it.
    fn name(&self, instrument: InstrumentId) -> Option<(u16, Stock)>;
}

impl InstrumentNames for crossbar_venue_feed::LocateMap {
    fn name(&self, instrument: InstrumentId) -> Option<(u16, Stock)> {
        Some((self.locate_of(instrument)?, self.symbol_of(instrument)?))
    }
}

/// Why an event could not be encoded (a bug or a configuration gap, never client input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event names an instrument the venue has no locate/symbol for.
    #[error("VSIM_UNNAMED_INSTRUMENT instrument={0}")]
    UnnamedInstrument(u32),
    /// The ITCH encoder refused a field.
    #[error("VSIM_ITCH_ENCODE {0}")]
    Itch(ItchError),
    /// The OUCH encoder refused a field.
    #[error("VSIM_OUCH_ENCODE {0}")]
    Ouch(OuchError),
}

/// ITCH has only `B`/`S` (ITCH 5.0 §1.3.1 "Buy/Sell Indicator"): a short sale rests on the
/// ask side and is published as `S`.
fn itch_side(side: Side) -> Side {
    if side == Side::Buy {
        Side::Buy
    } else {
        Side::Sell
    }
}

/// The ITCH 5.0 message for `event` at venue time `timestamp_ns` (ns since the venue's
/// midnight, [`crate::clock::VenueMidnight::since_midnight`]): Add Order `A`
/// (§1.3.1), Order Executed `E` (§1.4.1), Order Cancel `X` (§1.4.3), Order Delete `D`
/// (§1.4.4) or Order Replace `U` (§1.4.5), with the instrument's locate, tracking number 0
/// and that timestamp. Order reference numbers and match numbers are the engine's
/// (client orders: from 2^62 up).
///
/// # Errors
/// [`EncodeError::UnnamedInstrument`].
pub fn itch_message(
    event: &FeedEvent,
    names: &impl InstrumentNames,
    timestamp_ns: u64,
) -> Result<ItchMessage, EncodeError> {
    let instrument = match *event {
        FeedEvent::AddOrder { instrument, .. }
        | FeedEvent::OrderExecuted { instrument, .. }
        | FeedEvent::OrderCancel { instrument, .. }
        | FeedEvent::OrderDelete { instrument, .. }
        | FeedEvent::OrderReplace { instrument, .. } => instrument,
    };
    let (locate, stock) = names
        .name(instrument)
        .ok_or(EncodeError::UnnamedInstrument(instrument.0))?;
    let header = Header {
        stock_locate: locate,
        tracking_number: 0,
        timestamp_ns,
    };
    Ok(match *event {
        FeedEvent::AddOrder {
            order_ref,
            side,
            price,
            qty,
            ..
        } => AddOrder {
            header,
            order_reference_number: order_ref,
            side: itch_side(side),
            shares: qty,
            stock,
            price,
        }
        .into(),
        FeedEvent::OrderExecuted {
            order_ref,
            qty,
            match_number,
            ..
        } => OrderExecuted {
            header,
            order_reference_number: order_ref,
            executed_shares: qty,
            match_number,
        }
        .into(),
        FeedEvent::OrderCancel {
            order_ref,
            cancelled_qty,
            ..
        } => OrderCancel {
            header,
            order_reference_number: order_ref,
            cancelled_shares: cancelled_qty,
        }
        .into(),
        FeedEvent::OrderDelete { order_ref, .. } => OrderDelete {
            header,
            order_reference_number: order_ref,
        }
        .into(),
        FeedEvent::OrderReplace {
            old_order_ref,
            new_order_ref,
            qty,
            price,
            ..
        } => OrderReplace {
            header,
            original_order_reference_number: old_order_ref,
            new_order_reference_number: new_order_ref,
            shares: qty,
            price,
        }
        .into(),
    })
}

/// Encodes [`itch_message`] (`timestamp_ns`: ns since the venue's midnight) into `out`;
/// returns the length.
///
/// # Errors
/// [`EncodeError`].
pub fn encode_itch(
    event: &FeedEvent,
    names: &impl InstrumentNames,
    timestamp_ns: u64,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    itch_message(event, names, timestamp_ns)?
        .encode(out)
        .map_err(EncodeError::Itch)
}

/// The fields of the client's request that the venue echoes back in Order Accepted (OUCH
/// 5.0 §3.2), Order Replaced (§3.3) and Rejected (§3.8); the engine's events do not carry
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestEcho {
    /// Symbol as entered.
    pub symbol: Symbol,
    /// Side as entered (keeps short-exempt `E`, which the engine folds into SellShort).
    pub side: OrderSide,
    /// Time in force as entered.
    pub time_in_force: TimeInForce,
    /// Display as entered.
    pub display: Display,
    /// Capacity (Enter Order); Replace Order has none and echoes Agency.
    pub capacity: Capacity,
    /// InterMarket Sweep eligibility as entered.
    pub intermarket_sweep: IntermarketSweep,
    /// Cross type (Enter Order); Continuous for a replace.
    pub cross_type: CrossType,
    /// Customer order id as entered.
    pub cl_ord_id: ClOrdId,
}

impl RequestEcho {
    /// An echo for events that have no request in hand (never used for Accepted/Replaced,
    /// which the engine emits only while handling the owning session's request).
    pub const NONE: RequestEcho = RequestEcho {
        symbol: Symbol::BLANK,
        side: OrderSide::Buy,
        time_in_force: TimeInForce::Day,
        display: Display::Visible,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cross_type: CrossType::Continuous,
        cl_ord_id: ClOrdId::BLANK,
    };
}

fn ouch_cancel_reason(reason: CancelReason) -> crossbar_ouch::CancelReason {
    crossbar_ouch::CancelReason::from_code(reason.ouch_code())
}

/// The engine's side as OUCH reports it, keeping the client's `E` when the echo has it.
fn ouch_side(side: Side, echo: &RequestEcho) -> OrderSide {
    match (side, echo.side) {
        (Side::SellShort, OrderSide::SellShortExempt) => OrderSide::SellShortExempt,
        _ => OrderSide::from(side),
    }
}

/// Encodes the OUCH 5.0 message for `event` into `out` with Timestamp `timestamp_ns` (ns since
/// the venue's midnight, OUCH 5.0 §3.2 "Timestamp"; the caller picks the event's time: the
/// request's receive time for Accepted/Rejected, the match time otherwise) and returns its
/// length: Accepted `A` (§3.2, Order State `L`), Replaced `U` (§3.3, `L` or `D`
/// when nothing was left to expose), Canceled `C` (§3.4, Appendix C reason), Executed `E`
/// (§3.6, Appendix E liquidity flag `A`/`R`, the engine's match number) or Rejected `J`
/// (§3.8, Appendix D reason). `echo` supplies the request fields the event lacks; `symbol`
/// is the instrument's symbol for Replaced.
///
/// # Errors
/// [`EncodeError::Ouch`] when `out` is too small (64 bytes suffice for every message here).
pub fn encode_ouch(
    event: &PrivateEvent,
    echo: &RequestEcho,
    timestamp_ns: u64,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let options = OptionsView::EMPTY;
    let result = match *event {
        PrivateEvent::Accepted {
            token,
            order_ref,
            side,
            price,
            qty,
            tif,
            ..
        } => OrderAccepted {
            timestamp_ns,
            user_ref_num: UserRefNum(token),
            side: ouch_side(side, echo),
            quantity: qty,
            symbol: echo.symbol,
            price,
            time_in_force: TimeInForce::from(tif),
            display: echo.display,
            order_reference_number: order_ref,
            capacity: echo.capacity,
            intermarket_sweep: echo.intermarket_sweep,
            cross_type: echo.cross_type,
            order_state: OrderState::Live,
            cl_ord_id: echo.cl_ord_id,
            options,
        }
        .encode(out),
        PrivateEvent::Replaced {
            old_token,
            new_token,
            order_ref,
            side,
            price,
            qty,
            live,
            ..
        } => OrderReplaced {
            timestamp_ns,
            orig_user_ref_num: UserRefNum(old_token),
            user_ref_num: UserRefNum(new_token),
            side: ouch_side(side, echo),
            quantity: qty,
            symbol: echo.symbol,
            price,
            time_in_force: TimeInForce::Day,
            display: echo.display,
            order_reference_number: order_ref,
            capacity: echo.capacity,
            intermarket_sweep: echo.intermarket_sweep,
            cross_type: CrossType::Continuous,
            order_state: if live {
                OrderState::Live
            } else {
                OrderState::Dead
            },
            cl_ord_id: echo.cl_ord_id,
            options,
        }
        .encode(out),
        PrivateEvent::Canceled {
            token, qty, reason, ..
        } => OrderCanceled {
            timestamp_ns,
            user_ref_num: UserRefNum(token),
            quantity: qty,
            reason: ouch_cancel_reason(reason),
        }
        .encode(out),
        PrivateEvent::Executed {
            token,
            qty,
            price,
            match_number,
            liquidity,
            ..
        } => OuchExecuted {
            timestamp_ns,
            user_ref_num: UserRefNum(token),
            quantity: qty,
            price,
            liquidity_flag: match liquidity {
                Liquidity::Added => LiquidityFlag::ADDED,
                Liquidity::Removed => LiquidityFlag::REMOVED,
            },
            match_number,
            options,
        }
        .encode(out),
        PrivateEvent::Rejected { token, reason, .. } => encode_rejected(
            token,
            RejectReason::from_code(reason.ouch_code()),
            echo.cl_ord_id,
            timestamp_ns,
            out,
        ),
    };
    result.map_err(EncodeError::Ouch)
}

/// Encodes an OUCH 5.0 Rejected (§3.8) for `token` with an Appendix D `reason` and
/// Timestamp `timestamp_ns` (ns since the venue's midnight).
///
/// # Errors
/// [`OuchError`] when `out` is shorter than 29 bytes.
pub fn encode_rejected(
    token: u32,
    reason: RejectReason,
    cl_ord_id: ClOrdId,
    timestamp_ns: u64,
    out: &mut [u8],
) -> Result<usize, OuchError> {
    Rejected {
        timestamp_ns,
        user_ref_num: UserRefNum(token),
        reason,
        cl_ord_id,
    }
    .encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbar_itch::decode;
    use crossbar_model::{Price, Qty, TimeInForce as Tif};
    use crossbar_ouch::{decode_outbound, OutboundMessage};

    struct Names;
    impl InstrumentNames for Names {
        fn name(&self, instrument: InstrumentId) -> Option<(u16, Stock)> {
            (instrument.0 == 3).then(|| (7, Stock::from_symbol("MSFT").unwrap()))
        }
    }

    /// Venue time of every encoded event, ns since the venue's midnight.
    const NOW: u64 = 45_000_000_000_123;
    const I: InstrumentId = InstrumentId(3);

    fn itch(event: FeedEvent) -> ItchMessage {
        let mut buf = [0u8; 64];
        let n = encode_itch(&event, &Names, NOW, &mut buf).unwrap();
        let message = decode(&buf[..n]).unwrap();
        assert_eq!(message, itch_message(&event, &Names, NOW).unwrap());
        message
    }

    #[test]
    fn feed_events_become_itch_with_locate_time_and_engine_numbers() {
        let ItchMessage::AddOrder(a) = itch(FeedEvent::AddOrder {
            instrument: I,
            order_ref: (1 << 62) + 5,
            side: Side::SellShort,
            price: Price(1_234_500),
            qty: Qty(300),
        }) else {
            panic!("A");
        };
        assert_eq!(
            (
                a.header.stock_locate,
                a.header.timestamp_ns,
                a.header.tracking_number
            ),
            (7, 45_000_000_000_123, 0)
        );
        assert_eq!(
            (a.order_reference_number, a.side, a.shares, a.price),
            ((1 << 62) + 5, Side::Sell, Qty(300), Price(1_234_500))
        );
        assert_eq!(a.stock, Stock::from_symbol("MSFT").unwrap());
        let ItchMessage::OrderExecuted(e) = itch(FeedEvent::OrderExecuted {
            instrument: I,
            order_ref: 9,
            qty: Qty(40),
            match_number: (1 << 62) + 1,
        }) else {
            panic!("E");
        };
        assert_eq!(
            (e.order_reference_number, e.executed_shares, e.match_number),
            (9, Qty(40), (1 << 62) + 1)
        );
        let ItchMessage::OrderCancel(x) = itch(FeedEvent::OrderCancel {
            instrument: I,
            order_ref: 9,
            cancelled_qty: Qty(10),
        }) else {
            panic!("X");
        };
        assert_eq!(x.cancelled_shares, Qty(10));
        let ItchMessage::OrderDelete(d) = itch(FeedEvent::OrderDelete {
            instrument: I,
            order_ref: 9,
        }) else {
            panic!("D");
        };
        assert_eq!(d.order_reference_number, 9);
        let ItchMessage::OrderReplace(u) = itch(FeedEvent::OrderReplace {
            instrument: I,
            old_order_ref: 9,
            new_order_ref: 10,
            qty: Qty(70),
            price: Price(1_000_100),
        }) else {
            panic!("U");
        };
        assert_eq!(
            (
                u.original_order_reference_number,
                u.new_order_reference_number,
                u.shares,
                u.price
            ),
            (9, 10, Qty(70), Price(1_000_100))
        );
        let unnamed = FeedEvent::OrderDelete {
            instrument: InstrumentId(4),
            order_ref: 1,
        };
        assert_eq!(
            itch_message(&unnamed, &Names, NOW).unwrap_err().to_string(),
            "VSIM_UNNAMED_INSTRUMENT instrument=4"
        );
    }

    fn ouch(event: PrivateEvent, echo: &RequestEcho) -> Vec<u8> {
        let mut buf = [0u8; 128];
        let n = encode_ouch(&event, echo, NOW, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    fn echo() -> RequestEcho {
        RequestEcho {
            symbol: Symbol::new("MSFT").unwrap(),
            side: OrderSide::SellShortExempt,
            time_in_force: TimeInForce::Ioc,
            display: Display::Visible,
            capacity: Capacity::Principal,
            intermarket_sweep: IntermarketSweep::NotEligible,
            cross_type: CrossType::Continuous,
            cl_ord_id: ClOrdId::new("CL-1").unwrap(),
        }
    }

    #[test]
    fn private_events_become_ouch_with_flags_reasons_and_echoed_fields() {
        let bytes = ouch(
            PrivateEvent::Accepted {
                session: 0,
                token: 11,
                order_ref: (1 << 62) + 2,
                instrument: I,
                side: Side::SellShort,
                price: Price(990_000),
                qty: Qty(200),
                tif: Tif::Ioc,
            },
            &echo(),
        );
        let Ok(OutboundMessage::OrderAccepted(a)) = decode_outbound(&bytes) else {
            panic!("A");
        };
        assert_eq!(a.timestamp_ns, 45_000_000_000_123);
        assert_eq!(
            (a.user_ref_num, a.side, a.quantity),
            (UserRefNum(11), OrderSide::SellShortExempt, Qty(200))
        );
        assert_eq!(
            (a.price, a.time_in_force, a.order_reference_number),
            (Price(990_000), TimeInForce::Ioc, (1 << 62) + 2)
        );
        assert_eq!(
            (a.capacity, a.order_state, a.cl_ord_id),
            (Capacity::Principal, OrderState::Live, echo().cl_ord_id)
        );
        assert_eq!(a.symbol, Symbol::new("MSFT").unwrap());

        for (liquidity, flag) in [(Liquidity::Added, b'A'), (Liquidity::Removed, b'R')] {
            let bytes = ouch(
                PrivateEvent::Executed {
                    session: 0,
                    token: 11,
                    qty: Qty(50),
                    price: Price(990_100),
                    match_number: 77,
                    liquidity,
                },
                &RequestEcho::NONE,
            );
            let Ok(OutboundMessage::OrderExecuted(e)) = decode_outbound(&bytes) else {
                panic!("E");
            };
            assert_eq!(
                (e.quantity, e.price, e.match_number),
                (Qty(50), Price(990_100), 77)
            );
            assert_eq!(e.liquidity_flag, LiquidityFlag(flag));
        }

        let bytes = ouch(
            PrivateEvent::Canceled {
                session: 0,
                token: 11,
                qty: Qty(150),
                reason: CancelReason::ImmediateOrCancel,
            },
            &RequestEcho::NONE,
        );
        let Ok(OutboundMessage::OrderCanceled(c)) = decode_outbound(&bytes) else {
            panic!("C");
        };
        assert_eq!((c.quantity, c.reason.code()), (Qty(150), b'I'));

        let bytes = ouch(
            PrivateEvent::Replaced {
                session: 0,
                old_token: 11,
                new_token: 12,
                order_ref: 99,
                instrument: I,
                side: Side::Buy,
                price: Price(1),
                qty: Qty(0),
                live: false,
            },
            &echo(),
        );
        let Ok(OutboundMessage::OrderReplaced(u)) = decode_outbound(&bytes) else {
            panic!("U");
        };
        assert_eq!(
            (u.orig_user_ref_num, u.user_ref_num, u.side),
            (UserRefNum(11), UserRefNum(12), OrderSide::Buy)
        );
        assert_eq!(
            (u.order_state, u.order_reference_number),
            (OrderState::Dead, 99)
        );

        let bytes = ouch(
            PrivateEvent::Rejected {
                session: 0,
                token: 13,
                reason: crossbar_matching::RejectReason::InvalidSymbol,
            },
            &echo(),
        );
        let Ok(OutboundMessage::Rejected(j)) = decode_outbound(&bytes) else {
            panic!("J");
        };
        assert_eq!(
            (j.user_ref_num, j.reason, j.cl_ord_id),
            (
                UserRefNum(13),
                RejectReason::InvalidSymbol,
                echo().cl_ord_id
            )
        );
    }
}
