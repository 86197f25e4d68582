//! Reading pcap and pcapng: in-memory captures written with `pcap-file` and built with
//! `etherparse` (known timestamps, addresses, payloads), and the real captures in
//! `shared/venue-data`.

use std::borrow::Cow;
use std::time::Duration;

use crossbar_capture::{
    read_capture, read_capture_bytes, require_shared, tcp_streams, CaptureError, Transport,
};
use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, TsResolution};

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12])
        .ipv4([10, 0, 0, 1], [233, 54, 12, 111], 64)
        .udp(49_653, 26_477);
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

fn tcp_frame(seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut builder = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([192, 168, 0, 2], [192, 168, 0, 3], 64)
        .tcp(40_000, 15_000, seq, 1024);
    if syn {
        builder = builder.syn();
    }
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

fn epb(timestamp_raw: u64, data: Vec<u8>) -> EnhancedPacketBlock<'static> {
    EnhancedPacketBlock {
        interface_id: 0,
        timestamp: Duration::from_nanos(timestamp_raw),
        original_len: data.len() as u32,
        data: Cow::Owned(data),
        options: vec![],
    }
}

fn pcapng(tsresol: Option<u8>, packets: Vec<EnhancedPacketBlock<'static>>) -> Vec<u8> {
    let mut writer = PcapNgWriter::new(Vec::new()).unwrap();
    let mut idb = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 65_535);
    if let Some(r) = tsresol {
        idb.options.push(InterfaceDescriptionOption::IfTsResol(r));
    }
    writer.write_pcapng_block(idb).unwrap();
    for p in packets {
        writer.write_pcapng_block(p).unwrap();
    }
    writer.into_inner()
}

#[test]
fn pcapng_with_nanosecond_resolution_udp_tcp_and_junk() {
    let bytes = pcapng(
        Some(9),
        vec![
            epb(1_692_711_000_000_059_094, udp_frame(b"mold")),
            epb(1_692_711_000_000_060_000, vec![0xff; 30]),
            epb(1_692_711_000_000_061_000, tcp_frame(1000, false, b"soup")),
        ],
    );
    let capture = read_capture_bytes(&bytes).unwrap();
    assert_eq!(capture.skipped, 1);
    assert_eq!(capture.packets.len(), 2);
    let udp = &capture.packets[0];
    assert_eq!(udp.timestamp_ns, 1_692_711_000_000_059_094);
    assert_eq!(
        (udp.src.to_string(), udp.dst.to_string()),
        ("10.0.0.1:49653".into(), "233.54.12.111:26477".into())
    );
    assert_eq!(
        (udp.transport, udp.payload.as_slice()),
        (Transport::Udp, &b"mold"[..])
    );
    let tcp = &capture.packets[1];
    assert_eq!(
        tcp.transport,
        Transport::Tcp {
            seq: 1000,
            syn: false,
            fin: false,
            rst: false
        }
    );
    assert_eq!(tcp.payload, b"soup");
    assert!(tcp.is_tcp() && udp.is_udp());
    assert_eq!(capture.udp().count(), 1);
}

#[test]
fn pcapng_default_resolution_is_microseconds() {
    let bytes = pcapng(None, vec![epb(1_500_000, udp_frame(b"x"))]);
    let capture = read_capture_bytes(&bytes).unwrap();
    assert_eq!(capture.packets[0].timestamp_ns, 1_500_000_000);
}

#[test]
fn classic_pcap_microseconds_and_tcp_reassembly() {
    let header = PcapHeader {
        ts_resolution: TsResolution::MicroSecond,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).unwrap();
    let frames = [
        tcp_frame(99, true, b""),
        tcp_frame(106, false, b"world"),
        tcp_frame(100, false, b"hello "),
    ];
    for (i, f) in frames.iter().enumerate() {
        let ts = Duration::from_micros(10 + i as u64);
        writer
            .write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .unwrap();
    }
    let capture = read_capture_bytes(&writer.into_writer()).unwrap();
    assert_eq!(capture.packets.len(), 3);
    assert_eq!(capture.packets[1].timestamp_ns, 11_000);
    let streams = tcp_streams(&capture.packets);
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].bytes, b"hello world");
    assert_eq!(
        (streams[0].holes, streams[0].first_timestamp_ns),
        (0, 10_000)
    );
}

