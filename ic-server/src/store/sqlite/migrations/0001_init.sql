-- ic-server schema, version 1. Portable SQL only (no SQLite-specific syntax) so the PostgreSQL
-- backend can share it; keys and record bytes are BLOBs, times are Unix seconds.

CREATE TABLE players (
    player_key     BLOB PRIMARY KEY,
    registered_at  BIGINT NOT NULL,
    -- Highest sequence issued to this player across all record types; never decreases.
    last_sequence  BIGINT NOT NULL
);

CREATE TABLE ratings (
    player_key      BLOB NOT NULL REFERENCES players (player_key),
    game_module     TEXT NOT NULL,
    algorithm_id    TEXT NOT NULL,
    rating          BIGINT NOT NULL,
    deviation       BIGINT NOT NULL,
    volatility      BIGINT NOT NULL,
    games_played    BIGINT NOT NULL,
    wins            BIGINT NOT NULL,
    losses          BIGINT NOT NULL,
    draws           BIGINT NOT NULL,
    streak          BIGINT NOT NULL,
    last_played_at  BIGINT,
    -- Sequence and expiry of the newest rating record issued for this module.
    rating_sequence BIGINT NOT NULL,
    rating_expires_at BIGINT NOT NULL,
    PRIMARY KEY (player_key, game_module)
);

CREATE TABLE opponents (
    player_key   BLOB NOT NULL,
    game_module  TEXT NOT NULL,
    opponent_key BLOB NOT NULL,
    PRIMARY KEY (player_key, game_module, opponent_key)
);

CREATE TABLE issued_records (
    player_key  BLOB NOT NULL,
    sequence    BIGINT NOT NULL,
    record_type INTEGER NOT NULL,
    record      BLOB NOT NULL,
    match_id    BLOB,
    issued_at   BIGINT NOT NULL,
    PRIMARY KEY (player_key, sequence)
);
CREATE INDEX issued_records_by_match ON issued_records (match_id);

CREATE TABLE processed_matches (
    match_id          BLOB PRIMARY KEY,
    cmr               BLOB NOT NULL,
    participants_hash BLOB NOT NULL,
    played_at         BIGINT NOT NULL,
    accepted_at       BIGINT NOT NULL,
    rated             INTEGER NOT NULL
);
CREATE INDEX processed_matches_by_participants ON processed_matches (participants_hash, played_at);

CREATE TABLE revocations (
    player_key         BLOB NOT NULL,
    record_type        INTEGER NOT NULL,
    min_valid_sequence BIGINT NOT NULL,
    PRIMARY KEY (player_key, record_type)
);

CREATE TABLE key_rotations (
    sequence   BIGINT PRIMARY KEY,
    record     BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE trusted_relays (
    relay_key BLOB PRIMARY KEY,
    label     TEXT NOT NULL,
    added_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    principal_key BLOB NOT NULL,
    role          TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (principal_key, role)
);

CREATE TABLE auth_challenges (
    challenge     BLOB PRIMARY KEY,
    principal_key BLOB NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE TABLE auth_tokens (
    token_hash    BLOB PRIMARY KEY,
    principal_key BLOB NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE TABLE registrations_by_ip (
    ip    TEXT NOT NULL,
    day   BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (ip, day)
);
