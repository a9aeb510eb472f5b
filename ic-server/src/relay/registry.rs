//! Which matches run on this relay, by game id: a new game id starts a match task, a known one
//! gets the connection, a finished one refuses it (a ticket cannot restart a finished game).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use relay_core::frames::{DisconnectReason, Frame};
use tokio::sync::mpsc;

use super::Shared;
use super::handshake::Admitted;
use super::link::encode;
use super::match_task::{MatchInput, MatchTask};
use super::rooms::GameState;

/// Inputs a match task may have queued before it counts as overloaded.
const MATCH_QUEUE: usize = 8192;

enum Entry {
    Running(mpsc::Sender<MatchInput>),
    /// Finished; tickets for it expire at the latest at this Unix second.
    Finished {
        until_secs: i64,
    },
}

/// The relay's matches by game id.
#[derive(Default)]
pub struct Registry {
    // A std mutex: held only for map operations, never across an await.
    entries: Mutex<HashMap<u64, Entry>>,
    /// The relay is shutting down: no new game starts.
    draining: std::sync::atomic::AtomicBool,
}

impl Registry {
    /// From now on no new game starts (known ones still take their players).
    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether [`Self::start_draining`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Running matches.
    pub fn running(&self) -> usize {
        self.lock()
            .values()
            .filter(|e| matches!(e, Entry::Running(tx) if !tx.is_closed()))
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands an admitted connection to its match, starting the match on its first ticket.
    pub async fn route(shared: &Arc<Shared>, mut admitted: Admitted) {
        let game_id = admitted.ticket.game_id;
        let now = shared.clock.now_secs();
        if let Some(restrictions) = shared.chat.get() {
            admitted.chat_restricted_until = restrictions
                .chat_restricted_until(&admitted.ticket.player_key, now)
                .await;
        }
        let new_game = !shared.registry.lock().contains_key(&game_id);
        if new_game && shared.registry.is_draining() {
            shared.metrics.refused("draining");
            refuse(admitted, DisconnectReason::ServerRestart).await;
            return;
        }
        let sender = {
            let mut entries = shared.registry.lock();
            entries.retain(|_, e| match e {
                Entry::Running(tx) => !tx.is_closed(),
                Entry::Finished { until_secs } => *until_secs > now,
            });
            match entries.get(&game_id) {
                Some(Entry::Running(tx)) => Some(tx.clone()),
                Some(Entry::Finished { .. }) => None,
                None => {
                    let (tx, rx) = mpsc::channel(MATCH_QUEUE);
                    let task =
                        MatchTask::new(shared.clone(), admitted.ticket.ticket(), tx.clone(), rx);
                    entries.insert(game_id, Entry::Running(tx.clone()));
                    tokio::spawn(task.run());
                    Some(tx)
                }
            }
        };
        let refused = match sender {
            Some(tx) => match tx.send(MatchInput::Join(Box::new(admitted))).await {
                Ok(()) => return,
                Err(mpsc::error::SendError(input)) => match input {
                    MatchInput::Join(admitted) => *admitted,
                    MatchInput::Link(_) | MatchInput::CaughtUp(_) => return,
                },
            },
            None => admitted,
        };
        refuse(refused, DisconnectReason::MatchOver).await;
    }

    /// How the match of `game_id` stands: never started (or forgotten), running, or over.
    pub fn game_state(&self, game_id: u64) -> GameState {
        match self.lock().get(&game_id) {
            Some(Entry::Running(tx)) if !tx.is_closed() => GameState::Running,
            Some(Entry::Running(_) | Entry::Finished { .. }) => GameState::Finished,
            None => GameState::NotStarted,
        }
    }

    /// Marks a match finished so that its tickets cannot start it again.
    pub fn finish(&self, game_id: u64, until_secs: i64) {
        self.lock().insert(game_id, Entry::Finished { until_secs });
    }
}

/// Tells an admitted connection it cannot join, and closes it.
pub async fn refuse(mut admitted: Admitted, reason: DisconnectReason) {
    if let Ok(bytes) = encode(&Frame::Disconnect { reason }) {
        let _ = admitted.send.write_all(&bytes).await;
    }
    let _ = admitted.send.finish();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), admitted.quic.closed()).await;
    admitted.quic.close(1u32.into(), b"refused");
}
