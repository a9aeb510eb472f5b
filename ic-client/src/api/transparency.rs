//! The community's transparency log over HTTP: the newest signed checkpoint, and inclusion and
//! consistency proofs. Answers are only read here; the wallet's log check verifies them.

use base64::Engine;
use serde::Deserialize;
use transparency::Hash;

use super::{ApiClient, ApiError, bad};

/// The answer to an inclusion request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inclusion {
    /// The proof, for checking against the checkpoint's root.
    Proof {
        /// The leaf's index in the log.
        leaf_index: u64,
        /// The audit path.
        hashes: Vec<Hash>,
    },
    /// The community says no record with this leaf hash is in its log.
    UnknownLeaf,
    /// The leaf came after the tree size asked for: a later checkpoint will cover it.
    NotCovered,
}

#[derive(Deserialize)]
struct Proof {
    #[serde(default)]
    leaf_index: u64,
    hashes: Vec<String>,
}

impl ApiClient {
    /// The newest signed checkpoint note; `None` when the community has signed none yet or
    /// runs no log (a server from before the log).
    pub async fn checkpoint(&self) -> Result<Option<String>, ApiError> {
        let url = self.url("v1/transparency/checkpoint")?;
        match self.send(self.http.get(url.clone())).await {
            Ok(body) => String::from_utf8(body)
                .map(Some)
                .map_err(|_| bad(&url, "the checkpoint is not UTF-8")),
            Err(ApiError::Server { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The inclusion proof of the record with leaf hash `leaf` in the tree of `tree_size`.
    pub async fn inclusion(&self, leaf: &Hash, tree_size: u64) -> Result<Inclusion, ApiError> {
        let mut url = self.url("v1/transparency/inclusion")?;
        url.query_pairs_mut()
            .append_pair("hash", &hex::encode(leaf))
            .append_pair("tree_size", &tree_size.to_string());
        match self.json::<Proof>(self.http.get(url.clone()), &url).await {
            Ok(proof) => Ok(Inclusion::Proof {
                leaf_index: proof.leaf_index,
                hashes: decode(&url, &proof.hashes)?,
            }),
            Err(ApiError::Server { code, .. }) if code == "unknown_leaf" => {
                Ok(Inclusion::UnknownLeaf)
            }
            Err(ApiError::Server { code, .. }) if code == "tree_size_out_of_range" => {
                Ok(Inclusion::NotCovered)
            }
            Err(error) => Err(error),
        }
    }

    /// The consistency proof from the tree of `first` leaves to the tree of `second`.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<Vec<Hash>, ApiError> {
        let mut url = self.url("v1/transparency/consistency")?;
        url.query_pairs_mut()
            .append_pair("first", &first.to_string())
            .append_pair("second", &second.to_string());
        let proof: Proof = self.json(self.http.get(url.clone()), &url).await?;
        decode(&url, &proof.hashes)
    }
}

fn decode(url: &reqwest::Url, hashes: &[String]) -> Result<Vec<Hash>, ApiError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    hashes
        .iter()
        .map(|text| {
            b64.decode(text)
                .ok()
                .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
                .ok_or_else(|| bad(url, "a proof hash is not 32 bytes of base64"))
        })
        .collect()
}
