//! Certified match ingestion: verify the relay's result, rate the match, issue each player a
//! rating and a match record (and the achievements it earns), all in one transaction, exactly
//! once per match.

use std::collections::BTreeMap;

use ranking::description::{
    MatchDescription, MatchEnd, MatchMode, Participant as RatedPlayer, PlayerId, PlayerRating,
    Team, idle_periods,
};
use relay_core::cmr::{
    CertifiedMatchResult, MatchOutcome, PlayerResult as CmrResult, TrustedRelays,
};
use scr::payload::{Participant, PlayerResult};
use scr::{CommunityKey, PlayerKey};
use sha2::{Digest, Sha256};

use super::records::{MatchFacts, PlayerLine, match_record, rating_record};
use super::{Authority, AuthorityError, MAX_PLAN_ATTEMPTS};
use crate::store::{
    Abandon, Applied, IssuedRecord, MatchChange, MatchInputs, PlayerChange, PlayerSnapshot,
    RatingRow,
};

/// The result of an ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// The match id (SHA-256 of the certified result).
    pub match_id: [u8; 32],
    /// Records issued, per player.
    pub records: Vec<IssuedRecord>,
    /// False when the match had been applied before (nothing changed now).
    pub newly_applied: bool,
}

impl Authority {
    /// Ingests a certified match result.
    pub async fn ingest(&self, bytes: &[u8], now: i64) -> Result<Ingested, AuthorityError> {
        let result = self.ingest_inner(bytes, now).await;
        let label = match &result {
            Ok(ingested) if ingested.newly_applied => "accepted",
            Ok(_) => "duplicate",
            Err(error) => error.code(),
        };
        self.metrics.matches.with_label_values(&[label]).inc();
        result
    }

