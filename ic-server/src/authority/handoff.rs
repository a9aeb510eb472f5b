//! The ranking side of results handed over through a shared database: claims the relays'
//! `local` outbox entries (each entry by one process), ingests them, and settles each.

use std::sync::Arc;
use std::time::Duration;

use super::{Authority, AuthorityError};
use crate::clock::unix_now;
use crate::store::OutboxStore;

/// Entries claimed at once.
const BATCH: u32 = 16;
/// How long a claim keeps an entry from other processes: long enough to ingest a batch, short
/// enough that a claimer that died delays its entries only briefly.
const LEASE_SECS: i64 = 30;
/// Pause when nothing was waiting.
const IDLE: Duration = Duration::from_millis(200);
/// First retry of a result that could not be applied for now; doubled per attempt, capped.
const RETRY_MIN_SECS: u64 = 2;
const RETRY_MAX_SECS: u64 = 300;

/// Whether a refusal is final: the same bytes will be refused again (a bad signature, an
/// untrusted relay, an unknown player or module). Suspensions end, and a busy or unreachable
/// database or a superseded key recover, so those are retried.
pub fn is_final(error: &AuthorityError) -> bool {
    !matches!(
        error,
        AuthorityError::Busy
            | AuthorityError::Store(_)
            | AuthorityError::SigningKeySuperseded(_)
            | AuthorityError::Suspended { .. }
    )
}

/// Ingests handed-over results until the task is aborted.
pub async fn drain(authority: Arc<Authority>, outbox: Arc<dyn OutboxStore>) {
    loop {
        let claimed = match outbox.claim_local(unix_now(), LEASE_SECS, BATCH).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming handed-over results failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        for entry in claimed {
            let now = unix_now();
            let id = hex::encode(entry.match_id);
            let settled = match authority.ingest(&entry.cmr, now).await {
                Ok(_) => outbox.mark_delivered(&entry.match_id, now).await,
                Err(error) if is_final(&error) => {
                    tracing::error!(match_id = %id, %error, "a handed-over result was refused");
                    outbox
                        .mark_refused(&entry.match_id, &error.to_string(), now)
                        .await
                }
                Err(error) => {
                    let delay = crate::store::outbox::backoff_secs(
                        entry.attempts,
                        RETRY_MIN_SECS,
                        RETRY_MAX_SECS,
                    );
                    tracing::warn!(match_id = %id, %error, retry_in_secs = delay, "a handed-over result waits");
                    outbox
                        .mark_failed(
                            &entry.match_id,
                            entry.attempts,
                            now.saturating_add(delay),
                            &error.to_string(),
                        )
                        .await
                }
            };
            if let Err(error) = settled {
                // The lease runs out and the entry is claimed again; ingest is idempotent.
                tracing::warn!(match_id = %id, %error, "settling a handed-over result failed");
            }
        }
    }
}
