//! Joining and syncing against a mock community server.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::path::Path;

use super::*;
use crate::test_support::Community;
use crate::test_support::mock_server::{self, MockState, Shared};
use rand::SeedableRng;

const NOW: i64 = 1_700_000_000;

fn identity(seed: u64) -> Identity {
    Identity::generate(&mut rand::rngs::StdRng::seed_from_u64(seed)).unwrap()
}

async fn setup(seed: u8) -> (tempfile::TempDir, Client, Shared, String) {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    let client = Client::new(wallet, identity(u64::from(seed)));
    let state = MockState::new(Community::new(seed), "Alpha League", NOW);
    let url = mock_server::start(state.clone()).await;
    (dir, client, state, url)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn join_pins_registers_and_stores_the_initial_records() {
    let (_dir, client, state, url) = setup(1).await;
    let outcome = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap();
    assert_eq!(outcome.trust, TrustBasis::TrustOnFirstUse);
    assert!(outcome.newly_registered);
    assert_eq!(outcome.slug, "alpha-league");
    assert_eq!(outcome.report.stored, 1);
    assert!(
        state
            .lock()
            .unwrap()
            .is_registered(&client.identity().player_key())
    );
    let (_, store) = client
        .wallet()
        .open_community("alpha-league")
        .await
        .unwrap();
    let info = store.info().await.unwrap();
    assert_eq!(info.server_url, url);
    assert_eq!(
        info.pinned_key,
        state.lock().unwrap().community.current_key()
    );
    assert_eq!(store.ratings().await.unwrap().len(), 1);
    store.close().await;
    assert_eq!(
        files_in(&client.wallet().communities_dir()),
        vec!["alpha-league.db"]
    );
    assert!(matches!(
        client.join(&url, &JoinOptions::default(), NOW).await,
        Err(SyncError::AlreadyJoined { .. })
    ));
}

#[tokio::test]
async fn leaving_archives_the_wallet_and_stops_syncing_it() {
    let (_dir, client, _state, url) = setup(7).await;
    let slug = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap()
        .slug;
    let archived = client.wallet().leave(&slug, NOW + 1).await.unwrap();
    assert!(client.wallet().slugs().unwrap().is_empty());
    assert!(!client.wallet().community_path(&slug).exists());
    assert!(
        client
            .sync_all(Reissue::Never, NOW + 2)
            .await
            .unwrap()
            .is_empty()
    );
    let store = CommunityStore::open(&archived).await.unwrap();
    assert_eq!(
        store.ratings().await.unwrap().len(),
        1,
        "the records are kept"
    );
    store.close().await;
    // Joining again starts a new wallet.
    assert!(
        client
            .join(&url, &JoinOptions::default(), NOW + 3)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_wrong_fingerprint_is_refused_and_nothing_is_stored() {
    let (_dir, client, state, url) = setup(2).await;
    let wrong = JoinOptions {
        fingerprint: Some(Community::new(9).current_key().fingerprint().to_string()),
        invite_code: None,
    };
    assert!(matches!(
        client.join(&url, &wrong, NOW).await,
        Err(SyncError::Pin(PinError::FingerprintMismatch { .. }))
    ));
    assert!(files_in(&client.wallet().communities_dir()).is_empty());
    assert!(
        !state
            .lock()
            .unwrap()
            .is_registered(&client.identity().player_key())
    );
    let right = JoinOptions {
        fingerprint: Some(
            state
                .lock()
                .unwrap()
                .community
                .current_key()
                .fingerprint()
                .to_string(),
        ),
        invite_code: None,
    };
    let outcome = client.join(&url, &right, NOW).await.unwrap();
    assert_eq!(outcome.trust, TrustBasis::FingerprintMatched);
}

#[tokio::test]
async fn sync_stores_new_records_marks_revocations_and_reissues() {
    let (_dir, client, state, url) = setup(3).await;
    let player = client.identity().player_key();
    let slug = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap()
        .slug;
    {
        let mut state = state.lock().unwrap();
        state.issue_match(player, 1);
        state.issue_rating(player, 1_520_000);
    }
    let report = client.sync(&slug, Reissue::Never, NOW + 10).await.unwrap();
    assert_eq!((report.report.stored, report.report.superseded), (1, 1));
    assert!(report.rejected.is_empty());
    // Nothing new: nothing changes.
    let report = client.sync(&slug, Reissue::Never, NOW + 20).await.unwrap();
    assert_eq!((report.report.stored, report.report.superseded), (0, 0));

    state.lock().unwrap().revoke(player, RecordType::Rating);
    let report = client.sync(&slug, Reissue::Never, NOW + 30).await.unwrap();
    assert_eq!(
        (
            report.report.revocations_applied,
            report.report.marked_revoked
        ),
        (1, 1)
    );
    assert!(!report.reissued);
    let (_, store) = client.wallet().open_community(&slug).await.unwrap();
    assert!(store.ratings().await.unwrap()[0].revoked);
    store.close().await;

    // A revoked rating is re-issued on the next sync.
    let report = client
        .sync(&slug, Reissue::WhenExpiring, NOW + 40)
        .await
        .unwrap();
    assert!(report.reissued);
    assert_eq!(report.report.superseded, 1);
    let (_, store) = client.wallet().open_community(&slug).await.unwrap();
    let rating = &store.ratings().await.unwrap()[0];
    assert!(!rating.revoked);
    store
        .verifier()
        .await
        .unwrap()
        .verify(&rating.bytes, NOW + 40)
        .unwrap();
    store.close().await;
}

#[tokio::test]
async fn a_new_season_asks_for_a_rating_of_that_season() {
    let (_dir, client, state, url) = setup(5).await;
    let player = client.identity().player_key();
    let slug = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap()
        .slug;
    state.lock().unwrap().issue_rating(player, 1_520_000);
    let season = |number: u32| {
        let state = state.lock().unwrap();
        let mut document = state.community.document_json(&state.name);
        document["season"] = serde_json::json!(number);
        document
    };
    // The test community's ratings name season 1: nothing to ask while it runs.
    let running = season(1);
    state.lock().unwrap().document_override = Some(running);
    let report = client
        .sync(&slug, Reissue::WhenExpiring, NOW + 10)
        .await
        .unwrap();
    assert!(!report.reissued);
    // Season 2 starts: the wallet's fresh, valid rating is of the season before.
    let running = season(2);
    state.lock().unwrap().document_override = Some(running);
    let report = client
        .sync(&slug, Reissue::WhenExpiring, NOW + 20)
        .await
        .unwrap();
    assert!(report.reissued);
}

#[tokio::test]
async fn sync_follows_a_rotation_chain_and_refuses_a_key_without_one() {
    let (_dir, client, state, url) = setup(4).await;
    let player = client.identity().player_key();
    let slug = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap()
        .slug;
    let old_key = state.lock().unwrap().community.current_key();
    {
        let mut state = state.lock().unwrap();
        state.community.rotate_voluntarily(NOW + 5);
        state.issue_match(player, 2);
    }
    let report = client.sync(&slug, Reissue::Never, NOW + 10).await.unwrap();
    let new_key = state.lock().unwrap().community.current_key();
    assert_eq!(report.rotated, Some((old_key, new_key)));
    assert_eq!(report.report.rotations_followed, 1);
    assert_eq!(report.report.stored, 1, "the new key's record verifies");

    // An impostor with its own key and no chain from ours.
    let path = client.wallet().community_path(&slug);
    let before = fs::read(&path).unwrap();
    {
        let mut state = state.lock().unwrap();
        let mut impostor = Community::new(40).document_json("Alpha League");
        impostor["recovery_key"] = state.community.recovery_key().to_string().into();
        state.document_override = Some(impostor);
    }
    let error = client
        .sync(&slug, Reissue::Never, NOW + 20)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Pin(PinError::KeyChangedWithoutChain { .. })
        ),
        "{error}"
    );
    assert!(error.to_string().starts_with("REFUSED"));
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "the wallet file is unchanged"
    );
    let (_, store) = client.wallet().open_community(&slug).await.unwrap();
    assert_eq!(store.info().await.unwrap().community_key, new_key);
    store.close().await;
}

