//! [`StaffStore`] for SQLite: moderator writes with their audit lines in the same transaction,
//! appeals and reversals, and retention.

use async_trait::async_trait;
use scr::PublicKey;

use super::rows::*;
use crate::moderation::{ActionKind, CaseState, Decision};
use crate::store::StoreError;
use crate::store::moderation::feed;
use crate::store::moderation::*;
use crate::store::sqlite::SqliteStore;

#[async_trait]
impl StaffStore for SqliteStore {
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        insert_audit(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_action(&self, new: &NewAction, audit: &AuditEntry) -> Result<bool, StoreError> {
        let action = &new.action;
        let mut tx = self.write_transaction().await?;
        if case_state(&mut tx, &action.case_id).await? != Some(new.expected_state) {
            return Ok(false);
        }
        sqlx::query(INSERT_ACTION_SQL)
            .bind(&action.action_id)
            .bind(&action.case_id)
            .bind(&action.consensus_id)
            .bind(action.moderator.as_bytes().as_slice())
            .bind(action.target.as_bytes().as_slice())
            .bind(action.action.to_string())
            .bind(action.action.measure_kind())
            .bind(&action.reason)
            .bind(action.created_at)
            .bind(action.ends_at)
            .execute(&mut *tx)
            .await?;
        if let ActionKind::Apply(measure) = action.action {
            sqlx::query(feed::PUBLISH_SQL)
                .bind(&action.action_id)
                .bind(action.target.as_bytes().as_slice())
                .bind(measure.to_string())
                .bind(measure.scope())
                .bind(action.ends_at)
                .bind(case_ref(&action.case_id).as_slice())
                .bind(action.created_at)
                .bind(&action.case_id)
                .execute(&mut *tx)
                .await?;
        }
        if new.expected_state != new.new_state {
            set_state(&mut tx, &action.case_id, new.new_state, action.created_at).await?;
        }
        if let Some(upheld) = new.reports_upheld {
            sqlx::query("UPDATE mod_reports SET upheld = ? WHERE case_id = ?")
                .bind(i64::from(upheld))
                .bind(&action.case_id)
                .execute(&mut *tx)
                .await?;
        }
        for (reviewer, agreed) in &new.agreement {
            sqlx::query(
                "UPDATE mod_reviewer_stats SET moderator_judged = moderator_judged + 1, \
                 moderator_agreed = moderator_agreed + ? WHERE reviewer_key = ?",
            )
            .bind(i64::from(*agreed))
            .bind(reviewer.as_bytes().as_slice())
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn mark_calibration(
        &self,
        case_id: &str,
        known: Decision,
        moderator: &PublicKey,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        let insert = sqlx::query(
            "INSERT INTO mod_calibration_cases (case_id, known_decision, marked_by, marked_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(known.name())
        .bind(moderator.as_bytes().as_slice())
        .bind(now)
        .execute(&mut *tx)
        .await;
        if !inserted(insert)? {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_summaries(
        &self,
        case_id: &str,
        telemetry: Option<&str>,
        anti_cheat: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "UPDATE mod_cases SET telemetry_summary = COALESCE(?, telemetry_summary), \
             anti_cheat_summary = COALESCE(?, anti_cheat_summary) WHERE case_id = ?",
        )
        .bind(telemetry)
        .bind(anti_cheat)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn file_appeal(&self, appeal: &AppealRow, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        if case_state(&mut tx, &appeal.case_id).await? != Some(CaseState::ClosedActionTaken) {
            return Ok(false);
        }
        if !insert_appeal(&mut tx, appeal).await? {
            return Ok(false);
        }
        set_state(&mut tx, &appeal.case_id, CaseState::Appealed, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn appeal(&self, appeal_id: &str) -> Result<Option<AppealRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {APPEAL_COLUMNS} FROM mod_appeals WHERE appeal_id = ?"
        ))
        .bind(appeal_id)
        .fetch_optional(&self.read)
        .await?
        .map(|row| appeal_from_row(&row))
        .transpose()
    }

    async fn appeals(&self, open_only: bool) -> Result<Vec<AppealRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {APPEAL_COLUMNS} FROM mod_appeals WHERE (? = 0 OR decision IS NULL) \
             ORDER BY decision IS NOT NULL, created_at ASC, rowid ASC LIMIT 500"
        ))
        .bind(i64::from(open_only))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(appeal_from_row)
        .collect()
    }

    async fn decide_appeal(
        &self,
        appeal: &AppealRow,
        reversed: bool,
        new_state: CaseState,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let (Some(moderator), Some(decided_at)) = (appeal.moderator, appeal.decided_at) else {
            return Err(corrupt("an appeal decision needs a moderator and a time"));
        };
        let mut tx = self.write_transaction().await?;
        if !record_appeal_decision(&mut tx, appeal).await? {
            return Ok(false);
        }
        if reversed {
            sqlx::query(
                "INSERT INTO mod_reversals (action_id, appeal_id, moderator_key, reason, \
                 reversed_at) SELECT a.action_id, ?, ?, ?, ? FROM mod_actions a \
                 WHERE a.case_id = ? AND a.measure_kind IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id)",
            )
            .bind(&appeal.appeal_id)
            .bind(moderator.as_bytes().as_slice())
            .bind(appeal.reason.as_deref().unwrap_or_default())
            .bind(decided_at)
            .bind(&appeal.case_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE mod_reports SET upheld = 0 WHERE case_id = ?")
                .bind(&appeal.case_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(feed::NEGATE_SQL)
                .bind(decided_at)
                .bind(&appeal.case_id)
                .execute(&mut *tx)
                .await?;
        }
        set_state(&mut tx, &appeal.case_id, new_state, decided_at).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn actions_against(&self, player: &PublicKey) -> Result<Vec<ActionRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM mod_actions a WHERE a.target_key = ? \
             ORDER BY a.created_at DESC, a.rowid DESC LIMIT 500"
        ))
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(action_from_row)
        .collect()
    }

    async fn actions_in_force(
        &self,
        players: &[PublicKey],
        now: i64,
    ) -> Result<Vec<ActionRow>, StoreError> {
        if players.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
            "SELECT {ACTION_COLUMNS} FROM mod_actions a WHERE NOT EXISTS \
             (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id) AND a.ends_at > "
        ));
        query.push_bind(now).push(" AND a.target_key IN (");
        let mut keys = query.separated(", ");
        for player in players {
            keys.push_bind(player.as_bytes().to_vec());
        }
        keys.push_unseparated(") ORDER BY a.created_at DESC, a.rowid DESC");
        query
            .build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(action_from_row)
            .collect()
    }

