//! `0x01` rating snapshot: a player's rating in one game module under one algorithm.
//! Layout as D052 plus a trailing season (layout 2); fixed-point values stay integers end to end.

use serde_json::json;

use super::{check_str, read_required_str};
use crate::error::{EncodeError, Malformed};
use crate::wire::{Reader, Writer};

/// A player's rating at the time of issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingPayload {
    /// Game module, e.g. `"ra"`.
    pub game_module: String,
    /// Rating algorithm, e.g. `"glicko2"`.
    pub algorithm_id: String,
    /// Rating ×1000.
    pub rating: i64,
    /// Rating deviation ×1000; never negative.
    pub deviation: i64,
    /// Volatility ×1 000 000; never negative.
    pub volatility: i64,
    /// Rated games played.
    pub games_played: u32,
    /// Wins.
    pub wins: u32,
    /// Losses.
    pub losses: u32,
    /// Draws.
    pub draws: u32,
    /// Current streak: positive wins, negative losses.
    pub streak: i16,
    /// Leaderboard position, 0 when unranked.
    pub rank: u32,
    /// Percentile in tenths of a percent, 0..=1000.
    pub percentile: u16,
    /// The season the rating belongs to (0 = a preseason). `None` only for records of the
    /// first layout, issued before seasons were recorded; encoding `None` writes that layout.
    pub season: Option<u32>,
}

impl RatingPayload {
    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, Malformed> {
        let payload = Self {
            game_module: read_required_str(reader, "game_module")?,
            algorithm_id: read_required_str(reader, "algorithm_id")?,
            rating: reader.i64("rating")?,
            deviation: reader.i64("deviation")?,
            volatility: reader.i64("volatility")?,
            games_played: reader.u32("games_played")?,
            wins: reader.u32("wins")?,
            losses: reader.u32("losses")?,
            draws: reader.u32("draws")?,
            streak: reader.i16("streak")?,
            rank: reader.u32("rank")?,
            percentile: reader.u16("percentile")?,
            // Layout 2 appends the season; a payload that ends here is layout 1. The two are
            // told apart by length alone because every earlier field has a determined size.
            season: if reader.is_empty() {
                None
            } else {
                Some(reader.u32("season")?)
            },
        };
        payload.check_values()?;
        Ok(payload)
    }

    fn check_values(&self) -> Result<(), Malformed> {
        let invalid = |field, value: i128| Err(Malformed::InvalidValue { field, value });
        if self.deviation < 0 {
            return invalid("deviation", self.deviation.into());
        }
        if self.volatility < 0 {
            return invalid("volatility", self.volatility.into());
        }
        if self.percentile > 1000 {
            return invalid("percentile", self.percentile.into());
        }
        Ok(())
    }

    pub(super) fn write(&self, writer: &mut Writer<'_>) -> Result<(), EncodeError> {
        check_str("game_module", &self.game_module, true)?;
        check_str("algorithm_id", &self.algorithm_id, true)?;
        self.check_values()?;
        writer.short_str(&self.game_module);
        writer.short_str(&self.algorithm_id);
        writer.i64(self.rating);
        writer.i64(self.deviation);
        writer.i64(self.volatility);
        writer.u32(self.games_played);
        writer.u32(self.wins);
        writer.u32(self.losses);
        writer.u32(self.draws);
        writer.i16(self.streak);
        writer.u32(self.rank);
        writer.u16(self.percentile);
        if let Some(season) = self.season {
            writer.u32(season);
        }
        Ok(())
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "game_module": self.game_module,
            "algorithm_id": self.algorithm_id,
            "rating": self.rating,
            "deviation": self.deviation,
            "volatility": self.volatility,
            "games_played": self.games_played,
            "wins": self.wins,
            "losses": self.losses,
            "draws": self.draws,
            "streak": self.streak,
            "rank": self.rank,
            "percentile": self.percentile,
            "season": self.season,
        })
    }
}
