-- Federated sanctions (issue 21): the moderation outcomes this community publishes, in feed
-- order. A sanction a moderator applies adds an entry in the same transaction; an appeal that
-- reverses it adds an entry that negates it. Entries are never changed or removed: subscribers
-- read the feed from the last position they saw.
CREATE TABLE sanction_feed (
    feed_seq   BIGINT PRIMARY KEY,
    action_id  TEXT NOT NULL,
    subject    BLOB NOT NULL,
    action     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    expires_at BIGINT,
    reason     TEXT NOT NULL,
    case_ref   BLOB NOT NULL,
    negates    BIGINT UNIQUE,
    issued_at  BIGINT NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER sanction_feed_no_update BEFORE UPDATE ON sanction_feed
BEGIN SELECT RAISE(ABORT, 'the sanction feed is append-only'); END;
CREATE TRIGGER sanction_feed_no_delete BEFORE DELETE ON sanction_feed
BEGIN SELECT RAISE(ABORT, 'the sanction feed is append-only'); END;
