//! [`Campaigns`] for SQLite: opt-ins and the progress of opted-in players; an opt-out and the
//! deletion of the player's progress are one transaction.

use async_trait::async_trait;
use scr::PlayerKey;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::campaigns::{CampaignProgress, Campaigns, progress_from_row};

#[async_trait]
impl Campaigns for SqliteStore {
    async fn set_campaign_opt_in(
        &self,
        player: &PlayerKey,
        opt_in: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let _timer = self.timer("set_campaign_opt_in");
        let key = player.as_bytes().as_slice();
        let mut tx = self.write.begin().await?;
        if opt_in {
            sqlx::query(
                "INSERT INTO campaign_opt_ins (player_key, opted_in_at) VALUES (?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM campaign_opt_ins WHERE player_key = ?")
                .bind(key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM campaign_progress WHERE player_key = ?")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_campaign_progress(
        &self,
        progress: &CampaignProgress,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("record_campaign_progress");
        // One statement: the opt-in is checked where the row is written.
        let written = sqlx::query(
            "INSERT INTO campaign_progress (campaign_id, version, game_module, difficulty, \
             player_key, missions_completed, completed, ending, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             WHERE EXISTS (SELECT 1 FROM campaign_opt_ins WHERE player_key = ?5) \
             ON CONFLICT (campaign_id, version, game_module, difficulty, player_key) DO UPDATE SET \
             missions_completed = excluded.missions_completed, completed = excluded.completed, \
             ending = excluded.ending, updated_at = excluded.updated_at",
        )
        .bind(&progress.campaign_id)
        .bind(&progress.version)
        .bind(&progress.game_module)
        .bind(&progress.difficulty)
        .bind(progress.player_key.as_bytes().as_slice())
        .bind(i64::from(progress.missions_completed))
        .bind(progress.completed)
        .bind(&progress.ending)
        .bind(progress.updated_at)
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(written == 1)
    }

    async fn campaign_progress(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<CampaignProgress>, StoreError> {
        let _timer = self.timer("campaign_progress");
        let rows = sqlx::query(
            "SELECT p.* FROM campaign_progress p \
             JOIN campaign_opt_ins o ON o.player_key = p.player_key WHERE p.campaign_id = ?",
        )
        .bind(campaign_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(progress_from_row).collect()
    }
}
