//! [`Publisher`]: one Aeron publication with counted, typed outcomes.
//!
//! Back-pressure policy: an offer that Aeron refuses is NEVER dropped silently. The
//! publisher increments the outcome's counter and returns the [`PublishError`]; the caller
//! decides: retry later from its duty cycle (the usual choice for an agent, which must not
//! block), retry now with a bounded [`Publisher::offer_with_retry`], or treat it as fatal
//! (`Closed`, `MaxPositionExceeded`).

use crate::error::{PublishError, TransportError};
use crossbar_runtime::{Counter, CounterSet, IdleStrategy};
use rusteron_client::{AeronOfferError, AeronPublication};
use std::time::{Duration, Instant};

/// Counters of one publisher, labelled `pub.<name>.<suffix>`. `sent` and `sent_bytes`, bumped
/// on every accepted offer, are single-writer (relaxed load + store,
/// `Counter::add_single_writer`): exact when one thread offers at a time, which is how every
/// service here uses a publisher; the refusal counters are atomic adds. Give every publisher of
/// a process its own name.
#[derive(Clone, Debug)]
pub struct PublisherCounters {
    /// Messages accepted by Aeron.
    pub sent: Counter,
    /// Payload bytes accepted by Aeron.
    pub sent_bytes: Counter,
    /// Offers refused with back-pressure.
    pub back_pressured: Counter,
    /// Offers refused because no subscriber was connected.
    pub not_connected: Counter,
    /// Offers refused during an admin action (term rotation).
    pub admin_action: Counter,
    /// Offers refused because the publication is closed.
    pub closed: Counter,
    /// Offers refused because the stream reached its maximum position.
    pub max_position: Counter,
    /// Messages refused before offering because they exceed the maximum length.
    pub too_long: Counter,
    /// Any other Aeron error.
    pub error: Counter,
}

impl PublisherCounters {
    /// Registers the counters of publisher `name` in `set`.
    pub fn register(set: &mut CounterSet, name: &str) -> Self {
        let mut c = |suffix: &str| set.register(&format!("pub.{name}.{suffix}"));
        Self {
            sent: c("sent"),
            sent_bytes: c("sent_bytes"),
            back_pressured: c("back_pressured"),
            not_connected: c("not_connected"),
            admin_action: c("admin_action"),
            closed: c("closed"),
            max_position: c("max_position"),
            too_long: c("too_long"),
            error: c("error"),
        }
    }

    fn for_error(&self, error: &PublishError) -> &Counter {
        match error {
            PublishError::BackPressured => &self.back_pressured,
            PublishError::NotConnected => &self.not_connected,
            PublishError::AdminAction => &self.admin_action,
            PublishError::Closed => &self.closed,
            PublishError::MaxPositionExceeded => &self.max_position,
            PublishError::TooLong { .. } => &self.too_long,
            PublishError::Aeron { .. } => &self.error,
        }
    }
}

/// A named Aeron publication. `Send + Sync`: Aeron's concurrent publication may be offered
/// to from several threads; its `sent`/`sent_bytes` counters are exact only when the offers do
/// not overlap in time (one offering thread, or offers serialized by a lock), see
/// [`PublisherCounters`].
pub struct Publisher {
    publication: AeronPublication,
    name: String,
    channel: String,
    stream_id: i32,
    max_message_length: usize,
    max_payload_length: usize,
    counters: PublisherCounters,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("name", &self.name)
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .finish()
    }
}

impl Publisher {
    pub(crate) fn new(
        publication: AeronPublication,
        name: &str,
        channel: &str,
        stream_id: i32,
        counters: PublisherCounters,
    ) -> Result<Self, TransportError> {
        let constants = publication
            .get_constants()
            .map_err(|e| TransportError::AddFailed {
                kind: "publication",
                name: name.to_owned(),
                channel: channel.to_owned(),
                stream_id,
                reason: e.to_string(),
            })?;
        Ok(Self {
            max_message_length: constants.max_message_length(),
            max_payload_length: constants.max_payload_length(),
            publication,
            name: name.to_owned(),
            channel: channel.to_owned(),
            stream_id,
            counters,
        })
    }

    /// Copies `message` into the stream as one message (Aeron fragments it if it exceeds one
    /// frame). Returns the new stream position, bytes.
    ///
    /// # Errors
    /// The [`PublishError`] for a refused offer, after incrementing its counter. Nothing was
    /// published.
    #[inline]
    pub fn offer(&self, message: &[u8]) -> Result<u64, PublishError> {
        if message.len() > self.max_message_length {
            return Err(self.refused(PublishError::TooLong {
                length: message.len(),
                max_length: self.max_message_length,
            }));
        }
        match self.publication.offer(message) {
            Ok(position) => Ok(self.accepted(position, message.len())),
            Err(e) => Err(self.refused(map_offer_error(e))),
        }
    }

