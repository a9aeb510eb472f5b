//! Checks of what the ledger issued, read back over the API: every player's sequences gapless,
//! every match built on the rating the previous one ended at, matches applied once, and the
//! order in which to replay them one by one.

use std::collections::{BTreeMap, BTreeSet};

use scr::{KeyPair, PlayerKey, Record};

use super::log::await_checkpoint;
use super::{Server, records};

/// The id of a certified result (SHA-256 of its bytes).
pub fn match_id(cmr: &[u8]) -> [u8; 32] {
    <sha2::Sha256 as sha2::Digest>::digest(cmr).into()
}

/// A player's records, decoded, oldest first.
pub async fn records_of(server: &Server, player: &KeyPair) -> Vec<Record> {
    let token = server.login(player).await;
    let (status, body) = server.get("/v1/players/me/records", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    records(&body["records"])
        .iter()
        .map(|r| Record::decode(r).unwrap())
        .collect()
}

/// Each player's matches in the order the ledger applied them, after checking that the
/// player's sequences have no gap and that each match record starts from the rating the
/// previous one ended at (no update lost) and that no match counts twice for one player.
pub async fn commit_order(
    server: &Server,
    players: &[KeyPair],
) -> BTreeMap<PlayerKey, Vec<[u8; 32]>> {
    let mut order: BTreeMap<PlayerKey, Vec<[u8; 32]>> = BTreeMap::new();
    for player in players {
        let records = records_of(server, player).await;
        let sequences: Vec<u64> = records.iter().map(Record::sequence).collect();
        let expected: Vec<u64> = (1..=sequences.len() as u64).collect();
        assert_eq!(sequences, expected, "sequences of one player");
        let mut rating = 1_500_000;
        let mine = order.entry(player.public_key().into()).or_default();
        for record in &records {
            if let scr::Payload::Match(m) = record.payload() {
                assert_eq!(
                    m.rating_before, rating,
                    "update built on the previous rating"
                );
                assert!(
                    !mine.contains(&m.match_id),
                    "match applied twice for one player"
                );
                rating = m.rating_after;
                mine.push(m.match_id);
            }
        }
    }
    order
}

/// Every match applied, over all players.
pub async fn applied_matches(server: &Server, players: &[KeyPair]) -> BTreeSet<[u8; 32]> {
    commit_order(server, players)
        .await
        .into_values()
        .flatten()
        .collect()
}

/// A global order of matches consistent with each player's order.
pub fn topological(order: &BTreeMap<PlayerKey, Vec<[u8; 32]>>) -> Vec<[u8; 32]> {
    let mut after: BTreeMap<[u8; 32], BTreeSet<[u8; 32]>> = BTreeMap::new();
    for list in order.values() {
        for pair in list.windows(2) {
            after.entry(pair[1]).or_default().insert(pair[0]);
        }
        for id in list {
            after.entry(*id).or_default();
        }
    }
    let mut done: Vec<[u8; 32]> = Vec::new();
    while done.len() < after.len() {
        let next = after
            .iter()
            .find(|(id, before)| !done.contains(id) && before.iter().all(|b| done.contains(b)))
            .map(|(id, _)| *id)
            .expect("per-player orders are consistent");
        done.push(next);
    }
    done
}

/// The player's newest rating: (rating, deviation, volatility).
pub async fn final_rating(server: &Server, player: &KeyPair) -> (i64, i64, i64) {
    records_of(server, player)
        .await
        .iter()
        .filter_map(|r| match r.payload() {
            scr::Payload::Rating(rating) => {
                Some((rating.rating, rating.deviation, rating.volatility))
            }
            _ => None,
        })
        .next_back()
        .unwrap()
}

/// Replays `matches` one by one, in an order consistent with every player's commit order on
/// `server`, on a fresh SQLite server with the same keys, and checks that every player ends
/// with the same rating.
pub async fn assert_replay_gives_the_same_ratings(
    server: &Server,
    players: &[KeyPair],
    matches: &[Vec<u8>],
) {
    let order = commit_order(server, players).await;
    let by_id: BTreeMap<[u8; 32], Vec<u8>> =
        matches.iter().map(|m| (match_id(m), m.clone())).collect();
    let sequence = topological(&order);
    assert_eq!(sequence.len(), matches.len(), "every match applied");
    let replay_dir = tempfile::tempdir().unwrap();
    super::init_sharing_keys(&server.data_dir, replay_dir.path(), super::TEST_LIMITS);
    let replay = Server::spawn(replay_dir.path());
    for player in players {
        replay.register(player).await;
    }
    for id in &sequence {
        let (status, body) = replay.post_bytes("/v1/matches", by_id[id].clone()).await;
        assert_eq!(status, 201, "{body}");
    }
    for player in players {
        assert_eq!(
            final_rating(server, player).await,
            final_rating(&replay, player).await
        );
    }
}

/// Checks that the transparency log holds exactly the records `players` were issued: once a
/// checkpoint is signed (the server runs with `[transparency] checkpoint_secs = 1`), its size
/// is their number (no leaf without a record) and each record is proved in it (no record
/// without a leaf).
pub async fn assert_log_holds_exactly(server: &Server, players: &[KeyPair]) {
    let mut issued = Vec::new();
    for player in players {
        issued.extend(records_of(server, player).await);
    }
    let count = issued.len() as u64;
    let (_, checkpoint) = await_checkpoint(server, &format!("covering {count} records"), |_, c| {
        c.size >= count
    })
    .await;
    let size = checkpoint.size;

    assert_eq!(
        size,
        issued.len() as u64,
        "one leaf per issued record, no more"
    );
    for record in &issued {
        let leaf = transparency::leaf_hash(record.as_bytes());
        let (status, body) = server
            .get(
                &format!(
                    "/v1/transparency/inclusion?hash={}&tree_size={size}",
                    hex::encode(leaf)
                ),
                None,
            )
            .await;
        assert_eq!(
            status,
            200,
            "record #{} has no leaf: {body}",
            record.sequence()
        );
    }
}
