//! Trust between communities: requirements on records from other communities (rooms, queues),
//! the fetching and pinning of their documents, and the offline check of presented records.
//!
//! `requirement` is pure; `document` and `communities` do the network; `credentials` joins them.
//! `sanction_feed` publishes this community's moderation outcomes, signed, for subscribers;
//! `subscriber` reads other communities' feeds and `sanction_policy` (pure) judges each entry.

pub mod communities;
pub mod credentials;
pub mod document;
pub mod public_address;
pub mod requirement;
#[cfg(feature = "moderation")]
pub mod sanction_feed;
pub mod sanction_policy;
#[cfg(feature = "moderation")]
pub mod subscriber;

pub use communities::{CommunityError, RemoteCommunities};
pub use credentials::{CredentialError, OwnCommunity, PresentedCredential, verify_credentials};
pub use requirement::{Credential, TrustRequirement, Unmet};
