//! The retransmission server agent: answers MoldUDP64 Request Packets (MoldUDP64 1.00
//! "Request Packet") from the retained history, one downstream packet per request, sent back
//! to the requester's address.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};

use crossbar_moldudp64::{
    PacketEncoder, PacketHeader, RequestPacket, Session, BLOCK_PREFIX_LEN, HEADER_LEN, REQUEST_LEN,
};
use crossbar_runtime::{Agent, Counter, CounterSet};

use crate::socket::bind_nonblocking;
use crate::{FeedError, SharedHistory};

/// How a [`RequestServer`] is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestServerConfig {
    /// The session requests must name; others are counted and ignored.
    pub session: Session,
    /// The request port's address, e.g. `0.0.0.0:18001` (port 0 lets the OS choose).
    pub bind: SocketAddr,
    /// Most messages returned for one request (the requested count is capped to it; default
    /// 1,000). The answer is further limited to what fits one packet.
    pub request_count_max: u16,
    /// Largest UDP payload of an answer, bytes (23..=65,507; default 1,400).
    pub max_payload: usize,
    /// Most requests read per duty cycle (default 64).
    pub requests_per_duty_cycle_max: usize,
}

impl RequestServerConfig {
    /// Defaults for `session` listening on `bind`: 1,000 messages per request, 1,400-byte
    /// packets, 64 requests per duty cycle.
    pub fn new(session: Session, bind: SocketAddr) -> Self {
        Self {
            session,
            bind,
            request_count_max: 1_000,
            max_payload: 1_400,
            requests_per_duty_cycle_max: 64,
        }
    }
}

/// The request server's counters, registered under `venue_feed.request.*`.
#[derive(Clone, Debug)]
pub struct RequestServerCounters {
    /// Datagrams received on the request port.
    pub received: Counter,
    /// Requests answered with at least one message.
    pub answered: Counter,
    /// Messages sent in answers.
    pub messages_resent: Counter,
    /// Datagrams that are not a 20-byte Request Packet, or ask for sequence 0 or count 0.
    pub malformed: Counter,
    /// Requests naming another session.
    pub foreign_session: Counter,
    /// Requests whose count was above `request_count_max` (answered, capped).
    pub capped: Counter,
    /// Requests starting before the oldest retained message (answered from it, if any).
    pub evicted: Counter,
    /// Requests with nothing retained to answer (all evicted, or not yet sequenced).
    pub unavailable: Counter,
    /// Answers lost because the socket would block or the send failed.
    pub send_failed: Counter,
}

impl RequestServerCounters {
    /// Registers the counters in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |label: &str| set.register(&format!("venue_feed.request.{label}"));
        Self {
            received: c("received"),
            answered: c("answered"),
            messages_resent: c("messages_resent"),
            malformed: c("malformed"),
            foreign_session: c("foreign_session"),
            capped: c("capped"),
            evicted: c("evicted"),
            unavailable: c("unavailable"),
            send_failed: c("send_failed"),
        }
    }
}

/// Answers MoldUDP64 retransmission requests from a [`SharedHistory`].
///
/// Policy for messages no longer retained: a request whose start was evicted is answered from
/// the oldest retained message inside the requested range (the packet header says where it
/// starts, so the requester sees the remaining gap); a request with no retained message in
/// its range gets no answer. Both cases are counted.
pub struct RequestServer {
    config: RequestServerConfig,
    socket: UdpSocket,
    history: SharedHistory,
    counters: RequestServerCounters,
    /// The answer being built, `max_payload` bytes reserved once.
    answer: Vec<u8>,
}

