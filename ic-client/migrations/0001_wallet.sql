-- The credential wallet of one community (reference design facts §1.9), with the columns the
-- reference leaves out and ic-client needs: the key pinned at join (the rotation chain starts
-- there), the highest sequence synced, each record's expiry and a `revoked` mark.

CREATE TABLE community_info (            -- exactly one row
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    community_key   BLOB    NOT NULL,    -- current signing key (32)
    recovery_key    BLOB    NOT NULL,    -- recovery key (32), cached at join
    pinned_key      BLOB    NOT NULL,    -- signing key pinned at join: the chain's start
    community_name  TEXT    NOT NULL,
    server_url      TEXT    NOT NULL,    -- pinned at join; later contacts use this URL
    key_fingerprint TEXT    NOT NULL,    -- of community_key
    rk_fingerprint  TEXT    NOT NULL,    -- of recovery_key
    capabilities    TEXT    NOT NULL,    -- JSON array, as the community document lists them
    sk_rotated_at   INTEGER,             -- effective_at of the last rotation; NULL = original key
    joined_at       INTEGER NOT NULL,
    last_sync       INTEGER NOT NULL,
    last_sequence   INTEGER NOT NULL     -- highest record sequence received
);

CREATE TABLE key_rotations (             -- the chain from pinned_key to community_key
    sequence        INTEGER PRIMARY KEY,
    old_key         BLOB    NOT NULL,
    new_key         BLOB    NOT NULL,
    signed_by       TEXT    NOT NULL CHECK (signed_by IN ('signing_key', 'recovery_key')),
    reason          TEXT    NOT NULL
        CHECK (reason IN ('scheduled', 'migration', 'compromise', 'precautionary')),
    effective_at    INTEGER NOT NULL,
    grace_until     INTEGER NOT NULL,
    rotation_record BLOB    NOT NULL
);

CREATE TABLE player_info (               -- exactly one row
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    player_key      BLOB    NOT NULL,
    display_name    TEXT,
    avatar_hash     TEXT,
    bio             TEXT CHECK (bio IS NULL OR length(bio) <= 500),
    title           TEXT,
    registered_at   INTEGER NOT NULL
);

CREATE TABLE ratings (                   -- newest record per module and algorithm
    game_module     TEXT    NOT NULL,
    rating_type     TEXT    NOT NULL,    -- algorithm_id
    rating          INTEGER NOT NULL,    -- x1000
    deviation       INTEGER NOT NULL,    -- x1000
    volatility      INTEGER NOT NULL,    -- x1000000
    games_played    INTEGER NOT NULL,
    sequence        INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked         INTEGER NOT NULL DEFAULT 0,
    scr_blob        BLOB    NOT NULL,
    PRIMARY KEY (game_module, rating_type)
);

CREATE TABLE matches (                   -- append-only
    match_id        BLOB    PRIMARY KEY,
    sequence        INTEGER NOT NULL,
    played_at       INTEGER NOT NULL,
    game_module     TEXT    NOT NULL,
    map_name        TEXT,
    duration_ticks  INTEGER,
    result          TEXT    NOT NULL CHECK (result IN ('win', 'loss', 'draw', 'abandoned')),
    rating_before   INTEGER,
    rating_after    INTEGER,
    opponents       BLOB,                -- JSON: [{"key","team","result"}] of the other players
    revoked         INTEGER NOT NULL DEFAULT 0,
    scr_blob        BLOB    NOT NULL
);

CREATE TABLE achievements (
    achievement_id  TEXT    NOT NULL,
    game_module     TEXT    NOT NULL,
    unlocked_at     INTEGER NOT NULL,
    match_id        BLOB,
    sequence        INTEGER NOT NULL,
    revoked         INTEGER NOT NULL DEFAULT 0,
    scr_blob        BLOB    NOT NULL,
    PRIMARY KEY (achievement_id, game_module)
);

CREATE TABLE revocations (               -- the highest minimum per record type
    record_type         INTEGER NOT NULL PRIMARY KEY,
    min_valid_sequence  INTEGER NOT NULL,
    scr_blob            BLOB    NOT NULL
);

CREATE INDEX idx_matches_played_at ON matches (played_at DESC);
CREATE INDEX idx_matches_module ON matches (game_module);

CREATE TABLE _schema_meta (
    version     INTEGER PRIMARY KEY,
    applied_at  INTEGER NOT NULL,
    description TEXT    NOT NULL
);
INSERT INTO _schema_meta (version, applied_at, description)
VALUES (1, unixepoch(), 'credential wallet: community, rotations, player, ratings, matches, achievements, revocations');
PRAGMA user_version = 1;
