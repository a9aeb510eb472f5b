//! Asking witnesses to cosign the log's newest checkpoint (the client side of C2SP
//! `tlog-witness`), and keeping the cosignatures they return with the checkpoint served.
//!
//! Each witness is asked once per checkpoint; one that is down or refuses is asked again on the
//! next round. What a witness last cosigned is learned from its answers (`409` names the size).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use transparency::{AddCheckpoint, Cosigner, Note};

use super::proofs::{self, ProofRequestError};
use crate::config::WitnessConfig;
use crate::store::{StoreError, StoredCheckpoint, TransparencyLog};

/// How long one witness may take to answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a witness did not cosign this round.
#[derive(Debug, thiserror::Error)]
pub enum CosigningError {
    /// The log could not be read, or the cosignatures kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A consistency proof for the witness could not be made.
    #[error("consistency proof for the witness: {0}")]
    Proof(#[from] ProofRequestError),
    /// The witness could not be reached.
    #[error("the witness did not answer: {0}")]
    Unreachable(#[from] reqwest::Error),
    /// The witness refused (its status and body), or answered without a valid cosignature.
    #[error("the witness refused ({status}): {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The body, as sent.
        body: String,
    },
}

/// A witness this community asks, and the size it last cosigned as far as known (only the
/// checkpoint task asks, one witness after the other).
struct AskedWitness {
    cosigner: Cosigner,
    url: String,
    cosigned_size: AtomicU64,
}

/// The witnesses this community asks for cosignatures.
pub struct Witnesses {
    asked: Vec<AskedWitness>,
    http: reqwest::Client,
    /// Requests by witness and outcome.
    counted: prometheus::IntCounterVec,
}

impl Witnesses {
    /// The witnesses of `config` (validated: every verifier key reads); each request is
    /// counted in `counted` by witness name and outcome.
    pub fn new(
        config: &[WitnessConfig],
        counted: prometheus::IntCounterVec,
    ) -> Result<Self, transparency::NoteError> {
        let asked = config
            .iter()
            .map(|witness| {
                Ok(AskedWitness {
                    cosigner: Cosigner::from_vkey(&witness.vkey)?,
                    url: witness.url.trim_end_matches('/').to_owned(),
                    cosigned_size: AtomicU64::new(0),
                })
            })
            .collect::<Result<_, transparency::NoteError>>()?;
        let http = reqwest::Client::builder()
            .timeout(ASK_TIMEOUT)
            .build()
            .unwrap_or_default();
        Ok(Self {
            asked,
            http,
            counted,
        })
    }

    /// Asks every witness that has not cosigned the newest checkpoint yet; returns how many
    /// cosigned now. Failures are logged: the next round asks again.
    pub async fn ask_all(&self, log: &dyn TransparencyLog) -> usize {
        if self.asked.is_empty() {
            return 0;
        }
        // The newest checkpoint, read and parsed once for the round.
        let kept = match log.latest_checkpoint().await {
            Ok(Some(kept)) => kept,
            Ok(None) => return 0,
            Err(error) => {
                tracing::warn!(%error, "reading the checkpoint for the witnesses failed");
                return 0;
            }
        };
        let note = match Note::parse(&kept.note) {
            Ok(note) => note,
            Err(error) => {
                tracing::warn!(%error, "the kept checkpoint does not parse");
                return 0;
            }
        };
        let mut cosigned = 0;
        for witness in &self.asked {
            if witness.cosigner.verify(&note).is_ok() {
                continue;
            }
            let outcome = match self.ask(log, &kept, &note, witness).await {
                // The witness cosigned; its line joins the checkpoint unless a larger one
                // replaced it meanwhile (that one is asked for at the next round).
                Ok(joined) => {
                    cosigned += usize::from(joined);
                    "cosigned"
                }
                Err(error) => {
                    tracing::warn!(
                        witness = %witness.cosigner.name, url = %witness.url, %error,
                        "a witness did not cosign the log's checkpoint"
                    );
                    match error {
                        CosigningError::Unreachable(_) => "unreachable",
                        CosigningError::Refused { .. } => "refused",
                        _ => "failed",
                    }
                }
            };
            self.counted
                .with_label_values(&[&witness.cosigner.name, outcome])
                .inc();
        }
        cosigned
    }

