//! Rebuilds the crate when a migration file is added or changed: `sqlx::migrate!` embeds the
//! migration folders at compile time, and cargo would not otherwise notice a new file in them.

fn main() {
    println!("cargo:rerun-if-changed=src/store/sqlite/migrations");
    println!("cargo:rerun-if-changed=src/store/postgres/migrations");
}
