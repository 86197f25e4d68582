//! Where the seeded ITCH history comes from: a day file, a pcap of MoldUDP64/ITCH, or the
//! day-like generator.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use crossbar_itch::generate::{DayConfig, DayGenerator};
use crossbar_itch::{DayFileIter, DayFileReader, FrameError, ItchMessage, Stock};
use crossbar_moldudp64::{Packet, Session};

use crate::FeedError;

/// An ITCH 5.0 source for the [`crate::Seeder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedSource {
    /// A TotalView-ITCH 5.0 day file (2-byte big-endian length prefix per message).
    DayFile(PathBuf),
    /// A pcap/pcapng capture of MoldUDP64 packets carrying ITCH 5.0: every UDP datagram that
    /// parses as a MoldUDP64 packet, messages taken once per (session, sequence number) in
    /// capture order (duplicates from A/B feeds or retransmissions skipped).
    Pcap(PathBuf),
    /// The seeded day-like generator ([`crossbar_itch::generate`]).
    Generated(DayConfig),
    /// The generator over an explicit symbol universe
    /// ([`crossbar_itch::generate::DayGenerator::with_symbols`]): instrument `i` is
    /// `symbols[i]` at locate `i + 1`, priced from the symbol alone, order flow from
    /// `config.seed`. Venues given the same symbols and different seeds list the same stocks
    /// at the same prices with different books.
    GeneratedSymbols {
        /// Seed and message count (`instruments` is replaced by `symbols.len()`).
        config: DayConfig,
        /// The symbol universe, in locate order.
        symbols: Vec<Stock>,
    },
}

impl Default for SeedSource {
    /// The generator with seed 1, 16 instruments and 100,000 messages.
    fn default() -> Self {
        SeedSource::Generated(DayConfig {
            seed: 1,
            instruments: 16,
            messages: 100_000,
        })
    }
}

/// Counts of what a [`SeedReader`] skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Frames or messages that did not decode (skipped).
    pub decode_errors: u64,
    /// Pcap only: UDP datagrams that are not MoldUDP64 packets.
    pub non_mold_datagrams: u64,
    /// Pcap only: messages seen again (same session and sequence number).
    pub duplicate_messages: u64,
    /// Pcap only: sequence numbers missing from the capture.
    pub gap_messages: u64,
}

enum Inner {
    DayFile(Box<DayFileReader<BufReader<File>>>),
    /// Messages of a capture re-framed as a day file, with the read position.
    Framed {
        bytes: Vec<u8>,
        pos: usize,
    },
    Generated(Box<DayGenerator>),
}

/// An opened [`SeedSource`], yielding decoded ITCH messages in order.
pub struct SeedReader {
    inner: Inner,
    stats: SourceStats,
}

impl SeedReader {
    /// Opens `source`. A pcap is read and de-duplicated whole here (tools and tests only:
    /// it allocates the capture).
    ///
    /// # Errors
    /// [`FeedError::Source`] when the file cannot be opened or the capture not parsed.
    pub fn open(source: &SeedSource) -> Result<Self, FeedError> {
        let inner = match source {
            SeedSource::DayFile(path) => {
                let file = File::open(path).map_err(|e| FeedError::Source {
                    source_kind: "day_file",
                    reason: format!("path={} error={e}", path.display()),
                })?;
                Inner::DayFile(Box::new(DayFileReader::new(BufReader::new(file))))
            }
            SeedSource::Pcap(path) => {
                let capture =
                    crossbar_capture::read_capture(path).map_err(|e| FeedError::Source {
                        source_kind: "pcap",
                        reason: format!("path={} error={e}", path.display()),
                    })?;
                let mut stats = SourceStats::default();
                let bytes = frame_capture(&capture, &mut stats);
                return Ok(Self {
                    inner: Inner::Framed { bytes, pos: 0 },
                    stats,
                });
            }
            SeedSource::Generated(config) => Inner::Generated(Box::new(DayGenerator::new(*config))),
            SeedSource::GeneratedSymbols { config, symbols } => {
                Inner::Generated(Box::new(DayGenerator::with_symbols(*config, symbols)))
            }
        };
        Ok(Self {
            inner,
            stats: SourceStats::default(),
        })
    }

    /// What was skipped so far.
    pub fn stats(&self) -> SourceStats {
        self.stats
    }

    /// The next message that decodes; `None` at the end. Undecodable frames are counted in
    /// [`SourceStats::decode_errors`] and skipped.
    pub fn next_message(&mut self) -> Option<ItchMessage> {
        loop {
            let next: Option<Result<ItchMessage, FrameError>> = match &mut self.inner {
                Inner::DayFile(reader) => reader.next(),
                Inner::Framed { bytes, pos } => {
                    let mut iter = DayFileIter::new(bytes.get(*pos..).unwrap_or_default());
                    let item = iter.next();
                    *pos += iter.offset();
                    item
                }
                Inner::Generated(generator) => generator.next().map(Ok),
            };
            match next? {
                Ok(message) => return Some(message),
                Err(_) => self.stats.decode_errors += 1,
            }
        }
    }
}

/// Day-file frames of every new MoldUDP64 message in `capture`, in capture order.
fn frame_capture(capture: &crossbar_capture::Capture, stats: &mut SourceStats) -> Vec<u8> {
    let mut next_by_session: Vec<(Session, u64)> = Vec::new();
    let mut out = Vec::new();
    for datagram in capture.udp() {
        let Ok(packet) = Packet::parse(&datagram.payload) else {
            stats.non_mold_datagrams += 1;
            continue;
        };
        let session = packet.header.session;
        let index = match next_by_session.iter().position(|(s, _)| *s == session) {
            Some(i) => i,
            None => {
                next_by_session.push((session, packet.header.sequence_number));
                next_by_session.len() - 1
            }
        };
        for (seq, message) in packet.messages() {
            let expected = &mut next_by_session[index].1;
            if seq < *expected {
                stats.duplicate_messages += 1;
                continue;
            }
            stats.gap_messages += seq - *expected;
            *expected = seq + 1;
            out.extend_from_slice(&(message.len() as u16).to_be_bytes());
            out.extend_from_slice(message);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_symbols_source_lists_the_given_universe_in_locate_order() {
        let symbols: Vec<Stock> = ["AAPL", "MSFT"]
            .iter()
            .map(|s| Stock::from_symbol(s).unwrap())
            .collect();
        let source = SeedSource::GeneratedSymbols {
            config: DayConfig {
                seed: 9,
                instruments: 40,
                messages: 500,
            },
            symbols: symbols.clone(),
        };
        let mut reader = SeedReader::open(&source).unwrap();
        let mut directory = Vec::new();
        let mut count = 0;
        while let Some(message) = reader.next_message() {
            count += 1;
            if let ItchMessage::StockDirectory(m) = message {
                directory.push((m.header.stock_locate, m.stock));
            }
        }
        assert_eq!(count, 500);
        assert_eq!(directory, vec![(1, symbols[0]), (2, symbols[1])]);
    }
}
