//! `feed-inspect itch`: NASDAQ TotalView-ITCH 5.0 from a day file ([`day`]) or a pcap/pcapng
//! of MoldUDP64 packets ([`pcap`]), messages as JSON lines ([`json`]), then a census
//! ([`census`]).
//!
//! Decoding is the `crossbar-itch`, `crossbar-moldudp64` and `crossbar-capture` crates'; this
//! module only picks the source, drives the loop and writes.

mod census;
mod day;
mod json;
mod pcap;

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use crossbar_itch::{message_length, PREFIX_LEN};

use crate::error::InspectError;
use crate::output::JsonLines;
use crate::skips::{SkipReporter, DEFAULT_MAX_REPORTS};

/// Arguments of `feed-inspect itch`.
#[derive(Debug, Args)]
pub struct ItchArgs {
    /// The file: an ITCH 5.0 day file (2-byte big-endian length prefix per message) or a
    /// pcap/pcapng of MoldUDP64 packets carrying ITCH 5.0.
    pub file: PathBuf,
    /// Input format; `auto` recognises pcap/pcapng by magic number, else requires the first
    /// bytes to be a valid day-file frame.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Print only the census, to stdout (no message lines).
    #[arg(long)]
    pub census_only: bool,
    /// Stop after this many decoded messages (the census then covers only those).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Show at most this many `skipped:` lines on stderr (all skips are still counted).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REPORTS)]
    pub max_skip_reports: u64,
}

/// How the input is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// ITCH 5.0 day file: `[u16 length][message]` repeated; a zero length means "from the type".
    Day,
    /// pcap or pcapng of UDP datagrams, each a MoldUDP64 downstream packet.
    Pcap,
    /// Detect from the first bytes.
    Auto,
}

/// Magic numbers of pcap (microsecond and nanosecond, both byte orders) and pcapng (the
/// Section Header Block type, the same in both orders), read big-endian from the first 4 bytes.
const CAPTURE_MAGICS: [u32; 5] = [
    0xa1b2_c3d4,
    0xd4c3_b2a1,
    0xa1b2_3c4d,
    0x4d3c_b2a1,
    0x0a0d_0d0a,
];

/// Bytes read from the start of the file to recognise it.
const SNIFF_LEN: usize = 8;

/// The format of a file whose first bytes are `head` (at most [`SNIFF_LEN`]), or `None`.
///
/// pcap/pcapng by magic number; a day file when the first frame is a known ITCH 5.0 type whose
/// length prefix is that type's length or 0 (ITCH 5.0 §1 lengths; zero prefixes as in the
/// published semi-synthetic files).
pub fn detect(head: &[u8]) -> Option<Format> {
    let magic = head.first_chunk::<4>().map(|m| u32::from_be_bytes(*m));
    if magic.is_some_and(|m| CAPTURE_MAGICS.contains(&m)) {
        return Some(Format::Pcap);
    }
    let &[hi, lo, message_type, ..] = head else {
        return None;
    };
    let prefix = usize::from(u16::from_be_bytes([hi, lo]));
    let length = message_length(message_type)?;
    (prefix == 0 || prefix == length).then_some(Format::Day)
}

/// Reads up to [`SNIFF_LEN`] bytes from the start of `path`.
fn read_head(path: &Path) -> Result<Vec<u8>, InspectError> {
    let file = std::fs::File::open(path).map_err(|e| InspectError::open(path, e))?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    file.take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| InspectError::Read {
            path: path.display().to_string(),
            offset: 0,
            kind: e.kind(),
        })?;
    Ok(head)
}

/// Resolves `--format auto` for `path`.
///
/// # Errors
/// [`InspectError::Open`] / [`InspectError::Read`] when the start cannot be read,
/// [`InspectError::UnknownFormat`] when [`detect`] recognises nothing.
fn resolve_format(path: &Path, format: Format) -> Result<Format, InspectError> {
    if format != Format::Auto {
        return Ok(format);
    }
    let head = read_head(path)?;
    debug_assert!(head.len() <= SNIFF_LEN);
    detect(&head).ok_or_else(|| InspectError::UnknownFormat {
        path: path.display().to_string(),
        first_bytes: hex(&head),
    })
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty".to_owned();
    }
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join("")
}

/// Stop condition shared by both sources: true once `decoded` reached `--limit`.
fn limit_reached(limit: Option<u64>, decoded: u64) -> bool {
    limit.is_some_and(|n| decoded >= n)
}

/// Runs `feed-inspect itch`: messages to stdout (unless `--census-only`), skips and the census
/// to stderr (the census to stdout with `--census-only`).
///
/// # Errors
/// [`InspectError`] when the file cannot be opened, read or recognised, or stdout fails.
pub fn run(args: &ItchArgs) -> Result<(), InspectError> {
    let format = resolve_format(&args.file, args.format)?;
    let mut out = JsonLines::stdout();
    let mut skips = SkipReporter::stderr(args.max_skip_reports);
    let lines = (!args.census_only).then_some(&mut out);
    let report = match format {
        Format::Pcap => pcap::inspect(&args.file, args.limit, lines, &mut skips)?,
        Format::Day | Format::Auto => day::inspect(&args.file, args.limit, lines, &mut skips)?,
    };
    debug_assert_eq!(report.errors, skips.skipped());
    if args.census_only {
        out.line(&report)?;
        out.flush()?;
    } else {
        out.flush()?;
        let mut err = JsonLines::new(std::io::stderr().lock());
        err.line(&report)?;
        err.flush()?;
    }
    Ok(())
}

/// Frame length prefix size, re-exported for the day-file offsets.
const DAY_PREFIX_LEN: u64 = PREFIX_LEN as u64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_captures_by_magic_and_day_files_by_first_frame() {
        assert_eq!(detect(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Some(Format::Pcap));
        assert_eq!(detect(&[0xa1, 0xb2, 0x3c, 0x4d]), Some(Format::Pcap));
        assert_eq!(detect(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]), Some(Format::Pcap));
        assert_eq!(detect(&[0, 12, b'S', 0, 0]), Some(Format::Day));
        assert_eq!(detect(&[0, 0, b'A', 0, 0]), Some(Format::Day));
        // Wrong length for the type, unknown type, too short, empty.
        assert_eq!(detect(&[0, 13, b'S', 0, 0]), None);
        assert_eq!(detect(&[0, 12, b'z', 0, 0]), None);
        assert_eq!(detect(&[0, 12]), None);
        assert_eq!(detect(&[]), None);
        assert_eq!(hex(&[0, 0xab]), "00ab");
        assert_eq!(hex(&[]), "empty");
    }

    #[test]
    fn limit() {
        assert!(!limit_reached(None, u64::MAX));
        assert!(!limit_reached(Some(3), 2));
        assert!(limit_reached(Some(3), 3));
        assert!(limit_reached(Some(0), 0));
    }
}
