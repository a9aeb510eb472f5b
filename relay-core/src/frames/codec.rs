//! Frame bytes: `length u32 ‖ version u8 ‖ type u8 ‖ body`, little-endian, built on `bytes`.
//! Decoding checks the length prefix against the cap before waiting for or allocating a body.

use bytes::{Buf, BufMut, BytesMut};
use scr::keys::PlayerKey;

use super::{
    ClientOrder, DisconnectReason, Frame, KickReason, MAX_CMR_BYTES, MAX_RATING_RECORDS,
    MAX_SCR_BYTES, MAX_TICKET_FRAME_BYTES, OrderBatch, Seat, SimOutcome, TimingFeedback,
};
use crate::cmr::codec::{decode_outcome, encode_outcome};
use crate::cmr::{CmrError, EndReason};
use crate::ids::{ObserverId, PlayerSlot, TeamId};
use crate::order::{
    ChatChannel, MAX_CHAT_BYTES, OrderDecodeError, PlayerOrder, TickOrders, TimestampedOrder,
    put_len_u16,
};
use crate::pauses::PauseRefusal;
use crate::wire::{Reader, WireError, check_len};

/// The frame layout version this code writes and reads.
pub const FRAME_VERSION: u8 = 1;
/// Largest value of the length prefix (version, type and body).
pub const MAX_FRAME_LEN: usize = 64 * 1024;
/// Most orders in one `TickOrders` frame.
pub const MAX_TICK_ORDERS: usize = 8192;
/// Most orders in one `OrderBatch` frame (the per-tick limit).
const MAX_BATCH_ORDERS: usize = 256;
/// Smallest encoded orders, used to bound counts by the remaining input before allocating.
const MIN_CLIENT_ORDER: usize = 5;
const MIN_TIMESTAMPED_ORDER: usize = 6;
const NO_SENDER: u8 = 0xff;

const T_CLIENT_HELLO: u8 = 0x01;
const T_AUTH_CHALLENGE: u8 = 0x02;
const T_AUTH_RESPONSE: u8 = 0x03;
const T_AUTH_ACCEPTED: u8 = 0x04;
const T_TICKET: u8 = 0x05;
const T_MATCH_START: u8 = 0x06;
const T_ORDER_BATCH: u8 = 0x10;
const T_TICK_ORDERS: u8 = 0x11;
const T_TIMING_FEEDBACK: u8 = 0x12;
const T_SYNC_HASH: u8 = 0x13;
const T_GAME_ENDED: u8 = 0x14;
const T_LIVENESS: u8 = 0x15;
const T_LIVENESS_ECHO: u8 = 0x16;
const T_MATCH_END: u8 = 0x17;
const T_CERTIFIED_RESULT: u8 = 0x18;
const T_RATING_UPDATE: u8 = 0x19;
const T_CHAT: u8 = 0x1a;
const T_DISCONNECT: u8 = 0x1b;
const T_KICK: u8 = 0x1c;
const T_DESYNC_DETECTED: u8 = 0x1d;
const T_PAUSED: u8 = 0x1e;
const T_RESUMED: u8 = 0x1f;
const T_PAUSE_REFUSED: u8 = 0x20;

/// Why a frame could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A structural problem inside the frame.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// An order inside the frame is malformed.
    #[error(transparent)]
    Order(#[from] OrderDecodeError),
    /// The length prefix is below 2 or above [`MAX_FRAME_LEN`].
    #[error("frame length {0} is outside 2..={MAX_FRAME_LEN}")]
    BadLength(usize),
    /// The version byte is not [`FRAME_VERSION`].
    #[error("unknown frame version {0}")]
    UnknownVersion(u8),
    /// The type byte is not defined.
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    /// A field holds a value the protocol does not define.
    #[error("field {field} has undefined value {value}")]
    UndefinedValue {
        /// The field's name in `docs/relay-protocol.md`.
        field: &'static str,
        /// The value found.
        value: u64,
    },
}

