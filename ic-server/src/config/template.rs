//! The commented `ic-server.toml` written on first run.
//! Every value shown is the default; a test checks that the file loads to `Config::default()`.

/// The first-run configuration file.
pub const TEMPLATE: &str = r#"# ic-server configuration. Every value below is the default; change what you need.
# Environment variables override this file: IC_<SECTION>_<KEY>, e.g. IC_HTTP_LISTEN="0.0.0.0:8080".
# `ic-server config show` prints the effective values and where each came from.

[community]
# Display name shown to players (1-64 characters).
name = "My Community"
# Public base URL players use to reach this server.
url = "http://127.0.0.1:19710"

[capabilities]
# minimal = relay; community = relay, ranking, matchmaking; competitive = all four.
preset = "community"
# Override single capabilities:
# relay = true
# ranking = true
# matchmaking = true
# moderation = false

[http]
# API, health and metrics on one port.
listen = "0.0.0.0:19710"
# Largest request body in bytes (1 KiB - 16 MiB).
max_body_bytes = 65536
# Time limit for one request, seconds (1-300).
request_timeout_secs = 10
# Requests per minute per IP on authentication and write routes.
rate_limit_per_minute = 120
# Seconds in-flight requests get to finish on shutdown.
shutdown_grace_secs = 10
# Seconds the server keeps serving after SIGTERM/SIGINT with /ready answering 503, so a load
# balancer stops sending traffic before the listener closes (0-60).
drain_delay_secs = 1
# Reverse proxies (IP addresses) in front of this server whose X-Forwarded-For header names the
# client, e.g. ["127.0.0.1"] behind a local Caddy or nginx. Per-IP limits then count clients,
# not the proxy. Leave empty when players connect directly.
trusted_proxies = []

[storage]
# Where the database is. Empty: the SQLite file sqlite_path below (the embedded default).
# postgres://user:password@host:5432/database selects PostgreSQL 15 or newer, which several
# ic-server processes can share (docs/operator-guide.md, "Several processes"); sqlite://<file>
# names another SQLite file, relative to the data directory. Env: IC_STORAGE_URL.
url = ""
# SQLite database, relative to the data directory.
sqlite_path = "ic-server.db"
# Seconds between looks for a key rotation made by `keys rotate` here or on another host that
# shares the database (1-3600). A process whose key the community rotated away from refuses
# to sign until the new keys/signing.key is copied into its data directory.
key_refresh_secs = 30

[auth]
# Seconds a login challenge may be answered (5-600).
challenge_ttl_secs = 60
# Seconds a login token stays valid (60-86400).
token_ttl_secs = 3600
# Keys with the admin role.
admins = []

[ranking]
# Game modules rated here; new players get a 1500 +/- 350 rating record for each.
game_modules = ["ra"]
# "open" or "invite".
registration = "open"
# Codes accepted when registration = "invite".
invite_codes = []
# New registrations per IP address per day.
registrations_per_ip_per_day = 3
# Days a rating record stays valid before the player refreshes it.
rating_validity_days = 7
# Refresh re-issues a rating record this many seconds before it expires.
refresh_window_secs = 86400
# Relay keys trusted besides this server's own ("ed25519:<hex>"); see also `ic-server relays trust`.
trusted_relays = []
# Largest accepted certified match result, bytes.
max_match_bytes = 16384
# A player's most recent certified matches shown in their public history
# (GET /v1/players/{key}/matches and the player page), 0-1000; 0 shows none. Players keep every
# match record in their own wallet either way.
match_history_per_player = 100

[achievements]
# Achievements the ranking authority awards (record type 0x03; docs/ranking.md, "Achievements").
# Those earned in certified matches are issued as "verified" with the match's records. Claims a
# client makes (rule "claim", e.g. single-player progress) follow the policy:
#   "relay_attested": refused, only certified matches earn achievements;
#   "optimistic": issued as "optimistic", re-issued as "verified" once challenge_window_hours
#     (1-8760) pass without a moderator's challenge;
#   "trust_client": issued as "optimistic" on the client's word and never upgraded.
policy = "relay_attested"
challenge_window_hours = 72
# Each: id (a-z, 0-9, _ and -; at most 48), name, rule, count (1-100000) where the rule counts,
# game_modules (empty: every rated module) and per_season (season_wins and season_games only:
# earned again each season). Rules: first_win, season_wins, win_streak, season_games, claim.
# An achievement is issued once per player (per season with per_season).
[[achievements.definitions]]
id = "first_win"
name = "First victory"
rule = "first_win"

