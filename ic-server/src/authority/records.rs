//! Building the records the authority issues: rating, match and revocation records (the
//! achievement records are built in `achievements.rs`).
//! Every record is signed with the community's current signing key.

use scr::payload::{
    MatchPayload, Participant, Payload, PlayerResult, RatingPayload, RevocationPayload,
    RevocationReason,
};
use scr::{EncodeError, KeyPair, PlayerKey, RecordBuilder, RecordType};

use crate::store::{IssuedRecord, RatingRow};

/// The rating record for `row`, with `row.rating_sequence` and `row.rating_expires_at`, and
/// the player's (rank, percentile) among the eligible players when it is issued.
pub(super) fn rating_record(
    signing: &KeyPair,
    player: PlayerKey,
    row: &RatingRow,
    (rank, percentile): (u32, u16),
    issued_at: i64,
) -> Result<IssuedRecord, EncodeError> {
    let record = RecordBuilder::new(Payload::Rating(RatingPayload {
        game_module: row.game_module.clone(),
        algorithm_id: row.algorithm_id.clone(),
        rating: row.rating,
        deviation: row.deviation,
        volatility: row.volatility,
        games_played: row.games_played,
        wins: row.wins,
        losses: row.losses,
        draws: row.draws,
        streak: row.streak,
        rank,
        percentile,
        season: Some(row.season),
    }))
    .player(player)
    .sequence(row.rating_sequence)
    .issued_at(issued_at)
    .expires_at(row.rating_expires_at)
    .sign(signing)?;
    Ok(issued(
        player,
        RecordType::Rating,
        record.into_bytes(),
        row.rating_sequence,
        None,
        issued_at,
    ))
}

/// What a match record says about one player.
pub(super) struct MatchFacts<'a> {
    pub match_id: [u8; 32],
    pub game_module: &'a str,
    pub map_name: &'a str,
    pub played_at: i64,
    pub duration_ticks: u64,
    pub relay_key: scr::RelayKey,
    pub participants: &'a [Participant],
}

/// What the match meant for the record's player.
pub(super) struct PlayerLine {
    pub result: PlayerResult,
    pub rating_before: i64,
    pub rating_after: i64,
}

/// The match record for `player`.
pub(super) fn match_record(
    signing: &KeyPair,
    player: PlayerKey,
    facts: &MatchFacts<'_>,
    line: PlayerLine,
    sequence: u64,
    issued_at: i64,
) -> Result<IssuedRecord, EncodeError> {
    let PlayerLine {
        result,
        rating_before,
        rating_after,
    } = line;
    let record = RecordBuilder::new(Payload::Match(MatchPayload {
        match_id: facts.match_id,
        game_module: facts.game_module.to_owned(),
        map_name: facts.map_name.to_owned(),
        played_at: facts.played_at,
        duration_ticks: facts.duration_ticks,
        result,
        rating_before,
        rating_after,
        relay_key: facts.relay_key,
        participants: facts.participants.to_vec(),
    }))
    .player(player)
    .sequence(sequence)
    .issued_at(issued_at)
    .sign(signing)?;
    Ok(issued(
        player,
        RecordType::Match,
        record.into_bytes(),
        sequence,
        Some(facts.match_id),
        issued_at,
    ))
}

/// A revocation of `target` records below `min_valid_sequence`.
pub(super) fn revocation_record(
    signing: &KeyPair,
    player: PlayerKey,
    target: RecordType,
    min_valid_sequence: u64,
    reason: RevocationReason,
    sequence: u64,
    issued_at: i64,
) -> Result<IssuedRecord, EncodeError> {
    let record = RecordBuilder::new(Payload::Revocation(RevocationPayload {
        target_record_type: target,
        min_valid_sequence,
        reason,
    }))
    .player(player)
    .sequence(sequence)
    .issued_at(issued_at)
    .sign(signing)?;
    Ok(issued(
        player,
        RecordType::Revocation,
        record.into_bytes(),
        sequence,
        None,
        issued_at,
    ))
}

/// A signed record as the store keeps it.
pub(super) fn issued(
    player_key: PlayerKey,
    record_type: RecordType,
    bytes: Vec<u8>,
    sequence: u64,
    match_id: Option<[u8; 32]>,
    issued_at: i64,
) -> IssuedRecord {
    IssuedRecord {
        player_key,
        sequence,
        record_type: record_type.to_byte(),
        bytes,
        match_id,
        issued_at,
    }
}
