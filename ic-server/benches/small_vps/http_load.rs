//! The community's connected players over HTTP: queue event streams held open, players polling
//! what a game client polls (leaderboard, own records, presented records, sanctions, queue), and
//! reports trickling in; each request timed, by route, inside the measurement window.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use scr::{CommunityKey, KeyPair};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio::time::Instant as TokioInstant;

/// Seconds between one polling player's requests.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Seconds between two reports (from different players).
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// A signed-in player with a rating record to present.
#[derive(Clone)]
pub struct Member {
    key: KeyPair,
    token: String,
    record: String,
}

/// Latencies (µs) and refusals by route, of requests sent inside the window.
#[derive(Default)]
pub struct Samples {
    latencies: Mutex<BTreeMap<&'static str, Vec<u32>>>,
    failures: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

impl Samples {
    fn add(&self, route: &'static str, took: Duration, status: u16) {
        if (200..300).contains(&status) {
            let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
            self.latencies
                .lock()
                .unwrap()
                .entry(route)
                .or_default()
                .push(micros);
        } else {
            *self
                .failures
                .lock()
                .unwrap()
                .entry((route, status))
                .or_default() += 1;
        }
    }

    /// Per route: requests, p50 and p99 (µs), nearest rank.
    pub fn summary(&self) -> Vec<(&'static str, usize, u32, u32)> {
        let mut latencies = self.latencies.lock().unwrap();
        latencies
            .iter_mut()
            .map(|(route, samples)| {
                samples.sort_unstable();
                let rank = |q: f64| {
                    let index =
                        ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
                    samples[index - 1]
                };
                (*route, samples.len(), rank(0.50), rank(0.99))
            })
            .collect()
    }

    /// Refused or failed requests by route and status (0: no answer).
    pub fn failures(&self) -> BTreeMap<(&'static str, u16), u64> {
        self.failures.lock().unwrap().clone()
    }
}

/// Signs `key` in with the auth challenge and takes a fresh rating record (its old one expired).
pub async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    community: &CommunityKey,
    key: KeyPair,
) -> Member {
    let public = key.public_key().to_string();
    let challenge: Value = http
        .post(format!("{url}/v1/auth/challenge"))
        .json(&json!({ "key": public }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = challenge["challenge"].as_str().unwrap();
    let bytes: [u8; 32] = B64.decode(text).unwrap().try_into().unwrap();
    let message = ic_server::auth::challenge_message(&bytes, community);
    let answer: Value = http
        .post(format!("{url}/v1/auth/token"))
        .json(&json!({ "key": public, "challenge": text, "signature": B64.encode(key.sign(&message)) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["token"].as_str().unwrap().to_owned();
    let refreshed: Value = http
        .post(format!("{url}/v1/players/me/refresh"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let record = refreshed["records"][0]
        .as_str()
        .expect("a refreshed rating record")
        .to_owned();
    Member { key, token, record }
}

/// Holds `GET /v1/queue/events` open for each member until `stop`; each task answers whether
/// its stream stayed open the whole time.
pub fn hold_streams(
    http: &reqwest::Client,
    url: &str,
    members: &[Member],
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Vec<JoinHandle<bool>> {
    members
        .iter()
        .map(|member| {
            let (http, url, token, mut stop) = (
                http.clone(),
                url.to_owned(),
                member.token.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let Ok(mut response) = http
                    .get(format!("{url}/v1/queue/events"))
                    .bearer_auth(&token)
                    .send()
                    .await
                else {
                    return false;
                };
                if !response.status().is_success() {
                    return false;
                }
                loop {
                    tokio::select! {
                        chunk = response.chunk() => match chunk {
                            Ok(Some(_)) => continue,
                            _ => return false,
                        },
                        _ = stop.wait_for(|stop| *stop) => return true,
                    }
                }
            })
        })
        .collect()
}

/// Each member polls one route every [`POLL_EVERY`] in turn, from a random phase, until the
/// window closes; requests sent inside the window are timed.
pub fn poll(
    http: &reqwest::Client,
    url: &str,
    members: &[Member],
    window: (TokioInstant, TokioInstant),
    samples: &Arc<Samples>,
) -> Vec<JoinHandle<()>> {
    let count = members.len().max(1) as f64;
    members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let (http, url, member, samples) = (
                http.clone(),
                url.to_owned(),
                member.clone(),
                samples.clone(),
            );
            tokio::spawn(async move {
                let phase = POLL_EVERY.mul_f64(index as f64 / count);
                let mut next = TokioInstant::now() + phase;
                let mut turn = index;
                while next < window.1 {
                    tokio::time::sleep_until(next).await;
                    next += POLL_EVERY;
                    turn += 1;
                    let (route, request) = match turn % 5 {
                        0 => (
                            "GET /v1/leaderboard",
                            http.get(format!("{url}/v1/leaderboard?module=ra&limit=50")),
                        ),
                        1 => (
                            "GET /v1/players/me/records",
                            http.get(format!("{url}/v1/players/me/records?since=1"))
                                .bearer_auth(&member.token),
                        ),
                        2 => (
                            "POST /v1/credentials/verify",
                            http.post(format!("{url}/v1/credentials/verify"))
                                .json(&json!({ "records": [member.record] })),
                        ),
                        3 => (
                            "GET /v1/sanctions/me",
                            http.get(format!("{url}/v1/sanctions/me"))
                                .bearer_auth(&member.token),
                        ),
                        _ => (
                            "GET /v1/queue",
                            http.get(format!("{url}/v1/queue"))
                                .bearer_auth(&member.token),
                        ),
                    };
                    timed(route, request, window, &samples).await;
                }
            })
        })
        .collect()
}

/// One report every [`REPORT_EVERY`] during the window, each by another member against the
/// next one.
pub fn report(
    http: &reqwest::Client,
    url: &str,
    members: &[Member],
    window: (TokioInstant, TokioInstant),
    samples: &Arc<Samples>,
) -> JoinHandle<()> {
    let (http, url, members, samples) = (
        http.clone(),
        url.to_owned(),
        members.to_vec(),
        samples.clone(),
    );
    tokio::spawn(async move {
        tokio::time::sleep_until(window.0).await;
        let mut next = window.0;
        for pair in members.windows(2).cycle() {
            if next >= window.1 {
                break;
            }
            tokio::time::sleep_until(next).await;
            next += REPORT_EVERY;
            let body = json!({
                "accused": pair[1].key.public_key().to_string(),
                "category": "griefing",
                "note": "blocked our base entrance the whole game",
            });
            let request = http
                .post(format!("{url}/v1/reports"))
                .bearer_auth(&pair[0].token)
                .json(&body);
            timed("POST /v1/reports", request, window, &samples).await;
        }
    })
}

async fn timed(
    route: &'static str,
    request: reqwest::RequestBuilder,
    window: (TokioInstant, TokioInstant),
    samples: &Samples,
) {
    let sent = TokioInstant::now();
    let started = Instant::now();
    let status = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            // The whole body: a client waits for it too.
            let _ = response.bytes().await;
            status
        }
        Err(_) => 0,
    };
    if sent >= window.0 && sent < window.1 {
        samples.add(route, started.elapsed(), status);
    }
}
