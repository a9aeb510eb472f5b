//! Holding a community to its transparency log: during every sync the wallet accepts a new
//! checkpoint only if it extends the one before and proves every record it holds in the log;
//! `ic audit` re-checks all of that offline. A fork or rewrite becomes stored evidence.
//!
//! - [`signed`]: a served checkpoint note, checked against the community's key chain.
//! - [`online`]: the step a sync runs against the server.
//! - [`offline`]: `ic audit`, over what the wallet holds.

pub mod offline;
pub mod online;
pub mod signed;

pub use offline::{AuditReport, audit};
pub use online::{LogReport, check_log};
pub use signed::{SignedCheckpoint, read_checkpoint};
