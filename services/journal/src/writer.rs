//! The single writer: recovery on open, allocation-free append, segment rolls onto a spare
//! prepared off the hot path, and explicit flushes.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{fence, Ordering};

use crossbar_runtime::CounterSet;
use memmap2::MmapMut;

use crate::counters::{JournalCounters, JournalCounts};
use crate::format::{record_crc, record_frame_len, Direction, RecordHeader, SegmentHeader};
use crate::limits::{
    FIRST_SEQUENCE, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, UNSYNCED_SEGMENTS_RESERVED,
};
use crate::reader::{JournalReader, ReadSegment, TornTail};
use crate::segment::{
    create_preallocated, map_read_write, open_read_write, segment_file_name, sync_dir, LOCK_NAME,
    SPARE_NAME,
};
use crate::{JournalConfig, JournalError};

/// What [`Journal::open`] found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files found on open (0 for a fresh journal).
    pub segments: usize,
    /// Newest valid record on open, `None` when there was none.
    pub last_sequence: Option<u64>,
    /// The torn tail that was cut off, if the previous writer crashed mid-append.
    pub torn_tail: Option<TornTail>,
    /// Bytes zeroed after the last valid record (0 when the tail was clean).
    pub zeroed_bytes: u64,
    /// Bytes the last segment file was extended by, when something had truncated it.
    pub restored_bytes: u64,
}

/// The segment being appended to.
#[derive(Debug)]
struct ActiveSegment {
    file: File,
    map: MmapMut,
    path: PathBuf,
    write_offset: usize,
    synced_offset: usize,
    /// Bytes `[.., touched_to)` have taken their write fault ([`write_touch`]).
    touched_to: usize,
}

/// A pre-allocated, mapped, zeroed next segment, waiting under [`SPARE_NAME`].
#[derive(Debug)]
struct SpareSegment {
    file: File,
    map: MmapMut,
    /// Bytes `[.., touched_to)` have taken their write fault ([`write_touch`]).
    touched_to: usize,
}

/// How far ahead of the append position [`Journal::maintain`] keeps pages write-faulted, and
/// how much of the spare's start: 4 MiB (65,536 records of 64 bytes).
const TOUCH_AHEAD_BYTES: usize = 4 << 20;
/// Pages write-faulted per [`Journal::maintain`] call at most (256 KiB), so one call stays
/// short (~64 minor faults) on the owning agent's thread.
const TOUCH_PAGES_PER_CALL: usize = 64;
/// Touch stride: the smallest page size we run on.
const PAGE_BYTES: usize = 4096;

/// Stores a zero into the first byte of each page of `map[from..to]` (`from` page-aligned
/// and at or past every written byte, so those bytes are zero already: an unwritten journal
/// tail is zero), at most `pages` pages. Returns `(touched up to, pages touched)`.
///
/// Why: a shared file mapping takes a write fault (`page_mkwrite`; on ext4 it also allocates
/// the block) on the first store to each page even when `MAP_POPULATE` mapped it. Taking it
/// here, off the hot path, keeps it out of [`Journal::append`]: it was 31 % of the
/// aggregator's time per execution report (`docs/bench/centre-round-trip.md`).
fn write_touch(map: &mut [u8], from: usize, to: usize, pages: usize) -> (usize, usize) {
    debug_assert_eq!(from % PAGE_BYTES, 0);
    let to = to.min(map.len());
    let mut at = from;
    let mut done = 0;
    while at < to && done < pages {
        debug_assert_eq!(map[at], 0, "touching a written byte at {at}");
        map[at] = 0;
        at += PAGE_BYTES;
        done += 1;
    }
    (at, done)
}

/// An append-only audit journal, owned by one thread of one process.
///
/// Records are `(sequence, timestamp ns, direction, source id, payload)`; the payload is the
/// SBE message exactly as it is on Aeron. Appending writes into a shared memory mapping of a
/// pre-allocated segment file: no system call, no allocation, no lock, never a wait on the
/// disk. What that guarantees on a crash, and what [`Journal::flush`] adds, is in
/// `docs/journal.md` "Durability".
#[derive(Debug)]
pub struct Journal {
    config: JournalConfig,
    spare_path: PathBuf,
    _lock: File,
    active: ActiveSegment,
    spare: Option<SpareSegment>,
    /// The mapping of the segment the last roll left, unmapped by [`Journal::maintain`]:
    /// unmapping a written 64 MiB segment takes ~2.5 ms (`docs/bench/order-entry.md`), too
    /// long for the append that rolls.
    retired: Option<MmapMut>,
    unsynced: Vec<File>,
    dir_unsynced: bool,
    next_sequence: u64,
    last_sync_ns: u64,
    counts: JournalCounts,
    counters: JournalCounters,
    recovery: RecoveryReport,
}

