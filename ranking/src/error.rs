//! Typed errors of the ranking crate: a configuration that is out of range, or a match
//! description that cannot be rated.

use thiserror::Error;

use crate::description::PlayerId;

/// A configuration value outside its allowed range. Raised by every `validate` so that a server
/// refuses to start instead of rating with nonsense parameters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A single key holds a value outside its range.
    #[error("{key} = {value} is out of range (allowed: {allowed})")]
    OutOfRange {
        /// Dotted name of the key, as an operator writes it in TOML.
        key: &'static str,
        /// The rejected value, printed.
        value: String,
        /// Human-readable description of the allowed range.
        allowed: &'static str,
    },
    /// Two keys contradict each other (for example a floor above its ceiling).
    #[error("{first} and {second} are inconsistent: {why}")]
    Inconsistent {
        /// First key involved.
        first: &'static str,
        /// Second key involved.
        second: &'static str,
        /// What the relation between them must be.
        why: &'static str,
    },
    /// The tier table is malformed.
    #[error("tiers[{index}]: {why}")]
    Tier {
        /// Position of the offending tier in the table.
        index: usize,
        /// What is wrong with it.
        why: &'static str,
    },
    /// `algorithm` names no known rating algorithm.
    #[error("unknown algorithm_id {0:?} (known: glicko2, elo, weng-lin)")]
    UnknownAlgorithm(String),
}

/// A match description that cannot be rated. The caller built it from a certified result, so
/// any of these means a bug or a forged input upstream; nothing is rated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MatchError {
    /// A match needs at least two sides.
    #[error("a match needs at least two teams, got {0}")]
    TooFewTeams(usize),
    /// A team without players.
    #[error("team {0} has no players")]
    EmptyTeam(usize),
    /// The same player appears twice.
    #[error("player {0} appears more than once")]
    DuplicatePlayer(PlayerId),
    /// A tick rate of zero makes the duration undefined.
    #[error("tick rate must be positive")]
    ZeroTickRate,
    /// The abandoning player is not in the match.
    #[error("leaver {0} is not a participant")]
    UnknownLeaver(PlayerId),
    /// A rating value that the algorithm cannot work with.
    #[error("player {player}: {why}")]
    InvalidRating {
        /// Whose rating.
        player: PlayerId,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Shorthand for range checks in `validate` functions.
pub(crate) fn check_range<T>(
    key: &'static str,
    value: T,
    ok: bool,
    allowed: &'static str,
) -> Result<(), ConfigError>
where
    T: std::fmt::Display,
{
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            key,
            value: value.to_string(),
            allowed,
        })
    }
}
