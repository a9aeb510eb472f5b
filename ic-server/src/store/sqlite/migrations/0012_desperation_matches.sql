-- Games the matchmaker formed after a player's rating window had opened completely
-- (desperation): their results count with less information. The game id is the ticket's,
-- stored as its 64 bits; marks older than a week are pruned.
CREATE TABLE desperation_matches (
    game_id   BIGINT PRIMARY KEY,
    marked_at BIGINT NOT NULL
);