impl RequestServer {
    /// Binds the request port (non-blocking).
    ///
    /// # Errors
    /// [`FeedError::Mold`] for a bad `max_payload`; [`FeedError::InvalidLimits`] for a zero
    /// `request_count_max` or `requests_per_duty_cycle_max`; [`FeedError::Socket`].
    pub fn new(
        config: RequestServerConfig,
        history: SharedHistory,
        counters: &mut CounterSet,
    ) -> Result<Self, FeedError> {
        crate::limits::check(
            "request_count_max",
            usize::from(config.request_count_max),
            1,
            usize::from(u16::MAX - 1),
        )?;
        crate::limits::check(
            "requests_per_duty_cycle_max",
            config.requests_per_duty_cycle_max,
            1,
            1 << 20,
        )?;
        // Validates max_payload with the framing crate's rule (23..=65,507).
        PacketEncoder::new(config.session, 1, config.max_payload)?;
        let socket = bind_nonblocking(config.bind)?;
        Ok(Self {
            config,
            socket,
            history,
            counters: RequestServerCounters::register(counters),
            answer: Vec::with_capacity(config.max_payload),
        })
    }

    /// The bound request address (for a port chosen by the OS).
    ///
    /// # Errors
    /// The OS error.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The counters.
    pub fn counters(&self) -> &RequestServerCounters {
        &self.counters
    }

    /// Validates one request datagram and, if it is answerable, sends the answer to `from`.
    fn serve(&mut self, datagram: &[u8], from: SocketAddr) {
        self.counters.received.increment();
        let Ok(request) = RequestPacket::decode(datagram) else {
            self.counters.malformed.increment();
            return;
        };
        if request.session != self.config.session {
            self.counters.foreign_session.increment();
            return;
        }
        if request.sequence_number == 0 || request.requested_count == 0 {
            self.counters.malformed.increment();
            return;
        }
        let count = if request.requested_count > self.config.request_count_max {
            self.counters.capped.increment();
            self.config.request_count_max
        } else {
            request.requested_count
        };
        let packed = self.fill(request.sequence_number, count);
        if packed == 0 {
            self.counters.unavailable.increment();
            return;
        }
        match self.socket.send_to(&self.answer, from) {
            Ok(_) => {
                self.counters.answered.increment();
                self.counters.messages_resent.add(u64::from(packed));
            }
            Err(_) => self.counters.send_failed.increment(),
        }
    }

    /// Builds the answer packet (MoldUDP64 "Downstream Packet": header, then `u16 length +
    /// data` blocks) for up to `count` messages from `first` in `self.answer`, within
    /// `max_payload` bytes; returns the messages packed. Does not allocate.
    fn fill(&mut self, first: u64, count: u16) -> u16 {
        let history = self.history.lock();
        let start = first.max(history.first_sequence_number());
        if start > first {
            self.counters.evicted.increment();
        }
        let end = first
            .saturating_add(u64::from(count))
            .min(history.next_sequence_number());
        self.answer.clear();
        self.answer.extend_from_slice(&[0u8; HEADER_LEN]);
        let mut packed: u16 = 0;
        for seq in start..end {
            let Some(message) = history.get(seq) else {
                break;
            };
            if self.answer.len() + BLOCK_PREFIX_LEN + message.len() > self.config.max_payload {
                break;
            }
            self.answer
                .extend_from_slice(&(message.len() as u16).to_be_bytes());
            self.answer.extend_from_slice(message);
            packed += 1;
        }
        let header = PacketHeader {
            session: self.config.session,
            sequence_number: start,
            message_count: packed,
        };
        self.answer[..HEADER_LEN].copy_from_slice(&header.encode());
        debug_assert!(self.answer.len() <= self.config.max_payload);
        packed
    }
}

impl Agent for RequestServer {
    fn role_name(&self) -> &str {
        "vfeed-request"
    }

    /// Reads up to `requests_per_duty_cycle_max` datagrams and answers each; returns the
    /// datagrams read.
    fn do_work(&mut self, _now_ns: u64) -> usize {
        let mut buf = [0u8; REQUEST_LEN + 1];
        let mut n = 0;
        while n < self.config.requests_per_duty_cycle_max {
            match self.socket.recv_from(&mut buf) {
                Ok((len, from)) => {
                    n += 1;
                    // A datagram longer than the buffer is truncated to 21 bytes: still
                    // rejected by RequestPacket::decode as the wrong length.
                    self.serve(&buf[..len.min(buf.len())], from);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.counters.malformed.increment();
                    n += 1;
                }
            }
        }
        n
    }
}
