//! Certified results handed to a ranking process through the database this relay shares with
//! it (PostgreSQL, several processes): written to the outbox as `local` entries, taken by one
//! ranking process each, and the records it issued read back from the ledger for the players.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relay_core::cmr::MatchId;

use super::outbox::DeliveryError;
use super::results::{PlayerRecord, ResultSink, ResultSinkError};
use crate::clock::unix_now;
use crate::store::{OutboxRoute, OutboxStore, Store};

/// How long a match end waits for a ranking process to apply the result before the players
/// are left to pull their records later.
const WAIT_FOR_RECORDS: Duration = Duration::from_secs(5);
/// How often it looks whether the result was applied.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// The result sink of a relay process without the ranking capability whose database a ranking
/// process of the same community shares.
pub struct DatabaseHandoff {
    outbox: Arc<dyn OutboxStore>,
    ledger: Arc<dyn Store>,
}

impl DatabaseHandoff {
    /// Hands results over through `outbox` and reads the records back from `ledger`.
    pub fn new(outbox: Arc<dyn OutboxStore>, ledger: Arc<dyn Store>) -> Self {
        Self { outbox, ledger }
    }
}

#[async_trait]
impl ResultSink for DatabaseHandoff {
    /// Writes the result for a ranking process (durably, before anything else), then waits
    /// briefly for the records it issues so the players still connected get them.
    async fn submit(&self, cmr: &[u8]) -> Result<Vec<PlayerRecord>, ResultSinkError> {
        let match_id = *MatchId::of_record(cmr).as_bytes();
        self.outbox
            .enqueue(&match_id, cmr, OutboxRoute::Local, unix_now())
            .await
            .map_err(ResultSinkError::Outbox)?;
        let deadline = tokio::time::Instant::now() + WAIT_FOR_RECORDS;
        loop {
            match self.ledger.match_records(&match_id).await {
                Ok(Some(records)) => {
                    return Ok(records
                        .into_iter()
                        .map(|record| PlayerRecord {
                            player_key: record.player_key,
                            bytes: record.bytes,
                        })
                        .collect());
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "reading a handed-over result's records"),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ResultSinkError::Remote(DeliveryError::Unavailable(
                    "no ranking process has applied the result yet; it stays in the outbox".into(),
                )));
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    }
}
