//! Request extractors that fail with the API's JSON errors: JSON bodies, raw bodies, query
//! strings, bearer principals and the client address.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::auth::Principal;
use crate::clock::unix_now;

/// A JSON body; rejections become API errors.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// An optional JSON body: a request without one (no `Content-Type`, no length) reads as
/// `T::default()`, so routes that gained a body keep answering clients that send none.
#[cfg_attr(not(feature = "relay"), allow(dead_code))]
pub struct ApiJsonOrEmpty<T>(pub T);

impl<S, T> FromRequest<S> for ApiJsonOrEmpty<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers();
        let declared_length = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.parse::<u64>().ok());
        let typed = headers.contains_key(axum::http::header::CONTENT_TYPE);
        if !typed && declared_length.unwrap_or(0) == 0 {
            return Ok(Self(T::default()));
        }
        let ApiJson(value) = ApiJson::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// A raw body; rejections (too large) become API errors.
#[cfg_attr(not(feature = "ranking"), allow(dead_code))]
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Bytes::from_request(request, state).await?))
    }
}

/// Path parameters; a value of the wrong shape (`-1` for a number) is 400 `invalid_path`.
#[cfg_attr(
    not(any(feature = "ranking", feature = "relay", feature = "matchmaking")),
    allow(dead_code)
)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request("invalid_path", rejection.body_text())),
        }
    }
}

/// A query string; rejections become API errors.
#[cfg_attr(not(feature = "ranking"), allow(dead_code))]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

impl<S> FromRequestParts<S> for Principal
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        state
            .auth
            .principal(token.trim(), unix_now())
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The client's IP address: the connection's peer, or, when the peer is a configured trusted
/// proxy (`http.trusted_proxies`), the address that proxy saw, from `X-Forwarded-For`.
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self(client_ip(
            peer,
            &forwarded,
            &state.config.http.trusted_proxies,
        )))
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right, the first address that
/// is not a trusted proxy. Only a trusted peer's header counts (anyone can send the header), and
/// an unparsable entry stops the walk at the last address known to be real.
pub fn client_ip(peer: IpAddr, forwarded_for: &str, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(&peer) {
        return client;
    }
    for entry in forwarded_for.rsplit(',') {
        let Ok(address) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_may_name_the_client() {
        let proxy = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(ip("203.0.113.9"), "1.2.3.4", &proxy),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), "1.2.3.4", &proxy), ip("1.2.3.4"));
        assert_eq!(client_ip(ip("10.0.0.1"), "1.2.3.4", &[]), ip("10.0.0.1"));
    }

    #[test]
    fn a_spoofed_leftmost_entry_is_ignored_behind_a_chain_of_proxies() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client sent "6.6.6.6" itself; the outer proxy appended the real address.
        let header = "6.6.6.6, 198.51.100.7, 10.0.0.2";
        assert_eq!(
            client_ip(ip("10.0.0.1"), header, &proxies),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_missing_or_garbled_header_leaves_the_last_known_address() {
        let proxy = [ip("10.0.0.1")];
        assert_eq!(client_ip(ip("10.0.0.1"), "", &proxy), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), "nonsense", &proxy),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), "1.2.3.4, garbage", &proxy),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), "2001:db8::1", &proxy),
            ip("2001:db8::1")
        );
    }
}
