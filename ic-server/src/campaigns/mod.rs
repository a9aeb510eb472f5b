//! Campaign benchmarks: aggregates of the campaign progress opted-in players shared, per
//! version, module and difficulty, with every group smaller than the threshold suppressed. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::CampaignProgress;

/// Domain separation of the benchmark snapshot's signature: the community key signs this
/// prefix followed by the snapshot's JSON text exactly as served.
pub const SNAPSHOT_CONTEXT: &[u8] = b"ic-campaign-benchmarks-v1\n";

/// The benchmarks of one campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Benchmarks {
    /// The campaign.
    pub campaign_id: String,
    /// When the snapshot was taken (Unix seconds).
    pub generated_at: i64,
    /// Fewest players a group needs before its numbers are shown.
    pub min_bucket: u32,
    /// One group per version, module and difficulty with any opted-in player, in that order.
    pub groups: Vec<Group>,
}

/// The aggregates of one version, module and difficulty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// Campaign version.
    pub version: String,
    /// Game module.
    pub game_module: String,
    /// Difficulty.
    pub difficulty: String,
    /// True when fewer than `min_bucket` players reported: no numbers are shown.
    pub suppressed: bool,
    /// Players who reported (absent when suppressed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub players: Option<u32>,
    /// Share who finished the campaign, permille.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_permille: Option<u32>,
    /// Missions completed: the 25th, 50th, 75th and 90th percentiles (nearest rank).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missions: Option<Percentiles>,
    /// Endings reached by at least `min_bucket` players, with their share of those who
    /// finished (permille); rarer ones together as `other` when that reaches `min_bucket`.
    pub endings: Vec<EndingRate>,
}

/// Percentiles of missions completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Percentiles {
    /// 25th.
    pub p25: u32,
    /// 50th (median).
    pub p50: u32,
    /// 75th.
    pub p75: u32,
    /// 90th.
    pub p90: u32,
}

/// How many finished with one ending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EndingRate {
    /// The ending (`other` for the rare ones together).
    pub ending: String,
    /// Players who reached it.
    pub players: u32,
    /// Their share of the players who finished, permille.
    pub permille: u32,
}

/// The benchmarks of `campaign_id` from the progress of opted-in players.
pub fn benchmarks(
    campaign_id: &str,
    progress: &[CampaignProgress],
    min_bucket: u32,
    now: i64,
) -> Benchmarks {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&CampaignProgress>> = BTreeMap::new();
    for row in progress.iter().filter(|row| row.campaign_id == campaign_id) {
        groups
            .entry((&row.version, &row.game_module, &row.difficulty))
            .or_default()
            .push(row);
    }
    Benchmarks {
        campaign_id: campaign_id.to_owned(),
        generated_at: now,
        min_bucket,
        groups: groups
            .into_iter()
            .map(|((version, module, difficulty), rows)| {
                group(version, module, difficulty, &rows, min_bucket)
            })
            .collect(),
    }
}

fn group(
    version: &str,
    module: &str,
    difficulty: &str,
    rows: &[&CampaignProgress],
    min_bucket: u32,
) -> Group {
    let players = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let mut shown = Group {
        version: version.to_owned(),
        game_module: module.to_owned(),
        difficulty: difficulty.to_owned(),
        suppressed: players < min_bucket,
        players: None,
        completion_permille: None,
        missions: None,
        endings: Vec::new(),
    };
    if shown.suppressed {
        return shown;
    }
    let finished: Vec<&&CampaignProgress> = rows.iter().filter(|r| r.completed).collect();
    let finished_count = u32::try_from(finished.len()).unwrap_or(u32::MAX);
    let mut missions: Vec<u32> = rows.iter().map(|r| r.missions_completed).collect();
    missions.sort_unstable();
    shown.players = Some(players);
    shown.completion_permille = Some(permille(finished_count, players));
    shown.missions = Some(Percentiles {
        p25: nearest_rank(&missions, 25),
        p50: nearest_rank(&missions, 50),
        p75: nearest_rank(&missions, 75),
        p90: nearest_rank(&missions, 90),
    });
    let mut by_ending: BTreeMap<&str, u32> = BTreeMap::new();
    for row in &finished {
        *by_ending
            .entry(row.ending.as_deref().unwrap_or("other"))
            .or_default() += 1;
    }
    let mut other = 0;
    for (ending, count) in by_ending {
        if count >= min_bucket && ending != "other" {
            shown.endings.push(EndingRate {
                ending: ending.to_owned(),
                players: count,
                permille: permille(count, finished_count),
            });
        } else {
            other += count;
        }
    }
    if other >= min_bucket {
        shown.endings.push(EndingRate {
            ending: "other".to_owned(),
            players: other,
            permille: permille(other, finished_count),
        });
    }
    shown
}

