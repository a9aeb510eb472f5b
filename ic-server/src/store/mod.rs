//! Persistent state behind traits, so the HTTP, relay and CLI code never see SQL.
//! [`open`] picks the backend from the configured location and returns the [`Stores`] bundle;
//! each backend lives in its own folder with its own migrations (`sqlite/`, `postgres/`).
//!
//! Every change that issues credentials is one `apply_*` call, one transaction, checked
//! optimistically against the player's sequence so concurrent writers never reuse a sequence.

pub mod abandons;
pub mod achievements;
pub mod backup;
pub mod campaigns;
mod columns;
#[cfg(test)]
mod conformance;
pub mod desperation;
mod error;
mod ledger;
mod local_queue;
mod location;
#[cfg(feature = "moderation")]
pub mod moderation;
pub mod outbox;
mod postgres;
pub mod seasons;
mod settle;
pub mod shared_queue;
mod sqlite;
pub mod transfer;
pub mod transparency;
pub mod web_sessions;
pub mod witness;

pub use self::transparency::{StoredCheckpoint, TransparencyLog};
pub use self::witness::{WitnessLog, WitnessedCheckpoint};
pub use abandons::{Abandon, Abandons};
pub use achievements::{AchievementRow, Achievements};
pub use campaigns::{CampaignProgress, Campaigns};
pub use desperation::DesperationMatches;
pub use error::StoreError;
pub use ledger::{
    Applied, IssuedRecord, LeaderboardRow, MatchChange, MatchInputs, PlayerChange, PlayerSnapshot,
    RatingRow, Registered, Registration, Role, Store,
};
pub use location::{Backend, Location, LocationError, hide_password, mask_password};
#[cfg(feature = "moderation")]
pub use moderation::ModerationStore;
pub use outbox::{OutboxEntry, OutboxRoute, OutboxState, OutboxStore};
pub use seasons::{SeasonChange, SeasonChanged, SeasonRow, Seasons, SoftReset, StandingRow};
pub use shared_queue::SharedQueue;
pub use web_sessions::{LoginLink, NewSession, WebSession, WebSessions};

use std::sync::Arc;

/// The stores a server needs, all on one database: the core store and, for the capabilities
/// built in, the moderation and outbox stores.
#[derive(Clone)]
pub struct Stores {
    /// Which backend holds them.
    pub backend: Backend,
    /// Players, credentials, keys, relays, roles, logins.
    pub core: Arc<dyn Store>,
    /// The moderation review queue.
    #[cfg(feature = "moderation")]
    pub moderation: Arc<dyn ModerationStore>,
    /// Certified results on their way from a relay to a ranking authority: a remote
    /// community, or a ranking process on this database.
    pub outbox: Arc<dyn OutboxStore>,
    /// Requests to the matchmaker and its messages, shared by every process on the database.
    pub queue: Arc<dyn SharedQueue>,
}

impl Stores {
    fn of<S>(backend: Backend, store: S, queue: Arc<dyn SharedQueue>) -> Self
    where
        S: Store + Clone,
        S: MaybeModeration + OutboxStore,
    {
        Self {
            backend,
            core: Arc::new(store.clone()),
            #[cfg(feature = "moderation")]
            moderation: Arc::new(store.clone()),
            outbox: Arc::new(store),
            queue,
        }
    }
}

/// What a backend must implement for the moderation capability, when it is built in.
#[cfg(feature = "moderation")]
trait MaybeModeration: ModerationStore {}
#[cfg(feature = "moderation")]
impl<T: ModerationStore> MaybeModeration for T {}
#[cfg(not(feature = "moderation"))]
trait MaybeModeration {}
#[cfg(not(feature = "moderation"))]
impl<T> MaybeModeration for T {}

/// Opens the database at `location` (creating a SQLite file if needed), applies its backend's
/// migrations, and returns its stores; `latency`, when given, times every operation.
pub async fn open(
    location: &Location,
    latency: Option<prometheus::HistogramVec>,
) -> Result<Stores, StoreError> {
    match location {
        Location::Sqlite(path) => {
            let mut store = sqlite::SqliteStore::open(path).await?;
            if let Some(latency) = latency {
                store = store.with_latency_metric(latency);
            }
            let queue = Arc::new(local_queue::LocalQueue::new(store.write.clone()));
            Ok(Stores::of(Backend::Sqlite, store, queue))
        }
        Location::Postgres(url) => {
            let mut store = postgres::PostgresStore::open(url).await?;
            if let Some(latency) = latency {
                store = store.with_latency_metric(latency);
            }
            let queue = Arc::new(store.shared_queue());
            Ok(Stores::of(Backend::Postgres, store, queue))
        }
    }
}