impl Frame {
    /// Appends the complete frame (length prefix included) to `dst`.
    ///
    /// Fails, leaving `dst` unchanged, if a count or length exceeds the protocol's limits.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), FrameError> {
        let mut body = BytesMut::with_capacity(64);
        body.put_u8(FRAME_VERSION);
        self.encode_body(&mut body)?;
        if body.len() > MAX_FRAME_LEN {
            return Err(FrameError::BadLength(body.len()));
        }
        // MAX_FRAME_LEN fits u32, so the cast is exact.
        dst.put_u32_le(body.len() as u32);
        dst.extend_from_slice(&body);
        Ok(())
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self) -> Result<BytesMut, FrameError> {
        let mut out = BytesMut::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Takes one complete frame off the front of a stream buffer.
    ///
    /// Returns `Ok(None)` while the frame is incomplete; a bad length prefix is an error at once,
    /// so a peer cannot make the caller buffer more than [`MAX_FRAME_LEN`] bytes.
    pub fn decode_from(src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let len = read_length(&src[..4])?;
        if src.len() < 4 + len {
            return Ok(None);
        }
        let mut frame = src.split_to(4 + len);
        frame.advance(4);
        Self::decode_body(&frame).map(Some)
    }

    /// Decodes exactly one frame, length prefix included, with nothing after it.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let mut reader = Reader::new(bytes);
        let len = read_length(reader.take(4)?)?;
        let body = reader.take(len)?;
        reader.finish()?;
        Self::decode_body(body)
    }

    fn encode_body(&self, out: &mut BytesMut) -> Result<(), FrameError> {
        match self {
            Frame::ClientHello {
                player_key,
                game_id,
            } => {
                out.put_u8(T_CLIENT_HELLO);
                out.put_slice(player_key.as_bytes());
                out.put_u64_le(*game_id);
            }
            Frame::AuthChallenge { challenge } => {
                out.put_u8(T_AUTH_CHALLENGE);
                out.put_slice(challenge);
            }
            Frame::AuthResponse { signature } => {
                out.put_u8(T_AUTH_RESPONSE);
                out.put_slice(signature);
            }
            Frame::Ticket(bytes) => {
                out.put_u8(T_TICKET);
                put_count(out, "ticket_len", bytes.len(), MAX_TICKET_FRAME_BYTES)?;
                out.put_slice(bytes);
            }
            Frame::MatchStart {
                start_us,
                tick_interval_us,
                open_tick,
            } => {
                out.put_u8(T_MATCH_START);
                out.put_u64_le(*start_us);
                out.put_u32_le(*tick_interval_us);
                out.put_u64_le(*open_tick);
            }
            Frame::AuthAccepted { seat } => {
                out.put_u8(T_AUTH_ACCEPTED);
                match seat {
                    Seat::Player { slot, team } => out.put_slice(&[0, slot.0, team.0]),
                    Seat::Observer(id) => out.put_slice(&[1, id.0]),
                }
            }
            Frame::OrderBatch(batch) => {
                out.put_u8(T_ORDER_BATCH);
                out.put_u64_le(batch.tick);
                out.put_u64_le(batch.client_send_us);
                put_count(out, "order_count", batch.orders.len(), MAX_BATCH_ORDERS)?;
                for order in &batch.orders {
                    put_order_len_checked(&order.order)?;
                    out.put_u32_le(order.sub_tick_hint_us);
                    order.order.encode(out);
                }
            }
            Frame::TickOrders(tick) => encode_tick_orders_body(tick, out)?,
            Frame::TimingFeedback(feedback) => {
                out.put_u8(T_TIMING_FEEDBACK);
                out.put_i32_le(feedback.early_us);
                out.put_i32_le(feedback.late_us);
                out.put_i32_le(feedback.recommended_offset_us);
                out.put_u16_le(feedback.late_count);
            }
            Frame::SyncHash { tick, hash } => {
                out.put_u8(T_SYNC_HASH);
                out.put_u64_le(*tick);
                out.put_u64_le(*hash);
            }
            Frame::GameEndedReport {
                tick,
                outcome,
                state_hash,
            } => {
                out.put_u8(T_GAME_ENDED);
                out.put_u64_le(*tick);
                match outcome {
                    SimOutcome::Victory { winner, reason } => {
                        out.put_slice(&[1, winner.0, reason.code()]);
                    }
                    SimOutcome::Draw => out.put_u8(2),
                }
                out.put_slice(state_hash);
            }
            Frame::Liveness { token } => {
                out.put_u8(T_LIVENESS);
                out.put_u32_le(*token);
            }
            Frame::LivenessEcho { token } => {
                out.put_u8(T_LIVENESS_ECHO);
                out.put_u32_le(*token);
            }
            Frame::MatchEnd(outcome) => {
                out.put_u8(T_MATCH_END);
                let mut bytes = Vec::with_capacity(9);
                encode_outcome(&mut bytes, outcome);
                out.put_slice(&bytes);
            }
            Frame::CertifiedResult(bytes) => {
                out.put_u8(T_CERTIFIED_RESULT);
                put_count(out, "cmr_len", bytes.len(), MAX_CMR_BYTES)?;
                out.put_slice(bytes);
            }
            Frame::RatingUpdate(records) => {
                out.put_u8(T_RATING_UPDATE);
                check_len("record_count", records.len(), MAX_RATING_RECORDS)?;
                out.put_u8(records.len() as u8);
                for record in records {
                    put_count(out, "scr_len", record.len(), MAX_SCR_BYTES)?;
                    out.put_slice(record);
                }
            }
            Frame::Chat {
                sender,
                channel,
                text,
            } => {
                out.put_u8(T_CHAT);
                out.put_u8(sender.map_or(NO_SENDER, |slot| slot.0));
                channel.encode(out);
                put_count(out, "chat_len", text.len(), MAX_CHAT_BYTES)?;
                out.put_slice(text.as_bytes());
            }
            Frame::Disconnect { reason } => {
                out.put_u8(T_DISCONNECT);
                out.put_u8(match reason {
                    DisconnectReason::Left => 1,
                    DisconnectReason::Timeout => 2,
                    DisconnectReason::ProtocolError => 3,
                    DisconnectReason::MatchOver => 4,
                    DisconnectReason::NotAdmitted => 5,
                    DisconnectReason::ServerRestart => 6,
                });
            }
            Frame::Kick { reason } => {
                out.put_u8(T_KICK);
                out.put_u8(match reason {
                    KickReason::LagStrikes => 1,
                    KickReason::Desync => 2,
                    KickReason::Unresponsive => 3,
                    KickReason::ProtocolViolation => 4,
                    KickReason::AuthenticationFailed => 5,
                    KickReason::VotedOut => 6,
                });
            }
            Frame::DesyncDetected { tick } => {
                out.put_u8(T_DESYNC_DETECTED);
                out.put_u64_le(*tick);
            }
            Frame::Paused {
                player,
                tick,
                until,
            } => {
                out.put_u8(T_PAUSED);
                out.put_u8(player.0);
                out.put_u64_le(*tick);
                out.put_u64_le(*until);
            }
            Frame::Resumed { tick, timed_out } => {
                out.put_u8(T_RESUMED);
                out.put_u64_le(*tick);
                out.put_u8(u8::from(*timed_out));
            }
            Frame::PauseRefused { reason } => {
                out.put_u8(T_PAUSE_REFUSED);
                out.put_u8(match reason {
                    PauseRefusal::BudgetSpent => 1,
                    PauseRefusal::TooEarly => 2,
                    PauseRefusal::AlreadyPaused => 3,
                    PauseRefusal::NotPaused => 4,
                });
            }
        }
        Ok(())
    }

    fn decode_body(body: &[u8]) -> Result<Frame, FrameError> {
        let mut r = Reader::new(body);
        let version = r.u8()?;
        if version != FRAME_VERSION {
            return Err(FrameError::UnknownVersion(version));
        }
        let frame = match r.u8()? {
            T_CLIENT_HELLO => Frame::ClientHello {
                player_key: PlayerKey::from_bytes(r.array()?),
                game_id: r.u64()?,
            },
            T_AUTH_CHALLENGE => Frame::AuthChallenge {
                challenge: r.array()?,
            },
            T_AUTH_RESPONSE => Frame::AuthResponse {
                signature: r.array()?,
            },
            T_TICKET => {
                let len = r.len_u16("ticket_len", MAX_TICKET_FRAME_BYTES)?;
                Frame::Ticket(r.take(len)?.to_vec())
            }
            T_MATCH_START => Frame::MatchStart {
                start_us: r.u64()?,
                tick_interval_us: r.u32()?,
                open_tick: r.u64()?,
            },
            T_AUTH_ACCEPTED => Frame::AuthAccepted {
                seat: match r.u8()? {
                    0 => Seat::Player {
                        slot: PlayerSlot(r.u8()?),
                        team: TeamId(r.u8()?),
                    },
                    1 => Seat::Observer(ObserverId(r.u8()?)),
                    value => return Err(undefined("seat_kind", value)),
                },
            },
            T_ORDER_BATCH => {
                let tick = r.u64()?;
                let client_send_us = r.u64()?;
                let count = read_count(&mut r, "order_count", MAX_BATCH_ORDERS, MIN_CLIENT_ORDER)?;
                let mut orders = Vec::with_capacity(count);
                for _ in 0..count {
                    let sub_tick_hint_us = r.u32()?;
                    let order = PlayerOrder::decode(&mut r)?;
                    orders.push(ClientOrder {
                        sub_tick_hint_us,
                        order,
                    });
                }
                Frame::OrderBatch(OrderBatch {
                    tick,
                    client_send_us,
                    orders,
                })
            }
            T_TICK_ORDERS => {
                let tick = r.u64()?;
                let count = read_count(
                    &mut r,
                    "order_count",
                    MAX_TICK_ORDERS,
                    MIN_TIMESTAMPED_ORDER,
                )?;
                let mut orders = Vec::with_capacity(count);
                for _ in 0..count {
                    orders.push(TimestampedOrder::decode(&mut r)?);
                }
                Frame::TickOrders(TickOrders { tick, orders })
            }
            T_TIMING_FEEDBACK => Frame::TimingFeedback(TimingFeedback {
                early_us: r.i32()?,
                late_us: r.i32()?,
                recommended_offset_us: r.i32()?,
                late_count: r.u16()?,
            }),
            T_SYNC_HASH => Frame::SyncHash {
                tick: r.u64()?,
                hash: r.u64()?,
            },
            T_GAME_ENDED => {
                let tick = r.u64()?;
                let outcome = match r.u8()? {
                    1 => {
                        let winner = TeamId(r.u8()?);
                        let code = r.u8()?;
                        let reason = match EndReason::from_code(code) {
                            Some(reason @ (EndReason::Elimination | EndReason::Objective)) => {
                                reason
                            }
                            _ => return Err(undefined("sim_end_reason", code)),
                        };
                        SimOutcome::Victory { winner, reason }
                    }
                    2 => SimOutcome::Draw,
                    value => return Err(undefined("sim_outcome", value)),
                };
                Frame::GameEndedReport {
                    tick,
                    outcome,
                    state_hash: r.array()?,
                }
            }
            T_LIVENESS => Frame::Liveness { token: r.u32()? },
            T_LIVENESS_ECHO => Frame::LivenessEcho { token: r.u32()? },
            T_MATCH_END => Frame::MatchEnd(decode_outcome(&mut r).map_err(from_cmr)?),
            T_CERTIFIED_RESULT => {
                let len = r.len_u16("cmr_len", MAX_CMR_BYTES)?;
                Frame::CertifiedResult(r.take(len)?.to_vec())
            }
            T_RATING_UPDATE => {
                let count = check_len("record_count", usize::from(r.u8()?), MAX_RATING_RECORDS)?;
                let mut records = Vec::with_capacity(count);
                for _ in 0..count {
                    let len = r.len_u16("scr_len", MAX_SCR_BYTES)?;
                    records.push(r.take(len)?.to_vec());
                }
                Frame::RatingUpdate(records)
            }
            T_CHAT => {
                let sender = match r.u8()? {
                    NO_SENDER => None,
                    slot => Some(PlayerSlot(slot)),
                };
                let channel = ChatChannel::decode(&mut r)?;
                let len = r.len_u16("chat_len", MAX_CHAT_BYTES)?;
                Frame::Chat {
                    sender,
                    channel,
                    text: r.utf8(len)?,
                }
            }
            T_DISCONNECT => Frame::Disconnect {
                reason: match r.u8()? {
                    1 => DisconnectReason::Left,
                    2 => DisconnectReason::Timeout,
                    3 => DisconnectReason::ProtocolError,
                    4 => DisconnectReason::MatchOver,
                    5 => DisconnectReason::NotAdmitted,
                    6 => DisconnectReason::ServerRestart,
                    value => return Err(undefined("disconnect_reason", value)),
                },
            },
            T_KICK => Frame::Kick {
                reason: match r.u8()? {
                    1 => KickReason::LagStrikes,
                    2 => KickReason::Desync,
                    3 => KickReason::Unresponsive,
                    4 => KickReason::ProtocolViolation,
                    5 => KickReason::AuthenticationFailed,
                    6 => KickReason::VotedOut,
                    value => return Err(undefined("kick_reason", value)),
                },
            },
            T_DESYNC_DETECTED => Frame::DesyncDetected { tick: r.u64()? },
            T_PAUSED => Frame::Paused {
                player: PlayerSlot(r.u8()?),
                tick: r.u64()?,
                until: r.u64()?,
            },
            T_RESUMED => Frame::Resumed {
                tick: r.u64()?,
                timed_out: match r.u8()? {
                    0 => false,
                    1 => true,
                    value => return Err(undefined("timed_out", value)),
                },
            },
            T_PAUSE_REFUSED => Frame::PauseRefused {
                reason: match r.u8()? {
                    1 => PauseRefusal::BudgetSpent,
                    2 => PauseRefusal::TooEarly,
                    3 => PauseRefusal::AlreadyPaused,
                    4 => PauseRefusal::NotPaused,
                    value => return Err(undefined("pause_refusal", value)),
                },
            },
            other => return Err(FrameError::UnknownType(other)),
        };
        r.finish()?;
        Ok(frame)
    }
}

