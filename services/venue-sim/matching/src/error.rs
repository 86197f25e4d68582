//! The engine's one error type and the OUCH reject reasons it maps to.

/// Which pre-sized table ran out, in [`MatchError::Capacity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Resting orders ([`crate::MatchingLimits::orders`]).
    Orders,
    /// One side's price levels ([`crate::MatchingLimits::levels_per_side`]).
    Levels,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resource::Orders => "orders",
            Resource::Levels => "levels_per_side",
        })
    }
}

/// Why a client order or replace was refused, as the session is told in
/// [`crate::PrivateEvent::Rejected`]. Each maps to a NASDAQ OUCH 5.0 Appendix D
/// "Order Reject Reasons" code via [`RejectReason::ouch_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// The instrument is not configured (OUCH 5.0 App. D `0x0017` Invalid Symbol).
    InvalidSymbol,
    /// Zero shares or more than the configured maximum (App. D `0x0013` Invalid Quantity).
    InvalidQuantity,
    /// Price not above zero (App. D `0x001D` Invalid Price).
    InvalidPrice,
    /// A pre-sized table is full (App. D `0x000A` Processing Error).
    ProcessingError,
}

impl RejectReason {
    /// The OUCH 5.0 Appendix D reject reason code.
    pub const fn ouch_code(self) -> u16 {
        match self {
            RejectReason::InvalidSymbol => 0x0017,
            RejectReason::InvalidQuantity => 0x0013,
            RejectReason::InvalidPrice => 0x001D,
            RejectReason::ProcessingError => 0x000A,
        }
    }
}

/// Why an engine call was not applied. A rejected call changes no book, session or numbering
/// state (only [`crate::MatchingCounters`]); the engine never panics on bad input.
///
/// Messages start with a stable code and carry `key=value` context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// The instrument id is not below [`crate::MatchingLimits::instruments`].
    #[error("MATCH_UNKNOWN_INSTRUMENT instrument={instrument} instruments={instruments}")]
    UnknownInstrument {
        /// The instrument id from the call.
        instrument: u32,
        /// The configured instrument count.
        instruments: u32,
    },
    /// The session id is not below [`crate::MatchingLimits::sessions`].
    #[error("MATCH_UNKNOWN_SESSION session={session} sessions={sessions}")]
    UnknownSession {
        /// The session id from the call.
        session: u16,
        /// The configured session count.
        sessions: u16,
    },
    /// Zero shares, or a seeded execute/cancel of zero shares.
    #[error("MATCH_ZERO_QTY")]
    ZeroQty,
    /// A client quantity above [`crate::MatchingLimits::order_qty_max`] (OUCH 5.0 §2.1).
    #[error("MATCH_QTY_TOO_LARGE qty={qty} max={max}")]
    QtyTooLarge {
        /// Shares asked for.
        qty: u32,
        /// The configured maximum.
        max: u32,
    },
    /// Price at or below zero (prices are 1/10,000 currency units).
    #[error("MATCH_INVALID_PRICE price={price}")]
    InvalidPrice {
        /// The price from the call, 1/10,000 units.
        price: i64,
    },
    /// The token is not above the last one this session used: OUCH 5.0 §1.2 requires
    /// UserRefNums to be "unique and strictly increasing" per port (lower ones are treated
    /// as retransmissions and ignored).
    #[error("MATCH_DUPLICATE_TOKEN session={session} token={token} last_token={last_token}")]
    DuplicateToken {
        /// The session.
        session: u16,
        /// The token from the call.
        token: u32,
        /// The highest token the session has used.
        last_token: u32,
    },
    /// Cancel or replace named a token with no live order (OUCH 5.0 §2.2 case 1 and §2.3:
    /// such requests are silently ignored by the venue).
    #[error("MATCH_UNKNOWN_TOKEN session={session} token={token}")]
    UnknownToken {
        /// The session.
        session: u16,
        /// The token from the call.
        token: u32,
    },
    /// A seeded event named an order reference the book does not hold.
    #[error("MATCH_UNKNOWN_ORDER order_ref={order_ref}")]
    UnknownOrder {
        /// The ITCH order reference number.
        order_ref: u64,
    },
    /// A seeded add or replace reused an order reference the book holds.
    #[error("MATCH_DUPLICATE_ORDER order_ref={order_ref}")]
    DuplicateOrder {
        /// The ITCH order reference number.
        order_ref: u64,
    },
    /// A seeded order reference or match number reaches into the client numbering range
    /// (see [`crate::MatchingConfig`]).
    #[error(
        "MATCH_SEED_NUMBER_IN_CLIENT_RANGE field={field} value={value} client_first={client_first}"
    )]
    SeedNumberInClientRange {
        /// `order_ref` or `match_number`.
        field: &'static str,
        /// The number from the seed event.
        value: u64,
        /// Start of the client range.
        client_first: u64,
    },
    /// A pre-sized table is full; nothing grew.
    #[error("MATCH_CAPACITY resource={resource} limit={limit} instrument={instrument}")]
    Capacity {
        /// Which table.
        resource: Resource,
        /// Its configured size.
        limit: u32,
        /// The instrument of the call.
        instrument: u32,
    },
    /// [`crate::MatchingConfig::validate`] failed.
    #[error("MATCH_INVALID_LIMITS field={field} value={value} max={max}")]
    InvalidLimits {
        /// The field out of range.
        field: &'static str,
        /// Its value.
        value: u64,
        /// Its largest allowed value (the smallest is 1).
        max: u64,
    },
}

