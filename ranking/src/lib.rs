//! Rating math for ic-server: the `RankingProvider` trait with Glicko-2 (default), Elo and
//! Weng-Lin, seasons, tiers, leaderboard rules and matchmaking helpers.
//!
//! The crate is pure: no I/O and no clock reads; time arrives as arguments (Unix seconds or
//! elapsed periods). Ratings cross its boundary in fixed point ([`FixedRating`]) and the same
//! inputs always give the same outputs, bit for bit. `docs/ranking.md` describes the
//! algorithms, parameters and formulas.

pub mod config;
pub mod description;
pub mod elo;
pub mod error;
pub mod fixed;
pub mod glicko2;
pub mod information;
pub mod leaderboard;
pub mod matchmaking;
pub mod provider;
pub mod quality;
pub mod season;
pub mod team;
pub mod tier;
pub mod weng_lin;

pub use config::RankingConfig;
pub use description::{
    MatchDescription, MatchEnd, MatchMode, Participant, PlayerId, PlayerRating, Team, idle_periods,
};
pub use elo::{EloConfig, EloProvider};
pub use error::{ConfigError, MatchError};
pub use fixed::FixedRating;
pub use glicko2::{Glicko2Config, Glicko2Provider};
pub use information::InformationConfig;
pub use provider::{RankingProvider, provider_for};
pub use quality::MatchQuality;
pub use weng_lin::{WengLinConfig, WengLinProvider};
