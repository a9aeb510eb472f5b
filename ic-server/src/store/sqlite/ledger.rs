//! The ledger ([`Store`]) on SQLite: credential-issuing writes go to the writer thread (group
//! commit), their planning reads to the direct read connections, the rest through sqlx.

use async_trait::async_trait;
use scr::{PlayerKey, PublicKey, RelayKey};
use sqlx::Row;

use super::SqliteStore;
use super::direct::{count_meetings, records_of_match, snapshots};
use crate::store::columns::{
    Columns, RATING_COLUMNS, RECORD_COLUMNS, count_u32, key32, prefixed, rating_from_row,
    record_from_row, seq, unseq,
};
use crate::store::{
    Applied, IssuedRecord, LeaderboardRow, MatchChange, MatchInputs, PlayerChange, PlayerSnapshot,
    RatingRow, Registered, Registration, Role, Store, StoreError,
};

#[async_trait]
impl Store for SqliteStore {
    async fn register(&self, registration: &Registration) -> Result<Registered, StoreError> {
        let _timer = self.timer("register");
        self.writer.register(registration.clone()).await
    }

    async fn snapshots(
        &self,
        players: &[PlayerKey],
        module: &str,
    ) -> Result<Vec<Option<PlayerSnapshot>>, StoreError> {
        let _timer = self.timer("snapshots");
        let (players, module) = (players.to_vec(), module.to_owned());
        self.direct
            .run(move |conn| snapshots(conn, &players, &module))
            .await
    }

