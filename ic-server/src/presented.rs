//! Records players present to this server (to the verify endpoint, to the matchmaker), checked
//! against what this community knows: its key chain, the player's revocations, the newest
//! rating it issued per game module.

use scr::{
    KeyChain, PlayerContext, PlayerKey, Record, RecordType, RevocationTable, Verified, Verifier,
    VerifyError,
};

use crate::store::{Store, StoreError};

/// What this community knows about `player`: its revocations and, per game module, the newest
/// rating it issued (so an older rating is `stale`).
pub async fn player_context(
    store: &dyn Store,
    player: &PlayerKey,
) -> Result<PlayerContext, StoreError> {
    let mut table = RevocationTable::new(*player);
    for (record_type, min_valid) in store.revocations(player).await? {
        if let Some(record_type) = RecordType::from_byte(record_type) {
            table.raise(record_type, min_valid);
        }
    }
    let mut context = PlayerContext::new(table);
    for row in store.ratings(player).await? {
        context = context.with_newest_rating(&row.game_module, row.rating_sequence);
    }
    Ok(context)
}

/// Verifies one presented record of `player` at `now`: the outer error is the database's, the
/// inner one why the record is refused.
pub async fn verify_presented(
    store: &dyn Store,
    chain: &KeyChain,
    player: &PlayerKey,
    bytes: &[u8],
    now: i64,
) -> Result<Result<Verified<Record>, VerifyError>, StoreError> {
    let context = player_context(store, player).await?;
    Ok(Verifier::new(chain.clone())
        .with_player(context)
        .verify(bytes, now))
}
