//! Web sign-in state behind a trait: single-use login links and the browser sessions they open.
//! Tokens never reach the store; only their SHA-256 hashes do.

use async_trait::async_trait;
use scr::PublicKey;

use super::StoreError;

/// A login link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLink {
    /// Who it signs in.
    pub principal: PublicKey,
    /// Last second it may be used.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
}

/// An open browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Who is signed in.
    pub principal: PublicKey,
    /// When the session was opened.
    pub created_at: i64,
    /// It ends at this second unless used before.
    pub idle_expires_at: i64,
    /// It ends at this second whatever happens.
    pub expires_at: i64,
}

/// The session a redeemed link opens: its token hash and lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the session token.
    pub token_hash: [u8; 32],
    /// Idle lifetime in seconds.
    pub idle_secs: i64,
    /// Absolute lifetime in seconds.
    pub max_secs: i64,
}

/// Login links and web sessions.
#[async_trait]
pub trait WebSessions: Send + Sync + 'static {
    /// Stores a new link for `principal`, usable until `expires_at` (inclusive).
    async fn add_login_link(
        &self,
        token_hash: &[u8; 32],
        principal: &PublicKey,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// The link with this hash, used or not, expired or not.
    async fn login_link(&self, token_hash: &[u8; 32]) -> Result<Option<LoginLink>, StoreError>;

    /// Uses the link once: if it is unused and unexpired at `now`, marks it used and opens
    /// `session` for its principal, in one transaction, and returns the principal. A link
    /// redeemed twice at once opens one session.
    async fn redeem_login_link(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        session: &NewSession,
    ) -> Result<Option<PublicKey>, StoreError>;

    /// The session with this hash if it is alive at `now`; using it pushes its idle expiry to
    /// `now + idle_secs` (never past its absolute expiry).
    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<WebSession>, StoreError>;

    /// Ends a session; whether there was one.
    async fn end_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError>;
}

/// Columns a session is read from, in the order [`session_from`] expects.
pub(super) const SESSION_COLUMNS: &str = "principal_key, created_at, idle_expires_at, expires_at";

/// A session from a row of `web_sessions` selected with [`SESSION_COLUMNS`].
pub(super) fn session_from(row: &impl super::columns::Columns) -> Result<WebSession, StoreError> {
    Ok(WebSession {
        principal: row.key("principal_key")?,
        created_at: row.int("created_at")?,
        idle_expires_at: row.int("idle_expires_at")?,
        expires_at: row.int("expires_at")?,
    })
}

/// A link from a row of `web_login_links`.
pub(super) fn link_from(row: &impl super::columns::Columns) -> Result<LoginLink, StoreError> {
    Ok(LoginLink {
        principal: row.key("principal_key")?,
        expires_at: row.int("expires_at")?,
        used_at: row.opt_int("used_at")?,
    })
}
