//! The optional appendage: a length-prefixed run of TagValue elements (OUCH 5.0 §1.2, Appendix B).
//!
//! Decoding does not build anything: a decoded message carries an [`OptionsView`], a borrowed
//! view of the received TagValue bytes that was checked at decode time (framing, sizes, duplicate
//! tags, values), so reading it later cannot fail. Accessors per tag (`view.firm()`) scan the few
//! elements on demand; [`OptionsView::iter`] yields each element as an [`OrderOption`];
//! [`OptionsView::to_options`] materialises the owned [`OrderOptions`] for tools and tests.
//! To send options, fill an [`OrderOptions`] and [`OrderOptions::encode`] it once into a small
//! buffer (a session's fixed Firm can be encoded once at start-up and reused for every order).

use crate::error::OuchError;
use crate::types::{
    BboWeightIndicator, CustomerType, HandleInst, Mpid, PostOnly, PriceType, YesNo,
};
use crate::wire::{Reader, SignedPrice4, Wire, Writer};
use crossbar_model::{Price, Qty};
use std::fmt;

/// Message type used in the errors of [`OrderOptions::encode`], which runs outside any message.
const NO_MESSAGE_TYPE: u8 = 0;

macro_rules! options {
    ($( $(#[$m:meta])* $tag:literal $variant:ident $field:ident : $ty:ty => $wire:ty ),+ $(,)?) => {
        /// Every Appendix B option, each `None` when absent: the owned form, for building an
        /// appendage to send ([`OrderOptions::encode`]) and for tools and tests
        /// ([`OptionsView::to_options`]). About 150 bytes: keep it off the decode path.
        ///
        /// Encoding writes the present options in ascending tag order (the order NASDAQ itself
        /// uses). Unknown tags met while materialising a view are counted in
        /// [`OrderOptions::unknown_tags`] and never encoded. Which options a message may carry
        /// is listed per message in §2–§3; the codec does not police it.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct OrderOptions {
            $( $(#[$m])* pub $field: Option<$ty>, )+
            /// TagValue elements with a tag Appendix B does not define (skipped).
            pub unknown_tags: u8,
        }

        /// One TagValue element of an appendage (OUCH 5.0 Appendix B), decoded.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum OrderOption<'a> {
            $( $(#[$m])* $variant($ty), )+
            /// An element whose tag Appendix B does not define, kept as received.
            Unknown {
                /// The OptionTag.
                tag: u8,
                /// The value bytes (after the tag).
                value: &'a [u8],
            },
        }

        impl OrderOption<'_> {
            /// The element's OptionTag (Appendix B).
            pub const fn tag(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => $tag, )+
                    Self::Unknown { tag, .. } => *tag,
                }
            }
        }

        impl OrderOptions {
            /// No options.
            pub const NONE: Self = Self { $( $field: None, )+ unknown_tags: 0 };

            /// Bytes of TagValue elements when every option is present (the largest
            /// [`OrderOptions::encoded_len`]); a buffer this long always suffices for
            /// [`OrderOptions::encode`].
            pub const MAX_ENCODED_LEN: usize = 0 $( + 2 + <$wire as Wire<'static>>::MIN_LEN )+;

            /// Bytes of TagValue elements [`OrderOptions::encode`] writes (the Appendage
            /// Length field's value; the 2-byte field itself not included).
            #[inline]
            pub fn encoded_len(&self) -> usize {
                0 $( + self.$field.map_or(0, |_| 2 + <$wire as Wire<'static>>::MIN_LEN) )+
            }

            fn write_elements(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
                $( if let Some(v) = self.$field {
                    w.put(&[1 + <$wire as Wire<'static>>::MIN_LEN as u8, $tag])?;
                    Wire::write(&<$wire>::from(v), w)?;
                } )+
                Ok(())
            }

            fn set(&mut self, option: OrderOption<'_>) {
                match option {
                    $( OrderOption::$variant(v) => self.$field = Some(v), )+
                    OrderOption::Unknown { .. } => self.unknown_tags = self.unknown_tags.saturating_add(1),
                }
            }
        }

        impl<'a> OptionsView<'a> {
            $(
                $(#[$m])*
                ///
                /// `None` when the appendage does not carry it.
                #[inline]
                pub fn $field(&self) -> Option<$ty> {
                    let value = self.find($tag)?;
                    <$wire as Wire<'a>>::read(&mut Reader::over_value(value, NO_MESSAGE_TYPE))
                        .ok()
                        .map(<$ty>::from)
                }
            )+
        }

        /// Checks one element: a known tag must have its exact size, appear once and hold a
        /// valid value (in that order); unknown tags are accepted as they are.
        fn check_element(tag: u8, value: &[u8], seen: &mut u32) -> Result<(), &'static str> {
            match tag {
                $( $tag => {
                    if value.len() != <$wire as Wire<'static>>::MIN_LEN {
                        return Err("wrong_size");
                    }
                    if *seen & (1 << $tag) != 0 {
                        return Err("duplicate_tag");
                    }
                    *seen |= 1 << $tag;
                    <$wire as Wire<'_>>::read(&mut Reader::over_value(value, NO_MESSAGE_TYPE))
                        .map_err(|_| "bad_value")?;
                }, )+
                _ => {}
            }
            Ok(())
        }

        /// Decodes one element already split into tag and value; `None` for a known tag whose
        /// value does not parse (never the case inside a validated view).
        #[inline]
        fn parse_element(tag: u8, value: &[u8]) -> Option<OrderOption<'_>> {
            match tag {
                $( $tag => {
                    if value.len() != <$wire as Wire<'static>>::MIN_LEN {
                        return None;
                    }
                    <$wire as Wire<'_>>::read(&mut Reader::over_value(value, NO_MESSAGE_TYPE))
                        .ok()
                        .map(|v| OrderOption::$variant(<$ty>::from(v)))
                }, )+
                _ => Some(OrderOption::Unknown { tag, value }),
            }
        }
    };
}

options! {
    /// Tag 1: alternative order reference number used on the market data feeds.
    1 SecondaryOrdRefNum secondary_ord_ref_num: u64 => u64,
    /// Tag 2: firm identifier (all caps; blank = the account's default firm).
    2 Firm firm: Mpid => Mpid,
    /// Tag 3: minimum quantity, shares (a round lot).
    3 MinQty min_qty: Qty => Qty,
    /// Tag 4: customer type.
    4 CustomerType customer_type: CustomerType => CustomerType,
    /// Tag 5: displayed portion (max floor), shares.
    5 MaxFloor max_floor: Qty => Qty,
    /// Tag 6: price type.
    6 PriceType price_type: PriceType => PriceType,
    /// Tag 7: peg offset, signed, 1/10,000 (4 bytes on the wire).
    7 PegOffset peg_offset: Price => SignedPrice4,
    /// Tag 9: discretion price, 1/10,000.
    9 DiscretionPrice discretion_price: Price => Price,
    /// Tag 10: discretion price type.
    10 DiscretionPriceType discretion_price_type: PriceType => PriceType,
    /// Tag 11: discretion peg offset, signed, 1/10,000 (4 bytes on the wire).
    11 DiscretionPegOffset discretion_peg_offset: Price => SignedPrice4,
    /// Tag 12: post only.
    12 PostOnly post_only: PostOnly => PostOnly,
    /// Tag 13: random reserve shares.
    13 RandomReserves random_reserves: Qty => Qty,
    /// Tag 14: route.
    14 Route route: Mpid => Mpid,
    /// Tag 15: expire time, seconds to live (< 86,400).
    15 ExpireTime expire_time_s: u32 => u32,
    /// Tag 16: trade now.
    16 TradeNow trade_now: YesNo => YesNo,
    /// Tag 17: handling instruction.
    17 HandleInst handle_inst: HandleInst => HandleInst,
    /// Tag 18: BBO weight indicator.
    18 BboWeightIndicator bbo_weight_indicator: BboWeightIndicator => BboWeightIndicator,
    /// Tag 22: display quantity, shares (Order Restated only).
    22 DisplayQuantity display_quantity: Qty => Qty,
    /// Tag 23: display price, 1/10,000 (Order Restated only).
    23 DisplayPrice display_price: Price => Price,
    /// Tag 24: customer group id.
    24 GroupId group_id: u16 => u16,
    /// Tag 25: shares located for a short sale.
    25 SharesLocated shares_located: YesNo => YesNo,
}

// Every encodable appendage fits the 2-byte Appendage Length (§1.2).
const _: () = assert!(OrderOptions::MAX_ENCODED_LEN <= u16::MAX as usize);

impl From<SignedPrice4> for Price {
    #[inline]
    fn from(v: SignedPrice4) -> Self {
        v.0
    }
}

impl From<Price> for SignedPrice4 {
    #[inline]
    fn from(v: Price) -> Self {
        SignedPrice4(v)
    }
}

impl OrderOptions {
    /// Writes the present options as TagValue elements, ascending by tag, to the start of `out`
    /// and returns a view of them to put in a message's `options` field (OUCH 5.0 §1.2,
    /// Appendix B). `out` needs [`OrderOptions::encoded_len`] bytes
    /// ([`OrderOptions::MAX_ENCODED_LEN`] always suffices). Unknown tags are not written.
    ///
    /// # Errors
    /// [`OuchError::BufferTooSmall`] when `out` is too short; [`OuchError::BadField`] for a
    /// negative price or an offset that does not fit its 4-byte field. Both carry
    /// `message_type=0x00`, as no message is being encoded yet.
    pub fn encode<'b>(&self, out: &'b mut [u8]) -> Result<OptionsView<'b>, OuchError> {
        let len = self.encoded_len();
        let mut w = Writer::without_type(&mut *out, len, NO_MESSAGE_TYPE)?;
        self.write_elements(&mut w)?;
        let out: &'b [u8] = out;
        let bytes = out.get(..len).ok_or(OuchError::BufferTooSmall {
            message_type: NO_MESSAGE_TYPE,
            needed: len,
            available: out.len(),
        })?;
        Ok(OptionsView { bytes })
    }
}

/// A message's appendage (OUCH 5.0 §1.2, Appendix B): a borrowed view of its TagValue elements
/// (the bytes after the 2-byte Appendage Length), 16 bytes, `Copy`.
///
/// Only two things make one: decoding a message, which checks every element (framing, exact
/// size per tag, no duplicate known tag, valid value; else `OUCH_BAD_APPENDAGE`), and
/// [`OrderOptions::encode`]. So the accessors cannot fail: each returns `None` only when the
/// option is absent. Elements keep their wire order, unknown tags included, and encoding a
/// message copies them verbatim. Equality compares the bytes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OptionsView<'a> {
    bytes: &'a [u8],
}

