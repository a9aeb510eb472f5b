//! What waits in a queue: one entry per solo player or party, with verified ratings, the
//! time it joined, its region choices and its avoid list.

use ranking::description::PlayerRating;
use ranking::team::{Estimate, TeamRatingMethod, composite};
use scr::PlayerKey;

/// Identifies an entry within the matchmaker (assigned on join, never reused).
pub type EntryId = u64;

/// The kind of match a queue forms; written `ranked_1v1`, `ranked_2v2`, `unranked_3v3`, ….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum QueueMode {
    /// One against one, rated.
    Ranked1v1,
    /// Two teams of `team_size`, rated.
    RankedTeam {
        /// Players per team (2 or 3).
        team_size: u8,
    },
    /// Two teams of `team_size`, not rated.
    Unranked {
        /// Players per team (1–3).
        team_size: u8,
    },
}

impl QueueMode {
    /// Players on each side.
    pub fn team_size(self) -> usize {
        match self {
            Self::Ranked1v1 => 1,
            Self::RankedTeam { team_size } | Self::Unranked { team_size } => usize::from(team_size),
        }
    }

    /// Whether results of this mode change ratings.
    pub fn ranked(self) -> bool {
        !matches!(self, Self::Unranked { .. })
    }
}

impl std::fmt::Display for QueueMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.ranked() { "ranked" } else { "unranked" };
        let size = self.team_size();
        write!(f, "{kind}_{size}v{size}")
    }
}

impl From<QueueMode> for String {
    fn from(mode: QueueMode) -> Self {
        mode.to_string()
    }
}

impl TryFrom<String> for QueueMode {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let parsed = match text.as_str() {
            "ranked_1v1" => Some(Self::Ranked1v1),
            "ranked_2v2" => Some(Self::RankedTeam { team_size: 2 }),
            "ranked_3v3" => Some(Self::RankedTeam { team_size: 3 }),
            "unranked_1v1" => Some(Self::Unranked { team_size: 1 }),
            "unranked_2v2" => Some(Self::Unranked { team_size: 2 }),
            "unranked_3v3" => Some(Self::Unranked { team_size: 3 }),
            _ => None,
        };
        parsed.ok_or_else(|| {
            format!(
                "unknown queue mode {text:?} (ranked_1v1, ranked_2v2, ranked_3v3, unranked_1v1, \
                 unranked_2v2 or unranked_3v3)"
            )
        })
    }
}

/// One player of an entry.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// The player's identity key.
    pub key: PlayerKey,
    /// The rating from the player's verified rating record.
    pub rating: PlayerRating,
}

/// A solo player or a party waiting together.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueEntry {
    /// The entry's id.
    pub id: EntryId,
    /// Its players (one for a solo player); a party always lands on one team.
    pub members: Vec<Member>,
    /// When it joined (Unix ms); a requeued entry keeps its original time.
    pub joined_ms: u64,
    /// When its wait starts to count for the window, desperation and its place in a pass:
    /// `joined_ms`, or later for a low-priority entry (a moderation sanction on a member).
    pub counted_from_ms: u64,
    /// Requeued after another player declined: considered before everyone else.
    pub front: bool,
    /// Regions it accepts (empty: any).
    pub regions: Vec<String>,
    /// Keys its members would rather not meet (a penalty, never a filter).
    pub avoid: Vec<PlayerKey>,
    /// A member is still in placement: the quality floor is relaxed as the ranking crate says.
    pub in_placement: bool,
}

impl QueueEntry {
    /// The entry's rating as one opponent sees it: the 1/RD-weighted composite of its members,
    /// in whole rating points.
    pub fn rating_points(&self) -> f64 {
        composite_points(self.members.iter().map(|m| &m.rating))
    }

    /// Seconds of waiting that count at `now_ms` (see `counted_from_ms`).
    pub fn waited_secs(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.counted_from_ms) / 1000
    }

    /// Whether the two entries share a region (an empty list accepts any).
    pub fn shares_region(&self, other: &QueueEntry) -> bool {
        self.regions.is_empty()
            || other.regions.is_empty()
            || self.regions.iter().any(|r| other.regions.contains(r))
    }

    /// Whether any member of `self` avoids any member of `other`.
    pub fn avoids(&self, other: &QueueEntry) -> bool {
        !self.avoid.is_empty() && other.members.iter().any(|m| self.avoid.contains(&m.key))
    }
}

/// The 1/RD-weighted composite rating of `ratings` in whole points (0 for none).
pub fn composite_points<'a>(ratings: impl Iterator<Item = &'a PlayerRating>) -> f64 {
    let estimates: Vec<Estimate> = ratings.map(|r| r.rating.into()).collect();
    composite(&estimates, TeamRatingMethod::WeightedAverage).map_or(0.0, |e| e.rating)
}
