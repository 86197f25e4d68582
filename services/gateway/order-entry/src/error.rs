//! The crate's one error type.

use crate::state::InvalidTransition;
use crossbar_model::OrderId;

/// Why the order-entry path could not process an input. Risk and venue rejections are not
/// errors: they are answered with an SBE OrderReject ([`crate::Outcome::Rejected`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderEntryError {
    /// The configuration is unusable.
    #[error("OE_CONFIG reason={reason}")]
    Config {
        /// Which rule failed.
        reason: &'static str,
    },
    /// The SBE input did not decode (malformed frame).
    #[error("OE_SBE_DECODE {0}")]
    SbeDecode(#[from] crossbar_sbe::DecodeError),
    /// An SBE message that is not an order request (template id given).
    #[error("OE_UNEXPECTED_SBE template_id={template_id}")]
    UnexpectedSbe {
        /// SBE templateId of the message.
        template_id: u16,
    },
    /// The venue message did not decode.
    #[error("OE_OUCH_DECODE {0}")]
    OuchDecode(#[from] crossbar_ouch::OuchError),
    /// The outbound SBE buffer is too small.
    #[error("OE_SBE_ENCODE needed={needed} available={available}")]
    SbeEncode {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The OUCH message could not be encoded (cannot happen for the router's fixed buffer; a
    /// negative price is refused by risk first).
    #[error("OE_OUCH_ENCODE {0}")]
    OuchEncode(crossbar_ouch::OuchError),
    /// A venue message for a UserRefNum this session has no live order for.
    #[error("OE_UNKNOWN_USER_REF_NUM user_ref_num={user_ref_num} message_type={message_type}")]
    UnknownUserRefNum {
        /// The UserRefNum.
        user_ref_num: u32,
        /// OUCH message type byte, as a char.
        message_type: char,
    },
    /// The venue message is not valid in the order's state.
    #[error("OE_INVALID_TRANSITION order_id={order_id} {transition}")]
    InvalidTransition {
        /// The child order.
        order_id: OrderId,
        /// State and event.
        transition: InvalidTransition,
    },
    /// Risk refused a state update it should have accepted (the two tables disagree).
    #[error("OE_RISK_STATE {0}")]
    RiskState(#[from] crossbar_risk::RiskStateError),
    /// The OUCH sink refused the packet (not logged in, back pressure).
    #[error("OE_SINK {0}")]
    Sink(crossbar_soupbintcp::SoupError),
    /// The UserRefNum space (u32) is used up for this session day.
    #[error("OE_USER_REF_NUM_EXHAUSTED last={last}")]
    UserRefNumExhausted {
        /// Last UserRefNum issued.
        last: u32,
    },
}
