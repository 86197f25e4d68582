//! [`OuchSession`]: the agent that owns the venue socket and drives SoupBinTCP and the router.

use crate::error::OrderEntryError;
use crate::router::{OrderRouter, OuchSink, Outcome};
use crossbar_runtime::Agent;
use crossbar_soupbintcp::{
    ClientConfig, ClientListener, ClientSession, ClientState, ClientStatus, SoupError, HEADER_LEN,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};

/// Where the agent delivers SBE messages for the router (ExecutionReport, OrderReject), e.g.
/// an Aeron publication.
pub trait SbeSink {
    /// One whole SBE message for the centre (a report, or a local OrderReject).
    fn on_sbe(&mut self, message: &[u8]);

    /// The SBE translation (ExecutionReport, OrderReject) of one sequenced venue message, as
    /// the router wrote it (its text names the venue session and sequence number). The
    /// default treats it as [`Self::on_sbe`]; a journaling sink records it as inbound from
    /// the venue first.
    fn on_venue_sbe(&mut self, message: &[u8]) {
        self.on_sbe(message);
    }

    /// The SBE request behind an OUCH message about to be sent (see
    /// [`OuchSink::record_request`]); `false` stops the send. Default: `true`.
    fn record_request(&mut self, request: &[u8]) -> bool {
        let _ = request;
        true
    }
}

/// Counters an operator would ask about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounters {
    /// TCP connections made.
    pub connects: u64,
    /// Connections lost or refused.
    pub disconnects: u64,
    /// Venue messages the router refused (decode, unknown UserRefNum, invalid transition).
    pub venue_message_errors: u64,
}

/// Unsequenced sends go through the SoupBinTCP client session's output buffer; requests are
/// recorded by the SBE sink first.
struct SessionSink<'a, S> {
    session: &'a mut ClientSession,
    sink: &'a mut S,
    now_ns: u64,
}

impl<S: SbeSink> OuchSink for SessionSink<'_, S> {
    fn record_request(&mut self, request: &[u8]) -> bool {
        self.sink.record_request(request)
    }

    fn send_packet(&mut self, packet: &[u8]) -> Result<(), SoupError> {
        self.session
            .send_unsequenced(&packet[HEADER_LEN..], self.now_ns)
    }
}

/// Feeds sequenced OUCH messages to the router and their SBE answers to the sink.
struct Deliver<'a, S> {
    router: &'a mut OrderRouter,
    sink: &'a mut S,
    sbe: &'a mut [u8],
    now_ns: u64,
    errors: &'a mut u64,
}

impl<S: SbeSink> ClientListener for Deliver<'_, S> {
    fn on_sequenced_data(&mut self, sequence_number: u64, message: &[u8]) {
        match self
            .router
            .on_venue_message(sequence_number, message, self.now_ns, self.sbe)
        {
            Ok(Outcome::Report { sbe_len } | Outcome::Rejected { sbe_len, .. }) => {
                self.sink.on_venue_sbe(&self.sbe[..sbe_len]);
            }
            Ok(_) => {}
            Err(_) => *self.errors += 1,
        }
    }

    fn on_status(&mut self, status: ClientStatus) {
        if let ClientStatus::LoginAccepted { session, .. } = status {
            self.router.set_venue_session(&session.0);
        }
    }
}

/// One OUCH 5.0 session over SoupBinTCP 3.0 to one venue: owns a non-blocking `TcpStream`,
/// logs in, heartbeats, and on a lost connection reconnects with
/// [`ClientSession::reconnect_config`] so the venue replays exactly the messages not yet
/// delivered (SoupBinTCP §1.2). Implements [`Agent`]: `do_work(now_ns)` does one duty cycle.
pub struct OuchSession<S: SbeSink> {
    venue: SocketAddr,
    session: ClientSession,
    stream: Option<TcpStream>,
    router: OrderRouter,
    sink: S,
    sbe: Box<[u8; SBE_BYTES_MAX]>,
    read_buf: Box<[u8; READ_BYTES_MAX]>,
    reconnect_interval_ns: u64,
    next_connect_ns: u64,
    read_budget: usize,
    counters: SessionCounters,
}

/// Largest SBE message the session hands its [`SbeSink`], bytes (its encode buffer).
pub const SBE_BYTES_MAX: usize = 2048;

/// Most venue bytes one [`OuchSession`] duty cycle reads (one `read` into this buffer), so a
/// caller can bound how many SBE messages one `do_work` can hand the sink.
pub const READ_BYTES_MAX: usize = 16 * 1024;

/// Bound on one connect attempt. std's connect blocks the duty cycle, so an unreachable venue
/// costs at most this per `reconnect_interval_ns` (instead of the OS's minutes-long default);
/// a co-located venue answers in well under a millisecond.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);

impl<S: SbeSink> OuchSession<S> {
    /// A session that will connect to `venue` with `config` on its first duty cycle, retrying
    /// every `reconnect_interval_ns` while down.
    pub fn new(
        venue: SocketAddr,
        config: ClientConfig,
        router: OrderRouter,
        sink: S,
        reconnect_interval_ns: u64,
    ) -> Self {
        Self {
            venue,
            session: ClientSession::new(config),
            stream: None,
            router,
            sink,
            sbe: Box::new([0; SBE_BYTES_MAX]),
            read_buf: Box::new([0; READ_BYTES_MAX]),
            reconnect_interval_ns,
            next_connect_ns: 0,
            read_budget: READ_BYTES_MAX,
            counters: SessionCounters::default(),
        }
    }

