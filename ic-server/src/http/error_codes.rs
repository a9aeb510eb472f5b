//! Every `error` code the API can answer with: the enum of the error body's schema in
//! `/openapi.json`, so a client generated from the document knows each code it may meet.

use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// The codes, grouped by where they come from. Adding a code is an additive API change; a code
/// answered but missing here fails the debug builds (and so the tests) at the answer.
pub const ERROR_CODES: &[&str] = &[
    // Any route: the request itself, the router, the middleware.
    "not_found",
    "method_not_allowed",
    "capability_disabled",
    "rate_limited",
    "timeout",
    "unauthorized",
    "invalid_json",
    "invalid_body",
    "invalid_base64",
    "invalid_query",
    "invalid_path",
    "body_too_large",
    "unsupported_media_type",
    "storage_unavailable",
    "internal",
    "not_ready",
    // Authentication and staff.
    "weak_key",
    "bad_signature",
    "invalid_challenge",
    "not_staff",
    "invalid_login_link",
    "invalid_role",
    "csrf_mismatch",
    "forbidden",
    // Players, records and the ranking authority.
    "invalid_key",
    "invalid_field",
    "unregistered_player",
    "unknown_game_module",
    "invalid_match",
    "already_registered",
    "not_registered",
    "invite_required",
    "registration_limit",
    "ranked_suspended",
    "busy",
    "signing_key_superseded",
    "signing_key_rotated",
    "claims_not_accepted",
    "unknown_achievement",
    "not_claimable",
    "achievement_held",
    "not_challengeable",
    "unknown_season",
    "too_many_records",
    "not_ranked",
    "match_not_found",
    "invalid_match_id",
    "campaigns_disabled",
    "not_opted_in",
    "not_refused",
    // A certified match result that does not decode or verify.
    "truncated",
    "bad_utf8",
    "too_long",
    "trailing_bytes",
    "unknown_version",
    "undefined_value",
    "no_players",
    "slots_not_ascending",
    "ends_before_start",
    "outcome_not_in_players",
    "desync_tick_mismatch",
    "string_too_long",
    "wrong_signing_key",
    "untrusted_relay",
    "wrong_community",
    "non_canonical_signature",
    // The transparency log.
    "no_checkpoint",
    "unknown_leaf",
    "tree_size_out_of_range",
    // Witnessing other communities' logs.
    "malformed_request",
    "unknown_log",
    "not_signed",
    "old_size_too_large",
    "old_size_mismatch",
    "root_mismatch",
    "bad_proof",
    // Matchmaking.
    "record_invalid",
    "not_a_rating_record",
    "season_expired",
    "not_your_record",
    "unknown_queue",
    "already_queued",
    "not_queued",
    "queue_cooldown",
    "avoid_list_too_long",
    "party_too_large",
    "party_tier_gap",
    "not_invited",
    "no_such_match",
    "not_your_turn",
    "unknown_map",
    "matchmaking_unavailable",
    // Trust requirements of rooms and queues (records from other communities).
    "too_many_credentials",
    "invalid_url",
    "credential_invalid",
    "community_unavailable",
    "requirement_unmet",
    // The federated sanction feed.
    "feed_not_published",
    "feed_unavailable",
    // Rooms and watching.
    "invalid_room",
    "invalid_length",
    "invalid_map_hash",
    "room_not_found",
    "room_full",
    "spectators_full",
    "already_playing",
    "ticket_failed",
    "no_free_code",
    "too_many_rooms",
    "rooms_full",
    // Moderation.
    "unknown_player",
    "match_not_certified",
    "not_in_match",
    "report_rate_limited",
    "reporter_not_eligible",
    "already_reported",
    "case_not_found",
    "assignment_not_found",
    "assignment_expired",
    "already_voted",
    "not_eligible",
    "review_accuracy_too_low",
    "invalid_case_state",
    "consensus_required",
    "case_changed",
    "appeal_not_allowed",
    "already_appealed",
    "appeal_not_found",
    "abandon_not_found",
    "appeal_decided",
    "own_appeal",
    "conflict_of_interest",
    "already_calibration",
    "ranking_disabled",
    "invalid_action",
    "invalid_reason",
    "invalid_statement",
    "note_too_long",
    "notes_too_long",
    "invalid_category",
    "invalid_decision",
    "invalid_replay_id",
    "invalid_timeline_markers",
    "self_report",
    "case_not_closed",
    "case_not_in_review",
    "invalid_appeal",
    "invalid_confidence",
    "match_not_in_case",
    "replay_not_kept",
    "replay_unreadable",
];

/// Whether `code` is one the document lists.
pub fn is_listed(code: &str) -> bool {
    ERROR_CODES.contains(&code)
}

/// The schema of the error body's `error` field: a string, one of [`ERROR_CODES`].
pub fn error_code_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(
            "Machine-readable error code; clients branch on it, never on the message",
        ))
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ERROR_CODES {
            assert!(seen.insert(code), "{code} listed twice");
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code} is not snake_case"
            );
        }
    }
}
