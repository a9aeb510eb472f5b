//! The map of a found match: a queue's pool from `[[matchmaking.map_pools]]`, and the ranked
//! veto in which the two sides ban in turn (A, B, A, B, …) until one map is left.
//!
//! The veto is anonymous: a side learns only the maps left and whether it bans now. A side that
//! lets its time run out gets a ban picked for it, seeded by the match id so that any process
//! leading the queue picks the same.

use serde::{Deserialize, Serialize};

use super::settings::QueueSpec;

/// A map of a queue's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMap {
    /// Shown to players; the match ticket's (and certified result's) `map_name`.
    pub name: String,
    /// SHA-256 of the map file as 64 hex characters, the ticket's `map_hash`; empty: not
    /// pinned (all zero bytes in the ticket).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl PoolMap {
    /// The hash as the ticket carries it (zeros when not pinned or not valid hex).
    pub fn hash_bytes(&self) -> [u8; 32] {
        let mut bytes = [0; 32];
        if hex::decode_to_slice(&self.hash, &mut bytes).is_err() {
            return [0; 32];
        }
        bytes
    }
}

/// The maps one queue is played on (this season's pool: replace it when a season starts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapPool {
    /// Game module of the queue.
    pub module: String,
    /// Mode of the queue.
    pub mode: super::QueueMode,
    /// The maps, at least one.
    pub maps: Vec<PoolMap>,
}

impl MapPool {
    /// Whether this pool belongs to `queue`.
    pub fn serves(&self, queue: &QueueSpec) -> bool {
        self.module == queue.module && self.mode == queue.mode
    }

    /// Checks the pool; the message names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let queue = format!("the {}/{} pool", self.module, self.mode);
        if self.maps.is_empty() {
            return Err(format!("{queue} has no maps"));
        }
        for (at, map) in self.maps.iter().enumerate() {
            if map.name.is_empty() || map.name.len() > 255 {
                return Err(format!("{queue}: map names are 1-255 bytes"));
            }
            if self.maps[..at].iter().any(|other| other.name == map.name) {
                return Err(format!("{queue} lists {} twice", map.name));
            }
            let hex_ok = map.hash.len() == 64 && map.hash.chars().all(|c| c.is_ascii_hexdigit());
            if !map.hash.is_empty() && !hex_ok {
                return Err(format!(
                    "{queue}: the hash of {} must be 64 hex characters",
                    map.name
                ));
            }
        }
        Ok(())
    }
}

/// How a found match gets its map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapChoice {
    /// No pool for the queue: the game chooses in its lobby (the ticket names no map).
    Lobby,
    /// This map, without a veto (a one-map pool, or an unranked queue picked at random).
    Fixed(PoolMap),
    /// The sides ban from this pool.
    Veto(Vec<PoolMap>),
}

/// How the map of a match found in `queue` (ranked or not) with id `match_id` is chosen.
pub fn map_choice(pools: &[MapPool], queue: &QueueSpec, ranked: bool, match_id: u64) -> MapChoice {
    let Some(pool) = pools.iter().find(|pool| pool.serves(queue)) else {
        return MapChoice::Lobby;
    };
    match pool.maps.as_slice() {
        [] => MapChoice::Lobby,
        [only] => MapChoice::Fixed(only.clone()),
        maps if ranked => MapChoice::Veto(maps.to_vec()),
        maps => MapChoice::Fixed(maps[pick(match_id, maps.len())].clone()),
    }
}

/// A position below `len` drawn from `seed` (a generator seeded with it: every process of
/// this version draws the same, and consecutive match ids do not pick consecutive maps).
fn pick(seed: u64, len: usize) -> usize {
    use rand::{Rng as _, SeedableRng as _};
    rand::rngs::StdRng::seed_from_u64(seed).gen_range(0..len.max(1))
}

/// Why a ban was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanError {
    /// The other side bans now.
    NotYourTurn,
    /// No such map is left in the pool.
    UnknownMap,
}

/// One match's veto.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapVeto {
    remaining: Vec<PoolMap>,
    /// The side that bans first, drawn from the seed: with an odd pool the side banning last
    /// decides, and the pass would otherwise always give that to the same side.
    #[serde(default)]
    first: usize,
    banned: usize,
    deadline_ms: u64,
    ban_ms: u64,
    seed: u64,
}

impl MapVeto {
    /// A veto over `pool` (two maps or more) starting at `now_ms`, each ban within `ban_ms`;
    /// `seed` (the match id) decides which side bans first and the bans picked for idle sides.
    pub fn new(pool: Vec<PoolMap>, now_ms: u64, ban_ms: u64, seed: u64) -> Self {
        Self {
            remaining: pool,
            first: pick(seed.rotate_left(17), 2),
            banned: 0,
            deadline_ms: now_ms.saturating_add(ban_ms),
            ban_ms,
            seed,
        }
    }

    /// The side (0 or 1) that bans now.
    pub fn turn(&self) -> usize {
        (self.first + self.banned) % 2
    }

    /// The maps still in.
    pub fn remaining(&self) -> &[PoolMap] {
        &self.remaining
    }

