-- The witnesses this wallet trusts for its community's transparency log (issue 21), and how
-- many of their cosignatures a checkpoint must carry before the wallet accepts it. Like 0002,
-- an addition readers of the reference format may ignore: user_version stays at 1.
CREATE TABLE log_witnesses (
    -- The witness's verifier key, <name>+<key ID>+<base64 key> (C2SP signed-note vkey).
    vkey     TEXT    PRIMARY KEY,
    added_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE log_witness_policy (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    required INTEGER NOT NULL CHECK (required >= 0),
    -- The largest checkpoint accepted when the rule was set: larger ones are held to it
    -- (the ones up to it were accepted without).
    after_size INTEGER NOT NULL
);
