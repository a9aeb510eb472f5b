//! `ic profile`, `ic matches`, `ic achievements` and `ic sanctions`: a player's standing in a
//! joined community as its server shows it, their recent matches, achievements and sanctions;
//! `--offline` reads your own wallet.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use ic_client::api::{
    ApiClient, HeldAchievement, HistoryMatch, MatchHistory, MySanctions, Profile,
};
use ic_client::wallet::Wallet;
use scr::PlayerKey;

/// Fetches and prints the profile of `player` (default: this identity) in `community`.
pub async fn profile_command(
    wallet: &Wallet,
    community: &str,
    player: Option<PlayerKey>,
    json: bool,
) -> Result<ExitCode> {
    let (slug, store) = wallet.open_community(community).await?;
    let info = store.info().await;
    store.close().await;
    let info = info?;
    let player = player.unwrap_or(info.player_key);
    let profile = ApiClient::new(&info.server_url)?
        .profile(&player)
        .await
        .with_context(|| format!("asking {} for the profile of {player}", info.server_url))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&profile)?);
    } else {
        print!("{}", describe(&slug, &profile));
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches and prints the `limit` most recent matches of `player` (default: this identity).
pub async fn matches_command(
    wallet: &Wallet,
    community: &str,
    player: Option<PlayerKey>,
    limit: u32,
    offline: bool,
    json: bool,
) -> Result<ExitCode> {
    let (_, store) = wallet.open_community(community).await?;
    if offline {
        // The wallet holds only this identity's records.
        let held = store.match_history(limit).await;
        store.close().await;
        let history = MatchHistory {
            matches: held?.into_iter().map(from_wallet).collect(),
            next: None,
        };
        print_history(&history, json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let info = store.info().await;
    store.close().await;
    let info = info?;
    let player = player.unwrap_or(info.player_key);
    let history = ApiClient::new(&info.server_url)?
        .match_history(&player, limit)
        .await
        .with_context(|| format!("asking {} for the matches of {player}", info.server_url))?;
    print_history(&history, json)?;
    Ok(ExitCode::SUCCESS)
}

fn print_history(history: &MatchHistory, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(history)?);
    } else {
        print!("{}", list(history));
    }
    Ok(())
}

/// A match record from the wallet in the shape the server's history has.
fn from_wallet(held: ic_client::wallet::WalletMatch) -> HistoryMatch {
    HistoryMatch {
        match_id: hex::encode(held.match_id),
        game_module: held.game_module,
        map: held.map_name,
        played_at: held.played_at,
        result: if held.revoked {
            format!("{} (revoked)", held.result)
        } else {
            held.result
        },
        rating_before: held.rating_before,
        rating_after: held.rating_after,
        opponents: held.opponents,
    }
}

/// Prints the achievements of `player` (default: this identity) as the server holds them, or
/// with `offline` those in this identity's wallet.
pub async fn achievements_command(
    wallet: &Wallet,
    community: &str,
    player: Option<PlayerKey>,
    offline: bool,
    json: bool,
) -> Result<ExitCode> {
    let (_, store) = wallet.open_community(community).await?;
    let held: Vec<HeldAchievement> = if offline {
        let held = store.achievements().await;
        store.close().await;
        held?
            .into_iter()
            .map(|a| HeldAchievement {
                achievement_id: a.achievement_id,
                name: None,
                game_module: a.game_module,
                verification: if a.revoked {
                    format!("{} (revoked)", a.verification)
                } else {
                    a.verification
                },
                unlocked_at: a.unlocked_at,
                match_id: a.match_id.map(hex::encode),
                claim: None,
            })
            .collect()
    } else {
        let info = store.info().await;
        store.close().await;
        let info = info?;
        let player = player.unwrap_or(info.player_key);
        ApiClient::new(&info.server_url)?
            .achievements(&player)
            .await
            .with_context(|| {
                format!(
                    "asking {} for the achievements of {player}",
                    info.server_url
                )
            })?
            .achievements
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&held)?);
    } else {
        print!("{}", list_achievements(&held));
    }
    Ok(ExitCode::SUCCESS)
}

