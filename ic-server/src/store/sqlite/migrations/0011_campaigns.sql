-- Campaign benchmarks: which players agreed to share their single-player campaign progress, and
-- that progress (only theirs: opting out deletes it). Times are Unix seconds.
CREATE TABLE campaign_opt_ins (
    player_key   BLOB PRIMARY KEY,
    opted_in_at  BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE campaign_progress (
    campaign_id        TEXT NOT NULL,
    version            TEXT NOT NULL,
    game_module        TEXT NOT NULL,
    difficulty         TEXT NOT NULL,
    player_key         BLOB NOT NULL,
    missions_completed BIGINT NOT NULL,
    -- 1 once the campaign is finished, with the ending reached (NULL before).
    completed          INTEGER NOT NULL,
    ending             TEXT,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, version, game_module, difficulty, player_key)
) WITHOUT ROWID;
CREATE INDEX campaign_progress_by_player ON campaign_progress (player_key);
