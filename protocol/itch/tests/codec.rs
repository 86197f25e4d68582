//! Round trips for every ITCH 5.0 message type, wire layouts built by hand from the spec
//! tables, and the decoder's and encoder's error cases.

use crossbar_itch::*;
use crossbar_model::{Price, Qty, Side};

fn h(locate: u16, tracking: u16, timestamp_ns: u64) -> Header {
    Header {
        stock_locate: locate,
        tracking_number: tracking,
        timestamp_ns,
    }
}

fn stock(s: &str) -> Stock {
    Stock::from_symbol(s).unwrap()
}

/// One message of every type, every field set to a distinct non-default value.
fn samples() -> Vec<ItchMessage> {
    let t = 0x0000_8765_4321_0fed;
    vec![
        SystemEvent {
            header: h(0, 1, t),
            event_code: b'O',
        }
        .into(),
        StockDirectory {
            header: h(2, 3, t + 1),
            stock: stock("AAPL"),
            market_category: b'Q',
            financial_status_indicator: b'N',
            round_lot_size: 100,
            round_lots_only: b'N',
            issue_classification: b'C',
            issue_sub_type: *b"Z ",
            authenticity: b'P',
            short_sale_threshold_indicator: b'N',
            ipo_flag: b'Z',
            luld_reference_price_tier: b'1',
            etp_flag: b'Y',
            etp_leverage_factor: 3,
            inverse_indicator: b'Y',
        }
        .into(),
        StockTradingAction {
            header: h(4, 5, t),
            stock: stock("MSFT"),
            trading_state: b'H',
            reserved: b' ',
            reason: *b"LUDP",
        }
        .into(),
        RegShoRestriction {
            header: h(6, 7, t),
            stock: stock("IBM"),
            reg_sho_action: b'1',
        }
        .into(),
        MarketParticipantPosition {
            header: h(8, 9, t),
            mpid: Mpid::from_code("GSCO").unwrap(),
            stock: stock("GOOG"),
            primary_market_maker: b'Y',
            market_maker_mode: b'P',
            market_participant_state: b'A',
        }
        .into(),
        MwcbDeclineLevel {
            header: h(0, 10, t),
            level_1_e8: u64::MAX - 2,
            level_2_e8: 1 << 40,
            level_3_e8: 17,
        }
        .into(),
        MwcbStatus {
            header: h(0, 11, t),
            breached_level: b'2',
        }
        .into(),
        IpoQuotingPeriodUpdate {
            header: h(12, 13, t),
            stock: stock("NEWCO"),
            ipo_quotation_release_time_s: 34_200,
            ipo_quotation_release_qualifier: b'A',
            ipo_price: Price(250_000),
        }
        .into(),
        LuldAuctionCollar {
            header: h(14, 15, t),
            stock: stock("ZVZZT"),
            auction_collar_reference_price: Price(100_000),
            upper_auction_collar_price: Price(110_000),
            lower_auction_collar_price: Price(90_000),
            auction_collar_extension: 2,
        }
        .into(),
        OperationalHalt {
            header: h(16, 17, t),
            stock: stock("QQQ"),
            market_code: b'B',
            operational_halt_action: b'H',
        }
        .into(),
        AddOrder {
            header: h(18, 19, t),
            order_reference_number: u64::MAX,
            side: Side::Buy,
            shares: Qty(u32::MAX),
            stock: stock("ABCDEFGH"),
            price: Price(u32::MAX as i64),
        }
        .into(),
        AddOrderMpid {
            header: h(20, 21, t),
            order_reference_number: 42,
            side: Side::Sell,
            shares: Qty(300),
            stock: stock("TSLA"),
            price: Price(2_000_000_000),
            attribution: Mpid::from_code("VIRT").unwrap(),
        }
        .into(),
        OrderExecuted {
            header: h(22, 23, t),
            order_reference_number: 43,
            executed_shares: Qty(50),
            match_number: 1 << 50,
        }
        .into(),
        OrderExecutedWithPrice {
            header: h(24, 25, t),
            order_reference_number: 44,
            executed_shares: Qty(60),
            match_number: 99,
            printable: b'Y',
            execution_price: Price(123_456),
        }
        .into(),
        OrderCancel {
            header: h(26, 27, t),
            order_reference_number: 45,
            cancelled_shares: Qty(70),
        }
        .into(),
        OrderDelete {
            header: h(28, 29, t),
            order_reference_number: 46,
        }
        .into(),
        OrderReplace {
            header: h(30, 31, t),
            original_order_reference_number: 47,
            new_order_reference_number: 48,
            shares: Qty(80),
            price: Price(1),
        }
        .into(),
        Trade {
            header: h(32, 33, t),
            order_reference_number: 0,
            side: Side::Buy,
            shares: Qty(90),
            stock: stock("AMZN"),
            price: Price(1_800_000),
            match_number: 100,
        }
        .into(),
        CrossTrade {
            header: h(34, 35, t),
            shares: 1 << 33,
            stock: stock("SPY"),
            cross_price: Price(4_000_000),
            match_number: 101,
            cross_type: b'C',
        }
        .into(),
        BrokenTrade {
            header: h(36, 37, t),
            match_number: 102,
        }
        .into(),
        Noii {
            header: h(38, 39, t),
            paired_shares: 1 << 35,
            imbalance_shares: 5,
            imbalance_direction: b'S',
            stock: stock("NFLX"),
            far_price: Price(10),
            near_price: Price(20),
            current_reference_price: Price(30),
            cross_type: b'A',
            price_variation_indicator: b'C',
        }
        .into(),
        RetailInterest {
            header: h(40, 41, t),
            stock: stock("RPI"),
            interest_flag: b'A',
        }
        .into(),
        DirectListingCapitalRaise {
            header: h(42, 43, Header::TIMESTAMP_MAX_NS),
            stock: stock("DLCR"),
            open_eligibility_status: b'Y',
            minimum_allowable_price: Price(80_000),
            maximum_allowable_price: Price(180_000),
            near_execution_price: Price(100_000),
            near_execution_time_ns: 35_000_000_000_000,
            lower_price_range_collar: Price(90_000),
            upper_price_range_collar: Price(110_000),
        }
        .into(),
    ]
}

