//! Decodes every real ITCH 5.0 capture in `shared/venue-data/nasdaq_itch50` and checks
//! field values and per-type counts established independently from the bytes (hex dumps read
//! against the ITCH 5.0 and MoldUDP64 field tables), not from this decoder's output.

use std::path::{Path, PathBuf};

use crossbar_capture::{read_capture, require_shared};
use crossbar_itch::{
    decode, message_length, Census, DayFileIter, DayFileReader, ItchMessage, Stock,
};
use crossbar_model::{Price, Qty, Side};
use crossbar_moldudp64::{Packet, PacketKind};

const PCAP_DIR: &str = "venue-data/nasdaq_itch50/omi_moldudp64_pcaps";
const PREFIX_FILE: &str =
    "venue-data/nasdaq_itch50/real_day_prefix_1000msgs__B-Bekele_ITCH-Parser_sample.itch";
const BX_FILE: &str =
    "venue-data/nasdaq_itch50/semisynthetic_obfuscated_BX_12012msgs__RITCH_ex20101224.TEST_ITCH_50";

/// One decoded message from a pcap: capture time, Mold sequence number, the message.
struct PcapMessage {
    capture_ns: u64,
    sequence: u64,
    message: ItchMessage,
}

/// Every ITCH message of every MoldUDP64 packet in `path`, asserting that all decode.
fn pcap_messages(path: &Path) -> Vec<PcapMessage> {
    let capture = read_capture(path).unwrap();
    assert_eq!(capture.skipped, 0, "{}", path.display());
    let mut out = Vec::new();
    for packet in capture.udp() {
        let mold = Packet::parse(&packet.payload).unwrap();
        assert_eq!(mold.kind(), PacketKind::Messages);
        for (sequence, bytes) in mold.messages() {
            assert_eq!(
                message_length(bytes[0]),
                Some(bytes.len()),
                "{}",
                path.display()
            );
            let message = decode(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push(PcapMessage {
                capture_ns: packet.timestamp_ns,
                sequence,
                message,
            });
        }
    }
    out
}

fn pcap(shared: &Path, suffix: &str) -> PathBuf {
    let dir = shared.join(PCAP_DIR);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{suffix}");
    found.pop().unwrap()
}

fn first(shared: &Path, suffix: &str) -> PcapMessage {
    pcap_messages(&pcap(shared, suffix))
        .into_iter()
        .next()
        .unwrap()
}

fn stock(s: &str) -> Stock {
    Stock::from_symbol(s).unwrap()
}

#[test]
fn every_itch_pcap_decodes_with_its_census() {
    let shared = require_shared!("every_itch_pcap_decodes_with_its_census");
    // (file name suffix, message type, messages): counted from the bytes with an
    // independent parser of the pcap/Ethernet/IPv4/UDP/MoldUDP64 layers.
    let expected: &[(&str, &[(u8, u64)])] = &[
        ("20230822__AddOrderNoMPID.pcap", &[(b'A', 5)]),
        ("20230822__AddOrderWithMPID.pcap", &[(b'F', 5)]),
        ("20230822__CrossTrade.pcap", &[(b'Q', 5)]),
        ("20230822__LULDAuctionCollar.pcap", &[(b'J', 5)]),
        ("20230822__MarketParticipantPosition.pcap", &[(b'L', 5)]),
        ("20230822__NetOrderImbalanceIndicator.pcap", &[(b'I', 5)]),
        ("20230822__NonCrossTrade.pcap", &[(b'P', 5)]),
        ("20230822__OrderCancel.pcap", &[(b'X', 5)]),
        ("20230822__OrderDelete.pcap", &[(b'D', 5)]),
        ("20230822__OrderExecuted.pcap", &[(b'E', 5)]),
        ("20230822__OrderExecutedWithPrice.pcap", &[(b'C', 5)]),
        ("20230822__OrderReplace.pcap", &[(b'U', 5)]),
        ("20230822__RegSHORestriction.pcap", &[(b'Y', 5)]),
        ("20230822__StockTradingAction.pcap", &[(b'H', 5)]),
        ("20230822__SystemEvent.pcap", &[(b'S', 1)]),
        ("v5.0__AddOrderNoMpidAttributionMessage.pcap", &[(b'A', 1)]),
        ("v5.0__MarketParticipantPositionMessage.pcap", &[(b'L', 1)]),
        // The venue-data README says 37 messages; the packets' counts and blocks say 1 + 38.
        (
            "v5.0__Multiple.Packets.pcap",
            &[(b'A', 36), (b'D', 1), (b'F', 2)],
        ),
        ("v5.0__NetOrderImbalanceIndicatorMessage.pcap", &[(b'I', 1)]),
        ("v5.0__OrderDeleteMessage.pcap", &[(b'D', 1)]),
        ("v5.0__OrderExecutedMessage.pcap", &[(b'E', 1)]),
        ("v5.0__OrderReplaceMessage.pcap", &[(b'U', 1)]),
        ("v5.0__StockTradingActionMessage.pcap", &[(b'H', 1)]),
    ];
    let files = std::fs::read_dir(shared.join(PCAP_DIR)).unwrap().count();
    assert_eq!(files, expected.len(), "every pcap in the folder is covered");
    for (suffix, census) in expected {
        let mut got = Census::new();
        for m in pcap_messages(&pcap(&shared, suffix)) {
            got.add(&m.message);
        }
        assert_eq!(got.nonzero(), census.to_vec(), "{suffix}");
    }
}

#[test]
fn add_orders_from_pcaps() {
    let shared = require_shared!("add_orders_from_pcaps");
    let m = first(&shared, "20230822__AddOrderNoMPID.pcap");
    assert_eq!(m.capture_ns, 1_692_711_000_000_059_094);
    let ItchMessage::AddOrder(a) = m.message else {
        panic!("{:?}", m.message)
    };
    assert_eq!((a.header.stock_locate, a.header.tracking_number), (5528, 0));
    assert_eq!(a.header.timestamp_ns, 34_199_999_894_278);
    assert_eq!(a.order_reference_number, 23_508_286);
    assert_eq!(
        (a.side, a.shares, a.stock, a.price),
        (Side::Buy, Qty(1600), stock("IVOO"), Price(873_900))
    );

    let m = first(&shared, "20230822__AddOrderWithMPID.pcap");
    let ItchMessage::AddOrderMpid(f) = m.message else {
        panic!("{:?}", m.message)
    };
    assert_eq!(
        (f.header.stock_locate, f.header.timestamp_ns),
        (1738, 34_199_999_977_782)
    );
    assert_eq!(
        (f.order_reference_number, f.side, f.shares),
        (18_923_125, Side::Sell, Qty(100))
    );
    assert_eq!(
        (f.stock, f.price, f.attribution.trimmed()),
        (stock("CASY"), Price(2_555_200), &b"FLTU"[..])
    );
}

#[test]
fn order_lifecycle_messages_from_pcaps() {
    let shared = require_shared!("order_lifecycle_messages_from_pcaps");
    let ItchMessage::OrderExecuted(e) = first(&shared, "20230822__OrderExecuted.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (
            e.header.stock_locate,
            e.header.tracking_number,
            e.header.timestamp_ns
        ),
        (2345, 2, 34_199_999_934_561)
    );
    assert_eq!(
        (e.order_reference_number, e.executed_shares, e.match_number),
        (23_499_418, Qty(25), 255_547)
    );

    let ItchMessage::OrderExecutedWithPrice(c) =
        first(&shared, "20230822__OrderExecutedWithPrice.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (
            c.header.stock_locate,
            c.order_reference_number,
            c.executed_shares
        ),
        (5092, 19_993_566, Qty(4926))
    );
    assert_eq!(
        (c.match_number, c.printable, c.execution_price),
        (255_581, b'N', Price(224_800))
    );

    let ItchMessage::OrderCancel(x) = first(&shared, "20230822__OrderCancel.pcap").message else {
        panic!()
    };
    assert_eq!(
        (
            x.header.stock_locate,
            x.order_reference_number,
            x.cancelled_shares
        ),
        (9413, 33_823_232, Qty(100))
    );

    let ItchMessage::OrderDelete(d) = first(&shared, "20230822__OrderDelete.pcap").message else {
        panic!()
    };
    assert_eq!(
        (
            d.header.stock_locate,
            d.header.timestamp_ns,
            d.order_reference_number
        ),
        (3353, 34_199_999_889_645, 23_442_714)
    );

    let ItchMessage::OrderReplace(u) = first(&shared, "20230822__OrderReplace.pcap").message else {
        panic!()
    };
    assert_eq!(
        (u.header.stock_locate, u.original_order_reference_number),
        (7603, 15_108_479)
    );
    assert_eq!(
        (u.new_order_reference_number, u.shares, u.price),
        (21_361_351, Qty(100), Price(1_062_600))
    );
}

