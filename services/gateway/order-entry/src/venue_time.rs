//! OUCH timestamps to UTC. Every OUCH 5.0 outbound message carries "Timestamp: Expressed as
//! nanoseconds since midnight" (§3.2 Order Accepted, likewise §3.3, §3.4, §3.6, §3.8); the
//! specification does not name the zone (NASDAQ's is US Eastern), so the venue's midnight is
//! configuration: a fixed offset east of UTC (`order_entry.venue_midnight_utc_offset_s`,
//! default 0 = UTC midnight, as the venue simulator stamps). The day comes from the gateway's
//! own clock: the venue instant nearest the gateway's receive time, so an event stamped
//! 23:59:59.9 and received at 00:00:00.1 belongs to the day before.

/// Nanoseconds in a day.
pub const NS_PER_DAY: u64 = 86_400_000_000_000;

/// Largest offset of a venue's midnight from UTC, seconds either way (±18 h, the ISO 8601 /
/// java.time bound; real zones lie within −12 h..+14 h).
pub const VENUE_MIDNIGHT_OFFSET_MAX_S: i32 = 64_800;

/// The UTC instant (ns since the Unix epoch) of an OUCH Timestamp.
///
/// * `since_midnight_ns`: the message's Timestamp, ns since the venue's midnight; must be
///   below [`NS_PER_DAY`].
/// * `midnight_offset_s`: the venue's zone, seconds east of UTC (local = UTC + offset; US
///   Eastern standard time is −18,000); within ±[`VENUE_MIDNIGHT_OFFSET_MAX_S`].
/// * `now_ns`: the gateway's clock (UTC ns) when the message arrived; it picks the day.
///
/// Of the candidate instants one day apart, returns the one within half a day of `now_ns`
/// (at exactly half a day, the one on the gateway's day): a venue clock and a gateway clock
/// that disagree by less than 12 h around a midnight still land on the same day, both ways.
///
/// Returns `None` (the venue gave no usable time) when `since_midnight_ns ≥ NS_PER_DAY`,
/// the offset is out of range, or the instant would fall before the Unix epoch.
#[inline]
pub const fn venue_time_to_utc_ns(
    since_midnight_ns: u64,
    midnight_offset_s: i32,
    now_ns: u64,
) -> Option<u64> {
    if since_midnight_ns >= NS_PER_DAY
        || midnight_offset_s < -VENUE_MIDNIGHT_OFFSET_MAX_S
        || midnight_offset_s > VENUE_MIDNIGHT_OFFSET_MAX_S
    {
        return None;
    }
    let day = NS_PER_DAY as i128;
    let offset = midnight_offset_s as i128 * 1_000_000_000;
    let local_now = now_ns as i128 + offset;
    let mut local = local_now - local_now.rem_euclid(day) + since_midnight_ns as i128;
    // Same-day candidate more than half a day ahead of the gateway: yesterday's event; more
    // than half a day behind (venue already past midnight): tomorrow's.
    if local - local_now > day / 2 {
        local -= day;
    } else if local_now - local > day / 2 {
        local += day;
    }
    let utc = local - offset;
    if utc < 0 || utc > u64::MAX as i128 {
        None
    } else {
        Some(utc as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const HOUR: u64 = 3_600 * S;
    const MS: u64 = 1_000_000;
    /// 2026-11-23 00:00:00 UTC.
    const MIDNIGHT: u64 = 20_415 * NS_PER_DAY;

    #[test]
    fn same_day_event_maps_to_that_day() {
        let now = MIDNIGHT + 10 * HOUR + 5 * MS;
        assert_eq!(
            venue_time_to_utc_ns(10 * HOUR + 2 * MS, 0, now),
            Some(MIDNIGHT + 10 * HOUR + 2 * MS)
        );
        // Gateway stamp a little before the venue's (clocks disagree): still that day.
        assert_eq!(
            venue_time_to_utc_ns(10 * HOUR + 9 * MS, 0, now),
            Some(MIDNIGHT + 10 * HOUR + 9 * MS)
        );
    }

    #[test]
    fn event_before_midnight_seen_after_it_belongs_to_the_previous_day() {
        // Stamped 23:59:59.9, received 00:00:00.1.
        let stamped = NS_PER_DAY - 100 * MS;
        let now = MIDNIGHT + 100 * MS;
        assert_eq!(
            venue_time_to_utc_ns(stamped, 0, now),
            Some(MIDNIGHT - 100 * MS)
        );
        // The last nanosecond of the day, seen at midnight exactly.
        assert_eq!(
            venue_time_to_utc_ns(NS_PER_DAY - 1, 0, MIDNIGHT),
            Some(MIDNIGHT - 1)
        );
    }

    #[test]
    fn venue_past_midnight_while_the_gateway_is_not_belongs_to_the_next_day() {
        // The venue's clock is 0.2 s ahead: stamped 00:00:00.1, gateway at 23:59:59.9.
        assert_eq!(
            venue_time_to_utc_ns(100 * MS, 0, MIDNIGHT - 100 * MS),
            Some(MIDNIGHT + 100 * MS)
        );
        assert_eq!(venue_time_to_utc_ns(0, 0, MIDNIGHT - 1), Some(MIDNIGHT));
    }

    #[test]
    fn half_a_day_apart_is_the_boundary() {
        let now = MIDNIGHT + 12 * HOUR;
        // Exactly 12 h behind or ahead: the candidate on the gateway's day is kept.
        assert_eq!(venue_time_to_utc_ns(0, 0, now), Some(MIDNIGHT));
        assert_eq!(
            venue_time_to_utc_ns(NS_PER_DAY - 1, 0, now - 1),
            Some(MIDNIGHT + NS_PER_DAY - 1)
        );
        // One ns more than 12 h ahead: the day before.
        let now = MIDNIGHT + 6 * HOUR;
        assert_eq!(
            venue_time_to_utc_ns(18 * HOUR + 1, 0, now),
            Some(MIDNIGHT - 6 * HOUR + 1)
        );
        assert_eq!(
            venue_time_to_utc_ns(18 * HOUR, 0, now),
            Some(MIDNIGHT + 18 * HOUR)
        );
    }

    #[test]
    fn an_offset_moves_the_venues_midnight() {
        const EASTERN: i32 = -5 * 3_600;
        // 22:00 at UTC−5 is 03:00 UTC the next day.
        assert_eq!(
            venue_time_to_utc_ns(22 * HOUR, EASTERN, MIDNIGHT + 3 * HOUR + MS),
            Some(MIDNIGHT + 3 * HOUR)
        );
        // The venue's midnight is 05:00 UTC: stamped 23:59:59.9 local, seen 00:00:00.1 local.
        assert_eq!(
            venue_time_to_utc_ns(
                NS_PER_DAY - 100 * MS,
                EASTERN,
                MIDNIGHT + 5 * HOUR + 100 * MS
            ),
            Some(MIDNIGHT + 5 * HOUR - 100 * MS)
        );
        // East of UTC: 09:00 at UTC+9 is 00:00 UTC.
        assert_eq!(
            venue_time_to_utc_ns(9 * HOUR, 9 * 3_600, MIDNIGHT + MS),
            Some(MIDNIGHT)
        );
    }

    #[test]
    fn unusable_times_give_none() {
        assert_eq!(venue_time_to_utc_ns(NS_PER_DAY, 0, MIDNIGHT), None);
        assert_eq!(venue_time_to_utc_ns(u64::MAX, 0, MIDNIGHT), None);
        assert_eq!(venue_time_to_utc_ns(0, 64_801, MIDNIGHT), None);
        assert_eq!(venue_time_to_utc_ns(0, -64_801, MIDNIGHT), None);
        // Before the epoch.
        assert_eq!(venue_time_to_utc_ns(NS_PER_DAY - 1, 0, 1), None);
        assert_eq!(venue_time_to_utc_ns(0, 0, 0), Some(0));
    }
}
