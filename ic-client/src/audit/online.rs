//! The log step of a sync: fetch the community's newest checkpoint, accept it only if it
//! extends the last one accepted, and prove every held record in the log. A contradiction is
//! kept as evidence; a community or network that cannot answer only postpones the check.

use std::collections::HashSet;

use scr::KeyChain;
use transparency::{leaf_hash, read_checkpoint, verify_consistency, verify_inclusion};

use crate::api::{ApiClient, ApiError, Inclusion};
use crate::wallet::{
    CommunityStore, Evidence, RecordProof, SeenCheckpoint, WalletError, WitnessPolicy,
};

/// What the log step of one sync found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogReport {
    /// The size of the newest checkpoint the wallet holds now.
    pub checkpoint_size: Option<u64>,
    /// Records proved in the log by this sync.
    pub proved: usize,
    /// Held records the newest checkpoint does not cover yet (a later sync proves them).
    pub pending: usize,
    /// Evidence of a fork or rewrite found by this sync (also kept in the wallet).
    pub evidence: Vec<Evidence>,
    /// Why the log could not be checked this time, if it could not.
    pub unavailable: Option<String>,
    /// Why the served checkpoint was not accepted for lack of witnesses' cosignatures, if so
    /// (not evidence: the next sync asks again).
    pub unwitnessed: Option<String>,
}

/// Runs the log step for the wallet `store` of a community whose document names the log
/// `origin` (`None`: a server from before the log) and whose chain is `chain`.
pub async fn check_log(
    api: &ApiClient,
    store: &CommunityStore,
    chain: &KeyChain,
    origin: Option<&str>,
    now: i64,
) -> Result<LogReport, WalletError> {
    let mut report = LogReport::default();
    let Some(origin) = origin else {
        report.unavailable = Some("the community runs no transparency log".into());
        return Ok(report);
    };
    let mut step = Step {
        api,
        store,
        report,
        now,
    };
    match step.run(chain, origin).await {
        Ok(()) => {}
        Err(Failure::Api(error)) => step.report.unavailable = Some(error.to_string()),
        Err(Failure::Wallet(error)) => return Err(error),
    }
    Ok(step.report)
}

struct Step<'a> {
    api: &'a ApiClient,
    store: &'a CommunityStore,
    report: LogReport,
    now: i64,
}

