//! The relay's durable outbox of certified match results bound for a remote community, behind
//! its own trait: written when a match ends, drained by the delivery task until each is taken.

use async_trait::async_trait;

use super::StoreError;

/// Seconds before an entry's next attempt: `min`, doubled for every failed attempt after the
/// first, at most `max`.
pub fn backoff_secs(attempts: u32, min: u64, max: u64) -> i64 {
    let doublings = attempts.saturating_sub(1).min(63);
    let delay = min.saturating_mul(1u64 << doublings).min(max);
    i64::try_from(delay).unwrap_or(i64::MAX)
}

/// Where an outbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Still to be sent (at or after its `next_attempt_at`).
    Pending,
    /// The community took it.
    Delivered,
    /// The community refused it for good (a 4xx answer); kept for the operator, not retried.
    Refused,
}

impl OutboxState {
    /// The name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Refused => "refused",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Refused]
            .into_iter()
            .find(|state| state.name() == name)
    }
}

/// Where an outbox entry goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxRoute {
    /// Posted to the community at `[relay] community_url`.
    Remote,
    /// Taken from the shared database by a ranking process of the same community.
    Local,
}

impl OutboxRoute {
    /// The name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Remote => "remote",
            Self::Local => "local",
        }
    }
}

/// One certified result in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The certified result's id (SHA-256 of its bytes).
    pub match_id: [u8; 32],
    /// The signed CertifiedMatchResult.
    pub cmr: Vec<u8>,
    /// Where it stands.
    pub state: OutboxState,
    /// When the match ended and the result was written here.
    pub enqueued_at: i64,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// Earliest time of the next attempt (meaningful while pending).
    pub next_attempt_at: i64,
    /// Why the last attempt failed or the community refused it.
    pub last_error: Option<String>,
    /// When it was delivered or refused.
    pub settled_at: Option<i64>,
}

/// The outbox's storage. Every method is one statement or transaction, so an acknowledged
/// enqueue survives a crash.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Writes a result bound for `route` as pending, due at `now`; returns false (and changes
    /// nothing) when an entry for `match_id` already exists.
    async fn enqueue(
        &self,
        match_id: &[u8; 32],
        cmr: &[u8],
        route: OutboxRoute,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Pending remote entries due at `now`, soonest due first (then oldest), at most `limit`.
    async fn due(&self, now: i64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Claims up to `limit` pending local entries due at `now` for one process: each is
    /// returned to one caller only (in any process), and is due again at `now + lease_secs`
    /// unless the claimer settles it first (so a claimer that dies does not lose it). Its
    /// `attempts` counts the claim.
    async fn claim_local(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Marks a pending entry delivered; returns false if it was not pending.
    async fn mark_delivered(&self, match_id: &[u8; 32], now: i64) -> Result<bool, StoreError>;
    /// Records a failed attempt of a pending entry: its attempt count, when to try next and why
    /// it failed; returns false if it was not pending.
    async fn mark_failed(
        &self,
        match_id: &[u8; 32],
        attempts: u32,
        next_attempt_at: i64,
        last_error: &str,
    ) -> Result<bool, StoreError>;
    /// Marks a pending entry refused for good; returns false if it was not pending.
    async fn mark_refused(
        &self,
        match_id: &[u8; 32],
        error: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Number of pending entries.
    async fn pending_count(&self) -> Result<u64, StoreError>;
    /// One entry, whatever its state.
    async fn outbox_entry(&self, match_id: &[u8; 32]) -> Result<Option<OutboxEntry>, StoreError>;
    /// Deletes delivered entries settled before `before`; returns how many. Refused and pending
    /// entries are never deleted.
    async fn prune_delivered(&self, before: i64) -> Result<u64, StoreError>;
    /// Entries in `state`, oldest first, at most `limit` (for the operator).
    async fn outbox_entries(
        &self,
        state: OutboxState,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Makes a refused entry pending again, due at `now`, its attempts reset (the operator fixed
    /// what the community refused it for); returns false if it was not refused.
    async fn requeue_refused(&self, match_id: &[u8; 32], now: i64) -> Result<bool, StoreError>;
}

/// The columns [`entry_from_row`] reads, from `relay_outbox`.
pub(crate) const OUTBOX_COLUMNS: &str =
    "match_id, cmr, state, enqueued_at, attempts, next_attempt_at, last_error, settled_at";

/// An outbox entry selected with [`OUTBOX_COLUMNS`], from either backend.
pub(crate) fn entry_from_row(
    row: &impl super::columns::Columns,
) -> Result<OutboxEntry, StoreError> {
    Ok(OutboxEntry {
        match_id: super::columns::key32(&row.blob("match_id")?)?,
        cmr: row.blob("cmr")?,
        state: row.named("state", OutboxState::from_name)?,
        enqueued_at: row.int("enqueued_at")?,
        attempts: row.small("attempts")?,
        next_attempt_at: row.int("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        settled_at: row.opt_int("settled_at")?,
    })
}
