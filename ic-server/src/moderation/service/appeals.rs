//! Appeals: the sanctioned player appeals a case once; a moderator upholds or reverses, and a
//! reversal lifts every sanction of the case (rating records can be refreshed again) and is audited.
//! A leaver appeals an abandon the same way; reversing forgives it (the cooldown it caused ends).

use scr::PublicKey;
use serde_json::json;

use super::{ModerationError, ModerationService, new_id, staff_role};
use crate::auth::Principal;
use crate::moderation::CaseEvent;
use crate::store::moderation::{AppealRow, abandon_of_subject, abandon_subject};

impl ModerationService {
    /// Files `player`'s appeal of `case_id`.
    pub async fn appeal(
        &self,
        player: PublicKey,
        case_id: &str,
        statement: &str,
        now: i64,
    ) -> Result<AppealRow, ModerationError> {
        self.check_text("invalid_statement", "statement", statement, true)?;
        let case = self
            .store
            .case(case_id)
            .await?
            .filter(|case| case.accused == player)
            // Someone else's case does not exist as far as this player can tell.
            .ok_or(ModerationError::CaseNotFound)?;
        if self
            .store
            .appeals(false)
            .await?
            .iter()
            .any(|a| a.case_id == case_id && a.player == player)
        {
            return Err(ModerationError::AlreadyAppealed);
        }
        case.state
            .after(CaseEvent::Appealed)
            .map_err(|_| ModerationError::AppealNotAllowed)?;
        let sanctioned =
            self.store.actions(case_id).await?.iter().any(|a| {
                !a.reversed && matches!(a.action, crate::moderation::ActionKind::Apply(_))
            });
        if !sanctioned {
            return Err(ModerationError::AppealNotAllowed);
        }
        let appeal = open_appeal(player, case_id.to_owned(), statement, now);
        if !self.store.file_appeal(&appeal, now).await? {
            return Err(ModerationError::AlreadyAppealed);
        }
        self.count("appeal");
        Ok(appeal)
    }

    /// Files `player`'s appeal of their abandon of match `match_id` (the leaver cooldown it
    /// caused); decided like any appeal.
    pub async fn appeal_abandon(
        &self,
        player: PublicKey,
        match_id: &[u8; 32],
        statement: &str,
        now: i64,
    ) -> Result<AppealRow, ModerationError> {
        self.check_text("invalid_statement", "statement", statement, true)?;
        if !self.store.abandon_recorded(&player, match_id).await? {
            return Err(ModerationError::AbandonNotFound);
        }
        let appeal = open_appeal(player, abandon_subject(match_id), statement, now);
        if !self.store.file_abandon_appeal(&appeal).await? {
            return Err(ModerationError::AlreadyAppealed);
        }
        self.count("appeal");
        Ok(appeal)
    }

    /// Appeals for moderators (only undecided ones when `open_only`).
    pub async fn appeals(
        &self,
        principal: &Principal,
        open_only: bool,
    ) -> Result<Vec<AppealRow>, ModerationError> {
        staff_role(principal)?;
        Ok(self.store.appeals(open_only).await?)
    }

    /// Upholds (`reverse = false`) or reverses an appeal.
    pub async fn decide_appeal(
        &self,
        principal: &Principal,
        appeal_id: &str,
        decision: &str,
        reason: &str,
        now: i64,
    ) -> Result<AppealRow, ModerationError> {
        let role = staff_role(principal)?;
        let reverse = match decision {
            "uphold" => false,
            "reverse" => true,
            _ => {
                return Err(ModerationError::bad(
                    "invalid_decision",
                    "decision must be uphold or reverse",
                ));
            }
        };
        self.check_text("invalid_reason", "reason", reason, true)?;
        let mut appeal = self
            .store
            .appeal(appeal_id)
            .await?
            .ok_or(ModerationError::AppealNotFound)?;
        if appeal.decision.is_some() {
            return Err(ModerationError::AppealDecided);
        }
        if appeal.player == principal.key {
            return Err(ModerationError::OwnAppeal);
        }
        // The accused is the appellant (refused above); a reporter of the case is a party too.
        if abandon_of_subject(&appeal.case_id).is_none() {
            self.not_party_to(&appeal.case_id, &appeal.player, &principal.key)
                .await?;
        }
        appeal.decision = Some(if reverse { "reversed" } else { "upheld" }.to_owned());
        appeal.moderator = Some(principal.key);
        appeal.reason = Some(reason.to_owned());
        appeal.decided_at = Some(now);
        let action = if reverse {
            "reverse_appeal"
        } else {
            "uphold_appeal"
        };
        // An abandon has no case (reversing forgives it); a case moves on.
        let new_state = match abandon_of_subject(&appeal.case_id) {
            Some(_) => None,
            None => {
                let case = self
                    .store
                    .case(&appeal.case_id)
                    .await?
                    .ok_or(ModerationError::CaseNotFound)?;
                let event = if reverse {
                    CaseEvent::AppealReversed
                } else {
                    CaseEvent::AppealUpheld
                };
                Some(case.state.after(event)?)
            }
        };
        let mut audit = self.audit_entry(
            Some(principal),
            role,
            action,
            new_state.map(|_| appeal.case_id.as_str()),
            Some(appeal.player),
            reason,
            now,
        );
        audit.details =
            json!({ "appeal_id": appeal.appeal_id, "subject": appeal.case_id }).to_string();
        let decided = match new_state {
            Some(state) => {
                self.store
                    .decide_appeal(&appeal, reverse, state, &audit)
                    .await?
            }
            None => {
                self.store
                    .decide_abandon_appeal(&appeal, reverse, &audit)
                    .await?
            }
        };
        if !decided {
            return Err(ModerationError::AppealDecided);
        }
        self.count(if reverse {
            "appeal_reversed"
        } else {
            "appeal_upheld"
        });
        Ok(appeal)
    }
}

/// A new, undecided appeal of `subject` (a case id, or an abandon's subject).
fn open_appeal(player: PublicKey, subject: String, statement: &str, now: i64) -> AppealRow {
    AppealRow {
        appeal_id: new_id("apl"),
        case_id: subject,
        player,
        statement: statement.to_owned(),
        created_at: now,
        decision: None,
        moderator: None,
        reason: None,
        decided_at: None,
    }
}
