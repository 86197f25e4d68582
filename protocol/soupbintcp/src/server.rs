//! The SoupBinTCP server session: one accepted TCP connection, no socket and no clock of its own.
//!
//! The caller accepts the connection, creates a [`ServerSession`], feeds received bytes to
//! [`ServerSession::on_bytes`], calls [`ServerSession::poll`] regularly (it sends stored
//! sequenced messages, heartbeats, and runs the timeouts) and writes
//! [`ServerSession::pending_output`] to the socket. Sequenced messages are appended by the
//! application to a [`MessageStore`] shared by all connections of the session; each connection
//! sends from its own cursor, so a replay and live traffic are the same code path.

use crate::error::SoupError;
use crate::framer::RecvBuffer;
use crate::outbuf::OutBuffer;
use crate::packet::{LoginRejectReason, Packet, Password, SessionId, Username, HEADER_LEN};
use crate::store::MessageStore;

/// Server session states (SoupBinTCP 3.0 §1.2, §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// Connection accepted; waiting for a Login Request.
    AwaitingLogin,
    /// Logged in: sequenced data flows, heartbeats both ways.
    Active,
    /// Finished: flush pending output, then close the socket. See [`ServerSession::close_reason`].
    Closed,
}

/// Inputs to the server transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// A valid Login Request: the session answers Login Accepted.
    LoginAccepted,
    /// An invalid Login Request: the session answers Login Rejected and closes (§2.2.2).
    LoginRejected,
    /// `U` received.
    UnsequencedData,
    /// `R` received.
    ClientHeartbeat,
    /// `+` received.
    Debug,
    /// `O` received (§2.3.4): close at once.
    LogoutRequest,
    /// A stored sequenced message is sent.
    SendSequenced,
    /// Nothing was sent for the heartbeat interval; the session sends `H`.
    HeartbeatDue,
    /// Nothing was received for the client timeout (or no login within the login timeout).
    ClientSilent,
    /// The application ends the session: the session sends `Z` (§2.2.5).
    EndSession,
    /// The caller reports the socket closed.
    Disconnected,
}

impl ServerState {
    const fn name(self) -> &'static str {
        match self {
            Self::AwaitingLogin => "AwaitingLogin",
            Self::Active => "Active",
            Self::Closed => "Closed",
        }
    }
}

impl ServerEvent {
    const fn name(self) -> &'static str {
        match self {
            Self::LoginAccepted => "LoginAccepted",
            Self::LoginRejected => "LoginRejected",
            Self::UnsequencedData => "UnsequencedData",
            Self::ClientHeartbeat => "ClientHeartbeat",
            Self::Debug => "Debug",
            Self::LogoutRequest => "LogoutRequest",
            Self::SendSequenced => "SendSequenced",
            Self::HeartbeatDue => "HeartbeatDue",
            Self::ClientSilent => "ClientSilent",
            Self::EndSession => "EndSession",
            Self::Disconnected => "Disconnected",
        }
    }
}

/// The server transition table: the state after `event` in `state`.
///
/// # Errors
/// [`SoupError::InvalidTransition`] for every pair the table does not list (e.g. unsequenced
/// data before login, or a second Login Request).
pub const fn server_transition(
    state: ServerState,
    event: ServerEvent,
) -> Result<ServerState, SoupError> {
    use ServerEvent as E;
    use ServerState as S;
    match (state, event) {
        (S::AwaitingLogin, E::LoginAccepted) => Ok(S::Active),
        (S::AwaitingLogin, E::LoginRejected | E::ClientSilent | E::Disconnected) => Ok(S::Closed),
        (S::AwaitingLogin, E::Debug) => Ok(S::AwaitingLogin),
        (
            S::Active,
            E::UnsequencedData | E::ClientHeartbeat | E::Debug | E::SendSequenced | E::HeartbeatDue,
        ) => Ok(S::Active),
        (S::Active, E::LogoutRequest | E::ClientSilent | E::EndSession | E::Disconnected) => {
            Ok(S::Closed)
        }
        (S::Closed, E::Disconnected) => Ok(S::Closed),
        _ => Err(SoupError::InvalidTransition {
            role: "server",
            state: state.name(),
            event: event.name(),
        }),
    }
}

