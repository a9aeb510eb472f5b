//! The web UI seen from outside: pages over plain HTTP (status codes, headers, error pages),
//! and the public pages in a real headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::web::{
    csrf_of, get_with, grant, no_redirects, operator_login_link, post_with, session_of, sign_in,
};
use common::{Backend, Server, TEST_LIMITS, play_ladder, player};
use fantoccini::Locator;
use scr::KeyPair;
use test_browser::Browser;

/// A GET of `path`: status, headers and body text.
async fn fetch(server: &Server, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = server
        .http
        .get(format!("{}{path}", server.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// A community where every registered player is on the leaderboard, with four players who have
/// played each other: player 1 beats everyone, player 2 beats 3 and 4, player 3 beats 4.
async fn community_with_a_ladder(
    dir: &std::path::Path,
    backend: Backend,
) -> (Server, Vec<KeyPair>) {
    let config = format!(
        "{TEST_LIMITS}[community]\nname = \"Harbour Clan\"\n\
         [rating.leaderboard]\nmin_matches = 0\nmin_distinct_opponents = 0\n{}",
        backend.storage()
    );
    let server = Server::start(dir, &config);
    let players: Vec<_> = (1..=4).map(player).collect();
    play_ladder(&server, &players).await;
    (server, players)
}

fn short(key: &KeyPair) -> String {
    let full = key.public_key().to_string();
    let hex = full.strip_prefix("ed25519:").unwrap();
    format!("ed25519:{}…{}", &hex[..8], &hex[hex.len() - 4..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_html_with_strict_headers_and_a_cacheable_stylesheet() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), TEST_LIMITS);
    let (status, headers, home) = fetch(&server, "/ui/").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    // Works offline: every link and resource stays on this server.
    for attribute in ["href=\"", "src=\""] {
        for value in home.split(attribute).skip(1) {
            assert!(
                value.starts_with('/') || value.starts_with('#'),
                "{attribute}{value}"
            );
        }
    }
    assert!(!home.contains("<script"));
    let stylesheet = home
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(stylesheet.starts_with("/ui/assets/style."), "{stylesheet}");
    let (status, headers, css) = fetch(&server, &stylesheet).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(css.contains("prefers-color-scheme: dark"));
    let (status, _, page) = fetch(&server, "/ui/assets/style.0000000000000000.css").await;
    assert_eq!(status, 404);
    assert!(page.contains("no such file"), "{page}");
    let (status, headers, page) = fetch(&server, "/ui/no/such/page").await;
    assert_eq!(status, 404);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(page.contains("there is no page at this address"));
    let response = no_redirects()
        .get(format!("{}/ui", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "/ui/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_ui_answers_capability_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}[ui]\nenabled = false\n"));
    for path in ["/ui", "/ui/", "/ui/leaderboard", "/ui/assets/style.css"] {
        let (status, body) = server.get(path, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("capability_disabled")),
            "{path}: {body}"
        );
    }
    // The API is unaffected.
    let (status, _) = server.get("/v1/leaderboard", None).await;
    assert_eq!(status, 200);
}

async fn bad_input_gets_a_readable_error_page(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (server, players) = community_with_a_ladder(dir.path(), backend).await;
    let stranger = player(99).public_key().to_string();
    let cases = [
        (
            "/ui/players/not-a-key",
            400,
            "ed25519:&lt;64 hex digits&gt;",
        ),
        (
            &format!("/ui/players/{stranger}") as &str,
            404,
            "not_registered",
        ),
        ("/ui/leaderboard?module=nope", 422, "unknown_game_module"),
        ("/ui/leaderboard?after=garbage", 400, "after must be"),
        ("/ui/leaderboard?start=-1", 400, "invalid_query"),
    ];
    for (path, expected, says) in cases {
        let (status, headers, page) = fetch(&server, path).await;
        assert_eq!(status, expected, "{path}: {page}");
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        assert!(page.contains(says), "{path} should say {says}: {page}");
        assert!(page.contains("role=\"alert\""), "{path}");
    }
    // And a good request still works afterwards.
    let key = players[0].public_key().to_string();
    let (status, _, page) = fetch(&server, &format!("/ui/players/{key}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&key));
    // The ladder's top player won all three of their matches; each row links the opponent.
    assert!(page.contains("Recent matches"), "{page}");
    assert_eq!(page.matches("<td>win</td>").count(), 3, "{page}");
    for other in &players[1..] {
        let link = format!("href=\"/ui/players/{}\"", other.public_key());
        assert!(page.contains(&link), "{link} in {page}");
    }
    // The rating chart: the start and one point per match, rising with each win.
    assert!(page.contains("<figure class=\"rating-chart\">"), "{page}");
    let points = page
        .split("points=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let heights: Vec<i64> = points
        .split(' ')
        .map(|xy| xy.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(heights.len(), 4, "{points}");
    assert!(heights.windows(2).all(|w| w[1] < w[0]), "rising: {points}");
    assert!(page.contains("over the last 3 matches"), "{page}");
}

async fn the_public_leaderboard_lists_registered_players_in_a_browser(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (server, players) = community_with_a_ladder(dir.path(), backend).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/ui/", server.url)).await.unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Harbour Clan");
    let fingerprint = server.community_key().await.fingerprint().to_string();
    let facts = browser.find(Locator::Css("dl.facts")).await.unwrap();
    assert!(facts.text().await.unwrap().contains(&fingerprint));
    browser.screenshot(&format!("home-{backend:?}")).await;

    // The site navigation leads to the leaderboard.
    browser.click_link("Leaderboard").await;
    browser.wait_for("//h1[text()='Leaderboard']").await;
    let rows = browser
        .find_all(Locator::Css("table tbody tr td.key a"))
        .await
        .unwrap();
    let mut listed = Vec::new();
    for row in &rows {
        listed.push(row.text().await.unwrap());
    }
    assert_eq!(listed, players.iter().map(short).collect::<Vec<_>>());
    browser
        .screenshot(&format!("leaderboard-{backend:?}"))
        .await;

    // A player's row leads to their page with their standing.
    rows[0].click().await.unwrap();
    browser.wait_for("//h1[starts-with(., 'Player')]").await;
    let url = browser.current_url().await.unwrap();
    assert!(
        url.path().ends_with(&players[0].public_key().to_string()),
        "{url}"
    );
    let cells = browser
        .find_all(Locator::Css("table tbody tr td"))
        .await
        .unwrap();
    let mut text = Vec::new();
    for cell in &cells {
        text.push(cell.text().await.unwrap());
    }
    assert_eq!(text[0], "ra");
    assert!(text.contains(&"3–0–0".to_owned()), "{text:?}");
    browser.screenshot(&format!("player-{backend:?}")).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_fit_a_phone_and_start_with_a_skip_link() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = community_with_a_ladder(dir.path(), Backend::Sqlite).await;
    let browser = Browser::start_sized(500, 900).await;
    browser
        .goto(&format!("{}/ui/leaderboard", server.url))
        .await
        .unwrap();
    // Nothing wider than the screen: no sideways scrolling of the page itself.
    let widths = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let widths: Vec<u64> = serde_json::from_value(widths).unwrap();
    assert!(
        widths[0] <= widths[1],
        "page {} wide on a {} screen",
        widths[0],
        widths[1]
    );
    // Keyboard users reach the content first.
    browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{e004}")
        .await
        .unwrap();
    let focused = browser
        .execute("return document.activeElement.textContent;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "Skip to content");
    browser.screenshot("leaderboard-phone").await;
    browser.close().await;
}

on_each_backend!(
    bad_input_gets_a_readable_error_page,
    the_public_leaderboard_lists_registered_players_in_a_browser,
);

async fn staff_sign_in_is_single_use_and_forms_need_the_sessions_csrf_token(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let (operator, reviewer, stranger) = (player(1), player(2), player(3));

    // No role, no link.
    let (code, _, err) = common::cli(
        &server.data_dir,
        &["staff", "login-link", &stranger.public_key().to_string()],
    );
    assert_ne!(code, 0);
    assert!(err.contains("holds no staff role"), "{err}");

    grant(&server, &operator, "admin");
    let link = operator_login_link(&server, &operator);
    // Opening the link only shows whom it signs in; it can be opened again.
    for _ in 0..2 {
        let (status, _, page) = fetch(&server, link.strip_prefix(&server.url).unwrap()).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("method=\"post\" action=\"/ui/sign-in\""));
    }
    let signed_in = sign_in(&server, &link).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/ui/staff");
    let set_cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP gets no Secure cookie"
    );
    let cookie = session_of(&signed_in);
    // Used: refused, on the page and on the button.
    let (status, _, page) = fetch(&server, link.strip_prefix(&server.url).unwrap()).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("invalid_login_link"));
    assert_eq!(sign_in(&server, &link).await.status(), 410);

    let (status, staff_page) = get_with(&server, "/ui/staff", &cookie).await;
    assert_eq!(status, 200);
    assert!(staff_page.contains("admin"));
    let (status, roles_page) = get_with(&server, "/ui/admin/roles", &cookie).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&roles_page);
    let reviewer_key = reviewer.public_key().to_string();
    let grant = [
        ("action", "grant"),
        ("key", reviewer_key.as_str()),
        ("role", "reviewer"),
    ];

    // Without the token, or with another session's, nothing changes.
    let (status, page) = post_with(&server, "/ui/admin/roles", &cookie, &grant).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("csrf_mismatch"));
    let zeros = "0".repeat(64);
    let forged = [grant.as_slice(), &[("csrf", zeros.as_str())]].concat();
    let (status, _) = post_with(&server, "/ui/admin/roles", &cookie, &forged).await;
    assert_eq!(status, 403);
    let (_, out, _) = common::cli(&server.data_dir, &["roles", "list"]);
    assert!(!out.contains(&reviewer_key), "{out}");

    // With it, the role is granted; bad input is a readable 400.
    let with_token = [grant.as_slice(), &[("csrf", csrf.as_str())]].concat();
    let (status, _) = post_with(&server, "/ui/admin/roles", &cookie, &with_token).await;
    assert_eq!(status, 303);
    let (_, out, _) = common::cli(&server.data_dir, &["roles", "list"]);
    assert!(out.contains(&format!("{reviewer_key}  reviewer")), "{out}");
    let bad = [
        ("csrf", csrf.as_str()),
        ("action", "grant"),
        ("key", "nope"),
        ("role", "reviewer"),
    ];
    let (status, page) = post_with(&server, "/ui/admin/roles", &cookie, &bad).await;
    assert_eq!(status, 400);
    assert!(page.contains("invalid_key"));

    // The reviewer signs in through the API with their own key (as `ic staff login` does),
    // and may not open an admin page.
    let token = server.login(&reviewer).await;
    let (status, body) = server
        .post_json("/v1/staff/login-link", &serde_json::json!({}), Some(&token))
        .await;
    assert_eq!(status, 201, "{body}");
    let reviewer_link = body["url"].as_str().unwrap();
    let reviewer_cookie = session_of(&sign_in(&server, reviewer_link).await);
    let (status, page) = get_with(&server, "/ui/admin/roles", &reviewer_cookie).await;
    assert_eq!(status, 403);
    assert!(page.contains("needs the admin role"));
    // A player without a role gets no link.
    let token = server.login(&stranger).await;
    let (status, body) = server
        .post_json("/v1/staff/login-link", &serde_json::json!({}), Some(&token))
        .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("not_staff")));

    // Signing out needs the token too, and ends the session.
    let (status, _) = post_with(&server, "/ui/sign-out", &cookie, &[]).await;
    assert_eq!(status, 403);
    let (status, _) = post_with(&server, "/ui/sign-out", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let (status, page) = get_with(&server, "/ui/staff", &cookie).await;
    assert_eq!(status, 401);
    assert!(page.contains("ic staff login"));
}

