//! What a community answers to `POST /v1/matches`, read for the outbox: the records it issued,
//! its error text, and the retry schedule of failed attempts.

use std::collections::BTreeMap;

use base64::Engine;
use scr::PlayerKey;

use crate::relay::PlayerRecord;

/// Longest error text kept per entry (a misconfigured URL may answer with a whole HTML page).
const MAX_ERROR_CHARS: usize = 500;

/// The `POST /v1/matches` answer: records by player key text, base64.
#[derive(serde::Deserialize)]
struct Answer {
    records: BTreeMap<String, Vec<String>>,
}

/// The records in a 200/201 answer of `POST /v1/matches`.
pub(super) fn records_from_answer(body: &[u8]) -> Result<Vec<PlayerRecord>, String> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|error| format!("an unreadable body: {error}"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut records = Vec::new();
    for (key, list) in answer.records {
        let player_key: PlayerKey = key
            .parse()
            .map_err(|error| format!("a bad player key {key:?}: {error}"))?;
        for text in list {
            let bytes = b64
                .decode(&text)
                .map_err(|error| format!("a record that is not base64: {error}"))?;
            records.push(PlayerRecord { player_key, bytes });
        }
    }
    Ok(records)
}

/// `"<status> <error code>: <message>"` from an API error body, or the status and body start.
pub(super) fn describe_error(status: reqwest::StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) if value["error"].is_string() => format!(
            "{status} {}: {}",
            value["error"].as_str().unwrap_or_default(),
            value["message"].as_str().unwrap_or_default()
        ),
        _ => format!("{status} {}", String::from_utf8_lossy(body)),
    }
}

pub(super) fn truncate(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}
