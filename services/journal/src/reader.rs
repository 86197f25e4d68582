//! Reading a journal directory: validate every segment once on open, then iterate records
//! from any sequence (restart replay, `journal-inspect`).

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::format::{find_later_record, read_slot, record_frame_len, Record, SegmentHeader, Slot};
use crate::limits::{FIRST_SEQUENCE, SEGMENT_HEADER_LEN, SEGMENT_SIZE_MAX};
use crate::segment::{list_segments, map_read_only};
use crate::JournalError;

/// Where the last segment stops being a valid record stream without any valid record after
/// it: the write a crash interrupted (or unwritten garbage). Readers stop there; the writer's
/// recovery zeroes from `offset` to the end of the segment and appends at `sequence`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub segment: PathBuf,
    /// The sequence the torn record would have had (the next sequence to append).
    pub sequence: u64,
    /// Byte offset of the torn record in the segment file.
    pub offset: usize,
    /// What failed there (`bad_crc ...`, `overruns_segment ...`, `nonzero_bytes_after_end`).
    pub reason: String,
}

/// How one segment's record stream ends.
#[derive(Debug)]
pub(crate) struct SegmentEnd {
    /// Offset just past the last valid record.
    pub end_offset: usize,
    /// Sequence of the next record (last valid + 1).
    pub next_sequence: u64,
    /// `Some` when the stream stops at a bad slot or garbage with nothing valid after it.
    pub tail: Option<(usize, String)>,
}

/// Walks one segment's records from its header. A bad slot followed (anywhere later in the
/// segment) by a CRC-valid record of a later sequence is corruption and an error; a bad slot
/// with nothing valid after it is a torn tail.
pub(crate) fn scan_segment(
    path: &Path,
    bytes: &[u8],
    first_sequence: u64,
) -> Result<SegmentEnd, JournalError> {
    let mut offset = SEGMENT_HEADER_LEN;
    let mut sequence = first_sequence;
    let reason = loop {
        match read_slot(bytes, offset, sequence) {
            Slot::Record(r) => {
                offset += record_frame_len(r.payload.len());
                sequence += 1;
            }
            Slot::Empty => {
                let rest = bytes.get(offset..).unwrap_or_default();
                if rest.iter().all(|b| *b == 0) {
                    return Ok(SegmentEnd {
                        end_offset: offset,
                        next_sequence: sequence,
                        tail: None,
                    });
                }
                break "nonzero_bytes_after_end".to_owned();
            }
            Slot::Invalid(why) => break why.to_string(),
        }
    };
    if let Some((later_offset, later_sequence)) = find_later_record(bytes, offset, sequence - 1) {
        return Err(JournalError::CorruptRecord {
            segment: path.to_path_buf(),
            sequence,
            offset,
            reason: format!(
                "{reason} valid_record_follows sequence={later_sequence} offset={later_offset}"
            ),
        });
    }
    Ok(SegmentEnd {
        end_offset: offset,
        next_sequence: sequence,
        tail: Some((offset, reason)),
    })
}

/// One validated segment, mapped read-only.
#[derive(Debug)]
pub(crate) struct ReadSegment {
    pub path: PathBuf,
    pub first_sequence: u64,
    /// Length the header says the file has (the writer restores it if the file is shorter).
    pub segment_len: u64,
    /// Length the file actually has.
    pub file_len: u64,
    pub map: Mmap,
    pub end: SegmentEnd,
}

/// A validated, read-only view of a journal directory.
///
/// [`JournalReader::open`] maps every segment and checks every record (CRC-32C, sequence
/// continuity within and across segments), so iteration afterwards cannot meet a bad record.
/// Opening reads the whole journal once: O(journal bytes).
#[derive(Debug)]
pub struct JournalReader {
    dir: PathBuf,
    segments: Vec<ReadSegment>,
    torn_tail: Option<TornTail>,
    next_sequence: u64,
}

impl JournalReader {
    /// Opens and validates the journal in `dir` without modifying anything. A torn tail
    /// (crash mid-append) is not an error: reading stops before it and [`Self::torn_tail`]
    /// says where it is. An empty directory is an empty journal.
    ///
    /// # Errors
    /// [`JournalError::Io`] if `dir` or a segment cannot be read or mapped;
    /// [`JournalError::BadSegment`] for a bad segment header or length;
    /// [`JournalError::CorruptRecord`] for a bad record that is not the tail, naming its
    /// sequence and offset; [`JournalError::SequenceGap`] when segments do not follow each
    /// other; [`JournalError::TooManySegments`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, JournalError> {
        let dir = dir.as_ref();
        let list = list_segments(dir)?;
        let mut segments: Vec<ReadSegment> = Vec::with_capacity(list.len());
        let mut torn_tail = None;
        let last_index = list.len().saturating_sub(1);
        for (index, (first_sequence, path)) in list.into_iter().enumerate() {
            let is_last = index == last_index;
            if let Some(previous) = segments.last() {
                if previous.end.next_sequence != first_sequence {
                    return Err(JournalError::SequenceGap {
                        segment: path,
                        expected: previous.end.next_sequence,
                        found: first_sequence,
                    });
                }
            }
            let segment = open_segment(path, first_sequence, is_last)?;
            if let Some((offset, reason)) = &segment.end.tail {
                if !is_last {
                    return Err(JournalError::CorruptRecord {
                        segment: segment.path.clone(),
                        sequence: segment.end.next_sequence,
                        offset: *offset,
                        reason: format!("{reason} later_segment_follows"),
                    });
                }
                torn_tail = Some(TornTail {
                    segment: segment.path.clone(),
                    sequence: segment.end.next_sequence,
                    offset: *offset,
                    reason: reason.clone(),
                });
            }
            segments.push(segment);
        }
        let next_sequence = segments
            .last()
            .map_or(FIRST_SEQUENCE, |s| s.end.next_sequence);
        Ok(Self {
            dir: dir.to_path_buf(),
            segments,
            torn_tail,
            next_sequence,
        })
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sequence of the oldest record held, `None` when the journal has no record.
    pub fn first_sequence(&self) -> Option<u64> {
        let first = self.segments.first()?.first_sequence;
        (first < self.next_sequence).then_some(first)
    }

