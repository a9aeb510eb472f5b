//! Who may queue: a presented rating record verified against this community's keys and
//! revocations, the records presented for a queue's trust requirement, and the moderation
//! sanctions on queueing, turned into what the queue needs.

use ranking::FixedRating;
use ranking::description::{PlayerId, PlayerRating};
use scr::payload::Payload;
use scr::{PlayerKey, RecordView};

use super::state::Joining;
use super::{Matchmaker, MatchmakerError, QueueRestriction};
use crate::federation::{OwnCommunity, PresentedCredential, verify_credentials};
use crate::matchmaking::Member;
use crate::presented::verify_presented;
use crate::seasons::{SeasonStanding, season_of_record};

impl Matchmaker {
    /// Verifies a presented rating record of `player` and reads what the queue needs from it.
    pub(super) async fn joining(
        &self,
        player: &PlayerKey,
        record: &[u8],
        presented: &[PresentedCredential],
    ) -> Result<Joining, MatchmakerError> {
        let now = i64::try_from(self.now_ms() / 1000).unwrap_or(i64::MAX);
        // A sanction is the answer a cooled-down player needs, whatever the record says (a
        // ranked suspension that comes with it has also revoked the record).
        let mut low_priority = false;
        for restrictions in &self.parts.restrictions {
            match restrictions.restriction(player, now).await? {
                Some(QueueRestriction::Cooldown { until, reason }) => {
                    return Err(MatchmakerError::Cooldown { until, reason });
                }
                Some(QueueRestriction::LowPriority) => low_priority = true,
                None => {}
            }
        }
        let view = RecordView::parse(record)
            .map_err(|e| MatchmakerError::RecordInvalid(e.code().into()))?;
        if view.player_key() != *player {
            return Err(MatchmakerError::NotYourRecord);
        }
        let verified = verify_presented(
            self.parts.store.as_ref(),
            &self.parts.community.current().chain,
            player,
            record,
            now,
        )
        .await?
        .map_err(|error| MatchmakerError::RecordInvalid(error.code().into()))?;
        let Payload::Rating(rating) = verified.payload() else {
            return Err(MatchmakerError::NotARatingRecord);
        };
        // The previous season's record still queues (the player places again); an older one
        // does not.
        let seasons = self.parts.store.seasons().await?;
        if let Some(running) = seasons.iter().find(|season| !season.ended) {
            let season = season_of_record(rating.season, verified.issued_at(), &seasons);
            if SeasonStanding::of(season, running.season) == SeasonStanding::Expired {
                return Err(MatchmakerError::SeasonExpired {
                    season,
                    running: running.season,
                });
            }
        }
        // Verified here, in the process the player asked; the leader checks them against the
        // queue's requirement (it alone knows a party's queue).
        let credentials = verify_credentials(
            &self.parts.remote,
            OwnCommunity {
                store: self.parts.store.as_ref(),
                chain: &self.parts.community.current().chain,
            },
            player,
            presented,
            now,
        )
        .await?;
        Ok(Joining {
            credentials,
            member: Member {
                key: *player,
                rating: PlayerRating {
                    player_id: PlayerId(*player.as_bytes()),
                    rating: FixedRating {
                        rating: rating.rating,
                        deviation: rating.deviation,
                        volatility: rating.volatility,
                    },
                    games_played: rating.games_played,
                },
            },
            module: rating.game_module.clone(),
            tier: self
                .parts
                .tiers
                .tiers_for(&rating.game_module)
                .position(rating.rating, None)
                .and_then(|p| p.tier_index),
            in_placement: rating.games_played < self.parts.placement_matches,
            low_priority,
        })
    }
}
