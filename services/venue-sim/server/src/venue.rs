//! The venue agent: the one thread that owns the matching engine, the seeder, the feed
//! publisher, the retransmission server, every OUCH session and the accounts (single
//! writer). Control commands reach it through a bounded queue.

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crossbar_itch::Stock;
use crossbar_matching::{
    Event, LevelView, MatchingConfig, MatchingEngine, MatchingLimits, PrivateEvent,
};
use crossbar_model::{InstrumentId, Price, Side};
use crossbar_moldudp64::Session;
use crossbar_ouch::{
    decode_inbound, CancelOrder, Capacity, CrossType, Display, EnterOrder, InboundMessage,
    IntermarketSweep, OrderSide, RejectReason, ReplaceOrder, TimeInForce,
};
use crossbar_runtime::{Agent, CounterSet};
use crossbar_soupbintcp::{ServerConfig, ServerSession, ServerState, SessionId};
use crossbar_venue_feed::{
    FaultCommand, HistoryLimits, MoldPublisher, PublisherConfig, RequestServer,
    RequestServerConfig, RetainedHistory, SeedPace, SeedSource, Seeder, SeederConfig,
    SharedHistory,
};
use serde_json::{json, Value};

use crate::accounts::{AccountState, InboundArena, SelectedStore, SessionListener};
use crate::clock::VenueMidnight;
use crate::config::{SeedSourceConfig, VenueSimConfig};
use crate::control::{Command, ControlError, ControlInbox};
use crate::encode::{encode_itch, encode_ouch, encode_rejected, RequestEcho};
use crate::fees::FeeSchedule;

/// Why the venue could not start. The message starts with a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A configuration value the libraries refused, with its key.
    #[error("CONFIG_INVALID key={key} reason={reason}")]
    Config {
        /// Dotted key.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// A socket could not be bound or set up.
    #[error("VSIM_SOCKET what={what} addr={addr} error={error}")]
    Socket {
        /// Which socket.
        what: &'static str,
        /// Its address.
        addr: SocketAddr,
        /// The OS error.
        error: std::io::Error,
    },
}

fn config_error(key: &'static str) -> impl FnOnce(String) -> StartError {
    move |reason| StartError::Config { key, reason }
}

/// Bytes read from one connection per duty cycle.
const READ_LEN: usize = 4_096;
/// SoupBinTCP receive buffer per connection (bounds the largest inbound packet).
const RECV_BUFFER_LEN: usize = 4_096;
/// SoupBinTCP output buffer per connection (bounds how much replay is queued per poll).
const SEND_BUFFER_LEN: usize = 64 * 1_024;
/// Connections accepted per duty cycle.
const ACCEPTS_PER_DUTY_CYCLE: usize = 4;
/// Control commands handled per duty cycle.
const COMMANDS_PER_DUTY_CYCLE: usize = 8;
/// Events reserved in the engine's sink (a sweep of ~10,000 resting orders).
const EVENTS_RESERVED: usize = 30_016;

/// Where the venue listens and sends, after binding (real ports when 0 was configured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundAddrs {
    /// MoldUDP64 destination (as configured).
    pub feed: SocketAddr,
    /// Retransmission request server.
    pub request: SocketAddr,
    /// OUCH (SoupBinTCP) listener.
    pub ouch: SocketAddr,
}

struct Connection {
    stream: TcpStream,
    session: ServerSession,
    account: Option<usize>,
}

/// Runs `conn`'s SoupBinTCP timers and queues its stored sequenced messages (SoupBinTCP 3.0
/// server `poll`) outside a read, so with a listener whose inbound messages are dropped: none
/// can arrive without bytes.
///
/// # Errors
/// The session's [`crossbar_soupbintcp::SoupError`] (a stored message it cannot produce).
fn poll_session(
    accounts: &[AccountState],
    conn: &mut Connection,
    now_ns: u64,
) -> Result<usize, crossbar_soupbintcp::SoupError> {
    let selected = Cell::new(conn.account);
    let mut spare = InboundArena::default();
    let mut listener = SessionListener {
        accounts,
        selected: &selected,
        inbound: &mut spare,
        logged_in: false,
        closed: None,
    };
    let store = SelectedStore {
        accounts,
        selected: &selected,
    };
    conn.session.poll(now_ns, &store, &mut listener)
}

