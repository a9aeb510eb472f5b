//! A case's match evidence: the certified results its reports name, with the replay hash each
//! binds and who played which seat, by key for moderators and by the case's pseudonyms for
//! reviewers (who never see the signed result itself: it names every key).

use relay_core::cmr::{CertifiedMatchResult, PlayerResult};
use serde::Serialize;

use super::pseudonym::Pseudonyms;

/// One player of an evidence match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EvidencePlayer {
    /// The player's seat (the replay's orders name seats).
    pub slot: u8,
    /// The team.
    pub team: u8,
    /// `ed25519:<hex>` for moderators, the case's pseudonym for reviewers.
    pub player: String,
    /// What the match meant for the player.
    pub result: &'static str,
}

/// One certified match of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MatchEvidence {
    /// The certified result's id (hex).
    pub match_id: String,
    /// SHA-256 of the replay file, as the relay signed it (hex).
    pub replay_hash: String,
    /// The game module and map.
    pub game_module: String,
    /// Map.
    pub map_name: String,
    /// Who played which seat.
    pub players: Vec<EvidencePlayer>,
    /// The signed result, base64 (moderators only): checks `replay_hash` against the relay's
    /// signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certified_result: Option<String>,
}

/// Who reads the evidence.
#[derive(Clone, Copy)]
pub enum Reader<'a> {
    /// A moderator: keys and the signed result.
    Moderator,
    /// A reviewer of `case_id`: pseudonyms, no signed result.
    Reviewer {
        /// Makes the case's pseudonyms.
        names: &'a Pseudonyms,
        /// The case.
        case_id: &'a str,
    },
}

/// The evidence view of the stored certified result `bytes` (verified when it was accepted),
/// `None` if it no longer decodes.
pub fn match_evidence(match_id: &str, bytes: &[u8], reader: Reader<'_>) -> Option<MatchEvidence> {
    let (cmr, _) = CertifiedMatchResult::decode_unverified(bytes).ok()?;
    let players = cmr
        .players
        .iter()
        .map(|p| EvidencePlayer {
            slot: p.slot.0,
            team: p.team.0,
            player: match reader {
                Reader::Moderator => p.key.to_string(),
                Reader::Reviewer { names, case_id } => names.player(case_id, &p.key.public_key()),
            },
            result: result_name(p.result),
        })
        .collect();
    Some(MatchEvidence {
        match_id: match_id.to_owned(),
        replay_hash: hex::encode(cmr.replay_hash),
        game_module: cmr.game_module.clone(),
        map_name: cmr.map_name.clone(),
        players,
        certified_result: matches!(reader, Reader::Moderator).then(|| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }),
    })
}

fn result_name(result: PlayerResult) -> &'static str {
    match result {
        PlayerResult::NoResult => "no_result",
        PlayerResult::Win => "win",
        PlayerResult::Loss => "loss",
        PlayerResult::Draw => "draw",
        PlayerResult::Abandoned => "abandoned",
        PlayerResult::DroppedForDesync => "dropped_for_desync",
    }
}

/// Why a replay could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum ReplayRewriteError {
    /// The bytes are not a sequence of whole `TickOrders` frames.
    #[error("not a replay: {0}")]
    Malformed(String),
}

/// `replay` (a relay's replay file: `TickOrders` frames) with every chat text passed through
/// `redact`, re-encoded: the reviewers' copy (no longer hashing to the relay's
/// `replay_hash`: the moderators' copy is the one that does).
pub fn redact_chat(
    replay: &[u8],
    redact: impl Fn(&str) -> String,
) -> Result<Vec<u8>, ReplayRewriteError> {
    use relay_core::frames::Frame;
    use relay_core::order::PlayerOrder;
    let malformed =
        |error: relay_core::frames::FrameError| ReplayRewriteError::Malformed(error.to_string());
    let mut input = bytes::BytesMut::from(replay);
    let mut out = bytes::BytesMut::with_capacity(replay.len());
    while !input.is_empty() {
        let Some(frame) = Frame::decode_from(&mut input).map_err(malformed)? else {
            return Err(ReplayRewriteError::Malformed("a frame is cut short".into()));
        };
        let Frame::TickOrders(mut tick) = frame else {
            return Err(ReplayRewriteError::Malformed(
                "a frame other than TickOrders".into(),
            ));
        };
        for order in &mut tick.orders {
            if let PlayerOrder::Chat { text, .. } = &mut order.order {
                *text = redact(text);
            }
        }
        relay_core::frames::encode_tick_orders(&tick, &mut out).map_err(malformed)?;
    }
    Ok(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reviewer_copy_redacts_chat_and_keeps_every_order() {
        use relay_core::frames::encode_tick_orders;
        use relay_core::ids::PlayerSlot;
        use relay_core::order::{ChatChannel, PlayerOrder, TickOrders, TimestampedOrder};
        let order = |player: u8, order: PlayerOrder| TimestampedOrder {
            player: PlayerSlot(player),
            sub_tick_us: 10,
            order,
        };
        let key = "ed25519:".to_owned() + &"ab".repeat(32);
        let ticks = [
            TickOrders {
                tick: 0,
                orders: vec![order(0, PlayerOrder::Idle)],
            },
            TickOrders {
                tick: 1,
                orders: vec![
                    order(
                        1,
                        PlayerOrder::Chat {
                            channel: ChatChannel::All,
                            text: format!("report {key} now"),
                        },
                    ),
                    order(0, PlayerOrder::Idle),
                ],
            },
        ];
        let mut replay = bytes::BytesMut::new();
        for tick in &ticks {
            encode_tick_orders(tick, &mut replay).unwrap();
        }
        let redacted = redact_chat(&replay, crate::moderation::redact::redact_keys).unwrap();
        let text = String::from_utf8_lossy(&redacted);
        assert!(!text.contains(&"ab".repeat(32)), "{text}");
        assert!(text.contains("report"));
        // Without chat nothing changes; a cut-off or foreign stream is refused.
        let plain = {
            let mut out = bytes::BytesMut::new();
            encode_tick_orders(&ticks[0], &mut out).unwrap();
            out.to_vec()
        };
        assert_eq!(redact_chat(&plain, |t| t.to_owned()).unwrap(), plain);
        assert!(redact_chat(&replay[..replay.len() - 1], |t| t.to_owned()).is_err());
        assert!(redact_chat(b"not a replay at all", |t| t.to_owned()).is_err());
    }
}
