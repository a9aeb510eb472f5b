//! Matchmaking for a player: join a queue with a presented rating record, confirm a party
//! invitation, answer a ready check, ban maps, leave, and follow the queue's event stream.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::StreamExt as _;
use reqwest_eventsource::{Event, EventSource};
use scr::PlayerKey;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiClient, ApiError, PresentedRecord, Session};

/// What to queue for (`POST /v1/queue`).
#[derive(Debug, Clone, Default)]
pub struct QueueRequest {
    /// The player's current rating record for the queue's game module, as stored.
    pub record: Vec<u8>,
    /// `ranked_1v1`, `ranked_2v2`, `unranked_2v2`, ….
    pub mode: String,
    /// Acceptable regions (empty: any).
    pub regions: Vec<String>,
    /// Party members to invite (they confirm with their own record).
    pub party: Vec<PlayerKey>,
    /// Players to avoid, best effort.
    pub avoid: Vec<PlayerKey>,
    /// Records presented for the queue's trust requirement (none needed without one).
    pub credentials: Vec<PresentedRecord>,
}

/// Where a join or a party confirmation left the player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Joined {
    /// Waiting in the queue.
    Queued,
    /// The party waits for its invited members to confirm.
    PartyPending {
        /// The party.
        party_id: u64,
    },
}

/// One event of the player's queue stream (`GET /v1/queue/events`, `GET /v1/queue`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum QueueEvent {
    /// Waiting in a queue.
    Queued {
        /// `module/mode`.
        queue: String,
        /// The players of the entry (a party lists all).
        players: Vec<String>,
    },
    /// Invited into a party: confirm with a rating record to queue together.
    PartyInvite {
        /// The party to confirm.
        party_id: u64,
        /// Who invited.
        leader: String,
        /// `module/mode`.
        queue: String,
    },
    /// A match was found: accept or decline before the deadline.
    MatchFound {
        /// The ready check.
        match_id: u64,
        /// Unix seconds by which every player must accept.
        accept_deadline: u64,
        /// Players in the match.
        players: usize,
        /// `module/mode`.
        queue: String,
    },
    /// Everyone accepted and the sides ban maps in turn until one is left.
    MapVeto {
        /// The match.
        match_id: u64,
        /// The maps still in.
        maps: Vec<String>,
        /// Whether this player's side bans now.
        your_turn: bool,
        /// Unix seconds by which the side on turn bans, or a ban is picked for it.
        ban_deadline: u64,
    },
    /// Everyone accepted: connect to the relay with the ticket.
    MatchReady {
        /// The ready check that became a match.
        match_id: u64,
        /// Relay address (`host:port`, UDP).
        relay_address: String,
        /// The relay's key, to pin.
        relay_key: String,
        /// This player's ticket, base64.
        ticket: String,
        /// The relay's game id.
        game_id: u64,
    },
    /// Back in the queue, at the front: someone else declined, or the relay failed.
    Requeued {
        /// Why.
        reason: String,
    },
    /// Out of the queue.
    Cancelled {
        /// `left`, `declined`, `no_answer`, `party_member_declined`, `party_cancelled`,
        /// `expired`.
        reason: String,
        /// Unix seconds until which joining is refused, when a cooldown was given.
        cooldown_until: Option<u64>,
    },
    /// An event this client does not know yet (the API grows by addition).
    #[serde(other)]
    Unknown,
}

impl QueueEvent {
    /// The ticket bytes of a `match_ready` event.
    pub fn ticket_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Self::MatchReady { ticket, .. } => BASE64.decode(ticket).ok(),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct JoinAnswer {
    status: String,
    party_id: Option<u64>,
}

impl JoinAnswer {
    fn joined(self, url: &reqwest::Url) -> Result<Joined, ApiError> {
        match (self.status.as_str(), self.party_id) {
            ("queued", _) => Ok(Joined::Queued),
            ("party_pending", Some(party_id)) => Ok(Joined::PartyPending { party_id }),
            _ => Err(super::bad(url, "unknown join status")),
        }
    }
}

impl ApiClient {
    /// `POST /v1/queue`: joins a queue with the player's rating record (or invites a party).
    pub async fn join_queue(
        &self,
        session: &Session,
        request: &QueueRequest,
    ) -> Result<Joined, ApiError> {
        let url = self.url("v1/queue")?;
        let body = json!({
            "record": BASE64.encode(&request.record),
            "mode": request.mode,
            "regions": request.regions,
            "party": request.party.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "avoid": request.avoid.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "credentials": request.credentials,
        });
        let answer: JoinAnswer = self
            .json(self.post(&url, session).json(&body), &url)
            .await?;
        answer.joined(&url)
    }

