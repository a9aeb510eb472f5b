//! [`ReviewStore`] for SQLite: the claim of the next case and the vote are single transactions
//! on the one write connection, so the last free reviewer slot cannot be taken twice.

use async_trait::async_trait;
use scr::PublicKey;

use super::rows::*;
use crate::moderation::{CaseState, Decision};
use crate::store::StoreError;
use crate::store::moderation::*;
use crate::store::sqlite::SqliteStore;

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn reviewer_stats(
        &self,
        reviewer: &PublicKey,
    ) -> Result<Option<ReviewerStatsRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STATS_COLUMNS} FROM mod_reviewer_stats WHERE reviewer_key = ?"
        ))
        .bind(reviewer.as_bytes().as_slice())
        .fetch_optional(&self.read)
        .await?
        .map(|row| stats_from_row(&row))
        .transpose()
    }

    async fn all_reviewer_stats(&self) -> Result<Vec<ReviewerStatsRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STATS_COLUMNS} FROM mod_reviewer_stats ORDER BY reviewer_key ASC"
        ))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(stats_from_row)
        .collect()
    }

    async fn assignment(&self, assignment_id: &str) -> Result<Option<AssignmentRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM mod_assignments a WHERE a.assignment_id = ?"
        ))
        .bind(assignment_id)
        .fetch_optional(&self.read)
        .await?
        .map(|row| assignment_from_row(&row))
        .transpose()
    }

    async fn assignments_of(&self, reviewer: &PublicKey) -> Result<Vec<AssignmentRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM mod_assignments a WHERE a.reviewer_key = ? \
             ORDER BY a.assigned_at DESC, a.rowid DESC LIMIT 200"
        ))
        .bind(reviewer.as_bytes().as_slice())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(assignment_from_row)
        .collect()
    }

    async fn claim(&self, claim: &Claim) -> Result<Option<AssignmentRow>, StoreError> {
        let mut tx = self.write_transaction().await?;
        let order = if claim.calibration_first {
            [true, false]
        } else {
            [false, true]
        };
        let mut chosen = None;
        for calibration in order {
            if let Some(case_id) = candidate(&mut tx, claim, calibration).await? {
                chosen = Some((case_id, calibration));
                break;
            }
        }
        let Some((case_id, calibration)) = chosen else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO mod_assignments (assignment_id, case_id, reviewer_key, assigned_at, \
             expires_at, calibration) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&claim.assignment_id)
        .bind(&case_id)
        .bind(claim.reviewer.as_bytes().as_slice())
        .bind(claim.now)
        .bind(claim.expires_at)
        .bind(i64::from(calibration))
        .execute(&mut *tx)
        .await?;
        if !calibration {
            sqlx::query(
                "UPDATE mod_cases SET state = 'in_review', updated_at = ? \
                 WHERE case_id = ? AND state = 'queued'",
            )
            .bind(claim.now)
            .bind(&case_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(AssignmentRow {
            assignment_id: claim.assignment_id.clone(),
            case_id,
            reviewer: claim.reviewer,
            assigned_at: claim.now,
            expires_at: claim.expires_at,
            calibration,
            voted: false,
        }))
    }

    async fn record_vote(
        &self,
        vote: &VoteRow,
        stats: &ReviewerStatsRow,
    ) -> Result<VoteRecorded, StoreError> {
        let mut tx = self.write_transaction().await?;
        let insert = sqlx::query(
            "INSERT INTO mod_votes (assignment_id, case_id, reviewer_key, submitted_at, \
             decision, confidence, notes, weight, calibration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&vote.assignment_id)
        .bind(&vote.case_id)
        .bind(vote.reviewer.as_bytes().as_slice())
        .bind(vote.submitted_at)
        .bind(vote.decision.name())
        .bind(i64::from(vote.confidence))
        .bind(&vote.notes)
        .bind(vote.weight)
        .bind(i64::from(vote.calibration))
        .execute(&mut *tx)
        .await;
        if !inserted(insert)? {
            return Ok(VoteRecorded::AlreadyVoted);
        }
        sqlx::query(
            "INSERT INTO mod_reviewer_stats (reviewer_key, cases_reviewed, \
             calibration_cases_seen, calibration_accuracy, moderator_judged, moderator_agreed) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (reviewer_key) DO UPDATE SET \
             cases_reviewed = excluded.cases_reviewed, \
             calibration_cases_seen = excluded.calibration_cases_seen, \
             calibration_accuracy = excluded.calibration_accuracy",
        )
        .bind(stats.reviewer.as_bytes().as_slice())
        .bind(i64::from(stats.cases_reviewed))
        .bind(i64::from(stats.calibration_cases_seen))
        .bind(stats.calibration_accuracy)
        .bind(i64::from(stats.moderator_judged))
        .bind(i64::from(stats.moderator_agreed))
        .execute(&mut *tx)
        .await?;
        let votes = sqlx::query(&format!(
            "SELECT {VOTE_COLUMNS} FROM mod_votes WHERE case_id = ? AND calibration = 0 \
             ORDER BY submitted_at ASC, rowid ASC"
        ))
        .bind(&vote.case_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(vote_from_row)
        .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(VoteRecorded::Done(votes))
    }

    async fn record_consensus(
        &self,
        consensus: &ConsensusRow,
        new_state: CaseState,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        let actions = serde_json::to_string(&consensus.recommended_actions)
            .map_err(|error| corrupt(error.to_string()))?;
        let insert = sqlx::query(
            "INSERT INTO mod_consensus (consensus_id, case_id, created_at, reached, \
             weighted_decision, agreement_ratio, reviewer_count, requires_moderator, \
             recommended_actions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&consensus.consensus_id)
        .bind(&consensus.case_id)
        .bind(consensus.created_at)
        .bind(i64::from(consensus.reached))
        .bind(consensus.weighted_decision.map(Decision::name))
        .bind(consensus.agreement_ratio)
        .bind(i64::from(consensus.reviewer_count))
        .bind(i64::from(consensus.requires_moderator))
        .bind(actions)
        .execute(&mut *tx)
        .await;
        if !inserted(insert)? {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE mod_cases SET state = ?, updated_at = ? \
             WHERE case_id = ? AND state IN ('queued', 'in_review')",
        )
        .bind(new_state.name())
        .bind(now)
        .bind(&consensus.case_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
