-- Durable outbox of a relay that sends certified match results to a remote community
-- (`[relay] community_url`), as in the SQLite schema. `state`: 'pending' (to send, at or after
-- next_attempt_at), 'delivered', 'refused' (the community answered 4xx: kept for the operator,
-- never retried).

CREATE TABLE relay_outbox (
    match_id        BYTEA PRIMARY KEY,
    cmr             BYTEA NOT NULL,
    state           TEXT NOT NULL,
    enqueued_at     BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    -- When it was delivered or refused.
    settled_at      BIGINT
);
CREATE INDEX relay_outbox_due ON relay_outbox (state, next_attempt_at, enqueued_at);
