//! Typed rejections and state errors.

use crossbar_model::{InstrumentId, OrderId, Price, Qty};

/// Why an order was refused before reaching the venue. `code()` is the SBE OrderReject
/// `reason` value; the message starts with a stable code and carries `key=value` context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RiskReject {
    /// `qty` above the instrument's `max_order_qty` (SBE reason 1).
    #[error("RISK_MAX_ORDER_QTY qty={qty} max={max} instrument={instrument}")]
    MaxOrderQty {
        /// Order shares.
        qty: u32,
        /// Limit, shares.
        max: u32,
        /// Instrument id.
        instrument: u32,
    },
    /// `price * qty` above `max_order_notional` (SBE reason 2), 1/10,000 units.
    #[error("RISK_MAX_NOTIONAL notional={notional} max={max} instrument={instrument}")]
    MaxNotional {
        /// Order notional, 1/10,000 currency units.
        notional: i128,
        /// Limit, 1/10,000 currency units.
        max: i128,
        /// Instrument id.
        instrument: u32,
    },
    /// Price outside the collar around the reference price, or no reference (SBE reason 3).
    /// `reference` is 0 and `limit` 0 when no reference price exists.
    #[error("RISK_PRICE_COLLAR price={price} reference={reference} limit={limit} collar_bps={collar_bps} instrument={instrument}")]
    PriceCollar {
        /// Order price, 1/10,000.
        price: i64,
        /// Reference price, 1/10,000 (0: none).
        reference: i64,
        /// The band edge the price crossed, 1/10,000, rounded toward the reference.
        limit: i64,
        /// Collar width, basis points.
        collar_bps: u32,
        /// Instrument id.
        instrument: u32,
    },
    /// Worst-case position beyond the long or short limit (SBE reason 4).
    #[error("RISK_POSITION_LIMIT worst_case={worst_case} max={max} instrument={instrument}")]
    PositionLimit {
        /// Position if this and every open order on its side filled, shares (signed).
        worst_case: i64,
        /// The long limit (positive) or short limit (negative), shares.
        max: i64,
        /// Instrument id.
        instrument: u32,
    },
    /// The aggregator's credit slice would be exceeded (SBE reason 5).
    #[error("RISK_CREDIT_EXHAUSTED resource={resource} needed={needed} available={available} instrument={instrument}")]
    CreditExhausted {
        /// `buy_shares`, `sell_shares` or `notional`.
        resource: &'static str,
        /// What the order needs (shares, or 1/10,000 units).
        needed: i128,
        /// What is left of the slice.
        available: i128,
        /// Instrument id.
        instrument: u32,
    },
    /// Too many orders in the throttle window (SBE reason 6).
    #[error("RISK_THROTTLE scope={scope} max={max} window_ns={window_ns} instrument={instrument}")]
    Throttle {
        /// `instrument` or `session`.
        scope: &'static str,
        /// Orders allowed per window.
        max: u32,
        /// Window length, ns.
        window_ns: u64,
        /// Instrument id.
        instrument: u32,
    },
    /// The order id was seen among the recent ids (SBE reason 7).
    #[error("RISK_DUPLICATE_ORDER_ID order_id={order_id}")]
    DuplicateOrderId {
        /// The repeated id.
        order_id: OrderId,
    },
    /// The instrument is halted (SBE reason 8).
    #[error("RISK_INSTRUMENT_HALTED instrument={instrument}")]
    InstrumentHalted {
        /// Instrument id.
        instrument: u32,
    },
    /// A kill switch is on (SBE reason 9).
    #[error("RISK_KILL_SWITCH scope={scope} instrument={instrument}")]
    KillSwitch {
        /// `all`, `venue` or `instrument`.
        scope: &'static str,
        /// Instrument id.
        instrument: u32,
    },
    /// The gateway is failing closed, e.g. no aggregator heartbeat or its execution queue
    /// full (SBE reason 10).
    #[error("RISK_FAIL_CLOSED cause={cause} instrument={instrument}")]
    FailClosed {
        /// Why, a stable code (`operator`, `EXEC_QUEUE_FULL`, ...).
        cause: &'static str,
        /// Instrument id.
        instrument: u32,
    },
    /// The venue book is stale (feed gap open), so no collar can be computed (SBE reason 11).
    #[error("RISK_STALE_BOOK instrument={instrument}")]
    StaleBook {
        /// Instrument id.
        instrument: u32,
    },
    /// The instrument id is not in the engine's table (SBE reason 13, UnknownInstrument).
    #[error("RISK_UNKNOWN_INSTRUMENT order_id={order_id} instrument={instrument}")]
    UnknownInstrument {
        /// The order id.
        order_id: OrderId,
        /// Instrument id.
        instrument: u32,
    },
    /// Malformed request: zero quantity, non-positive price or order id 0 (SBE reason 16,
    /// InvalidOrder).
    #[error("RISK_INVALID_ORDER field={field} order_id={order_id} instrument={instrument}")]
    InvalidOrder {
        /// `qty`, `price` or `order_id`.
        field: &'static str,
        /// The order id.
        order_id: OrderId,
        /// Instrument id.
        instrument: u32,
    },
    /// The open-order table is full (SBE RejectReason OpenOrdersFull = 17).
    #[error("RISK_OPEN_ORDERS_FULL max={max}")]
    OpenOrdersFull {
        /// [`crate::RiskLimits::max_open_orders`].
        max: u32,
    },
}

