//! `feed-inspect itch` on inputs built here: a generated day (census equals the generator's),
//! one message of each of the 23 ITCH 5.0 types (every spec field present), and malformed
//! files (clear errors or counted skips, never a panic).

mod common;

use std::io::Write;
use std::path::Path;

use common::{itch, pcap};
use crossbar_capture::{read_capture, require_shared};
use crossbar_itch::generate::{generate_day, DayConfig};
use crossbar_itch::{message_length, MESSAGE_TYPES};
use serde_json::{json, Value};

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

/// Frame offsets of a day file with explicit length prefixes.
fn frame_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        offsets.push(pos);
        pos += 2 + usize::from(u16::from_be_bytes([bytes[pos], bytes[pos + 1]]));
    }
    offsets
}

#[test]
fn generated_day_census_equals_the_generators_summary() {
    let config = DayConfig {
        seed: 11,
        instruments: 40,
        messages: 30_000,
    };
    let mut bytes = Vec::new();
    let summary = generate_day(&config, &mut bytes).unwrap();
    let file = temp_file(&bytes);

    let run = itch(file.path(), &["--census-only"]).ok();
    let census = &run.lines()[0]["census"];
    let expected: serde_json::Map<String, Value> = summary
        .census
        .nonzero()
        .into_iter()
        .map(|(t, n)| (char::from(t).to_string(), json!(n)))
        .collect();
    assert_eq!(census["counts"], Value::Object(expected));
    assert_eq!(census["total"], summary.census.total());
    assert_eq!(census["total"], 30_000);
    assert_eq!(
        (census["errors"].as_u64(), census["day"]["bytes"].as_u64()),
        (Some(0), Some(summary.bytes))
    );

    // The full output: one line per message, types in the census's proportions, offsets
    // at the frame boundaries.
    let run = itch(file.path(), &[]).ok();
    let lines = run.lines();
    assert_eq!(lines.len(), 30_000);
    let offsets = frame_offsets(&bytes);
    for (line, offset) in lines.iter().zip(&offsets) {
        assert_eq!(line["offset"], *offset as u64);
        let t = line["type"].as_str().unwrap().as_bytes()[0];
        assert_eq!(bytes[offset + 2], t);
    }
    assert_eq!(lines[0]["event_code"], "O");
    assert_eq!(lines[29_999]["event_code"], "C");
    assert_eq!(run.census(), *census);
}

/// The JSON keys of each type (after `type`, `offset` and the header), from the field tables
/// of ITCH 5.0 §1.1–§1.8; Price (4)/(8) fields have a `_raw` twin.
fn spec_fields(message_type: u8) -> &'static [&'static str] {
    match message_type {
        b'S' => &["event_code"],
        b'R' => &[
            "stock",
            "market_category",
            "financial_status_indicator",
            "round_lot_size",
            "round_lots_only",
            "issue_classification",
            "issue_sub_type",
            "authenticity",
            "short_sale_threshold_indicator",
            "ipo_flag",
            "luld_reference_price_tier",
            "etp_flag",
            "etp_leverage_factor",
            "inverse_indicator",
        ],
        b'H' => &["stock", "trading_state", "reserved", "reason"],
        b'Y' => &["stock", "reg_sho_action"],
        b'L' => &[
            "mpid",
            "stock",
            "primary_market_maker",
            "market_maker_mode",
            "market_participant_state",
        ],
        b'V' => &[
            "level_1",
            "level_1_raw",
            "level_2",
            "level_2_raw",
            "level_3",
            "level_3_raw",
        ],
        b'W' => &["breached_level"],
        b'K' => &[
            "stock",
            "ipo_quotation_release_time_s",
            "ipo_quotation_release_qualifier",
            "ipo_price",
            "ipo_price_raw",
        ],
        b'J' => &[
            "stock",
            "auction_collar_reference_price",
            "auction_collar_reference_price_raw",
            "upper_auction_collar_price",
            "upper_auction_collar_price_raw",
            "lower_auction_collar_price",
            "lower_auction_collar_price_raw",
            "auction_collar_extension",
        ],
        b'h' => &["stock", "market_code", "operational_halt_action"],
        b'A' => &[
            "order_reference_number",
            "buy_sell_indicator",
            "shares",
            "stock",
            "price",
            "price_raw",
        ],
        b'F' => &[
            "order_reference_number",
            "buy_sell_indicator",
            "shares",
            "stock",
            "price",
            "price_raw",
            "attribution",
        ],
        b'E' => &["order_reference_number", "executed_shares", "match_number"],
        b'C' => &[
            "order_reference_number",
            "executed_shares",
            "match_number",
            "printable",
            "execution_price",
            "execution_price_raw",
        ],
        b'X' => &["order_reference_number", "cancelled_shares"],
        b'D' => &["order_reference_number"],
        b'U' => &[
            "original_order_reference_number",
            "new_order_reference_number",
            "shares",
            "price",
            "price_raw",
        ],
        b'P' => &[
            "order_reference_number",
            "buy_sell_indicator",
            "shares",
            "stock",
            "price",
            "price_raw",
            "match_number",
        ],
        b'Q' => &[
            "shares",
            "stock",
            "cross_price",
            "cross_price_raw",
            "match_number",
            "cross_type",
        ],
        b'B' => &["match_number"],
        b'I' => &[
            "paired_shares",
            "imbalance_shares",
            "imbalance_direction",
            "stock",
            "far_price",
            "far_price_raw",
            "near_price",
            "near_price_raw",
            "current_reference_price",
            "current_reference_price_raw",
            "cross_type",
            "price_variation_indicator",
        ],
        b'N' => &["stock", "interest_flag"],
        b'O' => &[
            "stock",
            "open_eligibility_status",
            "minimum_allowable_price",
            "minimum_allowable_price_raw",
            "maximum_allowable_price",
            "maximum_allowable_price_raw",
            "near_execution_price",
            "near_execution_price_raw",
            "near_execution_time_ns",
            "lower_price_range_collar",
            "lower_price_range_collar_raw",
            "upper_price_range_collar",
            "upper_price_range_collar_raw",
        ],
        other => panic!("no spec field list for {other:#04x}"),
    }
}

