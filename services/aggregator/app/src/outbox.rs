//! One gateway's orders stream with its back-pressure queue. A message Aeron refuses
//! (back pressure, term rotation, or no subscriber yet: a gateway that has not connected
//! still needs its start-up credit) is queued and retried, in order, every duty cycle; while
//! anything is queued new messages queue behind it, so the gateway sees commands in the
//! order the router emitted them. The queue is a byte ring allocated at start-up; a message
//! that does not fit is counted (`outbox.<gateway>.overflow`) and logged as an error with
//! its bytes' kind, never dropped silently.

use std::collections::VecDeque;

use crossbar_runtime::{Counter, CounterSet};
use crossbar_transport::{PublishError, Publisher};

use crate::codec::COMMAND_BYTES_MAX;

/// Counters of one outbox, labelled `outbox.<gateway_id>.<name>`. The router thread is their
/// only writer (`published`, bumped per message, uses `Counter::increment_single_writer`).
#[derive(Clone, Debug)]
pub struct OutboxCounters {
    /// Messages published (at once or after queueing).
    pub published: Counter,
    /// Messages queued because Aeron refused them.
    pub queued: Counter,
    /// Messages lost because the queue was full (also logged).
    pub overflow: Counter,
    /// Messages lost to a fatal publication error (closed, too long; logged).
    pub failed: Counter,
    /// Heartbeats Aeron refused (heartbeats are not queued: the next one follows).
    pub heartbeats_refused: Counter,
}

impl OutboxCounters {
    /// Registers the counters of gateway `gateway_id`'s outbox.
    pub fn register(set: &mut CounterSet, gateway_id: u16) -> Self {
        let mut c = |n: &str| set.register(&format!("outbox.{gateway_id}.{n}"));
        Self {
            published: c("published"),
            queued: c("queued"),
            overflow: c("overflow"),
            failed: c("failed"),
            heartbeats_refused: c("heartbeats_refused"),
        }
    }
}

/// The orders publication of one gateway and its queue.
pub struct Outbox {
    gateway_id: u16,
    publisher: Publisher,
    queue: VecDeque<u8>,
    capacity: usize,
    scratch: [u8; COMMAND_BYTES_MAX],
    counters: OutboxCounters,
}

impl Outbox {
    /// An outbox over `publisher` holding up to `capacity_bytes` of queued messages.
    pub fn new(
        gateway_id: u16,
        publisher: Publisher,
        capacity_bytes: usize,
        counters: OutboxCounters,
    ) -> Self {
        Self {
            gateway_id,
            publisher,
            queue: VecDeque::with_capacity(capacity_bytes),
            capacity: capacity_bytes,
            scratch: [0; COMMAND_BYTES_MAX],
            counters,
        }
    }

    /// The gateway this outbox publishes to.
    pub fn gateway_id(&self) -> u16 {
        self.gateway_id
    }

    /// Bytes queued.
    pub fn queued_bytes(&self) -> usize {
        self.queue.len()
    }

    /// Publishes `message` now, or queues it behind earlier refused ones.
    pub fn send(&mut self, message: &[u8]) {
        debug_assert!(message.len() <= COMMAND_BYTES_MAX);
        if self.queue.is_empty() {
            match self.publisher.offer(message) {
                Ok(_) => {
                    self.counters.published.increment_single_writer();
                    return;
                }
                Err(e) if !retryable(&e) => {
                    self.fail(&e, message.len());
                    return;
                }
                Err(_) => {}
            }
        }
        if self.queue.len() + 2 + message.len() > self.capacity {
            self.counters.overflow.increment();
            tracing::error!(
                gateway_id = self.gateway_id,
                len = message.len(),
                queued_bytes = self.queue.len(),
                "AGG_OUTBOX_OVERFLOW message lost: the gateway's orders stream has been refusing for too long"
            );
            return;
        }
        self.queue
            .extend((message.len() as u16).to_le_bytes().iter().chain(message));
        self.counters.queued.increment();
    }

    /// Offers queued messages in order until Aeron refuses one. Returns how many went out.
    pub fn retry(&mut self) -> usize {
        let mut sent = 0;
        while self.queue.len() >= 2 {
            let len = u16::from_le_bytes([self.queue[0], self.queue[1]]) as usize;
            for (k, b) in self.queue.iter().skip(2).take(len).enumerate() {
                self.scratch[k] = *b;
            }
            match self.publisher.offer(&self.scratch[..len]) {
                Ok(_) => self.counters.published.increment_single_writer(),
                Err(e) if retryable(&e) => break,
                Err(e) => self.fail(&e, len),
            }
            self.queue.drain(..2 + len);
            sent += 1;
        }
        sent
    }

    /// Offers a heartbeat (not queued when refused).
    pub fn heartbeat(&mut self, message: &[u8]) {
        if self.publisher.offer(message).is_err() {
            self.counters.heartbeats_refused.increment();
        }
    }

    fn fail(&self, e: &PublishError, len: usize) {
        self.counters.failed.increment();
        tracing::error!(gateway_id = self.gateway_id, len, error = %e, "AGG_PUBLISH_FAILED message lost");
    }
}

fn retryable(e: &PublishError) -> bool {
    e.is_transient() || matches!(e, PublishError::NotConnected)
}
