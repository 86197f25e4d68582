//! Dollar amounts on the command line and in output: fixed point 1/10,000 $ (the proto's
//! prices and notionals, `crossbar_model::Price`) to and from exact decimal text. No floats.

use crossbar_model::Price;

/// `1892500` → `"189.2500"`; `-5000` → `"-0.5000"`. Always 4 decimals, exact for every i64.
pub fn format(ticks: i64) -> String {
    Price(ticks).to_string()
}

/// `"189.25"` → `1892500`. Accepts `[-]digits[.digits]` with at most 4 decimals.
///
/// # Errors
/// The model's `PRICE_SYNTAX`, `PRICE_PRECISION` or `PRICE_OVERFLOW` message.
pub fn parse(text: &str) -> Result<i64, String> {
    Price::parse_decimal(text)
        .map(|price| price.0)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_exactly_at_the_boundaries() {
        assert_eq!(format(1_892_500), "189.2500");
        assert_eq!(format(0), "0.0000");
        assert_eq!(format(1), "0.0001");
        assert_eq!(format(-1), "-0.0001");
        assert_eq!(format(-5_000), "-0.5000");
        assert_eq!(format(-1_892_512), "-189.2512");
        assert_eq!(format(i64::MAX), "922337203685477.5807");
        assert_eq!(format(i64::MIN), "-922337203685477.5808");
    }

    #[test]
    fn parses_up_to_four_decimals_exactly() {
        assert_eq!(parse("189.25"), Ok(1_892_500));
        assert_eq!(parse("189.2512"), Ok(1_892_512));
        assert_eq!(parse("189"), Ok(1_890_000));
        assert_eq!(parse("0.0001"), Ok(1));
        assert_eq!(parse("-0.5"), Ok(-5_000));
        assert_eq!(parse("-189.2512"), Ok(-1_892_512));
        assert_eq!(parse("922337203685477.5807"), Ok(i64::MAX));
        for ticks in [0, 1, -1, 1_892_500, -1_892_512, i64::MAX] {
            assert_eq!(parse(&format(ticks)), Ok(ticks), "round trip {ticks}");
        }
    }

    #[test]
    fn refuses_too_many_decimals_and_bad_text() {
        let precision = parse("189.25001").unwrap_err();
        assert!(precision.starts_with("PRICE_PRECISION"), "{precision}");
        assert!(parse("0.00001").unwrap_err().starts_with("PRICE_PRECISION"));
        for bad in ["", "abc", "1.", ".5", "1,5", "+1", "1e3", " 1", "--1"] {
            assert!(
                parse(bad).unwrap_err().starts_with("PRICE_SYNTAX"),
                "{bad:?}"
            );
        }
        assert!(parse("922337203685477.5808")
            .unwrap_err()
            .starts_with("PRICE_OVERFLOW"));
    }
}
