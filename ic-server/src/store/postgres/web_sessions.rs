//! [`WebSessions`] for PostgreSQL: the link is marked used by a conditional `UPDATE`, whose row
//! lock makes a second, concurrent redemption find it used.

use async_trait::async_trait;
use scr::PublicKey;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::columns::Columns;
use crate::store::web_sessions::{
    LoginLink, NewSession, SESSION_COLUMNS, WebSession, WebSessions, link_from, session_from,
};

#[async_trait]
impl WebSessions for PostgresStore {
    async fn add_login_link(
        &self,
        token_hash: &[u8; 32],
        principal: &PublicKey,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _timer = self.timer("add_login_link");
        sqlx::query(
            "INSERT INTO web_login_links (token_hash, principal_key, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn login_link(&self, token_hash: &[u8; 32]) -> Result<Option<LoginLink>, StoreError> {
        let _timer = self.timer("login_link");
        let row = sqlx::query(
            "SELECT principal_key, expires_at, used_at FROM web_login_links WHERE token_hash = $1",
        )
        .bind(token_hash.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from).transpose()
    }

    async fn redeem_login_link(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        session: &NewSession,
    ) -> Result<Option<PublicKey>, StoreError> {
        let _timer = self.timer("redeem_login_link");
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE web_login_links SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at >= $3 \
             RETURNING principal_key",
        )
        .bind(now)
        .bind(token_hash.as_slice())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let principal = row.key("principal_key")?;
        let expires_at = now.saturating_add(session.max_secs);
        sqlx::query(
            "INSERT INTO web_sessions \
             (token_hash, principal_key, created_at, idle_expires_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.token_hash.as_slice())
        .bind(principal.as_bytes().as_slice())
        .bind(now)
        .bind(now.saturating_add(session.idle_secs).min(expires_at))
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(principal))
    }

    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<WebSession>, StoreError> {
        let _timer = self.timer("touch_session");
        let row = sqlx::query(&format!(
            "UPDATE web_sessions SET idle_expires_at = LEAST(expires_at, $1) \
             WHERE token_hash = $2 AND idle_expires_at > $3 AND expires_at > $4 \
             RETURNING {SESSION_COLUMNS}"
        ))
        .bind(now.saturating_add(idle_secs))
        .bind(token_hash.as_slice())
        .bind(now)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from).transpose()
    }

    async fn end_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let _timer = self.timer("end_session");
        let done = sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
