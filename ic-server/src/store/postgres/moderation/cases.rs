//! [`CaseStore`] for PostgreSQL: intake (one transaction that joins or opens the case) and the
//! reads of everything stored about a case.

use async_trait::async_trait;
use scr::PublicKey;
use sqlx::{Postgres, QueryBuilder};

use super::rows::*;
use crate::moderation::Decision;
use crate::store::StoreError;
use crate::store::columns::Columns;
use crate::store::moderation::*;
use crate::store::postgres::PostgresStore;

#[async_trait]
impl CaseStore for PostgresStore {
    async fn pseudonym_secret(&self, candidate: [u8; 32]) -> Result<[u8; 32], StoreError> {
        sqlx::query(
            "INSERT INTO mod_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate.as_slice())
        .execute(&self.pool)
        .await?;
        let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM mod_secret WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        secret
            .as_slice()
            .try_into()
            .map_err(|_| corrupt("pseudonym secret is not 32 bytes"))
    }

    async fn certified_match(&self, match_id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT cmr FROM processed_matches WHERE match_id = $1")
                .bind(match_id.as_slice())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn standing(&self, player: &PublicKey) -> Result<Option<Standing>, StoreError> {
        let key = player.as_bytes().as_slice();
        let Some(registered_at) =
            sqlx::query_scalar::<_, i64>("SELECT registered_at FROM players WHERE player_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        // Match records (type 0x02) are issued once per certified match a player played.
        let matches: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM issued_records WHERE player_key = $1 AND record_type = 2",
        )
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        let last_sanction_at: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(a.created_at) FROM mod_actions a WHERE a.target_key = $1 \
             AND a.measure_kind IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM mod_reversals r WHERE r.action_id = a.action_id)",
        )
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(Standing {
            registered_at,
            matches: u32::try_from(matches).unwrap_or(u32::MAX),
            last_sanction_at,
        }))
    }

    async fn reports_since(&self, reporter: &PublicKey, since: i64) -> Result<u32, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mod_reports WHERE reporter_key = $1 AND created_at >= $2",
        )
        .bind(reporter.as_bytes().as_slice())
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn reporter_record(&self, reporter: &PublicKey) -> Result<(u32, u32), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE upheld) AS upheld, \
             COUNT(upheld) AS judged FROM mod_reports WHERE reporter_key = $1",
        )
        .bind(reporter.as_bytes().as_slice())
        .fetch_one(&self.pool)
        .await?;
        Ok((row.small("upheld")?, row.small("judged")?))
    }

    async fn file_report(&self, new: &NewReport) -> Result<Filed, StoreError> {
        let mut tx = write_transaction(&self.pool).await?;
        let filed = file_in(&mut tx, new).await?;
        if matches!(filed, Filed::Joined { .. }) {
            tx.commit().await?;
        }
        Ok(filed)
    }

    async fn case(&self, case_id: &str) -> Result<Option<CaseRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM mod_cases c WHERE c.case_id = $1"
        ))
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| case_from_row(&row))
        .transpose()
    }

    async fn reports(&self, case_id: &str) -> Result<Vec<ReportRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM mod_reports WHERE case_id = $1 \
             ORDER BY created_at ASC, seq ASC"
        ))
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(report_from_row)
        .collect()
    }

    async fn evidence(&self, case_id: &str) -> Result<Vec<EvidenceRow>, StoreError> {
        sqlx::query(
            "SELECT kind, reference FROM mod_evidence WHERE case_id = $1 \
             ORDER BY added_at ASC, kind ASC, reference ASC",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(EvidenceRow {
                kind: row.text("kind")?,
                reference: row.text("reference")?,
            })
        })
        .collect()
    }

    async fn votes(&self, case_id: &str) -> Result<Vec<VoteRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {VOTE_COLUMNS} FROM mod_votes WHERE case_id = $1 \
             ORDER BY submitted_at ASC, seq ASC"
        ))
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(vote_from_row)
        .collect()
    }

    async fn consensus(&self, case_id: &str) -> Result<Option<ConsensusRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CONSENSUS_COLUMNS} FROM mod_consensus WHERE case_id = $1"
        ))
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| consensus_from_row(&row))
        .transpose()
    }

    async fn actions(&self, case_id: &str) -> Result<Vec<ActionRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM mod_actions a WHERE a.case_id = $1 \
             ORDER BY a.created_at ASC, a.seq ASC"
        ))
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(action_from_row)
        .collect()
    }

    async fn calibration_decision(&self, case_id: &str) -> Result<Option<Decision>, StoreError> {
        let known: Option<String> = sqlx::query_scalar(
            "SELECT known_decision FROM mod_calibration_cases WHERE case_id = $1",
        )
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?;
        known
            .map(|text| Decision::from_name(&text).ok_or_else(|| corrupt("known_decision")))
            .transpose()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseListRow>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {CASE_COLUMNS}, \
             (SELECT COUNT(*) FROM mod_reports r WHERE r.case_id = c.case_id) AS report_count, \
             (SELECT COUNT(*) FROM mod_votes v WHERE v.case_id = c.case_id \
                AND NOT v.calibration) AS vote_count, \
             (SELECT s.requires_moderator FROM mod_consensus s WHERE s.case_id = c.case_id) \
                AS requires_moderator, \
             EXISTS (SELECT 1 FROM mod_calibration_cases k WHERE k.case_id = c.case_id) \
                AS calibration \
             FROM mod_cases c WHERE 1 = 1"
        ));
        if let Some(state) = filter.state {
            query.push(" AND c.state = ").push_bind(state.name());
        }
        if let Some(category) = filter.category {
            query.push(" AND c.category = ").push_bind(category.name());
        }
        if let Some(requires) = filter.requires_moderator {
            query
                .push(" AND EXISTS (SELECT 1 FROM mod_consensus s WHERE s.case_id = c.case_id AND s.requires_moderator = ")
                .push_bind(requires)
                .push(")");
        }
        query
            .push(" ORDER BY c.severity_hint DESC, c.created_at ASC, c.case_id ASC LIMIT ")
            .push_bind(i64::from(filter.limit));
        query
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(case_list_from_row)
            .collect()
    }
}

