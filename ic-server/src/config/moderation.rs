//! `[moderation]`: the review queue's thresholds, weights, eligibility, calibration, retention
//! and the table of actions consensus recommends. Every key has a default and a range.

use serde::{Deserialize, Serialize};

use super::InvalidValue;
use crate::moderation::calibration::CalibrationRules;
use crate::moderation::{Category, Decision, Recommendation};

/// The moderation review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModerationConfig {
    /// Reviewers whose votes a case needs, 2–15 (a single reviewer never decides).
    pub required_reviewers: u8,
    /// Reviewers a cheating case needs, 2–15.
    pub required_reviewers_cheating: u8,
    /// Share of the weighted vote the top decision needs for consensus, 0.5–1.
    pub consensus_threshold: f64,
    /// Seconds a reviewer has to vote before the assignment lapses and the slot is reassigned,
    /// 1–604800.
    pub assignment_expiry_secs: i64,
    /// Reports one player may file in 24 hours, 1–1000.
    pub reports_per_day: u32,
    /// Certified matches a registered player needs here before their reports are taken,
    /// 0–100000: throwaway keys cannot pile reports onto a case.
    pub reporter_min_matches: u32,
    /// Longest report note, vote note or moderator reason in characters, 1–4000.
    pub note_max_chars: usize,
    /// Severity points each report adds (scaled by its reporter's accuracy), 0–50.
    pub severity_per_report: u8,
    /// Severity a case starts with, per category.
    pub severity_base: SeverityBase,
    /// Who may review without the reviewer role.
    pub eligibility: EligibilityConfig,
    /// Calibration and review weights.
    pub calibration: CalibrationConfig,
    /// Expiry of closed low-severity cases.
    pub retention: RetentionConfig,
    /// What consensus on each decision recommends to the moderator.
    pub recommendations: RecommendationTable,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            required_reviewers: 3,
            required_reviewers_cheating: 5,
            consensus_threshold: 2.0 / 3.0,
            assignment_expiry_secs: 24 * 3600,
            reports_per_day: 10,
            reporter_min_matches: 1,
            note_max_chars: 1000,
            severity_per_report: 10,
            severity_base: SeverityBase::default(),
            eligibility: EligibilityConfig::default(),
            calibration: CalibrationConfig::default(),
            retention: RetentionConfig::default(),
            recommendations: RecommendationTable::default(),
        }
    }
}

/// Starting severity per category, each 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityBase {
    /// Cheating.
    pub cheating: u8,
    /// Griefing.
    pub griefing: u8,
    /// AFK or intentional idling.
    pub afk_intentional_idle: u8,
    /// Harassment.
    pub harassment: u8,
    /// Spam or disruptive communications.
    pub spam_disruptive_comms: u8,
    /// Anything else.
    pub other: u8,
}

impl Default for SeverityBase {
    fn default() -> Self {
        Self {
            cheating: 50,
            griefing: 30,
            afk_intentional_idle: 20,
            harassment: 40,
            spam_disruptive_comms: 15,
            other: 10,
        }
    }
}

impl SeverityBase {
    /// The base for `category`.
    pub fn of(&self, category: Category) -> u8 {
        match category {
            Category::Cheating => self.cheating,
            Category::Griefing => self.griefing,
            Category::AfkIntentionalIdle => self.afk_intentional_idle,
            Category::Harassment => self.harassment,
            Category::SpamDisruptiveComms => self.spam_disruptive_comms,
            Category::Other => self.other,
        }
    }
}

/// Who may review without holding the reviewer role: established members in good standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EligibilityConfig {
    /// Whether members qualify by the criteria below (the reviewer role always qualifies).
    pub by_standing: bool,
    /// Certified matches played in this community, 0–100000.
    pub min_matches: u32,
    /// Days since registration, 0–3650.
    pub min_account_age_days: u32,
    /// No sanction (other than a reversed one) within this many days, 0–3650.
    pub no_sanction_days: u32,
}

impl Default for EligibilityConfig {
    fn default() -> Self {
        Self {
            by_standing: true,
            min_matches: 25,
            min_account_age_days: 30,
            no_sanction_days: 90,
        }
    }
}

/// Calibration cases and review weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationConfig {
    /// Every n-th case a reviewer gets is a calibration case when one is available, 1–100.
    pub every: u32,
    /// Weight of the newest result in the accuracy moving average, 0.01–1.
    pub alpha: f64,
    /// Accuracy a new reviewer starts with, 0–1.
    pub initial_accuracy: f64,
    /// Lowest review weight, 0.01–cap.
    pub weight_floor: f64,
    /// Highest review weight, floor–10.
    pub weight_cap: f64,
    /// Accuracy below which a reviewer stops getting cases, 0–1.
    pub min_accuracy: f64,
    /// Calibration cases seen before the accuracy threshold applies, 0–1000.
    pub min_calibration_cases: u32,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        Self {
            every: 5,
            alpha: 0.2,
            initial_accuracy: 0.5,
            weight_floor: 0.1,
            weight_cap: 1.5,
            min_accuracy: 0.3,
            min_calibration_cases: 3,
        }
    }
}

