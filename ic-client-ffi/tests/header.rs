//! The checked-in C header is what cbindgen makes of the source now: a change to the ABI that
//! was not regenerated into `include/ic_client.h` fails here, with the command that fixes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn the_checked_in_header_matches_the_source() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen reads the crate")
        .write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = crate_dir.join("include/ic_client.h");
    if std::env::var_os("IC_BLESS_HEADER").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/ic_client.h is stale; regenerate it with \
         `IC_BLESS_HEADER=1 cargo test -p ic-client-ffi --test header` and commit it"
    );
}
