//! Client and server sessions driven against each other: in memory (bytes handed across
//! directly, in awkward splits) and over real loopback TCP. The clock is a plain `u64` the
//! tests advance.

use crossbar_soupbintcp::*;

const SEC: u64 = 1_000_000_000;

#[derive(Default)]
struct ClientRec {
    data: Vec<(u64, Vec<u8>)>,
    statuses: Vec<ClientStatus>,
}

impl ClientListener for ClientRec {
    fn on_sequenced_data(&mut self, sequence_number: u64, message: &[u8]) {
        self.data.push((sequence_number, message.to_vec()));
    }
    fn on_status(&mut self, status: ClientStatus) {
        self.statuses.push(status);
    }
}

struct ServerRec {
    password: Password,
    unsequenced: Vec<Vec<u8>>,
    statuses: Vec<ServerStatus>,
}

impl ServerRec {
    fn new() -> Self {
        Self {
            password: Password::new("secret").unwrap(),
            unsequenced: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

impl ServerListener for ServerRec {
    fn authenticate(&mut self, username: &Username, password: &Password) -> bool {
        *username == Username::new("TRADER").unwrap() && *password == self.password
    }
    fn on_unsequenced_data(&mut self, message: &[u8]) {
        self.unsequenced.push(message.to_vec());
    }
    fn on_status(&mut self, status: ServerStatus) {
        self.statuses.push(status);
    }
}

fn client_config() -> ClientConfig {
    // Lower case on purpose: credentials are case-insensitive (§2.3.1).
    ClientConfig::new(
        Username::new("trader").unwrap(),
        Password::new("SECRET").unwrap(),
    )
}

fn server_config() -> ServerConfig {
    ServerConfig::new(SessionId::new("SESSION1").unwrap())
}

/// One client connection and one server connection joined by an in-memory "wire".
struct Pair {
    client: ClientSession,
    server: ServerSession,
    cl: ClientRec,
    sl: ServerRec,
    /// Bytes per delivery, to exercise partial reads.
    chunk: usize,
}

impl Pair {
    fn connect(config: ClientConfig, now_ns: u64, store: &MemoryStore) -> Self {
        let mut pair = Pair {
            client: ClientSession::new(config),
            server: ServerSession::new(server_config(), now_ns),
            cl: ClientRec::default(),
            sl: ServerRec::new(),
            chunk: 5,
        };
        pair.client.connect(now_ns).unwrap();
        pair.exchange(now_ns, store);
        pair
    }

    /// Moves pending bytes both ways until neither side has anything to send.
    fn exchange(&mut self, now_ns: u64, store: &MemoryStore) {
        for _ in 0..1_000 {
            let to_server = self.client.pending_output().to_vec();
            self.client.output_sent(to_server.len());
            for piece in to_server.chunks(self.chunk) {
                self.server
                    .on_bytes(piece, now_ns, store, &mut self.sl)
                    .unwrap();
            }
            self.server.poll(now_ns, store, &mut self.sl).unwrap();
            let to_client = self.server.pending_output().to_vec();
            self.server.output_sent(to_client.len());
            for piece in to_client.chunks(self.chunk) {
                self.client.on_bytes(piece, now_ns, &mut self.cl).unwrap();
            }
            if to_server.is_empty() && to_client.is_empty() {
                return;
            }
        }
        panic!("exchange did not settle");
    }
}

fn store_with(messages: &[&[u8]]) -> MemoryStore {
    let mut store = MemoryStore::with_capacity(1_000, 100_000);
    for m in messages {
        store.append(m).unwrap();
    }
    store
}

#[test]
fn login_then_sequenced_and_unsequenced_data_flow() {
    let mut store = store_with(&[]);
    let mut p = Pair::connect(client_config(), 0, &store);
    assert_eq!(p.client.state(), ClientState::Active);
    assert_eq!(p.server.state(), ServerState::Active);
    assert_eq!(
        p.cl.statuses,
        [ClientStatus::LoginAccepted {
            session: SessionId::new("SESSION1").unwrap(),
            sequence_number: 1
        }]
    );
    for m in [&b"first"[..], b"second", b"third"] {
        store.append(m).unwrap();
    }
    p.exchange(10, &store);
    assert_eq!(
        p.cl.data,
        [
            (1, b"first".to_vec()),
            (2, b"second".to_vec()),
            (3, b"third".to_vec())
        ]
    );
    assert_eq!(p.client.next_expected_sequence_number(), 4);
    p.client.send_unsequenced(b"enter order", 20).unwrap();
    p.exchange(20, &store);
    assert_eq!(p.sl.unsequenced, [b"enter order".to_vec()]);
    assert_eq!(p.server.counters().sequenced_sent, 3);
    assert_eq!(p.client.counters().unsequenced_sent, 1);
}

#[test]
fn both_sides_heartbeat_after_one_idle_second_and_not_before() {
    let store = store_with(&[]);
    let mut p = Pair::connect(client_config(), 0, &store);
    assert_eq!(p.client.poll_timers(SEC - 1, &mut p.cl).unwrap(), 0);
    assert_eq!(p.server.poll(SEC - 1, &store, &mut p.sl).unwrap(), 0);
    assert_eq!(p.client.poll_timers(SEC, &mut p.cl).unwrap(), 1);
    assert_eq!(p.client.pending_output(), b"\x00\x01R");
    assert_eq!(p.server.poll(SEC, &store, &mut p.sl).unwrap(), 1);
    assert_eq!(p.server.pending_output(), b"\x00\x01H");
    p.exchange(SEC, &store);
    // Heartbeats keep each other alive far past the 15 s timeout.
    for second in 2..40 {
        p.client.poll_timers(second * SEC, &mut p.cl).unwrap();
        p.exchange(second * SEC, &store);
    }
    assert_eq!(p.client.state(), ClientState::Active);
    assert_eq!(p.server.state(), ServerState::Active);
    assert_eq!(p.client.counters().heartbeats_sent, 39);
    assert_eq!(p.server.counters().heartbeats_sent, 39);
}

#[test]
fn client_declares_a_silent_server_dead_after_fifteen_seconds() {
    let store = store_with(&[]);
    let mut p = Pair::connect(client_config(), 0, &store);
    assert_eq!(p.client.poll_timers(15 * SEC - 1, &mut p.cl).unwrap(), 1); // a heartbeat only
    assert_eq!(p.client.state(), ClientState::Active);
    assert_eq!(p.client.poll_timers(15 * SEC, &mut p.cl).unwrap(), 1);
    assert_eq!(p.client.state(), ClientState::Closed);
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::ServerTimeout)
    );
    assert_eq!(
        p.cl.statuses.last(),
        Some(&ClientStatus::Closed(ClientCloseReason::ServerTimeout))
    );
}

#[test]
fn configured_timers_are_honoured() {
    let store = store_with(&[]);
    let mut config = client_config();
    config.heartbeat_interval_ns = 100;
    config.server_timeout_ns = 1_000;
    let mut p = Pair::connect(config, 0, &store);
    assert_eq!(p.client.poll_timers(99, &mut p.cl).unwrap(), 0);
    assert_eq!(p.client.poll_timers(100, &mut p.cl).unwrap(), 1);
    p.client.poll_timers(1_000, &mut p.cl).unwrap();
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::ServerTimeout)
    );
}