/// Why a server session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCloseReason {
    /// The login was rejected with this code (§2.2.2).
    LoginRejected(LoginRejectReason),
    /// The client sent a Logout Request (§2.3.4).
    LoggedOut,
    /// Nothing was received for the client timeout (§1.3), or no login within the login timeout (§2.3.1).
    ClientTimeout,
    /// The application ended the session (§2.2.5).
    EndOfSession,
    /// The socket closed.
    Disconnected,
    /// The client broke the protocol; the error was returned from [`ServerSession::on_bytes`].
    ProtocolError(SoupError),
}

/// Session-status notifications, separate from the data callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerStatus {
    /// A client logged in; sequenced messages from `sequence_number` on will be sent.
    LoginAccepted {
        /// The client's username.
        username: Username,
        /// Next sequence number the session sends.
        sequence_number: u64,
    },
    /// The session closed.
    Closed(ServerCloseReason),
}

/// What the server session asks of and tells its owner.
pub trait ServerListener {
    /// The credential check (§2.3.1: case-insensitive, space-padded; [`Username`] and
    /// [`Password`] equality already ignores case and padding). True accepts.
    fn authenticate(&mut self, username: &Username, password: &Password) -> bool;
    /// One Unsequenced Data message from the client.
    fn on_unsequenced_data(&mut self, message: &[u8]);
    /// Logins and closure.
    fn on_status(&mut self, status: ServerStatus);
}

/// Server configuration; timers in nanoseconds of the caller's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The current session id, sent in Login Accepted (§2.2.1).
    pub session: SessionId,
    /// Send a Server Heartbeat when nothing was sent for this long (§1.3: 1 s).
    pub heartbeat_interval_ns: u64,
    /// Close when nothing was received for this long once logged in (§1.3: typically 15 s).
    pub client_timeout_ns: u64,
    /// Close when no Login Request arrives within this long of accepting (§2.3.1: typically 30 s).
    pub login_timeout_ns: u64,
    /// Receive buffer bytes; also bounds the largest packet accepted (capacity - 2).
    pub recv_buffer_len: usize,
    /// Output buffer bytes: bounds how much replay is queued per [`ServerSession::poll`].
    pub send_buffer_len: usize,
}

impl ServerConfig {
    /// Defaults: 1 s heartbeats, 15 s client timeout, 30 s login timeout, 4 KiB receive buffer,
    /// 64 KiB output buffer.
    pub fn new(session: SessionId) -> Self {
        Self {
            session,
            heartbeat_interval_ns: 1_000_000_000,
            client_timeout_ns: 15_000_000_000,
            login_timeout_ns: 30_000_000_000,
            recv_buffer_len: 4_096,
            send_buffer_len: 65_536,
        }
    }
}

/// Counters an operator would ask about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCounters {
    /// Packets received of any type.
    pub packets_received: u64,
    /// Unsequenced messages delivered.
    pub unsequenced_received: u64,
    /// Sequenced messages sent (replayed and live).
    pub sequenced_sent: u64,
    /// Server Heartbeats sent.
    pub heartbeats_sent: u64,
}

/// A SoupBinTCP 3.0 server session over one accepted TCP connection.
#[derive(Debug)]
pub struct ServerSession {
    recv: RecvBuffer,
    core: Core,
}

#[derive(Debug)]
struct Core {
    config: ServerConfig,
    state: ServerState,
    out: OutBuffer,
    next_to_send: u64,
    accepted_ns: u64,
    last_sent_ns: u64,
    last_received_ns: u64,
    close_reason: Option<ServerCloseReason>,
    counters: ServerCounters,
}

impl ServerSession {
    /// A session for a connection accepted at `now_ns`, in [`ServerState::AwaitingLogin`].
    pub fn new(config: ServerConfig, now_ns: u64) -> Self {
        let core = Core {
            state: ServerState::AwaitingLogin,
            out: OutBuffer::new(config.send_buffer_len),
            next_to_send: 1,
            accepted_ns: now_ns,
            last_sent_ns: now_ns,
            last_received_ns: now_ns,
            close_reason: None,
            counters: ServerCounters::default(),
            config,
        };
        Self {
            recv: RecvBuffer::new(core.config.recv_buffer_len),
            core,
        }
    }

