//! The RFC 9162 proof test vectors (`tests/vectors/`, from transparency-dev/merkle): every
//! happy path verifies, every broken proof is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use transparency::{Hash, verify_consistency, verify_inclusion};

fn vectors(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A base64 field as a hash; `None` when it is not 32 bytes (some vectors put placeholder text
/// where a hash goes, which this crate's types cannot even hold).
fn hash(value: &Value) -> Option<Hash> {
    let bytes = BASE64.decode(value.as_str()?).ok()?;
    Hash::try_from(bytes).ok()
}

fn proof(value: &Value) -> Option<Vec<Hash>> {
    value
        .as_array()
        .map_or(Some(Vec::new()), |items| items.iter().map(hash).collect())
}

/// Runs `check` on every vector of `name`: where it can run (all hashes are 32 bytes) its
/// verdict must be the reference's. Returns how many ran, and the file and expected error of
/// each that could not.
fn run_vectors(name: &str, check: impl Fn(&Value) -> Option<bool>) -> (usize, Vec<(String, bool)>) {
    let (mut checked, mut unrepresentable) = (0, Vec::new());
    for vector in vectors(name) {
        let want_error = vector["wantErr"].as_bool().unwrap();
        let file = vector["file"].as_str().unwrap().to_owned();
        match check(&vector) {
            Some(passed) => {
                checked += 1;
                assert_eq!(passed, !want_error, "{file}");
            }
            None => unrepresentable.push((file, want_error)),
        }
    }
    (checked, unrepresentable)
}

#[test]
fn inclusion_vectors_verify_or_fail_as_the_reference_says() {
    let (checked, unrepresentable) = run_vectors("inclusion", |vector| {
        Some(
            verify_inclusion(
                &proof(&vector["proof"])?,
                vector["treeSize"].as_u64()?,
                &hash(&vector["root"])?,
                vector["leafIdx"].as_u64()?,
                &hash(&vector["leafHash"])?,
            )
            .is_ok(),
        )
    });
    // Text where a hash goes is refused by the types: only allowed where an error is due.
    for (file, want_error) in &unrepresentable {
        assert!(want_error, "{file} cannot be represented");
    }
    assert!(
        checked >= 70,
        "{checked} checked, {} not representable",
        unrepresentable.len()
    );
}

#[test]
fn consistency_vectors_verify_or_fail_as_the_reference_says() {
    let (checked, unrepresentable) = run_vectors("consistency", |vector| {
        Some(
            verify_consistency(
                &proof(&vector["proof"])?,
                vector["size2"].as_u64()?,
                &hash(&vector["root2"])?,
                vector["size1"].as_u64()?,
                &hash(&vector["root1"])?,
            )
            .is_ok(),
        )
    });
    // Placeholder roots appear only in the "additional" edge cases; all but one expect an
    // error. The one that does not (equal sizes of one, equal placeholder roots, no proof) is
    // the rule "equal trees are consistent", checked here with real hashes.
    let accepted: Vec<_> = unrepresentable.iter().filter(|(_, error)| !error).collect();
    assert_eq!(accepted.len(), 1, "{unrepresentable:?}");
    assert!(accepted[0].0.starts_with("consistency/additional/"));
    let root = transparency::leaf_hash(b"only leaf");
    assert!(verify_consistency(&[], 1, &root, 1, &root).is_ok());
    assert!(checked >= 70, "{checked} checked");
}