impl CalibrationConfig {
    /// The pure rules.
    pub fn rules(&self) -> CalibrationRules {
        CalibrationRules {
            alpha: self.alpha,
            initial_accuracy: self.initial_accuracy,
            weight_floor: self.weight_floor,
            weight_cap: self.weight_cap,
            min_accuracy: self.min_accuracy,
            min_calibration_cases: self.min_calibration_cases,
        }
    }
}

/// Expiry of closed low-severity cases (sanctions, appeals and the audit log are kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Days after closing that a low-severity case is deleted, 0–3650 (0: at the next sweep).
    pub closed_case_days: u32,
    /// Cases with a severity hint up to this are low severity, 0–100.
    pub max_severity: u8,
    /// Seconds between retention sweeps, 1–86400.
    pub sweep_interval_secs: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            closed_case_days: 90,
            max_severity: 40,
            sweep_interval_secs: 3600,
        }
    }
}

/// Recommended actions per consensus decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecommendationTable {
    /// For `insufficient_evidence`.
    pub insufficient_evidence: Vec<Recommendation>,
    /// For `likely_clean`.
    pub likely_clean: Vec<Recommendation>,
    /// For `suspected_griefing`.
    pub suspected_griefing: Vec<Recommendation>,
    /// For `suspected_cheating`.
    pub suspected_cheating: Vec<Recommendation>,
    /// For `abuse_comms`.
    pub abuse_comms: Vec<Recommendation>,
}

fn parse_all(texts: &[&str]) -> Vec<Recommendation> {
    texts.iter().filter_map(|text| text.parse().ok()).collect()
}

impl Default for RecommendationTable {
    fn default() -> Self {
        Self {
            insufficient_evidence: Vec::new(),
            likely_clean: Vec::new(),
            suspected_griefing: parse_all(&["warn", "queue_cooldown:24", "low_priority_queue:72"]),
            suspected_cheating: parse_all(&["ranked_suspension:14", "escalate_manual_review"]),
            abuse_comms: parse_all(&["warn", "chat_restriction:72"]),
        }
    }
}

impl RecommendationTable {
    /// What consensus on `decision` recommends (`escalate` always means manual review).
    pub fn for_decision(&self, decision: Decision) -> Vec<Recommendation> {
        match decision {
            Decision::InsufficientEvidence => self.insufficient_evidence.clone(),
            Decision::LikelyClean => self.likely_clean.clone(),
            Decision::SuspectedGriefing => self.suspected_griefing.clone(),
            Decision::SuspectedCheating => self.suspected_cheating.clone(),
            Decision::AbuseComms => self.abuse_comms.clone(),
            Decision::Escalate => vec![Recommendation::EscalateManualReview],
        }
    }
}

fn range<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    low: T,
    high: T,
) -> Result<(), InvalidValue> {
    super::range(&format!("moderation.{key}"), value, low, high)
}

