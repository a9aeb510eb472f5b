//! Holding a community to its transparency log: during every sync the wallet accepts a new
//! checkpoint only if it extends the one before and proves every record it holds in the log;
//! `ic audit` re-checks all of that offline. A fork or rewrite becomes stored evidence.
//!
//! - Reading a served checkpoint against the community's key chain is the `transparency`
//!   crate's ([`transparency::read_checkpoint`]); witnesses use it too.
//! - [`online`]: the step a sync runs against the server.
//! - [`offline`]: `ic audit`, over what the wallet holds.

pub mod offline;
pub mod online;

pub use offline::{AuditReport, audit};
pub use online::{LogReport, check_log};
