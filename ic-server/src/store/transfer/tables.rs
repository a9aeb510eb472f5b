//! Every table of the schema and how each column's values are stored on either backend, as
//! data: the copy, the emptiness check and the verification all walk this one list.

/// How a column's values are stored on each backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer: SQLite INTEGER or BIGINT, PostgreSQL BIGINT.
    Int,
    /// A yes/no: SQLite 0 or 1, PostgreSQL BOOLEAN.
    Flag,
    /// A floating-point number: SQLite REAL, PostgreSQL DOUBLE PRECISION.
    Real,
    /// Text on both.
    Text,
    /// Bytes: SQLite BLOB, PostgreSQL BYTEA.
    Blob,
}

impl Kind {
    /// The PostgreSQL array type a batch of this column is sent as.
    pub fn postgres_array(self) -> &'static str {
        match self {
            Self::Int => "BIGINT[]",
            Self::Flag => "BOOLEAN[]",
            Self::Real => "DOUBLE PRECISION[]",
            Self::Text => "TEXT[]",
            Self::Blob => "BYTEA[]",
        }
    }
}

/// One table: its name, its columns (as on SQLite; PostgreSQL has the same ones), and whether
/// PostgreSQL numbers its rows in insertion order with an identity column `seq`.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table's name, the same on both backends.
    pub name: &'static str,
    /// Its columns in schema order, with how each is stored.
    pub columns: &'static [(&'static str, Kind)],
    /// Whether PostgreSQL has the extra first column `seq`, standing in for SQLite's rowid:
    /// rows must then be inserted in rowid order.
    pub seq: bool,
    /// Where the schema writes a row of its own (the state of an empty community), the
    /// condition that tells a row of data from it: the emptiness check counts only rows that
    /// meet it, and the copy replaces the target's own row.
    pub data_when: Option<&'static str>,
}

use Kind::{Blob, Flag, Int, Real, Text};

