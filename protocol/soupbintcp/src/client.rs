//! The SoupBinTCP client session: a state machine with no socket and no clock of its own.
//!
//! The caller owns the TCP connection. It calls [`ClientSession::connect`] once the socket is
//! up, feeds every received byte to [`ClientSession::on_bytes`], calls
//! [`ClientSession::poll_timers`] regularly, and writes [`ClientSession::pending_output`] to the
//! socket, reporting the count with [`ClientSession::output_sent`].

use crate::error::SoupError;
use crate::framer::RecvBuffer;
use crate::outbuf::OutBuffer;
use crate::packet::{LoginRejectReason, Packet, Password, SessionId, Username};

/// Client session states (SoupBinTCP 3.0 §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// Created; no Login Request sent yet.
    Disconnected,
    /// Login Request sent; waiting for Login Accepted or Rejected.
    LoginSent,
    /// Logged in: sequenced data flows, heartbeats both ways.
    Active,
    /// Logout Request sent; sequenced data still in flight is delivered until the server closes.
    LogoutSent,
    /// Finished; see [`ClientSession::close_reason`]. A new connection needs a new session.
    Closed,
}

/// Inputs to the client transition table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The caller connected the socket; the session sends its Login Request.
    Connect,
    /// `A` received.
    LoginAccepted,
    /// `J` received.
    LoginRejected,
    /// `S` received.
    SequencedData,
    /// `H` received.
    ServerHeartbeat,
    /// `Z` received.
    EndOfSession,
    /// `+` received.
    Debug,
    /// The caller sends a `U` packet.
    SendUnsequenced,
    /// Nothing was sent for the heartbeat interval; the session sends `R`.
    HeartbeatDue,
    /// The caller logs out; the session sends `O`.
    Logout,
    /// Nothing was received for the server timeout.
    ServerSilent,
    /// The caller reports the socket closed.
    Disconnected,
}

impl ClientState {
    const fn name(self) -> &'static str {
        match self {
            Self::Disconnected => "Disconnected",
            Self::LoginSent => "LoginSent",
            Self::Active => "Active",
            Self::LogoutSent => "LogoutSent",
            Self::Closed => "Closed",
        }
    }
}

impl ClientEvent {
    const fn name(self) -> &'static str {
        match self {
            Self::Connect => "Connect",
            Self::LoginAccepted => "LoginAccepted",
            Self::LoginRejected => "LoginRejected",
            Self::SequencedData => "SequencedData",
            Self::ServerHeartbeat => "ServerHeartbeat",
            Self::EndOfSession => "EndOfSession",
            Self::Debug => "Debug",
            Self::SendUnsequenced => "SendUnsequenced",
            Self::HeartbeatDue => "HeartbeatDue",
            Self::Logout => "Logout",
            Self::ServerSilent => "ServerSilent",
            Self::Disconnected => "Disconnected",
        }
    }
}

/// The client transition table: the state after `event` in `state`.
///
/// # Errors
/// [`SoupError::InvalidTransition`] for every pair the table does not list (e.g. sequenced data
/// before Login Accepted, which §2.2.1 forbids).
pub const fn client_transition(
    state: ClientState,
    event: ClientEvent,
) -> Result<ClientState, SoupError> {
    use ClientEvent as E;
    use ClientState as S;
    match (state, event) {
        (S::Disconnected, E::Connect) => Ok(S::LoginSent),
        (S::LoginSent, E::LoginAccepted) => Ok(S::Active),
        (S::LoginSent, E::LoginRejected | E::ServerSilent | E::Disconnected) => Ok(S::Closed),
        (S::LoginSent | S::Active | S::LogoutSent, E::Debug) => Ok(state),
        (
            S::Active,
            E::SequencedData | E::ServerHeartbeat | E::SendUnsequenced | E::HeartbeatDue,
        ) => Ok(S::Active),
        (S::Active, E::Logout) => Ok(S::LogoutSent),
        (S::Active | S::LogoutSent, E::EndOfSession | E::ServerSilent | E::Disconnected) => {
            Ok(S::Closed)
        }
        (S::LogoutSent, E::SequencedData | E::ServerHeartbeat) => Ok(S::LogoutSent),
        (S::Closed, E::Disconnected) => Ok(S::Closed),
        _ => Err(SoupError::InvalidTransition {
            role: "client",
            state: state.name(),
            event: event.name(),
        }),
    }
}

