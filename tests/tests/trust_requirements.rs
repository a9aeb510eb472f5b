//! End to end: a room on one community that requires games on another, with real `ic`
//! processes. The host sets the requirement and presents its own records of the other community
//! from the wallet (`--present`). A player with the games is seated, and one without them is
//! refused with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ic_e2e::community::Server;
use ic_e2e::player::Player;
use ic_e2e::text;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_requiring_games_on_another_community_seats_players_who_present_them() {
    // Bravo is on loopback, which Alpha fetches from only because its config allows it.
    let mut alpha = Server::with_config(
        "Alpha League",
        "[federation]\nallow_private_addresses = true\n",
    );
    let mut bravo = Server::new("Bravo Clan");
    alpha.start().await;
    bravo.start().await;
    let (host, guest, newcomer) = (Player::new(None), Player::new(None), Player::new(None));
    for player in [&host, &guest, &newcomer] {
        player.ok(&["join", &alpha.url()]);
        player.ok(&["join", &bravo.url()]);
    }
    for game in 1..=3 {
        bravo.play(game, host.key(), guest.key()).await;
    }
    for player in [&host, &guest, &newcomer] {
        player.ok(&["refresh"]);
    }
    let bravo_key = bravo.document().await["signing_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let requirement = format!("{bravo_key}:3");

    // Without presenting Bravo's records, the host itself is refused.
    let refused = host.run(&[
        "rooms",
        "open",
        "alpha-league",
        "--module",
        "ra",
        "--listed",
        "--require",
        &requirement,
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("requirement_unmet"),
        "{}",
        text(&refused)
    );
    let opened: Value = serde_json::from_slice(
        &host
            .ok(&[
                "rooms",
                "open",
                "alpha-league",
                "--module",
                "ra",
                "--listed",
                "--require",
                &requirement,
                "--present",
                "bravo-clan",
                "--json",
            ])
            .stdout,
    )
    .unwrap();
    let code = opened["code"].as_str().unwrap();
    let listed: Value = serde_json::from_slice(
        &guest
            .ok(&["rooms", "list", "alpha-league", "--json"])
            .stdout,
    )
    .unwrap();
    let room = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|room| room["code"] == code)
        .unwrap();
    assert_eq!(room["requires"]["communities"][0]["min_games"], 3);

    // The newcomer joined Bravo but played nothing there.
    let refused = newcomer.run(&[
        "rooms",
        "join",
        "alpha-league",
        code,
        "--present",
        "bravo-clan",
    ]);
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(said.contains("requirement_unmet"), "{said}");
    assert!(said.contains("0 rated games, at least 3"), "{said}");
    let seated: Value = serde_json::from_slice(
        &guest
            .ok(&[
                "rooms",
                "join",
                "alpha-league",
                code,
                "--present",
                "bravo-clan",
                "--json",
            ])
            .stdout,
    )
    .unwrap();
    assert_eq!(seated["slot"], 1, "{seated}");

    // A room open to any verified record: Bravo's record, with no games, will do.
    newcomer.ok(&[
        "rooms",
        "open",
        "alpha-league",
        "--module",
        "ra",
        "--require-any",
        "--present",
        "bravo-clan",
    ]);
    // A queue on Alpha that requires three games on Bravo: `ic queue join --present`.
    alpha.stop();
    let config = format!(
        "[matchmaking]\nrequirements = [{{ module = \"ra\", mode = \"ranked_2v2\", requires = \
         {{ kind = \"communities\", communities = [{{ key = \"{bravo_key}\", min_games = 3 }}] }} }}]\n\
         [federation]\nallow_private_addresses = true\n"
    );
    std::fs::write(alpha.dir.path().join("ic-server.toml"), config).unwrap();
    alpha.start().await;
    let join = [
        "queue",
        "join",
        "alpha-league",
        "--mode",
        "ranked_2v2",
        "--present",
        "bravo-clan",
    ];
    let refused = newcomer.run(&join);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("requirement_unmet"),
        "{}",
        text(&refused)
    );
    let joined = host.ok(&join);
    assert!(
        String::from_utf8_lossy(&joined.stdout).contains("queued"),
        "{}",
        text(&joined)
    );
}