#[test]
fn trades_and_auction_messages_from_pcaps() {
    let shared = require_shared!("trades_and_auction_messages_from_pcaps");
    let ItchMessage::Trade(p) = first(&shared, "20230822__NonCrossTrade.pcap").message else {
        panic!()
    };
    assert_eq!(
        (
            p.header.stock_locate,
            p.header.tracking_number,
            p.order_reference_number
        ),
        (4499, 2, 0)
    );
    assert_eq!(
        (p.side, p.shares, p.stock, p.price, p.match_number),
        (
            Side::Buy,
            Qty(100),
            stock("GOOGL"),
            Price(1_284_600),
            255_554
        )
    );

    let ItchMessage::CrossTrade(q) = first(&shared, "20230822__CrossTrade.pcap").message else {
        panic!()
    };
    assert_eq!(
        (q.header.stock_locate, q.shares, q.stock, q.cross_price),
        (983, 0, stock("BAC-Q"), Price(0))
    );
    assert_eq!((q.match_number, q.cross_type), (255_550, b'O'));

    let ItchMessage::Noii(i) =
        first(&shared, "v5.0__NetOrderImbalanceIndicatorMessage.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (
            i.header.stock_locate,
            i.paired_shares,
            i.imbalance_shares,
            i.imbalance_direction
        ),
        (6462, 1, 0, b'N')
    );
    assert_eq!(
        (
            i.stock,
            i.far_price,
            i.near_price,
            i.current_reference_price
        ),
        (stock("MDC"), Price(464_400), Price(464_400), Price(464_400))
    );
    assert_eq!((i.cross_type, i.price_variation_indicator), (b'O', b'L'));

    let ItchMessage::LuldAuctionCollar(j) =
        first(&shared, "20230822__LULDAuctionCollar.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (j.header.stock_locate, j.header.timestamp_ns, j.stock),
        (11325, 34_215_592_415_125, stock("ZXZZT"))
    );
    assert_eq!(
        (
            j.auction_collar_reference_price,
            j.upper_auction_collar_price,
            j.lower_auction_collar_price,
            j.auction_collar_extension
        ),
        (Price(133_400), Price(140_100), Price(109_200), 0)
    );
}