#[test]
fn length_table_matches_the_spec() {
    // ITCH 5.0 §1.1–§1.8: last field's offset + length of each message table.
    let spec: [(u8, usize); 23] = [
        (b'S', 12),
        (b'R', 39),
        (b'H', 25),
        (b'Y', 20),
        (b'L', 26),
        (b'V', 35),
        (b'W', 12),
        (b'K', 28),
        (b'J', 35),
        (b'h', 21),
        (b'A', 36),
        (b'F', 40),
        (b'E', 31),
        (b'C', 36),
        (b'X', 23),
        (b'D', 19),
        (b'U', 35),
        (b'P', 44),
        (b'Q', 40),
        (b'B', 19),
        (b'I', 50),
        (b'N', 20),
        (b'O', 48),
    ];
    assert_eq!(MESSAGE_TYPES, spec.map(|(t, _)| t));
    for (t, len) in spec {
        assert_eq!(message_length(t), Some(len), "{}", t as char);
    }
    let defined = (0..=255u8).filter(|&t| message_length(t).is_some()).count();
    assert_eq!(defined, 23);
    assert_eq!(message_length(b'G'), None);
    assert_eq!(message_length(0), None);
}

#[test]
fn every_type_round_trips() {
    let samples = samples();
    let types: Vec<u8> = samples.iter().map(|m| m.message_type()).collect();
    assert_eq!(types, MESSAGE_TYPES);
    for m in &samples {
        let mut buf = [0u8; 64];
        let n = m.encode(&mut buf).unwrap();
        assert_eq!(Some(n), message_length(m.message_type()));
        assert_eq!(n, m.encoded_len());
        assert_eq!(buf[0], m.message_type());
        assert_eq!(decode(&buf[..n]), Ok(*m), "{}", m.message_type() as char);
        // Re-encoding the decoded value gives identical bytes.
        let mut again = [0u8; 64];
        decode(&buf[..n]).unwrap().encode(&mut again).unwrap();
        assert_eq!(buf, again);
        assert_eq!(*m.header(), *decode(&buf[..n]).unwrap().header());
    }
}