/// A Unix time as an HTTP date; a time before 1970 as the number.
/// Prints the caller's sanctions, or that there are none.
pub fn print_sanctions(mine: &MySanctions, now: i64, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(mine)?);
        return Ok(());
    }
    print!("{}", describe_sanctions(mine, now));
    Ok(())
}

fn describe_sanctions(mine: &MySanctions, now: i64) -> String {
    let mut out = String::new();
    if let Some(cooldown) = &mine.leaver_cooldown {
        out.push_str(&format!(
            "Queue cooldown until {} ({} min left): {}\n",
            date(cooldown.until),
            ((cooldown.until - now).max(0) + 59) / 60,
            cooldown.reason
        ));
        if !cooldown.match_id.is_empty() {
            out.push_str(&format!(
                "  To appeal, name match {} (POST /v1/appeals).\n",
                cooldown.match_id
            ));
        }
    }
    for action in mine.sanctions.iter().filter(|a| !a.reversed) {
        let until = action
            .ends_at
            .map_or_else(String::new, |end| format!(" until {}", date(end)));
        out.push_str(&format!(
            "{}{until} (case {}): {}\n",
            action.action, action.case_id, action.reason
        ));
    }
    if let Some(until) = mine.chat_restricted_until {
        out.push_str(&format!("Chat restricted until {}\n", date(until)));
    }
    if out.is_empty() {
        out.push_str("No sanctions: you may queue and chat.\n");
    }
    out
}

fn date(unix_secs: i64) -> String {
    u64::try_from(unix_secs).map_or_else(
        |_| unix_secs.to_string(),
        |secs| {
            httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        },
    )
}

/// One line per achievement: verification, name and id, module, unlock date.
fn list_achievements(held: &[HeldAchievement]) -> String {
    if held.is_empty() {
        return "no achievements\n".to_owned();
    }
    let mut out = String::new();
    for a in held {
        let title = match &a.name {
            Some(name) => format!("{name} ({})", a.achievement_id),
            None => a.achievement_id.clone(),
        };
        let claim = a
            .claim
            .as_deref()
            .map(|c| format!("  claim {c}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<10} {title}  {}  {}{claim}\n",
            a.verification,
            a.game_module,
            date(a.unlocked_at)
        ));
    }
    out
}

/// One line per match: result, rating change, opponents, module and map, id.
fn list(history: &MatchHistory) -> String {
    if history.matches.is_empty() {
        return "no certified matches\n".to_owned();
    }
    let mut out = String::new();
    for m in &history.matches {
        let change = (m.rating_after - m.rating_before) as f64 / 1000.0;
        let short = |key: &String| key.chars().skip(8).take(8).collect::<String>();
        let opponents: Vec<String> = m.opponents.iter().map(short).collect();
        out.push_str(&format!(
            "{:<9} {change:+7.1}  vs {}  {} {}  {}\n",
            m.result,
            opponents.join(", "),
            m.game_module,
            m.map,
            &m.match_id[..16.min(m.match_id.len())]
        ));
    }
    out
}

