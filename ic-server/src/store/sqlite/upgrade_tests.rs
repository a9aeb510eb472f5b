//! Schema upgrades on a database that holds data: every migration file applied in turn to a
//! community written by the schema before it, checked for lost rows and broken references.

use rusqlite::Connection;

/// The SQLite migration files in order, with their version.
fn migrations() -> Vec<(i64, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/sqlite/migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            let version = name.split('_').next().unwrap().parse().unwrap();
            (version, std::fs::read_to_string(path).unwrap())
        })
        .collect()
}

fn apply(conn: &Connection, up_to: i64, from: i64) {
    for (version, sql) in migrations() {
        if version > from && version <= up_to {
            // sqlx runs each migration in a transaction; so does this.
            conn.execute_batch(&format!("BEGIN; {sql}; COMMIT;"))
                .unwrap();
        }
    }
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

#[test]
fn compacting_the_player_tables_keeps_every_row_and_reference() {
    let conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", true).unwrap();
    apply(&conn, 7, 0);
    for i in 0..50u8 {
        let key = [i; 32];
        conn.execute(
            "INSERT INTO players VALUES (?1, 1000, 2)",
            rusqlite::params![key.as_slice()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO ratings VALUES (?1, 'ra', 'glicko2', ?2, 350000, 60000, 1, 1, 0, 0, 1, \
             1000, 2, 2000)",
            rusqlite::params![key.as_slice(), 1_500_000 + i64::from(i)],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO opponents VALUES (?1, 'ra', ?2)",
            rusqlite::params![key.as_slice(), [i.wrapping_add(1); 32].as_slice()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO auth_tokens VALUES (?1, ?2, 3000)",
            rusqlite::params![[i; 16].as_slice(), key.as_slice()],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO revocations VALUES (?1, 1, 2)",
        rusqlite::params![[3u8; 32].as_slice()],
    )
    .unwrap();
    let before: i64 = conn
        .query_row("SELECT SUM(rating) FROM ratings", [], |row| row.get(0))
        .unwrap();

    apply(&conn, i64::MAX, 7);

    for (table, rows) in [
        ("players", 50),
        ("ratings", 50),
        ("opponents", 50),
        ("auth_tokens", 50),
        ("revocations", 1),
    ] {
        assert_eq!(count(&conn, table), rows, "{table}");
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = ?1",
                [table],
                |row| row.get(0),
            )
            .unwrap();
        assert!(sql.ends_with("WITHOUT ROWID"), "{sql}");
    }
    let after: i64 = conn
        .query_row("SELECT SUM(rating) FROM ratings", [], |row| row.get(0))
        .unwrap();
    assert_eq!(before, after);
    // The rating rows still point at their players, and the reference still holds.
    let broken = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |_| Ok(()))
        .unwrap()
        .count();
    assert_eq!(broken, 0);
    let orphan = conn.execute(
        "INSERT INTO ratings VALUES (?1, 'ra', 'glicko2', 1, 1, 1, 0, 0, 0, 0, 0, NULL, 1, 1)",
        rusqlite::params![[200u8; 32].as_slice()],
    );
    assert!(orphan.is_err(), "a rating without its player is refused");
    // The leaderboard still walks an index, best first.
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT player_key FROM ratings WHERE game_module = 'ra' \
             ORDER BY rating DESC, player_key ASC LIMIT 10",
            [],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("ratings_leaderboard"), "{plan}");
}