/// Why a client session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCloseReason {
    /// The server rejected the login (§2.2.2).
    LoginRejected(LoginRejectReason),
    /// The server ended the session (§2.2.5): log into the next session with a blank session id.
    EndOfSession,
    /// Nothing was received for the server timeout (§1.3).
    ServerTimeout,
    /// The socket closed (after a logout, the normal end).
    Disconnected,
    /// The server broke the protocol; the error was returned from [`ClientSession::on_bytes`].
    ProtocolError(SoupError),
}

/// Session-status notifications, separate from the data callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientStatus {
    /// Logged in (§2.2.1): `sequence_number` is the next sequenced message the server sends.
    LoginAccepted {
        /// The session logged into.
        session: SessionId,
        /// Next sequence number to be received.
        sequence_number: u64,
    },
    /// The session closed.
    Closed(ClientCloseReason),
}

/// What the client session tells its owner.
pub trait ClientListener {
    /// One sequenced message, in order, each sequence number exactly once per connection.
    fn on_sequenced_data(&mut self, sequence_number: u64, message: &[u8]);
    /// Login results and closure.
    fn on_status(&mut self, status: ClientStatus);
}

/// Client configuration; the timers are in nanoseconds of the caller's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Login Request Username (§2.3.1).
    pub username: Username,
    /// Login Request Password (§2.3.1).
    pub password: Password,
    /// Session to log into, blank for the current one.
    pub requested_session: SessionId,
    /// Next sequence number wanted: 1 on first login, the last session's
    /// [`ClientSession::next_expected_sequence_number`] on reconnect, 0 for "from now on".
    pub requested_sequence_number: u64,
    /// Send a Client Heartbeat when nothing was sent for this long (§1.3: 1 s).
    pub heartbeat_interval_ns: u64,
    /// Declare the server dead when nothing was received for this long (§1.3: typically 15 s).
    pub server_timeout_ns: u64,
    /// Receive buffer bytes; also bounds the largest packet accepted (capacity - 2).
    pub recv_buffer_len: usize,
    /// Output buffer bytes.
    pub send_buffer_len: usize,
}

impl ClientConfig {
    /// A first-login configuration: current session, sequence 1, 1 s heartbeats, 15 s timeout,
    /// 64 KiB buffers.
    pub fn new(username: Username, password: Password) -> Self {
        Self {
            username,
            password,
            requested_session: SessionId::BLANK,
            requested_sequence_number: 1,
            heartbeat_interval_ns: 1_000_000_000,
            server_timeout_ns: 15_000_000_000,
            recv_buffer_len: 65_537,
            send_buffer_len: 65_536,
        }
    }
}

/// Counters an operator would ask about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCounters {
    /// Packets received of any type.
    pub packets_received: u64,
    /// Sequenced messages delivered.
    pub sequenced_received: u64,
    /// Debug packets received (and ignored, §2.1).
    pub debug_received: u64,
    /// Unsequenced messages sent.
    pub unsequenced_sent: u64,
    /// Client Heartbeats sent.
    pub heartbeats_sent: u64,
}

/// A SoupBinTCP 3.0 client session over one TCP connection.
#[derive(Debug)]
pub struct ClientSession {
    recv: RecvBuffer,
    core: Core,
}

#[derive(Debug)]
struct Core {
    config: ClientConfig,
    state: ClientState,
    out: OutBuffer,
    session: SessionId,
    next_expected: u64,
    last_sent_ns: u64,
    last_received_ns: u64,
    close_reason: Option<ClientCloseReason>,
    counters: ClientCounters,
}