    /// Hot path: one SBE order request from the router (NewChildOrder, CancelOrder,
    /// ReplaceOrder) at `now_ns`. A resulting OUCH message is queued on the session (written
    /// on this call); a rejection goes to the SBE sink at once.
    ///
    /// # Errors
    /// As [`OrderRouter::on_child_order`].
    pub fn submit(&mut self, sbe: &[u8], now_ns: u64) -> Result<Outcome, OrderEntryError> {
        let mut out = SessionSink {
            session: &mut self.session,
            sink: &mut self.sink,
            now_ns,
        };
        let outcome = self
            .router
            .on_child_order(sbe, now_ns, &mut out, &mut self.sbe[..])?;
        if let Outcome::Rejected { sbe_len, .. } = outcome {
            self.sink.on_sbe(&self.sbe[..sbe_len]);
        }
        self.flush();
        Ok(outcome)
    }

    /// Sends an OUCH Cancel for every working order ([`OrderRouter::cancel_all_working`]),
    /// each recorded by the SBE sink first, and writes them to the socket. Returns (sent,
    /// not sent: not connected or not recorded).
    pub fn cancel_all_working(&mut self, now_ns: u64) -> (u32, u32) {
        let mut out = SessionSink {
            session: &mut self.session,
            sink: &mut self.sink,
            now_ns,
        };
        let counts = self.router.cancel_all_working(now_ns, &mut out);
        self.flush();
        counts
    }

    /// The router (positions, order states, counters).
    pub fn router(&self) -> &OrderRouter {
        &self.router
    }

    /// The router, for market and control-plane updates.
    pub fn router_mut(&mut self) -> &mut OrderRouter {
        &mut self.router
    }

    /// The SBE sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Caps the venue bytes the next duty cycles read, `0..=READ_BYTES_MAX` (larger values
    /// are clamped): a caller whose sink has little room left lowers it so one `do_work`
    /// cannot deliver more SBE messages than the sink can hold. At 0 nothing is read (TCP
    /// flow control holds the venue's data; timers still run). Default [`READ_BYTES_MAX`].
    pub fn set_read_budget(&mut self, bytes: usize) {
        self.read_budget = bytes.min(READ_BYTES_MAX);
    }

    /// The SBE sink, mutably (e.g. to retry what it could not publish yet).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// The SoupBinTCP client session.
    pub fn soup(&self) -> &ClientSession {
        &self.session
    }

    /// Counters since creation.
    pub fn counters(&self) -> SessionCounters {
        self.counters
    }

    /// True when logged in.
    pub fn is_active(&self) -> bool {
        self.session.state() == ClientState::Active
    }

    fn connect(&mut self, now_ns: u64) -> usize {
        if self.stream.is_some() || now_ns < self.next_connect_ns {
            return 0;
        }
        self.next_connect_ns = now_ns.saturating_add(self.reconnect_interval_ns);
        let stream = match TcpStream::connect_timeout(&self.venue, CONNECT_TIMEOUT) {
            Ok(s) => s,
            Err(_) => {
                self.counters.disconnects += 1;
                return 1;
            }
        };
        if stream.set_nonblocking(true).is_err() || stream.set_nodelay(true).is_err() {
            self.counters.disconnects += 1;
            return 1;
        }
        if self.session.state() != ClientState::Disconnected {
            let config = self.session.reconnect_config();
            if config.requested_sequence_number == 1 {
                self.router.on_new_venue_session();
            }
            self.session = ClientSession::new(config);
        }
        if self.session.connect(now_ns).is_ok() {
            self.stream = Some(stream);
            self.counters.connects += 1;
        }
        1
    }

    fn drop_connection(&mut self) {
        self.stream = None;
        self.counters.disconnects += 1;
        let mut deliver = Deliver {
            router: &mut self.router,
            sink: &mut self.sink,
            sbe: &mut self.sbe[..],
            now_ns: 0,
            errors: &mut self.counters.venue_message_errors,
        };
        // Harmless when already closed.
        let _ = self.session.on_disconnect(&mut deliver);
    }

    fn read(&mut self, now_ns: u64) -> usize {
        let Some(stream) = self.stream.as_mut() else {
            return 0;
        };
        let budget = self.read_budget;
        let result = if budget == 0 {
            Err(std::io::Error::from(ErrorKind::WouldBlock))
        } else {
            stream.read(&mut self.read_buf[..budget])
        };
        let n = match result {
            Ok(0) => {
                self.drop_connection();
                return 1;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(_) => {
                self.drop_connection();
                return 1;
            }
        };
        let mut deliver = Deliver {
            router: &mut self.router,
            sink: &mut self.sink,
            sbe: &mut self.sbe[..],
            now_ns,
            errors: &mut self.counters.venue_message_errors,
        };
        let mut work = n;
        if n > 0
            && self
                .session
                .on_bytes(&self.read_buf[..n], now_ns, &mut deliver)
                .is_err()
        {
            self.drop_connection();
            return 1;
        }
        work += self.session.poll_timers(now_ns, &mut deliver).unwrap_or(0);
        if self.session.state() == ClientState::Closed && self.stream.is_some() {
            self.drop_connection();
            work += 1;
        }
        work
    }

    fn flush(&mut self) -> usize {
        let Some(stream) = self.stream.as_mut() else {
            return 0;
        };
        let pending = self.session.pending_output();
        if pending.is_empty() {
            return 0;
        }
        match stream.write(pending) {
            Ok(n) => {
                self.session.output_sent(n);
                n
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(_) => {
                self.drop_connection();
                1
            }
        }
    }
}

impl<S: SbeSink + Send> Agent for OuchSession<S> {
    fn role_name(&self) -> &str {
        "ouch-session"
    }

    fn do_work(&mut self, now_ns: u64) -> usize {
        self.connect(now_ns) + self.read(now_ns) + self.flush()
    }
}