#[tokio::test]
async fn after_an_emergency_rotation_old_key_records_are_refused_and_ratings_reissued() {
    let (_dir, client, state, url) = setup(6).await;
    let player = client.identity().player_key();
    let slug = client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap()
        .slug;
    let retired = state.lock().unwrap().community.signing.clone();
    state.lock().unwrap().community.rotate_emergency(NOW + 5);
    // Someone holding the stolen key signs a record after the rotation took effect.
    let forged = Community::new(6).rating(player, 9, NOW + 6, "ra", 2_900_000);
    assert_eq!(forged.community_key(), retired.public_key());
    state.lock().unwrap().push_raw(player, forged.into_bytes());

    let report = client
        .sync(&slug, Reissue::WhenExpiring, NOW + 10)
        .await
        .unwrap();
    assert!(report.rotated.is_some());
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].error.code(), "key_outside_grace");
    // The join-time rating was signed by the retired key, so a new one was issued.
    assert!(report.reissued);
    let presented = client
        .wallet()
        .present(&slug, Some("ra"), NOW + 10)
        .await
        .unwrap();
    let record = scr::Record::decode(&presented.records()[0]).unwrap();
    assert_eq!(
        record.community_key(),
        state.lock().unwrap().community.current_key().public_key()
    );
}

#[tokio::test]
async fn a_recovered_identity_finds_its_registration_and_history() {
    let (_dir, client, state, url) = setup(5).await;
    let player = client.identity().player_key();
    client
        .join(&url, &JoinOptions::default(), NOW)
        .await
        .unwrap();
    state.lock().unwrap().issue_match(player, 3);

    let phrase = client.identity().backup_phrase().unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let recovered = Client::new(
        Wallet::open(fresh.path()).unwrap(),
        Identity::recover(&phrase).unwrap(),
    );
    assert_eq!(recovered.identity().player_key(), player);
    let outcome = recovered
        .join(&url, &JoinOptions::default(), NOW + 5)
        .await
        .unwrap();
    assert!(!outcome.newly_registered);
    assert_eq!(outcome.report.stored, 2, "the rating and the match");
}
