//! Randomized robustness (fixed seed): random and mutated datagrams never panic the parsers,
//! and whatever parses yields exactly `message_count` blocks that tile the packet.

use crossbar_moldudp64::{Packet, PacketEncoder, RequestPacket, Session, HEADER_LEN};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check(bytes: &[u8]) {
    if let Ok(packet) = Packet::parse(bytes) {
        let blocks: Vec<_> = packet.messages().collect();
        assert_eq!(blocks.len(), usize::from(packet.header.messages_carried()));
        let used: usize = blocks.iter().map(|(_, d)| 2 + d.len()).sum();
        assert_eq!(HEADER_LEN + used, bytes.len());
    }
    let _ = RequestPacket::decode(bytes);
}

#[test]
fn random_and_mutated_datagrams_never_panic() {
    let mut rng = XorShift(0x6d6f_6c64_7564_7036);
    let mut encoder = PacketEncoder::new(Session(*b"FUZZ000001"), 1, 1472).unwrap();
    while encoder.fits(30) {
        let len = rng.below(31);
        encoder.push(&vec![b'A'; len]).unwrap();
    }
    let base = encoder.packet().to_vec();
    check(&base);
    for _ in 0..20_000 {
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes.truncate(at),
                _ => bytes.insert(at, rng.next() as u8),
            }
            if bytes.is_empty() {
                break;
            }
        }
        check(&bytes);
    }
    for _ in 0..20_000 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&bytes);
    }
}
