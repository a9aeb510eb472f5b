-- Achievements: which achievement each player holds and at what verification, written with the
-- record that issues it. Times are Unix seconds.
CREATE TABLE achievements (
    player_key     BLOB NOT NULL,
    game_module    TEXT NOT NULL,
    -- As in the record; a per-season achievement's id ends in "@s<season>".
    achievement_id TEXT NOT NULL,
    -- The newest record issuing it.
    sequence       BIGINT NOT NULL,
    -- 1 optimistic, 2 verified.
    verification   INTEGER NOT NULL,
    unlocked_at    BIGINT NOT NULL,
    match_id       BLOB,
    -- An optimistic claim's end of the challenge window (NULL: nothing to upgrade).
    upgrade_at     BIGINT,
    -- Set when a moderator challenged the claim.
    challenged_at  BIGINT,
    PRIMARY KEY (player_key, game_module, achievement_id)
) WITHOUT ROWID;
CREATE INDEX achievements_due ON achievements (upgrade_at) WHERE upgrade_at IS NOT NULL;