#[test]
fn administrative_messages_from_pcaps() {
    let shared = require_shared!("administrative_messages_from_pcaps");
    let ItchMessage::SystemEvent(s) = first(&shared, "20230822__SystemEvent.pcap").message else {
        panic!()
    };
    assert_eq!(
        (s.header.stock_locate, s.header.timestamp_ns, s.event_code),
        (0, 34_200_000_070_384, b'Q')
    );

    let ItchMessage::StockTradingAction(h) =
        first(&shared, "20230822__StockTradingAction.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (
            h.header.stock_locate,
            h.stock,
            h.trading_state,
            h.reserved,
            &h.reason
        ),
        (11325, stock("ZXZZT"), b'P', b' ', b"LUDP")
    );

    let ItchMessage::RegShoRestriction(y) =
        first(&shared, "20230822__RegSHORestriction.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (y.header.stock_locate, y.stock, y.reg_sho_action),
        (9405, stock("SOPA"), b'1')
    );

    let ItchMessage::MarketParticipantPosition(l) =
        first(&shared, "20230822__MarketParticipantPosition.pcap").message
    else {
        panic!()
    };
    assert_eq!(
        (l.header.stock_locate, l.mpid.trimmed(), l.stock),
        (3648, &b"MAXM"[..], stock("FDLS"))
    );
    assert_eq!(
        (
            l.primary_market_maker,
            l.market_maker_mode,
            l.market_participant_state
        ),
        (b'Y', b'N', b'A')
    );
}

