//! The hand-off to real relays: pick a relay by region, room and recent failures, then sign one
//! community match ticket per player, so the relay admits exactly these players to this game.
//! Relays of other servers and their probe are in `remote_relay`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rand::RngCore;
use relay_core::ids::{PlayerSlot, TeamId};
use relay_core::ticket::{
    DEFAULT_TICK_RATE, MatchSettings, MatchTicket, SignerKind, TicketSeat, TicketSigner,
    tick_interval_us,
};
use scr::RelayKey;

use super::handoff::{HandedOff, HandoffError, MatchPlan, RelayHandoff};
use crate::community::Community;

/// How long a relay that refused a match is passed over.
const FAILURE_BACKOFF_MS: u64 = 60_000;

/// A relay the matchmaker may place matches on.
pub trait HostingRelay: Send + Sync {
    /// `host:port` players connect to.
    fn address(&self) -> String;
    /// The key players pin.
    fn key(&self) -> RelayKey;
    /// The region it serves (`None`: any).
    fn region(&self) -> Option<String>;
    /// Whether it takes one more match now (running and below its capacity); the error says
    /// why not.
    fn reserve(&self) -> Result<(), String>;
}

/// Places accepted matches on the first fitting relay and signs the players' tickets with the
/// community's current signing key.
pub struct TicketHandoff {
    community: Arc<Community>,
    relays: Vec<Arc<dyn HostingRelay>>,
    /// Index of a relay → when it last refused (matchmaker milliseconds) and why.
    failures: Mutex<HashMap<usize, (u64, String)>>,
}

