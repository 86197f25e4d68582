//! Per-direction TCP stream reassembly by sequence number.

use std::net::SocketAddr;

use crate::{CapturedPacket, Transport};

/// The payload bytes sent in one direction of one TCP connection, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpStream {
    /// Sender address.
    pub src: SocketAddr,
    /// Receiver address.
    pub dst: SocketAddr,
    /// Capture time of the direction's first segment, ns since the Unix epoch.
    pub first_timestamp_ns: u64,
    /// Reassembled payload: each sequence number's byte once, retransmissions and overlaps
    /// dropped.
    pub bytes: Vec<u8>,
    /// Number of holes (sequence ranges never captured) skipped over; bytes after a hole are
    /// appended directly after the bytes before it.
    pub holes: usize,
}

struct Direction {
    src: SocketAddr,
    dst: SocketAddr,
    first_timestamp_ns: u64,
    /// Sequence number of the first data byte: SYN + 1 when the SYN was captured.
    base: Option<u32>,
    first_seq: u32,
    segments: Vec<(i64, Vec<u8>)>,
    raw: Vec<(u32, Vec<u8>)>,
}

/// Splits the TCP segments of `packets` by direction (`src`, `dst`) and reassembles each
/// direction's payload by sequence number, relative to the SYN when captured (else to the first
/// segment seen). Directions come out in order of their first segment; directions that carried
/// no payload are included with empty `bytes`.
pub fn tcp_streams(packets: &[CapturedPacket]) -> Vec<TcpStream> {
    let mut dirs: Vec<Direction> = Vec::new();
    for p in packets {
        let Transport::Tcp { seq, syn, .. } = p.transport else {
            continue;
        };
        let idx = match dirs.iter().position(|d| d.src == p.src && d.dst == p.dst) {
            Some(i) => i,
            None => {
                dirs.push(Direction {
                    src: p.src,
                    dst: p.dst,
                    first_timestamp_ns: p.timestamp_ns,
                    base: None,
                    first_seq: seq,
                    segments: Vec::new(),
                    raw: Vec::new(),
                });
                dirs.len() - 1
            }
        };
        let dir = &mut dirs[idx];
        if syn {
            dir.base = Some(seq.wrapping_add(1));
        }
        if !p.payload.is_empty() {
            // A SYN carrying data (TFO) has its data one past the ISN.
            let data_seq = if syn { seq.wrapping_add(1) } else { seq };
            dir.raw.push((data_seq, p.payload.clone()));
        }
    }
    dirs.into_iter().map(reassemble).collect()
}

fn reassemble(mut dir: Direction) -> TcpStream {
    let base = dir.base.unwrap_or(dir.first_seq);
    for (seq, data) in dir.raw.drain(..) {
        // Offsets within ±2^31 of the base: wrapping arithmetic per RFC 9293 §3.4.
        let offset = i64::from(seq.wrapping_sub(base) as i32);
        dir.segments.push((offset, data));
    }
    dir.segments.sort_by_key(|(offset, _)| *offset);
    let mut bytes = Vec::new();
    let mut holes = 0;
    let mut next: Option<i64> = None;
    for (offset, data) in &dir.segments {
        let end = offset + data.len() as i64;
        let start = match next {
            None => *offset,
            Some(n) if *offset > n => {
                holes += 1;
                *offset
            }
            Some(n) => n,
        };
        if end <= start {
            continue;
        }
        let skip = usize::try_from(start - offset).unwrap_or(0);
        bytes.extend_from_slice(data.get(skip..).unwrap_or_default());
        next = Some(end);
    }
    TcpStream {
        src: dir.src,
        dst: dir.dst,
        first_timestamp_ns: dir.first_timestamp_ns,
        bytes,
        holes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(src: u16, seq: u32, syn: bool, data: &[u8]) -> CapturedPacket {
        let a: SocketAddr = format!("10.0.0.1:{src}").parse().unwrap();
        let b: SocketAddr = "10.0.0.2:80".parse().unwrap();
        CapturedPacket {
            timestamp_ns: u64::from(seq),
            src: a,
            dst: b,
            transport: Transport::Tcp {
                seq,
                syn,
                fin: false,
                rst: false,
            },
            payload: data.to_vec(),
        }
    }

    #[test]
    fn reorders_drops_retransmits_and_counts_holes() {
        let packets = vec![
            seg(1, 999, true, b""),
            seg(1, 1005, false, b"world"),
            seg(1, 1000, false, b"hello"),
            seg(1, 1000, false, b"hello"),
            seg(1, 1003, false, b"loworld"),
            seg(1, 1020, false, b"!"),
        ];
        let streams = tcp_streams(&packets);
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].bytes, b"helloworld!");
        assert_eq!(streams[0].holes, 1);
    }

    #[test]
    fn sequence_wraparound_and_separate_directions() {
        let packets = vec![
            seg(1, u32::MAX - 1, false, b"ab"),
            seg(2, 7, false, b"x"),
            seg(1, 0, false, b"cd"),
        ];
        let streams = tcp_streams(&packets);
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].bytes, b"abcd");
        assert_eq!(streams[0].holes, 0);
        assert_eq!(streams[1].bytes, b"x");
    }
}
