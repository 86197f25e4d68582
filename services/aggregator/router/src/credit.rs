//! Credit allocation: each gateway holds a slice of each instrument's limits so it can run
//! its local pre-trade risk without asking the centre (SBE CreditGrant / CreditReturn).
//!
//! Per instrument the room is, in shares and 1/10,000 $:
//! * buy room = `max(0, max_position - position)`
//! * sell room = `max(0, max_position + position)`
//! * notional room = `max(0, credit_notional - notional filled today)`
//!
//! Each gateway's outstanding slice is what it was granted, less what it returned, less what
//! its fills consumed (a buy fill consumes buy shares and notional, a sell fill sell shares
//! and notional). **Invariant, asserted after every change: on each dimension the sum of
//! outstanding slices never exceeds the room.** It holds because a fill lowers the room and
//! the filling gateway's slice by the same amount, and grants only hand out room not yet
//! outstanding. Rebalancing (after fills and returns) tops every gateway up toward an equal
//! share `room / gateways`; grants are additive deltas, never revocations.
//!
//! Limits lowered at run time ([`crate::Router::set_limits`]) can shrink the room below what
//! is already outstanding. Granted credit is never revoked (grants are additive and the
//! gateways apply the lowered limits from the same change's RiskLimits themselves), so the
//! sum then stays above the room until fills and returns bring it down; no new grant is made
//! on a dimension while it is there. The assertion after a rebalance is therefore: on each
//! dimension the sum is within the room, or it exceeded the room before and did not grow.
//!
//! Contract for gateways: buy and sell shares are separate budgets. A fill larger than the
//! gateway's slice on that side is an overrun: counted, the slice floored at zero, and the
//! invariant is then only restored as room frees up.

use crate::error::RouterError;
use crate::events::{Command, CommandSink, CreditGrant};
use crossbar_model::{GatewayId, InstrumentId};

/// One gateway's outstanding credit for one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    /// Buy shares.
    pub buy: u64,
    /// Sell shares.
    pub sell: u64,
    /// Notional, 1/10,000 $.
    pub notional: i128,
    /// Last grant sequence sent (0 = none yet).
    pub grant_sequence: u64,
}

/// Room of one instrument, see the module doc.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Room {
    /// Buy shares.
    pub buy: u64,
    /// Sell shares.
    pub sell: u64,
    /// Notional, 1/10,000 $.
    pub notional: i128,
}

impl Room {
    /// Room for `position` under `max_position` and `credit_notional - notional_filled`.
    pub fn new(
        max_position: i64,
        position: i64,
        credit_notional: i128,
        notional_filled: i128,
    ) -> Self {
        Room {
            buy: (max_position - position).max(0) as u64,
            sell: (max_position + position).max(0) as u64,
            notional: (credit_notional - notional_filled).max(0),
        }
    }
}

/// Every gateway's slice of every instrument.
#[derive(Clone, Debug)]
pub struct CreditBook {
    gateways: Vec<GatewayId>,
    slices: Vec<Slice>,
    notional_filled: Vec<i128>,
    overruns: u64,
}

impl CreditBook {
    /// No credit granted yet.
    pub fn new(gateways: Vec<GatewayId>, instruments: usize) -> Self {
        assert!(!gateways.is_empty());
        let n = gateways.len();
        Self {
            gateways,
            slices: vec![Slice::default(); n * instruments],
            notional_filled: vec![0; instruments],
            overruns: 0,
        }
    }

    /// The gateways, in index order.
    pub fn gateways(&self) -> &[GatewayId] {
        &self.gateways
    }

    /// Index of `gateway`.
    ///
    /// # Errors
    /// [`RouterError::UnknownGateway`].
    pub fn gateway_index(&self, gateway: GatewayId) -> Result<usize, RouterError> {
        self.gateways
            .iter()
            .position(|g| *g == gateway)
            .ok_or(RouterError::UnknownGateway(gateway.0))
    }

    /// Slice of gateway index `g` for `instrument`.
    pub fn slice(&self, g: usize, instrument: InstrumentId) -> Slice {
        self.slices[instrument.index() * self.gateways.len() + g]
    }

    /// Notional filled today on `instrument`, 1/10,000 $.
    pub fn notional_filled(&self, instrument: InstrumentId) -> i128 {
        self.notional_filled[instrument.index()]
    }

    /// Fills that exceeded a slice.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Sum of outstanding slices of `instrument`.
    pub fn outstanding(&self, instrument: InstrumentId) -> Room {
        let n = self.gateways.len();
        let s = &self.slices[instrument.index() * n..(instrument.index() + 1) * n];
        s.iter().fold(Room::default(), |r, s| Room {
            buy: r.buy + s.buy,
            sell: r.sell + s.sell,
            notional: r.notional + s.notional,
        })
    }