    async fn ingest_inner(&self, bytes: &[u8], now: i64) -> Result<Ingested, AuthorityError> {
        let verified = self.verify_cmr(bytes).await?;
        let match_id = *verified.match_id().as_bytes();
        let cmr = verified.value();
        let keys: Vec<PlayerKey> = cmr.players.iter().map(|p| p.key).collect();
        let participants_hash = participants_hash(&keys);
        let window = i64::from(self.rating.information.rematch_window_secs);
        let meetings_since = played_at(cmr).saturating_sub(window);
        // Locked before reading: no other ingest of these players can move their sequences
        // between the read and the write, so a plan conflicts only with another process.
        let _locked = self.locks.lock(&keys).await;
        let read = || {
            self.store.match_inputs(
                &match_id,
                &keys,
                &cmr.game_module,
                &participants_hash,
                meetings_since,
            )
        };
        let duplicate = |records| {
            Ok(Ingested {
                match_id,
                records,
                newly_applied: false,
            })
        };
        // The planning state and the suspensions are independent reads: made together.
        let (first, suspended) = tokio::join!(read(), self.refuse_suspended(&keys, now));
        let mut inputs = first?;
        // A result applied before is returned again whatever changed since; only a new one
        // is checked. A result with a suspended player is refused whole (not applied, so it
        // can be resubmitted once the suspension ends) rather than rating the others around
        // them.
        if let MatchInputs::Applied(records) = inputs {
            return duplicate(records);
        }
        if !self.settings.game_modules.contains(&cmr.game_module) {
            return Err(AuthorityError::UnknownGameModule(cmr.game_module.clone()));
        }
        suspended?;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let (snapshots, prior_meetings) = match inputs {
                MatchInputs::Applied(records) => return duplicate(records),
                MatchInputs::New {
                    snapshots,
                    prior_meetings,
                } => (snapshots, prior_meetings),
            };
            let desperation = self.desperation_weight(cmr, &snapshots).await?;
            let habitual = self.habitual_leavers(cmr, played_at(cmr)).await?;
            let planned = Planned {
                snapshots,
                prior_meetings,
                participants_hash,
                desperation,
                habitual,
            };
            let mut change = self.plan_match(cmr, bytes, match_id, now, planned)?;
            self.award_match_achievements(&mut change, cmr, now).await?;
            match self.store.apply_match(&change).await? {
                Applied::Done => {
                    if change.rated {
                        self.ranks.changed();
                    }
                    for row in change.players.iter().flat_map(|p| &p.achievements) {
                        self.held
                            .remember(&row.player_key, &row.game_module, &row.achievement_id);
                    }
                    let records: Vec<IssuedRecord> =
                        change.players.into_iter().flat_map(|p| p.records).collect();
                    for record in &records {
                        self.metrics.record_issued(record.record_type);
                    }
                    return Ok(Ingested {
                        match_id,
                        records,
                        newly_applied: true,
                    });
                }
                Applied::AlreadyApplied(records) => return duplicate(records),
                // Another process moved a sequence: plan again on what is stored now.
                Applied::Conflict => inputs = read().await?,
            }
        }
        Err(AuthorityError::Busy)
    }

    /// Accepts only results signed by a trusted relay for a key of this community.
    async fn verify_cmr(
        &self,
        bytes: &[u8],
    ) -> Result<relay_core::cmr::Verified<CertifiedMatchResult>, AuthorityError> {
        let (claimed, _) = CertifiedMatchResult::decode_unverified(bytes)?;
        let ours = self
            .community
            .current()
            .chain
            .epochs()
            .iter()
            .any(|epoch| epoch.key.public_key() == claimed.community_key.public_key());
        let community: CommunityKey = if ours {
            claimed.community_key
        } else {
            self.community.signing_key()
        };
        let fixed = self.fixed_relays.get();
        if fixed.keys.contains(&claimed.relay_key) {
            return Ok(fixed.verifier.verify(bytes, &community)?);
        }
        // Keys trusted through the CLI live in the database and may change while the server
        // runs, so they are read for every result from another relay.
        let from_cli = self.store.trusted_relays().await?;
        let trusted = TrustedRelays::new(from_cli.into_iter().map(|(key, _)| key))?;
        Ok(trusted.verify(bytes, &community)?)
    }

    /// The change a new match makes, planned from the store's state in `planned`.
    fn plan_match(
        &self,
        cmr: &CertifiedMatchResult,
        bytes: &[u8],
        match_id: [u8; 32],
        now: i64,
        planned: Planned,
    ) -> Result<MatchChange, AuthorityError> {
        let board = self.ranks.current(&cmr.game_module);
        let mut players = Vec::with_capacity(cmr.players.len());
        for (player, snapshot) in cmr.players.iter().zip(&planned.snapshots) {
            players.push(
                snapshot
                    .clone()
                    .ok_or(AuthorityError::UnregisteredPlayer(player.key))?,
            );
        }
        let played_at = played_at(cmr);
        let participants_hash = planned.participants_hash;
        // A degraded result is void unless the community gives it a weight.
        let void_degraded = cmr.degraded && self.rating.information.degraded_weight == 0;
        let grace_voided = matches!(cmr.outcome, MatchOutcome::GraceVoided { .. });
        let rated = !matches!(
            cmr.outcome,
            MatchOutcome::Remade
                | MatchOutcome::ServerRestart
                | MatchOutcome::DesyncTerminated { .. }
        ) && !grace_voided
            && !void_degraded;
        let mut change = MatchChange {
            match_id,
            cmr: bytes.to_vec(),
            participants_hash,
            played_at,
            accepted_at: now,
            rated,
            players: Vec::new(),
            abandons: abandons(cmr, match_id, played_at, rated, grace_voided),
        };
        if !rated {
            // Remade, grace-voided, restarted, desync-terminated and void degraded matches are
            // recorded (so a resubmission is a duplicate) but change no rating and issue no
            // record.
            return Ok(change);
        }

        let description = self.describe(cmr, &players, played_at, &planned)?;
        let updated = self
            .provider
            .update_ratings(&description)
            .map_err(|error| AuthorityError::InvalidMatch(error.to_string()))?;
        let updated: BTreeMap<PlayerId, PlayerRating> =
            updated.into_iter().map(|r| (r.player_id, r)).collect();

        let participants: Vec<Participant> = cmr
            .players
            .iter()
            .map(|p| {
                Ok(Participant {
                    player_key: p.key,
                    team: p.team.0,
                    result: record_result(p.result)?,
                })
            })
            .collect::<Result<_, AuthorityError>>()?;
        // One key for the whole match, even if a rotation lands meanwhile.
        let signing = self.community.issuer()?;
        let facts = MatchFacts {
            match_id,
            game_module: &cmr.game_module,
            map_name: &cmr.map_name,
            played_at,
            duration_ticks: cmr.final_tick,
            relay_key: cmr.relay_key,
            participants: &participants,
        };
        for (cmr_player, snapshot) in cmr.players.iter().zip(&players) {
            let key = cmr_player.key;
            let new = updated.get(&PlayerId(*key.as_bytes())).ok_or_else(|| {
                AuthorityError::InvalidMatch(format!("no rating update for {key}"))
            })?;
            let result = record_result(cmr_player.result)?;
            let before = self.current_rating(snapshot, &cmr.game_module);
            let rating_sequence = snapshot.last_sequence + 1;
            let row = RatingRow {
                game_module: cmr.game_module.clone(),
                algorithm_id: self.provider.algorithm_id().to_owned(),
                rating: new.rating.rating,
                deviation: if planned.habitual.contains(&key) {
                    self.leaver_deviation(&key, &cmr.game_module, new.rating.deviation)
                } else {
                    new.rating.deviation
                },
                volatility: new.rating.volatility,
                games_played: before.games_played.saturating_add(1),
                wins: before.wins + u32::from(result == PlayerResult::Win),
                losses: before.losses
                    + u32::from(matches!(
                        result,
                        PlayerResult::Loss | PlayerResult::Abandoned
                    )),
                draws: before.draws + u32::from(result == PlayerResult::Draw),
                streak: next_streak(before.streak, result),
                last_played_at: Some(played_at),
                rating_sequence,
                rating_expires_at: now.saturating_add(self.rating_validity_secs()),
                season: before.season,
                peak_rating: before.peak_rating,
            };
            let row = self.with_peak(row);
            // The rank the new rating has among the others as last built; a player not yet
            // on the board gets a rank once it is rebuilt, in the next record.
            let standing = board.as_ref().map_or((0, 0), |built| {
                let board = &built.board;
                match board.rank_of(&key) {
                    Some(_) => {
                        let rank = board.rank_with(&key, row.rating);
                        (rank, board.percentile(rank))
                    }
                    None => (0, 0),
                }
            });
            let mut rating = rating_record(&signing, key, &row, standing, now)?;
            // Tie the rating record to the match too, so a resubmission returns it again.
            rating.match_id = Some(match_id);
            let matched = match_record(
                &signing,
                key,
                &facts,
                PlayerLine {
                    result,
                    rating_before: before.rating,
                    rating_after: row.rating,
                },
                rating_sequence + 1,
                now,
            )?;
            let opponents = cmr
                .players
                .iter()
                .filter(|other| other.team != cmr_player.team)
                .map(|other| other.key)
                .collect();
            change.players.push(PlayerChange {
                player_key: key,
                expected_last_sequence: snapshot.last_sequence,
                new_last_sequence: rating_sequence + 1,
                ratings: vec![row],
                records: vec![rating, matched],
                opponents,
                revocation: None,
                achievements: Vec::new(),
            });
        }
        Ok(change)
    }

    /// The player's rating row in `module`, or the provider's initial rating if none exists.
    pub(super) fn current_rating(&self, snapshot: &PlayerSnapshot, module: &str) -> RatingRow {
        snapshot.rating.clone().unwrap_or_else(|| {
            self.initial_row(
                &snapshot.player_key,
                module,
                0,
                0,
                self.seasons.running_number(),
            )
        })
    }

    /// `row` with its season peak raised to its rating once placement is over: placement
    /// swings set no peak, because no tier is shown while placing.
    fn with_peak(&self, mut row: RatingRow) -> RatingRow {
        if row.games_played >= self.rating.season.placement_matches {
            row.peak_rating = Some(row.peak_rating.map_or(row.rating, |p| p.max(row.rating)));
        }
        row
    }

    /// Maps the certified result onto the ranking crate's neutral match description.
    fn describe(
        &self,
        cmr: &CertifiedMatchResult,
        players: &[PlayerSnapshot],
        played_at: i64,
        planned: &Planned,
    ) -> Result<MatchDescription, AuthorityError> {
        let prior_meetings = planned.prior_meetings;
        let period = self.rating.glicko2.inactivity_period_secs;
        let mut teams: BTreeMap<u8, Team> = BTreeMap::new();
        for (cmr_player, snapshot) in cmr.players.iter().zip(players) {
            let row = self.current_rating(snapshot, &cmr.game_module);
            let placement = match cmr_player.result {
                CmrResult::Win | CmrResult::Draw => 1,
                _ => 2,
            };
            let team = teams.entry(cmr_player.team.0).or_insert_with(|| Team {
                players: Vec::new(),
                placement,
            });
            // A team places by its best member: one winner makes the team a winner even if a
            // teammate was dropped.
            team.placement = team.placement.min(placement);
            team.players.push(RatedPlayer {
                rating: super::players::player_rating(&row, &cmr_player.key),
                idle_periods: row
                    .last_played_at
                    .map_or(0, |last| idle_periods(last, played_at, period)),
            });
        }
        let end = match cmr.outcome {
            MatchOutcome::Abandoned { leaver } => {
                let key = cmr
                    .players
                    .iter()
                    .find(|p| p.slot == leaver)
                    .map(|p| p.key)
                    .ok_or_else(|| AuthorityError::InvalidMatch("leaver is not a player".into()))?;
                MatchEnd::Abandoned {
                    leaver: PlayerId(*key.as_bytes()),
                }
            }
            _ => MatchEnd::Completed,
        };
        let tick_rate = u32::try_from(1_000_000 / u64::from(cmr.tick_interval_us.max(1)))
            .unwrap_or(u32::MAX)
            .max(1);
        Ok(MatchDescription {
            teams: teams.into_values().collect(),
            end,
            mode: if cmr.ranked {
                MatchMode::Ranked
            } else {
                MatchMode::Casual
            },
            duration_ticks: cmr.final_tick,
            tick_rate,
            prior_meetings,
            // A degraded result that is not void counts at the configured weight, a
            // desperation match at its weight, both together at their product.
            external_weight: if cmr.degraded {
                self.rating.information.degraded_weight * planned.desperation
                    / ranking::information::FULL
            } else {
                planned.desperation
            },
        })
    }
}

