//! The web UI seen from outside: pages over plain HTTP (status codes, headers, error pages),
//! and the public pages in a real headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

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
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
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
    browser
        .find(Locator::LinkText("Leaderboard"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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
