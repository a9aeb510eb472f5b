-- Sign-in for the web UI: single-use login links (made by `ic staff login` or
-- `ic-server staff login-link`) and the browser sessions they open. Only SHA-256 hashes of the
-- tokens are kept, so a copy of the database signs no one in. Times are Unix seconds.

CREATE TABLE web_login_links (
    token_hash BLOB PRIMARY KEY,
    principal_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) WITHOUT ROWID;

CREATE TABLE web_sessions (
    token_hash BLOB PRIMARY KEY,
    principal_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    -- Idle expiry, pushed forward by use but never past expires_at.
    idle_expires_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