[[achievements.definitions]]
id = "ten_wins"
name = "Ten wins in a season"
rule = "season_wins"
count = 10

[[achievements.definitions]]
id = "streak_5"
name = "Five wins in a row"
rule = "win_streak"
count = 5

[[achievements.definitions]]
id = "season_regular"
name = "25 games in a season"
rule = "season_games"
count = 25
per_season = true

[campaigns]
# Campaign benchmarks (docs/ranking.md, "Campaign benchmarks"): players who opt in
# (POST /v1/campaigns/opt-in) report their single-player campaign progress, and
# GET /v1/campaigns/{id}/benchmarks serves signed aggregates over them: completion and ending
# rates, mission percentiles. Never rated. false: the campaign routes answer 404.
enabled = true
# Fewest players a group (a difficulty, an ending) needs before its numbers are shown (2-1000);
# smaller groups are suppressed so that no single player can be picked out.
min_bucket = 5

[rating]
# glicko2 (default), elo or weng-lin. Every parameter is described in docs/ranking.md.
algorithm = "glicko2"

[matchmaking]
# The rating window (initial range 100, +50 every 30 s, max 500, desperation after 300 s with
# at least 3 queued, quality floor 0.3) is [rating.matchmaking]; see docs/ranking.md.
# Queues: a game module from [ranking] game_modules and a mode (ranked_1v1, ranked_2v2,
# ranked_3v3, unranked_1v1, unranked_2v2, unranked_3v3).
queues = [
    { module = "ra", mode = "ranked_1v1" },
    { module = "ra", mode = "ranked_2v2" },
    { module = "ra", mode = "unranked_1v1" },
]
# Most players one player may avoid; avoiding is best effort, a penalty and never a filter.
avoid_list_max = 5
# Penalty (fairness permille) for meeting an avoided player, relaxing to 0 over avoid_relax_secs.
avoid_penalty = 1000
avoid_relax_secs = 600
# Seconds after a 1v1 in which the same two meet again only if nobody else fits.
rematch_window_secs = 900
# Pause between passes: pass_interval_max_ms with 2 or fewer queued, falling to
# pass_interval_min_ms at pass_full_queue players (few players get time to gather).
pass_interval_min_ms = 500
pass_interval_max_ms = 5000
pass_full_queue = 100
# Seconds every player has to accept a found match.
ready_check_secs = 30
# Cooldowns for the 1st, 2nd and 3rd+ decline within 24 h, seconds.
decline_cooldowns_secs = [60, 300, 900]
# Seconds a queue entry survives after its event stream dropped.
entry_ttl_secs = 60
# Acceptable opponents examined on each side of a player's rating per pass.
neighbours = 2
# Seconds a match ticket stays valid for connecting to the relay.
ticket_ttl_secs = 300
# Seconds before the wait of a player under a low_priority_queue moderation sanction starts to
# count (its window, desperation and turn in each pass come that much later), 0-3600.
low_priority_delay_secs = 300
# With several processes on one PostgreSQL database, one of them runs the passes; when it stops
# answering for this many seconds another takes over (1-300). One that dies is replaced at once.
leader_failover_secs = 10
# Relays of other servers for matches, tried after this server's own relay, e.g.
# { address = "eu.relay.example.org:19711", key = "ed25519:<hex>", region = "eu" }.
# Such a relay must list this community's signing key in its relay.ticket_signers.
relays = []
# Seconds between checks that each relay above answers with its key (a QUIC handshake, as a
# player's client makes it); an unreachable relay gets no matches until it answers, 1-3600.
relay_probe_secs = 30
# Maps per queue, this season's pool (replace it when a season starts; a reload applies it to
# matches found from then on). A ranked queue with 2+ maps runs the veto: the two sides ban in
# turn, anonymously, until one map is left, each ban within veto_ban_secs (5-120) or one is
# picked for the idle side. An unranked queue gets one of its maps at random; a queue without a
# pool leaves the map to the game's lobby. The map is named in the match ticket and the
# certified result. hash: SHA-256 of the map file (64 hex), optional. For example
# map_pools = [{ module = "ra", mode = "ranked_1v1", maps = [{ name = "Coastline" },
#     { name = "Ridge" }, { name = "Dunes", hash = "<64 hex>" }] }]
map_pools = []
veto_ban_secs = 15
# Records a queue requires (a reload applies it to joins from then on): none (the default), any_verified (a record
# that verifies, from this community or from another whose URL the player gives), or rating
# records from each listed community, signed by its key or one it rotated to. min_rating is
# in rating points; module narrows the records that count. For example
# requirements = [{ module = "ra", mode = "ranked_1v1", requires = { kind = "communities",
#     communities = [{ key = "ed25519:<64 hex>", min_games = 10, min_rating = 1500 }] } }]
requirements = []

