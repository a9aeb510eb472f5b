//! Player orders as the relay sees them, and their canonical byte encoding.
//! The relay does not interpret game orders; it only needs chat routing, votes and `Idle`.

use bytes::BufMut;

use crate::ids::{PlayerSlot, SimTick};
use crate::wire::{Reader, WireError};

/// Largest encoded order the relay accepts (kind byte and body).
pub const MAX_ORDER_BYTES: usize = 4096;
/// Largest chat text in bytes.
pub const MAX_CHAT_BYTES: usize = 1024;

/// One order from a player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerOrder {
    /// "Nothing this tick": also what the relay inserts for a player who missed the deadline.
    Idle,
    /// A game-specific order, opaque to the relay.
    Game {
        /// The game module's order type.
        type_tag: u16,
        /// The order's body.
        payload: Vec<u8>,
    },
    /// A chat message, routed per recipient after hashing.
    Chat {
        /// Who may read it.
        channel: ChatChannel,
        /// The message.
        text: String,
    },
    /// A vote the relay resolves itself (surrender, remake, pause, resume, kick).
    Vote(VoteKind),
}

/// Who receives a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatChannel {
    /// Every player and observer.
    All,
    /// Players on the sender's team.
    Team,
    /// One player (and the sender).
    Whisper(PlayerSlot),
    /// Observers only (and the sender).
    Observer,
}

/// A protocol-level vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteKind {
    /// The sender's team gives up.
    Surrender,
    /// Void the match (only within the remake window).
    Remake,
    /// Pause the match (spends one of the sender's pauses).
    Pause,
    /// Agree to resume a paused match (both sides must).
    Resume,
    /// Remove a teammate from an unranked match (every other teammate must agree).
    Kick(PlayerSlot),
}

/// An order with its sender and its relay-normalized time within the tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampedOrder {
    /// The sender.
    pub player: PlayerSlot,
    /// Microseconds since the start of the tick window (relay-normalized on output).
    pub sub_tick_us: u32,
    /// The order.
    pub order: PlayerOrder,
}

/// The canonical order list of one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TickOrders {
    /// The tick these orders execute in.
    pub tick: SimTick,
    /// Orders sorted by `(sub_tick_us, player)`.
    pub orders: Vec<TimestampedOrder>,
}

const KIND_IDLE: u8 = 0;
const KIND_GAME: u8 = 1;
const KIND_CHAT: u8 = 2;
const KIND_VOTE: u8 = 3;

impl PlayerOrder {
    /// Appends the canonical encoding (see `docs/relay-protocol.md`).
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::Idle => out.put_u8(KIND_IDLE),
            Self::Game { type_tag, payload } => {
                out.put_u8(KIND_GAME);
                out.put_u16_le(*type_tag);
                put_len_u16(out, payload.len());
                out.put_slice(payload);
            }
            Self::Chat { channel, text } => {
                out.put_u8(KIND_CHAT);
                channel.encode(out);
                put_len_u16(out, text.len());
                out.put_slice(text.as_bytes());
            }
            Self::Vote(vote) => {
                out.put_u8(KIND_VOTE);
                match vote {
                    VoteKind::Surrender => out.put_u8(1),
                    VoteKind::Remake => out.put_u8(2),
                    VoteKind::Pause => out.put_u8(3),
                    VoteKind::Resume => out.put_u8(4),
                    VoteKind::Kick(target) => {
                        out.put_u8(5);
                        out.put_u8(target.0);
                    }
                }
            }
        }
    }

    /// Length of [`Self::encode`]'s output, without encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Idle => 1,
            Self::Game { payload, .. } => 5 + payload.len(),
            Self::Chat { channel, text } => {
                let target = usize::from(matches!(channel, ChatChannel::Whisper(_)));
                4 + target + text.len()
            }
            Self::Vote(VoteKind::Kick(_)) => 3,
            Self::Vote(_) => 2,
        }
    }

    /// Reads one order; payload and text lengths are capped before allocation.
    pub fn decode(reader: &mut Reader<'_>) -> Result<Self, OrderDecodeError> {
        let kind_offset = reader.offset();
        match reader.u8()? {
            KIND_IDLE => Ok(Self::Idle),
            KIND_GAME => {
                let type_tag = reader.u16()?;
                let len = reader.len_u16("game order payload", MAX_ORDER_BYTES - 5)?;
                let payload = reader.take(len)?.to_vec();
                Ok(Self::Game { type_tag, payload })
            }
            KIND_CHAT => {
                let channel = ChatChannel::decode(reader)?;
                let len = reader.len_u16("chat text", MAX_CHAT_BYTES)?;
                let text = reader.utf8(len)?;
                Ok(Self::Chat { channel, text })
            }
            KIND_VOTE => {
                let vote_offset = reader.offset();
                match reader.u8()? {
                    1 => Ok(Self::Vote(VoteKind::Surrender)),
                    2 => Ok(Self::Vote(VoteKind::Remake)),
                    3 => Ok(Self::Vote(VoteKind::Pause)),
                    4 => Ok(Self::Vote(VoteKind::Resume)),
                    5 => Ok(Self::Vote(VoteKind::Kick(PlayerSlot(reader.u8()?)))),
                    value => Err(OrderDecodeError::UnknownVote {
                        offset: vote_offset,
                        value,
                    }),
                }
            }
            value => Err(OrderDecodeError::UnknownKind {
                offset: kind_offset,
                value,
            }),
        }
    }
}

