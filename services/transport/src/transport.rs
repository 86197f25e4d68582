//! [`Transport`]: an Aeron client (plus, when configured, the embedded driver it talks to)
//! and the factory for named publishers and subscribers.

use crate::config::{StreamConfig, TransportConfig};
use crate::driver::EmbeddedDriver;
use crate::error::TransportError;
use crate::publisher::{Publisher, PublisherCounters};
use crate::subscriber::{Subscriber, SubscriberCounters};
use crossbar_runtime::{Counter, CounterSet, IdleStrategy};
use rusteron_client::{Aeron, AeronContext, AeronImage, AeronSubscription, Handler, IntoCString};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// Largest message Aeron allows on any stream, bytes (Aeron `AERON_MAX_UDP_PAYLOAD`-free
/// limit `aeron_compute_max_message_length`: 16 MiB).
const MAX_MESSAGE_LENGTH_CAP: usize = 16 * 1024 * 1024;

/// An Aeron client connected to the embedded or an external media driver.
///
/// Field order is drop order: the client closes before the embedded driver stops. Handles
/// created from it (publishers, subscribers) keep the client alive until they drop, so drop
/// them before the `Transport` when the driver is embedded.
pub struct Transport {
    aeron: Aeron,
    config: TransportConfig,
    counters: CounterSet,
    client_errors: Counter,
    driver: Option<EmbeddedDriver>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("aeron_dir", &self.config.aeron_dir)
            .field("embedded_driver", &self.driver.is_some())
            .finish()
    }
}

impl Transport {
    /// Validates `config`, starts the embedded driver if `embedded_driver` is set, and
    /// connects a client to `aeron_dir`. Registers `transport.client_errors`.
    ///
    /// # Errors
    /// [`TransportError::InvalidConfig`], [`TransportError::DriverStart`], or
    /// [`TransportError::ClientConnect`] (no driver answered within `driver_timeout_ms`).
    pub fn start(config: TransportConfig) -> Result<Self, TransportError> {
        config.validate()?;
        let driver = if config.embedded_driver {
            Some(EmbeddedDriver::start(&config)?)
        } else {
            None
        };
        let mut counters = CounterSet::new();
        let client_errors = counters.register("transport.client_errors");
        let aeron = connect_client(&config, client_errors.clone())?;
        Ok(Self {
            aeron,
            config,
            counters,
            client_errors,
            driver,
        })
    }

    /// Adds the publication configured under `publications.<name>`.
    ///
    /// # Errors
    /// [`TransportError::UnknownStream`] if no such entry, else as
    /// [`Transport::add_publication_with`].
    pub fn add_publication(&mut self, name: &str) -> Result<Publisher, TransportError> {
        let stream = lookup(&self.config.publications, "publication", name)?;
        self.add_publication_with(name, &stream)
    }

    /// Adds a publication on `stream` whose counters are labelled `pub.<name>.*`. Waits (with
    /// the configured idle strategy, bounded by `driver_timeout_ms`) for the driver to confirm.
    ///
    /// # Errors
    /// [`TransportError::AddFailed`] with channel, stream id and Aeron's reason.
    pub fn add_publication_with(
        &mut self,
        name: &str,
        stream: &StreamConfig,
    ) -> Result<Publisher, TransportError> {
        let channel = channel_cstring("publication", name, stream)?;
        let failed = add_failed("publication", name, stream);
        let pending = self
            .aeron
            .async_add_publication(&channel, stream.stream_id)
            .map_err(|e| failed(errmsg(e)))?;
        let publication = self.await_added(|| pending.poll()).map_err(failed)?;
        let counters = PublisherCounters::register(&mut self.counters, name);
        Publisher::new(
            publication,
            name,
            &stream.channel,
            stream.stream_id,
            counters,
        )
    }

    /// Adds the subscription configured under `subscriptions.<name>`.
    ///
    /// # Errors
    /// [`TransportError::UnknownStream`] if no such entry, else as
    /// [`Transport::add_subscription_with`].
    pub fn add_subscription(&mut self, name: &str) -> Result<Subscriber, TransportError> {
        let stream = lookup(&self.config.subscriptions, "subscription", name)?;
        self.add_subscription_with(name, &stream)
    }