impl MatchError {
    /// The stable code that starts the message, e.g. `"MATCH_UNKNOWN_TOKEN"`.
    pub const fn code(&self) -> &'static str {
        match self {
            MatchError::UnknownInstrument { .. } => "MATCH_UNKNOWN_INSTRUMENT",
            MatchError::UnknownSession { .. } => "MATCH_UNKNOWN_SESSION",
            MatchError::ZeroQty => "MATCH_ZERO_QTY",
            MatchError::QtyTooLarge { .. } => "MATCH_QTY_TOO_LARGE",
            MatchError::InvalidPrice { .. } => "MATCH_INVALID_PRICE",
            MatchError::DuplicateToken { .. } => "MATCH_DUPLICATE_TOKEN",
            MatchError::UnknownToken { .. } => "MATCH_UNKNOWN_TOKEN",
            MatchError::UnknownOrder { .. } => "MATCH_UNKNOWN_ORDER",
            MatchError::DuplicateOrder { .. } => "MATCH_DUPLICATE_ORDER",
            MatchError::SeedNumberInClientRange { .. } => "MATCH_SEED_NUMBER_IN_CLIENT_RANGE",
            MatchError::Capacity { .. } => "MATCH_CAPACITY",
            MatchError::InvalidLimits { .. } => "MATCH_INVALID_LIMITS",
        }
    }

    /// The reason a session is sent in an OUCH Rejected message (OUCH 5.0 §3.8), or `None`
    /// when the venue answers nothing: a duplicate token is taken for a retransmission
    /// (§1.2), a cancel or replace of an order that is not live is silently ignored (§2.2
    /// case 1, §2.3), and seed-side and start-up errors have no session.
    pub const fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            MatchError::UnknownInstrument { .. } => Some(RejectReason::InvalidSymbol),
            MatchError::ZeroQty | MatchError::QtyTooLarge { .. } => {
                Some(RejectReason::InvalidQuantity)
            }
            MatchError::InvalidPrice { .. } => Some(RejectReason::InvalidPrice),
            MatchError::Capacity { .. } => Some(RejectReason::ProcessingError),
            MatchError::UnknownSession { .. }
            | MatchError::DuplicateToken { .. }
            | MatchError::UnknownToken { .. }
            | MatchError::UnknownOrder { .. }
            | MatchError::DuplicateOrder { .. }
            | MatchError::SeedNumberInClientRange { .. }
            | MatchError::InvalidLimits { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_their_code_and_reasons_map_to_ouch() {
        let all = [
            MatchError::UnknownInstrument {
                instrument: 9,
                instruments: 2,
            },
            MatchError::UnknownSession {
                session: 3,
                sessions: 1,
            },
            MatchError::ZeroQty,
            MatchError::QtyTooLarge { qty: 5, max: 4 },
            MatchError::InvalidPrice { price: 0 },
            MatchError::DuplicateToken {
                session: 1,
                token: 2,
                last_token: 3,
            },
            MatchError::UnknownToken {
                session: 1,
                token: 2,
            },
            MatchError::UnknownOrder { order_ref: 4 },
            MatchError::DuplicateOrder { order_ref: 4 },
            MatchError::SeedNumberInClientRange {
                field: "order_ref",
                value: 5,
                client_first: 4,
            },
            MatchError::Capacity {
                resource: Resource::Levels,
                limit: 1,
                instrument: 0,
            },
            MatchError::InvalidLimits {
                field: "orders",
                value: 0,
                max: 1,
            },
        ];
        for e in all {
            let text = e.to_string();
            assert!(text.starts_with(e.code()), "{text}");
        }
        assert_eq!(
            MatchError::Capacity {
                resource: Resource::Orders,
                limit: 8,
                instrument: 1
            }
            .to_string(),
            "MATCH_CAPACITY resource=orders limit=8 instrument=1"
        );
        assert_eq!(
            MatchError::ZeroQty
                .reject_reason()
                .map(RejectReason::ouch_code),
            Some(0x0013)
        );
        assert_eq!(
            MatchError::UnknownToken {
                session: 0,
                token: 1
            }
            .reject_reason(),
            None
        );
        assert_eq!(RejectReason::InvalidSymbol.ouch_code(), 0x0017);
        assert_eq!(RejectReason::InvalidPrice.ouch_code(), 0x001D);
        assert_eq!(RejectReason::ProcessingError.ouch_code(), 0x000A);
    }
}
