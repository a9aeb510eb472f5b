//! What one entry of a subscribed sanction feed does here, by pure rules: refused when it does
//! not verify or sits at another position, a lifting, ignored, reviewed or applied by policy.
//!
//! An entry whose sanction already ended is ignored: subscribing to a feed reads its whole
//! history, and old, finished sanctions should not fill the review queue.

use transparency::SanctionEntry;

use crate::config::{SanctionPolicy, SubscriptionConfig};
use crate::moderation::{Category, Measure};

/// The verdict on one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It did not verify: do nothing, count it.
    Refuse(String),
    /// Do nothing, for the reason given.
    Ignore(String),
    /// Open (or join) a local case about the subject.
    Review {
        /// The local category: the publisher's reason code when it is one of ours.
        category: Category,
    },
    /// Apply the same measure here until `ends_at` (the publisher's end).
    Apply {
        /// The measure.
        measure: Measure,
        /// When it ends (`None` for a warning).
        ends_at: Option<i64>,
        /// The local category.
        category: Category,
    },
    /// Lift what the entry at `negates` did.
    Lift {
        /// The lifted position.
        negates: u64,
    },
}

/// Judges the entry at feed position `position`, read (`Ok`) or refused by the verifier, under
/// `subscription`'s policy at Unix second `now`.
pub fn judge(
    read: Result<&SanctionEntry, String>,
    position: u64,
    subscription: &SubscriptionConfig,
    now: i64,
) -> Verdict {
    let entry = match read {
        Ok(entry) => entry,
        Err(problem) => return Verdict::Refuse(problem),
    };
    if entry.seq != position {
        return Verdict::Refuse(format!(
            "the entry says position {}, the feed serves it at {position}",
            entry.seq
        ));
    }
    if let Some(negates) = entry.negates {
        if negates >= entry.seq {
            return Verdict::Refuse(format!(
                "a lifting at {} cannot lift the later entry {negates}",
                entry.seq
            ));
        }
        return Verdict::Lift { negates };
    }
    let Ok(measure) = entry.action.parse::<Measure>() else {
        return Verdict::Ignore(format!("unknown action {:?}", entry.action));
    };
    if let Some(ends) = entry.expires_at
        && ends <= now
    {
        return Verdict::Ignore(format!("the sanction already ended at {ends}"));
    }
    let category = Category::from_name(&entry.reason).unwrap_or(Category::Other);
    match subscription.policy_for(measure.kind()) {
        SanctionPolicy::Ignore => Verdict::Ignore(format!(
            "the policy ignores {} from this publisher",
            measure.kind()
        )),
        SanctionPolicy::Review => Verdict::Review { category },
        SanctionPolicy::Apply => Verdict::Apply {
            measure,
            ends_at: entry.expires_at,
            category,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use scr::PlayerKey;

    fn entry(action: &str, expires_at: Option<i64>, negates: Option<u64>) -> SanctionEntry {
        SanctionEntry {
            origin: "ic-community/00".into(),
            seq: 5,
            subject: PlayerKey::from_bytes([3; 32]),
            action: action.into(),
            scope: "matchmaking".into(),
            expires_at,
            reason: "griefing".into(),
            case_ref: [1; 32],
            negates,
            issued_at: 100,
        }
    }

    fn subscription(policy: &[(&str, SanctionPolicy)]) -> SubscriptionConfig {
        SubscriptionConfig {
            url: "https://b.example".into(),
            key: scr::CommunityKey::from_bytes([1; 32]),
            policy: policy.iter().map(|(k, p)| ((*k).to_owned(), *p)).collect(),
        }
    }

    #[test]
    fn the_policy_of_the_action_kind_decides_and_review_is_the_default() {
        let cooldown = entry("queue_cooldown:24", Some(10_000), None);
        let apply = subscription(&[("queue_cooldown", SanctionPolicy::Apply)]);
        assert_eq!(
            judge(Ok(&cooldown), 5, &apply, 1000),
            Verdict::Apply {
                measure: Measure::QueueCooldown { hours: 24 },
                ends_at: Some(10_000),
                category: Category::Griefing,
            }
        );
        let warn = entry("warn", None, None);
        assert_eq!(
            judge(Ok(&warn), 5, &apply, 1000),
            Verdict::Review {
                category: Category::Griefing
            }
        );
        let quiet = subscription(&[("default", SanctionPolicy::Ignore)]);
        assert!(matches!(
            judge(Ok(&warn), 5, &quiet, 1000),
            Verdict::Ignore(why) if why.contains("policy ignores warn")
        ));
    }

    #[test]
    fn unknown_actions_and_ended_sanctions_are_ignored_and_reasons_map_to_other() {
        let any = subscription(&[("default", SanctionPolicy::Apply)]);
        assert!(matches!(
            judge(Ok(&entry("shadow_ban:3", Some(10_000), None)), 5, &any, 1000),
            Verdict::Ignore(why) if why.contains("unknown action")
        ));
        assert!(matches!(
            judge(Ok(&entry("queue_cooldown:1", Some(999), None)), 5, &any, 1000),
            Verdict::Ignore(why) if why.contains("already ended")
        ));
        let mut odd = entry("warn", None, None);
        odd.reason = "tilting".into();
        assert!(matches!(
            judge(Ok(&odd), 5, &any, 1000),
            Verdict::Apply {
                category: Category::Other,
                ..
            }
        ));
    }

    #[test]
    fn liftings_lift_and_misplaced_or_unverified_entries_are_refused() {
        let any = subscription(&[]);
        assert_eq!(
            judge(Ok(&entry("warn", None, Some(2))), 5, &any, 0),
            Verdict::Lift { negates: 2 }
        );
        assert!(matches!(
            judge(Ok(&entry("warn", None, Some(5))), 5, &any, 0),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            judge(Ok(&entry("warn", None, None)), 6, &any, 0),
            Verdict::Refuse(why) if why.contains("position 5")
        ));
        assert_eq!(
            judge(Err("bad signature".into()), 5, &any, 0),
            Verdict::Refuse("bad signature".into())
        );
    }
}
