//! The matchmaking capability at run time: verifies presented rating records, holds the
//! queues, runs passes on the adaptive interval, delivers events and hands matches to a relay.
//!
//! The rules live in `crate::matchmaking` (pure) and `state.rs` (state changes without I/O);
//! this file adds the clock, the database, the event channels and the relay hand-off.

pub mod error;
pub mod events;
pub mod handoff;
pub mod live;
pub mod metrics;
pub mod relays;
pub mod remote_relay;
pub mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use ranking::description::{PlayerId, PlayerRating};
use ranking::tier::TierTable;
use ranking::{FixedRating, RankingProvider};
use scr::payload::Payload;
use scr::{PlayerKey, RecordView};
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::community::Community;
use crate::matchmaking::pacing::pass_interval_ms;
use crate::matchmaking::{MatchmakingSettings, Member};
use crate::presented::verify_presented;
use crate::store::{Store, StoreError};
pub use error::MatchmakerError;
pub use events::QueueEvent;
pub use handoff::{HandedOff, MatchPlan, RelayHandoff};
pub use live::{LiveMatch, LiveMatches, WatchError};
use metrics::MatchmakerMetrics;
use relay_core::ticket::SignedTicket;
use state::{AcceptedMatch, Joining, Outbox, State};
pub use state::{JoinChoices, Joined};

/// Events buffered per player stream before the slowest reader starts losing old ones.
const EVENT_BUFFER: usize = 32;

/// A sanction on queueing (from the moderation capability).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueRestriction {
    /// The player may not queue until `until` (Unix seconds).
    Cooldown {
        /// When the cooldown ends.
        until: u64,
        /// Why, as the player is told.
        reason: String,
    },
    /// The player queues, but its wait counts only after `low_priority_delay_secs`.
    LowPriority,
}

/// Where the matchmaker learns of sanctions on queueing.
#[async_trait]
pub trait QueueRestrictions: Send + Sync {
    /// The sanction on `player` at `now`, if any.
    async fn restriction(
        &self,
        player: &PlayerKey,
        now: i64,
    ) -> Result<Option<QueueRestriction>, StoreError>;
}

/// Everything the matchmaker is built from.
pub struct MatchmakerParts {
    /// The `[matchmaking]` settings with the rating window.
    pub settings: MatchmakingSettings,
    /// The rating math (match quality).
    pub provider: Box<dyn RankingProvider>,
    /// Tiers, for the party rule.
    pub tiers: TierTable,
    /// Matches before a player leaves placement.
    pub placement_matches: u32,
    /// This community's keys.
    pub community: Arc<Community>,
    /// The database (revocations and newest ratings for verification).
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where accepted matches go.
    pub handoff: Arc<dyn RelayHandoff>,
    /// Moderation sanctions, when that capability runs.
    pub restrictions: Option<Arc<dyn QueueRestrictions>>,
    /// Metrics, registered by the caller.
    pub metrics: MatchmakerMetrics,
}

