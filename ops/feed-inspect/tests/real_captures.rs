//! `feed-inspect itch` over every ITCH 5.0 capture in `shared/venue-data/nasdaq_itch50`, run as
//! the real binary. Expected values were read from the bytes independently (pcap / 802.1Q /
//! IPv4 / UDP / MoldUDP64 / ITCH 5.0 field tables, by a separate script) and agree with the
//! values pinned in `protocol/itch/tests/real_captures.rs`.

mod common;

use common::{itch, pcap, BX_FILE, PCAP_DIR, PREFIX_FILE};
use crossbar_capture::require_shared;
use serde_json::{json, Value};

fn counts(census: &Value) -> Vec<(String, u64)> {
    census["counts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

fn expect_counts(pairs: &[(char, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

#[test]
fn every_itch_pcap_decodes_with_its_census() {
    let shared = require_shared!("every_itch_pcap_decodes_with_its_census");
    // Counted from the bytes with an independent pcap/UDP/MoldUDP64 parser.
    let expected: &[(&str, &[(char, u64)])] = &[
        ("20230822__AddOrderNoMPID.pcap", &[('A', 5)]),
        ("20230822__AddOrderWithMPID.pcap", &[('F', 5)]),
        ("20230822__CrossTrade.pcap", &[('Q', 5)]),
        ("20230822__LULDAuctionCollar.pcap", &[('J', 5)]),
        ("20230822__MarketParticipantPosition.pcap", &[('L', 5)]),
        ("20230822__NetOrderImbalanceIndicator.pcap", &[('I', 5)]),
        ("20230822__NonCrossTrade.pcap", &[('P', 5)]),
        ("20230822__OrderCancel.pcap", &[('X', 5)]),
        ("20230822__OrderDelete.pcap", &[('D', 5)]),
        ("20230822__OrderExecuted.pcap", &[('E', 5)]),
        ("20230822__OrderExecutedWithPrice.pcap", &[('C', 5)]),
        ("20230822__OrderReplace.pcap", &[('U', 5)]),
        ("20230822__RegSHORestriction.pcap", &[('Y', 5)]),
        ("20230822__StockTradingAction.pcap", &[('H', 5)]),
        ("20230822__SystemEvent.pcap", &[('S', 1)]),
        ("v5.0__AddOrderNoMpidAttributionMessage.pcap", &[('A', 1)]),
        ("v5.0__MarketParticipantPositionMessage.pcap", &[('L', 1)]),
        (
            "v5.0__Multiple.Packets.pcap",
            &[('A', 36), ('D', 1), ('F', 2)],
        ),
        ("v5.0__NetOrderImbalanceIndicatorMessage.pcap", &[('I', 1)]),
        ("v5.0__OrderDeleteMessage.pcap", &[('D', 1)]),
        ("v5.0__OrderExecutedMessage.pcap", &[('E', 1)]),
        ("v5.0__OrderReplaceMessage.pcap", &[('U', 1)]),
        ("v5.0__StockTradingActionMessage.pcap", &[('H', 1)]),
    ];
    let files = std::fs::read_dir(shared.join(PCAP_DIR)).unwrap().count();
    assert_eq!(files, expected.len(), "every pcap in the folder is covered");
    let mut all = 0;
    for (suffix, census) in expected {
        let run = itch(&pcap(&shared, suffix), &[]).ok();
        assert!(run.skips().is_empty(), "{suffix}: {}", run.stderr);
        let got = run.census();
        let total: u64 = census.iter().map(|(_, n)| n).sum();
        assert_eq!(counts(&got), expect_counts(census), "{suffix}");
        assert_eq!(got["total"], total, "{suffix}");
        assert_eq!(got["errors"], 0, "{suffix}");
        assert_eq!(got["format"], "pcap", "{suffix}");
        assert_eq!(got["pcap"]["bad_packets"], 0, "{suffix}");
        let lines = run.lines();
        assert_eq!(lines.len() as u64, total, "{suffix}");
        for line in &lines {
            let t = line["type"].as_str().unwrap().chars().next().unwrap();
            assert!(census.iter().any(|(c, _)| *c == t), "{suffix}: {line}");
            for key in [
                "session",
                "sequence",
                "capture_timestamp_ns",
                "timestamp_ns",
            ] {
                assert!(line.get(key).is_some(), "{suffix}: {key} missing in {line}");
            }
        }
        all += total;
    }
    assert_eq!(all, 14 * 5 + 1 + 7 + 1 + 38);
}

#[test]
fn add_order_from_pcap_every_field() {
    let shared = require_shared!("add_order_from_pcap_every_field");
    let run = itch(&pcap(&shared, "20230822__AddOrderNoMPID.pcap"), &[]).ok();
    // Packet 1: pcap record time 1692711000 s + 59,094 ns; Mold session ten NULs, sequence 0;
    // A, locate 5528, tracking 0, ts 34,199,999,894,278 ns, ref 23,508,286, B, 1600 shares,
    // "IVOO    ", price 873,900 (= $87.39).
    assert_eq!(
        run.lines()[0],
        json!({
            "type": "A", "session": "", "sequence": 0,
            "capture_timestamp_ns": 1_692_711_000_000_059_094u64,
            "stock_locate": 5528, "tracking_number": 0, "timestamp_ns": 34_199_999_894_278u64,
            "order_reference_number": 23_508_286, "buy_sell_indicator": "B", "shares": 1600,
            "stock": "IVOO", "price": "87.3900", "price_raw": 873_900
        })
    );
    let run = itch(&pcap(&shared, "20230822__AddOrderWithMPID.pcap"), &[]).ok();
    let f = &run.lines()[0];
    assert_eq!(
        (
            &f["stock_locate"],
            &f["timestamp_ns"],
            &f["order_reference_number"]
        ),
        (
            &json!(1738),
            &json!(34_199_999_977_782u64),
            &json!(18_923_125)
        )
    );
    assert_eq!(
        (&f["buy_sell_indicator"], &f["shares"], &f["stock"]),
        (&json!("S"), &json!(100), &json!("CASY"))
    );
    assert_eq!(
        (&f["price"], &f["price_raw"], &f["attribution"]),
        (&json!("255.5200"), &json!(2_555_200), &json!("FLTU"))
    );
}

#[test]
fn administrative_trade_and_auction_messages_from_pcaps() {
    let shared = require_shared!("administrative_trade_and_auction_messages_from_pcaps");
    let first = |suffix: &str| itch(&pcap(&shared, suffix), &[]).ok().lines()[0].clone();

    let h = first("20230822__StockTradingAction.pcap");
    assert_eq!(
        (&h["stock_locate"], &h["stock"], &h["trading_state"]),
        (&json!(11325), &json!("ZXZZT"), &json!("P"))
    );
    assert_eq!((&h["reserved"], &h["reason"]), (&json!(""), &json!("LUDP")));

    let j = first("20230822__LULDAuctionCollar.pcap");
    assert_eq!(j["timestamp_ns"], 34_215_592_415_125u64);
    assert_eq!(
        (
            &j["auction_collar_reference_price"],
            &j["upper_auction_collar_price"],
            &j["lower_auction_collar_price_raw"],
            &j["auction_collar_extension"]
        ),
        (
            &json!("13.3400"),
            &json!("14.0100"),
            &json!(109_200),
            &json!(0)
        )
    );

    let i = first("v5.0__NetOrderImbalanceIndicatorMessage.pcap");
    assert_eq!(
        (
            &i["paired_shares"],
            &i["imbalance_shares"],
            &i["imbalance_direction"]
        ),
        (&json!(1), &json!(0), &json!("N"))
    );
    assert_eq!(
        (&i["stock"], &i["far_price"], &i["near_price_raw"]),
        (&json!("MDC"), &json!("46.4400"), &json!(464_400))
    );
    assert_eq!(
        (&i["cross_type"], &i["price_variation_indicator"]),
        (&json!("O"), &json!("L"))
    );

    let q = first("20230822__CrossTrade.pcap");
    assert_eq!(
        (
            &q["shares"],
            &q["stock"],
            &q["cross_price"],
            &q["match_number"]
        ),
        (
            &json!(0),
            &json!("BAC-Q"),
            &json!("0.0000"),
            &json!(255_550)
        )
    );
    assert_eq!(q["cross_type"], "O");

    let c = first("20230822__OrderExecutedWithPrice.pcap");
    assert_eq!(
        (
            &c["executed_shares"],
            &c["printable"],
            &c["execution_price"]
        ),
        (&json!(4926), &json!("N"), &json!("22.4800"))
    );

    let l = first("20230822__MarketParticipantPosition.pcap");
    assert_eq!(
        (&l["mpid"], &l["stock"], &l["primary_market_maker"]),
        (&json!("MAXM"), &json!("FDLS"), &json!("Y"))
    );

    let s = first("20230822__SystemEvent.pcap");
    assert_eq!(
        (&s["stock_locate"], &s["timestamp_ns"], &s["event_code"]),
        (&json!(0), &json!(34_200_000_070_384u64), &json!("Q"))
    );
}

#[test]
fn multiple_packets_sequences_and_session() {
    let shared = require_shared!("multiple_packets_sequences_and_session");
    let run = itch(&pcap(&shared, "v5.0__Multiple.Packets.pcap"), &[]).ok();
    let lines = run.lines();
    assert_eq!(lines.len(), 39);
    assert_eq!(
        (
            &lines[0]["type"],
            &lines[0]["sequence"],
            &lines[0]["session"]
        ),
        (&json!("D"), &json!(14_764_496), &json!("000010059B"))
    );
    for (line, sequence) in lines[1..].iter().zip(19_009_117u64..) {
        assert_eq!(line["sequence"], sequence);
        assert_eq!(line["capture_timestamp_ns"], 1_692_711_038_952_561_782u64);
    }
    assert_eq!(
        (
            &lines[2]["order_reference_number"],
            &lines[2]["buy_sell_indicator"]
        ),
        (&json!(7_028_607), &json!("S"))
    );
    assert_eq!(
        (&lines[2]["shares"], &lines[2]["price"]),
        (&json!(100), &json!("357.3300"))
    );
    let census = run.census();
    assert_eq!(census["pcap"]["udp_packets"], 2);
    assert_eq!(census["pcap"]["data_packets"], 2);
}

#[test]
fn real_day_prefix_1000_messages() {
    let shared = require_shared!("real_day_prefix_1000_messages");
    let run = itch(&shared.join(PREFIX_FILE), &[]).ok();
    let census = run.census();
    assert_eq!(
        counts(&census),
        expect_counts(&[('H', 3), ('R', 993), ('S', 1), ('Y', 3)])
    );
    assert_eq!(
        (census["total"].as_u64(), census["errors"].as_u64()),
        (Some(1000), Some(0))
    );
    assert_eq!(census["format"], "day");
    assert_eq!(census["day"]["bytes"], 40_874);
    let lines = run.lines();
    assert_eq!(lines.len(), 1000);
    assert_eq!(
        lines[0],
        json!({"type": "S", "offset": 0, "stock_locate": 0, "tracking_number": 0,
               "timestamp_ns": 11_072_057_543_747u64, "event_code": "O"})
    );
    // The second frame starts after the first: 2-byte prefix + 12-byte System Event.
    assert_eq!(
        lines[1],
        json!({
            "type": "R", "offset": 14, "stock_locate": 1, "tracking_number": 0,
            "timestamp_ns": 11_354_325_413_976u64, "stock": "A", "market_category": "N",
            "financial_status_indicator": "", "round_lot_size": 100, "round_lots_only": "N",
            "issue_classification": "C", "issue_sub_type": "Z", "authenticity": "P",
            "short_sale_threshold_indicator": "N", "ipo_flag": "",
            "luld_reference_price_tier": "1", "etp_flag": "N", "etp_leverage_factor": 0,
            "inverse_indicator": "N"
        })
    );
    assert_eq!(
        (&lines[2]["stock"], &lines[2]["etp_leverage_factor"]),
        (&json!("AA"), &json!(1))
    );
    assert_eq!(
        (
            &lines[81]["type"],
            &lines[81]["stock"],
            &lines[81]["trading_state"]
        ),
        (&json!("H"), &json!("A"), &json!("T"))
    );
    assert_eq!(
        (
            &lines[583]["type"],
            &lines[583]["stock"],
            &lines[583]["reg_sho_action"]
        ),
        (&json!("Y"), &json!("AAAU"), &json!("0"))
    );
    assert_eq!(
        (
            &lines[999]["stock_locate"],
            &lines[999]["stock"],
            &lines[999]["market_category"]
        ),
        (&json!(993), &json!("BPFH"), &json!("Q"))
    );
}

#[test]
fn semisynthetic_bx_file_with_zero_length_prefixes() {
    let shared = require_shared!("semisynthetic_bx_file_with_zero_length_prefixes");
    let run = itch(&shared.join(BX_FILE), &[]).ok();
    let census = run.census();
    assert_eq!(
        counts(&census),
        expect_counts(&[
            ('A', 4997),
            ('D', 1745),
            ('E', 198),
            ('F', 3),
            ('H', 3),
            ('P', 5000),
            ('R', 3),
            ('S', 6),
            ('U', 12),
            ('X', 45)
        ])
    );
    assert_eq!(
        (census["total"].as_u64(), census["errors"].as_u64()),
        (Some(12_012), Some(0))
    );
    assert_eq!(census["day"]["zero_prefix_frames"], 12_012);
    assert_eq!(census["day"]["bytes"], 465_048);
    let lines = run.lines();
    assert_eq!(lines.len(), 12_012);
    // Frame 32 at byte 1077 (read from the bytes): P, locate 2, tracking 2, ts 34,210,128,591,201,
    // ref 0, B, 200 shares, "BOB", price 53,333 ($5.3333), match 19,447.
    assert_eq!(
        lines[32],
        json!({
            "type": "P", "offset": 1077, "stock_locate": 2, "tracking_number": 2,
            "timestamp_ns": 34_210_128_591_201u64, "order_reference_number": 0,
            "buy_sell_indicator": "B", "shares": 200, "stock": "BOB", "price": "5.3333",
            "price_raw": 53_333, "match_number": 19_447
        })
    );
    assert_eq!(
        (&lines[8]["type"], &lines[8]["price"], &lines[8]["stock"]),
        (&json!("A"), &json!("5.3167"), &json!("BOB"))
    );
    assert_eq!(
        (
            &lines[10]["attribution"],
            &lines[10]["order_reference_number"]
        ),
        (&json!("VIRT"), &json!(84_836))
    );
    assert_eq!(
        (
            &lines[334]["original_order_reference_number"],
            &lines[334]["new_order_reference_number"],
            &lines[334]["price"]
        ),
        (&json!(3_735_040), &json!(3_831_915), &json!("5.5917"))
    );
    assert_eq!(
        (&lines[12_011]["event_code"], &lines[12_011]["timestamp_ns"]),
        (&json!("C"), &json!(68_698_845_099_321u64))
    );
}

#[test]
fn census_only_and_limit_on_real_files() {
    let shared = require_shared!("census_only_and_limit_on_real_files");
    let run = itch(&shared.join(BX_FILE), &["--census-only"]).ok();
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["census"]["total"], 12_012);

    let run = itch(&shared.join(BX_FILE), &["--limit", "5"]).ok();
    assert_eq!(run.lines().len(), 5);
    let census = run.census();
    assert_eq!(
        (census["total"].as_u64(), census["limit_reached"].as_bool()),
        (Some(5), Some(true))
    );

    let run = itch(
        &pcap(&shared, "v5.0__Multiple.Packets.pcap"),
        &["--limit", "3", "--format", "pcap"],
    )
    .ok();
    let lines = run.lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["sequence"], 19_009_118);
    assert_eq!(run.census()["limit_reached"], true);
}
