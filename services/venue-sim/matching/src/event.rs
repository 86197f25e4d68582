//! What the engine tells the world: public feed events (what ITCH 5.0 publishes) and private
//! per-session events (what OUCH 5.0 sends one session), delivered to a caller's
//! [`EventSink`] in the order they happened.
//!
//! Events carry no timestamp: every event of one engine call happens at the caller's
//! `now_ns`, which the service stamps on when it encodes them.

use crossbar_model::{InstrumentId, Price, Qty, Side, TimeInForce};

use crate::error::RejectReason;

/// A public market-data event, one per ITCH 5.0 message the venue would publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    /// An order was displayed on the book (ITCH 5.0 §1.3.1 Add Order, type `A`).
    AddOrder {
        /// The instrument.
        instrument: InstrumentId,
        /// The day-unique order reference number (seeded: the history's; client: assigned).
        order_ref: u64,
        /// Side as entered (`SellShort` rests on the ask side).
        side: Side,
        /// Display price, 1/10,000 currency units.
        price: Price,
        /// Displayed shares.
        qty: Qty,
    },
    /// A resting order traded `qty` shares at its display price (ITCH 5.0 §1.4.1 Order
    /// Executed, type `E`). When its open shares reach zero the order has left the book; no
    /// Delete follows (as on the venue's feed).
    OrderExecuted {
        /// The instrument.
        instrument: InstrumentId,
        /// The resting order's reference number.
        order_ref: u64,
        /// Shares executed (incremental).
        qty: Qty,
        /// Day-unique match number, shared with both sides' private executions.
        match_number: u64,
    },
    /// Part of a resting order was cancelled; it keeps its queue position (ITCH 5.0 §1.4.3
    /// Order Cancel, type `X`).
    OrderCancel {
        /// The instrument.
        instrument: InstrumentId,
        /// The order's reference number.
        order_ref: u64,
        /// Shares removed (incremental).
        cancelled_qty: Qty,
    },
    /// A resting order was removed whole (ITCH 5.0 §1.4.4 Order Delete, type `D`).
    OrderDelete {
        /// The instrument.
        instrument: InstrumentId,
        /// The order's reference number.
        order_ref: u64,
    },
    /// A resting order was cancel-replaced: the old reference is gone and the new one rests
    /// at the back of the queue at `price` (ITCH 5.0 §1.4.5 Order Replace, type `U`).
    OrderReplace {
        /// The instrument.
        instrument: InstrumentId,
        /// The replaced order's reference number.
        old_order_ref: u64,
        /// The replacement's reference number.
        new_order_ref: u64,
        /// The replacement's displayed shares.
        qty: Qty,
        /// The replacement's display price, 1/10,000 units.
        price: Price,
    },
}

/// Whether an execution added or removed liquidity (OUCH 5.0 Appendix E Liquidity Flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liquidity {
    /// The order was resting (`A`, Added).
    Added,
    /// The order was the aggressor (`R`, Removed).
    Removed,
}

impl Liquidity {
    /// The OUCH 5.0 Appendix E flag byte.
    pub const fn ouch_code(self) -> u8 {
        match self {
            Liquidity::Added => b'A',
            Liquidity::Removed => b'R',
        }
    }
}

/// Why shares of a client order were cancelled (OUCH 5.0 Appendix C Order Cancel Reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelReason {
    /// Answer to a Cancel Order request (`U`, User requested cancel).
    UserRequested,
    /// The unfilled rest of an IOC order (`I`, Immediate or Cancel Order).
    ImmediateOrCancel,
}

impl CancelReason {
    /// The OUCH 5.0 Appendix C reason byte.
    pub const fn ouch_code(self) -> u8 {
        match self {
            CancelReason::UserRequested => b'U',
            CancelReason::ImmediateOrCancel => b'I',
        }
    }
}

