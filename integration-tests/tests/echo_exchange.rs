//! Two real processes exchange every SBE message type over real Aeron, over IPC (one shared
//! media driver, the second process an external client) and over UDP on loopback (a driver per
//! process, as across hosts). The initiator asserts every decoded echo equals what it sent;
//! the responder must count and skip malformed buffers without losing any real message.

use crossbar_integration_tests::{aeron_dir, binary, free_udp_port, write_file, ChildProcess};
use crossbar_sbe::MessageKind;
use std::path::Path;
use std::time::Duration;

const TERM: &str = "ipc_term_buffer_length = 65536\nudp_term_buffer_length = 65536\n";

fn responder_config(
    dir: &Path,
    aeron: &Path,
    embedded: bool,
    requests: &str,
    replies: &str,
) -> std::path::PathBuf {
    let text = format!(
        "[logging]\nlevel = \"warn\"\n[transport]\naeron_dir = \"{}\"\nembedded_driver = {embedded}\n{TERM}\
         [transport.subscriptions.requests]\nchannel = \"{requests}\"\nstream_id = 1001\n\
         [transport.publications.replies]\nchannel = \"{replies}\"\nstream_id = 1002\n",
        aeron.display()
    );
    write_file(dir, "responder.toml", &text)
}

fn initiator_config(
    dir: &Path,
    aeron: &Path,
    embedded: bool,
    requests: &str,
    replies: &str,
) -> std::path::PathBuf {
    let text = format!(
        "[logging]\nlevel = \"warn\"\n[transport]\naeron_dir = \"{}\"\nembedded_driver = {embedded}\n{TERM}\
         [transport.publications.requests]\nchannel = \"{requests}\"\nstream_id = 1001\n\
         [transport.subscriptions.replies]\nchannel = \"{replies}\"\nstream_id = 1002\n\
         [echo]\nsend_malformed = true\nrounds = 2\nreply_timeout_ms = 10000\n",
        aeron.display()
    );
    write_file(dir, "initiator.toml", &text)
}

fn exchange(
    label: &str,
    responder_aeron: &Path,
    initiator_aeron: &Path,
    initiator_embedded: bool,
    requests: &str,
    replies: &str,
) {
    let echo = binary("crossbar-echo", "crossbar-echo");
    let tmp = tempfile::tempdir().unwrap();
    let r_cfg = responder_config(tmp.path(), responder_aeron, true, requests, replies);
    let i_cfg = initiator_config(
        tmp.path(),
        initiator_aeron,
        initiator_embedded,
        requests,
        replies,
    );

    let mut responder = ChildProcess::spawn(
        "responder",
        &echo,
        &["responder", "--config", r_cfg.to_str().unwrap()],
        &[],
    );
    responder.wait_for_line("responder ready", Duration::from_secs(60));
    let initiator = ChildProcess::spawn(
        "initiator",
        &echo,
        &["initiator", "--config", i_cfg.to_str().unwrap()],
        &[],
    );
    let (status, lines, stderr) = initiator.wait(Duration::from_secs(120));
    let (r_status, r_lines, r_stderr) = responder.terminate(Duration::from_secs(30));

    let out = lines.join("\n");
    assert!(
        status.success(),
        "{label} initiator failed: {status}\nstdout:\n{out}\nstderr:\n{stderr}"
    );
    let rounds = 2;
    for kind in MessageKind::ALL {
        let ok_lines = lines
            .iter()
            .filter(|l| {
                l.starts_with(label)
                    && l.contains(&format!(" {} ", kind.name()))
                    && l.ends_with(" ok")
            })
            .count();
        assert_eq!(
            ok_lines,
            rounds,
            "{label}: {} not echoed intact {rounds} times:\n{out}",
            kind.name()
        );
    }
    let total = MessageKind::ALL.len() * rounds;
    assert!(
        out.contains(&format!(
            "{label}: {total}/{total} message types echoed intact"
        )),
        "{out}"
    );

    assert!(
        r_status.success(),
        "{label} responder exit {r_status}\n{r_stderr}"
    );
    let summary = r_lines
        .iter()
        .find(|l| l.starts_with("responder:"))
        .unwrap_or_else(|| panic!("no summary:\n{}", r_lines.join("\n")));
    let probes = 4;
    assert!(
        summary.contains(&format!(
            "received={} echoed={total} malformed={probes} echo_failed=0",
            total + probes
        )),
        "{label}: {summary}\n{r_stderr}"
    );
    assert!(
        r_stderr.contains("SBE_SCHEMA_MISMATCH") && r_stderr.contains("SBE_UNKNOWN_TEMPLATE"),
        "{label}: decode errors must be logged with their codes:\n{r_stderr}"
    );
}

#[test]
fn every_message_type_round_trips_between_processes_over_ipc() {
    let dir = aeron_dir("echo-ipc");
    exchange("ipc", &dir, &dir, false, "aeron:ipc", "aeron:ipc");
}

#[test]
fn every_message_type_round_trips_between_processes_over_udp() {
    let (a, b) = (free_udp_port(), free_udp_port());
    let requests = format!("aeron:udp?endpoint=127.0.0.1:{a}");
    let replies = format!("aeron:udp?endpoint=127.0.0.1:{b}");
    exchange(
        "udp",
        &aeron_dir("echo-udp-r"),
        &aeron_dir("echo-udp-i"),
        true,
        &requests,
        &replies,
    );
}

#[test]
fn malformed_config_stops_the_process_naming_the_key() {
    let echo = binary("crossbar-echo", "crossbar-echo");
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad_type.toml",
            "[transport]\nipc_term_buffer_length = \"big\"\n",
            "transport.ipc_term_buffer_length",
        ),
        (
            "unknown_key.toml",
            "[echo]\nrounds = 1\nroundz = 2\n",
            "roundz",
        ),
        (
            "bad_term.toml",
            "[transport]\nipc_term_buffer_length = 1000\n",
            "transport.ipc_term_buffer_length",
        ),
        ("bad_toml.toml", "[echo\n", "CONFIG_INVALID"),
    ];
    for (file, text, key) in cases {
        let cfg = write_file(tmp.path(), file, text);
        let p = ChildProcess::spawn(
            file,
            &echo,
            &["initiator", "--config", cfg.to_str().unwrap()],
            &[],
        );
        let (status, _, stderr) = p.wait(Duration::from_secs(30));
        assert_eq!(status.code(), Some(2), "{file}: {stderr}");
        assert!(
            stderr.contains(key),
            "{file}: stderr must name {key}: {stderr}"
        );
    }
    // An environment override with a bad value is refused the same way.
    let p = ChildProcess::spawn(
        "env",
        &echo,
        &["initiator"],
        &[("CROSSBAR_ECHO__ROUNDS", "many")],
    );
    let (status, _, stderr) = p.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("echo.rounds"), "{stderr}");
    // A missing file too.
    let p = ChildProcess::spawn(
        "missing",
        &echo,
        &["initiator", "--config", "/nonexistent/crossbar.toml"],
        &[],
    );
    let (status, _, stderr) = p.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CONFIG_FILE_UNREADABLE"), "{stderr}");
}
