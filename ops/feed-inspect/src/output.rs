//! Buffered JSON-lines output on stdout: the lock is taken once and writes go through one
//! 1 MiB buffer, so a message costs a `serde_json` serialization into memory and nothing else.

use std::io::{BufWriter, StdoutLock, Write};

use serde::Serialize;

/// Bytes buffered before a write to stdout.
pub const STDOUT_BUFFER_LEN: usize = 1 << 20;

/// One JSON value per line to a writer (stdout in the tool).
pub struct JsonLines<W: Write> {
    out: BufWriter<W>,
}

impl JsonLines<StdoutLock<'static>> {
    /// Locks stdout for the rest of the run.
    pub fn stdout() -> Self {
        JsonLines::new(std::io::stdout().lock())
    }
}

impl<W: Write> JsonLines<W> {
    /// Wraps `out` in a [`STDOUT_BUFFER_LEN`] buffer.
    pub fn new(out: W) -> Self {
        JsonLines {
            out: BufWriter::with_capacity(STDOUT_BUFFER_LEN, out),
        }
    }

    /// Writes `value` as one line of compact JSON.
    ///
    /// # Errors
    /// The writer's I/O error (a serialization error cannot occur for the tool's types:
    /// string map keys only).
    #[inline]
    pub fn line<T: Serialize + ?Sized>(&mut self, value: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    /// Flushes the buffer.
    ///
    /// # Errors
    /// The writer's I/O error.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_compact_value_per_line() {
        let mut lines = JsonLines::new(Vec::new());
        lines
            .line(&serde_json::json!({"a": 1, "b": "x\"y"}))
            .unwrap();
        lines.line(&[1, 2]).unwrap();
        lines.flush().unwrap();
        let bytes = lines.out.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"a\":1,\"b\":\"x\\\"y\"}\n[1,2]\n"
        );
    }
}