/// An event for one order-entry session, one per OUCH 5.0 message the venue would send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivateEvent {
    /// The order was accepted (OUCH 5.0 §3.2 Order Accepted). Executions, if it is
    /// marketable, follow in the same call.
    Accepted {
        /// The session.
        session: u16,
        /// The session's token (OUCH UserRefNum).
        token: u32,
        /// The venue-assigned order reference number (ITCH's, if it rests).
        order_ref: u64,
        /// The instrument.
        instrument: InstrumentId,
        /// Side as entered.
        side: Side,
        /// Limit price, 1/10,000 units.
        price: Price,
        /// Shares accepted.
        qty: Qty,
        /// Time in force.
        tif: TimeInForce,
    },
    /// The order traded (OUCH 5.0 §3.6 Order Executed).
    Executed {
        /// The session.
        session: u16,
        /// The order's current token.
        token: u32,
        /// Shares executed (incremental).
        qty: Qty,
        /// Execution price (the resting order's price), 1/10,000 units.
        price: Price,
        /// Match number, the same on both sides' events and the feed's.
        match_number: u64,
        /// Added (resting side) or removed (aggressor).
        liquidity: Liquidity,
    },
    /// Shares were cancelled (OUCH 5.0 §3.4 Order Canceled); the order may still be live.
    Canceled {
        /// The session.
        session: u16,
        /// The order's current token.
        token: u32,
        /// Shares removed (incremental, not cumulative).
        qty: Qty,
        /// Why.
        reason: CancelReason,
    },
    /// A replace was applied (OUCH 5.0 §3.3 Order Replaced). Executions of the replacement,
    /// if it is marketable, follow in the same call.
    Replaced {
        /// The session.
        session: u16,
        /// The replaced order's token.
        old_token: u32,
        /// The replacement's token.
        new_token: u32,
        /// The replacement's venue order reference number.
        order_ref: u64,
        /// The instrument.
        instrument: InstrumentId,
        /// Side of the chain.
        side: Side,
        /// The replacement's price, 1/10,000 units.
        price: Price,
        /// Shares exposed after the replace (OUCH "total number of shares outstanding":
        /// requested quantity minus the chain's earlier executions).
        qty: Qty,
        /// False when nothing was left to expose: OUCH Order State `D` (dead).
        live: bool,
    },
    /// An enter or replace was refused (OUCH 5.0 §3.8 Rejected); nothing changed.
    Rejected {
        /// The session.
        session: u16,
        /// The token of the refused request (for a replace, the new token).
        token: u32,
        /// Why.
        reason: RejectReason,
    },
}

impl PrivateEvent {
    /// The session this event is for.
    pub const fn session(&self) -> u16 {
        match *self {
            PrivateEvent::Accepted { session, .. }
            | PrivateEvent::Executed { session, .. }
            | PrivateEvent::Canceled { session, .. }
            | PrivateEvent::Replaced { session, .. }
            | PrivateEvent::Rejected { session, .. } => session,
        }
    }
}

/// One engine output, in order: feed and private events interleave as they happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// For the public feed.
    Feed(FeedEvent),
    /// For one session.
    Private(PrivateEvent),
}

/// Where the engine writes events. Implemented for `Vec<Event>` (clear and reuse it: after
/// the first calls it holds its capacity and pushing does not allocate); a service can
/// implement it to encode straight into its ITCH and OUCH buffers.
pub trait EventSink {
    /// Takes one event.
    fn emit(&mut self, event: Event);
}

impl EventSink for Vec<Event> {
    #[inline]
    fn emit(&mut self, event: Event) {
        self.push(event);
    }
}

/// What the engine has done since start-up, for operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatchingCounters {
    /// Client orders accepted.
    pub orders_accepted: u64,
    /// Client enter/cancel/replace calls refused.
    pub client_rejected: u64,
    /// Client cancels that removed shares.
    pub cancels: u64,
    /// Client cancels that removed nothing (intended size not below open shares; OUCH 5.0
    /// §2.3 "superfluous").
    pub cancels_superfluous: u64,
    /// Client replaces applied.
    pub replaces: u64,
    /// Matches (each one match number).
    pub matches: u64,
    /// Shares matched.
    pub matched_qty: u64,
    /// Seeded events applied.
    pub seed_applied: u64,
    /// Seeded events refused.
    pub seed_rejected: u64,
    /// Seeded executes or cancels larger than the order's open shares (clients had already
    /// taken some): applied as far as the open shares.
    pub seed_clamped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ouch_codes_and_session_accessor() {
        assert_eq!(Liquidity::Added.ouch_code(), b'A');
        assert_eq!(Liquidity::Removed.ouch_code(), b'R');
        assert_eq!(CancelReason::UserRequested.ouch_code(), b'U');
        assert_eq!(CancelReason::ImmediateOrCancel.ouch_code(), b'I');
        let e = PrivateEvent::Rejected {
            session: 7,
            token: 1,
            reason: RejectReason::InvalidPrice,
        };
        assert_eq!(e.session(), 7);
        let mut sink: Vec<Event> = Vec::with_capacity(1);
        sink.emit(Event::Private(e));
        assert_eq!(sink, vec![Event::Private(e)]);
    }
}
