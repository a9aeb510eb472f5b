//! Spectators of one match: seats in the lobby, a catch-up from the replay for those who come
//! mid-match, and the delayed feed; they are receive-only.

use std::sync::Arc;

use bytes::Bytes;
use relay_core::frames::{DisconnectReason, Frame, KickReason, Seat as SeatFrame};
use relay_core::ids::ObserverId;
use relay_core::order::TickOrders;
use scr::PlayerKey;

use super::{CaughtUp, MatchInput, MatchTask, same_terms};
use crate::relay::handshake::Admitted;
use crate::relay::link::{LinkId, TickFrames, encode};
use crate::relay::registry::refuse;
use crate::relay::spectators::CatchUp;

impl MatchTask {
    /// A spectator's ticket: a seat in the lobby, or after the start a seat with everything
    /// released so far replayed first; never a player's key.
    pub(super) fn join_spectator(&mut self, admitted: Admitted) {
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
    pub(super) fn finish_catch_up(&mut self, caught: CaughtUp) {
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

    /// Spectators are receive-only: a goodbye closes, chat is not relayed (it would reach
    /// nobody live without leaking the delayed game), and anything else breaks the protocol.
    pub(super) fn spectator_frame(&mut self, link: LinkId, frame: &Frame) {
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

    /// Sends a spectator its (delayed) ticks; one that cannot keep up is disconnected, and the
    /// match goes on without it.
    pub(super) fn feed_spectator(
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
}