/// What the store said about a new match's players when it was planned.
struct Planned {
    /// Per player of the result, in its order (`None`: not registered).
    snapshots: Vec<Option<PlayerSnapshot>>,
    /// Rated matches between the same players within the rematch window.
    prior_meetings: u32,
    /// [`participants_hash`] of the players.
    participants_hash: [u8; 32],
    /// The desperation weight, permille (1000 for an ordinary match).
    desperation: u32,
    /// Leavers whose abandon here makes them habitual: their deviation rises.
    habitual: std::collections::BTreeSet<PlayerKey>,
}

/// The players who left `cmr` for good and earn a leaver cooldown: those of a rated match and
/// the early leaver of a grace-voided one. A match voided for another reason (a remake, a
/// desync, the relay's own bad conditions) costs nobody a cooldown.
fn abandons(
    cmr: &CertifiedMatchResult,
    match_id: [u8; 32],
    played_at: i64,
    rated: bool,
    grace_voided: bool,
) -> Vec<Abandon> {
    if !rated && !grace_voided {
        return Vec::new();
    }
    cmr.players
        .iter()
        .filter(|p| p.result == CmrResult::Abandoned)
        .map(|p| Abandon {
            player_key: p.key,
            match_id,
            at: played_at,
            voided: grace_voided,
        })
        .collect()
}

