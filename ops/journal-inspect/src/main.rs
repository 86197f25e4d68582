//! # journal-inspect
//!
//! Prints Crossbar audit journals (`crossbar-journal`, `docs/journal.md`) with every record's
//! SBE payload decoded (`crossbar_sbe::decode`, schema `schemas/crossbar.xml`):
//!
//! * `journal-inspect dump DIR [--from SEQ] [--json]`: every record of one journal, in
//!   sequence order, from `SEQ` on.
//! * `journal-inspect order ORDER_ID DIR [DIR...] [--json]`: one order's whole life across
//!   several processes' journals (a gateway's and the aggregator's), merged by journal
//!   timestamp: every record whose message has the order id as `orderId`, `origOrderId` or
//!   `parentOrderId`, plus, transitively, the records of the orders those introduced (a
//!   parent's children, a replaced order's replacement). `ORDER_ID` is `GATEWAY-SEQUENCE`
//!   (as printed) or the raw u64.
//!
//! Output: an aligned table for people, or one JSON object per line with `--json` (raw units:
//! prices in 1/10,000, order ids as u64). Exit status: 0 on success; 1 with
//! `journal-inspect: error: <CODE> ...` on stderr when a journal is corrupt or unreadable, or
//! (`order`) when no record mentions the order; 2 for usage errors. A torn tail (a writer
//! crashed mid-append and has not reopened) is a warning on stderr, not an error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod fields;
mod utc;

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crossbar_journal::{JournalError, JournalReader, Record};
use crossbar_model::{GatewayId, OrderId};
use serde_json::{json, Value};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "journal-inspect",
    version,
    about = "Print Crossbar audit journals with decoded SBE content"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What to print.
#[derive(Debug, Subcommand)]
enum Command {
    /// Every record of one journal directory, in sequence order.
    Dump {
        /// The journal directory.
        dir: PathBuf,
        /// First sequence to print.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One order's life across several journals, merged by timestamp.
    Order {
        /// `GATEWAY-SEQUENCE` (e.g. `1-5`) or the raw u64 order id.
        #[arg(value_parser = parse_order_id)]
        order_id: OrderId,
        /// Journal directories (e.g. a gateway's and the aggregator's).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_order_id(text: &str) -> Result<OrderId, String> {
    if let Some((gateway, sequence)) = text.split_once('-') {
        let gateway: u16 = gateway.parse().map_err(|e| format!("gateway part: {e}"))?;
        let sequence: u64 = sequence
            .parse()
            .map_err(|e| format!("sequence part: {e}"))?;
        return OrderId::new(GatewayId(gateway), sequence).map_err(|e| e.to_string());
    }
    text.parse::<u64>()
        .map(OrderId)
        .map_err(|e| format!("expected GATEWAY-SEQUENCE or u64: {e}"))
}

/// Why a run failed; the message starts with a stable code.
#[derive(Debug)]
enum InspectError {
    Journal { dir: PathBuf, source: JournalError },
    OrderNotFound(OrderId),
    Output(std::io::Error),
}

impl std::fmt::Display for InspectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InspectError::Journal { dir, source } => write!(f, "{source} dir={}", dir.display()),
            InspectError::OrderNotFound(id) => write!(
                f,
                "JOURNAL_INSPECT_ORDER_NOT_FOUND order={id} raw={} (no record mentions it)",
                id.0
            ),
            InspectError::Output(e) => write!(f, "JOURNAL_INSPECT_OUTPUT reason={e}"),
        }
    }
}

impl From<std::io::Error> for InspectError {
    fn from(e: std::io::Error) -> Self {
        InspectError::Output(e)
    }
}

/// One record, decoded, ready to print.
struct Row {
    journal: String,
    sequence: u64,
    timestamp_ns: u64,
    direction: &'static str,
    source_id: u16,
    message: String,
    details: String,
    json: Value,
    ids: Option<(OrderId, OrderId)>,
}

fn decode_row(journal: &str, record: &Record<'_>) -> Row {
    let (message, details, body, ids) = match crossbar_sbe::decode(record.payload) {
        Ok(m) => {
            let f = fields::fields(&m);
            (
                m.kind().name().to_owned(),
                fields::human(&f),
                json!({ "message": m.kind().name(), "fields": fields::json(&f) }),
                fields::order_ids(&m),
            )
        }
        Err(e) => {
            let hex: String = record.payload.iter().map(|b| format!("{b:02x}")).collect();
            (
                "UNDECODABLE".to_owned(),
                e.to_string(),
                json!({ "message": null, "decode_error": e.to_string(), "payload_hex": hex }),
                None,
            )
        }
    };
    let mut json = json!({
        "journal": journal,
        "sequence": record.sequence,
        "timestamp_ns": record.timestamp_ns,
        "time_utc": utc::format_utc_ns(record.timestamp_ns),
        "direction": record.direction.as_str(),
        "source_id": record.source_id,
    });
    if let (Some(out), Value::Object(extra)) = (json.as_object_mut(), body) {
        out.extend(extra);
    }
    Row {
        journal: journal.to_owned(),
        sequence: record.sequence,
        timestamp_ns: record.timestamp_ns,
        direction: match record.direction {
            crossbar_journal::Direction::Inbound => "IN",
            crossbar_journal::Direction::Outbound => "OUT",
        },
        source_id: record.source_id,
        message,
        details,
        json,
        ids,
    }
}