impl Step<'_> {
    async fn run(&mut self, chain: &KeyChain, origin: &str) -> Result<(), Failure> {
        let accepted = self.store.log_checkpoints().await?.pop();
        let policy = self.store.witness_policy().await?;
        let newest = match self.api.checkpoint().await? {
            Some(note) => {
                self.consider(&note, chain, origin, &policy, accepted)
                    .await?
            }
            None => accepted,
        };
        let Some(newest) = newest else {
            return Ok(());
        };
        self.report.checkpoint_size = Some(newest.tree_size);
        self.prove_records(&newest).await
    }

    /// Accepts the served checkpoint `note` if it extends `accepted`, the newest accepted one,
    /// and carries the cosignatures `policy` requires; returns the newest accepted one after.
    async fn consider(
        &mut self,
        note: &str,
        chain: &KeyChain,
        origin: &str,
        policy: &WitnessPolicy,
        accepted: Option<SeenCheckpoint>,
    ) -> Result<Option<SeenCheckpoint>, Failure> {
        let signed = match read_checkpoint(note, origin, chain) {
            Ok(signed) => signed,
            Err(problem) => {
                self.evidence("bad_checkpoint", problem.to_string(), note, None)
                    .await?;
                return Ok(accepted);
            }
        };
        let served = &signed.checkpoint;
        // Checked only where the checkpoint would be accepted (its cosignatures cost a
        // signature check per trusted witness).
        let unwitnessed = || {
            policy.shortfall(&signed.parsed, self.now).map(|why| {
                format!(
                    "the checkpoint of {} leaves is not accepted yet: {why}",
                    served.size
                )
            })
        };
        let seen = |consistency| SeenCheckpoint {
            tree_size: served.size,
            root: served.root,
            note: note.to_owned(),
            consistency,
            seen_at: self.now,
        };
        let Some(newest) = accepted else {
            if let Some(why) = unwitnessed() {
                self.report.unwitnessed = Some(why);
                return Ok(None);
            }
            let first = seen(Vec::new());
            self.store.accept_checkpoint(&first).await?;
            return Ok(Some(first));
        };
        if served.size == newest.tree_size {
            if served.root != newest.root {
                let detail = format!(
                    "two checkpoints of {} leaves with different roots",
                    served.size
                );
                self.evidence("two_roots", detail, note, Some(&newest.note))
                    .await?;
            }
            return Ok(Some(newest));
        }
        let (old, new) = if served.size > newest.tree_size {
            ((newest.tree_size, newest.root), (served.size, served.root))
        } else {
            ((served.size, served.root), (newest.tree_size, newest.root))
        };
        let proof = self.api.consistency(old.0, new.0).await?;
        if let Err(error) = verify_consistency(&proof, new.0, &new.1, old.0, &old.1) {
            let detail = format!(
                "the checkpoint of {} leaves does not extend the one of {} ({error})",
                new.0, old.0
            );
            self.evidence("inconsistent_checkpoint", detail, note, Some(&newest.note))
                .await?;
            return Ok(Some(newest));
        }
        if served.size < newest.tree_size {
            return Ok(Some(newest));
        }
        if let Some(why) = unwitnessed() {
            self.report.unwitnessed = Some(why);
            return Ok(Some(newest));
        }
        let grown = seen(proof);
        self.store.accept_checkpoint(&grown).await?;
        Ok(Some(grown))
    }

    /// Proves every held record not proved yet in the checkpoint `newest`.
    async fn prove_records(&mut self, newest: &SeenCheckpoint) -> Result<(), Failure> {
        let proved: HashSet<[u8; 32]> = self
            .store
            .record_proofs()
            .await?
            .into_iter()
            .map(|proof| proof.leaf_hash)
            .collect();
        for record in self.store.logged_records().await? {
            let leaf = leaf_hash(&record);
            if proved.contains(&leaf) {
                continue;
            }
            match self.api.inclusion(&leaf, newest.tree_size).await? {
                Inclusion::Proof { leaf_index, hashes } => {
                    match verify_inclusion(
                        &hashes,
                        newest.tree_size,
                        &newest.root,
                        leaf_index,
                        &leaf,
                    ) {
                        Ok(()) => {
                            self.store
                                .keep_proof(&RecordProof {
                                    leaf_hash: leaf,
                                    leaf_index,
                                    tree_size: newest.tree_size,
                                    hashes,
                                })
                                .await?;
                            self.report.proved += 1;
                        }
                        Err(error) => {
                            let detail = format!(
                                "the inclusion proof of record {} does not verify ({error})",
                                hex::encode(leaf)
                            );
                            self.evidence("bad_inclusion", detail, &newest.note, None)
                                .await?;
                        }
                    }
                }
                Inclusion::UnknownLeaf => {
                    let detail = format!(
                        "the community says record {} (leaf hash) is not in its log",
                        hex::encode(leaf)
                    );
                    self.evidence("record_not_logged", detail, &newest.note, None)
                        .await?;
                }
                Inclusion::NotCovered => self.report.pending += 1,
            }
        }
        Ok(())
    }

    /// Keeps evidence (once: the same finding on a later sync is not stored again).
    async fn evidence(
        &mut self,
        kind: &str,
        detail: String,
        note: &str,
        other_note: Option<&str>,
    ) -> Result<(), WalletError> {
        let known = self
            .store
            .evidence()
            .await?
            .iter()
            .any(|held| held.kind == kind && held.detail == detail);
        if known {
            return Ok(());
        }
        let evidence = Evidence {
            kind: kind.to_owned(),
            detail,
            note: note.to_owned(),
            other_note: other_note.map(str::to_owned),
            found_at: self.now,
        };
        self.store.add_evidence(&evidence).await?;
        self.report.evidence.push(evidence);
        Ok(())
    }
}

/// Why the log step stopped: the wallet failed, or the community did not answer.
enum Failure {
    Wallet(WalletError),
    Api(ApiError),
}

