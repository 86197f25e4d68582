//! Helpers shared by the CLI tests: run the real binary, parse its JSON lines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The pcap folder under `shared/`.
pub const PCAP_DIR: &str = "venue-data/nasdaq_itch50/omi_moldudp64_pcaps";
/// The 1,000-message real day prefix under `shared/`.
pub const PREFIX_FILE: &str =
    "venue-data/nasdaq_itch50/real_day_prefix_1000msgs__B-Bekele_ITCH-Parser_sample.itch";
/// The 12,012-message semi-synthetic BX day file under `shared/`.
pub const BX_FILE: &str =
    "venue-data/nasdaq_itch50/semisynthetic_obfuscated_BX_12012msgs__RITCH_ex20101224.TEST_ITCH_50";

/// A finished run of `feed-inspect`.
pub struct Run {
    /// Exit status.
    pub status: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Run {
    /// stdout's lines as JSON values.
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The census: stderr's last line (or stdout's only line with `--census-only`).
    pub fn census(&self) -> Value {
        let line = self.stderr.lines().last().expect("census on stderr");
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        value["census"].clone()
    }

    /// The `skipped:` lines of stderr.
    pub fn skips(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("skipped: "))
            .collect()
    }

    /// Asserts exit 0 and no panic.
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 0, "stderr: {}", self.stderr);
        self.no_panic()
    }

    /// Asserts the process did not panic.
    pub fn no_panic(self) -> Self {
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_feed-inspect"))
        .args(args)
        .output()
        .expect("run feed-inspect");
    Run {
        status: status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// `feed-inspect itch <path> <extra...>`.
pub fn itch(path: &Path, extra: &[&str]) -> Run {
    let path = path.to_str().expect("utf-8 path");
    let mut args = vec!["itch", path];
    args.extend_from_slice(extra);
    run(&args)
}

/// The one pcap in the pcap folder whose name ends with `suffix`.
pub fn pcap(shared: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(shared.join(PCAP_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{suffix}");
    found.into_iter().next().unwrap()
}
