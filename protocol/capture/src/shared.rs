//! Locating the read-only `shared/` directory (venue captures and specs) beside the project.
//!
//! The project's tests read real venue captures from `shared/venue-data/...` and specs from
//! `shared/specs/...`, a directory that sits beside the project root (`/work/shared` for a
//! project at `/work/main`) and is never copied into the repository. When it is absent (a
//! clone without it), tests must say so loudly and pass, which [`require_shared!`] does:
//!
//! ```
//! // In a test file this function carries `#[test]`.
//! fn decodes_real_capture() {
//!     let shared = crossbar_capture::require_shared!("decodes_real_capture");
//!     let file = shared.join("venue-data/nasdaq_itch50/real_day_prefix_1000msgs__B-Bekele_ITCH-Parser_sample.itch");
//!     assert!(file.is_file());
//! }
//! decodes_real_capture();
//! ```

use std::path::{Path, PathBuf};

/// Environment variable that, when set, replaces the search done by [`shared_dir`]: the
/// directory it names (which must contain `venue-data/`), or nothing. It is deliberately not
/// under the `CROSSBAR_` prefix, which belongs to configuration overrides.
pub const SHARED_DIR_ENV: &str = "XBAR_SHARED_DIR";

/// The `shared` directory (one containing `venue-data/`), or `None` when there is none.
///
/// When `$XBAR_SHARED_DIR` is set (non-empty) it decides alone: that directory if it has
/// `venue-data/`, else `None` (so `XBAR_SHARED_DIR=/nonexistent cargo test` exercises every
/// test's skip path). Otherwise walks up from the running crate's `CARGO_MANIFEST_DIR` (set by
/// cargo for tests, benches and `cargo run`), then from this crate's own manifest directory
/// (compile time), then from the current directory, checking each ancestor `a` for
/// `a/shared/venue-data`, and returns the first `a/shared`.
pub fn shared_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(SHARED_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
    {
        return dir.join("venue-data").is_dir().then_some(dir);
    }
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        std::env::current_dir().ok(),
    ];
    starts
        .into_iter()
        .flatten()
        .find_map(|start| search_up(&start))
}

fn search_up(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|a| a.join("shared"))
        .find(|s| s.join("venue-data").is_dir())
}

/// `shared/venue-data/<relative>` when `shared/` exists and that path exists in it.
///
/// `relative` is a path under `venue-data`, e.g. `"nasdaq_itch50/omi_moldudp64_pcaps"`.
pub fn venue_data(relative: &str) -> Option<PathBuf> {
    let path = shared_dir()?.join("venue-data").join(relative);
    path.exists().then_some(path)
}

/// Prints `SKIPPED (no ../shared): <name>` on its own line straight to the process's stderr.
///
/// It writes to the stderr handle rather than through `eprintln!`, because libtest captures
/// `eprintln!` output of passing tests and the skip must be seen: `ops/test.sh` collects these
/// lines and lists them at the end of the run.
pub fn report_skipped(name: &dyn std::fmt::Display) {
    use std::io::Write;
    let line = format!("\nSKIPPED (no ../shared): {name}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Evaluates to the `shared` directory ([`shared_dir`](crate::shared_dir)) as a `PathBuf`, or
/// prints `SKIPPED (no ../shared): <name>` to stderr and `return`s from the enclosing function
/// (which must return `()`, as `#[test]` functions do) when it is absent.
///
/// `$name` is anything `Display`, normally the test's name as a string literal.
#[macro_export]
macro_rules! require_shared {
    ($name:expr) => {
        match $crate::shared_dir() {
            ::std::option::Option::Some(dir) => dir,
            ::std::option::Option::None => {
                $crate::report_skipped(&$name);
                return;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_up_finds_a_sibling_shared_dir() {
        let root =
            std::env::temp_dir().join(format!("crossbar-capture-shared-{}", std::process::id()));
        let deep = root.join("project/protocol/capture");
        std::fs::create_dir_all(&deep).unwrap();
        // Nothing under `root` yet (an ancestor of the temp dir may itself have a `shared`).
        assert!(search_up(&deep).is_none_or(|found| !found.starts_with(&root)));
        std::fs::create_dir_all(root.join("shared/venue-data")).unwrap();
        assert_eq!(search_up(&deep), Some(root.join("shared")));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn venue_data_joins_under_venue_data_and_checks_existence() {
        assert_eq!(venue_data("no-such-folder-here"), None);
        if let Some(shared) = shared_dir() {
            assert_eq!(
                venue_data("nasdaq_itch50"),
                Some(shared.join("venue-data/nasdaq_itch50"))
            );
        }
    }

    #[test]
    fn require_shared_matches_shared_dir() {
        let mut got = None;
        let mut run = || {
            let dir = crate::require_shared!("require_shared_matches_shared_dir");
            got = Some(dir);
        };
        run();
        assert_eq!(got, shared_dir());
    }
}
