//! The journal's configuration section (`[journal]` in a service's TOML, loaded with
//! `crossbar_runtime::load_config`; env `CROSSBAR_JOURNAL__SEGMENT_SIZE_BYTES=...`).

use std::path::PathBuf;

use serde::Deserialize;

use crate::limits::{
    frame_len, PAYLOAD_BYTES_CEILING, PAYLOAD_BYTES_DEFAULT, RECORD_ALIGN, SEGMENT_HEADER_LEN,
    SEGMENT_SIZE_DEFAULT, SEGMENT_SIZE_MAX, SEGMENT_SIZE_MIN,
};
use crate::JournalError;

/// Where and how one process journals. Every field has a default; unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// The process's own journal directory (one writer per directory, enforced by a lock
    /// file). Created if missing. Default `journal`.
    pub dir: PathBuf,
    /// Size of each segment file in bytes, pre-allocated on disk when the segment is
    /// prepared. Multiple of 8 in `SEGMENT_SIZE_MIN..=SEGMENT_SIZE_MAX` (64 KiB..1 GiB), and
    /// large enough for one record of `max_payload_bytes`. Default 64 MiB.
    pub segment_size_bytes: u64,
    /// Largest payload (SBE message) one record may carry, bytes, `1..=PAYLOAD_BYTES_CEILING`
    /// (1 MiB). Default 4 KiB.
    pub max_payload_bytes: u32,
    /// Keep the hot path free of page faults: map new segments with `MAP_POPULATE`, and let
    /// [`crate::Journal::maintain`] write-fault the next 4 MiB past the append position (and
    /// the spare's first 4 MiB), at most 64 pages per call. Default true.
    pub pretouch: bool,
    /// [`crate::Journal::maintain`] calls [`crate::Journal::flush`] (msync + fdatasync) when
    /// this many ns have passed since the last flush and records are unflushed; 0 = never
    /// automatically (durable against process crashes only, see `docs/journal.md`).
    /// Default 0.
    pub sync_interval_ns: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("journal"),
            segment_size_bytes: SEGMENT_SIZE_DEFAULT,
            max_payload_bytes: PAYLOAD_BYTES_DEFAULT,
            pretouch: true,
            sync_interval_ns: 0,
        }
    }
}

impl JournalConfig {
    /// A default configuration journalling into `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            ..Self::default()
        }
    }

    /// Checks every bound from `crate::limits`.
    ///
    /// # Errors
    /// [`JournalError::ConfigInvalid`] naming the first bad key.
    pub fn validate(&self) -> Result<(), JournalError> {
        let bad = |field, value: String, reason| {
            Err(JournalError::ConfigInvalid {
                field,
                value,
                reason,
            })
        };
        let size = self.segment_size_bytes;
        if !(SEGMENT_SIZE_MIN..=SEGMENT_SIZE_MAX).contains(&size) {
            return bad(
                "journal.segment_size_bytes",
                size.to_string(),
                "outside 65536..=1073741824",
            );
        }
        if !size.is_multiple_of(RECORD_ALIGN as u64) {
            return bad(
                "journal.segment_size_bytes",
                size.to_string(),
                "not a multiple of 8",
            );
        }
        if self.max_payload_bytes == 0 || self.max_payload_bytes > PAYLOAD_BYTES_CEILING {
            return bad(
                "journal.max_payload_bytes",
                self.max_payload_bytes.to_string(),
                "outside 1..=1048576",
            );
        }
        let largest = (SEGMENT_HEADER_LEN + frame_len(self.max_payload_bytes as usize)) as u64;
        if largest > size {
            return bad(
                "journal.max_payload_bytes",
                self.max_payload_bytes.to_string(),
                "a record this large does not fit in one segment",
            );
        }
        if self.dir.as_os_str().is_empty() {
            return bad("journal.dir", String::new(), "empty path");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_enforced() {
        assert!(JournalConfig::default().validate().is_ok());
        let with = |f: fn(&mut JournalConfig)| {
            let mut c = JournalConfig::default();
            f(&mut c);
            c.validate().map_err(|e| e.to_string())
        };
        let err = with(|c| c.segment_size_bytes = 1024).unwrap_err();
        assert!(err.starts_with("JOURNAL_CONFIG_INVALID field=journal.segment_size_bytes"));
        assert!(with(|c| c.segment_size_bytes = SEGMENT_SIZE_MIN + 4).is_err());
        assert!(with(|c| c.segment_size_bytes = SEGMENT_SIZE_MAX + 8).is_err());
        assert!(with(|c| c.max_payload_bytes = 0).is_err());
        let err = with(|c| {
            c.segment_size_bytes = SEGMENT_SIZE_MIN;
            c.max_payload_bytes = PAYLOAD_BYTES_CEILING;
        })
        .unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
        assert!(with(|c| c.dir = PathBuf::new()).is_err());
    }
}
