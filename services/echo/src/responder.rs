//! The responder agent: decode every request, re-encode it from the decoded value, echo it.

use crossbar_runtime::{Agent, Counter, CounterSet, IdleStrategy};
use crossbar_sbe::{decode, encode, DecodeError, Message};
use crossbar_transport::{PublishError, Publisher, Subscriber};

/// Messages polled per duty cycle (bounds the time one cycle can take).
const FRAGMENT_LIMIT: usize = 16;
/// Offer attempts for one echo before it is counted as dropped (back pressure retries).
const OFFER_ATTEMPTS: u32 = 10_000;

/// What the responder counted; also logged at shutdown.
#[derive(Clone, Debug)]
pub struct ResponderCounters {
    /// Buffers received on `requests`.
    pub received: Counter,
    /// Buffers that decoded into a [`Message`] and were echoed.
    pub echoed: Counter,
    /// Buffers refused by the decoder (counted, logged, skipped).
    pub malformed: Counter,
    /// Decoded messages whose echo could not be published within the retry bound.
    pub echo_failed: Counter,
}

impl ResponderCounters {
    /// Registers `echo.received`, `echo.echoed`, `echo.malformed`, `echo.echo_failed`.
    pub fn register(set: &mut CounterSet) -> Self {
        Self {
            received: set.register("echo.received"),
            echoed: set.register("echo.echoed"),
            malformed: set.register("echo.malformed"),
            echo_failed: set.register("echo.echo_failed"),
        }
    }
}

/// Polls `requests`, echoes each decodable message on `replies`.
pub struct Responder {
    requests: Subscriber,
    echo: Echo,
}

impl Responder {
    /// A responder over the given streams. `retry_idle` paces offer retries under back pressure.
    pub fn new(
        requests: Subscriber,
        replies: Publisher,
        counters: ResponderCounters,
        retry_idle: IdleStrategy,
    ) -> Self {
        let echo = Echo {
            replies,
            counters,
            retry_idle,
            scratch: vec![0; crate::MAX_MESSAGE_BYTES],
        };
        Self { requests, echo }
    }

    /// The counters.
    pub fn counters(&self) -> &ResponderCounters {
        &self.echo.counters
    }
}

/// Everything but the subscription, so the poll closure can borrow it while `requests` polls.
struct Echo {
    replies: Publisher,
    counters: ResponderCounters,
    retry_idle: IdleStrategy,
    scratch: Vec<u8>,
}

impl Echo {
    fn on_request(&mut self, bytes: &[u8]) {
        self.counters.received.increment();
        match decode(bytes) {
            Ok(message) => self.echo(&message),
            Err(error) => self.reject(bytes, error),
        }
    }

    fn echo(&mut self, message: &Message) {
        tracing::info!(kind = message.kind().name(), ?message, "decoded");
        let len = match encode(message, &mut self.scratch) {
            Ok(len) => len,
            Err(error) => {
                tracing::error!(%error, kind = message.kind().name(), "re-encode failed");
                self.counters.echo_failed.increment();
                return;
            }
        };
        match self.replies.offer_with_retry(
            &self.scratch[..len],
            OFFER_ATTEMPTS,
            &mut self.retry_idle,
        ) {
            Ok(_) => self.counters.echoed.increment(),
            Err(error) => self.echo_failed(message, error),
        }
    }

    fn echo_failed(&self, message: &Message, error: PublishError) {
        tracing::warn!(%error, kind = message.kind().name(), "echo not published");
        self.counters.echo_failed.increment();
    }

    fn reject(&self, bytes: &[u8], error: DecodeError) {
        tracing::warn!(%error, len = bytes.len(), "malformed request skipped");
        self.counters.malformed.increment();
    }
}

impl Agent for Responder {
    fn role_name(&self) -> &str {
        "echo-responder"
    }

    fn do_work(&mut self, _now_ns: u64) -> usize {
        let echo = &mut self.echo;
        match self
            .requests
            .poll(&mut |bytes: &[u8]| echo.on_request(bytes), FRAGMENT_LIMIT)
        {
            Ok(work) => work,
            Err(error) => {
                tracing::error!(%error, "poll failed");
                0
            }
        }
    }
}
