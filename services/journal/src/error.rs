//! The journal's one error type. Every message starts with a stable `JOURNAL_*` code followed
//! by `key=value` context, so logs and `journal-inspect` output can be grepped by code.

use std::path::PathBuf;

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A configuration value is out of its bounds (`crate::limits`).
    #[error("JOURNAL_CONFIG_INVALID field={field} value={value} reason={reason}")]
    ConfigInvalid {
        /// Dotted config key, e.g. `journal.segment_size_bytes`.
        field: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The bound it breaks.
        reason: &'static str,
    },
    /// A file system call failed (create, fallocate, mmap, msync, rename, read_dir, ...).
    #[error("JOURNAL_IO op={op} path={} reason={source}", path.display())]
    Io {
        /// The operation that failed.
        op: &'static str,
        /// The file or directory it was applied to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process (or another `Journal` in this one) holds the directory's writer lock.
    #[error("JOURNAL_LOCKED dir={} (one writer per journal directory)", dir.display())]
    Locked {
        /// The journal directory.
        dir: PathBuf,
    },
    /// A payload of zero bytes was appended (every record carries an SBE message).
    #[error("JOURNAL_EMPTY_PAYLOAD")]
    EmptyPayload,
    /// A payload longer than the configured maximum was appended.
    #[error("JOURNAL_RECORD_TOO_LARGE len={len} max={max}")]
    RecordTooLarge {
        /// Payload bytes offered.
        len: usize,
        /// Configured `max_payload_bytes`.
        max: u32,
    },
    /// A segment file's header is missing, has the wrong magic or version, fails its CRC,
    /// disagrees with the file name, or the file's length disagrees with the header.
    #[error("JOURNAL_BAD_SEGMENT path={} reason={reason}", path.display())]
    BadSegment {
        /// The segment file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A record that is not at the tail of the journal fails validation: later valid records
    /// (or later segments) exist, so this is corruption, not a torn write, and is never
    /// skipped. `sequence` is the sequence the record at `offset` should have carried.
    #[error(
        "JOURNAL_CORRUPT_RECORD segment={} sequence={sequence} offset={offset} reason={reason}",
        segment.display()
    )]
    CorruptRecord {
        /// The segment file holding the bad record.
        segment: PathBuf,
        /// Sequence number expected at `offset`.
        sequence: u64,
        /// Byte offset of the bad record in the segment file.
        offset: usize,
        /// What failed (`bad_crc`, `bad_length`, `wrong_sequence`, `hole_before_valid_record`, ...).
        reason: String,
    },
    /// Consecutive segments do not continue each other's sequence numbers.
    #[error(
        "JOURNAL_SEQUENCE_GAP segment={} expected_first={expected} found_first={found}",
        segment.display()
    )]
    SequenceGap {
        /// The segment whose first sequence is wrong.
        segment: PathBuf,
        /// One past the previous segment's last sequence.
        expected: u64,
        /// The segment's first sequence.
        found: u64,
    },
    /// The directory holds more segment files than [`crate::limits::SEGMENTS_MAX`].
    #[error("JOURNAL_TOO_MANY_SEGMENTS dir={} count={count} max={max}", dir.display())]
    TooManySegments {
        /// The journal directory.
        dir: PathBuf,
        /// Segment files found.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl JournalError {
    /// The stable code this error's message starts with (e.g. `JOURNAL_CORRUPT_RECORD`).
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::ConfigInvalid { .. } => "JOURNAL_CONFIG_INVALID",
            JournalError::Io { .. } => "JOURNAL_IO",
            JournalError::Locked { .. } => "JOURNAL_LOCKED",
            JournalError::EmptyPayload => "JOURNAL_EMPTY_PAYLOAD",
            JournalError::RecordTooLarge { .. } => "JOURNAL_RECORD_TOO_LARGE",
            JournalError::BadSegment { .. } => "JOURNAL_BAD_SEGMENT",
            JournalError::CorruptRecord { .. } => "JOURNAL_CORRUPT_RECORD",
            JournalError::SequenceGap { .. } => "JOURNAL_SEQUENCE_GAP",
            JournalError::TooManySegments { .. } => "JOURNAL_TOO_MANY_SEGMENTS",
        }
    }

    pub(crate) fn io(
        op: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| JournalError::Io { op, path, source }
    }
}
