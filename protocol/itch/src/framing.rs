//! Day-file framing: `[u16 big-endian length][message]` repeated (the layout of NASDAQ's
//! published TotalView-ITCH 5.0 day files, and of MoldUDP64 message blocks).
//!
//! A prefix of 0 means "length not given": the length is taken from the message type
//! ([`message_length`]), which is how files whose prefixes were zeroed are read.
//!
//! Error accounting: a frame whose length is known (non-zero prefix, or zero prefix and a
//! known type) is consumed whole whether or not its message decodes, so one bad message
//! never costs the next one. Only two things end a stream early, both at the point where the
//! framing itself is lost: a zero prefix followed by an unknown type (no length to skip by),
//! and a frame cut off by the end of the input. Every error is counted in [`FrameStats`].

use std::io::Read;

use crate::messages::{decode_visit, decode_with, is_add_or_delete, read_add_or_delete};
use crate::{message_length, AddOrder, FrameError, ItchError, ItchMessage};

/// Size of the length prefix in bytes.
pub const PREFIX_LEN: usize = 2;

/// Counters kept by [`DayFileIter`] and [`DayFileReader`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Messages decoded successfully.
    pub messages: u64,
    /// Frames whose prefix was 0 (length taken from the type).
    pub zero_prefix_frames: u64,
    /// Frames with a type byte ITCH 5.0 does not define (skipped, or ending the stream when
    /// the prefix was 0).
    pub unknown_type: u64,
    /// Frames shorter than their type's length, or cut off by the end of the input.
    pub truncated: u64,
    /// Frames longer than their type's length (skipped).
    pub length_mismatch: u64,
    /// Frames with an invalid validated field (skipped).
    pub bad_field: u64,
    /// I/O errors from the reader (streaming only).
    pub io_errors: u64,
    /// Bytes consumed, frames and prefixes included.
    pub bytes: u64,
    /// Bytes left unread because framing was lost (see the module docs).
    pub bytes_unframed: u64,
}

impl FrameStats {
    /// Total frames that produced an error.
    pub fn errors(&self) -> u64 {
        self.unknown_type + self.truncated + self.length_mismatch + self.bad_field + self.io_errors
    }

    #[inline]
    fn record(&mut self, error: &ItchError) {
        match error {
            ItchError::UnknownType { .. } => self.unknown_type += 1,
            ItchError::Truncated { .. } => self.truncated += 1,
            ItchError::LengthMismatch { .. } => self.length_mismatch += 1,
            ItchError::Io { .. } => self.io_errors += 1,
            _ => self.bad_field += 1,
        }
    }
}

/// Decodes one frame's message, errors tagged with the frame's offset, and counts the
/// outcome in `stats`. Out of line for the iterators' `next`, so that both share one copy of
/// the 23-arm decoder and each arm writes its message straight into the returned value;
/// counting here lets the callers return the result without moving it (a moved 88-byte value
/// costs a store-forwarding stall per message; measured 25-30% of the iterator's time).
#[inline(never)]
fn decode_framed(
    body: &[u8],
    offset: u64,
    stats: &mut FrameStats,
) -> Result<ItchMessage, FrameError> {
    let result = decode_with(body, |error| FrameError { offset, error });
    match &result {
        Ok(_) => stats.messages += 1,
        Err(e) => stats.record(&e.error),
    }
    result
}

/// The common frame: a non-zero length prefix and the whole message present. Returns the
/// message bytes (prefix excluded); `None` sends the caller to its slow path (zero prefix,
/// cut-off frame, end of input).
#[inline(always)]
fn frame_fast(rest: &[u8]) -> Option<&[u8]> {
    let (prefix, tail) = rest.split_first_chunk::<PREFIX_LEN>()?;
    let len = usize::from(u16::from_be_bytes(*prefix));
    if len == 0 {
        return None;
    }
    tail.get(..len)
}

/// [`frame_fast`] that also returns the input after the frame (for `DayFileIter::fold`).
#[inline(always)]
fn frame_fast_split(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let (prefix, tail) = rest.split_first_chunk::<PREFIX_LEN>()?;
    let len = usize::from(u16::from_be_bytes(*prefix));
    if len == 0 {
        return None;
    }
    tail.split_at_checked(len)
}

/// What the bytes at the front of a buffer hold.
enum Step {
    /// A complete frame of `total` bytes (prefix included).
    Frame { total: usize, zero_prefix: bool },
    /// At least `total` bytes are needed to know or hold the frame.
    NeedMore { total: usize },
    /// Zero prefix and unknown type: the frame length cannot be known.
    Lost { message_type: u8 },
}

