//! Verification of records presented by third parties, against this community's chain and
//! each player's revocations and newest rating, with batched signature checks.

use std::collections::BTreeMap;

use scr::{PlayerKey, RecordType, RecordView, Verifier};

use super::{Authority, AuthorityError};
use crate::presented::player_context;

/// The outcome for one presented record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOutcome {
    /// Whether it is valid now.
    pub valid: bool,
    /// The reason code when not.
    pub error: Option<&'static str>,
    /// Record type name, when the header could be read.
    pub record_type: Option<&'static str>,
    /// The player, when the header could be read.
    pub player_key: Option<PlayerKey>,
    /// The sequence, when the header could be read.
    pub sequence: Option<u64>,
    /// For a valid rating record: its season and how that stands against the running one.
    pub season: Option<(u32, crate::seasons::SeasonStanding)>,
    /// For a valid rating record: the tier its rating, games and rank show (`None` while
    /// placing, or for other records).
    pub tier: Option<String>,
    /// For a valid achievement record: what it is and how it stands now.
    pub achievement: Option<AchievementStatus>,
}

/// How a valid achievement record stands against what the community holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementStatus {
    /// The definition's name, when it is still configured.
    pub name: Option<String>,
    /// The record's own verification: `optimistic` or `verified`.
    pub verification: &'static str,
    /// `verified`; `pending` (an optimistic claim in its challenge window); `challenged`;
    /// `upgraded` (a later verified record supersedes this optimistic one); `optimistic`
    /// (a claim that is never upgraded); `unknown` (the community holds no such achievement).
    pub status: &'static str,
}

impl Authority {
    /// Verifies each record on its own merits; records of one player share one batch.
    pub async fn verify_records(
        &self,
        records: &[Vec<u8>],
        now: i64,
    ) -> Result<Vec<VerifyOutcome>, AuthorityError> {
        let mut outcomes: Vec<VerifyOutcome> = records
            .iter()
            .map(|bytes| {
                let view = RecordView::parse(bytes).ok();
                VerifyOutcome {
                    valid: false,
                    error: None,
                    record_type: view.map(|v| v.record_type().name()),
                    player_key: view.map(|v| v.player_key()),
                    sequence: view.map(|v| v.sequence()),
                    season: None,
                    tier: None,
                    achievement: None,
                }
            })
            .collect();
        // Group by player so each group gets that player's revocations and newest rating.
        let mut groups: BTreeMap<Option<PlayerKey>, Vec<usize>> = BTreeMap::new();
        for (index, outcome) in outcomes.iter().enumerate() {
            let key = outcome
                .player_key
                .filter(|_| outcome.record_type != Some(RecordType::KeyRotation.name()));
            groups.entry(key).or_default().push(index);
        }
        let seasons = self.store.seasons().await?;
        let running = seasons
            .iter()
            .find(|season| !season.ended)
            .map_or(0, |season| season.season);
        let mut rng = rand::rngs::OsRng;
        for (player, indices) in groups {
            let mut verifier = Verifier::new(self.community.current().chain.clone());
            if let Some(player) = player {
                verifier =
                    verifier.with_player(player_context(self.store.as_ref(), &player).await?);
            }
            let batch: Vec<&[u8]> = indices.iter().map(|&i| records[i].as_slice()).collect();
            // Achievement records are judged against the rows held now: read once per player.
            let held = match player {
                Some(player)
                    if indices.iter().any(|&i| {
                        outcomes[i].record_type == Some(RecordType::Achievement.name())
                    }) =>
                {
                    self.store.achievements_of(&player).await?
                }
                _ => Vec::new(),
            };
            for (&index, result) in indices
                .iter()
                .zip(verifier.verify_each(&batch, now, &mut rng))
            {
                let outcome = &mut outcomes[index];
                match result {
                    Ok(record) => {
                        outcome.valid = true;
                        if let scr::payload::Payload::Rating(rating) = record.payload() {
                            let season = crate::seasons::season_of_record(
                                rating.season,
                                record.issued_at(),
                                &seasons,
                            );
                            outcome.season =
                                Some((season, crate::seasons::SeasonStanding::of(season, running)));
                            outcome.tier = self.tier_of(
                                &rating.game_module,
                                rating.rating,
                                rating.games_played,
                                Some(rating.rank),
                            );
                        }
                        if let scr::payload::Payload::Achievement(unlocked) = record.payload() {
                            outcome.achievement =
                                Some(self.achievement_status(unlocked, record.sequence(), &held));
                        }
                    }
                    Err(error) => {
                        self.metrics
                            .verification_failures
                            .with_label_values(&[error.code()])
                            .inc();
                        outcome.error = Some(error.code());
                    }
                }
            }
        }
        Ok(outcomes)
    }
}

impl Authority {
    fn achievement_status(
        &self,
        unlocked: &scr::payload::AchievementPayload,
        sequence: u64,
        held: &[crate::store::AchievementRow],
    ) -> AchievementStatus {
        use scr::payload::AchievementVerification::Verified;
        let row = held.iter().find(|row| {
            row.game_module == unlocked.game_module && row.achievement_id == unlocked.achievement_id
        });
        let status = match row {
            None => "unknown",
            Some(row) if row.sequence > sequence && row.verification == Verified.to_byte() => {
                "upgraded"
            }
            Some(row) if row.challenged_at.is_some() => "challenged",
            Some(row) if row.upgrade_at.is_some() => "pending",
            Some(_) => unlocked.verification.name(),
        };
        AchievementStatus {
            name: self
                .achievements
                .definition(crate::achievements::rules::definition_id(
                    &unlocked.achievement_id,
                ))
                .map(|d| d.name.clone()),
            verification: unlocked.verification.name(),
            status,
        }
    }
}
