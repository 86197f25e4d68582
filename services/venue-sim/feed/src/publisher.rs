//! The MoldUDP64 publisher agent: sends the retained history's messages as downstream
//! packets (MoldUDP64 1.00 "Downstream Packet"), heartbeats when idle ("Heartbeats"), End
//! of Session on shutdown ("End of Session"), with faults injected on command.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};

use crossbar_moldudp64::{
    PacketEncoder, PacketHeader, Session, BLOCK_PREFIX_LEN, END_OF_SESSION_COUNT, HEADER_LEN,
};
use crossbar_runtime::{Agent, Counter, CounterSet};

use crate::fault::FaultInbox;
use crate::socket::{bind_nonblocking, configure_multicast};
use crate::{FaultCommand, FaultHandle, FaultPlan, FeedError, SharedHistory};

/// How a [`MoldPublisher`] is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublisherConfig {
    /// The MoldUDP64 session (10 bytes, spec "Downstream Packet Header").
    pub session: Session,
    /// Where packets go: a unicast address or a multicast group and port.
    pub destination: SocketAddr,
    /// Local address to send from (`0.0.0.0:0` lets the OS choose).
    pub bind: SocketAddr,
    /// Largest UDP payload, bytes (23..=65,507; default 1,400).
    pub max_payload: usize,
    /// Send a heartbeat after this long without a packet, ns (default 1 s).
    pub heartbeat_interval_ns: u64,
    /// Multicast TTL (IPv4 only; default 1 = stay on the local network).
    pub multicast_ttl: u32,
    /// Whether multicast is looped back to this host (default true, for same-host tests).
    pub multicast_loopback: bool,
    /// Most packets sent per duty cycle (default 64), so one cycle stays short.
    pub packets_per_duty_cycle_max: usize,
    /// Capacity of the fault-command queue (default 64).
    pub command_queue_capacity: usize,
}

impl PublisherConfig {
    /// Defaults for `session` sending to `destination`: payload 1,400 bytes, heartbeat 1 s,
    /// TTL 1 with loopback, 64 packets per duty cycle, 64 queued commands.
    pub fn new(session: Session, destination: SocketAddr) -> Self {
        Self {
            session,
            destination,
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            max_payload: 1_400,
            heartbeat_interval_ns: 1_000_000_000,
            multicast_ttl: 1,
            multicast_loopback: true,
            packets_per_duty_cycle_max: 64,
            command_queue_capacity: 64,
        }
    }
}

/// The publisher's counters, registered under `venue_feed.pub.*`.
#[derive(Clone, Debug)]
pub struct PublisherCounters {
    /// Messages sequenced into the history by [`MoldPublisher::publish`].
    pub messages_published: Counter,
    /// Messages sent in downstream packets.
    pub messages_sent: Counter,
    /// Messages withheld by a [`FaultCommand::DropRange`].
    pub messages_dropped: Counter,
    /// Messages evicted from the history before they could be sent (backlog too large).
    pub messages_evicted_unsent: Counter,
    /// Downstream data packets sent.
    pub packets_sent: Counter,
    /// Heartbeats sent.
    pub heartbeats_sent: Counter,
    /// Sends that would have blocked (retried next duty cycle).
    pub send_would_block: Counter,
    /// Sends that failed otherwise (packet lost; receivers recover by request).
    pub send_errors: Counter,
    /// Fault commands applied.
    pub commands_applied: Counter,
    /// Fault commands refused (queue full or drop-range table full).
    pub commands_refused: Counter,
}

impl PublisherCounters {
    /// Registers the counters in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |label: &str| set.register(&format!("venue_feed.pub.{label}"));
        Self {
            messages_published: c("messages_published"),
            messages_sent: c("messages_sent"),
            messages_dropped: c("messages_dropped"),
            messages_evicted_unsent: c("messages_evicted_unsent"),
            packets_sent: c("packets_sent"),
            heartbeats_sent: c("heartbeats_sent"),
            send_would_block: c("send_would_block"),
            send_errors: c("send_errors"),
            commands_applied: c("commands_applied"),
            commands_refused: c("commands_refused"),
        }
    }
}

/// Result of trying to send the current packet.
enum Sent {
    Ok,
    WouldBlock,
}

/// Packs the venue's sequenced messages into MoldUDP64 packets and sends them on a
/// non-blocking UDP socket. Every message is retained first ([`MoldPublisher::publish`]);
/// [`Agent::do_work`] sends what the [`FaultPlan`] allows, in sequence order.
pub struct MoldPublisher {
    config: PublisherConfig,
    socket: UdpSocket,
    history: SharedHistory,
    encoder: PacketEncoder,
    /// Next sequence number to consider for sending.
    cursor: u64,
    plan: FaultPlan,
    inbox: FaultInbox,
    handle: FaultHandle,
    counters: PublisherCounters,
    last_send_ns: Option<u64>,
    ended: bool,
}

