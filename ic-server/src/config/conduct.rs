//! `[conduct]`: what leaving a match costs. Cooldowns on queueing escalate with the abandons
//! of the last day, a habitual leaver waits longest, an early leave that voided a match briefly.

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// Leaver cooldowns (the ranking authority records abandons; matchmaking enforces them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConductConfig {
    /// Queue cooldown after the 1st, 2nd, 3rd… abandon within `abandon_window_hours`, in
    /// seconds; the last value repeats. Must not decrease.
    pub abandon_cooldowns_secs: Vec<u64>,
    /// How far back abandons count towards the escalation (hours).
    pub abandon_window_hours: u64,
    /// This many abandons within `habitual_window_days` make a habitual leaver.
    pub habitual_abandon_count: u32,
    /// How far back abandons count towards habitual leaving (days).
    pub habitual_window_days: u64,
    /// A habitual leaver's cooldown (seconds).
    pub habitual_cooldown_secs: u64,
    /// Rating points a habitual leaver's deviation rises by with each abandon that makes them
    /// one (never above a new player's deviation): their rating is less certain, 0–350.
    pub habitual_deviation_increase: u32,
    /// Cooldown after an abandon that voided the match within the relay's grace (seconds).
    pub grace_void_cooldown_secs: u64,
}

impl Default for ConductConfig {
    fn default() -> Self {
        Self {
            abandon_cooldowns_secs: vec![300, 1800, 7200],
            abandon_window_hours: 24,
            habitual_abandon_count: 3,
            habitual_window_days: 7,
            habitual_cooldown_secs: 86_400,
            habitual_deviation_increase: 50,
            grace_void_cooldown_secs: 60,
        }
    }
}

impl ConductConfig {
    /// Checks ranges and that the cooldowns escalate.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let key = "conduct.abandon_cooldowns_secs";
        if self.abandon_cooldowns_secs.is_empty() || self.abandon_cooldowns_secs.len() > 10 {
            return Err(InvalidValue {
                key: key.into(),
                problem: "give 1 to 10 cooldowns, one per abandon".into(),
            });
        }
        if self.abandon_cooldowns_secs.windows(2).any(|w| w[0] > w[1]) {
            return Err(InvalidValue {
                key: key.into(),
                problem: "each cooldown must be at least the one before it".into(),
            });
        }
        for secs in &self.abandon_cooldowns_secs {
            super::range(key, *secs, 0, 30 * 86_400)?;
        }
        super::range(
            "conduct.abandon_window_hours",
            self.abandon_window_hours,
            1,
            720,
        )?;
        super::range(
            "conduct.habitual_abandon_count",
            self.habitual_abandon_count,
            0,
            100,
        )?;
        super::range(
            "conduct.habitual_window_days",
            self.habitual_window_days,
            1,
            30,
        )?;
        super::range(
            "conduct.habitual_cooldown_secs",
            self.habitual_cooldown_secs,
            0,
            30 * 86_400,
        )?;
        super::range(
            "conduct.habitual_deviation_increase",
            self.habitual_deviation_increase,
            0,
            350,
        )?;
        super::range(
            "conduct.grace_void_cooldown_secs",
            self.grace_void_cooldown_secs,
            0,
            86_400,
        )
    }
}