    /// `POST /v1/queue/parties/{id}/confirm`: joins the party that invited the player,
    /// presenting `credentials` for the queue's requirement.
    pub async fn confirm_party(
        &self,
        session: &Session,
        party_id: u64,
        record: &[u8],
        credentials: &[PresentedRecord],
    ) -> Result<Joined, ApiError> {
        let url = self.url(&format!("v1/queue/parties/{party_id}/confirm"))?;
        let body = json!({ "record": BASE64.encode(record), "credentials": credentials });
        let answer: JoinAnswer = self
            .json(self.post(&url, session).json(&body), &url)
            .await?;
        answer.joined(&url)
    }

    /// `GET /v1/queue`: where the player stands, as the events that describe it.
    pub async fn queue_status(&self, session: &Session) -> Result<Vec<QueueEvent>, ApiError> {
        #[derive(Deserialize)]
        struct Status {
            events: Vec<QueueEvent>,
        }
        let url = self.url("v1/queue")?;
        let status: Status = self.json(self.get(&url, session), &url).await?;
        Ok(status.events)
    }

    /// `DELETE /v1/queue`: leaves the queue (declines a pending match).
    pub async fn leave_queue(&self, session: &Session) -> Result<(), ApiError> {
        let url = self.url("v1/queue")?;
        self.send(self.http.delete(url).bearer_auth(session.bearer_token()))
            .await
            .map(drop)
    }

    /// `POST /v1/queue/matches/{id}/accept`.
    pub async fn accept_match(&self, session: &Session, match_id: u64) -> Result<(), ApiError> {
        let url = self.url(&format!("v1/queue/matches/{match_id}/accept"))?;
        self.send(self.post(&url, session)).await.map(drop)
    }

    /// `POST /v1/queue/matches/{id}/decline` (earns a cooldown).
    pub async fn decline_match(&self, session: &Session, match_id: u64) -> Result<(), ApiError> {
        let url = self.url(&format!("v1/queue/matches/{match_id}/decline"))?;
        self.send(self.post(&url, session)).await.map(drop)
    }

    /// `POST /v1/queue/matches/{id}/ban`: the player's side bans `map` in the veto.
    pub async fn ban_map(
        &self,
        session: &Session,
        match_id: u64,
        map: &str,
    ) -> Result<(), ApiError> {
        let url = self.url(&format!("v1/queue/matches/{match_id}/ban"))?;
        self.send(self.post(&url, session).json(&json!({ "map": map })))
            .await
            .map(drop)
    }

    /// `GET /v1/queue/events`: the player's event stream. It reconnects by itself when the
    /// connection drops; each connection starts with the events that describe where the player
    /// stands, so nothing that matters is missed.
    pub fn queue_events(&self, session: &Session) -> Result<QueueEvents, ApiError> {
        let url = self.url("v1/queue/events")?;
        // A day rather than the client's 30 s request timeout: the stream stays open.
        let request = self
            .events
            .get(url.clone())
            .bearer_auth(session.bearer_token())
            .timeout(std::time::Duration::from_secs(24 * 3600));
        let source = EventSource::new(request)
            .map_err(|_| super::bad(&url, "the event request cannot be repeated"))?;
        Ok(QueueEvents {
            source,
            url: url.to_string(),
        })
    }
}

/// A player's queue events as they happen (`ApiClient::queue_events`).
pub struct QueueEvents {
    source: EventSource,
    url: String,
}

impl QueueEvents {
    /// The next event. Waits as long as it takes; a dropped connection is reopened with
    /// back-off. An answer of the server that is an error (the token expired, matchmaking
    /// switched off) ends the stream with that error.
    pub async fn next(&mut self) -> Result<QueueEvent, ApiError> {
        loop {
            let Some(item) = self.source.next().await else {
                return Err(super::bad_str(&self.url, "the event stream was closed"));
            };
            match item {
                Ok(Event::Open) => continue,
                Ok(Event::Message(message)) => {
                    return serde_json::from_str(&message.data)
                        .map_err(|error| super::bad_str(&self.url, &error.to_string()));
                }
                Err(reqwest_eventsource::Error::InvalidStatusCode(status, response)) => {
                    self.source.close();
                    let body = response.bytes().await.unwrap_or_default();
                    return Err(super::server_error(&self.url, status, &body));
                }
                // Transport errors and an ended stream: the source reconnects.
                Err(_) => continue,
            }
        }
    }

    /// Stops the stream; the player stays queued (leaving is `leave_queue`).
    pub fn close(mut self) {
        self.source.close();
    }
}
