//! Order-entry accounts: one per configured login, each an engine session with its own
//! sequenced OUCH stream (kept for replay across reconnects, SoupBinTCP 3.0 §1.2), fee
//! totals and counters; plus the adapters that let a [`crossbar_soupbintcp::ServerSession`]
//! pick the account's stream at login.

use std::cell::Cell;

use crossbar_soupbintcp::{
    MemoryStore, MessageStore, Password, ServerCloseReason, ServerListener, ServerStatus,
    SoupError, Username,
};

use crate::config::Account;
use crate::fees::FeeTotals;

/// One account's state. Its index in the account table is its engine session id.
#[derive(Debug)]
pub struct AccountState {
    /// The configured username, as written.
    pub name: String,
    username: Username,
    password: Password,
    /// The account's sequenced OUCH messages, 1.. (bounded; see `ouch.store_*`).
    pub store: MemoryStore,
    /// True while a TCP connection is logged in as this account (one at a time).
    pub connected: bool,
    /// Fills and fees.
    pub fees: FeeTotals,
    /// Orders accepted (OUCH Order Accepted sent).
    pub orders_accepted: u64,
    /// Rejected messages sent.
    pub rejected: u64,
    /// Inbound messages that did not decode or are not supported (answered with Debug text).
    pub malformed: u64,
    /// Requests the engine ignored without an OUCH answer (duplicate or unknown tokens).
    pub ignored: u64,
    /// Sequenced messages lost because the store was full.
    pub store_full: u64,
}

impl AccountState {
    /// The state for `account`, with a store of `store_messages` / `store_bytes`.
    ///
    /// # Errors
    /// [`SoupError`] when the username or password does not fit its SoupBinTCP field.
    pub fn new(
        account: &Account,
        store_messages: usize,
        store_bytes: usize,
    ) -> Result<Self, SoupError> {
        Ok(Self {
            name: account.username.clone(),
            username: Username::new(&account.username)?,
            password: Password::new(&account.password)?,
            store: MemoryStore::with_capacity(store_messages, store_bytes),
            connected: false,
            fees: FeeTotals::default(),
            orders_accepted: 0,
            rejected: 0,
            malformed: 0,
            ignored: 0,
            store_full: 0,
        })
    }

    /// Appends one sequenced message, counting a full store.
    pub fn append(&mut self, message: &[u8]) {
        if self.store.append(message).is_err() {
            self.store_full += 1;
        }
    }

    /// The account index named `username` (case-insensitive, as SoupBinTCP compares).
    pub fn find(accounts: &[AccountState], username: &str) -> Option<usize> {
        accounts
            .iter()
            .position(|a| a.name.eq_ignore_ascii_case(username))
    }
}

/// The store a session reads: the selected account's, or an empty one before login.
pub struct SelectedStore<'a> {
    /// All accounts.
    pub accounts: &'a [AccountState],
    /// Which one; set by [`SessionListener::authenticate`].
    pub selected: &'a Cell<Option<usize>>,
}

impl MessageStore for SelectedStore<'_> {
    fn next_sequence_number(&self) -> u64 {
        self.selected
            .get()
            .map_or(1, |i| self.accounts[i].store.next_sequence_number())
    }

    fn get(&self, sequence_number: u64) -> Option<&[u8]> {
        self.accounts[self.selected.get()?]
            .store
            .get(sequence_number)
    }
}

/// Inbound OUCH messages of one read, copied out of the session's receive buffer so the
/// engine can handle them after [`crossbar_soupbintcp::ServerSession::on_bytes`] returns.
/// Sized once: `bytes` can hold every byte of one read plus a full receive buffer.
#[derive(Debug, Default)]
pub struct InboundArena {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Messages that did not fit (never, when sized as documented).
    pub overflow: u64,
}

