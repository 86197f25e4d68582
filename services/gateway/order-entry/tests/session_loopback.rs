//! `OuchSession` over real loopback TCP against a small in-test venue: SoupBinTCP 3.0
//! `ServerSession` + `MemoryStore` on a non-blocking `TcpListener`, driven by its own thread in
//! a fixed poll loop. The venue decodes OUCH 5.0 §2.1 Enter Orders and answers §3.2 Accepted
//! and §3.6 Executed as sequenced data; it can cut the TCP connection in the middle of a burst
//! of executions, so the session's reconnect-and-replay path (SoupBinTCP §1.2) is exercised.

mod common;
use common::*;
use crossbar_model::{InstrumentId, OrderId, Price, Qty, Side as MSide};
use crossbar_order_entry::{OuchSession, Outcome, SbeSink};
use crossbar_ouch as ouch;
use crossbar_runtime::Agent;
use crossbar_sbe::generated::Side;
use crossbar_sbe::{decode, ExecType, ExecutionReport, Message, OrderStatus, RejectReason};
use crossbar_soupbintcp::{
    ClientConfig, MemoryStore, MessageStore, Password, ServerConfig, ServerListener, ServerSession,
    ServerStatus, SessionId, Username,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Both sides give up after this long; every test finishes far sooner.
const DEADLINE: Duration = Duration::from_secs(10);
/// Sleep of an idle poll-loop iteration.
const IDLE_SLEEP: Duration = Duration::from_micros(200);
/// Venue order reference number of the first accepted order.
const FIRST_ORDER_REF: u64 = 90_000;
/// Match number of a venue's first execution.
const FIRST_MATCH: u64 = 7_000;

/// How the venue answers each Enter Order.
#[derive(Clone, Debug)]
struct Script {
    /// Shares of each execution, in order (OUCH §3.6), sent as one burst after the Accepted.
    fills: Vec<u32>,
    /// Execution price, 1/10,000.
    fill_price: i64,
    /// Cut the first burst's connection after this many whole executions were written, plus
    /// `cut_extra_bytes` of the next one (a packet torn in half).
    cut_after: Option<usize>,
    /// Bytes of the next execution packet written before the cut.
    cut_extra_bytes: usize,
}

/// What the venue saw, shared with the test thread.
#[derive(Debug, Default)]
struct VenueLog {
    /// Every Unsequenced Data payload (OUCH inbound message), in arrival order.
    inbound: Vec<Vec<u8>>,
    /// Sequence number each login was accepted from (the client's requested one).
    logins: Vec<u64>,
    /// Connections accepted.
    accepts: u32,
    /// Connections the venue cut on purpose.
    cuts: u32,
    /// Anything that went wrong inside the venue thread.
    errors: Vec<String>,
}

/// The session-layer callbacks of the venue: fixed credentials, records what arrives.
struct VenueListener {
    inbound: Vec<Vec<u8>>,
    logins: Vec<u64>,
}

impl ServerListener for VenueListener {
    fn authenticate(&mut self, username: &Username, password: &Password) -> bool {
        *username == Username::new("TRADER").unwrap() && *password == Password::new("pw").unwrap()
    }
    fn on_unsequenced_data(&mut self, message: &[u8]) {
        self.inbound.push(message.to_vec());
    }
    fn on_status(&mut self, status: ServerStatus) {
        if let ServerStatus::LoginAccepted {
            sequence_number, ..
        } = status
        {
            self.logins.push(sequence_number);
        }
    }
}

/// The log even if a failed assertion poisoned it (the venue thread keeps running to its end).
fn lock(log: &Mutex<VenueLog>) -> std::sync::MutexGuard<'_, VenueLog> {
    log.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One accepted connection.
struct Conn {
    sock: TcpStream,
    server: ServerSession,
}

/// An execution burst waiting for the Accepted to be on the wire.
struct Burst {
    user_ref_num: u32,
}

/// The venue's state, owned by its thread.
struct VenueCore {
    listener: TcpListener,
    store: MemoryStore,
    callbacks: VenueListener,
    conn: Option<Conn>,
    script: Script,
    log: Arc<Mutex<VenueLog>>,
    bursts: Vec<Burst>,
    inbound_seen: usize,
    next_order_ref: u64,
    next_match: u64,
    cut_done: bool,
    start: Instant,
}

fn server_config() -> ServerConfig {
    ServerConfig::new(SessionId::new("SESS01").unwrap())
}

fn client_config() -> ClientConfig {
    ClientConfig::new(
        Username::new("TRADER").unwrap(),
        Password::new("pw").unwrap(),
    )
}

impl VenueCore {
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn error(&self, what: String) {
        lock(&self.log).errors.push(what);
    }

    fn accept(&mut self) {
        if self.conn.is_some() {
            return;
        }
        match self.listener.accept() {
            Ok((sock, _)) => {
                if sock.set_nonblocking(true).is_err() || sock.set_nodelay(true).is_err() {
                    self.error("socket options".into());
                    return;
                }
                let server = ServerSession::new(server_config(), self.now_ns());
                self.conn = Some(Conn { sock, server });
                lock(&self.log).accepts += 1;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => self.error(format!("accept: {e}")),
        }
    }

    /// Reads what is available into the server session; drops the connection on EOF/error.
    fn read(&mut self) -> usize {
        let now_ns = self.now_ns();
        let Some(conn) = self.conn.as_mut() else {
            return 0;
        };
        let mut buf = [0u8; 4096];
        let mut moved = 0;
        loop {
            match conn.sock.read(&mut buf) {
                Ok(0) => {
                    let _ = conn.server.on_disconnect(&mut self.callbacks);
                    self.conn = None;
                    return moved + 1;
                }
                Ok(n) => {
                    moved += n;
                    if let Err(e) =
                        conn.server
                            .on_bytes(&buf[..n], now_ns, &self.store, &mut self.callbacks)
                    {
                        self.conn = None;
                        self.error(format!("server on_bytes: {e}"));
                        return moved;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return moved,
                Err(_) => {
                    let _ = conn.server.on_disconnect(&mut self.callbacks);
                    self.conn = None;
                    return moved + 1;
                }
            }
        }
    }

    /// Answers new Enter Orders with Accepted and schedules their execution bursts.
    fn match_orders(&mut self) -> usize {
        let mut work = 0;
        while self.inbound_seen < self.callbacks.inbound.len() {
            let raw = self.callbacks.inbound[self.inbound_seen].clone();
            self.inbound_seen += 1;
            work += 1;
            match ouch::decode_inbound(&raw) {
                Ok(ouch::InboundMessage::EnterOrder(m)) => {
                    let order_ref = self.next_order_ref;
                    self.next_order_ref += 1;
                    let accepted = accepted(m.user_ref_num.0, m.quantity.0, m.price.0, order_ref);
                    if let Err(e) = self.store.append(&accepted) {
                        self.error(format!("store: {e}"));
                    }
                    self.bursts.push(Burst {
                        user_ref_num: m.user_ref_num.0,
                    });
                }
                Ok(other) => self.error(format!("unexpected inbound {other:?}")),
                Err(e) => self.error(format!("inbound decode: {e}")),
            }
        }
        let mut log = lock(&self.log);
        log.inbound.clone_from(&self.callbacks.inbound);
        log.logins.clone_from(&self.callbacks.logins);
        work
    }

    /// Once everything stored so far is on the wire, stores the next burst of executions.
    fn release_burst(&mut self) -> Option<usize> {
        let conn = self.conn.as_ref()?;
        let idle = conn.server.pending_output().is_empty()
            && conn.server.next_sequence_number_to_send() == self.store.next_sequence_number();
        if !idle || self.bursts.is_empty() {
            return None;
        }
        let burst = self.bursts.remove(0);
        let mut packet_len = 0;
        for &qty in &self.script.fills {
            let exec = executed(
                burst.user_ref_num,
                qty,
                self.script.fill_price,
                self.next_match,
            );
            self.next_match += 1;
            packet_len = 3 + exec.len();
            if let Err(e) = self.store.append(&exec) {
                self.error(format!("store: {e}"));
            }
        }
        Some(packet_len)
    }

    /// Writes only the first `bytes` of the pending output, closes the write side, waits for
    /// the client to close, then drops the connection: a TCP cut mid-burst.
    fn cut(&mut self, bytes: usize) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let pending = conn.server.pending_output();
        if pending.len() < bytes {
            self.error(format!("cut: pending={} < bytes={bytes}", pending.len()));
        }
        let bytes = bytes.min(pending.len());
        let mut written = 0;
        let start = Instant::now();
        while written < bytes && start.elapsed() < DEADLINE {
            match conn.sock.write(&pending[written..bytes]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(IDLE_SLEEP),
                Err(e) => {
                    self.error(format!("cut write: {e}"));
                    break;
                }
            }
        }
        // FIN after the prefix; drain until the client closes so no unread data turns the
        // close into a reset that could discard the prefix at the client.
        let _ = conn.sock.shutdown(Shutdown::Write);
        let mut buf = [0u8; 1024];
        while start.elapsed() < DEADLINE {
            match conn.sock.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(IDLE_SLEEP),
                Err(_) => break,
            }
        }
        let _ = conn.server.on_disconnect(&mut self.callbacks);
        self.cut_done = true;
        lock(&self.log).cuts += 1;
    }

    /// Polls the server session and writes its output (or cuts the connection mid-burst).
    fn poll_and_flush(&mut self, burst_packet_len: Option<usize>) -> usize {
        let now_ns = self.now_ns();
        let Some(conn) = self.conn.as_mut() else {
            return 0;
        };
        let mut work = match conn.server.poll(now_ns, &self.store, &mut self.callbacks) {
            Ok(n) => n,
            Err(e) => {
                self.conn = None;
                self.error(format!("server poll: {e}"));
                return 1;
            }
        };
        if let (Some(packet_len), Some(k), false) =
            (burst_packet_len, self.script.cut_after, self.cut_done)
        {
            let want = self.script.fills.len() * packet_len;
            let have = conn.server.pending_output().len();
            if have != want {
                self.error(format!("burst: pending={have} expected={want}"));
            }
            self.cut(k * packet_len + self.script.cut_extra_bytes);
            return work + 1;
        }
        let pending = conn.server.pending_output();
        if !pending.is_empty() {
            match conn.sock.write(pending) {
                Ok(n) => {
                    conn.server.output_sent(n);
                    work += n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => {
                    let _ = conn.server.on_disconnect(&mut self.callbacks);
                    self.conn = None;
                    work += 1;
                }
            }
        }
        if self.conn.as_ref().is_some_and(|c| {
            c.server.state() == crossbar_soupbintcp::ServerState::Closed
                && c.server.pending_output().is_empty()
        }) {
            self.conn = None;
        }
        work
    }

    fn do_work(&mut self) -> usize {
        self.accept();
        let mut work = self.read();
        work += self.match_orders();
        let burst = self.release_burst();
        work + self.poll_and_flush(burst)
    }
}

/// The venue thread and what it shares.
struct Venue {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<VenueLog>>,
    thread: Option<JoinHandle<()>>,
}

impl Venue {
    fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(VenueLog::default()));
        let mut core = VenueCore {
            listener,
            store: MemoryStore::with_capacity(1_024, 1 << 20),
            callbacks: VenueListener {
                inbound: Vec::new(),
                logins: Vec::new(),
            },
            conn: None,
            script,
            log: Arc::clone(&log),
            bursts: Vec::new(),
            inbound_seen: 0,
            next_order_ref: FIRST_ORDER_REF,
            next_match: FIRST_MATCH,
            cut_done: false,
            start: Instant::now(),
        };
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) && core.start.elapsed() < DEADLINE {
                if core.do_work() == 0 {
                    std::thread::sleep(IDLE_SLEEP);
                }
            }
        });
        Self {
            addr,
            stop,
            log,
            thread: Some(thread),
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, VenueLog> {
        lock(&self.log)
    }
}

