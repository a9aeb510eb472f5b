//! The ledger ([`Store`]) on PostgreSQL: certified matches go to the group commit, other
//! credential-issuing writes and the planning reads to `ingest`, the rest one statement each.

use async_trait::async_trait;
use scr::{PlayerKey, PublicKey, RelayKey};

use super::PostgresStore;
use super::ingest::records_of_match;
use crate::store::columns::{
    Columns, RATING_COLUMNS, RECORD_COLUMNS, count_u32, key32, prefixed, rating_from_row,
    record_from_row, seq, unseq,
};
use crate::store::{
    Applied, IssuedRecord, LeaderboardRow, MatchChange, MatchInputs, PlayerChange, PlayerSnapshot,
    RatingRow, Registered, Registration, Role, Store, StoreError,
};

#[async_trait]
impl Store for PostgresStore {
    async fn register(&self, registration: &Registration) -> Result<Registered, StoreError> {
        let _timer = self.timer("register");
        self.register_player(registration).await
    }

    async fn snapshots(
        &self,
        players: &[PlayerKey],
        module: &str,
    ) -> Result<Vec<Option<PlayerSnapshot>>, StoreError> {
        let _timer = self.timer("snapshots");
        self.read_snapshots(players, module).await
    }

    async fn ratings(&self, player: &PlayerKey) -> Result<Vec<RatingRow>, StoreError> {
        let _timer = self.timer("ratings");
        let rows = sqlx::query(&format!(
            "SELECT {RATING_COLUMNS} FROM ratings WHERE player_key = $1 ORDER BY game_module"
        ))
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rating_from_row).collect()
    }

    async fn apply_player_change(&self, change: &PlayerChange) -> Result<Applied, StoreError> {
        let _timer = self.timer("apply_player_change");
        self.apply_one(change).await
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
        self.read_match_inputs(match_id, players, module, participants_hash, meetings_since)
            .await
    }

    async fn match_records(
        &self,
        match_id: &[u8; 32],
    ) -> Result<Option<Vec<IssuedRecord>>, StoreError> {
        let _timer = self.timer("match_records");
        records_of_match(&self.pool, match_id).await
    }

    async fn records_since(
        &self,
        player: &PlayerKey,
        since: u64,
    ) -> Result<Vec<IssuedRecord>, StoreError> {
        let _timer = self.timer("records_since");
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM issued_records WHERE player_key = $1 AND sequence > $2 \
             ORDER BY sequence"
        ))
        .bind(player.as_bytes().as_slice())
        .bind(seq(since.min(i64::MAX as u64))?)
        .fetch_all(&self.pool)
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
             WHERE i.player_key = $1 AND i.record_type = 2 AND i.sequence < $2 \
             ORDER BY i.sequence DESC LIMIT $3"
        ))
        .bind(player.as_bytes().as_slice())
        .bind(seq(before.unwrap_or(u64::MAX).min(i64::MAX as u64))?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((record_from_row(row)?, row.opt_blob("cmr")?)))
            .collect()
    }

    async fn revocations(&self, player: &PlayerKey) -> Result<Vec<(u8, u64)>, StoreError> {
        let _timer = self.timer("revocations");
        let rows = sqlx::query(
            "SELECT record_type, min_valid_sequence FROM revocations WHERE player_key = $1 \
             ORDER BY record_type",
        )
        .bind(player.as_bytes().as_slice())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.small("record_type")?,
                    unseq(row.int("min_valid_sequence")?)?,
                ))
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
        // Without a cursor, $5 and $6 are NULL and the condition holds for every row.
        let sql = format!(
            "SELECT r.player_key, {RATING_COLUMNS}, {opponents} AS distinct_opponents \
             FROM ratings r WHERE r.game_module = $1 AND r.games_played >= $2 \
             AND {opponents} >= $3 \
             AND ($5::int8 IS NULL OR r.rating < $5 OR (r.rating = $5 AND r.player_key > $6)) \
             ORDER BY r.rating DESC, r.player_key ASC LIMIT $4"
        );
        let (rating, key) = match &after {
            Some((rating, key)) => (Some(*rating), Some(key.as_bytes().to_vec())),
            None => (None, None),
        };
        let rows = sqlx::query(&sql)
            .bind(module)
            .bind(i64::from(min_matches))
            .bind(i64::from(min_opponents))
            .bind(i64::from(limit))
            .bind(rating)
            .bind(key);
        // Decoded row by row as they stream in (see the SQLite store).
        let mut rows = rows.fetch(&self.pool);
        let mut board = Vec::new();
        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            board.push(LeaderboardRow {
                player_key: PlayerKey::from_bytes(key32(&row.blob("player_key")?)?),
                rating: rating_from_row(&row)?,
                distinct_opponents: count_u32(row.int("distinct_opponents")?)?,
            });
        }
        Ok(board)
    }

    async fn rotations(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let _timer = self.timer("rotations");
        let rows = sqlx::query("SELECT record FROM key_rotations ORDER BY sequence")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row.blob("record")).collect()
    }

    async fn add_rotation(&self, sequence: u64, record: &[u8], now: i64) -> Result<(), StoreError> {
        let _timer = self.timer("add_rotation");
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO key_rotations (sequence, record, created_at) VALUES ($1, $2, $3)")
            .bind(seq(sequence)?)
            .bind(record)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        super::log::append(&mut tx, [record]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn player_count(&self) -> Result<u64, StoreError> {
        let _timer = self.timer("player_count");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM players")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn trusted_relays(&self) -> Result<Vec<(RelayKey, String)>, StoreError> {
        let _timer = self.timer("trusted_relays");
        let rows = sqlx::query("SELECT relay_key, label FROM trusted_relays ORDER BY added_at")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    RelayKey::from_bytes(key32(&row.blob("relay_key")?)?),
                    row.text("label")?,
                ))
            })
            .collect()
    }

    async fn trust_relay(&self, key: &RelayKey, label: &str, now: i64) -> Result<bool, StoreError> {
        let _timer = self.timer("trust_relay");
        let done = sqlx::query(
            "INSERT INTO trusted_relays (relay_key, label, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.as_bytes().as_slice())
        .bind(label)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn untrust_relay(&self, key: &RelayKey) -> Result<bool, StoreError> {
        let _timer = self.timer("untrust_relay");
        let done = sqlx::query("DELETE FROM trusted_relays WHERE relay_key = $1")
            .bind(key.as_bytes().as_slice())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn roles_of(&self, principal: &PublicKey) -> Result<Vec<Role>, StoreError> {
        let _timer = self.timer("roles_of");
        let rows = sqlx::query("SELECT role FROM roles WHERE principal_key = $1 ORDER BY role")
            .bind(principal.as_bytes().as_slice())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| row.named("role", Role::from_name))
            .collect()
    }

    async fn all_roles(&self) -> Result<Vec<(PublicKey, Role)>, StoreError> {
        let _timer = self.timer("all_roles");
        let rows =
            sqlx::query("SELECT principal_key, role FROM roles ORDER BY role, principal_key")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.key("principal_key")?,
                    row.named("role", Role::from_name)?,
                ))
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
            "INSERT INTO roles (principal_key, role, granted_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(principal.as_bytes().as_slice())
        .bind(role.name())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_role(&self, principal: &PublicKey, role: Role) -> Result<bool, StoreError> {
        let _timer = self.timer("revoke_role");
        let done = sqlx::query("DELETE FROM roles WHERE principal_key = $1 AND role = $2")
            .bind(principal.as_bytes().as_slice())
            .bind(role.name())
            .execute(&self.pool)
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
            "INSERT INTO auth_challenges (challenge, principal_key, expires_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(challenge.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(expires_at)
        .execute(&self.pool)
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
            "DELETE FROM auth_challenges \
             WHERE challenge = $1 AND principal_key = $2 AND expires_at > $3",
        )
        .bind(challenge.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(now)
        .execute(&self.pool)
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
            "INSERT INTO auth_tokens (token_hash, principal_key, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(expires_at)
        .execute(&self.pool)
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
            "SELECT principal_key FROM auth_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.as_slice())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.key("principal_key")).transpose()
    }

    async fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        let _timer = self.timer("purge_expired");
        sqlx::query(
            "WITH challenges AS (DELETE FROM auth_challenges WHERE expires_at <= $1), \
             links AS (DELETE FROM web_login_links WHERE expires_at <= $1), \
             sessions AS (DELETE FROM web_sessions WHERE idle_expires_at <= $1) \
             DELETE FROM auth_tokens WHERE expires_at <= $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _timer = self.timer("ping");
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) -> Result<(), StoreError> {
        let _timer = self.timer("close");
        self.reads.close().await;
        self.pool.close().await;
        Ok(())
    }
}
