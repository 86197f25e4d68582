//! The one place the venue feed's sizes are set (TigerBeetle style), read once at start-up.

use crate::FeedError;

/// How much of the sequenced stream the venue keeps for retransmission
/// ([`crate::RetainedHistory`]). Both buffers are allocated once from these numbers, each
/// rounded up to a power of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Bytes of message data kept (message bodies only, no framing), at least
    /// [`HistoryLimits::MESSAGE_LEN_MAX`] so any one message fits.
    pub bytes: usize,
    /// Messages kept.
    pub messages: usize,
}

impl HistoryLimits {
    /// Largest message accepted, bytes: a MoldUDP64 message block's u16 length (spec
    /// "Message Block").
    pub const MESSAGE_LEN_MAX: usize = u16::MAX as usize;
    /// Ceiling on `bytes` (16 GiB).
    pub const BYTES_MAX: usize = 1 << 34;
    /// Ceiling on `messages` (2^28 = 268,435,456; 24 bytes of index each).
    pub const MESSAGES_MAX: usize = 1 << 28;

    /// Room for a whole synthetic test day: 1,000,000 messages (rounded up to 2^20), 64 MiB.
    pub const DEFAULT: HistoryLimits = HistoryLimits {
        bytes: 64 << 20,
        messages: 1_000_000,
    };

    /// Checks `MESSAGE_LEN_MAX <= bytes <= BYTES_MAX` and `1 <= messages <= MESSAGES_MAX`.
    ///
    /// # Errors
    /// [`FeedError::InvalidLimits`] naming the field.
    pub fn validate(&self) -> Result<(), FeedError> {
        check("bytes", self.bytes, Self::MESSAGE_LEN_MAX, Self::BYTES_MAX)?;
        check("messages", self.messages, 1, Self::MESSAGES_MAX)
    }
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// `Ok` when `min <= value <= max`, else [`FeedError::InvalidLimits`].
pub(crate) fn check(
    field: &'static str,
    value: usize,
    min: usize,
    max: usize,
) -> Result<(), FeedError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(FeedError::InvalidLimits {
            field,
            value: value as u64,
            min: min as u64,
            max: max as u64,
        })
    }
}

const _: () = assert!(HistoryLimits::MESSAGE_LEN_MAX <= HistoryLimits::BYTES_MAX);
const _: () = assert!(HistoryLimits::DEFAULT.bytes >= HistoryLimits::MESSAGE_LEN_MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_bounds() {
        assert!(HistoryLimits::DEFAULT.validate().is_ok());
        let small = HistoryLimits {
            bytes: 100,
            messages: 1,
        };
        assert_eq!(
            small.validate().unwrap_err().to_string(),
            "VFEED_INVALID_LIMITS field=bytes value=100 (valid 65535..=17179869184)"
        );
        let none = HistoryLimits {
            messages: 0,
            ..HistoryLimits::DEFAULT
        };
        assert!(matches!(
            none.validate(),
            Err(FeedError::InvalidLimits {
                field: "messages",
                ..
            })
        ));
    }
}
