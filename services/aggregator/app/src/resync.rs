//! Execution-stream resync (`docs/aggregator.md` § Execution-stream resync): per gateway, the
//! last `streamSequence` applied (rebuilt from the journal on start: every applied message is
//! journaled raw with its number) and the replay request outstanding, if any.
//!
//! A numbered message is applied only when it is the next one (`applied + 1`); an older one is
//! a duplicate (ignored, counted); a newer one is a gap (ignored, counted, and a replay from
//! `applied + 1` is asked for). Unnumbered messages (a sender before schema version 2) are
//! applied as they come.

use crossbar_runtime::{Counter, CounterSet};

/// What to do with one execution-stream message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Apply it (the next number, or unnumbered).
    Apply,
    /// Already applied: ignore.
    Duplicate,
    /// Something before it is missing: ignore it and ask for a replay.
    Gap,
}

/// Counters, registered as `resync.*`.
#[derive(Clone, Debug)]
pub struct ResyncCounters {
    /// ExecutionReplayRequests sent (start, gaps, retries).
    pub requests: Counter,
    /// Numbered messages ignored as already applied.
    pub duplicates: Counter,
    /// Numbered messages ignored because an earlier one was missing.
    pub gaps: Counter,
    /// Unnumbered messages applied (senders before schema version 2).
    pub unnumbered: Counter,
    /// Gateways that became resynced.
    pub completed: Counter,
    /// ExecutionReplayCompletes that did not match the outstanding request (ignored).
    pub stale_completes: Counter,
    /// Completes whose `lastSequence` was below what was applied: the gateway's journal
    /// restarted; numbering starts again from 1.
    pub stream_resets: Counter,
}

impl ResyncCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("resync.{n}"));
        Self {
            requests: c("requests"),
            duplicates: c("duplicates"),
            gaps: c("gaps"),
            unnumbered: c("unnumbered"),
            completed: c("completed"),
            stale_completes: c("stale_completes"),
            stream_resets: c("stream_resets"),
        }
    }
}

/// One gateway's execution stream as the aggregator sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GatewayStream {
    /// Gateway id.
    pub gateway: u16,
    /// Last `streamSequence` applied (0 = none).
    pub applied: u64,
    /// The replay request outstanding: (request id, time sent ns).
    pub outstanding: Option<(u64, u64)>,
    /// Fresh start (empty journal): the first numbered message is taken as the start of
    /// the stream (there is no earlier state to resync).
    pub adopt: bool,
}

/// Every gateway's stream.
#[derive(Debug)]
pub struct Streams {
    streams: Vec<GatewayStream>,
    next_request: u64,
    /// Counters.
    pub counters: ResyncCounters,
}

impl Streams {
    /// One stream per gateway of `gateways`, with `applied` from the journal (pairs of
    /// gateway id and last sequence; unlisted gateways start at 0). `fresh` (the journal was
    /// empty): each stream starts at the first numbered message it sees.
    pub fn new(
        gateways: &[u16],
        applied: &[(u16, u64)],
        fresh: bool,
        counters: ResyncCounters,
    ) -> Self {
        let streams = gateways
            .iter()
            .map(|&g| GatewayStream {
                gateway: g,
                applied: applied
                    .iter()
                    .filter(|(a, _)| *a == g)
                    .map(|(_, s)| *s)
                    .max()
                    .unwrap_or(0),
                outstanding: None,
                adopt: fresh,
            })
            .collect();
        Self {
            streams,
            next_request: 1,
            counters,
        }
    }

    /// The stream of `gateway`.
    pub fn get(&self, gateway: u16) -> Option<&GatewayStream> {
        self.streams.iter().find(|s| s.gateway == gateway)
    }

    fn get_mut(&mut self, gateway: u16) -> Option<&mut GatewayStream> {
        self.streams.iter_mut().find(|s| s.gateway == gateway)
    }

    /// Judges a message of `gateway` numbered `sequence` (`None` = unnumbered).
    pub fn admit(&mut self, gateway: u16, sequence: Option<u64>) -> Admit {
        let Some(seq) = sequence else {
            self.counters.unnumbered.increment();
            return Admit::Apply;
        };
        let Some(s) = self.get_mut(gateway) else {
            return Admit::Apply; // an unknown gateway: the router refuses it with its code
        };
        if s.adopt {
            s.adopt = false;
            s.applied = seq - 1;
        }
        if seq <= s.applied {
            self.counters.duplicates.increment();
            Admit::Duplicate
        } else if seq == s.applied + 1 {
            Admit::Apply
        } else {
            self.counters.gaps.increment();
            Admit::Gap
        }
    }

