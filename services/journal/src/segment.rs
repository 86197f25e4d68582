//! Segment files: names, listing a directory, creating pre-allocated files and mapping them.
//! The only module with `unsafe` (mapping a file and `posix_fallocate`).

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::limits::SEGMENTS_MAX;
use crate::JournalError;

/// Suffix of segment files: `<first sequence, 20 digits>.journal`.
pub(crate) const SEGMENT_SUFFIX: &str = ".journal";
/// Name of the prepared-but-unused next segment (deleted and remade on open).
pub(crate) const SPARE_NAME: &str = "next-segment.spare";
/// Name of the writer's lock file.
pub(crate) const LOCK_NAME: &str = "writer.lock";

/// `00000000000000000001.journal` for first sequence 1.
pub(crate) fn segment_file_name(first_sequence: u64) -> String {
    format!("{first_sequence:020}{SEGMENT_SUFFIX}")
}

/// The first sequence a segment file name carries, or `None` for any other file.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Segment files of `dir` as `(first sequence, path)`, ordered by first sequence. Other
/// files (the lock, the spare, anything else) are ignored.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(JournalError::io("read_dir", dir))? {
        let entry = entry.map_err(JournalError::io("read_dir", dir))?;
        let name = entry.file_name();
        if let Some(first) = name.to_str().and_then(parse_segment_file_name) {
            out.push((first, entry.path()));
        }
    }
    if out.len() > SEGMENTS_MAX {
        return Err(JournalError::TooManySegments {
            dir: dir.to_path_buf(),
            count: out.len(),
            max: SEGMENTS_MAX,
        });
    }
    out.sort_unstable_by_key(|(first, _)| *first);
    Ok(out)
}

/// Maps a segment read-only. The file must be non-empty.
pub(crate) fn map_read_only(file: &File, path: &Path) -> Result<Mmap, JournalError> {
    // SAFETY: the mapping is read-only and the journal's writer only ever writes bytes past
    // the end a reader has validated (append-only), or zeroes a torn tail that no reader has
    // been handed. Another program truncating the file underneath would be a SIGBUS, as with
    // any mapped file; journal directories belong to their process.
    unsafe { Mmap::map(file) }.map_err(JournalError::io("mmap", path))
}

/// Maps a segment read-write (shared: stores go to the page cache and so to the file).
pub(crate) fn map_read_write(
    file: &File,
    path: &Path,
    populate: bool,
) -> Result<MmapMut, JournalError> {
    let mut options = MmapOptions::new();
    if populate {
        options.populate();
    }
    // SAFETY: the writer holds the directory's lock, so no other writer maps this file
    // read-write; the file was sized before mapping and is never truncated while mapped.
    unsafe { options.map_mut(file) }.map_err(JournalError::io("mmap", path))
}

/// Opens an existing segment read-write.
pub(crate) fn open_read_write(path: &Path) -> Result<File, JournalError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(JournalError::io("open", path))
}

/// Creates (or truncates) `path` and reserves `len` bytes of disk for it, so writing through
/// the mapping can never hit a full disk (which would be SIGBUS, not an error). Falls back to
/// a sparse `set_len` only on file systems without `fallocate` support.
pub(crate) fn create_preallocated(path: &Path, len: u64) -> Result<File, JournalError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(JournalError::io("create", path))?;
    let len_off = libc::off_t::try_from(len).map_err(|_| JournalError::Io {
        op: "fallocate",
        path: path.to_path_buf(),
        source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
    })?;
    // SAFETY: plain syscall on a file descriptor we own; no memory is passed.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len_off) };
    match rc {
        0 => {}
        libc::EOPNOTSUPP | libc::EINVAL => file
            .set_len(len)
            .map_err(JournalError::io("set_len", path))?,
        errno => {
            return Err(JournalError::Io {
                op: "fallocate",
                path: path.to_path_buf(),
                source: std::io::Error::from_raw_os_error(errno),
            })
        }
    }
    Ok(file)
}

/// fsyncs a directory so renames and new files in it survive power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(JournalError::io("fsync_dir", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_files_are_ignored() {
        assert_eq!(segment_file_name(1), "00000000000000000001.journal");
        assert_eq!(
            parse_segment_file_name(&segment_file_name(u64::MAX)),
            Some(u64::MAX)
        );
        assert_eq!(parse_segment_file_name("1.journal"), None);
        assert_eq!(
            parse_segment_file_name("0000000000000000000x.journal"),
            None
        );
        assert_eq!(parse_segment_file_name(SPARE_NAME), None);
        assert_eq!(
            parse_segment_file_name("99999999999999999999.journal"),
            None
        );
    }
}