    /// Sequence of the newest valid record, `None` when the journal has no record.
    pub fn last_sequence(&self) -> Option<u64> {
        self.first_sequence().map(|_| self.next_sequence - 1)
    }

    /// The sequence the next appended record gets (1 for an empty journal).
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The torn tail found on open, if the last writer crashed mid-append and no writer has
    /// reopened (and so repaired) the journal since.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    /// Every valid record in sequence order.
    pub fn records(&self) -> Records<'_> {
        self.records_from(0)
    }

    /// Valid records with sequence `>= from`, in order. Starts at the oldest record when
    /// `from` is older than it; yields nothing when `from` is past the newest.
    pub fn records_from(&self, from: u64) -> Records<'_> {
        let segment = self
            .segments
            .partition_point(|s| s.first_sequence <= from)
            .saturating_sub(1);
        let expected = self.segments.get(segment).map_or(0, |s| s.first_sequence);
        Records {
            segments: &self.segments,
            segment,
            offset: SEGMENT_HEADER_LEN,
            expected,
            from,
        }
    }

    /// Continues an iteration where [`Records::cursor`] left it: O(1), where
    /// [`Self::records_from`] walks the segment from its start. `cursor` must come from this
    /// reader (another reader's cursor stops at the first record whose sequence it does not
    /// expect, or past the end; it never reads outside the mapped segments).
    pub fn records_at(&self, cursor: RecordCursor) -> Records<'_> {
        Records {
            segments: &self.segments,
            segment: cursor.segment,
            offset: cursor.offset,
            expected: cursor.expected,
            from: cursor.from,
        }
    }

    pub(crate) fn into_segments(self) -> Vec<ReadSegment> {
        self.segments
    }
}

fn open_segment(
    path: PathBuf,
    first_sequence: u64,
    is_last: bool,
) -> Result<ReadSegment, JournalError> {
    let bad = |path: &Path, reason: String| JournalError::BadSegment {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(&path).map_err(JournalError::io("open", &path))?;
    let file_len = file
        .metadata()
        .map_err(JournalError::io("stat", &path))?
        .len();
    if file_len < SEGMENT_HEADER_LEN as u64 {
        return Err(bad(&path, format!("short_file len={file_len}")));
    }
    let map = map_read_only(&file, &path)?;
    let header = SegmentHeader::decode(&map).map_err(|reason| bad(&path, reason))?;
    if header.first_sequence != first_sequence {
        return Err(bad(
            &path,
            format!(
                "name_disagrees_with_header header_first_sequence={}",
                header.first_sequence
            ),
        ));
    }
    let len_ok = (SEGMENT_HEADER_LEN as u64..=SEGMENT_SIZE_MAX).contains(&header.segment_len)
        && file_len <= header.segment_len
        && (is_last || file_len == header.segment_len);
    if !len_ok {
        return Err(bad(
            &path,
            format!(
                "length_mismatch header_len={} file_len={file_len}",
                header.segment_len
            ),
        ));
    }
    let end = scan_segment(&path, &map, first_sequence)?;
    Ok(ReadSegment {
        path,
        first_sequence,
        segment_len: header.segment_len,
        file_len,
        map,
        end,
    })
}

/// Iterator over validated records, from [`JournalReader::records_from`].
#[derive(Debug)]
pub struct Records<'a> {
    segments: &'a [ReadSegment],
    segment: usize,
    offset: usize,
    expected: u64,
    from: u64,
}

/// Where a [`Records`] iteration stands (segment index, byte offset in it, the sequence of
/// the next record, the lower bound it filters by), to resume it later with
/// [`JournalReader::records_at`] without holding a borrow of the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordCursor {
    segment: usize,
    offset: usize,
    expected: u64,
    from: u64,
}

impl Records<'_> {
    /// The position of the next record this iteration would yield (or skip).
    pub fn cursor(&self) -> RecordCursor {
        RecordCursor {
            segment: self.segment,
            offset: self.offset,
            expected: self.expected,
            from: self.from,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        loop {
            let segment = self.segments.get(self.segment)?;
            if self.offset >= segment.end.end_offset {
                self.segment += 1;
                self.offset = SEGMENT_HEADER_LEN;
                self.expected = self.segments.get(self.segment)?.first_sequence;
                continue;
            }
            let Slot::Record(record) = read_slot(&segment.map, self.offset, self.expected) else {
                // Validated on open; only a foreign process rewriting the file gets here.
                self.segment = self.segments.len();
                return None;
            };
            self.offset += record_frame_len(record.payload.len());
            self.expected += 1;
            if record.sequence >= self.from {
                return Some(record);
            }
        }
    }
}