impl<'a> OptionsView<'a> {
    /// No options (an Appendage Length of 0).
    pub const EMPTY: OptionsView<'static> = OptionsView { bytes: &[] };

    /// True when the appendage has no elements.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The TagValue element bytes, without the 2-byte Appendage Length.
    #[inline]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Bytes the appendage takes on the wire, the 2-byte Appendage Length included.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        2 + self.bytes.len()
    }

    /// The elements in wire order, each decoded.
    #[inline]
    pub fn iter(&self) -> OptionsIter<'a> {
        OptionsIter { rest: self.bytes }
    }

    /// Every option in one owned struct (unknown tags counted, not kept).
    pub fn to_options(&self) -> OrderOptions {
        let mut options = OrderOptions::NONE;
        for option in self.iter() {
            options.set(option);
        }
        options
    }

    /// The value bytes of the first element with `tag`.
    #[inline]
    fn find(&self, tag: u8) -> Option<&'a [u8]> {
        let mut rest = self.bytes;
        while let Some((t, value, next)) = split_element(rest) {
            if t == tag {
                return Some(value);
            }
            rest = next;
        }
        None
    }
}

impl fmt::Debug for OptionsView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for OptionsView<'a> {
    type Item = OrderOption<'a>;
    type IntoIter = OptionsIter<'a>;
    #[inline]
    fn into_iter(self) -> OptionsIter<'a> {
        self.iter()
    }
}

