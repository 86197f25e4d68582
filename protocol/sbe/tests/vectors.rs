//! Hand-written byte vectors laid out per FIX SBE 1.0: message header (§3 blockLength,
//! templateId, schemaId, version; uint16 little-endian each), root block at the schema
//! offsets, group dimension header (blockLength, numInGroup) and entries, var data (uint16
//! length prefix + bytes). The encoder must produce exactly these bytes and the decoder must
//! read them back.

use crossbar_model::GatewayId;
use crossbar_model::{InstrumentId, OrderId, Price, Side, VenueId};
use crossbar_sbe::{
    decode, encode, BookAction, BookLevel, BookLevelDelta, CreditSlice, Message, OrderReject,
    RejectReason,
};

#[rustfmt::skip]
const ORDER_REJECT_BYTES: [u8; 45] = [
    // messageHeader: blockLength=32, templateId=24, schemaId=100, version=3
    0x20, 0x00, 0x18, 0x00, 0x64, 0x00, 0x03, 0x00,
    // root block (32 bytes)
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // orderId u64 @0 = 0x0102030405060708
    0x02, 0x00,                                     // venueId u16 @8 = 2
    0x22, 0x00, 0x00, 0x00,                         // instrumentId u32 @10 = 34
    0x02, 0x00,                                     // rejectReason u16 @14 = 2 (MaxNotional)
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // timestampNs u64 @16 = 0x1122334455667788
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // streamSequence u64 @24 = null (v2)
    // var data `text`: length u16 = 3, then UTF-8 bytes
    0x03, 0x00, b'K', b'=', b'V',
];

fn order_reject() -> Message {
    Message::OrderReject(OrderReject {
        order_id: OrderId(0x0102_0304_0506_0708),
        venue_id: VenueId(2),
        instrument_id: InstrumentId(34),
        reject_reason: RejectReason::MaxNotional,
        timestamp_ns: 0x1122_3344_5566_7788,
        text: "K=V".to_owned(),
    })
}

#[rustfmt::skip]
const BOOK_LEVEL_DELTA_BYTES: [u8; 82] = [
    // messageHeader: blockLength=22, templateId=10, schemaId=100, version=3
    0x16, 0x00, 0x0A, 0x00, 0x64, 0x00, 0x03, 0x00,
    // root block (22 bytes)
    0x01, 0x00,                                     // venueId u16 @0 = 1
    0x0D, 0x0C, 0x0B, 0x0A,                         // instrumentId u32 @2 = 0x0A0B0C0D
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // sequence u64 @6 = 5
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // timestampNs u64 @14
    // group `levels` dimension: blockLength=24, numInGroup=2
    0x18, 0x00, 0x02, 0x00,
    // entry 0
    0x00,                                           // action u8 @0 = New
    b'B',                                           // side char @1 = Buy
    0x00, 0x00,                                     // levelIndex u16 @2 = 0
    0x44, 0xD6, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, // price i64 @4 = 1,234,500 ($123.45)
    0xBC, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // qty u64 @12 = 700
    0x03, 0x00, 0x00, 0x00,                         // orderCount u32 @20 = 3
    // entry 1
    0x02,                                           // action = Delete
    b'S',                                           // side = Sell
    0x01, 0x00,                                     // levelIndex = 1
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // price = -1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // qty = 0
    0x00, 0x00, 0x00, 0x00,                         // orderCount = 0
];

fn book_level_delta() -> Message {
    Message::BookLevelDelta(BookLevelDelta {
        venue_id: VenueId(1),
        instrument_id: InstrumentId(0x0A0B_0C0D),
        sequence: 5,
        timestamp_ns: 0x0102_0304_0506_0708,
        levels: vec![
            BookLevel {
                action: BookAction::New,
                side: Side::Buy,
                level_index: 0,
                price: Price(1_234_500),
                qty: 700,
                order_count: 3,
            },
            BookLevel {
                action: BookAction::Delete,
                side: Side::Sell,
                level_index: 1,
                price: Price(-1),
                qty: 0,
                order_count: 0,
            },
        ],
    })
}

fn check_vector(msg: &Message, bytes: &[u8]) {
    let mut buf = [0xEEu8; 256];
    let len = encode(msg, &mut buf).unwrap();
    assert_eq!(&buf[..len], bytes);
    assert_eq!(&decode(bytes).unwrap(), msg);
}

#[test]
fn order_reject_matches_hand_written_bytes() {
    check_vector(&order_reject(), &ORDER_REJECT_BYTES);
}

#[test]
fn book_level_delta_matches_hand_written_bytes() {
    check_vector(&book_level_delta(), &BOOK_LEVEL_DELTA_BYTES);
}

#[test]
fn flyweight_reads_hand_written_group_bytes() {
    let crossbar_sbe::MessageView::BookLevelDelta(d) =
        crossbar_sbe::decode_view(&BOOK_LEVEL_DELTA_BYTES).unwrap()
    else {
        panic!("wrong kind")
    };
    assert_eq!(d.instrument_id(), 0x0A0B_0C0D);
    let levels: Vec<_> = d
        .levels()
        .unwrap()
        .map(|e| (e.level_index(), e.price(), e.qty()))
        .collect();
    assert_eq!(levels, vec![(0, 1_234_500, 700), (1, -1, 0)]);
}

#[rustfmt::skip]
const CREDIT_SLICE_BYTES: [u8; 62] = [
    // messageHeader: blockLength=54, templateId=38, schemaId=100, version=3
    0x36, 0x00, 0x26, 0x00, 0x64, 0x00, 0x03, 0x00,
    0x02, 0x00,                                     // gatewayId u16 @0 = 2
    0x07, 0x00, 0x00, 0x00,                         // instrumentId u32 @2 = 7
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // grantSequence u64 @6 = 5
    0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // buyQty u64 @14 = 100
    0xC8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // sellQty u64 @22 = 200
    0x40, 0x42, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, // notional i64 @30 = 1,000,000
    0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // throughStreamSequence u64 @38 = 42
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // timestampNs u64 @46
];

#[test]
fn credit_slice_matches_hand_written_bytes() {
    let msg = Message::CreditSlice(CreditSlice {
        gateway_id: GatewayId(2),
        instrument_id: InstrumentId(7),
        grant_sequence: 5,
        buy_qty: 100,
        sell_qty: 200,
        notional: 1_000_000,
        through_stream_sequence: 42,
        timestamp_ns: 0x0102_0304_0506_0708,
    });
    check_vector(&msg, &CREDIT_SLICE_BYTES);
}

/// Schema version 3 changed no layout of a version-2 message: the same bytes with a
/// version-2 header (as a version-2 sender or an old journal holds them) decode the same.
#[test]
fn version_2_headers_of_unchanged_messages_still_decode() {
    let mut v2 = ORDER_REJECT_BYTES;
    v2[6] = 2;
    assert_eq!(decode(&v2).unwrap(), order_reject());
    let mut v2 = BOOK_LEVEL_DELTA_BYTES;
    v2[6] = 2;
    assert_eq!(decode(&v2).unwrap(), book_level_delta());
}