impl ClientSession {
    /// A session in [`ClientState::Disconnected`]; allocates its two buffers.
    pub fn new(config: ClientConfig) -> Self {
        let core = Core {
            state: ClientState::Disconnected,
            out: OutBuffer::new(config.send_buffer_len),
            session: config.requested_session,
            next_expected: config.requested_sequence_number,
            last_sent_ns: 0,
            last_received_ns: 0,
            close_reason: None,
            counters: ClientCounters::default(),
            config,
        };
        Self {
            recv: RecvBuffer::new(core.config.recv_buffer_len),
            core,
        }
    }

    /// The socket is connected: emits the Login Request (§2.3.1) and starts the timers at `now_ns`.
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] unless [`ClientState::Disconnected`].
    pub fn connect(&mut self, now_ns: u64) -> Result<(), SoupError> {
        let c = &mut self.core;
        let next = client_transition(c.state, ClientEvent::Connect)?;
        c.out.push(&Packet::LoginRequest {
            username: c.config.username,
            password: c.config.password,
            requested_session: c.config.requested_session,
            requested_sequence_number: c.config.requested_sequence_number,
        })?;
        c.last_sent_ns = now_ns;
        c.last_received_ns = now_ns;
        c.state = next;
        Ok(())
    }

    /// Feeds bytes read from the socket (any split); delivers whole packets to `listener`.
    ///
    /// Returns the number of packets processed.
    ///
    /// # Errors
    /// Framing and decoding errors, [`SoupError::UnexpectedPacket`] for client-only packet types,
    /// [`SoupError::InvalidTransition`]. Any error closes the session
    /// ([`ClientCloseReason::ProtocolError`]): close the socket.
    pub fn on_bytes(
        &mut self,
        bytes: &[u8],
        now_ns: u64,
        listener: &mut impl ClientListener,
    ) -> Result<usize, SoupError> {
        let result = self.process(bytes, now_ns, listener);
        if let Err(error) = result {
            self.core
                .close(ClientCloseReason::ProtocolError(error), listener);
        }
        result
    }

    fn process(
        &mut self,
        mut bytes: &[u8],
        now_ns: u64,
        listener: &mut impl ClientListener,
    ) -> Result<usize, SoupError> {
        let mut packets = 0;
        loop {
            let taken = self.recv.extend(bytes);
            bytes = &bytes[taken..];
            while let Some(packet) = self.recv.next_packet()? {
                self.core.on_packet(packet, now_ns, listener)?;
                packets += 1;
            }
            if bytes.is_empty() {
                return Ok(packets);
            }
            if taken == 0 {
                // Cannot happen: an empty buffer always has room for a whole (bounded) packet.
                return Err(SoupError::Oversize {
                    length: self.recv.len(),
                    max: self.recv.max_frame_len(),
                });
            }
        }
    }

    /// Runs the timers: sends a Client Heartbeat when nothing was sent for the heartbeat interval
    /// (Active only, §1.3), closes with [`ClientCloseReason::ServerTimeout`] after the server timeout.
    ///
    /// Returns the number of actions taken (0 or 1).
    ///
    /// # Errors
    /// [`SoupError::BackPressure`] when the heartbeat does not fit in the output buffer.
    pub fn poll_timers(
        &mut self,
        now_ns: u64,
        listener: &mut impl ClientListener,
    ) -> Result<usize, SoupError> {
        let c = &mut self.core;
        let live = matches!(
            c.state,
            ClientState::LoginSent | ClientState::Active | ClientState::LogoutSent
        );
        if live && now_ns.saturating_sub(c.last_received_ns) >= c.config.server_timeout_ns {
            c.state = client_transition(c.state, ClientEvent::ServerSilent)?;
            c.close(ClientCloseReason::ServerTimeout, listener);
            return Ok(1);
        }
        if c.state == ClientState::Active
            && now_ns.saturating_sub(c.last_sent_ns) >= c.config.heartbeat_interval_ns
        {
            c.state = client_transition(c.state, ClientEvent::HeartbeatDue)?;
            c.send(&Packet::ClientHeartbeat, now_ns)?;
            c.counters.heartbeats_sent += 1;
            return Ok(1);
        }
        Ok(0)
    }

    /// Emits an Unsequenced Data packet carrying `message` (§2.3.2).
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] unless Active; [`SoupError::BackPressure`] when the output
    /// buffer is full (write pending output first and retry); [`SoupError::PayloadTooLarge`].
    pub fn send_unsequenced(&mut self, message: &[u8], now_ns: u64) -> Result<(), SoupError> {
        let c = &mut self.core;
        let next = client_transition(c.state, ClientEvent::SendUnsequenced)?;
        c.send(&Packet::UnsequencedData { message }, now_ns)?;
        c.state = next;
        c.counters.unsequenced_sent += 1;
        Ok(())
    }

    /// Emits a Logout Request (§2.3.4); the server then closes the socket.
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] unless Active; [`SoupError::BackPressure`].
    pub fn logout(&mut self, now_ns: u64) -> Result<(), SoupError> {
        let c = &mut self.core;
        let next = client_transition(c.state, ClientEvent::Logout)?;
        c.send(&Packet::LogoutRequest, now_ns)?;
        c.state = next;
        Ok(())
    }

    /// The caller saw the socket close (read of 0 bytes, or an I/O error). Harmless when the
    /// session already closed (e.g. after End of Session the server closes the socket).
    ///
    /// # Errors
    /// [`SoupError::InvalidTransition`] in Disconnected (never connected).
    pub fn on_disconnect(&mut self, listener: &mut impl ClientListener) -> Result<(), SoupError> {
        let c = &mut self.core;
        c.state = client_transition(c.state, ClientEvent::Disconnected)?;
        c.close(ClientCloseReason::Disconnected, listener);
        Ok(())
    }

    /// Bytes to write to the socket, oldest first.
    pub fn pending_output(&self) -> &[u8] {
        self.core.out.pending()
    }

    /// Reports that the first `n` bytes of [`ClientSession::pending_output`] were written.
    pub fn output_sent(&mut self, n: usize) {
        self.core.out.consume(n);
    }

    /// The current state.
    pub fn state(&self) -> ClientState {
        self.core.state
    }

    /// Why the session closed, once [`ClientState::Closed`].
    pub fn close_reason(&self) -> Option<ClientCloseReason> {
        self.core.close_reason
    }

    /// Sequence number of the next sequenced message expected (1-based, §1.2).
    pub fn next_expected_sequence_number(&self) -> u64 {
        self.core.next_expected
    }

    /// The session id: requested until Login Accepted, then the server's.
    pub fn session(&self) -> SessionId {
        self.core.session
    }

    /// Counters since creation.
    pub fn counters(&self) -> ClientCounters {
        self.core.counters
    }

    /// The configuration for the next connection: same credentials and timers, requesting this
    /// session and the next expected sequence number, so the server replays exactly what this
    /// connection did not deliver (§1.2). After End of Session, requests a blank session from 1.
    pub fn reconnect_config(&self) -> ClientConfig {
        let mut config = self.core.config.clone();
        if self.core.close_reason == Some(ClientCloseReason::EndOfSession) {
            config.requested_session = SessionId::BLANK;
            config.requested_sequence_number = 1;
        } else {
            config.requested_session = self.core.session;
            config.requested_sequence_number = self.core.next_expected;
        }
        config
    }
}

