//! Match evidence: a case's match, played through the server's relay, lists with its players
//! and replay; the moderator's replay hashes to what the relay signed, the reviewer's copy
//! names nobody by key, and a match the case does not name is refused.

use base64::Engine as _;
use ic_client::relay::RelayClient;
use ic_client::relay::bot::{BotEnd, BotPlan};
use relay_core::cmr::{EndReason, MatchId};
use relay_core::frames::SimOutcome;
use relay_core::ids::TeamId;
use relay_core::ticket::{MatchSettings, MatchTicket, SignerKind, TicketSeat, TicketSigner};
use sha2::{Digest, Sha256};

use super::common::Backend;
use super::world::{Member, World, key_forms};

/// `winner` (slot 0) beats `loser` in game `game_id` through the server's relay; the match id.
async fn play_through_relay(
    world: &World,
    winner: &Member,
    loser: &Member,
    game_id: u64,
) -> String {
    let document = world.server.document().await;
    let listed = &document["relays"][0];
    let address = listed["address"].as_str().unwrap().parse().unwrap();
    let relay_key: scr::PublicKey = listed["key"].as_str().unwrap().parse().unwrap();
    let signing = world.server.signing_key();
    let now = ic_server::clock::unix_now();
    let mut sessions = Vec::new();
    for (slot, member) in [(0u8, winner), (1, loser)] {
        let ticket = TicketSigner::new(SignerKind::Community, signing.clone())
            .sign(&MatchTicket {
                signer_kind: SignerKind::Community,
                signer_key: signing.public_key(),
                community_key: world.community,
                game_id,
                game_module: "ra".into(),
                player_key: member.key.public_key().into(),
                seat: TicketSeat::Player {
                    slot: relay_core::ids::PlayerSlot(slot),
                    team: TeamId(slot),
                },
                settings: MatchSettings {
                    ranked: true,
                    tick_interval_us: 50_000,
                    map_name: "Evidence Ridge".into(),
                    map_hash: [3; 32],
                    player_count: 2,
                },
                issued_at: now - 5,
                expires_at: now + 300,
            })
            .unwrap()
            .into_bytes();
        let client = RelayClient::new("127.0.0.1:0".parse().unwrap()).unwrap();
        let session = client
            .connect(address, relay_key, &member.key, &ticket)
            .await
            .unwrap();
        sessions.push((client, session));
    }
    let plan = BotPlan {
        ticks: 40,
        orders_per_second: 15,
        outcome: SimOutcome::Victory {
            winner: TeamId(0),
            reason: EndReason::Elimination,
        },
        expect_records: 0,
        leave_after_tick: None,
        timeout: std::time::Duration::from_secs(30),
    };
    let (b, a) = (sessions.pop().unwrap(), sessions.pop().unwrap());
    let (ra, rb) = tokio::join!(
        ic_client::relay::bot::play(a.1, &plan),
        ic_client::relay::bot::play(b.1, &plan)
    );
    assert_eq!(
        (ra.end, rb.end),
        (BotEnd::Finished, BotEnd::Finished),
        "{ra:?}"
    );
    MatchId::of_record(ra.cmr.as_ref().unwrap()).to_string()
}

async fn get_bytes(world: &World, path: &str, token: &str) -> (u16, Vec<u8>) {
    let response = world
        .server
        .http
        .get(format!("{}{path}", world.server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

async fn a_case_match_replay_reaches_moderators_and_reviewers_without_keys(backend: Backend) {
    let world = World::start(backend, "required_reviewers = 2", "").await;
    let accused = world.established().await;
    let reporter = world.established().await;
    let reviewer = world.established().await;
    let match_id = play_through_relay(&world, &accused, &reporter, 900_001).await;
    let other_match = world.play(&accused, &reporter).await;
    let (status, filed) = world
        .report(
            &reporter,
            &accused,
            "griefing",
            Some(&match_id),
            "blocked my base",
        )
        .await;
    assert_eq!(status, 201, "{filed}");
    let case = filed["case_id"].as_str().unwrap().to_owned();

    // The moderator's listing: keys, the signed result, and the replay it binds.
    let (status, listing) = world
        .get(
            &format!("/v1/moderation/cases/{case}/evidence"),
            &world.moderator,
        )
        .await;
    assert_eq!(status, 200, "{listing}");
    let evidence = &listing["matches"][0];
    assert_eq!(evidence["match_id"], match_id.as_str());
    assert_eq!(evidence["replay_available"], true);
    assert_eq!(evidence["players"][0]["player"], accused.id());
    assert_eq!(evidence["players"][0]["result"], "win");
    let signed = base64::engine::general_purpose::STANDARD
        .decode(evidence["certified_result"].as_str().unwrap())
        .unwrap();
    assert_eq!(MatchId::of_record(&signed).to_string(), match_id);
    let (cmr, _) = relay_core::cmr::CertifiedMatchResult::decode_unverified(&signed).unwrap();
    let (status, replay) = get_bytes(
        &world,
        evidence["replay_url"].as_str().unwrap(),
        &world.moderator,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!replay.is_empty());
    let hash: [u8; 32] = Sha256::digest(&replay).into();
    assert_eq!(hash, cmr.replay_hash, "the replay is what the relay signed");
    assert_eq!(hex::encode(hash), evidence["replay_hash"]);
    // A match the case does not name is not served through it.
    let (status, _) = get_bytes(
        &world,
        &format!("/v1/moderation/cases/{case}/replays/{other_match}"),
        &world.moderator,
    )
    .await;
    assert_eq!(status, 404);
    // Players and reviewers are not moderators.
    let (status, _) = world
        .get(
            &format!("/v1/moderation/cases/{case}/evidence"),
            &reviewer.token,
        )
        .await;
    assert_eq!(status, 403);

    // The reviewer: pseudonyms, no signed result, a replay copy with no key in it.
    let assignment = world.next(&reviewer).await;
    let assignment_id = assignment["assignment_id"].as_str().unwrap().to_owned();
    let (status, listing) = world
        .get(
            &format!("/v1/review/assignments/{assignment_id}/evidence"),
            &reviewer.token,
        )
        .await;
    assert_eq!(status, 200, "{listing}");
    let evidence = &listing["matches"][0];
    assert!(evidence["certified_result"].is_null());
    assert_eq!(evidence["players"][0]["player"], assignment["accused"]);
    let text = listing.to_string();
    let (status, copy) = get_bytes(
        &world,
        evidence["replay_url"].as_str().unwrap(),
        &reviewer.token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!copy.is_empty());
    let copy_text = String::from_utf8_lossy(&copy);
    for member in [&accused, &reporter] {
        for form in key_forms(&member.key) {
            assert!(!text.contains(&form), "the listing names {form}");
            assert!(!copy_text.contains(&form), "the replay names {form}");
        }
        let raw = member.key.public_key().as_bytes().to_vec();
        assert!(!copy.windows(32).any(|w| w == raw.as_slice()));
    }
    // Another reviewer's assignment is not theirs to read.
    let stranger = world.member().await;
    let (status, _) = world
        .get(
            &format!("/v1/review/assignments/{assignment_id}/evidence"),
            &stranger.token,
        )
        .await;
    assert_eq!(status, 404);
}

crate::on_each_backend!(a_case_match_replay_reaches_moderators_and_reviewers_without_keys);
