//! Per-recipient chat routing: chat orders reach only the recipients their channel names, and
//! nobody's from a chat-restricted player. Runs after hashing, so the certified stream still
//! contains every message (a restricted player's attempts are evidence too).

use super::{FilterCtx, Recipient, RecipientFeed, RelayFilter};
use crate::core::{RelayEvent, Roster};
use crate::ids::{PlayerSlot, TeamId};
use crate::order::{ChatChannel, PlayerOrder};

/// Removes chat orders a recipient may not read; gameplay orders are never touched.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChatRouting;

/// Whether `recipient` may read a message from `sender` on `channel`.
pub fn may_read(
    roster: &Roster,
    sender: PlayerSlot,
    channel: ChatChannel,
    recipient: Recipient,
) -> bool {
    !roster.is_chat_restricted(sender)
        && may_read_by_team(|slot| roster.team_of(slot), sender, channel, recipient)
}

/// [`may_read`] with the players' teams from `team_of`, for whoever routes chat before the
/// match has a roster (a relay's lobby).
pub fn may_read_by_team(
    team_of: impl Fn(PlayerSlot) -> Option<TeamId>,
    sender: PlayerSlot,
    channel: ChatChannel,
    recipient: Recipient,
) -> bool {
    match (channel, recipient) {
        (ChatChannel::All, _) => true,
        (_, Recipient::Player(slot)) if slot == sender => true,
        (ChatChannel::Team, Recipient::Player(slot)) => {
            team_of(slot).is_some() && team_of(slot) == team_of(sender)
        }
        (ChatChannel::Whisper(target), Recipient::Player(slot)) => slot == target,
        (ChatChannel::Observer, Recipient::Observer(_)) => true,
        _ => false,
    }
}

impl RelayFilter for ChatRouting {
    fn name(&self) -> &'static str {
        "chat_routing"
    }

    fn on_outbound(&mut self, ctx: &mut FilterCtx<'_>, feeds: &mut [RecipientFeed]) {
        if let Some(canonical) = ctx.canonical {
            for order in &canonical.orders {
                if matches!(order.order, PlayerOrder::Chat { .. })
                    && ctx.roster.is_chat_restricted(order.player)
                {
                    ctx.events.push(RelayEvent::ChatWithheld {
                        player: order.player,
                    });
                }
            }
        }
        for feed in feeds {
            let recipient = feed.recipient;
            let readable = |order: &crate::order::TimestampedOrder| match &order.order {
                PlayerOrder::Chat { channel, .. } => {
                    may_read(ctx.roster, order.player, *channel, recipient)
                }
                _ => true,
            };
            for tick in &mut feed.ticks {
                if !tick.orders.iter().all(readable) {
                    std::sync::Arc::make_mut(tick).orders.retain(readable);
                }
            }
        }
    }
}
