//! Randomized robustness (fixed seed): mutated streams and random slices never panic, and
//! the framing counters always account for every byte and every frame.

use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::*;

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

fn mutate(rng: &mut XorShift, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(8) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] = rng.next() as u8,
            1 => bytes[at] ^= 1 << rng.below(8),
            2 => {
                bytes.remove(at);
            }
            3 => bytes.insert(at, rng.next() as u8),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn check(bytes: &[u8]) {
    let mut iter = DayFileIter::new(bytes);
    let items: Vec<_> = iter.by_ref().collect();
    let stats = iter.stats();
    assert_eq!(stats.messages + stats.errors(), items.len() as u64);
    assert_eq!(stats.bytes + stats.bytes_unframed, bytes.len() as u64);
    // Internal iteration (`DayFileIter::fold`, its own framing and decode path) yields
    // exactly what `next` yields, errors and offsets included.
    let folded = DayFileIter::new(bytes).fold(Vec::new(), |mut v, item| {
        v.push(item);
        v
    });
    assert_eq!(folded, items);
    let mut reader = DayFileReader::new(bytes);
    assert_eq!(reader.by_ref().collect::<Vec<_>>(), items);
    assert_eq!(reader.stats(), stats);
    for m in items.into_iter().flatten() {
        // Whatever decodes re-encodes to a message that decodes to itself.
        let mut buf = [0u8; 64];
        let n = m.encode(&mut buf).unwrap();
        assert_eq!(decode(&buf[..n]), Ok(m));
    }
}

#[test]
fn mutated_streams_never_panic_and_are_fully_accounted() {
    let mut base = Vec::new();
    generate_day(
        &DayConfig {
            seed: 3,
            instruments: 20,
            messages: 400,
        },
        &mut base,
    )
    .unwrap();
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    for _ in 0..3000 {
        check(&mutate(&mut rng, &base));
    }
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    let mut rng = XorShift(0x0dec_0de0_0000_0042);
    let mut buf = [0u8; 80];
    for _ in 0..200_000 {
        let len = rng.below(buf.len() + 1);
        for b in &mut buf[..len] {
            *b = rng.next() as u8;
        }
        if len > 0 && rng.below(2) == 0 {
            // Bias towards known types with their exact lengths so field validation runs.
            let t = MESSAGE_TYPES[rng.below(MESSAGE_TYPES.len())];
            buf[0] = t;
            let exact = message_length(t).unwrap();
            let _ = decode(&buf[..exact]);
        }
        let _ = decode(&buf[..len]);
    }
    for _ in 0..2000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&bytes);
    }
}
