//! A running server with the moderation capability, a moderator and an admin, and helpers to
//! make members, certified matches, reports, assignments, votes and moderator actions.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use base64::Engine;
use scr::{CommunityKey, KeyPair};
use serde_json::{Value, json};

use super::common::*;

/// Key seeds of the staff; members get seeds from a counter.
pub const MODERATOR: u8 = 201;
const ADMIN: u8 = 202;

/// The server's config: competitive preset (moderation on), members eligible to review after
/// one certified match and to report without one (`reporter_min_matches` has its own test),
/// plus `moderation` lines and `extra` tables from the test.
pub fn config(moderation: &str, extra: &str) -> String {
    format!(
        "{TEST_LIMITS}[capabilities]\npreset = \"competitive\"\n\
         [auth]\nadmins = [\"{}\"]\n\
         [moderation]\nreporter_min_matches = 0\n{moderation}\n\
         [moderation.eligibility]\nmin_matches = 1\nmin_account_age_days = 0\n{extra}",
        player(ADMIN).public_key()
    )
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub relay: KeyPair,
    pub community: CommunityKey,
    pub moderator: String,
    pub admin: String,
    next_game: AtomicU64,
    next_member: AtomicU32,
}

/// A registered member with a bearer token.
pub struct Member {
    pub key: KeyPair,
    pub token: String,
}

impl Member {
    pub fn id(&self) -> String {
        self.key.public_key().to_string()
    }
}

impl World {
    pub async fn start(backend: Backend, moderation: &str, extra: &str) -> Self {
        Self::start_with(&format!(
            "{}{}",
            config(moderation, extra),
            backend.storage()
        ))
        .await
    }

