//! Real NASDAQ OUCH 5.0 over SoupBinTCP captures (../shared/venue-data/nasdaq_ouch50_soupbintcp,
//! from Open-Markets-Initiative/omi-data-packets). Each pcap holds one TCP segment; its payload
//! is cut into SoupBinTCP packets by crossbar-soupbintcp and the message decoded here.
//!
//! Expected values were read off the bytes with `xxd` against OUCH 5.0 §2.1, §2.3, §3.2, §3.4,
//! not produced by this decoder.

use crossbar_model::{Price, Qty};
use crossbar_ouch::*;
use crossbar_soupbintcp::{next_frame, Frame, Packet};

/// TCP payloads of every packet in the capture, in order (crossbar-capture), or `None`
/// without ../shared.
fn tcp_payloads(name: &str) -> Option<Vec<Vec<u8>>> {
    let dir = crossbar_capture::venue_data("nasdaq_ouch50_soupbintcp")?;
    let path = dir.join(format!("Nasdaq__Nasdaq.Nsm.Ouch.v5.0__{name}.pcap"));
    let capture =
        crossbar_capture::read_capture(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let payloads = capture
        .packets
        .into_iter()
        .map(|p| match p.transport {
            crossbar_capture::Transport::Tcp { .. } => p.payload,
            other => panic!("{name}: not TCP: {other:?}"),
        })
        .collect();
    Some(payloads)
}

/// The single SoupBinTCP packet of a one-segment capture, as (type byte, message bytes) plus its raw bytes.
fn only_packet(name: &str) -> Option<(u8, Vec<u8>, Vec<u8>)> {
    let payloads = tcp_payloads(name)?;
    assert_eq!(payloads.len(), 1, "{name}: one segment expected");
    let payload = &payloads[0];
    let Frame::Packet { packet, consumed } = next_frame(payload, 65_535).unwrap() else {
        panic!("{name}: incomplete SoupBinTCP packet");
    };
    assert_eq!(
        consumed,
        payload.len(),
        "{name}: one SoupBinTCP packet per segment"
    );
    let message = match packet {
        Packet::UnsequencedData { message } | Packet::SequencedData { message } => message.to_vec(),
        _ => Vec::new(),
    };
    Some((packet.packet_type(), message, payload.clone()))
}

macro_rules! need_shared {
    ($name:literal, $e:expr) => {
        match $e {
            Some(v) => v,
            None => {
                crossbar_capture::report_skipped(&$name);
                return;
            }
        }
    };
}

#[test]
fn enter_order_capture_decodes_and_reencodes_byte_for_byte() {
    let (kind, message, raw) =
        need_shared!("enter_order_capture", only_packet("EnterOrderMessage"));
    assert_eq!(kind, b'U');
    assert_eq!(message.len(), 53);
    let InboundMessage::EnterOrder(order) = decode_inbound(&message).unwrap() else {
        panic!("not Enter Order")
    };
    assert_eq!(order.user_ref_num, UserRefNum(113));
    assert_eq!(order.side, OrderSide::SellShort);
    assert_eq!(order.quantity, Qty(225));
    assert_eq!(order.symbol, Symbol::new("CVLT").unwrap());
    assert_eq!(order.price, Price::parse_decimal("63.02").unwrap());
    assert_eq!(order.time_in_force, TimeInForce::Day);
    assert_eq!(order.display, Display::Visible);
    assert_eq!(order.capacity, Capacity::Agency);
    assert_eq!(order.intermarket_sweep, IntermarketSweep::NotEligible);
    assert_eq!(order.cross_type, CrossType::Continuous);
    assert_eq!(order.cl_ord_id, ClOrdId::new("H8FUB8IV").unwrap());
    assert_eq!(
        order.options.to_options(),
        OrderOptions {
            firm: Mpid::new("LIME"),
            ..OrderOptions::NONE
        }
    );
    assert_eq!(order.options.firm(), Mpid::new("LIME"));

    // The same options built from scratch encode to the captured appendage.
    let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
    let built = OrderOptions {
        firm: Mpid::new("LIME"),
        ..OrderOptions::NONE
    }
    .encode(&mut scratch)
    .unwrap();
    assert_eq!(built, order.options);

    // Rebuild from the decoded values only (options from scratch); the whole SoupBinTCP packet
    // must match the capture.
    let rebuilt = EnterOrder {
        options: built,
        ..order
    };
    let mut buf = [0u8; 128];
    let n = rebuilt.encode(&mut buf[3..]).unwrap();
    let total = crossbar_soupbintcp::encode_data_header(&mut buf, b'U', n).unwrap();
    assert_eq!(&buf[..total], &raw[..]);
}

#[test]
fn cancel_order_capture_decodes_and_reencodes_byte_for_byte() {
    let (kind, message, raw) =
        need_shared!("cancel_order_capture", only_packet("CancelOrderMessage"));
    assert_eq!(kind, b'U');
    let InboundMessage::CancelOrder(cancel) = decode_inbound(&message).unwrap() else {
        panic!("not Cancel")
    };
    assert_eq!(
        cancel,
        CancelOrder {
            user_ref_num: UserRefNum(7_679_601),
            quantity: Qty(0)
        }
    );
    let mut buf = [0u8; 16];
    let n = cancel.encode(&mut buf[3..]).unwrap();
    let total = crossbar_soupbintcp::encode_data_header(&mut buf, b'U', n).unwrap();
    assert_eq!(&buf[..total], &raw[..]);
}

#[test]
fn order_accepted_capture_decodes() {
    let (kind, message, _) = need_shared!(
        "order_accepted_capture",
        only_packet("OrderAcceptedMessage")
    );
    assert_eq!(kind, b'S');
    let OutboundMessage::OrderAccepted(a) = decode_outbound(&message).unwrap() else {
        panic!("not Accepted")
    };
    assert_eq!(a.timestamp_ns, 44_647_483_486_087); // 12:24:07.483486087 after midnight
    assert_eq!(a.user_ref_num, UserRefNum(7_682_701));
    assert_eq!(a.side, OrderSide::Buy);
    assert_eq!(a.quantity, Qty(40));
    assert_eq!(a.symbol, Symbol::new("ADBE").unwrap());
    assert_eq!(a.price, Price::parse_decimal("477.78").unwrap());
    assert_eq!(a.time_in_force, TimeInForce::Gtx);
    assert_eq!(a.display, Display::Visible);
    assert_eq!(a.order_reference_number, 257_340_661);
    assert_eq!(a.capacity, Capacity::Agency);
    assert_eq!(a.intermarket_sweep, IntermarketSweep::NotEligible);
    assert_eq!(a.cross_type, CrossType::Continuous);
    assert_eq!(a.order_state, OrderState::Live);
    assert_eq!(a.cl_ord_id, ClOrdId::new("7682701").unwrap());
    assert_eq!(
        a.options.to_options(),
        OrderOptions {
            firm: Mpid::new("MLRO"),
            bbo_weight_indicator: Some(BboWeightIndicator::UpTo0_2Pct),
            ..OrderOptions::NONE
        }
    );
    assert_eq!(a.options.firm(), Mpid::new("MLRO"));
    assert_eq!(
        a.options.bbo_weight_indicator(),
        Some(BboWeightIndicator::UpTo0_2Pct)
    );
    let mut buf = [0u8; 128];
    let n = a.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &message[..]);
    // Built from the owned options, the appendage re-encodes byte for byte too.
    let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
    let rebuilt = OrderAccepted {
        options: a.options.to_options().encode(&mut scratch).unwrap(),
        ..a
    };
    let n = rebuilt.encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], &message[..]);
}

#[test]
fn canceled_capture_decodes() {
    let (kind, message, _) = need_shared!("canceled_capture", only_packet("CanceledMessage"));
    assert_eq!(kind, b'S');
    let OutboundMessage::OrderCanceled(c) = decode_outbound(&message).unwrap() else {
        panic!("not Canceled")
    };
    assert_eq!(
        c,
        OrderCanceled {
            timestamp_ns: 44_647_483_708_183,
            user_ref_num: UserRefNum(7_682_701),
            quantity: Qty(40),
            reason: CancelReason::UserRequested,
        }
    );
}

#[test]
fn heartbeat_captures_are_soupbintcp_heartbeats() {
    let (client, _, _) = need_shared!("heartbeat_captures", only_packet("ClientHeartbeatPacket"));
    assert_eq!(client, b'R');
    let (server, _, _) = need_shared!("heartbeat_captures", only_packet("ServerHeartbeatPacket"));
    assert_eq!(server, b'H');
}