/// Why the matchmaker could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The rating configuration has no usable provider.
    #[error("rating configuration: {0}")]
    Ranking(#[from] ranking::ConfigError),
    /// A metric could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

impl MatchmakerParts {
    /// The parts from the server's configuration; the caller brings the clock, the relay
    /// hand-off and (with moderation) the sanctions.
    pub fn from_config(
        config: &crate::config::Config,
        community: Arc<Community>,
        store: Arc<dyn Store>,
        metrics: &crate::metrics::Metrics,
        clock: Arc<dyn Clock>,
        handoff: Arc<dyn RelayHandoff>,
        restrictions: Option<Arc<dyn QueueRestrictions>>,
    ) -> Result<Self, SetupError> {
        Ok(Self {
            settings: config
                .matchmaking
                .clone()
                .with_window(config.rating.matchmaking.clone()),
            provider: ranking::provider_for(&config.rating)?,
            tiers: config.rating.tiers.clone(),
            placement_matches: config.rating.season.placement_matches,
            community,
            store,
            clock,
            handoff,
            restrictions,
            metrics: MatchmakerMetrics::register(metrics)?,
        })
    }
}

/// The running matchmaker.
pub struct Matchmaker {
    parts: MatchmakerParts,
    state: Mutex<State>,
    channels: Mutex<HashMap<PlayerKey, broadcast::Sender<QueueEvent>>>,
    live: Mutex<LiveMatches>,
}

impl Matchmaker {
    /// A matchmaker with empty queues.
    pub fn new(parts: MatchmakerParts) -> Self {
        Self {
            parts,
            state: Mutex::new(State::default()),
            channels: Mutex::new(HashMap::new()),
            live: Mutex::new(LiveMatches::default()),
        }
    }

    fn live(&self) -> MutexGuard<'_, LiveMatches> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Matches placed on a relay lately, newest first.
    pub fn live_matches(&self) -> Vec<LiveMatch> {
        self.live().listed(self.now_ms())
    }

    /// A spectator ticket for `viewer` in the listed match `game_id`, signed with the
    /// community's current key like the players' tickets.
    pub fn spectator_ticket(
        &self,
        game_id: u64,
        viewer: PlayerKey,
    ) -> Result<(LiveMatch, SignedTicket), WatchError> {
        let signing = self.parts.community.issuer()?;
        self.live()
            .spectator_ticket(game_id, viewer, &signing, self.now_ms())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.parts.clock.now_ms()
    }

    /// Delivers events to whoever listens; a player without a stream sees them on its next
    /// status request or stream.
    fn deliver(&self, out: Outbox) {
        let channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (player, event) in out {
            if let Some(sender) = channels.get(&player) {
                let _ = sender.send(event);
            }
        }
    }

    /// Verifies a presented rating record of `player` and reads what the queue needs from it.
    async fn joining(&self, player: &PlayerKey, record: &[u8]) -> Result<Joining, MatchmakerError> {
        let now = i64::try_from(self.now_ms() / 1000).unwrap_or(i64::MAX);
        // A sanction is the answer a cooled-down player needs, whatever the record says (a
        // ranked suspension that comes with it has also revoked the record).
        let mut low_priority = false;
        if let Some(restrictions) = &self.parts.restrictions {
            match restrictions.restriction(player, now).await? {
                Some(QueueRestriction::Cooldown { until, reason }) => {
                    return Err(MatchmakerError::Cooldown { until, reason });
                }
                Some(QueueRestriction::LowPriority) => low_priority = true,
                None => {}
            }
        }
        let view =
            RecordView::parse(record).map_err(|e| MatchmakerError::RecordInvalid(e.code()))?;
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
        .map_err(|error| MatchmakerError::RecordInvalid(error.code()))?;
        let Payload::Rating(rating) = verified.payload() else {
            return Err(MatchmakerError::NotARatingRecord);
        };
        Ok(Joining {
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
                .position(rating.rating, None)
                .and_then(|p| p.tier_index),
            in_placement: rating.games_played < self.parts.placement_matches,
            low_priority,
        })
    }

    /// Queues `player` with its presented rating record (or opens a party).
    pub async fn join(
        &self,
        player: &PlayerKey,
        record: &[u8],
        choices: JoinChoices,
    ) -> Result<Joined, MatchmakerError> {
        let joining = self.joining(player, record).await?;
        let mut out = Vec::new();
        let joined = self.state().join(
            joining,
            choices,
            &self.parts.settings,
            self.now_ms(),
            &mut out,
        )?;
        self.deliver(out);
        self.update_gauges();
        Ok(joined)
    }

    /// Confirms a party invitation with the member's own rating record.
    pub async fn confirm_party(
        &self,
        player: &PlayerKey,
        party_id: u64,
        record: &[u8],
    ) -> Result<Joined, MatchmakerError> {
        let joining = self.joining(player, record).await?;
        let mut out = Vec::new();
        let joined = self.state().confirm(
            party_id,
            joining,
            &self.parts.settings,
            self.now_ms(),
            &mut out,
        )?;
        self.deliver(out);
        self.update_gauges();
        Ok(joined)
    }

    /// Leaves the queue (a pending ready check counts as declined).
    pub fn leave(&self, player: &PlayerKey) -> Result<(), MatchmakerError> {
        let mut out = Vec::new();
        self.state()
            .leave(player, &self.parts.settings, self.now_ms(), &mut out)?;
        self.deliver(out);
        self.update_gauges();
        Ok(())
    }

    /// Declines a found match.
    pub fn decline(&self, player: &PlayerKey, match_id: u64) -> Result<(), MatchmakerError> {
        let mut out = Vec::new();
        self.state().decline(
            match_id,
            player,
            &self.parts.settings,
            self.now_ms(),
            &mut out,
        )?;
        self.deliver(out);
        self.update_gauges();
        Ok(())
    }

    /// Accepts a found match; when the last player accepts, the match goes to a relay.
    pub async fn accept(&self, player: &PlayerKey, match_id: u64) -> Result<(), MatchmakerError> {
        let accepted = self.state().accept(match_id, player, self.now_ms())?;
        if let Some(accepted) = accepted {
            self.hand_off(accepted).await;
        }
        Ok(())
    }

    /// Hands an accepted match to a relay and tells the players where to connect; when no
    /// relay takes it, everyone goes back to the front of the queue.
    async fn hand_off(&self, accepted: AcceptedMatch) {
        let live = &accepted.live;
        let team_of = |entry: u64| usize::from(live.teams[1].contains(&entry));
        let mut teams: [Vec<PlayerKey>; 2] = [Vec::new(), Vec::new()];
        let mut regions: Option<Vec<String>> = None;
        for entry in &live.entries {
            teams[team_of(entry.id)].extend(entry.members.iter().map(|m| m.key));
            if !entry.regions.is_empty() {
                regions = Some(match regions {
                    None => entry.regions.clone(),
                    Some(shared) => shared
                        .into_iter()
                        .filter(|r| entry.regions.contains(r))
                        .collect(),
                });
            }
        }
        let plan = MatchPlan {
            module: live.queue.module.clone(),
            ranked: live.queue.mode.ranked(),
            teams,
            regions: regions.unwrap_or_default(),
            ticket_ttl_secs: self.parts.settings.ticket_ttl_secs,
        };
        let now = self.now_ms();
        match self.parts.handoff.hand_off(&plan, now).await {
            Ok(handed) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let mut out = Vec::new();
                let mut state = self.state();
                for (player, ticket) in &handed.tickets {
                    let event = QueueEvent::MatchReady {
                        match_id: accepted.id,
                        relay_address: handed.relay_address.clone(),
                        relay_key: handed.relay_key.to_string(),
                        ticket: b64.encode(ticket),
                        game_id: handed.game_id(),
                    };
                    let until = now + self.parts.settings.ticket_ttl_secs * 1000;
                    state.remember_ready(*player, event.clone(), until);
                    out.push((*player, event));
                }
                drop(state);
                self.live().placed(
                    state::queue_name(&live.queue),
                    plan.teams.clone(),
                    &handed,
                    now,
                );
                self.parts.metrics.handoffs.with_label_values(&["ok"]).inc();
                self.deliver(out);
            }
            Err(error) => {
                tracing::warn!(%error, "no relay took the match; players requeued");
                self.parts
                    .metrics
                    .handoffs
                    .with_label_values(&["failed"])
                    .inc();
                let mut out = Vec::new();
                let mut state = self.state();
                for mut entry in accepted.live.entries {
                    entry.front = true;
                    for member in &entry.members {
                        out.push((
                            member.key,
                            QueueEvent::Requeued {
                                reason: "relay_unavailable".into(),
                            },
                        ));
                    }
                    state.requeue(accepted.live.queue.clone(), entry);
                }
                drop(state);
                self.deliver(out);
            }
        }
        self.update_gauges();
    }

    /// Where `player` stands now, as events (empty when idle).
    pub fn status(&self, player: &PlayerKey) -> Vec<QueueEvent> {
        self.state().current(player, self.now_ms())
    }

    /// Opens an event stream: the events describing where the player stands, then every new
    /// one. Dropping the guard marks the stream closed (the entry then lives for its TTL).
    pub fn subscribe(
        self: &Arc<Self>,
        player: PlayerKey,
    ) -> (
        Vec<QueueEvent>,
        broadcast::Receiver<QueueEvent>,
        StreamGuard,
    ) {
        let receiver = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(player)
            .or_insert_with(|| broadcast::channel(EVENT_BUFFER).0)
            .subscribe();
        let first = self.state().stream_opened(player, self.now_ms());
        let guard = StreamGuard {
            matchmaker: self.clone(),
            player,
        };
        (first, receiver, guard)
    }

    /// One round: expired ready checks and absent entries, then a pass over every queue.
    pub fn tick(&self) {
        let started = std::time::Instant::now();
        let mut out = Vec::new();
        let report = self.state().tick(
            self.parts.provider.as_ref(),
            &self.parts.settings,
            self.now_ms(),
            &mut out,
        );
        self.parts
            .metrics
            .pass_duration
            .observe(started.elapsed().as_secs_f64());
        for wait in report.waits_secs {
            self.parts.metrics.wait.observe(wait);
        }
        for quality in report.qualities {
            self.parts.metrics.quality.observe(quality);
        }
        for queue in report.unmatched_passes {
            self.parts
                .metrics
                .unmatched_passes
                .with_label_values(&[&queue])
                .inc();
        }
        self.deliver(out);
        self.update_gauges();
    }

    /// The pause before the next tick, from the number of players queued.
    pub fn next_interval(&self) -> Duration {
        let queued: usize = self.state().queued_players().iter().map(|(_, n)| n).sum();
        Duration::from_millis(pass_interval_ms(&self.parts.settings, queued))
    }

    /// Ticks forever on the adaptive interval (the capability's background task).
    pub async fn run(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.next_interval()).await;
            self.tick();
        }
    }

    fn update_gauges(&self) {
        for (queue, players) in self.state().queued_players() {
            self.parts
                .metrics
                .queued
                .with_label_values(&[&queue])
                .set(players as i64);
        }
    }
}

/// Marks a player's event stream closed when dropped.
pub struct StreamGuard {
    matchmaker: Arc<Matchmaker>,
    player: PlayerKey,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let now = self.matchmaker.now_ms();
        self.matchmaker.state().stream_closed(self.player, now);
    }
}
