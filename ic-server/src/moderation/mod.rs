//! The moderation review queue: reports become cases, eligible members review them anonymously,
//! weighted consensus recommends, moderators decide. Pure rules here (always built: the config
//! parses them); I/O in `service`, built with the `moderation` feature.

pub mod calibration;
pub mod case;
pub mod consensus;
pub mod evidence;
mod names;
pub mod pseudonym;
pub mod redact;
pub mod sanction;
#[cfg(feature = "moderation")]
pub mod service;
pub mod severity;
#[cfg(feature = "moderation")]
pub mod suspensions;
#[cfg(feature = "moderation")]
pub mod views;

pub use case::{CaseEvent, CaseState};
pub use sanction::{ActionKind, Measure, Recommendation};
#[cfg(feature = "moderation")]
pub use service::{ModerationError, ModerationService, Restriction};

use names::named_enum;

named_enum! {
    /// What a report is about (reference §7.1 `ReviewCaseCategory`).
    Category {
        /// Cheating (maphack, automation, …).
        Cheating = "cheating",
        /// Griefing or team sabotage.
        Griefing = "griefing",
        /// AFK or intentional idling.
        AfkIntentionalIdle = "afk_intentional_idle",
        /// Harassment, abusive chat or voice.
        Harassment = "harassment",
        /// Spam or disruptive communications.
        SpamDisruptiveComms = "spam_disruptive_comms",
        /// Anything else.
        Other = "other",
    }
}

named_enum! {
    /// What an entry received from another community's sanction feed did here.
    ReceivedOutcome {
        /// Nothing: the policy ignores its action, the action is unknown, or it already ended.
        Ignored = "ignored",
        /// A local case was opened (or joined) with the entry as evidence.
        Review = "review",
        /// A local sanction was applied.
        Applied = "applied",
        /// A lifting: what the lifted entry caused was reversed (or its case closed).
        Lifted = "lifted",
        /// It did not verify (wrong signature, origin or position) and did nothing.
        Refused = "refused",
    }
}

named_enum! {
    /// A reviewer's verdict (reference §7.1 `ReviewVoteDecision`).
    Decision {
        /// Not enough evidence to judge.
        InsufficientEvidence = "insufficient_evidence",
        /// The accused looks clean.
        LikelyClean = "likely_clean",
        /// Griefing is likely.
        SuspectedGriefing = "suspected_griefing",
        /// Cheating is likely.
        SuspectedCheating = "suspected_cheating",
        /// Abusive communications.
        AbuseComms = "abuse_comms",
        /// The reviewer wants a moderator to decide.
        Escalate = "escalate",
    }
}

impl Decision {
    /// Whether this verdict finds against the accused (used for moderator agreement).
    pub fn finds_fault(self) -> bool {
        matches!(
            self,
            Self::SuspectedGriefing | Self::SuspectedCheating | Self::AbuseComms
        )
    }
}