[conduct]
# What leaving a match costs (a disconnect past relay.reconnect_timeout_secs, a kick): the
# leaver loses, and matchmaking refuses the leaver for a while (GET /v1/sanctions/me says why
# and until when). The 1st, 2nd, 3rd... abandon within abandon_window_hours (1-720) waits the
# matching abandon_cooldowns_secs (each 0-2592000, never less than the one before; the last
# repeats).
abandon_cooldowns_secs = [300, 1800, 7200]
abandon_window_hours = 24
# habitual_abandon_count abandons (0-100; 0 = off) within habitual_window_days (1-30) make a
# habitual leaver, who waits habitual_cooldown_secs (0-2592000).
habitual_abandon_count = 3
habitual_window_days = 7
habitual_cooldown_secs = 86400
# Each abandon that makes a habitual leaver also raises their rating deviation by this many
# points (0-350; never above a new player's): their rating is less certain.
habitual_deviation_increase = 50
# Seconds a player waits after leaving early enough to void the match (relay.grace_void_secs),
# 0-86400. Such voids count for neither the escalation nor habitual leaving.
grace_void_cooldown_secs = 60

[moderation]
# The moderation review queue (capability "moderation"; see docs/moderation.md).
# Votes a case needs before consensus (2-15; a single reviewer never decides).
required_reviewers = 3
# Votes a cheating case needs (2-15).
required_reviewers_cheating = 5
# Share of the weighted vote (review weight x confidence) the top decision needs (0.5-1).
consensus_threshold = 0.6666666666666666
# Seconds a reviewer has to vote before the slot is given to someone else (1-604800).
assignment_expiry_secs = 86400
# Reports one player may file per 24 hours (1-1000).
reports_per_day = 10
# Certified matches a registered player needs here before their reports are taken (0-100000):
# throwaway keys cannot pile reports onto a case.
reporter_min_matches = 1
# Longest report note, vote note, moderator reason or appeal statement, characters (1-4000).
note_max_chars = 1000
# Severity points per report, scaled by the reporter's accuracy (0-50).
severity_per_report = 10

[moderation.severity_base]
# Severity hint a case starts with, per category (0-100). Triage only, never an action.
cheating = 50
griefing = 30
afk_intentional_idle = 20
harassment = 40
spam_disruptive_comms = 15
other = 10

[moderation.eligibility]
# Members may review without the reviewer role when all of these hold.
by_standing = true
# Certified matches played in this community.
min_matches = 25
# Days since registration.
min_account_age_days = 30
# No sanction (other than a reversed one) within this many days.
no_sanction_days = 90

[moderation.calibration]
# Every n-th case a reviewer gets is a calibration case when one is available (1-100).
every = 5
# Weight of the newest calibration result in the accuracy moving average (0.01-1).
alpha = 0.2
# Accuracy a new reviewer starts with (0-1); review weight = 2 x accuracy.
initial_accuracy = 0.5
# Review weight is kept between floor and cap.
weight_floor = 0.1
weight_cap = 1.5
# Reviewers below this accuracy get no cases once they have seen min_calibration_cases.
min_accuracy = 0.3
min_calibration_cases = 3

[moderation.retention]
# Closed cases with a severity hint up to max_severity are deleted this many days after closing;
# sanctions, appeals and the audit log are kept (0-3650).
closed_case_days = 90
max_severity = 40
# Seconds between retention sweeps (1-86400).
sweep_interval_secs = 3600

[moderation.recommendations]
# What consensus on each decision recommends to the moderator: warn, chat_restriction:<hours>,
# queue_cooldown:<hours>, low_priority_queue:<hours>, ranked_suspension:<days>,
# escalate_manual_review. Recommendations never act by themselves.
insufficient_evidence = []
likely_clean = []
suspected_griefing = ["warn", "queue_cooldown:24", "low_priority_queue:72"]
suspected_cheating = ["ranked_suspension:14", "escalate_manual_review"]
abuse_comms = ["warn", "chat_restriction:72"]