    async fn sanction_feed(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SanctionFeedRow>, StoreError> {
        sqlx::query(feed::FEED_SQL)
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(feed::feed_row_of)
            .collect()
    }

    async fn audit_log(&self, since: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM mod_audit WHERE at >= ? ORDER BY at ASC, rowid ASC LIMIT ?"
        ))
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(audit_from_row)
        .collect()
    }

    async fn expire_closed_cases(
        &self,
        now: i64,
        closed_before: i64,
        max_severity: u8,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.write_transaction().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT c.case_id FROM mod_cases c \
             WHERE c.state IN ('closed_no_action', 'closed_action_taken') \
             AND c.closed_at IS NOT NULL AND c.closed_at <= ? AND c.severity_hint <= ? \
             AND NOT EXISTS (SELECT 1 FROM mod_calibration_cases k WHERE k.case_id = c.case_id) \
             AND NOT EXISTS (SELECT 1 FROM mod_actions a WHERE a.case_id = c.case_id \
                 AND a.ends_at > ? \
                 AND NOT EXISTS (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id)) \
             ORDER BY c.closed_at ASC LIMIT 1000",
        )
        .bind(closed_before)
        .bind(i64::from(max_severity))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(ids);
        }
        // The case goes first: the append-only triggers let votes and consensus records go only
        // once their case no longer exists.
        for table in [
            "mod_cases",
            "mod_reports",
            "mod_evidence",
            "mod_case_players",
            "mod_assignments",
            "mod_votes",
            "mod_consensus",
        ] {
            for id in &ids {
                sqlx::query(&format!("DELETE FROM {table} WHERE case_id = ?"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut entry = audit.clone();
        entry.details = serde_json::json!({ "expired_cases": ids }).to_string();
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(ids)
    }
}
