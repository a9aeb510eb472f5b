//! The relay's match logic without I/O; filled in by the relay-core issue.