[relay]
# UDP address of the relay (QUIC); players pin this server's relay key.
listen = "0.0.0.0:19711"
# host:port players connect to; empty: the host of community.url with the relay's port.
public_address = ""
# Region this relay serves, matched against players' region preferences; empty: any.
region = ""
# Matches the matchmaker places on this relay at once, 1-100000.
max_matches = 2000
# Seconds a custom room (POST /v1/rooms) stays open while nobody plays in it, 60-86400.
room_open_secs = 900
# Custom rooms open at once on this relay (1-100000; keep it well below max_matches, so rooms
# cannot take the capacity ranked matches need) and per host player (1-100).
max_rooms = 500
max_rooms_per_host = 3
# Days replays (each match's order stream, <data dir>/replays/<replay hash>.replay) are kept;
# 0 records none, 0-3650.
replay_retention_days = 30
# Seconds a new connection has to present a valid ticket and prove its key, 1–60.
auth_timeout_secs = 10
# Seconds a match waits for all its players before it is dropped, 5–3600.
lobby_timeout_secs = 120
# Seconds a disconnected or unresponsive player may take to come back, 5–600.
reconnect_timeout_secs = 60
# Seconds of game time at the start within which a player who leaves and does not come back
# voids the match for everyone instead of losing it (the grace void: nobody is rated, the leaver
# gets [conduct] grace_void_cooldown_secs); 0 = never, 0-600. A kicked player never voids.
grace_void_secs = 120
# Seconds after the match end during which players receive the result and records, 1–600.
post_game_secs = 30
# A tick the relay finalizes more than degraded_lateness_ms (0-10000; 0 = never) after its
# deadline is late; degraded_late_ticks (1-10000) late ticks in a row mean the relay's own
# conditions were bad (a stalled or overloaded host), and the certified result says "degraded":
# [rating.information] degraded_weight decides whether it is rated (default: void).
degraded_lateness_ms = 250
degraded_late_ticks = 20
# The same when the relay's packets to every player of a match are lost, at least
# degraded_loss_percent (0-100; 0 = never) of them for degraded_loss_secs (1-600) seconds in a
# row: the relay's own network failed (one player's bad line never counts).
degraded_loss_percent = 5
degraded_loss_secs = 10
# Pauses (a player's Vote(pause) order; both sides resume with Vote(resume), or the pause ends
# by itself): per player 0-100 (0: none) and the longest, 1-3600 s. Ranked matches allow no
# pause in their first 30 s.
ranked_pauses_per_player = 1
ranked_pause_secs = 60
casual_pauses_per_player = 10
casual_pause_secs = 300
# Seconds a shutdown (SIGTERM) lets running matches finish, 0-86400: /ready answers 503 at once,
# no new match starts, and matches still running at the end are ended as server restarts
# (certified, nobody rated or penalized). Give systemd's TimeoutStopSec more than this.
drain_secs = 1800
# Connections at once (authenticating or attached), 1–100000.
max_connections = 10000
# Connections still authenticating at once from one source (an IPv4 address, an IPv6 /64), so
# one host cannot hold every handshake slot, 1–100000.
max_handshakes_per_address = 64
# Missed deadlines after which a player is kicked (0 = never), 0–10000.
strike_threshold = 45
# Batches losing orders to the order budget after which a player is kicked (0 = never), 0–10000.
flood_kick_threshold = 32
# Community keys besides this server's own whose match tickets the relay admits ("ed25519:<hex>").
ticket_signers = []
# Base URL of the community that rates this relay's matches when the ranking capability does not
# run here, e.g. "https://ic.example.org": certified results go to POST <url>/v1/matches through
# a durable outbox and are retried until taken (that community must trust this relay's key).
# Empty: results go only to the players.
community_url = ""
# Retries of results the community did not take: the first after outbox_retry_min_secs (1-3600),
# doubling up to outbox_retry_max_secs (1-86400); each request may take
# outbox_request_timeout_secs (1-300).
outbox_retry_min_secs = 1
outbox_retry_max_secs = 300
outbox_request_timeout_secs = 10
# Spectators (observer tickets, e.g. POST /v1/rooms/{code}/watch) one match admits, 0-255;
# 0 admits none. Spectators join before or during the match (caught up from the replay), never
# send orders, and see the game late: spectator_delay_ticks (0-18000) in unranked matches, ranked_spectator_delay_secs
# (120-3600, never below 120) in ranked ones.
spectators_per_match = 50
spectator_delay_ticks = 60
ranked_spectator_delay_secs = 120