impl ChatChannel {
    /// Appends the channel byte (and the whisper target).
    pub fn encode(&self, out: &mut impl BufMut) {
        match self {
            Self::All => out.put_u8(0),
            Self::Team => out.put_u8(1),
            Self::Whisper(target) => {
                out.put_u8(2);
                out.put_u8(target.0);
            }
            Self::Observer => out.put_u8(3),
        }
    }

    /// Reads what [`Self::encode`] wrote.
    pub fn decode(reader: &mut Reader<'_>) -> Result<Self, OrderDecodeError> {
        let offset = reader.offset();
        Ok(match reader.u8()? {
            0 => Self::All,
            1 => Self::Team,
            2 => Self::Whisper(PlayerSlot(reader.u8()?)),
            3 => Self::Observer,
            value => return Err(OrderDecodeError::UnknownChatChannel { offset, value }),
        })
    }
}

impl TimestampedOrder {
    /// Appends `player u8 ‖ sub_tick_us u32 ‖ order`.
    pub fn encode(&self, out: &mut impl BufMut) {
        out.put_u8(self.player.0);
        out.put_u32_le(self.sub_tick_us);
        self.order.encode(out);
    }

    /// Reads one timestamped order.
    pub fn decode(reader: &mut Reader<'_>) -> Result<Self, OrderDecodeError> {
        let player = PlayerSlot(reader.u8()?);
        let sub_tick_us = reader.u32()?;
        let order = PlayerOrder::decode(reader)?;
        Ok(Self {
            player,
            sub_tick_us,
            order,
        })
    }

    /// The canonical sort key: normalized time first, then slot as the tie-break.
    pub fn sort_key(&self) -> (u32, PlayerSlot) {
        (self.sub_tick_us, self.player)
    }
}

/// Writes a length that callers have already bounded by the order or chat limit; longer values
/// are saturated so that encoding never panics (the decoder then rejects the record).
pub(crate) fn put_len_u16(out: &mut impl BufMut, len: usize) {
    out.put_u16_le(u16::try_from(len).unwrap_or(u16::MAX));
}

/// Why an order could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderDecodeError {
    /// A structural problem (truncation, overlong length, bad UTF-8).
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The order kind byte is not defined.
    #[error("unknown order kind {value} at offset {offset}")]
    UnknownKind {
        /// Where the byte is.
        offset: usize,
        /// Its value.
        value: u8,
    },
    /// The chat channel byte is not defined.
    #[error("unknown chat channel {value} at offset {offset}")]
    UnknownChatChannel {
        /// Where the byte is.
        offset: usize,
        /// Its value.
        value: u8,
    },
    /// The vote byte is not defined.
    #[error("unknown vote {value} at offset {offset}")]
    UnknownVote {
        /// Where the byte is.
        offset: usize,
        /// Its value.
        value: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(order: PlayerOrder) {
        let mut bytes = Vec::new();
        order.encode(&mut bytes);
        assert_eq!(bytes.len(), order.encoded_len());
        let mut reader = Reader::new(&bytes);
        assert_eq!(PlayerOrder::decode(&mut reader), Ok(order));
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn every_kind_round_trips_with_its_stated_length() {
        round_trip(PlayerOrder::Idle);
        round_trip(PlayerOrder::Game {
            type_tag: 7,
            payload: vec![1, 2, 3],
        });
        round_trip(PlayerOrder::Chat {
            channel: ChatChannel::Whisper(PlayerSlot(3)),
            text: "gl hf".into(),
        });
        round_trip(PlayerOrder::Chat {
            channel: ChatChannel::Observer,
            text: String::new(),
        });
        round_trip(PlayerOrder::Vote(VoteKind::Remake));
        round_trip(PlayerOrder::Vote(VoteKind::Pause));
        round_trip(PlayerOrder::Vote(VoteKind::Resume));
        round_trip(PlayerOrder::Vote(VoteKind::Kick(PlayerSlot(7))));
    }

    #[test]
    fn oversized_payload_length_is_refused_before_reading() {
        let bytes = [KIND_GAME, 0, 0, 0xff, 0xff];
        assert!(matches!(
            PlayerOrder::decode(&mut Reader::new(&bytes)),
            Err(OrderDecodeError::Wire(WireError::TooLong { .. }))
        ));
        assert_eq!(
            PlayerOrder::decode(&mut Reader::new(&[9])),
            Err(OrderDecodeError::UnknownKind {
                offset: 0,
                value: 9
            })
        );
    }
}
