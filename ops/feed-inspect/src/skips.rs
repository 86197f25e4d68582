//! Reporting of malformed messages and packets that were counted and skipped: one stderr line
//! each (`skipped: <STABLE_CODE> ... offset=...`), up to a limit so a badly damaged file does
//! not flood the terminal; every skip is counted whether shown or not.

use std::fmt::Display;
use std::io::Write;

/// Default for `--max-skip-reports`.
pub const DEFAULT_MAX_REPORTS: u64 = 1000;

/// Writes skip lines to a writer (stderr in the tool), at most `max_reports` of them.
pub struct SkipReporter<W: Write> {
    out: W,
    max_reports: u64,
    skipped: u64,
}

impl SkipReporter<std::io::Stderr> {
    /// Reports to stderr.
    pub fn stderr(max_reports: u64) -> Self {
        SkipReporter::new(std::io::stderr(), max_reports)
    }
}

impl<W: Write> SkipReporter<W> {
    /// Reports to `out`, showing the first `max_reports` skips.
    pub fn new(out: W, max_reports: u64) -> Self {
        SkipReporter {
            out,
            max_reports,
            skipped: 0,
        }
    }

    /// Counts one skipped message or packet and, while under the limit, writes
    /// `skipped: <what>` (the error's stable code first, then its context). The line after
    /// the last one shown says that further skips are counted only.
    #[cold]
    pub fn skip(&mut self, what: &dyn Display) {
        self.skipped += 1;
        // Diagnostics on stderr are best effort: a closed stderr must not stop the decode.
        if self.skipped <= self.max_reports {
            let _ = writeln!(self.out, "skipped: {what}");
        } else if self.skipped == self.max_reports + 1 {
            let _ = writeln!(
                self.out,
                "skipped: further skips are counted in the census but not shown (--max-skip-reports {})",
                self.max_reports
            );
        }
    }

    /// Skips counted so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_up_to_the_limit_and_counts_everything() {
        let mut reporter = SkipReporter::new(Vec::new(), 2);
        for i in 0..5 {
            reporter.skip(&format_args!("CODE i={i}"));
        }
        assert_eq!(reporter.skipped(), 5);
        let text = String::from_utf8(reporter.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "skipped: CODE i=0");
        assert_eq!(lines[1], "skipped: CODE i=1");
        assert!(lines[2].contains("not shown (--max-skip-reports 2)"));
    }
}
