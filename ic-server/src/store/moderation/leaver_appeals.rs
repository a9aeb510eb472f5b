//! Appeals of leaver cooldowns: a player appeals one recorded abandon through the same appeals
//! as sanctions (subject `abandon:<match id>` instead of a case); reversing forgives it.

use async_trait::async_trait;
use scr::PublicKey;

use super::{AppealRow, AuditEntry};
use crate::store::StoreError;

/// The subject an appeal of the abandon of match `match_id` is filed under (its `case_id`).
pub fn abandon_subject(match_id: &[u8; 32]) -> String {
    format!("abandon:{}", hex::encode(match_id))
}

/// The match whose abandon an appeal's subject names, if it names one.
pub fn abandon_of_subject(subject: &str) -> Option<[u8; 32]> {
    let mut match_id = [0; 32];
    hex::decode_to_slice(subject.strip_prefix("abandon:")?, &mut match_id).ok()?;
    Some(match_id)
}

/// Appeals of abandons, next to the abandons the ranking authority records.
#[async_trait]
pub trait LeaverAppealStore: Send + Sync + 'static {
    /// Whether `player` has a recorded abandon of match `match_id` (kept 30 days).
    async fn abandon_recorded(
        &self,
        player: &PublicKey,
        match_id: &[u8; 32],
    ) -> Result<bool, StoreError>;
    /// Files an appeal of an abandon (`appeal.case_id` is its subject); false if this player
    /// already appealed it.
    async fn file_abandon_appeal(&self, appeal: &AppealRow) -> Result<bool, StoreError>;
    /// Decides an open appeal of an abandon, with its audit entry: `forgive` deletes the
    /// abandon, so it no longer counts towards any cooldown. False if already decided.
    async fn decide_abandon_appeal(
        &self,
        appeal: &AppealRow,
        forgive: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_names_its_match_and_nothing_else_does() {
        let subject = abandon_subject(&[0xab; 32]);
        assert_eq!(abandon_of_subject(&subject), Some([0xab; 32]));
        assert_eq!(abandon_of_subject("case_123"), None);
        assert_eq!(abandon_of_subject("abandon:zz"), None);
    }
}
