//! Player-facing operations: registration, records since a sequence, refresh of expiring
//! ratings, revocation, and the leaderboard.

use ranking::description::PlayerId;
use scr::payload::RevocationReason;
use scr::{PlayerKey, RecordType};

use super::records::{rating_record, revocation_record};
use super::{Authority, AuthorityError, MAX_PLAN_ATTEMPTS};
use crate::store::{
    Applied, IssuedRecord, LeaderboardRow, PlayerChange, RatingRow, Registered, Registration,
};

impl Authority {
    /// Registers `player` and issues an initial rating record per game module.
    pub async fn register(
        &self,
        player: PlayerKey,
        invite_code: Option<&str>,
        ip: &str,
        now: i64,
    ) -> Result<Vec<IssuedRecord>, AuthorityError> {
        if !self.registration_allowed(invite_code) {
            return Err(AuthorityError::InviteRequired);
        }
        let mut ratings = Vec::new();
        let mut records = Vec::new();
        for (index, module) in self.settings.game_modules.iter().enumerate() {
            let row = self.initial_row(
                &player,
                module,
                index as u64 + 1,
                now.saturating_add(self.rating_validity_secs()),
                self.seasons.running_number(),
            );
            // A new player is not on the leaderboard yet: rank 0.
            records.push(rating_record(
                &self.community.issuer()?,
                player,
                &row,
                (0, 0),
                now,
            )?);
            ratings.push(row);
        }
        let registration = Registration {
            change: PlayerChange {
                player_key: player,
                expected_last_sequence: 0,
                new_last_sequence: records.len() as u64,
                ratings,
                records: records.clone(),
                opponents: Vec::new(),
                revocation: None,
                achievements: Vec::new(),
            },
            ip: ip.to_owned(),
            day: now.div_euclid(86_400),
            ip_limit: self.settings.registrations_per_ip_per_day,
            registered_at: now,
        };
        match self.store.register(&registration).await? {
            Registered::Done => {
                self.ranks.changed();
                for record in &records {
                    self.metrics.record_issued(record.record_type);
                }
                Ok(records)
            }
            Registered::AlreadyRegistered => Err(AuthorityError::AlreadyRegistered),
            Registered::IpLimitReached => Err(AuthorityError::RegistrationLimit),
        }
    }

    /// Every record issued to `player` after sequence `since`.
    pub async fn records_since(
        &self,
        player: &PlayerKey,
        since: u64,
    ) -> Result<Vec<IssuedRecord>, AuthorityError> {
        self.require_registered(player).await?;
        Ok(self.store.records_since(player, since).await?)
    }

    /// Re-issues every rating record of `player` that expires within the refresh window, was
    /// revoked, was signed by a key that is no longer current (after a rotation), or names
    /// another season than the rating's (after a season change). Returns the
    /// new records (empty when nothing needed refreshing).
    pub async fn refresh(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Vec<IssuedRecord>, AuthorityError> {
        self.refuse_suspended(std::slice::from_ref(player), now)
            .await?;
        let _locked = self.locks.lock(std::slice::from_ref(player)).await;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let snapshot = self.require_registered(player).await?;
            let min_valid = self
                .store
                .revocations(player)
                .await?
                .into_iter()
                .find(|(record_type, _)| *record_type == RecordType::Rating.to_byte())
                .map_or(0, |(_, min)| min);
            let current_key = self.community.signing_key().public_key();
            let issued = self.store.records_since(player, 0).await?;
            let stored = |sequence: u64| {
                issued
                    .iter()
                    .find(|record| record.sequence == sequence)
                    .and_then(|record| scr::Record::decode(&record.bytes).ok())
            };
            let signed_by_old_key = |sequence: u64| {
                stored(sequence).is_none_or(|record| record.community_key() != current_key)
            };
            // After a season change the row is in the new season, the record still names the
            // old one (or, of the first layout, none).
            let names_other_season = |sequence: u64, season: u32| {
                stored(sequence).is_none_or(|record| match record.payload() {
                    scr::payload::Payload::Rating(rating) => rating.season != Some(season),
                    _ => true,
                })
            };
            let mut sequence = snapshot.last_sequence;
            let mut ratings = Vec::new();
            let mut records = Vec::new();
            for mut row in self.store.ratings(player).await? {
                let expiring = row.rating_expires_at - now <= self.settings.refresh_window_secs;
                let revoked = row.rating_sequence < min_valid;
                if !(expiring
                    || revoked
                    || signed_by_old_key(row.rating_sequence)
                    || names_other_season(row.rating_sequence, row.season))
                {
                    continue;
                }
                sequence += 1;
                row.rating_sequence = sequence;
                row.rating_expires_at = now.saturating_add(self.rating_validity_secs());
                let standing = self.rank(&row.game_module, player).await?;
                records.push(rating_record(
                    &self.community.issuer()?,
                    *player,
                    &row,
                    standing,
                    now,
                )?);
                ratings.push(row);
            }
            if records.is_empty() {
                return Ok(records);
            }
            let change = PlayerChange {
                player_key: *player,
                expected_last_sequence: snapshot.last_sequence,
                new_last_sequence: sequence,
                ratings,
                records: records.clone(),
                opponents: Vec::new(),
                revocation: None,
                achievements: Vec::new(),
            };
            match self.store.apply_player_change(&change).await? {
                Applied::Done => {
                    for record in &records {
                        self.metrics.record_issued(record.record_type);
                    }
                    return Ok(records);
                }
                Applied::Conflict | Applied::AlreadyApplied(_) => continue,
            }
        }
        Err(AuthorityError::Busy)
    }

