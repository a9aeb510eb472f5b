//! One task per match: a lobby that fills from tickets, then `RelayCore` driven at the match's
//! tick rate, then the post-game window in which the certified result and records go out.
//! Spectators sit beside the players (see `spectators`) and get the delayed feed.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use relay_core::cmr::MatchOutcome;
use relay_core::connection::{Connection, InGame, InLobby, PostGame};
use relay_core::core::{MatchSetup, PlayerSeat, RelayConfig};
use relay_core::filters::{Recipient, ReplaySink, ReplaySinkError, may_read_by_team};
use relay_core::frames::{DisconnectReason, Frame, KickReason, Seat as SeatFrame};
use relay_core::ids::{ObserverId, PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, TickOrders};
use relay_core::qos::PlayerCalibration;
use relay_core::ticket::{MatchTicket, SignerKind, TicketSeat};
use relay_core::{RelayCore, RelayEvent};
use scr::PlayerKey;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Shared;
use super::handshake::Admitted;
use super::link::{Link, LinkEvent, LinkId, TickFrames, encode};
use super::registry::refuse;
use super::replays::{FileReplay, ReplaySoFar};
use super::results::{PlayerRecord, ResultSinkError};
use super::spectators::{CatchUp, Spectators, delay_ticks};

/// Most records per `RatingUpdate` frame (the frame's limit).
const RECORDS_PER_FRAME: usize = relay_core::frames::MAX_RATING_RECORDS;

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

/// Keeps the replay hash without retaining the bytes (replays switched off, or the file could
/// not be created): the certified result still carries the hash of the order stream.
struct HashOnlyReplay;

impl ReplaySink for HashOnlyReplay {
    fn write(&mut self, _bytes: &[u8]) -> Result<(), ReplaySinkError> {
        Ok(())
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
        Self {
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
        let outcome = self.lobby_and_game().await;
        if let Some(outcome) = outcome {
            self.post_game(outcome).await;
        }
        self.close_all(DisconnectReason::MatchOver);
        self.shared.metrics.matches_active.dec();
        self.shared.registry.finish(game_id, self.latest_expiry);
        tracing::info!(game_id, "match finished");
    }

    fn clock_now(&self) -> u64 {
        self.shared.clock.now_us()
    }

    /// Until the match has an outcome; `None` when it never started or could not run.
    async fn lobby_and_game(&mut self) -> Option<MatchOutcome> {
        let lobby_deadline = tokio::time::Instant::now() + self.shared.options.lobby_timeout;
        loop {
            let tick_at = self
                .core
                .as_ref()
                .map(|core| self.shared.clock.instant_at(core.next_deadline_us()));
            tokio::select! {
                input = self.inputs.recv() => {
                    // The task holds a sender itself, so the channel never closes under it.
                    let input = input?;
                    if let Flow::Stop = self.handle(input) {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(lobby_deadline), if self.core.is_none() => {
                    tracing::info!(game_id = self.terms.game_id, "lobby timed out");
                    self.close_all(DisconnectReason::Timeout);
                    return None;
                }
                () = sleep_until_opt(tick_at), if tick_at.is_some() => {
                    if let Some(outcome) = self.finalize_due() {
                        return Some(outcome);
                    }
                }
            }
        }
    }

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

    fn join(&mut self, admitted: Admitted) -> Flow {
        let ticket = admitted.ticket.ticket().clone();
        let TicketSeat::Player { slot, team } = ticket.seat else {
            self.join_spectator(admitted);
            return Flow::Continue;
        };
        let taken_by_other = self
            .seats
            .get(&slot)
            .is_some_and(|s| s.key != ticket.player_key)
            || self
                .seats
                .iter()
                .any(|(s, seat)| *s != slot && seat.key == ticket.player_key)
            || self.spectators.holds(&ticket.player_key);
        if !same_terms(&self.terms, &ticket) || taken_by_other {
            tracing::warn!(game_id = ticket.game_id, %slot, "ticket does not fit the match");
            self.shared.metrics.refused("ticket_conflict");
            tokio::spawn(refuse(admitted, DisconnectReason::ProtocolError));
            return Flow::Continue;
        }
        self.latest_expiry = self.latest_expiry.max(ticket.expires_at);
        let seat_frame = Frame::AuthAccepted {
            seat: SeatFrame::Player { slot, team },
        };
        let (lobby_conn, link) = self.new_link(admitted);
        let Some(core) = self.core.as_mut() else {
            // Lobby: a second connection of the same player replaces the first.
            link.send(&seat_frame);
            self.seats.insert(
                slot,
                Seat {
                    key: ticket.player_key,
                    team,
                    state: SeatState::Lobby(lobby_conn, link),
                },
            );
            if self.seats.len() == usize::from(self.terms.settings.player_count) {
                return self.start();
            }
            return Flow::Continue;
        };
        let Some(seat) = self.seats.get_mut(&slot) else {
            // Every seat exists once the match runs; a ticket for an empty one cannot fit.
            drop(link);
            return Flow::Continue;
        };
        let conn = match lobby_conn.start_game(core) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "reconnect refused");
                link.send(&Frame::Disconnect {
                    reason: DisconnectReason::ProtocolError,
                });
                return Flow::Continue;
            }
        };
        match seat.state {
            SeatState::Away => {
                if let Err(error) = core.player_reconnected(&conn) {
                    // Abandoned or dropped: the seat is gone for good.
                    tracing::info!(%error, %slot, "reconnect after leaving the match");
                    link.send(&Frame::Disconnect {
                        reason: DisconnectReason::Timeout,
                    });
                    return Flow::Continue;
                }
                self.shared.metrics.reconnects.inc();
            }
            SeatState::Playing(..) => {
                // A new connection of a connected player takes over; the old link closes.
            }
            _ => return Flow::Continue,
        }
        link.send(&seat_frame);
        link.send(&Frame::MatchStart {
            start_us: core.start_us(),
            tick_interval_us: core.tick_interval_us(),
            open_tick: core.open_tick(),
        });
        seat.state = SeatState::Playing(conn, link);
        Flow::Continue
    }

