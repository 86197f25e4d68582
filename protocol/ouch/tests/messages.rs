//! Round trip of every OUCH 5.0 message type, fixed lengths against the spec's tables, typed
//! errors, and a seeded no-panic run over mutated bytes.

use crossbar_model::{Price, Qty};
use crossbar_ouch::*;

/// Encodes `options` into a buffer that lives for the rest of the test run and returns its view.
fn view(options: OrderOptions) -> OptionsView<'static> {
    let buf = Box::leak(Box::new([0u8; OrderOptions::MAX_ENCODED_LEN]));
    options.encode(buf).unwrap()
}

fn opts() -> OptionsView<'static> {
    view(OrderOptions {
        firm: Mpid::new("ABCD"),
        min_qty: Some(Qty(100)),
        max_floor: Some(Qty(200)),
        price_type: Some(PriceType::MidpointPeg),
        peg_offset: Some(Price(-100)),
        post_only: Some(PostOnly::PostOnly),
        expire_time_s: Some(3_600),
        ..OrderOptions::NONE
    })
}

fn inbound() -> Vec<InboundMessage<'static>> {
    vec![
        InboundMessage::EnterOrder(EnterOrder {
            user_ref_num: UserRefNum(1),
            side: OrderSide::SellShortExempt,
            quantity: Qty(999_999),
            symbol: Symbol::new("AAPL").unwrap(),
            price: Price(2_147_483_647),
            time_in_force: TimeInForce::Gtt,
            display: Display::Attributable,
            capacity: Capacity::Principal,
            intermarket_sweep: IntermarketSweep::Eligible,
            cross_type: CrossType::Closing,
            cl_ord_id: ClOrdId::new("CL-1").unwrap(),
            options: opts(),
        }),
        InboundMessage::ReplaceOrder(ReplaceOrder {
            orig_user_ref_num: UserRefNum(1),
            user_ref_num: UserRefNum(2),
            quantity: Qty(500),
            price: Price(1_000_000),
            time_in_force: TimeInForce::Ioc,
            display: Display::Hidden,
            intermarket_sweep: IntermarketSweep::NotEligible,
            cl_ord_id: ClOrdId::new("CL-2").unwrap(),
            options: OptionsView::EMPTY,
        }),
        InboundMessage::CancelOrder(CancelOrder {
            user_ref_num: UserRefNum(2),
            quantity: Qty(0),
        }),
        InboundMessage::ModifyOrder(ModifyOrder {
            user_ref_num: UserRefNum(3),
            side: OrderSide::SellShort,
            quantity: Qty(10),
        }),
        InboundMessage::AccountQuery(AccountQuery {}),
    ]
}

