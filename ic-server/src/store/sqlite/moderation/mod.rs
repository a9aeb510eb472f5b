//! [`ModerationStore`](super::ModerationStore) for SQLite: reads on the read pool, every change
//! one transaction on the single write connection (so the last free reviewer slot is taken once).

mod cases;
mod review;
mod rows;
mod staff;

use super::SqliteStore;
use crate::store::StoreError;

impl SqliteStore {
    /// A transaction on the sqlx write connection that holds the write lock from its start.
    ///
    /// Why IMMEDIATE: the writer thread commits on its own connection, and a deferred
    /// transaction that read before one of those commits could not write afterwards (SQLite
    /// answers `SQLITE_BUSY_SNAPSHOT` without waiting); taking the lock first makes it wait.
    async fn write_transaction(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::moderation::{CaseState, Category};
    use crate::store::moderation::{
        AuditEntry, CaseRow, CaseStore, Claim, Filed, NewReport, ReportRow, ReviewStore, StaffStore,
    };
    use crate::store::sqlite::SqliteStore;
    use scr::PublicKey;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            audit_id: format!("aud_{action}"),
            at: 1,
            actor: None,
            actor_role: "system".into(),
            action: action.into(),
            case_id: None,
            target: None,
            reason: String::new(),
            details: "{}".into(),
        }
    }

    #[tokio::test]
    async fn append_only_tables_refuse_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).await.unwrap();
        store.audit(&entry("first")).await.unwrap();
        for sql in [
            "UPDATE mod_audit SET reason = 'changed'",
            "DELETE FROM mod_audit",
            "UPDATE mod_votes SET decision = 'likely_clean'",
            "UPDATE mod_actions SET reason = 'x'",
            "DELETE FROM mod_actions",
            "UPDATE mod_consensus SET reached = 1",
        ] {
            // Seed one row per table so a trigger has something to refuse.
            let _ = sqlx::query(
                "INSERT INTO mod_cases (case_id, category, state, created_at, updated_at, \
                 severity_hint, accused_key, required_reviewers) \
                 VALUES ('c', 'other', 'queued', 0, 0, 0, x'00', 3)",
            )
            .execute(&store.write)
            .await;
            let _ = sqlx::query(
                "INSERT INTO mod_votes VALUES ('a', 'c', x'01', 0, 'escalate', 50, NULL, 1.0, 0)",
            )
            .execute(&store.write)
            .await;
            let _ = sqlx::query(
                "INSERT INTO mod_actions VALUES ('x', 'c', NULL, x'02', x'00', 'warn', 'warn', \
                 'r', 0, NULL)",
            )
            .execute(&store.write)
            .await;
            let _ = sqlx::query(
                "INSERT INTO mod_consensus VALUES ('s', 'c', 0, 0, NULL, 0.5, 3, 1, '[]')",
            )
            .execute(&store.write)
            .await;
            let error = sqlx::query(sql).execute(&store.write).await.unwrap_err();
            assert!(error.to_string().contains("append-only"), "{sql}: {error}");
        }
        assert_eq!(store.audit_log(0, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn concurrent_claims_fill_exactly_the_required_slots() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SqliteStore::open_in(dir.path()).await.unwrap());
        let accused = PublicKey::from_bytes([1; 32]);
        let case = CaseRow {
            case_id: "case_race".into(),
            category: Category::Griefing,
            state: CaseState::Queued,
            created_at: 0,
            updated_at: 0,
            closed_at: None,
            severity_hint: 30,
            accused,
            required_reviewers: 3,
            telemetry_summary: None,
            anti_cheat_summary: None,
        };
        let report = ReportRow {
            report_id: "rep_race".into(),
            case_id: String::new(),
            reporter: PublicKey::from_bytes([2; 32]),
            category: Category::Griefing,
            note: String::new(),
            created_at: 0,
            upheld: None,
        };
        let filed = store
            .file_report(&NewReport {
                report,
                evidence: Vec::new(),
                new_case: case,
            })
            .await
            .unwrap();
        assert!(matches!(filed, Filed::Joined { opened: true, .. }));
        let claims = (10u8..30).map(|seed| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim(&Claim {
                        assignment_id: format!("asg_{seed}"),
                        reviewer: PublicKey::from_bytes([seed; 32]),
                        now: 10,
                        expires_at: 1000,
                        calibration_first: false,
                    })
                    .await
                    .unwrap()
            })
        });
        let mut won = 0;
        for claim in claims.collect::<Vec<_>>() {
            won += usize::from(claim.await.unwrap().is_some());
        }
        assert_eq!(won, 3, "exactly the required reviewers get the case");
        let state = store.case("case_race").await.unwrap().unwrap().state;
        assert_eq!(state, CaseState::InReview);
    }
}
