//! `journal-inspect` as a real binary over real journals written by `crossbar-journal`: one
//! order's life across a gateway's and the aggregator's journal, dumps, corruption.

use std::path::Path;
use std::process::{Command, Output};

use crossbar_journal::{Direction, Journal, JournalConfig};
use crossbar_model::{GatewayId, InstrumentId, OrderId, Price, Qty, Side, TimeInForce, VenueId};
use crossbar_runtime::CounterSet;
use crossbar_sbe::{
    encode, ExecType, ExecutionReport, Heartbeat, Message, NewChildOrder, OrderStatus, ReplaceOrder,
};

const T0: u64 = 1_709_303_400_000_000_000;

fn id(seq: u64) -> OrderId {
    OrderId::new(GatewayId(0), seq).unwrap()
}

const PARENT: u64 = 7;
const CHILD: u64 = 8;
const REPLACEMENT: u64 = 10;
const OTHER_PARENT: u64 = 20;
const OTHER_CHILD: u64 = 50;

fn new_child(order: u64, parent: u64) -> Message {
    Message::NewChildOrder(NewChildOrder {
        order_id: id(order),
        parent_order_id: id(parent),
        instrument_id: InstrumentId(3),
        venue_id: VenueId(1),
        side: Side::Buy,
        time_in_force: TimeInForce::Day,
        price: Price(1_234_500),
        qty: Qty(100),
        timestamp_ns: T0 + 90,
    })
}

fn replace() -> Message {
    Message::ReplaceOrder(ReplaceOrder {
        order_id: id(REPLACEMENT),
        orig_order_id: id(CHILD),
        instrument_id: InstrumentId(3),
        venue_id: VenueId(1),
        price: Price(1_235_000),
        qty: Qty(100),
        timestamp_ns: T0 + 690,
    })
}

fn exec(order: u64, exec_type: ExecType, status: OrderStatus, last_qty: u32) -> Message {
    Message::ExecutionReport(ExecutionReport {
        order_id: id(order),
        parent_order_id: id(PARENT),
        venue_id: VenueId(1),
        instrument_id: InstrumentId(3),
        exec_type,
        order_status: status,
        side: Side::Buy,
        price: Price(1_235_000),
        last_px: Price(if last_qty > 0 { 1_234_900 } else { 0 }),
        last_qty: Qty(last_qty),
        leaves_qty: Qty(100 - last_qty),
        cum_qty: Qty(last_qty),
        venue_order_ref: 555,
        match_id: u64::from(last_qty),
        timestamp_ns: T0 + 250,
        venue_timestamp_ns: None,
        text: String::new(),
    })
}

/// `(journal timestamp offset ns, direction, source id, message)` appended in order.
type Entry = (u64, Direction, u16, Message);

fn write_journal(dir: &Path, entries: &[Entry]) {
    let config = JournalConfig {
        segment_size_bytes: 64 * 1024,
        pretouch: false,
        ..JournalConfig::in_dir(dir)
    };
    let mut journal = Journal::open(&config, &mut CounterSet::new()).unwrap();
    let mut buf = [0u8; 2048];
    for (offset_ns, direction, source, message) in entries {
        let len = encode(message, &mut buf).unwrap();
        journal
            .append(*direction, *source, T0 + offset_ns, &buf[..len])
            .unwrap();
    }
}

/// aggregator (source ids name the gateway) and gateway-1 (source 0 = aggregator).
fn two_journals(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use Direction::{Inbound as IN, Outbound as OUT};
    let aggregator = root.join("aggregator");
    let gateway = root.join("gateway-1");
    write_journal(
        &aggregator,
        &[
            (100, OUT, 1, new_child(CHILD, PARENT)),
            (150, OUT, 1, new_child(OTHER_CHILD, OTHER_PARENT)),
            (400, IN, 1, exec(CHILD, ExecType::New, OrderStatus::New, 0)),
            (700, OUT, 1, replace()),
            (
                950,
                IN,
                1,
                exec(
                    REPLACEMENT,
                    ExecType::PartialFill,
                    OrderStatus::PartiallyFilled,
                    40,
                ),
            ),
            (
                960,
                IN,
                1,
                Message::Heartbeat(Heartbeat {
                    sender_id: 1,
                    sequence: 3,
                    timestamp_ns: T0 + 960,
                }),
            ),
        ],
    );
    write_journal(
        &gateway,
        &[
            (160, IN, 0, new_child(OTHER_CHILD, OTHER_PARENT)),
            (200, IN, 0, new_child(CHILD, PARENT)),
            (300, OUT, 0, exec(CHILD, ExecType::New, OrderStatus::New, 0)),
            (800, IN, 0, replace()),
            (
                900,
                OUT,
                0,
                exec(
                    REPLACEMENT,
                    ExecType::PartialFill,
                    OrderStatus::PartiallyFilled,
                    40,
                ),
            ),
        ],
    );
    (aggregator, gateway)
}

fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journal-inspect"))
        .args(args)
        .output()
        .expect("run journal-inspect")
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "status {:?} stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn one_orders_life_across_gateway_and_aggregator_journals() {
    let tmp = tempfile::tempdir().unwrap();
    let (aggregator, gateway) = two_journals(tmp.path());
    let lines = stdout_lines(&inspect(&["order", "0-7", s(&gateway), s(&aggregator)]));
    assert_eq!(
        lines[0],
        "JOURNAL            SEQ  TIME_UTC                        DIR    SRC  MESSAGE           FIELDS"
    );
    assert_eq!(
        lines[1],
        "aggregator           1  2024-03-01T14:30:00.000000100Z  OUT      1  NewChildOrder     \
         orderId=0-8 parentOrderId=0-7 instrumentId=3 venueId=1 side=Buy timeInForce=Day \
         price=123.4500 qty=100 timestampNs=1709303400000000090"
    );
    // (journal, seq, message, orderId) in timestamp order across both journals.
    let expected = [
        ("aggregator", 1, "NewChildOrder", "0-8"),
        ("gateway-1", 2, "NewChildOrder", "0-8"),
        ("gateway-1", 3, "ExecutionReport", "0-8"),
        ("aggregator", 3, "ExecutionReport", "0-8"),
        ("aggregator", 4, "ReplaceOrder", "0-10"),
        ("gateway-1", 4, "ReplaceOrder", "0-10"),
        ("gateway-1", 5, "ExecutionReport", "0-10"),
        ("aggregator", 5, "ExecutionReport", "0-10"),
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{lines:#?}");
    for (line, (journal, seq, message, order)) in lines[1..].iter().zip(expected) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (cols[0], cols[1], cols[5]),
            (journal, seq.to_string().as_str(), message),
            "{line}"
        );
        assert_eq!(cols[6], format!("orderId={order}"), "{line}");
        assert!(
            !line.contains("0-50") && !line.contains("0-20"),
            "unrelated order: {line}"
        );
    }
    assert!(lines[7].contains("execType=PartialFill orderStatus=PartiallyFilled"));
    assert!(lines[7].contains("lastPx=123.4900 lastQty=40 leavesQty=60 cumQty=40"));

    // The child's life: the same records (its replacement follows via origOrderId).
    let child = stdout_lines(&inspect(&["order", "0-8", s(&aggregator), s(&gateway)]));
    assert_eq!(child.len(), 9);
    // The replacement's own life: the replace and its reports only.
    let repl = stdout_lines(&inspect(&[
        "order",
        &id(REPLACEMENT).0.to_string(),
        s(&aggregator),
        s(&gateway),
    ]));
    assert_eq!(repl.len(), 5, "{repl:#?}");
    assert!(repl[1..].iter().all(|l| l.contains("orderId=0-10")));

    // Machines: one JSON object per line, raw units.
    let json = stdout_lines(&inspect(&[
        "order",
        "0-7",
        "--json",
        s(&gateway),
        s(&aggregator),
    ]));
    assert_eq!(json.len(), expected.len());
    let first: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!(first["journal"], "aggregator");
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["timestamp_ns"], T0 + 100);
    assert_eq!(first["time_utc"], "2024-03-01T14:30:00.000000100Z");
    assert_eq!(first["direction"], "outbound");
    assert_eq!(first["source_id"], 1);
    assert_eq!(first["message"], "NewChildOrder");
    assert_eq!(first["fields"]["orderId"], id(CHILD).0);
    assert_eq!(first["fields"]["parentOrderId"], id(PARENT).0);
    assert_eq!(first["fields"]["price"], 1_234_500);
    let timestamps: Vec<u64> = json
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp_ns"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "merged by timestamp"
    );
}

#[test]
fn dump_prints_every_record_from_a_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let (aggregator, _) = two_journals(tmp.path());
    let all = stdout_lines(&inspect(&["dump", s(&aggregator)]));
    assert_eq!(all.len(), 7);
    assert!(all[0].starts_with("       SEQ  TIME_UTC"));
    assert!(
        all[6].contains("  IN       1  Heartbeat         senderId=1 sequence=3 timestampNs="),
        "{}",
        all[6]
    );
    let from = stdout_lines(&inspect(&["dump", s(&aggregator), "--from", "4", "--json"]));
    let seqs: Vec<u64> = from
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["sequence"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [4, 5, 6]);
}

#[test]
fn corrupt_journal_exits_non_zero_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let (aggregator, gateway) = two_journals(tmp.path());
    let segment = aggregator.join("00000000000000000001.journal");
    let mut bytes = std::fs::read(&segment).unwrap();
    // Record 2 starts after the segment header (64) and record 1 (32 + 52 bytes, padded to 88).
    bytes[64 + 88 + 40] ^= 0xFF;
    std::fs::write(&segment, &bytes).unwrap();
    for args in [
        vec!["order", "0-7", s(&gateway), s(&aggregator)],
        vec!["dump", s(&aggregator)],
    ] {
        let out = inspect(&args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("journal-inspect: error: JOURNAL_CORRUPT_RECORD")
                && err.contains("sequence=2 offset=152 reason=bad_crc"),
            "{err}"
        );
    }
}

#[test]
fn torn_tail_is_a_warning_and_unknown_order_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (aggregator, gateway) = two_journals(tmp.path());
    let segment = gateway.join("00000000000000000001.journal");
    let mut bytes = std::fs::read(&segment).unwrap();
    // Zero the CRC of the last record: find it by walking the headers.
    let mut offset = 64;
    let mut last_offset = 64;
    while u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) != 0 {
        last_offset = offset;
        let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
        offset += (32 + len).div_ceil(8) * 8;
    }
    bytes[last_offset..last_offset + 4].fill(0);
    std::fs::write(&segment, &bytes).unwrap();
    let out = inspect(&["dump", s(&gateway)]);
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 5, "header + records 1..=4");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("JOURNAL_TORN_TAIL") && err.contains("sequence=5"),
        "{err}"
    );

    let out = inspect(&["order", "9-9", s(&aggregator)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JOURNAL_INSPECT_ORDER_NOT_FOUND order=9-9")
    );
    let out = inspect(&["order", "not-an-id", s(&aggregator)]);
    assert_eq!(out.status.code(), Some(2), "usage error");
}