#[test]
fn multi_message_mold_packet_and_capture_metadata() {
    let shared = require_shared!("multi_message_mold_packet_and_capture_metadata");
    let path = pcap(&shared, "v5.0__Multiple.Packets.pcap");
    let capture = read_capture(&path).unwrap();
    assert_eq!(capture.packets.len(), 2);
    let big = &capture.packets[1];
    assert_eq!(big.src.to_string(), "206.200.127.138:49653");
    assert_eq!(big.dst.to_string(), "233.54.12.111:26477");
    assert_eq!(big.timestamp_ns, 1_692_711_038_952_561_782);
    assert_eq!(big.payload.len(), 1472);
    let mold = Packet::parse(&big.payload).unwrap();
    assert_eq!(mold.header.session.as_str(), Some("000010059B"));
    assert_eq!(
        (mold.header.sequence_number, mold.header.message_count),
        (19_009_117, 38)
    );

    let messages = pcap_messages(&path);
    assert_eq!(messages.len(), 39);
    assert_eq!(messages[0].sequence, 14_764_496);
    assert!(messages[1..]
        .iter()
        .zip(19_009_117u64..)
        .all(|(m, s)| m.sequence == s));
    let ItchMessage::AddOrder(a) = messages[1].message else {
        panic!()
    };
    assert_eq!(
        (
            a.header.stock_locate,
            a.header.timestamp_ns,
            a.order_reference_number
        ),
        (6514, 34_238_952_381_153, 7_942_047)
    );
    assert_eq!(
        (a.side, a.shares, a.stock, a.price),
        (Side::Buy, Qty(1), stock("META"), Price(805_200))
    );
    let ItchMessage::AddOrder(a) = messages[2].message else {
        panic!()
    };
    assert_eq!(
        (a.order_reference_number, a.side, a.shares, a.price),
        (7_028_607, Side::Sell, Qty(100), Price(3_573_300))
    );
}

