//! One task per match: the loop runs the phases in turn (`lobby`, `game`, `post_game`), each in
//! its own file; spectators sit beside the players (`spectating`) and get the delayed feed.

mod chat;
mod game;
mod lobby;
mod post_game;
mod spectating;

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use relay_core::RelayCore;
use relay_core::connection::{Connection, InGame, InLobby, PostGame};
use relay_core::frames::{DisconnectReason, Frame, KickReason};
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::MatchTicket;
use scr::PlayerKey;
use tokio::sync::mpsc;

use super::Shared;
use super::handshake::Admitted;
use super::link::{Link, LinkEvent, LinkId, encode};
use super::replays::ReplaySoFar;
use super::spectators::{CatchUp, Spectators};

/// What a match task receives.
#[derive(Debug)]
pub enum MatchInput {
    /// A connection admitted with a ticket for this match.
    Join(Box<Admitted>),
    /// A frame or a close from one of the match's links.
    Link(LinkEvent),
    /// The history of a spectator who came mid-match has been read.
    CaughtUp(Box<CaughtUp>),
}

/// A spectator waiting for its history, and that history read off the match task.
pub struct CaughtUp {
    admitted: Admitted,
    read: Result<CatchUp, String>,
}

impl std::fmt::Debug for CaughtUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaughtUp").finish_non_exhaustive()
    }
}

/// Where one seat's player is.
enum SeatState {
    /// Waiting for the match to start.
    Lobby(Connection<InLobby>, Link),
    /// Playing.
    Playing(Connection<InGame>, Link),
    /// In the match but without a connection (may reconnect until the timeout).
    Away,
    /// The match ended; receiving the result and records.
    Post(Connection<PostGame>, Link),
    /// Left after the match ended.
    Gone,
}

struct Seat {
    key: PlayerKey,
    team: TeamId,
    state: SeatState,
    /// Until when the player may not chat, as looked up at admission.
    chat_restricted_until: Option<i64>,
    /// The player was told this match that its chat reaches nobody.
    told_chat_restricted: bool,
}

impl Seat {
    fn link(&self) -> Option<&Link> {
        match &self.state {
            SeatState::Lobby(_, link) | SeatState::Playing(_, link) | SeatState::Post(_, link) => {
                Some(link)
            }
            SeatState::Away | SeatState::Gone => None,
        }
    }
}

/// One match.
pub struct MatchTask {
    shared: Arc<Shared>,
    terms: MatchTicket,
    inputs_tx: mpsc::Sender<MatchInput>,
    inputs: mpsc::Receiver<MatchInput>,
    seats: BTreeMap<PlayerSlot, Seat>,
    spectators: Spectators,
    core: Option<RelayCore>,
    /// The running recording, for spectators who come mid-match (`None` without replays).
    replay: Option<ReplaySoFar>,
    next_link: LinkId,
    rng: StdRng,
    latest_expiry: i64,
    /// Turns true when the relay's drain runs out: the match ends as a server restart.
    restart: tokio::sync::watch::Receiver<bool>,
}

enum Flow {
    Continue,
    Stop,
}

impl MatchTask {
    /// A match whose terms the first admitted ticket fixes.
    pub fn new(
        shared: Arc<Shared>,
        first: &MatchTicket,
        inputs_tx: mpsc::Sender<MatchInput>,
        inputs: mpsc::Receiver<MatchInput>,
    ) -> Self {
        let spectators = shared.options.spectators_per_match;
        let restart = shared.restart.subscribe();
        Self {
            restart,
            shared,
            terms: first.clone(),
            inputs_tx,
            inputs,
            seats: BTreeMap::new(),
            spectators: Spectators::new(spectators),
            core: None,
            replay: None,
            next_link: 0,
            rng: StdRng::from_entropy(),
            latest_expiry: first.expires_at,
        }
    }

    /// Runs the lobby, the match and the post-game window, then marks the game finished.
    pub async fn run(mut self) {
        let game_id = self.terms.game_id;
        tracing::info!(game_id, "match created");
        self.shared.metrics.matches_active.inc();
        if self.lobby().await
            && let Some(outcome) = self.game().await
        {
            self.post_game(outcome).await;
        }
        let reason = if self.restarting() {
            DisconnectReason::ServerRestart
        } else {
            DisconnectReason::MatchOver
        };
        self.close_all(reason);
        self.shared.metrics.matches_active.dec();
        self.shared.registry.finish(game_id, self.latest_expiry);
        tracing::info!(game_id, "match finished");
    }

    /// Whether the relay's drain ran out and this match must end.
    fn restarting(&self) -> bool {
        *self.restart.borrow()
    }

    fn clock_now(&self) -> u64 {
        self.shared.clock.now_us()
    }

