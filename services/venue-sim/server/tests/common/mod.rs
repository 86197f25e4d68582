//! Test harness: starts the real `crossbar-venue-sim` binary on loopback with dynamic ports,
//! a UDP feed subscriber, a SoupBinTCP/OUCH client and a control-channel client.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crossbar_book::{BookLimits, OrderBook};
use crossbar_itch::{decode, ItchMessage};
use crossbar_model::{InstrumentId, Price, Qty, Side};
use crossbar_moldudp64::{Packet as MoldPacket, PacketHeader, RequestPacket, Session};
use crossbar_ouch::{
    Capacity, ClOrdId, CrossType, Display, EnterOrder, IntermarketSweep, OptionsView, OrderSide,
    Symbol, TimeInForce, UserRefNum,
};
use crossbar_soupbintcp::{next_frame, Frame, Packet, Password, SessionId, Username};

/// Generous: the machine is shared and loaded.
pub const WAIT: Duration = Duration::from_secs(30);
pub const FEED_SESSION: &str = "TESTFEED01";
pub const SYMBOLS: [&str; 3] = ["AAPL", "MSFT", "NVDA"];
pub const CLIENT_FIRST: u64 = 1 << 62;

/// The test venue's config: a small generated day over [`SYMBOLS`], two accounts, NASDAQ
/// fees (30 / 20), a sleeping idle strategy. `extra` is appended (must not repeat keys).
pub fn config_text(feed: SocketAddr, extra: &str) -> String {
    format!(
        r#"venue = "NASDAQ"
venue_id = 1
control_addr = "127.0.0.1:0"
idle = {{ kind = "sleep", sleep_ns = 200000 }}
[logging]
level = "warn"
[feed]
session = "{FEED_SESSION}"
destination = "{feed}"
request_addr = "127.0.0.1:0"
heartbeat_interval_ms = 200
[history]
bytes = 4194304
messages = 100000
[ouch]
listen_addr = "127.0.0.1:0"
session = "TESTOUCH"
accounts = [ {{ username = "ALICE", password = "alicepw" }}, {{ username = "BOB", password = "bobpw" }} ]
[fees]
taker_fee_per_share = 30
maker_rebate_per_share = 20
[limits]
instruments = 8
orders = 100000
levels_per_side = 1024
[seed.source]
kind = "generator"
seed = 7
symbols = ["AAPL", "MSFT", "NVDA"]
messages = 4000
{extra}
"#
    )
}

pub struct Sim {
    pub child: Child,
    pub lines: Receiver<String>,
    pub feed: SocketAddr,
    pub request: SocketAddr,
    pub ouch: SocketAddr,
    pub control: SocketAddr,
    pub next_seq_after_seed: u64,
    _dir: tempfile::TempDir,
}

fn addr_of(line: &str, key: &str) -> SocketAddr {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {line}"))
        .parse()
        .unwrap()
}

pub fn spawn(config: &str) -> (Child, Receiver<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("venue.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossbar-venue-sim"))
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx, dir)
}

pub fn wait_line(lines: &Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => {}
            Err(e) => panic!("no {prefix} line: {e}"),
        }
    }
}

impl Sim {
    /// Starts the venue sending its feed to `feed` and waits for both ready lines.
    pub fn start(feed: &Subscriber, extra: &str) -> Sim {
        Sim::start_config(&config_text(feed.addr(), extra))
    }

    /// Starts the venue from a whole config file's text and waits for both ready lines.
    pub fn start_config(config: &str) -> Sim {
        let (child, lines, dir) = spawn(config);
        let ready = wait_line(&lines, "VENUE_SIM_READY");
        assert!(ready.contains("venue=NASDAQ"), "{ready}");
        let seeded = wait_line(&lines, "VENUE_SIM_SEEDED");
        let next_seq = seeded
            .split_whitespace()
            .find_map(|w| w.strip_prefix("next_seq="))
            .unwrap()
            .parse()
            .unwrap();
        Sim {
            child,
            lines,
            feed: addr_of(&ready, "feed"),
            request: addr_of(&ready, "request"),
            ouch: addr_of(&ready, "ouch"),
            control: addr_of(&ready, "control"),
            next_seq_after_seed: next_seq,
            _dir: dir,
        }
    }

    /// One control command, one reply line.
    pub fn control(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(self.control).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        writeln!(stream, "{line}").unwrap();
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).unwrap();
        reply.trim_end().to_owned()
    }

    /// `ok <json>` parsed, panicking on `err`.
    pub fn control_ok(&self, line: &str) -> serde_json::Value {
        let reply = self.control(line);
        let json = reply
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("{line}: {reply}"));
        serde_json::from_str(json).unwrap()
    }

    pub fn status(&self) -> serde_json::Value {
        self.control_ok("status")
    }

    pub fn sigterm(&mut self) -> std::process::ExitStatus {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        wait_exit(&mut self.child)
    }
}