#[inline(always)]
fn step(buf: &[u8]) -> Step {
    let Some(&[hi, lo]) = buf.first_chunk::<PREFIX_LEN>() else {
        return Step::NeedMore { total: PREFIX_LEN };
    };
    let prefix = usize::from(u16::from_be_bytes([hi, lo]));
    let (body_len, zero_prefix) = if prefix != 0 {
        (prefix, false)
    } else {
        let Some(&message_type) = buf.get(PREFIX_LEN) else {
            return Step::NeedMore {
                total: PREFIX_LEN + 1,
            };
        };
        match message_length(message_type) {
            Some(len) => (len, true),
            None => return Step::Lost { message_type },
        }
    };
    let total = PREFIX_LEN + body_len;
    if buf.len() < total {
        Step::NeedMore { total }
    } else {
        Step::Frame { total, zero_prefix }
    }
}

/// Error for a frame cut off by the end of the input: `expected`/`actual` are frame bytes
/// (prefix included) needed and present.
fn cut_off(rest: &[u8], total: usize) -> ItchError {
    ItchError::Truncated {
        message_type: rest.get(PREFIX_LEN).copied().unwrap_or(0),
        expected: total,
        actual: rest.len(),
    }
}

/// Iterates the messages of a day-file byte slice, yielding each decoded message or the
/// [`FrameError`] (with the frame's byte offset) that replaced it. See the module docs for
/// what is skipped and what ends the iteration; [`DayFileIter::stats`] has the counts.
///
/// Allocation-free; messages are `Copy` values. Internal iteration (`for_each`, `fold`,
/// `count`, ...) is the fast way to consume it: `fold` is overridden to decode each message
/// straight into the consumer's argument, Add Order and Order Delete without a branch between
/// them (6.0 ns per message of a generated day on the 2-core dev VM, against 8.7 ns before
/// that and more through a `for` loop, which moves every 88-byte item out of `next`'s
/// `Option`); both yield the same items.
#[derive(Clone, Debug)]
pub struct DayFileIter<'a> {
    data: &'a [u8],
    pos: usize,
    /// Counters except `bytes`, which is derived from `pos` in [`DayFileIter::stats`].
    stats: FrameStats,
}

impl<'a> DayFileIter<'a> {
    /// Starts at the first byte of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        DayFileIter {
            data,
            pos: 0,
            stats: FrameStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FrameStats {
        FrameStats {
            bytes: self.pos as u64 - self.stats.bytes_unframed,
            ..self.stats
        }
    }

    /// Offset of the next frame from the start of the slice.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl DayFileIter<'_> {
    /// Framing is lost at `offset` (see the module docs): counts `error` and the rest of the
    /// input as unframed, and ends the iteration after this item.
    #[cold]
    fn lose_rest(
        &mut self,
        offset: usize,
        error: ItchError,
    ) -> Option<Result<ItchMessage, FrameError>> {
        self.stats.record(&error);
        self.stats.bytes_unframed += (self.data.len() - offset) as u64;
        self.pos = self.data.len();
        Some(Err(FrameError {
            offset: offset as u64,
            error,
        }))
    }
}

impl Iterator for DayFileIter<'_> {
    type Item = Result<ItchMessage, FrameError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.pos;
        let rest = self.data.get(offset..).filter(|r| !r.is_empty())?;
        match step(rest) {
            Step::Frame { total, zero_prefix } => {
                self.pos += total;
                self.stats.zero_prefix_frames += u64::from(zero_prefix);
                let body = rest.get(PREFIX_LEN..total).unwrap_or_default();
                Some(decode_framed(body, offset as u64, &mut self.stats))
            }
            Step::NeedMore { total } => self.lose_rest(offset, cut_off(rest, total)),
            Step::Lost { message_type } => {
                self.lose_rest(offset, ItchError::UnknownType { message_type })
            }
        }
    }

    /// Internal iteration (`for_each`, `fold`, `count`, ...): the same items as `next`, but
    /// each message is handed to `f` inside the decoder's arm for its type, so it is written
    /// once, in place, rather than returned through `next`'s `Option` and moved (see
    /// `decode_visit`), and the position lives in a register. Add Order and Order Delete, 87%
    /// of a day, go first through `is_add_or_delete` / `read_add_or_delete`, which choose
    /// between the two without a branch (see docs/itch.md). `fold` consumes the iterator, so
    /// its counters could never be read afterwards and are not kept.
    #[inline]
    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, Self::Item) -> B,
    {
        let DayFileIter { data, pos, .. } = self;
        // The unread input as a slice, advanced frame by frame; a frame's offset is only
        // needed for an error, and is derived then.
        let mut rest = data.get(pos..).unwrap_or_default();
        let offset_of = |rest: &[u8]| (data.len() - rest.len()) as u64;
        let mut acc = init;
        loop {
            let (body, after) = match frame_fast_split(rest) {
                Some(frame) => frame,
                None => match frame_slow(rest) {
                    SlowFrame::End => return acc,
                    SlowFrame::Frame { body, total, .. } => {
                        (body, rest.get(total..).unwrap_or_default())
                    }
                    SlowFrame::Lost(error) => {
                        let offset = offset_of(rest);
                        return f(acc, Err(FrameError { offset, error }));
                    }
                },
            };
            let at = rest;
            rest = after;
            if let Some(window) = at
                .get(PREFIX_LEN..)
                .and_then(|w| w.first_chunk::<{ AddOrder::LEN }>())
            {
                if is_add_or_delete(body.len(), window) {
                    acc = f(acc, Ok(read_add_or_delete(window)));
                    continue;
                }
            }
            acc = decode_visit(
                body,
                |error| FrameError {
                    offset: offset_of(at),
                    error,
                },
                |item| f(acc, item),
            );
        }
    }
}

