//! The order-stream hash: SHA-256 over every canonical tick before per-recipient filtering.
//! Encoding (also in `docs/relay-protocol.md`): a domain tag, then per tick `tick ‖ count ‖ orders`.

use sha2::{Digest, Sha256};

use crate::order::TickOrders;

/// Domain separation so the hash cannot be confused with any other SHA-256 in the system.
pub const ORDER_STREAM_DOMAIN: &[u8] = b"ic-relay-order-stream-v1";

/// Running SHA-256 of the canonical order stream.
#[derive(Clone)]
pub struct OrderStreamHasher {
    hasher: Sha256,
    scratch: Vec<u8>,
}

impl Default for OrderStreamHasher {
    fn default() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(ORDER_STREAM_DOMAIN);
        Self {
            hasher,
            scratch: Vec::with_capacity(1024),
        }
    }
}

impl OrderStreamHasher {
    /// Adds one tick: `tick u64 LE ‖ count u32 LE ‖ each order's canonical encoding`.
    pub fn update(&mut self, tick: &TickOrders) {
        self.scratch.clear();
        self.scratch.extend_from_slice(&tick.tick.to_le_bytes());
        let count = u32::try_from(tick.orders.len()).unwrap_or(u32::MAX);
        self.scratch.extend_from_slice(&count.to_le_bytes());
        for order in &tick.orders {
            order.encode(&mut self.scratch);
        }
        self.hasher.update(&self.scratch);
    }

    /// The hash of everything added so far.
    pub fn current(&self) -> [u8; 32] {
        self.hasher.clone().finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PlayerSlot;
    use crate::order::{PlayerOrder, TimestampedOrder};

    #[test]
    fn hash_matches_the_documented_encoding() {
        let tick = TickOrders {
            tick: 3,
            orders: vec![TimestampedOrder {
                player: PlayerSlot(1),
                sub_tick_us: 0x0102,
                order: PlayerOrder::Idle,
            }],
        };
        let mut hasher = OrderStreamHasher::default();
        hasher.update(&tick);
        let mut expected = Vec::from(ORDER_STREAM_DOMAIN);
        expected.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        expected.extend_from_slice(&[1, 0x02, 0x01, 0, 0, 0]);
        assert_eq!(
            hasher.current(),
            <[u8; 32]>::from(Sha256::digest(&expected))
        );
    }
}
