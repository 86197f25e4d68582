//! [`Subscriber`]: one Aeron subscription delivering whole messages.

use crate::error::TransportError;
use crate::publisher::wait_until;
use crate::reassembly::{Fragment, FragmentOutcome, FragmentReassembler};
use crossbar_runtime::{Counter, CounterSet, IdleStrategy};
use rusteron_client::{AeronHeader, AeronSubscription};
use std::time::Duration;

/// Counters of one subscriber, labelled `sub.<name>.<suffix>`. The polling thread is their
/// only writer (relaxed load + store, `Counter::add_single_writer`): give every subscriber of a
/// process its own name.
#[derive(Clone, Debug)]
pub struct SubscriberCounters {
    /// Whole messages delivered to the handler.
    pub messages: Counter,
    /// Payload bytes delivered to the handler.
    pub bytes: Counter,
    /// Frames read from the log (≥ messages when messages are fragmented).
    pub fragments: Counter,
    /// Frames discarded by reassembly (gap, joined mid-message, over the size limit).
    pub discarded: Counter,
    /// Publisher images that became available (a publisher connected).
    pub images_available: Counter,
    /// Publisher images that went away (a publisher closed or timed out).
    pub images_unavailable: Counter,
}

impl SubscriberCounters {
    /// Registers the counters of subscriber `name` in `set`.
    pub fn register(set: &mut CounterSet, name: &str) -> Self {
        let mut c = |suffix: &str| set.register(&format!("sub.{name}.{suffix}"));
        Self {
            messages: c("messages"),
            bytes: c("bytes"),
            fragments: c("fragments"),
            discarded: c("discarded"),
            images_available: c("images_available"),
            images_unavailable: c("images_unavailable"),
        }
    }
}

/// A named Aeron subscription. `Send` (hand it to the agent thread that polls it), not
/// `Sync`: one thread polls a subscription (Aeron `Subscription` is not thread-safe).
pub struct Subscriber {
    subscription: AeronSubscription,
    reassembler: FragmentReassembler,
    name: String,
    channel: String,
    stream_id: i32,
    counters: SubscriberCounters,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("name", &self.name)
            .field("channel", &self.channel)
            .field("stream_id", &self.stream_id)
            .finish()
    }
}

/// Per-poll tallies, added to the shared counters once per poll rather than per message.
#[derive(Default)]
struct PollTally {
    messages: u64,
    bytes: u64,
    fragments: u64,
    discarded: u64,
}

impl Subscriber {
    pub(crate) fn new(
        subscription: AeronSubscription,
        name: &str,
        channel: &str,
        stream_id: i32,
        max_message_length: usize,
        counters: SubscriberCounters,
    ) -> Self {
        Self {
            subscription,
            reassembler: FragmentReassembler::new(max_message_length),
            name: name.to_owned(),
            channel: channel.to_owned(),
            stream_id,
            counters,
        }
    }

    /// Reads up to `fragment_limit` frames and calls `handler` with each whole message
    /// (fragmented messages are reassembled first). Returns the number of frames read: the
    /// work count for an idle strategy (0 = nothing arrived).
    ///
    /// # Errors
    /// [`TransportError::Poll`] if Aeron refuses the poll (the subscription was closed).
    #[inline]
    pub fn poll<F: FnMut(&[u8])>(
        &mut self,
        handler: &mut F,
        fragment_limit: usize,
    ) -> Result<usize, TransportError> {
        let mut tally = PollTally::default();
        let reassembler = &mut self.reassembler;
        let result = self.subscription.poll_fn(
            |payload: &[u8], header: AeronHeader| {
                on_frame(reassembler, &mut tally, handler, payload, &header)
            },
            fragment_limit,
        );
        self.flush(&tally);
        match result {
            Ok(fragments) => Ok(fragments.max(0) as usize),
            Err(e) => Err(TransportError::Poll {
                channel: self.channel.clone(),
                stream_id: self.stream_id,
                reason: e.to_string(),
            }),
        }
    }

    /// Waits until at least one publisher image is connected, idling with `idle`.
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
                kind: "subscription",
                channel: self.channel.clone(),
                stream_id: self.stream_id,
                timeout_ms,
            }
        })
    }

    /// `true` while at least one publisher image is connected.
    #[inline]
    pub fn is_connected(&self) -> bool {
        self.subscription.is_connected()
    }

    /// Number of connected publisher images (0 if Aeron cannot say).
    pub fn image_count(&self) -> usize {
        self.subscription
            .image_count()
            .map(|n| n.max(0) as usize)
            .unwrap_or(0)
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

    /// This subscriber's counters.
    pub fn counters(&self) -> &SubscriberCounters {
        &self.counters
    }

    #[inline]
    fn flush(&self, tally: &PollTally) {
        if tally.fragments == 0 {
            return;
        }
        // The polling thread is these counters' only writer (`poll` takes `&mut self` and a
        // `Subscriber` is not `Sync`).
        self.counters.fragments.add_single_writer(tally.fragments);
        self.counters.messages.add_single_writer(tally.messages);
        self.counters.bytes.add_single_writer(tally.bytes);
        if tally.discarded > 0 {
            self.counters.discarded.add_single_writer(tally.discarded);
        }
    }
}

#[inline]
fn on_frame<F: FnMut(&[u8])>(
    reassembler: &mut FragmentReassembler,
    tally: &mut PollTally,
    handler: &mut F,
    payload: &[u8],
    header: &AeronHeader,
) {
    tally.fragments += 1;
    let Ok(values) = header.get_values() else {
        tally.discarded += 1;
        return;
    };
    let frame = values.frame();
    let fragment = Fragment {
        flags: frame.flags(),
        session_id: frame.session_id(),
        term_offset: frame.term_offset(),
        next_term_offset: header.next_term_offset(),
        payload,
    };
    let mut deliver = |message: &[u8]| {
        tally.messages += 1;
        tally.bytes += message.len() as u64;
        handler(message);
    };
    if reassembler.on_fragment(fragment, &mut deliver) == FragmentOutcome::Discarded {
        tally.discarded += 1;
    }
}
