-- Federated sanctions received (issue 21): each entry read from another community's sanction
-- feed, once, with what it did here. The publisher is named by the key the operator pinned for
-- it; `outcome` is ignored, review (a local case opened or joined), applied (a local sanction),
-- lifted (a lifting that reversed what an earlier entry did) or refused (it did not verify).
-- A row is written in the same transaction as its effect, so an entry acts once however many
-- processes read the feed. A refused entry does not take its position: the publisher's real
-- entry there is still read (rows differ by the note's SHA-256), and the position read from is
-- the last one not refused, so a forged position cannot skip the real entries. Rows are never
-- changed; retention keeps them.
CREATE TABLE received_sanctions (
    publisher     TEXT NOT NULL,
    feed_seq      BIGINT NOT NULL,
    publisher_url TEXT NOT NULL,
    subject_key   BYTEA,
    action        TEXT,
    note          TEXT NOT NULL,
    note_hash     BYTEA NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    case_id       TEXT,
    action_id     TEXT,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (publisher, feed_seq, note_hash)
);
CREATE INDEX received_sanctions_by_action ON received_sanctions (action_id);
CREATE TRIGGER received_sanctions_no_update BEFORE UPDATE ON received_sanctions
FOR EACH ROW EXECUTE FUNCTION mod_append_only('received sanctions are append-only');
CREATE TRIGGER received_sanctions_no_delete BEFORE DELETE ON received_sanctions
FOR EACH ROW EXECUTE FUNCTION mod_append_only('received sanctions are append-only');