    /// Asks `witness` to cosign `kept` (read as `note`); true if its cosignature joined the
    /// checkpoint, false if a larger checkpoint replaced it meanwhile.
    async fn ask(
        &self,
        log: &dyn TransparencyLog,
        kept: &StoredCheckpoint,
        note: &Note,
        witness: &AskedWitness,
    ) -> Result<bool, CosigningError> {
        // A second try only when the witness named another size than the one we assumed.
        for _ in 0..2 {
            let old = witness.cosigned_size.load(Ordering::Relaxed);
            let proof = if old == 0 || old >= kept.tree_size {
                Vec::new()
            } else {
                proofs::consistency(log, old, kept.tree_size).await?
            };
            let request = AddCheckpoint {
                old_size: old,
                proof,
                note: kept.note.clone(),
            };
            let response = self
                .http
                .post(format!("{}/add-checkpoint", witness.url))
                .header("content-type", "text/plain; charset=utf-8")
                .body(request.to_text())
                .send()
                .await?;
            let status = response.status().as_u16();
            let size_answer = response
                .headers()
                .get("content-type")
                .is_some_and(|value| value.as_bytes().starts_with(b"text/x.tlog.size"));
            let body = response.text().await?;
            if status == 409 && size_answer {
                match transparency::checkpoint::canonical_decimal(body.trim_end_matches('\n')) {
                    Some(size) if size != old => {
                        witness.cosigned_size.store(size, Ordering::Relaxed);
                        continue;
                    }
                    _ => return Err(CosigningError::Refused { status, body }),
                }
            }
            if status != 200 {
                return Err(CosigningError::Refused { status, body });
            }
            let lines = own_lines(&kept.note, note, &body, &witness.cosigner)
                .ok_or_else(|| CosigningError::Refused { status, body })?;
            witness
                .cosigned_size
                .store(kept.tree_size, Ordering::Relaxed);
            return Ok(log.add_cosignatures(kept.tree_size, &lines).await?);
        }
        Err(CosigningError::Refused {
            status: 409,
            body: "the witness's size kept changing".into(),
        })
    }
}

/// The lines of `response` that are valid cosignatures of the note `text` (read as `note`) by
/// `cosigner` (other lines are ignored, as the protocol asks); `None` when there is none.
fn own_lines(text: &str, note: &Note, response: &str, cosigner: &Cosigner) -> Option<String> {
    let combined = Note::parse(&format!("{text}{response}")).ok()?;
    let before = note.signatures.len();
    let id = cosigner.key_id();
    let lines: String = combined.signatures[before..]
        .iter()
        .filter(|line| line.name == cosigner.name && line.key_id == id)
        .filter(|line| {
            let alone = Note {
                text: combined.text.clone(),
                signatures: vec![(*line).clone()],
            };
            cosigner.verify(&alone).is_ok()
        })
        .map(transparency::NoteSignature::to_line)
        .collect();
    (!lines.is_empty()).then_some(lines)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use scr::KeyPair;

    use super::*;

    #[test]
    fn only_valid_lines_of_the_asked_witness_are_kept() {
        let log = KeyPair::from_seed([1; 32]);
        let body = "log.example\n4\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let note = Note::sign(body, "log.example", &log).unwrap().to_text();
        let parsed = Note::parse(&note).unwrap();
        let key = KeyPair::from_seed([2; 32]);
        let witness = Cosigner::new("w.example", key.public_key()).unwrap();
        let other_key = KeyPair::from_seed([3; 32]);
        let other = Cosigner::new("other.example", other_key.public_key()).unwrap();
        let good = witness.cosign(body, &key, 10).unwrap().to_line();
        let foreign = other.cosign(body, &other_key, 10).unwrap().to_line();
        let wrong_body = witness.cosign("x\n", &key, 10).unwrap().to_line();
        assert_eq!(
            own_lines(&note, &parsed, &format!("{foreign}{good}"), &witness),
            Some(good.clone())
        );
        assert_eq!(own_lines(&note, &parsed, &wrong_body, &witness), None);
        assert_eq!(own_lines(&note, &parsed, &foreign, &witness), None);
        assert_eq!(own_lines(&note, &parsed, "not a line\n", &witness), None);
    }
}
