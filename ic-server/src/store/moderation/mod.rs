//! What the moderation review queue keeps, behind its own trait so the core `Store` stays small.
//! Each method that changes state is one transaction, and every moderator write carries its audit
//! entry into that same transaction: no action without its audit line, no line without its action.

mod cases;
pub(crate) mod decode;
pub(crate) mod feed;
mod leaver_appeals;
mod review;
mod rows;
mod staff;

pub use cases::CaseStore;
pub use feed::{SanctionFeedRow, case_ref};
pub use leaver_appeals::{LeaverAppealStore, abandon_of_subject, abandon_subject};
pub use review::ReviewStore;
pub use rows::*;
pub use staff::StaffStore;

/// The moderation review queue's storage: every part, as one trait object.
pub trait ModerationStore: CaseStore + ReviewStore + StaffStore + LeaverAppealStore {}

impl<T: CaseStore + ReviewStore + StaffStore + LeaverAppealStore> ModerationStore for T {}