/// Iterator over an [`OptionsView`]'s elements in wire order ([`OptionsView::iter`]).
#[derive(Clone, Debug)]
pub struct OptionsIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionsIter<'a> {
    type Item = OrderOption<'a>;

    #[inline]
    fn next(&mut self) -> Option<OrderOption<'a>> {
        let (tag, value, rest) = split_element(self.rest)?;
        self.rest = rest;
        let option = parse_element(tag, value);
        if option.is_none() {
            self.rest = &[]; // unreachable for a validated view; stop rather than guess
        }
        option
    }
}

/// Splits the first element off `bytes`: (tag, value, rest). `None` at the end or when the
/// element is malformed (never the case inside a validated view).
#[inline]
fn split_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&element_len, after) = bytes.split_first()?;
    let element_len = usize::from(element_len);
    let element = after.get(..element_len)?;
    let (&tag, value) = element.split_first()?;
    Some((tag, value, after.get(element_len..)?))
}

/// Checks a whole appendage's elements; errors name the element's offset in the appendage.
#[inline(never)]
fn validate(bytes: &[u8], message_type: u8) -> Result<(), OuchError> {
    let mut seen = 0u32;
    let mut at = 0;
    while let Some(rest) = bytes.get(at..).filter(|rest| !rest.is_empty()) {
        let bad = |tag: u8, reason: &'static str| OuchError::BadAppendage {
            message_type,
            offset: at,
            tag,
            reason,
        };
        let element_len = usize::from(rest[0]);
        let Some(element) = rest.get(1..1 + element_len) else {
            return Err(bad(rest.get(1).copied().unwrap_or(0), "overruns_appendage"));
        };
        let Some((&tag, value)) = element.split_first() else {
            return Err(bad(0, "empty_element"));
        };
        check_element(tag, value, &mut seen).map_err(|reason| bad(tag, reason))?;
        at += 1 + element_len;
    }
    Ok(())
}