    pub async fn start_with(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err) = cli(dir.path(), &["init"]);
        assert_eq!(code, 0, "{err}");
        std::fs::write(dir.path().join("ic-server.toml"), config).unwrap();
        let moderator = player(MODERATOR).public_key().to_string();
        let (code, _, err) = cli(dir.path(), &["roles", "grant", &moderator, "moderator"]);
        assert_eq!(code, 0, "{err}");
        let server = Server::spawn(dir.path());
        let community = server.community_key().await;
        let relay = server.relay_key();
        let moderator = server.login(&player(MODERATOR)).await;
        let admin = server.login(&player(ADMIN)).await;
        Self {
            dir,
            server,
            relay,
            community,
            moderator,
            admin,
            next_game: AtomicU64::new(1),
            next_member: AtomicU32::new(1),
        }
    }

    /// A fresh registered member.
    pub async fn member(&self) -> Member {
        let index = self.next_member.fetch_add(1, Ordering::SeqCst);
        let key = player_from(index);
        self.server.register(&key).await;
        let token = self.server.login(&key).await;
        Member { key, token }
    }

    /// A fresh member who played one certified match (eligible to review).
    pub async fn established(&self) -> Member {
        let member = self.member().await;
        let sparring = self.member().await;
        self.play(&member, &sparring).await;
        member
    }

    /// `winner` beats `loser` in a certified match; returns the match id.
    pub async fn play(&self, winner: &Member, loser: &Member) -> String {
        let game = self.next_game.fetch_add(1, Ordering::SeqCst);
        let bytes = duel(&self.relay, self.community, &winner.key, &loser.key, game);
        let (status, body) = self.server.post_bytes("/v1/matches", bytes).await;
        assert!(status == 201 || status == 200, "{status} {body}");
        body["match_id"].as_str().unwrap().to_owned()
    }

    /// Submits a certified match; returns the status and body (for refused results).
    pub async fn try_play(&self, winner: &Member, loser: &Member) -> (u16, Value, Vec<u8>) {
        let game = self.next_game.fetch_add(1, Ordering::SeqCst);
        let bytes = duel(&self.relay, self.community, &winner.key, &loser.key, game);
        let (status, body) = self.server.post_bytes("/v1/matches", bytes.clone()).await;
        (status, body, bytes)
    }

    pub async fn post(&self, path: &str, body: Value, token: &str) -> (u16, Value) {
        self.server.post_json(path, &body, Some(token)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.server.get(path, Some(token)).await
    }

    pub async fn report(
        &self,
        reporter: &Member,
        accused: &Member,
        category: &str,
        match_id: Option<&str>,
        note: &str,
    ) -> (u16, Value) {
        let mut body = json!({ "accused": accused.id(), "category": category, "note": note });
        if let Some(id) = match_id {
            body["match_id"] = json!(id);
        }
        self.post("/v1/reports", body, &reporter.token).await
    }

    /// Files a report that must succeed; returns the case id.
    pub async fn reported(&self, reporter: &Member, accused: &Member, category: &str) -> String {
        let (status, body) = self.report(reporter, accused, category, None, "").await;
        assert_eq!(status, 201, "{body}");
        body["case_id"].as_str().unwrap().to_owned()
    }

    /// The reviewer's next assignment (`Value::Null` when none).
    pub async fn next(&self, reviewer: &Member) -> Value {
        let (status, body) = self
            .post("/v1/review/assignments/next", json!({}), &reviewer.token)
            .await;
        assert_eq!(status, 200, "{body}");
        body["assignment"].clone()
    }

    pub async fn vote(
        &self,
        reviewer: &Member,
        assignment: &str,
        decision: &str,
        confidence: u8,
    ) -> (u16, Value) {
        self.post(
            &format!("/v1/review/assignments/{assignment}/vote"),
            json!({ "decision": decision, "confidence": confidence, "notes": "seen the replay" }),
            &reviewer.token,
        )
        .await
    }

    /// Takes the next assignment and votes on it; returns the case id.
    pub async fn review(&self, reviewer: &Member, decision: &str) -> String {
        let assignment = self.next(reviewer).await;
        let id = assignment["assignment_id"].as_str().expect("an assignment");
        let (status, body) = self.vote(reviewer, id, decision, 90).await;
        assert_eq!(status, 201, "{body}");
        assignment["case_id"].as_str().unwrap().to_owned()
    }

    pub async fn act(&self, case: &str, action: &str, reason: &str) -> (u16, Value) {
        self.post(
            &format!("/v1/moderation/cases/{case}/actions"),
            json!({ "action": action, "reason": reason }),
            &self.moderator,
        )
        .await
    }

    /// Tries to act on `case` with someone else's token.
    pub async fn act_as(&self, token: &str, case: &str) -> (u16, Value) {
        self.post(
            &format!("/v1/moderation/cases/{case}/actions"),
            json!({ "action": "close_no_action", "reason": "not mine to close" }),
            token,
        )
        .await
    }

    /// The published sanction feed after `since`, each entry read as a subscriber reads it:
    /// signed by a key of this community's chain, under its log origin.
    pub async fn feed(&self, since: u64) -> Vec<transparency::SanctionEntry> {
        let (status, page) = self
            .server
            .get(&format!("/v1/federation/sanctions?since={since}"), None)
            .await;
        assert_eq!(status, 200, "{page}");
        let chain = scr::KeyChain::new(self.community, None).unwrap();
        let origin = page["origin"].as_str().unwrap();
        assert_eq!(origin, ic_server::transparency::origin(&chain));
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                let note = entry["note"].as_str().unwrap();
                let read = transparency::read_sanction(note, origin, &chain).unwrap();
                assert_eq!(entry["seq"].as_u64(), Some(read.seq));
                read
            })
            .collect()
    }

    /// The moderator's case list entry for `case`.
    pub async fn listed(&self, case: &str) -> Option<Value> {
        let (status, body) = self
            .get("/v1/moderation/cases?limit=500", &self.moderator)
            .await;
        assert_eq!(status, 200, "{body}");
        body["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case_id"] == case)
            .cloned()
    }

    pub async fn state(&self, case: &str) -> String {
        self.listed(case).await.expect("listed")["state"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The admin's audit log.
    pub async fn audit(&self) -> Vec<Value> {
        let (status, body) = self
            .get("/v1/moderation/audit?limit=5000", &self.admin)
            .await;
        assert_eq!(status, 200, "{body}");
        body["entries"].as_array().unwrap().clone()
    }

    /// Moderator's view of every reviewer's record, by key.
    pub async fn reviewer_record(&self, reviewer: &Member) -> Value {
        let (status, body) = self.get("/v1/moderation/reviewers", &self.moderator).await;
        assert_eq!(status, 200, "{body}");
        body["reviewers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reviewer"] == reviewer.id())
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A web UI session cookie for `member` after granting them `role`, signed in with their
    /// own key as `ic staff login` does.
    pub async fn web_session(&self, member: &Member, role: &str) -> String {
        let (code, _, err) = cli(self.dir.path(), &["roles", "grant", &member.id(), role]);
        assert_eq!(code, 0, "{err}");
        let (status, body) = self
            .post("/v1/staff/login-link", json!({}), &member.token)
            .await;
        assert_eq!(status, 201, "{body}");
        let link = body["url"].as_str().unwrap();
        web::session_of(&web::sign_in(&self.server, link).await)
    }

    pub fn moderator_key(&self) -> String {
        player(MODERATOR).public_key().to_string()
    }
}

/// Every text form a key could take in a response.
pub fn key_forms(key: &KeyPair) -> Vec<String> {
    let bytes = key.public_key().as_bytes().to_owned();
    let hex = hex::encode(bytes);
    vec![
        hex.clone(),
        format!("ed25519:{hex}"),
        base64::engine::general_purpose::STANDARD.encode(bytes),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ]
}