impl Drop for Venue {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Every SBE message the session delivered, in order.
#[derive(Default)]
struct Recorder(Vec<Vec<u8>>);

impl SbeSink for Recorder {
    fn on_sbe(&mut self, message: &[u8]) {
        self.0.push(message.to_vec());
    }
}

/// The gateway side: an `OuchSession` and its clock.
struct Gateway {
    session: OuchSession<Recorder>,
    start: Instant,
}

impl Gateway {
    fn connect(venue: &Venue) -> Self {
        let session = OuchSession::new(
            venue.addr,
            client_config(),
            router(16),
            Recorder::default(),
            5_000_000, // retry every 5 ms while down
        );
        let mut gw = Self {
            session,
            start: Instant::now(),
        };
        gw.run_until("login", |g| g.session.is_active());
        gw
    }

    fn now_ns(&self) -> u64 {
        NOW_NS + self.start.elapsed().as_nanos() as u64
    }

    /// Drives `do_work` until `done` holds; panics after [`DEADLINE`].
    fn run_until(&mut self, goal: &str, done: impl Fn(&Gateway) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < DEADLINE, "gateway never reached: {goal}");
            let now_ns = self.now_ns();
            if self.session.do_work(now_ns) == 0 {
                std::thread::sleep(IDLE_SLEEP);
            }
        }
    }

    fn submit(&mut self, sbe: &[u8]) -> Outcome {
        let now_ns = self.now_ns();
        self.session.submit(sbe, now_ns).unwrap()
    }

    fn messages(&self) -> Vec<Message> {
        self.session
            .sink()
            .0
            .iter()
            .map(|m| decode(m).unwrap())
            .collect()
    }

    fn reports(&self) -> Vec<ExecutionReport> {
        self.messages()
            .into_iter()
            .map(|m| match m {
                Message::ExecutionReport(er) => er,
                other => panic!("expected an ExecutionReport, got {other:?}"),
            })
            .collect()
    }
}

