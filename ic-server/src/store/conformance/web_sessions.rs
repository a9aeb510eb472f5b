//! Web sign-in on every backend: a login link opens one session, once, before it expires;
//! sessions expire when idle and at their absolute end, and end when signed out.

use super::{Fresh, on_each_backend};
use crate::store::NewSession;

fn key(seed: u8) -> scr::PublicKey {
    scr::KeyPair::from_seed([seed; 32]).public_key()
}

fn session(seed: u8) -> NewSession {
    NewSession {
        token_hash: [seed; 32],
        idle_secs: 100,
        max_secs: 250,
    }
}

async fn a_link_opens_one_session_once_before_it_expires(fresh: Fresh) {
    let store = &fresh.stores.core;
    store
        .add_login_link(&[1; 32], &key(1), 0, 300)
        .await
        .unwrap();
    store
        .add_login_link(&[2; 32], &key(2), 0, 300)
        .await
        .unwrap();
    let link = store.login_link(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(
        (link.principal, link.expires_at, link.used_at),
        (key(1), 300, None)
    );
    assert_eq!(store.login_link(&[9; 32]).await.unwrap(), None);

    // Expired (one second after its last), unknown: no session.
    assert_eq!(
        store
            .redeem_login_link(&[2; 32], 301, &session(20))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .redeem_login_link(&[9; 32], 10, &session(21))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.touch_session(&[20; 32], 301, 100).await.unwrap(),
        None
    );

    // Used at its last second; a second use opens nothing, even with another session token.
    assert_eq!(
        store
            .redeem_login_link(&[1; 32], 300, &session(10))
            .await
            .unwrap(),
        Some(key(1))
    );
    assert_eq!(
        store
            .redeem_login_link(&[1; 32], 300, &session(11))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.login_link(&[1; 32]).await.unwrap().unwrap().used_at,
        Some(300)
    );
    let opened = store
        .touch_session(&[10; 32], 300, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.principal, key(1));
    assert_eq!((opened.created_at, opened.expires_at), (300, 550));
    assert_eq!(
        store.touch_session(&[11; 32], 300, 100).await.unwrap(),
        None
    );
}

async fn concurrent_redemptions_of_one_link_open_one_session(fresh: Fresh) {
    let store = fresh.stores.core.clone();
    let other = fresh.reopen().await.core;
    store
        .add_login_link(&[1; 32], &key(1), 0, 300)
        .await
        .unwrap();
    let (first, second) = (session(10), session(11));
    let (a, b) = tokio::join!(
        store.redeem_login_link(&[1; 32], 5, &first),
        other.redeem_login_link(&[1; 32], 5, &second),
    );
    let opened = [a.unwrap(), b.unwrap()];
    assert_eq!(
        opened.iter().filter(|p| p.is_some()).count(),
        1,
        "{opened:?}"
    );
}

async fn sessions_end_when_idle_at_their_limit_or_when_signed_out(fresh: Fresh) {
    let store = &fresh.stores.core;
    for seed in [1, 2, 3] {
        store
            .add_login_link(&[seed; 32], &key(seed), 0, 10)
            .await
            .unwrap();
        store
            .redeem_login_link(&[seed; 32], 0, &session(seed + 10))
            .await
            .unwrap();
    }
    // Idle: alive until its idle expiry (100), gone from then on.
    assert!(
        store
            .touch_session(&[11; 32], 99, 100)
            .await
            .unwrap()
            .is_some()
    );
    // Used at 99, it now lives to 199 (pushed), but no longer past the absolute end (250).
    let pushed = store
        .touch_session(&[11; 32], 199 - 100, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pushed.idle_expires_at, 199);
    for now in [150, 240] {
        assert!(
            store
                .touch_session(&[11; 32], now, 100)
                .await
                .unwrap()
                .is_some(),
            "{now}"
        );
    }
    assert_eq!(
        store
            .touch_session(&[11; 32], 249, 100)
            .await
            .unwrap()
            .unwrap()
            .idle_expires_at,
        250
    );
    assert_eq!(
        store.touch_session(&[11; 32], 250, 100).await.unwrap(),
        None
    );
    // Never used: ends at its first idle expiry.
    assert_eq!(
        store.touch_session(&[12; 32], 100, 100).await.unwrap(),
        None
    );
    // Signed out.
    assert!(store.end_session(&[13; 32]).await.unwrap());
    assert!(!store.end_session(&[13; 32]).await.unwrap());
    assert_eq!(store.touch_session(&[13; 32], 1, 100).await.unwrap(), None);
    // Purged once expired: the link and the sessions' rows are gone.
    store.purge_expired(1000).await.unwrap();
    assert_eq!(store.login_link(&[1; 32]).await.unwrap(), None);
}

on_each_backend!(
    a_link_opens_one_session_once_before_it_expires,
    concurrent_redemptions_of_one_link_open_one_session,
    sessions_end_when_idle_at_their_limit_or_when_signed_out,
);