/// When the match ended, in Unix seconds.
fn played_at(cmr: &CertifiedMatchResult) -> i64 {
    cmr.ended_at_us.div_euclid(1_000_000)
}

/// SHA-256 over the sorted participant keys: the same players give the same hash.
fn participants_hash(keys: &[PlayerKey]) -> [u8; 32] {
    let mut sorted: Vec<&PlayerKey> = keys.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for key in sorted {
        hasher.update(key.as_bytes());
    }
    hasher.finalize().into()
}

/// The match record's result for a player of a rated match.
pub(super) fn record_result(result: CmrResult) -> Result<PlayerResult, AuthorityError> {
    match result {
        CmrResult::Win => Ok(PlayerResult::Win),
        CmrResult::Loss => Ok(PlayerResult::Loss),
        CmrResult::Draw => Ok(PlayerResult::Draw),
        // Dropped for a desync of its own making: for the record, the player left the match.
        CmrResult::Abandoned | CmrResult::DroppedForDesync => Ok(PlayerResult::Abandoned),
        CmrResult::NoResult => Err(AuthorityError::InvalidMatch(
            "a player of a rated match has no result".into(),
        )),
    }
}

fn next_streak(streak: i16, result: PlayerResult) -> i16 {
    match result {
        PlayerResult::Win => streak.max(0).saturating_add(1),
        PlayerResult::Loss | PlayerResult::Abandoned => streak.min(0).saturating_sub(1),
        PlayerResult::Draw => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaks_continue_and_reset() {
        assert_eq!(next_streak(2, PlayerResult::Win), 3);
        assert_eq!(next_streak(-2, PlayerResult::Win), 1);
        assert_eq!(next_streak(2, PlayerResult::Loss), -1);
        assert_eq!(next_streak(-3, PlayerResult::Abandoned), -4);
        assert_eq!(next_streak(5, PlayerResult::Draw), 0);
        assert_eq!(next_streak(i16::MAX, PlayerResult::Win), i16::MAX);
    }

    #[test]
    fn participants_hash_ignores_order() {
        let a = PlayerKey::from_bytes([1; 32]);
        let b = PlayerKey::from_bytes([2; 32]);
        assert_eq!(participants_hash(&[a, b]), participants_hash(&[b, a]));
        assert_ne!(participants_hash(&[a, b]), participants_hash(&[a]));
    }
}
