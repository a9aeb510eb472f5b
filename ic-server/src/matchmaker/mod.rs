//! The matchmaking capability at run time: every process verifies presented rating records and
//! serves its players' event streams; one process (the leader) holds the queues and runs passes.
//!
//! The rules live in `crate::matchmaking` (pure) and `state/` (state changes without I/O);
//! requests reach the leader through the shared queue (`store::shared_queue`: the database
//! for several processes, memory for one), and its events come back the same way to whichever
//! process holds the player's stream. `leader.rs` is the leader, `background.rs` the tasks
//! every process runs, `verify.rs` the check of a presented record.

mod background;
pub mod error;
pub mod events;
pub mod handoff;
mod holders;
mod leader;
pub mod live;
mod messages;
pub mod metrics;
pub mod relays;
pub mod remote_relay;
pub mod state;
mod verify;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use ranking::RankingProvider;
use scr::PlayerKey;
use tokio::sync::{Notify, broadcast, oneshot};

use crate::clock::Clock;
use crate::community::Community;
use crate::federation::PresentedCredential;
use crate::matchmaking::MatchmakingSettings;
use crate::store::{SharedQueue, Store, StoreError};
pub use error::MatchmakerError;
pub use events::QueueEvent;
pub use handoff::{HandedOff, MatchPlan, RelayHandoff};
pub use live::{LiveMatch, LiveMatches, WatchError};
use messages::{Answer, Ask, Request};
use metrics::MatchmakerMetrics;
use relay_core::ticket::SignedTicket;
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
    /// Tier tables per game module, for the party rule.
    pub tiers: ranking::config::RankingConfig,
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
    /// Sanctions on queueing: leaver cooldowns, and moderation's when that capability runs.
    pub restrictions: Vec<Arc<dyn QueueRestrictions>>,
    /// Metrics, registered by the caller.
    pub metrics: MatchmakerMetrics,
    /// Where requests to the leader go and its messages come from.
    pub queue: Arc<dyn SharedQueue>,
    /// Other communities' keys, for records presented to meet a queue's requirement.
    pub remote: Arc<crate::federation::RemoteCommunities>,
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
    /// hand-off and (with moderation) its sanctions. Leaver cooldowns (`[conduct]`) always apply.
    #[allow(clippy::too_many_arguments)]
    pub fn from_config(
        config: &crate::config::Config,
        community: Arc<Community>,
        store: Arc<dyn Store>,
        metrics: &crate::metrics::Metrics,
        clock: Arc<dyn Clock>,
        handoff: Arc<dyn RelayHandoff>,
        moderation: Option<Arc<dyn QueueRestrictions>>,
        queue: Arc<dyn SharedQueue>,
        remote: Arc<crate::federation::RemoteCommunities>,
    ) -> Result<Self, SetupError> {
        let leavers = crate::conduct::LeaverCooldowns::new(
            store.clone(),
            crate::conduct::LeaverPolicy::new(&config.conduct),
        );
        let mut restrictions: Vec<Arc<dyn QueueRestrictions>> = vec![Arc::new(leavers)];
        restrictions.extend(moderation);
        Ok(Self {
            settings: config
                .matchmaking
                .clone()
                .with_window(config.rating.matchmaking.clone()),
            provider: ranking::provider_for(&config.rating)?,
            tiers: config.rating.clone(),
            placement_matches: config.rating.season.placement_matches,
            community,
            store,
            clock,
            handoff,
            restrictions,
            metrics: MatchmakerMetrics::register(metrics)?,
            queue,
            remote,
        })
    }
}

/// When the leader runs its passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passes {
    /// On the adaptive interval (`pass_interval_*_ms`): a running server.
    Scheduled,
    /// Only when asked ([`Matchmaker::tick`]): tests on a hand-moved clock.
    OnRequest,
}

/// The matchmaker of one process: the front every process has, and the leader's loop while
/// this process leads.
pub struct Matchmaker {
    parts: MatchmakerParts,
    /// This process among those sharing the queue (random, new at each start).
    origin: u64,
    next_request: AtomicU64,
    /// Requests of this process waiting for the leader's answer.
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    /// Event channels of the players with a stream open here.
    channels: Mutex<HashMap<PlayerKey, broadcast::Sender<QueueEvent>>>,
    /// Streams open here, per player.
    streams: Mutex<HashMap<PlayerKey, usize>>,
    live: Mutex<LiveMatches>,
    /// The `[matchmaking]` settings now (a reload may replace them).
    settings: crate::live_setting::Live<MatchmakingSettings>,
    /// Wakes the leader's loop when a request arrives.
    wake: Notify,
    leading: AtomicBool,
}