fn outbound() -> Vec<OutboundMessage<'static>> {
    let ts = 34_200_000_000_123;
    let a = OrderAccepted {
        timestamp_ns: ts,
        user_ref_num: UserRefNum(7),
        side: OrderSide::Buy,
        quantity: Qty(300),
        symbol: Symbol::new("MSFT").unwrap(),
        price: Price(4_000_100),
        time_in_force: TimeInForce::Day,
        display: Display::Conformant,
        order_reference_number: u64::MAX,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cross_type: CrossType::Continuous,
        order_state: OrderState::Dead,
        cl_ord_id: ClOrdId::new("X").unwrap(),
        options: opts(),
    };
    vec![
        OutboundMessage::SystemEvent(SystemEvent {
            timestamp_ns: ts,
            event_code: EventCode::StartOfDay,
        }),
        OutboundMessage::OrderAccepted(a),
        OutboundMessage::OrderReplaced(OrderReplaced {
            timestamp_ns: ts,
            orig_user_ref_num: UserRefNum(7),
            user_ref_num: UserRefNum(8),
            side: a.side,
            quantity: Qty(200),
            symbol: a.symbol,
            price: Price(3_999_900),
            time_in_force: TimeInForce::AfterHours,
            display: Display::Visible,
            order_reference_number: 42,
            capacity: Capacity::Riskless,
            intermarket_sweep: IntermarketSweep::Eligible,
            cross_type: CrossType::ExtendedLife,
            order_state: OrderState::Live,
            cl_ord_id: ClOrdId::new("Y").unwrap(),
            options: view(OrderOptions {
                handle_inst: Some(HandleInst::ExtendedLifeContinuous),
                ..OrderOptions::NONE
            }),
        }),
        OutboundMessage::OrderCanceled(OrderCanceled {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            quantity: Qty(50),
            reason: CancelReason::SelfMatchPrevention,
        }),
        OutboundMessage::AiqCanceled(AiqCanceled {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            decrement_shares: Qty(50),
            reason: CancelReason::SelfMatchPrevention,
            quantity_prevented_from_trading: Qty(40),
            execution_price: Price(3_999_900),
            liquidity_flag: LiquidityFlag::ADDED,
            aiq_strategy: b'O',
        }),
        OutboundMessage::OrderExecuted(OrderExecuted {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            quantity: Qty(100),
            price: Price(3_999_900),
            liquidity_flag: LiquidityFlag::REMOVED,
            match_number: 987_654_321,
            options: OptionsView::EMPTY,
        }),
        OutboundMessage::BrokenTrade(BrokenTrade {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            match_number: 987_654_321,
            reason: BrokenTradeReason::Erroneous,
            cl_ord_id: ClOrdId::new("Y").unwrap(),
        }),
        OutboundMessage::Rejected(Rejected {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(9),
            reason: RejectReason::RiskFatFinger,
            cl_ord_id: ClOrdId::new("Z").unwrap(),
        }),
        OutboundMessage::CancelPending(CancelPending {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
        }),
        OutboundMessage::CancelReject(CancelReject {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
        }),
        OutboundMessage::OrderPriorityUpdate(OrderPriorityUpdate {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            price: Price(3_999_800),
            display: Display::Visible,
            order_reference_number: 43,
        }),
        OutboundMessage::OrderModified(OrderModified {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            side: OrderSide::SellShort,
            quantity: Qty(100),
        }),
        OutboundMessage::OrderRestated(OrderRestated {
            timestamp_ns: ts,
            user_ref_num: UserRefNum(8),
            reason: RestateReason::Refresh,
            options: view(OrderOptions {
                display_quantity: Some(Qty(100)),
                display_price: Some(Price(3_999_800)),
                secondary_ord_ref_num: Some(44),
                ..OrderOptions::NONE
            }),
        }),
        OutboundMessage::AccountQueryResponse(AccountQueryResponse {
            timestamp_ns: ts,
            next_user_ref_num: UserRefNum(10),
        }),
    ]
}

#[test]
fn every_message_type_round_trips() {
    let mut buf = [0u8; 256];
    for m in inbound() {
        let n = m.encode(&mut buf).unwrap();
        assert_eq!(n, m.encoded_len());
        assert_eq!(buf[0], m.message_type());
        assert_eq!(decode_inbound(&buf[..n]), Ok(m));
        assert!(matches!(
            m.encode(&mut buf[..n - 1]),
            Err(OuchError::BufferTooSmall { .. })
        ));
    }
    for m in outbound() {
        let n = m.encode(&mut buf).unwrap();
        assert_eq!(n, m.encoded_len());
        assert_eq!(decode_outbound(&buf[..n]), Ok(m));
        assert!(matches!(
            m.encode(&mut buf[..n - 1]),
            Err(OuchError::BufferTooSmall { .. })
        ));
    }
    assert_eq!(inbound().len(), 5);
    assert_eq!(outbound().len(), 14);
}

#[test]
fn fixed_lengths_match_the_spec_tables() {
    // Offset of the last field plus its length, from OUCH 5.0 §2 and §3.
    assert_eq!(EnterOrder::FIXED_LEN, 47);
    assert_eq!(ReplaceOrder::FIXED_LEN, 40);
    assert_eq!(CancelOrder::FIXED_LEN, 9);
    assert_eq!(ModifyOrder::FIXED_LEN, 10);
    assert_eq!(AccountQuery::FIXED_LEN, 1);
    assert_eq!(SystemEvent::FIXED_LEN, 10);
    assert_eq!(OrderAccepted::FIXED_LEN, 64);
    assert_eq!(OrderReplaced::FIXED_LEN, 68);
    assert_eq!(OrderCanceled::FIXED_LEN, 18);
    assert_eq!(AiqCanceled::FIXED_LEN, 32);
    assert_eq!(OrderExecuted::FIXED_LEN, 36);
    assert_eq!(BrokenTrade::FIXED_LEN, 36);
    assert_eq!(Rejected::FIXED_LEN, 29);
    assert_eq!(CancelPending::FIXED_LEN, 13);
    assert_eq!(CancelReject::FIXED_LEN, 13);
    assert_eq!(OrderPriorityUpdate::FIXED_LEN, 30);
    assert_eq!(OrderModified::FIXED_LEN, 18);
    assert_eq!(OrderRestated::FIXED_LEN, 16);
    assert_eq!(AccountQueryResponse::FIXED_LEN, 13);
}

