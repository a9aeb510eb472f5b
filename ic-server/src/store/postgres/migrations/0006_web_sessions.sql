-- Sign-in for the web UI, as on SQLite: single-use login links and the browser sessions they
-- open, kept only as SHA-256 hashes of their tokens. Times are Unix seconds.

CREATE TABLE web_login_links (
    token_hash BYTEA PRIMARY KEY,
    principal_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE web_sessions (
    token_hash BYTEA PRIMARY KEY,
    principal_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    -- Idle expiry, pushed forward by use but never past expires_at.
    idle_expires_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