/// Appendage Length (2 bytes, big-endian) followed by the TagValue elements (§1.2).
impl<'r: 'a, 'a> Wire<'r> for OptionsView<'a> {
    const MIN_LEN: usize = 2;

    #[inline]
    fn wire_len(&self) -> usize {
        self.encoded_len()
    }

    #[inline]
    fn read(r: &mut Reader<'r>) -> Result<Self, OuchError> {
        let len = usize::from(u16::read(r)?);
        let bytes = r.take_slice(len)?;
        if !bytes.is_empty() {
            validate(bytes, r.message_type)?;
        }
        Ok(Self { bytes })
    }

    #[inline]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), OuchError> {
        let len = self.bytes.len();
        let len = u16::try_from(len).map_err(|_| w.bad("AppendageLength", len as u64))?;
        len.write(w)?;
        w.put(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `appendage` (the element bytes) as the appendage of a one-field message `X`.
    fn decode(appendage: &[u8]) -> Result<OrderOptions, OuchError> {
        let mut msg = vec![b'X'];
        msg.extend_from_slice(&(appendage.len() as u16).to_be_bytes());
        msg.extend_from_slice(appendage);
        let mut r = Reader::new(&msg, b'X')?;
        let view = OptionsView::read(&mut r)?;
        r.finish()?;
        assert_eq!(view.as_bytes(), appendage);
        Ok(view.to_options())
    }

    /// The appendage as a message carries it: Appendage Length, then the elements.
    fn encode(o: &OrderOptions) -> Vec<u8> {
        let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
        let view = o.encode(&mut scratch).unwrap();
        let mut buf = vec![0u8; 1 + view.encoded_len()];
        let mut w = Writer::new(&mut buf, 1 + view.encoded_len(), b'X').unwrap();
        view.write(&mut w).unwrap();
        buf[1..].to_vec()
    }

    fn all() -> OrderOptions {
        OrderOptions {
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
        }
    }

    #[test]
    fn every_tag_round_trips() {
        let all = all();
        let bytes = encode(&all);
        assert_eq!(bytes.len(), 2 + all.encoded_len());
        assert_eq!(all.encoded_len(), OrderOptions::MAX_ENCODED_LEN);
        assert_eq!(decode(&bytes[2..]), Ok(all));
        assert_eq!(encode(&OrderOptions::NONE), [0, 0]);
    }

    #[test]
    fn view_accessors_and_iterator_read_every_tag() {
        let all = all();
        let mut scratch = [0u8; OrderOptions::MAX_ENCODED_LEN];
        let view = all.encode(&mut scratch).unwrap();
        assert_eq!(view.secondary_ord_ref_num(), all.secondary_ord_ref_num);
        assert_eq!(view.firm(), all.firm);
        assert_eq!(view.min_qty(), all.min_qty);
        assert_eq!(view.customer_type(), all.customer_type);
        assert_eq!(view.max_floor(), all.max_floor);
        assert_eq!(view.price_type(), all.price_type);
        assert_eq!(view.peg_offset(), all.peg_offset);
        assert_eq!(view.discretion_price(), all.discretion_price);
        assert_eq!(view.discretion_price_type(), all.discretion_price_type);
        assert_eq!(view.discretion_peg_offset(), all.discretion_peg_offset);
        assert_eq!(view.post_only(), all.post_only);
        assert_eq!(view.random_reserves(), all.random_reserves);
        assert_eq!(view.route(), all.route);
        assert_eq!(view.expire_time_s(), all.expire_time_s);
        assert_eq!(view.trade_now(), all.trade_now);
        assert_eq!(view.handle_inst(), all.handle_inst);
        assert_eq!(view.bbo_weight_indicator(), all.bbo_weight_indicator);
        assert_eq!(view.display_quantity(), all.display_quantity);
        assert_eq!(view.display_price(), all.display_price);
        assert_eq!(view.group_id(), all.group_id);
        assert_eq!(view.shares_located(), all.shares_located);
        let tags: Vec<u8> = view.iter().map(|o| o.tag()).collect();
        assert_eq!(
            tags,
            [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 22, 23, 24, 25]
        );
        assert_eq!(
            view.iter().nth(6),
            Some(OrderOption::PegOffset(Price(-500)))
        );

        let empty = OptionsView::EMPTY;
        assert!(empty.is_empty());
        assert_eq!(empty.firm(), None);
        assert_eq!(empty.iter().next(), None);
        assert_eq!(empty.to_options(), OrderOptions::NONE);
        assert_eq!(empty.encoded_len(), 2);
    }

    #[test]
    fn view_keeps_wire_order_and_unknown_tags() {
        // Customer type R, an unknown tag 99 with two value bytes, then firm "AB  ".
        let elements = [2, 4, b'R', 3, 99, 1, 2, 5, 2, b'A', b'B', b' ', b' '];
        let mut msg = vec![b'X', 0, elements.len() as u8];
        msg.extend_from_slice(&elements);
        let mut r = Reader::new(&msg, b'X').unwrap();
        let view = OptionsView::read(&mut r).unwrap();
        let items: Vec<OrderOption<'_>> = view.iter().collect();
        assert_eq!(
            items,
            [
                OrderOption::CustomerType(CustomerType::Retail),
                OrderOption::Unknown {
                    tag: 99,
                    value: &[1, 2]
                },
                OrderOption::Firm(Mpid::new("AB").unwrap()),
            ]
        );
        assert_eq!(view.firm(), Mpid::new("AB"));
        assert_eq!(view.to_options().unknown_tags, 1);
        // Re-encoding copies the elements verbatim, the unknown tag included.
        let mut out = vec![0u8; 1 + view.encoded_len()];
        let mut w = Writer::new(&mut out, 1 + view.encoded_len(), b'X').unwrap();
        view.write(&mut w).unwrap();
        assert_eq!(out, msg);
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
        assert!(matches!(
            too_big.encode(&mut buf),
            Err(OuchError::BadField {
                field: "PegOffset",
                ..
            })
        ));
        assert!(matches!(
            all().encode(&mut [0u8; OrderOptions::MAX_ENCODED_LEN - 1]),
            Err(OuchError::BufferTooSmall { .. })
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
        // The offset names the offending element.
        assert!(matches!(
            decode(&[2, 4, b'R', 2, 4, b'N']),
            Err(OuchError::BadAppendage {
                offset: 3,
                tag: 4,
                ..
            })
        ));
        let o = decode(&[3, 99, 1, 2, 2, 4, b'R']).unwrap();
        assert_eq!(o.unknown_tags, 1);
        assert_eq!(o.customer_type, Some(CustomerType::Retail));
    }
}
