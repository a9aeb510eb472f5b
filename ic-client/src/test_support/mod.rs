//! Test helpers: a fake community that signs records and rotates keys, built from fixed seeds.
//! Compiled only for unit tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use scr::payload::{
    KeyRotationPayload, MatchPayload, Participant, Payload, PlayerResult, RatingPayload,
    RevocationPayload, RevocationReason, RotationReason, RotationSigner,
};
use scr::{
    CommunityKey, KeyPair, PlayerKey, Record, RecordBuilder, RecordType, RecoveryKey, RelayKey,
};

use crate::community::CommunityDocument;

/// The player key of seed `n`.
pub fn player_key(n: u8) -> PlayerKey {
    PlayerKey::from(KeyPair::from_seed([n; 32]).public_key())
}

/// A community that signs what tests need.
pub struct Community {
    pub signing: KeyPair,
    pub recovery: KeyPair,
    pub rotations: Vec<Vec<u8>>,
    seed: u8,
}

impl Community {
    pub fn new(seed: u8) -> Self {
        Self {
            signing: KeyPair::from_seed([seed; 32]),
            recovery: KeyPair::from_seed([seed.wrapping_add(100); 32]),
            rotations: Vec::new(),
            seed,
        }
    }

    pub fn current_key(&self) -> CommunityKey {
        CommunityKey::from(self.signing.public_key())
    }

    pub fn recovery_key(&self) -> RecoveryKey {
        RecoveryKey::from(self.recovery.public_key())
    }

    fn next_key(&self) -> KeyPair {
        let mut seed = [self.seed; 32];
        seed[0] = 200;
        seed[1] = u8::try_from(self.rotations.len()).unwrap();
        KeyPair::from_seed(seed)
    }

    pub fn rotate_voluntarily(&mut self, effective_at: i64) {
        let next = self.next_key();
        self.rotate_voluntarily_to(next, effective_at);
    }

    pub fn rotate_voluntarily_to(&mut self, next: KeyPair, effective_at: i64) {
        let record = self.rotation(
            &next,
            RotationSigner::SigningKey,
            effective_at,
            effective_at + 30 * 86_400,
        );
        self.rotations.push(record.into_bytes());
        self.signing = next;
    }

    pub fn rotate_emergency(&mut self, effective_at: i64) {
        let next = self.next_key();
        let record = self.rotation(
            &next,
            RotationSigner::RecoveryKey,
            effective_at,
            effective_at,
        );
        self.rotations.push(record.into_bytes());
        self.signing = next;
    }

    fn rotation(
        &self,
        next: &KeyPair,
        signed_by: RotationSigner,
        effective_at: i64,
        grace_until: i64,
    ) -> Record {
        let signer = match signed_by {
            RotationSigner::SigningKey => &self.signing,
            RotationSigner::RecoveryKey => &self.recovery,
        };
        RecordBuilder::new(Payload::KeyRotation(KeyRotationPayload {
            old_key: self.current_key(),
            new_key: CommunityKey::from(next.public_key()),
            signed_by,
            reason: match signed_by {
                RotationSigner::SigningKey => RotationReason::Scheduled,
                RotationSigner::RecoveryKey => RotationReason::Compromise,
            },
            effective_at,
            grace_until,
        }))
        .sequence(u64::try_from(self.rotations.len()).unwrap() + 1)
        .issued_at(effective_at)
        .never_expires()
        .sign(signer)
        .unwrap()
    }

    pub fn document_json(&self, name: &str) -> serde_json::Value {
        serde_json::json!({
            "name": name,
            "url": "http://127.0.0.1:1",
            "signing_key": self.current_key().to_string(),
            "recovery_key": self.recovery_key().to_string(),
            "fingerprint": self.current_key().fingerprint().to_string(),
            "capabilities": ["relay", "ranking"],
            "rotations": self.rotations.iter().map(|r| BASE64.encode(r)).collect::<Vec<_>>(),
            "api_version": 1,
        })
    }

