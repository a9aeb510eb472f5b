-- Witnessing other communities' transparency logs (issue 21): per log, the last checkpoint
-- this community cosigned. A request moves it forward only from the size it started from.
CREATE TABLE witnessed_checkpoints (
    origin      TEXT PRIMARY KEY,
    tree_size   BIGINT NOT NULL,
    root        BYTEA NOT NULL,
    note        TEXT NOT NULL,
    cosigned_at BIGINT NOT NULL
);