    /// Claims `length` bytes in the term buffer, lets `fill` write the message in place and
    /// commits it: no intermediate copy. `length` must fit one frame
    /// ([`Publisher::max_claim_length`], MTU − 32 bytes); if `fill` panics the claim is
    /// aborted (it becomes padding). Returns the new stream position, bytes.
    ///
    /// # Errors
    /// As [`Publisher::offer`]; `TooLong` if `length` exceeds one frame.
    #[inline]
    pub fn try_claim(
        &self,
        length: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<u64, PublishError> {
        if length > self.max_payload_length {
            return Err(self.refused(PublishError::TooLong {
                length,
                max_length: self.max_payload_length,
            }));
        }
        match self.publication.try_claim_owned(length) {
            Ok(mut claim) => {
                fill(claim.data());
                match claim.commit() {
                    Ok(position) => Ok(self.accepted(position, length)),
                    Err(e) => Err(self.refused(PublishError::Aeron {
                        code: i64::from(e.code),
                    })),
                }
            }
            Err(e) => Err(self.refused(map_offer_error(e))),
        }
    }

    /// Offers up to `max_attempts` times (at least once), calling `idle.idle(0)` after each
    /// back-pressured or admin-action refusal. Every refusal is counted. Other errors,
    /// including `NotConnected`, return at once.
    ///
    /// # Errors
    /// The last [`PublishError`] when the attempts run out, or the first non-transient one.
    pub fn offer_with_retry(
        &self,
        message: &[u8],
        max_attempts: u32,
        idle: &mut IdleStrategy,
    ) -> Result<u64, PublishError> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.offer(message) {
                Ok(position) => {
                    idle.reset();
                    return Ok(position);
                }
                Err(e) if e.is_transient() && attempts < max_attempts => idle.idle(0),
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits until at least one subscriber is connected, idling with `idle` between checks.
    ///
    /// # Errors
    /// [`TransportError::ConnectTimeout`] naming channel and stream id after `timeout`.
    pub fn wait_connected(
        &self,
        timeout: Duration,
        idle: &mut IdleStrategy,
    ) -> Result<(), TransportError> {
        wait_until(timeout, idle, || self.is_connected()).map_err(|timeout_ms| {
            TransportError::ConnectTimeout {
                kind: "publication",
                channel: self.channel.clone(),
                stream_id: self.stream_id,
                timeout_ms,
            }
        })
    }

    /// `true` while at least one subscriber is connected.
    #[inline]
    pub fn is_connected(&self) -> bool {
        self.publication.is_connected()
    }

    /// `true` once the publication is closed.
    pub fn is_closed(&self) -> bool {
        self.publication.is_closed()
    }

    /// Current stream position, bytes.
    pub fn position(&self) -> i64 {
        self.publication.position()
    }

    /// The longest message [`Publisher::offer`] accepts, bytes (`term length / 8`, ≤ 16 MiB).
    pub fn max_message_length(&self) -> usize {
        self.max_message_length
    }

    /// The longest message [`Publisher::try_claim`] accepts, bytes (MTU − 32).
    pub fn max_claim_length(&self) -> usize {
        self.max_payload_length
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The channel URI.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The stream id.
    pub fn stream_id(&self) -> i32 {
        self.stream_id
    }

    /// This publisher's counters.
    pub fn counters(&self) -> &PublisherCounters {
        &self.counters
    }

    #[inline]
    fn accepted(&self, position: i64, length: usize) -> u64 {
        self.counters.sent.increment_single_writer();
        self.counters.sent_bytes.add_single_writer(length as u64);
        position as u64
    }

    #[cold]
    fn refused(&self, error: PublishError) -> PublishError {
        self.counters.for_error(&error).increment();
        error
    }
}

fn map_offer_error(error: AeronOfferError) -> PublishError {
    match error {
        AeronOfferError::NotConnected => PublishError::NotConnected,
        AeronOfferError::BackPressured => PublishError::BackPressured,
        AeronOfferError::AdminAction => PublishError::AdminAction,
        AeronOfferError::Closed => PublishError::Closed,
        AeronOfferError::MaxPositionExceeded => PublishError::MaxPositionExceeded,
        AeronOfferError::Error(e) => PublishError::Aeron {
            code: i64::from(e.code),
        },
        _ => PublishError::Aeron { code: -6 },
    }
}

/// Polls `done` until it is true or `timeout` passes, idling in between. `Err` carries the
/// timeout in ms.
pub(crate) fn wait_until(
    timeout: Duration,
    idle: &mut IdleStrategy,
    mut done: impl FnMut() -> bool,
) -> Result<(), u64> {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            idle.reset();
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(timeout.as_millis() as u64);
        }
        idle.idle(0);
    }
}