impl MoldPublisher {
    /// Binds the socket and prepares the first packet; sending starts at the history's next
    /// sequence number (messages already in it are treated as sent).
    ///
    /// # Errors
    /// [`FeedError::Mold`] for a bad `max_payload`; [`FeedError::Socket`] when binding or
    /// configuring the socket fails; [`FeedError::InvalidLimits`] for a zero
    /// `packets_per_duty_cycle_max` or `command_queue_capacity`.
    pub fn new(
        config: PublisherConfig,
        history: SharedHistory,
        counters: &mut CounterSet,
    ) -> Result<Self, FeedError> {
        crate::limits::check(
            "packets_per_duty_cycle_max",
            config.packets_per_duty_cycle_max,
            1,
            1 << 20,
        )?;
        crate::limits::check(
            "command_queue_capacity",
            config.command_queue_capacity,
            1,
            1 << 20,
        )?;
        let cursor = history.lock().next_sequence_number();
        let encoder = PacketEncoder::new(config.session, cursor, config.max_payload)?;
        let socket = bind_nonblocking(config.bind)?;
        configure_multicast(
            &socket,
            config.destination,
            config.multicast_ttl,
            config.multicast_loopback,
        )?;
        let counters = PublisherCounters::register(counters);
        let (inbox, handle) = FaultInbox::new(
            config.command_queue_capacity,
            counters.commands_refused.clone(),
        );
        Ok(Self {
            config,
            socket,
            history,
            encoder,
            cursor,
            plan: FaultPlan::new(),
            inbox,
            handle,
            counters,
            last_send_ns: None,
            ended: false,
        })
    }

    /// Sequences `message` (one ITCH message, no framing) into the history and returns its
    /// sequence number; it is sent by a later duty cycle.
    ///
    /// # Errors
    /// [`FeedError::SessionEnded`] after [`MoldPublisher::end_session`];
    /// [`FeedError::MessageTooLarge`] when it cannot fit one packet of `max_payload`.
    pub fn publish(&mut self, message: &[u8], now_ns: u64) -> Result<u64, FeedError> {
        let mut history = self.history.lock();
        if self.ended {
            return Err(FeedError::SessionEnded {
                next_sequence_number: history.next_sequence_number(),
            });
        }
        let max = self.config.max_payload - HEADER_LEN - BLOCK_PREFIX_LEN;
        if message.len() > max {
            return Err(FeedError::MessageTooLarge {
                len: message.len(),
                max,
            });
        }
        let seq = history.append(message, now_ns)?;
        self.counters.messages_published.increment();
        Ok(seq)
    }

    /// Applies a fault command now (same thread); returns false when refused.
    pub fn apply(&mut self, command: FaultCommand) -> bool {
        let applied = self.plan.apply(command);
        if applied {
            self.counters.commands_applied.increment();
        } else {
            self.counters.commands_refused.increment();
        }
        applied
    }

    /// A handle for sending fault commands from other threads.
    pub fn fault_handle(&self) -> FaultHandle {
        self.handle.clone()
    }

    /// The faults in force.
    pub fn fault_plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// The counters.
    pub fn counters(&self) -> &PublisherCounters {
        &self.counters
    }

    /// The local address packets are sent from.
    ///
    /// # Errors
    /// The OS error.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Sequence number of the next message not yet sent or withheld.
    pub fn next_unsent_sequence_number(&self) -> u64 {
        self.cursor
    }

    /// Messages sequenced but not yet sent or withheld.
    pub fn backlog(&self) -> u64 {
        self.history.lock().next_sequence_number() - self.cursor
    }

    /// True once End of Session was sent.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Sends the whole backlog (drop ranges still apply; delay and pause do not), then one
    /// End of Session packet carrying the next sequence number. Later
    /// [`MoldPublisher::publish`] calls fail. Retries a full socket buffer a bounded number
    /// of times, yielding between tries.
    ///
    /// # Errors
    /// [`FeedError::Socket`] when the socket stays full or the End of Session send fails.
    pub fn end_session(&mut self, now_ns: u64) -> Result<(), FeedError> {
        if self.ended {
            return Ok(());
        }
        self.plan.apply(FaultCommand::Delay { delay_ns: 0 });
        self.plan.apply(FaultCommand::Resume);
        for _ in 0..10_000 {
            self.send_backlog(now_ns);
            if self.backlog() == 0 && self.encoder.is_empty() {
                break;
            }
            std::thread::yield_now();
        }
        let next = self.history.lock().next_sequence_number();
        let eos = PacketHeader {
            session: self.config.session,
            sequence_number: next,
            message_count: END_OF_SESSION_COUNT,
        }
        .encode();
        self.ended = true;
        self.socket
            .send_to(&eos, self.config.destination)
            .map(|_| ())
            .map_err(FeedError::socket("send_end_of_session"))
    }

