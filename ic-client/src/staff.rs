//! Staff sign-in to a community's web UI with the identity key this client holds: the key
//! answers the usual challenge, bound to the community key the wallet pinned, and the server
//! returns a single-use link for a browser. The private key never reaches the browser.

use crate::api::{ApiClient, ApiError};
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
    let (_, store) = wallet.open_community(&slug).await?;
    let chain = store.key_chain().await;
    store.close().await;
    // The pinned chain, not the server's document: a server posing as this community cannot
    // obtain an answer that the real one would accept.
    let session = api.login(identity.key_pair(), &chain?.current()).await?;
    Ok(api.staff_login_link(&session).await?)
}
