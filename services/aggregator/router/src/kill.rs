//! Kill switch state: which scopes are engaged and whether risk-reducing orders still pass.
//! Engaging is done by [`crate::Router::engage_kill_switch`], which also cancels every
//! working child in scope and forwards the switch to the gateways (SBE KillSwitch, id 34).

use crate::events::KillScope;
use crossbar_model::{InstrumentId, VenueId};

/// One engaged scope's setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KillFlag {
    /// Engaged.
    pub active: bool,
    /// Orders that reduce the absolute position (without flipping it) still pass.
    pub allow_risk_reducing: bool,
}

/// Engaged scopes: all, per venue, per instrument.
#[derive(Clone, Debug)]
pub struct KillState {
    all: KillFlag,
    venues: Vec<KillFlag>,
    instruments: Vec<KillFlag>,
}

impl KillState {
    /// Nothing engaged.
    pub fn new(venues: usize, instruments: usize) -> Self {
        Self {
            all: KillFlag::default(),
            venues: vec![KillFlag::default(); venues],
            instruments: vec![KillFlag::default(); instruments],
        }
    }

    /// Sets `scope` (ids validated by the caller).
    pub fn set(&mut self, scope: KillScope, flag: KillFlag) {
        match scope {
            KillScope::All => self.all = flag,
            KillScope::Venue(v) => self.venues[v.0 as usize] = flag,
            KillScope::Instrument(i) => self.instruments[i.index()] = flag,
        }
    }

    /// The flag of `scope`.
    pub fn get(&self, scope: KillScope) -> KillFlag {
        match scope {
            KillScope::All => self.all,
            KillScope::Venue(v) => self.venues[v.0 as usize],
            KillScope::Instrument(i) => self.instruments[i.index()],
        }
    }

    /// The scope refusing a new parent on `instrument`, if any: `Some((scope name,
    /// allow_risk_reducing))`. The all-scope is checked before the instrument scope.
    pub fn parent_block(&self, instrument: InstrumentId) -> Option<(&'static str, bool)> {
        if self.all.active {
            return Some(("all", self.all.allow_risk_reducing));
        }
        let f = self.instruments[instrument.index()];
        f.active.then_some(("instrument", f.allow_risk_reducing))
    }

    /// Bit mask of venues that may not receive new children.
    pub fn killed_venues(&self) -> u64 {
        self.venues
            .iter()
            .enumerate()
            .filter(|(_, f)| f.active)
            .fold(0, |m, (v, _)| m | (1 << v))
    }

    /// Whether a child on (`instrument`, `venue`) is in `scope`.
    pub fn covers(scope: KillScope, instrument: InstrumentId, venue: VenueId) -> bool {
        match scope {
            KillScope::All => true,
            KillScope::Venue(v) => v == venue,
            KillScope::Instrument(i) => i == instrument,
        }
    }

    /// Engaged scopes as (scope, flag), for snapshots.
    pub fn engaged(&self) -> impl Iterator<Item = (KillScope, KillFlag)> + '_ {
        let all = self.all.active.then_some((KillScope::All, self.all));
        let venues = self
            .venues
            .iter()
            .enumerate()
            .filter(|(_, f)| f.active)
            .map(|(v, f)| (KillScope::Venue(VenueId(v as u16)), *f));
        let inst = self
            .instruments
            .iter()
            .enumerate()
            .filter(|(_, f)| f.active)
            .map(|(i, f)| (KillScope::Instrument(InstrumentId(i as u32)), *f));
        all.into_iter().chain(venues).chain(inst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_block_what_they_cover() {
        let mut k = KillState::new(3, 2);
        assert_eq!(k.parent_block(InstrumentId(1)), None);
        k.set(
            KillScope::Instrument(InstrumentId(1)),
            KillFlag {
                active: true,
                allow_risk_reducing: true,
            },
        );
        assert_eq!(k.parent_block(InstrumentId(1)), Some(("instrument", true)));
        assert_eq!(k.parent_block(InstrumentId(0)), None);
        k.set(
            KillScope::Venue(VenueId(2)),
            KillFlag {
                active: true,
                allow_risk_reducing: false,
            },
        );
        assert_eq!(k.killed_venues(), 0b100);
        k.set(
            KillScope::All,
            KillFlag {
                active: true,
                allow_risk_reducing: false,
            },
        );
        assert_eq!(k.parent_block(InstrumentId(0)), Some(("all", false)));
        assert_eq!(k.engaged().count(), 3);
        assert!(KillState::covers(
            KillScope::Venue(VenueId(2)),
            InstrumentId(0),
            VenueId(2)
        ));
        assert!(!KillState::covers(
            KillScope::Venue(VenueId(2)),
            InstrumentId(0),
            VenueId(1)
        ));
        assert!(KillState::covers(
            KillScope::Instrument(InstrumentId(0)),
            InstrumentId(0),
            VenueId(1)
        ));
        k.set(KillScope::All, KillFlag::default());
        assert_eq!(k.parent_block(InstrumentId(0)), None);
    }
}