#[test]
fn unsupported_link_type_and_missing_file() {
    let header = PcapHeader {
        datalink: DataLink::IEEE802_11,
        ..PcapHeader::default()
    };
    let writer = PcapWriter::with_header(Vec::new(), header).unwrap();
    let err = read_capture_bytes(&writer.into_writer()).unwrap_err();
    assert!(
        err.to_string().starts_with("CAPTURE_LINKTYPE_UNSUPPORTED"),
        "{err}"
    );
    let err = read_capture("/nonexistent/capture.pcap").unwrap_err();
    assert!(matches!(err, CaptureError::Io { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("CAPTURE_IO path=/nonexistent/capture.pcap"),
        "{err}"
    );
}

#[test]
fn real_itch_pcaps_are_udp_with_mold_headers() {
    let shared = require_shared!("real_itch_pcaps_are_udp_with_mold_headers");
    let dir = shared.join("venue-data/nasdaq_itch50/omi_moldudp64_pcaps");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let capture = read_capture(entry.unwrap().path()).unwrap();
        assert_eq!(capture.skipped, 0);
        assert!(!capture.packets.is_empty());
        assert!(capture
            .packets
            .iter()
            .all(|p| p.is_udp() && p.payload.len() >= 20));
        files += 1;
    }
    assert_eq!(files, 23);
}

#[test]
fn real_ouch_pcaps_reassemble_into_whole_soupbintcp_packets() {
    let shared = require_shared!("real_ouch_pcaps_reassemble_into_whole_soupbintcp_packets");
    let dir = shared.join("venue-data/nasdaq_ouch50_soupbintcp");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let capture = read_capture(&path).unwrap();
        let streams = tcp_streams(&capture.packets);
        assert!(!streams.is_empty(), "{}", path.display());
        for stream in streams.iter().filter(|s| !s.bytes.is_empty()) {
            // SoupBinTCP 4.1 §2: u16 length (type byte + payload), then the type byte.
            let mut pos = 0;
            while pos < stream.bytes.len() {
                let len = usize::from(u16::from_be_bytes([
                    stream.bytes[pos],
                    stream.bytes[pos + 1],
                ]));
                assert!(
                    b"+AJHSLUROZ".contains(&stream.bytes[pos + 2]),
                    "{}",
                    path.display()
                );
                pos += 2 + len;
            }
            assert_eq!(pos, stream.bytes.len(), "{}", path.display());
            assert_eq!(stream.holes, 0);
        }
        files += 1;
    }
    assert_eq!(files, 6);
}

#[test]
fn truncated_and_corrupted_captures_never_panic() {
    let header = PcapHeader {
        ts_resolution: TsResolution::NanoSecond,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).unwrap();
    for i in 0..4u32 {
        let frame = if i % 2 == 0 {
            udp_frame(b"payload")
        } else {
            tcp_frame(i, false, b"segment")
        };
        writer
            .write_packet(&PcapPacket::new(
                Duration::from_nanos(u64::from(i)),
                frame.len() as u32,
                &frame,
            ))
            .unwrap();
    }
    let pcap = writer.into_writer();
    let ng = pcapng(
        Some(9),
        vec![epb(5, udp_frame(b"a")), epb(6, tcp_frame(1, true, b""))],
    );
    for (bytes, packets) in [(pcap, 4), (ng, 2)] {
        assert_eq!(read_capture_bytes(&bytes).unwrap().packets.len(), packets);
        for cut in 0..bytes.len() {
            let _ = read_capture_bytes(&bytes[..cut]);
        }
        for at in 0..bytes.len() {
            let mut corrupted = bytes.clone();
            corrupted[at] ^= 0xa5;
            let _ = read_capture_bytes(&corrupted);
        }
    }
}