/// Locks a mutex of plain data; a panic elsewhere while it was held leaves usable data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Matchmaker {
    /// A matchmaker; [`Matchmaker::start`] connects it to the shared queue.
    pub fn new(parts: MatchmakerParts) -> Self {
        Self {
            settings: crate::live_setting::Live::new(parts.settings.clone()),
            parts,
            origin: rand::random(),
            next_request: AtomicU64::new(0),
            waiting: Mutex::new(HashMap::new()),
            channels: Mutex::new(HashMap::new()),
            streams: Mutex::new(HashMap::new()),
            live: Mutex::new(LiveMatches::default()),
            wake: Notify::new(),
            leading: AtomicBool::new(false),
        }
    }

    /// The `[matchmaking]` settings now.
    fn settings(&self) -> Arc<MatchmakingSettings> {
        self.settings.get()
    }

    /// Applies reloaded `[matchmaking]` settings (and the `[rating.matchmaking]` window in
    /// them) from the next request and pass on.
    pub fn set_settings(&self, settings: MatchmakingSettings) {
        self.settings.set(settings);
    }

    /// Whether this process leads the queue now.
    pub fn is_leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// Matches placed on a relay lately, newest first.
    pub fn live_matches(&self) -> Vec<LiveMatch> {
        lock(&self.live).listed(self.now_ms())
    }

    /// A spectator ticket for `viewer` in the listed match `game_id`, signed with the
    /// community's current key like the players' tickets.
    pub fn spectator_ticket(
        &self,
        game_id: u64,
        viewer: PlayerKey,
    ) -> Result<(LiveMatch, SignedTicket), WatchError> {
        let signing = self.parts.community.issuer()?;
        lock(&self.live).spectator_ticket(game_id, viewer, &signing, self.now_ms())
    }

    fn now_ms(&self) -> u64 {
        self.parts.clock.now_ms()
    }

    /// How long a request waits for the leader: through a takeover, and then some.
    fn answer_timeout(&self) -> Duration {
        Duration::from_secs(self.settings().leader_failover_secs + 10)
    }

    /// Sends `ask` to the leader and waits for its answer.
    async fn ask(&self, ask: Ask) -> Result<Answer, MatchmakerError> {
        let id = self.next_request.fetch_add(1, Ordering::SeqCst) + 1;
        let (answered, answer) = oneshot::channel();
        lock(&self.waiting).insert(id, answered);
        let sent = self.send(id, ask).await;
        let answer = match sent {
            Ok(()) => tokio::time::timeout(self.answer_timeout(), answer).await,
            Err(error) => {
                lock(&self.waiting).remove(&id);
                return Err(error);
            }
        };
        match answer {
            Ok(Ok(answer)) => Ok(answer),
            _ => {
                lock(&self.waiting).remove(&id);
                Err(MatchmakerError::Unanswered)
            }
        }
    }

    /// Sends `ask` to the leader without waiting for an answer.
    async fn tell(&self, ask: Ask) -> Result<(), MatchmakerError> {
        self.send(0, ask).await
    }

    async fn send(&self, id: u64, ask: Ask) -> Result<(), MatchmakerError> {
        let request = Request {
            origin: self.origin,
            id,
            ask,
        };
        let body = serde_json::to_string(&request).map_err(|error| {
            MatchmakerError::Store(StoreError::WriteFailed(format!("request: {error}")))
        })?;
        self.parts.queue.submit(&body).await?;
        Ok(())
    }

    /// Queues `player` with its presented rating record (or opens a party); `credentials`
    /// are the records presented for the queue's trust requirement.
    pub async fn join(
        &self,
        player: &PlayerKey,
        record: &[u8],
        credentials: &[PresentedCredential],
        choices: JoinChoices,
    ) -> Result<Joined, MatchmakerError> {
        let joining = self.joining(player, record, credentials).await?;
        joined(self.ask(Ask::Join { joining, choices }).await?)
    }

    /// Confirms a party invitation with the member's own rating record (and the records it
    /// presents for the queue's trust requirement).
    pub async fn confirm_party(
        &self,
        player: &PlayerKey,
        party_id: u64,
        record: &[u8],
        credentials: &[PresentedCredential],
    ) -> Result<Joined, MatchmakerError> {
        let joining = self.joining(player, record, credentials).await?;
        joined(self.ask(Ask::Confirm { party_id, joining }).await?)
    }

    /// Leaves the queue (a pending ready check counts as declined).
    pub async fn leave(&self, player: &PlayerKey) -> Result<(), MatchmakerError> {
        done(self.ask(Ask::Leave { player: *player }).await?)
    }

    /// Declines a found match.
    pub async fn decline(&self, player: &PlayerKey, match_id: u64) -> Result<(), MatchmakerError> {
        done(
            self.ask(Ask::Decline {
                player: *player,
                match_id,
            })
            .await?,
        )
    }

    /// Accepts a found match; when the last player accepts, the answer comes once a relay
    /// took the match (or none did and everyone is back in the queue).
    pub async fn accept(&self, player: &PlayerKey, match_id: u64) -> Result<(), MatchmakerError> {
        done(
            self.ask(Ask::Accept {
                player: *player,
                match_id,
            })
            .await?,
        )
    }

    /// Bans `map` for `player`'s side in the veto of match `match_id`; when that leaves one
    /// map, the answer comes once a relay took the match.
    pub async fn ban(
        &self,
        player: &PlayerKey,
        match_id: u64,
        map: &str,
    ) -> Result<(), MatchmakerError> {
        done(
            self.ask(Ask::Ban {
                player: *player,
                match_id,
                map: map.to_owned(),
            })
            .await?,
        )
    }

    /// Where `player` stands now, as events (empty when idle).
    pub async fn status(&self, player: &PlayerKey) -> Result<Vec<QueueEvent>, MatchmakerError> {
        events(self.ask(Ask::Status { player: *player }).await?)
    }

    /// Runs a round of passes now and returns when its events are out (for a hand-moved
    /// clock; a running server passes on its own, see [`Passes`]).
    pub async fn tick(&self) -> Result<(), MatchmakerError> {
        done(self.ask(Ask::Tick).await?)
    }

    /// Opens an event stream: the events describing where the player stands, then every new
    /// one. Dropping the guard marks the stream closed (the entry then lives for its TTL).
    pub async fn subscribe(
        self: &Arc<Self>,
        player: PlayerKey,
    ) -> Result<
        (
            Vec<QueueEvent>,
            broadcast::Receiver<QueueEvent>,
            StreamGuard,
        ),
        MatchmakerError,
    > {
        let receiver = lock(&self.channels)
            .entry(player)
            .or_insert_with(|| broadcast::channel(EVENT_BUFFER).0)
            .subscribe();
        *lock(&self.streams).entry(player).or_default() += 1;
        let guard = StreamGuard {
            matchmaker: self.clone(),
            player,
        };
        let first = events(self.ask(Ask::StreamOpened { player }).await?)?;
        Ok((first, receiver, guard))
    }
}

