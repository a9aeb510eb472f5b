//! Reading the sanction feeds this community subscribes to: every `[federation] poll_secs`, each
//! publisher's feed after the last position received, checked against its key chain.
//!
//! Entries are checked against the chain from the key pinned in config (never from a key the
//! feed or the document merely claims), then judged by `sanction_policy` and made local by the
//! moderation service, one entry at a time in feed order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scr::KeyChain;
use serde::Deserialize;

use super::document;
use super::sanction_policy::{Verdict, judge};
use crate::config::SubscriptionConfig;
use crate::moderation::service::Publisher;
use crate::moderation::{ModerationError, ModerationService};

/// Entries asked for per request (the publisher's page limit).
const PAGE: u32 = 1000;
/// Pages read per publisher per round, so one busy feed cannot hold up the others.
const MAX_PAGES_PER_ROUND: usize = 10;
/// Largest page read: a thousand entries of a few hundred bytes fit many times over.
const MAX_PAGE_BYTES: usize = 4 << 20;

/// One page of a publisher's feed, as served.
#[derive(Deserialize)]
struct FeedPage {
    origin: String,
    entries: Vec<FeedEntry>,
}

#[derive(Deserialize)]
struct FeedEntry {
    seq: u64,
    note: String,
}

/// What the operator sees of one subscription between rounds.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PollStatus {
    /// Unix seconds of the last round that reached the publisher.
    pub last_read_at: Option<i64>,
    /// Why the last round failed, if it did (cleared by the next good round).
    pub last_error: Option<String>,
}

/// One subscribed publisher.
struct Subscription {
    config: SubscriptionConfig,
    publisher: Publisher,
    status: Mutex<PollStatus>,
}

/// The subscriber: the publishers and the service that makes their entries local.
pub struct Subscriber {
    subscriptions: Vec<Subscription>,
    service: Arc<ModerationService>,
    http: reqwest::Client,
    every: Duration,
}

/// Why a round of one publisher stopped.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    /// The publisher's document or feed could not be read.
    #[error("{0}")]
    Remote(String),
    /// The local database failed.
    #[error(transparent)]
    Local(#[from] ModerationError),
}

impl Subscriber {
    /// A subscriber to `subscriptions`, reading each every `every`.
    pub fn new(
        subscriptions: &[SubscriptionConfig],
        service: Arc<ModerationService>,
        every: Duration,
    ) -> Self {
        let subscriptions = subscriptions
            .iter()
            .map(|config| Subscription {
                publisher: Publisher {
                    key: config.key.into(),
                    url: config.url.trim_end_matches('/').to_owned(),
                },
                config: config.clone(),
                status: Mutex::new(PollStatus::default()),
            })
            .collect();
        Self {
            subscriptions,
            service,
            http: document::client(),
            every,
        }
    }

    /// Each subscription's config and status, in config order.
    pub fn statuses(&self) -> Vec<(SubscriptionConfig, PollStatus)> {
        self.subscriptions
            .iter()
            .map(|s| {
                let status = s.status.lock().map(|s| s.clone()).unwrap_or_default();
                (s.config.clone(), status)
            })
            .collect()
    }

    /// Reads every feed now and then every interval, forever.
    pub async fn run(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.round().await;
        }
    }

    /// One round over every publisher.
    pub async fn round(&self) {
        for subscription in &self.subscriptions {
            let outcome = self.read(subscription).await;
            let now = crate::clock::unix_now();
            let Ok(mut status) = subscription.status.lock() else {
                continue;
            };
            match outcome {
                Ok(()) => {
                    status.last_read_at = Some(now);
                    status.last_error = None;
                }
                Err(error) => {
                    tracing::warn!(publisher = %subscription.publisher.url, %error,
                        "reading a subscribed sanction feed failed");
                    status.last_error = Some(error.to_string());
                }
            }
        }
    }

    /// Reads one publisher's new entries. Its document (for its key chain) is fetched once a
    /// round, and only when there are entries to check.
    async fn read(&self, subscription: &Subscription) -> Result<(), RoundError> {
        let publisher = &subscription.publisher;
        let mut chain: Option<KeyChain> = None;
        for _ in 0..MAX_PAGES_PER_ROUND {
            let after = self.service.received_through(publisher).await?;
            let url = format!(
                "{}/v1/federation/sanctions?since={after}&limit={PAGE}",
                publisher.url
            );
            let body = document::get_bounded(&self.http, &url, MAX_PAGE_BYTES)
                .await
                .map_err(|why| RoundError::Remote(format!("its feed: {why}")))?;
            let page: FeedPage = serde_json::from_slice(&body)
                .map_err(|why| RoundError::Remote(format!("its feed does not parse: {why}")))?;
            if page.entries.is_empty() {
                break;
            }
            let chain = match &mut chain {
                Some(chain) => chain,
                None => chain.insert(
                    document::fetch(&self.http, &publisher.url)
                        .await
                        .and_then(|doc| doc.chain_from(subscription.config.key, None))
                        .map_err(|why| RoundError::Remote(format!("its document: {why}")))?,
                ),
            };
            let mut last = after;
            let mut refused = false;
            for entry in &page.entries {
                if entry.seq <= last {
                    return Err(RoundError::Remote(format!(
                        "its feed served position {} after {last}",
                        entry.seq
                    )));
                }
                last = entry.seq;
                refused |= self
                    .receive(subscription, chain, &page.origin, entry)
                    .await?;
            }
            // After a refusal the feed is read again from the last entry that verified, next
            // round: reading on now could loop on the same page.
            if refused || page.entries.len() < PAGE as usize {
                break;
            }
        }
        Ok(())
    }

    /// Verifies, judges and makes local one entry; true when it was refused.
    async fn receive(
        &self,
        subscription: &Subscription,
        chain: &KeyChain,
        origin: &str,
        entry: &FeedEntry,
    ) -> Result<bool, RoundError> {
        let now = crate::clock::unix_now();
        let read = transparency::read_sanction(&entry.note, origin, chain);
        let verdict = judge(
            read.as_ref().map_err(ToString::to_string),
            entry.seq,
            &subscription.config,
            now,
        );
        let refused = matches!(verdict, Verdict::Refuse(_));
        if let Verdict::Refuse(why) = &verdict {
            tracing::warn!(publisher = %subscription.publisher.url, seq = entry.seq, %why,
                "refused a federated sanction entry");
        }
        self.service
            .receive_federated(
                &subscription.publisher,
                entry.seq,
                &entry.note,
                read.as_ref().ok(),
                verdict,
                now,
            )
            .await?;
        Ok(refused)
    }
}