    fn poll_commands(&mut self) -> usize {
        let mut n = 0;
        while let Some(command) = self.inbox.poll() {
            self.apply(command);
            n += 1;
        }
        n
    }

    /// Sends the current packet; on success starts the next one.
    fn flush(&mut self, now_ns: u64) -> Sent {
        match self
            .socket
            .send_to(self.encoder.packet(), self.config.destination)
        {
            Ok(_) => {
                self.counters.packets_sent.increment();
                self.counters
                    .messages_sent
                    .add(u64::from(self.encoder.message_count()));
                self.last_send_ns = Some(now_ns);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                self.counters.send_would_block.increment();
                return Sent::WouldBlock;
            }
            Err(_) => self.counters.send_errors.increment(),
        }
        self.encoder.next_packet();
        Sent::Ok
    }

    /// Restarts packet numbering at the cursor after a discontinuity (drop or eviction);
    /// the caller has flushed any messages of the current packet.
    fn restart_at_cursor(&mut self) {
        debug_assert!(self.encoder.is_empty());
        if let Ok(encoder) =
            PacketEncoder::new(self.config.session, self.cursor, self.config.max_payload)
        {
            self.encoder = encoder;
        }
    }

    /// Packs and sends messages from the cursor while the plan allows; returns messages
    /// handled (sent or withheld).
    fn send_backlog(&mut self, now_ns: u64) -> usize {
        let history = self.history.clone();
        let history = history.lock();
        let mut handled = 0;
        let mut packets = 0;
        if self.cursor < history.first_sequence_number() {
            let lost = history.first_sequence_number() - self.cursor;
            self.counters.messages_evicted_unsent.add(lost);
            self.cursor = history.first_sequence_number();
        }
        while self.cursor < history.next_sequence_number() {
            if self.plan.drops(self.cursor) {
                self.cursor += 1;
                self.counters.messages_dropped.increment();
                handled += 1;
                continue;
            }
            let Some((message, sequenced_ns)) = history.get_with_time(self.cursor) else {
                break;
            };
            if sequenced_ns.saturating_add(self.plan.delay_ns()) > now_ns {
                break;
            }
            let discontinuous = self.encoder.next_sequence_number() != self.cursor;
            if discontinuous || !self.encoder.fits(message.len()) {
                if !self.encoder.is_empty() {
                    if packets == self.config.packets_per_duty_cycle_max {
                        return handled;
                    }
                    packets += 1;
                    if let Sent::WouldBlock = self.flush(now_ns) {
                        return handled;
                    }
                }
                if discontinuous {
                    self.restart_at_cursor();
                }
            }
            if self.encoder.push(message).is_err() {
                // Cannot happen: publish() refuses messages larger than one packet.
                self.counters.send_errors.increment();
            }
            self.cursor += 1;
            handled += 1;
        }
        if !self.encoder.is_empty() && packets < self.config.packets_per_duty_cycle_max {
            self.flush(now_ns);
        }
        handled
    }

    fn heartbeat_if_idle(&mut self, now_ns: u64) -> usize {
        let last = *self.last_send_ns.get_or_insert(now_ns);
        if now_ns.saturating_sub(last) < self.config.heartbeat_interval_ns
            || !self.encoder.is_empty()
        {
            return 0;
        }
        let heartbeat = PacketHeader {
            session: self.config.session,
            sequence_number: self.cursor,
            message_count: 0,
        }
        .encode();
        match self.socket.send_to(&heartbeat, self.config.destination) {
            Ok(_) => {
                self.counters.heartbeats_sent.increment();
                self.last_send_ns = Some(now_ns);
                1
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                self.counters.send_would_block.increment();
                0
            }
            Err(_) => {
                self.counters.send_errors.increment();
                self.last_send_ns = Some(now_ns);
                0
            }
        }
    }
}

impl Agent for MoldPublisher {
    fn role_name(&self) -> &str {
        "vfeed-publisher"
    }

    /// Applies queued fault commands, then (unless paused or ended) sends up to
    /// `packets_per_duty_cycle_max` packets, then a heartbeat if nothing was sent for
    /// `heartbeat_interval_ns`. Returns commands + messages handled + heartbeats sent.
    fn do_work(&mut self, now_ns: u64) -> usize {
        let mut work = self.poll_commands();
        if self.ended || self.plan.is_paused() {
            return work;
        }
        work += self.send_backlog(now_ns);
        work + self.heartbeat_if_idle(now_ns)
    }

    /// Sends End of Session (see [`MoldPublisher::end_session`]); an error is counted in
    /// `send_errors`.
    fn on_close(&mut self) {
        if self
            .end_session(crossbar_runtime::agent::wall_clock_ns())
            .is_err()
        {
            self.counters.send_errors.increment();
        }
    }
}
