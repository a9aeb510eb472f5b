//! Issuing achievement records (type 0x03): those a certified match earns, added to the
//! match's own change; claims under the configured policy; their upgrade and challenge.

use relay_core::cmr::CertifiedMatchResult;
use scr::payload::{AchievementPayload, AchievementVerification, Payload, PlayerResult};
use scr::{PlayerKey, RecordBuilder, RecordType};

use super::records::issued;
use super::{Authority, AuthorityError, MAX_PLAN_ATTEMPTS};
use crate::achievements::rules::{self, Progress};
use crate::config::{AchievementPolicy, AchievementRule, AchievementsConfig};
use crate::store::{AchievementRow, Applied, IssuedRecord, MatchChange, PlayerChange};

/// Achievements known to be held. A held achievement is never taken away (its row is only
/// replaced by a later record of it), so a remembered answer stays true and spares the
/// database read that a rule met on every match (first_win for each winner) would cost.
#[derive(Default)]
pub(super) struct HeldCache {
    known: std::sync::Mutex<std::collections::HashSet<(PlayerKey, String, String)>>,
}

/// Entries remembered before the cache starts over (about 100 bytes each).
const HELD_CACHE_ENTRIES: usize = 50_000;

impl HeldCache {
    fn knows(&self, player: &PlayerKey, module: &str, id: &str) -> bool {
        let known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        known.contains(&(*player, module.to_owned(), id.to_owned()))
    }

    pub(super) fn remember(&self, player: &PlayerKey, module: &str, id: &str) {
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() >= HELD_CACHE_ENTRIES {
            known.clear();
        }
        known.insert((*player, module.to_owned(), id.to_owned()));
    }
}

/// What an achievement record states, before it is signed.
struct Unlock<'a> {
    player: PlayerKey,
    game_module: &'a str,
    achievement_id: &'a str,
    unlocked_at: i64,
    match_id: Option<[u8; 32]>,
    verification: AchievementVerification,
}

impl Authority {
    /// The achievements this authority awards.
    pub fn achievement_settings(&self) -> &AchievementsConfig {
        &self.achievements
    }

    /// Adds to `change` the achievements its match earns that its players do not hold yet:
    /// one verified record each, in the match's own transaction and under its sequence check
    /// (so a replanned match re-reads what is held, and nothing is issued twice).
    pub(super) async fn award_match_achievements(
        &self,
        change: &mut MatchChange,
        cmr: &CertifiedMatchResult,
        now: i64,
    ) -> Result<(), AuthorityError> {
        if !change.rated || self.achievements.definitions.is_empty() {
            return Ok(());
        }
        let signing = self.community.issuer()?;
        for player in &mut change.players {
            let Some(row) = player.ratings.first() else {
                continue;
            };
            let won = cmr.players.iter().any(|p| {
                p.key == player.player_key
                    && super::ingest::record_result(p.result).ok() == Some(PlayerResult::Win)
            });
            let progress = Progress {
                won,
                season_wins: row.wins,
                season_games: row.games_played,
                streak: row.streak,
                season: row.season,
            };
            let earned = rules::earned(
                &self.achievements.definitions,
                &self.settings.game_modules,
                &row.game_module,
                &progress,
            );
            if earned.is_empty() {
                continue;
            }
            let module = row.game_module.clone();
            let ids: Vec<String> = earned
                .iter()
                .map(|e| e.record_id.clone())
                .filter(|id| !self.held.knows(&player.player_key, &module, id))
                .collect();
            if ids.is_empty() {
                continue;
            }
            let held = self
                .store
                .held_achievements(&player.player_key, &module, &ids)
                .await?;
            for id in &held {
                self.held.remember(&player.player_key, &module, id);
            }
            for id in ids.iter().filter(|id| !held.contains(id)) {
                let sequence = player.new_last_sequence + 1;
                let unlock = Unlock {
                    player: player.player_key,
                    game_module: &module,
                    achievement_id: id,
                    unlocked_at: change.played_at,
                    match_id: Some(change.match_id),
                    verification: AchievementVerification::Verified,
                };
                let (record, stored) = achievement(&signing, &unlock, sequence, now, None)?;
                player.records.push(record);
                player.achievements.push(stored);
                player.new_last_sequence = sequence;
            }
        }
        Ok(())
    }