fn expected_enter_order(user_ref_num: u32, price: i64, qty: u32, cl_ord_id: &str) -> Vec<u8> {
    let m = ouch::EnterOrder {
        user_ref_num: ouch::UserRefNum(user_ref_num),
        side: ouch::OrderSide::Buy,
        quantity: Qty(qty),
        symbol: ouch::Symbol::new("AAPL").unwrap(),
        price: Price(price),
        time_in_force: ouch::TimeInForce::Day,
        display: ouch::Display::Visible,
        capacity: ouch::Capacity::Agency,
        intermarket_sweep: ouch::IntermarketSweep::NotEligible,
        cross_type: ouch::CrossType::Continuous,
        cl_ord_id: ouch::ClOrdId::new(cl_ord_id).unwrap(),
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

#[test]
fn order_reaches_venue_as_enter_order_and_fills_return_as_execution_reports() {
    let venue = Venue::start(Script {
        fills: vec![100, 200],
        fill_price: 1_000_040,
        cut_after: None,
        cut_extra_bytes: 0,
    });
    let mut gw = Gateway::connect(&venue);
    assert_eq!(venue.log().logins, [1]);

    let out = gw.submit(&new_child_order(42, 0, Side::Buy, 1_000_050, 300));
    assert_eq!(out, Outcome::Sent { user_ref_num: 1 });
    gw.run_until("three reports", |g| g.session.sink().0.len() == 3);

    let log = venue.log();
    assert!(log.errors.is_empty(), "venue errors: {:?}", log.errors);
    // 42 in base 36 is "16".
    assert_eq!(log.inbound, [expected_enter_order(1, 1_000_050, 300, "16")]);
    drop(log);

    let reports = gw.reports();
    let summary: Vec<_> = reports
        .iter()
        .map(|r| {
            (
                r.exec_type,
                r.order_status,
                r.last_qty,
                r.last_px,
                r.leaves_qty,
                r.cum_qty,
                r.match_id,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                ExecType::New,
                OrderStatus::New,
                Qty(0),
                Price(0),
                Qty(300),
                Qty(0),
                0
            ),
            (
                ExecType::PartialFill,
                OrderStatus::PartiallyFilled,
                Qty(100),
                Price(1_000_040),
                Qty(200),
                Qty(100),
                FIRST_MATCH
            ),
            (
                ExecType::Fill,
                OrderStatus::Filled,
                Qty(200),
                Price(1_000_040),
                Qty(0),
                Qty(300),
                FIRST_MATCH + 1
            ),
        ]
    );
    for r in &reports {
        assert_eq!(
            (r.order_id, r.parent_order_id, r.instrument_id, r.price),
            (OrderId(42), OrderId(7), InstrumentId(0), Price(1_000_050))
        );
        assert_eq!(r.venue_order_ref, FIRST_ORDER_REF);
    }
    let risk = gw.session.router().risk();
    assert_eq!(risk.position(InstrumentId(0)), Some(300));
    assert_eq!(risk.open_qty(InstrumentId(0), MSide::Buy), Some(0));
    assert_eq!(risk.open_order_count(), 0);
    assert_eq!(gw.session.router().live_orders(), 0);
    assert_eq!(gw.session.counters().venue_message_errors, 0);
    assert_eq!(gw.session.counters().connects, 1);
}

#[test]
fn risk_violating_order_never_reaches_the_venue_and_is_rejected_with_its_code() {
    let venue = Venue::start(Script {
        fills: vec![],
        fill_price: 0,
        cut_after: None,
        cut_extra_bytes: 0,
    });
    let mut gw = Gateway::connect(&venue);

    // 5,001 shares against a 5,000-share max order quantity.
    let out = gw.submit(&new_child_order(43, 0, Side::Buy, 1_000_050, 5_001));
    assert!(
        matches!(
            out,
            Outcome::Rejected {
                reason: RejectReason::MaxOrderQty,
                ..
            }
        ),
        "{out:?}"
    );
    // A valid order after it: once the venue has seen this one, it would have seen the first.
    let out = gw.submit(&new_child_order(44, 0, Side::Buy, 1_000_050, 100));
    assert_eq!(out, Outcome::Sent { user_ref_num: 1 });
    gw.run_until("accepted", |g| g.session.sink().0.len() == 2);

    let log = venue.log();
    assert!(log.errors.is_empty(), "venue errors: {:?}", log.errors);
    // 44 in base 36 is "18"; UserRefNum 1: the rejected order never took one.
    assert_eq!(log.inbound, [expected_enter_order(1, 1_000_050, 100, "18")]);
    drop(log);

    let messages = gw.messages();
    let Message::OrderReject(rej) = &messages[0] else {
        panic!("{:?}", messages[0])
    };
    assert_eq!(
        (rej.order_id, rej.instrument_id, rej.reject_reason),
        (OrderId(43), InstrumentId(0), RejectReason::MaxOrderQty)
    );
    assert_eq!(
        rej.text,
        "RISK_MAX_ORDER_QTY qty=5001 max=5000 instrument=0"
    );
    let Message::ExecutionReport(er) = &messages[1] else {
        panic!("{:?}", messages[1])
    };
    assert_eq!((er.order_id, er.exec_type), (OrderId(44), ExecType::New));
    let risk = gw.session.router().risk();
    assert_eq!(risk.open_qty(InstrumentId(0), MSide::Buy), Some(100));
    assert_eq!(risk.reject_count(1), 1);
    assert_eq!(gw.session.router().counters().local_rejects, 1);
    assert_eq!(gw.session.router().counters().orders_sent, 1);
}

#[test]
fn cut_mid_burst_reconnects_and_delivers_every_execution_exactly_once() {
    const FILLS: usize = 10;
    const FILL_QTY: u32 = 50;
    const CUT_AFTER: usize = 4;
    let venue = Venue::start(Script {
        fills: vec![FILL_QTY; FILLS],
        fill_price: 1_000_030,
        cut_after: Some(CUT_AFTER),
        // Half of the next execution's packet: the client holds a torn frame at the cut.
        cut_extra_bytes: 10,
    });
    let mut gw = Gateway::connect(&venue);
    let order_qty = FILL_QTY * FILLS as u32;
    let out = gw.submit(&new_child_order(50, 0, Side::Buy, 1_000_050, order_qty));
    assert_eq!(out, Outcome::Sent { user_ref_num: 1 });
    // Accepted + every fill.
    gw.run_until("all reports", |g| g.session.sink().0.len() == 1 + FILLS);
    // Anything extra (a duplicate) would arrive in the same replay: give it a moment.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(50) {
        let now_ns = gw.now_ns();
        if gw.session.do_work(now_ns) == 0 {
            std::thread::sleep(IDLE_SLEEP);
        }
    }

    let log = venue.log();
    assert!(log.errors.is_empty(), "venue errors: {:?}", log.errors);
    assert_eq!((log.accepts, log.cuts), (2, 1));
    // Seq 1 = Accepted, 2..=5 the executions delivered before the cut: the reconnect asks for 6.
    assert_eq!(log.logins, [1, 2 + CUT_AFTER as u64]);
    assert_eq!(log.inbound.len(), 1, "the order was sent once");
    drop(log);

    let reports = gw.reports();
    assert_eq!(reports.len(), 1 + FILLS);
    assert_eq!(reports[0].exec_type, ExecType::New);
    let fills = &reports[1..];
    let match_ids: Vec<u64> = fills.iter().map(|r| r.match_id).collect();
    let expected_ids: Vec<u64> = (0..FILLS as u64).map(|i| FIRST_MATCH + i).collect();
    assert_eq!(match_ids, expected_ids, "each execution once, in order");
    for (i, r) in fills.iter().enumerate() {
        let cum = FILL_QTY * (i as u32 + 1);
        assert_eq!(
            (r.order_id, r.last_qty, r.last_px, r.cum_qty, r.leaves_qty),
            (
                OrderId(50),
                Qty(FILL_QTY),
                Price(1_000_030),
                Qty(cum),
                Qty(order_qty - cum)
            )
        );
        let (exec_type, status) = if i + 1 == FILLS {
            (ExecType::Fill, OrderStatus::Filled)
        } else {
            (ExecType::PartialFill, OrderStatus::PartiallyFilled)
        };
        assert_eq!((r.exec_type, r.order_status), (exec_type, status));
    }
    assert_eq!(fills.last().unwrap().cum_qty, Qty(order_qty));

    let counters = gw.session.counters();
    assert_eq!(counters.connects, 2);
    assert_eq!(counters.disconnects, 1);
    assert_eq!(counters.venue_message_errors, 0);
    let router = gw.session.router();
    assert_eq!(router.counters().executions, FILLS as u64);
    assert_eq!(router.counters().duplicates, 0);
    assert_eq!(router.live_orders(), 0);
    let risk = router.risk();
    assert_eq!(risk.position(InstrumentId(0)), Some(i64::from(order_qty)));
    assert_eq!(risk.open_qty(InstrumentId(0), MSide::Buy), Some(0));
    assert_eq!(risk.open_order_count(), 0);
    assert_eq!(
        gw.session.soup().next_expected_sequence_number(),
        2 + FILLS as u64
    );
}