    /// A numbered message of `gateway` was journaled and applied.
    pub fn applied(&mut self, gateway: u16, sequence: Option<u64>) {
        if let (Some(seq), Some(s)) = (sequence, self.get_mut(gateway)) {
            s.applied = s.applied.max(seq);
        }
    }

    /// Records a new request for `gateway` at `now_ns`; returns (request id, from sequence).
    pub fn request(&mut self, gateway: u16, now_ns: u64) -> Option<(u64, u64)> {
        let id = self.next_request;
        let s = self.streams.iter_mut().find(|s| s.gateway == gateway)?;
        self.next_request += 1;
        s.outstanding = Some((id, now_ns));
        self.counters.requests.increment();
        Some((id, s.applied + 1))
    }

    /// Gateways whose request is older than `retry_ns` at `now_ns`.
    pub fn overdue(&self, now_ns: u64, retry_ns: u64) -> impl Iterator<Item = u16> + '_ {
        self.streams
            .iter()
            .filter_map(move |s| match s.outstanding {
                Some((_, sent)) if now_ns.saturating_sub(sent) >= retry_ns => Some(s.gateway),
                _ => None,
            })
    }

    /// An ExecutionReplayComplete: `Some(true)` = the gateway is resynced (request cleared),
    /// `Some(false)` = something is still missing (ask again), `None` = not the outstanding
    /// request (ignored, counted).
    pub fn complete(&mut self, gateway: u16, request_id: u64, last_sequence: u64) -> Option<bool> {
        let Some(s) = self.streams.iter_mut().find(|s| s.gateway == gateway) else {
            self.counters.stale_completes.increment();
            return None;
        };
        if s.outstanding.map(|(id, _)| id) != Some(request_id) {
            self.counters.stale_completes.increment();
            return None;
        }
        if last_sequence < s.applied {
            // The gateway's journal (and numbering) restarted: take its stream from 1.
            self.counters.stream_resets.increment();
            s.applied = 0;
            return Some(false);
        }
        if s.applied >= last_sequence {
            s.outstanding = None;
            self.counters.completed.increment();
            Some(true)
        } else {
            Some(false)
        }
    }

    /// True while `gateway` has a request outstanding.
    pub fn is_resyncing(&self, gateway: u16) -> bool {
        self.get(gateway).is_some_and(|s| s.outstanding.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams() -> Streams {
        let mut set = CounterSet::default();
        Streams::new(
            &[1, 2],
            &[(1, 5), (1, 7)],
            false,
            ResyncCounters::register(&mut set),
        )
    }

    #[test]
    fn next_applies_older_is_duplicate_newer_is_gap() {
        let mut s = streams();
        assert_eq!(s.get(1).unwrap().applied, 7);
        assert_eq!(s.admit(1, Some(7)), Admit::Duplicate);
        assert_eq!(s.admit(1, Some(9)), Admit::Gap);
        assert_eq!(s.admit(1, Some(8)), Admit::Apply);
        s.applied(1, Some(8));
        assert_eq!(s.admit(1, Some(8)), Admit::Duplicate);
        assert_eq!(s.admit(2, Some(1)), Admit::Apply);
        assert_eq!(s.admit(2, None), Admit::Apply);
        assert_eq!(s.counters.duplicates.get(), 2);
        assert_eq!(s.counters.gaps.get(), 1);
        assert_eq!(s.counters.unnumbered.get(), 1);
    }

    #[test]
    fn a_fresh_start_adopts_the_first_number() {
        let mut set = CounterSet::default();
        let mut s = Streams::new(&[1], &[], true, ResyncCounters::register(&mut set));
        assert_eq!(s.admit(1, Some(41)), Admit::Apply);
        s.applied(1, Some(41));
        assert_eq!(s.admit(1, Some(43)), Admit::Gap);
    }

    #[test]
    fn complete_clears_only_the_outstanding_request_once_caught_up() {
        let mut s = streams();
        let (id, from) = s.request(1, 100).unwrap();
        assert_eq!(from, 8);
        assert!(s.is_resyncing(1));
        assert_eq!(s.complete(1, id + 1, 7), None, "another request");
        assert_eq!(s.complete(1, id, 9), Some(false), "8 and 9 missing");
        s.applied(1, Some(8));
        s.applied(1, Some(9));
        assert_eq!(s.overdue(2_000, 1_000).collect::<Vec<_>>(), vec![1]);
        assert_eq!(s.complete(1, id, 9), Some(true));
        assert!(!s.is_resyncing(1));
        // A gateway whose journal restarted reports less than was applied.
        let (id, _) = s.request(2, 0).unwrap();
        s.applied(2, Some(3));
        assert_eq!(s.complete(2, id, 1), Some(false));
        assert_eq!(s.get(2).unwrap().applied, 0);
        assert_eq!(s.counters.stream_resets.get(), 1);
    }
}
