-- The matchmaking queue's tables, as on PostgreSQL. One SQLite process leads its own queue:
-- it saves the queue's state here after every change, so a restart keeps the waiting players,
-- and names itself in matchmaking_leader. Its requests pass in memory (a durable row per
-- request would cost a sync each), so matchmaking_requests stays empty on SQLite.

CREATE TABLE matchmaking_requests (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    submitted_at INTEGER NOT NULL
);

CREATE TABLE matchmaking_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL,
    saved_at INTEGER NOT NULL
);

CREATE TABLE matchmaking_leader (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    backend_pid INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