    /// Issues an achievement the player claims (rule `claim`) under the configured policy:
    /// `optimistic` and, with the `optimistic` policy, due for an upgrade after the window.
    pub async fn claim_achievement(
        &self,
        player: &PlayerKey,
        module: &str,
        id: &str,
        now: i64,
    ) -> Result<IssuedRecord, AuthorityError> {
        let policy = self.achievements.policy;
        if policy == AchievementPolicy::RelayAttested {
            return Err(AuthorityError::ClaimsRefused);
        }
        let definition = self
            .achievements
            .definition(id)
            .ok_or_else(|| AuthorityError::UnknownAchievement(id.to_owned()))?;
        if definition.rule != AchievementRule::Claim {
            return Err(AuthorityError::NotClaimable(id.to_owned()));
        }
        if !definition.applies_to(module, &self.settings.game_modules) {
            return Err(AuthorityError::UnknownGameModule(module.to_owned()));
        }
        let upgrade_at = (policy == AchievementPolicy::Optimistic).then(|| {
            now.saturating_add(i64::from(self.achievements.challenge_window_hours) * 3600)
        });
        let _locked = self.locks.lock(std::slice::from_ref(player)).await;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let snapshot = self.require_registered(player).await?;
            let held = self
                .store
                .held_achievements(player, module, &[id.to_owned()])
                .await?;
            if !held.is_empty() {
                return Err(AuthorityError::AchievementHeld(id.to_owned()));
            }
            let sequence = snapshot.last_sequence + 1;
            let unlock = Unlock {
                player: *player,
                game_module: module,
                achievement_id: id,
                unlocked_at: now,
                match_id: None,
                verification: AchievementVerification::Optimistic,
            };
            let (record, stored) = achievement(
                &self.community.issuer()?,
                &unlock,
                sequence,
                now,
                upgrade_at,
            )?;
            if self
                .apply_achievement(
                    player,
                    snapshot.last_sequence,
                    sequence,
                    Some(&record),
                    stored,
                )
                .await?
            {
                return Ok(record);
            }
        }
        Err(AuthorityError::Busy)
    }

    /// Re-issues an unchallenged optimistic claim whose window passed as verified (a new
    /// record with a higher sequence); `None` when it is no longer due (challenged, or
    /// upgraded meanwhile by another process).
    pub async fn upgrade_claim(
        &self,
        due: &AchievementRow,
        now: i64,
    ) -> Result<Option<IssuedRecord>, AuthorityError> {
        let player = &due.player_key;
        let _locked = self.locks.lock(std::slice::from_ref(player)).await;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let snapshot = self.require_registered(player).await?;
            let Some(current) = self
                .held_row(player, &due.game_module, &due.achievement_id)
                .await?
            else {
                return Ok(None);
            };
            let still_due =
                current.challenged_at.is_none() && current.upgrade_at.is_some_and(|at| at <= now);
            if !still_due {
                return Ok(None);
            }
            let sequence = snapshot.last_sequence + 1;
            let unlock = Unlock {
                player: *player,
                game_module: &current.game_module,
                achievement_id: &current.achievement_id,
                unlocked_at: current.unlocked_at,
                match_id: current.match_id,
                verification: AchievementVerification::Verified,
            };
            let (record, stored) =
                achievement(&self.community.issuer()?, &unlock, sequence, now, None)?;
            if self
                .apply_achievement(
                    player,
                    snapshot.last_sequence,
                    sequence,
                    Some(&record),
                    stored,
                )
                .await?
            {
                return Ok(Some(record));
            }
        }
        Err(AuthorityError::Busy)
    }

    /// A moderator's challenge of an optimistic claim still in its window: it is then never
    /// upgraded (it stays `optimistic`; revoking it is a separate decision).
    pub async fn challenge_achievement(
        &self,
        player: &PlayerKey,
        module: &str,
        id: &str,
        now: i64,
    ) -> Result<AchievementRow, AuthorityError> {
        let _locked = self.locks.lock(std::slice::from_ref(player)).await;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let snapshot = self.require_registered(player).await?;
            let current = self
                .held_row(player, module, id)
                .await?
                .ok_or_else(|| AuthorityError::UnknownAchievement(id.to_owned()))?;
            if current.upgrade_at.is_none() || current.challenged_at.is_some() {
                return Err(AuthorityError::NotChallengeable(id.to_owned()));
            }
            let challenged = AchievementRow {
                challenged_at: Some(now),
                ..current
            };
            // The sequence moves (no record uses the number) so an upgrade planned against
            // the old one conflicts and re-reads the challenge.
            let sequence = snapshot.last_sequence + 1;
            if self
                .apply_achievement(
                    player,
                    snapshot.last_sequence,
                    sequence,
                    None,
                    challenged.clone(),
                )
                .await?
            {
                return Ok(challenged);
            }
        }
        Err(AuthorityError::Busy)
    }

    /// The achievements `player` holds, oldest first.
    pub async fn achievements_of(
        &self,
        player: &PlayerKey,
    ) -> Result<Vec<AchievementRow>, AuthorityError> {
        self.require_registered(player).await?;
        Ok(self.store.achievements_of(player).await?)
    }

    /// Unchallenged claims whose window passed at `now`, at most `limit`.
    pub async fn due_claims(
        &self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<AchievementRow>, AuthorityError> {
        Ok(self.store.due_upgrades(now, limit).await?)
    }

    async fn held_row(
        &self,
        player: &PlayerKey,
        module: &str,
        id: &str,
    ) -> Result<Option<AchievementRow>, AuthorityError> {
        let rows = self.store.achievements_of(player).await?;
        Ok(rows
            .into_iter()
            .find(|row| row.game_module == module && row.achievement_id == id))
    }

    /// Writes one achievement row (and the record issuing it, if any) under the sequence
    /// check: false when the player's sequence moved (plan again).
    async fn apply_achievement(
        &self,
        player: &PlayerKey,
        expected: u64,
        sequence: u64,
        record: Option<&IssuedRecord>,
        row: AchievementRow,
    ) -> Result<bool, AuthorityError> {
        let change = PlayerChange {
            player_key: *player,
            expected_last_sequence: expected,
            new_last_sequence: sequence,
            ratings: Vec::new(),
            records: record.into_iter().cloned().collect(),
            opponents: Vec::new(),
            revocation: None,
            achievements: vec![row],
        };
        match self.store.apply_player_change(&change).await? {
            Applied::Done => {
                if let Some(record) = record {
                    self.metrics.record_issued(record.record_type);
                }
                Ok(true)
            }
            Applied::Conflict | Applied::AlreadyApplied(_) => Ok(false),
        }
    }
}