#[test]
fn add_order_wire_layout_matches_spec_offsets() {
    // ITCH 5.0 §1.3.1, built byte by byte from the table (not with the encoder).
    let mut wire = vec![b'A'];
    wire.extend_from_slice(&0x1234u16.to_be_bytes()); // Stock Locate @1
    wire.extend_from_slice(&0x0002u16.to_be_bytes()); // Tracking Number @3
    wire.extend_from_slice(&[0x00, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b]); // Timestamp @5 (6 bytes)
    wire.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes()); // Order Reference @11
    wire.push(b'S'); // Buy/Sell @19
    wire.extend_from_slice(&500u32.to_be_bytes()); // Shares @20
    wire.extend_from_slice(b"NVDA    "); // Stock @24
    wire.extend_from_slice(&1_234_500u32.to_be_bytes()); // Price @32
    assert_eq!(wire.len(), 36);
    let expected = ItchMessage::AddOrder(AddOrder {
        header: h(0x1234, 2, 0x001f_2e3d_4c5b),
        order_reference_number: 0x0102_0304_0506_0708,
        side: Side::Sell,
        shares: Qty(500),
        stock: stock("NVDA"),
        price: Price(1_234_500),
    });
    assert_eq!(decode(&wire), Ok(expected));
    let mut out = [0u8; 36];
    expected.encode(&mut out).unwrap();
    assert_eq!(out.to_vec(), wire);
}

#[test]
fn order_replace_wire_layout_matches_spec_offsets() {
    // ITCH 5.0 §1.4.5.
    let mut wire = vec![b'U', 0, 9, 0, 0, 0, 0, 0, 0, 0, 7];
    wire.extend_from_slice(&11u64.to_be_bytes()); // Original Order Reference @11
    wire.extend_from_slice(&12u64.to_be_bytes()); // New Order Reference @19
    wire.extend_from_slice(&300u32.to_be_bytes()); // Shares @27
    wire.extend_from_slice(&99_900u32.to_be_bytes()); // Price @31
    let Ok(ItchMessage::OrderReplace(u)) = decode(&wire) else {
        panic!()
    };
    assert_eq!((u.header.stock_locate, u.header.timestamp_ns), (9, 7));
    assert_eq!(
        (
            u.original_order_reference_number,
            u.new_order_reference_number
        ),
        (11, 12)
    );
    assert_eq!((u.shares, u.price), (Qty(300), Price(99_900)));
}

#[test]
fn decode_errors_are_typed_with_context() {
    assert_eq!(
        decode(&[]),
        Err(ItchError::Truncated {
            message_type: 0,
            expected: 1,
            actual: 0
        })
    );
    assert_eq!(
        decode(b"z123"),
        Err(ItchError::UnknownType { message_type: b'z' })
    );
    for m in samples() {
        let mut buf = [0u8; 64];
        let n = m.encode(&mut buf).unwrap();
        let t = m.message_type();
        assert_eq!(
            decode(&buf[..n - 1]),
            Err(ItchError::Truncated {
                message_type: t,
                expected: n,
                actual: n - 1
            })
        );
        assert_eq!(
            decode(&buf[..1]),
            Err(ItchError::Truncated {
                message_type: t,
                expected: n,
                actual: 1
            })
        );
        assert_eq!(
            decode(&buf[..n + 1]),
            Err(ItchError::LengthMismatch {
                message_type: t,
                expected: n,
                actual: n + 1
            })
        );
    }
    for (t, side_at) in [(b'A', 19), (b'F', 19), (b'P', 19)] {
        let mut buf = vec![0u8; message_length(t).unwrap()];
        buf[0] = t;
        buf[side_at] = b'T';
        let err = decode(&buf).unwrap_err();
        assert_eq!(
            err,
            ItchError::BadField {
                message_type: t,
                field: "side",
                value: b'T'
            }
        );
        assert!(err.to_string().starts_with("ITCH_BAD_FIELD"), "{err}");
    }
}

