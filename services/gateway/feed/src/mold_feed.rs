//! The MoldUDP64 feed agent: the sockets, the duty cycle, the counters.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

use crossbar_moldudp64::{Packet, Session, UDP_PAYLOAD_MAX};
use crossbar_runtime::{Agent, Counter, CounterSet};

use crate::pipeline::{deliver_pipelined, PREFETCH_DISTANCE};
use crate::socket::{open_feed_socket, socket_error};
use crate::{
    FeedError, FeedHandler, FeedLimits, FeedState, RecoveryPolicy, SequenceTracker, Verdict,
};

/// Where a [`MoldFeed`] listens and whom it asks for retransmissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoldFeedConfig {
    /// The feed's address: a multicast group and port (the socket binds `0.0.0.0:port` and
    /// joins the group on `interface`), or a unicast address and port to bind (port 0 lets
    /// the OS choose; see [`MoldFeed::feed_local_addr`]).
    pub feed_addr: SocketAddrV4,
    /// Local interface address used to join the multicast group and to bind the request
    /// socket (`0.0.0.0`: the OS default).
    pub interface: Ipv4Addr,
    /// The venue's MoldUDP64 request server (MoldUDP64 "Request Packet"); retransmissions
    /// come back to the request socket from this address.
    pub request_server: SocketAddr,
    /// The session to follow; `None` adopts the first packet's session.
    pub session: Option<Session>,
    /// The first sequence number expected (1 to follow a session from its start).
    pub first_sequence_number: u64,
    /// Buffer sizes and the per-cycle bound.
    pub limits: FeedLimits,
    /// Re-request timing.
    pub recovery: RecoveryPolicy,
}

/// The feed's counters, registered in a [`CounterSet`] under `<prefix>.<name>`.
#[derive(Clone, Debug)]
pub struct FeedCounters {
    /// Datagrams received on either socket.
    pub packets: Counter,
    /// ITCH messages delivered to the handler.
    pub messages: Counter,
    /// Datagram payload bytes received.
    pub bytes: Counter,
    /// Datagrams that are not valid MoldUDP64 packets (skipped).
    pub malformed: Counter,
    /// Messages in valid packets that ITCH 5.0 could not decode (skipped; the sequence
    /// number is still consumed).
    pub itch_errors: Counter,
    /// Packets (or buffered packets) that carried nothing new.
    pub duplicates: Counter,
    /// Packets ahead of a gap dropped because the reorder buffer was full.
    pub reorder_dropped: Counter,
    /// Packets of another MoldUDP64 session.
    pub wrong_session: Counter,
    /// Gaps opened.
    pub gaps_opened: Counter,
    /// Gaps filled.
    pub gaps_recovered: Counter,
    /// Gaps declared unrecoverable.
    pub gaps_failed: Counter,
    /// Request packets sent.
    pub requests_sent: Counter,
    /// Request attempts that timed out.
    pub request_timeouts: Counter,
    /// Socket receive/send errors other than "would block".
    pub socket_errors: Counter,
}

impl FeedCounters {
    /// Registers every counter in `set` as `<prefix>.packets`, `<prefix>.messages`, ...
    pub fn register(set: &mut CounterSet, prefix: &str) -> Self {
        let mut c = |name: &str| set.register(&format!("{prefix}.{name}"));
        Self {
            packets: c("packets"),
            messages: c("messages"),
            bytes: c("bytes"),
            malformed: c("malformed"),
            itch_errors: c("itch_errors"),
            duplicates: c("duplicates"),
            reorder_dropped: c("reorder_dropped"),
            wrong_session: c("wrong_session"),
            gaps_opened: c("gaps_opened"),
            gaps_recovered: c("gaps_recovered"),
            gaps_failed: c("gaps_failed"),
            requests_sent: c("requests_sent"),
            request_timeouts: c("request_timeouts"),
            socket_errors: c("socket_errors"),
        }
    }

    /// Copies the tracker's monotonic counts (they only grow, so `record_max` publishes them).
    fn publish(&self, tracker: &SequenceTracker) {
        let t = tracker.counters();
        self.duplicates.record_max(t.duplicates);
        self.reorder_dropped.record_max(t.dropped);
        self.wrong_session.record_max(t.wrong_session);
        self.gaps_opened.record_max(t.gaps_opened);
        self.gaps_recovered.record_max(t.gaps_recovered);
        self.gaps_failed.record_max(t.gaps_failed);
        self.requests_sent.record_max(t.requests_sent);
        self.request_timeouts.record_max(t.request_timeouts);
    }
}

