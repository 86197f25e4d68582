//! pcap/pcapng captures of MoldUDP64 packets carrying ITCH 5.0: the capture is read by
//! `crossbar-capture` (whole file in memory, as captures of a session are small next to day
//! files), each UDP payload parsed by `crossbar-moldudp64`, each message block decoded.

use std::io::Write;
use std::path::Path;

use crossbar_capture::read_capture;
use crossbar_itch::{decode, Census};
use crossbar_moldudp64::{Packet, PacketKind, BLOCK_PREFIX_LEN, HEADER_LEN};

use super::census::{CensusReport, Detail, PcapStats};
use super::json::{MessageJson, Origin};
use super::limit_reached;
use crate::error::InspectError;
use crate::output::JsonLines;
use crate::skips::SkipReporter;

/// Decodes every ITCH message of every MoldUDP64 packet in the capture at `path`: messages
/// to `lines` (when given), malformed packets and messages to `skips` (with the packet's
/// index in the capture and the byte offset in its UDP payload), and returns the census.
/// Stops after `limit` decoded messages when given.
///
/// # Errors
/// [`InspectError::Capture`] when the capture cannot be read or parsed,
/// [`InspectError::Output`] when writing fails.
pub fn inspect<W: Write, E: Write>(
    path: &Path,
    limit: Option<u64>,
    mut lines: Option<&mut JsonLines<W>>,
    skips: &mut SkipReporter<E>,
) -> Result<CensusReport, InspectError> {
    let capture = read_capture(path).map_err(|source| InspectError::Capture {
        path: path.display().to_string(),
        source,
    })?;
    let mut stats = PcapStats {
        other_records: capture.skipped as u64,
        ..PcapStats::default()
    };
    let mut census = Census::new();
    let mut limited = limit_reached(limit, 0);
    for (index, packet) in capture.packets.iter().enumerate() {
        if limited {
            break;
        }
        if !packet.is_udp() {
            stats.tcp_packets += 1;
            continue;
        }
        stats.udp_packets += 1;
        let mold = match Packet::parse(&packet.payload) {
            Ok(mold) => mold,
            Err(e) => {
                stats.bad_packets += 1;
                skips.skip(&format_args!("{e} packet={index}"));
                continue;
            }
        };
        match mold.kind() {
            PacketKind::Messages => stats.data_packets += 1,
            PacketKind::Heartbeat => stats.heartbeats += 1,
            PacketKind::EndOfSession => stats.end_of_session += 1,
        }
        let mut block_offset = HEADER_LEN;
        for (sequence, bytes) in mold.messages() {
            let payload_offset = block_offset + BLOCK_PREFIX_LEN;
            block_offset = payload_offset + bytes.len();
            let message = match decode(bytes) {
                Ok(message) => message,
                Err(e) => {
                    stats.bad_messages += 1;
                    skips.skip(&format_args!(
                        "{e} packet={index} sequence={sequence} payload_offset={payload_offset}"
                    ));
                    continue;
                }
            };
            census.add(&message);
            if let Some(out) = lines.as_deref_mut() {
                out.line(&MessageJson {
                    message: &message,
                    origin: Origin::Mold {
                        session: &mold.header.session,
                        sequence,
                        capture_timestamp_ns: packet.timestamp_ns,
                    },
                })?;
            }
            limited = limit_reached(limit, census.total());
            if limited {
                break;
            }
        }
    }
    Ok(CensusReport {
        file: path.display().to_string(),
        census,
        errors: stats.bad_packets + stats.bad_messages,
        limit_reached: limited,
        detail: Detail::Pcap(stats),
    })
}