#[test]
fn every_message_type_has_every_spec_field() {
    // One frame per type; every byte after the type is 0x42 ('B'), a valid Buy/Sell Indicator.
    let mut bytes = Vec::new();
    for &t in MESSAGE_TYPES {
        let len = message_length(t).unwrap();
        bytes.extend_from_slice(&(len as u16).to_be_bytes());
        bytes.push(t);
        bytes.extend(std::iter::repeat_n(0x42, len - 1));
    }
    let file = temp_file(&bytes);
    let run = itch(file.path(), &[]).ok();
    let lines = run.lines();
    assert_eq!(lines.len(), 23);
    let census = run.census();
    assert_eq!(
        (census["total"].as_u64(), census["errors"].as_u64()),
        (Some(23), Some(0))
    );
    let u16_42 = u64::from(u16::from_be_bytes([0x42; 2]));
    let ts_42 = u64::from_be_bytes([0, 0, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42]);
    for ((line, raw), &t) in lines.iter().zip(run.stdout.lines()).zip(MESSAGE_TYPES) {
        let mut expected = vec![
            "type",
            "offset",
            "stock_locate",
            "tracking_number",
            "timestamp_ns",
        ];
        expected.extend_from_slice(spec_fields(t));
        let mut keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut sorted = expected.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "type {}", char::from(t));
        // And in wire order on the line itself.
        let positions: Vec<usize> = expected
            .iter()
            .map(|k| raw.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(positions.is_sorted(), "type {}: {raw}", char::from(t));
        assert_eq!(line["type"], char::from(t).to_string());
        assert_eq!(
            (
                line["stock_locate"].as_u64(),
                line["tracking_number"].as_u64()
            ),
            (Some(u16_42), Some(u16_42))
        );
        assert_eq!(line["timestamp_ns"], ts_42);
        if let Some(stock) = line.get("stock") {
            assert_eq!(stock, "BBBBBBBB");
        }
    }
    let price_raw = u64::from(u32::from_be_bytes([0x42; 4]));
    let add = &lines[MESSAGE_TYPES.iter().position(|&t| t == b'A').unwrap()];
    assert_eq!(
        (&add["price"], &add["price_raw"]),
        (&json!("111163.8594"), &json!(price_raw))
    );
    assert_eq!(
        (&add["buy_sell_indicator"], &add["shares"]),
        (&json!("B"), &json!(price_raw))
    );
    let level_raw = u64::from_be_bytes([0x42; 8]);
    let v = &lines[MESSAGE_TYPES.iter().position(|&t| t == b'V').unwrap()];
    assert_eq!(v["level_1_raw"], level_raw);
    assert_eq!(
        v["level_1"],
        format!("{}.{:08}", level_raw / 100_000_000, level_raw % 100_000_000)
    );
    let h = &lines[MESSAGE_TYPES.iter().position(|&t| t == b'H').unwrap()];
    assert_eq!(
        (&h["reserved"], &h["reason"]),
        (&json!("B"), &json!("BBBB"))
    );
}

