//! Intake and reading cases: the pseudonym secret, certified matches and standing of members,
//! reports joining cases, and everything stored about a case.

use async_trait::async_trait;
use scr::PublicKey;

use super::super::StoreError;
use super::rows::*;
use crate::moderation::Decision;

/// Intake and reading cases.
#[async_trait]
pub trait CaseStore: Send + Sync + 'static {
    /// The pseudonym secret, storing `candidate` if there is none yet.
    async fn pseudonym_secret(&self, candidate: [u8; 32]) -> Result<[u8; 32], StoreError>;
    /// The stored bytes of a certified match this community applied.
    async fn certified_match(&self, match_id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError>;
    /// A registered member's standing (`None` if not registered).
    async fn standing(&self, player: &PublicKey) -> Result<Option<Standing>, StoreError>;

    // --- intake ---

    /// Reports filed by `reporter` at or after `since`.
    async fn reports_since(&self, reporter: &PublicKey, since: i64) -> Result<u32, StoreError>;
    /// (upheld, judged) reports of `reporter`.
    async fn reporter_record(&self, reporter: &PublicKey) -> Result<(u32, u32), StoreError>;
    /// Files a report into the open case of its accused and category, or opens one, and adds
    /// its severity points to the case's hint: the same work however many reports the case has.
    async fn file_report(&self, report: &NewReport) -> Result<Filed, StoreError>;

    // --- reading cases ---

    /// One case.
    async fn case(&self, case_id: &str) -> Result<Option<CaseRow>, StoreError>;
    /// Reports of a case, oldest first.
    async fn reports(&self, case_id: &str) -> Result<Vec<ReportRow>, StoreError>;
    /// Evidence of a case.
    async fn evidence(&self, case_id: &str) -> Result<Vec<EvidenceRow>, StoreError>;
    /// Votes of a case (calibration votes included), oldest first.
    async fn votes(&self, case_id: &str) -> Result<Vec<VoteRow>, StoreError>;
    /// The consensus record of a case.
    async fn consensus(&self, case_id: &str) -> Result<Option<ConsensusRow>, StoreError>;
    /// Actions on a case, oldest first.
    async fn actions(&self, case_id: &str) -> Result<Vec<ActionRow>, StoreError>;
    /// The known decision of a calibration case.
    async fn calibration_decision(&self, case_id: &str) -> Result<Option<Decision>, StoreError>;
    /// Cases matching `filter`, most severe first.
    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseListRow>, StoreError>;
}