#[test]
fn real_day_prefix_1000_messages() {
    let shared = require_shared!("real_day_prefix_1000_messages");
    let bytes = std::fs::read(shared.join(PREFIX_FILE)).unwrap();
    let mut iter = DayFileIter::new(&bytes);
    let messages: Vec<ItchMessage> = iter.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(iter.stats().errors(), 0);
    assert_eq!(iter.stats().zero_prefix_frames, 0);
    let mut census = Census::new();
    messages.iter().for_each(|m| census.add(m));
    assert_eq!(
        census.nonzero(),
        vec![(b'H', 3), (b'R', 993), (b'S', 1), (b'Y', 3)]
    );
    assert_eq!(census.total(), 1000);

    let ItchMessage::SystemEvent(s) = messages[0] else {
        panic!()
    };
    assert_eq!(
        (s.header.timestamp_ns, s.event_code),
        (11_072_057_543_747, b'O')
    );
    let ItchMessage::StockDirectory(r) = messages[1] else {
        panic!()
    };
    assert_eq!(
        (r.header.stock_locate, r.header.timestamp_ns, r.stock),
        (1, 11_354_325_413_976, stock("A"))
    );
    assert_eq!(
        (
            r.market_category,
            r.financial_status_indicator,
            r.round_lot_size,
            r.round_lots_only
        ),
        (b'N', b' ', 100, b'N')
    );
    assert_eq!(
        (r.issue_classification, &r.issue_sub_type, r.authenticity),
        (b'C', b"Z ", b'P')
    );
    assert_eq!(
        (
            r.short_sale_threshold_indicator,
            r.ipo_flag,
            r.luld_reference_price_tier
        ),
        (b'N', b' ', b'1')
    );
    assert_eq!(
        (r.etp_flag, r.etp_leverage_factor, r.inverse_indicator),
        (b'N', 0, b'N')
    );
    let ItchMessage::StockDirectory(r) = messages[2] else {
        panic!()
    };
    assert_eq!((r.stock, r.etp_leverage_factor), (stock("AA"), 1));
    let ItchMessage::StockDirectory(r) = messages[999] else {
        panic!()
    };
    assert_eq!(
        (
            r.header.stock_locate,
            r.header.timestamp_ns,
            r.stock,
            r.market_category
        ),
        (993, 11_354_360_581_176, stock("BPFH"), b'Q')
    );
    let ItchMessage::StockTradingAction(h) = messages[81] else {
        panic!()
    };
    assert_eq!(
        (
            h.header.stock_locate,
            h.header.timestamp_ns,
            h.stock,
            h.trading_state
        ),
        (1, 11_354_328_694_637, stock("A"), b'T')
    );
    let ItchMessage::RegShoRestriction(y) = messages[583] else {
        panic!()
    };
    assert_eq!(
        (y.header.stock_locate, y.stock, y.reg_sho_action),
        (3, stock("AAAU"), b'0')
    );

    // The streaming reader yields the same messages from a file.
    let file = std::fs::File::open(shared.join(PREFIX_FILE)).unwrap();
    let streamed: Vec<ItchMessage> = DayFileReader::new(file).map(|r| r.unwrap()).collect();
    assert_eq!(streamed, messages);
}

#[test]
fn semisynthetic_bx_file_with_zero_length_prefixes() {
    let shared = require_shared!("semisynthetic_bx_file_with_zero_length_prefixes");
    let bytes = std::fs::read(shared.join(BX_FILE)).unwrap();
    let mut iter = DayFileIter::new(&bytes);
    let messages: Vec<ItchMessage> = iter.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(messages.len(), 12_012);
    assert_eq!(iter.stats().zero_prefix_frames, 12_012);
    assert_eq!(
        (iter.stats().errors(), iter.stats().bytes),
        (0, bytes.len() as u64)
    );
    let mut census = Census::new();
    messages.iter().for_each(|m| census.add(m));
    assert_eq!(
        census.nonzero(),
        vec![
            (b'A', 4997),
            (b'D', 1745),
            (b'E', 198),
            (b'F', 3),
            (b'H', 3),
            (b'P', 5000),
            (b'R', 3),
            (b'S', 6),
            (b'U', 12),
            (b'X', 45)
        ]
    );
    assert_eq!(census.total(), 12_012);

    let ItchMessage::AddOrder(a) = messages[8] else {
        panic!()
    };
    assert_eq!(
        (
            a.header.stock_locate,
            a.header.timestamp_ns,
            a.order_reference_number
        ),
        (2, 31_139_052_372_053, 0)
    );
    assert_eq!(
        (a.side, a.shares, a.stock, a.price),
        (Side::Buy, Qty(1000), stock("BOB"), Price(53_167))
    );
    let ItchMessage::AddOrderMpid(f) = messages[10] else {
        panic!()
    };
    assert_eq!(
        (
            f.order_reference_number,
            f.shares,
            f.price,
            f.attribution.trimmed()
        ),
        (84_836, Qty(100), Price(52_917), &b"VIRT"[..])
    );
    let ItchMessage::OrderExecuted(e) = messages[13] else {
        panic!()
    };
    assert_eq!(
        (
            e.header.tracking_number,
            e.order_reference_number,
            e.executed_shares,
            e.match_number
        ),
        (2, 87_020, Qty(1220), 18_049)
    );
    let ItchMessage::OrderDelete(d) = messages[29] else {
        panic!()
    };
    assert_eq!(
        (d.header.timestamp_ns, d.order_reference_number),
        (34_209_047_203_227, 84_836)
    );
    let ItchMessage::Trade(p) = messages[32] else {
        panic!()
    };
    assert_eq!(
        (p.shares, p.price, p.match_number),
        (Qty(200), Price(53_333), 19_447)
    );
    let ItchMessage::OrderReplace(u) = messages[334] else {
        panic!()
    };
    assert_eq!(
        (
            u.original_order_reference_number,
            u.new_order_reference_number,
            u.shares,
            u.price
        ),
        (3_735_040, 3_831_915, Qty(100), Price(55_917))
    );
    let ItchMessage::OrderCancel(x) = messages[368] else {
        panic!()
    };
    assert_eq!(
        (x.order_reference_number, x.cancelled_shares),
        (4_200_868, Qty(100))
    );
    let ItchMessage::SystemEvent(s) = messages[12_011] else {
        panic!()
    };
    assert_eq!(
        (s.header.timestamp_ns, s.event_code),
        (68_698_845_099_321, b'C')
    );
    let ItchMessage::StockDirectory(r) = messages[1] else {
        panic!()
    };
    assert_eq!(
        (r.stock, r.market_category, r.round_lot_size),
        (stock("ALC"), b'N', 100)
    );

    let file = std::fs::File::open(shared.join(BX_FILE)).unwrap();
    let mut reader = DayFileReader::new(file);
    let streamed: Vec<ItchMessage> = reader.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(streamed, messages);
    assert_eq!(reader.stats(), iter.stats());
}

