-- The leaderboard walks ratings best first. Without this index (PostgreSQL has had it since its
-- first schema) every leaderboard page sorted all of a module's ratings: about 20 ms at 100,000
-- players, enough to saturate a one-core server at 50 pages a second.
CREATE INDEX ratings_leaderboard ON ratings (game_module, rating DESC, player_key);
