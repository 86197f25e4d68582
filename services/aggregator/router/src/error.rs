//! The crate's one error type. Every message starts with a stable `ROUTER_*` code followed by
//! `key=value` context, so logs, the gRPC API and OrderReject text carry the same words.

use crossbar_model::{InstrumentId, OrderId, VenueId};

/// Why the router refused an input or a request. Inputs that fail leave the router's state
/// exactly as it was (the failed event is counted in [`crate::Counters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// A limit or size in [`crate::RouterLimits`] is unusable.
    #[error("ROUTER_INVALID_LIMITS field={field} value={value}")]
    InvalidLimits {
        /// Dotted field name.
        field: &'static str,
        /// The offending value.
        value: i128,
    },
    /// Instrument id outside `0..instrument_count`.
    #[error("ROUTER_UNKNOWN_INSTRUMENT instrument={0}")]
    UnknownInstrument(u32),
    /// Venue id outside `0..venue_count`.
    #[error("ROUTER_UNKNOWN_VENUE venue={0}")]
    UnknownVenue(u16),
    /// A gateway id that serves no configured venue.
    #[error("ROUTER_UNKNOWN_GATEWAY gateway={0}")]
    UnknownGateway(u16),
    /// An order id the router does not hold (never issued, or already finished).
    #[error("ROUTER_UNKNOWN_ORDER order_id={0}")]
    UnknownOrder(OrderId),
    /// A parent or child order event its state does not allow (see the state tables).
    #[error("ROUTER_INVALID_TRANSITION order={order} state={state} event={event}")]
    InvalidTransition {
        /// `parent` or `child`.
        order: &'static str,
        /// State name before the event.
        state: &'static str,
        /// Event name.
        event: &'static str,
    },
    /// A book update whose level index does not exist (Change/Delete beyond the levels held).
    #[error(
        "ROUTER_BOOK_LEVEL instrument={instrument} venue={venue} index={index} levels={levels}"
    )]
    BookLevel {
        /// Instrument of the book.
        instrument: u32,
        /// Venue of the book.
        venue: u16,
        /// The level index in the update.
        index: u16,
        /// Levels held on that side.
        levels: u16,
    },
    /// A book update older than the last one applied to that (instrument, venue) book.
    #[error("ROUTER_STALE_SEQUENCE instrument={instrument} venue={venue} sequence={sequence} last={last}")]
    StaleSequence {
        /// Instrument of the book.
        instrument: u32,
        /// Venue of the book.
        venue: u16,
        /// Sequence of the refused update.
        sequence: u64,
        /// Sequence of the last applied update.
        last: u64,
    },
    /// A malformed request or report (zero qty, non-positive price, crossed level, ...).
    #[error("ROUTER_INVALID_ORDER reason={0}")]
    InvalidOrder(&'static str),
    /// The parent-order table is full (`max_parents`).
    #[error("ROUTER_PARENTS_FULL max={0}")]
    ParentsFull(u32),
    /// The child-order table is full (`max_children`).
    #[error("ROUTER_CHILDREN_FULL max={0}")]
    ChildrenFull(u32),
    /// A fill larger than the child's leaves.
    #[error("ROUTER_OVERFILL order_id={order_id} last_qty={last_qty} leaves={leaves}")]
    Overfill {
        /// The child order.
        order_id: OrderId,
        /// Shares in the report.
        last_qty: u32,
        /// Shares the router had open.
        leaves: u32,
    },
    /// A CreditReturn larger than the credit the gateway holds.
    #[error("ROUTER_CREDIT_RETURN gateway={gateway} instrument={instrument}")]
    CreditReturn {
        /// The returning gateway.
        gateway: u16,
        /// The instrument.
        instrument: u32,
    },
    /// A cross-venue risk limit refused the order.
    #[error("{} instrument={instrument} value={value} limit={limit}", reason.code())]
    Risk {
        /// Which limit.
        reason: RiskReason,
        /// The instrument of the order.
        instrument: u32,
        /// The value the order would reach (shares or 1/10,000 notional).
        value: i128,
        /// The limit.
        limit: i128,
    },
    /// A limits change named an `expected_version` other than the version in force.
    #[error("ROUTER_LIMITS_VERSION expected={expected} actual={actual}")]
    LimitsVersion {
        /// The version the caller expected.
        expected: u64,
        /// The version in force.
        actual: u64,
    },
    /// A kill switch covers the order and it does not reduce risk (or reducing is not allowed).
    #[error("ROUTER_KILL_SWITCH instrument={instrument} scope={scope}")]
    KillSwitch {
        /// The instrument of the order.
        instrument: u32,
        /// `all`, `venue` or `instrument`.
        scope: &'static str,
    },
}

/// Which cross-venue risk limit an order would breach. Codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RiskReason {
    /// Order qty above `max_order_qty` (shares).
    MaxOrderQty,
    /// Order notional above `max_order_notional` (1/10,000).
    MaxOrderNotional,
    /// Worst-case position (position + open orders on the side + order) above `max_position`.
    PositionLimit,
    /// Instrument gross exposure above `max_gross_notional`.
    GrossExposure,
    /// Instrument net exposure above `max_net_notional`.
    NetExposure,
    /// Gross exposure over all instruments above `max_gross_notional_total`.
    GrossExposureTotal,
    /// Net exposure over all instruments above `max_net_notional_total`.
    NetExposureTotal,
}

