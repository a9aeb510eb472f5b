//! The lobby: seats fill from tickets (a second connection of a player replaces the first, and
//! once the match runs a ticket for a held seat is a reconnect); the last seat starts the match.

use relay_core::RelayCore;
use relay_core::core::{MatchSetup, PlayerSeat, RelayConfig};
use relay_core::filters::{ReplaySink, ReplaySinkError};
use relay_core::frames::{DisconnectReason, Frame, Seat as SeatFrame};
use relay_core::qos::PlayerCalibration;
use relay_core::ticket::TicketSeat;

use super::{Flow, MatchTask, Seat, SeatState, restart_requested, same_terms};
use crate::relay::handshake::Admitted;
use crate::relay::registry::refuse;
use crate::relay::replays::FileReplay;
use crate::relay::spectators::delay_ticks;

/// Keeps the replay hash without retaining the bytes (replays switched off, or the file could
/// not be created): the certified result still carries the hash of the order stream.
struct HashOnlyReplay;

impl ReplaySink for HashOnlyReplay {
    fn write(&mut self, _bytes: &[u8]) -> Result<(), ReplaySinkError> {
        Ok(())
    }
}

impl MatchTask {
    /// Until every seat is taken and the match has started; `false` when the lobby timed out or
    /// the match could not start.
    pub(super) async fn lobby(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + self.shared.options.lobby_timeout;
        while self.core.is_none() {
            tokio::select! {
                input = self.inputs.recv() => {
                    // The task holds a sender itself, so the channel never closes under it.
                    let Some(input) = input else { return false };
                    if let Flow::Stop = self.handle(input) {
                        return false;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    tracing::info!(game_id = self.terms.game_id, "lobby timed out");
                    self.close_all(DisconnectReason::Timeout);
                    return false;
                }
                () = restart_requested(&mut self.restart) => {
                    tracing::info!(game_id = self.terms.game_id, "relay restarting; lobby closed");
                    self.close_all(DisconnectReason::ServerRestart);
                    return false;
                }
            }
        }
        true
    }

    pub(super) fn join(&mut self, admitted: Admitted) -> Flow {
        let ticket = admitted.ticket.ticket().clone();
        let chat_restricted_until = admitted.chat_restricted_until;
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
                    chat_restricted_until,
                    told_chat_restricted: false,
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
        if chat_restricted_until.is_some() {
            // A restriction that began mid-match applies from the reconnect on.
            seat.chat_restricted_until = chat_restricted_until;
            core.restrict_chat(slot);
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
            grace_void_us: u64::try_from(options.grace_void.as_micros()).unwrap_or(u64::MAX),
            degraded_lateness_us: u64::try_from(options.degraded_lateness.as_micros())
                .unwrap_or(u64::MAX),
            degraded_late_ticks: options.degraded_late_ticks,
            degraded_loss_permille: options.degraded_loss_permille,
            degraded_loss_windows: options.degraded_loss_windows,
            pause_rules: Some(if settings.ranked {
                options.ranked_pauses
            } else {
                options.casual_pauses
            }),
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
        let now_secs = self.shared.clock.now_secs();
        for (slot, seat) in &self.seats {
            if seat
                .chat_restricted_until
                .is_some_and(|until| until > now_secs)
            {
                core.restrict_chat(*slot);
            }
        }
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
}