impl RiskReject {
    /// Number of distinct codes, for counter arrays (`code()` is `1..=COUNT`).
    pub const COUNT: usize = 17;

    /// The SBE OrderReject `rejectReason` value (`schemas/crossbar.xml` enum RejectReason,
    /// uint16): MaxOrderQty=1, MaxNotional=2, PriceCollar=3, PositionLimit=4,
    /// CreditExhausted=5, Throttle=6, DuplicateOrderId=7, InstrumentHalted=8, KillSwitch=9,
    /// FailClosed=10, StaleBook=11, UnknownInstrument=13, InvalidOrder=16, OpenOrdersFull=17.
    pub const fn code(&self) -> u16 {
        match self {
            RiskReject::MaxOrderQty { .. } => 1,
            RiskReject::MaxNotional { .. } => 2,
            RiskReject::PriceCollar { .. } => 3,
            RiskReject::PositionLimit { .. } => 4,
            RiskReject::CreditExhausted { .. } => 5,
            RiskReject::Throttle { .. } => 6,
            RiskReject::DuplicateOrderId { .. } => 7,
            RiskReject::InstrumentHalted { .. } => 8,
            RiskReject::KillSwitch { .. } => 9,
            RiskReject::FailClosed { .. } => 10,
            RiskReject::StaleBook { .. } => 11,
            RiskReject::UnknownInstrument { .. } => 13,
            RiskReject::InvalidOrder { .. } => 16,
            RiskReject::OpenOrdersFull { .. } => 17,
        }
    }
}

/// Why a state update (fill, cancel, credit) was refused. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RiskStateError {
    /// The order id has no open reservation.
    #[error("RISK_UNKNOWN_ORDER order_id={order_id}")]
    UnknownOrder {
        /// The order id.
        order_id: OrderId,
    },
    /// A cancel of more shares than the order has open.
    #[error("RISK_CANCEL_OVER_LEAVES order_id={order_id} qty={qty} leaves={leaves}")]
    CancelOverLeaves {
        /// The order id.
        order_id: OrderId,
        /// Shares in the cancel.
        qty: u32,
        /// Shares open.
        leaves: u32,
    },
    /// The instrument id is out of range.
    #[error("RISK_UNKNOWN_INSTRUMENT instrument={}", instrument.0)]
    UnknownInstrument {
        /// Instrument id.
        instrument: InstrumentId,
    },
    /// Returning more credit than is unused, a negative amount, or granting past the
    /// i64/i128 range.
    #[error("RISK_CREDIT_UNAVAILABLE buy_shares={buy_shares} sell_shares={sell_shares} notional={notional} available_buy={available_buy} available_sell={available_sell} available_notional={available_notional}")]
    CreditUnavailable {
        /// Buy shares asked for.
        buy_shares: i64,
        /// Sell shares asked for.
        sell_shares: i64,
        /// Notional asked for, 1/10,000.
        notional: i128,
        /// Unused buy shares.
        available_buy: i64,
        /// Unused sell shares.
        available_sell: i64,
        /// Unused notional, 1/10,000.
        available_notional: i128,
    },
}

/// What a fill did, from [`crate::RiskEngine::on_fill`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillOutcome {
    /// Shares still open on the order (0: it was removed).
    pub leaves_qty: Qty,
    /// Net position after the fill, shares (signed, + long).
    pub position: i64,
    /// Shares the venue filled beyond the order's leaves (should be 0; counted, and still
    /// applied to the position because the venue's fill is the truth).
    pub overfill_qty: u32,
    /// The order's limit price (credit was reserved at it), 1/10,000.
    pub limit_price: Price,
}
