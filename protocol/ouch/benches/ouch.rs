//! Hot-path costs of OUCH over SoupBinTCP:
//! * `encode_enter_order_unsequenced`: an Enter Order (with a Firm option, like the capture)
//!   encoded straight into its place in a SoupBinTCP Unsequenced Data packet, header included;
//!   the Firm appendage was encoded once beforehand, as a session does with its fixed options.
//! * `encode_enter_order_building_options`: the same, but the appendage is built from an
//!   `OrderOptions` on every order.
//! * `decode_executed_from_sequenced`: framing a Sequenced Data packet and decoding the Order
//!   Executed inside it (empty appendage).
//! * `decode_accepted_with_options_from_sequenced`: framing and decoding an Order Accepted with
//!   the captured appendage (Firm, BBO Weight Indicator), then reading the Firm.
//! * `baseline_copy_*`: copying the same number of bytes, measured in the same run, for ratios.

#![allow(missing_docs)] // criterion_group! expands to an undocumented pub fn.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use crossbar_model::{Price, Qty};
use crossbar_ouch::*;
use crossbar_soupbintcp::{encode_data_header, next_frame, packet_type, Frame, Packet};

fn enter_order(options: OptionsView<'_>) -> EnterOrder<'_> {
    EnterOrder {
        user_ref_num: UserRefNum(113),
        side: OrderSide::SellShort,
        quantity: Qty(225),
        symbol: Symbol::new("CVLT").unwrap(),
        price: Price(630_200),
        time_in_force: TimeInForce::Day,
        display: Display::Visible,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cross_type: CrossType::Continuous,
        cl_ord_id: ClOrdId::new("H8FUB8IV").unwrap(),
        options,
    }
}

fn firm_only() -> OrderOptions {
    OrderOptions {
        firm: Mpid::new("LIME"),
        ..OrderOptions::NONE
    }
}

fn benches(c: &mut Criterion) {
    let mut appendage = [0u8; OrderOptions::MAX_ENCODED_LEN];
    let options = firm_only().encode(&mut appendage).unwrap();
    let order = enter_order(options);
    let mut out = [0u8; 128];
    let n = order.encode(&mut out[3..]).unwrap();
    let packet_len = encode_data_header(&mut out, packet_type::UNSEQUENCED_DATA, n).unwrap();
    let encoded = out;

    c.bench_function("encode_enter_order_unsequenced", |b| {
        b.iter(|| {
            let order = black_box(&order);
            let n = order.encode(&mut out[3..]).unwrap();
            black_box(encode_data_header(&mut out, packet_type::UNSEQUENCED_DATA, n).unwrap())
        })
    });
    let owned = firm_only();
    c.bench_function("encode_enter_order_building_options", |b| {
        b.iter(|| {
            let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
            let options = black_box(&owned).encode(&mut scratch).unwrap();
            let order = EnterOrder {
                options,
                ..black_box(order)
            };
            let n = order.encode(&mut out[3..]).unwrap();
            black_box(encode_data_header(&mut out, packet_type::UNSEQUENCED_DATA, n).unwrap())
        })
    });
    let mut copy_out = [0u8; 128];
    c.bench_function("baseline_copy_enter_order_packet", |b| {
        b.iter(|| {
            copy_out[..packet_len].copy_from_slice(black_box(&encoded[..packet_len]));
            black_box(&copy_out);
        })
    });

    let executed = OrderExecuted {
        timestamp_ns: 44_647_483_486_087,
        user_ref_num: UserRefNum(7_682_701),
        quantity: Qty(40),
        price: Price(4_777_800),
        liquidity_flag: LiquidityFlag::ADDED,
        match_number: 123_456_789,
        options: OptionsView::EMPTY,
    };
    let mut msg = [0u8; 64];
    let m = executed.encode(&mut msg).unwrap();
    let mut wire = [0u8; 64];
    let wire_len = Packet::SequencedData { message: &msg[..m] }
        .encode(&mut wire)
        .unwrap();
    c.bench_function("decode_executed_from_sequenced", |b| {
        b.iter(|| {
            let Ok(Frame::Packet {
                packet: Packet::SequencedData { message },
                ..
            }) = next_frame(black_box(&wire[..wire_len]), 65_535)
            else {
                unreachable!("bench input is a valid Sequenced Data packet")
            };
            black_box(OrderExecuted::decode(message).unwrap())
        })
    });

    let mut accepted_options = [0u8; OrderOptions::MAX_ENCODED_LEN];
    let accepted = OrderAccepted {
        timestamp_ns: 44_647_483_486_087,
        user_ref_num: UserRefNum(7_682_701),
        side: OrderSide::Buy,
        quantity: Qty(40),
        symbol: Symbol::new("ADBE").unwrap(),
        price: Price(4_777_800),
        time_in_force: TimeInForce::Gtx,
        display: Display::Visible,
        order_reference_number: 257_340_661,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cross_type: CrossType::Continuous,
        order_state: OrderState::Live,
        cl_ord_id: ClOrdId::new("7682701").unwrap(),
        options: OrderOptions {
            firm: Mpid::new("MLRO"),
            bbo_weight_indicator: Some(BboWeightIndicator::UpTo0_2Pct),
            ..OrderOptions::NONE
        }
        .encode(&mut accepted_options)
        .unwrap(),
    };
    let mut msg = [0u8; 128];
    let m = accepted.encode(&mut msg).unwrap();
    let mut accepted_wire = [0u8; 128];
    let accepted_len = Packet::SequencedData { message: &msg[..m] }
        .encode(&mut accepted_wire)
        .unwrap();
    c.bench_function("decode_accepted_with_options_from_sequenced", |b| {
        b.iter(|| {
            let Ok(Frame::Packet {
                packet: Packet::SequencedData { message },
                ..
            }) = next_frame(black_box(&accepted_wire[..accepted_len]), 65_535)
            else {
                unreachable!("bench input is a valid Sequenced Data packet")
            };
            let accepted = OrderAccepted::decode(message).unwrap();
            black_box(accepted.options.firm());
            black_box(accepted)
        })
    });

    let mut sink = [0u8; 64];
    c.bench_function("baseline_copy_executed_packet", |b| {
        b.iter(|| {
            sink[..wire_len].copy_from_slice(black_box(&wire[..wire_len]));
            black_box(&sink);
        })
    });
}

criterion_group!(ouch, benches);
criterion_main!(ouch);
