//! What every process with the matchmaking capability runs beside its HTTP handlers: it
//! hears the leader's messages, reports its open streams, and stands for leader.
//!
//! The campaign tries for the lead about every second; on PostgreSQL a leader that died is
//! replaced at the next try, and one that hangs after `leader_failover_secs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use relay_core::ticket::MatchTicket;
use scr::PlayerKey;
use tokio::task::JoinHandle;

use super::handoff::HandedOff;
use super::holders::REPORT_EVERY;
use super::messages::{Ask, Message};
use super::{Matchmaker, Passes, leader, lock};
use crate::store::StoreError;
use crate::store::shared_queue::{Notification, Notifications};

/// Longest pause between tries to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl Matchmaker {
    /// Starts hearing the leader (before returning, so no answer to this process's first
    /// requests is missed), then the campaign for the lead and the stream reports.
    pub async fn start(
        self: &Arc<Self>,
        passes: Passes,
    ) -> Result<Vec<JoinHandle<()>>, StoreError> {
        let notifications = self.parts.queue.listen().await?;
        let hear = tokio::spawn(self.clone().hear(notifications));
        let campaign = tokio::spawn(self.clone().campaign(passes));
        let report = tokio::spawn(self.clone().report_streams());
        Ok(vec![hear, campaign, report])
    }

    /// Delivers the leader's messages; reconnects with back-off when the listener fails.
    async fn hear(self: Arc<Self>, mut notifications: Box<dyn Notifications>) {
        let mut backoff = Duration::from_millis(200);
        loop {
            match notifications.next().await {
                Ok(Notification::Request) => self.wake.notify_one(),
                Ok(Notification::Message(text)) => {
                    backoff = Duration::from_millis(200);
                    self.heard(&text);
                }
                Err(error) => {
                    tracing::warn!(%error, "lost the matchmaking messages; listening again");
                    loop {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        match self.parts.queue.listen().await {
                            Ok(again) => {
                                notifications = again;
                                break;
                            }
                            Err(error) => tracing::debug!(%error, "listening failed"),
                        }
                    }
                    // Requests may have arrived meanwhile.
                    self.wake.notify_one();
                }
            }
        }
    }

    fn heard(&self, text: &str) {
        let message = match serde_json::from_str::<Message>(text) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "unreadable matchmaking message ignored");
                return;
            }
        };
        match message {
            Message::Event { player, event } => {
                if let Some(sender) = lock(&self.channels).get(&player) {
                    let _ = sender.send(event);
                }
            }
            Message::Answer { origin, id, answer } => {
                if origin == self.origin {
                    if let Some(waiting) = lock(&self.waiting).remove(&id) {
                        let _ = waiting.send(answer);
                    }
                }
            }
            Message::Placed {
                queue,
                teams,
                relay_address,
                relay_key,
                ticket,
                placed_ms,
            } => {
                let terms = base64::engine::general_purpose::STANDARD
                    .decode(&ticket)
                    .ok()
                    .and_then(|bytes| MatchTicket::decode_unverified(&bytes).ok());
                let Some((terms, _)) = terms else {
                    tracing::warn!("placed match with unreadable terms not listed");
                    return;
                };
                let handed = HandedOff {
                    relay_address,
                    relay_key,
                    terms,
                    tickets: Vec::new(),
                };
                lock(&self.live).placed(queue, teams, &handed, placed_ms);
            }
        }
    }

    /// Stands for leader, and leads whenever elected, until the process ends.
    async fn campaign(self: Arc<Self>, passes: Passes) {
        let failover = self.settings().leader_failover_secs;
        let every = Duration::from_millis((failover * 1000 / 5).clamp(200, 1000));
        loop {
            match self.parts.queue.try_lead(failover).await {
                Ok(Some(leadership)) => {
                    tracing::info!("this process leads the matchmaking queue");
                    self.leading.store(true, Ordering::SeqCst);
                    self.parts.metrics.leader.set(1);
                    let ended = leader::lead(self.clone(), leadership, passes).await;
                    self.leading.store(false, Ordering::SeqCst);
                    self.parts.metrics.leader.set(0);
                    if let Err(error) = ended {
                        tracing::warn!(%error, "this process stopped leading the matchmaking queue");
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "could not stand for matchmaking leader"),
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Tells the leader every few seconds which streams are open here, so that it keeps
    /// their players queued, and drops them if this process dies.
    async fn report_streams(self: Arc<Self>) {
        let mut every = tokio::time::interval(REPORT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let streams: Vec<(PlayerKey, usize)> = lock(&self.streams)
                .iter()
                .map(|(player, count)| (*player, *count))
                .collect();
            if let Err(error) = self.tell(Ask::Present { streams }).await {
                tracing::debug!(%error, "open streams not reported to the matchmaker");
            }
        }
    }
}

/// The message that lists a placed match in every process. The terms travel in the ticket
/// layout without a signature (a spectator ticket repeats them and is signed where issued).
pub(super) fn placed_message(
    queue: String,
    teams: [Vec<PlayerKey>; 2],
    handed: &HandedOff,
    placed_ms: u64,
) -> Result<Message, relay_core::ticket::TicketError> {
    let mut terms = handed.terms.signed_part()?;
    terms.extend_from_slice(&[0; 64]);
    Ok(Message::Placed {
        queue,
        teams,
        relay_address: handed.relay_address.clone(),
        relay_key: handed.relay_key,
        ticket: base64::engine::general_purpose::STANDARD.encode(terms),
        placed_ms,
    })
}