fn joined(answer: Answer) -> Result<Joined, MatchmakerError> {
    match answer {
        Answer::Joined(result) => result,
        _ => Err(MatchmakerError::Unanswered),
    }
}

fn done(answer: Answer) -> Result<(), MatchmakerError> {
    match answer {
        Answer::Done(result) => result,
        _ => Err(MatchmakerError::Unanswered),
    }
}

fn events(answer: Answer) -> Result<Vec<QueueEvent>, MatchmakerError> {
    match answer {
        Answer::Events(events) => Ok(events),
        _ => Err(MatchmakerError::Unanswered),
    }
}

/// Marks a player's event stream closed when dropped.
pub struct StreamGuard {
    matchmaker: Arc<Matchmaker>,
    player: PlayerKey,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mm = &self.matchmaker;
        {
            let mut streams = lock(&mm.streams);
            if let Some(count) = streams.get_mut(&self.player) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    streams.remove(&self.player);
                    lock(&mm.channels).remove(&self.player);
                }
            }
        }
        // Told in the background: a drop cannot wait. Lost, the next report of this
        // process's streams says the same.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let mm = mm.clone();
            let player = self.player;
            runtime.spawn(async move {
                if let Err(error) = mm.tell(Ask::StreamClosed { player }).await {
                    tracing::debug!(%error, "stream close not told to the matchmaker");
                }
            });
        }
    }
}
