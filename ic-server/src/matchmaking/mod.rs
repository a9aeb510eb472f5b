//! The matchmaker's rules without I/O: queue entries, the matching pass, team lobbies with
//! parties, the adaptive pass interval, ready checks and decline cooldowns, map pools and the
//! ranked map veto.
//!
//! Time is passed in as Unix milliseconds so every rule can be tested and simulated without a
//! clock; the HTTP layer and the background task wire these pieces to real time.

pub mod entry;
pub mod lobby;
pub mod map_as_list;
pub mod nearest;
pub mod pacing;
pub mod pass;
pub mod ready_check;
pub mod settings;
pub mod veto;

pub use entry::{EntryId, Member, QueueEntry, QueueMode};
pub use pass::{Proposal, RecentPairs, run_pass};
pub use ready_check::{DeclineHistory, ReadyCheck, ReadyOutcome};
pub use settings::{MatchmakingSettings, RelayListing};
pub use veto::{MapChoice, MapPool, MapVeto, PoolMap};
