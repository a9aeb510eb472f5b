-- The transparency log of every issued record (issue 21): the tree's size and right border
-- (one row, locked by every transaction that issues, which orders leaves across processes),
-- the stored subtree hashes, each leaf's index by hash, and the newest signed checkpoint.
-- Records issued before this migration are appended once at the next start (`backfilled`).
CREATE TABLE transparency_tree (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    size       BIGINT NOT NULL,
    frontier   BYTEA NOT NULL,
    backfilled BOOLEAN NOT NULL
);
INSERT INTO transparency_tree (id, size, frontier, backfilled) VALUES (1, 0, '\x', false);

CREATE TABLE transparency_hashes (
    position BIGINT PRIMARY KEY,
    hash     BYTEA NOT NULL
);

CREATE TABLE transparency_leaves (
    leaf_hash  BYTEA PRIMARY KEY,
    leaf_index BIGINT NOT NULL
);

CREATE TABLE transparency_checkpoint (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    tree_size BIGINT NOT NULL,
    note      TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