#[test]
fn damaged_day_file_counts_and_reports_skips_with_offsets() {
    let mut bytes = Vec::new();
    generate_day(
        &DayConfig {
            seed: 3,
            instruments: 5,
            messages: 2_000,
        },
        &mut bytes,
    )
    .unwrap();
    let offsets = frame_offsets(&bytes);
    let first_add = *offsets.iter().find(|&&o| bytes[o + 2] == b'A').unwrap();
    bytes[first_add + 2 + 19] = b'?'; // Buy/Sell Indicator (offset 19)
    let last = *offsets.last().unwrap();
    bytes.truncate(bytes.len() - 3);
    let file = temp_file(&bytes);

    let run = itch(file.path(), &[]).ok();
    assert_eq!(run.lines().len(), 2_000 - 2);
    let census = run.census();
    assert_eq!(
        (census["total"].as_u64(), census["errors"].as_u64()),
        (Some(1_998), Some(2))
    );
    assert_eq!(
        (
            census["day"]["bad_field"].as_u64(),
            census["day"]["truncated"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let skips = run.skips();
    assert_eq!(skips.len(), 2, "{}", run.stderr);
    assert!(
        skips[0].starts_with("skipped: ITCH_BAD_FIELD type=0x41 char=A field=side value=0x3f"),
        "{}",
        skips[0]
    );
    assert!(
        skips[0].ends_with(&format!(" offset={first_add}")),
        "{}",
        skips[0]
    );
    assert!(
        skips[1].starts_with("skipped: ITCH_TRUNCATED"),
        "{}",
        skips[1]
    );
    assert!(
        skips[1].ends_with(&format!(" offset={last}")),
        "{}",
        skips[1]
    );
}

#[test]
fn garbage_is_an_unknown_format_unless_forced_then_counted() {
    let garbage = b"\x00\x05zzzzz\x00\x00\x01\x02";
    let file = temp_file(garbage);
    let run = itch(file.path(), &[]).no_panic();
    assert_eq!(run.status, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .starts_with("feed-inspect: error: INSPECT_UNKNOWN_FORMAT path=")
            && run.stderr.contains("first_bytes=00057a7a7a7a7a00"),
        "{}",
        run.stderr
    );

    // Forced: the first frame (explicit length, unknown type) is skipped whole; the second has
    // a zero prefix and an unknown type, so the framing is lost and the rest is unread.
    let run = itch(file.path(), &["--format", "day"]).ok();
    assert!(run.stdout.is_empty());
    let census = run.census();
    assert_eq!(
        (census["total"].as_u64(), census["errors"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(
        (
            census["day"]["unknown_type"].as_u64(),
            census["day"]["bytes_unframed"].as_u64()
        ),
        (Some(2), Some(4))
    );
    let skips = run.skips();
    assert_eq!(skips.len(), 2);
    assert!(
        skips[0].starts_with("skipped: ITCH_UNKNOWN_TYPE type=0x7a")
            && skips[0].ends_with("offset=0")
    );
    assert!(
        skips[1].starts_with("skipped: ITCH_UNKNOWN_TYPE type=0x01")
            && skips[1].ends_with("offset=7")
    );
}

#[test]
fn skip_reports_are_capped_but_all_counted() {
    let bytes: Vec<u8> = std::iter::repeat_n([0u8, 3, b'z', 0, 0], 10)
        .flatten()
        .collect();
    let file = temp_file(&bytes);
    let run = itch(file.path(), &["--format", "day", "--max-skip-reports", "2"]).ok();
    assert_eq!(run.census()["errors"], 10);
    let skips = run.skips();
    assert_eq!(skips.len(), 3);
    assert!(skips[2].contains("not shown"), "{}", skips[2]);
}

#[test]
fn unreadable_and_mismatched_files_fail_clearly() {
    let empty = temp_file(b"");
    let run = itch(empty.path(), &[]).no_panic();
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("INSPECT_UNKNOWN_FORMAT") && run.stderr.contains("first_bytes=empty"),
        "{}",
        run.stderr
    );
    // An empty day file, when asked for, is read: nothing in it.
    let run = itch(empty.path(), &["--format", "day"]).ok();
    assert_eq!(run.census()["total"], 0);

    let missing = Path::new("/nonexistent/feed-inspect-test.itch");
    let run = itch(missing, &[]).no_panic();
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.starts_with(
            "feed-inspect: error: INSPECT_OPEN path=/nonexistent/feed-inspect-test.itch"
        ),
        "{}",
        run.stderr
    );

    let mut day = Vec::new();
    generate_day(
        &DayConfig {
            seed: 1,
            instruments: 2,
            messages: 20,
        },
        &mut day,
    )
    .unwrap();
    let file = temp_file(&day);
    let run = itch(file.path(), &["--format", "pcap"]).no_panic();
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("INSPECT_CAPTURE") && run.stderr.contains("CAPTURE_FORMAT_UNKNOWN"),
        "{}",
        run.stderr
    );

    let run = common::run(&["itch", "x", "--format", "xml"]).no_panic();
    assert_eq!(run.status, 2, "usage errors exit 2");
}

#[test]
fn random_bytes_and_bit_flips_never_panic() {
    // SplitMix64, so failures reproduce from the seed.
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut day = Vec::new();
    generate_day(
        &DayConfig {
            seed: 9,
            instruments: 3,
            messages: 300,
        },
        &mut day,
    )
    .unwrap();
    for round in 0..12 {
        let mut bytes = day.clone();
        for _ in 0..(1 + round * 3) {
            let i = (next() % bytes.len() as u64) as usize;
            bytes[i] = next() as u8;
        }
        let file = temp_file(&bytes);
        let run = itch(file.path(), &["--format", "day"]).ok();
        let census = run.census();
        assert_eq!(census["errors"], run.skips().len() as u64);
        let random: Vec<u8> = (0..(next() % 400)).map(|_| next() as u8).collect();
        let file = temp_file(&random);
        for format in ["auto", "day", "pcap"] {
            let run = itch(file.path(), &["--format", format]).no_panic();
            assert!(
                run.status == 0 || run.status == 1,
                "round {round} {format}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn damaged_pcap_counts_bad_packets_and_messages() {
    let shared = require_shared!("damaged_pcap_counts_bad_packets_and_messages");
    let path = pcap(&shared, "20230822__OrderDelete.pcap");
    let mut bytes = std::fs::read(&path).unwrap();
    let capture = read_capture(&path).unwrap();
    let find = |bytes: &[u8], payload: &[u8]| {
        bytes
            .windows(payload.len())
            .position(|w| w == payload)
            .unwrap()
    };
    // Packet 0: its one message's type byte becomes 'z' (unknown). Packet 1: its Message Count
    // becomes 2 while it carries one block (MoldUDP64 truncated block).
    let p0 = find(&bytes, &capture.packets[0].payload);
    bytes[p0 + 20 + 2] = b'z';
    let p1 = find(&bytes, &capture.packets[1].payload);
    bytes[p1 + 18..p1 + 20].copy_from_slice(&2u16.to_be_bytes());
    let file = temp_file(&bytes);

    let run = itch(file.path(), &[]).ok();
    assert_eq!(run.lines().len(), 3);
    let census = run.census();
    assert_eq!(census["counts"], json!({"D": 3}));
    assert_eq!(census["errors"], 2);
    assert_eq!(
        (
            census["pcap"]["bad_messages"].as_u64(),
            census["pcap"]["bad_packets"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let skips = run.skips();
    assert_eq!(skips.len(), 2, "{}", run.stderr);
    assert!(
        skips[0].starts_with("skipped: ITCH_UNKNOWN_TYPE type=0x7a char=z packet=0 sequence="),
        "{}",
        skips[0]
    );
    assert!(skips[0].ends_with("payload_offset=22"), "{}", skips[0]);
    assert!(
        skips[1].starts_with("skipped: MOLD_TRUNCATED_BLOCK index=1")
            && skips[1].ends_with("packet=1"),
        "{}",
        skips[1]
    );

    // A capture cut inside its last record: the capture reader rejects the file.
    let whole = std::fs::read(&path).unwrap();
    let cut = temp_file(&whole[..whole.len() - 10]);
    let run = itch(cut.path(), &[]).no_panic();
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("INSPECT_CAPTURE") && run.stderr.contains("CAPTURE_PCAP_FILE"),
        "{}",
        run.stderr
    );
}
