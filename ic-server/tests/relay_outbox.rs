//! Two real processes: a relay-only `ic-server` sends its certified results over HTTP to a
//! ranking `ic-server`; with the ranking process (and once the relay too) down while matches
//! end, the outbox delivers every result once it is back, each applied exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
// Only its tickets and bot plans are used here.
#[allow(unused_imports)]
mod relay_support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use ic_client::relay::RelayClient;
use ic_client::relay::bot::{BotEnd, BotReport};
use relay_support::{community_ticket, plan, play_both};
use scr::payload::Payload;
use scr::{KeyPair, PublicKey, Record};
use sha2::{Digest, Sha256};

/// A free TCP port on loopback, for a server that must come back where the relay expects it.
fn ranking_server(dir: &Path, listen: &str) -> Server {
    Server::spawn_at(
        dir,
        listen,
        &[("IC_LOGGING_LEVEL", "\"warn\"")],
        Stdio::inherit(),
    )
}

/// The relay-only server and where players reach its relay.
async fn relay_server(dir: &Path) -> (Server, SocketAddr, PublicKey) {
    let server = Server::spawn(dir);
    let document = server.document().await;
    let listed = &document["relays"][0];
    let address = listed["address"].as_str().unwrap().parse().unwrap();
    let key = listed["key"].as_str().unwrap().parse().unwrap();
    (server, address, key)
}

/// `a` (slot 0, the winner) and `b` play game `game_id` on the relay at `address` with tickets
/// signed by the ranking community; each bot waits for `records` pushed records.
async fn play(
    address: SocketAddr,
    relay_key: PublicKey,
    community: &KeyPair,
    players: [&KeyPair; 2],
    game_id: u64,
    records: usize,
) -> (BotReport, BotReport) {
    let mut sessions = Vec::new();
    for (slot, key) in (0u8..).zip(players) {
        let ticket = community_ticket(community, key, game_id, slot);
        let client = RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
        let session = client
            .connect(address, relay_key, key, &ticket)
            .await
            .unwrap();
        // The endpoint must outlive the session.
        sessions.push((client, session));
    }
    let mut plan_ = plan(30);
    plan_.expect_records = records;
    let (b, a) = (sessions.pop().unwrap(), sessions.pop().unwrap());
    let reports = play_both(a.1, plan_.clone(), b.1, plan_).await;
    drop((a.0, b.0));
    assert_eq!(reports.0.end, BotEnd::Finished, "{:?}", reports.0);
    assert_eq!(reports.1.end, BotEnd::Finished, "{:?}", reports.1);
    reports
}

