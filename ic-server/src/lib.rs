//! The ic-server community server; filled in by the ic-server issue.