impl TicketHandoff {
    /// Hands matches to `relays`, in preference order.
    pub fn new(community: Arc<Community>, relays: Vec<Arc<dyn HostingRelay>>) -> Self {
        Self {
            community,
            relays,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<usize, (u64, String)>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first relay that serves one of `regions`, has not failed recently and takes the
    /// match; a relay that refuses is passed over for a while.
    fn pick(&self, regions: &[String], now_ms: u64) -> Result<&Arc<dyn HostingRelay>, String> {
        let mut reasons = Vec::new();
        for (index, relay) in self.relays.iter().enumerate() {
            let serves = match relay.region() {
                Some(region) => regions.is_empty() || regions.contains(&region),
                None => true,
            };
            if !serves {
                continue;
            }
            let failed = self.failures().get(&index).cloned();
            if let Some((at, why)) = failed
                && now_ms.saturating_sub(at) < FAILURE_BACKOFF_MS
            {
                reasons.push(format!("{} failed recently ({why})", relay.address()));
                continue;
            }
            match relay.reserve() {
                Ok(()) => {
                    self.failures().remove(&index);
                    return Ok(relay);
                }
                Err(reason) => {
                    reasons.push(format!("{}: {reason}", relay.address()));
                    self.failures().insert(index, (now_ms, reason));
                }
            }
        }
        if reasons.is_empty() {
            reasons.push("no relay serves the players' regions".to_owned());
        }
        Err(reasons.join("; "))
    }
}

#[async_trait]
impl RelayHandoff for TicketHandoff {
    async fn hand_off(&self, plan: &MatchPlan, now_ms: u64) -> Result<HandedOff, HandoffError> {
        let relay = self.pick(&plan.regions, now_ms).map_err(HandoffError)?;
        let players: Vec<_> = plan
            .teams
            .iter()
            .enumerate()
            .flat_map(|(team, members)| members.iter().map(move |key| (team, *key)))
            .collect();
        let player_count = u8::try_from(players.len())
            .map_err(|_| HandoffError(format!("{} players do not fit a match", players.len())))?;
        // A random id: game ids are not secret, but they must not repeat on a relay, and
        // several matchmakers (communities) may share one relay.
        let game_id = rand::rngs::OsRng.next_u64();
        let signer = TicketSigner::new(
            SignerKind::Community,
            self.community
                .issuer()
                .map_err(|superseded| HandoffError(superseded.to_string()))?,
        );
        let signing_key = signer.public_key();
        let issued_at = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let ttl = i64::try_from(plan.ticket_ttl_secs).unwrap_or(i64::MAX);
        let (map_name, map_hash) = plan.ticket_map();
        let settings = MatchSettings {
            ranked: plan.ranked,
            tick_interval_us: tick_interval_us(DEFAULT_TICK_RATE),
            map_name,
            map_hash,
            player_count,
        };
        let mut tickets = Vec::with_capacity(players.len());
        let mut terms = None;
        for (slot, (team, player)) in players.into_iter().enumerate() {
            let ticket = MatchTicket {
                signer_kind: SignerKind::Community,
                signer_key: signing_key,
                community_key: signing_key.into(),
                game_id,
                game_module: plan.module.clone(),
                player_key: player,
                seat: TicketSeat::Player {
                    slot: PlayerSlot(u8::try_from(slot).unwrap_or(u8::MAX)),
                    team: TeamId(u8::try_from(team).unwrap_or(u8::MAX)),
                },
                settings: settings.clone(),
                issued_at,
                expires_at: issued_at.saturating_add(ttl),
            };
            let signed = signer
                .sign(&ticket)
                .map_err(|error| HandoffError(format!("signing a ticket: {error}")))?;
            tickets.push((player, signed.into_bytes()));
            terms.get_or_insert(ticket);
        }
        let terms = terms.ok_or_else(|| HandoffError("a match without players".into()))?;
        Ok(HandedOff {
            relay_address: relay.address(),
            relay_key: relay.key(),
            terms,
            tickets,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use relay_core::ticket::TicketVerifier;
    use scr::{KeyPair, PlayerKey};

    use super::*;

    struct FakeRelay {
        address: &'static str,
        region: Option<&'static str>,
        full: AtomicBool,
    }

    impl FakeRelay {
        fn new(address: &'static str, region: Option<&'static str>) -> Arc<Self> {
            Arc::new(Self {
                address,
                region,
                full: AtomicBool::new(false),
            })
        }
    }

    impl HostingRelay for FakeRelay {
        fn address(&self) -> String {
            self.address.to_owned()
        }
        fn key(&self) -> RelayKey {
            KeyPair::from_seed([9; 32]).public_key().into()
        }
        fn region(&self) -> Option<String> {
            self.region.map(str::to_owned)
        }
        fn reserve(&self) -> Result<(), String> {
            if self.full.load(Ordering::SeqCst) {
                Err("full".into())
            } else {
                Ok(())
            }
        }
    }

    fn community() -> Arc<Community> {
        Arc::new(
            Community::new(
                "Test".into(),
                "http://127.0.0.1:19710".into(),
                KeyPair::from_seed([1; 32]),
                KeyPair::from_seed([2; 32]).public_key().into(),
                KeyPair::from_seed([3; 32]),
                Vec::new(),
            )
            .unwrap(),
        )
    }

    fn plan(regions: &[&str]) -> MatchPlan {
        let player = |seed| PlayerKey::from(KeyPair::from_seed([seed; 32]).public_key());
        MatchPlan {
            module: "ra".into(),
            ranked: true,
            teams: [vec![player(10)], vec![player(11)]],
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            ticket_ttl_secs: 300,
            map: Some(crate::matchmaking::PoolMap {
                name: "Coastline".into(),
                hash: "ab".repeat(32),
            }),
        }
    }

    #[tokio::test]
    async fn every_player_gets_a_community_ticket_for_one_game() {
        let community = community();
        let relay = FakeRelay::new("relay.example.org:19711", None);
        let handoff = TicketHandoff::new(community.clone(), vec![relay]);
        let plan = plan(&[]);
        let handed = handoff.hand_off(&plan, 1_000_000).await.unwrap();
        assert_eq!(handed.relay_address, "relay.example.org:19711");
        let verifier =
            TicketVerifier::new([(SignerKind::Community, community.signing_key().public_key())])
                .unwrap();
        let mut seats = Vec::new();
        for (player, bytes) in &handed.tickets {
            let verified = verifier.verify(bytes, 1_000).unwrap();
            let ticket = verified.ticket();
            assert_eq!(ticket.player_key, *player);
            assert_eq!(ticket.game_id, handed.game_id());
            assert_eq!(ticket.community_key, community.signing_key());
            assert!(ticket.settings.ranked);
            assert_eq!(ticket.settings.player_count, 2);
            // The map the veto left, by name and hash.
            assert_eq!(ticket.settings.map_name, "Coastline");
            assert_eq!(ticket.settings.map_hash, [0xab; 32]);
            assert_eq!(ticket.expires_at, 1_000 + 300);
            seats.push(ticket.seat);
        }
        let player = |n| TicketSeat::Player {
            slot: PlayerSlot(n),
            team: TeamId(n),
        };
        assert_eq!(seats, vec![player(0), player(1)]);
        // A ticket is no good after its expiry.
        assert!(verifier.verify(&handed.tickets[0].1, 1_300).is_err());
    }

    #[tokio::test]
    async fn relays_are_chosen_by_region_and_a_full_one_is_passed_over_for_a_while() {
        let eu = FakeRelay::new("eu:1", Some("eu"));
        let na = FakeRelay::new("na:1", Some("na"));
        let any = FakeRelay::new("any:1", None);
        let relays: Vec<Arc<dyn HostingRelay>> = vec![eu.clone(), na.clone(), any.clone()];
        let handoff = TicketHandoff::new(community(), relays);
        let at = |regions: &[&str], now| {
            let plan = plan(regions);
            let handoff = &handoff;
            async move { handoff.hand_off(&plan, now).await.map(|h| h.relay_address) }
        };
        assert_eq!(at(&["na"], 0).await.unwrap(), "na:1");
        assert_eq!(at(&["eu", "na"], 0).await.unwrap(), "eu:1");
        assert_eq!(at(&[], 0).await.unwrap(), "eu:1");
        assert_eq!(at(&["sa"], 0).await.unwrap(), "any:1");

        na.full.store(true, Ordering::SeqCst);
        assert_eq!(at(&["na"], 1_000).await.unwrap(), "any:1");
        // Room again, but it refused a moment ago: still passed over until the backoff ends.
        na.full.store(false, Ordering::SeqCst);
        assert_eq!(at(&["na"], 30_000).await.unwrap(), "any:1");
        assert_eq!(at(&["na"], 61_000).await.unwrap(), "na:1");

        any.full.store(true, Ordering::SeqCst);
        let error = at(&["sa"], 100_000).await.unwrap_err();
        assert!(error.0.contains("any:1: full"), "{error}");
    }

    #[tokio::test]
    async fn a_configured_relay_the_probe_cannot_reach_gets_no_matches() {
        use crate::matchmaker::remote_relay::ConfiguredRelay;
        // Listed as an operator writes it, serving one region.
        let listing = crate::config::from_file_text(&format!(
            "[matchmaking]\nrelays = [{{ address = \"far:19711\", key = \"{}\", \
                 region = \"na\" }}]\n",
            KeyPair::from_seed([9; 32]).public_key()
        ))
        .matchmaking
        .relays
        .remove(0);
        let remote = Arc::new(ConfiguredRelay::new(listing));
        let fallback = FakeRelay::new("near:1", None);
        let handoff = TicketHandoff::new(community(), vec![remote.clone(), fallback.clone()]);
        remote.probed(Ok(()));
        assert_eq!(
            handoff.hand_off(&plan(&[]), 0).await.unwrap().relay_address,
            "far:19711"
        );
        // Its region: players from "na" go there, players from "eu" elsewhere.
        assert_eq!(
            handoff
                .hand_off(&plan(&["na"]), 0)
                .await
                .unwrap()
                .relay_address,
            "far:19711"
        );
        assert_eq!(
            handoff
                .hand_off(&plan(&["eu"]), 0)
                .await
                .unwrap()
                .relay_address,
            "near:1"
        );
        remote.probed(Err("no answer within 5s".into()));
        assert_eq!(
            handoff
                .hand_off(&plan(&[]), 1_000)
                .await
                .unwrap()
                .relay_address,
            "near:1"
        );
        fallback.full.store(true, Ordering::SeqCst);
        let error = handoff.hand_off(&plan(&[]), 2_000).await.unwrap_err();
        assert!(
            error.0.contains("far:19711") && error.0.contains("no answer"),
            "{error}"
        );
    }
}
