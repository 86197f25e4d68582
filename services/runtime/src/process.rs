//! The start and end every Crossbar process binary shares: configuration loaded and validated
//! (exit status 2 naming the key when it is bad), logging started, SIGINT/SIGTERM installed;
//! and the one-line counter dump printed at a clean exit.

use std::fmt::Display;
use std::path::Path;
use std::process::ExitCode;

use serde::de::DeserializeOwned;

use crate::{init_logging, load_config, LoggingConfig, ShutdownSignal};

/// Exit status for a bad configuration (file, value or logging set-up).
pub const EXIT_BAD_CONFIG: u8 = 2;
/// Exit status for a start-up failure that is not the configuration's fault.
pub const EXIT_START_FAILED: u8 = 1;

/// Loads `C` from `path` (TOML, then `CROSSBAR_` environment overrides; see
/// [`load_config`]), turns it into settings `S` with `validate`, starts logging from the
/// settings' [`LoggingConfig`] and installs the shutdown signal handlers.
///
/// # Errors
/// Prints `<program>: <reason>` on stderr and returns the exit code: [`EXIT_BAD_CONFIG`] for a
/// config that does not load or validate (`CONFIG_INVALID key=... reason=...`) or a bad
/// logging set-up; [`EXIT_START_FAILED`] when the signal handlers cannot be installed.
pub fn prepare<C, S, E>(
    program: &str,
    path: Option<&Path>,
    validate: impl FnOnce(C) -> Result<S, E>,
    logging: impl FnOnce(&S) -> &LoggingConfig,
) -> Result<(S, ShutdownSignal), ExitCode>
where
    C: DeserializeOwned,
    E: Display,
{
    let fail = |code: u8, error: &dyn Display| {
        eprintln!("{program}: {error}");
        ExitCode::from(code)
    };
    let config: C = load_config(path).map_err(|e| fail(EXIT_BAD_CONFIG, &e))?;
    let settings = validate(config).map_err(|e| fail(EXIT_BAD_CONFIG, &e))?;
    init_logging(logging(&settings)).map_err(|e| fail(EXIT_BAD_CONFIG, &e))?;
    let shutdown = ShutdownSignal::install().map_err(|e| {
        fail(
            EXIT_START_FAILED,
            &format!("cannot install signal handlers: {e}"),
        )
    })?;
    Ok((settings, shutdown))
}

/// `<label> name=value name=value ...`: the counter dump a process prints on stdout at a
/// clean exit (tests and scripts parse it), ending with the runner's longest duty cycle (ns).
pub fn counters_line(
    label: &str,
    counters: impl IntoIterator<Item = (String, u64)>,
    duty_cycle_ns_max: u64,
) -> String {
    let mut line = String::from(label);
    for (name, value) in counters {
        line.push_str(&format!(" {name}={value}"));
    }
    line.push_str(&format!(" runner.duty_cycle_ns_max={duty_cycle_ns_max}"));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_line_lists_every_counter_then_the_duty_cycle() {
        let line = counters_line(
            "X_COUNTERS",
            [("a.b".to_owned(), 3), ("c".to_owned(), 0)],
            7,
        );
        assert_eq!(line, "X_COUNTERS a.b=3 c=0 runner.duty_cycle_ns_max=7");
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cfg {
        #[serde(default)]
        logging: LoggingConfig,
        n: u32,
    }

    #[test]
    fn a_config_that_fails_validation_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "n = 0\n").unwrap();
        let r = prepare(
            "t",
            Some(&path),
            |c: Cfg| {
                if c.n == 0 {
                    Err("CONFIG_INVALID key=n reason=zero")
                } else {
                    Ok(c)
                }
            },
            |c| &c.logging,
        );
        assert!(r.is_err());
        std::fs::write(&path, "m = 1\n").unwrap();
        let r = prepare("t", Some(&path), Ok::<Cfg, String>, |c| &c.logging);
        assert!(r.is_err(), "unknown key refused");
    }
}