/// Rated games and match records the ranking community holds for `key`.
async fn standing(server: &Server, key: &KeyPair) -> (u32, usize) {
    let token = server.login(key).await;
    let (status, body) = server
        .get("/v1/players/me/records?since=0", Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let decoded: Vec<Record> = records(&body["records"])
        .iter()
        .map(|bytes| Record::decode(bytes).unwrap())
        .collect();
    let games = decoded
        .iter()
        .filter_map(|record| match record.payload() {
            Payload::Rating(rating) => Some((record.sequence(), rating.games_played)),
            _ => None,
        })
        .max()
        .unwrap()
        .1;
    let matches = decoded
        .iter()
        .filter(|record| matches!(record.payload(), Payload::Match(_)))
        .count();
    (games, matches)
}

/// Polls `/metrics` until sample `name` is at least `value` (bots leave as soon as they have the
/// result, possibly before the relay handed it to the outbox); returns its value.
async fn reaches(server: &Server, name: &str, value: f64) -> f64 {
    for _ in 0..100 {
        let now = server.metric(name).await;
        if now >= value {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} did not reach {value} within 10 s");
}

/// Polls the relay's outbox metrics until nothing is queued and `delivered` were delivered.
async fn drained(relay: &Server, delivered: f64) {
    for _ in 0..300 {
        if relay.metric("ic_relay_outbox_queued").await == 0.0
            && relay.metric("ic_relay_outbox_delivered_total").await >= delivered
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "outbox not drained within 30 s: queued {}, delivered {}",
        relay.metric("ic_relay_outbox_queued").await,
        relay.metric("ic_relay_outbox_delivered_total").await
    );
}

/// A ranking server (its own relay off) and a relay-only server that sends it results.
struct Pair {
    dir: tempfile::TempDir,
    listen: String,
    community: KeyPair,
    ranking: Server,
    relay: Server,
    address: SocketAddr,
    relay_key: PublicKey,
    /// The ranking server's `[storage]` lines, kept when its config is rewritten.
    ranking_storage: String,
}

impl Pair {
    /// Starts both; the ranking server trusts the relay's key only when `trust` is set.
    async fn start(trust: bool, backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let ranking_storage = backend.storage();
        Server::init(
            &dir.path().join("ranking"),
            &format!(
                "{TEST_LIMITS}{NO_ACHIEVEMENTS}[capabilities]\npreset = \"community\"\nrelay = false\n\
                 {ranking_storage}"
            ),
        );
        let community =
            ic_server::data_dir::read_key_file(&dir.path().join("ranking/keys/signing.key"))
                .unwrap();
        Server::init(
            &dir.path().join("relay"),
            &format!(
                "[capabilities]\npreset = \"minimal\"\n\
                 [relay]\ncommunity_url = \"http://{listen}\"\n\
                 ticket_signers = [\"{}\"]\n\
                 outbox_retry_min_secs = 1\noutbox_retry_max_secs = 2\n{}",
                community.public_key(),
                backend.storage()
            ),
        );
        if trust {
            let (code, _, err) = cli(
                &dir.path().join("ranking"),
                &["relays", "trust", &Self::relay_public(&dir)],
            );
            assert_eq!(code, 0, "{err}");
        }
        let ranking = ranking_server(&dir.path().join("ranking"), &listen);
        let (relay, address, relay_key) = relay_server(&dir.path().join("relay")).await;
        Self {
            dir,
            listen,
            community,
            ranking,
            relay,
            address,
            relay_key,
            ranking_storage,
        }
    }

    fn relay_public(dir: &tempfile::TempDir) -> String {
        ic_server::data_dir::read_key_file(&dir.path().join("relay/keys/relay.key"))
            .unwrap()
            .public_key()
            .to_string()
    }

    fn ranking_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("ranking")
    }

    fn relay_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("relay")
    }

    /// `players[0]` beats `players[1]` in game `game_id`; each bot waits for `records` records.
    async fn play(
        &self,
        players: [&KeyPair; 2],
        game_id: u64,
        records: usize,
    ) -> (BotReport, BotReport) {
        play(
            self.address,
            self.relay_key,
            &self.community,
            players,
            game_id,
            records,
        )
        .await
    }
}