/// The feed agent: receives MoldUDP64 datagrams, sequences them with a [`SequenceTracker`],
/// re-requests gaps from the request server, and hands in-order ITCH 5.0 messages and state
/// changes to `H`. Everything is allocated in [`MoldFeed::new`]; a duty cycle reads at most
/// `limits.datagrams_per_cycle` datagrams per socket into one buffer and allocates nothing.
#[derive(Debug)]
pub struct MoldFeed<H> {
    name: String,
    feed: UdpSocket,
    feed_receive_buffer_bytes: usize,
    request: UdpSocket,
    buf: Vec<u8>,
    datagrams_per_cycle: usize,
    tracker: SequenceTracker,
    last_state: FeedState,
    handler: H,
    counters: FeedCounters,
}

impl<H: FeedHandler> MoldFeed<H> {
    /// Opens the sockets (both non-blocking; the feed socket joins `feed_addr` when it is a
    /// multicast group, with `SO_REUSEADDR`; its `SO_RCVBUF` is
    /// [`FeedLimits::receive_buffer_bytes`]; the request socket is connected to
    /// `request_server`), allocates the
    /// buffers, and registers counters under `name` in `counters`.
    ///
    /// # Errors
    /// [`FeedError::InvalidLimits`] for bad limits; [`FeedError::Socket`] when a socket
    /// cannot be bound, joined, connected or made non-blocking.
    pub fn new(
        name: &str,
        config: MoldFeedConfig,
        handler: H,
        counters: &mut CounterSet,
    ) -> Result<Self, FeedError> {
        let tracker = SequenceTracker::new(
            config.session,
            config.first_sequence_number,
            config.limits,
            config.recovery,
        )?;
        let feed = open_feed_socket(
            config.feed_addr,
            config.interface,
            config.limits.receive_buffer_bytes,
        )?;
        let request_bind = SocketAddrV4::new(config.interface, 0);
        let request =
            UdpSocket::bind(request_bind).map_err(socket_error("bind_request", request_bind))?;
        request
            .connect(config.request_server)
            .map_err(socket_error("connect_request", config.request_server))?;
        request
            .set_nonblocking(true)
            .map_err(socket_error("nonblocking_request", config.request_server))?;
        Ok(Self {
            name: name.to_owned(),
            feed: feed.socket,
            feed_receive_buffer_bytes: feed.receive_buffer_bytes,
            request,
            // One byte more than the largest UDP payload, so no datagram is ever truncated.
            buf: vec![0; UDP_PAYLOAD_MAX + 1],
            datagrams_per_cycle: config.limits.datagrams_per_cycle,
            last_state: tracker.state(),
            tracker,
            handler,
            counters: FeedCounters::register(counters, name),
        })
    }

    /// The feed socket's kernel receive buffer as granted (`SO_RCVBUF` read back after
    /// setting [`FeedLimits::receive_buffer_bytes`]), bytes; Linux reports twice the usable
    /// size, so a granted request reads as at least the request.
    pub fn feed_receive_buffer_bytes(&self) -> usize {
        self.feed_receive_buffer_bytes
    }

    /// The feed socket's bound address (the port the OS chose when `feed_addr` had port 0).
    ///
    /// # Errors
    /// The OS error.
    pub fn feed_local_addr(&self) -> std::io::Result<SocketAddr> {
        self.feed.local_addr()
    }

    /// The request socket's bound address (where retransmissions arrive).
    ///
    /// # Errors
    /// The OS error.
    pub fn request_local_addr(&self) -> std::io::Result<SocketAddr> {
        self.request.local_addr()
    }