impl RiskReason {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            RiskReason::MaxOrderQty => "ROUTER_RISK_MAX_ORDER_QTY",
            RiskReason::MaxOrderNotional => "ROUTER_RISK_MAX_ORDER_NOTIONAL",
            RiskReason::PositionLimit => "ROUTER_RISK_POSITION_LIMIT",
            RiskReason::GrossExposure => "ROUTER_RISK_GROSS_EXPOSURE",
            RiskReason::NetExposure => "ROUTER_RISK_NET_EXPOSURE",
            RiskReason::GrossExposureTotal => "ROUTER_RISK_GROSS_EXPOSURE_TOTAL",
            RiskReason::NetExposureTotal => "ROUTER_RISK_NET_EXPOSURE_TOTAL",
        }
    }
}

impl RouterError {
    /// The stable code the message starts with (e.g. `ROUTER_UNKNOWN_ORDER`).
    pub const fn code(&self) -> &'static str {
        match self {
            RouterError::InvalidLimits { .. } => "ROUTER_INVALID_LIMITS",
            RouterError::UnknownInstrument(_) => "ROUTER_UNKNOWN_INSTRUMENT",
            RouterError::UnknownVenue(_) => "ROUTER_UNKNOWN_VENUE",
            RouterError::UnknownGateway(_) => "ROUTER_UNKNOWN_GATEWAY",
            RouterError::UnknownOrder(_) => "ROUTER_UNKNOWN_ORDER",
            RouterError::InvalidTransition { .. } => "ROUTER_INVALID_TRANSITION",
            RouterError::BookLevel { .. } => "ROUTER_BOOK_LEVEL",
            RouterError::StaleSequence { .. } => "ROUTER_STALE_SEQUENCE",
            RouterError::InvalidOrder(_) => "ROUTER_INVALID_ORDER",
            RouterError::ParentsFull(_) => "ROUTER_PARENTS_FULL",
            RouterError::ChildrenFull(_) => "ROUTER_CHILDREN_FULL",
            RouterError::Overfill { .. } => "ROUTER_OVERFILL",
            RouterError::CreditReturn { .. } => "ROUTER_CREDIT_RETURN",
            RouterError::Risk { reason, .. } => reason.code(),
            RouterError::KillSwitch { .. } => "ROUTER_KILL_SWITCH",
            RouterError::LimitsVersion { .. } => "ROUTER_LIMITS_VERSION",
        }
    }

    /// The SBE `RejectReason` (`schemas/crossbar.xml`, uint16) to put in an OrderReject for a
    /// refused parent order, where one fits.
    pub const fn reject_reason(&self) -> u16 {
        match self {
            RouterError::UnknownInstrument(_) => 13,
            RouterError::UnknownOrder(_) => 15,
            RouterError::Risk { reason, .. } => match reason {
                RiskReason::MaxOrderQty => 1,
                RiskReason::MaxOrderNotional => 2,
                _ => 4,
            },
            RouterError::KillSwitch { .. } => 9,
            RouterError::ParentsFull(_) | RouterError::ChildrenFull(_) => 17,
            _ => 16,
        }
    }

    /// Index of this error's kind in [`crate::Counters::errors`].
    pub const fn kind_index(&self) -> usize {
        match self {
            RouterError::InvalidLimits { .. } => 0,
            RouterError::UnknownInstrument(_) => 1,
            RouterError::UnknownVenue(_) => 2,
            RouterError::UnknownGateway(_) => 3,
            RouterError::UnknownOrder(_) => 4,
            RouterError::InvalidTransition { .. } => 5,
            RouterError::BookLevel { .. } => 6,
            RouterError::StaleSequence { .. } => 7,
            RouterError::InvalidOrder(_) => 8,
            RouterError::ParentsFull(_) => 9,
            RouterError::ChildrenFull(_) => 10,
            RouterError::Overfill { .. } => 11,
            RouterError::CreditReturn { .. } => 12,
            RouterError::Risk { .. } => 13,
            RouterError::KillSwitch { .. } => 14,
            RouterError::LimitsVersion { .. } => 15,
        }
    }

    /// Number of error kinds ([`Self::kind_index`] is below this).
    pub const KINDS: usize = 16;
}

/// Checks `instrument` against `count`.
pub(crate) fn check_instrument(instrument: InstrumentId, count: u32) -> Result<usize, RouterError> {
    if instrument.0 < count {
        Ok(instrument.index())
    } else {
        Err(RouterError::UnknownInstrument(instrument.0))
    }
}

/// Checks `venue` against `count`.
pub(crate) fn check_venue(venue: VenueId, count: usize) -> Result<usize, RouterError> {
    if (venue.0 as usize) < count {
        Ok(venue.0 as usize)
    } else {
        Err(RouterError::UnknownVenue(venue.0))
    }
}
