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

#[test]
fn fold_matches_next_on_a_damaged_day() {
    // A 20,000-message day with every other prefix zeroed, then damaged in ways each of which
    // costs exactly one frame (unknown type, length mismatch, bad Buy/Sell Indicator) and a
    // frame cut off by the end: `for_each` / `fold` (the inlined decode path) must yield the
    // same items, errors and offsets as `next`, and stop where `next` stops.
    let mut bytes = day(20_000);
    zero_every_other_prefix(&mut bytes);
    // Frames with explicit prefixes after the day: unknown type, a D announced as 20 bytes,
    // an A with side 'X'.
    bytes.extend_from_slice(&[0, 3, b'G', 0, 0]);
    let mut long_d = vec![0, 20, b'D'];
    long_d.extend_from_slice(&[0; 19]);
    bytes.extend_from_slice(&long_d);
    let mut bad_side = vec![0, 36, b'A'];
    bad_side.extend_from_slice(&[0; 35]);
    bad_side[2 + 19] = b'X';
    bytes.extend_from_slice(&bad_side);
    bytes.extend_from_slice(&[0, 40, b'A', 1, 2]); // cut off by the end
    let via_next: Vec<_> = DayFileIter::new(&bytes).collect();
    let via_fold = DayFileIter::new(&bytes).fold(Vec::new(), |mut v, item| {
        v.push(item);
        v
    });
    assert_eq!(via_fold, via_next);
    let errors: Vec<&str> = via_next
        .iter()
        .filter_map(|item| item.as_ref().err())
        .map(|e| match e.error {
            ItchError::UnknownType { .. } => "unknown",
            ItchError::LengthMismatch { .. } => "length",
            ItchError::BadField { field, .. } => field,
            ItchError::Truncated { .. } => "truncated",
            _ => "other",
        })
        .collect();
    assert_eq!(errors, ["unknown", "length", "side", "truncated"]);
    assert_eq!(via_next.iter().filter(|i| i.is_ok()).count(), 20_000);
    // A zero prefix with an unknown type ends both paths at the same place.
    let mut lost = day(1000);
    let at = lost.len();
    lost.extend_from_slice(&[0, 0, b'G', 1, 2, 3]);
    lost.extend_from_slice(&day(1000));
    let via_next: Vec<_> = DayFileIter::new(&lost).collect();
    let mut via_fold = Vec::new();
    DayFileIter::new(&lost).for_each(|item| via_fold.push(item));
    assert_eq!(via_fold, via_next);
    assert_eq!(via_next.len(), 1001);
    assert_eq!(
        via_next.last().unwrap().as_ref().unwrap_err().offset,
        at as u64
    );
}

#[test]
fn add_order_and_order_delete_fast_path_edges() {
    // `fold` decodes Add Order and Order Delete from a 36-byte window that may run into the
    // next frame, choosing between them without a branch; anything it does not accept goes
    // to the general decoder. Edge cases: a D followed by an A (the window holds the A's
    // bytes), a D and an A as the last frame (window shorter than 36 bytes), a bad Buy/Sell
    // Indicator, a D whose prefix says 36 (the A length), an A whose prefix says 19.
    let add = |side: u8, reference: u8| {
        let mut m = vec![b'A', 0, 7, 0xff, 0xff, 0, 0, 0, 0, 1, 2];
        m.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, reference]);
        m.push(side);
        m.extend_from_slice(&[0, 0, 1, 0]);
        m.extend_from_slice(b"ABCD    ");
        m.extend_from_slice(&[0, 1, 0x86, 0xa0]);
        assert_eq!(m.len(), 36);
        m
    };
    let delete = |reference: u8| {
        let mut m = vec![b'D', 0, 9, 0, 1, 0, 0, 0, 0, 3, 4];
        m.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, reference]);
        assert_eq!(m.len(), 19);
        m
    };
    let frame = |prefix: u16, body: &[u8], out: &mut Vec<u8>| {
        out.extend_from_slice(&prefix.to_be_bytes());
        out.extend_from_slice(body);
    };
    let mut bytes = Vec::new();
    frame(19, &delete(1), &mut bytes);
    frame(36, &add(b'S', 2), &mut bytes);
    frame(36, &add(b'B', 3), &mut bytes);
    frame(36, &add(b'X', 4), &mut bytes); // bad side
    let mut long_delete = delete(5);
    long_delete.resize(36, 0);
    frame(36, &long_delete, &mut bytes); // length mismatch
    frame(19, &add(b'B', 6)[..19], &mut bytes); // truncated A
    frame(36, &add(b'S', 7), &mut bytes);
    frame(19, &delete(8), &mut bytes); // last frame: window shorter than 36
    for end in [bytes.len(), bytes.len() - 21] {
        // Also with the A before the last D as the last frame.
        let stream = &bytes[..end];
        let via_next: Vec<_> = DayFileIter::new(stream).collect();
        let mut via_fold = Vec::new();
        DayFileIter::new(stream).for_each(|item| via_fold.push(item));
        assert_eq!(via_fold, via_next);
        let ok: Vec<(u8, u64)> = via_next
            .iter()
            .flatten()
            .map(|m| match m {
                ItchMessage::AddOrder(a) => (b'A', a.order_reference_number),
                ItchMessage::OrderDelete(d) => (b'D', d.order_reference_number),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let mut expected = vec![(b'D', 1), (b'A', 2), (b'A', 3), (b'A', 7)];
        if end == bytes.len() {
            expected.push((b'D', 8));
        }
        assert_eq!(ok, expected);
        let errors: Vec<&ItchError> = via_next
            .iter()
            .filter_map(|i| i.as_ref().err())
            .map(|e| &e.error)
            .collect();
        assert!(matches!(
            errors[..],
            [
                ItchError::BadField { value: b'X', .. },
                ItchError::LengthMismatch {
                    message_type: b'D',
                    expected: 19,
                    actual: 36
                },
                ItchError::Truncated {
                    message_type: b'A',
                    expected: 36,
                    actual: 19
                },
            ]
        ));
    }
    // Field values through both paths equal the decoder's.
    let mut one = Vec::new();
    frame(36, &add(b'S', 9), &mut one);
    frame(19, &delete(10), &mut one);
    let mut via_fold = Vec::new();
    DayFileIter::new(&one).for_each(|item| via_fold.push(item.unwrap()));
    assert_eq!(via_fold[0], decode(&add(b'S', 9)).unwrap());
    assert_eq!(via_fold[1], decode(&delete(10)).unwrap());
    let ItchMessage::AddOrder(a) = via_fold[0] else {
        panic!()
    };
    assert_eq!(
        (
            a.header.stock_locate,
            a.header.tracking_number,
            a.header.timestamp_ns
        ),
        (7, 0xffff, 0x0102)
    );
    assert_eq!(
        (a.side, a.shares.0, a.price.0),
        (crossbar_model::Side::Sell, 256, 100_000)
    );
}
