//! One demo bot: a player with a real wallet and a hidden skill that queues through the
//! matchmaker, accepts, plays its match through the relay over QUIC, and keeps the records.
//!
//! Both players of a match must report the same result to the relay; the referee draws the
//! winner once from their hidden skills and tells both.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use ic_client::relay::bot::{BotEnd, BotPlan, play};
use ic_client::relay::{RelayClient, store_pushed_records};
use relay_core::cmr::EndReason;
use relay_core::frames::SimOutcome;
use relay_core::ids::TeamId;
use relay_core::ticket::{MatchTicket, TicketSeat};
use scr::{CommunityKey, KeyPair, PlayerKey};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::skill::first_wins;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;
/// Ticks a demo match lasts: 2 s at the default 15 ticks per second.
const MATCH_TICKS: u64 = 30;
/// Pause between looks at where a bot stands in the queue.
const POLL: Duration = Duration::from_millis(100);

/// A finished match, for the view.
#[derive(Debug, Clone)]
pub struct Played {
    /// The winner's key.
    pub winner: PlayerKey,
    /// The loser's key.
    pub loser: PlayerKey,
}

/// One match as the referee sees it.
#[derive(Debug, Default)]
struct Game {
    seats: Vec<(PlayerKey, TeamId)>,
    winner: Option<TeamId>,
    reported: bool,
}

/// What every bot shares: the community, the referee and the tally.
pub struct Arena {
    /// The community's HTTP API.
    pub url: String,
    http: reqwest::Client,
    api: ic_client::api::ApiClient,
    community_key: CommunityKey,
    skills: HashMap<PlayerKey, f64>,
    target: usize,
    started: AtomicUsize,
    games: Mutex<HashMap<u64, Game>>,
    played: mpsc::UnboundedSender<Played>,
}

impl Arena {
    /// An arena for bots of `skills` on the community at `url`, stopping after `target`
    /// matches; finished matches are sent to `played`.
    pub async fn new(
        url: &str,
        skills: HashMap<PlayerKey, f64>,
        target: usize,
        played: mpsc::UnboundedSender<Played>,
    ) -> anyhow::Result<Self> {
        let api = ic_client::api::ApiClient::new(url)?;
        let community_key = api.community_document().await?.signing_key;
        Ok(Self {
            url: url.to_owned(),
            http: reqwest::Client::new(),
            api,
            community_key,
            skills,
            target,
            started: AtomicUsize::new(0),
            games: Mutex::new(HashMap::new()),
            played,
        })
    }

