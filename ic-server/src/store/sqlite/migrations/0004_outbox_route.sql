-- Where an outbox entry goes: 'remote' (posted to [relay] community_url, as before) or
-- 'local' (taken from this database by a ranking process of the same community, when several
-- processes share one database).
ALTER TABLE relay_outbox ADD COLUMN route TEXT NOT NULL DEFAULT 'remote';
CREATE INDEX relay_outbox_route_due ON relay_outbox (route, state, next_attempt_at);
