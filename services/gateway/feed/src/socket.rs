//! The feed's UDP socket, opened through `socket2` so that the options `std` cannot set are
//! set before `bind`: the kernel receive buffer (`SO_RCVBUF`) and, for a multicast group,
//! `SO_REUSEADDR` (several listeners on one host may join the same group and port, e.g. a
//! gateway and `feed-inspect` watching the same MoldUDP64 stream).
//!
//! Why the receive buffer matters: the kernel queues datagrams for the socket while the feed
//! agent is busy (a duty cycle, a descheduled core); when the queue is full it drops them
//! silently and the feed sees a gap it must re-request. Linux's default (`net.core.rmem_default`,
//! usually 208 KiB) holds ~5,000 one-message ITCH packets, a few milliseconds of a busy open.
//! The kernel caps the request at `net.core.rmem_max` (and reports twice what it grants, its
//! bookkeeping overhead included); what was granted is read back and logged when it is short.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

use crate::FeedError;

/// The feed socket and the receive buffer the kernel granted it.
#[derive(Debug)]
pub(crate) struct FeedSocket {
    /// Non-blocking, bound (and joined to the group when the address is multicast).
    pub(crate) socket: UdpSocket,
    /// `SO_RCVBUF` read back after setting it, bytes (Linux reports twice the usable size).
    pub(crate) receive_buffer_bytes: usize,
}

pub(crate) fn socket_error(
    step: &'static str,
    addr: impl ToString,
) -> impl FnOnce(std::io::Error) -> FeedError {
    let addr = addr.to_string();
    move |source| FeedError::Socket { step, addr, source }
}

/// Opens the feed socket on `feed_addr`: a multicast group is joined on `interface` with the
/// socket bound to `0.0.0.0:port` and `SO_REUSEADDR` set; a unicast address is bound as given.
/// `receive_buffer_bytes` is requested with `SO_RCVBUF` before binding; 0 keeps the OS default.
///
/// # Errors
/// [`FeedError::Socket`] naming the step (`open_feed`, `rcvbuf_feed`, `reuseaddr_feed`,
/// `bind_feed`, `join_multicast`, `nonblocking_feed`) and the address.
pub(crate) fn open_feed_socket(
    feed_addr: SocketAddrV4,
    interface: Ipv4Addr,
    receive_buffer_bytes: usize,
) -> Result<FeedSocket, FeedError> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(socket_error("open_feed", feed_addr))?;
    if receive_buffer_bytes > 0 {
        socket
            .set_recv_buffer_size(receive_buffer_bytes)
            .map_err(socket_error("rcvbuf_feed", feed_addr))?;
    }
    let group = *feed_addr.ip();
    let bind = if group.is_multicast() {
        socket
            .set_reuse_address(true)
            .map_err(socket_error("reuseaddr_feed", feed_addr))?;
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, feed_addr.port())
    } else {
        feed_addr
    };
    socket
        .bind(&SocketAddr::V4(bind).into())
        .map_err(socket_error("bind_feed", bind))?;
    if group.is_multicast() {
        socket
            .join_multicast_v4(&group, &interface)
            .map_err(socket_error("join_multicast", feed_addr))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(socket_error("nonblocking_feed", feed_addr))?;
    let granted = socket
        .recv_buffer_size()
        .map_err(socket_error("rcvbuf_feed", feed_addr))?;
    // Linux reports double the usable size it granted; less than the request means the
    // request was capped by net.core.rmem_max.
    if receive_buffer_bytes > 0 && granted < receive_buffer_bytes {
        tracing::warn!(
            code = "FEED_RCVBUF_CAPPED",
            addr = %feed_addr,
            requested = receive_buffer_bytes,
            granted,
            "kernel granted a smaller feed receive buffer than configured; raise net.core.rmem_max"
        );
    }
    Ok(FeedSocket {
        socket: socket.into(),
        receive_buffer_bytes: granted,
    })
}
