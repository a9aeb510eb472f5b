-- ic-server schema on PostgreSQL, version 1: the ledger. The same tables as the SQLite schema,
-- in PostgreSQL's types: keys, ids and record bytes are BYTEA, every integer BIGINT (the store
-- reads all integers as i64), yes/no columns BOOLEAN; times are Unix seconds.

CREATE TABLE players (
    player_key     BYTEA PRIMARY KEY,
    registered_at  BIGINT NOT NULL,
    -- Highest sequence issued to this player across all record types; never decreases.
    last_sequence  BIGINT NOT NULL
);

CREATE TABLE ratings (
    player_key      BYTEA NOT NULL REFERENCES players (player_key),
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
CREATE INDEX ratings_leaderboard ON ratings (game_module, rating DESC, player_key);

CREATE TABLE opponents (
    player_key   BYTEA NOT NULL,
    game_module  TEXT NOT NULL,
    opponent_key BYTEA NOT NULL,
    PRIMARY KEY (player_key, game_module, opponent_key)
);

CREATE TABLE issued_records (
    player_key  BYTEA NOT NULL,
    sequence    BIGINT NOT NULL,
    record_type BIGINT NOT NULL,
    record      BYTEA NOT NULL,
    match_id    BYTEA,
    issued_at   BIGINT NOT NULL,
    PRIMARY KEY (player_key, sequence)
);
CREATE INDEX issued_records_by_match ON issued_records (match_id);

CREATE TABLE processed_matches (
    match_id          BYTEA PRIMARY KEY,
    cmr               BYTEA NOT NULL,
    participants_hash BYTEA NOT NULL,
    played_at         BIGINT NOT NULL,
    accepted_at       BIGINT NOT NULL,
    rated             BOOLEAN NOT NULL
);
CREATE INDEX processed_matches_by_participants ON processed_matches (participants_hash, played_at);

CREATE TABLE revocations (
    player_key         BYTEA NOT NULL,
    record_type        BIGINT NOT NULL,
    min_valid_sequence BIGINT NOT NULL,
    PRIMARY KEY (player_key, record_type)
);

CREATE TABLE key_rotations (
    sequence   BIGINT PRIMARY KEY,
    record     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE trusted_relays (
    relay_key BYTEA PRIMARY KEY,
    label     TEXT NOT NULL,
    added_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    principal_key BYTEA NOT NULL,
    role          TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (principal_key, role)
);

CREATE TABLE auth_challenges (
    challenge     BYTEA PRIMARY KEY,
    principal_key BYTEA NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE TABLE auth_tokens (
    token_hash    BYTEA PRIMARY KEY,
    principal_key BYTEA NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE TABLE registrations_by_ip (
    ip    TEXT NOT NULL,
    day   BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (ip, day)
);
