//! What the demo shows while it runs: on a terminal, a screen redrawn after every match with a
//! progress bar, the latest results and the leaderboard; elsewhere, one plain line per match.

use std::collections::HashMap;
use std::io::Write;

use scr::PlayerKey;

use super::bot::Played;

/// A leaderboard row as the server lists it, with the demo's knowledge of the bot.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// The bot's name.
    pub name: String,
    /// Its key.
    pub player: PlayerKey,
    /// Its rating in points.
    pub rating: f64,
    /// The rating as the algorithm shows it.
    pub display: String,
    /// Rated matches.
    pub games: u32,
    /// Its hidden skill (0–1).
    pub skill: f64,
}

/// The live view.
pub struct View {
    terminal: bool,
    url: String,
    target: usize,
    names: HashMap<PlayerKey, (String, f64)>,
    played: usize,
    latest: Vec<String>,
}

const BAR_WIDTH: usize = 30;

impl View {
    /// A view of `target` matches on the community at `url`.
    pub fn new(
        terminal: bool,
        url: &str,
        target: usize,
        names: HashMap<PlayerKey, (String, f64)>,
    ) -> Self {
        Self {
            terminal,
            url: url.to_owned(),
            target,
            names,
            played: 0,
            latest: Vec::new(),
        }
    }

    fn name(&self, key: &PlayerKey) -> String {
        self.names.get(key).map_or_else(
            || key.fingerprint().to_string(),
            |(n, s)| format!("{n} (skill {s:.2})"),
        )
    }

    /// Shows one finished match and the leaderboard after it.
    pub fn played(&mut self, played: &Played, board: &[Standing]) {
        self.played += 1;
        let line = format!(
            "match {:>3}/{}: {} beat {}",
            self.played,
            self.target.max(self.played),
            self.name(&played.winner),
            self.name(&played.loser)
        );
        let mut out = std::io::stderr().lock();
        if !self.terminal {
            let _ = writeln!(out, "{line}");
            return;
        }
        self.latest.push(line);
        if self.latest.len() > 5 {
            self.latest.remove(0);
        }
        // Clear the screen and draw from the top.
        let _ = write!(out, "\x1b[2J\x1b[H{}", self.screen(board));
        let _ = out.flush();
    }

    /// The whole screen, as text.
    fn screen(&self, board: &[Standing]) -> String {
        let done = (self.played * BAR_WIDTH / self.target.max(1)).min(BAR_WIDTH);
        let mut text = format!(
            "ic-server demo: {url}\n  web UI {url}/ui/leaderboard · live matches {url}/ui/matches\n  API {url}/v1/leaderboard · metrics {url}/metrics · community {url}/.well-known/ic-community\n\n\
             [{}{}] {}/{} matches\n\nlatest:\n",
            "#".repeat(done),
            "-".repeat(BAR_WIDTH - done),
            self.played,
            self.target,
            url = self.url,
        );
        for line in &self.latest {
            text.push_str(&format!("  {line}\n"));
        }
        text.push_str("\nleaderboard:\n");
        text.push_str(&table(board, 10));
        text
    }
}

/// The leaderboard as an aligned table of its first `limit` rows.
pub fn table(board: &[Standing], limit: usize) -> String {
    let mut text = format!(
        "  {:>4}  {:<8}  {:>10}  {:>5}  {:>12}\n",
        "rank", "bot", "rating", "games", "hidden skill"
    );
    for (rank, row) in board.iter().take(limit).enumerate() {
        text.push_str(&format!(
            "  {:>4}  {:<8}  {:>10}  {:>5}  {:>12.2}\n",
            rank + 1,
            row.name,
            row.display,
            row.games,
            row.skill
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, rating: f64, skill: f64) -> Standing {
        Standing {
            name: name.into(),
            player: PlayerKey::from_bytes([name.len() as u8; 32]),
            rating,
            display: format!("{rating:.0}"),
            games: 3,
            skill,
        }
    }

    #[test]
    fn the_screen_shows_progress_results_and_the_best_first() {
        let mut view = View::new(false, "http://127.0.0.1:1", 4, HashMap::new());
        view.played = 2;
        view.latest = vec!["match 2/4: a beat b".into()];
        let screen = view.screen(&[row("bot-01", 1620.0, 0.9), row("bot-2", 1380.0, 0.1)]);
        assert!(screen.contains(&format!(
            "[{}{}] 2/4 matches",
            "#".repeat(15),
            "-".repeat(15)
        )));
        assert!(screen.contains("match 2/4: a beat b"));
        let first = screen.find("bot-01").unwrap();
        let second = screen.find("bot-2 ").unwrap();
        assert!(first < second, "{screen}");
        assert!(screen.contains("http://127.0.0.1:1/v1/leaderboard"));
    }
}