#[test]
fn damaged_real_stream_loses_only_the_damaged_messages() {
    let shared = require_shared!("damaged_real_stream_loses_only_the_damaged_messages");
    let original = std::fs::read(shared.join(BX_FILE)).unwrap();
    // Frame boundaries of the original (zero prefixes: length from the type).
    let mut offsets = Vec::new();
    let mut pos = 0;
    while pos < original.len() {
        offsets.push(pos);
        pos += 2 + message_length(original[pos + 2]).unwrap();
    }
    let mut damaged = Vec::new();
    damaged.extend_from_slice(&original[..offsets[100]]);
    // An unknown type with an explicit length: skipped whole.
    damaged.extend_from_slice(&[0, 5, b'z', 1, 2, 3, 4]);
    // A length prefix that disagrees with the type (A declared as 37 bytes): skipped whole.
    let a_frame = &original[offsets[8]..offsets[9]];
    damaged.extend_from_slice(&[0, 37]);
    damaged.extend_from_slice(&a_frame[2..]);
    damaged.push(0);
    // An Add Order whose side byte is corrupted.
    let mut bad_side = a_frame.to_vec();
    bad_side[2 + 19] = b'?';
    damaged.extend_from_slice(&bad_side);
    // The rest, minus the last 3 bytes (the final message cut off).
    damaged.extend_from_slice(&original[offsets[100]..original.len() - 3]);

    let mut iter = DayFileIter::new(&damaged);
    let mut ok = 0;
    let mut codes = Vec::new();
    for item in iter.by_ref() {
        match item {
            Ok(_) => ok += 1,
            Err(e) => codes.push(e.to_string().split(' ').next().unwrap().to_owned()),
        }
    }
    assert_eq!(ok, 12_012 - 1);
    assert_eq!(
        codes,
        [
            "ITCH_UNKNOWN_TYPE",
            "ITCH_LENGTH_MISMATCH",
            "ITCH_BAD_FIELD",
            "ITCH_TRUNCATED"
        ]
    );
    let stats = iter.stats();
    assert_eq!(
        (
            stats.unknown_type,
            stats.length_mismatch,
            stats.bad_field,
            stats.truncated
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(stats.bytes_unframed, 12 - 3 + 2);

    let mut reader = DayFileReader::new(&damaged[..]);
    assert_eq!(reader.by_ref().filter(|r| r.is_ok()).count(), ok);
    assert_eq!(reader.stats(), iter.stats());
}
