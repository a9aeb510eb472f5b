//! Deciding whether a sync asks the community to re-issue the player's ratings: one expires
//! soon, is no longer valid, or is from before the running season.

use scr::{KeyChain, PlayerContext, Record, RevocationTable, Verified, Verifier};

use super::REISSUE_WINDOW_SECS;
use crate::wallet::{CommunityStore, WalletError};

/// Whether the newest rating of any module and algorithm (stored or just received) expires
/// soon or is no longer valid now: expired, revoked, or signed by a key retired since; or is
/// from before the community's running season (`running_season`; a record of the first layout
/// names no season and counts as older).
pub(super) async fn needs_reissue(
    store: &CommunityStore,
    chain: &KeyChain,
    incoming: &[Verified<Record>],
    table: &RevocationTable,
    running_season: Option<u32>,
    now: i64,
) -> Result<bool, WalletError> {
    use std::collections::BTreeMap;
    // Newest rating per (module, algorithm): (sequence, expires_at, bytes).
    let mut newest: BTreeMap<(String, String), (u64, i64, Vec<u8>)> = BTreeMap::new();
    let mut consider = |key: (String, String), sequence: u64, expires_at: i64, bytes: &[u8]| {
        let replace = newest.get(&key).is_none_or(|held| sequence > held.0);
        if replace {
            newest.insert(key, (sequence, expires_at, bytes.to_vec()));
        }
    };
    for rating in store.ratings().await? {
        consider(
            (rating.game_module, rating.algorithm_id),
            rating.sequence,
            rating.expires_at,
            &rating.bytes,
        );
    }
    for record in incoming {
        if let scr::Payload::Rating(rating) = record.payload() {
            consider(
                (rating.game_module.clone(), rating.algorithm_id.clone()),
                record.sequence(),
                record.expires_at().unwrap_or(i64::MAX),
                record.as_bytes(),
            );
        }
    }
    let verifier = Verifier::new(chain.clone()).with_player(PlayerContext::new(table.clone()));
    let from_an_earlier_season = |bytes: &[u8]| {
        running_season.is_some_and(|running| {
            Record::decode(bytes).is_ok_and(|record| match record.payload() {
                scr::Payload::Rating(rating) => rating.season.is_none_or(|s| s < running),
                _ => false,
            })
        })
    };
    Ok(newest.values().any(|(_, expires_at, bytes)| {
        expires_at.saturating_sub(now) <= REISSUE_WINDOW_SECS
            || verifier.verify(bytes, now).is_err()
            || from_an_earlier_season(bytes)
    }))
}
