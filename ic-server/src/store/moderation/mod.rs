//! What the moderation review queue keeps, behind its own trait so the core `Store` stays small.
//! Each method that changes state is one transaction, and every moderator write carries its audit
//! entry into that same transaction: no action without its audit line, no line without its action.

mod cases;
pub(crate) mod decode;
pub(crate) mod feed;
mod leaver_appeals;
pub(crate) mod received;
mod review;
mod rows;
mod staff;

pub use cases::CaseStore;
pub use feed::{SanctionFeedRow, case_ref};
pub use leaver_appeals::{LeaverAppealStore, abandon_of_subject, abandon_subject};
pub(crate) use received::received_sanction_store;
pub use received::{
    AppliedSanction, MAX_STORED_NOTE, ReceivedCounts, ReceivedOutcome, ReceivedSanction,
    ReceivedSanctionStore, SanctionEffect,
};
pub use review::ReviewStore;
pub use rows::*;
pub use staff::StaffStore;

/// The moderation review queue's storage: every part, as one trait object.
pub trait ModerationStore:
    CaseStore + ReviewStore + StaffStore + LeaverAppealStore + ReceivedSanctionStore
{
}

impl<T: CaseStore + ReviewStore + StaffStore + LeaverAppealStore + ReceivedSanctionStore>
    ModerationStore for T
{
}