async fn an_expired_login_link_is_refused(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let storage = backend.storage();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{storage}"));
    let operator = player(1);
    grant(&server, &operator, "admin");
    let link = operator_login_link(&server, &operator);
    // Five minutes pass: the link's expiry moves into the past where the server keeps it.
    let expire = "UPDATE web_login_links SET expires_at = expires_at - 301";
    match backend {
        Backend::Sqlite => {
            let db = rusqlite::Connection::open(server.data_dir.join("ic-server.db")).unwrap();
            assert_eq!(db.execute(expire, []).unwrap(), 1);
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let url = storage.split('"').nth(1).unwrap();
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            let done = sqlx::query(expire).execute(&mut db).await.unwrap();
            assert_eq!(done.rows_affected(), 1);
        }
    }
    let (status, _, page) = fetch(&server, link.strip_prefix(&server.url).unwrap()).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("invalid_login_link"), "{page}");
    let refused = sign_in(&server, &link).await;
    assert_eq!(refused.status(), 410);
    assert!(refused.headers().get("set-cookie").is_none(), "no session");
}

async fn an_operator_signs_in_and_grants_a_role_in_a_browser(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{TEST_LIMITS}{}", backend.storage()));
    let (operator, reviewer) = (player(1), player(2));
    grant(&server, &operator, "admin");
    let link = operator_login_link(&server, &operator);
    let browser = Browser::start().await;
    browser.goto(&link).await.unwrap();
    browser.click_button("Sign in").await;
    browser.wait_for("//h1[text()='Staff']").await;
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/ui/staff")
    );
    browser.screenshot(&format!("staff-{backend:?}")).await;
    browser.click_link("Roles").await;
    browser.wait_for("//h1[text()='Roles']").await;
    let key = reviewer.public_key().to_string();
    browser.fill("key", &key).await;
    browser.choose("role", "reviewer").await;
    browser.click_button("Grant").await;
    // The form posts, and the browser follows the answer back to the list with the new row.
    let row = browser.wait_for("//tr[td[text()='reviewer']]").await;
    assert!(row.text().await.unwrap().contains("Revoke"));
    browser.screenshot(&format!("roles-{backend:?}")).await;
    let (_, out, _) = common::cli(&server.data_dir, &["roles", "list"]);
    assert!(out.contains(&format!("{key}  reviewer")), "{out}");
    browser.close().await;
}