    /// A spectator's ticket: a seat in the lobby, or after the start a seat with everything
    /// released so far replayed first; never a player's key.
    fn join_spectator(&mut self, admitted: Admitted) {
        let key = admitted.ticket.player_key;
        if !same_terms(&self.terms, admitted.ticket.ticket())
            || self.seats.values().any(|seat| seat.key == key)
        {
            tracing::warn!(
                game_id = self.terms.game_id,
                "spectator ticket does not fit"
            );
            self.shared.metrics.refused("ticket_conflict");
            tokio::spawn(refuse(admitted, DisconnectReason::ProtocolError));
            return;
        }
        if self.core.is_some() {
            self.begin_catch_up(admitted);
            return;
        }
        match self.spectators.lobby_seat(&key) {
            Some(id) => self.seat_spectator(admitted, id, Vec::new()),
            None => self.refuse_spectator(admitted),
        }
    }

    fn refuse_spectator(&self, admitted: Admitted) {
        self.shared.metrics.refused("spectator_not_admitted");
        tokio::spawn(refuse(admitted, DisconnectReason::NotAdmitted));
    }

    /// Connects a spectator to seat `id`: its seat, the tick grid once the match runs, the
    /// `history` released before it came, then its live (delayed) feed.
    fn seat_spectator(&mut self, admitted: Admitted, id: ObserverId, history: Vec<Bytes>) {
        let key = admitted.ticket.player_key;
        self.latest_expiry = self.latest_expiry.max(admitted.ticket.expires_at);
        // Spectators send nothing the core takes, so their connection state stays here.
        let (_, link) = self.new_link(admitted);
        link.send(&Frame::AuthAccepted {
            seat: SeatFrame::Observer(id),
        });
        if let Some(core) = &self.core {
            link.send(&Frame::MatchStart {
                start_us: core.start_us(),
                tick_interval_us: core.tick_interval_us(),
                open_tick: 0,
            });
        }
        for chunk in history {
            link.send_bytes(chunk);
        }
        self.spectators.attach(id, key, link);
    }