fn permille(part: u32, whole: u32) -> u32 {
    if whole == 0 {
        return 0;
    }
    u32::try_from(u64::from(part) * 1000 / u64::from(whole)).unwrap_or(1000)
}

/// The nearest-rank percentile `p` of `sorted` (not empty).
fn nearest_rank(sorted: &[u32], p: usize) -> u32 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn row(player: u8, difficulty: &str, missions: u32, ending: Option<&str>) -> CampaignProgress {
        CampaignProgress {
            campaign_id: "allies".into(),
            version: "1.0".into(),
            game_module: "ra".into(),
            difficulty: difficulty.into(),
            player_key: scr::PlayerKey::from_bytes([player; 32]),
            missions_completed: missions,
            completed: ending.is_some(),
            ending: ending.map(str::to_owned),
            updated_at: 0,
        }
    }

    #[test]
    fn small_groups_and_rare_endings_are_suppressed() {
        let mut rows: Vec<CampaignProgress> = (0..6)
            .map(|p| row(p, "normal", 14, Some("victory")))
            .collect();
        rows.push(row(6, "normal", 14, Some("secret")));
        rows.extend((7..10).map(|p| row(p, "normal", u32::from(p), None)));
        rows.extend((10..13).map(|p| row(p, "brutal", 3, None)));
        let shown = benchmarks("allies", &rows, 5, 99);
        assert_eq!(shown.groups.len(), 2);
        let brutal = &shown.groups[0];
        assert!(brutal.suppressed && brutal.players.is_none() && brutal.missions.is_none());
        let normal = &shown.groups[1];
        assert_eq!(normal.players, Some(10));
        assert_eq!(normal.completion_permille, Some(700));
        // Only "victory" reaches five; the one "secret" stays hidden, even as "other".
        assert_eq!(
            normal.endings,
            [EndingRate {
                ending: "victory".into(),
                players: 6,
                permille: 857
            }]
        );
        assert_eq!(
            normal.missions,
            Some(Percentiles {
                p25: 9,
                p50: 14,
                p75: 14,
                p90: 14
            })
        );
    }

    proptest! {
        /// Every number shown comes from a group of at least `min_bucket` players, and every
        /// ending shown from at least `min_bucket` of them.
        #[test]
        fn nothing_below_the_threshold_is_shown(
            reports in proptest::collection::vec((0u8..3, 0u32..20, proptest::option::of(0u8..4)), 0..60),
            min_bucket in 2u32..8,
        ) {
            let difficulties = ["easy", "normal", "hard"];
            let endings = ["a", "b", "c", "d"];
            let rows: Vec<CampaignProgress> = reports
                .iter()
                .enumerate()
                .map(|(i, (d, missions, ending))| {
                    row(i as u8, difficulties[*d as usize], *missions, ending.map(|e| endings[e as usize]))
                })
                .collect();
            let shown = benchmarks("allies", &rows, min_bucket, 0);
            for group in &shown.groups {
                let members = rows.iter().filter(|r| r.difficulty == group.difficulty).count() as u32;
                prop_assert_eq!(group.suppressed, members < min_bucket);
                prop_assert_eq!(group.players.is_some(), members >= min_bucket);
                for ending in &group.endings {
                    prop_assert!(ending.players >= min_bucket);
                }
            }
        }
    }
}
