//! Certified results bound for a remote community: `RemoteSink` writes each to the durable
//! outbox before sending it by `POST {community_url}/v1/matches`, and its delivery task retries.
//!
//! Exactly once: the community deduplicates on the match id and answers a resubmission with the
//! records it issued the first time (200), so a retry after a lost answer changes nothing. At
//! least once: an entry leaves the pending state only when the community answered 2xx (taken) or
//! 4xx (refused for good, kept for the operator).

mod answer;
mod metrics;

pub use crate::store::outbox::backoff_secs;
pub use metrics::OutboxMetrics;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use relay_core::cmr::MatchId;

use self::answer::{describe_error, records_from_answer, truncate};
use super::results::{PlayerRecord, ResultSink, ResultSinkError};
use crate::clock::unix_now;
use crate::config::RelaySettings;
use crate::error_chain::error_chain;
use crate::store::{OutboxEntry, OutboxRoute, OutboxStore, StoreError};

/// How often the delivery task looks for due entries.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Entries handled per pass; the rest wait for the next pass.
const BATCH: u32 = 32;
/// Delivered entries are kept this long (so a late duplicate enqueue is still recognised), then
/// pruned.
const KEEP_DELIVERED_SECS: i64 = 7 * 86_400;
/// How often delivered entries are pruned.
const PRUNE_INTERVAL_SECS: i64 = 3_600;

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
        let queued = self
            .store
            .enqueue(&match_id, cmr, OutboxRoute::Remote, now)
            .await;
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

#[cfg(test)]
mod tests;
