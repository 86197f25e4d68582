//! # crossbar-journal
//!
//! The audit journal of a Crossbar process (gateway or aggregator): every order event that
//! enters or leaves the process is appended here *before* it is acted on or sent, so a
//! restart can rebuild working orders and positions by replaying it, and an operator can
//! reconstruct any order's life (`journal-inspect`). `docs/journal.md` describes the format,
//! the recovery rules and the durability policy.
//!
//! ## Shape
//!
//! * A journal is a directory owned by one process (a lock file enforces one writer) holding
//!   segment files `<first sequence, 20 digits>.journal` of a configured, pre-allocated size.
//! * A record is a 32-byte header (CRC-32C, payload length, sequence, UTC ns timestamp,
//!   [`Direction`], source id) plus the payload: the SBE message bytes exactly as on Aeron
//!   (`schemas/crossbar.xml`). Records are 8-byte aligned. Sequences start at 1 and have no
//!   holes, across segments too.
//! * [`Journal`] is the single writer: [`Journal::append`] copies into a shared memory
//!   mapping (memmap2) with no allocation, lock or system call, and never waits on the disk.
//!   [`Journal::flush`] (msync) is the explicit durability point.
//! * [`JournalReader`] validates a directory and iterates records from any sequence.
//!
//! ```
//! use crossbar_journal::{Direction, Journal, JournalConfig, JournalReader};
//! use crossbar_runtime::CounterSet;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let config = JournalConfig { segment_size_bytes: 64 * 1024, ..JournalConfig::in_dir(dir.path()) };
//! let mut journal = Journal::open(&config, &mut CounterSet::new()).unwrap();
//! let seq = journal.append(Direction::Inbound, 0, 1_709_303_400_000_000_000, b"sbe bytes").unwrap();
//! assert_eq!(seq, 1);
//! drop(journal);
//!
//! let reader = JournalReader::open(dir.path()).unwrap();
//! let record = reader.records_from(1).next().unwrap();
//! assert_eq!((record.sequence, record.payload), (1, &b"sbe bytes"[..]));
//! ```
//!
//! ## Recovery
//!
//! On open every record's CRC and sequence are checked. The stream stops at the first slot
//! that is not the next valid record; if nothing valid follows it in the last segment it is a
//! torn tail (the write a crash interrupted): the writer zeroes from there and appends at the
//! next sequence. If a valid record follows, or the bad slot is in an older segment, it is
//! corruption: [`JournalError::CorruptRecord`] names the sequence and offset, and nothing is
//! skipped or repaired. Bad bytes never panic.
//!
//! ## Errors and counters
//!
//! One error type, [`JournalError`], whose messages start with a stable `JOURNAL_*` code.
//! Counters are registered as `journal.*` in the process's `crossbar_runtime::CounterSet`
//! ([`JournalCounters`]).
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod config;
mod counters;
mod error;
mod format;
pub mod limits;
mod reader;
#[allow(unsafe_code)]
mod segment;
mod writer;

pub use config::JournalConfig;
pub use counters::{JournalCounters, JournalCounts};
pub use error::JournalError;
pub use format::{Direction, Record};
pub use reader::{JournalReader, RecordCursor, Records, TornTail};
pub use writer::{Journal, RecoveryReport};
