//! Request validation: every field `schemas/crossbar.proto` constrains is checked here, before
//! the backend sees the request. A request that passes comes out as [`Valid<T>`], the only
//! form the [`crate::Backend`] accepts, so an unchecked request cannot reach the order core.
//!
//! A failure is a [`FieldError`] naming the field (dotted, with indices for repeated fields:
//! `instruments[2].max_order_qty`), sent as `INVALID_ARGUMENT API_INVALID_ARGUMENT field=...`.

use std::collections::HashSet;

use crate::proto::{
    ActivateKillSwitchRequest, CancelParentRequest, DeactivateKillSwitchRequest, GetLimitsRequest,
    GetParentRequest, GetPositionsRequest, InstrumentLimits, KillSwitchScope, ListParentsRequest,
    OrderType, SetLimitsRequest, Side, Strategy, StreamParentUpdatesRequest,
    StreamPositionsRequest, SubmitParentRequest, TimeInForce,
};

/// Longest instrument symbol, bytes (SBE `Symbol`, ITCH 5.0 "Stock": 8 bytes).
pub const SYMBOL_LEN_MAX: usize = 8;
/// Longest venue code, bytes.
pub const VENUE_LEN_MAX: usize = 8;
/// Longest client order id, bytes.
pub const CLIENT_ORDER_ID_LEN_MAX: usize = 64;
/// Longest kill-switch reason, bytes.
pub const REASON_LEN_MAX: usize = 256;
/// Most instruments in one `Limits.Set`.
pub const SET_LIMITS_ENTRIES_MAX: usize = 1024;
/// Largest price collar, basis points (100 %).
pub const COLLAR_BPS_MAX: u32 = 10_000;

/// A request whose fields have all been checked. Built only by this module's functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    /// The checked request.
    pub fn get(&self) -> &T {
        &self.0
    }

    /// The checked request, by value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A field that fails its constraint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("API_INVALID_ARGUMENT field={field} reason={reason}")]
