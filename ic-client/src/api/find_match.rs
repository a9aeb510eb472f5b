//! Queueing until a match is ready, for a game that only wants a relay seat: join with a rating
//! record, accept the ready check, ban on the side's turn, and return the `match_ready` event.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::queue::{QueueEvent, QueueRequest};
use super::{ApiClient, ApiError, Session};

/// Why [`ApiClient::find_match`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum FindMatchError {
    /// A request or the event stream failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The server took the player out of the queue (`declined`, `no_answer`, `expired`, …).
    #[error("out of the queue: {reason}")]
    Cancelled {
        /// The server's reason.
        reason: String,
    },
    /// The join answered with a party waiting for its members; a party is not a solo queue.
    #[error("the queue waits for party {party_id} to confirm")]
    PartyPending {
        /// The party.
        party_id: u64,
    },
}

/// A seat in a match the matchmaker placed: where to connect and the ticket to connect with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyMatch {
    /// The ready check that became the match.
    pub match_id: u64,
    /// The relay's game id.
    pub game_id: u64,
    /// Relay address (`host:port`, UDP).
    pub relay_address: String,
    /// The relay's key, to pin (`ed25519:…`).
    pub relay_key: String,
    /// The ticket's bytes.
    pub ticket: Vec<u8>,
}

impl ApiClient {
    /// Joins the queue `request` names and follows the player's event stream until the match
    /// is ready: accepts the ready check, bans the first map still in when the side is on turn,
    /// and goes on after a requeue. On any failure after joining, the player leaves the queue.
    /// Waits as long as the queue takes: bound it with a timeout (and
    /// [`ApiClient::leave_queue`] after one), below the session's lifetime (an hour).
    pub async fn find_match(
        &self,
        session: &Session,
        request: &QueueRequest,
    ) -> Result<ReadyMatch, FindMatchError> {
        // The stream first: an event sent between the join and the subscription is not lost
        // either way (each connection starts with where the player stands), but opening first
        // keeps the order of what the player sees.
        let mut events = self.queue_events(session)?;
        if let super::Joined::PartyPending { party_id } = self.join_queue(session, request).await? {
            events.close();
            return Err(FindMatchError::PartyPending { party_id });
        }
        let result = loop {
            match events.next().await {
                Err(error) => break Err(error.into()),
                Ok(event) => match next_step(event) {
                    Step::Wait => {}
                    Step::Accept(match_id) => {
                        match self.accept_match(session, match_id).await {
                            // The check ended meanwhile: the next event says where the player
                            // stands. An expired sign-in or a lost server is fatal.
                            Err(error @ ApiError::Server { .. })
                                if error.server_code() == Some("unauthorized") =>
                            {
                                break Err(error.into());
                            }
                            Ok(()) | Err(ApiError::Server { .. }) => {}
                            Err(error) => break Err(error.into()),
                        }
                    }
                    Step::Ban { match_id, map } => {
                        // A ban that lost a race with the deadline is not fatal: the server
                        // picks one, and the next event says where things stand.
                        let _ = self.ban_map(session, match_id, &map).await;
                    }
                    Step::Ready(ready) => break Ok(ready),
                    Step::Out(reason) => break Err(FindMatchError::Cancelled { reason }),
                },
            }
        };
        events.close();
        if let Err(error) = &result {
            // Out of the queue already when cancelled; otherwise the player stopped waiting and
            // must not be matched (best effort: the server may be what failed).
            if !matches!(error, FindMatchError::Cancelled { .. }) {
                let _ = self.leave_queue(session).await;
            }
        }
        result
    }
}

/// What the player does after one queue event.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Wait,
    Accept(u64),
    Ban { match_id: u64, map: String },
    Ready(ReadyMatch),
    Out(String),
}

fn next_step(event: QueueEvent) -> Step {
    match event {
        QueueEvent::MatchFound { match_id, .. } => Step::Accept(match_id),
        QueueEvent::MapVeto {
            match_id,
            maps,
            your_turn: true,
            ..
        } if maps.len() > 1 => Step::Ban {
            match_id,
            map: maps[0].clone(),
        },
        QueueEvent::MatchReady {
            match_id,
            relay_address,
            relay_key,
            ticket,
            game_id,
        } => match BASE64.decode(&ticket) {
            Ok(ticket) => Step::Ready(ReadyMatch {
                match_id,
                game_id,
                relay_address,
                relay_key,
                ticket,
            }),
            Err(_) => Step::Out("bad_ticket".to_owned()),
        },
        QueueEvent::Cancelled { reason, .. } => Step::Out(reason),
        _ => Step::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_player_accepts_bans_on_turn_and_stops_at_ready_or_cancel() {
        let found = QueueEvent::MatchFound {
            match_id: 7,
            accept_deadline: 0,
            players: 2,
            queue: "ra/ranked_1v1".into(),
        };
        assert_eq!(next_step(found), Step::Accept(7));
        let veto = |your_turn, maps: &[&str]| QueueEvent::MapVeto {
            match_id: 7,
            maps: maps.iter().map(|m| (*m).to_owned()).collect(),
            your_turn,
            ban_deadline: 0,
        };
        assert_eq!(
            next_step(veto(true, &["arena", "canyon"])),
            Step::Ban {
                match_id: 7,
                map: "arena".into()
            }
        );
        assert_eq!(next_step(veto(false, &["arena", "canyon"])), Step::Wait);
        assert_eq!(next_step(veto(true, &["canyon"])), Step::Wait);
        let ready = QueueEvent::MatchReady {
            match_id: 7,
            relay_address: "127.0.0.1:9000".into(),
            relay_key: "ed25519:x".into(),
            ticket: "AAEC".into(),
            game_id: 99,
        };
        assert_eq!(
            next_step(ready),
            Step::Ready(ReadyMatch {
                match_id: 7,
                game_id: 99,
                relay_address: "127.0.0.1:9000".into(),
                relay_key: "ed25519:x".into(),
                ticket: vec![0, 1, 2],
            })
        );
        let cancelled = QueueEvent::Cancelled {
            reason: "no_answer".into(),
            cooldown_until: None,
        };
        assert_eq!(next_step(cancelled), Step::Out("no_answer".into()));
        let requeued = QueueEvent::Requeued {
            reason: "declined".into(),
        };
        assert_eq!(next_step(requeued), Step::Wait);
    }
}
