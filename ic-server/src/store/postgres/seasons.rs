//! [`Seasons`] for PostgreSQL: a season change is one transaction that first locks the tables
//! it rewrites against writers, so no rated match commits between its steps.

use async_trait::async_trait;
use scr::PlayerKey;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::seasons::{
    SEASON_COLUMNS, STANDING_COLUMNS, SeasonChange, SeasonChanged, SeasonRow, Seasons, StandingRow,
    season_from_row, standing_from_row,
};

#[async_trait]
impl Seasons for PostgresStore {
    async fn seasons(&self) -> Result<Vec<SeasonRow>, StoreError> {
        let _timer = self.timer("seasons");
        let rows = sqlx::query(&format!(
            "SELECT {SEASON_COLUMNS} FROM seasons ORDER BY season"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(season_from_row).collect()
    }

    async fn open_first_season(&self, first: &SeasonRow) -> Result<SeasonRow, StoreError> {
        let _timer = self.timer("open_first_season");
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO seasons (season, name, starts_at, ends_at, ended) \
             SELECT $1, $2, $3, $4, false WHERE NOT EXISTS (SELECT 1 FROM seasons)",
        )
        .bind(i64::from(first.season))
        .bind(&first.name)
        .bind(first.starts_at)
        .bind(first.ends_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            sqlx::query("UPDATE ratings SET season = $1")
                .bind(i64::from(first.season))
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {SEASON_COLUMNS} FROM seasons ORDER BY ended ASC, season DESC LIMIT 1"
        ))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        season_from_row(&row)
    }

    async fn change_season(&self, change: &SeasonChange) -> Result<SeasonChanged, StoreError> {
        let _timer = self.timer("change_season");
        let mut tx = self.pool.begin().await?;
        // Writers of these tables (rated matches, refreshes, registrations) wait until the
        // commit; readers go on. One statement takes all locks, `players` first as every
        // writer does, so no writer can hold one of them while waiting for another.
        sqlx::query(
            "LOCK TABLE players, ratings, opponents, seasons, season_standings \
             IN EXCLUSIVE MODE",
        )
        .execute(&mut *tx)
        .await?;
        let ended = sqlx::query(
            "UPDATE seasons SET ended = true, ends_at = $1 WHERE season = $2 AND NOT ended",
        )
        .bind(change.at)
        .bind(i64::from(change.ending))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended != 1 {
            return Ok(SeasonChanged::NotRunning);
        }
        let archived = sqlx::query(&format!(
            "INSERT INTO season_standings ({STANDING_COLUMNS}) \
             SELECT $1, game_module, player_key, rating, deviation, games_played, wins, losses, \
             draws, peak_rating FROM ratings WHERE games_played > 0"
        ))
        .bind(i64::from(change.ending))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (rating, deviation) = change.reset.sql();
        sqlx::query(&format!(
            "UPDATE ratings SET rating = {rating}, deviation = {deviation}, games_played = 0, \
             wins = 0, losses = 0, draws = 0, streak = 0, peak_rating = NULL, season = $1"
        ))
        .bind(i64::from(change.next.season))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM opponents")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE players SET last_sequence = last_sequence + 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO seasons (season, name, starts_at, ends_at, ended) \
             VALUES ($1, $2, $3, $4, false)",
        )
        .bind(i64::from(change.next.season))
        .bind(&change.next.name)
        .bind(change.next.starts_at)
        .bind(change.next.ends_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SeasonChanged::Done { archived })
    }

    async fn standings(
        &self,
        season: u32,
        module: &str,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<StandingRow>, StoreError> {
        let _timer = self.timer("standings");
        // Without a cursor, $4 and $5 are NULL and the condition holds for every row.
        let sql = format!(
            "SELECT {STANDING_COLUMNS} FROM season_standings WHERE season = $1 \
             AND game_module = $2 \
             AND ($4::int8 IS NULL OR rating < $4 OR (rating = $4 AND player_key > $5)) \
             ORDER BY rating DESC, player_key ASC LIMIT $3"
        );
        let (rating, key) = match &after {
            Some((rating, key)) => (Some(*rating), Some(key.as_bytes().to_vec())),
            None => (None, None),
        };
        let rows = sqlx::query(&sql)
            .bind(i64::from(season))
            .bind(module)
            .bind(i64::from(limit))
            .bind(rating)
            .bind(key)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(standing_from_row).collect()
    }
}