pub fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain UDP MoldUDP64 subscriber collecting messages by sequence number.
pub struct Subscriber {
    pub socket: UdpSocket,
    pub messages: BTreeMap<u64, Vec<u8>>,
    pub end_of_session: bool,
}

impl Subscriber {
    pub fn bind() -> Subscriber {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        Subscriber {
            socket,
            messages: BTreeMap::new(),
            end_of_session: false,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// Receives until `done` holds (panics after [`WAIT`]).
    pub fn until(&mut self, mut done: impl FnMut(&Subscriber) -> bool) {
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 2_048];
        while !done(self) {
            assert!(Instant::now() < deadline, "feed condition not reached");
            let Ok(n) = self.socket.recv(&mut buf) else {
                continue;
            };
            let packet = MoldPacket::parse(&buf[..n]).unwrap();
            assert_eq!(packet.header.session, session());
            if packet.header.message_count == 0xFFFF {
                self.end_of_session = true;
            }
            for (seq, message) in packet.messages() {
                assert!(
                    self.messages.insert(seq, message.to_vec()).is_none(),
                    "sequence {seq} delivered twice"
                );
            }
        }
    }

    /// Keeps receiving for `duration`.
    pub fn drain_for(&mut self, duration: Duration) {
        let until = Instant::now() + duration;
        self.until(|_| Instant::now() >= until);
    }

    /// Receives until every sequence number below `next` has arrived.
    pub fn through(&mut self, next: u64) {
        self.until(|s| s.messages.range(..next).count() as u64 == next - 1);
    }

    pub fn itch(&self, seq: u64) -> ItchMessage {
        decode(&self.messages[&seq]).unwrap()
    }
}

pub fn session() -> Session {
    let mut bytes = [b' '; 10];
    bytes.copy_from_slice(FEED_SESSION.as_bytes());
    Session(bytes)
}

/// Asks the request server for `count` messages from `first`; returns the answer's
/// (sequence, message) pairs.
pub fn request(server: SocketAddr, first: u64, count: u16) -> Vec<(u64, Vec<u8>)> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let packet = RequestPacket {
        session: session(),
        sequence_number: first,
        requested_count: count,
    };
    socket.send_to(&packet.encode(), server).unwrap();
    let mut buf = [0u8; 2_048];
    let n = socket.recv(&mut buf).unwrap();
    let packet = MoldPacket::parse(&buf[..n]).unwrap();
    let header: PacketHeader = packet.header;
    assert_eq!(header.sequence_number, first);
    packet.messages().map(|(s, m)| (s, m.to_vec())).collect()
}

/// Rebuilds the venue's book from feed messages `1..next` (locate `n` is instrument `n - 1`:
/// the generator lists symbols at locates 1.. in order, as the venue assigns them).
pub fn rebuild_book(feed: &Subscriber, next: u64) -> OrderBook {
    let mut book = OrderBook::new(BookLimits {
        instruments: 8,
        orders: 100_000,
        levels_per_side: 1_024,
    })
    .unwrap();
    for seq in 1..next {
        let inst = |locate: u16| InstrumentId(u32::from(locate) - 1);
        let applied = match feed.itch(seq) {
            ItchMessage::AddOrder(m) => book
                .add(
                    m.order_reference_number,
                    inst(m.header.stock_locate),
                    m.side,
                    m.price,
                    m.shares,
                )
                .map(|_| ()),
            ItchMessage::AddOrderMpid(m) => book
                .add(
                    m.order_reference_number,
                    inst(m.header.stock_locate),
                    m.side,
                    m.price,
                    m.shares,
                )
                .map(|_| ()),
            ItchMessage::OrderExecuted(m) => book
                .execute(m.order_reference_number, m.executed_shares)
                .map(|_| ()),
            ItchMessage::OrderExecutedWithPrice(m) => book
                .execute(m.order_reference_number, m.executed_shares)
                .map(|_| ()),
            ItchMessage::OrderCancel(m) => book
                .cancel(m.order_reference_number, m.cancelled_shares)
                .map(|_| ()),
            ItchMessage::OrderDelete(m) => book.delete(m.order_reference_number).map(|_| ()),
            ItchMessage::OrderReplace(m) => book
                .replace(
                    m.original_order_reference_number,
                    m.new_order_reference_number,
                    m.price,
                    m.shares,
                )
                .map(|_| ()),
            _ => Ok(()),
        };
        applied.unwrap_or_else(|e| panic!("seq {seq}: {e}"));
    }
    book
}

/// A blocking SoupBinTCP client speaking OUCH.
pub struct OuchClient {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// One packet from the venue, owned.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    LoginAccepted {
        session: String,
        sequence_number: u64,
    },
    LoginRejected(u8),
    Sequenced(Vec<u8>),
    Debug(String),
    EndOfSession,
    Closed,
}

