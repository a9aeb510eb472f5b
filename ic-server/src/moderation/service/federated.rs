//! Sanctions from other communities' feeds made local: a verdict of the publisher's policy
//! becomes nothing, a case in the review queue, a sanction here, or the lifting of one.
//!
//! The entry's row and its effect are one transaction, so an entry acts once even when two
//! processes read the same feed; a ranked suspension revokes rating records before it.

use scr::payload::RevocationReason;
use scr::{PlayerKey, PublicKey, RecordType};
use serde_json::json;
use transparency::SanctionEntry;

use super::{ModerationError, ModerationService, new_id};
use crate::federation::sanction_policy::Verdict;
use crate::moderation::{ActionKind, CaseState, Category};
use crate::store::moderation::{
    ActionRow, AppliedSanction, CaseRow, EvidenceRow, MAX_STORED_NOTE, NewReport, ReceivedCounts,
    ReceivedOutcome, ReceivedSanction, ReportRow, SanctionEffect,
};

/// The publisher an entry came from.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Its pinned key: who the local case's report and sanction are recorded as.
    pub key: PublicKey,
    /// Where its feed is read.
    pub url: String,
}

impl Publisher {
    /// How rows name it: its pinned key.
    pub fn name(&self) -> String {
        self.key.to_string()
    }
}

/// `note` cut to what is stored, on a character boundary.
fn stored_note(note: &str) -> String {
    let mut end = note.len().min(MAX_STORED_NOTE);
    while !note.is_char_boundary(end) {
        end -= 1;
    }
    note[..end].to_owned()
}

impl ModerationService {
    /// Makes local what entry `position` of `publisher`'s feed does under `verdict`; `entry` is
    /// the entry as read (`None` when refused), `note` as received. Returns the stored row, or
    /// `None` when the entry was received before.
    pub async fn receive_federated(
        &self,
        publisher: &Publisher,
        position: u64,
        note: &str,
        entry: Option<&SanctionEntry>,
        verdict: Verdict,
        now: i64,
    ) -> Result<Option<ReceivedSanction>, ModerationError> {
        let mut received = ReceivedSanction {
            publisher: publisher.name(),
            seq: position,
            publisher_url: publisher.url.clone(),
            subject: entry.map(|e| e.subject.public_key()),
            action: entry.map(|e| e.action.clone()),
            note: stored_note(note),
            outcome: ReceivedOutcome::Ignored,
            detail: String::new(),
            case_id: None,
            action_id: None,
            received_at: now,
        };
        let source = format!("{}#{position}", publisher.url);
        let effect = match (verdict, entry) {
            (Verdict::Refuse(why), _) => {
                received.outcome = ReceivedOutcome::Refused;
                received.detail = why;
                SanctionEffect::Record
            }
            (Verdict::Ignore(why), _) => {
                received.detail = why;
                SanctionEffect::Record
            }
            (_, None) => {
                received.outcome = ReceivedOutcome::Refused;
                received.detail = "the entry could not be read".into();
                SanctionEffect::Record
            }
            (Verdict::Lift { negates }, Some(_)) => {
                received.outcome = ReceivedOutcome::Lifted;
                received.detail = format!("{} lifted its entry {negates}", publisher.url);
                let audit = self.audit_entry(
                    None,
                    "system",
                    "federated_lifting",
                    None,
                    received.subject,
                    &received.detail,
                    now,
                );
                SanctionEffect::Lift {
                    negates,
                    by: publisher.key,
                    audit,
                }
            }
            (Verdict::Review { category }, Some(entry)) => {
                received.outcome = ReceivedOutcome::Review;
                received.detail = "opened for review here".into();
                let points = self.points_of(&publisher.key).await?;
                SanctionEffect::Review(
                    self.federated_report(publisher, entry, category, &source, points, now),
                )
            }
            (
                Verdict::Apply {
                    measure,
                    ends_at,
                    category,
                },
                Some(entry),
            ) => {
                let subject = entry.subject.public_key();
                // Only a member has records here to revoke; for anyone else the sanction alone
                // keeps records from being issued while it lasts.
                if measure.touches_ranked()
                    && let Some(authority) = &self.authority
                    && self.store.standing(&subject).await?.is_some()
                {
                    authority
                        .revoke(
                            &PlayerKey::from(subject),
                            RecordType::Rating,
                            RevocationReason::ModeratorAction,
                            now,
                        )
                        .await?;
                }
                received.outcome = ReceivedOutcome::Applied;
                received.detail = format!("{measure} applied as {source} published it");
                let case = CaseRow {
                    case_id: new_id("case"),
                    category,
                    state: CaseState::ClosedActionTaken,
                    created_at: now,
                    updated_at: now,
                    closed_at: Some(now),
                    severity_hint: self.config().severity_base.of(category),
                    accused: subject,
                    required_reviewers: 0,
                    telemetry_summary: None,
                    anti_cheat_summary: None,
                };
                let reason = format!("applied from {source} (their reason: {})", entry.reason);
                let action = ActionRow {
                    action_id: new_id("act"),
                    case_id: case.case_id.clone(),
                    consensus_id: None,
                    moderator: publisher.key,
                    target: subject,
                    action: ActionKind::Apply(measure),
                    reason: reason.clone(),
                    created_at: now,
                    ends_at,
                    reversed: false,
                    provenance: None,
                };
                let mut audit = self.audit_entry(
                    None,
                    "system",
                    "federated_sanction",
                    Some(&case.case_id),
                    Some(subject),
                    &reason,
                    now,
                );
                audit.details = json!({
                    "publisher": publisher.name(),
                    "publisher_url": publisher.url,
                    "seq": position,
                    "action": measure.to_string(),
                    "ends_at": ends_at,
                    "action_id": action.action_id,
                })
                .to_string();
                SanctionEffect::Apply(Box::new(AppliedSanction {
                    case,
                    action,
                    audit,
                }))
            }
        };
        let stored = self.store.receive_sanction(&received, &effect).await?;
        if let Some(stored) = &stored {
            self.count(match stored.outcome {
                ReceivedOutcome::Ignored => "federated_ignored",
                ReceivedOutcome::Review => "federated_review",
                ReceivedOutcome::Applied => "federated_applied",
                ReceivedOutcome::Lifted => "federated_lifted",
                ReceivedOutcome::Refused => "federated_refused",
            });
        }
        Ok(stored)
    }

