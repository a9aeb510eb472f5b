//! [`ModerationStore`](crate::store::ModerationStore) for PostgreSQL: reads on the pool, every
//! change one transaction holding the moderation lock, so that several processes keep the
//! single-writer guarantees of the SQLite store (the last free reviewer slot is taken once).

mod cases;
mod leaver_appeals;
mod received;
mod review;
mod rows;
mod staff;