pub struct FieldError {
    /// Field name as in the proto, dotted and indexed for nested fields.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl FieldError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

type Checked<T> = Result<Valid<T>, FieldError>;

/// Orders.Submit: symbol, side, qty > 0, limit_price > 0, order type, TIF, strategy,
/// client order id.
///
/// # Errors
/// The first failing field, in proto field order.
pub fn submit(request: SubmitParentRequest) -> Checked<SubmitParentRequest> {
    symbol(&request.instrument_symbol, "instrument_symbol")?;
    known_enum::<Side>(request.side, "side")?;
    if request.qty == 0 {
        return Err(FieldError::new("qty", "must be > 0 shares"));
    }
    if request.limit_price <= 0 {
        return Err(FieldError::new(
            "limit_price",
            format!("must be > 0 (1/10,000 $), got {}", request.limit_price),
        ));
    }
    known_enum::<OrderType>(request.order_type, "order_type")?;
    known_enum::<TimeInForce>(request.time_in_force, "time_in_force")?;
    known_enum::<Strategy>(request.strategy, "strategy")?;
    client_order_id(&request.client_order_id)?;
    Ok(Valid(request))
}

/// Orders.Cancel: parent_order_id > 0.
///
/// # Errors
/// `parent_order_id` when 0.
pub fn cancel(request: CancelParentRequest) -> Checked<CancelParentRequest> {
    parent_id(request.parent_order_id)?;
    Ok(Valid(request))
}

/// Orders.Get: parent_order_id > 0.
///
/// # Errors
/// `parent_order_id` when 0.
pub fn get_parent(request: GetParentRequest) -> Checked<GetParentRequest> {
    parent_id(request.parent_order_id)?;
    Ok(Valid(request))
}

/// Orders.List: never fails; `limit` 0 becomes `list_max`, larger values are clamped to it.
pub fn list(mut request: ListParentsRequest, list_max: u32) -> Valid<ListParentsRequest> {
    if request.limit == 0 || request.limit > list_max {
        request.limit = list_max;
    }
    Valid(request)
}

/// Orders.StreamUpdates: any `parent_order_id` (0 = all) is valid.
pub fn stream_parent_updates(
    request: StreamParentUpdatesRequest,
) -> Valid<StreamParentUpdatesRequest> {
    Valid(request)
}

/// Positions.Get: symbol empty (all) or valid.
///
/// # Errors
/// `instrument_symbol` when malformed.
pub fn get_positions(request: GetPositionsRequest) -> Checked<GetPositionsRequest> {
    optional_symbol(&request.instrument_symbol, "instrument_symbol")?;
    Ok(Valid(request))
}

/// Positions.Stream: symbol empty (all) or valid.
///
/// # Errors
/// `instrument_symbol` when malformed.
pub fn stream_positions(request: StreamPositionsRequest) -> Checked<StreamPositionsRequest> {
    optional_symbol(&request.instrument_symbol, "instrument_symbol")?;
    Ok(Valid(request))
}

/// Limits.Get: symbol empty (all) or valid.
///
/// # Errors
/// `instrument_symbol` when malformed.
pub fn get_limits(request: GetLimitsRequest) -> Checked<GetLimitsRequest> {
    optional_symbol(&request.instrument_symbol, "instrument_symbol")?;
    Ok(Valid(request))
}

/// Limits.Set: 0..=[`SET_LIMITS_ENTRIES_MAX`] entries, each valid, no symbol twice; at least
/// one entry or one total; totals (`max_gross_notional_total`, `max_net_notional_total`,
/// 1/10,000 $) `>= 0` when present.
///
/// # Errors
/// `instruments` when empty without a total, or too long; `instruments[i].<field>` for a bad
/// entry; `max_gross_notional_total` / `max_net_notional_total` when negative.
pub fn set_limits(request: SetLimitsRequest) -> Checked<SetLimitsRequest> {
    let no_total =
        request.max_gross_notional_total.is_none() && request.max_net_notional_total.is_none();
    if request.instruments.is_empty() && no_total {
        return Err(FieldError::new(
            "instruments",
            "at least one entry (or one total) required",
        ));
    }
    if request.instruments.len() > SET_LIMITS_ENTRIES_MAX {
        return Err(FieldError::new(
            "instruments",
            format!("at most {SET_LIMITS_ENTRIES_MAX} entries"),
        ));
    }
    for (name, value) in [
        ("max_gross_notional_total", request.max_gross_notional_total),
        ("max_net_notional_total", request.max_net_notional_total),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(FieldError::new(name, "must be >= 0 (1/10,000 $)"));
        }
    }
    let mut seen = HashSet::with_capacity(request.instruments.len());
    for (index, entry) in request.instruments.iter().enumerate() {
        instrument_limits(entry, index)?;
        if !seen.insert(entry.instrument_symbol.as_str()) {
            return Err(FieldError::new(
                format!("instruments[{index}].instrument_symbol"),
                format!("{} listed twice", entry.instrument_symbol),
            ));
        }
    }
    Ok(Valid(request))
}

fn instrument_limits(entry: &InstrumentLimits, index: usize) -> Result<(), FieldError> {
    let field = |name: &str| format!("instruments[{index}].{name}");
    symbol(&entry.instrument_symbol, &field("instrument_symbol"))?;
    if entry.max_order_qty == 0 {
        return Err(FieldError::new(
            field("max_order_qty"),
            "must be > 0 shares",
        ));
    }
    if entry.max_order_notional <= 0 {
        return Err(FieldError::new(
            field("max_order_notional"),
            "must be > 0 (1/10,000 $)",
        ));
    }
    if entry.max_position < 0 {
        return Err(FieldError::new(
            field("max_position"),
            "must be >= 0 shares",
        ));
    }
    if entry.price_collar_bps == 0 || entry.price_collar_bps > COLLAR_BPS_MAX {
        return Err(FieldError::new(
            field("price_collar_bps"),
            format!("must be 1..={COLLAR_BPS_MAX} basis points"),
        ));
    }
    if entry.max_orders_per_second == 0 {
        return Err(FieldError::new(
            field("max_orders_per_second"),
            "must be > 0",
        ));
    }
    for (name, value) in [
        ("max_gross_notional", entry.max_gross_notional),
        ("max_net_notional", entry.max_net_notional),
        ("credit_notional", entry.credit_notional),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(FieldError::new(field(name), "must be >= 0 (1/10,000 $)"));
        }
    }
    Ok(())
}

