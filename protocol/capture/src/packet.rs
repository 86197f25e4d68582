//! One captured UDP datagram or TCP segment.

use std::net::SocketAddr;

/// The transport protocol of a [`CapturedPacket`], with the TCP fields that reassembly needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A UDP datagram; `payload` is the whole datagram body.
    Udp,
    /// A TCP segment; `payload` is the segment's data (RFC 9293 §3.1).
    Tcp {
        /// Sequence number of the first payload byte (of the SYN itself when `syn`).
        seq: u32,
        /// SYN flag: `seq` is the initial sequence number, data starts at `seq + 1`.
        syn: bool,
        /// FIN flag.
        fin: bool,
        /// RST flag.
        rst: bool,
    },
}

/// A UDP or TCP packet from a capture, with its addresses and payload copied out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    /// Capture timestamp in nanoseconds since the Unix epoch (pcap record time; pcapng time
    /// scaled by the interface's `if_tsresol`).
    pub timestamp_ns: u64,
    /// Source IP address and port.
    pub src: SocketAddr,
    /// Destination IP address and port.
    pub dst: SocketAddr,
    /// UDP or TCP (with sequence number and flags).
    pub transport: Transport,
    /// The transport payload: UDP datagram body or TCP segment data. Truncated captures
    /// (snaplen shorter than the packet) give what was captured.
    pub payload: Vec<u8>,
}

impl CapturedPacket {
    /// True for UDP datagrams.
    pub fn is_udp(&self) -> bool {
        matches!(self.transport, Transport::Udp)
    }

    /// True for TCP segments.
    pub fn is_tcp(&self) -> bool {
        matches!(self.transport, Transport::Tcp { .. })
    }
}