#[test]
fn server_closes_on_client_silence_and_on_missing_login() {
    let store = store_with(&[]);
    let mut p = Pair::connect(client_config(), 0, &store);
    p.server.poll(15 * SEC, &store, &mut p.sl).unwrap();
    assert_eq!(
        p.server.close_reason(),
        Some(ServerCloseReason::ClientTimeout)
    );

    let mut sl = ServerRec::new();
    let mut lonely = ServerSession::new(server_config(), 0);
    assert_eq!(lonely.poll(30 * SEC - 1, &store, &mut sl).unwrap(), 0);
    assert_eq!(lonely.poll(30 * SEC, &store, &mut sl).unwrap(), 1);
    assert_eq!(
        lonely.close_reason(),
        Some(ServerCloseReason::ClientTimeout)
    );
}

#[test]
fn bad_credentials_and_unknown_session_are_rejected_with_their_codes() {
    let store = store_with(&[]);
    let mut config = client_config();
    config.password = Password::new("wrong").unwrap();
    let p = Pair::connect(config, 0, &store);
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::LoginRejected(
            LoginRejectReason::NotAuthorized
        ))
    );
    assert_eq!(
        p.server.close_reason(),
        Some(ServerCloseReason::LoginRejected(
            LoginRejectReason::NotAuthorized
        ))
    );

    let mut config = client_config();
    config.requested_session = SessionId::new("OTHER").unwrap();
    let p = Pair::connect(config, 0, &store);
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::LoginRejected(
            LoginRejectReason::SessionNotAvailable
        ))
    );
}

