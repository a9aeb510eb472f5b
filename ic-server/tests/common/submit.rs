//! Certified results for load: duels among a few players, and streams that post them until the
//! server stops answering, remembering which ones it acknowledged.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scr::{CommunityKey, KeyPair};

use super::{Server, duel};

/// `count` duels among `players`, player `i % n` against a partner that changes every round.
pub fn round_robin_duels(
    relay: &KeyPair,
    community: CommunityKey,
    players: &[KeyPair],
    count: u64,
) -> Vec<Vec<u8>> {
    let n = players.len() as u64;
    (0..count)
        .map(|i| {
            let a = (i % n) as usize;
            let b = ((i + 1 + i / n) % n) as usize;
            let b = if a == b { (b + 1) % n as usize } else { b };
            duel(relay, community, &players[a], &players[b], i)
        })
        .collect()
}

/// Concurrent streams posting results; each stops at its first answer other than 201.
pub struct Streams {
    acknowledged: Arc<Mutex<BTreeSet<usize>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Streams {
    /// `lanes` streams, stream `i` posting every `lanes`-th result to `servers[i % len]`.
    pub fn start(servers: &[&Server], matches: &[Vec<u8>], lanes: usize) -> Self {
        let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
        let tasks = (0..lanes)
            .map(|lane| {
                let server = servers[lane % servers.len()];
                let (http, url) = (server.http.clone(), format!("{}/v1/matches", server.url));
                let mine: Vec<(usize, Vec<u8>)> = matches
                    .iter()
                    .cloned()
                    .enumerate()
                    .filter(|(i, _)| i % lanes == lane)
                    .collect();
                let acknowledged = acknowledged.clone();
                tokio::spawn(async move {
                    for (index, cmr) in mine {
                        let sent = http
                            .post(&url)
                            .header("content-type", "application/octet-stream")
                            .body(cmr)
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status().as_u16() == 201 => {
                                if response.text().await.is_ok() {
                                    acknowledged.lock().unwrap().insert(index);
                                }
                            }
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        Self {
            acknowledged,
            tasks,
        }
    }

    /// Waits until `count` results were acknowledged (at most a minute).
    pub async fn until_acknowledged(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.acknowledged.lock().unwrap().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for every stream to end; the indexes of the results acknowledged.
    pub async fn finish(self) -> BTreeSet<usize> {
        for task in self.tasks {
            task.await.unwrap();
        }
        self.acknowledged.lock().unwrap().clone()
    }
}
