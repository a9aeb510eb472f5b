//! Achievements: the rules certified matches earn them by (pure) and the background task that
//! re-issues optimistic claims as verified once their challenge window passes.

pub mod rules;
#[cfg(feature = "ranking")]
pub mod upgrades;