impl ModerationConfig {
    /// Checks every range; the error names the key.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range("required_reviewers", self.required_reviewers, 2, 15)?;
        range(
            "required_reviewers_cheating",
            self.required_reviewers_cheating,
            2,
            15,
        )?;
        range("consensus_threshold", self.consensus_threshold, 0.5, 1.0)?;
        range(
            "assignment_expiry_secs",
            self.assignment_expiry_secs,
            1,
            604_800,
        )?;
        range("reports_per_day", self.reports_per_day, 1, 1000)?;
        range(
            "reporter_min_matches",
            self.reporter_min_matches,
            0,
            100_000,
        )?;
        range("note_max_chars", self.note_max_chars, 1, 4000)?;
        range("severity_per_report", self.severity_per_report, 0, 50)?;
        let base = &self.severity_base;
        for category in Category::ALL {
            range(
                &format!("severity_base.{}", category.name()),
                base.of(*category),
                0,
                100,
            )?;
        }
        let e = &self.eligibility;
        range("eligibility.min_matches", e.min_matches, 0, 100_000)?;
        range(
            "eligibility.min_account_age_days",
            e.min_account_age_days,
            0,
            3650,
        )?;
        range("eligibility.no_sanction_days", e.no_sanction_days, 0, 3650)?;
        let c = &self.calibration;
        range("calibration.every", c.every, 1, 100)?;
        range("calibration.alpha", c.alpha, 0.01, 1.0)?;
        range("calibration.initial_accuracy", c.initial_accuracy, 0.0, 1.0)?;
        range("calibration.weight_cap", c.weight_cap, 0.01, 10.0)?;
        range(
            "calibration.weight_floor",
            c.weight_floor,
            0.01,
            c.weight_cap,
        )?;
        range("calibration.min_accuracy", c.min_accuracy, 0.0, 1.0)?;
        range(
            "calibration.min_calibration_cases",
            c.min_calibration_cases,
            0,
            1000,
        )?;
        let r = &self.retention;
        range("retention.closed_case_days", r.closed_case_days, 0, 3650)?;
        range("retention.max_severity", r.max_severity, 0, 100)?;
        range(
            "retention.sweep_interval_secs",
            r.sweep_interval_secs,
            1,
            86_400,
        )?;
        Ok(())
    }

    /// Reviewers a case of `category` needs.
    pub fn required_for(&self, category: Category) -> u8 {
        if category == Category::Cheating {
            self.required_reviewers_cheating
        } else {
            self.required_reviewers
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calibration keys and every recommendation list, as an operator writes them in the
    /// config file, each change what the rules do (the service takes its rules from
    /// `calibration.rules()` and its recommendations from `for_decision`).
    #[test]
    fn calibration_and_recommendations_from_the_file_are_the_ones_applied() {
        let config = crate::config::from_file_text(
            "[moderation.calibration]\nalpha = 1.0\ninitial_accuracy = 0.3\n\
             weight_floor = 0.2\nweight_cap = 0.8\nmin_accuracy = 0.6\n\
             min_calibration_cases = 1\n\
             [moderation.recommendations]\ninsufficient_evidence = [\"warn\"]\n\
             likely_clean = [\"escalate_manual_review\"]\n\
             suspected_griefing = [\"queue_cooldown:2\"]\n\
             suspected_cheating = [\"ranked_suspension:3\"]\n\
             abuse_comms = [\"chat_restriction:4\"]\n",
        );
        let moderation = &config.moderation;
        let rules = moderation.calibration.rules();
        // initial_accuracy 0.3 (default 0.5) weighs 0.6 (default 1.0).
        assert!((rules.weight(rules.initial_accuracy) - 0.6).abs() < 1e-9);
        // weight_cap 0.8 and weight_floor 0.2 (defaults 1.5 and 0.1).
        assert!((rules.weight(0.9) - 0.8).abs() < 1e-9);
        assert!((rules.weight(0.0) - 0.2).abs() < 1e-9);
        // alpha 1.0: one miss takes the accuracy to 0 (the default 0.2 to 0.4).
        assert_eq!(rules.next_accuracy(1.0, false), 0.0);
        // min_accuracy 0.6 after one case (defaults 0.3 after three).
        assert!(rules.may_review(0.5, 0));
        assert!(!rules.may_review(0.5, 1));
        assert!(rules.may_review(0.6, 1));
        let shown = |decision| -> Vec<String> {
            moderation
                .recommendations
                .for_decision(decision)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(shown(Decision::InsufficientEvidence), ["warn"]);
        assert_eq!(shown(Decision::LikelyClean), ["escalate_manual_review"]);
        assert_eq!(shown(Decision::SuspectedGriefing), ["queue_cooldown:2"]);
        assert_eq!(shown(Decision::SuspectedCheating), ["ranked_suspension:3"]);
        assert_eq!(shown(Decision::AbuseComms), ["chat_restriction:4"]);
    }

    #[test]
    fn defaults_validate_and_recommend() {
        let config = ModerationConfig::default();
        config.validate().unwrap();
        assert_eq!(config.recommendations.suspected_griefing.len(), 3);
        assert_eq!(config.recommendations.suspected_cheating.len(), 2);
        assert_eq!(config.required_for(Category::Cheating), 5);
        assert_eq!(config.required_for(Category::Griefing), 3);
    }

    #[test]
    #[cfg_attr(
        not(all(
            feature = "relay",
            feature = "ranking",
            feature = "matchmaking",
            feature = "moderation"
        )),
        ignore = "expects every capability compiled in"
    )]
    fn file_and_environment_set_moderation_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ic-server.toml");
        std::fs::write(
            &path,
            "[moderation]\nrequired_reviewers = 4\n[moderation.recommendations]\n\
             abuse_comms = [\"chat_restriction:12\"]\n",
        )
        .unwrap();
        let env = vec![("IC_MODERATION_CALIBRATION_EVERY".to_owned(), "7".to_owned())];
        let loaded = super::super::load(Some(&path), &env).unwrap();
        let moderation = &loaded.config.moderation;
        assert_eq!(moderation.required_reviewers, 4);
        assert_eq!(moderation.calibration.every, 7);
        assert_eq!(
            moderation
                .recommendations
                .for_decision(Decision::AbuseComms),
            vec!["chat_restriction:12".parse().unwrap()]
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        std::fs::write(
            &path,
            "[moderation.recommendations]\nabuse_comms = [\"ban_forever\"]\n",
        )
        .unwrap();
        let error = super::super::load(Some(&path), &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("moderation.recommendations.abuse_comms"),
            "{error}"
        );
    }

    #[test]
    fn out_of_range_names_the_key() {
        let config = ModerationConfig {
            required_reviewers: 1,
            ..Default::default()
        };
        let error = config.validate().unwrap_err();
        assert_eq!(error.key, "moderation.required_reviewers");
        let mut config = ModerationConfig::default();
        config.calibration.weight_floor = 5.0;
        assert_eq!(
            config.validate().unwrap_err().key,
            "moderation.calibration.weight_floor"
        );
    }
}
