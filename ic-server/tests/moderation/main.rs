//! The moderation review queue seen from outside: a real server process on loopback, driven
//! through the HTTP API by players, reviewers, moderators and an admin.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "../common/mod.rs"]
mod common;
mod world;

mod anonymity;
mod calibration;
mod errors;
mod evidence;
mod federated;
mod intake;
mod leaver_appeals;
mod lifecycle;
mod records;
mod reviewers;
mod settings;
mod web_forms;