impl Journal {
    /// Opens (creating if needed) the journal in `config.dir`, takes the directory's writer
    /// lock, validates every segment, cuts a torn tail off the last one (zeroing it), prepares
    /// the spare next segment and registers `journal.*` counters in `counters`. Appending
    /// resumes at the sequence after the last valid record (1 for a fresh journal).
    ///
    /// # Errors
    /// [`JournalError::ConfigInvalid`]; [`JournalError::Locked`] when another writer holds
    /// the directory; [`JournalError::Io`]; and every error of [`JournalReader::open`]
    /// (corruption that is not a torn tail is never repaired).
    pub fn open(config: &JournalConfig, counters: &mut CounterSet) -> Result<Self, JournalError> {
        config.validate()?;
        let dir = config.dir.as_path();
        std::fs::create_dir_all(dir).map_err(JournalError::io("create_dir", dir))?;
        let lock = lock_dir(dir)?;
        let spare_path = dir.join(SPARE_NAME);
        match std::fs::remove_file(&spare_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(JournalError::io("remove_spare", &spare_path)(e))
            }
            _ => {}
        }
        let reader = JournalReader::open(dir)?;
        let mut recovery = RecoveryReport {
            segments: reader.segment_count(),
            last_sequence: reader.last_sequence(),
            torn_tail: reader.torn_tail().cloned(),
            ..RecoveryReport::default()
        };
        let next_sequence = reader.next_sequence();
        let last = reader.into_segments().pop();
        let mut journal = Self {
            config: config.clone(),
            spare_path,
            _lock: lock,
            active: match last {
                Some(last) => reopen_last(last, config.pretouch, &mut recovery)?,
                None => {
                    let spare = prepare_spare(dir, config)?;
                    install_spare(
                        dir,
                        spare,
                        FIRST_SEQUENCE,
                        wall_clock_ns(),
                        &config.dir.join(SPARE_NAME),
                    )?
                }
            },
            spare: None,
            retired: None,
            unsynced: Vec::with_capacity(UNSYNCED_SEGMENTS_RESERVED),
            dir_unsynced: true,
            next_sequence,
            last_sync_ns: 0,
            counts: JournalCounts::default(),
            counters: JournalCounters::register(counters, "journal"),
            recovery,
        };
        journal.spare = Some(prepare_spare(dir, config)?);
        journal.counters.publish_recovery(&journal.recovery);
        Ok(journal)
    }

    /// Appends one record holding a copy of `payload` and returns its sequence number.
    /// `timestamp_ns` is the caller's clock (ns since the Unix epoch, UTC); `source_id` is the
    /// peer the message came from or goes to (SBE `GatewayId` space, 0 = aggregator/router).
    ///
    /// Allocation-free and system-call-free except when the active segment is full: then the
    /// prepared spare is renamed into place (one `rename`), or, if [`Journal::maintain`] has
    /// not prepared one since the last roll, a segment is created and pre-allocated here
    /// (counted in `journal.unprepared_rolls`).
    ///
    /// # Errors
    /// [`JournalError::EmptyPayload`], [`JournalError::RecordTooLarge`] (both counted in
    /// `journal.rejected`, nothing written); [`JournalError::Io`] when a roll fails (disk
    /// full, ...): the caller must not act on the message (fail closed).
    #[inline]
    pub fn append(
        &mut self,
        direction: Direction,
        source_id: u16,
        timestamp_ns: u64,
        payload: &[u8],
    ) -> Result<u64, JournalError> {
        self.append_with(direction, source_id, timestamp_ns, payload.len(), |out| {
            out.copy_from_slice(payload)
        })
    }

    /// Appends one record of `len` payload bytes written in place by `fill` (e.g. an SBE
    /// encoder wrapping the slice), saving the copy [`Journal::append`] makes. `fill` gets
    /// exactly `len` zeroed bytes; the CRC is computed after it returns. Same errors as
    /// [`Journal::append`]; `fill` is not called when an error is returned.
    #[inline]
    pub fn append_with<F: FnOnce(&mut [u8])>(
        &mut self,
        direction: Direction,
        source_id: u16,
        timestamp_ns: u64,
        len: usize,
        fill: F,
    ) -> Result<u64, JournalError> {
        if len == 0 {
            self.counts.rejected += 1;
            return Err(JournalError::EmptyPayload);
        }
        if len > self.config.max_payload_bytes as usize {
            self.counts.rejected += 1;
            return Err(JournalError::RecordTooLarge {
                len,
                max: self.config.max_payload_bytes,
            });
        }
        let frame = record_frame_len(len);
        if self.active.write_offset + frame > self.active.map.len() {
            self.roll(timestamp_ns)?;
        }
        let sequence = self.next_sequence;
        let offset = self.active.write_offset;
        debug_assert!(offset + frame <= self.active.map.len());
        let slot = &mut self.active.map[offset..offset + RECORD_HEADER_LEN + len];
        RecordHeader {
            sequence,
            timestamp_ns,
            direction,
            source_id,
            payload_len: len as u32,
        }
        .write_without_crc(slot);
        fill(&mut slot[RECORD_HEADER_LEN..]);
        let crc = record_crc(&slot[4..]);
        // The CRC goes in last: a reader mapping the same file sees either no header or a
        // header whose CRC covers bytes already stored.
        fence(Ordering::Release);
        slot[0..4].copy_from_slice(&crc.to_le_bytes());
        self.active.write_offset = offset + frame;
        self.next_sequence = sequence + 1;
        self.counts.appends += 1;
        self.counts.payload_bytes += len as u64;
        Ok(sequence)
    }

    /// Off-hot-path housekeeping for the owning agent's duty cycle (call it when the cycle
    /// did no other work): unmaps the segment the last roll left, prepares the spare next
    /// segment if the last roll used it, runs [`Journal::flush`] when `sync_interval_ns` has
    /// elapsed, and publishes the counters.
    /// Returns the work done (0 = nothing), like `Agent::do_work`. May block on the disk.
    ///
    /// # Errors
    /// [`JournalError::Io`] from preparing the spare or flushing.
    pub fn maintain(&mut self, now_ns: u64) -> Result<usize, JournalError> {
        let mut work = 0;
        if self.retired.take().is_some() {
            work += 1;
        }
        if self.spare.is_none() {
            self.spare = Some(prepare_spare(&self.config.dir, &self.config)?);
            work += 1;
        }
        if self.config.pretouch {
            work += self.touch_ahead();
        }
        let interval = self.config.sync_interval_ns;
        if interval > 0
            && now_ns.saturating_sub(self.last_sync_ns) >= interval
            && self.has_unflushed()
        {
            self.flush()?;
            self.last_sync_ns = now_ns;
            work += 1;
        }
        self.counters.publish(&self.counts);
        Ok(work)
    }

    /// Write-faults up to [`TOUCH_PAGES_PER_CALL`] pages: first the active segment's next
    /// [`TOUCH_AHEAD_BYTES`] past the append position, then the spare's first
    /// [`TOUCH_AHEAD_BYTES`] (where appends go after the roll). Returns 1 if it touched any.
    fn touch_ahead(&mut self) -> usize {
        let a = &mut self.active;
        let from = a
            .touched_to
            .max(a.write_offset.next_multiple_of(PAGE_BYTES));
        let to = a.write_offset.saturating_add(TOUCH_AHEAD_BYTES);
        let (touched_to, mut pages) = write_touch(&mut a.map, from, to, TOUCH_PAGES_PER_CALL);
        a.touched_to = touched_to;
        if let Some(spare) = self.spare.as_mut() {
            let (touched_to, more) = write_touch(
                &mut spare.map,
                spare.touched_to,
                TOUCH_AHEAD_BYTES,
                TOUCH_PAGES_PER_CALL - pages,
            );
            spare.touched_to = touched_to;
            pages += more;
        }
        self.counts.pages_touched += pages as u64;
        usize::from(pages > 0)
    }

    /// Makes every record appended so far durable against power loss: `msync(MS_SYNC)` of the
    /// active segment's unflushed range, `fdatasync` of segments retired since the last
    /// flush, and an `fsync` of the directory when segments were created. Blocks on the disk:
    /// never on the hot path (see `docs/journal.md` "Durability").
    ///
    /// # Errors
    /// [`JournalError::Io`] naming the failed call.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        let active = &mut self.active;
        if active.synced_offset < active.write_offset {
            active
                .map
                .flush_range(
                    active.synced_offset,
                    active.write_offset - active.synced_offset,
                )
                .map_err(JournalError::io("msync", &active.path))?;
            active.synced_offset = active.write_offset;
        }
        for file in self.unsynced.drain(..) {
            file.sync_data()
                .map_err(JournalError::io("fdatasync", &self.config.dir))?;
        }
        if self.dir_unsynced {
            sync_dir(&self.config.dir)?;
            self.dir_unsynced = false;
        }
        self.counts.flushes += 1;
        self.counters.publish(&self.counts);
        Ok(())
    }

    /// Whether records (or segment creations) exist that [`Journal::flush`] has not yet made
    /// durable.
    pub fn has_unflushed(&self) -> bool {
        self.active.synced_offset < self.active.write_offset
            || !self.unsynced.is_empty()
            || self.dir_unsynced
    }

    /// The sequence the next append gets.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// The newest record's sequence, `None` while the journal is empty.
    pub fn last_sequence(&self) -> Option<u64> {
        (self.next_sequence > FIRST_SEQUENCE).then(|| self.next_sequence - 1)
    }

    /// Totals since open (the hot path counts here; [`Journal::maintain`] publishes them to
    /// the `journal.*` counters).
    pub fn counts(&self) -> JournalCounts {
        self.counts
    }

    /// What open found and repaired.
    pub fn recovery(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// The validated configuration.
    pub fn config(&self) -> &JournalConfig {
        &self.config
    }

    /// Moves appending to the spare segment (prepared now if missing).
    #[cold]
    fn roll(&mut self, timestamp_ns: u64) -> Result<(), JournalError> {
        let spare = match self.spare.take() {
            Some(spare) => spare,
            None => {
                self.counts.unprepared_rolls += 1;
                prepare_spare(&self.config.dir, &self.config)?
            }
        };
        let next = install_spare(
            &self.config.dir,
            spare,
            self.next_sequence,
            timestamp_ns,
            &self.spare_path,
        )?;
        let old = std::mem::replace(&mut self.active, next);
        if old.synced_offset < old.write_offset {
            self.unsynced.push(old.file);
        }
        // A second roll before `maintain` ran unmaps the first one's segment here.
        self.retired = Some(old.map);
        self.dir_unsynced = true;
        self.counts.segment_rolls += 1;
        Ok(())
    }
}

