//! A small in-process stand-in for the community server's player API (issue 5's routes and
//! JSON shapes), so join and sync can be tested over real HTTP before and beside the real server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::{PlayerKey, PublicKey, RecordType};
use serde_json::{Value, json};

use super::Community;
use crate::api::auth_message;

/// What the mock serves; tests change it between calls.
pub struct MockState {
    pub community: Community,
    pub name: String,
    /// Replaces the community document when set (an impostor, a broken chain).
    pub document_override: Option<Value>,
    /// The transparency log, when the mock runs one.
    pub log: Option<super::mock_log::MockLog>,
    pub now: i64,
    challenges: HashMap<String, [u8; 32]>,
    players: HashMap<PlayerKey, Vec<Vec<u8>>>,
    sequences: HashMap<PlayerKey, u64>,
    counter: u8,
}

pub type Shared = Arc<Mutex<MockState>>;

impl MockState {
    pub fn new(community: Community, name: &str, now: i64) -> Shared {
        Arc::new(Mutex::new(Self {
            community,
            name: name.to_owned(),
            document_override: None,
            log: None,
            now,
            challenges: HashMap::new(),
            players: HashMap::new(),
            sequences: HashMap::new(),
            counter: 0,
        }))
    }

    fn next_sequence(&mut self, player: PlayerKey) -> u64 {
        let sequence = self.sequences.entry(player).or_insert(0);
        *sequence += 1;
        *sequence
    }

    /// Issues a rating record to `player` (signed by the current key).
    pub fn issue_rating(&mut self, player: PlayerKey, rating: i64) -> u64 {
        let sequence = self.next_sequence(player);
        let record = self
            .community
            .rating(player, sequence, self.now, "ra", rating);
        self.players
            .entry(player)
            .or_default()
            .push(record.into_bytes());
        sequence
    }

    /// Issues a match record to `player`.
    pub fn issue_match(&mut self, player: PlayerKey, match_id: u8) -> u64 {
        let sequence = self.next_sequence(player);
        let record = self.community.game(player, sequence, self.now, match_id);
        self.players
            .entry(player)
            .or_default()
            .push(record.into_bytes());
        sequence
    }

    /// Revokes `player`'s records of `target` below the next sequence.
    pub fn revoke(&mut self, player: PlayerKey, target: RecordType) -> u64 {
        let sequence = self.next_sequence(player);
        let record = self
            .community
            .revocation(player, sequence, self.now, target, sequence);
        self.players
            .entry(player)
            .or_default()
            .push(record.into_bytes());
        sequence
    }

    /// Hands `player` a record made elsewhere (e.g. signed by a retired key).
    pub fn push_raw(&mut self, player: PlayerKey, bytes: Vec<u8>) {
        self.players.entry(player).or_default().push(bytes);
    }

    /// Every record issued so far, player by player in issue order.
    pub fn issued(&self) -> Vec<Vec<u8>> {
        self.players.values().flatten().cloned().collect()
    }

    pub fn is_registered(&self, player: &PlayerKey) -> bool {
        self.players.contains_key(player)
    }
}

