//! How a batch of certified matches committed together is decided, the same on every backend:
//! each change in batch order, as if the changes were applied one by one.
//!
//! A backend's group commit reads, inside its transaction and under its write lock, the
//! sequences of every player of the batch and which matches were applied before; [`settle`]
//! then follows each player's sequence through the batch, so a second match of the same player
//! fits when it was planned on the first, and a stale one conflicts without failing the rest.

use std::collections::HashMap;

use scr::PlayerKey;

use super::{Applied, IssuedRecord, MatchChange};

/// What becomes of one change of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    /// Written with the batch.
    Apply,
    /// Applied by an earlier transaction.
    Stored,
    /// The same match as the change at this index of the batch, which is applied.
    EarlierInBatch(usize),
    /// A player's sequence is not the one the change was planned against.
    Conflict,
}

/// Decides each change of a batch in order: `sequences` starts as the database's (players
/// missing from it are unregistered) and follows every change accepted; `stored` holds the
/// matches applied before, with the records they issued.
pub(super) fn settle(
    changes: &[&MatchChange],
    stored: &HashMap<[u8; 32], Vec<IssuedRecord>>,
    sequences: &mut HashMap<PlayerKey, u64>,
) -> Vec<Settled> {
    let mut applied_here: HashMap<[u8; 32], usize> = HashMap::new();
    let mut settled = Vec::with_capacity(changes.len());
    for (index, change) in changes.iter().enumerate() {
        if stored.contains_key(&change.match_id) {
            settled.push(Settled::Stored);
            continue;
        }
        if let Some(&earlier) = applied_here.get(&change.match_id) {
            settled.push(Settled::EarlierInBatch(earlier));
            continue;
        }
        let fits = change.players.iter().all(|player| {
            sequences.get(&player.player_key) == Some(&player.expected_last_sequence)
        });
        if !fits {
            settled.push(Settled::Conflict);
            continue;
        }
        for player in &change.players {
            sequences.insert(player.player_key, player.new_last_sequence);
        }
        applied_here.insert(change.match_id, index);
        settled.push(Settled::Apply);
    }
    settled
}

/// The changes `settled` writes, in batch order.
pub(super) fn accepted<'a>(
    changes: &[&'a MatchChange],
    settled: &[Settled],
) -> Vec<&'a MatchChange> {
    changes
        .iter()
        .zip(settled)
        .filter(|(_, settled)| matches!(settled, Settled::Apply))
        .map(|(change, _)| *change)
        .collect()
}

/// The answer to each caller of a committed batch: a duplicate of a match applied before gets
/// its stored records, a duplicate of one applied in this batch the records written now (in
/// the stored order, by player key and sequence), so both submissions carry the same records.
pub(super) fn answers(
    changes: &[&MatchChange],
    settled: &[Settled],
    stored: &HashMap<[u8; 32], Vec<IssuedRecord>>,
) -> Vec<Applied> {
    settled
        .iter()
        .zip(changes)
        .map(|(settled, change)| match settled {
            Settled::Apply => Applied::Done,
            Settled::Conflict => Applied::Conflict,
            Settled::Stored => {
                Applied::AlreadyApplied(stored.get(&change.match_id).cloned().unwrap_or_default())
            }
            Settled::EarlierInBatch(index) => {
                let mut records: Vec<IssuedRecord> = changes[*index]
                    .players
                    .iter()
                    .flat_map(|p| p.records.iter().cloned())
                    .collect();
                records.sort_by_key(|record| (record.player_key, record.sequence));
                Applied::AlreadyApplied(records)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PlayerChange;

    fn player(byte: u8, expected: u64) -> PlayerChange {
        PlayerChange {
            player_key: PlayerKey::from_bytes([byte; 32]),
            expected_last_sequence: expected,
            new_last_sequence: expected + 2,
            ratings: Vec::new(),
            records: Vec::new(),
            opponents: Vec::new(),
            revocation: None,
            achievements: Vec::new(),
        }
    }

    fn change(id: u8, players: Vec<PlayerChange>) -> MatchChange {
        MatchChange {
            match_id: [id; 32],
            cmr: Vec::new(),
            participants_hash: [0; 32],
            played_at: 0,
            accepted_at: 0,
            rated: true,
            players,
            abandons: Vec::new(),
        }
    }

    #[test]
    fn a_batch_settles_as_if_applied_one_by_one() {
        let a = PlayerKey::from_bytes([1; 32]);
        let b = PlayerKey::from_bytes([2; 32]);
        let mut sequences = HashMap::from([(a, 4), (b, 0)]);
        let stored = HashMap::from([([9; 32], Vec::new())]);
        let first = change(1, vec![player(1, 4), player(2, 0)]);
        // Planned against a's sequence after the first match: fits once that one is applied.
        let chained = change(2, vec![player(1, 6)]);
        // Planned against the old sequence: conflicts with the first match.
        let stale = change(3, vec![player(2, 0)]);
        let again = change(1, vec![player(1, 4), player(2, 0)]);
        let old = change(9, vec![player(1, 4)]);
        let unknown = change(4, vec![player(7, 0)]);
        let batch = [&first, &chained, &stale, &again, &old, &unknown];
        let settled = settle(&batch, &stored, &mut sequences);
        assert_eq!(
            settled,
            vec![
                Settled::Apply,
                Settled::Apply,
                Settled::Conflict,
                Settled::EarlierInBatch(0),
                Settled::Stored,
                Settled::Conflict,
            ]
        );
        assert_eq!(sequences[&a], 8);
        assert_eq!(sequences[&b], 2);
    }
}
