//! The venue's clock as its wire timestamps state it: nanoseconds since the venue's midnight
//! (OUCH 5.0 §3.2–§3.8 "Timestamp: Expressed as nanoseconds since midnight"; ITCH 5.0 §1.1
//! "Timestamps"). The specifications do not name the time zone; NASDAQ's is US Eastern. The
//! simulator's midnight is **UTC midnight** shifted by a fixed offset from configuration
//! (`midnight_utc_offset_s`, default 0 = UTC; US Eastern would be −18,000 in winter and
//! −14,400 in summer: a fixed offset, daylight saving is not followed). A gateway converts
//! back to UTC with the same offset (`crossbar_order_entry::venue_time_to_utc_ns`).

/// Nanoseconds in a day.
pub const NS_PER_DAY: u64 = 86_400_000_000_000;

/// Largest accepted offset of the venue's midnight from UTC, seconds either way (±18 h, the
/// ISO 8601 / java.time bound; real zones lie within −12 h..+14 h).
pub const MIDNIGHT_OFFSET_MAX_S: i32 = 64_800;

/// The venue's day boundary: local time = UTC + `offset_s`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VenueMidnight {
    offset_s: i32,
}

impl VenueMidnight {
    /// UTC midnight (the default).
    pub const UTC: VenueMidnight = VenueMidnight { offset_s: 0 };

    /// Midnight of the zone `offset_s` seconds east of UTC (negative: west, e.g. −18,000 for
    /// US Eastern standard time). `None` when `|offset_s|` exceeds [`MIDNIGHT_OFFSET_MAX_S`].
    pub const fn with_offset_s(offset_s: i32) -> Option<VenueMidnight> {
        if offset_s < -MIDNIGHT_OFFSET_MAX_S || offset_s > MIDNIGHT_OFFSET_MAX_S {
            None
        } else {
            Some(VenueMidnight { offset_s })
        }
    }

    /// The offset from UTC, seconds east.
    pub const fn offset_s(self) -> i32 {
        self.offset_s
    }

    /// Nanoseconds since the venue's midnight (0..[`NS_PER_DAY`]) of the instant `utc_ns`
    /// (UTC ns since the Unix epoch): the value of an OUCH/ITCH Timestamp field.
    #[inline]
    pub const fn since_midnight(self, utc_ns: u64) -> u64 {
        let offset_ns = self.offset_s as i128 * 1_000_000_000;
        (utc_ns as i128 + offset_ns).rem_euclid(NS_PER_DAY as i128) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = NS_PER_DAY;
    const HOUR: u64 = 3_600_000_000_000;

    #[test]
    fn utc_midnight_is_the_remainder_of_the_day() {
        let t = 20_000 * DAY + 45_000_000_000_123;
        assert_eq!(VenueMidnight::UTC.since_midnight(t), 45_000_000_000_123);
        assert_eq!(VenueMidnight::UTC.since_midnight(20_000 * DAY), 0);
        assert_eq!(VenueMidnight::UTC.since_midnight(20_001 * DAY - 1), DAY - 1);
    }

    #[test]
    fn an_offset_moves_the_day_boundary_both_ways() {
        let eastern = VenueMidnight::with_offset_s(-5 * 3_600).unwrap();
        // 03:00 UTC is 22:00 the previous day at UTC−5.
        assert_eq!(eastern.since_midnight(20_000 * DAY + 3 * HOUR), 22 * HOUR);
        // 05:00 UTC is midnight at UTC−5.
        assert_eq!(eastern.since_midnight(20_000 * DAY + 5 * HOUR), 0);
        let tokyo = VenueMidnight::with_offset_s(9 * 3_600).unwrap();
        // 20:00 UTC is 05:00 the next day at UTC+9.
        assert_eq!(tokyo.since_midnight(20_000 * DAY + 20 * HOUR), 5 * HOUR);
        // Near the epoch a negative offset does not underflow.
        assert_eq!(eastern.since_midnight(HOUR), 20 * HOUR);
    }

    #[test]
    fn offsets_beyond_eighteen_hours_are_refused() {
        assert!(VenueMidnight::with_offset_s(MIDNIGHT_OFFSET_MAX_S).is_some());
        assert!(VenueMidnight::with_offset_s(-MIDNIGHT_OFFSET_MAX_S).is_some());
        assert!(VenueMidnight::with_offset_s(MIDNIGHT_OFFSET_MAX_S + 1).is_none());
        assert!(VenueMidnight::with_offset_s(-MIDNIGHT_OFFSET_MAX_S - 1).is_none());
    }
}
