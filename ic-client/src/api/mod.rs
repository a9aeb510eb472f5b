//! A typed client for the community server's HTTP API: community document, challenge login,
//! registration, record sync, rating refresh, revocations and third-party verification here;
//! matchmaking, rooms, moderation and standings in the modules below.

mod conduct;
mod find_match;
mod queue;
mod rooms;
mod standings;
mod transparency;
mod trust;
mod views;

pub use conduct::{Appeal, Report, ReportReceipt, Vote};
pub use find_match::{FindMatchError, ReadyMatch};
pub use queue::{Joined, QueueEvent, QueueEvents, QueueRequest};
pub use rooms::{LiveMatch, RoomListing, RoomRequest, Seat};
pub use standings::{
    AchievementDefinition, AchievementOffer, CampaignProgress, LeaderboardEntry, LeaderboardPage,
    Season,
};
pub use transparency::Inclusion;
pub use trust::{CommunityRequirement, PresentedRecord, TrustRequirement};
pub use views::{
    HeldAchievement, HistoryMatch, LeaverCooldown, MatchHistory, ModeratorAction, ModuleStanding,
    MySanctions, PlayerAchievements, Profile, ProfileSeason,
};

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::{CommunityKey, KeyPair, PlayerKey};
use serde::Deserialize;
use serde_json::json;

use crate::community::{CommunityDocument, PinError};