impl InboundArena {
    /// An arena for up to `bytes` message bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(bytes / 3 + 1),
            overflow: 0,
        }
    }

    fn push(&mut self, message: &[u8]) {
        if self.bytes.capacity() - self.bytes.len() < message.len()
            || self.ends.len() == self.ends.capacity()
        {
            self.overflow += 1;
            return;
        }
        self.bytes.extend_from_slice(message);
        self.ends.push(self.bytes.len());
    }

    /// Messages held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Message `i` (in arrival order).
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// Forgets every message (keeps the memory).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// The [`ServerListener`] of one connection for one call: checks credentials against the
/// accounts (a second concurrent login of an account is refused), selects the account's
/// store, and collects inbound messages.
pub struct SessionListener<'a> {
    /// All accounts.
    pub accounts: &'a [AccountState],
    /// The account chosen at login.
    pub selected: &'a Cell<Option<usize>>,
    /// Where inbound messages go.
    pub inbound: &'a mut InboundArena,
    /// Set when the session accepted a login during this call.
    pub logged_in: bool,
    /// Set when the session closed during this call.
    pub closed: Option<ServerCloseReason>,
}

impl ServerListener for SessionListener<'_> {
    fn authenticate(&mut self, username: &Username, password: &Password) -> bool {
        let found = self
            .accounts
            .iter()
            .position(|a| a.username == *username && a.password == *password && !a.connected);
        self.selected.set(found);
        found.is_some()
    }

    fn on_unsequenced_data(&mut self, message: &[u8]) {
        self.inbound.push(message);
    }

    fn on_status(&mut self, status: ServerStatus) {
        match status {
            ServerStatus::LoginAccepted { .. } => self.logged_in = true,
            ServerStatus::Closed(reason) => self.closed = Some(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Vec<AccountState> {
        ["ALICE", "BOB"]
            .iter()
            .map(|name| {
                AccountState::new(
                    &Account {
                        username: (*name).into(),
                        password: "pw".into(),
                    },
                    4,
                    64,
                )
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn login_selects_the_account_store_and_refuses_a_second_connection() {
        let mut accounts = accounts();
        accounts[1].append(b"one");
        accounts[1].append(b"two");
        let selected = Cell::new(None);
        let mut inbound = InboundArena::with_capacity(16);
        {
            let store = SelectedStore {
                accounts: &accounts,
                selected: &selected,
            };
            assert_eq!(store.next_sequence_number(), 1, "nothing before login");
            let mut listener = SessionListener {
                accounts: &accounts,
                selected: &selected,
                inbound: &mut inbound,
                logged_in: false,
                closed: None,
            };
            let bob = Username::new("bob").unwrap();
            assert!(!listener.authenticate(&bob, &Password::new("nope").unwrap()));
            assert!(listener.authenticate(&bob, &Password::new("PW").unwrap()));
            listener.on_unsequenced_data(b"OUCH");
            assert_eq!(store.next_sequence_number(), 3);
            assert_eq!(store.get(2), Some(&b"two"[..]));
        }
        assert_eq!((inbound.len(), inbound.get(0)), (1, &b"OUCH"[..]));
        accounts[1].connected = true;
        let listener_accounts = &accounts;
        let mut listener = SessionListener {
            accounts: listener_accounts,
            selected: &selected,
            inbound: &mut inbound,
            logged_in: false,
            closed: None,
        };
        assert!(
            !listener.authenticate(
                &Username::new("BOB").unwrap(),
                &Password::new("pw").unwrap()
            ),
            "one connection per account"
        );
        assert_eq!(selected.get(), None);
        assert_eq!(AccountState::find(&accounts, "alice"), Some(0));
    }

    #[test]
    fn full_store_and_full_arena_are_counted_not_grown() {
        let mut accounts = accounts();
        for _ in 0..5 {
            accounts[0].append(b"x");
        }
        assert_eq!((accounts[0].store.len(), accounts[0].store_full), (4, 1));
        let mut arena = InboundArena::with_capacity(4);
        arena.push(b"abc");
        arena.push(b"de");
        assert_eq!((arena.len(), arena.overflow), (1, 1));
        arena.clear();
        assert!(arena.is_empty());
    }
}
