//! The pre-sized table of child orders, indexed by platform order id and by OUCH UserRefNum.

use crate::state::OrderState;
use crossbar_book::RefMap;
use crossbar_model::{InstrumentId, OrderId, Price, Side, TimeInForce};

/// One child order as the gateway tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OrderSlot {
    pub order_id: OrderId,
    pub parent_order_id: OrderId,
    /// The order this one replaced (OUCH 5.0 §2.2), 0 for a new order.
    pub orig_order_id: OrderId,
    pub instrument: InstrumentId,
    pub side: Side,
    pub time_in_force: TimeInForce,
    /// Limit price, 1/10,000.
    pub price: Price,
    /// Shares open at the venue.
    pub leaves: u32,
    /// Shares filled on this order (and, after a replace, on its chain).
    pub cum: u32,
    /// Shares reserved in risk for this order (≥ leaves; trimmed when the venue says less).
    pub reserved: u32,
    pub state: OrderState,
    pub user_ref_num: u32,
    /// OUCH 5.0 §3.2 Order Reference Number; 0 until accepted.
    pub venue_order_ref: u64,
}

/// Fixed-capacity order table: slots, a free list, and two [`RefMap`] indexes. Allocates
/// only in [`OrderTable::new`].
#[derive(Debug)]
pub(crate) struct OrderTable {
    slots: Vec<Option<OrderSlot>>,
    free: Vec<u32>,
    by_order_id: RefMap,
    by_user_ref_num: RefMap,
}

impl OrderTable {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            slots: vec![None; capacity as usize],
            free: (0..capacity).rev().collect(),
            by_order_id: RefMap::with_capacity(capacity as usize),
            by_user_ref_num: RefMap::with_capacity(capacity as usize),
        }
    }

    #[cfg(test)]
    pub(crate) fn is_full(&self) -> bool {
        self.free.is_empty()
    }

    /// Slots (the most orders tracked at once).
    pub(crate) fn capacity(&self) -> u32 {
        self.slots.len() as u32
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Adds `order` (its id and UserRefNum must be new); `None` when full or either key is
    /// already present.
    pub(crate) fn insert(&mut self, order: OrderSlot) -> Option<u32> {
        if self.by_order_id.contains(order.order_id.0)
            || self.by_user_ref_num.contains(u64::from(order.user_ref_num))
        {
            return None;
        }
        let slot = self.free.pop()?;
        // Both maps hold as many entries as there are slots, and neither key is present.
        let _ = self.by_order_id.insert(order.order_id.0, slot);
        let _ = self
            .by_user_ref_num
            .insert(u64::from(order.user_ref_num), slot);
        self.slots[slot as usize] = Some(order);
        Some(slot)
    }

    pub(crate) fn slot_of_order(&self, order_id: OrderId) -> Option<u32> {
        self.by_order_id.get(order_id.0)
    }

    pub(crate) fn slot_of_user_ref_num(&self, user_ref_num: u32) -> Option<u32> {
        self.by_user_ref_num.get(u64::from(user_ref_num))
    }

    pub(crate) fn get(&self, slot: u32) -> Option<&OrderSlot> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut OrderSlot> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Frees `slot` and both its index entries.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<OrderSlot> {
        let order = self.slots.get_mut(slot as usize)?.take()?;
        self.by_order_id.remove(order.order_id.0);
        self.by_user_ref_num.remove(u64::from(order.user_ref_num));
        self.free.push(slot);
        Some(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, token: u32) -> OrderSlot {
        OrderSlot {
            order_id: OrderId(id),
            parent_order_id: OrderId(0),
            orig_order_id: OrderId(0),
            instrument: InstrumentId(0),
            side: Side::Buy,
            time_in_force: TimeInForce::Day,
            price: Price(10_000),
            leaves: 10,
            cum: 0,
            reserved: 10,
            state: OrderState::PendingNew,
            user_ref_num: token,
            venue_order_ref: 0,
        }
    }

    #[test]
    fn insert_lookup_remove_and_capacity() {
        let mut t = OrderTable::new(2);
        let a = t.insert(order(1, 100)).unwrap();
        assert_eq!(t.insert(order(1, 101)), None, "duplicate order id");
        assert_eq!(t.insert(order(2, 100)), None, "duplicate token");
        let b = t.insert(order(2, 101)).unwrap();
        assert!(t.is_full());
        assert_eq!(t.insert(order(3, 102)), None, "full");
        assert_eq!(t.slot_of_order(OrderId(2)), Some(b));
        assert_eq!(t.slot_of_user_ref_num(100), Some(a));
        assert_eq!(t.remove(a).unwrap().order_id, OrderId(1));
        assert_eq!(t.slot_of_order(OrderId(1)), None);
        assert_eq!(t.slot_of_user_ref_num(100), None);
        assert_eq!(t.len(), 1);
        assert!(t.insert(order(3, 102)).is_some());
        assert_eq!(t.remove(a).map(|o| o.order_id), Some(OrderId(3)));
        assert_eq!(t.remove(a), None);
    }
}