/// The signed record of `unlock` at `sequence`, and the row that stores it.
fn achievement(
    signing: &scr::KeyPair,
    unlock: &Unlock<'_>,
    sequence: u64,
    issued_at: i64,
    upgrade_at: Option<i64>,
) -> Result<(IssuedRecord, AchievementRow), AuthorityError> {
    let record = RecordBuilder::new(Payload::Achievement(AchievementPayload {
        game_module: unlock.game_module.to_owned(),
        achievement_id: unlock.achievement_id.to_owned(),
        unlocked_at: unlock.unlocked_at,
        match_id: unlock.match_id,
        verification: unlock.verification,
    }))
    .player(unlock.player)
    .sequence(sequence)
    .issued_at(issued_at)
    .sign(signing)?;
    let issued = issued(
        unlock.player,
        RecordType::Achievement,
        record.into_bytes(),
        sequence,
        unlock.match_id,
        issued_at,
    );
    let row = AchievementRow {
        player_key: unlock.player,
        game_module: unlock.game_module.to_owned(),
        achievement_id: unlock.achievement_id.to_owned(),
        sequence,
        verification: unlock.verification.to_byte(),
        unlocked_at: unlock.unlocked_at,
        match_id: unlock.match_id,
        upgrade_at,
        challenged_at: None,
    };
    Ok((issued, row))
}
