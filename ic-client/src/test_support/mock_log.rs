//! The mock community's transparency log: a list of leaves it serves signed checkpoints and
//! proofs of, with switches that make it lie (a forged root, a stranger's signature, a hidden
//! leaf, a broken proof), so the wallet's log step can be tested against each lie.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::KeyPair;
use serde::Deserialize;
use serde_json::json;
use transparency::{
    Checkpoint, Cosigner, Frontier, Hash, Note, consistency_from, consistency_indexes,
    inclusion_from, inclusion_indexes, leaf_hash,
};

use super::mock_server::Shared;

/// What the mock's log holds and how it misbehaves.
pub struct MockLog {
    /// The origin its checkpoints name.
    pub origin: String,
    /// The leaf hashes, in index order.
    pub leaves: Vec<Hash>,
    /// The size the served checkpoint covers.
    pub checkpoint_size: u64,
    /// Served instead of the true root: a fork.
    pub forged_root: Option<Hash>,
    /// Signs checkpoints instead of the community's key.
    pub signer: Option<KeyPair>,
    /// Leaves the inclusion endpoint says it does not know.
    pub hidden: Vec<Hash>,
    /// Whether inclusion proofs are served with a flipped bit.
    pub corrupt_proofs: bool,
    /// Witnesses whose cosignature (at the given time) the served checkpoint carries.
    pub cosigners: Vec<(Cosigner, KeyPair, u64)>,
}

impl MockLog {
    /// A log of `records`, its checkpoint covering all of them.
    pub fn of<'a>(origin: &str, records: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let leaves: Vec<Hash> = records.into_iter().map(leaf_hash).collect();
        Self {
            origin: origin.to_owned(),
            checkpoint_size: leaves.len() as u64,
            leaves,
            forged_root: None,
            signer: None,
            hidden: Vec::new(),
            corrupt_proofs: false,
            cosigners: Vec::new(),
        }
    }

    /// Appends `record` and signs a checkpoint covering it.
    pub fn append(&mut self, record: &[u8]) {
        self.leaves.push(leaf_hash(record));
        self.checkpoint_size = self.leaves.len() as u64;
    }

    fn stored(&self) -> Vec<Hash> {
        let mut tree = Frontier::empty();
        tree.append(&self.leaves).expect("a small tree").hashes
    }

    fn root(&self, size: u64) -> Hash {
        let mut tree = Frontier::empty();
        tree.append(&self.leaves[..size as usize])
            .expect("a small tree");
        tree.root()
    }

    fn pick(&self, positions: &[u64]) -> Vec<Hash> {
        let stored = self.stored();
        positions.iter().map(|&p| stored[p as usize]).collect()
    }
}

/// The log's routes, on the mock's state.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/transparency/checkpoint", get(checkpoint))
        .route("/v1/transparency/inclusion", get(inclusion))
        .route("/v1/transparency/consistency", get(consistency))
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code, "message": code }))).into_response()
}

async fn checkpoint(State(state): State<Shared>) -> Response {
    let state = state.lock().unwrap();
    let Some(log) = &state.log else {
        return error(StatusCode::NOT_FOUND, "not_found");
    };
    let size = log.checkpoint_size;
    let root = log.forged_root.unwrap_or_else(|| log.root(size));
    let body = Checkpoint::new(&log.origin, size, root).to_text();
    let signer = log.signer.as_ref().unwrap_or(&state.community.signing);
    let mut note = Note::sign(&body, &log.origin, signer).unwrap();
    for (cosigner, key, timestamp) in &log.cosigners {
        note.signatures
            .push(cosigner.cosign(&body, key, *timestamp).unwrap());
    }
    ([(header::CONTENT_TYPE, "text/plain")], note.to_text()).into_response()
}

#[derive(Deserialize)]
struct InclusionQuery {
    hash: String,
    tree_size: u64,
}

async fn inclusion(State(state): State<Shared>, Query(query): Query<InclusionQuery>) -> Response {
    let state = state.lock().unwrap();
    let Some(log) = &state.log else {
        return error(StatusCode::NOT_FOUND, "not_found");
    };
    let mut leaf = [0; 32];
    if hex::decode_to_slice(&query.hash, &mut leaf).is_err() {
        return error(StatusCode::BAD_REQUEST, "invalid_query");
    }
    let known = log
        .leaves
        .iter()
        .position(|held| *held == leaf && !log.hidden.contains(held));
    let Some(index) = known else {
        return error(StatusCode::NOT_FOUND, "unknown_leaf");
    };
    let size = query.tree_size;
    let Ok(needed) = inclusion_indexes(size, index as u64) else {
        return error(StatusCode::BAD_REQUEST, "tree_size_out_of_range");
    };
    if size > log.leaves.len() as u64 {
        return error(StatusCode::BAD_REQUEST, "tree_size_out_of_range");
    }
    let mut hashes = inclusion_from(size, index as u64, &log.pick(&needed)).unwrap();
    if log.corrupt_proofs {
        match hashes.first_mut() {
            Some(first) => first[0] ^= 1,
            None => hashes.push([0; 32]),
        }
    }
    Json(json!({
        "leaf_index": index,
        "tree_size": size,
        "hashes": hashes.iter().map(|h| BASE64.encode(h)).collect::<Vec<_>>(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    first: u64,
    second: u64,
}

async fn consistency(
    State(state): State<Shared>,
    Query(query): Query<ConsistencyQuery>,
) -> Response {
    let state = state.lock().unwrap();
    let Some(log) = &state.log else {
        return error(StatusCode::NOT_FOUND, "not_found");
    };
    let (first, second) = (query.first, query.second);
    let Ok(needed) = consistency_indexes(first, second) else {
        return error(StatusCode::BAD_REQUEST, "tree_size_out_of_range");
    };
    if second > log.leaves.len() as u64 {
        return error(StatusCode::BAD_REQUEST, "tree_size_out_of_range");
    }
    let hashes = consistency_from(first, second, &log.pick(&needed)).unwrap();
    Json(json!({ "hashes": hashes.iter().map(|h| BASE64.encode(h)).collect::<Vec<_>>() }))
        .into_response()
}