    /// Revokes every `target` record issued to `player` so far; returns the revocation record.
    pub async fn revoke(
        &self,
        player: &PlayerKey,
        target: RecordType,
        reason: RevocationReason,
        now: i64,
    ) -> Result<IssuedRecord, AuthorityError> {
        if !target.is_revocable() {
            return Err(AuthorityError::InvalidMatch(format!(
                "{target} records cannot be revoked"
            )));
        }
        let _locked = self.locks.lock(std::slice::from_ref(player)).await;
        for _ in 0..MAX_PLAN_ATTEMPTS {
            let snapshot = self.require_registered(player).await?;
            let sequence = snapshot.last_sequence + 1;
            // The revocation's own sequence is the new minimum: everything issued before it
            // of the target type is invalid from now on.
            let record = revocation_record(
                &self.community.issuer()?,
                *player,
                target,
                sequence,
                reason,
                sequence,
                now,
            )?;
            let change = PlayerChange {
                player_key: *player,
                expected_last_sequence: snapshot.last_sequence,
                new_last_sequence: sequence,
                ratings: Vec::new(),
                records: vec![record.clone()],
                opponents: Vec::new(),
                revocation: Some((target.to_byte(), sequence)),
                achievements: Vec::new(),
            };
            match self.store.apply_player_change(&change).await? {
                Applied::Done => {
                    self.metrics.record_issued(record.record_type);
                    return Ok(record);
                }
                Applied::Conflict | Applied::AlreadyApplied(_) => continue,
            }
        }
        Err(AuthorityError::Busy)
    }

    /// The revocation records issued to `player`, oldest first.
    pub async fn revocation_records(
        &self,
        player: &PlayerKey,
    ) -> Result<Vec<IssuedRecord>, AuthorityError> {
        self.require_registered(player).await?;
        let records = self.store.records_since(player, 0).await?;
        Ok(records
            .into_iter()
            .filter(|r| r.record_type == RecordType::Revocation.to_byte())
            .collect())
    }

    /// One page of the leaderboard of `module`, best first.
    pub async fn leaderboard(
        &self,
        module: &str,
        limit: u32,
        after: Option<(i64, PlayerKey)>,
    ) -> Result<Vec<LeaderboardRow>, AuthorityError> {
        // From the rank board's snapshot: rows and ranks agree, and a page is a slice of
        // memory rather than a query that counts every candidate's opponents.
        let built = self.rank_board(module).await?;
        let start = built.start_after(after);
        Ok(built.rows(start, limit as usize).to_vec())
    }

    /// A registered player's rating in every game module they have one in (public standing).
    pub async fn standing(&self, player: &PlayerKey) -> Result<Vec<RatingRow>, AuthorityError> {
        self.require_registered(player).await?;
        Ok(self.store.ratings(player).await?)
    }

    /// Display form of a stored rating, as the configured algorithm shows it.
    pub fn display_rating(&self, row: &RatingRow, player: &PlayerKey) -> String {
        self.provider.display_rating(&player_rating(row, player))
    }

    /// Whether the rating is still provisional under the algorithm's threshold
    /// (`[rating.glicko2] provisional_deviation`, `[rating.elo] provisional_games`,
    /// `[rating.weng_lin] provisional_sigma`): shown so, it is not yet a settled skill.
    pub fn is_provisional(&self, row: &RatingRow, player: &PlayerKey) -> bool {
        self.provider.is_provisional(&player_rating(row, player))
    }

    pub(super) async fn require_registered(
        &self,
        player: &PlayerKey,
    ) -> Result<crate::store::PlayerSnapshot, AuthorityError> {
        let module = self
            .settings
            .game_modules
            .first()
            .map_or("", String::as_str);
        self.store
            .snapshots(std::slice::from_ref(player), module)
            .await?
            .into_iter()
            .next()
            .flatten()
            .ok_or(AuthorityError::NotRegistered)
    }
}

/// A stored rating as the ranking algorithms take it.
pub(super) fn player_rating(
    row: &RatingRow,
    player: &PlayerKey,
) -> ranking::description::PlayerRating {
    ranking::description::PlayerRating {
        player_id: PlayerId(*player.as_bytes()),
        rating: ranking::fixed::FixedRating {
            rating: row.rating,
            deviation: row.deviation,
            volatility: row.volatility,
        },
        games_played: row.games_played,
    }
}
