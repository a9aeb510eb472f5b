//! Witnessing on the real binary: two communities cosign each other's checkpoints (C2SP
//! tlog-witness); each served checkpoint carries the other's cosignature, which verifies with
//! the witness key its document lists; the witness follows a key rotation of the log it
//! witnesses; and it refuses what the protocol says to refuse, with the status codes it names:
//! a log it does not witness, a forged signature, a stale or impossible old size, a proof that
//! does not verify, and another root at the size it cosigned (a fork).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::log::await_checkpoint;
use common::*;
use ic_server::transparency::witness::WitnessIdentity;
use scr::KeyPair;
use transparency::{AddCheckpoint, Checkpoint, Cosigner, Note};

fn key_file(dir: &std::path::Path, name: &str) -> KeyPair {
    ic_server::data_dir::read_key_file(&dir.join("keys").join(name)).unwrap()
}

/// The origin of the log of the community whose first signing key is `signing`.
fn origin_of(signing: &KeyPair) -> String {
    let chain = scr::KeyChain::new(signing.public_key().into(), None).unwrap();
    ic_server::transparency::origin(&chain)
}

/// The witness of the community in `dir`, under `name` (default: the server's).
fn witness_of(dir: &std::path::Path, name: Option<&str>) -> Cosigner {
    let key = key_file(dir, "witness.key");
    WitnessIdentity::new(key, name).unwrap().cosigner().clone()
}

/// The served checkpoint once it covers `size` leaves and carries `witness`'s cosignature; the
/// note and the cosignature's timestamp.
async fn cosigned_checkpoint(server: &Server, size: u64, witness: &Cosigner) -> (Note, u64) {
    let what = format!("of {size} leaves cosigned by {}", witness.name);
    let (note, _) = await_checkpoint(server, &what, |note, checkpoint| {
        checkpoint.size >= size && witness.verify(note).is_ok()
    })
    .await;
    let timestamp = witness.verify(&note).unwrap();
    (note, timestamp)
}

