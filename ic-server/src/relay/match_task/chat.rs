//! Chat between the seats, in the lobby and the game, routed by relay-core's channel rules.

use relay_core::filters::{Recipient, may_read_by_team};
use relay_core::frames::Frame;
use relay_core::ids::{ObserverId, PlayerSlot};
use relay_core::order::ChatChannel;

use super::MatchTask;
use crate::relay::link::encode;

impl MatchTask {
    /// Routes a player's chat frame by relay-core's channel rules (the seats' teams stand in
    /// for the roster the lobby does not have yet).
    pub(super) fn chat(&self, from: PlayerSlot, channel: ChatChannel, text: &str) {
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
}