#[test]
fn encode_errors_are_typed() {
    let add = AddOrder {
        header: h(1, 0, 1),
        order_reference_number: 1,
        side: Side::Buy,
        shares: Qty(1),
        stock: stock("X"),
        price: Price(1),
    };
    let mut small = [0u8; 35];
    assert_eq!(
        ItchMessage::from(add).encode(&mut small),
        Err(ItchError::BufferTooSmall {
            needed: 36,
            available: 35
        })
    );
    let mut buf = [0u8; 36];
    let negative = AddOrder {
        price: Price(-1),
        ..add
    };
    assert_eq!(
        ItchMessage::from(negative).encode(&mut buf),
        Err(ItchError::FieldOutOfRange {
            message_type: b'A',
            field: "price",
            value: -1
        })
    );
    let wide = AddOrder {
        price: Price(u32::MAX as i64 + 1),
        ..add
    };
    assert!(matches!(
        ItchMessage::from(wide).encode(&mut buf),
        Err(ItchError::FieldOutOfRange { field: "price", .. })
    ));
    let short_sale = AddOrder {
        side: Side::SellShort,
        ..add
    };
    assert!(matches!(
        ItchMessage::from(short_sale).encode(&mut buf),
        Err(ItchError::FieldOutOfRange { field: "side", .. })
    ));
    let late = AddOrder {
        header: h(1, 0, 1 << 48),
        ..add
    };
    let err = ItchMessage::from(late).encode(&mut buf).unwrap_err();
    assert_eq!(
        err,
        ItchError::FieldOutOfRange {
            message_type: b'A',
            field: "timestamp_ns",
            value: 1 << 48
        }
    );
    // write_frame appends nothing on error.
    let mut out = vec![9];
    assert!(write_frame(&ItchMessage::from(late), &mut out).is_err());
    assert_eq!(out, [9]);
    write_frame(&ItchMessage::from(add), &mut out).unwrap();
    assert_eq!(&out[..3], &[9, 0, 36]);
    assert_eq!(decode(&out[3..]), Ok(ItchMessage::from(add)));
}

#[test]
fn every_type_round_trips_through_both_iteration_paths() {
    // Each sample with its header at the extremes (tracking number all ones next to the
    // timestamp, the largest 6-byte timestamp, zero), framed as a day file: `next` (the
    // out-of-line decoder) and `for_each` (`DayFileIter::fold`, the decoder inlined per
    // type) must both give back exactly the messages written.
    let headers = [
        h(0xffff, 0xffff, Header::TIMESTAMP_MAX_NS),
        h(0, 0, 0),
        h(0x0102, 0xfeff, 0x0000_0100_0000_0001),
    ];
    let mut expected = Vec::new();
    for header in headers {
        for m in samples() {
            let mut buf = [0u8; 64];
            let n = m.encode(&mut buf).unwrap();
            // The header is bytes 1..11 of every type: rewrite it in place.
            buf[1..3].copy_from_slice(&header.stock_locate.to_be_bytes());
            buf[3..5].copy_from_slice(&header.tracking_number.to_be_bytes());
            buf[5..11].copy_from_slice(&header.timestamp_ns.to_be_bytes()[2..]);
            let decoded = decode(&buf[..n]).unwrap();
            assert_eq!(*decoded.header(), header, "{}", m.message_type() as char);
            expected.push(decoded);
        }
    }
    let mut stream = Vec::new();
    for m in &expected {
        write_frame(m, &mut stream).unwrap();
    }
    let via_next: Vec<ItchMessage> = DayFileIter::new(&stream).map(Result::unwrap).collect();
    let mut via_fold = Vec::new();
    DayFileIter::new(&stream).for_each(|item| via_fold.push(item.unwrap()));
    assert_eq!(via_next, expected);
    assert_eq!(via_fold, expected);
}

#[test]
fn decoded_items_fit_in_88_bytes_with_no_wrapper_overhead() {
    // The largest message struct (Direct Listing with Capital Raise, 5 prices) sets the
    // enum's size; `Result` and `Option` around it must use its tag's spare values rather
    // than grow it, since every item is written (and, through `next`, moved) per message.
    use std::mem::size_of;
    assert_eq!(size_of::<ItchMessage>(), 88);
    assert_eq!(size_of::<Result<ItchMessage, FrameError>>(), 88);
    assert_eq!(size_of::<Option<Result<ItchMessage, FrameError>>>(), 88);
    assert_eq!(size_of::<AddOrder>(), 48);
    assert_eq!(size_of::<OrderDelete>(), 24);
}