    /// One input, in the lobby or the game (a join is a first seat or a reconnect).
    fn handle(&mut self, input: MatchInput) -> Flow {
        match input {
            MatchInput::Join(admitted) => self.join(*admitted),
            MatchInput::CaughtUp(caught) => {
                self.finish_catch_up(*caught);
                Flow::Continue
            }
            MatchInput::Link(LinkEvent::Frame {
                link,
                frame,
                arrival_us,
            }) => {
                self.frame(link, frame, arrival_us);
                Flow::Continue
            }
            MatchInput::Link(LinkEvent::Closed { link, error }) => {
                self.link_closed(link, error);
                Flow::Continue
            }
        }
    }

    fn new_link(
        &mut self,
        admitted: Admitted,
    ) -> (relay_core::connection::Connection<InLobby>, Link) {
        self.next_link += 1;
        let link = Link::spawn(
            self.next_link,
            admitted.quic,
            admitted.send,
            admitted.reader,
            self.shared.clock,
            self.inputs_tx.clone(),
            MatchInput::Link,
        )
        .counted(&self.shared.metrics.connections);
        (admitted.connection.join_lobby(), link)
    }

    fn seat_of_link(&self, link: LinkId) -> Option<PlayerSlot> {
        self.seats
            .iter()
            .find(|(_, seat)| seat.link().is_some_and(|l| l.id == link))
            .map(|(slot, _)| *slot)
    }

    fn kick(&mut self, slot: PlayerSlot, reason: KickReason, now_us: u64) {
        self.shared.metrics.kick(reason);
        let Some(seat) = self.seats.get_mut(&slot) else {
            return;
        };
        if let Some(link) = seat.link() {
            link.send(&Frame::Kick { reason });
        }
        self.set_away(slot, now_us);
    }

    fn link_closed(&mut self, link: LinkId, error: Option<String>) {
        if self.spectators.detach(link, self.core.is_some()) {
            tracing::debug!(?error, "spectator left");
            return;
        }
        let Some(slot) = self.seat_of_link(link) else {
            return;
        };
        tracing::debug!(%slot, ?error, "link closed");
        let now = self.clock_now();
        let Some(seat) = self.seats.get_mut(&slot) else {
            return;
        };
        match seat.state {
            SeatState::Lobby(..) => {
                self.seats.remove(&slot);
            }
            SeatState::Playing(..) => self.set_away(slot, now),
            SeatState::Post(..) => seat.state = SeatState::Gone,
            SeatState::Away | SeatState::Gone => {}
        }
    }

    /// A playing seat loses its connection (dropping the link): the core counts the player as
    /// disconnected, and the reconnect timeout runs.
    fn set_away(&mut self, slot: PlayerSlot, now_us: u64) {
        let Some(seat) = self.seats.get_mut(&slot) else {
            return;
        };
        if let SeatState::Playing(..) = seat.state {
            seat.state = SeatState::Away;
            if let Some(core) = self.core.as_mut() {
                // A disconnect the core decided itself (a kick) is already recorded there.
                let _ = core.player_disconnected(slot, now_us);
            }
        }
    }

    fn send_to(&self, slot: PlayerSlot, frame: &Frame) {
        if let Some(link) = self.seats.get(&slot).and_then(Seat::link) {
            link.send(frame);
        }
    }

    fn broadcast(&self, frame: &Frame) {
        let Ok(bytes) = encode(frame) else { return };
        for seat in self.seats.values() {
            if let Some(link) = seat.link() {
                link.send_bytes(bytes.clone());
            }
        }
        for link in self.spectators.links() {
            link.send_bytes(bytes.clone());
        }
    }

    fn close_all(&mut self, reason: DisconnectReason) {
        for seat in self.seats.values_mut() {
            if let Some(link) = seat.link() {
                link.send(&Frame::Disconnect { reason });
            }
            // Dropping the link finishes its stream after the queued frames.
            seat.state = SeatState::Gone;
        }
        if let Ok(bytes) = encode(&Frame::Disconnect { reason }) {
            for link in self.spectators.links() {
                link.send_bytes(bytes.clone());
            }
        }
        self.spectators.disconnect_all();
    }
}

/// Whether a ticket describes the same match as the first one admitted.
fn same_terms(a: &MatchTicket, b: &MatchTicket) -> bool {
    a.signer_kind == b.signer_kind
        && a.signer_key == b.signer_key
        && a.community_key == b.community_key
        && a.game_id == b.game_id
        && a.game_module == b.game_module
        && a.settings == b.settings
}

/// Completes once the relay's drain has run out (never, if the relay is gone meanwhile).
async fn restart_requested(restart: &mut tokio::sync::watch::Receiver<bool>) {
    if restart.wait_for(|restart| *restart).await.is_err() {
        std::future::pending::<()>().await;
    }
}