#[test]
fn logout_closes_the_server_and_the_client_on_disconnect() {
    let store = store_with(&[]);
    let mut p = Pair::connect(client_config(), 0, &store);
    p.client.logout(5).unwrap();
    assert_eq!(p.client.state(), ClientState::LogoutSent);
    assert!(p.client.send_unsequenced(b"late", 5).is_err());
    p.exchange(5, &store);
    assert_eq!(p.server.close_reason(), Some(ServerCloseReason::LoggedOut));
    p.client.on_disconnect(&mut p.cl).unwrap();
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::Disconnected)
    );
}

#[test]
fn end_of_session_flushes_stored_messages_first_and_resets_the_reconnect() {
    let mut store = store_with(&[b"a"]);
    let mut p = Pair::connect(client_config(), 0, &store);
    store.append(b"b").unwrap();
    p.server.end_session(1, &store, &mut p.sl).unwrap();
    p.exchange(1, &store);
    assert_eq!(p.cl.data.iter().map(|d| d.0).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(
        p.client.close_reason(),
        Some(ClientCloseReason::EndOfSession)
    );
    let next = p.client.reconnect_config();
    assert!(next.requested_session.is_blank());
    assert_eq!(next.requested_sequence_number, 1);
    p.client.on_disconnect(&mut p.cl).unwrap(); // harmless after close
}

#[test]
fn sequenced_data_before_login_is_a_protocol_error() {
    let mut client = ClientSession::new(client_config());
    let mut cl = ClientRec::default();
    client.connect(0).unwrap();
    let err = client.on_bytes(b"\x00\x02Sx", 0, &mut cl).unwrap_err();
    assert!(matches!(
        err,
        SoupError::InvalidTransition {
            role: "client",
            state: "LoginSent",
            event: "SequencedData"
        }
    ));
    assert_eq!(
        client.close_reason(),
        Some(ClientCloseReason::ProtocolError(err))
    );
    assert!(err.to_string().starts_with("SOUP_INVALID_TRANSITION"));

    let store = store_with(&[]);
    let mut server = ServerSession::new(server_config(), 0);
    let mut sl = ServerRec::new();
    let err = server
        .on_bytes(b"\x00\x02Ux", 0, &store, &mut sl)
        .unwrap_err();
    assert!(matches!(
        err,
        SoupError::InvalidTransition { role: "server", .. }
    ));
    let mut server = ServerSession::new(server_config(), 0);
    let err = server
        .on_bytes(b"\x00\x01H", 0, &store, &mut sl)
        .unwrap_err();
    assert_eq!(
        err,
        SoupError::UnexpectedPacket {
            role: "server",
            packet_type: b'H'
        }
    );
}

#[test]
fn requested_sequence_zero_and_past_the_end_start_at_the_next_new_message() {
    let store = store_with(&[b"1", b"2", b"3"]);
    for requested in [0, 4, 99] {
        let mut config = client_config();
        config.requested_sequence_number = requested;
        let p = Pair::connect(config, 0, &store);
        assert!(p.cl.data.is_empty(), "requested {requested}");
        assert_eq!(p.client.next_expected_sequence_number(), 4);
    }
}

#[test]
fn reconnect_replays_exactly_the_missed_messages_once() {
    let mut store = store_with(&[b"m1", b"m2", b"m3", b"m4", b"m5"]);
    let mut delivered: Vec<(u64, Vec<u8>)> = Vec::new();

    // Connection 1: the wire breaks in the middle of message 4's packet.
    let mut client = ClientSession::new(client_config());
    let mut server = ServerSession::new(server_config(), 0);
    let (mut cl, mut sl) = (ClientRec::default(), ServerRec::new());
    client.connect(0).unwrap();
    let login = client.pending_output().to_vec();
    server.on_bytes(&login, 0, &store, &mut sl).unwrap();
    let to_client = server.pending_output().to_vec();
    let cut = 33 + 3 * 5 + 2; // Login Accepted, three 5-byte packets, 2 bytes of the fourth
    client.on_bytes(&to_client[..cut], 0, &mut cl).unwrap();
    client.on_disconnect(&mut cl).unwrap();
    server.on_disconnect(&mut sl).unwrap();
    assert_eq!(client.next_expected_sequence_number(), 4);
    delivered.append(&mut cl.data);

    // Connection 2 asks for 4 and gets 4, 5 from the store, then live message 6.
    let mut p = Pair::connect(client.reconnect_config(), 100, &store);
    assert_eq!(
        p.cl.statuses[0],
        ClientStatus::LoginAccepted {
            session: SessionId::new("SESSION1").unwrap(),
            sequence_number: 4
        }
    );
    store.append(b"m6").unwrap();
    p.exchange(101, &store);
    delivered.append(&mut p.cl.data);

    let expected: Vec<(u64, Vec<u8>)> =
        (1..=6).map(|n| (n, format!("m{n}").into_bytes())).collect();
    assert_eq!(delivered, expected);
}

#[test]
fn replay_larger_than_the_output_buffer_is_sent_across_polls() {
    let big = [9u8; 1_000];
    let mut store = MemoryStore::with_capacity(200, 200_000);
    for _ in 0..150 {
        store.append(&big).unwrap();
    }
    let p = Pair::connect(client_config(), 0, &store);
    assert_eq!(p.cl.data.len(), 150);
    assert!(p
        .cl
        .data
        .iter()
        .enumerate()
        .all(|(i, d)| d.0 == i as u64 + 1 && d.1 == big));
}

/// The same protocol over real loopback TCP with non-blocking sockets, one thread, fixed clock.
mod loopback {
    use super::*;
    use std::io::{ErrorKind, Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn read_into(stream: &mut TcpStream, buf: &mut [u8]) -> Option<usize> {
        match stream.read(buf) {
            Ok(n) => Some(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => panic!("read: {e}"),
        }
    }

    fn flush(stream: &mut TcpStream, pending: &[u8]) -> usize {
        match stream.write(pending) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(e) => panic!("write: {e}"),
        }
    }

    struct Conn {
        client_sock: TcpStream,
        server_sock: TcpStream,
        client: ClientSession,
        server: ServerSession,
        cl: ClientRec,
        sl: ServerRec,
    }

    impl Conn {
        fn open(listener: &TcpListener, config: ClientConfig, now_ns: u64) -> Self {
            let client_sock = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (server_sock, _) = listener.accept().unwrap();
            for s in [&client_sock, &server_sock] {
                s.set_nonblocking(true).unwrap();
                s.set_nodelay(true).unwrap();
            }
            let mut client = ClientSession::new(config);
            client.connect(now_ns).unwrap();
            Conn {
                client_sock,
                server_sock,
                client,
                server: ServerSession::new(server_config(), now_ns),
                cl: ClientRec::default(),
                sl: ServerRec::new(),
            }
        }

        /// Drives both ends until `done` holds; bounded in iterations (each sleeps 1 ms when idle).
        fn run_until(&mut self, now_ns: u64, store: &MemoryStore, done: impl Fn(&Conn) -> bool) {
            let mut buf = [0u8; 7]; // small reads: packets arrive split
            for _ in 0..20_000 {
                if done(self) {
                    return;
                }
                let n = flush(&mut self.client_sock, self.client.pending_output());
                self.client.output_sent(n);
                self.server.poll(now_ns, store, &mut self.sl).unwrap();
                let m = flush(&mut self.server_sock, self.server.pending_output());
                self.server.output_sent(m);
                let mut moved = n + m;
                while let Some(r) = read_into(&mut self.server_sock, &mut buf) {
                    if r == 0 {
                        break;
                    }
                    moved += r;
                    self.server
                        .on_bytes(&buf[..r], now_ns, store, &mut self.sl)
                        .unwrap();
                }
                while let Some(r) = read_into(&mut self.client_sock, &mut buf) {
                    if r == 0 {
                        break;
                    }
                    moved += r;
                    self.client
                        .on_bytes(&buf[..r], now_ns, &mut self.cl)
                        .unwrap();
                }
                if moved == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
            panic!("loopback run did not reach its goal");
        }
    }

    #[test]
    fn login_data_heartbeat_timeout_logout_and_reconnect_over_tcp() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut store = store_with(&[b"x1", b"x2"]);

        // Login, replay of the two stored messages, live data both ways.
        let mut c = Conn::open(&listener, client_config(), 0);
        c.run_until(0, &store, |c| c.cl.data.len() == 2);
        assert_eq!(c.client.state(), ClientState::Active);
        store.append(b"x3").unwrap();
        c.client.send_unsequenced(b"order", 0).unwrap();
        c.run_until(0, &store, |c| {
            c.cl.data.len() == 3 && c.sl.unsequenced.len() == 1
        });
        assert_eq!(c.sl.unsequenced, [b"order".to_vec()]);

        // Heartbeats at t = 1 s each way.
        c.client.poll_timers(SEC, &mut c.cl).unwrap();
        c.run_until(SEC, &store, |c| {
            c.server.counters().heartbeats_sent == 1 && c.client.counters().packets_received == 5
        });
        assert_eq!(c.client.counters().heartbeats_sent, 1);
        assert_eq!(c.server.counters().packets_received, 3); // login, data, heartbeat

        // Logout: the server closes; the client sees the socket close.
        c.client.logout(2 * SEC).unwrap();
        c.run_until(2 * SEC, &store, |c| c.server.state() == ServerState::Closed);
        assert_eq!(c.server.close_reason(), Some(ServerCloseReason::LoggedOut));
        drop(c.server_sock);
        let mut buf = [0u8; 16];
        let mut closed = false;
        for _ in 0..5_000 {
            match read_into(&mut c.client_sock, &mut buf) {
                Some(0) => {
                    closed = true;
                    break;
                }
                Some(_) => panic!("no data expected after logout"),
                None => std::thread::sleep(std::time::Duration::from_millis(1)),
            }
        }
        assert!(closed, "server socket close not seen");
        c.client.on_disconnect(&mut c.cl).unwrap();
        assert_eq!(
            c.client.close_reason(),
            Some(ClientCloseReason::Disconnected)
        );

        // Messages 4 and 5 are produced while no client is connected; the reconnect asks for 4.
        store.append(b"x4").unwrap();
        store.append(b"x5").unwrap();
        let mut delivered = c.cl.data.clone();
        let mut d = Conn::open(&listener, c.client.reconnect_config(), 3 * SEC);
        d.run_until(3 * SEC, &store, |d| d.cl.data.len() == 2);
        delivered.extend(d.cl.data.iter().cloned());
        let expected: Vec<(u64, Vec<u8>)> =
            (1..=5).map(|n| (n, format!("x{n}").into_bytes())).collect();
        assert_eq!(delivered, expected);

        // Timeout: the server goes silent (never polled again); the client gives up at +15 s.
        d.client.poll_timers(18 * SEC, &mut d.cl).unwrap();
        assert_eq!(
            d.client.close_reason(),
            Some(ClientCloseReason::ServerTimeout)
        );
    }
}

/// Random and mutated byte streams fed to both session roles: errors, never panics.
#[test]
fn random_bytes_never_panic_either_role() {
    let mut state = 0x5EED_50C0_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let store = store_with(&[b"a", b"bb"]);
    let valid: &[u8] = b"\x00\x01H\x00\x04Sabc\x00\x01Z\x00\x02J\x41\x00\x01R\x00\x03Uxy\x00\x01O";
    let (mut errors, mut oks) = (0, 0);
    for round in 0..20_000 {
        let mut bytes = valid.to_vec();
        for _ in 0..=(next() % 6) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = next() as u8,
                1 => bytes.truncate(at.max(1)),
                _ => bytes.insert(at, next() as u8),
            }
        }
        let mut client = ClientSession::new(client_config());
        client.connect(0).unwrap();
        let mut cl = ClientRec::default();
        // A valid login first on odd rounds, so Active-state paths are fuzzed too.
        if round % 2 == 1 {
            let mut login = [0u8; 33];
            let n = Packet::LoginAccepted {
                session: SessionId::BLANK,
                sequence_number: 1,
            }
            .encode(&mut login)
            .unwrap();
            client.on_bytes(&login[..n], 0, &mut cl).unwrap();
        }
        match client.on_bytes(&bytes, 1, &mut cl) {
            Ok(_) => oks += 1,
            Err(_) => errors += 1,
        }
        let mut server = ServerSession::new(server_config(), 0);
        let mut sl = ServerRec::new();
        let _ = server.on_bytes(&bytes, 1, &store, &mut sl);
        let _ = server.poll(2, &store, &mut sl);
    }
    assert!(errors > 100 && oks > 100, "errors={errors} oks={oks}");
}
