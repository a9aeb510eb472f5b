-- Moderation review queue (capability `moderation`). Keys are BLOBs, times Unix seconds, ids TEXT.
-- Lists order by time, then by insertion (SQLite's rowid; the tables are not WITHOUT ROWID).
-- Votes, consensus records, moderator actions, reversals and the audit log are append-only:
-- the triggers at the end refuse UPDATE always and DELETE except where retention may remove the
-- votes and consensus of a case it has already deleted.

-- The per-community secret of reviewer-facing pseudonyms (one row).
CREATE TABLE mod_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL
);

CREATE TABLE mod_cases (
    case_id            TEXT PRIMARY KEY,
    category           TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    closed_at          BIGINT,
    severity_hint      INTEGER NOT NULL,
    accused_key        BLOB NOT NULL,
    required_reviewers INTEGER NOT NULL,
    -- JSON objects (reference §7.1 ReviewTelemetrySummary / ReviewAntiCheatSummary), or NULL.
    telemetry_summary  TEXT,
    anti_cheat_summary TEXT
);
CREATE INDEX mod_cases_by_accused ON mod_cases (accused_key, category, state);
CREATE INDEX mod_cases_by_state ON mod_cases (state, severity_hint, created_at);

CREATE TABLE mod_reports (
    report_id    TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    reporter_key BLOB NOT NULL,
    category     TEXT NOT NULL,
    note         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    -- NULL until the case closes: 1 upheld (sanction), 0 rejected.
    upheld       INTEGER,
    UNIQUE (case_id, reporter_key)
);
CREATE INDEX mod_reports_by_reporter ON mod_reports (reporter_key, created_at);

-- Evidence references only; blobs live in replay/object storage.
CREATE TABLE mod_evidence (
    case_id   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    reference TEXT NOT NULL,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (case_id, kind, reference)
);

CREATE TABLE mod_assignments (
    assignment_id TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    reviewer_key  BLOB NOT NULL,
    assigned_at   BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    calibration   INTEGER NOT NULL
);
CREATE INDEX mod_assignments_by_reviewer ON mod_assignments (reviewer_key, assigned_at);
CREATE INDEX mod_assignments_by_case ON mod_assignments (case_id);

CREATE TABLE mod_votes (
    assignment_id TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    reviewer_key  BLOB NOT NULL,
    submitted_at  BIGINT NOT NULL,
    decision      TEXT NOT NULL,
    confidence    INTEGER NOT NULL,
    notes         TEXT,
    weight        REAL NOT NULL,
    calibration   INTEGER NOT NULL,
    UNIQUE (case_id, reviewer_key)
);

CREATE TABLE mod_consensus (
    consensus_id        TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL UNIQUE,
    created_at          BIGINT NOT NULL,
    reached             INTEGER NOT NULL,
    weighted_decision   TEXT,
    agreement_ratio     REAL NOT NULL,
    reviewer_count      INTEGER NOT NULL,
    requires_moderator  INTEGER NOT NULL,
    -- JSON array of recommendation texts, e.g. ["warn","queue_cooldown:24"].
    recommended_actions TEXT NOT NULL
);

CREATE TABLE mod_actions (
    action_id     TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    consensus_id  TEXT,
    moderator_key BLOB NOT NULL,
    target_key    BLOB NOT NULL,
    action        TEXT NOT NULL,
    -- The sanction kind (warn, queue_cooldown, …) or NULL for close_no_action.
    measure_kind  TEXT,
    reason        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    ends_at       BIGINT
);
CREATE INDEX mod_actions_by_target ON mod_actions (target_key, measure_kind, ends_at);
CREATE INDEX mod_actions_by_case ON mod_actions (case_id);

CREATE TABLE mod_reversals (
    action_id     TEXT PRIMARY KEY,
    appeal_id     TEXT NOT NULL,
    moderator_key BLOB NOT NULL,
    reason        TEXT NOT NULL,
    reversed_at   BIGINT NOT NULL
);

CREATE TABLE mod_appeals (
    appeal_id     TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    player_key    BLOB NOT NULL,
    statement     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    decision      TEXT,
    moderator_key BLOB,
    reason        TEXT,
    decided_at    BIGINT,
    UNIQUE (case_id, player_key)
);

CREATE TABLE mod_calibration_cases (
    case_id        TEXT PRIMARY KEY,
    known_decision TEXT NOT NULL,
    marked_by      BLOB NOT NULL,
    marked_at      BIGINT NOT NULL
);

CREATE TABLE mod_reviewer_stats (
    reviewer_key           BLOB PRIMARY KEY,
    cases_reviewed         BIGINT NOT NULL,
    calibration_cases_seen BIGINT NOT NULL,
    calibration_accuracy   REAL NOT NULL,
    moderator_judged       BIGINT NOT NULL,
    moderator_agreed       BIGINT NOT NULL
);

CREATE TABLE mod_audit (
    audit_id   TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    -- NULL for the server itself (retention).
    actor_key  BLOB,
    actor_role TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_id    TEXT,
    target_key BLOB,
    reason     TEXT NOT NULL,
    details    TEXT NOT NULL
);
CREATE INDEX mod_audit_by_time ON mod_audit (at, audit_id);

CREATE TRIGGER mod_votes_no_update BEFORE UPDATE ON mod_votes
BEGIN SELECT RAISE(ABORT, 'votes are append-only'); END;
CREATE TRIGGER mod_votes_no_delete BEFORE DELETE ON mod_votes
WHEN EXISTS (SELECT 1 FROM mod_cases WHERE case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'votes are append-only'); END;
CREATE TRIGGER mod_consensus_no_update BEFORE UPDATE ON mod_consensus
BEGIN SELECT RAISE(ABORT, 'consensus records are append-only'); END;
CREATE TRIGGER mod_consensus_no_delete BEFORE DELETE ON mod_consensus
WHEN EXISTS (SELECT 1 FROM mod_cases WHERE case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'consensus records are append-only'); END;
CREATE TRIGGER mod_actions_no_update BEFORE UPDATE ON mod_actions
BEGIN SELECT RAISE(ABORT, 'moderator actions are append-only'); END;
CREATE TRIGGER mod_actions_no_delete BEFORE DELETE ON mod_actions
BEGIN SELECT RAISE(ABORT, 'moderator actions are append-only'); END;
CREATE TRIGGER mod_reversals_no_change BEFORE UPDATE ON mod_reversals
BEGIN SELECT RAISE(ABORT, 'reversals are append-only'); END;
CREATE TRIGGER mod_reversals_no_delete BEFORE DELETE ON mod_reversals
BEGIN SELECT RAISE(ABORT, 'reversals are append-only'); END;
CREATE TRIGGER mod_audit_no_update BEFORE UPDATE ON mod_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER mod_audit_no_delete BEFORE DELETE ON mod_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