#[test]
fn executed_fields_sit_at_the_spec_offsets() {
    let e = OrderExecuted {
        timestamp_ns: 0x0102_0304_0506_0708,
        user_ref_num: UserRefNum(0x0a0b_0c0d),
        quantity: Qty(0x11),
        price: Price(0x22),
        liquidity_flag: LiquidityFlag(b'm'),
        match_number: 0x33,
        options: OptionsView::EMPTY,
    };
    let mut b = [0u8; 36];
    assert_eq!(e.encode(&mut b), Ok(36));
    assert_eq!(b[0], b'E');
    assert_eq!(&b[1..9], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(&b[9..13], &[0x0a, 0x0b, 0x0c, 0x0d]);
    assert_eq!(&b[13..17], &[0, 0, 0, 0x11]);
    assert_eq!(&b[17..25], &[0, 0, 0, 0, 0, 0, 0, 0x22]);
    assert_eq!(b[25], b'm');
    assert_eq!(&b[26..34], &[0, 0, 0, 0, 0, 0, 0, 0x33]);
    assert_eq!(&b[34..36], &[0, 0]);
}

#[test]
fn errors_are_typed_with_stable_codes() {
    assert_eq!(decode_inbound(&[]), Err(OuchError::Empty));
    assert_eq!(
        decode_outbound(b"Z"),
        Err(OuchError::UnknownType {
            direction: "outbound",
            message_type: b'Z'
        })
    );
    assert_eq!(
        decode_inbound(b"S"),
        Err(OuchError::UnknownType {
            direction: "inbound",
            message_type: b'S'
        })
    );
    assert_eq!(
        decode_inbound(b"X\0\0\0\x01\0\0"),
        Err(OuchError::Truncated {
            message_type: b'X',
            needed: 9,
            length: 7
        })
    );
    assert_eq!(
        decode_inbound(b"X\0\0\0\x01\0\0\0\0!"),
        Err(OuchError::TrailingBytes {
            message_type: b'X',
            expected: 9,
            length: 10
        })
    );
    assert_eq!(
        decode_inbound(b"M\0\0\0\x01Q\0\0\0\x01"),
        Err(OuchError::BadField {
            message_type: b'M',
            field: "Side",
            value: u64::from(b'Q')
        })
    );
    assert_eq!(
        CancelOrder::decode(b"M"),
        Err(OuchError::WrongType {
            expected: b'X',
            found: b'M'
        })
    );
    // A price with the top bit set is not a price.
    let mut pu = [0u8; 30];
    OrderPriorityUpdate {
        timestamp_ns: 0,
        user_ref_num: UserRefNum(1),
        price: Price(1),
        display: Display::Visible,
        order_reference_number: 1,
    }
    .encode(&mut pu)
    .unwrap();
    pu[13] = 0x80;
    assert!(matches!(
        decode_outbound(&pu),
        Err(OuchError::BadField { field: "Price", .. })
    ));
    // An appendage length running past the message.
    let mut ex = [0u8; 36];
    OrderExecuted {
        timestamp_ns: 0,
        user_ref_num: UserRefNum(1),
        quantity: Qty(1),
        price: Price(1),
        liquidity_flag: LiquidityFlag::ADDED,
        match_number: 1,
        options: OptionsView::EMPTY,
    }
    .encode(&mut ex)
    .unwrap();
    ex[35] = 3;
    assert_eq!(
        decode_outbound(&ex),
        Err(OuchError::Truncated {
            message_type: b'E',
            needed: 39,
            length: 36
        })
    );
    // Negative prices cannot be encoded.
    let c = CancelOrder {
        user_ref_num: UserRefNum(1),
        quantity: Qty(1),
    };
    let mut r = ReplaceOrder {
        orig_user_ref_num: c.user_ref_num,
        user_ref_num: UserRefNum(2),
        quantity: Qty(1),
        price: Price(-1),
        time_in_force: TimeInForce::Day,
        display: Display::Visible,
        intermarket_sweep: IntermarketSweep::NotEligible,
        cl_ord_id: ClOrdId::BLANK,
        options: OptionsView::EMPTY,
    };
    assert!(matches!(
        r.encode(&mut [0u8; 64]),
        Err(OuchError::BadField { field: "Price", .. })
    ));
    r.price = Price(1);
    assert!(r.encode(&mut [0u8; 64]).is_ok());
    let text = OuchError::Truncated {
        message_type: b'X',
        needed: 9,
        length: 7,
    }
    .to_string();
    assert!(text.starts_with("OUCH_TRUNCATED "), "{text}");
}

/// xorshift64*: a fixed-seed generator so any failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn inbound_options<'a>(m: &InboundMessage<'a>) -> Option<OptionsView<'a>> {
    match m {
        InboundMessage::EnterOrder(m) => Some(m.options),
        InboundMessage::ReplaceOrder(m) => Some(m.options),
        _ => None,
    }
}