    /// Feeds bytes read from the socket (any split). A Login Request is validated against the
    /// configured session and `listener.authenticate`, answered, and replay from the requested
    /// sequence number begins at once. Returns the number of packets processed.
    ///
    /// # Errors
    /// Framing and decoding errors, [`SoupError::UnexpectedPacket`] for server-only packet types,
    /// [`SoupError::InvalidTransition`]. Any error closes the session
    /// ([`ServerCloseReason::ProtocolError`]): close the socket.
    pub fn on_bytes(
        &mut self,
        bytes: &[u8],
        now_ns: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<usize, SoupError> {
        let result = self.process(bytes, now_ns, store, listener);
        if let Err(error) = result {
            self.core
                .close(ServerCloseReason::ProtocolError(error), listener);
        }
        result
    }

    fn process(
        &mut self,
        mut bytes: &[u8],
        now_ns: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<usize, SoupError> {
        let mut packets = 0;
        loop {
            let taken = self.recv.extend(bytes);
            bytes = &bytes[taken..];
            while let Some(packet) = self.recv.next_packet()? {
                self.core.on_packet(packet, now_ns, store, listener)?;
                packets += 1;
            }
            if bytes.is_empty() {
                return Ok(packets);
            }
            if taken == 0 {
                return Err(SoupError::Oversize {
                    length: self.recv.len(),
                    max: self.recv.max_frame_len(),
                });
            }
        }
    }

    /// Sends stored sequenced messages not yet sent on this connection (as many as fit in the
    /// output buffer), a Server Heartbeat when nothing was sent for the heartbeat interval, and
    /// closes on client silence or login timeout. Returns the number of packets emitted plus 1 if
    /// the session closed.
    ///
    /// # Errors
    /// [`SoupError::NotRetained`] when the store cannot produce a message the client needs.
    pub fn poll(
        &mut self,
        now_ns: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<usize, SoupError> {
        let c = &mut self.core;
        match c.state {
            ServerState::AwaitingLogin
                if now_ns.saturating_sub(c.accepted_ns) >= c.config.login_timeout_ns =>
            {
                c.state = server_transition(c.state, ServerEvent::ClientSilent)?;
                c.close(ServerCloseReason::ClientTimeout, listener);
                Ok(1)
            }
            ServerState::Active
                if now_ns.saturating_sub(c.last_received_ns) >= c.config.client_timeout_ns =>
            {
                c.state = server_transition(c.state, ServerEvent::ClientSilent)?;
                c.close(ServerCloseReason::ClientTimeout, listener);
                Ok(1)
            }
            ServerState::Active => {
                let sent = c.pump(now_ns, store)?;
                if sent == 0
                    && now_ns.saturating_sub(c.last_sent_ns) >= c.config.heartbeat_interval_ns
                {
                    c.state = server_transition(c.state, ServerEvent::HeartbeatDue)?;
                    c.send(&Packet::ServerHeartbeat, now_ns)?;
                    c.counters.heartbeats_sent += 1;
                    return Ok(1);
                }
                Ok(sent)
            }
            _ => Ok(0),
        }
    }

    /// Ends the session (§2.2.5): sends every stored message that fits, then End of Session; the
    /// caller flushes the output and closes the socket.
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] unless Active; [`SoupError::BackPressure`] when the
    /// stored messages and the End of Session packet do not all fit yet (flush and retry).
    pub fn end_session(
        &mut self,
        now_ns: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<(), SoupError> {
        let c = &mut self.core;
        let next = server_transition(c.state, ServerEvent::EndSession)?;
        c.pump(now_ns, store)?;
        if c.next_to_send < store.next_sequence_number() {
            return Err(SoupError::BackPressure {
                needed: HEADER_LEN,
                free: c.out.free(),
            });
        }
        c.send(&Packet::EndOfSession, now_ns)?;
        c.state = next;
        c.close(ServerCloseReason::EndOfSession, listener);
        Ok(())
    }

    /// Sends a Debug packet (§2.1.3 "free-form ASCII text", allowed from either side at any
    /// time) carrying `text`: how a server tells a logged-in client, in words, why one of its
    /// messages was ignored. Not sequenced, not stored, not replayed.
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] unless Active; [`SoupError::BackPressure`] when the
    /// output buffer has no room (flush and retry, or drop the text);
    /// [`SoupError::PayloadTooLarge`] for a text above [`crate::MAX_PAYLOAD_LEN`].
    pub fn send_debug(&mut self, text: &[u8], now_ns: u64) -> Result<(), SoupError> {
        let c = &mut self.core;
        let next = server_transition(c.state, ServerEvent::Debug)?;
        if c.state != ServerState::Active {
            return Err(SoupError::InvalidTransition {
                role: "server",
                state: c.state.name(),
                event: "SendDebug",
            });
        }
        c.send(&Packet::Debug { text }, now_ns)?;
        c.state = next;
        Ok(())
    }

    /// The caller saw the socket close. Harmless when the session already closed.
    ///
    /// # Errors
    /// Never in practice: every state accepts Disconnected.
    pub fn on_disconnect(&mut self, listener: &mut impl ServerListener) -> Result<(), SoupError> {
        let c = &mut self.core;
        c.state = server_transition(c.state, ServerEvent::Disconnected)?;
        c.close(ServerCloseReason::Disconnected, listener);
        Ok(())
    }

    /// Bytes to write to the socket, oldest first.
    pub fn pending_output(&self) -> &[u8] {
        self.core.out.pending()
    }

    /// Reports that the first `n` bytes of [`ServerSession::pending_output`] were written.
    pub fn output_sent(&mut self, n: usize) {
        self.core.out.consume(n);
    }

    /// The current state.
    pub fn state(&self) -> ServerState {
        self.core.state
    }

    /// Why the session closed, once [`ServerState::Closed`].
    pub fn close_reason(&self) -> Option<ServerCloseReason> {
        self.core.close_reason
    }

    /// Sequence number of the next sequenced message this connection will send.
    pub fn next_sequence_number_to_send(&self) -> u64 {
        self.core.next_to_send
    }

    /// Counters since the connection was accepted.
    pub fn counters(&self) -> ServerCounters {
        self.core.counters
    }
}

impl Core {
    fn send(&mut self, packet: &Packet<'_>, now_ns: u64) -> Result<(), SoupError> {
        self.out.push(packet)?;
        self.last_sent_ns = now_ns;
        Ok(())
    }

    fn close(&mut self, reason: ServerCloseReason, listener: &mut impl ServerListener) {
        if self.close_reason.is_none() {
            self.state = ServerState::Closed;
            self.close_reason = Some(reason);
            listener.on_status(ServerStatus::Closed(reason));
        }
    }

    /// Sends stored messages from the cursor while they fit; returns how many were sent.
    fn pump(&mut self, now_ns: u64, store: &impl MessageStore) -> Result<usize, SoupError> {
        let mut sent = 0;
        while self.next_to_send < store.next_sequence_number() {
            let message = store.get(self.next_to_send).ok_or(SoupError::NotRetained {
                sequence_number: self.next_to_send,
            })?;
            if HEADER_LEN + message.len() > self.out.free() {
                break;
            }
            self.state = server_transition(self.state, ServerEvent::SendSequenced)?;
            self.send(&Packet::SequencedData { message }, now_ns)?;
            self.next_to_send += 1;
            self.counters.sequenced_sent += 1;
            sent += 1;
        }
        Ok(sent)
    }

    /// The login decision (§2.2.1, §2.2.2): the requested session must be blank or ours, the
    /// credentials must pass, and the first message sent is the requested one, clamped to
    /// `1..=next`; 0 means "only messages generated from now on".
    fn login_decision(
        &self,
        username: &Username,
        password: &Password,
        requested_session: &SessionId,
        requested_sequence_number: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<u64, LoginRejectReason> {
        if !requested_session.is_blank() && *requested_session != self.config.session {
            return Err(LoginRejectReason::SessionNotAvailable);
        }
        if !listener.authenticate(username, password) {
            return Err(LoginRejectReason::NotAuthorized);
        }
        let next = store.next_sequence_number();
        Ok(if requested_sequence_number == 0 {
            next
        } else {
            requested_sequence_number.min(next)
        })
    }

    fn on_packet(
        &mut self,
        packet: Packet<'_>,
        now_ns: u64,
        store: &impl MessageStore,
        listener: &mut impl ServerListener,
    ) -> Result<(), SoupError> {
        self.last_received_ns = now_ns;
        self.counters.packets_received += 1;
        match packet {
            Packet::LoginRequest {
                username,
                password,
                requested_session,
                requested_sequence_number,
            } => {
                match self.login_decision(
                    &username,
                    &password,
                    &requested_session,
                    requested_sequence_number,
                    store,
                    listener,
                ) {
                    Ok(sequence_number) => {
                        let next = server_transition(self.state, ServerEvent::LoginAccepted)?;
                        self.send(
                            &Packet::LoginAccepted {
                                session: self.config.session,
                                sequence_number,
                            },
                            now_ns,
                        )?;
                        self.state = next;
                        self.next_to_send = sequence_number;
                        listener.on_status(ServerStatus::LoginAccepted {
                            username,
                            sequence_number,
                        });
                        self.pump(now_ns, store)?;
                    }
                    Err(reason) => {
                        let next = server_transition(self.state, ServerEvent::LoginRejected)?;
                        self.send(&Packet::LoginRejected { reason }, now_ns)?;
                        self.state = next;
                        self.close(ServerCloseReason::LoginRejected(reason), listener);
                    }
                }
            }
            Packet::UnsequencedData { message } => {
                self.state = server_transition(self.state, ServerEvent::UnsequencedData)?;
                self.counters.unsequenced_received += 1;
                listener.on_unsequenced_data(message);
            }
            Packet::ClientHeartbeat => {
                self.state = server_transition(self.state, ServerEvent::ClientHeartbeat)?
            }
            Packet::Debug { .. } => self.state = server_transition(self.state, ServerEvent::Debug)?,
            Packet::LogoutRequest => {
                self.state = server_transition(self.state, ServerEvent::LogoutRequest)?;
                self.close(ServerCloseReason::LoggedOut, listener);
            }
            other => {
                return Err(SoupError::UnexpectedPacket {
                    role: "server",
                    packet_type: other.packet_type(),
                })
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServerEvent as E;
    use ServerState as S;

    const STATES: [ServerState; 3] = [S::AwaitingLogin, S::Active, S::Closed];
    const EVENTS: [ServerEvent; 11] = [
        E::LoginAccepted,
        E::LoginRejected,
        E::UnsequencedData,
        E::ClientHeartbeat,
        E::Debug,
        E::LogoutRequest,
        E::SendSequenced,
        E::HeartbeatDue,
        E::ClientSilent,
        E::EndSession,
        E::Disconnected,
    ];

    /// Every allowed transition, written out independently of the table.
    const ALLOWED: &[(ServerState, ServerEvent, ServerState)] = &[
        (S::AwaitingLogin, E::LoginAccepted, S::Active),
        (S::AwaitingLogin, E::LoginRejected, S::Closed),
        (S::AwaitingLogin, E::ClientSilent, S::Closed),
        (S::AwaitingLogin, E::Disconnected, S::Closed),
        (S::AwaitingLogin, E::Debug, S::AwaitingLogin),
        (S::Active, E::UnsequencedData, S::Active),
        (S::Active, E::ClientHeartbeat, S::Active),
        (S::Active, E::Debug, S::Active),
        (S::Active, E::SendSequenced, S::Active),
        (S::Active, E::HeartbeatDue, S::Active),
        (S::Active, E::LogoutRequest, S::Closed),
        (S::Active, E::ClientSilent, S::Closed),
        (S::Active, E::EndSession, S::Closed),
        (S::Active, E::Disconnected, S::Closed),
        (S::Closed, E::Disconnected, S::Closed),
    ];

    #[test]
    fn every_state_event_pair_matches_the_written_table() {
        crate::transition_table::assert_matches_table(
            "server",
            &STATES,
            &EVENTS,
            ALLOWED,
            server_transition,
            |s| s.name(),
            |e| e.name(),
        );
    }

    struct Quiet;
    impl ServerListener for Quiet {
        fn authenticate(&mut self, _: &Username, _: &Password) -> bool {
            true
        }
        fn on_unsequenced_data(&mut self, _: &[u8]) {}
        fn on_status(&mut self, _: ServerStatus) {}
    }

    #[test]
    fn debug_text_is_sent_only_while_active() {
        let store = crate::MemoryStore::with_capacity(1, 16);
        let mut session = ServerSession::new(ServerConfig::new(SessionId::BLANK), 0);
        assert!(matches!(
            session.send_debug(b"early", 0),
            Err(SoupError::InvalidTransition { .. })
        ));
        let mut login = [0u8; 64];
        let n = Packet::LoginRequest {
            username: Username::new("u").unwrap(),
            password: Password::new("p").unwrap(),
            requested_session: SessionId::BLANK,
            requested_sequence_number: 1,
        }
        .encode(&mut login)
        .unwrap();
        session
            .on_bytes(&login[..n], 1, &store, &mut Quiet)
            .unwrap();
        let accepted = session.pending_output().len();
        session.output_sent(accepted);
        session.send_debug(b"VSIM_BAD_OUCH why", 2).unwrap();
        assert_eq!(session.pending_output(), b"\x00\x12+VSIM_BAD_OUCH why");
        assert_eq!(session.state(), ServerState::Active);
    }
}