impl OuchClient {
    pub fn connect(addr: SocketAddr) -> OuchClient {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_nodelay(true).unwrap();
        OuchClient {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send_packet(&mut self, packet: &Packet<'_>) {
        let mut out = vec![0u8; 3 + 1_024];
        let n = packet.encode(&mut out).unwrap();
        self.stream.write_all(&out[..n]).unwrap();
    }

    /// Logs in and returns the first sequence number the venue will send.
    pub fn login(addr: SocketAddr, user: &str, password: &str, sequence: u64) -> (OuchClient, u64) {
        let mut client = OuchClient::connect(addr);
        client.send_packet(&Packet::LoginRequest {
            username: Username::new(user).unwrap(),
            password: Password::new(password).unwrap(),
            requested_session: SessionId::BLANK,
            requested_sequence_number: sequence,
        });
        match client.recv() {
            Received::LoginAccepted {
                sequence_number, ..
            } => (client, sequence_number),
            other => panic!("login {user}: {other:?}"),
        }
    }

    /// The next packet other than a heartbeat.
    pub fn recv(&mut self) -> Received {
        loop {
            match next_frame(&self.buf, 65_536) {
                Ok(Frame::Packet { packet, consumed }) => {
                    let received = match packet {
                        Packet::ServerHeartbeat => None,
                        Packet::LoginAccepted {
                            session,
                            sequence_number,
                        } => Some(Received::LoginAccepted {
                            session: String::from_utf8_lossy(session.trimmed()).into_owned(),
                            sequence_number,
                        }),
                        Packet::LoginRejected { reason } => {
                            Some(Received::LoginRejected(reason.code()))
                        }
                        Packet::SequencedData { message } => {
                            Some(Received::Sequenced(message.to_vec()))
                        }
                        Packet::Debug { text } => {
                            Some(Received::Debug(String::from_utf8_lossy(text).into_owned()))
                        }
                        Packet::EndOfSession => Some(Received::EndOfSession),
                        other => panic!("unexpected packet {other:?}"),
                    };
                    self.buf.drain(..consumed);
                    if let Some(r) = received {
                        return r;
                    }
                }
                Ok(Frame::NeedMore { .. }) => {
                    let mut chunk = [0u8; 4_096];
                    match self.stream.read(&mut chunk) {
                        Ok(0) => return Received::Closed,
                        Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::ConnectionReset
                                    | std::io::ErrorKind::ConnectionAborted
                            ) =>
                        {
                            return Received::Closed
                        }
                        Err(e) => panic!("read: {e}"),
                    }
                }
                Err(e) => panic!("framing: {e}"),
            }
        }
    }

    /// The next sequenced message, decoded as OUCH outbound (as owned bytes).
    pub fn sequenced(&mut self) -> Vec<u8> {
        match self.recv() {
            Received::Sequenced(m) => m,
            other => panic!("expected sequenced data, got {other:?}"),
        }
    }

    pub fn debug(&mut self) -> String {
        match self.recv() {
            Received::Debug(text) => text,
            other => panic!("expected debug text, got {other:?}"),
        }
    }

    pub fn send_ouch(&mut self, message: &[u8]) {
        self.send_packet(&Packet::UnsequencedData { message });
    }

    pub fn enter(&mut self, order: &Order) {
        let mut buf = [0u8; 128];
        let n = order.message().encode(&mut buf).unwrap();
        self.send_ouch(&buf[..n]);
    }
}

/// An Enter Order (OUCH 5.0 §2.1) with test defaults.
#[derive(Clone, Copy, Debug)]
pub struct Order {
    pub token: u32,
    pub side: Side,
    pub qty: u32,
    pub symbol: &'static str,
    pub price: i64,
    pub tif: TimeInForce,
}

impl Order {
    pub fn message(&self) -> EnterOrder<'static> {
        EnterOrder {
            user_ref_num: UserRefNum(self.token),
            side: OrderSide::from(self.side),
            quantity: Qty(self.qty),
            symbol: Symbol::new(self.symbol).unwrap(),
            price: Price(self.price),
            time_in_force: self.tif,
            display: Display::Visible,
            capacity: Capacity::Agency,
            intermarket_sweep: IntermarketSweep::NotEligible,
            cross_type: CrossType::Continuous,
            cl_ord_id: ClOrdId::new(&format!("T{}", self.token)).unwrap(),
            options: OptionsView::EMPTY,
        }
    }
}

/// The best `(price, qty)` of `side` for `symbol` from the venue's `book` command.
pub fn best(sim: &Sim, symbol: &str, side: Side) -> (i64, u64) {
    let book = sim.control_ok(&format!("book {symbol} 1"));
    let key = if side == Side::Buy { "bids" } else { "asks" };
    let level = &book[key][0];
    (
        level["price"].as_i64().unwrap(),
        level["qty"].as_u64().unwrap(),
    )
}