/// Starts the mock on a free loopback port; returns its URL.
pub async fn start(state: Shared) -> String {
    let app = Router::new()
        .route("/.well-known/ic-community", get(document))
        .route("/v1/auth/challenge", post(challenge))
        .route("/v1/auth/token", post(token))
        .route("/v1/players", post(register))
        .route("/v1/players/me/records", get(records))
        .route("/v1/players/me/refresh", post(refresh))
        .route("/v1/players/{key}/revocations", get(revocations))
        .merge(super::mock_log::routes())
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

type Reply = (StatusCode, Json<Value>);

fn error(status: StatusCode, code: &str) -> Reply {
    (status, Json(json!({ "error": code, "message": code })))
}

fn records_json(records: &[Vec<u8>]) -> Vec<String> {
    records.iter().map(|r| BASE64.encode(r)).collect()
}

async fn document(State(state): State<Shared>) -> Reply {
    let state = state.lock().unwrap();
    let mut body = state
        .document_override
        .clone()
        .unwrap_or_else(|| state.community.document_json(&state.name));
    if let Some(log) = &state.log {
        body["transparency_origin"] = json!(log.origin);
    }
    (StatusCode::OK, Json(body))
}

async fn challenge(State(state): State<Shared>, Json(body): Json<Value>) -> Reply {
    let mut state = state.lock().unwrap();
    state.counter = state.counter.wrapping_add(1);
    let bytes = [state.counter; 32];
    let key = body["key"].as_str().unwrap_or_default().to_owned();
    state.challenges.insert(key, bytes);
    (
        StatusCode::OK,
        Json(json!({ "challenge": BASE64.encode(bytes), "expires_at": state.now + 60 })),
    )
}

async fn token(State(state): State<Shared>, Json(body): Json<Value>) -> Reply {
    let mut state = state.lock().unwrap();
    let key_text = body["key"].as_str().unwrap_or_default().to_owned();
    let Some(challenge) = state.challenges.remove(&key_text) else {
        return error(StatusCode::UNAUTHORIZED, "unknown_challenge");
    };
    let Ok(key) = key_text.parse::<PublicKey>() else {
        return error(StatusCode::BAD_REQUEST, "bad_key");
    };
    let signature: Option<[u8; 64]> = BASE64
        .decode(body["signature"].as_str().unwrap_or_default())
        .ok()
        .and_then(|bytes| bytes.try_into().ok());
    let Some(signature) = signature else {
        return error(StatusCode::BAD_REQUEST, "bad_signature");
    };
    let message = auth_message(&challenge, &state.community.current_key());
    if scr::signature::verify_signature(&key, &message, &signature).is_err() {
        return error(StatusCode::UNAUTHORIZED, "bad_signature");
    }
    (
        StatusCode::OK,
        Json(json!({ "token": key_text, "expires_at": state.now + 3600, "roles": ["player"] })),
    )
}

fn bearer(headers: &HeaderMap) -> Option<PlayerKey> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .parse()
        .ok()
}

async fn register(State(state): State<Shared>, headers: HeaderMap) -> Reply {
    let Some(player) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    let mut state = state.lock().unwrap();
    if state.is_registered(&player) {
        return error(StatusCode::CONFLICT, "already_registered");
    }
    state.issue_rating(player, 1_500_000);
    let records = state.players[&player].clone();
    (
        StatusCode::CREATED,
        Json(json!({ "records": records_json(&records) })),
    )
}

async fn records(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, u64>>,
) -> Reply {
    let Some(player) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    let state = state.lock().unwrap();
    let since = query.get("since").copied().unwrap_or(0);
    let records: Vec<Vec<u8>> = state
        .players
        .get(&player)
        .into_iter()
        .flatten()
        .filter(|bytes| scr::Record::decode(bytes).unwrap().sequence() > since)
        .cloned()
        .collect();
    (
        StatusCode::OK,
        Json(
            json!({ "records": records_json(&records), "rotations": records_json(&state.community.rotations) }),
        ),
    )
}

async fn refresh(State(state): State<Shared>, headers: HeaderMap) -> Reply {
    let Some(player) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    let mut state = state.lock().unwrap();
    state.issue_rating(player, 1_500_000);
    let record = state.players[&player].last().cloned().unwrap();
    (
        StatusCode::OK,
        Json(json!({ "records": records_json(&[record]) })),
    )
}

async fn revocations(State(state): State<Shared>, Path(key): Path<String>) -> Reply {
    let Ok(player) = key.parse::<PlayerKey>() else {
        return error(StatusCode::BAD_REQUEST, "bad_key");
    };
    let state = state.lock().unwrap();
    let records: Vec<Vec<u8>> = state
        .players
        .get(&player)
        .into_iter()
        .flatten()
        .filter(|bytes| scr::Record::decode(bytes).unwrap().record_type() == RecordType::Revocation)
        .cloned()
        .collect();
    (
        StatusCode::OK,
        Json(json!({ "records": records_json(&records) })),
    )
}
