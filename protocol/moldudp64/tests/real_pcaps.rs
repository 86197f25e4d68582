//! MoldUDP64 over the real NASDAQ ITCH captures in `shared/venue-data`: every UDP payload is
//! a valid downstream packet, header values match the bytes, and re-packing a real packet's
//! messages with [`PacketEncoder`] reproduces it byte for byte.

use crossbar_capture::{read_capture, require_shared};
use crossbar_moldudp64::{Packet, PacketEncoder, PacketKind};

const DIR: &str = "venue-data/nasdaq_itch50/omi_moldudp64_pcaps";

#[test]
fn every_itch_pcap_payload_is_a_valid_mold_packet() {
    let shared = require_shared!("every_itch_pcap_payload_is_a_valid_mold_packet");
    let mut packets = 0;
    let mut messages = 0;
    for entry in std::fs::read_dir(shared.join(DIR)).unwrap() {
        let path = entry.unwrap().path();
        for udp in read_capture(&path).unwrap().udp() {
            let packet =
                Packet::parse(&udp.payload).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(packet.kind(), PacketKind::Messages);
            assert_eq!(
                packet.messages().count(),
                usize::from(packet.header.message_count)
            );
            packets += 1;
            messages += packet.messages().count();
        }
    }
    // Counted from the bytes with an independent pcap/UDP/Mold parser: 14 files of five
    // one-message packets, SystemEvent with one, 7 one-packet one-message files, and
    // Multiple.Packets with two packets of 1 and 38 messages.
    assert_eq!(packets, 14 * 5 + 1 + 7 + 2);
    assert_eq!(messages, 14 * 5 + 1 + 7 + 1 + 38);
}

#[test]
fn multiple_packets_capture_headers_and_byte_exact_repacking() {
    let shared = require_shared!("multiple_packets_capture_headers_and_byte_exact_repacking");
    let path = shared
        .join(DIR)
        .join("Nasdaq__Nasdaq.Equities.TotalView.Itch.v5.0__Multiple.Packets.pcap");
    let capture = read_capture(path).unwrap();
    let payloads: Vec<&[u8]> = capture.udp().map(|p| p.payload.as_slice()).collect();
    assert_eq!(payloads.len(), 2);

    let first = Packet::parse(payloads[0]).unwrap();
    assert_eq!(first.header.session.0, *b"000010059B");
    assert_eq!(
        (first.header.sequence_number, first.header.message_count),
        (14_764_496, 1)
    );
    let (seq, data) = first.messages().next().unwrap();
    assert_eq!((seq, data.len(), data[0]), (14_764_496, 19, b'D'));

    let big = Packet::parse(payloads[1]).unwrap();
    assert_eq!(
        (big.header.sequence_number, big.header.message_count),
        (19_009_117, 38)
    );
    assert_eq!(big.header.next_sequence_number(), 19_009_155);
    assert_eq!(payloads[1].len(), 1472);

    let mut encoder =
        PacketEncoder::new(big.header.session, big.header.sequence_number, 1472).unwrap();
    for (seq, data) in big.messages() {
        assert_eq!(seq, encoder.next_sequence_number());
        assert!(encoder.fits(data.len()));
        encoder.push(data).unwrap();
    }
    assert_eq!(encoder.packet(), payloads[1]);
    assert!(!encoder.fits(1), "the real packet is full at 1,472 bytes");
}
