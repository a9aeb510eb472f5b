//! The seasons as players see them: the list, and the final standings of an ended season.
//! Changing a season is the operator's (`crate::seasons`), not a player's.

use scr::PlayerKey;

use super::{Authority, AuthorityError};
use crate::store::{SeasonRow, StandingRow};

impl Authority {
    /// Every season, oldest first.
    pub async fn seasons(&self) -> Result<Vec<SeasonRow>, AuthorityError> {
        Ok(self.store.seasons().await?)
    }

    /// One page of the final standings of the ended season `season` in `module`, best first.
    pub async fn standings(
        &self,
        season: u32,
        module: &str,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<StandingRow>, AuthorityError> {
        if !self.settings.game_modules.iter().any(|m| m == module) {
            return Err(AuthorityError::UnknownGameModule(module.to_owned()));
        }
        Ok(self.store.standings(season, module, limit, after).await?)
    }
}
