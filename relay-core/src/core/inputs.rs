//! Everything else a player or the transport tells the core: sync hashes, game-ended reports,
//! liveness tokens and echoes, disconnects and reconnects.

use rand_core::RngCore;

use super::{CoreError, RelayCore, RelayEvent};
use crate::connection::{Connection, InGame};
use crate::frames::SimOutcome;
use crate::ids::{PlayerSlot, SimTick};
use crate::liveness::EchoVerdict;
use crate::match_end::GameEndedReport;

impl RelayCore {
    /// A player's truncated sync hash for `tick`.
    pub fn receive_sync_hash(
        &mut self,
        from: &Connection<InGame>,
        tick: SimTick,
        hash: u64,
    ) -> Result<(), CoreError> {
        let player = self.connected_player(from)?;
        self.desync.record(player, tick, hash);
        Ok(())
    }

    /// A player's game-ended report, received at relay time `now_us`.
    pub fn record_game_ended_report(
        &mut self,
        from: &Connection<InGame>,
        tick: SimTick,
        outcome: SimOutcome,
        state_hash: [u8; 32],
        now_us: u64,
    ) -> Result<(), CoreError> {
        let player = self.connected_player(from)?;
        let report = GameEndedReport {
            tick,
            outcome,
            state_hash,
        };
        self.end.report(player, report, now_us);
        Ok(())
    }

    /// The liveness token for the next frame to `player`.
    pub fn next_liveness_token(
        &mut self,
        player: PlayerSlot,
        now_us: u64,
        rng: &mut dyn RngCore,
    ) -> Result<u32, CoreError> {
        match self.roster.get(player) {
            Some(p) if p.status.is_connected() => {}
            _ => return Err(CoreError::NotConnected(player)),
        }
        let (token, became_unresponsive) = self
            .liveness
            .entry(player)
            .or_default()
            .next_token(rng, now_us);
        if became_unresponsive {
            self.roster.mark_unresponsive(player, now_us)?;
            self.events.push(RelayEvent::PlayerUnresponsive { player });
        }
        Ok(token)
    }

    /// A player echoed a liveness token.
    pub fn receive_liveness_echo(
        &mut self,
        from: &Connection<InGame>,
        token: u32,
    ) -> Result<EchoVerdict, CoreError> {
        let player = self.connected_player(from)?;
        let verdict = self.liveness.entry(player).or_default().echo(token);
        if verdict == (EchoVerdict::Answered { recovered: true }) {
            self.roster.mark_responsive(player)?;
        }
        Ok(verdict)
    }

    /// The transport lost a player's connection at `now_us`.
    pub fn player_disconnected(
        &mut self,
        player: PlayerSlot,
        now_us: u64,
    ) -> Result<(), CoreError> {
        self.roster.disconnect(player, now_us)?;
        self.liveness.remove(&player);
        Ok(())
    }

    /// Disconnects a player the relay itself kicked (lag strikes, flood); `false` if it was not
    /// connected. It may reconnect like anyone, but its leaving never voids the match.
    pub(super) fn disconnect_kicked(&mut self, player: PlayerSlot, now_us: u64) -> bool {
        let disconnected = self.player_disconnected(player, now_us).is_ok();
        if disconnected {
            self.kicked.insert(player);
        }
        disconnected
    }

    /// A player came back on a new, authenticated connection.
    pub fn player_reconnected(&mut self, from: &Connection<InGame>) -> Result<(), CoreError> {
        let player = Self::player_of(from)?;
        self.roster.reconnect(player)?;
        Ok(())
    }
}
