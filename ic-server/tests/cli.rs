//! The operator CLI, run as the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

#[test]
fn init_twice_keeps_the_keys_and_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli(dir.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("config written"));
    assert!(
        err.contains("RECOVERY KEY"),
        "the operator is told to move the recovery key"
    );
    let signing = std::fs::read(dir.path().join("keys/signing.key")).unwrap();
    let config = std::fs::read(dir.path().join("ic-server.toml")).unwrap();
    let (code, out, _) = cli(dir.path(), &["init"]);
    assert_eq!(code, 0);
    assert!(out.contains("nothing overwritten"));
    assert_eq!(
        std::fs::read(dir.path().join("keys/signing.key")).unwrap(),
        signing
    );
    assert_eq!(
        std::fs::read(dir.path().join("ic-server.toml")).unwrap(),
        config
    );
    let (code, out, _) = cli(dir.path(), &["keys", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("signing key:  ed25519:"), "{out}");
}

#[test]
fn config_validate_and_show_report_problems_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["init"]);
    let (code, out, _) = cli(dir.path(), &["config", "validate"]);
    assert_eq!(
        (code, out.trim()),
        (0, "configuration is valid (0 warnings)")
    );

    std::fs::write(
        dir.path().join("ic-server.toml"),
        "[http]\nlisten = \"127.0.0.1:9000\"\nmax_body = 5\n",
    )
    .unwrap();
    let (code, out, err) = cli(dir.path(), &["config", "validate"]);
    assert_eq!(code, 0);
    assert!(out.contains("1 warning"));
    assert!(
        err.contains("unknown config key http.max_body; did you mean http.max_body_bytes?"),
        "{err}"
    );
    let (code, out, _) = cli(dir.path(), &["config", "show"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("http.listen = \"127.0.0.1:9000\"  # file"),
        "{out}"
    );
    assert!(
        out.contains("http.max_body_bytes = 65536  # default"),
        "{out}"
    );

    std::fs::write(
        dir.path().join("ic-server.toml"),
        "[auth]\ntoken_ttl_secs = 5\n",
    )
    .unwrap();
    let (code, _, err) = cli(dir.path(), &["config", "validate"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("auth.token_ttl_secs") && err.contains("60..=86400"),
        "{err}"
    );
    // The server refuses to start on it, naming the key.
    let (code, _, err) = cli(dir.path(), &["run", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 1);
    assert!(err.contains("auth.token_ttl_secs"), "{err}");

    // The relay's, the matchmaker's and the log's ranges too: a ranked spectator delay under
    // the 120 s floor, a zero match cap, a low-priority delay beyond an hour, checkpoints with
    // no interval.
    for (section, key, value, allowed) in [
        ("relay", "ranked_spectator_delay_secs", "60", "120..=3600"),
        ("relay", "max_matches", "0", "1..=100000"),
        ("matchmaking", "low_priority_delay_secs", "7200", "0..=3600"),
        ("matchmaking", "leader_failover_secs", "0", "1..=300"),
        ("transparency", "checkpoint_secs", "0", "1..=86400"),
        ("federation", "document_ttl_secs", "0", "1..=86400"),
    ] {
        std::fs::write(
            dir.path().join("ic-server.toml"),
            format!("[{section}]\n{key} = {value}\n"),
        )
        .unwrap();
        let (code, _, err) = cli(dir.path(), &["config", "validate"]);
        assert_eq!(code, 1, "{section}.{key} = {value}");
        assert!(
            err.contains(&format!("{section}.{key}")) && err.contains(allowed),
            "{err}"
        );
    }

    // Witness entries that do not read are refused by `config validate`, naming the entry.
    for (entry, key) in [
        (
            "witnesses = [{ vkey = \"w.example+00000000+AAAA\", url = \"https://w.example\" }]",
            "transparency.witnesses[0].vkey",
        ),
        (
            "witness_for = [{ origin = \"a b\", key = \"ed25519:1111111111111111111111111111111111111111111111111111111111111111\" }]",
            "transparency.witness_for[0].origin",
        ),
    ] {
        std::fs::write(
            dir.path().join("ic-server.toml"),
            format!("[transparency]\n{entry}\n"),
        )
        .unwrap();
        let (code, _, err) = cli(dir.path(), &["config", "validate"]);
        assert_eq!(code, 1, "{entry}");
        assert!(err.contains(key), "{err}");
    }

    // Sanction feed subscriptions that cannot work are refused, naming the key and the problem:
    // an unknown action kind in a policy, a publisher listed twice, and subscribing without the
    // moderation capability (the default preset leaves it off).
    let publisher = format!(
        "{{ url = \"https://b.example\", key = \"{}\" }}",
        player(43).public_key()
    );
    let unknown_kind = publisher.replace(" }", ", policy = { mute = \"apply\" } }");
    for (extra, entry, key, says) in [
        (
            "[capabilities]\npreset = \"competitive\"\n",
            unknown_kind,
            "federation.subscriptions.policy",
            "unknown action kind \"mute\"",
        ),
        (
            "[capabilities]\npreset = \"competitive\"\n",
            format!("{publisher}, {publisher}"),
            "federation.subscriptions",
            "listed twice",
        ),
        (
            "",
            publisher.clone(),
            "federation.subscriptions",
            "needs the moderation capability",
        ),
    ] {
        std::fs::write(
            dir.path().join("ic-server.toml"),
            format!("{extra}[federation]\nsubscriptions = [{entry}]\n"),
        )
        .unwrap();
        let (code, _, err) = cli(dir.path(), &["config", "validate"]);
        assert_eq!(code, 1, "{entry}");
        assert!(err.contains(key) && err.contains(says), "{entry}: {err}");
    }

    // Queue requirements that cannot hold are refused, naming the queue and the problem: a
    // queue that is not offered, an empty community list, an unknown kind.
    let other = player(42).public_key().to_string();
    for (entry, says) in [
        (
            "{ module = \"td\", mode = \"ranked_1v1\", requires = { kind = \"any_verified\" } }"
                .to_owned(),
            "no queue td/ranked_1v1 is offered",
        ),
        (
            "{ module = \"ra\", mode = \"ranked_1v1\", requires = { kind = \"communities\", communities = [] } }"
                .to_owned(),
            "ra/ranked_1v1): communities must list 1 to 8",
        ),
        (
            format!(
                "{{ module = \"ra\", mode = \"ranked_1v1\", requires = {{ kind = \"communities\", \
                 communities = [{{ key = \"{other}\" }}, {{ key = \"{other}\" }}] }} }}"
            ),
            "is listed twice",
        ),
        (
            "{ module = \"ra\", mode = \"ranked_1v1\", requires = { kind = \"some\" } }".to_owned(),
            "unknown variant",
        ),
    ] {
        std::fs::write(
            dir.path().join("ic-server.toml"),
            format!("[matchmaking]\nrequirements = [{entry}]\n"),
        )
        .unwrap();
        let (code, _, err) = cli(dir.path(), &["config", "validate"]);
        assert_eq!(code, 1, "{entry}");
        assert!(err.contains("matchmaking") && err.contains(says), "{err}");
    }

    // A config file named on the command line must exist.
    let (code, _, err) = cli(
        dir.path(),
        &["--config", "/nonexistent/ic.toml", "config", "show"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("config file /nonexistent/ic.toml does not exist"),
        "{err}"
    );
}

#[test]
fn relays_and_roles_are_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path(), &["init"]);
    let relay = player(40).public_key().to_string();
    assert_eq!(
        cli(dir.path(), &["relays", "trust", &relay, "--label", "eu-1"]).0,
        0
    );
    let (_, out, _) = cli(dir.path(), &["relays", "list"]);
    assert!(
        out.contains("own relay key") && out.contains(&format!("{relay}  cli eu-1")),
        "{out}"
    );
    assert_eq!(cli(dir.path(), &["relays", "untrust", &relay]).0, 0);
    assert_eq!(cli(dir.path(), &["relays", "untrust", &relay]).0, 1);

    let staff = player(41).public_key().to_string();
    assert_eq!(
        cli(dir.path(), &["roles", "grant", &staff, "moderator"]).0,
        0
    );
    let (_, out, _) = cli(dir.path(), &["roles", "list"]);
    assert!(out.contains(&format!("{staff}  moderator")), "{out}");
    assert_eq!(
        cli(dir.path(), &["roles", "revoke", &staff, "moderator"]).0,
        0
    );
    assert_eq!(
        cli(dir.path(), &["roles", "grant", &staff, "overlord"]).0,
        2
    );
}

#[tokio::test]
async fn a_trusted_relay_can_submit_and_roles_show_in_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), TEST_LIMITS);
    let (alice, bob, relay) = (player(1), player(2), player(40));
    server.register(&alice).await;
    server.register(&bob).await;
    let community = server.community_key().await;
    let cmr = duel(&relay, community, &alice, &bob, 1);
    assert_eq!(server.post_bytes("/v1/matches", cmr.clone()).await.0, 403);
    let key = relay.public_key().to_string();
    assert_eq!(cli(dir.path(), &["relays", "trust", &key]).0, 0);
    // Trust changes apply to a running server without a restart.
    assert_eq!(server.post_bytes("/v1/matches", cmr).await.0, 201);

    let moderator = player(3);
    let key = moderator.public_key().to_string();
    assert_eq!(cli(dir.path(), &["roles", "grant", &key, "moderator"]).0, 0);
    let token = server.login(&moderator).await;
    assert!(!token.is_empty());
}

#[test]
fn scr_inspect_prints_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let record =
        scr::RecordBuilder::new(scr::Payload::Revocation(scr::payload::RevocationPayload {
            target_record_type: scr::RecordType::Match,
            min_valid_sequence: 4,
            reason: scr::payload::RevocationReason::Other,
        }))
        .player(player(1).public_key().into())
        .sequence(5)
        .issued_at(1_767_225_600)
        .sign(&player(9))
        .unwrap();
    let file = dir.path().join("r.scr");
    std::fs::write(&file, record.as_bytes()).unwrap();
    let (code, out, _) = cli(dir.path(), &["scr", "inspect", file.to_str().unwrap()]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["record_type"], "revocation");
    assert_eq!(json["payload"]["target_record_type"], "match");
}
