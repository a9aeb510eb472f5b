//! Certified results bound for a remote community: `RemoteSink` writes each to the durable
//! outbox before sending it by `POST {community_url}/v1/matches`, and its delivery task retries.
//!
//! Exactly once: the community deduplicates on the match id and answers a resubmission with the
//! records it issued the first time (200), so a retry after a lost answer changes nothing. At
//! least once: an entry leaves the pending state only when the community answered 2xx (taken) or
//! 4xx (refused for good, kept for the operator).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use prometheus::{IntCounter, IntGauge};
use relay_core::cmr::MatchId;
use scr::PlayerKey;

use super::results::{PlayerRecord, ResultSink, ResultSinkError};
use crate::clock::unix_now;
use crate::config::RelaySettings;
use crate::store::{OutboxEntry, OutboxStore, StoreError};

/// How often the delivery task looks for due entries.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Entries handled per pass; the rest wait for the next pass.
const BATCH: u32 = 32;
/// Delivered entries are kept this long (so a late duplicate enqueue is still recognised), then
/// pruned.
const KEEP_DELIVERED_SECS: i64 = 7 * 86_400;
/// How often delivered entries are pruned.
const PRUNE_INTERVAL_SECS: i64 = 3_600;
/// Longest error text kept per entry (a misconfigured URL may answer with a whole HTML page).
const MAX_ERROR_CHARS: usize = 500;

/// The outbox's Prometheus metrics, registered only when the outbox runs.
#[derive(Debug, Clone)]
pub struct OutboxMetrics {
    /// Results not yet taken by the community.
    pub queued: IntGauge,
    /// Results the community took.
    pub delivered: IntCounter,
    /// Failed attempts that will be retried.
    pub retried: IntCounter,
    /// Results the community refused for good.
    pub refused: IntCounter,
}

impl OutboxMetrics {
    /// Creates the metrics and registers them with the server's metrics.
    pub fn register(server: &crate::metrics::Metrics) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            queued: IntGauge::new(
                "relay_outbox_queued",
                "Certified results waiting to be taken by the community",
            )?,
            delivered: IntCounter::new(
                "relay_outbox_delivered_total",
                "Certified results the community took",
            )?,
            retried: IntCounter::new(
                "relay_outbox_retries_total",
                "Failed deliveries of certified results that will be retried",
            )?,
            refused: IntCounter::new(
                "relay_outbox_refused_total",
                "Certified results the community refused for good",
            )?,
        };
        server.register(Box::new(metrics.queued.clone()))?;
        server.register(Box::new(metrics.delivered.clone()))?;
        server.register(Box::new(metrics.retried.clone()))?;
        server.register(Box::new(metrics.refused.clone()))?;
        Ok(metrics)
    }
}

/// Why one delivery attempt did not hand over the result.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The community could not be reached or answered 5xx, 408, 429 or a redirect; retried.
    #[error("community unavailable: {0}")]
    Unavailable(String),
    /// The community answered 4xx: it will never take this result; not retried.
    #[error("community refused the result: {0}")]
    Refused(String),
    /// The community took the result but its answer did not decode; the players pull their
    /// records later.
    #[error("community took the result but answered with {0}")]
    BadAnswer(String),
}

/// Counts of one delivery pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryPass {
    /// Entries the community took.
    pub delivered: usize,
    /// Entries whose attempt failed and that wait for their next attempt.
    pub retried: usize,
    /// Entries the community refused for good.
    pub refused: usize,
}

/// Sends certified results to a remote community through the durable outbox; the result sink
/// of a relay whose server does not run the ranking capability.
pub struct RemoteSink {
    store: Arc<dyn OutboxStore>,
    http: reqwest::Client,
    endpoint: String,
    retry_min_secs: u64,
    retry_max_secs: u64,
    metrics: OutboxMetrics,
    // Match ids an attempt is under way for. The end-of-match attempt and the delivery task
    // would otherwise send the same entry at once; harmless for the community (idempotent) but
    // it would count twice. A std mutex: held only to insert or remove, never across an await.
    in_flight: Mutex<HashSet<[u8; 32]>>,
}

/// An attempt under way for one match id; the id is released when this is dropped.
struct Claim<'a> {
    sink: &'a RemoteSink,
    match_id: [u8; 32],
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.sink
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.match_id);
    }
}