    /// A spectator after the start needs every tick released so far, read back from the
    /// replay. The bulk is read and decoded on a blocking thread, so neither this match's ticks
    /// nor the runtime's other tasks wait on the file; [`Self::finish_catch_up`] takes over.
    fn begin_catch_up(&mut self, admitted: Admitted) {
        let key = admitted.ticket.player_key;
        let room = self.spectators.seat_of(&key).is_some() || self.spectators.has_room();
        let (Some(core), Some(replay), true) = (&self.core, &self.replay, room) else {
            // Without a replay there is nothing to catch up from.
            self.refuse_spectator(admitted);
            return;
        };
        let through = core.observer_released_through();
        let roster = core.roster().clone();
        let replay = replay.clone();
        let inputs = self.inputs_tx.clone();
        tokio::spawn(async move {
            let read = tokio::task::spawn_blocking(move || {
                let mut history = CatchUp::default();
                let recorded = replay.read_from(0).map_err(|e| e.to_string())?;
                let until = through.map_or(0, |tick| tick + 1);
                history.read(&recorded, through, until, &roster)?;
                Ok(history)
            })
            .await
            .unwrap_or_else(|error| Err(error.to_string()));
            let caught = CaughtUp { admitted, read };
            let _ = inputs.send(MatchInput::CaughtUp(Box::new(caught))).await;
        });
    }

    /// The bulk of a spectator's history is read: the ticks recorded since (a few) are read
    /// here, then the spectator takes its seat and its feed continues without a gap.
    fn finish_catch_up(&mut self, caught: CaughtUp) {
        let CaughtUp { admitted, read } = caught;
        let key = admitted.ticket.player_key;
        let seated = read
            .and_then(|history| self.mid_match_seat(key, history))
            .map_err(|error| tracing::warn!(%error, "replaying the match for a spectator"));
        match seated {
            Ok(Some((id, history))) => self.seat_spectator(admitted, id, history),
            _ => self.refuse_spectator(admitted),
        }
    }

    /// Completes `history` up to the last finalized tick and seats `key` (its own seat again,
    /// or a new one while there is room).
    fn mid_match_seat(
        &mut self,
        key: PlayerKey,
        mut history: CatchUp,
    ) -> Result<Option<(ObserverId, Vec<Bytes>)>, String> {
        let (Some(core), Some(replay)) = (self.core.as_mut(), &self.replay) else {
            return Ok(None);
        };
        let recorded = replay
            .read_from(history.offset())
            .map_err(|e| e.to_string())?;
        history.read(
            &recorded,
            core.observer_released_through(),
            core.open_tick(),
            core.roster(),
        )?;
        let id = match self.spectators.seat_of(&key) {
            Some(id) => id,
            None if self.spectators.has_room() => core
                .add_observer(key, &history.unreleased)
                .map_err(|e| e.to_string())?,
            None => return Ok(None),
        };
        Ok(Some((id, history.released)))
    }