/// Appends a complete `TickOrders` frame without building a `Frame` (the relay's hot path:
/// replay recording encodes every tick).
pub fn encode_tick_orders(tick: &TickOrders, dst: &mut BytesMut) -> Result<(), FrameError> {
    let start = dst.len();
    dst.put_u32_le(0);
    dst.put_u8(FRAME_VERSION);
    if let Err(error) = encode_tick_orders_body(tick, dst) {
        dst.truncate(start);
        return Err(error);
    }
    let len = dst.len() - start - 4;
    if len > MAX_FRAME_LEN {
        dst.truncate(start);
        return Err(FrameError::BadLength(len));
    }
    // MAX_FRAME_LEN fits u32, so the cast is exact.
    dst[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    Ok(())
}

fn encode_tick_orders_body(tick: &TickOrders, out: &mut BytesMut) -> Result<(), FrameError> {
    out.put_u8(T_TICK_ORDERS);
    out.put_u64_le(tick.tick);
    put_count(out, "order_count", tick.orders.len(), MAX_TICK_ORDERS)?;
    for order in &tick.orders {
        put_order_len_checked(&order.order)?;
        order.encode(out);
    }
    Ok(())
}

fn read_length(prefix: &[u8]) -> Result<usize, FrameError> {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(prefix);
    let len = u32::from_le_bytes(raw) as usize;
    if !(2..=MAX_FRAME_LEN).contains(&len) {
        return Err(FrameError::BadLength(len));
    }
    Ok(len)
}

/// Reads a `u16` count, capped by its limit and by what the remaining bytes could hold.
fn read_count(
    r: &mut Reader<'_>,
    field: &'static str,
    max: usize,
    min_item: usize,
) -> Result<usize, FrameError> {
    let count = r.len_u16(field, max)?;
    if count * min_item > r.remaining() {
        return Err(WireError::Truncated {
            offset: r.offset(),
            needed: count * min_item - r.remaining(),
        }
        .into());
    }
    Ok(count)
}

fn put_count(
    out: &mut BytesMut,
    field: &'static str,
    len: usize,
    max: usize,
) -> Result<(), FrameError> {
    check_len(field, len, max)?;
    put_len_u16(out, len);
    Ok(())
}

fn put_order_len_checked(order: &PlayerOrder) -> Result<(), FrameError> {
    let limit = match order {
        PlayerOrder::Chat { text, .. } => check_len("chat text", text.len(), MAX_CHAT_BYTES),
        _ => check_len("order", order.encoded_len(), crate::order::MAX_ORDER_BYTES),
    };
    limit.map(|_| ()).map_err(FrameError::from)
}

fn undefined(field: &'static str, value: u8) -> FrameError {
    FrameError::UndefinedValue {
        field,
        value: value.into(),
    }
}

fn from_cmr(error: CmrError) -> FrameError {
    match error {
        CmrError::Wire(wire) => FrameError::Wire(wire),
        CmrError::UndefinedValue { field, value } => FrameError::UndefinedValue { field, value },
        // decode_outcome reports nothing else; keep a defined mapping regardless.
        _ => FrameError::UndefinedValue {
            field: "outcome",
            value: 0,
        },
    }
}
