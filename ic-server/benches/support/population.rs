//! 100,000 registered, rated players written straight into the community's database (the API
//! would take most of an hour to register them). The first ones have keys a load can sign with.
#![allow(dead_code)] // each bench uses its own share

use scr::KeyPair;

/// Registered players.
pub const PLAYERS: u32 = 100_000;
/// Ratings expire at once for the players the load may drive (up to 1,000 matches and 2,000
/// connected over HTTP), so their first refresh issues them a record they can present.
const DRIVEN: u32 = 4_000;

/// The key pair of driven player `index` (the same derivation the tests use).
pub fn driven(index: u32) -> KeyPair {
    let mut seed = [7u8; 32];
    seed[..4].copy_from_slice(&index.to_le_bytes());
    KeyPair::from_seed(seed)
}

/// Player `index`'s key.
pub fn key_of(index: u32) -> Vec<u8> {
    if index < DRIVEN {
        driven(index).public_key().as_bytes().to_vec()
    } else {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&index.to_be_bytes());
        key[31] = 0xbe;
        key.to_vec()
    }
}

/// Player `index`'s rating (×1000): spread over 800..2800 points, no two alike, so the
/// player at rank `n` (from 1) holds `800_000 + (PLAYERS - n) × 20`.
pub fn rating_of(index: u32) -> i64 {
    800_000 + i64::from(index * 7919 % PLAYERS) * 20
}

/// Player `index`'s key, rating (×1000) and rating expiry.
fn row(index: u32, now: i64) -> (Vec<u8>, i64, i64) {
    let key = key_of(index);
    let rating = rating_of(index);
    let expires = if index < DRIVEN { 0 } else { now + 30 * 86_400 };
    (key, rating, expires)
}

/// Writes the players into the SQLite database of `data_dir`.
pub fn into_sqlite(data_dir: &std::path::Path, now: i64) {
    let mut conn = rusqlite::Connection::open(data_dir.join("ic-server.db")).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut player = tx
            .prepare(
                "INSERT INTO players (player_key, registered_at, last_sequence) VALUES (?1, ?2, 1)",
            )
            .unwrap();
        let mut rating = tx
            .prepare(
                "INSERT INTO ratings (player_key, game_module, algorithm_id, rating, deviation, \
                 volatility, games_played, wins, losses, draws, streak, last_played_at, \
                 rating_sequence, rating_expires_at, season) \
                 VALUES (?1, 'ra', 'glicko2', ?2, 80000, 60000, 30, 15, 15, 0, 0, ?3, 1, ?4, \
                 (SELECT season FROM seasons WHERE ended = 0))",
            )
            .unwrap();
        for index in 0..PLAYERS {
            let (key, points, expires) = row(index, now);
            player
                .execute(rusqlite::params![key, now - 86_400])
                .unwrap();
            rating
                .execute(rusqlite::params![key, points, now - 3_600, expires])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Writes the players into the PostgreSQL database at `url`, 10,000 rows per statement.
pub async fn into_postgres(url: &str, now: i64) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    for chunk in (0..PLAYERS).collect::<Vec<_>>().chunks(10_000) {
        let rows: Vec<_> = chunk.iter().map(|&index| row(index, now)).collect();
        let keys: Vec<Vec<u8>> = rows.iter().map(|r| r.0.clone()).collect();
        let ratings: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let expiries: Vec<i64> = rows.iter().map(|r| r.2).collect();
        sqlx::query(
            "INSERT INTO players (player_key, registered_at, last_sequence) \
             SELECT k, $2, 1 FROM UNNEST($1::bytea[]) AS k",
        )
        .bind(&keys)
        .bind(now - 86_400)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO ratings (player_key, game_module, algorithm_id, rating, deviation, \
             volatility, games_played, wins, losses, draws, streak, last_played_at, \
             rating_sequence, rating_expires_at, season) \
             SELECT k, 'ra', 'glicko2', r, 80000, 60000, 30, 15, 15, 0, 0, $4, 1, e, \
             (SELECT season FROM seasons WHERE NOT ended) \
             FROM UNNEST($1::bytea[], $2::bigint[], $3::bigint[]) AS t(k, r, e)",
        )
        .bind(&keys)
        .bind(&ratings)
        .bind(&expiries)
        .bind(now - 3_600)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
}