    fn start(&mut self) -> Flow {
        let options = &self.shared.options;
        let start_us = self
            .clock_now()
            .saturating_add(u64::try_from(options.start_lead.as_micros()).unwrap_or(u64::MAX));
        let settings = &self.terms.settings;
        let setup = MatchSetup {
            relay_key: self.shared.relay.public_key().into(),
            community_key: self.terms.community_key,
            game_id: self.terms.game_id,
            game_module: self.terms.game_module.clone(),
            map_name: settings.map_name.clone(),
            map_hash: settings.map_hash,
            ranked: settings.ranked,
            tick_interval_us: settings.tick_interval_us,
            start_us,
            players: self
                .seats
                .iter()
                .map(|(slot, seat)| PlayerSeat {
                    slot: *slot,
                    team: seat.team,
                    key: seat.key,
                })
                .collect(),
            observers: self.spectators.setup_seats(),
        };
        let config = RelayConfig {
            observer_delay_ticks: delay_ticks(
                settings.ranked,
                settings.tick_interval_us,
                options.spectator_delay_ticks,
                options.ranked_spectator_delay,
            ),
            strike_threshold: options.strike_threshold,
            reconnect_timeout_us: u64::try_from(options.reconnect_timeout.as_micros())
                .unwrap_or(u64::MAX),
            flood_kick_threshold: options.flood_kick_threshold,
            ..RelayConfig::default()
        };
        let replay: Box<dyn ReplaySink> = match &options.replay_dir {
            Some(dir) => match FileReplay::create(dir, self.terms.game_id) {
                Ok(file) => {
                    self.replay = Some(file.so_far());
                    Box::new(file)
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot record the replay; keeping only its hash");
                    Box::new(HashOnlyReplay)
                }
            },
            None => Box::new(HashOnlyReplay),
        };
        let mut core = match RelayCore::new(setup, config, replay) {
            Ok(core) => core,
            Err(error) => {
                tracing::error!(%error, game_id = self.terms.game_id, "match cannot start");
                self.close_all(DisconnectReason::ProtocolError);
                return Flow::Stop;
            }
        };
        let calibrations: Vec<PlayerCalibration> = self
            .seats
            .iter()
            .filter_map(|(slot, seat)| {
                seat.link().map(|link| {
                    let rtt = link.rtt_us();
                    PlayerCalibration {
                        player: *slot,
                        median_rtt_us: rtt,
                        // One QUIC estimate carries no spread; assume a quarter of the RTT.
                        jitter_us: (rtt / 4).max(1_000),
                    }
                })
            })
            .collect();
        core.apply_calibration(&calibrations);
        let start = Frame::MatchStart {
            start_us,
            tick_interval_us: settings.tick_interval_us,
            open_tick: 0,
        };
        for seat in self.seats.values_mut() {
            seat.state = match std::mem::replace(&mut seat.state, SeatState::Away) {
                SeatState::Lobby(conn, link) => match conn.start_game(&core) {
                    Ok(conn) => {
                        link.send(&start);
                        SeatState::Playing(conn, link)
                    }
                    // The seat was built from this very ticket; keep the player away if not.
                    Err(_) => SeatState::Away,
                },
                other => other,
            };
        }
        for link in self.spectators.links() {
            link.send(&start);
        }
        tracing::info!(
            game_id = self.terms.game_id,
            players = self.seats.len(),
            "match started"
        );
        self.core = Some(core);
        Flow::Continue
    }

    fn seat_of_link(&self, link: LinkId) -> Option<PlayerSlot> {
        self.seats
            .iter()
            .find(|(_, seat)| seat.link().is_some_and(|l| l.id == link))
            .map(|(slot, _)| *slot)
    }

    fn frame(&mut self, link: LinkId, frame: Frame, arrival_us: u64) {
        if self.spectators.id_of_link(link).is_some() {
            self.spectator_frame(link, &frame);
            return;
        }
        let Some(slot) = self.seat_of_link(link) else {
            return;
        };
        if let Frame::Chat { channel, text, .. } = &frame {
            self.chat(slot, *channel, text);
            return;
        }
        if let Frame::Disconnect { .. } = frame {
            self.link_closed(link, None);
            return;
        }
        let (Some(core), Some(seat)) = (self.core.as_mut(), self.seats.get(&slot)) else {
            // In the lobby only chat, echoes and goodbyes mean anything; the rest waits for
            // MatchStart and is ignored.
            return;
        };
        let SeatState::Playing(conn, _) = &seat.state else {
            return;
        };
        let result = match frame {
            Frame::OrderBatch(batch) => {
                self.shared
                    .metrics
                    .orders_received
                    .inc_by(batch.orders.len() as u64);
                core.receive_batch(conn, batch, arrival_us).map(|_| ())
            }
            Frame::SyncHash { tick, hash } => core.receive_sync_hash(conn, tick, hash),
            Frame::GameEndedReport {
                tick,
                outcome,
                state_hash,
            } => core.record_game_ended_report(conn, tick, outcome, state_hash, arrival_us),
            Frame::LivenessEcho { token } => core.receive_liveness_echo(conn, token).map(|_| ()),
            _ => {
                // A frame only the relay sends, or a second handshake: the client is broken.
                self.kick(slot, KickReason::ProtocolViolation, arrival_us);
                return;
            }
        };
        if let Err(error) = result {
            // Out of step (kicked, match over, too far ahead): the frame is dropped.
            tracing::debug!(%error, %slot, "frame not taken");
        }
    }

