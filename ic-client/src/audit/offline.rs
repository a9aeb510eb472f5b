//! `ic audit`: re-checks, without the network, everything the wallet holds of its community's
//! log: every accepted checkpoint's signature and origin, the witnesses' cosignatures the
//! player's rule asked for, that each extends the one before, every record's inclusion proof,
//! and any evidence kept by a sync.

use std::collections::HashMap;

use transparency::{leaf_hash, read_checkpoint, verify_consistency, verify_inclusion};

use crate::wallet::{CommunityStore, WalletError};

/// What an audit found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Accepted checkpoints checked.
    pub checkpoints: usize,
    /// The newest one's size.
    pub tree_size: Option<u64>,
    /// Records held that the log should hold.
    pub records: usize,
    /// Of those, records whose inclusion proof verified.
    pub proved: usize,
    /// Everything wrong, one line each; empty when the audit passed.
    pub problems: Vec<String>,
}

impl AuditReport {
    /// Whether nothing was wrong. Records not proved yet (a later sync proves them) are not a
    /// failure.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Audits the wallet `store`.
pub async fn audit(store: &CommunityStore) -> Result<AuditReport, WalletError> {
    let chain = store.key_chain().await?;
    let policy = store.witness_policy().await?;
    let checkpoints = store.log_checkpoints().await?;
    let mut report = AuditReport {
        checkpoints: checkpoints.len(),
        tree_size: checkpoints.last().map(|c| c.tree_size),
        ..AuditReport::default()
    };
    // Every checkpoint names the log the first one named, and verifies.
    let origin = checkpoints.first().and_then(|first| {
        transparency::Note::parse(&first.note)
            .ok()
            .and_then(|note| transparency::Checkpoint::parse(&note.text).ok())
            .map(|checkpoint| checkpoint.origin)
    });
    let mut roots = HashMap::new();
    for (index, seen) in checkpoints.iter().enumerate() {
        let size = seen.tree_size;
        match origin
            .as_deref()
            .map(|o| read_checkpoint(&seen.note, o, &chain))
        {
            Some(Ok(signed))
                if signed.checkpoint.size == size && signed.checkpoint.root == seen.root =>
            {
                let held_to_rule = size > policy.after_size;
                if let Some(why) = policy
                    .shortfall(&signed.parsed, seen.seen_at)
                    .filter(|_| held_to_rule)
                {
                    report.problems.push(format!(
                        "checkpoint {size}: accepted under the witness rule, yet {why}"
                    ));
                }
            }
            Some(Ok(_)) => report.problems.push(format!(
                "checkpoint {size}: the stored size or root is not the note's"
            )),
            Some(Err(problem)) => report
                .problems
                .push(format!("checkpoint {size}: {problem}")),
            None => report
                .problems
                .push(format!("checkpoint {size}: the note does not parse")),
        }
        if let Some(previous) = index.checked_sub(1).map(|i| &checkpoints[i]) {
            if let Err(error) = verify_consistency(
                &seen.consistency,
                size,
                &seen.root,
                previous.tree_size,
                &previous.root,
            ) {
                report.problems.push(format!(
                    "checkpoint {size} does not extend checkpoint {} ({error})",
                    previous.tree_size
                ));
            }
        }
        roots.insert(size, seen.root);
    }
    let proofs: HashMap<[u8; 32], _> = store
        .record_proofs()
        .await?
        .into_iter()
        .map(|proof| (proof.leaf_hash, proof))
        .collect();
    for record in store.logged_records().await? {
        report.records += 1;
        let leaf = leaf_hash(&record);
        let Some(proof) = proofs.get(&leaf) else {
            continue;
        };
        let Some(root) = roots.get(&proof.tree_size) else {
            report.problems.push(format!(
                "record {}: proved against checkpoint {}, which the wallet does not hold",
                hex::encode(leaf),
                proof.tree_size
            ));
            continue;
        };
        match verify_inclusion(
            &proof.hashes,
            proof.tree_size,
            root,
            proof.leaf_index,
            &leaf,
        ) {
            Ok(()) => report.proved += 1,
            Err(error) => report.problems.push(format!(
                "record {}: its inclusion proof does not verify ({error})",
                hex::encode(leaf)
            )),
        }
    }
    for evidence in store.evidence().await? {
        report.problems.push(format!(
            "evidence kept at {}: {}: {}",
            evidence.found_at, evidence.kind, evidence.detail
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use scr::Record;
    use transparency::{Checkpoint, Frontier, Hash, Note, consistency_from, inclusion_from};

    use super::*;
    use crate::test_support::{Community, player_key};
    use crate::wallet::{Evidence, RecordProof, SeenCheckpoint};

    const NOW: i64 = 1_700_000_000;
    const ORIGIN: &str = "ic-community/test";

    /// A log of `leaves` kept as a plain list of stored hashes (enough to prove from).
    struct Log {
        leaves: Vec<Hash>,
    }

    impl Log {
        fn stored(&self) -> Vec<Hash> {
            let mut tree = Frontier::empty();
            tree.append(&self.leaves).unwrap().hashes
        }
        fn root(&self, size: u64) -> Hash {
            let mut tree = Frontier::empty();
            tree.append(&self.leaves[..size as usize]).unwrap();
            tree.root()
        }
        fn pick(&self, positions: &[u64]) -> Vec<Hash> {
            let stored = self.stored();
            positions.iter().map(|&p| stored[p as usize]).collect()
        }
        fn checkpoint(
            &self,
            community: &Community,
            size: u64,
            previous: Option<u64>,
        ) -> SeenCheckpoint {
            let root = self.root(size);
            let body = Checkpoint::new(ORIGIN, size, root).to_text();
            let consistency = previous.map_or_else(Vec::new, |old| {
                let needed = transparency::consistency_indexes(old, size).unwrap();
                consistency_from(old, size, &self.pick(&needed)).unwrap()
            });
            SeenCheckpoint {
                tree_size: size,
                root,
                note: Note::sign(&body, ORIGIN, &community.signing)
                    .unwrap()
                    .to_text(),
                consistency,
                seen_at: NOW,
            }
        }
        fn proof(&self, index: u64, size: u64) -> RecordProof {
            let needed = transparency::inclusion_indexes(size, index).unwrap();
            RecordProof {
                leaf_hash: self.leaves[index as usize],
                leaf_index: index,
                tree_size: size,
                hashes: inclusion_from(size, index, &self.pick(&needed)).unwrap(),
            }
        }
    }

    /// A wallet holding one rating record, the log it sits in (index 1 of 4), two accepted
    /// checkpoints (sizes 2 and 4) and the record's proof against the first.
    async fn audited_wallet(dir: &std::path::Path) -> (CommunityStore, Community, Log) {
        let community = Community::new(1);
        let record: Record = community.rating(player_key(1), 1, NOW, "ra", 1_500_000);
        let store = community
            .wallet(dir, player_key(1), std::slice::from_ref(&record), NOW)
            .await;
        let log = Log {
            leaves: vec![
                leaf_hash(b"someone else's"),
                leaf_hash(record.as_bytes()),
                leaf_hash(b"a third"),
                leaf_hash(b"a fourth"),
            ],
        };
        store
            .accept_checkpoint(&log.checkpoint(&community, 2, None))
            .await
            .unwrap();
        store
            .accept_checkpoint(&log.checkpoint(&community, 4, Some(2)))
            .await
            .unwrap();
        store.keep_proof(&log.proof(1, 2)).await.unwrap();
        (store, community, log)
    }

    #[tokio::test]
    async fn a_consistent_log_with_proved_records_passes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) = audited_wallet(dir.path()).await;
        let report = audit(&store).await.unwrap();
        assert_eq!(report.problems, Vec::<String>::new());
        assert!(report.passed());
        assert_eq!(
            (
                report.checkpoints,
                report.tree_size,
                report.records,
                report.proved
            ),
            (2, Some(4), 1, 1)
        );
    }

    #[tokio::test]
    async fn a_wrong_proof_a_forged_checkpoint_and_kept_evidence_each_fail_the_audit() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, log) = audited_wallet(dir.path()).await;
        // The proof of another index.
        let mut wrong = log.proof(1, 2);
        wrong.leaf_index = 0;
        store.keep_proof(&wrong).await.unwrap();
        // A checkpoint signed by a key that is not the community's.
        let stranger = Community::new(9);
        let mut forged = log.checkpoint(&stranger, 3, Some(2));
        forged.consistency = log.checkpoint(&stranger, 4, Some(2)).consistency;
        store.accept_checkpoint(&forged).await.unwrap();
        store
            .add_evidence(&Evidence {
                kind: "two_roots".into(),
                detail: "two checkpoints of 4 leaves with different roots".into(),
                note: "n".into(),
                other_note: None,
                found_at: NOW,
            })
            .await
            .unwrap();
        let report = audit(&store).await.unwrap();
        assert!(!report.passed());
        let problems = report.problems.join("\n");
        for expected in [
            "its inclusion proof does not verify",
            "checkpoint 3: no key of the community's chain signed the checkpoint",
            "checkpoint 3 does not extend checkpoint 2",
            "two_roots",
        ] {
            assert!(problems.contains(expected), "{expected}: {problems}");
        }
        assert_eq!(report.proved, 0);
    }
}