[ui]
# The web pages under /ui/: community home, leaderboard and player pages for everyone; review,
# moderation and operator pages for staff who sign in. false: /ui/... answers 404.
enabled = true
# Staff sign in with a five-minute, single-use link from `ic staff login <url>` (or, on this
# host, `ic-server staff login-link <KEY>`). The browser session then ends after
# session_idle_secs without a page view (60-86400) or session_max_secs after sign-in
# (session_idle_secs-2592000), whichever comes first.
session_idle_secs = 3600
session_max_secs = 43200

[transparency]
# Every record this community issues is a leaf of its transparency log (an append-only Merkle
# tree, as Certificate Transparency keeps). A signed checkpoint of the log, served at
# /v1/transparency/checkpoint, is made at most this often and only when the log grew (1-86400).
checkpoint_secs = 60
# Witnessing: communities cosign each other's checkpoints after checking that the log only
# grew (C2SP tlog-witness), so a wallet may require cosignatures from witnesses it trusts.
# This community's witness key is generated in keys/witness.key and listed as `witness_key`
# in /.well-known/ic-community. witness_name overrides the name it cosigns under.
# Logs this community cosigns for (restart to change): origin and key as the other community
# lists them (`transparency_origin`, and its first signing key); url is its base URL, where
# its key rotations are read.
#   witness_for = [{ origin = "ic-community/<32 hex>", key = "ed25519:<64 hex>", url = "https://other.example" }]
witness_for = []
# Witnesses asked to cosign each new checkpoint: the `witness_key` a community lists, and its
# submission prefix (<its URL>/v1/transparency/witness).
#   witnesses = [{ vkey = "ic-witness/<32 hex>+<8 hex>+<base64>", url = "https://other.example/v1/transparency/witness" }]
witnesses = []

[federation]
# Seconds another community's document (its keys and rotations), fetched when a player
# presents its records, is used before it is fetched again (1-86400). Its keys are pinned on
# first use; later documents must follow from them through published rotations.
document_ttl_secs = 300
# Fetch the documents of communities players name at loopback, private, link-local and other
# non-public addresses. Off, a player cannot make this server reach into its own host or
# network. Turn on for a LAN event whose communities are on private addresses.
allow_private_addresses = false
# Publish this community's moderation outcomes (each sanction a moderator applies, and its
# lifting when an appeal reverses it) as a feed signed with the community key, at
# GET /v1/federation/sanctions, for other communities to subscribe to. Entries name the player,
# the measure, its end, the case's category and a hash of the case id; never reports, votes or
# the moderator. Turning it on publishes the whole history kept so far.
publish_sanctions = false
# Seconds between two reads of each subscribed sanction feed (1-86400).
poll_secs = 60
# Other communities' sanction feeds to read (needs the moderation capability). `key` is a
# signing key of the publisher; its later keys are followed through its published rotations.
# `policy` says what each action does here: "ignore", "review" (a case in the local review
# queue with the entry as evidence; the default) or "apply" (the same sanction, until its end).
# A lifting entry lifts what the entry it negates caused.
#   subscriptions = [{ url = "https://other.example", key = "ed25519:<64 hex>",
#       policy = { default = "review", warn = "ignore", queue_cooldown = "apply" } }]
subscriptions = []

[logging]
# "human" or "json".
format = "human"
# Filter, e.g. "info" or "ic_server=debug,info".
level = "info"
"#;

#[cfg(test)]
mod tests {
    use super::super::{Config, load};

    #[test]
    #[cfg_attr(
        not(all(
            feature = "relay",
            feature = "ranking",
            feature = "matchmaking",
            feature = "moderation"
        )),
        ignore = "expects every capability compiled in"
    )]
    fn template_loads_to_the_defaults_without_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ic-server.toml");
        std::fs::write(&path, super::TEMPLATE).unwrap();
        let loaded = load(Some(&path), &[]).unwrap();
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }
}
