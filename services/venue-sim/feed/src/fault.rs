//! Fault injection for the publisher: commands, the plan they build, and the handle other
//! threads send them through.
//!
//! Commands travel over a bounded channel (a typed proxy, as Aeron's conductor commands do);
//! a full channel is refused and counted, never blocks.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use crossbar_runtime::Counter;

/// One fault command for a [`crate::MoldPublisher`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultCommand {
    /// Do not send messages with sequence numbers in `sequence_numbers` (they are still
    /// retained, so a MoldUDP64 request recovers them). Ranges accumulate.
    DropRange {
        /// Sequence numbers to withhold, half-open.
        sequence_numbers: Range<u64>,
    },
    /// Hold every message until `delay_ns` after it was sequenced (a constant added
    /// latency); 0 removes the delay.
    Delay {
        /// Added latency, ns.
        delay_ns: u64,
    },
    /// Stop sending anything, heartbeats included (an outage), until [`FaultCommand::Resume`].
    Pause,
    /// Undo [`FaultCommand::Pause`]: the backlog is sent.
    Resume,
    /// Remove every drop range and the delay, and resume.
    Clear,
}

/// The faults in force: drop ranges, delay, pause. Applied by the publisher per message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    drops: Vec<Range<u64>>,
    delay_ns: u64,
    paused: bool,
}

impl FaultPlan {
    /// Most drop ranges held at once; further [`FaultCommand::DropRange`]s are ignored
    /// (and counted by the publisher).
    pub const DROP_RANGES_MAX: usize = 64;

    /// No faults.
    pub fn new() -> Self {
        Self {
            drops: Vec::with_capacity(Self::DROP_RANGES_MAX),
            ..Self::default()
        }
    }

    /// Applies `command`; returns false when it was refused (drop-range table full or an
    /// empty range).
    pub fn apply(&mut self, command: FaultCommand) -> bool {
        match command {
            FaultCommand::DropRange { sequence_numbers } => {
                if sequence_numbers.is_empty() || self.drops.len() == Self::DROP_RANGES_MAX {
                    return false;
                }
                self.drops.push(sequence_numbers);
            }
            FaultCommand::Delay { delay_ns } => self.delay_ns = delay_ns,
            FaultCommand::Pause => self.paused = true,
            FaultCommand::Resume => self.paused = false,
            FaultCommand::Clear => {
                self.drops.clear();
                self.delay_ns = 0;
                self.paused = false;
            }
        }
        true
    }

    /// True when `sequence_number` is to be withheld.
    pub fn drops(&self, sequence_number: u64) -> bool {
        self.drops.iter().any(|r| r.contains(&sequence_number))
    }

    /// The added latency, ns.
    pub fn delay_ns(&self) -> u64 {
        self.delay_ns
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }
}

/// A cloneable, `Send` handle that sends [`FaultCommand`]s to one publisher from any thread.
#[derive(Clone, Debug)]
pub struct FaultHandle {
    sender: SyncSender<FaultCommand>,
    refused: Counter,
}

impl FaultHandle {
    /// Queues `command`; returns false (and counts it) when the queue is full or the
    /// publisher is gone. The publisher applies it at its next duty cycle.
    pub fn send(&self, command: FaultCommand) -> bool {
        match self.sender.try_send(command) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.refused.increment();
                false
            }
        }
    }
}

/// The publisher's end of the command queue.
#[derive(Debug)]
pub(crate) struct FaultInbox {
    receiver: Receiver<FaultCommand>,
}

impl FaultInbox {
    /// A queue of `capacity` commands: the inbox and the first handle (refusals counted in
    /// `refused`).
    pub(crate) fn new(capacity: usize, refused: Counter) -> (Self, FaultHandle) {
        let (sender, receiver) = std::sync::mpsc::sync_channel(capacity);
        (Self { receiver }, FaultHandle { sender, refused })
    }

    /// The next queued command, if any.
    pub(crate) fn poll(&self) -> Option<FaultCommand> {
        self.receiver.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_applies_every_command() {
        let mut plan = FaultPlan::new();
        assert!(plan.apply(FaultCommand::DropRange {
            sequence_numbers: 5..8
        }));
        assert!(!plan.apply(FaultCommand::DropRange {
            sequence_numbers: 9..9
        }));
        assert!(!plan.drops(4) && plan.drops(5) && plan.drops(7) && !plan.drops(8));
        assert!(plan.apply(FaultCommand::Delay { delay_ns: 7 }));
        assert!(plan.apply(FaultCommand::Pause));
        assert!(plan.is_paused() && plan.delay_ns() == 7);
        assert!(plan.apply(FaultCommand::Resume));
        assert!(!plan.is_paused());
        assert!(plan.apply(FaultCommand::Clear));
        assert_eq!(plan, FaultPlan::new());
        for i in 0..FaultPlan::DROP_RANGES_MAX as u64 {
            assert!(plan.apply(FaultCommand::DropRange {
                sequence_numbers: i..i + 1
            }));
        }
        assert!(!plan.apply(FaultCommand::DropRange {
            sequence_numbers: 100..101
        }));
    }

    #[test]
    fn full_queue_is_refused_and_counted() {
        let refused = Counter::detached();
        let (inbox, handle) = FaultInbox::new(1, refused.clone());
        assert!(handle.send(FaultCommand::Pause));
        assert!(!handle.send(FaultCommand::Resume));
        assert_eq!(refused.get(), 1);
        assert_eq!(inbox.poll(), Some(FaultCommand::Pause));
        assert_eq!(inbox.poll(), None);
    }
}