impl From<WalletError> for Failure {
    fn from(error: WalletError) -> Self {
        Self::Wallet(error)
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rand::SeedableRng;
    use scr::KeyPair;
    use transparency::Cosigner;

    use crate::identity::Identity;
    use crate::sync::{Client, JoinOptions, Reissue};
    use crate::test_support::Community;
    use crate::test_support::mock_log::MockLog;
    use crate::test_support::mock_server::{self, MockState, Shared};
    use crate::wallet::Wallet;

    const NOW: i64 = 1_700_000_000;
    const ORIGIN: &str = "ic-community/mock";
    const SLUG: &str = "alpha-league";

    /// A player joined to the mock community, whose log holds every record issued so far.
    async fn joined() -> (tempfile::TempDir, Client, Shared) {
        let dir = tempfile::tempdir().unwrap();
        let identity = Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(3)).unwrap();
        let client = Client::new(Wallet::open(dir.path()).unwrap(), identity);
        let state = MockState::new(Community::new(3), "Alpha League", NOW);
        let url = mock_server::start(state.clone()).await;
        client
            .join(&url, &JoinOptions::default(), NOW)
            .await
            .unwrap();
        {
            let mut state = state.lock().unwrap();
            let issued = state.issued();
            state.log = Some(MockLog::of(ORIGIN, issued.iter().map(Vec::as_slice)));
        }
        (dir, client, state)
    }

    async fn sync(client: &Client) -> super::LogReport {
        client.sync(SLUG, Reissue::Never, NOW).await.unwrap().log
    }

    /// Issues a match record to the player and logs it.
    fn issue_and_log(client: &Client, state: &Shared, match_id: u8) {
        let mut state = state.lock().unwrap();
        let player = client.identity().player_key();
        state.issue_match(player, match_id);
        let issued = state.issued();
        let newest = issued.iter().find(|bytes| {
            scr::Record::decode(bytes)
                .is_ok_and(|r| r.sequence() == 1 + u64::from(match_id) && r.player_key() == player)
        });
        let newest = newest.unwrap().clone();
        state.log.as_mut().unwrap().append(&newest);
    }

    async fn audit(client: &Client) -> super::super::AuditReport {
        let (_, store) = client.wallet().open_community(SLUG).await.unwrap();
        let report = super::super::audit(&store).await.unwrap();
        store.close().await;
        report
    }

    #[tokio::test]
    async fn each_sync_accepts_a_grown_checkpoint_and_proves_the_new_records() {
        let (_dir, client, state) = joined().await;
        let first = sync(&client).await;
        assert_eq!(
            (first.checkpoint_size, first.proved, first.pending),
            (Some(1), 1, 0)
        );
        assert!(first.evidence.is_empty() && first.unavailable.is_none());
        issue_and_log(&client, &state, 1);
        issue_and_log(&client, &state, 2);
        let second = sync(&client).await;
        assert_eq!(
            (second.checkpoint_size, second.proved, second.pending),
            (Some(3), 2, 0)
        );
        // A record issued after the newest checkpoint waits for the next one.
        issue_and_log(&client, &state, 3);
        state.lock().unwrap().log.as_mut().unwrap().checkpoint_size = 3;
        let third = sync(&client).await;
        assert_eq!((third.proved, third.pending), (0, 1));
        let report = audit(&client).await;
        assert!(report.passed(), "{:?}", report.problems);
        assert_eq!(
            (report.checkpoints, report.records, report.proved),
            (2, 4, 3)
        );
    }

    #[tokio::test]
    async fn a_community_without_a_log_postpones_the_check() {
        let (_dir, client, state) = joined().await;
        state.lock().unwrap().log = None;
        let report = sync(&client).await;
        assert_eq!(report.checkpoint_size, None);
        assert!(report.unavailable.is_some());
        assert!(report.evidence.is_empty());
    }

