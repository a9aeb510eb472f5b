//! [`LeaverAppealStore`] for PostgreSQL: whether an abandon is recorded, filing an appeal of one,
//! and deciding it (the decision, forgiving the abandon and the audit line in one transaction).

use async_trait::async_trait;
use scr::PublicKey;

use super::rows::*;
use crate::store::StoreError;
use crate::store::moderation::*;
use crate::store::postgres::PostgresStore;

#[async_trait]
impl LeaverAppealStore for PostgresStore {
    async fn abandon_recorded(
        &self,
        player: &PublicKey,
        match_id: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let found = sqlx::query("SELECT 1 FROM abandons WHERE player_key = $1 AND match_id = $2")
            .bind(player.as_bytes().as_slice())
            .bind(match_id.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn file_abandon_appeal(&self, appeal: &AppealRow) -> Result<bool, StoreError> {
        let mut tx = write_transaction(&self.pool).await?;
        let filed = insert_appeal(&mut tx, appeal).await?;
        tx.commit().await?;
        Ok(filed)
    }

    async fn decide_abandon_appeal(
        &self,
        appeal: &AppealRow,
        forgive: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let Some(match_id) = abandon_of_subject(&appeal.case_id) else {
            return Err(StoreError::Corrupt(
                "an abandon appeal must name the abandoned match".into(),
            ));
        };
        let mut tx = write_transaction(&self.pool).await?;
        if !record_appeal_decision(&mut tx, appeal).await? {
            return Ok(false);
        }
        if forgive {
            sqlx::query("DELETE FROM abandons WHERE player_key = $1 AND match_id = $2")
                .bind(appeal.player.as_bytes().as_slice())
                .bind(match_id.as_slice())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