/// Files a report inside `tx`: joins the open case of the accused and category or opens
/// `new.new_case`; the caller commits (or drops `tx` on [`Filed::AlreadyReported`]).
pub(super) async fn file_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    new: &NewReport,
) -> Result<Filed, StoreError> {
    let report = &new.report;
    let accused = new.new_case.accused.as_bytes().as_slice();
    let open = sqlx::query_scalar::<_, String>(
        "SELECT case_id FROM mod_cases WHERE accused_key = $1 AND category = $2 \
             AND state NOT IN ('closed_no_action', 'closed_action_taken') \
             ORDER BY created_at ASC LIMIT 1",
    )
    .bind(accused)
    .bind(report.category.name())
    .fetch_optional(&mut **tx)
    .await?;
    let (case_id, opened) = match open {
        Some(case_id) => (case_id, false),
        None => {
            let case = &new.new_case;
            sqlx::query(
                "INSERT INTO mod_cases (case_id, category, state, created_at, updated_at, \
                     closed_at, severity_hint, accused_key, required_reviewers) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8)",
            )
            .bind(&case.case_id)
            .bind(case.category.name())
            .bind(case.state.name())
            .bind(case.created_at)
            .bind(case.updated_at)
            .bind(i64::from(case.severity_hint))
            .bind(accused)
            .bind(i64::from(case.required_reviewers))
            .execute(&mut **tx)
            .await?;
            (case.case_id.clone(), true)
        }
    };
    let insert = sqlx::query(
        "INSERT INTO mod_reports (report_id, case_id, reporter_key, category, note, \
             created_at, upheld) VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT DO NOTHING",
    )
    .bind(&report.report_id)
    .bind(&case_id)
    .bind(report.reporter.as_bytes().as_slice())
    .bind(report.category.name())
    .bind(&report.note)
    .bind(report.created_at)
    .execute(&mut **tx)
    .await?;
    if insert.rows_affected() == 0 {
        return Ok(Filed::AlreadyReported(case_id));
    }
    for evidence in &new.evidence {
        sqlx::query(
            "INSERT INTO mod_evidence (case_id, kind, reference, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (case_id, kind, reference) DO NOTHING",
        )
        .bind(&case_id)
        .bind(&evidence.kind)
        .bind(&evidence.reference)
        .bind(report.created_at)
        .execute(&mut **tx)
        .await?;
    }
    for player in &new.match_players {
        sqlx::query(
            "INSERT INTO mod_case_players (case_id, player_key) VALUES ($1, $2) \
                 ON CONFLICT (case_id, player_key) DO NOTHING",
        )
        .bind(&case_id)
        .bind(player.as_bytes().as_slice())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE mod_cases SET severity_hint = LEAST(100, severity_hint + $1) WHERE case_id = $2",
    )
    .bind(i64::from(new.severity_points))
    .bind(&case_id)
    .execute(&mut **tx)
    .await?;
    Ok(Filed::Joined { case_id, opened })
}
