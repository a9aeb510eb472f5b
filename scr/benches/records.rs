//! Criterion benchmarks of the record format against its baselines, side by side in one run:
//! raw ed25519-dalek sign/verify over the same bytes, one-by-one vs batch verification, and the
//! same rating claims as a JWT (EdDSA) and a PASETO v4.public token.
//!
//! Run: `cargo bench -p scr --bench records`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer, Verifier as _};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use scr::payload::{Payload, RatingPayload};
use scr::{RecordBuilder, Verifier};
use serde::{Deserialize, Serialize};

// The integration tests' fixed keys and sample payloads; the bench measures the same records.
#[path = "../tests/common/mod.rs"]
mod common;

use common::{T0, community, match_payload, player, player_record, rating_payload};

fn rating() -> RatingPayload {
    match rating_payload() {
        Payload::Rating(rating) => rating,
        _ => unreachable!("rating_payload is a rating"),
    }
}

fn rating_builder() -> RecordBuilder {
    RecordBuilder::new(rating_payload())
        .player(player())
        .sequence(7)
        .issued_at(T0)
}

fn match_record(sequence: u64) -> Vec<u8> {
    player_record(match_payload(), sequence, &community()).into_bytes()
}

fn sign_and_verify(c: &mut Criterion) {
    let key = community();
    let dalek = ed25519_dalek::SigningKey::from_bytes(&key.seed());
    let dalek_public = dalek.verifying_key();
    let record = rating_builder().sign(&key).unwrap();
    let bytes = record.as_bytes().to_vec();
    let signed = &bytes[..bytes.len() - 64];
    let signature = ed25519_dalek::Signature::from_bytes(&record.signature());
    let verifier = Verifier::for_key(key.public_key().into()).unwrap();

    let mut group = c.benchmark_group("sign");
    group.bench_function("raw_dalek_sign", |b| {
        b.iter(|| dalek.sign(black_box(signed)))
    });
    // The builder is made once: deriving the player key inside the loop would add a scalar
    // multiplication that is not part of encoding and signing.
    let builder = rating_builder();
    group.bench_function("scr_encode_sign", |b| {
        b.iter(|| black_box(builder.clone()).sign(&key).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("verify");
    group.bench_function("raw_dalek_verify", |b| {
        b.iter(|| dalek_public.verify(black_box(signed), &signature).unwrap())
    });
    group.bench_function("raw_dalek_verify_strict", |b| {
        b.iter(|| {
            dalek_public
                .verify_strict(black_box(signed), &signature)
                .unwrap()
        })
    });
    let zebra = ed25519_zebra::VerificationKey::try_from(*key.public_key().as_bytes()).unwrap();
    let zebra_signature = ed25519_zebra::Signature::from_bytes(&record.signature());
    group.bench_function("raw_zebra_verify", |b| {
        b.iter(|| zebra.verify(&zebra_signature, black_box(signed)).unwrap())
    });
    let prepared = scr::signature::VerifyingKey::new(key.public_key()).unwrap();
    let signature_bytes = record.signature();
    group.bench_function("scr_signature_only", |b| {
        b.iter(|| {
            prepared
                .verify(black_box(signed), &signature_bytes)
                .unwrap()
        })
    });
    group.bench_function("scr_decode_verify", |b| {
        b.iter(|| verifier.verify(black_box(&bytes), T0).unwrap())
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let verifier = Verifier::for_key(community().public_key().into()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut group = c.benchmark_group("batch");
    group.sample_size(20);
    for size in [64usize, 256] {
        let records: Vec<Vec<u8>> = (0..size as u64).map(|i| match_record(i + 1)).collect();
        let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("one_by_one", size), &refs, |b, refs| {
            b.iter(|| {
                for bytes in refs {
                    verifier.verify(bytes, T0).unwrap();
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("verify_batch", size), &refs, |b, refs| {
            b.iter(|| verifier.verify_batch(refs, T0, &mut rng).unwrap())
        });
    }
    group.finish();
}

/// The rating record's claims as a token body.
#[derive(Serialize, Deserialize)]
struct RatingClaims {
    iss: String,
    sub: String,
    seq: u64,
    iat: i64,
    exp: i64,
    game_module: String,
    algorithm_id: String,
    rating: i64,
    deviation: i64,
    volatility: i64,
    games_played: u32,
    wins: u32,
    losses: u32,
    draws: u32,
    streak: i16,
    rank: u32,
    percentile: u16,
}

fn claims() -> RatingClaims {
    let r = rating();
    RatingClaims {
        iss: community().public_key().to_string(),
        sub: player().to_string(),
        seq: 7,
        iat: T0,
        // Far in the future: the JWT library checks expiry against the real clock.
        exp: 1 << 40,
        game_module: r.game_module,
        algorithm_id: r.algorithm_id,
        rating: r.rating,
        deviation: r.deviation,
        volatility: r.volatility,
        games_played: r.games_played,
        wins: r.wins,
        losses: r.losses,
        draws: r.draws,
        streak: r.streak,
        rank: r.rank,
        percentile: r.percentile,
    }
}

/// PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410), as the JWT library wants it.
fn pkcs8(seed: [u8; 32]) -> Vec<u8> {
    let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
    der.extend_from_slice(&seed);
    der
}

fn tokens(c: &mut Criterion) {
    use pasetors::Public;
    use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
    use pasetors::token::UntrustedToken;
    use pasetors::version4::{PublicToken, V4};

    let key = community();
    let scr_bytes = rating_builder().sign(&key).unwrap().into_bytes();
    let verifier = Verifier::for_key(key.public_key().into()).unwrap();

    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    let jwt = jsonwebtoken::encode(
        &header,
        &claims(),
        &jsonwebtoken::EncodingKey::from_ed_der(&pkcs8(key.seed())),
    )
    .unwrap();
    let jwt_key = jsonwebtoken::DecodingKey::from_ed_der(key.public_key().as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();

    let mut secret = key.seed().to_vec();
    secret.extend_from_slice(key.public_key().as_bytes());
    let paseto_secret = AsymmetricSecretKey::<V4>::from(&secret).unwrap();
    let paseto_public = AsymmetricPublicKey::<V4>::from(key.public_key().as_bytes()).unwrap();
    let body = serde_json::to_vec(&claims()).unwrap();
    let paseto = PublicToken::sign(&paseto_secret, &body, None, None).unwrap();

    println!(
        "token sizes (bytes): scr {} | jwt_eddsa {} | paseto_v4_public {}",
        scr_bytes.len(),
        jwt.len(),
        paseto.len()
    );

    let mut group = c.benchmark_group("token_verify");
    group.bench_function("scr", |b| {
        b.iter(|| verifier.verify(black_box(&scr_bytes), T0).unwrap())
    });
    group.bench_function("jwt_eddsa", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<RatingClaims>(black_box(&jwt), &jwt_key, &validation).unwrap()
        })
    });
    group.bench_function("paseto_v4_public", |b| {
        b.iter(|| {
            let untrusted =
                UntrustedToken::<Public, V4>::try_from(black_box(paseto.as_str())).unwrap();
            let trusted = PublicToken::verify(&paseto_public, &untrusted, None, None).unwrap();
            serde_json::from_str::<RatingClaims>(trusted.payload()).unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = sign_and_verify, batch, tokens
}
criterion_main!(benches);