    /// Fills of gateway `g` consumed shares and notional of its slice.
    pub fn consume(
        &mut self,
        g: usize,
        instrument: InstrumentId,
        bought: u64,
        sold: u64,
        notional: i128,
    ) {
        let n = self.gateways.len();
        self.notional_filled[instrument.index()] += notional;
        let s = &mut self.slices[instrument.index() * n + g];
        if bought > s.buy || sold > s.sell || notional > s.notional {
            self.overruns += 1;
        }
        s.buy -= bought.min(s.buy);
        s.sell -= sold.min(s.sell);
        s.notional -= notional.min(s.notional);
    }

    /// A gateway hands back unused credit.
    ///
    /// # Errors
    /// [`RouterError::CreditReturn`] when it returns more than it holds (nothing changes).
    pub fn give_back(
        &mut self,
        g: usize,
        instrument: InstrumentId,
        buy: u64,
        sell: u64,
        notional: i128,
    ) -> Result<(), RouterError> {
        let n = self.gateways.len();
        let s = &mut self.slices[instrument.index() * n + g];
        if buy > s.buy || sell > s.sell || notional < 0 || notional > s.notional {
            return Err(RouterError::CreditReturn {
                gateway: self.gateways[g].0,
                instrument: instrument.0,
            });
        }
        s.buy -= buy;
        s.sell -= sell;
        s.notional -= notional;
        Ok(())
    }

    /// Re-applies a grant sent earlier (journal replay): adds it to gateway `g`'s slice and
    /// keeps the highest grant sequence, so the next grant continues the sequence.
    pub fn restore_grant(&mut self, g: usize, grant: &CreditGrant) {
        let n = self.gateways.len();
        let s = &mut self.slices[grant.instrument.index() * n + g];
        if grant.grant_sequence <= s.grant_sequence {
            return; // re-sent after a restart (same sequence): already counted
        }
        s.buy += grant.buy_qty;
        s.sell += grant.sell_qty;
        s.notional += i128::from(grant.notional.max(0));
        s.grant_sequence = s.grant_sequence.max(grant.grant_sequence);
    }

    /// States gateway `g`'s slice of `instrument` absolutely (SBE CreditSlice): the grant
    /// sequence goes up by one (statements and grants share it) and the slice is returned.
    /// Amounts do not change: the statement tells the gateway what the router already counts.
    pub fn restate(&mut self, g: usize, instrument: InstrumentId) -> Slice {
        let n = self.gateways.len();
        let s = &mut self.slices[instrument.index() * n + g];
        s.grant_sequence += 1;
        *s
    }

    /// Re-applies a statement sent earlier (journal replay): only the grant sequence moves
    /// (to at least `grant_sequence`), the amounts are the router's own.
    pub fn restore_statement(&mut self, g: usize, instrument: InstrumentId, grant_sequence: u64) {
        let n = self.gateways.len();
        let s = &mut self.slices[instrument.index() * n + g];
        s.grant_sequence = s.grant_sequence.max(grant_sequence);
    }

    /// Tops every gateway's slice up toward `room / gateways` without the sum exceeding
    /// `room`, emitting one additive CreditGrant per gateway that gets anything.
    pub fn rebalance(
        &mut self,
        instrument: InstrumentId,
        room: Room,
        now_ns: u64,
        sink: &mut impl CommandSink,
    ) {
        let n = self.gateways.len();
        let out = self.outstanding(instrument);
        let mut free = Room {
            buy: room.buy.saturating_sub(out.buy),
            sell: room.sell.saturating_sub(out.sell),
            notional: (room.notional - out.notional).max(0),
        };
        let target = Room {
            buy: room.buy / n as u64,
            sell: room.sell / n as u64,
            notional: room.notional / n as i128,
        };
        for g in 0..n {
            let s = &mut self.slices[instrument.index() * n + g];
            let buy = target.buy.saturating_sub(s.buy).min(free.buy);
            let sell = target.sell.saturating_sub(s.sell).min(free.sell);
            let notional = (target.notional - s.notional)
                .clamp(0, free.notional)
                .min(i128::from(i64::MAX));
            if buy == 0 && sell == 0 && notional == 0 {
                continue;
            }
            s.buy += buy;
            s.sell += sell;
            s.notional += notional;
            s.grant_sequence += 1;
            free.buy -= buy;
            free.sell -= sell;
            free.notional -= notional;
            sink.emit(Command::Credit(CreditGrant {
                gateway: self.gateways[g],
                instrument,
                grant_sequence: s.grant_sequence,
                buy_qty: buy,
                sell_qty: sell,
                notional: notional as i64,
                timestamp_ns: now_ns,
            }));
        }
        self.assert_grants_within(instrument, room, out);
    }

