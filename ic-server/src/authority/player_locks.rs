//! Per-player locks inside one server process, so concurrent changes to the same player queue
//! instead of planning against the same sequence and retrying (the store's optimistic check
//! still guards against other processes sharing the database).

use scr::PlayerKey;
use tokio::sync::{Mutex, MutexGuard};

/// Striped locks: a player maps to one of a fixed number of mutexes.
pub(super) struct PlayerLocks {
    stripes: Vec<Mutex<()>>,
}

impl PlayerLocks {
    pub(super) fn new(stripes: usize) -> Self {
        Self {
            stripes: (0..stripes.max(1)).map(|_| Mutex::new(())).collect(),
        }
    }

    /// Locks every stripe of `players`, in ascending order so two callers never deadlock.
    pub(super) async fn lock(&self, players: &[PlayerKey]) -> Vec<MutexGuard<'_, ()>> {
        let mut indices: Vec<usize> = players.iter().map(|p| self.stripe(p)).collect();
        indices.sort_unstable();
        indices.dedup();
        let mut guards = Vec::with_capacity(indices.len());
        for index in indices {
            guards.push(self.stripes[index].lock().await);
        }
        guards
    }

    fn stripe(&self, player: &PlayerKey) -> usize {
        // Keys are uniformly random, so their first bytes spread players evenly.
        let bytes = player.as_bytes();
        usize::from(u16::from_le_bytes([bytes[0], bytes[1]])) % self.stripes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn overlapping_sets_lock_in_order_without_deadlock() {
        let locks = std::sync::Arc::new(PlayerLocks::new(4));
        let a = PlayerKey::from_bytes([1; 32]);
        let b = PlayerKey::from_bytes([2; 32]);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let locks = locks.clone();
            let set = if i % 2 == 0 { vec![a, b] } else { vec![b, a] };
            tasks.push(tokio::spawn(async move {
                let _guards = locks.lock(&set).await;
                tokio::task::yield_now().await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
}
