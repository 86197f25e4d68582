//! Test helpers: a plain-socket MoldUDP64 receiver, a loop driver with backoff idling, and
//! a book builder.

#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crossbar_book::{BookLimits, OrderBook};
use crossbar_itch::ItchMessage;
use crossbar_moldudp64::{Packet, PacketKind, Session};
use crossbar_runtime::agent::wall_clock_ns;
use crossbar_runtime::{Agent, IdleStrategy, IdleStrategyConfig};
use crossbar_venue_feed::LocateMap;

pub const SESSION: Session = Session(*b"VFEEDTEST1");

/// What a subscriber saw on the downstream socket.
pub struct Receiver {
    pub socket: UdpSocket,
    /// `(sequence_number, message)` in arrival order.
    pub messages: Vec<(u64, Vec<u8>)>,
    /// Heartbeats' next-expected sequence numbers.
    pub heartbeats: Vec<u64>,
    /// End of Session's next sequence number.
    pub end_of_session: Option<u64>,
    /// `(first missing, first after gap)` for each forward jump.
    pub gaps: Vec<(u64, u64)>,
    /// Next expected sequence number.
    pub next: u64,
    /// Largest datagram seen, bytes.
    pub largest_datagram: usize,
    /// Sessions seen in any packet other than `SESSION`.
    pub foreign_packets: usize,
}

impl Receiver {
    pub fn bind() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        Self {
            socket,
            messages: Vec::new(),
            heartbeats: Vec::new(),
            end_of_session: None,
            gaps: Vec::new(),
            next: 1,
            largest_datagram: 0,
            foreign_packets: 0,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// Reads every queued datagram; returns how many.
    pub fn poll(&mut self) -> usize {
        let mut buf = [0u8; 65_536];
        let mut n = 0;
        while let Ok(len) = self.socket.recv(&mut buf) {
            n += 1;
            self.largest_datagram = self.largest_datagram.max(len);
            let packet = Packet::parse(&buf[..len]).expect("valid MoldUDP64 packet");
            if packet.header.session != SESSION {
                self.foreign_packets += 1;
                continue;
            }
            match packet.kind() {
                PacketKind::Heartbeat => self.heartbeats.push(packet.header.sequence_number),
                PacketKind::EndOfSession => {
                    self.end_of_session = Some(packet.header.sequence_number)
                }
                PacketKind::Messages => {
                    let first = packet.header.sequence_number;
                    if first > self.next {
                        self.gaps.push((self.next, first));
                    }
                    for (seq, data) in packet.messages() {
                        crossbar_itch::decode(data).expect("valid ITCH message");
                        self.messages.push((seq, data.to_vec()));
                    }
                    self.next = self.next.max(packet.header.next_sequence_number());
                }
            }
        }
        n
    }
}

/// Drives `agents` and `receiver` on this thread, backing off when idle, until `done`
/// holds (true) or `timeout` passes (false).
pub fn drive(
    agents: &mut [&mut dyn Agent],
    receiver: &mut Receiver,
    timeout: Duration,
    mut done: impl FnMut(&Receiver) -> bool,
) -> bool {
    let mut idle = IdleStrategy::new(IdleStrategyConfig::Backoff {
        max_spins: 0,
        max_yields: 2,
        min_park_ns: 50_000,
        max_park_ns: 1_000_000,
    });
    let deadline = Instant::now() + timeout;
    loop {
        let now = wall_clock_ns();
        let mut work: usize = agents.iter_mut().map(|a| a.do_work(now)).sum();
        work += receiver.poll();
        if done(receiver) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        idle.idle(work);
    }
}

/// Applies ITCH order messages to a book, instruments from `locates` (assigned on R, A, F
/// as the seeder does). Returns the number of book refusals.
pub fn apply_to_book(book: &mut OrderBook, locates: &mut LocateMap, message: &ItchMessage) -> u64 {
    let result = match message {
        ItchMessage::StockDirectory(m) => {
            locates.get_or_assign(m.header.stock_locate);
            return 0;
        }
        ItchMessage::AddOrder(m) => match locates.get_or_assign(m.header.stock_locate) {
            Some(i) => book
                .add(m.order_reference_number, i, m.side, m.price, m.shares)
                .map(|_| ()),
            None => return 1,
        },
        ItchMessage::AddOrderMpid(m) => match locates.get_or_assign(m.header.stock_locate) {
            Some(i) => book
                .add(m.order_reference_number, i, m.side, m.price, m.shares)
                .map(|_| ()),
            None => return 1,
        },
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
        _ => return 0,
    };
    u64::from(result.is_err())
}

pub fn book(instruments: u32) -> OrderBook {
    OrderBook::new(BookLimits {
        instruments,
        orders: 1 << 20,
        levels_per_side: 4_096,
    })
    .unwrap()
}