    /// The sequencing state machine.
    pub fn tracker(&self) -> &SequenceTracker {
        &self.tracker
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The handler, mutably (e.g. to drain recorded level updates between cycles).
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The counters.
    pub fn counters(&self) -> &FeedCounters {
        &self.counters
    }

    /// Reads up to `datagrams_per_cycle` datagrams from one socket; returns how many.
    fn drain(&mut self, from_request_socket: bool, now_ns: u64) -> usize {
        let mut received = 0;
        while received < self.datagrams_per_cycle {
            let socket = if from_request_socket {
                &self.request
            } else {
                &self.feed
            };
            match socket.recv(&mut self.buf) {
                Ok(len) => {
                    received += 1;
                    self.on_datagram(len, now_ns);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    // E.g. ICMP port unreachable from the request server, reported on the
                    // connected request socket: counted, retried by the timers.
                    self.counters.socket_errors.increment();
                    tracing::debug!(feed = %self.name, error = %e, "feed socket error");
                    break;
                }
            }
        }
        received
    }

    fn on_datagram(&mut self, len: usize, now_ns: u64) {
        self.counters.packets.increment();
        self.counters.bytes.add(len as u64);
        let bytes = &self.buf[..len];
        let packet = match Packet::parse(bytes) {
            Ok(p) => p,
            Err(e) => {
                self.counters.malformed.increment();
                tracing::debug!(feed = %self.name, error = %e, "malformed MoldUDP64 datagram");
                return;
            }
        };
        if let Verdict::Deliver { skip } = self.tracker.on_packet(&packet.header, bytes) {
            deliver(&packet, skip, &mut self.handler, &self.counters, now_ns);
        }
        while let Some((buffered, skip)) = self.tracker.pop_ready() {
            if let Ok(packet) = Packet::parse(buffered) {
                deliver(&packet, skip, &mut self.handler, &self.counters, now_ns);
            }
        }
        self.notify_state(now_ns);
    }

    /// Tells the handler about a state change; returns whether there was one.
    fn notify_state(&mut self, now_ns: u64) -> bool {
        let state = self.tracker.state();
        if state == self.last_state {
            return false;
        }
        match state {
            FeedState::Gap { from, to } => {
                tracing::warn!(feed = %self.name, from, to, "FEED_GAP_OPENED");
            }
            FeedState::Failed { from, to } => {
                tracing::error!(feed = %self.name, from, to, "FEED_GAP_UNRECOVERABLE book stays stale");
            }
            FeedState::Live if !matches!(self.last_state, FeedState::Live) => {
                tracing::info!(feed = %self.name, expected = self.tracker.expected(), "FEED_GAP_RECOVERED");
            }
            _ => {}
        }
        self.last_state = state;
        self.handler.on_feed_state(state, now_ns);
        true
    }
}

fn deliver<H: FeedHandler>(
    packet: &Packet<'_>,
    skip: u16,
    handler: &mut H,
    counters: &FeedCounters,
    now_ns: u64,
) {
    // In order, each message exactly once; the handler's prefetch hints run ahead within the
    // packet (see `crate::pipeline`).
    deliver_pipelined::<H, u64, PREFETCH_DISTANCE>(
        handler,
        packet.messages().skip(usize::from(skip)),
        |handler, sequence_number, data| match handler.on_message_bytes(
            sequence_number,
            data,
            now_ns,
        ) {
            Ok(()) => counters.messages.increment(),
            Err(e) => {
                counters.itch_errors.increment();
                tracing::debug!(sequence_number, error = %e, "undecodable ITCH message");
            }
        },
    );
}

impl<H: FeedHandler + Send> Agent for MoldFeed<H> {
    fn role_name(&self) -> &str {
        &self.name
    }

    /// Drains the feed socket, then the request socket (retransmissions), then runs the
    /// re-request timers; returns datagrams read plus requests sent.
    fn do_work(&mut self, now_ns: u64) -> usize {
        let mut work = self.drain(false, now_ns) + self.drain(true, now_ns);
        if let Some(request) = self.tracker.poll(now_ns) {
            match self.request.send(&request.encode()) {
                Ok(_) => {}
                Err(e) => {
                    self.counters.socket_errors.increment();
                    tracing::debug!(feed = %self.name, error = %e, "request send failed");
                }
            }
            tracing::info!(
                feed = %self.name,
                sequence_number = request.sequence_number,
                count = request.requested_count,
                "FEED_REREQUEST"
            );
            work += 1;
        }
        let changed = self.notify_state(now_ns);
        if work > 0 || changed {
            self.counters.publish(&self.tracker);
        }
        work
    }
}