    /// Adds a subscription on `stream` whose counters are labelled `sub.<name>.*`, reassembling
    /// messages up to the larger configured term length / 8. Waits for the driver to confirm.
    ///
    /// # Errors
    /// [`TransportError::AddFailed`] with channel, stream id and Aeron's reason (e.g. the UDP
    /// port is taken).
    pub fn add_subscription_with(
        &mut self,
        name: &str,
        stream: &StreamConfig,
    ) -> Result<Subscriber, TransportError> {
        let channel = channel_cstring("subscription", name, stream)?;
        let failed = add_failed("subscription", name, stream);
        let counters = SubscriberCounters::register(&mut self.counters, name);
        let (available, unavailable) = (
            counters.images_available.clone(),
            counters.images_unavailable.clone(),
        );
        let (label_a, label_u) = (name.to_owned(), name.to_owned());
        let on_available = Handler::new(move |_s: AeronSubscription, image: AeronImage| {
            available.increment();
            tracing::info!(subscription = %label_a, session_id = image_session(&image), "image available");
        });
        let on_unavailable = Handler::new(move |_s: AeronSubscription, image: AeronImage| {
            unavailable.increment();
            tracing::info!(subscription = %label_u, session_id = image_session(&image), "image unavailable");
        });
        let pending = self
            .aeron
            .async_add_subscription(
                &channel,
                stream.stream_id,
                Some(&on_available),
                Some(&on_unavailable),
            )
            .map_err(|e| failed(errmsg(e)))?;
        let subscription = self.await_added(|| pending.poll()).map_err(failed)?;
        let max_message_length = (self
            .config
            .ipc_term_buffer_length
            .max(self.config.udp_term_buffer_length)
            / 8)
        .min(MAX_MESSAGE_LENGTH_CAP);
        Ok(Subscriber::new(
            subscription,
            name,
            &stream.channel,
            stream.stream_id,
            max_message_length,
            counters,
        ))
    }

    /// Every counter registered so far: `transport.client_errors`, then `pub.<name>.*` and
    /// `sub.<name>.*` in the order streams were added. Clone it to read from another thread
    /// (clones share the counter cells).
    pub fn counters(&self) -> &CounterSet {
        &self.counters
    }

    /// Errors the Aeron client reported asynchronously (also logged at error level).
    pub fn client_errors(&self) -> u64 {
        self.client_errors.get()
    }

    /// The configuration this transport was started with.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// The embedded driver, when this transport owns one.
    pub fn embedded_driver(&self) -> Option<&EmbeddedDriver> {
        self.driver.as_ref()
    }

    /// The underlying rusteron client, for Aeron features this crate does not wrap.
    pub fn aeron(&self) -> &Aeron {
        &self.aeron
    }

    /// A fresh idle strategy built from the configured `idle`.
    pub fn idle_strategy(&self) -> IdleStrategy {
        IdleStrategy::new(self.config.idle)
    }

    fn await_added<T>(
        &self,
        mut poll: impl FnMut() -> Result<Option<T>, rusteron_client::AeronCError>,
    ) -> Result<T, String> {
        let mut idle = self.idle_strategy();
        let deadline = Instant::now() + Duration::from_millis(self.config.driver_timeout_ms);
        loop {
            match poll() {
                Ok(Some(resource)) => return Ok(resource),
                Ok(None) if Instant::now() < deadline => idle.idle(0),
                Ok(None) => {
                    return Err(format!(
                        "timed out after {} ms",
                        self.config.driver_timeout_ms
                    ))
                }
                Err(e) => return Err(errmsg(e)),
            }
        }
    }
}

fn connect_client(config: &TransportConfig, errors: Counter) -> Result<Aeron, TransportError> {
    let aeron_dir = config.aeron_dir.to_string_lossy().into_owned();
    let failed = |e: rusteron_client::AeronCError| TransportError::ClientConnect {
        aeron_dir: aeron_dir.clone(),
        reason: errmsg(e),
    };
    let context = AeronContext::new().map_err(failed)?;
    context
        .set_dir(&aeron_dir.as_str().into_c_string())
        .map_err(failed)?;
    context
        .set_driver_timeout_ms(config.driver_timeout_ms)
        .map_err(failed)?;
    context
        .set_error_handler(Some(move |code: i32, message: &str| {
            errors.increment();
            tracing::error!(code, message, "aeron client error");
        }))
        .map_err(failed)?;
    let aeron = Aeron::new(&context).map_err(failed)?;
    aeron.start().map_err(failed)?;
    Ok(aeron)
}

fn lookup(
    map: &std::collections::BTreeMap<String, StreamConfig>,
    kind: &'static str,
    name: &str,
) -> Result<StreamConfig, TransportError> {
    map.get(name)
        .cloned()
        .ok_or_else(|| TransportError::UnknownStream {
            kind,
            name: name.to_owned(),
        })
}

fn channel_cstring(
    kind: &'static str,
    name: &str,
    stream: &StreamConfig,
) -> Result<CString, TransportError> {
    stream.validate(&format!("transport.{kind}s.{name}"))?;
    CString::new(stream.channel.as_str()).map_err(|e| TransportError::InvalidConfig {
        key: format!("transport.{kind}s.{name}.channel"),
        reason: e.to_string(),
    })
}

fn add_failed<'a>(
    kind: &'static str,
    name: &'a str,
    stream: &'a StreamConfig,
) -> impl Fn(String) -> TransportError + 'a {
    move |reason| TransportError::AddFailed {
        kind,
        name: name.to_owned(),
        channel: stream.channel.clone(),
        stream_id: stream.stream_id,
        reason,
    }
}

/// Aeron's error with the thread's last Aeron message attached (Aeron keeps it per thread,
/// so this must run on the thread that made the failing call).
fn errmsg(e: rusteron_client::AeronCError) -> String {
    e.capture_errmsg().to_string()
}

fn image_session(image: &AeronImage) -> i32 {
    image.get_constants().map(|c| c.session_id()).unwrap_or(-1)
}
