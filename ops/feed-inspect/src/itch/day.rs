//! ITCH 5.0 day files: streamed through [`DayFileReader`] (one fixed 128 KiB buffer), so a
//! whole day (~11 GB) never sits in memory.

use std::io::Write;
use std::path::Path;

use crossbar_itch::{Census, DayFileReader, ItchError};

use super::census::{CensusReport, DayStats, Detail};
use super::json::{MessageJson, Origin};
use super::{limit_reached, DAY_PREFIX_LEN};
use crate::error::InspectError;
use crate::output::JsonLines;
use crate::skips::SkipReporter;

/// Decodes the day file at `path`: every message to `lines` (when given), malformed frames
/// to `skips`, and returns the census. Stops after `limit` decoded messages when given.
///
/// # Errors
/// [`InspectError::Open`] when the file cannot be opened, [`InspectError::Read`] on an I/O
/// error part-way, [`InspectError::Output`] when writing fails.
pub fn inspect<W: Write, E: Write>(
    path: &Path,
    limit: Option<u64>,
    mut lines: Option<&mut JsonLines<W>>,
    skips: &mut SkipReporter<E>,
) -> Result<CensusReport, InspectError> {
    let file = std::fs::File::open(path).map_err(|e| InspectError::open(path, e))?;
    let mut reader = DayFileReader::new(file);
    let mut census = Census::new();
    let mut limited = limit_reached(limit, 0);
    while !limited {
        let Some(item) = reader.next() else { break };
        match item {
            Ok(message) => {
                census.add(&message);
                if let Some(out) = lines.as_deref_mut() {
                    // An Ok frame is exactly prefix + the type's length, consumed just now.
                    let frame_len = DAY_PREFIX_LEN + message.encoded_len() as u64;
                    let offset = reader.stats().bytes - frame_len;
                    out.line(&MessageJson {
                        message: &message,
                        origin: Origin::Day { offset },
                    })?;
                }
                limited = limit_reached(limit, census.total());
            }
            Err(e) => match e.error {
                ItchError::Io { kind } => {
                    return Err(InspectError::Read {
                        path: path.display().to_string(),
                        offset: e.offset,
                        kind,
                    })
                }
                _ => skips.skip(&e),
            },
        }
    }
    let stats = reader.stats();
    let report = CensusReport {
        file: path.display().to_string(),
        census,
        errors: stats.errors(),
        limit_reached: limited,
        detail: Detail::Day(DayStats::from(stats)),
    };
    debug_assert_eq!(report.census.total(), stats.messages);
    Ok(report)
}