impl Core {
    fn send(&mut self, packet: &Packet<'_>, now_ns: u64) -> Result<(), SoupError> {
        self.out.push(packet)?;
        self.last_sent_ns = now_ns;
        Ok(())
    }

    fn close(&mut self, reason: ClientCloseReason, listener: &mut impl ClientListener) {
        if self.close_reason.is_none() {
            self.state = ClientState::Closed;
            self.close_reason = Some(reason);
            listener.on_status(ClientStatus::Closed(reason));
        }
    }

    fn on_packet(
        &mut self,
        packet: Packet<'_>,
        now_ns: u64,
        listener: &mut impl ClientListener,
    ) -> Result<(), SoupError> {
        let event = match packet {
            Packet::LoginAccepted { .. } => ClientEvent::LoginAccepted,
            Packet::LoginRejected { .. } => ClientEvent::LoginRejected,
            Packet::SequencedData { .. } => ClientEvent::SequencedData,
            Packet::ServerHeartbeat => ClientEvent::ServerHeartbeat,
            Packet::EndOfSession => ClientEvent::EndOfSession,
            Packet::Debug { .. } => ClientEvent::Debug,
            other => {
                return Err(SoupError::UnexpectedPacket {
                    role: "client",
                    packet_type: other.packet_type(),
                })
            }
        };
        let next = client_transition(self.state, event)?;
        self.state = next;
        self.last_received_ns = now_ns;
        self.counters.packets_received += 1;
        match packet {
            Packet::LoginAccepted {
                session,
                sequence_number,
            } => {
                self.session = session;
                self.next_expected = sequence_number;
                listener.on_status(ClientStatus::LoginAccepted {
                    session,
                    sequence_number,
                });
            }
            Packet::LoginRejected { reason } => {
                self.close(ClientCloseReason::LoginRejected(reason), listener)
            }
            Packet::SequencedData { message } => {
                let sequence_number = self.next_expected;
                self.next_expected += 1;
                self.counters.sequenced_received += 1;
                listener.on_sequenced_data(sequence_number, message);
            }
            Packet::EndOfSession => self.close(ClientCloseReason::EndOfSession, listener),
            Packet::Debug { .. } => self.counters.debug_received += 1,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClientEvent as E;
    use ClientState as S;

    const STATES: [ClientState; 5] = [
        S::Disconnected,
        S::LoginSent,
        S::Active,
        S::LogoutSent,
        S::Closed,
    ];
    const EVENTS: [ClientEvent; 12] = [
        E::Connect,
        E::LoginAccepted,
        E::LoginRejected,
        E::SequencedData,
        E::ServerHeartbeat,
        E::EndOfSession,
        E::Debug,
        E::SendUnsequenced,
        E::HeartbeatDue,
        E::Logout,
        E::ServerSilent,
        E::Disconnected,
    ];

    /// Every allowed transition, written out independently of the table.
    const ALLOWED: &[(ClientState, ClientEvent, ClientState)] = &[
        (S::Disconnected, E::Connect, S::LoginSent),
        (S::LoginSent, E::LoginAccepted, S::Active),
        (S::LoginSent, E::LoginRejected, S::Closed),
        (S::LoginSent, E::ServerSilent, S::Closed),
        (S::LoginSent, E::Disconnected, S::Closed),
        (S::LoginSent, E::Debug, S::LoginSent),
        (S::Active, E::Debug, S::Active),
        (S::Active, E::SequencedData, S::Active),
        (S::Active, E::ServerHeartbeat, S::Active),
        (S::Active, E::SendUnsequenced, S::Active),
        (S::Active, E::HeartbeatDue, S::Active),
        (S::Active, E::Logout, S::LogoutSent),
        (S::Active, E::EndOfSession, S::Closed),
        (S::Active, E::ServerSilent, S::Closed),
        (S::Active, E::Disconnected, S::Closed),
        (S::LogoutSent, E::Debug, S::LogoutSent),
        (S::LogoutSent, E::SequencedData, S::LogoutSent),
        (S::LogoutSent, E::ServerHeartbeat, S::LogoutSent),
        (S::LogoutSent, E::EndOfSession, S::Closed),
        (S::LogoutSent, E::ServerSilent, S::Closed),
        (S::LogoutSent, E::Disconnected, S::Closed),
        (S::Closed, E::Disconnected, S::Closed),
    ];

    #[test]
    fn every_state_event_pair_matches_the_written_table() {
        crate::transition_table::assert_matches_table(
            "client",
            &STATES,
            &EVENTS,
            ALLOWED,
            client_transition,
            |s| s.name(),
            |e| e.name(),
        );
    }
}
