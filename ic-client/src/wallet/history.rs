//! The player's own history as the wallet holds it, offline: the matches and achievements of
//! the records issued to them, newest first, without asking the community.

use scr::Record;
use scr::payload::Payload;
use sqlx::Row as _;

use super::WalletError;
use super::store::{CommunityStore, from_db_u64};

/// One match from the wallet's match records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletMatch {
    /// The certified match's id.
    pub match_id: [u8; 32],
    /// The record's sequence.
    pub sequence: u64,
    /// When it ended (Unix seconds).
    pub played_at: i64,
    /// Game module.
    pub game_module: String,
    /// Map.
    pub map_name: String,
    /// `win`, `loss`, `draw` or `abandoned`.
    pub result: String,
    /// Rating ×1000 before and after.
    pub rating_before: i64,
    /// Rating ×1000 after.
    pub rating_after: i64,
    /// The other players' keys (`ed25519:<hex>`).
    pub opponents: Vec<String>,
    /// Whether a revocation made the record invalid.
    pub revoked: bool,
}

/// One achievement from the wallet's achievement records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletAchievement {
    /// The id in the record.
    pub achievement_id: String,
    /// Game module.
    pub game_module: String,
    /// When it was unlocked.
    pub unlocked_at: i64,
    /// `optimistic` or `verified` (the newest record's).
    pub verification: String,
    /// The match that earned it.
    pub match_id: Option<[u8; 32]>,
    /// Whether a revocation made the record invalid.
    pub revoked: bool,
}

impl CommunityStore {
    /// The newest `limit` matches, newest first.
    pub async fn match_history(&self, limit: u32) -> Result<Vec<WalletMatch>, WalletError> {
        let rows = sqlx::query(
            "SELECT match_id, sequence, played_at, game_module, map_name, result, \
             rating_before, rating_after, opponents, revoked FROM matches \
             ORDER BY played_at DESC, sequence DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: Vec<u8> = row.try_get("match_id")?;
                let opponents: Option<Vec<u8>> = row.try_get("opponents")?;
                let opponents: Vec<serde_json::Value> = match opponents {
                    Some(json) => serde_json::from_slice(&json)
                        .map_err(|error| WalletError::Corrupt(error.to_string()))?,
                    None => Vec::new(),
                };
                Ok(WalletMatch {
                    match_id: id
                        .try_into()
                        .map_err(|_| WalletError::Corrupt("a match id is not 32 bytes".into()))?,
                    sequence: from_db_u64(row.try_get("sequence")?, "sequence")?,
                    played_at: row.try_get("played_at")?,
                    game_module: row.try_get("game_module")?,
                    map_name: row
                        .try_get::<Option<String>, _>("map_name")?
                        .unwrap_or_default(),
                    result: row.try_get("result")?,
                    rating_before: row.try_get::<Option<i64>, _>("rating_before")?.unwrap_or(0),
                    rating_after: row.try_get::<Option<i64>, _>("rating_after")?.unwrap_or(0),
                    opponents: opponents
                        .iter()
                        .filter_map(|o| o["key"].as_str().map(str::to_owned))
                        .collect(),
                    revoked: row.try_get::<i64, _>("revoked")? != 0,
                })
            })
            .collect()
    }

    /// Every achievement held, newest unlock first.
    pub async fn achievements(&self) -> Result<Vec<WalletAchievement>, WalletError> {
        let rows = sqlx::query(
            "SELECT scr_blob, revoked FROM achievements ORDER BY unlocked_at DESC, achievement_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("scr_blob")?;
                // Stored only after verification: the record decodes, or the file is damaged.
                let record = Record::decode(&bytes)
                    .map_err(|error| WalletError::Corrupt(error.to_string()))?;
                let Payload::Achievement(achievement) = record.payload() else {
                    return Err(WalletError::Corrupt(
                        "a non-achievement record in the achievements table".into(),
                    ));
                };
                Ok(WalletAchievement {
                    achievement_id: achievement.achievement_id.clone(),
                    game_module: achievement.game_module.clone(),
                    unlocked_at: achievement.unlocked_at,
                    verification: achievement.verification.name().to_owned(),
                    match_id: achievement.match_id,
                    revoked: row.try_get::<i64, _>("revoked")? != 0,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use scr::payload::AchievementVerification::{Optimistic, Verified};
    use scr::{Verified as Checked, Verifier};

    use super::*;
    use crate::test_support::{Community, player_key};

    const NOW: i64 = 1_700_000_000;

    #[tokio::test]
    async fn history_and_achievements_read_offline_and_upgrades_replace_claims() {
        let dir = tempfile::tempdir().unwrap();
        let community = Community::new(4);
        let me = player_key(1);
        let verifier =
            Verifier::for_keys(community.current_key(), community.recovery_key()).unwrap();
        let check = |records: Vec<Record>| -> Vec<Checked<Record>> {
            records
                .iter()
                .map(|r| verifier.verify(r.as_bytes(), NOW).unwrap())
                .collect()
        };
        let claim = community.achievement(me, 2, NOW - 30, "campaign", Optimistic);
        let first = community.game(me, 3, NOW - 20, 7);
        let second = community.game(me, 4, NOW - 10, 8);
        let store = community
            .wallet(dir.path(), me, &[claim.clone(), first, second], NOW)
            .await;

        let history = store.match_history(10).await.unwrap();
        assert_eq!(
            history.iter().map(|m| m.match_id[0]).collect::<Vec<_>>(),
            [8, 7],
            "newest first"
        );
        assert_eq!(history[0].result, "win");
        assert_eq!(history[0].opponents, [player_key(99).to_string()]);
        assert_eq!(store.match_history(1).await.unwrap().len(), 1);

        let held = store.achievements().await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].verification, "optimistic");

        // The upgrade (a later verified record) replaces the claim; the old one again does not.
        let upgrade = community.achievement(me, 5, NOW, "campaign", Verified);
        let report = store
            .apply(None, None, &check(vec![upgrade, claim]), 5, NOW)
            .await
            .unwrap();
        assert_eq!((report.superseded, report.ignored), (1, 1));
        let held = store.achievements().await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].verification, "verified");
        assert!(!held[0].revoked);
    }
}