/// KillSwitch.Activate: scope with the matching venue/instrument, reason length.
///
/// # Errors
/// `scope`, `venue`, `instrument_symbol` or `reason`.
pub fn activate(request: ActivateKillSwitchRequest) -> Checked<ActivateKillSwitchRequest> {
    scope(request.scope, &request.venue, &request.instrument_symbol)?;
    if request.reason.len() > REASON_LEN_MAX {
        return Err(FieldError::new(
            "reason",
            format!("at most {REASON_LEN_MAX} bytes"),
        ));
    }
    Ok(Valid(request))
}

/// KillSwitch.Deactivate: scope with the matching venue/instrument.
///
/// # Errors
/// `scope`, `venue` or `instrument_symbol`.
pub fn deactivate(request: DeactivateKillSwitchRequest) -> Checked<DeactivateKillSwitchRequest> {
    scope(request.scope, &request.venue, &request.instrument_symbol)?;
    Ok(Valid(request))
}

fn scope(raw: i32, venue_code: &str, instrument: &str) -> Result<(), FieldError> {
    let must_be_empty = |value: &str, name: &str, scope: &str| {
        if value.is_empty() {
            Ok(())
        } else {
            Err(FieldError::new(
                name,
                format!("must be empty when scope={scope}"),
            ))
        }
    };
    match known_enum::<KillSwitchScope>(raw, "scope")? {
        KillSwitchScope::All => {
            must_be_empty(venue_code, "venue", "ALL")?;
            must_be_empty(instrument, "instrument_symbol", "ALL")
        }
        KillSwitchScope::Venue => {
            venue(venue_code, "venue")?;
            must_be_empty(instrument, "instrument_symbol", "VENUE")
        }
        KillSwitchScope::Instrument => {
            symbol(instrument, "instrument_symbol")?;
            must_be_empty(venue_code, "venue", "INSTRUMENT")
        }
        KillSwitchScope::Unspecified => Err(FieldError::new("scope", "must be set")),
    }
}

/// A proto enum field: 0 (`*_UNSPECIFIED`) and unknown values are refused.
fn known_enum<E>(raw: i32, field: &str) -> Result<E, FieldError>
where
    E: TryFrom<i32>,
{
    if raw == 0 {
        return Err(FieldError::new(field, "must be set (0 is UNSPECIFIED)"));
    }
    E::try_from(raw).map_err(|_| FieldError::new(field, format!("unknown value {raw}")))
}

fn parent_id(id: u64) -> Result<(), FieldError> {
    if id == 0 {
        return Err(FieldError::new("parent_order_id", "must be > 0"));
    }
    Ok(())
}

fn optional_symbol(value: &str, field: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        Ok(())
    } else {
        symbol(value, field)
    }
}

/// An instrument symbol: 1..=8 bytes of `A-Z 0-9 . - /`.
fn symbol(value: &str, field: &str) -> Result<(), FieldError> {
    code(
        value,
        field,
        SYMBOL_LEN_MAX,
        |b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'/'),
        "A-Z 0-9 . - /",
    )
}

/// A venue code: 1..=8 bytes of `A-Z 0-9`.
fn venue(value: &str, field: &str) -> Result<(), FieldError> {
    code(
        value,
        field,
        VENUE_LEN_MAX,
        |b| b.is_ascii_uppercase() || b.is_ascii_digit(),
        "A-Z 0-9",
    )
}

fn client_order_id(value: &str) -> Result<(), FieldError> {
    code(
        value,
        "client_order_id",
        CLIENT_ORDER_ID_LEN_MAX,
        |b| b.is_ascii_graphic(),
        "printable ASCII without spaces",
    )
}

