//! Moderators and retention: actions, calibration marks, summaries, appeals, the audit log
//! and the expiry of closed cases; every moderator write carries its audit line.

use async_trait::async_trait;
use scr::PublicKey;

use super::super::StoreError;
use super::feed::SanctionFeedRow;
use super::rows::*;
use crate::moderation::{CaseState, Decision};

/// Moderators and retention: actions, calibration, summaries, appeals, audit, expiry.
#[async_trait]
pub trait StaffStore: Send + Sync + 'static {
    // --- moderators ---

    /// Appends an audit entry on its own (identity resolution, reads that must be traced).
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Records an action with its audit entry; false if the case left `expected_state`.
    async fn record_action(
        &self,
        action: &NewAction,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Marks a closed case as a calibration case; false if it already is one.
    async fn mark_calibration(
        &self,
        case_id: &str,
        known: Decision,
        moderator: &PublicKey,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Attaches telemetry and anti-cheat summaries (JSON) to a case.
    async fn set_summaries(
        &self,
        case_id: &str,
        telemetry: Option<&str>,
        anti_cheat: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;
    /// Files an appeal and moves the case to `appealed`; false if this player already appealed
    /// this case or the case is not `closed_action_taken`.
    async fn file_appeal(&self, appeal: &AppealRow, now: i64) -> Result<bool, StoreError>;
    /// One appeal.
    async fn appeal(&self, appeal_id: &str) -> Result<Option<AppealRow>, StoreError>;
    /// Appeals: undecided ones first, each group oldest first, at most 500 (only undecided
    /// ones when `open_only`).
    async fn appeals(&self, open_only: bool) -> Result<Vec<AppealRow>, StoreError>;
    /// Decides an open appeal: `reversed` lifts every sanction of the case (reversal rows) and
    /// marks its reports rejected. Moves the case to `new_state`. False if already decided.
    async fn decide_appeal(
        &self,
        appeal: &AppealRow,
        reversed: bool,
        new_state: CaseState,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Every action against `player`, newest first.
    async fn actions_against(&self, player: &PublicKey) -> Result<Vec<ActionRow>, StoreError>;
    /// Actions against any of `players` in force at `now`: not reversed, ending after `now`;
    /// newest first. What every check of sanctions in force reads, in one query however many
    /// players it asks about.
    async fn actions_in_force(
        &self,
        players: &[PublicKey],
        now: i64,
    ) -> Result<Vec<ActionRow>, StoreError>;
    /// The federated sanction feed after position `after`, at most `limit` entries, in order.
    /// A sanction recorded by `record_action` and the lifting an appeal's reversal records
    /// are appended in those transactions.
    async fn sanction_feed(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SanctionFeedRow>, StoreError>;
    /// The audit log, oldest first, from `since` (Unix seconds), at most `limit` lines.
    async fn audit_log(&self, since: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    // --- retention ---

    /// Deletes closed cases (not calibration cases, none with a sanction still in force at `now`)
    /// closed before `closed_before` with a severity hint up to `max_severity`, with their
    /// reports, evidence, assignments, votes and consensus; actions, reversals, appeals and the
    /// audit log stay. Returns the deleted case ids.
    async fn expire_closed_cases(
        &self,
        now: i64,
        closed_before: i64,
        max_severity: u8,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError>;
}
