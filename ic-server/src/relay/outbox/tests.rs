//! The remote sink against a community stand-in: delivery, retries with back-off, refusal.

use super::*;
use crate::store::{Location, OutboxRoute, OutboxState};
use base64::Engine;
use scr::PlayerKey;
use std::collections::VecDeque;

/// A community answering `POST /v1/matches` with the queued statuses in turn (201 once
/// they run out) and a record for player `[7; 32]`; counts the requests.
struct Community {
    url: String,
    answers: Arc<Mutex<VecDeque<u16>>>,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

async fn community(answers: &[u16]) -> Community {
    let queue = Arc::new(Mutex::new(answers.iter().copied().collect::<VecDeque<_>>()));
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (q, n) = (queue.clone(), requests.clone());
    let app = axum::Router::new().route(
        "/v1/matches",
        axum::routing::post(move |body: bytes::Bytes| {
            let (q, n) = (q.clone(), n.clone());
            async move {
                n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let status = q.lock().unwrap().pop_front().unwrap_or(201);
                let key = PlayerKey::from_bytes([7; 32]).to_string();
                let b64 = base64::engine::general_purpose::STANDARD;
                let body = if status < 300 {
                    serde_json::json!({ "match_id": "", "records": { key: [b64.encode(&body)] } })
                } else {
                    serde_json::json!({ "error": "nope", "message": "not now" })
                };
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(body),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Community {
        url,
        answers: queue,
        requests,
    }
}

async fn sink(url: &str) -> (tempfile::TempDir, Arc<dyn OutboxStore>, RemoteSink) {
    sink_with(RelaySettings {
        community_url: format!("{url}/"),
        outbox_retry_min_secs: 10,
        outbox_retry_max_secs: 40,
        ..RelaySettings::default()
    })
    .await
}

async fn sink_with(
    settings: RelaySettings,
) -> (tempfile::TempDir, Arc<dyn OutboxStore>, RemoteSink) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::open(&Location::sqlite_in(dir.path()), None)
        .await
        .unwrap()
        .outbox;
    let metrics = OutboxMetrics::register(&crate::metrics::Metrics::new().unwrap()).unwrap();
    let sink = RemoteSink::new(store.clone(), &settings, metrics).unwrap();
    (dir, store, sink)
}

fn id(cmr: &[u8]) -> [u8; 32] {
    *MatchId::of_record(cmr).as_bytes()
}

#[tokio::test]
async fn a_result_taken_at_once_returns_the_records_and_is_settled() {
    let community = community(&[]).await;
    let (_dir, store, sink) = sink(&community.url).await;
    assert_eq!(sink.endpoint(), format!("{}/v1/matches", community.url));
    let records = sink.submit(b"cmr-1").await.unwrap();
    assert_eq!(
        records,
        vec![PlayerRecord {
            player_key: PlayerKey::from_bytes([7; 32]),
            bytes: b"cmr-1".to_vec()
        }]
    );
    let entry = store.outbox_entry(&id(b"cmr-1")).await.unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Delivered);
    assert_eq!(sink.metrics.delivered.get(), 1);
    assert_eq!(sink.metrics.queued.get(), 0);
    // Nothing left for the delivery task.
    let pass = sink.deliver_due(unix_now() + 1000).await.unwrap();
    assert_eq!(pass, DeliveryPass::default());
    assert_eq!(
        community.requests.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn an_unavailable_community_is_retried_with_backoff_until_it_takes_the_result() {
    let community = community(&[503, 502]).await;
    let (_dir, store, sink) = sink(&community.url).await;
    let error = sink.submit(b"cmr-2").await.unwrap_err();
    assert_eq!(error.outcome(), "queued", "{error}");
    let entry = store.outbox_entry(&id(b"cmr-2")).await.unwrap().unwrap();
    assert_eq!((entry.state, entry.attempts), (OutboxState::Pending, 1));
    assert!(entry.last_error.unwrap().contains("503"));
    let first_retry = entry.next_attempt_at;
    assert!(first_retry - entry.enqueued_at >= 10);
    assert_eq!(sink.metrics.queued.get(), 1);
    assert_eq!(sink.metrics.retried.get(), 1);

    // Not due before its backoff; then a 502: the pause doubles.
    assert_eq!(
        sink.deliver_due(first_retry - 1).await.unwrap(),
        DeliveryPass::default()
    );
    let pass = sink.deliver_due(first_retry).await.unwrap();
    assert_eq!(pass.retried, 1);
    let entry = store.outbox_entry(&id(b"cmr-2")).await.unwrap().unwrap();
    assert_eq!(entry.attempts, 2);
    assert!(entry.next_attempt_at - first_retry >= 20);

    let pass = sink.deliver_due(entry.next_attempt_at).await.unwrap();
    assert_eq!(pass.delivered, 1);
    let entry = store.outbox_entry(&id(b"cmr-2")).await.unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Delivered);
    assert_eq!(sink.metrics.queued.get(), 0);
    assert_eq!(sink.metrics.delivered.get(), 1);
    assert_eq!(
        community.requests.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

#[tokio::test]
async fn a_refused_result_is_kept_and_never_retried() {
    let community = community(&[403]).await;
    let (_dir, store, sink) = sink(&community.url).await;
    let error = sink.submit(b"cmr-3").await.unwrap_err();
    assert_eq!(error.outcome(), "refused", "{error}");
    let entry = store.outbox_entry(&id(b"cmr-3")).await.unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Refused);
    assert_eq!(
        entry.last_error.as_deref(),
        Some("403 Forbidden nope: not now")
    );
    assert_eq!(sink.metrics.refused.get(), 1);
    assert_eq!(sink.metrics.queued.get(), 0);
    assert_eq!(
        sink.deliver_due(i64::MAX).await.unwrap(),
        DeliveryPass::default()
    );
    assert_eq!(
        community.requests.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert!(community.answers.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_community_costs_one_request_per_pass() {
    // A port nobody listens on: every attempt fails to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, store, sink) = sink(&format!("http://127.0.0.1:{port}")).await;
    for n in 0..3u8 {
        store
            .enqueue(&[n; 32], &[n], OutboxRoute::Remote, 100)
            .await
            .unwrap();
    }
    let pass = sink.deliver_due(100).await.unwrap();
    assert_eq!(
        pass,
        DeliveryPass {
            retried: 1,
            ..DeliveryPass::default()
        }
    );
    assert_eq!(store.due(100, 10).await.unwrap().len(), 2);
    assert_eq!(sink.metrics.queued.get(), 3);
}

#[test]
fn backoff_doubles_from_the_minimum_up_to_the_cap() {
    let delays: Vec<i64> = (1..=8).map(|n| backoff_secs(n, 2, 60)).collect();
    assert_eq!(delays, vec![2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(backoff_secs(0, 2, 60), 2);
    assert_eq!(backoff_secs(u32::MAX, 3600, 86_400), 86_400);
}

#[test]
fn answers_decode_to_player_records() {
    let key = PlayerKey::from_bytes([7; 32]);
    let body = serde_json::json!({
        "match_id": "00",
        "records": { key.to_string(): ["AQID", "BAU="] },
    });
    let records = records_from_answer(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        records,
        vec![
            PlayerRecord {
                player_key: key,
                bytes: vec![1, 2, 3]
            },
            PlayerRecord {
                player_key: key,
                bytes: vec![4, 5]
            },
        ]
    );
    assert!(records_from_answer(b"<html>").is_err());
    let bad_key = serde_json::json!({ "records": { "alice": ["AQID"] } });
    assert!(records_from_answer(bad_key.to_string().as_bytes()).is_err());
    let bad_record = serde_json::json!({ "records": { key.to_string(): ["***"] } });
    assert!(records_from_answer(bad_record.to_string().as_bytes()).is_err());
}

#[test]
fn api_errors_are_described_by_code() {
    let body = br#"{"error":"untrusted_relay","message":"not a trusted relay"}"#;
    assert_eq!(
        describe_error(reqwest::StatusCode::FORBIDDEN, body),
        "403 Forbidden untrusted_relay: not a trusted relay"
    );
    assert_eq!(
        describe_error(reqwest::StatusCode::BAD_GATEWAY, b"down"),
        "502 Bad Gateway down"
    );
}

#[tokio::test]
async fn a_community_that_never_answers_is_given_up_on_after_the_request_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let (_dir, store, sink) = sink_with(RelaySettings {
        community_url: url,
        outbox_request_timeout_secs: 1,
        ..RelaySettings::default()
    })
    .await;
    let started = std::time::Instant::now();
    let error = sink.submit(b"cmr-silent").await.unwrap_err();
    // One second (the default would wait ten), then the result waits for its retry.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.outcome(), "queued", "{error}");
    let entry = store
        .outbox_entry(&id(b"cmr-silent"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((entry.state, entry.attempts), (OutboxState::Pending, 1));
}
