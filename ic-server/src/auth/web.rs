//! Web sign-in without private keys in the browser: a staff member's own key (through the `ic`
//! CLI, or the operator on the server host) makes a single-use login link; the link opens a
//! browser session whose token lives only in a cookie, and forms carry a CSRF token derived
//! from it.

use scr::PublicKey;
use sha2::{Digest, Sha256};

use super::{Auth, AuthError, Principal, random_token, roles_of, token_hash};
use crate::store::{NewSession, Store};

/// How long a login link may be used: five minutes.
pub const LOGIN_LINK_SECS: i64 = 300;

/// Domain separation of the CSRF token.
const CSRF_DOMAIN: &[u8] = b"ic-server/csrf/v1\0";

/// A session opened by a login link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The session token, for the cookie; the store keeps only its hash.
    pub session_token: String,
    /// Who signed in, with their roles.
    pub principal: Principal,
    /// When the session ends whatever happens.
    pub expires_at: i64,
}

/// Makes a login link token for `key`, usable once within [`LOGIN_LINK_SECS`]; refused for a
/// key without a staff role unless `by_standing` (it reviews by standing). Returns the token
/// and its last valid second.
pub async fn issue_login_link(
    store: &dyn Store,
    admins: &[PublicKey],
    key: &PublicKey,
    by_standing: bool,
    now: i64,
) -> Result<(String, i64), AuthError> {
    if !by_standing && roles_of(store, admins, key).await?.is_empty() {
        return Err(AuthError::NotStaff(*key));
    }
    let token = random_token();
    let expires_at = now + LOGIN_LINK_SECS;
    store
        .add_login_link(&token_hash(&token), key, now, expires_at)
        .await?;
    Ok((token, expires_at))
}

/// The address a login link token is opened at: the community's URL, `/ui/sign-in?token=`.
pub fn sign_in_url(community_url: &str, token: &str) -> String {
    format!(
        "{}/ui/sign-in?token={token}",
        community_url.trim_end_matches('/')
    )
}

/// The CSRF token of the session `session_token`: a hash of it, so it needs no storage, is
/// bound to that one session, and cannot be derived by a page that cannot read the cookie.
pub fn csrf_token(session_token: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(CSRF_DOMAIN);
    hash.update(session_token.as_bytes());
    hex::encode(hash.finalize())
}

impl Auth {
    /// A login link token for `key` (see [`issue_login_link`]).
    pub async fn login_link(&self, key: &PublicKey, now: i64) -> Result<(String, i64), AuthError> {
        let by_standing = self.reviews_by_standing(key, now).await;
        issue_login_link(self.store.as_ref(), &self.admins, key, by_standing, now).await
    }

    /// Who a login link would sign in, if it is still usable at `now`.
    pub async fn login_link_holder(
        &self,
        link_token: &str,
        now: i64,
    ) -> Result<PublicKey, AuthError> {
        match self.store.login_link(&token_hash(link_token)).await? {
            Some(link) if link.used_at.is_none() && link.expires_at >= now => Ok(link.principal),
            _ => Err(AuthError::InvalidLoginLink),
        }
    }

    /// Uses a login link: opens a session living `idle_secs` without use and `max_secs` at
    /// most. Fails for an unknown, expired or used link, and for someone no longer staff.
    pub async fn sign_in(
        &self,
        link_token: &str,
        now: i64,
        idle_secs: i64,
        max_secs: i64,
    ) -> Result<SignedIn, AuthError> {
        let session_token = random_token();
        let session = NewSession {
            token_hash: token_hash(&session_token),
            idle_secs,
            max_secs,
        };
        let key = self
            .store
            .redeem_login_link(&token_hash(link_token), now, &session)
            .await?
            .ok_or(AuthError::InvalidLoginLink)?;
        let roles = self.roles(&key).await?;
        if roles.is_empty() && !self.reviews_by_standing(&key, now).await {
            self.store.end_session(&session.token_hash).await?;
            return Err(AuthError::NotStaff(key));
        }
        Ok(SignedIn {
            session_token,
            principal: Principal { key, roles },
            expires_at: now + max_secs,
        })
    }

    /// The signed-in principal of a session token alive at `now`, with the roles they hold
    /// now; using it keeps it alive for another `idle_secs`.
    pub async fn web_principal(
        &self,
        session_token: &str,
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<Principal>, AuthError> {
        let Some(session) = self
            .store
            .touch_session(&token_hash(session_token), now, idle_secs)
            .await?
        else {
            return Ok(None);
        };
        let roles = self.roles(&session.principal).await?;
        Ok(Some(Principal {
            key: session.principal,
            roles,
        }))
    }

    /// Ends the session of `session_token` (nothing happens for an unknown one).
    pub async fn sign_out(&self, session_token: &str) -> Result<(), AuthError> {
        self.store.end_session(&token_hash(session_token)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_belongs_to_one_session() {
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_eq!(csrf_token("a").len(), 64);
    }
}