on_each_backend!(
    staff_sign_in_is_single_use_and_forms_need_the_sessions_csrf_token,
    an_expired_login_link_is_refused,
    an_operator_signs_in_and_grants_a_role_in_a_browser,
);

async fn the_dashboard_is_for_admins_and_shows_the_communitys_state(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (server, players) = community_with_a_ladder(dir.path(), backend).await;
    let (operator, reviewer) = (player(50), player(51));
    grant(&server, &operator, "admin");
    grant(&server, &reviewer, "reviewer");
    let admin = session_of(&sign_in(&server, &operator_login_link(&server, &operator)).await);
    let (status, page) = get_with(&server, "/ui/admin", &admin).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("<dd id=\"players\">{}</dd>", players.len())),
        "{page}"
    );
    assert!(page.contains("answering"));
    assert!(page.contains("0 pending, 0 refused"));
    let fingerprint = server.community_key().await.fingerprint().to_string();
    assert!(page.contains(&fingerprint));
    // Retrying what is not a refused result is a readable error, and needs the token.
    let csrf = csrf_of(&get_with(&server, "/ui/staff", &admin).await.1);
    let unknown = format!("/ui/admin/outbox/{}/retry", "ab".repeat(32));
    let (status, page) = post_with(&server, &unknown, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("not_refused"));
    let (status, _) = post_with(&server, &unknown, &admin, &[]).await;
    assert_eq!(status, 403);
    let (status, page) = post_with(
        &server,
        "/ui/admin/outbox/xyz/retry",
        &admin,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    // Not for reviewers.
    let reviewing = session_of(&sign_in(&server, &operator_login_link(&server, &reviewer)).await);
    let (status, page) = get_with(&server, "/ui/admin", &reviewing).await;
    assert_eq!(status, 403);
    assert!(page.contains("needs the admin role"));
}

on_each_backend!(the_dashboard_is_for_admins_and_shows_the_communitys_state);