    /// Syncs once honestly, lets `lie` change the log, syncs twice more: the lie is found
    /// once, kept once, and fails the audit.
    async fn caught(lie: impl FnOnce(&mut MockLog), kind: &str) {
        let (_dir, client, state) = joined().await;
        assert!(sync(&client).await.evidence.is_empty());
        issue_and_log(&client, &state, 1);
        lie(state.lock().unwrap().log.as_mut().unwrap());
        let found = sync(&client).await;
        assert_eq!(
            found
                .evidence
                .iter()
                .map(|e| e.kind.as_str())
                .collect::<Vec<_>>(),
            [kind],
            "{found:?}"
        );
        assert!(sync(&client).await.evidence.is_empty(), "kept once");
        let report = audit(&client).await;
        assert!(!report.passed());
        assert!(
            report.problems.iter().any(|problem| problem.contains(kind)),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn two_roots_for_one_size_are_evidence() {
        caught(
            |log| {
                log.checkpoint_size = 1;
                log.forged_root = Some([7; 32]);
            },
            "two_roots",
        )
        .await;
    }

    #[tokio::test]
    async fn a_rewritten_past_is_evidence() {
        caught(|log| log.leaves[0] = [9; 32], "inconsistent_checkpoint").await;
    }

    #[tokio::test]
    async fn a_checkpoint_signed_by_another_key_is_evidence() {
        caught(
            |log| log.signer = Some(Community::new(8).signing),
            "bad_checkpoint",
        )
        .await;
    }

    #[tokio::test]
    async fn a_record_missing_from_the_log_is_evidence() {
        caught(
            |log| {
                let newest = *log.leaves.last().unwrap();
                log.hidden.push(newest);
            },
            "record_not_logged",
        )
        .await;
    }

    #[tokio::test]
    async fn a_proof_that_does_not_verify_is_evidence() {
        caught(|log| log.corrupt_proofs = true, "bad_inclusion").await;
    }

    /// A witness the tests trust, and one they do not.
    fn witnesses() -> ((Cosigner, KeyPair), (Cosigner, KeyPair)) {
        let make = |seed: u8, name: &str| {
            let key = KeyPair::from_seed([seed; 32]);
            (Cosigner::new(name, key.public_key()).unwrap(), key)
        };
        (make(21, "w1.example"), make(22, "w2.example"))
    }

    #[tokio::test]
    async fn a_required_witness_holds_checkpoints_back_until_it_cosigns() {
        let (_dir, client, state) = joined().await;
        let ((trusted, trusted_key), (stranger, stranger_key)) = witnesses();
        {
            let (_, store) = client.wallet().open_community(SLUG).await.unwrap();
            assert!(store.trust_witness(&trusted, NOW).await.unwrap());
            assert!(!store.trust_witness(&trusted, NOW).await.unwrap());
            store.require_witnesses(1).await.unwrap();
            store.close().await;
        }
        // Cosigned by a witness the player does not trust: not accepted, and not evidence.
        state.lock().unwrap().log.as_mut().unwrap().cosigners =
            vec![(stranger, stranger_key, NOW as u64)];
        let held = sync(&client).await;
        assert_eq!((held.checkpoint_size, held.proved), (None, 0));
        assert!(held.evidence.is_empty());
        let why = held.unwitnessed.unwrap();
        assert!(why.contains("0 of the 1"), "{why}");
        // A cosignature dated well after the wallet's clock does not count either.
        state.lock().unwrap().log.as_mut().unwrap().cosigners =
            vec![(trusted.clone(), trusted_key.clone(), NOW as u64 + 3_600)];
        assert!(sync(&client).await.unwitnessed.is_some());
        // The trusted witness cosigns: accepted and the record proved.
        state.lock().unwrap().log.as_mut().unwrap().cosigners =
            vec![(trusted, trusted_key, NOW as u64)];
        let accepted = sync(&client).await;
        assert_eq!((accepted.checkpoint_size, accepted.proved), (Some(1), 1));
        assert_eq!(accepted.unwitnessed, None);
        // The log grows without the witness: the grown checkpoint waits, the old one stays.
        issue_and_log(&client, &state, 1);
        state
            .lock()
            .unwrap()
            .log
            .as_mut()
            .unwrap()
            .cosigners
            .clear();
        let waiting = sync(&client).await;
        assert_eq!(waiting.checkpoint_size, Some(1));
        assert_eq!(waiting.pending, 1);
        assert!(waiting.unwitnessed.is_some());
        assert!(audit(&client).await.passed());
    }

    #[tokio::test]
    async fn the_audit_finds_a_checkpoint_held_without_the_witnesses_required() {
        let (_dir, client, _state) = joined().await;
        assert_eq!(sync(&client).await.checkpoint_size, Some(1));
        let ((trusted, _), _) = witnesses();
        let (_, store) = client.wallet().open_community(SLUG).await.unwrap();
        store.trust_witness(&trusted, NOW).await.unwrap();
        // A rule set after a checkpoint was accepted does not fail that checkpoint.
        store.require_witnesses(1).await.unwrap();
        store.close().await;
        assert!(audit(&client).await.passed());
        // One slipped into the wallet after the rule, without the cosignature, fails it.
        let (_, store) = client.wallet().open_community(SLUG).await.unwrap();
        sqlx::query("UPDATE log_witness_policy SET after_size = 0")
            .execute(store.pool_for_tests())
            .await
            .unwrap();
        store.close().await;
        let report = audit(&client).await;
        assert!(
            report
                .problems
                .iter()
                .any(|problem| problem.contains("witness rule")),
            "{:?}",
            report.problems
        );
    }
}
