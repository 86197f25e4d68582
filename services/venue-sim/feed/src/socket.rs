//! UDP socket set-up shared by the publisher and the request server.

use std::net::{SocketAddr, UdpSocket};

use crate::FeedError;

/// Binds a non-blocking UDP socket to `bind`.
pub(crate) fn bind_nonblocking(bind: SocketAddr) -> Result<UdpSocket, FeedError> {
    let socket = UdpSocket::bind(bind).map_err(FeedError::socket("bind"))?;
    socket
        .set_nonblocking(true)
        .map_err(FeedError::socket("set_nonblocking"))?;
    Ok(socket)
}

/// Sets multicast TTL and loopback on `socket` when `destination` is a multicast group
/// (IPv6 has no hop-limit setter in std: only loopback is set there).
pub(crate) fn configure_multicast(
    socket: &UdpSocket,
    destination: SocketAddr,
    ttl: u32,
    loopback: bool,
) -> Result<(), FeedError> {
    match destination {
        SocketAddr::V4(d) if d.ip().is_multicast() => {
            socket
                .set_multicast_ttl_v4(ttl)
                .map_err(FeedError::socket("multicast_ttl"))?;
            socket
                .set_multicast_loop_v4(loopback)
                .map_err(FeedError::socket("multicast_loop"))
        }
        SocketAddr::V6(d) if d.ip().is_multicast() => socket
            .set_multicast_loop_v6(loopback)
            .map_err(FeedError::socket("multicast_loop")),
        _ => Ok(()),
    }
}