/// Domain separation of the login signature (issue 5).
pub const AUTH_CONTEXT: &[u8] = b"ic-server/auth/v1";
/// Largest response body read, so a hostile server cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("ic/", env!("CARGO_PKG_VERSION"));

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The URL cannot be used.
    #[error("invalid community URL {0:?}: it must be http:// or https:// with a host")]
    InvalidUrl(String),
    /// The server could not be reached or the connection broke.
    #[error("could not reach {url}: {source}")]
    Transport {
        /// The request URL.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error.
    #[error("{url} answered {status}: {code}: {message}")]
    Server {
        /// The request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The `error` code of the body (or `http_<status>` without one).
        code: String,
        /// The human message.
        message: String,
    },
    /// The answer is not what the API specifies.
    #[error("{url} sent an invalid response: {reason}")]
    BadResponse {
        /// The request URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The community document is not acceptable.
    #[error(transparent)]
    Document(#[from] PinError),
}

impl ApiError {
    /// The server's error code, if the server answered with one.
    pub fn server_code(&self) -> Option<&str> {
        match self {
            Self::Server { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A bearer token from a challenge login.
#[derive(Debug, Clone)]
pub struct Session {
    token: String,
    /// Unix seconds at which the token stops working.
    pub expires_at: i64,
    /// Roles the server granted.
    pub roles: Vec<String>,
}

impl Session {
    /// A session from a token obtained earlier (a game that keeps its token across restarts).
    pub fn from_token(token: String, expires_at: i64, roles: Vec<String>) -> Self {
        Self {
            token,
            expires_at,
            roles,
        }
    }

    /// The bearer token, for calling endpoints this client does not wrap (yet).
    pub fn bearer_token(&self) -> &str {
        &self.token
    }
}

/// The outcome of `POST /v1/players`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Newly registered; the initial records.
    Registered(Vec<Vec<u8>>),
    /// The key was registered before (e.g. a recovered identity).
    AlreadyRegistered,
}

/// `GET /v1/players/me/records`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsPage {
    /// Records with a sequence above `since`.
    pub records: Vec<Vec<u8>>,
    /// The community's rotation records, oldest first.
    pub rotations: Vec<Vec<u8>>,
}

/// One result of `POST /v1/credentials/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteVerdict {
    /// Whether the community accepts the record.
    pub valid: bool,
    /// The reason code when not.
    pub error: Option<String>,
    /// The record's type, when it decoded.
    #[serde(default)]
    pub record_type: Option<String>,
    /// The record's player, when it decoded.
    #[serde(default)]
    pub player_key: Option<String>,
    /// The record's sequence, when it decoded.
    #[serde(default)]
    pub sequence: Option<u64>,
}

/// A client for one community server.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// For the queue's event stream, which stays open: no total timeout.
    events: reqwest::Client,
    base: reqwest::Url,
}

impl ApiClient {
    /// A client for the community at `base_url` (e.g. `https://ic.example.org`).
    pub fn new(base_url: &str) -> Result<Self, ApiError> {
        let transport = |source| ApiError::Transport {
            url: base_url.to_owned(),
            source,
        };
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(USER_AGENT)
            .build()
            .map_err(transport)?;
        // The server sends a keep-alive every 15 s, so a stream silent for 45 s is dead.
        let events = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(45))
            .user_agent(USER_AGENT)
            .build()
            .map_err(transport)?;
        let base = normalize_url(base_url)?;
        Ok(Self { http, events, base })
    }

    /// A client sharing an existing HTTP client (connection pool, proxy, trusted roots). The
    /// queue's event stream uses it too, with the request timeout lifted for that request.
    pub fn with_http(http: reqwest::Client, base_url: &str) -> Result<Self, ApiError> {
        let base = normalize_url(base_url)?;
        Ok(Self {
            events: http.clone(),
            http,
            base,
        })
    }

    /// The server's base URL, normalized (no trailing slash).
    pub fn base_url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `GET /.well-known/ic-community`.
    pub async fn community_document(&self) -> Result<CommunityDocument, ApiError> {
        let body = self
            .send(self.http.get(self.url(".well-known/ic-community")?))
            .await?;
        Ok(CommunityDocument::from_json(&body)?)
    }

    /// Logs in by signing a fresh challenge with `identity`, bound to `community_key`.
    pub async fn login(
        &self,
        identity: &KeyPair,
        community_key: &CommunityKey,
    ) -> Result<Session, ApiError> {
        let key = identity.public_key().to_string();
        #[derive(Deserialize)]
        struct Challenge {
            challenge: String,
        }
        let url = self.url("v1/auth/challenge")?;
        let challenge: Challenge = self
            .json(
                self.http.post(url.clone()).json(&json!({ "key": key })),
                &url,
            )
            .await?;
        let challenge_bytes: [u8; 32] = BASE64
            .decode(&challenge.challenge)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| bad(&url, "challenge is not base64 of 32 bytes"))?;
        let signature = identity.sign(&auth_message(&challenge_bytes, community_key));
        #[derive(Deserialize)]
        struct Token {
            token: String,
            expires_at: i64,
            #[serde(default)]
            roles: Vec<String>,
        }
        let url = self.url("v1/auth/token")?;
        let token: Token = self
            .json(
                self.http.post(url.clone()).json(&json!({
                    "key": key,
                    "challenge": challenge.challenge,
                    "signature": BASE64.encode(signature),
                })),
                &url,
            )
            .await?;
        Ok(Session {
            token: token.token,
            expires_at: token.expires_at,
            roles: token.roles,
        })
    }

    /// `POST /v1/players`: registers the logged-in key.
    pub async fn register(
        &self,
        session: &Session,
        invite_code: Option<&str>,
    ) -> Result<Registration, ApiError> {
        let url = self.url("v1/players")?;
        let body = match invite_code {
            Some(code) => json!({ "invite_code": code }),
            None => json!({}),
        };
        let request = self.post(&url, session).json(&body);
        match self.json::<RecordList>(request, &url).await {
            Ok(list) => Ok(Registration::Registered(decode_records(
                &list.records,
                &url,
            )?)),
            Err(error) if error.server_code() == Some("already_registered") => {
                Ok(Registration::AlreadyRegistered)
            }
            Err(error) => Err(error),
        }
    }

    /// `GET /v1/players/me/records?since=`: records above `since`, and the rotations.
    pub async fn records_since(
        &self,
        session: &Session,
        since: u64,
    ) -> Result<RecordsPage, ApiError> {
        let mut url = self.url("v1/players/me/records")?;
        url.query_pairs_mut()
            .append_pair("since", &since.to_string());
        #[derive(Deserialize)]
        struct Page {
            records: Vec<String>,
            #[serde(default)]
            rotations: Vec<String>,
        }
        let page: Page = self.json(self.get(&url, session), &url).await?;
        Ok(RecordsPage {
            records: decode_records(&page.records, &url)?,
            rotations: decode_records(&page.rotations, &url)?,
        })
    }

    /// `POST /v1/players/me/refresh`: re-issued rating records.
    pub async fn refresh(&self, session: &Session) -> Result<Vec<Vec<u8>>, ApiError> {
        let url = self.url("v1/players/me/refresh")?;
        let list: RecordList = self.json(self.post(&url, session), &url).await?;
        decode_records(&list.records, &url)
    }

    /// `POST /v1/staff/login-link`: a single-use web sign-in link for the session's key (staff
    /// only) and its last valid Unix second.
    pub async fn staff_login_link(&self, session: &Session) -> Result<(String, i64), ApiError> {
        #[derive(Deserialize)]
        struct Link {
            url: String,
            expires_at: i64,
        }
        let url = self.url("v1/staff/login-link")?;
        let link: Link = self.json(self.post(&url, session), &url).await?;
        Ok((link.url, link.expires_at))
    }

    /// `GET /v1/players/{key}`: the player's public profile.
    pub async fn profile(&self, player: &PlayerKey) -> Result<Profile, ApiError> {
        let url = self.url(&format!("v1/players/{player}"))?;
        self.json(self.http.get(url.clone()), &url).await
    }

    /// `GET /v1/players/{key}/matches?limit=`: the player's recent certified matches.
    pub async fn match_history(
        &self,
        player: &PlayerKey,
        limit: u32,
    ) -> Result<MatchHistory, ApiError> {
        let url = self.url(&format!("v1/players/{player}/matches?limit={limit}"))?;
        self.json(self.http.get(url.clone()), &url).await
    }

    /// `GET /v1/players/{key}/achievements`: the achievements the player holds.
    pub async fn achievements(&self, player: &PlayerKey) -> Result<PlayerAchievements, ApiError> {
        let url = self.url(&format!("v1/players/{player}/achievements"))?;
        self.json(self.http.get(url.clone()), &url).await
    }

    /// `GET /v1/players/{key}/revocations`.
    pub async fn revocations(&self, player: &PlayerKey) -> Result<Vec<Vec<u8>>, ApiError> {
        let url = self.url(&format!("v1/players/{player}/revocations"))?;
        let list: RecordList = self.json(self.http.get(url.clone()), &url).await?;
        decode_records(&list.records, &url)
    }

    /// `POST /v1/credentials/verify`: the community's own verdict on each record.
    pub async fn verify_credentials(
        &self,
        records: &[Vec<u8>],
    ) -> Result<Vec<RemoteVerdict>, ApiError> {
        let url = self.url("v1/credentials/verify")?;
        let encoded: Vec<String> = records.iter().map(|record| BASE64.encode(record)).collect();
        #[derive(Deserialize)]
        struct Results {
            results: Vec<RemoteVerdict>,
        }
        let results: Results = self
            .json(
                self.http
                    .post(url.clone())
                    .json(&json!({ "records": encoded })),
                &url,
            )
            .await?;
        if results.results.len() != records.len() {
            return Err(bad(
                &url,
                "the number of results differs from the number of records",
            ));
        }
        Ok(results.results)
    }

    /// A `GET` of `url` with the session's token.
    fn get(&self, url: &reqwest::Url, session: &Session) -> reqwest::RequestBuilder {
        self.http.get(url.clone()).bearer_auth(&session.token)
    }

    /// A `POST` to `url` with the session's token.
    fn post(&self, url: &reqwest::Url, session: &Session) -> reqwest::RequestBuilder {
        self.http.post(url.clone()).bearer_auth(&session.token)
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ApiError> {
        self.base
            .join(path)
            .map_err(|_| ApiError::InvalidUrl(format!("{}{path}", self.base)))
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &reqwest::Url,
    ) -> Result<T, ApiError> {
        let body = self.send(request).await?;
        serde_json::from_slice(&body).map_err(|error| bad(url, &error.to_string()))
    }

    /// Sends the request and reads the body (capped), turning error statuses into errors.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ApiError> {
        let request = request.build().map_err(|source| ApiError::Transport {
            url: self.base.to_string(),
            source,
        })?;
        let url = request.url().to_string();
        let transport = |source| ApiError::Transport {
            url: url.clone(),
            source,
        };
        let mut response = self.http.execute(request).await.map_err(transport)?;
        let status = response.status();
        if response
            .content_length()
            .is_some_and(|length| length > MAX_BODY_BYTES as u64)
        {
            return Err(bad_str(&url, "response body is too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(bad_str(&url, "response body is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(body);
        }
        Err(server_error(&url, status, &body))
    }
}

/// The error a server answered with: its `error` code and message, or `http_<status>` and the
/// start of the body when the body is not the API's error body.
fn server_error(url: &str, status: reqwest::StatusCode, body: &[u8]) -> ApiError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        message: String,
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => (error.error, error.message),
        Err(_) => (
            format!("http_{}", status.as_u16()),
            String::from_utf8_lossy(body).chars().take(200).collect(),
        ),
    };
    ApiError::Server {
        url: url.to_owned(),
        status: status.as_u16(),
        code,
        message,
    }
}