impl RemoteSink {
    /// Delivers to `POST {settings.community_url}/v1/matches`, with `settings`' retry timing.
    pub fn new(
        store: Arc<dyn OutboxStore>,
        settings: &RelaySettings,
        metrics: OutboxMetrics,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.outbox_request_timeout_secs))
            // A redirect would turn the POST into a GET; it is reported (and retried) instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ic-server/", env!("CARGO_PKG_VERSION"), " relay"))
            .build()?;
        Ok(Self {
            store,
            http,
            endpoint: format!(
                "{}/v1/matches",
                settings.community_url.trim_end_matches('/')
            ),
            retry_min_secs: settings.outbox_retry_min_secs,
            retry_max_secs: settings.outbox_retry_max_secs,
            metrics,
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// The URL results are posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs the delivery task: a pass at once (results certified before a crash or restart go
    /// out first), then a pass whenever entries are due, until the task is aborted.
    pub async fn run(self: Arc<Self>) {
        let mut last_prune = i64::MIN;
        loop {
            let now = unix_now();
            match self.deliver_due(now).await {
                Ok(pass) if pass != DeliveryPass::default() => {
                    tracing::info!(
                        delivered = pass.delivered,
                        retried = pass.retried,
                        refused = pass.refused,
                        "outbox delivery pass"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reading the result outbox failed"),
            }
            if now.saturating_sub(last_prune) >= PRUNE_INTERVAL_SECS {
                last_prune = now;
                match self
                    .store
                    .prune_delivered(now.saturating_sub(KEEP_DELIVERED_SECS))
                    .await
                {
                    Ok(0) => {}
                    Ok(pruned) => tracing::debug!(pruned, "pruned delivered outbox entries"),
                    Err(error) => tracing::warn!(%error, "pruning the result outbox failed"),
                }
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Attempts every entry due at `now` (up to a batch). Stops at the first entry the community
    /// does not take for now (unreachable or failing), so an outage costs one failed request per
    /// pass, not one per entry; the others keep their schedule.
    pub async fn deliver_due(&self, now: i64) -> Result<DeliveryPass, StoreError> {
        let mut pass = DeliveryPass::default();
        let due = self.store.due(now, BATCH).await?;
        for entry in &due {
            let Some(_claim) = self.claim(entry.match_id) else {
                continue;
            };
            // Settled as of the pass's time, so the backoff counts from when the pass began.
            match self.attempt_and_settle(entry, now).await {
                Ok(_) => pass.delivered += 1,
                Err(DeliveryError::BadAnswer(_)) => pass.delivered += 1,
                Err(DeliveryError::Refused(_)) => pass.refused += 1,
                Err(DeliveryError::Unavailable(_)) => {
                    pass.retried += 1;
                    break;
                }
            }
        }
        self.update_queued().await;
        Ok(pass)
    }

    /// Marks `match_id` as being attempted; `None` when an attempt is already under way.
    fn claim(&self, match_id: [u8; 32]) -> Option<Claim<'_>> {
        let fresh = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(match_id);
        fresh.then_some(Claim {
            sink: self,
            match_id,
        })
    }

    /// One attempt, then the entry's new state in the store and the metrics.
    async fn attempt_and_settle(
        &self,
        entry: &OutboxEntry,
        now: i64,
    ) -> Result<Vec<PlayerRecord>, DeliveryError> {
        let outcome = self.post(&entry.cmr).await;
        let id = hex::encode(entry.match_id);
        let stored = match &outcome {
            Ok(_) | Err(DeliveryError::BadAnswer(_)) => {
                let changed = self.store.mark_delivered(&entry.match_id, now).await;
                if matches!(changed, Ok(true)) {
                    self.metrics.delivered.inc();
                    tracing::info!(match_id = %id, attempts = entry.attempts + 1, "result delivered");
                }
                changed
            }
            Err(DeliveryError::Refused(error)) => {
                let changed = self
                    .store
                    .mark_refused(&entry.match_id, &truncate(error), now)
                    .await;
                if matches!(changed, Ok(true)) {
                    self.metrics.refused.inc();
                    tracing::error!(
                        match_id = %id,
                        %error,
                        "the community refused a certified result; it stays in the outbox"
                    );
                }
                changed
            }
            Err(DeliveryError::Unavailable(error)) => {
                let attempts = entry.attempts.saturating_add(1);
                let next = now.saturating_add(self.backoff_secs(attempts));
                let changed = self
                    .store
                    .mark_failed(&entry.match_id, attempts, next, &truncate(error))
                    .await;
                if matches!(changed, Ok(true)) {
                    self.metrics.retried.inc();
                    tracing::warn!(
                        match_id = %id,
                        attempts,
                        retry_in_secs = next - now,
                        %error,
                        "result delivery failed; will retry"
                    );
                }
                changed
            }
        };
        if let Err(error) = stored {
            // The attempt's outcome is lost; the entry stays pending and is simply sent again.
            tracing::warn!(match_id = %id, %error, "recording a delivery attempt failed");
        }
        outcome
    }

    /// Seconds before attempt `attempts + 1`: the minimum, doubled per failed attempt, capped.
    pub fn backoff_secs(&self, attempts: u32) -> i64 {
        backoff_secs(attempts, self.retry_min_secs, self.retry_max_secs)
    }

    /// Posts the result; the records the community issued on 200 or 201.
    async fn post(&self, cmr: &[u8]) -> Result<Vec<PlayerRecord>, DeliveryError> {
        let response = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(cmr.to_vec())
            .send()
            .await
            .map_err(|error| DeliveryError::Unavailable(error_chain(&error)))?;
        let status = response.status();
        let body = response.bytes().await;
        if status.is_success() {
            let body = body.map_err(|error| DeliveryError::BadAnswer(error_chain(&error)))?;
            return records_from_answer(&body).map_err(DeliveryError::BadAnswer);
        }
        let detail = match &body {
            Ok(bytes) => describe_error(status, bytes),
            Err(error) => format!("{status} ({})", error_chain(error)),
        };
        let transient = status.is_server_error()
            || status.is_redirection()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        if transient || !status.is_client_error() {
            Err(DeliveryError::Unavailable(detail))
        } else {
            Err(DeliveryError::Refused(detail))
        }
    }

    /// Sets the queued gauge from the store.
    async fn update_queued(&self) {
        match self.store.pending_count().await {
            Ok(count) => self
                .metrics
                .queued
                .set(i64::try_from(count).unwrap_or(i64::MAX)),
            Err(error) => tracing::warn!(%error, "counting the result outbox failed"),
        }
    }
}

#[async_trait]
impl ResultSink for RemoteSink {
    /// Writes the result to the outbox, then tries to deliver it at once so the players still
    /// connected get their records; a failed attempt is left to the delivery task.
    async fn submit(&self, cmr: &[u8]) -> Result<Vec<PlayerRecord>, ResultSinkError> {
        let match_id = *MatchId::of_record(cmr).as_bytes();
        // Claimed before it is written, so the delivery task never picks it up meanwhile.
        let claim = self.claim(match_id);
        let now = unix_now();
        let queued = self.store.enqueue(&match_id, cmr, now).await;
        let entry = match queued {
            Ok(true) => OutboxEntry {
                match_id,
                cmr: cmr.to_vec(),
                state: crate::store::OutboxState::Pending,
                enqueued_at: now,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                settled_at: None,
            },
            // Submitted before (a relay certifies a match once, so this is rare): the stored
            // entry knows its attempts.
            Ok(false) => match self.store.outbox_entry(&match_id).await {
                Ok(Some(entry)) => entry,
                Ok(None) => {
                    return Err(ResultSinkError::Outbox(StoreError::Corrupt(
                        "an outbox entry vanished while being submitted".into(),
                    )));
                }
                Err(error) => return Err(ResultSinkError::Outbox(error)),
            },
            Err(error) => {
                // Not durable: still try once, so the result is not lost unless this fails too.
                tracing::error!(%error, "writing a certified result to the outbox failed");
                return match self.post(cmr).await {
                    Ok(records) => {
                        self.metrics.delivered.inc();
                        Ok(records)
                    }
                    Err(delivery) => {
                        tracing::error!(
                            match_id = %hex::encode(match_id),
                            %delivery,
                            "a certified result could neither be stored nor delivered"
                        );
                        Err(ResultSinkError::Outbox(error))
                    }
                };
            }
        };
        self.update_queued().await;
        if claim.is_none() {
            return Err(ResultSinkError::Remote(DeliveryError::Unavailable(
                "another attempt is under way".into(),
            )));
        }
        let outcome = self.attempt_and_settle(&entry, unix_now()).await;
        drop(claim);
        self.update_queued().await;
        outcome.map_err(ResultSinkError::Remote)
    }
}

/// `min`, doubled for every failed attempt after the first, at most `max` (seconds).
pub fn backoff_secs(attempts: u32, min: u64, max: u64) -> i64 {
    let doublings = attempts.saturating_sub(1).min(63);
    let delay = min.saturating_mul(1u64 << doublings).min(max);
    i64::try_from(delay).unwrap_or(i64::MAX)
}

/// The `POST /v1/matches` answer: records by player key text, base64.
#[derive(serde::Deserialize)]
struct Answer {
    records: BTreeMap<String, Vec<String>>,
}

/// The records in a 200/201 answer of `POST /v1/matches`.
fn records_from_answer(body: &[u8]) -> Result<Vec<PlayerRecord>, String> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|error| format!("an unreadable body: {error}"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut records = Vec::new();
    for (key, list) in answer.records {
        let player_key: PlayerKey = key
            .parse()
            .map_err(|error| format!("a bad player key {key:?}: {error}"))?;
        for text in list {
            let bytes = b64
                .decode(&text)
                .map_err(|error| format!("a record that is not base64: {error}"))?;
            records.push(PlayerRecord { player_key, bytes });
        }
    }
    Ok(records)
}

/// `"<status> <error code>: <message>"` from an API error body, or the status and body start.
fn describe_error(status: reqwest::StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) if value["error"].is_string() => format!(
            "{status} {}: {}",
            value["error"].as_str().unwrap_or_default(),
            value["message"].as_str().unwrap_or_default()
        ),
        _ => format!("{status} {}", String::from_utf8_lossy(body)),
    }
}

/// An error with its sources ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Location, OutboxState};
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
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open(&Location::sqlite_in(dir.path()), None)
            .await
            .unwrap()
            .outbox;
        let settings = RelaySettings {
            community_url: format!("{url}/"),
            outbox_retry_min_secs: 10,
            outbox_retry_max_secs: 40,
            ..RelaySettings::default()
        };
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
            store.enqueue(&[n; 32], &[n], 100).await.unwrap();
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
}