    /// The report a reviewed entry files: by the publisher, the entry as evidence, weighted by
    /// how the publisher's earlier entries fared in review here.
    fn federated_report(
        &self,
        publisher: &Publisher,
        entry: &SanctionEntry,
        category: Category,
        source: &str,
        severity_points: u8,
        now: i64,
    ) -> NewReport {
        let ends = entry
            .expires_at
            .map_or_else(|| "no end".to_owned(), |at| format!("ending at {at}"));
        NewReport {
            report: ReportRow {
                report_id: new_id("rep"),
                case_id: String::new(),
                reporter: publisher.key,
                category,
                note: format!(
                    "{} published {} ({ends}) for {}: entry {source}",
                    publisher.url, entry.action, entry.reason
                ),
                created_at: now,
                upheld: None,
            },
            evidence: vec![EvidenceRow {
                kind: "federated_sanction".into(),
                reference: source.to_owned(),
            }],
            new_case: self.queued_case(category, entry.subject.public_key(), now),
            match_players: Vec::new(),
            severity_points,
        }
    }

    /// For staff: each publisher's counts per outcome and the newest `limit` entries received.
    pub async fn received(
        &self,
        principal: &crate::auth::Principal,
        limit: u32,
    ) -> Result<(Vec<ReceivedCounts>, Vec<ReceivedSanction>), ModerationError> {
        super::staff_role(principal)?;
        Ok((
            self.store.received_counts().await?,
            self.store.received_sanctions(None, limit).await?,
        ))
    }

    /// The last feed position received from `publisher`.
    pub async fn received_through(&self, publisher: &Publisher) -> Result<u64, ModerationError> {
        Ok(self.store.received_through(&publisher.name()).await?)
    }
}
