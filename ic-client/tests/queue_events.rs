//! The queue event stream against a stand-in server: a dropped connection is reopened and the
//! events keep coming; a refusal (an expired token) ends the stream with the server's code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use ic_client::api::{ApiClient, QueueEvent, Session};

/// First connection: one `queued` event, then the connection ends. Later ones: `match_found`,
/// then the stream stays open.
async fn events(
    axum::extract::State(connections): axum::extract::State<Arc<AtomicUsize>>,
    headers: HeaderMap,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer good") {
        let body = r#"{"error":"unauthorized","message":"a valid bearer token is required"}"#;
        return (
            StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    let first = connections.fetch_add(1, Ordering::SeqCst) == 0;
    let event = if first {
        r#"{"event":"queued","queue":"ra/ranked_1v1","players":["ed25519:aa"]}"#
    } else {
        r#"{"event":"match_found","match_id":7,"accept_deadline":99,"players":2,"queue":"ra/ranked_1v1"}"#
    };
    let name = if first { "queued" } else { "match_found" };
    let one = futures_util::stream::iter([Ok::<_, Infallible>(
        Event::default().event(name).data(event),
    )]);
    if first {
        Sse::new(one).into_response()
    } else {
        let open = one.chain(futures_util::stream::pending());
        Sse::new(open)
            .keep_alive(KeepAlive::default())
            .into_response()
    }
}

async fn stand_in() -> (String, Arc<AtomicUsize>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/v1/queue/events", get(events))
        .with_state(connections.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, connections)
}

#[tokio::test]
async fn a_dropped_stream_reconnects_and_delivers_the_next_event() {
    let (url, connections) = stand_in().await;
    let api = ApiClient::new(&url).unwrap();
    let session = Session::from_token("good".into(), i64::MAX, Vec::new());
    let mut events = api.queue_events(&session).unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, QueueEvent::Queued { ref queue, .. } if queue == "ra/ranked_1v1"));
    let second = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(second, QueueEvent::MatchFound { match_id: 7, .. }),
        "{second:?}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 2, "one reconnection");
    events.close();
}

#[tokio::test]
async fn a_refused_stream_ends_with_the_servers_code() {
    let (url, _) = stand_in().await;
    let api = ApiClient::new(&url).unwrap();
    let session = Session::from_token("expired".into(), 0, Vec::new());
    let mut events = api.queue_events(&session).unwrap();
    let error = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.server_code(), Some("unauthorized"), "{error}");
}
