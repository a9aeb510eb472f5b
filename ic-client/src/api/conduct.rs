//! A player's side of moderation: report a player, appeal a sanction or a leaver cooldown, read
//! one's own sanctions; and, for players who review, take, read and vote on assigned cases.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiClient, ApiError, MySanctions, Session};

/// A report (`POST /v1/reports`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The reported player, `ed25519:<hex>`.
    pub accused: String,
    /// `cheating`, `griefing`, `afk_intentional_idle`, `harassment`, `spam_disruptive_comms` or
    /// `other`.
    pub category: String,
    /// A certified match both played in, 64 hex characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_id: Option<String>,
    /// A replay id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_id: Option<String>,
    /// Timeline markers in that replay.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline_markers: Vec<String>,
    /// What happened, in the reporter's words.
    pub note: String,
}

/// What a reporter learns of the report's fate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReportReceipt {
    /// The report.
    pub report_id: String,
    /// The case it joined.
    pub case_id: String,
    /// `submitted_for_review`.
    pub status: String,
}

/// An appeal, as the player and moderators see it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Appeal {
    /// The appeal.
    pub appeal_id: String,
    /// The case appealed, or `abandon:<match id>` for a leaver cooldown.
    pub case_id: String,
    /// Who appealed.
    pub player: String,
    /// The statement.
    pub statement: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `upheld` or `reversed`, once decided.
    pub decision: Option<String>,
    /// The moderator's reason, once decided.
    pub reason: Option<String>,
    /// Unix seconds, once decided.
    pub decided_at: Option<i64>,
}

/// A reviewer's verdict (`POST /v1/review/assignments/{id}/vote`).
#[derive(Debug, Clone, Serialize)]
pub struct Vote {
    /// `likely_clean`, `insufficient_evidence`, `suspected_griefing`, `suspected_cheating`,
    /// `abuse_comms` or `escalate`.
    pub decision: String,
    /// How sure, 0–100.
    pub confidence: u8,
    /// Notes for the moderators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl ApiClient {
    /// `POST /v1/reports`.
    pub async fn report(
        &self,
        session: &Session,
        report: &Report,
    ) -> Result<ReportReceipt, ApiError> {
        let url = self.url("v1/reports")?;
        self.json(self.post(&url, session).json(report), &url).await
    }

    /// `POST /v1/appeals` with a case: appeals the sanction of that case, once.
    pub async fn appeal_case(
        &self,
        session: &Session,
        case_id: &str,
        statement: &str,
    ) -> Result<Appeal, ApiError> {
        self.appeal(
            session,
            json!({ "case_id": case_id, "statement": statement }),
        )
        .await
    }

    /// `POST /v1/appeals` with a match: appeals the abandon behind a leaver cooldown, once.
    pub async fn appeal_abandon(
        &self,
        session: &Session,
        match_id: &[u8; 32],
        statement: &str,
    ) -> Result<Appeal, ApiError> {
        self.appeal(
            session,
            json!({ "match_id": hex::encode(match_id), "statement": statement }),
        )
        .await
    }

    async fn appeal(&self, session: &Session, body: Value) -> Result<Appeal, ApiError> {
        let url = self.url("v1/appeals")?;
        self.json(self.post(&url, session).json(&body), &url).await
    }

    /// `GET /v1/sanctions/me`: the session's leaver cooldown and moderator sanctions.
    pub async fn my_sanctions(&self, session: &Session) -> Result<MySanctions, ApiError> {
        let url = self.url("v1/sanctions/me")?;
        self.json(self.get(&url, session), &url).await
    }

    /// `POST /v1/review/assignments/next`: the reviewer's open assignment or the next case,
    /// anonymized (JSON as the server sends it); none when no case waits.
    pub async fn next_assignment(&self, session: &Session) -> Result<Option<Value>, ApiError> {
        #[derive(Deserialize)]
        struct Next {
            assignment: Option<Value>,
        }
        let url = self.url("v1/review/assignments/next")?;
        let next: Next = self.json(self.post(&url, session), &url).await?;
        Ok(next.assignment)
    }

    /// `GET /v1/review/assignments`: the reviewer's assignments, newest first.
    pub async fn assignments(&self, session: &Session) -> Result<Vec<Value>, ApiError> {
        #[derive(Deserialize)]
        struct List {
            assignments: Vec<Value>,
        }
        let url = self.url("v1/review/assignments")?;
        let list: List = self.json(self.get(&url, session), &url).await?;
        Ok(list.assignments)
    }

    /// `POST /v1/review/assignments/{id}/vote`: votes once.
    pub async fn vote(
        &self,
        session: &Session,
        assignment_id: &str,
        vote: &Vote,
    ) -> Result<(), ApiError> {
        let url = self.url(&format!(
            "v1/review/assignments/{}/vote",
            super::rooms::path_segment(assignment_id)
        ))?;
        self.send(self.post(&url, session).json(vote))
            .await
            .map(drop)
    }

    /// `GET /v1/review/me`: the reviewer's calibration results (JSON as the server sends it).
    pub async fn my_calibration(&self, session: &Session) -> Result<Value, ApiError> {
        let url = self.url("v1/review/me")?;
        self.json(self.get(&url, session), &url).await
    }
}
