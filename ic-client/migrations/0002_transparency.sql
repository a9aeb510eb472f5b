-- The community's transparency log as this wallet has seen it (issue 21): every signed
-- checkpoint it accepted, each with the consistency proof from the one accepted before; the
-- inclusion proof of each record it holds; and the evidence of any fork or rewrite it met.
-- The reference wallet format (user_version 1) is unchanged: these tables are an addition
-- that readers of that format may ignore, so user_version and _schema_meta stay at 1.
CREATE TABLE log_checkpoints (
    tree_size   INTEGER PRIMARY KEY,
    root        BLOB    NOT NULL,
    note        TEXT    NOT NULL,
    -- Proof from the previous accepted checkpoint: hashes back to back; empty for the first.
    consistency BLOB    NOT NULL,
    seen_at     INTEGER NOT NULL
);

CREATE TABLE log_proofs (
    leaf_hash  BLOB    PRIMARY KEY,
    leaf_index INTEGER NOT NULL,
    -- The accepted checkpoint the proof is against.
    tree_size  INTEGER NOT NULL,
    hashes     BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE log_evidence (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    -- The signed note that showed it, and the accepted one it contradicts, if any.
    note       TEXT    NOT NULL,
    other_note TEXT,
    found_at   INTEGER NOT NULL
);
