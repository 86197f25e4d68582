//! The venue and the centre, played by the test around a real `crossbar-gateway` process:
//! a MoldUDP64/ITCH sender and request server over UDP, a SoupBinTCP/OUCH venue over TCP, and
//! an Aeron client of the gateway's embedded driver. Every socket is real, on loopback.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbar_book::{BookLimits, Level};
use crossbar_feed::{BookBuilder, BookBuilderLimits, FeedHandler};
use crossbar_integration_tests::{aeron_dir, free_udp_port, write_file, ChildProcess};
use crossbar_itch::{ItchMessage, Stock};
use crossbar_model::{InstrumentId, Price, Qty, Side};
use crossbar_moldudp64::{PacketEncoder, RequestPacket, Session};
use crossbar_ouch as ouch;
use crossbar_runtime::{IdleStrategy, IdleStrategyConfig};
use crossbar_sbe::{BookAction, Message};
use crossbar_soupbintcp::{
    MemoryStore, Password, ServerConfig, ServerListener, ServerSession, ServerStatus, SessionId,
    Username,
};
use crossbar_transport::{Publisher, StreamConfig, Subscriber, Transport, TransportConfig};

pub const SESSION: Session = Session(*b"GWTEST0001");
pub const DEADLINE: Duration = Duration::from_secs(60);
pub const GATEWAY_ID: u16 = 1;
pub const VENUE_ID: u16 = 1;
pub const LEVELS_PER_SIDE: u32 = 256;

pub fn stocks(symbols: &[&str]) -> Vec<Stock> {
    symbols
        .iter()
        .map(|s| Stock::from_symbol(s).unwrap())
        .collect()
}

// ---------------------------------------------------------------- the gateway process

/// Ports and paths of one gateway under test.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub aeron: PathBuf,
    pub feed_port: u16,
    pub request_server: SocketAddr,
    pub venue: SocketAddr,
}

/// The gateway's config: backoff idle, small terms, 100 ms heartbeats and FeedStatus, a
/// journal in the test's directory (1 MiB segments), and no centre liveness rule unless
/// `extra` has a `[centre]` section.
pub fn gateway_toml(setup: &Setup, universe: &[&str], extra: &str) -> String {
    let instruments: Vec<String> = universe.iter().map(|s| format!("\"{s}\"")).collect();
    let centre = if extra.contains("[centre]") {
        ""
    } else {
        "[centre]\nheartbeat_timeout_ms = 0\n"
    };
    format!(
        "gateway_id = {GATEWAY_ID}\nvenue_id = {VENUE_ID}\nvenue = \"NASDAQ\"\n\
         instruments = [{}]\nheartbeat_interval_ms = 100\nfeed_status_interval_ms = 100\n\
         idle = {{ kind = \"backoff\", max_park_ns = 200000 }}\n{extra}\n\
         [logging]\nlevel = \"warn\"\n\
         [feed]\naddr = \"127.0.0.1:{}\"\ninterface = \"127.0.0.1\"\nrequest_server = \"{}\"\n\
         session = \"GWTEST0001\"\nrequest_timeout_ms = 100\nrequest_attempts_max = 50\n\
         [book]\norders = 65536\nlevels_per_side = {LEVELS_PER_SIDE}\n\
         [order_entry]\nvenue_addr = \"{}\"\nusername = \"GW1\"\npassword = \"pw\"\n\
         reconnect_interval_ms = 50\n\
         [risk]\nstartup_credit_shares = 1000000000\nstartup_credit_notional = 9000000000000000000\n\
         [transport]\naeron_dir = \"{}\"\nembedded_driver = true\n\
         ipc_term_buffer_length = 262144\nudp_term_buffer_length = 65536\n\
         idle = {{ kind = \"backoff\" }}\ndriver_idle = {{ kind = \"backoff\" }}\n\
         [journal]\ndir = \"{}\"\nsegment_size_bytes = 1048576\npretouch = false\n{centre}",
        instruments.join(", "),
        setup.feed_port,
        setup.request_server,
        setup.venue,
        setup.aeron.display(),
        setup.dir.path().join("journal").display()
    )
}