/// What [`frame_slow`] found where [`frame_fast`] did not take the frame.
enum SlowFrame<'a> {
    /// The end of the input.
    End,
    /// A whole frame (in practice one with a zero prefix): its message bytes and its total
    /// length, prefix included.
    Frame {
        body: &'a [u8],
        total: usize,
        zero_prefix: bool,
    },
    /// Framing is lost here (zero prefix with an unknown type, or a frame cut off by the end
    /// of the input): the rest of the input cannot be framed.
    Lost(ItchError),
}

/// Every frame [`frame_fast`] does not take. Out of line (rare), and a pure function of the
/// bytes, so that the iterators' position and counters stay in registers around it.
#[inline(never)]
fn frame_slow(rest: &[u8]) -> SlowFrame<'_> {
    if rest.is_empty() {
        return SlowFrame::End;
    }
    match step(rest) {
        Step::Frame { total, zero_prefix } => SlowFrame::Frame {
            body: rest.get(PREFIX_LEN..total).unwrap_or_default(),
            total,
            zero_prefix,
        },
        Step::NeedMore { total } => SlowFrame::Lost(cut_off(rest, total)),
        Step::Lost { message_type } => SlowFrame::Lost(ItchError::UnknownType { message_type }),
    }
}

/// The frame at `*pos` in `data`, for `DayFileFrames`: `None` at the end, the message bytes
/// of a whole frame (`pos` moved past it), or, where framing is lost, the error tagged with
/// the frame's offset (the rest of `data` counted as unframed, `pos` at the end).
#[inline(always)]
fn next_frame<'a>(
    data: &'a [u8],
    pos: &mut usize,
    stats: &mut FrameStats,
) -> Option<Result<&'a [u8], FrameError>> {
    let offset = *pos;
    let rest = data.get(offset..)?;
    if let Some(body) = frame_fast(rest) {
        *pos = offset + PREFIX_LEN + body.len();
        return Some(Ok(body));
    }
    match frame_slow(rest) {
        SlowFrame::End => None,
        SlowFrame::Frame {
            body,
            total,
            zero_prefix,
        } => {
            *pos = offset + total;
            stats.zero_prefix_frames += u64::from(zero_prefix);
            Some(Ok(body))
        }
        SlowFrame::Lost(error) => {
            stats.record(&error);
            stats.bytes_unframed += rest.len() as u64;
            *pos = data.len();
            Some(Err(FrameError {
                offset: offset as u64,
                error,
            }))
        }
    }
}

/// Iterates the frames of a day-file byte slice like [`DayFileIter`], but yields each frame's
/// message bytes (type byte first, no prefix) undecoded, for callers that decode lazily (for
/// example with [`crate::decode_book_fields`]). Framing, what ends the iteration and the
/// counters are [`DayFileIter`]'s, except that [`FrameStats::messages`] counts frames
/// yielded and no decode error is counted (decoding is the caller's).
#[derive(Clone, Debug)]
pub struct DayFileFrames<'a> {
    data: &'a [u8],
    pos: usize,
    stats: FrameStats,
}

impl<'a> DayFileFrames<'a> {
    /// Starts at the first byte of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        DayFileFrames {
            data,
            pos: 0,
            stats: FrameStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FrameStats {
        FrameStats {
            bytes: self.pos as u64 - self.stats.bytes_unframed,
            ..self.stats
        }
    }
}

