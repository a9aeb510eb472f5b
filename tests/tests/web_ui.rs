//! The web UI end to end: staff sign in with their own `ic` (which holds their key), and
//! moderation runs in a browser, on real `ic-server` and `ic` processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use ic_e2e::community::Server;
use ic_e2e::player::Player;
use ic_e2e::text;

/// Signs in with a login link as the browser's button does; returns the `ic_session=…` cookie.
async fn sign_in(link: &str) -> String {
    let (site, token) = link.split_once("/ui/sign-in?token=").unwrap();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{site}/ui/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// A player who joined `server`, pinned by its fingerprint.
async fn joined(server: &Server) -> Player {
    let player = Player::new(None);
    let fingerprint = server.document().await["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    player.ok(&["join", &server.url(), "--fingerprint", &fingerprint]);
    player
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ic_staff_login_prints_a_link_that_signs_the_players_key_in() {
    let mut server = Server::new("Harbour Clan");
    server.start().await;
    let player = joined(&server).await;

    // Without a role, the community refuses, and ic says why.
    let refused = player.run(&["staff", "login", &server.url()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("holds no staff role"),
        "{}",
        text(&refused)
    );
    // A community this wallet never joined: ic does not know which key to trust.
    let unknown = player.run(&["staff", "login", "http://127.0.0.1:9"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("join it first"),
        "{}",
        text(&unknown)
    );

    let key = player.key().to_string();
    let granted = server.cli(&["roles", "grant", &key, "reviewer"]);
    assert!(granted.status.success(), "{}", text(&granted));
    let output = player.ok(&["staff", "login", &server.url()]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let link = stdout.lines().last().unwrap();
    assert!(
        link.starts_with(&format!("{}/ui/sign-in?token=", server.url())),
        "{stdout}"
    );
    let cookie = sign_in(link).await;
    let staff = server
        .http
        .get(format!("{}/ui/staff", server.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), 200);
    let page = staff.text().await.unwrap();
    assert!(page.contains("reviewer"), "{page}");
}

/// A member registered through the API with a key of the test's own (reporters, the accused):
/// the key and a bearer token.
async fn member(server: &Server, seed: u8) -> (scr::KeyPair, String) {
    let key = scr::KeyPair::from_seed([seed; 32]);
    let api = ic_client::api::ApiClient::new(&server.url()).unwrap();
    let community = scr::CommunityKey::from(server.signing_key().public_key());
    let session = api.login(&key, &community).await.unwrap();
    api.register(&session, None).await.unwrap();
    (key, session.bearer_token().to_owned())
}

/// POSTs JSON with a bearer token; status and body.
async fn post(
    server: &Server,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = server
        .http
        .post(format!("{}{path}", server.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Signs the browser in with `link` as someone new: earlier cookies are dropped first.
async fn browser_sign_in(browser: &test_browser::Browser, link: &str) {
    browser.delete_all_cookies().await.unwrap();
    browser.goto(link).await.unwrap();
    browser.click_button("Sign in").await;
    browser.wait_for("//h1[text()='Staff']").await;
}

/// The `ic-server staff login-link` URL for `key`.
fn operator_link(server: &Server, key: &scr::KeyPair) -> String {
    let output = server.cli(&["staff", "login-link", &key.public_key().to_string()]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_reviewed_decided_and_reversed_on_appeal_in_a_browser() {
    let mut server = Server::new("Harbour Clan");
    // Moderation is in the competitive preset.
    std::fs::write(
        server.dir.path().join("ic-server.toml"),
        "[capabilities]\npreset = \"competitive\"\n",
    )
    .unwrap();
    server.start().await;
    let (operator, moderator) = (
        scr::KeyPair::from_seed([201; 32]),
        scr::KeyPair::from_seed([202; 32]),
    );
    for (key, role) in [(&operator, "admin"), (&moderator, "moderator")] {
        let output = server.cli(&["roles", "grant", &key.public_key().to_string(), role]);
        assert!(output.status.success(), "{}", text(&output));
    }
    let browser = test_browser::Browser::start().await;

    // The operator grants the reviewer role to three players who joined with ic.
    let mut reviewers = Vec::new();
    for _ in 0..3 {
        reviewers.push(joined(&server).await);
    }
    browser_sign_in(&browser, &operator_link(&server, &operator)).await;
    for reviewer in &reviewers {
        browser
            .goto(&format!("{}/ui/admin/roles", server.url()))
            .await
            .unwrap();
        browser.fill("key", &reviewer.key().to_string()).await;
        browser.choose("role", "reviewer").await;
        browser.click_button("Grant").await;
        browser
            .wait_for(&format!("//td[@title='{}']", reviewer.key()))
            .await;
    }
    browser.screenshot("flow-roles").await;
    browser
        .goto(&format!("{}/ui/admin", server.url()))
        .await
        .unwrap();
    browser.wait_for("//h1[text()='Dashboard']").await;
    browser.screenshot("flow-dashboard").await;

    // A player reports another they played with; the case waits for reviewers.
    let (reporter, reporter_token) = member(&server, 11).await;
    let (accused, accused_token) = member(&server, 12).await;
    server
        .play(
            900,
            reporter.public_key().into(),
            accused.public_key().into(),
        )
        .await;
    let (status, body) = post(
        &server,
        "/v1/reports",
        &reporter_token,
        serde_json::json!({ "accused": accused.public_key().to_string(), "category": "griefing", "note": "fed the enemy all game" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let case_id = body["case_id"].as_str().unwrap().to_owned();

    // Each reviewer signs in with their own ic, takes the case and votes.
    let accused_hex = hex::encode(accused.public_key().as_bytes());
    for (i, reviewer) in reviewers.iter().enumerate() {
        let output = reviewer.ok(&["staff", "login", &server.url()]);
        let link = String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap()
            .to_owned();
        browser_sign_in(&browser, &link).await;
        browser.click_link("Review").await;
        browser.wait_for("//h1[text()='Review']").await;
        browser.click_button("Take the next case").await;
        browser
            .wait_for(&format!("//h1[text()='Case {case_id}']"))
            .await;
        let page = browser.source().await.unwrap();
        assert!(
            !page.contains(&accused_hex),
            "a reviewer's page shows the accused's key"
        );
        browser.choose("decision", "suspected_griefing").await;
        browser.click_button("Vote").await;
        browser
            .wait_for("//p[contains(., 'suspected_griefing, confidence 80')]")
            .await;
        if i == 0 {
            browser.screenshot("flow-review-case").await;
        }
    }

    // The moderator sees the consensus and acts.
    browser_sign_in(&browser, &operator_link(&server, &moderator)).await;
    browser.click_link("Cases").await;
    browser.wait_for("//h1[text()='Cases']").await;
    browser.click_link(&case_id).await;
    let consensus = browser
        .wait()
        .for_element(Locator::Id("consensus"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(consensus.contains("consensus_reached"), "{consensus}");
    assert!(consensus.contains("suspected_griefing"), "{consensus}");
    browser.fill("action", "queue_cooldown:24").await;
    browser
        .fill("reason", "three reviewers agree: griefing")
        .await;
    browser.click_button("Act").await;
    browser
        .wait_for("//li[strong[starts-with(text(), 'queue_cooldown')]]")
        .await;
    browser.screenshot("flow-moderator-case").await;

    // The accused appeals; the moderator reverses it.
    let (status, body) = post(
        &server,
        "/v1/appeals",
        &accused_token,
        serde_json::json!({ "case_id": case_id, "statement": "my connection dropped, I was not feeding" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    browser
        .goto(&format!("{}/ui/moderation/appeals", server.url()))
        .await
        .unwrap();
    browser.screenshot("flow-appeals").await;
    let select = browser
        .find(Locator::Css("select[name='decision']"))
        .await
        .unwrap();
    let id = select.attr("id").await.unwrap().unwrap();
    browser.choose(&id, "reverse").await;
    let reason_id = id.replace("decision-", "reason-");
    browser
        .fill(&reason_id, "the relay log shows a disconnect")
        .await;
    browser.click_button("Decide").await;
    browser.wait_for("//strong[text()='reversed']").await;
    browser.click_link(&case_id).await;
    browser
        .wait_for("//li[contains(., 'reversed on appeal')]")
        .await;
    browser.close().await;
}
