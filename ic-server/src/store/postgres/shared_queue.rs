//! The shared matchmaking queue on PostgreSQL: requests in a table, the leader chosen by a
//! session advisory lock, messages by `LISTEN/NOTIFY`, and the leader's writes fenced.
//!
//! The leader holds its lock on a connection of its own and makes every write on it, checking
//! in the same transaction that the leader row still names that connection: a leader cut off
//! for missing heartbeats (or whose connection dropped) cannot save over its successor.

use async_trait::async_trait;
use sqlx::postgres::{PgConnection, PgListener, PgPool};
use sqlx::{Connection, Postgres, Transaction};
use tokio::sync::Mutex;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::shared_queue::{
    Leadership, Notification, Notifications, PendingRequest, SharedQueue,
};

/// The advisory lock whose holder leads ("icmmlead").
const LEADER_LOCK: i64 = 0x6963_6d6d_6c65_6164;
/// Channel of the leader's messages.
const MESSAGES: &str = "ic_matchmaking";
/// Channel that wakes the leader when a request arrives.
const REQUESTS: &str = "ic_matchmaking_requests";

/// The shared queue on a PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PgSharedQueue {
    pool: PgPool,
    /// The connection a follower tries for the lead with, kept between tries (a new login
    /// every second would cost the database more than the try).
    campaign: Mutex<Option<PgConnection>>,
}

impl PostgresStore {
    /// The shared matchmaking queue on this database.
    pub(crate) fn shared_queue(&self) -> PgSharedQueue {
        PgSharedQueue {
            pool: self.pool.clone(),
            campaign: Mutex::new(None),
        }
    }
}

#[async_trait]
impl SharedQueue for PgSharedQueue {
    async fn submit(&self, body: &str) -> Result<(), StoreError> {
        sqlx::query(
            "WITH request AS (INSERT INTO matchmaking_requests (body) VALUES ($1) RETURNING seq) \
             SELECT pg_notify($2, '') FROM request",
        )
        .bind(body)
        .bind(REQUESTS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn listen(&self) -> Result<Box<dyn Notifications>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen_all([MESSAGES, REQUESTS]).await?;
        Ok(Box::new(PgNotifications(listener)))
    }

    async fn try_lead(
        &self,
        failover_secs: u64,
    ) -> Result<Option<Box<dyn Leadership>>, StoreError> {
        let mut campaign = self.campaign.lock().await;
        let mut conn = match campaign.take() {
            Some(conn) => conn,
            None => PgConnection::connect_with(&self.pool.connect_options()).await?,
        };
        let leading: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_LOCK)
            .fetch_one(&mut conn)
            .await?;
        if !leading {
            // The holder is alive as far as PostgreSQL knows (its session is open); if it has
            // not saved or beaten for too long it is hung: end its session, which frees the
            // lock for the next try.
            let hung: Option<i32> = sqlx::query_scalar(
                "SELECT backend_pid FROM matchmaking_leader \
                 WHERE id = 1 AND heartbeat_at < now() - make_interval(secs => $1)",
            )
            .bind(failover_secs as f64)
            .fetch_optional(&mut conn)
            .await?;
            if let Some(pid) = hung {
                tracing::warn!(
                    pid,
                    "the matchmaking leader stopped answering; ending its database session"
                );
                sqlx::query("SELECT pg_terminate_backend($1)")
                    .bind(pid)
                    .execute(&mut conn)
                    .await?;
            }
            *campaign = Some(conn);
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO matchmaking_leader (id, holder, backend_pid, heartbeat_at) \
             VALUES (1, $1, pg_backend_pid(), now()) \
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, \
             backend_pid = excluded.backend_pid, heartbeat_at = excluded.heartbeat_at",
        )
        .bind(crate::store::shared_queue::holder_name())
        .execute(&mut conn)
        .await?;
        Ok(Some(Box::new(PgLeadership { conn })))
    }
}

struct PgNotifications(PgListener);

#[async_trait]
impl Notifications for PgNotifications {
    async fn next(&mut self) -> Result<Notification, StoreError> {
        // sqlx reconnects a lost listener by itself on the next call (what was sent meanwhile
        // is lost); the error of this call is still reported.
        let notification = self.0.recv().await?;
        Ok(if notification.channel() == REQUESTS {
            Notification::Request
        } else {
            Notification::Message(notification.payload().to_owned())
        })
    }
}

struct PgLeadership {
    conn: PgConnection,
}

impl PgLeadership {
    /// Refreshes the heartbeat if this session still leads; fails otherwise.
    async fn fence(tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        let still = sqlx::query(
            "UPDATE matchmaking_leader SET heartbeat_at = now() \
             WHERE id = 1 AND backend_pid = pg_backend_pid()",
        )
        .execute(&mut **tx)
        .await?;
        if still.rows_affected() == 0 {
            return Err(StoreError::Unavailable(
                "this process no longer leads the matchmaking queue".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Leadership for PgLeadership {
    async fn load(&mut self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT state FROM matchmaking_state WHERE id = 1")
                .fetch_optional(&mut self.conn)
                .await?,
        )
    }

    async fn pending(&mut self, limit: i64) -> Result<Vec<PendingRequest>, StoreError> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, body FROM matchmaking_requests ORDER BY seq LIMIT $1")
                .bind(limit)
                .fetch_all(&mut self.conn)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, body)| PendingRequest { seq, body })
            .collect())
    }

    async fn save(
        &mut self,
        state: Option<&str>,
        applied: &[i64],
        messages: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.conn.begin().await?;
        Self::fence(&mut tx).await?;
        if let Some(state) = state {
            sqlx::query(
                "INSERT INTO matchmaking_state (id, state, saved_at) VALUES (1, $1, now()) \
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
            )
            .bind(state)
            .execute(&mut *tx)
            .await?;
        }
        if !applied.is_empty() {
            sqlx::query("DELETE FROM matchmaking_requests WHERE seq = ANY($1)")
                .bind(applied)
                .execute(&mut *tx)
                .await?;
        }
        if !messages.is_empty() {
            sqlx::query("SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message")
                .bind(MESSAGES)
                .bind(messages)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn heartbeat(&mut self) -> Result<(), StoreError> {
        let mut tx = self.conn.begin().await?;
        Self::fence(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
