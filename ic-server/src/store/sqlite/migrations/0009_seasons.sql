-- Seasons: the community's ranked seasons, each player's season progress on the rating row,
-- and the standings archived when a season ends. Times are Unix seconds.

CREATE TABLE seasons (
    -- 1, 2, …; 0 is the preseason before the configured first season starts.
    season    INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    -- The planned end while the season runs, the actual end once it ended.
    ends_at   BIGINT NOT NULL,
    ended     INTEGER NOT NULL
);
-- At most one season runs.
CREATE UNIQUE INDEX seasons_one_running ON seasons (ended) WHERE ended = 0;

-- The season the row's games, wins, losses, draws and peak count in; set to the running
-- season when the first season opens and at every season change.
ALTER TABLE ratings ADD COLUMN season BIGINT NOT NULL DEFAULT 0;
-- Highest rating reached this season after placement; NULL until placed.
ALTER TABLE ratings ADD COLUMN peak_rating BIGINT;

-- One row per player and game module who played in a season, as it stood at the season's end.
CREATE TABLE season_standings (
    season       BIGINT NOT NULL,
    game_module  TEXT NOT NULL,
    player_key   BLOB NOT NULL,
    rating       BIGINT NOT NULL,
    deviation    BIGINT NOT NULL,
    games_played BIGINT NOT NULL,
    wins         BIGINT NOT NULL,
    losses       BIGINT NOT NULL,
    draws        BIGINT NOT NULL,
    peak_rating  BIGINT,
    PRIMARY KEY (season, game_module, player_key)
) WITHOUT ROWID;
CREATE INDEX season_standings_board ON season_standings (season, game_module, rating DESC, player_key);