    pub fn document(&self, name: &str) -> CommunityDocument {
        CommunityDocument::from_json(self.document_json(name).to_string().as_bytes()).unwrap()
    }

    pub fn rating(
        &self,
        player: PlayerKey,
        sequence: u64,
        issued_at: i64,
        module: &str,
        rating: i64,
    ) -> Record {
        RecordBuilder::new(Payload::Rating(RatingPayload {
            game_module: module.into(),
            algorithm_id: "glicko2".into(),
            rating,
            deviation: 350_000,
            volatility: 60_000,
            games_played: 0,
            wins: 0,
            losses: 0,
            draws: 0,
            streak: 0,
            rank: 0,
            percentile: 0,
            season: Some(1),
        }))
        .player(player)
        .sequence(sequence)
        .issued_at(issued_at)
        .sign(&self.signing)
        .unwrap()
    }

    pub fn game(&self, player: PlayerKey, sequence: u64, issued_at: i64, match_id: u8) -> Record {
        RecordBuilder::new(Payload::Match(MatchPayload {
            match_id: [match_id; 32],
            game_module: "ra".into(),
            map_name: "Coastal".into(),
            played_at: issued_at,
            duration_ticks: 9_000,
            result: PlayerResult::Win,
            rating_before: 1_500_000,
            rating_after: 1_520_000,
            relay_key: RelayKey::from(KeyPair::from_seed([250; 32]).public_key()),
            participants: vec![
                Participant {
                    player_key: player,
                    team: 1,
                    result: PlayerResult::Win,
                },
                Participant {
                    player_key: player_key(99),
                    team: 2,
                    result: PlayerResult::Loss,
                },
            ],
        }))
        .player(player)
        .sequence(sequence)
        .issued_at(issued_at)
        .sign(&self.signing)
        .unwrap()
    }

    pub fn achievement(
        &self,
        player: PlayerKey,
        sequence: u64,
        issued_at: i64,
        id: &str,
        verification: scr::payload::AchievementVerification,
    ) -> Record {
        RecordBuilder::new(Payload::Achievement(scr::payload::AchievementPayload {
            game_module: "ra".into(),
            achievement_id: id.into(),
            unlocked_at: issued_at,
            match_id: None,
            verification,
        }))
        .player(player)
        .sequence(sequence)
        .issued_at(issued_at)
        .sign(&self.signing)
        .unwrap()
    }

    pub fn revocation(
        &self,
        player: PlayerKey,
        sequence: u64,
        issued_at: i64,
        target: RecordType,
        min_valid: u64,
    ) -> Record {
        RecordBuilder::new(Payload::Revocation(RevocationPayload {
            target_record_type: target,
            min_valid_sequence: min_valid,
            reason: RevocationReason::Cheating,
        }))
        .player(player)
        .sequence(sequence)
        .issued_at(issued_at)
        .sign(&self.signing)
        .unwrap()
    }
}

pub mod mock_log;
pub mod mock_server;

impl Community {
    /// A wallet file `alpha.db` in `dir` for `player`, joined at `now`, holding `records`
    /// (each verified against this community's keys first).
    pub async fn wallet(
        &self,
        dir: &std::path::Path,
        player: PlayerKey,
        records: &[Record],
        now: i64,
    ) -> crate::wallet::CommunityStore {
        let verifier = scr::Verifier::for_keys(self.current_key(), self.recovery_key()).unwrap();
        let verified: Vec<_> = records
            .iter()
            .map(|record| verifier.verify(record.as_bytes(), now).unwrap())
            .collect();
        let highest = records.iter().map(Record::sequence).max().unwrap_or(0);
        let (store, _) = crate::wallet::CommunityStore::create(
            &dir.join("alpha.db"),
            &crate::wallet::NewCommunity {
                community_key: self.current_key(),
                recovery_key: self.recovery_key(),
                name: "Alpha".into(),
                server_url: "http://127.0.0.1:1".into(),
                capabilities: vec!["ranking".into()],
                player_key: player,
                joined_at: now,
            },
            &verified,
            highest,
        )
        .await
        .unwrap();
        store
    }
}
