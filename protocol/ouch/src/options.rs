//! The optional appendage: a length-prefixed run of TagValue elements (OUCH 5.0 §1.2, Appendix B).

use crate::error::OuchError;
use crate::types::{
    BboWeightIndicator, CustomerType, HandleInst, Mpid, PostOnly, PriceType, YesNo,
};
use crate::wire::{Reader, SignedPrice4, Wire, Writer};
use crossbar_model::{Price, Qty};

macro_rules! options {
    ($( $(#[$m:meta])* $tag:literal $field:ident : $ty:ty => $wire:ty ),+ $(,)?) => {
        /// Every Appendix B option, each `None` when absent.
        ///
        /// Decoding fills the fields from the TagValue elements in any order; encoding writes the
        /// present ones in ascending tag order (the order NASDAQ itself uses, so captured bytes
        /// re-encode exactly). Unknown tags are skipped on decode and counted in
        /// [`OrderOptions::unknown_tags`]; they are not re-encoded. Which options a message may
        /// carry is listed per message in §2–§3; the codec does not police it.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct OrderOptions {
            $( $(#[$m])* pub $field: Option<$ty>, )+
            /// TagValue elements with a tag Appendix B does not define (skipped on decode).
            pub unknown_tags: u8,
        }

        impl OrderOptions {
            /// No options.
            pub const NONE: Self = Self { $( $field: None, )+ unknown_tags: 0 };

            fn elements_len(&self) -> usize {
                0 $( + self.$field.map_or(0, |_| 2 + <$wire as Wire>::MIN_LEN) )+
            }

            fn read_element(&mut self, tag: u8, value: &mut Reader<'_>, size: usize) -> Result<(), &'static str> {
                match tag {
                    $( $tag => {
                        if size != <$wire as Wire>::MIN_LEN { return Err("wrong_size"); }
                        if self.$field.is_some() { return Err("duplicate_tag"); }
                        let v = <$wire as Wire>::read(value).map_err(|_| "bad_value")?;
                        self.$field = Some(<$ty>::from(v));
                    } )+
                    _ => self.unknown_tags = self.unknown_tags.saturating_add(1),
                }
                Ok(())
            }

            fn write_elements(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
                $( if let Some(v) = self.$field {
                    w.put(&[1 + <$wire as Wire>::MIN_LEN as u8, $tag])?;
                    <$wire>::from(v).write(w)?;
                } )+
                Ok(())
            }
        }
    };
}

options! {
    /// Tag 1: alternative order reference number used on the market data feeds.
    1 secondary_ord_ref_num: u64 => u64,
    /// Tag 2: firm identifier (all caps; blank = the account's default firm).
    2 firm: Mpid => Mpid,
    /// Tag 3: minimum quantity, shares (a round lot).
    3 min_qty: Qty => Qty,
    /// Tag 4: customer type.
    4 customer_type: CustomerType => CustomerType,
    /// Tag 5: displayed portion (max floor), shares.
    5 max_floor: Qty => Qty,
    /// Tag 6: price type.
    6 price_type: PriceType => PriceType,
    /// Tag 7: peg offset, signed, 1/10,000 (4 bytes on the wire).
    7 peg_offset: Price => SignedPrice4,
    /// Tag 9: discretion price, 1/10,000.
    9 discretion_price: Price => Price,
    /// Tag 10: discretion price type.
    10 discretion_price_type: PriceType => PriceType,
    /// Tag 11: discretion peg offset, signed, 1/10,000 (4 bytes on the wire).
    11 discretion_peg_offset: Price => SignedPrice4,
    /// Tag 12: post only.
    12 post_only: PostOnly => PostOnly,
    /// Tag 13: random reserve shares.
    13 random_reserves: Qty => Qty,
    /// Tag 14: route.
    14 route: Mpid => Mpid,
    /// Tag 15: expire time, seconds to live (< 86,400).
    15 expire_time_s: u32 => u32,
    /// Tag 16: trade now.
    16 trade_now: YesNo => YesNo,
    /// Tag 17: handling instruction.
    17 handle_inst: HandleInst => HandleInst,
    /// Tag 18: BBO weight indicator.
    18 bbo_weight_indicator: BboWeightIndicator => BboWeightIndicator,
    /// Tag 22: display quantity, shares (Order Restated only).
    22 display_quantity: Qty => Qty,
    /// Tag 23: display price, 1/10,000 (Order Restated only).
    23 display_price: Price => Price,
    /// Tag 24: customer group id.
    24 group_id: u16 => u16,
    /// Tag 25: shares located for a short sale.
    25 shares_located: YesNo => YesNo,
}

impl From<SignedPrice4> for Price {
    fn from(v: SignedPrice4) -> Self {
        v.0
    }
}

impl From<Price> for SignedPrice4 {
    fn from(v: Price) -> Self {
        SignedPrice4(v)
    }
}

/// Appendage Length (2 bytes) followed by the TagValue elements.
impl Wire for OrderOptions {
    const MIN_LEN: usize = 2;

    fn wire_len(&self) -> usize {
        2 + self.elements_len()
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, OuchError> {
        let len = usize::from(u16::read(r)?);
        let bytes = r.take_slice(len)?;
        let message_type = r.message_type;
        let mut options = OrderOptions::NONE;
        let mut at = 0;
        while at < bytes.len() {
            let bad = |tag: u8, reason: &'static str| OuchError::BadAppendage {
                message_type,
                offset: at,
                tag,
                reason,
            };
            let element_len = usize::from(bytes[at]);
            let Some(element) = bytes.get(at + 1..at + 1 + element_len) else {
                return Err(bad(
                    bytes.get(at + 1).copied().unwrap_or(0),
                    "overruns_appendage",
                ));
            };
            let Some((&tag, value)) = element.split_first() else {
                return Err(bad(0, "empty_element"));
            };
            let mut value_reader = Reader::over_value(value, message_type);
            options
                .read_element(tag, &mut value_reader, value.len())
                .map_err(|reason| bad(tag, reason))?;
            at += 1 + element_len;
        }
        Ok(options)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        let len = self.elements_len() as u16;
        len.write(w)?;
        self.write_elements(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(appendage: &[u8]) -> Result<OrderOptions, OuchError> {
        let mut msg = vec![b'X'];
        msg.extend_from_slice(&(appendage.len() as u16).to_be_bytes());
        msg.extend_from_slice(appendage);
        let mut r = Reader::new(&msg, b'X')?;
        let o = OrderOptions::read(&mut r)?;
        r.finish()?;
        Ok(o)
    }

    fn encode(o: &OrderOptions) -> Vec<u8> {
        let mut buf = vec![0u8; 1 + o.wire_len()];
        let mut w = Writer::new(&mut buf, 1 + o.wire_len(), b'X').unwrap();
        o.write(&mut w).unwrap();
        buf[1..].to_vec()
    }

    #[test]
    fn every_tag_round_trips() {
        let all = OrderOptions {
            secondary_ord_ref_num: Some(u64::MAX - 1),
            firm: Mpid::new("LIME"),
            min_qty: Some(Qty(100)),
            customer_type: Some(CustomerType::Retail),
            max_floor: Some(Qty(200)),
            price_type: Some(PriceType::Midpoint),
            peg_offset: Some(Price(-500)),
            discretion_price: Some(Price(1_234_500)),
            discretion_price_type: Some(PriceType::PrimaryPeg),
            discretion_peg_offset: Some(Price(100)),
            post_only: Some(PostOnly::PostOnly),
            random_reserves: Some(Qty(300)),
            route: Mpid::new("RT1"),
            expire_time_s: Some(86_399),
            trade_now: Some(YesNo::Yes),
            handle_inst: Some(HandleInst::ImbalanceOnly),
            bbo_weight_indicator: Some(BboWeightIndicator::Over2Pct),
            display_quantity: Some(Qty(400)),
            display_price: Some(Price(99)),
            group_id: Some(7),
            shares_located: Some(YesNo::No),
            unknown_tags: 0,
        };
        let bytes = encode(&all);
        assert_eq!(bytes.len(), all.wire_len());
        assert_eq!(decode(&bytes[2..]), Ok(all));
        assert_eq!(encode(&OrderOptions::NONE), [0, 0]);
    }

    #[test]
    fn peg_offset_is_a_four_byte_signed_price() {
        let o = decode(&[5, 7, 0xff, 0xff, 0xfe, 0x0c]).unwrap();
        assert_eq!(o.peg_offset, Some(Price(-500)));
        let too_big = OrderOptions {
            peg_offset: Some(Price(i64::from(i32::MAX) + 1)),
            ..OrderOptions::NONE
        };
        let mut buf = [0u8; 16];
        let mut w = Writer::new(&mut buf, 1 + too_big.wire_len(), b'O').unwrap();
        assert!(matches!(
            too_big.write(&mut w),
            Err(OuchError::BadField {
                field: "PegOffset",
                ..
            })
        ));
    }

    #[test]
    fn malformed_appendages_are_rejected_with_reason() {
        let reason = |bytes: &[u8]| match decode(bytes) {
            Err(OuchError::BadAppendage { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(&[5, 2, b'A', b'B']), "overruns_appendage");
        assert_eq!(reason(&[0]), "empty_element");
        assert_eq!(reason(&[4, 2, b'A', b'B', b'C']), "wrong_size");
        assert_eq!(reason(&[2, 4, b'R', 2, 4, b'N']), "duplicate_tag");
        assert_eq!(reason(&[2, 4, b'?']), "bad_value");
        let o = decode(&[3, 99, 1, 2, 2, 4, b'R']).unwrap();
        assert_eq!(o.unknown_tags, 1);
        assert_eq!(o.customer_type, Some(CustomerType::Retail));
    }
}