/// Every table of the ic-server schema, in an order that inserts referenced rows first
/// (`ratings` references `players`). sqlx's own `_sqlx_migrations` is not copied: each database
/// keeps its own.
pub const TABLES: &[Table] = &[
    // Ledger (migration 0001).
    plain(
        "players",
        &[
            ("player_key", Blob),
            ("registered_at", Int),
            ("last_sequence", Int),
        ],
    ),
    plain(
        "ratings",
        &[
            ("player_key", Blob),
            ("game_module", Text),
            ("algorithm_id", Text),
            ("rating", Int),
            ("deviation", Int),
            ("volatility", Int),
            ("games_played", Int),
            ("wins", Int),
            ("losses", Int),
            ("draws", Int),
            ("streak", Int),
            ("last_played_at", Int),
            ("rating_sequence", Int),
            ("rating_expires_at", Int),
            ("season", Int),
            ("peak_rating", Int),
        ],
    ),
    plain(
        "opponents",
        &[
            ("player_key", Blob),
            ("game_module", Text),
            ("opponent_key", Blob),
        ],
    ),
    plain(
        "issued_records",
        &[
            ("player_key", Blob),
            ("sequence", Int),
            ("record_type", Int),
            ("record", Blob),
            ("match_id", Blob),
            ("issued_at", Int),
        ],
    ),
    plain(
        "processed_matches",
        &[
            ("match_id", Blob),
            ("cmr", Blob),
            ("participants_hash", Blob),
            ("played_at", Int),
            ("accepted_at", Int),
            ("rated", Flag),
        ],
    ),
    plain(
        "revocations",
        &[
            ("player_key", Blob),
            ("record_type", Int),
            ("min_valid_sequence", Int),
        ],
    ),
    plain(
        "key_rotations",
        &[("sequence", Int), ("record", Blob), ("created_at", Int)],
    ),
    plain(
        "trusted_relays",
        &[("relay_key", Blob), ("label", Text), ("added_at", Int)],
    ),
    plain(
        "roles",
        &[("principal_key", Blob), ("role", Text), ("granted_at", Int)],
    ),
    plain(
        "auth_challenges",
        &[
            ("challenge", Blob),
            ("principal_key", Blob),
            ("expires_at", Int),
        ],
    ),
    plain(
        "auth_tokens",
        &[
            ("token_hash", Blob),
            ("principal_key", Blob),
            ("expires_at", Int),
        ],
    ),
    plain(
        "registrations_by_ip",
        &[("ip", Text), ("day", Int), ("count", Int)],
    ),
    // Moderation (migration 0002).
    plain("mod_secret", &[("id", Int), ("secret", Blob)]),
    plain(
        "mod_cases",
        &[
            ("case_id", Text),
            ("category", Text),
            ("state", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("closed_at", Int),
            ("severity_hint", Int),
            ("accused_key", Blob),
            ("required_reviewers", Int),
            ("telemetry_summary", Text),
            ("anti_cheat_summary", Text),
        ],
    ),
    ordered(
        "mod_reports",
        &[
            ("report_id", Text),
            ("case_id", Text),
            ("reporter_key", Blob),
            ("category", Text),
            ("note", Text),
            ("created_at", Int),
            ("upheld", Flag),
        ],
    ),
    plain(
        "mod_evidence",
        &[
            ("case_id", Text),
            ("kind", Text),
            ("reference", Text),
            ("added_at", Int),
        ],
    ),
    ordered(
        "mod_assignments",
        &[
            ("assignment_id", Text),
            ("case_id", Text),
            ("reviewer_key", Blob),
            ("assigned_at", Int),
            ("expires_at", Int),
            ("calibration", Flag),
        ],
    ),
    ordered(
        "mod_votes",
        &[
            ("assignment_id", Text),
            ("case_id", Text),
            ("reviewer_key", Blob),
            ("submitted_at", Int),
            ("decision", Text),
            ("confidence", Int),
            ("notes", Text),
            ("weight", Real),
            ("calibration", Flag),
        ],
    ),
    plain(
        "mod_consensus",
        &[
            ("consensus_id", Text),
            ("case_id", Text),
            ("created_at", Int),
            ("reached", Flag),
            ("weighted_decision", Text),
            ("agreement_ratio", Real),
            ("reviewer_count", Int),
            ("requires_moderator", Flag),
            ("recommended_actions", Text),
        ],
    ),
    ordered(
        "mod_actions",
        &[
            ("action_id", Text),
            ("case_id", Text),
            ("consensus_id", Text),
            ("moderator_key", Blob),
            ("target_key", Blob),
            ("action", Text),
            ("measure_kind", Text),
            ("reason", Text),
            ("created_at", Int),
            ("ends_at", Int),
        ],
    ),
    plain(
        "mod_reversals",
        &[
            ("action_id", Text),
            ("appeal_id", Text),
            ("moderator_key", Blob),
            ("reason", Text),
            ("reversed_at", Int),
        ],
    ),
    ordered(
        "mod_appeals",
        &[
            ("appeal_id", Text),
            ("case_id", Text),
            ("player_key", Blob),
            ("statement", Text),
            ("created_at", Int),
            ("decision", Text),
            ("moderator_key", Blob),
            ("reason", Text),
            ("decided_at", Int),
        ],
    ),
    plain(
        "mod_calibration_cases",
        &[
            ("case_id", Text),
            ("known_decision", Text),
            ("marked_by", Blob),
            ("marked_at", Int),
        ],
    ),
    plain(
        "mod_reviewer_stats",
        &[
            ("reviewer_key", Blob),
            ("cases_reviewed", Int),
            ("calibration_cases_seen", Int),
            ("calibration_accuracy", Real),
            ("moderator_judged", Int),
            ("moderator_agreed", Int),
        ],
    ),
    ordered(
        "mod_audit",
        &[
            ("audit_id", Text),
            ("at", Int),
            ("actor_key", Blob),
            ("actor_role", Text),
            ("action", Text),
            ("case_id", Text),
            ("target_key", Blob),
            ("reason", Text),
            ("details", Text),
        ],
    ),
    // Relay outbox (migration 0003).
    plain(
        "relay_outbox",
        &[
            ("match_id", Blob),
            ("cmr", Blob),
            ("state", Text),
            ("enqueued_at", Int),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("last_error", Text),
            ("settled_at", Int),
            ("route", Text),
        ],
    ),
    // Seasons (SQLite migration 0009, PostgreSQL 0007).
    plain(
        "seasons",
        &[
            ("season", Int),
            ("name", Text),
            ("starts_at", Int),
            ("ends_at", Int),
            ("ended", Flag),
        ],
    ),
    plain(
        "season_standings",
        &[
            ("season", Int),
            ("game_module", Text),
            ("player_key", Blob),
            ("rating", Int),
            ("deviation", Int),
            ("games_played", Int),
            ("wins", Int),
            ("losses", Int),
            ("draws", Int),
            ("peak_rating", Int),
        ],
    ),
    plain(
        "achievements",
        &[
            ("player_key", Blob),
            ("game_module", Text),
            ("achievement_id", Text),
            ("sequence", Int),
            ("verification", Int),
            ("unlocked_at", Int),
            ("match_id", Blob),
            ("upgrade_at", Int),
            ("challenged_at", Int),
        ],
    ),
    plain(
        "campaign_opt_ins",
        &[("player_key", Blob), ("opted_in_at", Int)],
    ),
    plain(
        "campaign_progress",
        &[
            ("campaign_id", Text),
            ("version", Text),
            ("game_module", Text),
            ("difficulty", Text),
            ("player_key", Blob),
            ("missions_completed", Int),
            ("completed", Flag),
            ("ending", Text),
            ("updated_at", Int),
        ],
    ),
    plain(
        "desperation_matches",
        &[("game_id", Int), ("marked_at", Int)],
    ),
    plain(
        "abandons",
        &[
            ("player_key", Blob),
            ("match_id", Blob),
            ("at", Int),
            ("voided", Flag),
        ],
    ),
    // Transparency log (SQLite 0014, PostgreSQL 0012).
    Table {
        name: "transparency_tree",
        columns: &[
            ("id", Int),
            ("size", Int),
            ("frontier", Blob),
            ("backfilled", Flag),
        ],
        seq: false,
        data_when: Some("size > 0"),
    },
    plain("transparency_hashes", &[("position", Int), ("hash", Blob)]),
    plain(
        "transparency_leaves",
        &[("leaf_hash", Blob), ("leaf_index", Int)],
    ),
    plain(
        "transparency_checkpoint",
        &[
            ("id", Int),
            ("tree_size", Int),
            ("note", Text),
            ("signed_at", Int),
        ],
    ),
    // The players of a case's evidence matches (SQLite 0017, PostgreSQL 0015).
    plain(
        "mod_case_players",
        &[("case_id", Text), ("player_key", Blob)],
    ),
    // The federated sanction feed (SQLite 0016, PostgreSQL 0014).
    plain(
        "sanction_feed",
        &[
            ("feed_seq", Int),
            ("action_id", Text),
            ("subject", Blob),
            ("action", Text),
            ("scope", Text),
            ("expires_at", Int),
            ("reason", Text),
            ("case_ref", Blob),
            ("negates", Int),
            ("issued_at", Int),
        ],
    ),
    // Federated sanctions received (SQLite 0018, PostgreSQL 0016).
    plain(
        "received_sanctions",
        &[
            ("publisher", Text),
            ("feed_seq", Int),
            ("publisher_url", Text),
            ("subject_key", Blob),
            ("action", Text),
            ("note", Text),
            ("note_hash", Blob),
            ("outcome", Text),
            ("detail", Text),
            ("case_id", Text),
            ("action_id", Text),
            ("received_at", Int),
        ],
    ),
    // Witnessed logs (SQLite 0015, PostgreSQL 0013).
    plain(
        "witnessed_checkpoints",
        &[
            ("origin", Text),
            ("tree_size", Int),
            ("root", Blob),
            ("note", Text),
            ("cosigned_at", Int),
        ],
    ),
];

/// A table without `seq` on PostgreSQL.
const fn plain(name: &'static str, columns: &'static [(&'static str, Kind)]) -> Table {
    Table {
        name,
        columns,
        seq: false,
        data_when: None,
    }
}

/// A table whose PostgreSQL rows carry their insertion order in `seq`.
const fn ordered(name: &'static str, columns: &'static [(&'static str, Kind)]) -> Table {
    Table {
        name,
        columns,
        seq: true,
        data_when: None,
    }
}