fn code(
    value: &str,
    field: &str,
    len_max: usize,
    allowed: impl Fn(u8) -> bool,
    alphabet: &str,
) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if value.len() > len_max {
        return Err(FieldError::new(field, format!("at most {len_max} bytes")));
    }
    if !value.bytes().all(allowed) {
        return Err(FieldError::new(field, format!("only {alphabet} allowed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_submit() -> SubmitParentRequest {
        SubmitParentRequest {
            instrument_symbol: "AAPL".into(),
            side: Side::Buy as i32,
            qty: 100,
            limit_price: 1_892_500,
            order_type: OrderType::Limit as i32,
            time_in_force: TimeInForce::Day as i32,
            strategy: Strategy::Sweep as i32,
            client_order_id: "ops-1".into(),
        }
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T, FieldError>) -> String {
        result.unwrap_err().field
    }

    #[test]
    fn good_submit_passes_unchanged() {
        assert_eq!(submit(good_submit()).unwrap().into_inner(), good_submit());
        let brk = SubmitParentRequest {
            instrument_symbol: "BRK.A".into(),
            ..good_submit()
        };
        assert!(submit(brk).is_ok());
    }

    #[test]
    fn submit_symbol() {
        for bad in ["", "aapl", "TOOLONGSYM", "AA PL", "ÄAPL"] {
            let r = submit(SubmitParentRequest {
                instrument_symbol: bad.into(),
                ..good_submit()
            });
            assert_eq!(field_of(r), "instrument_symbol", "{bad:?}");
        }
        let eight = SubmitParentRequest {
            instrument_symbol: "ABCDEFGH".into(),
            ..good_submit()
        };
        assert!(submit(eight).is_ok(), "8 bytes is the maximum, not past it");
    }

    #[test]
    fn submit_enums_refuse_unspecified_and_unknown() {
        for raw in [0, 99, -1] {
            let cases: [(&str, SubmitParentRequest); 4] = [
                (
                    "side",
                    SubmitParentRequest {
                        side: raw,
                        ..good_submit()
                    },
                ),
                (
                    "order_type",
                    SubmitParentRequest {
                        order_type: raw,
                        ..good_submit()
                    },
                ),
                (
                    "time_in_force",
                    SubmitParentRequest {
                        time_in_force: raw,
                        ..good_submit()
                    },
                ),
                (
                    "strategy",
                    SubmitParentRequest {
                        strategy: raw,
                        ..good_submit()
                    },
                ),
            ];
            for (field, request) in cases {
                let err = submit(request).unwrap_err();
                assert_eq!(err.field, field);
                let expected = if raw == 0 {
                    "must be set"
                } else {
                    "unknown value"
                };
                assert!(err.reason.contains(expected), "{err}");
            }
        }
    }

    #[test]
    fn submit_qty_and_price() {
        let zero_qty = SubmitParentRequest {
            qty: 0,
            ..good_submit()
        };
        assert_eq!(field_of(submit(zero_qty)), "qty");
        for price in [0, -1, i64::MIN] {
            let r = submit(SubmitParentRequest {
                limit_price: price,
                ..good_submit()
            });
            assert_eq!(field_of(r), "limit_price", "{price}");
        }
        let marketable = SubmitParentRequest {
            order_type: OrderType::MarketableLimit as i32,
            limit_price: 0,
            ..good_submit()
        };
        assert_eq!(
            field_of(submit(marketable)),
            "limit_price",
            "a cap is required for both types"
        );
        assert!(submit(SubmitParentRequest {
            limit_price: 1,
            qty: 1,
            ..good_submit()
        })
        .is_ok());
    }

    #[test]
    fn submit_client_order_id() {
        let long = "x".repeat(CLIENT_ORDER_ID_LEN_MAX + 1);
        for bad in ["", "has space", long.as_str()] {
            let r = submit(SubmitParentRequest {
                client_order_id: bad.into(),
                ..good_submit()
            });
            assert_eq!(field_of(r), "client_order_id", "{bad:?}");
        }
        let max = "x".repeat(CLIENT_ORDER_ID_LEN_MAX);
        assert!(submit(SubmitParentRequest {
            client_order_id: max,
            ..good_submit()
        })
        .is_ok());
    }

    #[test]
    fn error_message_names_field_with_stable_code() {
        let err = submit(SubmitParentRequest {
            qty: 0,
            ..good_submit()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "API_INVALID_ARGUMENT field=qty reason=must be > 0 shares"
        );
    }

    #[test]
    fn parent_ids() {
        assert_eq!(
            field_of(cancel(CancelParentRequest { parent_order_id: 0 })),
            "parent_order_id"
        );
        assert_eq!(
            field_of(get_parent(GetParentRequest { parent_order_id: 0 })),
            "parent_order_id"
        );
        assert!(cancel(CancelParentRequest { parent_order_id: 1 }).is_ok());
        assert!(get_parent(GetParentRequest {
            parent_order_id: u64::MAX
        })
        .is_ok());
    }

    #[test]
    fn list_limit_defaults_and_clamps() {
        let r = |limit| {
            list(
                ListParentsRequest {
                    active_only: false,
                    limit,
                },
                50,
            )
            .limit
        };
        assert_eq!(r(0), 50);
        assert_eq!(r(10), 10);
        assert_eq!(r(51), 50);
    }

    #[test]
    fn optional_symbols() {
        assert!(get_positions(GetPositionsRequest::default()).is_ok());
        assert!(stream_positions(StreamPositionsRequest {
            instrument_symbol: "MSFT".into()
        })
        .is_ok());
        let bad = "msft".to_owned();
        assert_eq!(
            field_of(get_positions(GetPositionsRequest {
                instrument_symbol: bad.clone()
            })),
            "instrument_symbol"
        );
        assert_eq!(
            field_of(stream_positions(StreamPositionsRequest {
                instrument_symbol: bad.clone()
            })),
            "instrument_symbol"
        );
        assert_eq!(
            field_of(get_limits(GetLimitsRequest {
                instrument_symbol: bad
            })),
            "instrument_symbol"
        );
    }

    fn good_limits(symbol: &str) -> InstrumentLimits {
        InstrumentLimits {
            instrument_symbol: symbol.into(),
            max_order_qty: 10_000,
            max_order_notional: 1_000_000 * 10_000,
            max_position: 50_000,
            price_collar_bps: 500,
            max_orders_per_second: 100,
            ..InstrumentLimits::default()
        }
    }

    fn set(entries: Vec<InstrumentLimits>) -> Result<Valid<SetLimitsRequest>, FieldError> {
        set_limits(SetLimitsRequest {
            instruments: entries,
            expected_version: 0,
            ..SetLimitsRequest::default()
        })
    }

    #[test]
    fn set_limits_per_field() {
        assert!(set(vec![good_limits("AAPL"), good_limits("MSFT")]).is_ok());
        assert_eq!(field_of(set(vec![])), "instruments");
        let too_many = (0..=SET_LIMITS_ENTRIES_MAX)
            .map(|i| good_limits(&format!("S{i}")))
            .collect();
        assert_eq!(field_of(set(too_many)), "instruments");
        let cases: [(&str, InstrumentLimits); 7] = [
            (
                "instrument_symbol",
                InstrumentLimits {
                    instrument_symbol: "".into(),
                    ..good_limits("X")
                },
            ),
            (
                "max_order_qty",
                InstrumentLimits {
                    max_order_qty: 0,
                    ..good_limits("X")
                },
            ),
            (
                "max_order_notional",
                InstrumentLimits {
                    max_order_notional: 0,
                    ..good_limits("X")
                },
            ),
            (
                "max_position",
                InstrumentLimits {
                    max_position: -1,
                    ..good_limits("X")
                },
            ),
            (
                "price_collar_bps",
                InstrumentLimits {
                    price_collar_bps: 0,
                    ..good_limits("X")
                },
            ),
            (
                "price_collar_bps",
                InstrumentLimits {
                    price_collar_bps: 10_001,
                    ..good_limits("X")
                },
            ),
            (
                "max_orders_per_second",
                InstrumentLimits {
                    max_orders_per_second: 0,
                    ..good_limits("X")
                },
            ),
        ];
        for (field, entry) in cases {
            let r = set(vec![good_limits("AAPL"), entry]);
            assert_eq!(field_of(r), format!("instruments[1].{field}"));
        }
        assert!(set(vec![InstrumentLimits {
            max_position: 0,
            price_collar_bps: 10_000,
            ..good_limits("X")
        }])
        .is_ok());
        let dup = set(vec![
            good_limits("AAPL"),
            good_limits("MSFT"),
            good_limits("AAPL"),
        ])
        .unwrap_err();
        assert_eq!(dup.field, "instruments[2].instrument_symbol");
        assert!(dup.reason.contains("twice"), "{dup}");
    }

    #[test]
    fn set_limits_gross_net_credit_and_totals_at_their_boundary() {
        type Pick = fn(&mut InstrumentLimits) -> &mut Option<i64>;
        let fields: [(&str, Pick); 3] = [
            ("max_gross_notional", |l| &mut l.max_gross_notional),
            ("max_net_notional", |l| &mut l.max_net_notional),
            ("credit_notional", |l| &mut l.credit_notional),
        ];
        for (name, pick) in fields {
            for (value, ok) in [(-1, false), (0, true), (i64::MAX, true)] {
                let mut entry = good_limits("X");
                *pick(&mut entry) = Some(value);
                let r = set(vec![good_limits("AAPL"), entry]);
                if ok {
                    assert!(r.is_ok(), "{name}={value}");
                } else {
                    assert_eq!(field_of(r), format!("instruments[1].{name}"));
                }
            }
        }
        let totals = |gross: Option<i64>, net: Option<i64>| {
            set_limits(SetLimitsRequest {
                max_gross_notional_total: gross,
                max_net_notional_total: net,
                ..SetLimitsRequest::default()
            })
        };
        assert!(totals(Some(0), None).is_ok(), "totals alone are a change");
        assert!(totals(None, Some(i64::MAX)).is_ok());
        assert_eq!(field_of(totals(Some(-1), None)), "max_gross_notional_total");
        assert_eq!(
            field_of(totals(Some(0), Some(-1))),
            "max_net_notional_total"
        );
        assert_eq!(field_of(totals(None, None)), "instruments");
    }

    fn activate_req(
        scope: KillSwitchScope,
        venue: &str,
        symbol: &str,
    ) -> ActivateKillSwitchRequest {
        ActivateKillSwitchRequest {
            scope: scope as i32,
            venue: venue.into(),
            instrument_symbol: symbol.into(),
            allow_risk_reducing: true,
            reason: "test".into(),
        }
    }

    #[test]
    fn kill_switch_scope_coherence() {
        use KillSwitchScope::{All, Instrument, Venue};
        assert!(activate(activate_req(All, "", "")).is_ok());
        assert!(activate(activate_req(Venue, "XNAS", "")).is_ok());
        assert!(activate(activate_req(Instrument, "", "AAPL")).is_ok());
        let cases = [
            ("scope", activate_req(KillSwitchScope::Unspecified, "", "")),
            ("venue", activate_req(All, "XNAS", "")),
            ("instrument_symbol", activate_req(All, "", "AAPL")),
            ("venue", activate_req(Venue, "", "")),
            ("venue", activate_req(Venue, "xnas", "")),
            ("instrument_symbol", activate_req(Venue, "XNAS", "AAPL")),
            ("instrument_symbol", activate_req(Instrument, "", "")),
            ("venue", activate_req(Instrument, "XNAS", "AAPL")),
        ];
        for (field, request) in cases {
            assert_eq!(field_of(activate(request.clone())), field, "{request:?}");
            let off = DeactivateKillSwitchRequest {
                scope: request.scope,
                venue: request.venue,
                instrument_symbol: request.instrument_symbol,
            };
            assert_eq!(field_of(deactivate(off)), field);
        }
        let unknown = ActivateKillSwitchRequest {
            scope: 7,
            ..activate_req(All, "", "")
        };
        assert_eq!(field_of(activate(unknown)), "scope");
        let long = ActivateKillSwitchRequest {
            reason: "r".repeat(REASON_LEN_MAX + 1),
            ..activate_req(All, "", "")
        };
        assert_eq!(field_of(activate(long)), "reason");
    }
}
