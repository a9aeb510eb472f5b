-- Players who left a certified match for good, for the leaver cooldowns: written with the
-- match, pruned after 30 days (the rule looks back 7). `voided`: the early leave voided the
-- match (the grace void), which earns only the short cooldown.
CREATE TABLE abandons (
    player_key BYTEA NOT NULL,
    match_id   BYTEA NOT NULL,
    at         BIGINT NOT NULL,
    voided     BOOLEAN NOT NULL,
    PRIMARY KEY (player_key, match_id)
);
CREATE INDEX abandons_at ON abandons (at);
