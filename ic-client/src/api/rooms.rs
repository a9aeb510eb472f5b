//! Custom games and spectating: open a room, join or watch one by its code, list the open
//! ones; list the matches the matchmaker placed and watch one. Each seat comes with a ticket.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::{ApiClient, ApiError, PresentedRecord, Session, TrustRequirement};

/// A room to open (`POST /v1/rooms`); unset fields take the server's duel defaults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoomRequest {
    /// Game module.
    pub module: String,
    /// Seats (default 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub players: Option<u8>,
    /// Teams (default 2; seat `i` plays for team `i % teams`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams: Option<u8>,
    /// Map name (empty: chosen in the game's lobby).
    pub map_name: String,
    /// SHA-256 of the map file, 64 hex characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_hash: Option<String>,
    /// Ticks per second (default: the relay's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tick_rate: Option<u32>,
    /// Show it in the community's list of open rooms.
    pub listed: bool,
    /// What the room requires of its players' records, the host's included.
    #[serde(skip_serializing_if = "TrustRequirement::is_none")]
    pub requires: TrustRequirement,
    /// Records the host presents to meet `requires`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<PresentedRecord>,
}

/// A seat in a room or a placed match: where to connect, and the ticket to connect with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Seat {
    /// The room's code (rooms only).
    #[serde(default)]
    pub code: Option<String>,
    /// The relay's game id.
    pub game_id: u64,
    /// `player` or `spectator`.
    pub role: String,
    /// The player's slot (none for a spectator).
    #[serde(default)]
    pub slot: Option<u8>,
    /// The player's team (none for a spectator).
    #[serde(default)]
    pub team: Option<u8>,
    /// The relay ticket, base64.
    pub ticket: String,
    /// Unix seconds after which the ticket is refused (rooms only).
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Relay address (`host:port`, UDP).
    pub relay_address: Option<String>,
    /// The relay's key, to pin.
    pub relay_key: Option<String>,
}

impl Seat {
    /// The ticket's bytes.
    pub fn ticket_bytes(&self) -> Option<Vec<u8>> {
        BASE64.decode(&self.ticket).ok()
    }
}

/// A listed room with a free seat (`GET /v1/rooms`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RoomListing {
    /// The code to join it by.
    pub code: String,
    /// Game module.
    pub module: String,
    /// Map name.
    pub map_name: String,
    /// Seats taken.
    pub seated: u8,
    /// Seats in all.
    pub players: u8,
    /// Teams.
    pub teams: u8,
    /// Unix seconds it was opened.
    pub opened_at: i64,
    /// What it requires of its players' records.
    #[serde(default)]
    pub requires: TrustRequirement,
}

/// A match the matchmaker placed (`GET /v1/matches/live`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LiveMatch {
    /// The relay's game id.
    pub game_id: u64,
    /// `module/mode`.
    pub queue: String,
    /// Whether results change ratings.
    pub ranked: bool,
    /// The players of team 0 and team 1.
    pub teams: Vec<Vec<String>>,
    /// Relay address.
    pub relay_address: String,
    /// The relay's key.
    pub relay_key: String,
    /// Unix seconds it was placed.
    pub placed_at: u64,
}

impl ApiClient {
    /// `GET /v1/rooms`: listed rooms with a free seat, newest first.
    pub async fn rooms(&self) -> Result<Vec<RoomListing>, ApiError> {
        #[derive(Deserialize)]
        struct List {
            rooms: Vec<RoomListing>,
        }
        let url = self.url("v1/rooms")?;
        let list: List = self.json(self.http.get(url.clone()), &url).await?;
        Ok(list.rooms)
    }

    /// `POST /v1/rooms`: opens a room; the host's seat, with the room's code.
    pub async fn open_room(
        &self,
        session: &Session,
        request: &RoomRequest,
    ) -> Result<Seat, ApiError> {
        let url = self.url("v1/rooms")?;
        self.json(self.post(&url, session).json(request), &url)
            .await
    }

    /// `POST /v1/rooms/{code}/join`: takes a seat in the room, presenting `credentials` for
    /// its requirement (none needed without one).
    pub async fn join_room(
        &self,
        session: &Session,
        code: &str,
        credentials: &[PresentedRecord],
    ) -> Result<Seat, ApiError> {
        let url = self.url(&format!("v1/rooms/{}/join", path_segment(code)))?;
        let request = self.post(&url, session);
        let request = if credentials.is_empty() {
            request
        } else {
            request.json(&serde_json::json!({ "credentials": credentials }))
        };
        self.json(request, &url).await
    }

    /// `POST /v1/rooms/{code}/watch`: a spectator's seat; the game arrives delayed.
    pub async fn watch_room(&self, session: &Session, code: &str) -> Result<Seat, ApiError> {
        let url = self.url(&format!("v1/rooms/{}/watch", path_segment(code)))?;
        self.json(self.post(&url, session), &url).await
    }

    /// `GET /v1/matches/live`: matches the matchmaker placed in the last two hours.
    pub async fn live_matches(&self, session: &Session) -> Result<Vec<LiveMatch>, ApiError> {
        #[derive(Deserialize)]
        struct List {
            matches: Vec<LiveMatch>,
        }
        let url = self.url("v1/matches/live")?;
        let list: List = self.json(self.get(&url, session), &url).await?;
        Ok(list.matches)
    }

    /// `POST /v1/matches/live/{game_id}/watch`: a spectator's seat in a placed match.
    pub async fn watch_live(&self, session: &Session, game_id: u64) -> Result<Seat, ApiError> {
        let url = self.url(&format!("v1/matches/live/{game_id}/watch"))?;
        self.json(self.post(&url, session), &url).await
    }
}

/// `code` as one path segment: a code is letters and digits; anything else is escaped so it
/// cannot change the path.
pub(super) fn path_segment(code: &str) -> String {
    code.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
