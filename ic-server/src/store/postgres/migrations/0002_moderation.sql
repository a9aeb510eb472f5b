-- Moderation review queue (capability `moderation`) on PostgreSQL: the tables of the SQLite
-- schema, in PostgreSQL's types. Lists order by time, then by insertion: `seq` (an identity
-- column) stands in for SQLite's rowid. Votes, consensus records, moderator actions, reversals
-- and the audit log are append-only: the triggers at the end refuse UPDATE always and DELETE
-- except where retention may remove the votes and consensus of a case it has already deleted.

-- The per-community secret of reviewer-facing pseudonyms (one row).
CREATE TABLE mod_secret (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    secret BYTEA NOT NULL
);

CREATE TABLE mod_cases (
    case_id            TEXT PRIMARY KEY,
    category           TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    closed_at          BIGINT,
    severity_hint      BIGINT NOT NULL,
    accused_key        BYTEA NOT NULL,
    required_reviewers BIGINT NOT NULL,
    -- JSON objects (reference §7.1 ReviewTelemetrySummary / ReviewAntiCheatSummary), or NULL.
    telemetry_summary  TEXT,
    anti_cheat_summary TEXT
);
CREATE INDEX mod_cases_by_accused ON mod_cases (accused_key, category, state);
CREATE INDEX mod_cases_by_state ON mod_cases (state, severity_hint, created_at);

CREATE TABLE mod_reports (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    report_id    TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    reporter_key BYTEA NOT NULL,
    category     TEXT NOT NULL,
    note         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    -- NULL until the case closes: true upheld (sanction), false rejected.
    upheld       BOOLEAN,
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
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    assignment_id TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    reviewer_key  BYTEA NOT NULL,
    assigned_at   BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    calibration   BOOLEAN NOT NULL
);
CREATE INDEX mod_assignments_by_reviewer ON mod_assignments (reviewer_key, assigned_at);
CREATE INDEX mod_assignments_by_case ON mod_assignments (case_id);

CREATE TABLE mod_votes (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    assignment_id TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    reviewer_key  BYTEA NOT NULL,
    submitted_at  BIGINT NOT NULL,
    decision      TEXT NOT NULL,
    confidence    BIGINT NOT NULL,
    notes         TEXT,
    weight        DOUBLE PRECISION NOT NULL,
    calibration   BOOLEAN NOT NULL,
    UNIQUE (case_id, reviewer_key)
);

CREATE TABLE mod_consensus (
    consensus_id        TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL UNIQUE,
    created_at          BIGINT NOT NULL,
    reached             BOOLEAN NOT NULL,
    weighted_decision   TEXT,
    agreement_ratio     DOUBLE PRECISION NOT NULL,
    reviewer_count      BIGINT NOT NULL,
    requires_moderator  BOOLEAN NOT NULL,
    -- JSON array of recommendation texts, e.g. ["warn","queue_cooldown:24"].
    recommended_actions TEXT NOT NULL
);

CREATE TABLE mod_actions (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    action_id     TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    consensus_id  TEXT,
    moderator_key BYTEA NOT NULL,
    target_key    BYTEA NOT NULL,
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
    moderator_key BYTEA NOT NULL,
    reason        TEXT NOT NULL,
    reversed_at   BIGINT NOT NULL
);

CREATE TABLE mod_appeals (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    appeal_id     TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL,
    player_key    BYTEA NOT NULL,
    statement     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    decision      TEXT,
    moderator_key BYTEA,
    reason        TEXT,
    decided_at    BIGINT,
    UNIQUE (case_id, player_key)
);

CREATE TABLE mod_calibration_cases (
    case_id        TEXT PRIMARY KEY,
    known_decision TEXT NOT NULL,
    marked_by      BYTEA NOT NULL,
    marked_at      BIGINT NOT NULL
);

CREATE TABLE mod_reviewer_stats (
    reviewer_key           BYTEA PRIMARY KEY,
    cases_reviewed         BIGINT NOT NULL,
    calibration_cases_seen BIGINT NOT NULL,
    calibration_accuracy   DOUBLE PRECISION NOT NULL,
    moderator_judged       BIGINT NOT NULL,
    moderator_agreed       BIGINT NOT NULL
);

CREATE TABLE mod_audit (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    audit_id   TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    -- NULL for the server itself (retention).
    actor_key  BYTEA,
    actor_role TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_id    TEXT,
    target_key BYTEA,
    reason     TEXT NOT NULL,
    details    TEXT NOT NULL
);
CREATE INDEX mod_audit_by_time ON mod_audit (at, seq);

-- Refuses the change with the message given as the trigger's argument.
CREATE FUNCTION mod_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;

-- Refuses deleting a row whose case still exists (retention deletes the case first).
CREATE FUNCTION mod_append_only_while_case_exists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM mod_cases WHERE case_id = OLD.case_id) THEN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER mod_votes_no_update BEFORE UPDATE ON mod_votes
FOR EACH ROW EXECUTE FUNCTION mod_append_only('votes are append-only');
CREATE TRIGGER mod_votes_no_delete BEFORE DELETE ON mod_votes
FOR EACH ROW EXECUTE FUNCTION mod_append_only_while_case_exists('votes are append-only');
CREATE TRIGGER mod_consensus_no_update BEFORE UPDATE ON mod_consensus
FOR EACH ROW EXECUTE FUNCTION mod_append_only('consensus records are append-only');
CREATE TRIGGER mod_consensus_no_delete BEFORE DELETE ON mod_consensus
FOR EACH ROW EXECUTE FUNCTION mod_append_only_while_case_exists('consensus records are append-only');
CREATE TRIGGER mod_actions_no_update BEFORE UPDATE ON mod_actions
FOR EACH ROW EXECUTE FUNCTION mod_append_only('moderator actions are append-only');
CREATE TRIGGER mod_actions_no_delete BEFORE DELETE ON mod_actions
FOR EACH ROW EXECUTE FUNCTION mod_append_only('moderator actions are append-only');
CREATE TRIGGER mod_reversals_no_change BEFORE UPDATE ON mod_reversals
FOR EACH ROW EXECUTE FUNCTION mod_append_only('reversals are append-only');
CREATE TRIGGER mod_reversals_no_delete BEFORE DELETE ON mod_reversals
FOR EACH ROW EXECUTE FUNCTION mod_append_only('reversals are append-only');
CREATE TRIGGER mod_audit_no_update BEFORE UPDATE ON mod_audit
FOR EACH ROW EXECUTE FUNCTION mod_append_only('the audit log is append-only');
CREATE TRIGGER mod_audit_no_delete BEFORE DELETE ON mod_audit
FOR EACH ROW EXECUTE FUNCTION mod_append_only('the audit log is append-only');
