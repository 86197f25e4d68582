//! The tool's error type: why a file could not be inspected at all (as opposed to malformed
//! messages inside a readable file, which are counted and skipped).

use std::path::Path;

/// Why a run failed. Messages start with a stable code followed by `key=value` context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The input file could not be opened.
    #[error("INSPECT_OPEN path={path} error={source}")]
    Open {
        /// The file given on the command line.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Reading the input failed part-way (not a format problem: the device or file system).
    #[error("INSPECT_READ path={path} offset={offset} kind={kind:?}")]
    Read {
        /// The input file.
        path: String,
        /// Bytes of the file consumed before the failure.
        offset: u64,
        /// The I/O error's kind.
        kind: std::io::ErrorKind,
    },
    /// `--format auto` found neither a pcap/pcapng magic number nor a valid ITCH 5.0
    /// day-file frame at the start of the file.
    #[error("INSPECT_UNKNOWN_FORMAT path={path} first_bytes={first_bytes} (expected a pcap/pcapng magic number or an ITCH 5.0 day-file frame; force one with --format)")]
    UnknownFormat {
        /// The input file.
        path: String,
        /// Up to the first 8 bytes, as hex (`empty` for an empty file).
        first_bytes: String,
    },
    /// The capture reader rejected the file (bad header or record, unsupported link type).
    #[error("INSPECT_CAPTURE path={path} {source}")]
    Capture {
        /// The input file.
        path: String,
        /// The capture crate's error (its own stable code first).
        source: crossbar_capture::CaptureError,
    },
    /// Writing the output failed.
    #[error("INSPECT_OUTPUT error={source}")]
    Output {
        /// The I/O error.
        #[from]
        source: std::io::Error,
    },
}

impl InspectError {
    /// An [`InspectError::Open`] for `path`.
    pub fn open(path: &Path, source: std::io::Error) -> Self {
        InspectError::Open {
            path: path.display().to_string(),
            source,
        }
    }

    /// True when stdout was closed by its reader (`feed-inspect ... | head`): not a failure.
    pub fn is_closed_output(&self) -> bool {
        matches!(self, InspectError::Output { source } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_stable_codes() {
        let e = InspectError::UnknownFormat {
            path: "x.bin".into(),
            first_bytes: "00 01".into(),
        };
        assert!(e
            .to_string()
            .starts_with("INSPECT_UNKNOWN_FORMAT path=x.bin first_bytes=00 01"));
        let closed = InspectError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(closed.is_closed_output());
        let other = InspectError::from(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(!other.is_closed_output());
        assert!(other.to_string().starts_with("INSPECT_OUTPUT "));
    }
}
