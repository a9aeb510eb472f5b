//! Offline verification through the C ABI against the same call in Rust, side by side in one
//! run: a presentation of one and of eight rating records, checked for its player.
//!
//! Run: `cargo bench -p ic-client-ffi --bench verify_abi`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, unsafe_code)] // benchmark harness

use std::ffi::CString;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ic_client::present::{Presentation, verify_presented};
use ic_client_ffi::{
    IcStatus, IcVerification, IcVerifier, ic_verification_free, ic_verification_valid_count,
    ic_verifier_check, ic_verifier_for_keys, ic_verifier_free,
};
use scr::payload::{Payload, RatingPayload};
use scr::{KeyChain, KeyPair, PlayerKey, RecordBuilder};

const NOW: i64 = 1_800_000_000;

fn presentation(community: &KeyPair, player: PlayerKey, records: u64) -> Presentation {
    let records = (1..=records)
        .map(|sequence| {
            RecordBuilder::new(Payload::Rating(RatingPayload {
                game_module: format!("module{sequence}"),
                algorithm_id: "glicko2".into(),
                rating: 1_500_000,
                deviation: 350_000,
                volatility: 60_000,
                games_played: 3,
                wins: 2,
                losses: 1,
                draws: 0,
                streak: 1,
                rank: 0,
                percentile: 0,
                season: Some(1),
            }))
            .player(player)
            .sequence(sequence)
            .issued_at(NOW - 60)
            .sign(community)
            .unwrap()
            .into_bytes()
        })
        .collect();
    Presentation::new(records)
}

fn verify(c: &mut Criterion) {
    let community = KeyPair::from_seed([7; 32]);
    let player = PlayerKey::from(KeyPair::from_seed([9; 32]).public_key());
    let chain = KeyChain::new(community.public_key().into(), None).unwrap();
    let signing = CString::new(community.public_key().to_string()).unwrap();
    let player_text = CString::new(player.to_string()).unwrap();
    let mut verifier: *mut IcVerifier = std::ptr::null_mut();
    // SAFETY: valid strings and a writable out-pointer.
    let status = unsafe { ic_verifier_for_keys(signing.as_ptr(), std::ptr::null(), &mut verifier) };
    assert_eq!(status, IcStatus::Ok);

    let mut group = c.benchmark_group("verify_presentation");
    for records in [1u64, 8] {
        let presentation = presentation(&community, player, records);
        let bytes = presentation.to_bytes();
        group.throughput(Throughput::Elements(records));
        group.bench_with_input(BenchmarkId::new("rust", records), &records, |b, &n| {
            b.iter(|| {
                // As a Rust game would: from the bytes it received to the verdicts.
                let presented = Presentation::from_bytes(black_box(&bytes)).unwrap();
                let results = verify_presented(&chain, player, &presented, &[], NOW);
                assert_eq!(results.iter().filter(|r| r.is_ok()).count() as u64, n);
            })
        });
        group.bench_with_input(BenchmarkId::new("c_abi", records), &records, |b, &n| {
            b.iter(|| {
                let mut verification: *mut IcVerification = std::ptr::null_mut();
                // SAFETY: a live verifier, valid strings and bytes, a writable out-pointer.
                unsafe {
                    let status = ic_verifier_check(
                        verifier,
                        player_text.as_ptr(),
                        black_box(bytes.as_ptr()),
                        bytes.len(),
                        NOW,
                        &mut verification,
                    );
                    assert_eq!(status, IcStatus::Ok);
                    assert_eq!(ic_verification_valid_count(verification) as u64, n);
                    ic_verification_free(verification);
                }
            })
        });
    }
    group.finish();
    // SAFETY: the verifier from above, freed once.
    unsafe { ic_verifier_free(verifier) };
}

criterion_group!(benches, verify);
criterion_main!(benches);
