//! Reading pcap and pcapng files into [`CapturedPacket`]s.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

use crate::{CaptureError, CapturedPacket, Transport};

/// Every UDP and TCP packet of one capture file, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    /// The UDP datagrams and TCP segments, in capture order.
    pub packets: Vec<CapturedPacket>,
    /// Records that were not IPv4/IPv6 carrying UDP or TCP (ARP, ICMP, fragments, or headers
    /// `etherparse` rejected), counted and skipped.
    pub skipped: usize,
}

impl Capture {
    /// The UDP datagrams only.
    pub fn udp(&self) -> impl Iterator<Item = &CapturedPacket> {
        self.packets.iter().filter(|p| p.is_udp())
    }
}

const PCAPNG_MAGIC: u32 = 0x0a0d_0d0a;
const PCAP_MAGICS: [u32; 4] = [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1];

/// Reads the pcap or pcapng file at `path` (format detected from its magic number).
///
/// # Errors
/// [`CaptureError::Io`] when the file cannot be read, and the errors of
/// [`read_capture_bytes`].
pub fn read_capture(path: impl AsRef<Path>) -> Result<Capture, CaptureError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| CaptureError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_capture_bytes(&bytes)
}

/// Parses a whole pcap or pcapng file held in memory.
///
/// # Errors
/// [`CaptureError::UnknownFormat`] for neither magic number, [`CaptureError::PcapFile`] when
/// `pcap-file` rejects a header or record, [`CaptureError::UnsupportedLinkType`] for link
/// types other than Ethernet, Linux SLL and raw IP.
pub fn read_capture_bytes(bytes: &[u8]) -> Result<Capture, CaptureError> {
    let magic = bytes
        .first_chunk::<4>()
        .map_or(0, |m| u32::from_be_bytes(*m));
    if magic == PCAPNG_MAGIC {
        read_pcapng(bytes)
    } else if PCAP_MAGICS.contains(&magic) {
        read_pcap(bytes)
    } else {
        Err(CaptureError::UnknownFormat { magic })
    }
}

fn pcap_error(packet_index: usize, e: pcap_file::PcapError) -> CaptureError {
    CaptureError::PcapFile {
        packet_index,
        message: e.to_string(),
    }
}

fn read_pcap(bytes: &[u8]) -> Result<Capture, CaptureError> {
    let mut reader = PcapReader::new(bytes).map_err(|e| pcap_error(0, e))?;
    let link = reader.header().datalink;
    check_link(link)?;
    let mut capture = Capture::default();
    let mut index = 0;
    while let Some(record) = reader.next_packet() {
        let record = record.map_err(|e| pcap_error(index, e))?;
        let timestamp_ns = u64::try_from(record.timestamp.as_nanos()).unwrap_or(u64::MAX);
        push_packet(&mut capture, link, timestamp_ns, &record.data);
        index += 1;
    }
    Ok(capture)
}

/// One pcapng interface: link type and nanoseconds per timestamp unit (as a ratio).
#[derive(Clone, Copy)]
struct Interface {
    link: DataLink,
    tsresol: u8,
}

/// Scales a raw pcapng timestamp by `if_tsresol` (pcapng §4.2: MSB clear = 10^-v s, set =
/// 2^-v s; default 10^-6). `pcap-file` 2.0 hands the raw count back as `Duration::from_nanos`.
fn pcapng_ns(raw: u64, tsresol: u8) -> u64 {
    let v = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        if v <= 9 {
            raw.saturating_mul(10u64.pow(9 - v))
        } else {
            raw / 10u64.saturating_pow(v - 9)
        }
    } else {
        let ns = (u128::from(raw) * 1_000_000_000u128) >> v.min(127);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

fn read_pcapng(bytes: &[u8]) -> Result<Capture, CaptureError> {
    let mut reader = PcapNgReader::new(bytes).map_err(|e| pcap_error(0, e))?;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut capture = Capture::default();
    let mut index = 0;
    while let Some(block) = reader.next_block() {
        let block = block.map_err(|e| pcap_error(index, e))?;
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                check_link(idb.linktype)?;
                let tsresol = idb
                    .options
                    .iter()
                    .find_map(|o| match o {
                        InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                        _ => None,
                    })
                    .unwrap_or(6);
                interfaces.push(Interface {
                    link: idb.linktype,
                    tsresol,
                });
            }
            Block::EnhancedPacket(epb) => {
                let iface = usize::try_from(epb.interface_id)
                    .ok()
                    .and_then(|i| interfaces.get(i));
                match iface {
                    Some(iface) => {
                        let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                        let ts = pcapng_ns(raw, iface.tsresol);
                        push_packet(&mut capture, iface.link, ts, &epb.data);
                    }
                    None => capture.skipped += 1,
                }
            }
            Block::SimplePacket(spb) => match interfaces.first() {
                Some(iface) => push_packet(&mut capture, iface.link, 0, &spb.data),
                None => capture.skipped += 1,
            },
            _ => {}
        }
        index += 1;
    }
    Ok(capture)
}

fn check_link(link: DataLink) -> Result<(), CaptureError> {
    match link {
        DataLink::ETHERNET
        | DataLink::LINUX_SLL
        | DataLink::RAW
        | DataLink::IPV4
        | DataLink::IPV6 => Ok(()),
        other => Err(CaptureError::UnsupportedLinkType {
            linktype: format!("{other:?}"),
        }),
    }
}

fn push_packet(capture: &mut Capture, link: DataLink, timestamp_ns: u64, data: &[u8]) {
    match parse_packet(link, timestamp_ns, data) {
        Some(p) => capture.packets.push(p),
        None => capture.skipped += 1,
    }
}

fn parse_packet(link: DataLink, timestamp_ns: u64, data: &[u8]) -> Option<CapturedPacket> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        _ => SlicedPacket::from_ip(data),
    }
    .ok()?;
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match sliced.net.as_ref()? {
        NetSlice::Ipv4(v4) => {
            if v4.is_payload_fragmented() {
                return None;
            }
            (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            )
        }
        NetSlice::Ipv6(v6) => {
            if v6.is_payload_fragmented() {
                return None;
            }
            (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            )
        }
    };
    let (src_port, dst_port, transport, payload) = match sliced.transport.as_ref()? {
        TransportSlice::Udp(udp) => (
            udp.source_port(),
            udp.destination_port(),
            Transport::Udp,
            udp.payload(),
        ),
        TransportSlice::Tcp(tcp) => (
            tcp.source_port(),
            tcp.destination_port(),
            Transport::Tcp {
                seq: tcp.sequence_number(),
                syn: tcp.syn(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            },
            tcp.payload(),
        ),
        _ => return None,
    };
    Some(CapturedPacket {
        timestamp_ns,
        src: SocketAddr::new(src_ip, src_port),
        dst: SocketAddr::new(dst_ip, dst_port),
        transport,
        payload: payload.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_timestamp_resolution_scaling() {
        assert_eq!(pcapng_ns(1_500_000, 6), 1_500_000_000);
        assert_eq!(pcapng_ns(7, 9), 7);
        assert_eq!(pcapng_ns(12_345, 12), 12);
        assert_eq!(pcapng_ns(1 << 20, 0x80 | 20), 1_000_000_000);
    }

    #[test]
    fn unknown_magic_is_rejected() {
        let err = read_capture_bytes(b"nope, not a capture").unwrap_err();
        assert!(
            err.to_string().starts_with("CAPTURE_FORMAT_UNKNOWN"),
            "{err}"
        );
        assert!(matches!(
            read_capture_bytes(&[]),
            Err(CaptureError::UnknownFormat { magic: 0 })
        ));
    }
}