/// The two venue times of one client request, UTC ns (CLOCK_REALTIME): `received_ns`, read
/// right after the `read` whose bytes completed the request's SoupBinTCP packet (before
/// decoding and matching); `matched_ns`, read when the engine has handled it. OUCH Accepted
/// and Rejected carry the first, everything the engine did (Executed, Canceled, Replaced, the
/// ITCH feed's events) the second.
#[derive(Clone, Copy, Debug)]
struct Stamps {
    received_ns: u64,
    matched_ns: u64,
}

/// Venue-level counters (single writer: the venue agent).
#[derive(Clone, Copy, Debug, Default)]
struct VenueCounters {
    connections_accepted: u64,
    connections_refused: u64,
    connections_cut: u64,
    protocol_errors: u64,
    feed_encode_errors: u64,
    feed_publish_errors: u64,
    ouch_encode_errors: u64,
    commands: u64,
}

/// The venue agent. Build with [`Venue::new`], run with a runner
/// (`crossbar_runtime::agent::run_loop`); `on_close` ends the feed session and the OUCH
/// sessions.
pub struct Venue {
    config: VenueSimConfig,
    engine: MatchingEngine,
    seeder: Seeder,
    seeded_reported: bool,
    publisher: MoldPublisher,
    requests: RequestServer,
    history: SharedHistory,
    counter_set: CounterSet,
    fees: FeeSchedule,
    accounts: Vec<AccountState>,
    listener: TcpListener,
    connections: Vec<Option<Connection>>,
    soup: ServerConfig,
    inbound: InboundArena,
    events: Vec<Event>,
    read_buf: Box<[u8]>,
    control: Option<ControlInbox>,
    counters: VenueCounters,
    addrs: BoundAddrs,
    /// The day every ITCH/OUCH Timestamp counts from.
    midnight: VenueMidnight,
}

fn seed_source(config: &SeedSourceConfig) -> SeedSource {
    match config {
        SeedSourceConfig::Generator {
            seed,
            symbols,
            symbol_count,
            messages,
        } => {
            let symbols: Vec<Stock> = if symbols.is_empty() {
                (0..*symbol_count)
                    .map(crossbar_itch::generate::default_symbol)
                    .collect()
            } else {
                symbols
                    .iter()
                    .filter_map(|s| Stock::from_symbol(s))
                    .collect()
            };
            SeedSource::GeneratedSymbols {
                config: crossbar_itch::generate::DayConfig {
                    seed: *seed,
                    instruments: symbols.len() as u16,
                    messages: *messages,
                },
                symbols,
            }
        }
        SeedSourceConfig::DayFile { path } => SeedSource::DayFile(path.clone()),
        SeedSourceConfig::Pcap { path } => SeedSource::Pcap(path.clone()),
    }
}

fn mold_session(name: &str) -> Session {
    let mut bytes = [b' '; 10];
    bytes[..name.len().min(10)].copy_from_slice(&name.as_bytes()[..name.len().min(10)]);
    Session(bytes)
}

