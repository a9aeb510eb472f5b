//! The API's limits seen from outside: bad signatures, per-address rate limits before any
//! signature work, registration policy, trusted proxies, and the request metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;
use serde_json::{Value, json};

async fn auth_rejects_bad_signatures_and_reused_challenges(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let key = player(2);
    let public = key.public_key().to_string();
    let (_, challenge) = server
        .post_json("/v1/auth/challenge", &json!({ "key": public }), None)
        .await;
    let bytes: [u8; 32] = B64
        .decode(challenge["challenge"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    use base64::Engine;
    // Signed without the community key binding: refused.
    let wrong = B64.encode(key.sign(&bytes));
    let (status, body) = server
        .post_json(
            "/v1/auth/token",
            &json!({ "key": public, "challenge": challenge["challenge"], "signature": wrong }),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("bad_signature"))
    );
    let message = ic_server::auth::challenge_message(&bytes, &server.community_key().await);
    let good = B64.encode(key.sign(&message));
    let body = json!({ "key": public, "challenge": challenge["challenge"], "signature": good });
    assert_eq!(server.post_json("/v1/auth/token", &body, None).await.0, 200);
    let (status, reply) = server.post_json("/v1/auth/token", &body, None).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (401, Some("invalid_challenge"))
    );
    // Malformed input is a 4xx JSON error naming the problem.
    let (status, reply) = server
        .post_json("/v1/auth/challenge", &json!({ "key": "ed25519:xyz" }), None)
        .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"], "invalid_json");
}

async fn authentication_is_rate_limited_per_address_before_any_signature_check(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!(
            "{}{}",
            "[http]\nrate_limit_per_minute = 5\n",
            backend.storage()
        ),
    );
    let body = json!({ "key": player(1).public_key().to_string() });
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(server.post_json("/v1/auth/challenge", &body, None).await.0);
    }
    assert_eq!(&statuses[..5], &[200; 5]);
    assert_eq!(statuses[7], 429);
    let (status, reply) = server.post_json("/v1/auth/token", &json!({}), None).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (429, Some("rate_limited"))
    );
    // Reads stay available.
    assert_eq!(server.get("/health", None).await.0, 200);
}

async fn metrics_count_requests_records_matches_and_failures(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &format!("{}{}", TEST_LIMITS, backend.storage()));
    let (alice, bob) = (player(1), player(2));
    server.register(&alice).await;
    server.register(&bob).await;
    let community = server.community_key().await;
    let relay = server.relay_key();
    server
        .post_bytes("/v1/matches", duel(&relay, community, &alice, &bob, 1))
        .await;
    server
        .post_bytes("/v1/matches", duel(&player(77), community, &alice, &bob, 2))
        .await;
    use base64::Engine;
    server
        .post_json(
            "/v1/credentials/verify",
            &json!({ "records": [B64.encode([1u8; 200])] }),
            None,
        )
        .await;
    let (_, text) = server.get("/metrics", None).await;
    let text = text.as_str().unwrap();
    for expected in [
        "ic_http_requests_total{route=\"/v1/matches\",status=\"201\"} 1",
        "ic_records_issued_total{record_type=\"rating\"} 4",
        "ic_records_issued_total{record_type=\"match\"} 2",
        "ic_matches_total{outcome=\"accepted\"} 1",
        "ic_matches_total{outcome=\"untrusted_relay\"} 1",
        "ic_verification_failures_total{reason=\"malformed\"} 1",
        "ic_database_operation_duration_seconds_count{operation=\"apply_match\"} 1",
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
}

async fn registration_policy_and_per_address_limit_apply(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let config = "[http]\nrate_limit_per_minute = 100000\n\
        [ranking]\nregistration = \"invite\"\ninvite_codes = [\"wolfpack-2026\"]\n\
        registrations_per_ip_per_day = 2\n";
    let server = Server::start(dir.path(), &format!("{}{}", config, backend.storage()));
    let register = |key: scr::KeyPair, body: Value| {
        let server = &server;
        async move {
            let token = server.login(&key).await;
            server.post_json("/v1/players", &body, Some(&token)).await
        }
    };
    let (status, body) = register(player(1), json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invite_required"))
    );
    let (status, body) = register(player(1), json!({ "invite_code": "guess" })).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invite_required"))
    );
    let good = json!({ "invite_code": "wolfpack-2026" });
    assert_eq!(register(player(1), good.clone()).await.0, 201);
    assert_eq!(register(player(2), good.clone()).await.0, 201);
    // The third registration from this address today is refused; nothing was created.
    let (status, body) = register(player(3), good.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("registration_limit"))
    );
    let token = server.login(&player(3)).await;
    let (status, body) = server.get("/v1/players/me/records", Some(&token)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("not_registered"))
    );
    // A repeated registration does not use up the allowance.
    let (status, _) = register(player(1), good).await;
    assert_eq!(status, 409);
}