fn lock_dir(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_NAME);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(JournalError::io("open_lock", &path))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
            dir: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(JournalError::io("flock", &path)(e)),
    }
}

fn prepare_spare(dir: &Path, config: &JournalConfig) -> Result<SpareSegment, JournalError> {
    let path = dir.join(SPARE_NAME);
    let file = create_preallocated(&path, config.segment_size_bytes)?;
    let map = map_read_write(&file, &path, config.pretouch)?;
    Ok(SpareSegment {
        file,
        map,
        touched_to: 0,
    })
}

/// Writes the segment header into the spare, then renames it to its segment name: a crash
/// before the rename leaves only a spare (deleted on open), after it a segment with a valid
/// header and no records.
fn install_spare(
    dir: &Path,
    mut spare: SpareSegment,
    first_sequence: u64,
    created_ns: u64,
    spare_path: &Path,
) -> Result<ActiveSegment, JournalError> {
    let header = SegmentHeader {
        first_sequence,
        segment_len: spare.map.len() as u64,
        created_ns,
    };
    spare.map[..SEGMENT_HEADER_LEN].copy_from_slice(&header.encode());
    let path = dir.join(segment_file_name(first_sequence));
    std::fs::rename(spare_path, &path).map_err(JournalError::io("rename_spare", &path))?;
    Ok(ActiveSegment {
        file: spare.file,
        map: spare.map,
        path,
        write_offset: SEGMENT_HEADER_LEN,
        synced_offset: 0,
        touched_to: spare.touched_to,
    })
}

/// Maps the last segment read-write, restoring its length and zeroing a torn tail.
fn reopen_last(
    last: ReadSegment,
    pretouch: bool,
    recovery: &mut RecoveryReport,
) -> Result<ActiveSegment, JournalError> {
    let ReadSegment {
        path,
        segment_len,
        file_len,
        map,
        end,
        ..
    } = last;
    drop(map);
    let file = open_read_write(&path)?;
    if file_len < segment_len {
        file.set_len(segment_len)
            .map_err(JournalError::io("set_len", &path))?;
        recovery.restored_bytes = segment_len - file_len;
    }
    let mut map = map_read_write(&file, &path, pretouch)?;
    if end.tail.is_some() {
        let rest = &mut map[end.end_offset..];
        recovery.zeroed_bytes = rest.len() as u64;
        rest.fill(0);
    }
    Ok(ActiveSegment {
        file,
        map,
        path,
        write_offset: end.end_offset,
        synced_offset: end.end_offset,
        touched_to: 0,
    })
}

/// Wall clock for the header of a fresh journal's first segment (open only, never the hot
/// path: appends and rolls use the caller's `timestamp_ns`).
fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
