//! The C ABI's promises, called the way C calls it: NULL and malformed arguments are typed
//! errors with a message, calls that wait give up at their timeout, a wallet's clients and
//! verifiers work from several threads at once, and every free takes NULL.
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use ic_client::present::Presentation;
use ic_client_ffi::*;
use scr::payload::{Payload, RatingPayload};
use scr::{KeyPair, PlayerKey, RecordBuilder};

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn last_message() -> String {
    // SAFETY: NULL or this thread's last error, which nothing replaced since.
    let ptr = ic_last_error_message();
    assert!(!ptr.is_null(), "a failure leaves a message");
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned()
}

fn open(dir: &std::path::Path) -> *mut IcClient {
    let mut client = std::ptr::null_mut();
    let dir = c(dir.to_str().unwrap());
    // SAFETY: valid strings and out-pointer.
    let status = unsafe { ic_client_open(dir.as_ptr(), std::ptr::null(), 1, &mut client) };
    assert_eq!(status, IcStatus::Ok);
    client
}

fn rating(community: &KeyPair, player: PlayerKey, sequence: u64, issued_at: i64) -> Vec<u8> {
    RecordBuilder::new(Payload::Rating(RatingPayload {
        game_module: "ra".into(),
        algorithm_id: "glicko2".into(),
        rating: 1_612_500,
        deviation: 80_000,
        volatility: 60_000,
        games_played: 12,
        wins: 8,
        losses: 4,
        draws: 0,
        streak: 2,
        rank: 0,
        percentile: 0,
        season: Some(1),
    }))
    .player(player)
    .sequence(sequence)
    .issued_at(issued_at)
    .sign(community)
    .unwrap()
    .into_bytes()
}

#[test]
fn null_and_malformed_arguments_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = std::ptr::null_mut();
    // SAFETY: each call passes NULL or valid pointers, which is what is under test.
    unsafe {
        assert_eq!(
            ic_client_open(std::ptr::null(), std::ptr::null(), 1, &mut client),
            IcStatus::InvalidArgument
        );
        assert_eq!(last_message(), "data_dir is NULL");
        let path = c(dir.path().join("w").to_str().unwrap());
        assert_eq!(
            ic_client_open(path.as_ptr(), std::ptr::null(), 1, std::ptr::null_mut()),
            IcStatus::InvalidArgument
        );
        assert_eq!(last_message(), "out_client is NULL");
        // Without `create`, a wallet without an identity is not found.
        assert_eq!(
            ic_client_open(path.as_ptr(), std::ptr::null(), 0, &mut client),
            IcStatus::NotFound
        );
        assert!(client.is_null(), "no handle on failure");

        let client = open(&dir.path().join("w"));
        let key = CStr::from_ptr(ic_client_player_key(client))
            .to_str()
            .unwrap();
        assert!(key.starts_with("ed25519:"), "{key}");
        // Not UTF-8.
        let bad = [0xffu8, 0xfe, 0];
        let mut bytes = IcBytes::EMPTY;
        assert_eq!(
            ic_client_present(
                client,
                bad.as_ptr().cast::<c_char>(),
                std::ptr::null(),
                &mut bytes
            ),
            IcStatus::InvalidArgument
        );
        assert_eq!(last_message(), "community is not UTF-8");
        // A community the wallet never joined.
        let nowhere = c("nowhere");
        assert_eq!(
            ic_client_present(client, nowhere.as_ptr(), std::ptr::null(), &mut bytes),
            IcStatus::NotFound
        );
        assert!(last_message().contains("nowhere"));
        let mut list = std::ptr::null_mut();
        assert_eq!(ic_client_communities(client, &mut list), IcStatus::Ok);
        assert_eq!(ic_community_list_len(list), 0);
        assert!(ic_community_list_get(list, 0).is_null());
        ic_community_list_free(list);
        // A timeout of zero is a mistake, not "forever".
        let mut slug = std::ptr::null_mut();
        let url = c("http://127.0.0.1:9");
        assert_eq!(
            ic_client_join(
                client,
                url.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                &mut slug
            ),
            IcStatus::InvalidArgument
        );
        // A relay key that is not a key, and a ticket pointer without bytes.
        let mut session = std::ptr::null_mut();
        let address = c("127.0.0.1:9");
        let not_a_key = c("ed25519:nothex");
        assert_eq!(
            ic_relay_connect(
                client,
                address.as_ptr(),
                not_a_key.as_ptr(),
                std::ptr::null(),
                10,
                1000,
                &mut session
            ),
            IcStatus::InvalidArgument
        );
        assert!(session.is_null());
        ic_client_free(client);

        // Every free takes NULL; getters of NULL handles answer NULL, 0 or -1.
        ic_client_free(std::ptr::null_mut());
        ic_community_list_free(std::ptr::null_mut());
        ic_verifier_free(std::ptr::null_mut());
        ic_verification_free(std::ptr::null_mut());
        ic_seat_free(std::ptr::null_mut());
        ic_relay_session_free(std::ptr::null_mut());
        assert!(ic_client_player_key(std::ptr::null()).is_null());
        assert!(ic_seat_relay_address(std::ptr::null()).is_null());
        assert_eq!(ic_seat_game_id(std::ptr::null()), 0);
        assert_eq!(ic_relay_slot(std::ptr::null()), -1);
        assert_eq!(ic_verification_len(std::ptr::null()), 0);
        let mut frame = std::mem::MaybeUninit::<IcFrame>::uninit();
        assert_eq!(
            ic_relay_poll(std::ptr::null(), 0, frame.as_mut_ptr()),
            IcStatus::InvalidArgument
        );
    }
}

