//! Ranks among a game module's eligible players, from one sorted snapshot: a player's rank and
//! percentile, and the neighbours around them, in O(log n) instead of a count over the table.

use std::collections::HashMap;

use scr::PlayerKey;

/// The eligible players of one game module, best first (rating descending, then key
/// ascending: the leaderboard's order), with each player's position.
#[derive(Debug, Clone, Default)]
pub struct RankBoard {
    order: Vec<(i64, PlayerKey)>,
    position: HashMap<PlayerKey, usize>,
}

impl RankBoard {
    /// The board of `players` (key, rating), in any order.
    pub fn new(players: impl IntoIterator<Item = (PlayerKey, i64)>) -> Self {
        let mut order: Vec<(i64, PlayerKey)> = players
            .into_iter()
            .map(|(key, rating)| (rating, key))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let position = order
            .iter()
            .enumerate()
            .map(|(index, (_, key))| (*key, index))
            .collect();
        Self { order, position }
    }

    /// Eligible players.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nobody is eligible.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The player's rank (1 = best), if eligible.
    pub fn rank_of(&self, player: &PlayerKey) -> Option<u32> {
        self.position
            .get(player)
            .map(|index| u32::try_from(index + 1).unwrap_or(u32::MAX))
    }

    /// The rank `player` would have with `rating`, the others as they are (for a record issued
    /// right after a rating change, before the board is rebuilt).
    pub fn rank_with(&self, player: &PlayerKey, rating: i64) -> u32 {
        let ahead = self
            .order
            .partition_point(|(r, key)| *r > rating || (*r == rating && key < player));
        // The player's own old entry, if it sorts ahead of the new position, is not ahead.
        let own_ahead = self
            .position
            .get(player)
            .is_some_and(|&index| index < ahead);
        u32::try_from(ahead - usize::from(own_ahead) + 1).unwrap_or(u32::MAX)
    }

    /// The percentile of `rank`, in tenths of a percent: the share of the other eligible
    /// players ranked below it (1000 for the best, 0 for the last; 1000 when alone).
    pub fn percentile(&self, rank: u32) -> u16 {
        percentile(rank, self.len())
    }

    /// The 0-based start of a page of `limit` rows with `player` in its middle, if eligible.
    pub fn around(&self, player: &PlayerKey, limit: usize) -> Option<usize> {
        let index = *self.position.get(player)?;
        let start = index.saturating_sub(limit / 2);
        // Near the bottom, a full page ends at the last player.
        Some(start.min(self.order.len().saturating_sub(limit)))
    }
}

/// The percentile of `rank` among `eligible` players (see [`RankBoard::percentile`]).
pub fn percentile(rank: u32, eligible: usize) -> u16 {
    let (rank, n) = (u64::from(rank), eligible as u64);
    if n <= 1 || rank == 0 || rank > n {
        return if n == 1 && rank == 1 { 1000 } else { 0 };
    }
    u16::try_from(1000 * (n - rank) / (n - 1)).unwrap_or(1000)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(byte: u8) -> PlayerKey {
        PlayerKey::from_bytes([byte; 32])
    }

    #[test]
    fn ranks_follow_the_leaderboard_order_and_percentiles_span_the_field() {
        let board = RankBoard::new([
            (key(3), 1500),
            (key(1), 1700),
            (key(2), 1500),
            (key(4), 900),
        ]);
        assert_eq!(board.rank_of(&key(1)), Some(1));
        // Equal ratings: the lower key first, as the leaderboard pages them.
        assert_eq!(board.rank_of(&key(2)), Some(2));
        assert_eq!(board.rank_of(&key(3)), Some(3));
        assert_eq!(board.rank_of(&key(9)), None);
        assert_eq!(
            (
                board.percentile(1),
                board.percentile(2),
                board.percentile(4)
            ),
            (1000, 666, 0)
        );
        assert_eq!(percentile(1, 1), 1000);
        assert_eq!(percentile(0, 10), 0, "unranked");
        assert_eq!(board.around(&key(3), 2), Some(1));
        assert_eq!(
            board.around(&key(4), 3),
            Some(1),
            "a full page at the bottom"
        );
        assert_eq!(board.around(&key(9), 3), None);
        // Player 4 climbing to 1600 would be second; player 1 dropping to 1500 stays first.
        assert_eq!(board.rank_with(&key(4), 1600), 2);
        assert_eq!(board.rank_with(&key(1), 1500), 1);
        assert_eq!(board.rank_with(&key(9), 100), 5);
    }

    proptest! {
        /// Every rank and percentile equals a brute-force count over the ratings.
        #[test]
        fn ranks_agree_with_counting(
            ratings in proptest::collection::btree_map(any::<u8>(), -5i64..5, 0..40),
            probe in any::<u8>(),
            probe_rating in -6i64..6,
        ) {
            let players: Vec<(PlayerKey, i64)> =
                ratings.iter().map(|(&k, &r)| (key(k), r)).collect();
            let board = RankBoard::new(players.clone());
            let better = |rating: i64, player: &PlayerKey, among: &[(PlayerKey, i64)]| {
                among
                    .iter()
                    .filter(|(k, r)| *r > rating || (*r == rating && k < player))
                    .count()
            };
            for (player, rating) in &players {
                let rank = better(*rating, player, &players) as u32 + 1;
                prop_assert_eq!(board.rank_of(player), Some(rank));
                let below = players.len() as u64 - u64::from(rank);
                let expected = if players.len() == 1 {
                    1000
                } else {
                    1000 * below / (players.len() as u64 - 1)
                };
                prop_assert_eq!(u64::from(board.percentile(rank)), expected);
            }
            let probe = key(probe);
            let others: Vec<(PlayerKey, i64)> =
                players.iter().copied().filter(|(k, _)| *k != probe).collect();
            prop_assert_eq!(
                board.rank_with(&probe, probe_rating),
                better(probe_rating, &probe, &others) as u32 + 1
            );
        }
    }
}