    async fn ratings(&self, player: &PlayerKey) -> Result<Vec<RatingRow>, StoreError> {
        let _timer = self.timer("ratings");
        let rows = sqlx::query(&format!(
            "SELECT {RATING_COLUMNS} FROM ratings WHERE player_key = ? ORDER BY game_module"
        ))
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rating_from_row).collect()
    }

    async fn apply_player_change(&self, change: &PlayerChange) -> Result<Applied, StoreError> {
        let _timer = self.timer("apply_player_change");
        self.writer.apply_player_change(change.clone()).await
    }

    async fn apply_match(&self, change: &MatchChange) -> Result<Applied, StoreError> {
        let _timer = self.timer("apply_match");
        self.writer.apply_match(change.clone()).await
    }

    async fn match_inputs(
        &self,
        match_id: &[u8; 32],
        players: &[PlayerKey],
        module: &str,
        participants_hash: &[u8; 32],
        meetings_since: i64,
    ) -> Result<MatchInputs, StoreError> {
        let _timer = self.timer("match_inputs");
        let (match_id, participants_hash) = (*match_id, *participants_hash);
        let (players, module) = (players.to_vec(), module.to_owned());
        self.direct
            .run(move |conn| {
                if let Some(records) = records_of_match(conn, &match_id)? {
                    return Ok(MatchInputs::Applied(records));
                }
                Ok(MatchInputs::New {
                    snapshots: snapshots(conn, &players, &module)?,
                    prior_meetings: count_meetings(conn, &participants_hash, meetings_since)?,
                })
            })
            .await
    }

    async fn match_records(
        &self,
        match_id: &[u8; 32],
    ) -> Result<Option<Vec<IssuedRecord>>, StoreError> {
        let _timer = self.timer("match_records");
        let match_id = *match_id;
        self.direct
            .run(move |conn| records_of_match(conn, &match_id))
            .await
    }

    async fn records_since(
        &self,
        player: &PlayerKey,
        since: u64,
    ) -> Result<Vec<IssuedRecord>, StoreError> {
        let _timer = self.timer("records_since");
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM issued_records WHERE player_key = ? AND sequence > ? \
             ORDER BY sequence"
        ))
        .bind(player.as_bytes().as_slice())
        .bind(seq(since.min(i64::MAX as u64))?)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn match_history(
        &self,
        player: &PlayerKey,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<(IssuedRecord, Option<Vec<u8>>)>, StoreError> {
        let _timer = self.timer("match_history");
        let columns = prefixed("i", RECORD_COLUMNS);
        let rows = sqlx::query(&format!(
            "SELECT {columns}, p.cmr AS cmr FROM issued_records i \
             LEFT JOIN processed_matches p ON p.match_id = i.match_id \
             WHERE i.player_key = ? AND i.record_type = 2 AND i.sequence < ? \
             ORDER BY i.sequence DESC LIMIT ?"
        ))
        .bind(player.as_bytes().as_slice())
        .bind(seq(before.unwrap_or(u64::MAX).min(i64::MAX as u64))?)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| Ok((record_from_row(row)?, row.opt_blob("cmr")?)))
            .collect()
    }

    async fn revocations(&self, player: &PlayerKey) -> Result<Vec<(u8, u64)>, StoreError> {
        let _timer = self.timer("revocations");
        let rows = sqlx::query(
            "SELECT record_type, min_valid_sequence FROM revocations WHERE player_key = ? \
             ORDER BY record_type",
        )
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let record_type = u8::try_from(row.try_get::<i64, _>("record_type")?)
                    .map_err(|_| StoreError::Corrupt("record type out of range".into()))?;
                Ok((record_type, unseq(row.try_get("min_valid_sequence")?)?))
            })
            .collect()
    }

    async fn leaderboard(
        &self,
        module: &str,
        min_matches: u32,
        min_opponents: u32,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<LeaderboardRow>, StoreError> {
        let _timer = self.timer("leaderboard");
        let opponents = "(SELECT COUNT(*) FROM opponents o WHERE o.player_key = r.player_key \
                         AND o.game_module = r.game_module)";
        // `rating <= ?` first, so SQLite seeks into the leaderboard index at the cursor instead
        // of walking it from the top (a page 50,000 rows down took 4 ms); the second condition
        // keeps the order's tie-break by key.
        let cursor = if after.is_some() {
            "AND r.rating <= ? AND (r.rating < ? OR r.player_key > ?)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT r.player_key, {RATING_COLUMNS}, {opponents} AS distinct_opponents \
             FROM ratings r WHERE r.game_module = ? AND r.games_played >= ? \
             AND {opponents} >= ? {cursor} \
             ORDER BY r.rating DESC, r.player_key ASC LIMIT ?"
        );
        let mut query = sqlx::query(&sql)
            .bind(module)
            .bind(i64::from(min_matches))
            .bind(i64::from(min_opponents));
        if let Some((rating, key)) = &after {
            query = query
                .bind(*rating)
                .bind(*rating)
                .bind(key.as_bytes().to_vec());
        }
        // Decoded row by row as they stream in: a rank board's build reads every eligible
        // player, and holding all raw rows at once cost far more memory than the decoded ones.
        let mut rows = query.bind(i64::from(limit)).fetch(&self.read);
        let mut board = Vec::new();
        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            board.push(LeaderboardRow {
                player_key: PlayerKey::from_bytes(key32(
                    &row.try_get::<Vec<u8>, _>("player_key")?,
                )?),
                rating: rating_from_row(&row)?,
                distinct_opponents: count_u32(row.try_get("distinct_opponents")?)?,
            });
        }
        Ok(board)
    }

    async fn rotations(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let _timer = self.timer("rotations");
        let rows = sqlx::query("SELECT record FROM key_rotations ORDER BY sequence")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| row.try_get("record").map_err(StoreError::from))
            .collect()
    }

    async fn add_rotation(&self, sequence: u64, record: &[u8], now: i64) -> Result<(), StoreError> {
        let _timer = self.timer("add_rotation");
        self.writer
            .add_rotation(sequence, record.to_vec(), now)
            .await
    }

    async fn player_count(&self) -> Result<u64, StoreError> {
        let _timer = self.timer("player_count");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM players")
            .fetch_one(&self.read)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn trusted_relays(&self) -> Result<Vec<(RelayKey, String)>, StoreError> {
        let _timer = self.timer("trusted_relays");
        let rows = sqlx::query("SELECT relay_key, label FROM trusted_relays ORDER BY added_at")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    RelayKey::from_bytes(key32(&row.try_get::<Vec<u8>, _>("relay_key")?)?),
                    row.try_get("label")?,
                ))
            })
            .collect()
    }

    async fn trust_relay(&self, key: &RelayKey, label: &str, now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("trust_relay");
        let done = sqlx::query(
            "INSERT INTO trusted_relays (relay_key, label, added_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.as_bytes().as_slice())
        .bind(label)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn untrust_relay(&self, key: &RelayKey) -> Result<bool, StoreError> {
        let _timer = self.timer("untrust_relay");
        let done = sqlx::query("DELETE FROM trusted_relays WHERE relay_key = ?")
            .bind(key.as_bytes().as_slice())
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn roles_of(&self, principal: &PublicKey) -> Result<Vec<Role>, StoreError> {
        let _timer = self.timer("roles_of");
        let rows = sqlx::query("SELECT role FROM roles WHERE principal_key = ? ORDER BY role")
            .bind(principal.as_bytes().as_slice())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("role")?;
                Role::from_name(&name).ok_or_else(|| StoreError::Corrupt(format!("role {name}")))
            })
            .collect()
    }

    async fn all_roles(&self) -> Result<Vec<(PublicKey, Role)>, StoreError> {
        let _timer = self.timer("all_roles");
        let rows =
            sqlx::query("SELECT principal_key, role FROM roles ORDER BY role, principal_key")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("role")?;
                let role = Role::from_name(&name)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {name}")))?;
                let key = key32(&row.try_get::<Vec<u8>, _>("principal_key")?)?;
                Ok((PublicKey::from_bytes(key), role))
            })
            .collect()
    }

    async fn grant_role(
        &self,
        principal: &PublicKey,
        role: Role,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("grant_role");
        let done = sqlx::query(
            "INSERT INTO roles (principal_key, role, granted_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(principal.as_bytes().as_slice())
        .bind(role.name())
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_role(&self, principal: &PublicKey, role: Role) -> Result<bool, StoreError> {
        let _timer = self.timer("revoke_role");
        let done = sqlx::query("DELETE FROM roles WHERE principal_key = ? AND role = ?")
            .bind(principal.as_bytes().as_slice())
            .bind(role.name())
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_challenge(
        &self,
        challenge: &[u8; 32],
        principal: &PublicKey,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _timer = self.timer("insert_challenge");
        sqlx::query(
            "INSERT INTO auth_challenges (challenge, principal_key, expires_at) VALUES (?, ?, ?)",
        )
        .bind(challenge.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn take_challenge(
        &self,
        challenge: &[u8; 32],
        principal: &PublicKey,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _timer = self.timer("take_challenge");
        // Deleting is what makes a challenge single-use, even under concurrent answers.
        let done = sqlx::query(
            "DELETE FROM auth_challenges WHERE challenge = ? AND principal_key = ? AND expires_at > ?",
        )
        .bind(challenge.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        principal: &PublicKey,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _timer = self.timer("insert_token");
        sqlx::query(
            "INSERT INTO auth_tokens (token_hash, principal_key, expires_at) VALUES (?, ?, ?)",
        )
        .bind(token_hash.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn token_principal(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<PublicKey>, StoreError> {
        let _timer = self.timer("token_principal");
        let row = sqlx::query(
            "SELECT principal_key FROM auth_tokens WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash.as_slice())
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(PublicKey::from_bytes(key32(
                &row.try_get::<Vec<u8>, _>("principal_key")?,
            )?))
        })
        .transpose()
    }

    async fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        let _timer = self.timer("purge_expired");
        sqlx::query("DELETE FROM auth_challenges WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM auth_tokens WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM web_login_links WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM web_sessions WHERE idle_expires_at <= ?")
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _timer = self.timer("ping");
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn close(&self) -> Result<(), StoreError> {
        let _timer = self.timer("close");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.write)
            .await?;
        self.read.close().await;
        self.write.close().await;
        Ok(())
    }
}
