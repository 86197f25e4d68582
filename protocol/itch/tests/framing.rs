//! Day-file framing over slices and readers: zero prefixes, skipped bad frames, lost framing,
//! truncation at the end, I/O errors, chunked reads.

use std::io::Read;

use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::*;

/// A generated day of exactly `messages` messages (at least 9: one instrument's structure).
fn day(messages: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let instruments = if messages >= 1000 { 50 } else { 1 };
    let summary = generate_day(
        &DayConfig {
            seed: 7,
            instruments,
            messages,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(summary.census.total(), messages);
    out
}

/// Rewrites every other frame's prefix to 0 (length from the type).
fn zero_every_other_prefix(bytes: &mut [u8]) {
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[pos], bytes[pos + 1]]));
        if i % 2 == 0 {
            bytes[pos] = 0;
            bytes[pos + 1] = 0;
        }
        pos += 2 + len;
        i += 1;
    }
}

/// A reader returning 1..=7 bytes per call and an `Interrupted` error every fifth call.
struct Chunky<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Chunky<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "again",
            ));
        }
        let n = (self.calls % 7 + 1).min(self.data.len()).min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn zero_and_explicit_prefixes_give_the_same_messages() {
    let plain = day(3000);
    let mut zeroed = plain.clone();
    zero_every_other_prefix(&mut zeroed);
    let a: Vec<_> = DayFileIter::new(&plain).collect();
    let mut iter = DayFileIter::new(&zeroed);
    let b: Vec<_> = iter.by_ref().collect();
    assert_eq!(a.len(), 3000);
    assert_eq!(a, b);
    assert_eq!(iter.stats().zero_prefix_frames, 1500);
    assert_eq!(iter.stats().messages, 3000);
    assert_eq!(iter.offset(), zeroed.len());
}

#[test]
fn chunked_reader_matches_slice_iterator() {
    let mut bytes = day(2000);
    zero_every_other_prefix(&mut bytes);
    bytes.extend_from_slice(&[0, 4, b'?', 1, 2, 3]); // unknown type, skipped
    bytes.extend_from_slice(&[0, 0, b'D', 1, 2]); // zero prefix, cut off by the end
    let mut iter = DayFileIter::new(&bytes);
    let from_slice: Vec<_> = iter.by_ref().collect();
    let mut reader = DayFileReader::new(Chunky {
        data: &bytes,
        calls: 0,
    });
    let from_reader: Vec<_> = reader.by_ref().collect();
    assert_eq!(from_slice, from_reader);
    assert_eq!(iter.stats(), reader.stats());
    let stats = reader.stats();
    assert_eq!(
        (
            stats.messages,
            stats.unknown_type,
            stats.truncated,
            stats.bytes_unframed
        ),
        (2000, 1, 1, 5)
    );
    let last = from_reader.last().unwrap().unwrap_err();
    assert_eq!(
        last.error,
        ItchError::Truncated {
            message_type: b'D',
            expected: 21,
            actual: 5
        }
    );
    assert_eq!(last.offset, (bytes.len() - 5) as u64);
}

#[test]
fn zero_prefix_with_unknown_type_ends_the_stream() {
    let good = day(10);
    let mut bytes = good.clone();
    bytes.extend_from_slice(&[0, 0, b'!', 0, 0, 0]);
    bytes.extend_from_slice(&good);
    let mut iter = DayFileIter::new(&bytes);
    let items: Vec<_> = iter.by_ref().collect();
    assert_eq!(items.len(), 11);
    let err = items[10].unwrap_err();
    assert_eq!(err.error, ItchError::UnknownType { message_type: b'!' });
    assert_eq!(err.offset, good.len() as u64);
    assert_eq!(
        iter.stats().bytes_unframed,
        (bytes.len() - good.len()) as u64
    );
    assert_eq!(iter.next(), None);
    let mut reader = DayFileReader::new(&bytes[..]);
    assert_eq!(reader.by_ref().collect::<Vec<_>>(), items);
    assert_eq!(reader.next(), None);
}

#[test]
fn largest_frames_are_skipped_whole() {
    let good = day(10);
    let mut bytes = Vec::new();
    for _ in 0..3 {
        bytes.extend_from_slice(&[0xff, 0xff]);
        bytes.push(b'A'); // a known type, but 65,535 bytes long: length mismatch
        bytes.extend(std::iter::repeat_n(0u8, 65_534));
        bytes.extend_from_slice(&good);
    }
    let mut reader = DayFileReader::new(Chunky {
        data: &bytes,
        calls: 0,
    });
    let items: Vec<_> = reader.by_ref().collect();
    assert_eq!(items.iter().filter(|r| r.is_ok()).count(), 30);
    assert_eq!(reader.stats().length_mismatch, 3);
    assert_eq!(reader.stats().bytes, bytes.len() as u64);
    let mut iter = DayFileIter::new(&bytes);
    assert_eq!(iter.by_ref().collect::<Vec<_>>(), items);
}

#[test]
fn trailing_single_byte_and_empty_input() {
    assert_eq!(DayFileIter::new(&[]).next(), None);
    assert_eq!(DayFileReader::new(&[][..]).next(), None);
    let mut bytes = day(10);
    bytes.push(0);
    let items: Vec<_> = DayFileIter::new(&bytes).collect();
    assert_eq!(items.len(), 11);
    assert_eq!(
        items[10].unwrap_err().error,
        ItchError::Truncated {
            message_type: 0,
            expected: 2,
            actual: 1
        }
    );
}

struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "gone",
        ))
    }
}

#[test]
fn io_errors_end_the_stream_with_a_typed_error() {
    let mut reader = DayFileReader::new(Failing);
    let err = reader.next().unwrap().unwrap_err();
    assert_eq!(
        err.error,
        ItchError::Io {
            kind: std::io::ErrorKind::ConnectionReset
        }
    );
    assert!(
        err.to_string().starts_with("ITCH_IO kind=ConnectionReset"),
        "{err}"
    );
    assert_eq!(reader.next(), None);
    assert_eq!(reader.stats().io_errors, 1);
}

/// `DayFileFrames` yields exactly the frames `DayFileIter` decodes (zero prefixes included),
/// and ends with the same error where framing is lost or the input is cut off.
#[test]
fn frames_iterator_matches_the_decoding_iterator() {
    let mut bytes = day(3000);
    zero_every_other_prefix(&mut bytes);
    let good_len = bytes.len();
    bytes.extend_from_slice(&[0, 40, b'A', 1, 2]); // a frame cut off by the end
    let decoded: Vec<_> = DayFileIter::new(&bytes).collect();
    let mut frames = DayFileFrames::new(&bytes);
    let raw: Vec<_> = frames.by_ref().collect();
    assert_eq!(raw.len(), decoded.len());
    for (frame, message) in raw.iter().zip(&decoded) {
        match (frame, message) {
            (Ok(body), Ok(m)) => assert_eq!(decode(body).as_ref(), Ok(m)),
            (Err(a), Err(b)) => assert_eq!(a, b),
            other => panic!("frame and message disagree: {other:?}"),
        }
    }
    let last = raw.last().unwrap().unwrap_err();
    assert_eq!(last.offset, good_len as u64);
    let stats = frames.stats();
    assert_eq!(
        (stats.messages, stats.zero_prefix_frames, stats.truncated),
        (3000, 1500, 1)
    );
    assert_eq!(stats.bytes_unframed, 5);
    assert_eq!(stats.bytes, good_len as u64);
    assert_eq!(frames.next(), None);
}
