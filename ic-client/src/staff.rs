//! Signed-in requests of the identity key this client holds, to a joined community: the key
//! answers the usual challenge, bound to the community key the wallet pinned. Staff get a
//! single-use web sign-in link (the private key never reaches the browser); players read their
//! own sanctions.

use crate::api::{ApiClient, ApiError, MySanctions, Session};
use crate::identity::Identity;
use crate::wallet::{Wallet, WalletError};

/// Why no sign-in link was made.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The wallet has not joined the community at this address.
    #[error(
        "no joined community has the address {0}; join it first (`ic join {0}`) so that ic \
         knows which key to trust"
    )]
    NotJoined(String),
    /// The wallet failed.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The server refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A web sign-in link for `identity` at the joined community whose address is `url`: the URL
/// and its last valid Unix second.
pub async fn login_link(
    wallet: &Wallet,
    identity: &Identity,
    url: &str,
) -> Result<(String, i64), StaffError> {
    let api = ApiClient::new(url)?;
    let address = api.base_url();
    let mut joined = None;
    for community in wallet.communities().await? {
        if community.info.server_url.trim_end_matches('/') == address {
            joined = Some(community.slug);
        }
    }
    let slug = joined.ok_or_else(|| StaffError::NotJoined(address.clone()))?;
    let (api, session) = login_joined(wallet, identity, &slug).await?;
    Ok(api.staff_login_link(&session).await?)
}

/// The caller's sanctions in the joined community `community` (slug, name or fingerprint):
/// the leaver cooldown and moderators' actions, with why and until when.
pub async fn my_sanctions(
    wallet: &Wallet,
    identity: &Identity,
    community: &str,
) -> Result<MySanctions, StaffError> {
    let (api, session) = sign_in(wallet, identity, community).await?;
    Ok(api.my_sanctions(&session).await?)
}

/// Signs `identity` in to the joined community `community` (slug, name or fingerprint): its
/// API client and a session, for any call that needs the player's token.
pub async fn sign_in(
    wallet: &Wallet,
    identity: &Identity,
    community: &str,
) -> Result<(ApiClient, Session), StaffError> {
    let slug = wallet.slug_of(community).await?;
    login_joined(wallet, identity, &slug).await
}

/// Logs `identity` in to the joined community `slug`, at the address it was joined with.
async fn login_joined(
    wallet: &Wallet,
    identity: &Identity,
    slug: &str,
) -> Result<(ApiClient, Session), StaffError> {
    let (_, store) = wallet.open_community(slug).await?;
    let info = store.info().await;
    let chain = store.key_chain().await;
    store.close().await;
    let api = ApiClient::new(&info?.server_url)?;
    // The pinned chain, not the server's document: a server posing as this community cannot
    // obtain an answer that the real one would accept.
    let session = api.login(identity.key_pair(), &chain?.current()).await?;
    Ok((api, session))
}
