-- The transparency log of every issued record (issue 21): the tree's size and right border
-- (one row, locked by every transaction that issues), the stored subtree hashes, each leaf's
-- index by hash, and the newest signed checkpoint. Records issued before this migration are
-- appended once at the next start (`backfilled`).
CREATE TABLE transparency_tree (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       BIGINT NOT NULL,
    frontier   BLOB NOT NULL,
    backfilled INTEGER NOT NULL
);
INSERT INTO transparency_tree (id, size, frontier, backfilled) VALUES (1, 0, X'', 0);

CREATE TABLE transparency_hashes (
    position INTEGER PRIMARY KEY,
    hash     BLOB NOT NULL
);

CREATE TABLE transparency_leaves (
    leaf_hash  BLOB PRIMARY KEY,
    leaf_index BIGINT NOT NULL
) WITHOUT ROWID;

CREATE TABLE transparency_checkpoint (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    tree_size BIGINT NOT NULL,
    note      TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
