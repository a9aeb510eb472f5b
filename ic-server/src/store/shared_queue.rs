//! The database side of a matchmaker that several processes share: requests from any process,
//! one leading process that applies them, and its messages (events, answers) back to all.
//!
//! Bodies are opaque text (the matchmaker's JSON), so this seam knows nothing of queues. On
//! PostgreSQL the leader is whoever holds an advisory lock and messages travel by
//! `LISTEN/NOTIFY`; a single SQLite process leads itself over in-memory channels.

use async_trait::async_trait;

use super::StoreError;

/// How the leader row names this process, for an operator reading it.
pub(crate) fn holder_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown-host".into());
    format!("{host} pid {}", std::process::id())
}

/// A request waiting for the leader, as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// Its place in the order of submission (the leader applies in this order).
    pub seq: i64,
    /// The request, as the submitter wrote it.
    pub body: String,
}

/// What a process hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A request was submitted (the leader should look at the pending requests).
    Request,
    /// A message of the leader for every process.
    Message(String),
}

/// Where requests go and messages come from, shared by every process on the database.
#[async_trait]
pub trait SharedQueue: Send + Sync {
    /// Stores `body` for the leader and wakes it. Returns once the request is durable.
    async fn submit(&self, body: &str) -> Result<(), StoreError>;

    /// Starts hearing requests and messages. A message sent while no one listens (or while
    /// the connection is lost) is not heard later.
    async fn listen(&self) -> Result<Box<dyn Notifications>, StoreError>;

    /// Becomes the leader if no live process is; `None` while another one leads. A leader
    /// whose heartbeat is older than `failover_secs` is presumed hung and cut off.
    async fn try_lead(&self, failover_secs: u64)
    -> Result<Option<Box<dyn Leadership>>, StoreError>;
}

/// A stream of notifications.
#[async_trait]
pub trait Notifications: Send {
    /// The next notification (waits for it).
    async fn next(&mut self) -> Result<Notification, StoreError>;
}

/// The right to apply requests and save the matchmaker's state; every write is fenced, so a
/// process that lost the lead (its connection dropped, another took over) fails instead of
/// writing over the new leader.
#[async_trait]
pub trait Leadership: Send {
    /// The state the previous leader saved last, if any.
    async fn load(&mut self) -> Result<Option<String>, StoreError>;

    /// The oldest requests not applied yet, at most `limit`.
    async fn pending(&mut self, limit: i64) -> Result<Vec<PendingRequest>, StoreError>;

    /// In one transaction: saves `state` (`None`: unchanged since the last save), removes the
    /// `applied` requests and sends `messages` to every process (delivered only if the
    /// transaction commits). Also counts as a heartbeat.
    async fn save(
        &mut self,
        state: Option<&str>,
        applied: &[i64],
        messages: &[String],
    ) -> Result<(), StoreError>;

    /// Tells the other processes this leader is alive.
    async fn heartbeat(&mut self) -> Result<(), StoreError>;
}