    fn games(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Game>> {
        self.games.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enough(&self) -> bool {
        self.started.load(Ordering::SeqCst) >= self.target
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The player's current standing, as events.
    async fn standing(&self, token: &str) -> anyhow::Result<Vec<Value>> {
        let (status, body) = self
            .call(reqwest::Method::GET, "/v1/queue", token, None)
            .await?;
        if status != 200 {
            bail!("GET /v1/queue answered {status}: {body}");
        }
        Ok(body["events"].as_array().cloned().unwrap_or_default())
    }

    /// Seats `player` of `team` in game `game_id`; once both players are seated, the winning
    /// team, drawn from their hidden skills.
    async fn winner(
        &self,
        game_id: u64,
        player: PlayerKey,
        team: TeamId,
    ) -> anyhow::Result<TeamId> {
        {
            let mut games = self.games();
            let game = games.entry(game_id).or_default();
            if game.seats.is_empty() {
                self.started.fetch_add(1, Ordering::SeqCst);
            }
            if !game.seats.iter().any(|(p, _)| *p == player) {
                game.seats.push((player, team));
            }
            if let ([(a, team_a), (b, team_b)], None) = (game.seats.as_slice(), game.winner) {
                let skill = |key: &PlayerKey| self.skills.get(key).copied().unwrap_or(0.5);
                let a_wins = first_wins(skill(a), skill(b), rand::random::<f64>());
                game.winner = Some(if a_wins { *team_a } else { *team_b });
            }
        }
        for _ in 0..500 {
            if let Some(winner) = self.games().get(&game_id).and_then(|g| g.winner) {
                return Ok(winner);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("the opponent of game {game_id} never arrived")
    }

    /// Tells the view about a finished game, once per game.
    fn report(&self, game_id: u64) {
        let mut games = self.games();
        let Some(game) = games.get_mut(&game_id) else {
            return;
        };
        if game.reported {
            return;
        }
        let (Some(winner), [(a, team_a), (b, _)]) = (game.winner, game.seats.as_slice()) else {
            return;
        };
        game.reported = true;
        let (winner, loser) = if *team_a == winner {
            (*a, *b)
        } else {
            (*b, *a)
        };
        let _ = self.played.send(Played { winner, loser });
    }
}

/// A bot: its identity and wallet.
pub struct Bot {
    /// Its keys.
    pub key: KeyPair,
    /// Its wallet, joined to the community.
    pub client: ic_client::Client,
    /// The wallet's name for the community.
    pub slug: String,
}

impl Bot {
    /// Queues, plays and keeps records until the arena has had enough matches.
    pub async fn run(self, arena: Arc<Arena>) -> anyhow::Result<()> {
        let session = arena.api.login(&self.key, &arena.community_key).await?;
        let token = session.bearer_token().to_owned();
        while !arena.enough() {
            let record = self.newest_rating().await?;
            let join = json!({ "record": B64.encode(record), "mode": "ranked_1v1" });
            let (status, body) = arena
                .call(reqwest::Method::POST, "/v1/queue", &token, Some(join))
                .await?;
            if status != 202 {
                bail!("joining the queue answered {status}: {body}");
            }
            let Some(ready) = self.matched(&arena, &token).await? else {
                // Enough matches were played meanwhile.
                let _ = arena
                    .call(reqwest::Method::DELETE, "/v1/queue", &token, None)
                    .await;
                return Ok(());
            };
            self.play(&arena, &ready).await?;
        }
        Ok(())
    }

    async fn newest_rating(&self) -> anyhow::Result<Vec<u8>> {
        let (_, store) = self.client.wallet().open_community(&self.slug).await?;
        let ratings = store.ratings().await?;
        store.close().await;
        ratings
            .into_iter()
            .next()
            .map(|rating| rating.bytes)
            .context("the wallet holds no rating record")
    }

    /// Waits in the queue, accepts what is found, and returns the `match_ready` event; `None`
    /// when the arena had enough before this bot was matched.
    async fn matched(&self, arena: &Arena, token: &str) -> anyhow::Result<Option<Value>> {
        let mut accepted = Vec::new();
        loop {
            for event in arena.standing(token).await? {
                match event["event"].as_str() {
                    Some("match_ready") => return Ok(Some(event)),
                    Some("match_found") => {
                        let id = event["match_id"].as_u64().unwrap_or_default();
                        if !accepted.contains(&id) {
                            let path = format!("/v1/queue/matches/{id}/accept");
                            arena
                                .call(reqwest::Method::POST, &path, token, Some(json!({})))
                                .await?;
                            accepted.push(id);
                        }
                    }
                    Some("queued") if arena.enough() => return Ok(None),
                    Some("cancelled") => return Ok(None),
                    _ => {}
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Connects to the relay with the ticket, plays the refereed result, and keeps the
    /// records the relay pushes back in the wallet (which verifies them first).
    async fn play(&self, arena: &Arena, ready: &Value) -> anyhow::Result<()> {
        let ticket = B64.decode(ready["ticket"].as_str().unwrap_or_default())?;
        let (terms, _) = MatchTicket::decode_unverified(&ticket)?;
        let TicketSeat::Player { team, .. } = terms.seat else {
            bail!("the matchmaker handed out an observer ticket");
        };
        let player = PlayerKey::from(self.key.public_key());
        let winner = arena.winner(terms.game_id, player, team).await?;
        let address = ready["relay_address"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .context("the relay address")?;
        let relay_key = ready["relay_key"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .context("the relay key")?;
        let client = RelayClient::new("127.0.0.1:0".parse()?)?;
        let session = client
            .connect(address, relay_key, &self.key, &ticket)
            .await?;
        let plan = BotPlan {
            ticks: MATCH_TICKS,
            orders_per_second: 15,
            outcome: SimOutcome::Victory {
                winner,
                reason: EndReason::Elimination,
            },
            expect_records: 2,
            leave_after_tick: None,
            timeout: Duration::from_secs(60),
        };
        let report = play(session, &plan).await;
        if report.end != BotEnd::Finished {
            bail!("game {} ended as {:?}", terms.game_id, report.end);
        }
        let (_, store) = self.client.wallet().open_community(&self.slug).await?;
        let kept = store_pushed_records(&store, &report.records, ic_client::unix_now()).await;
        store.close().await;
        let kept = kept?;
        if !kept.rejected.is_empty() {
            bail!("the wallet rejected pushed records: {:?}", kept.rejected);
        }
        arena.report(terms.game_id);
        Ok(())
    }
}
