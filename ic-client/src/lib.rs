//! The player-side library (credential wallet, community and relay clients); filled in by the ic-client issue.
