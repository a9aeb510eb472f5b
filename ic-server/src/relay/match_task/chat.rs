//! Chat between the seats, in the lobby and the game, routed by relay-core's channel rules;
//! a chat-restricted player's chat reaches nobody.

use relay_core::filters::{Recipient, may_read_by_team};
use relay_core::frames::Frame;
use relay_core::ids::{ObserverId, PlayerSlot};
use relay_core::order::ChatChannel;

use super::MatchTask;
use crate::relay::link::encode;

impl MatchTask {
    /// Routes a player's chat frame by relay-core's channel rules (the seats' teams stand in
    /// for the roster the lobby does not have yet). A chat-restricted player's chat reaches
    /// nobody; the player is told once.
    pub(super) fn chat(&mut self, from: PlayerSlot, channel: ChatChannel, text: &str) {
        let now = self.shared.clock.now_secs();
        if self
            .seats
            .get(&from)
            .and_then(|seat| seat.chat_restricted_until)
            .is_some_and(|until| until > now)
        {
            self.tell_chat_restricted(from);
            return;
        }
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

    /// Tells `slot`, once per match, that its chat is withheld and until when (a system
    /// message only it receives).
    pub(super) fn tell_chat_restricted(&mut self, slot: PlayerSlot) {
        let Some(seat) = self.seats.get_mut(&slot) else {
            return;
        };
        if seat.told_chat_restricted {
            return;
        }
        seat.told_chat_restricted = true;
        let until = seat.chat_restricted_until.unwrap_or_default();
        if let Some(link) = seat.link() {
            link.send(&Frame::Chat {
                sender: None,
                channel: ChatChannel::Whisper(slot),
                text: format!(
                    "Your chat is restricted until {} (Unix time {until}): nobody sees your \
                     messages. GET /v1/sanctions/me says why.",
                    httpdate::fmt_http_date(
                        std::time::UNIX_EPOCH
                            + std::time::Duration::from_secs(u64::try_from(until).unwrap_or(0))
                    )
                ),
            });
        }
    }
}
