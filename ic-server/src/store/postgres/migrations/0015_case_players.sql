-- The players of the certified matches a case names as evidence (issue 24): a reviewer who
-- played in one could map the case's pseudonyms back through the match, so never gets the case.
-- Filled when a report brings the match; deleted with the case by retention.
CREATE TABLE mod_case_players (
    case_id    TEXT NOT NULL,
    player_key BYTEA NOT NULL,
    PRIMARY KEY (case_id, player_key)
);