impl<'a> Iterator for DayFileFrames<'a> {
    type Item = Result<&'a [u8], FrameError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.pos;
        let data: &'a [u8] = self.data;
        let rest = data.get(offset..)?;
        // Nearly every frame: a non-zero prefix and the whole frame present. Everything else
        // (zero prefix, cut off, end of input) takes `step`, which decides it exactly as
        // before. (Measured: 7 instructions per message fewer on the day bench's fused path,
        // callgrind.)
        if let Some((body, _)) = frame_fast_split(rest) {
            self.pos += PREFIX_LEN + body.len();
            self.stats.messages += 1;
            return Some(Ok(body));
        }
        if rest.is_empty() {
            return None;
        }
        match step(rest) {
            Step::Frame { total, zero_prefix } => {
                self.pos += total;
                self.stats.zero_prefix_frames += u64::from(zero_prefix);
                self.stats.messages += 1;
                Some(Ok(rest.get(PREFIX_LEN..total).unwrap_or_default()))
            }
            // Framing lost: `next_frame` counts it and moves to the end. (Measured: this
            // inlined path costs 35 instructions per frame of the generated day, a `#[cold]`
            // method taking `&mut self` 53.)
            Step::NeedMore { .. } | Step::Lost { .. } => {
                next_frame(self.data, &mut self.pos, &mut self.stats)
            }
        }
    }
}

/// Once `next` returns `None` (the input is used up) it keeps returning `None`: lost framing
/// moves to the end of the input, and the end is never left.
impl std::iter::FusedIterator for DayFileFrames<'_> {}

/// Buffer capacity of [`DayFileReader`]: the largest frame (2 + 65,535 bytes) fits twice.
pub const READER_BUFFER_LEN: usize = 1 << 17;

/// Streams day-file messages from any [`Read`] through one fixed buffer of
/// [`READER_BUFFER_LEN`] bytes allocated at construction; nothing else allocates.
///
/// Same framing, error accounting and counters as [`DayFileIter`]; an I/O error (other than
/// `Interrupted`, which is retried) is yielded as [`ItchError::Io`] and ends the stream.
pub struct DayFileReader<R: Read> {
    reader: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    eof: bool,
    done: bool,
    stats: FrameStats,
}

impl<R: Read> DayFileReader<R> {
    /// Wraps `reader`; allocates the buffer once.
    pub fn new(reader: R) -> Self {
        DayFileReader {
            reader,
            buf: vec![0u8; READER_BUFFER_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            done: false,
            stats: FrameStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FrameStats {
        self.stats
    }

    /// Moves the unread bytes to the front and reads more; `Err` on an I/O error.
    fn fill(&mut self) -> Result<(), ItchError> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ItchError::Io { kind: e.kind() }),
            }
        }
    }

    fn finish(&mut self, error: ItchError) -> Option<Result<ItchMessage, FrameError>> {
        self.done = true;
        self.stats.record(&error);
        self.stats.bytes_unframed += (self.end - self.start) as u64;
        Some(Err(FrameError {
            offset: self.offset,
            error,
        }))
    }
}

impl<R: Read> Iterator for DayFileReader<R> {
    type Item = Result<ItchMessage, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let rest = &self.buf[self.start..self.end];
            match step(rest) {
                Step::Frame { total, zero_prefix } => {
                    let body = rest.get(PREFIX_LEN..total).unwrap_or_default();
                    let offset = self.offset;
                    self.start += total;
                    self.offset += total as u64;
                    self.stats.bytes += total as u64;
                    self.stats.zero_prefix_frames += u64::from(zero_prefix);
                    return Some(decode_framed(body, offset, &mut self.stats));
                }
                Step::NeedMore { total } if self.eof => {
                    if rest.is_empty() {
                        self.done = true;
                        return None;
                    }
                    let error = cut_off(rest, total);
                    return self.finish(error);
                }
                Step::NeedMore { .. } => {
                    if let Err(error) = self.fill() {
                        return self.finish(error);
                    }
                }
                Step::Lost { message_type } => {
                    return self.finish(ItchError::UnknownType { message_type })
                }
            }
        }
        None
    }
}

/// Appends `message` to `out` as one day-file frame: its length as a big-endian u16, then
/// the message bytes (ITCH 5.0 day-file layout).
///
/// # Errors
/// [`ItchError::FieldOutOfRange`] when a field does not fit its wire width (nothing is
/// appended then).
pub fn write_frame(message: &ItchMessage, out: &mut Vec<u8>) -> Result<(), ItchError> {
    let len = message.encoded_len();
    let start = out.len();
    out.resize(start + PREFIX_LEN + len, 0);
    let frame = &mut out[start..];
    frame[..PREFIX_LEN].copy_from_slice(&(len as u16).to_be_bytes());
    match message.encode(&mut frame[PREFIX_LEN..]) {
        Ok(_) => Ok(()),
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}