/// The value of the sample of `metric` whose labels include `label`.
fn labelled(exposition: &str, metric: &str, label: &str) -> f64 {
    exposition
        .lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")) && line.contains(label))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Posts an add-checkpoint body to `server`'s witness: status, content type, body.
async fn add_checkpoint(server: &Server, body: String) -> (u16, String, String) {
    let response = server
        .http
        .post(format!(
            "{}/v1/transparency/witness/add-checkpoint",
            server.url
        ))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn request(
    old_size: u64,
    proof: Vec<[u8; 32]>,
    checkpoint: &Checkpoint,
    signer: &KeyPair,
) -> String {
    let note = Note::sign(&checkpoint.to_text(), &checkpoint.origin, signer).unwrap();
    AddCheckpoint {
        old_size,
        proof,
        note: note.to_text(),
    }
    .to_text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_communities_witness_each_other_and_refuse_what_the_protocol_refuses() {
    let (alpha_dir, bravo_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    Server::init(alpha_dir.path(), "");
    Server::init(bravo_dir.path(), "");
    let (alpha_port, bravo_port) = (free_port(), free_port());
    let alpha_signing = key_file(alpha_dir.path(), "signing.key");
    let bravo_signing = key_file(bravo_dir.path(), "signing.key");
    // Bravo names its witness itself; Alpha keeps the default name.
    let bravo_name = "witness.bravo.example/w1";
    let alpha_witness = witness_of(alpha_dir.path(), None);
    let bravo_witness = witness_of(bravo_dir.path(), Some(bravo_name));
    assert!(alpha_witness.name.starts_with("ic-witness/"));
    let config = |peer_port: u16, peer_signing: &KeyPair, peer_witness: &Cosigner, own: &str| {
        format!(
            "[transparency]\ncheckpoint_secs = 1\n{own}\
             witness_for = [{{ origin = \"{}\", key = \"{}\", url = \"http://127.0.0.1:{peer_port}\" }}]\n\
             witnesses = [{{ vkey = \"{}\", url = \"http://127.0.0.1:{peer_port}/v1/transparency/witness\" }}]\n",
            origin_of(peer_signing),
            peer_signing.public_key(),
            peer_witness.vkey(),
        )
    };
    std::fs::write(
        alpha_dir.path().join("ic-server.toml"),
        config(bravo_port, &bravo_signing, &bravo_witness, ""),
    )
    .unwrap();
    std::fs::write(
        bravo_dir.path().join("ic-server.toml"),
        config(
            alpha_port,
            &alpha_signing,
            &alpha_witness,
            &format!("witness_name = \"{bravo_name}\"\n"),
        ),
    )
    .unwrap();
    let quiet = [("IC_LOGGING_LEVEL", "\"warn\"")];
    let alpha = Server::spawn_at(
        alpha_dir.path(),
        &format!("127.0.0.1:{alpha_port}"),
        &quiet,
        std::process::Stdio::inherit(),
    );
    let bravo = Server::spawn_at(
        bravo_dir.path(),
        &format!("127.0.0.1:{bravo_port}"),
        &quiet,
        std::process::Stdio::inherit(),
    );
    // Each document lists the witness key its cosignatures verify with.
    assert_eq!(
        alpha.document().await["witness_key"],
        alpha_witness.vkey().as_str()
    );
    assert_eq!(
        bravo.document().await["witness_key"],
        bravo_witness.vkey().as_str()
    );

    // A record on each side; each checkpoint comes back cosigned by the other community.
    alpha.register(&KeyPair::from_seed([1; 32])).await;
    bravo.register(&KeyPair::from_seed([2; 32])).await;
    let (alpha_note, stamped) = cosigned_checkpoint(&alpha, 1, &bravo_witness).await;
    alpha_note
        .verify(&origin_of(&alpha_signing), &alpha_signing.public_key())
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        stamped.abs_diff(now) < 120,
        "cosigned at {stamped}, now {now}"
    );
    cosigned_checkpoint(&bravo, 1, &alpha_witness).await;

    // The log grows: the witness cosigns the larger checkpoint through a consistency proof.
    alpha.register(&KeyPair::from_seed([3; 32])).await;
    let (grown, _) = cosigned_checkpoint(&alpha, 2, &bravo_witness).await;
    let grown = Checkpoint::parse(&grown.text).unwrap();
    assert_eq!(grown.size, 2);

    // Refusals, posted by hand to Bravo's witness.
    let (status, _, body) = add_checkpoint(&bravo, "no blank line".into()).await;
    assert_eq!(
        (status, body.contains("malformed_request")),
        (400, true),
        "{body}"
    );
    let not_text = bravo
        .http
        .post(format!(
            "{}/v1/transparency/witness/add-checkpoint",
            bravo.url
        ))
        .body(vec![0xff, 0xfe, b'\n'])
        .send()
        .await
        .unwrap();
    assert_eq!(not_text.status(), 400);
    assert!(not_text.text().await.unwrap().contains("malformed_request"));
    let stranger = KeyPair::from_seed([9; 32]);
    let foreign = Checkpoint::new("other.example/log", 1, [1; 32]);
    let (status, _, body) = add_checkpoint(&bravo, request(0, vec![], &foreign, &stranger)).await;
    assert_eq!(
        (status, body.contains("unknown_log")),
        (404, true),
        "{body}"
    );
    let forged = request(2, vec![], &grown, &stranger);
    let (status, _, body) = add_checkpoint(&bravo, forged).await;
    assert_eq!((status, body.contains("not_signed")), (403, true), "{body}");
    // From here on signed with Alpha's real key, as a misbehaving Alpha would.
    let (status, _, body) =
        add_checkpoint(&bravo, request(3, vec![], &grown, &alpha_signing)).await;
    assert_eq!(
        (status, body.contains("old_size_too_large")),
        (400, true),
        "{body}"
    );
    let (status, content_type, body) =
        add_checkpoint(&bravo, request(0, vec![], &grown, &alpha_signing)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "2\n")
    );
    let fork = Checkpoint::new(&grown.origin, 2, [7; 32]);
    let (status, _, body) = add_checkpoint(&bravo, request(2, vec![], &fork, &alpha_signing)).await;
    assert_eq!(
        (status, body.contains("root_mismatch")),
        (409, true),
        "{body}"
    );
    let rewritten = Checkpoint::new(&grown.origin, 3, [8; 32]);
    let (status, _, body) = add_checkpoint(
        &bravo,
        request(2, vec![[5; 32]], &rewritten, &alpha_signing),
    )
    .await;
    assert_eq!((status, body.contains("bad_proof")), (422, true), "{body}");
    // The same checkpoint again is cosigned again (nothing moved).
    let (status, _, body) =
        add_checkpoint(&bravo, request(2, vec![], &grown, &alpha_signing)).await;
    assert_eq!(status, 200, "{body}");
    let line = Note::parse(&format!(
        "{}{body}",
        Note::sign(&grown.to_text(), &grown.origin, &alpha_signing)
            .unwrap()
            .to_text()
    ))
    .unwrap();
    bravo_witness.verify(&line).unwrap();
    // Each outcome is counted for the operator.
    let exposition = bravo.metrics_text().await;
    for (outcome, at_least) in [
        ("malformed_request", 2),
        ("unknown_log", 1),
        ("not_signed", 1),
        ("old_size_too_large", 1),
        ("old_size_mismatch", 1),
        ("root_mismatch", 1),
        ("bad_proof", 1),
        ("cosigned", 3),
    ] {
        let counted = labelled(
            &exposition,
            "ic_witness_requests_total",
            &format!("outcome=\"{outcome}\""),
        );
        assert!(
            counted >= at_least as f64,
            "{outcome}: {counted}\n{exposition}"
        );
    }
    let asked = labelled(
        &alpha.metrics_text().await,
        "ic_cosignature_requests_total",
        "outcome=\"cosigned\"",
    );
    assert!(asked >= 2.0, "{asked}");

    // Alpha rotates its key; Bravo follows the rotation through Alpha's document and goes on
    // cosigning (the rotation is a leaf, so the log has 3 leaves, then 4).
    let (code, out, err) = cli(alpha_dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{out}{err}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while alpha.community_key().await.public_key() == alpha_signing.public_key() {
        assert!(Instant::now() < deadline, "Alpha kept its old key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    alpha.register(&KeyPair::from_seed([4; 32])).await;
    let (rotated, _) = cosigned_checkpoint(&alpha, 4, &bravo_witness).await;
    let new_key = alpha.community_key().await;
    rotated
        .verify(&origin_of(&alpha_signing), &new_key.public_key())
        .unwrap();
}