pub fn setup(test: &str, request_server: SocketAddr, venue: SocketAddr) -> Setup {
    Setup {
        dir: tempfile::tempdir().unwrap(),
        aeron: aeron_dir(test),
        feed_port: free_udp_port(),
        request_server,
        venue,
    }
}

pub fn spawn_gateway(setup: &Setup, toml: &str) -> ChildProcess {
    let path = write_file(setup.dir.path(), "gateway.toml", toml);
    let mut gw = ChildProcess::spawn(
        "crossbar-gateway",
        Path::new(env!("CARGO_BIN_EXE_crossbar-gateway")),
        &["--config", path.to_str().unwrap()],
        &[],
    );
    let ready = gw.wait_for_line("GATEWAY_READY", DEADLINE);
    assert!(
        ready.starts_with("GATEWAY_READY venue=NASDAQ gateway_id=1 feed=127.0.0.1:"),
        "{ready}"
    );
    let rcvbuf: usize = ready
        .split_once(" feed_rcvbuf=")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("no feed_rcvbuf on {ready}"));
    assert!(rcvbuf > 0, "{ready}");
    gw
}

/// Stops the gateway with SIGTERM; asserts exit 0 and returns its counters.
pub fn stop_gateway(gw: ChildProcess) -> BTreeMap<String, u64> {
    let (status, lines, stderr) = gw.terminate(DEADLINE);
    assert!(status.success(), "gateway exit {status:?}\n{stderr}");
    let line = lines
        .iter()
        .find(|l| l.starts_with("GATEWAY_COUNTERS"))
        .unwrap_or_else(|| panic!("no counters line in {lines:?}\n{stderr}"));
    line.split_whitespace()
        .skip(1)
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

// ---------------------------------------------------------------- the centre (Aeron)

/// An Aeron client of the gateway's embedded driver.
pub struct Centre {
    pub orders: Publisher,
    pub market_data: Option<Subscriber>,
    pub executions: Option<Subscriber>,
    pub transport: Transport,
    idle: IdleStrategy,
}

impl Centre {
    pub fn connect(aeron: &Path) -> Self {
        let config = TransportConfig {
            aeron_dir: aeron.to_owned(),
            embedded_driver: false,
            ipc_term_buffer_length: 262_144,
            ..TransportConfig::default()
        };
        let mut transport = Transport::start(config).unwrap();
        let orders = transport
            .add_publication_with("orders", &StreamConfig::new("aeron:ipc", 1100 + 1))
            .unwrap();
        let mut idle = IdleStrategy::new(IdleStrategyConfig::default());
        orders.wait_connected(DEADLINE, &mut idle).unwrap();
        Self {
            orders,
            market_data: None,
            executions: None,
            transport,
            idle,
        }
    }

    pub fn subscribe_market_data(&mut self) {
        let s = self
            .transport
            .add_subscription_with("md", &StreamConfig::new("aeron:ipc", 1003))
            .unwrap();
        s.wait_connected(DEADLINE, &mut self.idle).unwrap();
        self.market_data = Some(s);
    }

    pub fn subscribe_executions(&mut self) {
        let s = self
            .transport
            .add_subscription_with("exec", &StreamConfig::new("aeron:ipc", 1002))
            .unwrap();
        s.wait_connected(DEADLINE, &mut self.idle).unwrap();
        self.executions = Some(s);
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.orders
            .offer_with_retry(bytes, 1_000_000, &mut self.idle)
            .unwrap();
    }

    pub fn send(&mut self, message: &Message) {
        let mut buf = vec![0u8; 4096];
        let len = crossbar_sbe::encode(message, &mut buf).unwrap();
        self.send_bytes(&buf[..len]);
    }

    /// Hands every market-data message to `sink` until it returns true (the rest of that
    /// poll's batch is handed over too).
    pub fn market_data_until(&mut self, what: &str, sink: &mut dyn FnMut(Message) -> bool) {
        let start = Instant::now();
        let sub = self.market_data.as_mut().expect("subscribed");
        let mut done = false;
        while !done {
            assert!(
                start.elapsed() < DEADLINE,
                "market data never reached: {what}"
            );
            let n = sub
                .poll(
                    // Every polled message goes to the sink, also after `done`: none is lost.
                    &mut |bytes: &[u8]| done |= sink(crossbar_sbe::decode(bytes).unwrap()),
                    64,
                )
                .unwrap();
            self.idle.idle(n);
        }
    }

    /// Execution-stream frames as sent (heartbeats left out) until `count` arrived.
    pub fn executions_raw(&mut self, count: usize) -> Vec<Vec<u8>> {
        let start = Instant::now();
        let mut out: Vec<Vec<u8>> = Vec::new();
        let sub = self.executions.as_mut().expect("subscribed");
        while out.len() < count {
            assert!(
                start.elapsed() < DEADLINE,
                "only {} of {count} execution frames",
                out.len()
            );
            let n = sub
                .poll(
                    &mut |bytes: &[u8]| {
                        if !matches!(crossbar_sbe::decode(bytes), Ok(Message::Heartbeat(_))) {
                            out.push(bytes.to_vec());
                        }
                    },
                    64,
                )
                .unwrap();
            self.idle.idle(n);
        }
        out
    }

    /// Execution-stream messages (heartbeats left out) until `count` arrived.
    pub fn executions(&mut self, count: usize) -> Vec<Message> {
        let start = Instant::now();
        let mut out = Vec::new();
        let sub = self.executions.as_mut().expect("subscribed");
        while out.len() < count {
            assert!(
                start.elapsed() < DEADLINE,
                "only {} of {count} execution messages: {out:?}",
                out.len()
            );
            let n = sub
                .poll(
                    &mut |bytes: &[u8]| match crossbar_sbe::decode(bytes).unwrap() {
                        Message::Heartbeat(_) => {}
                        m => out.push(m),
                    },
                    64,
                )
                .unwrap();
            self.idle.idle(n);
        }
        out
    }
}

// ---------------------------------------------------------------- the venue's feed (UDP)

/// ITCH messages in MoldUDP64 packets: `messages[i]` has sequence number `i + 1`.
pub struct Day {
    pub messages: Vec<Vec<u8>>,
    pub packets: Vec<Vec<u8>>,
}

pub fn packetize(messages: &[ItchMessage], packet_bytes: usize) -> Day {
    let mut encoder = PacketEncoder::new(SESSION, 1, packet_bytes).unwrap();
    let mut day = Day {
        messages: Vec::new(),
        packets: Vec::new(),
    };
    let mut scratch = [0u8; 64];
    for m in messages {
        let len = m.encode(&mut scratch).unwrap();
        if !encoder.fits(len) {
            day.packets.push(encoder.packet().to_vec());
            encoder.next_packet();
        }
        encoder.push(&scratch[..len]).unwrap();
        day.messages.push(scratch[..len].to_vec());
    }
    if !encoder.is_empty() {
        day.packets.push(encoder.packet().to_vec());
    }
    day
}

pub fn send_packets(feed: SocketAddr, packets: &[Vec<u8>]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (i, p) in packets.iter().enumerate() {
        socket.send_to(p, feed).unwrap();
        if i % 8 == 7 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// The MoldUDP64 request server: answers each request from `day` (one packet, as many
/// messages as fit 1,400 bytes). Returns the requests it got when stopped.
pub struct RequestServer {
    pub addr: SocketAddr,
    pub day: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<RequestPacket>>>,
}

impl RequestServer {
    pub fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let day: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (day.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while !s.load(Ordering::Acquire) {
                let Ok((len, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(request) = RequestPacket::decode(&buf[..len]) else {
                    continue;
                };
                got.push(request);
                let messages = d.lock().unwrap();
                let mut enc = PacketEncoder::new(SESSION, request.sequence_number, 1_400).unwrap();
                let first = (request.sequence_number - 1) as usize;
                for m in messages
                    .iter()
                    .skip(first)
                    .take(usize::from(request.requested_count))
                {
                    if !enc.fits(m.len()) {
                        break;
                    }
                    enc.push(m).unwrap();
                }
                let _ = socket.send_to(enc.packet(), from);
            }
            got
        });
        Self {
            addr,
            day,
            stop,
            thread: Some(thread),
        }
    }

    pub fn stop(mut self) -> Vec<RequestPacket> {
        self.stop.store(true, Ordering::Release);
        self.thread.take().unwrap().join().unwrap()
    }
}

// ---------------------------------------------------------------- the venue's OUCH side

/// What the venue saw, and what the test asks it to do.
#[derive(Debug, Default)]
pub struct VenueLog {
    /// Every Enter Order: (UserRefNum, side, qty, symbol, price).
    pub enters: Vec<(u32, u8, u32, String, i64)>,
    /// Every Cancel Order: (UserRefNum, quantity asked to leave).
    pub cancels: Vec<(u32, u32)>,
    pub logins: u32,
    pub errors: Vec<String>,
    /// Accept orders and let them rest (no automatic fill).
    pub rest: bool,
    /// OUCH messages the test wants sequenced (appended to the store, sent or replayed).
    pub inject: Vec<Vec<u8>>,
    /// Sequenced messages in the store.
    pub sequenced: u64,
}

struct Callbacks {
    inbound: Vec<Vec<u8>>,
    logins: u32,
}

impl ServerListener for Callbacks {
    fn authenticate(&mut self, username: &Username, password: &Password) -> bool {
        *username == Username::new("GW1").unwrap() && *password == Password::new("pw").unwrap()
    }
    fn on_unsequenced_data(&mut self, message: &[u8]) {
        self.inbound.push(message.to_vec());
    }
    fn on_status(&mut self, status: ServerStatus) {
        if matches!(status, ServerStatus::LoginAccepted { .. }) {
            self.logins += 1;
        }
    }
}

/// A SoupBinTCP 3.0 server speaking OUCH 5.0 that accepts every Enter Order (§3.2) and fills
/// it in full at its price (§3.6), on its own thread.
pub struct Venue {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<VenueLog>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn accepted(e: &ouch::EnterOrder<'_>, order_ref: u64) -> Vec<u8> {
    let m = ouch::OrderAccepted {
        timestamp_ns: 1,
        user_ref_num: e.user_ref_num,
        side: e.side,
        quantity: e.quantity,
        symbol: e.symbol,
        price: e.price,
        time_in_force: e.time_in_force,
        display: e.display,
        order_reference_number: order_ref,
        capacity: e.capacity,
        intermarket_sweep: e.intermarket_sweep,
        cross_type: e.cross_type,
        order_state: ouch::OrderState::Live,
        cl_ord_id: e.cl_ord_id,
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

/// OUCH 5.0 §3.6 Order Executed of `qty` at `price` on `user_ref_num`.
pub fn execution(user_ref_num: u32, qty: u32, price: i64, match_number: u64) -> Vec<u8> {
    let m = ouch::OrderExecuted {
        timestamp_ns: 3,
        user_ref_num: ouch::UserRefNum(user_ref_num),
        quantity: Qty(qty),
        price: Price(price),
        liquidity_flag: ouch::LiquidityFlag::ADDED,
        match_number,
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

fn canceled(user_ref_num: ouch::UserRefNum, qty: u32) -> Vec<u8> {
    let m = ouch::OrderCanceled {
        timestamp_ns: 4,
        user_ref_num,
        quantity: Qty(qty),
        reason: ouch::CancelReason::UserRequested,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

fn executed(e: &ouch::EnterOrder<'_>, match_number: u64) -> Vec<u8> {
    let m = ouch::OrderExecuted {
        timestamp_ns: 2,
        user_ref_num: e.user_ref_num,
        quantity: e.quantity,
        price: e.price,
        liquidity_flag: ouch::LiquidityFlag::ADDED,
        match_number,
        options: ouch::OptionsView::EMPTY,
    };
    let mut b = vec![0u8; m.encoded_len()];
    m.encode(&mut b).unwrap();
    b
}

impl Venue {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<VenueLog>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || venue_loop(listener, l, s));
        Self {
            addr,
            log,
            stop,
            thread: Some(thread),
        }
    }

    pub fn enters(&self) -> usize {
        self.log.lock().unwrap().enters.len()
    }

    /// A venue that accepts orders and leaves them resting; cancels are honored.
    pub fn start_resting() -> Self {
        let venue = Self::start();
        venue.log.lock().unwrap().rest = true;
        venue
    }

    /// Sequences `message` (an OUCH outbound message) now, connected or not.
    pub fn inject(&self, message: Vec<u8>) {
        self.log.lock().unwrap().inject.push(message);
    }

    pub fn sequenced(&self) -> u64 {
        self.log.lock().unwrap().sequenced
    }

    pub fn cancels(&self) -> Vec<(u32, u32)> {
        self.log.lock().unwrap().cancels.clone()
    }

    pub fn logins(&self) -> u32 {
        self.log.lock().unwrap().logins
    }

    /// Waits until `f(log)` holds.
    pub fn wait_until(&self, what: &str, f: impl Fn(&VenueLog) -> bool) {
        let start = Instant::now();
        while !f(&self.log.lock().unwrap()) {
            assert!(start.elapsed() < DEADLINE, "venue never saw: {what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn wait_for_enters(&self, n: usize) {
        let start = Instant::now();
        while self.enters() < n {
            assert!(
                start.elapsed() < DEADLINE,
                "venue got {} of {n} orders",
                self.enters()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Venue {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn venue_loop(listener: TcpListener, log: Arc<Mutex<VenueLog>>, stop: Arc<AtomicBool>) {
    let start = Instant::now();
    let now = || start.elapsed().as_nanos() as u64 + 1;
    let mut store = MemoryStore::with_capacity(1 << 16, 1 << 24);
    let mut callbacks = Callbacks {
        inbound: Vec::new(),
        logins: 0,
    };
    let mut conn: Option<(TcpStream, ServerSession)> = None;
    let mut seen = 0;
    let mut next_ref = 1_000u64;
    let mut next_match = 5_000u64;
    let mut leaves: BTreeMap<u32, u32> = BTreeMap::new();
    let mut matches = std::collections::BTreeSet::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Acquire) {
        let mut work = 0;
        if conn.is_none() {
            if let Ok((sock, _)) = listener.accept() {
                sock.set_nonblocking(true).unwrap();
                sock.set_nodelay(true).unwrap();
                let server =
                    ServerSession::new(ServerConfig::new(SessionId::new("GWSESS").unwrap()), now());
                conn = Some((sock, server));
            }
        }
        if let Some((sock, server)) = conn.as_mut() {
            match sock.read(&mut buf) {
                Ok(0) => {
                    let _ = server.on_disconnect(&mut callbacks);
                    conn = None;
                }
                Ok(n) => {
                    work += n;
                    if server
                        .on_bytes(&buf[..n], now(), &store, &mut callbacks)
                        .is_err()
                    {
                        conn = None;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => conn = None,
            }
        }
        while seen < callbacks.inbound.len() {
            let raw = callbacks.inbound[seen].clone();
            seen += 1;
            work += 1;
            let rest = log.lock().unwrap().rest;
            match ouch::decode_inbound(&raw) {
                Ok(ouch::InboundMessage::CancelOrder(c)) => {
                    log.lock()
                        .unwrap()
                        .cancels
                        .push((c.user_ref_num.0, c.quantity.0));
                    if let Some(open) = leaves.get_mut(&c.user_ref_num.0) {
                        let cut = open.saturating_sub(c.quantity.0);
                        if cut > 0 {
                            *open -= cut;
                            store.append(&canceled(c.user_ref_num, cut)).unwrap();
                        }
                    }
                }
                Ok(ouch::InboundMessage::EnterOrder(e)) => {
                    store.append(&accepted(&e, next_ref)).unwrap();
                    if rest {
                        leaves.insert(e.user_ref_num.0, e.quantity.0);
                    } else {
                        store.append(&executed(&e, next_match)).unwrap();
                    }
                    next_ref += 1;
                    next_match += 1;
                    log.lock().unwrap().enters.push((
                        e.user_ref_num.0,
                        e.side.code(),
                        e.quantity.0,
                        e.symbol.as_str().unwrap_or("?").trim().to_owned(),
                        e.price.0,
                    ));
                }
                other => log.lock().unwrap().errors.push(format!("{other:?}")),
            }
        }
        {
            let mut l = log.lock().unwrap();
            l.logins = callbacks.logins;
            for m in std::mem::take(&mut l.inject) {
                if let Ok(ouch::OutboundMessage::OrderExecuted(x)) = ouch::decode_outbound(&m) {
                    // A re-sent match number (a test of the gateway's guard) fills nothing.
                    let first = matches.insert(x.match_number);
                    if let Some(open) = leaves.get_mut(&x.user_ref_num.0).filter(|_| first) {
                        *open = open.saturating_sub(x.quantity.0);
                    }
                }
                store.append(&m).unwrap();
                work += 1;
            }
            l.sequenced = store.len() as u64;
        }
        if let Some((sock, server)) = conn.as_mut() {
            if server.poll(now(), &store, &mut callbacks).is_err() {
                conn = None;
            } else if !server.pending_output().is_empty() {
                match sock.write(server.pending_output()) {
                    Ok(n) => {
                        server.output_sent(n);
                        work += n;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => conn = None,
                }
            }
        }
        if work == 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

// ---------------------------------------------------------------- books

/// The reference: a [`BookBuilder`] over the same universe fed the whole stream.
pub fn reference(universe: &[Stock], messages: &[Vec<u8>]) -> BookBuilder {
    let limits = BookBuilderLimits {
        book: BookLimits {
            instruments: universe.len() as u32,
            orders: 65_536,
            levels_per_side: LEVELS_PER_SIDE,
        },
        level_updates: 1 << 20,
    };
    let mut b = BookBuilder::with_universe(limits, universe).unwrap();
    for (i, m) in messages.iter().enumerate() {
        b.on_message(i as u64 + 1, &crossbar_itch::decode(m).unwrap(), 0);
    }
    b
}

/// (price, qty, orders), best first.
pub type Ladder = Vec<(i64, u64, u32)>;

/// The book the centre rebuilds from SBE market data.
#[derive(Debug, Default)]
pub struct Mirror {
    pub sides: BTreeMap<(u32, u8), Ladder>,
    pub tops: BTreeMap<u32, [i64; 4]>,
    pub statuses: BTreeMap<u32, crossbar_sbe::InstrumentStatus>,
    pub feed_states: Vec<crossbar_sbe::FeedStatus>,
    pub refreshes: BTreeMap<u32, usize>,
    pub deltas: usize,
}

impl Mirror {
    pub fn apply(&mut self, message: Message) {
        match message {
            Message::BookLevelDelta(d) => {
                self.deltas += 1;
                let id = d.instrument_id.0;
                for l in &d.levels {
                    let ladder = self.sides.entry((id, l.side.code())).or_default();
                    let i = usize::from(l.level_index);
                    match l.action {
                        BookAction::Delete if l.level_index == u16::MAX => {
                            ladder.clear();
                            *self.refreshes.entry(id).or_default() += 1;
                        }
                        BookAction::New => {
                            assert!(i <= ladder.len(), "New at {i} past {ladder:?}");
                            ladder.insert(i, (l.price.0, l.qty, l.order_count));
                        }
                        BookAction::Change => {
                            assert_eq!(ladder[i].0, l.price.0, "Change at {i}: {ladder:?}");
                            ladder[i] = (l.price.0, l.qty, l.order_count);
                        }
                        BookAction::Delete => {
                            assert_eq!(ladder[i].0, l.price.0, "Delete at {i}: {ladder:?}");
                            ladder.remove(i);
                        }
                        other => panic!("bad action {other:?}"),
                    }
                }
            }
            Message::TopOfBook(t) => {
                self.tops.insert(
                    t.instrument_id.0,
                    [
                        t.bid_price.0,
                        t.bid_qty as i64,
                        t.ask_price.0,
                        t.ask_qty as i64,
                    ],
                );
            }
            Message::InstrumentStatus(s) => {
                self.statuses.insert(s.instrument_id.0, s);
            }
            Message::FeedStatus(f) => self.feed_states.push(f),
            Message::Heartbeat(_) => {}
            other => panic!("unexpected on market data: {other:?}"),
        }
    }

    /// The first difference from the reference's levels and tops, `None` when equal.
    pub fn difference(&self, reference: &BookBuilder, universe: usize) -> Option<String> {
        let book = reference.book();
        let mut depth = vec![Level::EMPTY; LEVELS_PER_SIDE as usize];
        for id in 0..universe as u32 {
            for side in [Side::Buy, Side::Sell] {
                let n = book
                    .depth(InstrumentId(id), side, depth.len(), &mut depth)
                    .unwrap();
                let want: Ladder = depth[..n]
                    .iter()
                    .map(|l| (l.price.0, l.qty, l.order_count))
                    .collect();
                let got = self
                    .sides
                    .get(&(id, side.code()))
                    .cloned()
                    .unwrap_or_default();
                if got != want {
                    return Some(format!(
                        "instrument {id} {side:?}: got {got:?} want {want:?}"
                    ));
                }
            }
            let top = |l: Option<Level>| l.map_or((0, 0), |l| (l.price.0, l.qty as i64));
            let (bp, bq) = top(book.best_bid(InstrumentId(id)));
            let (ap, aq) = top(book.best_ask(InstrumentId(id)));
            let got = self.tops.get(&id).copied().unwrap_or([0; 4]);
            if got != [bp, bq, ap, aq] {
                return Some(format!(
                    "top of {id}: got {got:?} want {:?}",
                    [bp, bq, ap, aq]
                ));
            }
        }
        None
    }

    /// Asserts every level and every top equals the reference's.
    pub fn assert_matches(&self, reference: &BookBuilder, universe: usize) {
        if let Some(d) = self.difference(reference, universe) {
            panic!("{d}");
        }
    }
}

impl Centre {
    /// Applies market data to `mirror` until it equals `reference` (instruments refused
    /// while the test polled slowly arrive as full refreshes after the rest).
    pub fn converge(&mut self, mirror: &mut Mirror, reference: &BookBuilder, universe: usize) {
        if mirror.difference(reference, universe).is_none() {
            return;
        }
        self.market_data_until("the reference book", &mut |m| {
            mirror.apply(m);
            mirror.difference(reference, universe).is_none()
        });
    }
}

pub fn price(p: i64) -> Price {
    Price(p)
}

pub fn qty(q: u32) -> Qty {
    Qty(q)
}

// ---------------------------------------------------------------- trading scenarios

/// $10.00 bid, $10.01 offer in AAPL (instrument 0) after [`aapl_opening`].
pub const BID: i64 = 100_000;
pub const ASK: i64 = 100_100;

/// Opening (System Event, directory, trading) for `universe`, then one bid and one offer of
/// 100 shares in its first symbol.
pub fn aapl_opening(universe: &[&str]) -> Vec<ItchMessage> {
    use crossbar_itch::generate::{DayConfig, DayGenerator};
    use crossbar_itch::{AddOrder, Header};
    let universe: Vec<Stock> = stocks(universe);
    let config = DayConfig {
        seed: 1,
        instruments: universe.len() as u16,
        messages: 0,
    };
    let mut messages: Vec<ItchMessage> = DayGenerator::with_symbols(config, &universe)
        .take(1 + 2 * universe.len())
        .collect();
    for (order_ref, side, ticks) in [(1, Side::Buy, BID), (2, Side::Sell, ASK)] {
        messages.push(ItchMessage::AddOrder(AddOrder {
            header: Header {
                stock_locate: 1,
                tracking_number: 0,
                timestamp_ns: 1_000,
            },
            order_reference_number: order_ref,
            side,
            shares: qty(100),
            stock: universe[0],
            price: price(ticks),
        }));
    }
    messages
}

/// A Day NewChildOrder in instrument 0 with order id `0-<sequence>`.
pub fn child_order(sequence: u64, side: Side, price_ticks: i64, shares: u32) -> Message {
    use crossbar_model::{GatewayId, OrderId, TimeInForce, VenueId};
    Message::NewChildOrder(crossbar_sbe::NewChildOrder {
        order_id: OrderId::new(GatewayId(0), sequence).unwrap(),
        parent_order_id: OrderId(77),
        instrument_id: InstrumentId(0),
        venue_id: VenueId(VENUE_ID),
        side,
        time_in_force: TimeInForce::Day,
        price: price(price_ticks),
        qty: qty(shares),
        timestamp_ns: 1,
    })
}

/// Spawns the gateway with extra environment; returns it once `GATEWAY_READY`, with every
/// stdout line before it.
pub fn spawn_gateway_env(
    setup: &Setup,
    toml: &str,
    env: &[(&str, &str)],
) -> (ChildProcess, String) {
    let path = write_file(setup.dir.path(), "gateway.toml", toml);
    let mut gw = ChildProcess::spawn(
        "crossbar-gateway",
        Path::new(env!("CARGO_BIN_EXE_crossbar-gateway")),
        &["--config", path.to_str().unwrap()],
        env,
    );
    let ready = gw.wait_for_line("GATEWAY_", DEADLINE);
    if ready.starts_with("GATEWAY_READY") {
        return (gw, String::new());
    }
    let ready2 = gw.wait_for_line("GATEWAY_READY", DEADLINE);
    assert!(ready2.starts_with("GATEWAY_READY venue=NASDAQ"), "{ready2}");
    (gw, ready)
}

/// Sends the opening to the gateway's feed and waits until the centre sees the AAPL touch.
pub fn open_market(setup: &Setup, centre: &mut Centre, universe: &[&str]) {
    let stream = packetize(&aapl_opening(universe), 1_400);
    send_packets(
        SocketAddr::from(([127, 0, 0, 1], setup.feed_port)),
        &stream.packets,
    );
    centre.market_data_until("AAPL touch", &mut |m| {
        matches!(m, Message::TopOfBook(t)
            if t.instrument_id.0 == 0 && t.bid_price.0 == BID && t.ask_price.0 == ASK)
    });
}

impl Centre {
    /// One centre Heartbeat (sender 0) on the gateway's order stream.
    pub fn heartbeat(&mut self, sequence: u64) {
        self.send(&Message::Heartbeat(crossbar_sbe::Heartbeat {
            sender_id: 0,
            sequence,
            timestamp_ns: 1,
        }));
    }

    /// Execution-stream messages until `count` arrived, sending a heartbeat every 50 ms
    /// (`*beat` counts them).
    pub fn executions_beating(&mut self, count: usize, beat: &mut u64) -> Vec<Message> {
        let start = Instant::now();
        let mut last_beat = Instant::now() - Duration::from_secs(1);
        let mut out = Vec::new();
        while out.len() < count {
            assert!(
                start.elapsed() < DEADLINE,
                "only {} of {count} execution messages: {out:?}",
                out.len()
            );
            if last_beat.elapsed() >= Duration::from_millis(50) {
                *beat += 1;
                self.heartbeat(*beat);
                last_beat = Instant::now();
            }
            let sub = self.executions.as_mut().expect("subscribed");
            let n = sub
                .poll(
                    &mut |bytes: &[u8]| match crossbar_sbe::decode(bytes).unwrap() {
                        Message::Heartbeat(_) => {}
                        m => out.push(m),
                    },
                    64,
                )
                .unwrap();
            self.idle.idle(n);
        }
        out
    }
}

/// Every record of a journal directory: (direction inbound?, source id, decoded message).
pub fn journal_records(dir: &Path) -> Vec<(bool, u16, Message)> {
    let reader = crossbar_journal::JournalReader::open(dir).unwrap();
    reader
        .records_from(1)
        .map(|r| {
            (
                r.direction == crossbar_journal::Direction::Inbound,
                r.source_id,
                crossbar_sbe::decode(r.payload).unwrap(),
            )
        })
        .collect()
}
