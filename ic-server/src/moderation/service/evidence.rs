//! The match evidence of a case for its moderators (keys, signed results; each viewing in the
//! audit log) and for its assigned reviewers (the case's pseudonyms).

use super::{ModerationError, ModerationService, staff_role};
use crate::auth::Principal;
use crate::moderation::evidence::{MatchEvidence, Reader, match_evidence};

impl ModerationService {
    /// The certified matches `case_id`'s reports name, with keys, for a moderator.
    pub async fn case_evidence(
        &self,
        principal: &Principal,
        case_id: &str,
        now: i64,
    ) -> Result<Vec<MatchEvidence>, ModerationError> {
        let role = staff_role(principal)?;
        let case = self.existing_case(case_id).await?;
        let audit = self.audit_entry(
            Some(principal),
            role,
            "view_evidence",
            Some(case_id),
            Some(case.accused),
            "viewed the case's match evidence with identities",
            now,
        );
        self.store.audit(&audit).await?;
        self.matches_of(case_id, Reader::Moderator).await
    }

    /// The certified matches of the case behind the reviewer's `assignment_id`, with the case's
    /// pseudonyms, and the case id.
    pub async fn assignment_evidence(
        &self,
        principal: &Principal,
        assignment_id: &str,
    ) -> Result<(String, Vec<MatchEvidence>), ModerationError> {
        let assignment = self.own_assignment(principal, assignment_id).await?;
        let case_id = assignment.case_id;
        let reader = Reader::Reviewer {
            names: &self.names,
            case_id: &case_id,
        };
        let matches = self.matches_of(&case_id, reader).await?;
        Ok((case_id, matches))
    }

    async fn matches_of(
        &self,
        case_id: &str,
        reader: Reader<'_>,
    ) -> Result<Vec<MatchEvidence>, ModerationError> {
        let mut matches = Vec::new();
        for row in self.store.evidence(case_id).await? {
            let Some(id) = (row.kind == "match_id")
                .then(|| hex::decode(&row.reference).ok())
                .flatten()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            else {
                continue;
            };
            if let Some(bytes) = self.store.certified_match(&id).await?
                && let Some(evidence) = match_evidence(&row.reference, &bytes, reader)
            {
                matches.push(evidence);
            }
        }
        Ok(matches)
    }
}
