-- Federated sanctions (issue 21): the moderation outcomes this community publishes, in feed
-- order. A sanction a moderator applies adds an entry in the same transaction; an appeal that
-- reverses it adds an entry that negates it. Entries are never changed or removed: subscribers
-- read the feed from the last position they saw.
CREATE TABLE sanction_feed (
    feed_seq   BIGINT PRIMARY KEY,
    action_id  TEXT NOT NULL,
    subject    BYTEA NOT NULL,
    action     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    expires_at BIGINT,
    reason     TEXT NOT NULL,
    case_ref   BYTEA NOT NULL,
    negates    BIGINT UNIQUE,
    issued_at  BIGINT NOT NULL
);
CREATE TRIGGER sanction_feed_no_update BEFORE UPDATE ON sanction_feed
FOR EACH ROW EXECUTE FUNCTION mod_append_only('the sanction feed is append-only');
CREATE TRIGGER sanction_feed_no_delete BEFORE DELETE ON sanction_feed
FOR EACH ROW EXECUTE FUNCTION mod_append_only('the sanction feed is append-only');