async fn results_reach_a_remote_community_and_survive_its_outage_exactly_once(backend: Backend) {
    let mut pair = Pair::start(true, backend).await;
    let community = pair.community.clone();
    let [a, b, c, d] = [player(81), player(82), player(83), player(84)];
    for p in [&a, &b, &c, &d] {
        pair.ranking.register(p).await;
    }

    // Game 1 with the community up: the result goes over HTTP at once and the records the
    // community issued come back to both players over the relay connection.
    let (ra, rb) = pair.play([&a, &b], 1, 2).await;
    for (report, player) in [(&ra, &a), (&rb, &b)] {
        assert_eq!(report.records.len(), 2, "{report:?}");
        for bytes in &report.records {
            let record = Record::decode(bytes).unwrap();
            assert_eq!(record.player_key(), player.public_key().into());
            assert_eq!(record.community_key(), community.public_key());
        }
    }
    assert_eq!(
        pair.ranking
            .metric("ic_matches_total{outcome=\"accepted\"}")
            .await,
        1.0
    );
    assert_eq!(standing(&pair.ranking, &a).await, (1, 1));
    assert_eq!(standing(&pair.ranking, &b).await, (1, 1));
    drained(&pair.relay, 1.0).await;
    let mut cmrs = vec![ra.cmr.clone().unwrap()];

    // The community goes down; two games end. They cannot be rated now: no records are pushed.
    pair.ranking.kill();
    for (game, players) in [(2, [&a, &b]), (3, [&c, &d])] {
        let (ra, rb) = pair.play(players, game, 0).await;
        assert!(ra.records.is_empty() && rb.records.is_empty(), "{ra:?}");
        cmrs.push(ra.cmr.unwrap());
    }
    assert_eq!(
        reaches(&pair.relay, "ic_relay_outbox_queued", 2.0).await,
        2.0
    );
    reaches(&pair.relay, "ic_relay_outbox_retries_total", 2.0).await;

    // The relay crashes too; its outbox is on disk. Back up, it plays one more game.
    pair.relay.kill();
    let (code, out, err) = cli(&pair.relay_dir(), &["relays", "outbox"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pending: 2") && out.contains("refused: 0"),
        "{out}"
    );
    (pair.relay, pair.address, pair.relay_key) = relay_server(&pair.relay_dir()).await;
    let (ra, _) = pair.play([&a, &c], 4, 0).await;
    cmrs.push(ra.cmr.unwrap());
    assert_eq!(
        reaches(&pair.relay, "ic_relay_outbox_queued", 3.0).await,
        3.0
    );

    // The community comes back where the relay expects it: every result is delivered.
    pair.ranking = ranking_server(&pair.ranking_dir(), &pair.listen);
    drained(&pair.relay, 3.0).await;
    assert_eq!(
        pair.relay.metric("ic_relay_outbox_refused_total").await,
        0.0
    );

    // Exactly once: each player's rated games and match records equal the games played.
    let expected = [(&a, 3), (&b, 2), (&c, 2), (&d, 1)];
    for (player, games) in expected {
        assert_eq!(
            standing(&pair.ranking, player).await,
            (games, games as usize)
        );
    }
    // Submitting every result again changes nothing.
    for cmr in cmrs {
        let (status, body) = pair.ranking.post_bytes("/v1/matches", cmr).await;
        assert_eq!(status, 200, "{body}");
    }
    for (player, games) in expected {
        assert_eq!(
            standing(&pair.ranking, player).await,
            (games, games as usize)
        );
    }
}

async fn a_refused_result_is_kept_until_the_operator_sends_it_again(backend: Backend) {
    // The ranking community does not trust the relay yet: it refuses the result (403).
    let pair = Pair::start(false, backend).await;
    let [a, b] = [player(91), player(92)];
    for p in [&a, &b] {
        pair.ranking.register(p).await;
    }
    let (ra, _) = pair.play([&a, &b], 1, 0).await;
    let match_id = hex::encode(Sha256::digest(ra.cmr.unwrap()));
    assert_eq!(
        reaches(&pair.relay, "ic_relay_outbox_refused_total", 1.0).await,
        1.0
    );
    assert_eq!(pair.relay.metric("ic_relay_outbox_queued").await, 0.0);
    // Refused for good: not retried.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        pair.relay.metric("ic_relay_outbox_retries_total").await,
        0.0
    );
    assert_eq!(standing(&pair.ranking, &a).await, (0, 0));
    let (code, out, err) = cli(&pair.relay_dir(), &["relays", "outbox"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("refused: 1") && out.contains(&match_id),
        "{out}"
    );
    assert!(out.contains("403"), "{out}");

    // The operators fix it: the community trusts the relay, the relay sends the result again.
    let (code, _, err) = cli(
        &pair.ranking_dir(),
        &["relays", "trust", &Pair::relay_public(&pair.dir)],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&pair.relay_dir(), &["relays", "retry", &match_id]);
    assert_eq!(code, 0, "{err}");
    drained(&pair.relay, 1.0).await;
    assert_eq!(standing(&pair.ranking, &a).await, (1, 1));
    assert_eq!(standing(&pair.ranking, &b).await, (1, 1));
    // Only a refused result can be sent again.
    let (code, _, err) = cli(&pair.relay_dir(), &["relays", "retry", &match_id]);
    assert_ne!(code, 0);
    assert!(err.contains("no refused result"), "{err}");
    let (code, _, err) = cli(&pair.relay_dir(), &["relays", "retry", "abc"]);
    assert_ne!(code, 0, "{err}");
}

/// The ranking server's matchmaker places a found match on the relay of the other server
/// (`[matchmaking] relays`), which admits the community's tickets; a listed relay that answers
/// with another key is passed over; the result comes home over HTTP and is rated.
async fn the_matchmaker_places_matches_on_the_relay_of_another_server(backend: Backend) {
    let mut pair = Pair::start(true, backend).await;
    // Restart the ranking server with the relay listed, behind an entry with a wrong key.
    pair.ranking.stop();
    let wrong_key = KeyPair::from_seed([0x44; 32]).public_key();
    std::fs::write(
        pair.ranking_dir().join("ic-server.toml"),
        format!(
            "{TEST_LIMITS}{NO_ACHIEVEMENTS}[capabilities]\npreset = \"community\"\nrelay = false\n\
             [matchmaking]\npass_interval_min_ms = 50\npass_interval_max_ms = 200\n\
             relays = [{{ address = \"{address}\", key = \"{wrong_key}\" }}, \
             {{ address = \"{address}\", key = \"{key}\" }}]\n{storage}",
            address = pair.address,
            key = pair.relay_key,
            storage = pair.ranking_storage,
        ),
    )
    .unwrap();
    pair.ranking = ranking_server(&pair.ranking_dir(), &pair.listen);

    let players = [player(95), player(96)];
    let (tokens, _) = queue_and_accept(&pair.ranking, &players).await;
    let mut sessions = Vec::new();
    for (key, token) in players.iter().zip(&tokens) {
        let ready = queue_event(&pair.ranking, token, "match_ready").await;
        assert_eq!(ready["relay_address"], pair.address.to_string());
        assert_eq!(ready["relay_key"], pair.relay_key.to_string(), "{ready}");
        sessions.push(connect_as(&ready, key).await);
    }
    let (b, a) = (sessions.pop().unwrap(), sessions.pop().unwrap());
    let reports = play_both(a.1, plan(30), b.1, plan(30)).await;
    drop((a.0, b.0));
    for report in [&reports.0, &reports.1] {
        assert_eq!(report.end, BotEnd::Finished, "{report:?}");
        assert_eq!(report.records.len(), 2, "records came back over the relay");
    }
    for key in &players {
        assert_eq!(standing(&pair.ranking, key).await, (1, 1));
    }
}

/// Several processes on one PostgreSQL database: a relay-only process hands its results to
/// the two ranking processes through the database (each result taken by one of them), and the
/// records they issue still reach the players over the relay; with one ranking process gone
/// the other takes everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_process_hands_results_to_ranking_processes_through_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Backend::Postgres.storage();
    let ranking_config = format!(
        "{TEST_LIMITS}{NO_ACHIEVEMENTS}[capabilities]\npreset = \"community\"\nrelay = false\n{storage}"
    );
    let first = dir.path().join("ranking-1");
    Server::init(&first, &ranking_config);
    let second = dir.path().join("ranking-2");
    std::fs::create_dir_all(&second).unwrap();
    init_sharing_keys(&first, &second, &ranking_config);
    let relay_dir = dir.path().join("relay");
    std::fs::create_dir_all(&relay_dir).unwrap();
    init_sharing_keys(
        &first,
        &relay_dir,
        &format!("[capabilities]\npreset = \"minimal\"\n{storage}"),
    );
    let mut rankings = [Server::spawn(&first), Server::spawn(&second)];
    let (relay, address, relay_key) = relay_server(&relay_dir).await;
    let community = rankings[0].signing_key();
    let [a, b, c, d] = [player(71), player(72), player(73), player(74)];
    for p in [&a, &b, &c, &d] {
        rankings[0].register(p).await;
    }

    // Four games at once: every player gets the two records the ranking side issued.
    let games = [(1, [&a, &b]), (2, [&c, &d]), (3, [&a, &c]), (4, [&b, &d])];
    for pair in games.chunks(2) {
        let (x, y) = tokio::join!(
            play(address, relay_key, &community, pair[0].1, pair[0].0, 2),
            play(address, relay_key, &community, pair[1].1, pair[1].0, 2)
        );
        for report in [x.0, x.1, y.0, y.1] {
            assert_eq!(report.records.len(), 2, "{report:?}");
        }
    }
    for p in [&a, &b, &c, &d] {
        assert_eq!(standing(&rankings[1], p).await, (2, 2));
    }
    // Each result was taken by one process: four accepted between them, none seen twice.
    let mut accepted = 0.0;
    let mut duplicates = 0.0;
    for ranking in &rankings {
        accepted += ranking
            .metric("ic_matches_total{outcome=\"accepted\"}")
            .await;
        duplicates += ranking
            .metric("ic_matches_total{outcome=\"duplicate\"}")
            .await;
    }
    assert_eq!((accepted, duplicates), (4.0, 0.0));

    // One ranking process gone: the other applies the next result alone.
    rankings[0].kill();
    let (ra, rb) = play(address, relay_key, &community, [&a, &d], 5, 2).await;
    assert_eq!((ra.records.len(), rb.records.len()), (2, 2));
    assert_eq!(standing(&rankings[1], &a).await, (3, 3));
    let (code, out, err) = cli(&relay_dir, &["relays", "outbox"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pending: 0") && out.contains("refused: 0"),
        "{out}"
    );
    drop(relay);
}

/// The same repair as above, from the relay's web dashboard instead of its command line.
async fn a_refused_result_is_sent_again_from_the_dashboard(backend: Backend) {
    let pair = Pair::start(false, backend).await;
    let [a, b] = [player(93), player(94)];
    for p in [&a, &b] {
        pair.ranking.register(p).await;
    }
    let (ra, _) = pair.play([&a, &b], 1, 0).await;
    let match_id = hex::encode(Sha256::digest(ra.cmr.unwrap()));
    reaches(&pair.relay, "ic_relay_outbox_refused_total", 1.0).await;
    let operator = player(95);
    web::grant(&pair.relay, &operator, "admin");
    let link = web::operator_login_link(&pair.relay, &operator);
    let cookie = web::session_of(&web::sign_in(&pair.relay, &link).await);
    let (status, page) = web::get_with(&pair.relay, "/ui/admin", &cookie).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("0 pending, 1 refused"), "{page}");
    assert!(page.contains(&match_id) && page.contains("403"), "{page}");

    let (code, _, err) = cli(
        &pair.ranking_dir(),
        &["relays", "trust", &Pair::relay_public(&pair.dir)],
    );
    assert_eq!(code, 0, "{err}");
    let retry = format!("/ui/admin/outbox/{match_id}/retry");
    let csrf = web::csrf_of(&page);
    let form = [("csrf", csrf.as_str())];
    let (status, _) = web::post_with(&pair.relay, &retry, &cookie, &form).await;
    assert_eq!(status, 303);
    drained(&pair.relay, 1.0).await;
    assert_eq!(standing(&pair.ranking, &a).await, (1, 1));
    let (_, page) = web::get_with(&pair.relay, "/ui/admin", &cookie).await;
    assert!(page.contains("0 pending, 0 refused"), "{page}");
}

crate::on_each_backend!(
    results_reach_a_remote_community_and_survive_its_outage_exactly_once,
    a_refused_result_is_kept_until_the_operator_sends_it_again,
    a_refused_result_is_sent_again_from_the_dashboard,
    the_matchmaker_places_matches_on_the_relay_of_another_server,
);
