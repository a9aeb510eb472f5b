//! `ic-server demo` from the outside: it runs a community, bots play their matches through
//! the relay and get rated, and `--json` prints the final leaderboard as data.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::binary;
use serde_json::Value;

#[test]
fn the_demo_plays_rated_matches_and_prints_the_leaderboard_as_json() {
    let out = std::process::Command::new(binary())
        .args(["demo", "--bots", "4", "--matches", "4", "--json"])
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let board: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the JSON leaderboard ({e}): {stderr}"));
    assert_eq!(board.len(), 4, "{board:?}");
    // Every match has two players: at least 4 matches were rated.
    let games: u64 = board.iter().map(|row| row["games"].as_u64().unwrap()).sum();
    assert!(games >= 8 && games % 2 == 0, "{board:?}");
    for row in &board {
        assert!(row["player"].as_str().unwrap().starts_with("ed25519:"));
        assert!(row["rating"].as_f64().is_some());
        let skill = row["hidden_skill"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&skill));
    }
    // Best first, and somebody gained and somebody lost.
    let ratings: Vec<f64> = board
        .iter()
        .map(|r| r["rating"].as_f64().unwrap())
        .collect();
    assert!(ratings.windows(2).all(|w| w[0] >= w[1]), "{ratings:?}");
    assert!(ratings[0] > 1500.0 && ratings[3] < 1500.0, "{ratings:?}");
    // The plain-text progress went to stderr, one line per match.
    assert!(stderr.matches("match ").count() >= 4, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_names_its_web_ui_and_the_page_answers_while_it_runs() {
    use std::io::{BufRead, BufReader};
    let mut demo = std::process::Command::new(binary())
        .args(["demo", "--bots", "4", "--matches", "6"])
        .env_remove("IC_DATA_DIR")
        .env_remove("IC_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stderr.take().unwrap()).lines();
    let ui = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("watch it in a browser while it runs: ")
                .map(str::to_owned)
        })
        .expect("the demo prints its web UI address");
    let page = reqwest::get(&ui).await.unwrap();
    assert_eq!(page.status(), 200, "{ui}");
    assert!(page.text().await.unwrap().contains("<h1>Leaderboard</h1>"));
    // Drain the rest so the demo never blocks on a full pipe, then let it finish.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(demo.wait().unwrap().success());
}