#[test]
fn network_calls_end_at_their_timeout_and_an_unreachable_server_is_a_network_error() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    // A server that accepts the connection and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = c(&format!("http://{}", silent.local_addr().unwrap()));
    let mut slug = std::ptr::null_mut();
    let started = Instant::now();
    // SAFETY: a live client, valid strings and out-pointer.
    let status = unsafe {
        ic_client_join(
            client,
            url.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            300,
            &mut slug,
        )
    };
    let waited = started.elapsed();
    assert_eq!(status, IcStatus::Timeout);
    assert!(last_message().contains("300 ms"));
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    assert!(slug.is_null());

    // Nobody listens on this port: refused at once, a network error.
    drop(silent);
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = c(&format!("http://{}", closed.local_addr().unwrap()));
    drop(closed);
    // SAFETY: as above.
    let status = unsafe {
        ic_client_join(
            client,
            url.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            5_000,
            &mut slug,
        )
    };
    assert_eq!(status, IcStatus::Network);
    assert!(
        last_message().contains("could not reach"),
        "{}",
        last_message()
    );
    // SAFETY: the client from `open`, freed once.
    unsafe { ic_client_free(client) };
}

/// A verifier shared by threads, each checking presentations at once, with the verdicts a
/// game needs: valid, expired, someone else's record, another community's.
#[test]
fn one_verifier_checks_presentations_from_several_threads_with_a_verdict_per_record() {
    const NOW: i64 = 1_800_000_000;
    let community = KeyPair::from_seed([3; 32]);
    let other = KeyPair::from_seed([4; 32]);
    let player = PlayerKey::from(KeyPair::from_seed([5; 32]).public_key());
    let stranger = PlayerKey::from(KeyPair::from_seed([6; 32]).public_key());
    let presentation = Presentation::new(vec![
        rating(&community, player, 1, NOW - 60),
        rating(&community, player, 2, NOW - 30 * 86_400),
        rating(&community, stranger, 3, NOW - 60),
        rating(&other, player, 4, NOW - 60),
    ])
    .to_bytes();
    let signing = c(&community.public_key().to_string());
    let mut verifier = std::ptr::null_mut();
    // SAFETY: valid strings and out-pointer.
    let status = unsafe { ic_verifier_for_keys(signing.as_ptr(), std::ptr::null(), &mut verifier) };
    assert_eq!(status, IcStatus::Ok);
    let shared = verifier as usize;
    let player_text = player.to_string();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let presentation = presentation.clone();
            let player_text = c(&player_text);
            std::thread::spawn(move || {
                let mut verdicts = Vec::new();
                for _ in 0..25 {
                    let mut verification = std::ptr::null_mut();
                    // SAFETY: the verifier outlives the threads; the rest is local and valid.
                    unsafe {
                        let status = ic_verifier_check(
                            shared as *const IcVerifier,
                            player_text.as_ptr(),
                            presentation.as_ptr(),
                            presentation.len(),
                            NOW,
                            &mut verification,
                        );
                        assert_eq!(status, IcStatus::Ok);
                        assert_eq!(ic_verification_len(verification), 4);
                        assert_eq!(ic_verification_valid_count(verification), 1);
                        verdicts = (0..4)
                            .map(|i| {
                                let v = &*ic_verification_get(verification, i);
                                let error = (!v.error.is_null())
                                    .then(|| CStr::from_ptr(v.error).to_str().unwrap().to_owned());
                                (v.valid, error, v.sequence, v.rating_milli, v.games_played)
                            })
                            .collect();
                        assert!(ic_verification_get(verification, 4).is_null());
                        ic_verification_free(verification);
                    }
                }
                verdicts
            })
        })
        .collect();
    for thread in threads {
        let verdicts = thread.join().unwrap();
        assert_eq!(verdicts[0], (1, None, 1, 1_612_500, 12));
        assert_eq!(verdicts[1].1.as_deref(), Some("expired"));
        assert_eq!(verdicts[2].1.as_deref(), Some("identity_mismatch"));
        assert_eq!(verdicts[3].1.as_deref(), Some("wrong_community"));
        assert_eq!(verdicts[3].2, 4, "an invalid record is still described");
    }
    // Bytes that are not records: an argument error, not a verdict.
    let mut verification = std::ptr::null_mut();
    let player_text = c(&player_text);
    // SAFETY: valid pointers; the verifier is freed once, after every use.
    unsafe {
        assert_eq!(
            ic_verifier_check(
                verifier,
                player_text.as_ptr(),
                [1u8, 2, 3].as_ptr(),
                3,
                NOW,
                &mut verification
            ),
            IcStatus::InvalidArgument
        );
        assert!(
            last_message().starts_with("not a presentation"),
            "{}",
            last_message()
        );
        ic_verifier_free(verifier);
    }
}

/// One client, four threads at once: the wallet calls answer on each of them, and each
/// thread keeps its own last error.
#[test]
fn one_client_answers_calls_from_several_threads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let shared = open(dir.path()) as usize;
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let client = shared as *const IcClient;
                let missing = c(&format!("missing-{i}"));
                for _ in 0..20 {
                    let mut list = std::ptr::null_mut();
                    let mut bytes = IcBytes::EMPTY;
                    // SAFETY: the client outlives the threads; the rest is local and valid.
                    unsafe {
                        assert_eq!(ic_client_communities(client, &mut list), IcStatus::Ok);
                        assert_eq!(ic_community_list_len(list), 0);
                        ic_community_list_free(list);
                        assert_eq!(
                            ic_client_present(
                                client,
                                missing.as_ptr(),
                                std::ptr::null(),
                                &mut bytes
                            ),
                            IcStatus::NotFound
                        );
                    }
                    assert!(last_message().contains(&format!("missing-{i}")));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // SAFETY: the client from `open`, freed once after every thread ended.
    unsafe { ic_client_free(shared as *mut IcClient) };
}