/// Registers `player(seed)` through a request claiming to be forwarded for `forwarded_for`.
async fn register_forwarded(server: &Server, seed: u8, forwarded_for: &str) -> u16 {
    let key = player(seed);
    let token = server.login(&key).await;
    server
        .http
        .post(format!("{}/v1/players", server.url))
        .bearer_auth(token)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn behind_a_trusted_proxy_limits_count_the_forwarded_client(backend: Backend) {
    let limits = "[http]\nrate_limit_per_minute = 100000\n";
    let one_a_day = "[ranking]\nregistrations_per_ip_per_day = 1\n";

    // The test client connects from 127.0.0.1: as a trusted proxy, it names each client.
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{limits}trusted_proxies = [\"127.0.0.1\"]\n{one_a_day}");
    let server = Server::start(dir.path(), &format!("{}{}", &config, backend.storage()));
    assert_eq!(register_forwarded(&server, 1, "198.51.100.1").await, 201);
    assert_eq!(register_forwarded(&server, 2, "198.51.100.2").await, 201);
    assert_eq!(register_forwarded(&server, 3, "198.51.100.1").await, 429);

    // Without it the header is the client's own claim and is ignored: one address, one a day.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &format!("{}{}", &format!("{limits}{one_a_day}"), backend.storage()),
    );
    assert_eq!(register_forwarded(&server, 1, "198.51.100.1").await, 201);
    assert_eq!(register_forwarded(&server, 2, "198.51.100.2").await, 429);
}

/// A challenge request from `forwarded_for`, as a trusted proxy names it: the status.
async fn challenge_forwarded(server: &Server, forwarded_for: &str) -> u16 {
    server
        .http
        .post(format!("{}/v1/auth/challenge", server.url))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "key": player(1).public_key().to_string() }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn an_ipv6_client_counts_by_its_64_prefix_not_by_address(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let proxied = |per_minute: u32| {
        format!(
            "[http]\nrate_limit_per_minute = {per_minute}\ntrusted_proxies = [\"127.0.0.1\"]\n\
             [ranking]\nregistrations_per_ip_per_day = 1\n{}",
            backend.storage()
        )
    };
    let server = Server::start(dir.path(), &proxied(2));
    // Three addresses of one /64 share one allowance of two a minute.
    let statuses = [
        challenge_forwarded(&server, "2001:db8:5:6::1").await,
        challenge_forwarded(&server, "2001:db8:5:6::2").await,
        challenge_forwarded(&server, "2001:db8:5:6:aaaa::3").await,
    ];
    assert_eq!(statuses, [200, 200, 429]);
    // The next /64 is another client; IPv4 clients still count one by one.
    assert_eq!(challenge_forwarded(&server, "2001:db8:5:7::1").await, 200);
    assert_eq!(challenge_forwarded(&server, "198.51.100.1").await, 200);
    assert_eq!(challenge_forwarded(&server, "198.51.100.2").await, 200);
    // The daily registration budget counts the /64 as well (logging in from the proxy's own
    // address needs a larger per-minute allowance).
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &proxied(100_000));
    assert_eq!(register_forwarded(&server, 1, "2001:db8:9:9::1").await, 201);
    assert_eq!(register_forwarded(&server, 2, "2001:db8:9:9::2").await, 429);
}

crate::on_each_backend!(
    auth_rejects_bad_signatures_and_reused_challenges,
    authentication_is_rate_limited_per_address_before_any_signature_check,
    metrics_count_requests_records_matches_and_failures,
    registration_policy_and_per_address_limit_apply,
    behind_a_trusted_proxy_limits_count_the_forwarded_client,
    an_ipv6_client_counts_by_its_64_prefix_not_by_address,
);