    /// When the side on turn must have banned (Unix ms).
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// The chosen map once one is left.
    pub fn chosen(&self) -> Option<&PoolMap> {
        match self.remaining.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// `side` bans the map named `map` at `now_ms`.
    pub fn ban(&mut self, side: usize, map: &str, now_ms: u64) -> Result<(), BanError> {
        if side != self.turn() || self.chosen().is_some() {
            return Err(BanError::NotYourTurn);
        }
        let at = self
            .remaining
            .iter()
            .position(|m| m.name == map)
            .ok_or(BanError::UnknownMap)?;
        self.remove(at, now_ms);
        Ok(())
    }

    /// At `now_ms`, bans for the side on turn if its time ran out; `true` if it did.
    pub fn expire(&mut self, now_ms: u64) -> bool {
        if self.chosen().is_some() || now_ms < self.deadline_ms {
            return false;
        }
        let at = pick(self.seed ^ self.banned as u64, self.remaining.len());
        self.remove(at, now_ms);
        true
    }

    fn remove(&mut self, at: usize, now_ms: u64) {
        self.remaining.remove(at);
        self.banned += 1;
        self.deadline_ms = now_ms.saturating_add(self.ban_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchmaking::QueueMode;

    fn pool(n: u8) -> Vec<PoolMap> {
        (0..n)
            .map(|i| PoolMap {
                name: format!("map{i}"),
                hash: String::new(),
            })
            .collect()
    }

    #[test]
    fn sides_alternate_until_one_map_is_left() {
        let mut veto = MapVeto::new(pool(7), 0, 15_000, 1);
        let first = veto.turn();
        for (i, map) in ["map0", "map1", "map2", "map3", "map4", "map5"]
            .iter()
            .enumerate()
        {
            let side = (first + i) % 2;
            assert_eq!(veto.turn(), side);
            assert_eq!(veto.ban(1 - side, map, 1), Err(BanError::NotYourTurn));
            veto.ban(side, map, 1).unwrap();
        }
        assert_eq!(veto.chosen().unwrap().name, "map6");
        assert_eq!(veto.ban(0, "map6", 2), Err(BanError::NotYourTurn));
        assert!(!veto.expire(u64::MAX));
    }

    #[test]
    fn either_side_may_ban_first() {
        let firsts: std::collections::BTreeSet<usize> = (0..20)
            .map(|seed| MapVeto::new(pool(3), 0, 1, seed).turn())
            .collect();
        assert_eq!(firsts.len(), 2);
    }

    #[test]
    fn an_idle_side_gets_a_ban_picked_at_its_deadline_the_same_on_every_process() {
        let mut veto = MapVeto::new(pool(3), 0, 15_000, 7);
        let mut again = veto.clone();
        assert!(!veto.expire(14_999));
        assert!(veto.expire(15_000));
        assert!(again.expire(20_000));
        assert_eq!(
            veto.remaining(),
            again.remaining(),
            "the same map is banned"
        );
        assert_eq!(veto.remaining().len(), 2);
        let second = veto.turn();
        assert_eq!(veto.deadline_ms(), 30_000);
        assert_eq!(veto.ban(second, "nope", 16_000), Err(BanError::UnknownMap));
        // The other side bans in time; the last choice is made.
        let left = veto.remaining()[0].name.clone();
        veto.ban(second, &left, 16_000).unwrap();
        assert!(veto.chosen().is_some());
    }

    #[test]
    fn a_ranked_queue_vetoes_an_unranked_one_picks_and_no_pool_leaves_it_to_the_lobby() {
        let queue = |mode| QueueSpec {
            module: "ra".into(),
            mode,
        };
        let pools = [
            MapPool {
                module: "ra".into(),
                mode: QueueMode::Ranked1v1,
                maps: pool(3),
            },
            MapPool {
                module: "ra".into(),
                mode: QueueMode::Unranked { team_size: 1 },
                maps: pool(3),
            },
            MapPool {
                module: "ra".into(),
                mode: QueueMode::RankedTeam { team_size: 2 },
                maps: pool(1),
            },
        ];
        assert_eq!(
            map_choice(&pools, &queue(QueueMode::Ranked1v1), true, 1),
            MapChoice::Veto(pool(3))
        );
        let unranked = queue(QueueMode::Unranked { team_size: 1 });
        let picked: std::collections::BTreeSet<String> = (0..40)
            .map(|id| match map_choice(&pools, &unranked, false, id) {
                MapChoice::Fixed(map) => map.name,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(picked.len(), 3, "every map comes up");
        assert_eq!(
            map_choice(
                &pools,
                &queue(QueueMode::RankedTeam { team_size: 2 }),
                true,
                1
            ),
            MapChoice::Fixed(pool(1)[0].clone())
        );
        assert_eq!(
            map_choice(
                &pools,
                &queue(QueueMode::RankedTeam { team_size: 3 }),
                true,
                1
            ),
            MapChoice::Lobby
        );
    }

    #[test]
    fn pools_are_checked() {
        let mut pool = MapPool {
            module: "ra".into(),
            mode: QueueMode::Ranked1v1,
            maps: pool(2),
        };
        pool.validate().unwrap();
        pool.maps[1].hash = "ab".repeat(32);
        pool.validate().unwrap();
        assert_eq!(pool.maps[1].hash_bytes(), [0xab; 32]);
        pool.maps[1].hash = "xyz".into();
        assert!(pool.validate().unwrap_err().contains("64 hex"));
        pool.maps[1] = pool.maps[0].clone();
        assert!(pool.validate().unwrap_err().contains("twice"));
        pool.maps.clear();
        assert!(pool.validate().unwrap_err().contains("no maps"));
    }
}
