//! Reviewers: calibration records, assignments and their claim, votes and the consensus
//! record, each change one transaction.

use async_trait::async_trait;
use scr::PublicKey;

use super::super::StoreError;
use super::rows::*;
use crate::moderation::CaseState;

/// Reviewers: records, assignments, votes and consensus.
#[async_trait]
pub trait ReviewStore: Send + Sync + 'static {
    // --- reviewers ---

    /// A reviewer's record, if they ever voted.
    async fn reviewer_stats(
        &self,
        reviewer: &PublicKey,
    ) -> Result<Option<ReviewerStatsRow>, StoreError>;
    /// Every reviewer's record.
    async fn all_reviewer_stats(&self) -> Result<Vec<ReviewerStatsRow>, StoreError>;
    /// One assignment.
    async fn assignment(&self, assignment_id: &str) -> Result<Option<AssignmentRow>, StoreError>;
    /// A reviewer's assignments, newest first.
    async fn assignments_of(&self, reviewer: &PublicKey) -> Result<Vec<AssignmentRow>, StoreError>;
    /// Assigns the next eligible case (never one the reviewer reported, is accused in, voted on
    /// or holds), respecting the case's free reviewer slots; one transaction.
    async fn claim(&self, claim: &Claim) -> Result<Option<AssignmentRow>, StoreError>;
    /// Records a vote and the reviewer's updated record in one transaction.
    async fn record_vote(
        &self,
        vote: &VoteRow,
        stats: &ReviewerStatsRow,
    ) -> Result<VoteRecorded, StoreError>;
    /// Stores the consensus record once and moves the case to `new_state` if it is still under
    /// review; false if a record already existed.
    async fn record_consensus(
        &self,
        consensus: &ConsensusRow,
        new_state: CaseState,
        now: i64,
    ) -> Result<bool, StoreError>;
}
