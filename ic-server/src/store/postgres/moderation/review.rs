//! [`ReviewStore`] for PostgreSQL: the claim of the next case and the vote are single
//! transactions under the moderation lock, so the last free reviewer slot cannot be taken twice.

use async_trait::async_trait;
use scr::PublicKey;

use super::rows::*;
use crate::moderation::{CaseState, Decision};
use crate::store::StoreError;
use crate::store::moderation::*;
use crate::store::postgres::PostgresStore;

#[async_trait]
impl ReviewStore for PostgresStore {
    async fn reviewer_stats(
        &self,
        reviewer: &PublicKey,
    ) -> Result<Option<ReviewerStatsRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STATS_COLUMNS} FROM mod_reviewer_stats WHERE reviewer_key = $1"
        ))
        .bind(reviewer.as_bytes().as_slice())
        .fetch_optional(&self.pool)
        .await?
        .map(|row| stats_from_row(&row))
        .transpose()
    }

    async fn all_reviewer_stats(&self) -> Result<Vec<ReviewerStatsRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STATS_COLUMNS} FROM mod_reviewer_stats ORDER BY reviewer_key ASC"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(stats_from_row)
        .collect()
    }

    async fn assignment(&self, assignment_id: &str) -> Result<Option<AssignmentRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM mod_assignments a WHERE a.assignment_id = $1"
        ))
        .bind(assignment_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| assignment_from_row(&row))
        .transpose()
    }

    async fn assignments_of(&self, reviewer: &PublicKey) -> Result<Vec<AssignmentRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM mod_assignments a WHERE a.reviewer_key = $1 \
             ORDER BY a.assigned_at DESC, a.seq DESC LIMIT 200"
        ))
        .bind(reviewer.as_bytes().as_slice())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assignment_from_row)
        .collect()
    }

    async fn claim(&self, claim: &Claim) -> Result<Option<AssignmentRow>, StoreError> {
        let mut tx = write_transaction(&self.pool).await?;
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
             expires_at, calibration) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&claim.assignment_id)
        .bind(&case_id)
        .bind(claim.reviewer.as_bytes().as_slice())
        .bind(claim.now)
        .bind(claim.expires_at)
        .bind(calibration)
        .execute(&mut *tx)
        .await?;
        if !calibration {
            sqlx::query(
                "UPDATE mod_cases SET state = 'in_review', updated_at = $1 \
                 WHERE case_id = $2 AND state = 'queued'",
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
        let mut tx = write_transaction(&self.pool).await?;
        let insert = sqlx::query(
            "INSERT INTO mod_votes (assignment_id, case_id, reviewer_key, submitted_at, \
             decision, confidence, notes, weight, calibration) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(&vote.assignment_id)
        .bind(&vote.case_id)
        .bind(vote.reviewer.as_bytes().as_slice())
        .bind(vote.submitted_at)
        .bind(vote.decision.name())
        .bind(i64::from(vote.confidence))
        .bind(&vote.notes)
        .bind(vote.weight)
        .bind(vote.calibration)
        .execute(&mut *tx)
        .await?;
        if insert.rows_affected() == 0 {
            return Ok(VoteRecorded::AlreadyVoted);
        }
        sqlx::query(
            "INSERT INTO mod_reviewer_stats (reviewer_key, cases_reviewed, \
             calibration_cases_seen, calibration_accuracy, moderator_judged, moderator_agreed) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reviewer_key) DO UPDATE SET \
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
            "SELECT {VOTE_COLUMNS} FROM mod_votes WHERE case_id = $1 AND NOT calibration \
             ORDER BY submitted_at ASC, seq ASC"
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
        let mut tx = write_transaction(&self.pool).await?;
        let actions = serde_json::to_string(&consensus.recommended_actions)
            .map_err(|error| corrupt(error.to_string()))?;
        let insert = sqlx::query(
            "INSERT INTO mod_consensus (consensus_id, case_id, created_at, reached, \
             weighted_decision, agreement_ratio, reviewer_count, requires_moderator, \
             recommended_actions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(&consensus.consensus_id)
        .bind(&consensus.case_id)
        .bind(consensus.created_at)
        .bind(consensus.reached)
        .bind(consensus.weighted_decision.map(Decision::name))
        .bind(consensus.agreement_ratio)
        .bind(i64::from(consensus.reviewer_count))
        .bind(consensus.requires_moderator)
        .bind(actions)
        .execute(&mut *tx)
        .await?;
        if insert.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE mod_cases SET state = $1, updated_at = $2 \
             WHERE case_id = $3 AND state IN ('queued', 'in_review')",
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
