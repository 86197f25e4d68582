//! The initiator: send one of every message type, wait for each echo, compare field by field.

use crate::config::EchoConfig;
use crate::malformed::malformed_probes;
use crate::{MAX_MESSAGE_BYTES, REPLIES, REQUESTS};
use crossbar_runtime::IdleStrategy;
use crossbar_sbe::{decode, encode, sample_messages, Message, MessageKind};
use crossbar_transport::{Publisher, Subscriber, Transport, TransportError};
use std::time::{Duration, Instant};

/// Offer attempts per message before the exchange fails (back pressure retries).
const OFFER_ATTEMPTS: u32 = 100_000;

/// The outcome of one message's round trip.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Message type sent.
    pub kind: MessageKind,
    /// Encoded size, bytes.
    pub bytes: usize,
    /// Round trip from offer to decoded echo, ns; `None` when no echo arrived.
    pub round_trip_ns: Option<u64>,
    /// `None` when the echo equals what was sent; otherwise what went wrong.
    pub failure: Option<String>,
}

/// Everything one initiator run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// Label of the transport (e.g. `ipc`, `udp`).
    pub label: String,
    /// One entry per message sent, in order.
    pub exchanges: Vec<Exchange>,
    /// Malformed buffers sent before the messages.
    pub malformed_sent: usize,
}

impl Report {
    /// True when every message came back equal.
    pub fn all_ok(&self) -> bool {
        !self.exchanges.is_empty() && self.exchanges.iter().all(|e| e.failure.is_none())
    }
}

/// Why the initiator could not run the exchange at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitiatorError {
    /// Streams could not be added or did not connect.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A request could not be published within the retry bound.
    #[error("ECHO_PUBLISH_FAILED kind={kind} reason={reason}")]
    Publish {
        /// Message type.
        kind: &'static str,
        /// The publish error.
        reason: String,
    },
}

/// The label used in result lines: the configured one, else `ipc`/`udp` from the channel.
pub fn label_for(config: &EchoConfig) -> String {
    if let Some(label) = &config.echo.label {
        return label.clone();
    }
    match config.transport.publications.get(REQUESTS) {
        Some(s) if s.channel.starts_with("aeron:ipc") => "ipc".to_owned(),
        Some(s) if s.channel.starts_with("aeron:udp") => "udp".to_owned(),
        _ => "aeron".to_owned(),
    }
}

/// Runs the exchange over `transport`, whose config names `requests` (publication) and
/// `replies` (subscription).
///
/// # Errors
/// [`InitiatorError`] if streams cannot be set up or a request cannot be published; a missing
/// or different echo is not an error but a failed [`Exchange`] in the report.
pub fn run(config: &EchoConfig, transport: &mut Transport) -> Result<Report, InitiatorError> {
    let publisher = transport.add_publication(REQUESTS)?;
    let mut subscriber = transport.add_subscription(REPLIES)?;
    let mut idle = IdleStrategy::new(config.echo.idle);
    let connect_timeout = Duration::from_millis(config.echo.connect_timeout_ms);
    publisher.wait_connected(connect_timeout, &mut idle)?;
    subscriber.wait_connected(connect_timeout, &mut idle)?;

    let mut malformed_sent = 0;
    if config.echo.send_malformed {
        for probe in malformed_probes() {
            offer(&publisher, &probe.bytes, probe.description, &mut idle)?;
            malformed_sent += 1;
        }
    }
    let reply_timeout = Duration::from_millis(config.echo.reply_timeout_ms);
    let samples = sample_messages();
    let mut exchanges = Vec::with_capacity(samples.len() * config.echo.rounds as usize);
    let mut buf = vec![0u8; MAX_MESSAGE_BYTES];
    for _round in 0..config.echo.rounds {
        for sent in &samples {
            let len = encode(sent, &mut buf).map_err(|e| InitiatorError::Publish {
                kind: sent.kind().name(),
                reason: e.to_string(),
            })?;
            let started = Instant::now();
            offer(&publisher, &buf[..len], sent.kind().name(), &mut idle)?;
            let echo = await_reply(&mut subscriber, reply_timeout, &mut idle);
            exchanges.push(judge(sent, len, echo, started));
        }
    }
    Ok(Report {
        label: label_for(config),
        exchanges,
        malformed_sent,
    })
}

fn offer(
    publisher: &Publisher,
    bytes: &[u8],
    what: &'static str,
    idle: &mut IdleStrategy,
) -> Result<(), InitiatorError> {
    publisher
        .offer_with_retry(bytes, OFFER_ATTEMPTS, idle)
        .map(|_| ())
        .map_err(|e| InitiatorError::Publish {
            kind: what,
            reason: e.to_string(),
        })
}

fn await_reply(
    subscriber: &mut Subscriber,
    timeout: Duration,
    idle: &mut IdleStrategy,
) -> Option<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut reply = None;
    while reply.is_none() && Instant::now() < deadline {
        let work = subscriber
            .poll(&mut |bytes: &[u8]| reply = Some(bytes.to_vec()), 1)
            .unwrap_or(0);
        idle.idle(work);
    }
    reply
}

fn judge(sent: &Message, len: usize, echo: Option<Vec<u8>>, started: Instant) -> Exchange {
    let round_trip_ns = Some(started.elapsed().as_nanos() as u64);
    let failure = match echo {
        None => {
            return Exchange {
                kind: sent.kind(),
                bytes: len,
                round_trip_ns: None,
                failure: Some("no echo before the reply timeout".into()),
            }
        }
        Some(bytes) => match decode(&bytes) {
            Ok(received) if &received == sent => None,
            Ok(received) => Some(format!("echo differs: sent {sent:?} received {received:?}")),
            Err(error) => Some(format!("echo does not decode: {error}")),
        },
    };
    Exchange {
        kind: sent.kind(),
        bytes: len,
        round_trip_ns,
        failure,
    }
}