/// The profile as lines of text.
fn describe(slug: &str, profile: &Profile) -> String {
    let mut out = format!("{} in {slug}", profile.player_key);
    if let Some(season) = &profile.season {
        out.push_str(&format!(" ({}, season {})", season.name, season.season));
    }
    out.push('\n');
    for module in &profile.modules {
        let standing = match (&module.tier, module.rank, module.percentile) {
            (Some(tier), Some(rank), Some(percentile)) => format!(
                "{tier}, rank {rank}, ahead of {}.{}% of ranked players",
                percentile / 10,
                percentile % 10
            ),
            (Some(tier), _, _) => format!("{tier}, not on the leaderboard yet"),
            (None, _, _) => format!(
                "placing: {} more rated matches",
                module.placement_matches_left
            ),
        };
        out.push_str(&format!(
            "  {}: {}  {standing}\n    this season {} games, {}-{}-{} (W-L-D)",
            module.module,
            module.display,
            module.games_played,
            module.wins,
            module.losses,
            module.draws
        ));
        if let (Some(_), Some(tier)) = (module.peak_rating, &module.peak_tier) {
            out.push_str(&format!(", peak {tier}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use ic_client::api::{ModuleStanding, ProfileSeason};

    use super::*;

    fn module(tier: Option<&str>, rank: Option<u32>, percentile: Option<u16>) -> ModuleStanding {
        ModuleStanding {
            module: "ra".into(),
            rating: 1_712_000,
            deviation: 85_000,
            display: "1712 ±85".into(),
            tier: tier.map(str::to_owned),
            placement_matches_left: if tier.is_some() { 0 } else { 4 },
            rank,
            percentile,
            games_played: 14,
            wins: 9,
            losses: 4,
            draws: 1,
            peak_rating: tier.map(|_| 1_750_000),
            peak_tier: tier.map(|_| "Colonel III".to_owned()),
        }
    }

    #[test]
    fn a_history_reads_one_match_per_line() {
        let history = MatchHistory {
            matches: vec![ic_client::api::HistoryMatch {
                match_id: "ab".repeat(32),
                game_module: "ra".into(),
                map: "Keep Out".into(),
                played_at: 0,
                result: "win".into(),
                rating_before: 1_500_000,
                rating_after: 1_512_345,
                opponents: vec![format!("ed25519:{}", "cd".repeat(32))],
            }],
            next: None,
        };
        assert_eq!(
            list(&history),
            "win         +12.3  vs cdcdcdcd  ra Keep Out  abababababababab\n"
        );
        let empty = MatchHistory {
            matches: Vec::new(),
            next: None,
        };
        assert_eq!(list(&empty), "no certified matches\n");
    }

    #[test]
    fn a_profile_reads_as_tier_rank_and_share_or_as_placement() {
        let profile = Profile {
            player_key: "ed25519:ab".into(),
            season: Some(ProfileSeason {
                season: 4,
                name: "Winter Cup".into(),
                ends_at: 0,
            }),
            modules: vec![
                module(Some("Lt. Colonel II"), Some(17), Some(912)),
                module(None, None, None),
            ],
        };
        let text = describe("alpha", &profile);
        assert!(
            text.starts_with("ed25519:ab in alpha (Winter Cup, season 4)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "ra: 1712 ±85  Lt. Colonel II, rank 17, ahead of 91.2% of ranked players"
            ),
            "{text}"
        );
        assert!(
            text.contains("14 games, 9-4-1 (W-L-D), peak Colonel III"),
            "{text}"
        );
        assert!(text.contains("placing: 4 more rated matches"), "{text}");
    }

    #[test]
    fn sanctions_say_why_and_until_when_and_none_says_so() {
        let none = MySanctions {
            leaver_cooldown: None,
            sanctions: Vec::new(),
            queue_restriction: None,
            chat_restricted_until: None,
        };
        assert_eq!(
            describe_sanctions(&none, 0),
            "No sanctions: you may queue and chat.\n"
        );
        let mine = MySanctions {
            leaver_cooldown: Some(ic_client::api::LeaverCooldown {
                until: 1_800,
                reason: "you left 2 matches in a short time".into(),
                match_id: "ab".repeat(32),
            }),
            sanctions: vec![ic_client::api::ModeratorAction {
                case_id: "c-1".into(),
                action: "chat_restriction:24".into(),
                reason: "abuse in chat".into(),
                ends_at: Some(86_400),
                reversed: false,
            }],
            queue_restriction: None,
            chat_restricted_until: Some(86_400),
        };
        let text = describe_sanctions(&mine, 1);
        assert!(
            text.starts_with(
                "Queue cooldown until Thu, 01 Jan 1970 00:30:00 GMT (30 min left): you left 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(&format!("To appeal, name match {}", "ab".repeat(32))),
            "{text}"
        );
        assert!(
            text.contains("chat_restriction:24 until Fri, 02 Jan 1970 00:00:00 GMT (case c-1)"),
            "{text}"
        );
        assert!(
            text.contains("Chat restricted until Fri, 02 Jan 1970 00:00:00 GMT"),
            "{text}"
        );
    }
}