impl Venue {
    /// Builds the engine, history, publisher, request server, seeder, accounts and the OUCH
    /// listener from a validated `config`; every socket is bound here.
    ///
    /// # Errors
    /// [`StartError`] naming the key or socket.
    pub fn new(config: VenueSimConfig, control: Option<ControlInbox>) -> Result<Self, StartError> {
        let limits = MatchingLimits {
            instruments: config.limits.instruments,
            orders: config.limits.orders,
            levels_per_side: config.limits.levels_per_side,
            sessions: config.ouch.accounts.len() as u16,
            order_qty_max: config.limits.order_qty_max,
        };
        let engine = MatchingEngine::new(MatchingConfig::new(limits))
            .map_err(|e| config_error("limits")(e.to_string()))?;
        let history = RetainedHistory::new(HistoryLimits {
            bytes: config.history.bytes,
            messages: config.history.messages,
        })
        .map_err(|e| config_error("history")(e.to_string()))?;
        let history = SharedHistory::new(history);
        let mut counter_set = CounterSet::new();
        let session = mold_session(&config.feed.session);
        let feed = &config.feed;
        let mut publisher_config = PublisherConfig::new(session, feed.destination);
        if let Some(interface) = feed.interface {
            publisher_config.bind = SocketAddr::new(interface, 0);
        }
        publisher_config.max_payload = feed.max_payload;
        publisher_config.heartbeat_interval_ns = feed.heartbeat_interval_ms * 1_000_000;
        publisher_config.multicast_ttl = feed.multicast_ttl;
        publisher_config.multicast_loopback = feed.multicast_loopback;
        let publisher = MoldPublisher::new(publisher_config, history.clone(), &mut counter_set)
            .map_err(|e| config_error("feed")(e.to_string()))?;
        let mut request_config = RequestServerConfig::new(session, feed.request_addr);
        request_config.request_count_max = feed.request_count_max;
        request_config.max_payload = feed.max_payload;
        let requests = RequestServer::new(request_config, history.clone(), &mut counter_set)
            .map_err(|e| config_error("feed.request_addr")(e.to_string()))?;
        let seeder_config = SeederConfig {
            pace: match config.seed.pace_per_duty_cycle {
                0 => SeedPace::AsFastAsPossible,
                n => SeedPace::PerDutyCycle(n),
            },
            backlog_max: config.seed.backlog_max,
        };
        let seeder = Seeder::new(
            &seed_source(&config.seed.source),
            seeder_config,
            config.limits.instruments,
            &mut counter_set,
        )
        .map_err(|e| config_error("seed.source")(e.to_string()))?;
        let accounts = config
            .ouch
            .accounts
            .iter()
            .map(|a| AccountState::new(a, config.ouch.store_messages, config.ouch.store_bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config_error("ouch.accounts")(e.to_string()))?;
        let mut soup = ServerConfig::new(
            SessionId::new(&config.ouch.session)
                .map_err(|e| config_error("ouch.session")(e.to_string()))?,
        );
        soup.heartbeat_interval_ns = config.ouch.heartbeat_interval_ms * 1_000_000;
        soup.client_timeout_ns = config.ouch.client_timeout_ms * 1_000_000;
        soup.login_timeout_ns = config.ouch.login_timeout_ms * 1_000_000;
        soup.recv_buffer_len = RECV_BUFFER_LEN;
        soup.send_buffer_len = SEND_BUFFER_LEN;
        let ouch_addr = config.ouch.listen_addr;
        let socket_error = |what, addr| move |error| StartError::Socket { what, addr, error };
        let listener = TcpListener::bind(ouch_addr).map_err(socket_error("ouch", ouch_addr))?;
        listener
            .set_nonblocking(true)
            .map_err(socket_error("ouch", ouch_addr))?;
        let addrs = BoundAddrs {
            feed: feed.destination,
            request: requests
                .local_addr()
                .map_err(socket_error("request", feed.request_addr))?,
            ouch: listener
                .local_addr()
                .map_err(socket_error("ouch", ouch_addr))?,
        };
        let connections = (0..config.ouch.connections_max).map(|_| None).collect();
        let midnight = VenueMidnight::with_offset_s(config.midnight_utc_offset_s)
            .ok_or_else(|| config_error("midnight_utc_offset_s")("outside ±64,800 s".to_owned()))?;
        Ok(Self {
            fees: config.fees,
            engine,
            seeder,
            seeded_reported: false,
            publisher,
            requests,
            history,
            counter_set,
            accounts,
            listener,
            connections,
            soup,
            inbound: InboundArena::with_capacity(READ_LEN + RECV_BUFFER_LEN),
            events: Vec::with_capacity(EVENTS_RESERVED),
            read_buf: vec![0u8; READ_LEN].into_boxed_slice(),
            control,
            counters: VenueCounters::default(),
            addrs,
            midnight,
            config,
        })
    }

    /// The bound addresses (for the ready line).
    pub fn addrs(&self) -> BoundAddrs {
        self.addrs
    }

    /// The matching engine (read-only; tests and tools).
    pub fn engine(&self) -> &MatchingEngine {
        &self.engine
    }

    /// True once the seed source is exhausted.
    pub fn seeding_done(&self) -> bool {
        self.seeder.is_done()
    }

    fn report_seeded(&mut self) {
        if self.seeded_reported || !self.seeder.is_done() {
            return;
        }
        self.seeded_reported = true;
        let messages = self.seeder.counters().messages_published.get();
        let next_seq = self.history.lock().next_sequence_number();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "VENUE_SIM_SEEDED messages={messages} next_seq={next_seq}"
        );
        let _ = out.flush();
        tracing::info!(messages, next_seq, "seeding done");
    }