#[derive(Deserialize)]
struct RecordList {
    records: Vec<String>,
}

/// The bytes a player signs to log in: context, challenge, community signing key.
pub fn auth_message(challenge: &[u8; 32], community_key: &CommunityKey) -> Vec<u8> {
    let mut message = Vec::with_capacity(AUTH_CONTEXT.len() + 64);
    message.extend_from_slice(AUTH_CONTEXT);
    message.extend_from_slice(challenge);
    message.extend_from_slice(community_key.as_bytes());
    message
}

/// Parses and normalizes a community URL: http or https, a host, no query or fragment, and a
/// trailing slash so relative API paths join under it.
pub fn normalize_url(text: &str) -> Result<reqwest::Url, ApiError> {
    let invalid = || ApiError::InvalidUrl(text.to_owned());
    let mut url = reqwest::Url::parse(text.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn decode_records(encoded: &[String], url: &reqwest::Url) -> Result<Vec<Vec<u8>>, ApiError> {
    encoded
        .iter()
        .map(|text| {
            BASE64
                .decode(text)
                .map_err(|_| bad(url, "a record is not standard base64"))
        })
        .collect()
}

fn bad(url: &reqwest::Url, reason: &str) -> ApiError {
    bad_str(url.as_str(), reason)
}

fn bad_str(url: &str, reason: &str) -> ApiError {
    ApiError::BadResponse {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_are_normalized_and_checked() {
        assert_eq!(
            normalize_url("http://127.0.0.1:19710").unwrap().as_str(),
            "http://127.0.0.1:19710/"
        );
        assert_eq!(
            normalize_url("https://ic.example.org/base")
                .unwrap()
                .as_str(),
            "https://ic.example.org/base/"
        );
        for bad in [
            "ftp://x",
            "not a url",
            "http://x/?a=1",
            "file:///etc",
            "http://user@x/",
        ] {
            assert!(
                matches!(normalize_url(bad), Err(ApiError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn auth_message_is_context_challenge_key() {
        let key = CommunityKey::from_bytes([9; 32]);
        let message = auth_message(&[1; 32], &key);
        assert_eq!(&message[..17], b"ic-server/auth/v1");
        assert_eq!(&message[17..49], &[1; 32]);
        assert_eq!(&message[49..], &[9; 32]);
    }
}