fn open(dir: &Path) -> Result<JournalReader, InspectError> {
    let reader = JournalReader::open(dir).map_err(|source| InspectError::Journal {
        dir: dir.to_path_buf(),
        source,
    })?;
    if let Some(t) = reader.torn_tail() {
        eprintln!(
            "journal-inspect: warning: JOURNAL_TORN_TAIL dir={} segment={} sequence={} offset={} reason={} (the writer crashed mid-append; its next open cuts this off)",
            dir.display(),
            t.segment.display(),
            t.sequence,
            t.offset,
            t.reason
        );
    }
    Ok(reader)
}

/// The last path component, as the journal's label in output.
fn label(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

const TIME_WIDTH: usize = 30;

fn write_header(out: &mut impl Write, journal_width: Option<usize>) -> std::io::Result<()> {
    if let Some(w) = journal_width {
        write!(out, "{:<w$}  ", "JOURNAL")?;
    }
    writeln!(
        out,
        "{:>10}  {:<TIME_WIDTH$}  {:<3}  {:>5}  {:<16}  FIELDS",
        "SEQ", "TIME_UTC", "DIR", "SRC", "MESSAGE"
    )
}

fn write_row(
    out: &mut impl Write,
    row: &Row,
    journal_width: Option<usize>,
    as_json: bool,
) -> std::io::Result<()> {
    if as_json {
        return writeln!(out, "{}", row.json);
    }
    if let Some(w) = journal_width {
        write!(out, "{:<w$}  ", row.journal)?;
    }
    writeln!(
        out,
        "{:>10}  {:<TIME_WIDTH$}  {:<3}  {:>5}  {:<16}  {}",
        row.sequence,
        utc::format_utc_ns(row.timestamp_ns),
        row.direction,
        row.source_id,
        row.message,
        row.details
    )
}

fn dump(dir: &Path, from: u64, as_json: bool) -> Result<(), InspectError> {
    let reader = open(dir)?;
    let journal = label(dir);
    let mut out = BufWriter::new(std::io::stdout().lock());
    if !as_json {
        write_header(&mut out, None)?;
    }
    for record in reader.records_from(from) {
        write_row(&mut out, &decode_row(&journal, &record), None, as_json)?;
    }
    out.flush()?;
    Ok(())
}

/// The order and, transitively, the orders it introduced (children via `parentOrderId`,
/// replacements via `origOrderId`).
fn related_orders(order: OrderId, ids: &[(OrderId, OrderId)]) -> BTreeSet<OrderId> {
    let mut set = BTreeSet::from([order]);
    loop {
        let before = set.len();
        for &(id, related) in ids {
            if related.0 != 0 && set.contains(&related) {
                set.insert(id);
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

fn order(order: OrderId, dirs: &[PathBuf], as_json: bool) -> Result<(), InspectError> {
    let mut rows = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        let reader = open(dir)?;
        let journal = label(dir);
        for record in reader.records() {
            let row = decode_row(&journal, &record);
            if row.ids.is_some() {
                rows.push((index, row));
            }
        }
    }
    let ids: Vec<(OrderId, OrderId)> = rows.iter().filter_map(|(_, r)| r.ids).collect();
    let set = related_orders(order, &ids);
    rows.retain(|(_, r)| {
        r.ids.is_some_and(|(id, related)| {
            set.contains(&id) || (related.0 != 0 && set.contains(&related))
        })
    });
    if rows.is_empty() {
        return Err(InspectError::OrderNotFound(order));
    }
    rows.sort_by_key(|(index, r)| (r.timestamp_ns, *index, r.sequence));
    let width = rows
        .iter()
        .map(|(_, r)| r.journal.len())
        .max()
        .unwrap_or(0)
        .max("JOURNAL".len());
    let mut out = BufWriter::new(std::io::stdout().lock());
    if !as_json {
        write_header(&mut out, Some(width))?;
    }
    for (_, row) in &rows {
        write_row(&mut out, row, Some(width), as_json)?;
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Dump { dir, from, json } => dump(dir, *from, *json),
        Command::Order {
            order_id,
            dirs,
            json,
        } => order(*order_id, dirs, *json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(InspectError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("journal-inspect: error: {e}");
            ExitCode::FAILURE
        }
    }
}