    fn accept(&mut self, now_ns: u64) -> usize {
        let mut accepted = 0;
        while accepted < ACCEPTS_PER_DUTY_CYCLE {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => break,
            };
            accepted += 1;
            let Some(slot) = self.connections.iter().position(Option::is_none) else {
                self.counters.connections_refused += 1;
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            };
            if stream.set_nonblocking(true).is_err() {
                self.counters.connections_refused += 1;
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.counters.connections_accepted += 1;
            self.connections[slot] = Some(Connection {
                stream,
                session: ServerSession::new(self.soup.clone(), now_ns),
                account: None,
            });
        }
        accepted
    }

    /// Reads one chunk from connection `slot`, feeds it to its session and handles the
    /// OUCH messages it carried, each stamped with the time right after this read (the read
    /// that completed its packet).
    fn read_connection(&mut self, slot: usize) -> usize {
        let Some(conn) = self.connections[slot].as_mut() else {
            return 0;
        };
        let n = match conn.stream.read(&mut self.read_buf) {
            Ok(0) => {
                self.close(slot);
                return 1;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return 0,
            Err(_) => {
                self.close(slot);
                return 1;
            }
        };
        // The venue's receive time of every message this read completes.
        let received_ns = crossbar_runtime::agent::wall_clock_ns();
        let selected = Cell::new(conn.account);
        let mut listener = SessionListener {
            accounts: &self.accounts,
            selected: &selected,
            inbound: &mut self.inbound,
            logged_in: false,
            closed: None,
        };
        let store = SelectedStore {
            accounts: &self.accounts,
            selected: &selected,
        };
        let result = conn
            .session
            .on_bytes(&self.read_buf[..n], received_ns, &store, &mut listener);
        let logged_in = listener.logged_in;
        if let Err(error) = result {
            self.counters.protocol_errors += 1;
            tracing::warn!(%error, slot, "OUCH session protocol error; closing");
        }
        if logged_in {
            conn.account = selected.get();
            if let Some(account) = conn.account {
                self.accounts[account].connected = true;
                tracing::info!(account = %self.accounts[account].name, "OUCH login");
            }
        }
        let account = conn.account;
        let mut inbound = std::mem::take(&mut self.inbound);
        if let Some(account) = account {
            for i in 0..inbound.len() {
                self.handle_ouch(slot, account, inbound.get(i), received_ns);
            }
        }
        inbound.clear();
        self.inbound = inbound;
        1
    }

    /// Sends what the session has queued (stored messages, heartbeats), runs its timers and
    /// closes it once it is finished.
    fn flush_connection(&mut self, slot: usize, now_ns: u64) -> usize {
        let Some(conn) = self.connections[slot].as_mut() else {
            return 0;
        };
        let mut work = match poll_session(&self.accounts, conn, now_ns) {
            Ok(n) => n,
            Err(_) => {
                self.counters.protocol_errors += 1;
                1
            }
        };
        let mut failed = false;
        while !conn.session.pending_output().is_empty() {
            match conn.stream.write(conn.session.pending_output()) {
                Ok(0) => {
                    failed = true;
                    break;
                }
                Ok(n) => {
                    conn.session.output_sent(n);
                    work += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        let finished =
            conn.session.state() == ServerState::Closed && conn.session.pending_output().is_empty();
        if failed || finished {
            self.close(slot);
            work += 1;
        }
        work
    }

    fn close(&mut self, slot: usize) {
        let Some(conn) = self.connections[slot].take() else {
            return;
        };
        if let Some(account) = conn.account {
            self.accounts[account].connected = false;
            tracing::info!(account = %self.accounts[account].name, "OUCH connection closed");
        }
        let _ = conn.stream.shutdown(Shutdown::Both);
    }

    /// Tells connection `slot`, in a SoupBinTCP Debug packet, why its message was ignored.
    fn debug_text(&mut self, slot: usize, args: std::fmt::Arguments<'_>, now_ns: u64) {
        let mut buf = [0u8; 200];
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        let _ = cursor.write_fmt(args);
        let len = cursor.position() as usize;
        let Some(conn) = self.connections[slot].as_mut() else {
            return;
        };
        // Sequenced messages this request produced go first, then the explanation.
        let _ = poll_session(&self.accounts, conn, now_ns);
        let _ = conn.session.send_debug(&buf[..len], now_ns);
    }

    fn handle_ouch(&mut self, slot: usize, account: usize, message: &[u8], received_ns: u64) {
        match decode_inbound(message) {
            Ok(InboundMessage::EnterOrder(m)) => self.enter(slot, account, &m, received_ns),
            Ok(InboundMessage::ReplaceOrder(m)) => self.replace(slot, account, &m, received_ns),
            Ok(InboundMessage::CancelOrder(m)) => self.cancel(slot, account, &m, received_ns),
            Ok(other) => {
                self.accounts[account].malformed += 1;
                self.debug_text(
                    slot,
                    format_args!(
                        "VSIM_UNSUPPORTED_MESSAGE type={} (supported: O U X)",
                        other.message_type() as char
                    ),
                    received_ns,
                );
            }
            Err(error) => {
                self.accounts[account].malformed += 1;
                self.debug_text(slot, format_args!("VSIM_BAD_OUCH {error}"), received_ns);
            }
        }
    }

    /// A Rejected for an order the simulator does not support (the engine never sees it),
    /// with a Debug text naming the field.
    fn reject_unsupported(
        &mut self,
        slot: usize,
        account: usize,
        echo: &RequestEcho,
        token: u32,
        (reason, field, value): (RejectReason, &str, u8),
        received_ns: u64,
    ) {
        let mut buf = [0u8; 64];
        let timestamp = self.midnight.since_midnight(received_ns);
        match encode_rejected(token, reason, echo.cl_ord_id, timestamp, &mut buf) {
            Ok(n) => {
                self.accounts[account].append(&buf[..n]);
                self.accounts[account].rejected += 1;
            }
            Err(_) => self.counters.ouch_encode_errors += 1,
        }
        self.debug_text(
            slot,
            format_args!(
                "VSIM_UNSUPPORTED field={field} value={} user_ref_num={token}",
                value as char
            ),
            received_ns,
        );
    }

    /// The first field of an Enter/Replace the simulator cannot honour, as (Appendix D
    /// reason, field name, wire code).
    fn unsupported(
        tif: TimeInForce,
        display: Display,
        ise: IntermarketSweep,
        cross: CrossType,
    ) -> Option<(RejectReason, &'static str, u8)> {
        if tif.to_model().is_none() {
            Some((RejectReason::Other, "TimeInForce", tif.code()))
        } else if !matches!(display, Display::Visible | Display::Attributable) {
            Some((RejectReason::InvalidDisplay, "Display", display.code()))
        } else if ise == IntermarketSweep::Eligible {
            Some((
                RejectReason::IsoNotAllowed,
                "InterMarketSweepEligibility",
                ise.code(),
            ))
        } else if cross != CrossType::Continuous {
            Some((RejectReason::InvalidCrossOrder, "CrossType", cross.code()))
        } else {
            None
        }
    }

    fn enter(&mut self, slot: usize, account: usize, m: &EnterOrder<'_>, received_ns: u64) {
        let echo = RequestEcho {
            symbol: m.symbol,
            side: m.side,
            time_in_force: m.time_in_force,
            display: m.display,
            capacity: m.capacity,
            intermarket_sweep: m.intermarket_sweep,
            cross_type: m.cross_type,
            cl_ord_id: m.cl_ord_id,
        };
        let token = m.user_ref_num.0;
        if let Some((reason, field, value)) = Self::unsupported(
            m.time_in_force,
            m.display,
            m.intermarket_sweep,
            m.cross_type,
        ) {
            self.reject_unsupported(
                slot,
                account,
                &echo,
                token,
                (reason, field, value),
                received_ns,
            );
            return;
        }
        let Some(tif) = m.time_in_force.to_model() else {
            return;
        };
        // An unknown symbol goes to the engine as an out-of-range instrument, so the engine's
        // precedence (session, duplicate token, then symbol) decides and it emits the
        // Rejected (Invalid Symbol).
        let instrument = self
            .seeder
            .locates()
            .instrument_of(&Stock(m.symbol.0))
            .unwrap_or(InstrumentId(u32::MAX));
        self.events.clear();
        let result = self.engine.enter(
            account as u16,
            token,
            instrument,
            m.side.to_model(),
            m.price,
            m.quantity,
            tif,
            &mut self.events,
        );
        self.after_request(slot, account, &echo, result.err(), received_ns);
    }

    fn replace(&mut self, slot: usize, account: usize, m: &ReplaceOrder<'_>, received_ns: u64) {
        let old = self
            .engine
            .client_order(account as u16, m.orig_user_ref_num.0);
        let symbol = old
            .and_then(|o| self.seeder.locates().symbol_of(o.instrument))
            .map_or(crossbar_ouch::Symbol::BLANK, |s| crossbar_ouch::Alpha(s.0));
        let echo = RequestEcho {
            symbol,
            side: old.map_or(OrderSide::Buy, |o| OrderSide::from(o.side)),
            time_in_force: m.time_in_force,
            display: m.display,
            capacity: Capacity::Agency,
            intermarket_sweep: m.intermarket_sweep,
            cross_type: CrossType::Continuous,
            cl_ord_id: m.cl_ord_id,
        };
        let token = m.user_ref_num.0;
        let unsupported = if m.time_in_force != TimeInForce::Day {
            Some((RejectReason::Other, "TimeInForce", m.time_in_force.code()))
        } else {
            Self::unsupported(
                m.time_in_force,
                m.display,
                m.intermarket_sweep,
                CrossType::Continuous,
            )
        };
        if let Some((reason, field, value)) = unsupported {
            self.reject_unsupported(
                slot,
                account,
                &echo,
                token,
                (reason, field, value),
                received_ns,
            );
            return;
        }
        self.events.clear();
        let result = self.engine.replace(
            account as u16,
            m.orig_user_ref_num.0,
            token,
            m.price,
            m.quantity,
            &mut self.events,
        );
        self.after_request(slot, account, &echo, result.err(), received_ns);
    }

    fn cancel(&mut self, slot: usize, account: usize, m: &CancelOrder, received_ns: u64) {
        self.events.clear();
        let result = self.engine.cancel(
            account as u16,
            m.user_ref_num.0,
            m.quantity,
            &mut self.events,
        );
        self.after_request(slot, account, &RequestEcho::NONE, result.err(), received_ns);
    }

    /// Publishes and stores what the engine emitted for one request received at
    /// `received_ns` (UTC ns); an error the engine answered with no event (duplicate or
    /// unknown token: OUCH 5.0 §1.2, §2.2, §2.3 ignore these) is explained in a Debug text.
    fn after_request(
        &mut self,
        slot: usize,
        account: usize,
        echo: &RequestEcho,
        error: Option<crossbar_matching::MatchError>,
        received_ns: u64,
    ) {
        let stamps = Stamps {
            received_ns,
            matched_ns: crossbar_runtime::agent::wall_clock_ns(),
        };
        if let Some(error) = error {
            if self.events.is_empty() {
                self.accounts[account].ignored += 1;
                self.debug_text(slot, format_args!("VSIM_IGNORED {error}"), received_ns);
            }
        }
        let events = std::mem::take(&mut self.events);
        for event in &events {
            self.dispatch(event, account, echo, stamps);
        }
        self.events = events;
    }

    fn dispatch(&mut self, event: &Event, requester: usize, echo: &RequestEcho, stamps: Stamps) {
        let mut buf = [0u8; 128];
        let matched = self.midnight.since_midnight(stamps.matched_ns);
        match event {
            Event::Feed(feed) => {
                match encode_itch(feed, self.seeder.locates(), matched, &mut buf) {
                    Ok(n) => {
                        if self
                            .publisher
                            .publish(&buf[..n], stamps.matched_ns)
                            .is_err()
                        {
                            self.counters.feed_publish_errors += 1;
                        }
                    }
                    Err(_) => self.counters.feed_encode_errors += 1,
                }
            }
            Event::Private(private) => {
                let session = usize::from(private.session());
                let echo = if session == requester {
                    echo
                } else {
                    &RequestEcho::NONE
                };
                // Accepted / Rejected: when the request arrived; the rest: when it matched.
                let timestamp = match private {
                    PrivateEvent::Accepted { .. } | PrivateEvent::Rejected { .. } => {
                        self.midnight.since_midnight(stamps.received_ns)
                    }
                    _ => matched,
                };
                let Ok(n) = encode_ouch(private, echo, timestamp, &mut buf) else {
                    self.counters.ouch_encode_errors += 1;
                    return;
                };
                let Some(account) = self.accounts.get_mut(session) else {
                    return;
                };
                account.append(&buf[..n]);
                match *private {
                    PrivateEvent::Accepted { .. } => account.orders_accepted += 1,
                    PrivateEvent::Rejected { .. } => account.rejected += 1,
                    PrivateEvent::Executed { qty, liquidity, .. } => {
                        account.fees.record(&self.fees, liquidity, qty.0)
                    }
                    _ => {}
                }
            }
        }
    }

    fn poll_control(&mut self) -> usize {
        let mut handled = 0;
        while handled < COMMANDS_PER_DUTY_CYCLE {
            let Some(inbox) = self.control.as_ref() else {
                return handled;
            };
            let Ok(request) = inbox.try_recv() else {
                return handled;
            };
            handled += 1;
            self.counters.commands += 1;
            let result = self.execute(&request.command);
            let _ = request.reply.try_send(result);
        }
        handled
    }

    /// Applies one control command on the engine thread.
    ///
    /// # Errors
    /// [`ControlError`] with a stable code; a refused command changes nothing.
    pub fn execute(&mut self, command: &Command) -> Result<Value, ControlError> {
        let refused = |code, reason: String| ControlError { code, reason };
        match command {
            Command::Ping => Ok(json!({"pong": true})),
            Command::Status => Ok(self.status()),
            Command::Book { symbol, depth } => self.book(symbol, *depth),
            Command::Drop { from, to } => {
                let next_unsent = self.publisher.next_unsent_sequence_number();
                if *from < next_unsent {
                    return Err(refused(
                        "VSIM_DROP_REFUSED",
                        format!("from={from} is below next_unsent={next_unsent}: already sent"),
                    ));
                }
                let range = FaultCommand::DropRange {
                    sequence_numbers: *from..to.saturating_add(1),
                };
                if !self.publisher.apply(range) {
                    return Err(refused(
                        "VSIM_DROP_REFUSED",
                        "drop-range table full (64 ranges); send clear first".into(),
                    ));
                }
                Ok(json!({"from": from, "to": to}))
            }
            Command::Delay { ms } => {
                self.publisher.apply(FaultCommand::Delay {
                    delay_ns: ms * 1_000_000,
                });
                Ok(json!({"delay_ms": ms}))
            }
            Command::Pause => Ok(json!({"applied": self.publisher.apply(FaultCommand::Pause)})),
            Command::Resume => Ok(json!({"applied": self.publisher.apply(FaultCommand::Resume)})),
            Command::Clear => Ok(json!({"applied": self.publisher.apply(FaultCommand::Clear)})),
            Command::Cut { username } => {
                let target = match username {
                    None => None,
                    Some(name) => {
                        Some(AccountState::find(&self.accounts, name).ok_or_else(|| {
                            refused("VSIM_UNKNOWN_ACCOUNT", format!("username={name}"))
                        })?)
                    }
                };
                let mut cut = 0;
                for slot in 0..self.connections.len() {
                    let matches = match (&self.connections[slot], target) {
                        (None, _) => false,
                        (Some(_), None) => true,
                        (Some(conn), Some(account)) => conn.account == Some(account),
                    };
                    if matches {
                        self.close(slot);
                        cut += 1;
                    }
                }
                self.counters.connections_cut += cut;
                Ok(json!({"cut": cut}))
            }
        }
    }

    fn book(&self, symbol: &str, depth: usize) -> Result<Value, ControlError> {
        let unknown = || ControlError {
            code: "VSIM_UNKNOWN_SYMBOL",
            reason: format!("symbol={symbol}"),
        };
        let stock = Stock::from_symbol(symbol).ok_or_else(unknown)?;
        let instrument = self
            .seeder
            .locates()
            .instrument_of(&stock)
            .ok_or_else(unknown)?;
        let empty = LevelView {
            price: Price(0),
            qty: 0,
            order_count: 0,
        };
        let mut levels = vec![empty; depth];
        let mut side = |side: Side| -> Vec<Value> {
            let n = self.engine.depth(instrument, side, &mut levels);
            levels[..n]
                .iter()
                .map(|l| json!({"price": l.price.0, "qty": l.qty, "orders": l.order_count}))
                .collect()
        };
        let bids = side(Side::Buy);
        let asks = side(Side::Sell);
        Ok(json!({"symbol": symbol, "instrument": instrument.0, "bids": bids, "asks": asks}))
    }

    fn status(&self) -> Value {
        let sessions: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| {
                json!({
                    "username": a.name,
                    "connected": a.connected,
                    "next_seq": crossbar_soupbintcp::MessageStore::next_sequence_number(&a.store),
                    "orders_accepted": a.orders_accepted,
                    "rejected": a.rejected,
                    "malformed": a.malformed,
                    "ignored": a.ignored,
                    "store_full": a.store_full,
                    "fills": a.fees.fills,
                    "shares_filled": a.fees.shares,
                    "taker_fills": a.fees.taker_fills,
                    "maker_fills": a.fees.maker_fills,
                    "net_fees": a.fees.net_fees,
                })
            })
            .collect();
        let m = self.engine.counters();
        let c = &self.counters;
        let counters: serde_json::Map<String, Value> = self
            .counter_set
            .snapshot()
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        json!({
            "venue": self.config.venue.as_str(),
            "venue_id": self.config.venue_id,
            "next_seq": self.history.lock().next_sequence_number(),
            "next_unsent_seq": self.publisher.next_unsent_sequence_number(),
            "seeding_done": self.seeder.is_done(),
            "seed_messages": self.seeder.counters().messages_published.get(),
            "instruments": self.seeder.locates().len(),
            "orders": self.engine.order_count(),
            "client_orders": self.engine.client_order_count(),
            "orders_accepted": m.orders_accepted,
            "client_rejected": m.client_rejected,
            "fills": m.matches,
            "matched_shares": m.matched_qty,
            "fees": {
                "unit": "1/10000 USD",
                "taker_fee_per_share": self.fees.taker_fee_per_share,
                "maker_rebate_per_share": self.fees.maker_rebate_per_share,
                "net": self.accounts.iter().map(|a| a.fees.net_fees).sum::<i64>(),
            },
            "sessions": sessions,
            "connections": self.connections.iter().filter(|c| c.is_some()).count(),
            "venue_counters": {
                "connections_accepted": c.connections_accepted,
                "connections_refused": c.connections_refused,
                "connections_cut": c.connections_cut,
                "protocol_errors": c.protocol_errors,
                "feed_encode_errors": c.feed_encode_errors,
                "feed_publish_errors": c.feed_publish_errors,
                "ouch_encode_errors": c.ouch_encode_errors,
                "inbound_overflow": self.inbound.overflow,
                "commands": c.commands,
            },
            "counters": counters,
        })
    }

    /// Sends End of Session (`Z`, SoupBinTCP 3.0 §2.2.5) on every logged-in connection after
    /// its stored messages, flushing for up to `deadline`, then closes every connection.
    fn end_sessions(&mut self, now_ns: u64, deadline: Duration) {
        let until = Instant::now() + deadline;
        for slot in 0..self.connections.len() {
            let Some(conn) = self.connections[slot].as_mut() else {
                continue;
            };
            let _ = conn.stream.set_nonblocking(false);
            let _ = conn
                .stream
                .set_write_timeout(Some(Duration::from_millis(200)));
            let selected = Cell::new(conn.account);
            let mut spare = InboundArena::default();
            while conn.session.state() == ServerState::Active && Instant::now() < until {
                let mut listener = SessionListener {
                    accounts: &self.accounts,
                    selected: &selected,
                    inbound: &mut spare,
                    logged_in: false,
                    closed: None,
                };
                let store = SelectedStore {
                    accounts: &self.accounts,
                    selected: &selected,
                };
                let ended = conn.session.end_session(now_ns, &store, &mut listener);
                if conn
                    .stream
                    .write_all(conn.session.pending_output())
                    .is_err()
                {
                    break;
                }
                let sent = conn.session.pending_output().len();
                conn.session.output_sent(sent);
                if ended.is_ok() {
                    break;
                }
            }
            self.close(slot);
        }
    }
}

impl Agent for Venue {
    fn role_name(&self) -> &str {
        "venue-sim"
    }

    fn do_work(&mut self, now_ns: u64) -> usize {
        let mut work = self.poll_control();
        if !self.seeder.is_done() {
            work += self
                .seeder
                .step(&mut self.engine, &mut self.publisher, now_ns);
            self.report_seeded();
        }
        work += self.accept(now_ns);
        for slot in 0..self.connections.len() {
            work += self.read_connection(slot);
        }
        for slot in 0..self.connections.len() {
            work += self.flush_connection(slot, now_ns);
        }
        work += self.publisher.do_work(now_ns);
        work + self.requests.do_work(now_ns)
    }

    fn on_close(&mut self) {
        let now_ns = crossbar_runtime::agent::wall_clock_ns();
        self.end_sessions(now_ns, Duration::from_secs(2));
        self.publisher.on_close();
        tracing::info!("venue stopped: feed End of Session sent, OUCH sessions ended");
    }
}