fn outbound_options<'a>(m: &OutboundMessage<'a>) -> Option<OptionsView<'a>> {
    match m {
        OutboundMessage::OrderAccepted(m) => Some(m.options),
        OutboundMessage::OrderReplaced(m) => Some(m.options),
        OutboundMessage::OrderExecuted(m) => Some(m.options),
        OutboundMessage::OrderRestated(m) => Some(m.options),
        _ => None,
    }
}

/// A decoded appendage reads the same through the accessors, the iterator and the owned form,
/// and the owned form re-encodes to the known elements.
fn check_options(view: Option<OptionsView<'_>>) {
    let Some(view) = view else { return };
    let owned = view.to_options();
    assert_eq!(view.firm(), owned.firm);
    assert_eq!(view.peg_offset(), owned.peg_offset);
    assert_eq!(view.expire_time_s(), owned.expire_time_s);
    assert_eq!(view.display_price(), owned.display_price);
    let known = view
        .iter()
        .filter(|o| !matches!(o, OrderOption::Unknown { .. }))
        .count();
    assert_eq!(view.iter().count(), known + usize::from(owned.unknown_tags));
    let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
    let rebuilt = owned.encode(&mut scratch).unwrap();
    assert_eq!(rebuilt.iter().count(), known);
    assert_eq!(
        rebuilt.to_options(),
        OrderOptions {
            unknown_tags: 0,
            ..owned
        }
    );
}

#[test]
fn mutated_bytes_never_panic_and_valid_results_re_encode() {
    let mut rng = Rng(0x5EED_0C0C_u64);
    let mut seeds: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut buf = [0u8; 256];
    for m in inbound() {
        let n = m.encode(&mut buf).unwrap();
        seeds.push((true, buf[..n].to_vec()));
    }
    for m in outbound() {
        let n = m.encode(&mut buf).unwrap();
        seeds.push((false, buf[..n].to_vec()));
    }
    let (mut ok, mut err) = (0u32, 0u32);
    for round in 0..200_000u32 {
        let (is_inbound, seed) = &seeds[round as usize % seeds.len()];
        let mut bytes = seed.clone();
        for _ in 0..=(rng.next() % 4) {
            let at = (rng.next() as usize) % bytes.len().max(1);
            match rng.next() % 4 {
                0 if !bytes.is_empty() => bytes[at] = rng.next() as u8,
                1 => bytes.truncate(at),
                2 => bytes.push(rng.next() as u8),
                _ if !bytes.is_empty() => bytes[at] ^= 1 << (rng.next() % 8),
                _ => {}
            }
        }
        let mut out = [0u8; 512];
        let verdict = if *is_inbound {
            decode_inbound(&bytes).map(|m| {
                let n = m.encode(&mut out).unwrap();
                let again = decode_inbound(&out[..n]).unwrap();
                let mut out2 = [0u8; 512];
                let n2 = again.encode(&mut out2).unwrap();
                check_options(inbound_options(&m));
                // Accepted input re-encodes byte for byte (appendages are copied verbatim,
                // unknown tags included), and decoding that gives the same message.
                out[..n] == bytes[..] && out[..n] == out2[..n2] && again == m
            })
        } else {
            decode_outbound(&bytes).map(|m| {
                let n = m.encode(&mut out).unwrap();
                let again = decode_outbound(&out[..n]).unwrap();
                let mut out2 = [0u8; 512];
                let n2 = again.encode(&mut out2).unwrap();
                check_options(outbound_options(&m));
                // Accepted input re-encodes byte for byte (appendages are copied verbatim,
                // unknown tags included), and decoding that gives the same message.
                out[..n] == bytes[..] && out[..n] == out2[..n2] && again == m
            })
        };
        match verdict {
            Ok(same) => {
                assert!(same, "re-encode is not stable: {bytes:02x?}");
                ok += 1;
            }
            Err(_) => err += 1,
        }
    }
    // Both outcomes must be exercised for the test to mean anything.
    assert!(ok > 1_000 && err > 1_000, "ok={ok} err={err}");
}