    /// Spectators are receive-only: a goodbye closes, chat is not relayed (it would reach
    /// nobody live without leaking the delayed game), and anything else breaks the protocol.
    fn spectator_frame(&mut self, link: LinkId, frame: &Frame) {
        match frame {
            Frame::Disconnect { .. } => self.link_closed(link, None),
            Frame::Chat { .. } => {}
            _ => {
                self.shared.metrics.kick(KickReason::ProtocolViolation);
                if let Some(id) = self.spectators.id_of_link(link)
                    && let Ok(bytes) = encode(&Frame::Kick {
                        reason: KickReason::ProtocolViolation,
                    })
                {
                    self.spectators.send_to(id, bytes);
                }
                self.link_closed(link, Some("spectator sent a player frame".into()));
            }
        }
    }

    /// Routes a player's chat frame by relay-core's channel rules (the seats' teams stand in
    /// for the roster the lobby does not have yet).
    fn chat(&self, from: PlayerSlot, channel: ChatChannel, text: &str) {
        let frame = Frame::Chat {
            sender: Some(from),
            channel,
            text: text.to_owned(),
        };
        let Ok(bytes) = encode(&frame) else { return };
        let team_of = |slot| self.seats.get(&slot).map(|seat| seat.team);
        let reads = |recipient| may_read_by_team(team_of, from, channel, recipient);
        for (slot, seat) in &self.seats {
            if let (true, Some(link)) = (reads(Recipient::Player(*slot)), seat.link()) {
                link.send_bytes(bytes.clone());
            }
        }
        // Every spectator reads the same channels; any observer id stands for all of them.
        if reads(Recipient::Observer(ObserverId(0))) {
            for link in self.spectators.links() {
                link.send_bytes(bytes.clone());
            }
        }
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

    /// Finalizes every tick whose deadline has passed; returns the outcome once there is one.
    fn finalize_due(&mut self) -> Option<MatchOutcome> {
        loop {
            let now = self.clock_now();
            let core = self.core.as_mut()?;
            if now < core.next_deadline_us() {
                return None;
            }
            let started = std::time::Instant::now();
            let finalized = match core.finalize_tick(now) {
                Ok(finalized) => finalized,
                Err(_) => return core.check_match_end(),
            };
            self.route(&finalized.feeds);
            self.liveness(now);
            for event in finalized.events {
                self.event(event, now);
            }
            self.shared
                .metrics
                .tick_seconds
                .observe(started.elapsed().as_secs_f64());
            if let Some(outcome) = self.core.as_ref().and_then(RelayCore::check_match_end) {
                return Some(outcome);
            }
        }
    }

    fn route(&mut self, feeds: &[relay_core::filters::RecipientFeed]) {
        let mut frames = TickFrames::default();
        let mut slow = Vec::new();
        for feed in feeds {
            let slot = match feed.recipient {
                Recipient::Player(slot) => slot,
                Recipient::Observer(id) => {
                    self.feed_spectator(id, &feed.ticks, &mut frames);
                    continue;
                }
            };
            let Some(link) = self.seats.get(&slot).and_then(|seat| match &seat.state {
                SeatState::Playing(_, link) => Some(link),
                _ => None,
            }) else {
                continue;
            };
            for tick in &feed.ticks {
                let sent = frames.bytes(tick).is_some_and(|b| link.send_bytes(b));
                if sent {
                    self.shared
                        .metrics
                        .orders_forwarded
                        .inc_by(tick.orders.len() as u64);
                } else {
                    slow.push(slot);
                }
            }
        }
        let now = self.clock_now();
        for slot in slow {
            // A peer that cannot take its tick stream is as good as disconnected.
            tracing::info!(%slot, "outbound queue full or closed; dropping the connection");
            self.set_away(slot, now);
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

    /// Sends a spectator its (delayed) ticks; one that cannot keep up is disconnected, and the
    /// match goes on without it.
    fn feed_spectator(
        &mut self,
        id: ObserverId,
        ticks: &[Arc<TickOrders>],
        frames: &mut TickFrames,
    ) {
        for tick in ticks {
            if !frames
                .bytes(tick)
                .is_some_and(|b| self.spectators.send_to(id, b))
            {
                if let Some(link) = self.spectators.link_of(id) {
                    tracing::info!(
                        spectator = id.0,
                        "spectator cannot take its feed; dropping it"
                    );
                    self.link_closed(link, None);
                }
                return;
            }
        }
    }

    fn liveness(&mut self, now: u64) {
        let Some(core) = self.core.as_mut() else {
            return;
        };
        for (slot, seat) in &self.seats {
            if let SeatState::Playing(_, link) = &seat.state
                && let Ok(token) = core.next_liveness_token(*slot, now, &mut self.rng)
            {
                link.send(&Frame::Liveness { token });
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

    fn event(&mut self, event: RelayEvent, now: u64) {
        match event {
            RelayEvent::Kicked { player, reason } => self.kick(player, reason, now),
            RelayEvent::PlayerDropped { player, .. } => self.kick(player, KickReason::Desync, now),
            RelayEvent::DesyncDetected { tick } => {
                self.shared.metrics.desyncs.inc();
                self.broadcast(&Frame::DesyncDetected { tick });
            }
            RelayEvent::TimingFeedback { player, feedback } => {
                self.send_to(player, &Frame::TimingFeedback(feedback));
            }
            RelayEvent::OrdersDropped { count, reason, .. } => {
                self.shared.metrics.dropped(reason, count);
            }
            RelayEvent::LateBatch { .. } => self.shared.metrics.late_batches.inc(),
            RelayEvent::Strike { .. } => self.shared.metrics.strikes.inc(),
            RelayEvent::PlayerAbandoned { player, tick } => {
                tracing::info!(%player, tick, "player abandoned the match");
            }
            RelayEvent::ClockSkewRejected { .. }
            | RelayEvent::CalibrationReset { .. }
            | RelayEvent::PlayerUnresponsive { .. }
            | RelayEvent::QosAdjusted(_)
            | RelayEvent::RemakeVoteIgnored { .. }
            | RelayEvent::MatchEnded(_) => {}
        }
    }

    /// Certifies the result, sends it, hands it to the sink and sends the records back, while
    /// players may still leave or reconnect.
    async fn post_game(&mut self, outcome: MatchOutcome) {
        let now = self.clock_now();
        // The delay only matters while the game can still be influenced: spectators get the
        // held-back ticks before the result.
        if let Some(core) = self.core.as_mut() {
            let mut frames = TickFrames::default();
            for feed in core.release_observer_feeds() {
                if let Recipient::Observer(id) = feed.recipient {
                    self.feed_spectator(id, &feed.ticks, &mut frames);
                }
            }
        }
        let Some(core) = self.core.as_ref() else {
            return;
        };
        let signed = match core.certify(&self.shared.relay, now) {
            Ok(signed) => signed,
            Err(error) => {
                tracing::error!(%error, "certifying the result failed");
                return;
            }
        };
        let cmr = signed.into_bytes();
        tracing::info!(game_id = self.terms.game_id, ?outcome, "match ended");
        self.broadcast(&Frame::MatchEnd(outcome));
        self.broadcast(&Frame::CertifiedResult(cmr.clone()));
        for seat in self.seats.values_mut() {
            seat.state = match std::mem::replace(&mut seat.state, SeatState::Gone) {
                SeatState::Playing(conn, link) => SeatState::Post(conn.end_game(), link),
                _ => SeatState::Gone,
            };
        }
        let delivery: Option<JoinHandle<Result<Vec<PlayerRecord>, ResultSinkError>>> =
            match &self.shared.sink {
                // A relay-signed room names no community: nobody rates it.
                Some(sink) if self.terms.signer_kind == SignerKind::Community => {
                    let sink = sink.clone();
                    let bytes = cmr.clone();
                    Some(tokio::spawn(async move { sink.submit(&bytes).await }))
                }
                _ => None,
            };
        let mut records: Option<Vec<PlayerRecord>> = None;
        let mut delivery = delivery;
        if delivery.is_none() {
            records = Some(Vec::new());
        }
        let deadline = tokio::time::Instant::now() + self.shared.options.post_game;
        loop {
            let everyone_left = self
                .seats
                .values()
                .all(|seat| !matches!(seat.state, SeatState::Post(..)));
            if records.is_some() && everyone_left {
                return;
            }
            tokio::select! {
                joined = join_opt(&mut delivery), if delivery.is_some() => {
                    delivery = None;
                    let issued = match joined {
                        Ok(Ok(issued)) => {
                            self.shared.metrics.results("delivered");
                            issued
                        }
                        Ok(Err(error)) => {
                            self.shared.metrics.results(error.outcome());
                            tracing::warn!(
                                %error,
                                outcome = error.outcome(),
                                "the result sink did not take the result now"
                            );
                            Vec::new()
                        }
                        Err(error) => {
                            self.shared.metrics.results("failed");
                            tracing::error!(%error, "the result sink task failed");
                            Vec::new()
                        }
                    };
                    for (slot, seat) in &self.seats {
                        if let SeatState::Post(conn, link) = &seat.state {
                            send_records(link, &conn.player_key(), &issued);
                            tracing::debug!(%slot, "records sent");
                        }
                    }
                    records = Some(issued);
                }
                input = self.inputs.recv() => {
                    let Some(input) = input else { return };
                    self.post_game_input(input, &cmr, records.as_deref());
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    fn post_game_input(&mut self, input: MatchInput, cmr: &[u8], records: Option<&[PlayerRecord]>) {
        match input {
            MatchInput::Link(LinkEvent::Closed { link, error }) => self.link_closed(link, error),
            MatchInput::Link(LinkEvent::Frame { .. }) => {}
            // The match is over: nothing left to watch live.
            MatchInput::CaughtUp(caught) => {
                tokio::spawn(refuse(caught.admitted, DisconnectReason::MatchOver));
            }
            MatchInput::Join(admitted) => {
                // A player who lost its connection at the end still gets result and records.
                let ticket = admitted.ticket.ticket().clone();
                let seat = match ticket.seat {
                    TicketSeat::Player { slot, team }
                        if same_terms(&self.terms, &ticket)
                            && self
                                .seats
                                .get(&slot)
                                .is_some_and(|s| s.key == ticket.player_key) =>
                    {
                        (slot, team)
                    }
                    // Spectators have nothing to collect after the end.
                    _ => {
                        tokio::spawn(refuse(*admitted, DisconnectReason::MatchOver));
                        return;
                    }
                };
                let (lobby, link) = self.new_link(*admitted);
                let Some(core) = self.core.as_ref() else {
                    return;
                };
                let Ok(conn) = lobby.start_game(core) else {
                    return;
                };
                link.send(&Frame::AuthAccepted {
                    seat: SeatFrame::Player {
                        slot: seat.0,
                        team: seat.1,
                    },
                });
                if let Some(outcome) = core.check_match_end() {
                    link.send(&Frame::MatchEnd(outcome));
                }
                link.send(&Frame::CertifiedResult(cmr.to_vec()));
                if let Some(records) = records {
                    send_records(&link, &ticket.player_key, records);
                }
                if let Some(seat) = self.seats.get_mut(&seat.0) {
                    seat.state = SeatState::Post(conn.end_game(), link);
                }
            }
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

fn send_records(link: &Link, player: &PlayerKey, issued: &[PlayerRecord]) {
    let mine: Vec<Vec<u8>> = issued
        .iter()
        .filter(|r| r.player_key == *player)
        .map(|r| r.bytes.clone())
        .collect();
    for chunk in mine.chunks(RECORDS_PER_FRAME) {
        link.send(&Frame::RatingUpdate(chunk.to_vec()));
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

/// Awaits the delivery task if there is one; never completes otherwise.
async fn join_opt<T>(handle: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match handle {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
