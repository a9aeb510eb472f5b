//! `ic-server demo`: the whole system in one command. A community with every capability runs
//! on loopback; bots with real wallets and hidden skills queue, play through the relay, get
//! certified, rated and signed records; the leaderboard is compared with the hidden truth.
//!
//! `community.rs` starts the server, `bot.rs` plays, `skill.rs` is the hidden truth and the
//! rank correlation, `view.rs` draws.

mod bot;
mod community;
pub mod skill;
mod view;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};
use ic_client::identity::Identity;
use ic_client::wallet::Wallet;
use ic_client::{Client, JoinOptions};
use scr::PlayerKey;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use bot::{Arena, Bot};
use community::DemoCommunity;
use view::{Standing, View, table};

/// How the demo runs.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Bots that play (2–64).
    pub bots: usize,
    /// Matches to play before stopping (1–1000).
    pub matches: usize,
    /// Print the final leaderboard as JSON on stdout, and nothing else there.
    pub json: bool,
}

/// Runs the demo to the end.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    if !(2..=64).contains(&options.bots) {
        bail!("--bots must be 2..=64");
    }
    if !(1..=1000).contains(&options.matches) {
        bail!("--matches must be 1..=1000");
    }
    let dir = tempfile::tempdir().context("a temporary directory for the demo")?;
    let community = DemoCommunity::start(&dir.path().join("community"))?;
    eprintln!(
        "a community with every capability runs at {} (data in {})\n\
         watch it in a browser while it runs: {}/ui/leaderboard",
        community.url,
        dir.path().display(),
        community.url,
    );

    let skills = skill::hidden_skills(options.bots, |n| rand::random::<usize>() % n);
    let mut bots = Vec::new();
    let mut names = HashMap::new();
    for (i, skill) in skills.iter().enumerate() {
        let identity = Identity::generate(&mut rand::rngs::OsRng)?;
        let key = identity.key_pair().clone();
        let wallet = Wallet::open(&dir.path().join(format!("wallet-{i}")))?;
        let client = Client::new(wallet, identity);
        let joined = client
            .join(
                &community.url,
                &JoinOptions::default(),
                ic_client::unix_now(),
            )
            .await
            .context("a bot joining the community")?;
        names.insert(
            PlayerKey::from(key.public_key()),
            (format!("bot-{:02}", i + 1), *skill),
        );
        bots.push(Bot {
            key,
            client,
            slug: joined.slug,
        });
    }
    eprintln!(
        "{} bots registered, each with a wallet and a hidden skill; playing {} matches",
        options.bots, options.matches
    );

    let (played_tx, mut played_rx) = mpsc::unbounded_channel();
    let skill_of = names.iter().map(|(k, (_, s))| (*k, *s)).collect();
    let arena = Arc::new(Arena::new(&community.url, skill_of, options.matches, played_tx).await?);
    let mut tasks = Vec::new();
    for bot in bots {
        tasks.push(tokio::spawn(bot.run(arena.clone())));
    }
    let http = reqwest::Client::new();
    let mut view = View::new(
        std::io::stderr().is_terminal(),
        &community.url,
        options.matches,
        names.clone(),
    );
    let playing = async {
        for task in tasks {
            task.await.context("a bot stopped")??;
        }
        anyhow::Ok(())
    };
    tokio::pin!(playing);
    loop {
        tokio::select! {
            done = &mut playing => { done?; break; }
            Some(played) = played_rx.recv() => {
                let board = leaderboard(&http, &community.url, &names).await?;
                view.played(&played, &board);
            }
        }
    }
    while let Ok(played) = played_rx.try_recv() {
        let board = leaderboard(&http, &community.url, &names).await?;
        view.played(&played, &board);
    }

    let board = leaderboard(&http, &community.url, &names).await?;
    let ratings: Vec<f64> = board.iter().map(|row| row.rating).collect();
    let hidden: Vec<f64> = board.iter().map(|row| row.skill).collect();
    let correlation = skill::spearman(&ratings, &hidden);
    if options.json {
        let rows: Vec<Value> = board
            .iter()
            .map(|row| {
                json!({
                    "player": row.player.to_string(),
                    "name": row.name,
                    "rating": row.rating,
                    "display": row.display,
                    "games": row.games,
                    "hidden_skill": row.skill,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!("\nfinal leaderboard:\n{}", table(&board, board.len()));
        match correlation {
            Some(rho) => println!(
                "rank correlation between rating and hidden skill (Spearman): {rho:.2}\n\
                 (1.00: the ratings found the hidden order exactly; more matches bring it closer)"
            ),
            None => println!("rank correlation: not enough rated players to compare"),
        }
    }
    if let Some(rho) = correlation {
        eprintln!("spearman {rho:.3}");
    }
    drop(community);
    Ok(())
}

/// Every bot with its rating as the server lists it (a bot that never played is at the
/// starting rating), best first.
async fn leaderboard(
    http: &reqwest::Client,
    url: &str,
    names: &HashMap<PlayerKey, (String, f64)>,
) -> anyhow::Result<Vec<Standing>> {
    let body: Value = http
        .get(format!("{url}/v1/leaderboard?limit=200"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut board: Vec<Standing> = Vec::new();
    for entry in body["entries"].as_array().cloned().unwrap_or_default() {
        let Some(player) = entry["player_key"].as_str().and_then(|k| k.parse().ok()) else {
            continue;
        };
        let Some((name, skill)) = names.get(&player) else {
            continue;
        };
        board.push(Standing {
            name: name.clone(),
            player,
            rating: entry["rating"].as_f64().unwrap_or_default() / 1000.0,
            display: entry["display"].as_str().unwrap_or_default().to_owned(),
            games: entry["games_played"].as_u64().unwrap_or_default() as u32,
            skill: *skill,
        });
    }
    for (player, (name, skill)) in names {
        if !board.iter().any(|row| row.player == *player) {
            board.push(Standing {
                name: name.clone(),
                player: *player,
                rating: 1500.0,
                display: "1500 (unrated)".into(),
                games: 0,
                skill: *skill,
            });
        }
    }
    board.sort_by(|a, b| b.rating.total_cmp(&a.rating).then(a.name.cmp(&b.name)));
    Ok(board)
}
