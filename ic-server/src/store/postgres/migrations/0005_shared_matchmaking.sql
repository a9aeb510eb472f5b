-- A matchmaker shared by several processes: requests from any process wait here for the
-- leader (the holder of an advisory lock), which saves the queue's state after applying them.
-- SQLite has no counterpart: one process leads itself over in-memory channels.

CREATE TABLE matchmaking_requests (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The queues, parties, ready checks and cooldowns as the leader saved them last (JSON).
CREATE TABLE matchmaking_state (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL
);

-- Who leads, for the others to see whether it is alive: a leader whose heartbeat is older than
-- matchmaking.leader_failover_secs is cut off (pg_terminate_backend) and replaced.
CREATE TABLE matchmaking_leader (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    backend_pid INTEGER NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
