//! Publishing this community's moderation outcomes: the stored feed rows, each signed on the way
//! out as a C2SP signed note by the community's current key under its log origin.
//!
//! Ed25519 signatures are deterministic, so an entry read twice is the same note until a key
//! rotation; subscribers verify against the chain, which holds every key.

use scr::PlayerKey;
use transparency::{NoteError, SanctionEntry};

use crate::community::{Community, Superseded};
use crate::store::StoreError;
use crate::store::moderation::{SanctionFeedRow, StaffStore};

/// Most entries one read returns.
pub const MAX_FEED_PAGE: u32 = 1000;

/// A page of the published feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// The log origin the entries are published (and signed) under.
    pub origin: String,
    /// `(position, signed note)`, in feed order.
    pub entries: Vec<(u64, String)>,
}

/// Why the feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// This process holds a key the community rotated past.
    #[error(transparent)]
    Superseded(#[from] Superseded),
    /// A stored row does not make a valid entry.
    #[error("a stored sanction does not make a valid entry: {0}")]
    Entry(String),
}

impl From<NoteError> for FeedError {
    fn from(error: NoteError) -> Self {
        Self::Entry(error.to_string())
    }
}

/// The entry a stored row publishes, under `origin`.
pub fn entry_of(row: &SanctionFeedRow, origin: &str) -> SanctionEntry {
    SanctionEntry {
        origin: origin.to_owned(),
        seq: row.seq,
        subject: PlayerKey::from(row.subject),
        action: row.action.clone(),
        scope: row.scope.clone(),
        expires_at: row.expires_at,
        reason: row.reason.clone(),
        case_ref: row.case_ref,
        negates: row.negates,
        issued_at: row.issued_at,
    }
}

/// The signed entries after position `after`, at most `limit` (capped at [`MAX_FEED_PAGE`]).
pub async fn published(
    store: &dyn StaffStore,
    community: &Community,
    after: u64,
    limit: u32,
) -> Result<FeedPage, FeedError> {
    let signing = community.current();
    let key = signing.issuer()?;
    let origin = crate::transparency::origin(&signing.chain);
    let rows = store.sanction_feed(after, limit.min(MAX_FEED_PAGE)).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let entry = entry_of(row, &origin);
        entry
            .validate()
            .map_err(|problem| FeedError::Entry(problem.to_string()))?;
        entries.push((row.seq, entry.sign(key)?));
    }
    Ok(FeedPage { origin, entries })
}