    /// Asserts that a rebalance kept new grants within `room`: per dimension the outstanding
    /// sum is within `room`, or it already exceeded `room` before (`before`, limits lowered
    /// under granted credit) and did not grow. Skipped after an overrun, as
    /// [`Self::assert_within`].
    fn assert_grants_within(&self, instrument: InstrumentId, room: Room, before: Room) {
        let out = self.outstanding(instrument);
        let ok = |now: i128, before: i128, room: i128| now <= room || now <= before;
        assert!(
            self.overruns > 0
                || (ok(out.buy.into(), before.buy.into(), room.buy.into())
                    && ok(out.sell.into(), before.sell.into(), room.sell.into())
                    && ok(out.notional, before.notional, room.notional)),
            "credit grants {out:?} (before {before:?}) exceed room {room:?}"
        );
    }

    /// Asserts the invariant (unless a gateway overran its slice).
    pub fn assert_within(&self, instrument: InstrumentId, room: Room) {
        let out = self.outstanding(instrument);
        assert!(
            self.overruns > 0
                || (out.buy <= room.buy && out.sell <= room.sell && out.notional <= room.notional),
            "credit outstanding {out:?} exceeds room {room:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64, for reproducible random steps without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            if n == 0 {
                0
            } else {
                self.next() % n
            }
        }
    }

    const I: InstrumentId = InstrumentId(0);

    #[test]
    fn a_grant_restored_twice_counts_once() {
        let mut c = CreditBook::new(vec![GatewayId(1)], 1);
        let grant = |sequence| CreditGrant {
            gateway: GatewayId(1),
            instrument: I,
            grant_sequence: sequence,
            buy_qty: 100,
            sell_qty: 50,
            notional: 1_000,
            timestamp_ns: 1,
        };
        c.restore_grant(0, &grant(1));
        c.restore_grant(0, &grant(2));
        // The last grant re-sent at a restart is journaled again: the next replay sees it twice.
        c.restore_grant(0, &grant(2));
        let s = c.slice(0, I);
        assert_eq!(
            (s.buy, s.sell, s.notional, s.grant_sequence),
            (200, 100, 2_000, 2)
        );
    }

    #[test]
    fn initial_grants_split_room_equally_and_sum_within_it() {
        let mut c = CreditBook::new(vec![GatewayId(1), GatewayId(2), GatewayId(3)], 1);
        let mut out = Vec::new();
        let room = Room::new(1_000, 0, 3_000_000, 0);
        c.rebalance(I, room, 7, &mut out);
        assert_eq!(out.len(), 3);
        for (g, cmd) in out.iter().enumerate() {
            let Command::Credit(grant) = cmd else {
                panic!("{cmd:?}")
            };
            assert_eq!(grant.gateway, GatewayId(g as u16 + 1));
            assert_eq!(
                (
                    grant.buy_qty,
                    grant.sell_qty,
                    grant.notional,
                    grant.grant_sequence
                ),
                (333, 333, 1_000_000, 1)
            );
        }
        assert_eq!(
            c.outstanding(I),
            Room {
                buy: 999,
                sell: 999,
                notional: 3_000_000
            }
        );
        out.clear();
        c.rebalance(I, room, 8, &mut out);
        assert!(out.is_empty(), "nothing to top up");
    }

    #[test]
    fn a_fill_shrinks_room_and_slice_and_the_other_side_is_regranted() {
        let mut c = CreditBook::new(vec![GatewayId(1), GatewayId(2)], 1);
        let mut out = Vec::new();
        c.rebalance(I, Room::new(1_000, 0, 2_000_000, 0), 0, &mut out);
        // Gateway 0 buys 200 for 200 notional.
        c.consume(0, I, 200, 0, 200);
        let room = Room::new(1_000, 200, 2_000_000, c.notional_filled(I));
        assert_eq!(
            room,
            Room {
                buy: 800,
                sell: 1_200,
                notional: 1_999_800
            }
        );
        out.clear();
        c.rebalance(I, room, 1, &mut out);
        // Buy: room 800 = 300 (g0) + 500 (g1) outstanding, nothing free (g1 keeps its excess
        // until it fills or returns). Sell: room 1,200, 1,000 outstanding, target 600 each:
        // +100 each. Notional: room 1,999,800 all outstanding.
        let grants: Vec<_> = out
            .iter()
            .map(|c| match c {
                Command::Credit(g) => (
                    g.gateway.0,
                    g.buy_qty,
                    g.sell_qty,
                    g.notional,
                    g.grant_sequence,
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(grants, vec![(1, 0, 100, 0, 2), (2, 0, 100, 0, 2)]);
        assert_eq!(
            c.outstanding(I),
            Room {
                buy: 800,
                sell: 1_200,
                notional: 1_999_800
            }
        );
        // Gateway 1 returns 300 buy shares (down to 200): the 300 freed are re-granted toward
        // the 400 target, +100 to gateway 0 and +200 back to gateway 1.
        c.give_back(1, I, 300, 0, 0).unwrap();
        out.clear();
        c.rebalance(I, room, 2, &mut out);
        assert_eq!(out.len(), 2);
        assert!(matches!(
            out[0],
            Command::Credit(CreditGrant {
                gateway: GatewayId(1),
                buy_qty: 100,
                sell_qty: 0,
                notional: 0,
                grant_sequence: 3,
                ..
            })
        ));
        assert!(matches!(
            out[1],
            Command::Credit(CreditGrant {
                gateway: GatewayId(2),
                buy_qty: 200,
                sell_qty: 0,
                notional: 0,
                grant_sequence: 3,
                ..
            })
        ));
        assert_eq!(c.slice(0, I).buy, 400);
        assert_eq!(c.slice(1, I).buy, 400);
    }

    #[test]
    fn returns_above_the_slice_are_refused_and_change_nothing() {
        let mut c = CreditBook::new(vec![GatewayId(1)], 1);
        c.rebalance(I, Room::new(100, 0, 1_000, 0), 0, &mut Vec::new());
        let before = c.slice(0, I);
        assert_eq!(
            c.give_back(0, I, 101, 0, 0).unwrap_err().code(),
            "ROUTER_CREDIT_RETURN"
        );
        assert_eq!(c.slice(0, I), before);
        c.give_back(0, I, 40, 0, 500).unwrap();
        assert_eq!(c.slice(0, I).buy, 60);
        assert_eq!(
            c.gateway_index(GatewayId(9)).unwrap_err().code(),
            "ROUTER_UNKNOWN_GATEWAY"
        );
    }

    /// Property: random fills (within each gateway's slice, as the gateway's risk enforces),
    /// returns and rebalances never let the outstanding sum exceed the room, and returned
    /// credit is granted again.
    #[test]
    fn outstanding_never_exceeds_room_under_random_fills_and_returns() {
        for seed in 1..=40u64 {
            let mut rng = Rng(seed);
            let gws = 1 + rng.below(4) as usize;
            let mut c = CreditBook::new((1..=gws as u16).map(GatewayId).collect(), 1);
            let max_position = 1 + rng.below(5_000) as i64;
            let credit_notional = i128::from(rng.below(50_000_000));
            let mut position = 0i64;
            let mut sink = Vec::new();
            let room = |c: &CreditBook, p| {
                Room::new(max_position, p, credit_notional, c.notional_filled(I))
            };
            c.rebalance(I, room(&c, position), 0, &mut sink);
            for step in 0..2_000u64 {
                let g = rng.below(gws as u64) as usize;
                let s = c.slice(g, I);
                match rng.below(3) {
                    0 => {
                        let qty = rng.below(s.buy + 1);
                        let notional = (i128::from(qty) * 10_000).min(s.notional);
                        c.consume(g, I, qty, 0, notional);
                        position += qty as i64;
                    }
                    1 => {
                        let qty = rng.below(s.sell + 1);
                        let notional = (i128::from(qty) * 10_000).min(s.notional);
                        c.consume(g, I, 0, qty, notional);
                        position -= qty as i64;
                    }
                    _ => {
                        let (b, se) = (rng.below(s.buy + 1), rng.below(s.sell + 1));
                        let n = s.notional / 2;
                        c.give_back(g, I, b, se, n).unwrap();
                    }
                }
                let r = room(&c, position);
                c.assert_within(I, r);
                sink.clear();
                c.rebalance(I, r, step, &mut sink);
                let out = c.outstanding(I);
                assert!(
                    out.buy <= r.buy && out.sell <= r.sell && out.notional <= r.notional,
                    "seed {seed} step {step}"
                );
                // Everything not outstanding that an equal split can hand out was handed out.
                assert!(
                    r.buy - out.buy < gws as u64
                        || (0..gws).all(|g| c.slice(g, I).buy >= r.buy / gws as u64),
                    "seed {seed} step {step}: buy room left idle"
                );
            }
            assert_eq!(c.overruns(), 0);
        }
    }
}
