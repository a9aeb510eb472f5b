//! The post-game window: the certified result goes out, the ranking authority gets it, and the
//! issued records go back to the players, who may still leave or reconnect meanwhile.

use relay_core::cmr::MatchOutcome;
use relay_core::filters::Recipient;
use relay_core::frames::{DisconnectReason, Frame, Seat as SeatFrame};
use relay_core::ticket::{SignerKind, TicketSeat};
use scr::PlayerKey;
use tokio::task::JoinHandle;

use super::{MatchInput, MatchTask, SeatState, same_terms};
use crate::relay::link::{Link, LinkEvent, TickFrames};
use crate::relay::registry::refuse;
use crate::relay::results::{PlayerRecord, ResultSinkError};

/// Most records per `RatingUpdate` frame (the frame's limit).
const RECORDS_PER_FRAME: usize = relay_core::frames::MAX_RATING_RECORDS;

impl MatchTask {
    /// Certifies the result, sends it, hands it to the sink and sends the records back, while
    /// players may still leave or reconnect.
    pub(super) async fn post_game(&mut self, outcome: MatchOutcome) {
        let now = self.clock_now();
        // The delay only matters while the game can still be influenced: spectators get the
        // held-back ticks before the result.
        if let Some(core) = self.core.as_mut() {
            let mut frames = TickFrames::default();
            for feed in core.release_observer_feeds() {
                if let Recipient::Observer(id) = feed.recipient {
                    self.feed_spectator(id, &feed.ticks, &mut frames);
                }
            }
        }
        let Some(core) = self.core.as_ref() else {
            return;
        };
        let signed = match core.certify(&self.shared.relay, now) {
            Ok(signed) => signed,
            Err(error) => {
                tracing::error!(%error, "certifying the result failed");
                return;
            }
        };
        let cmr = signed.into_bytes();
        tracing::info!(game_id = self.terms.game_id, ?outcome, "match ended");
        self.broadcast(&Frame::MatchEnd(outcome));
        self.broadcast(&Frame::CertifiedResult(cmr.clone()));
        for seat in self.seats.values_mut() {
            seat.state = match std::mem::replace(&mut seat.state, SeatState::Gone) {
                SeatState::Playing(conn, link) => SeatState::Post(conn.end_game(), link),
                _ => SeatState::Gone,
            };
        }
        let delivery: Option<JoinHandle<Result<Vec<PlayerRecord>, ResultSinkError>>> =
            match &self.shared.sink {
                // A relay-signed room names no community: nobody rates it.
                Some(sink) if self.terms.signer_kind == SignerKind::Community => {
                    let sink = sink.clone();
                    let bytes = cmr.clone();
                    Some(tokio::spawn(async move { sink.submit(&bytes).await }))
                }
                _ => None,
            };
        let mut records: Option<Vec<PlayerRecord>> = None;
        let mut delivery = delivery;
        if delivery.is_none() {
            records = Some(Vec::new());
        }
        let deadline = tokio::time::Instant::now() + self.shared.options.post_game;
        loop {
            let everyone_left = self
                .seats
                .values()
                .all(|seat| !matches!(seat.state, SeatState::Post(..)));
            // After a restart nobody is rated: once the result is recorded, the relay may stop.
            if records.is_some() && (everyone_left || self.restarting()) {
                return;
            }
            tokio::select! {
                joined = join_opt(&mut delivery), if delivery.is_some() => {
                    delivery = None;
                    let issued = match joined {
                        Ok(Ok(issued)) => {
                            self.shared.metrics.results("delivered");
                            issued
                        }
                        Ok(Err(error)) => {
                            self.shared.metrics.results(error.outcome());
                            tracing::warn!(
                                %error,
                                outcome = error.outcome(),
                                "the result sink did not take the result now"
                            );
                            Vec::new()
                        }
                        Err(error) => {
                            self.shared.metrics.results("failed");
                            tracing::error!(%error, "the result sink task failed");
                            Vec::new()
                        }
                    };
                    for (slot, seat) in &self.seats {
                        if let SeatState::Post(conn, link) = &seat.state {
                            send_records(link, &conn.player_key(), &issued);
                            tracing::debug!(%slot, "records sent");
                        }
                    }
                    records = Some(issued);
                }
                input = self.inputs.recv() => {
                    let Some(input) = input else { return };
                    self.post_game_input(input, &cmr, records.as_deref());
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    fn post_game_input(&mut self, input: MatchInput, cmr: &[u8], records: Option<&[PlayerRecord]>) {
        match input {
            MatchInput::Link(LinkEvent::Closed { link, error }) => self.link_closed(link, error),
            MatchInput::Link(LinkEvent::Frame { .. }) => {}
            // The match is over: nothing left to watch live.
            MatchInput::CaughtUp(caught) => {
                tokio::spawn(refuse(caught.admitted, DisconnectReason::MatchOver));
            }
            MatchInput::Join(admitted) => {
                // A player who lost its connection at the end still gets result and records.
                let ticket = admitted.ticket.ticket().clone();
                let seat = match ticket.seat {
                    TicketSeat::Player { slot, team }
                        if same_terms(&self.terms, &ticket)
                            && self
                                .seats
                                .get(&slot)
                                .is_some_and(|s| s.key == ticket.player_key) =>
                    {
                        (slot, team)
                    }
                    // Spectators have nothing to collect after the end.
                    _ => {
                        tokio::spawn(refuse(*admitted, DisconnectReason::MatchOver));
                        return;
                    }
                };
                let (lobby, link) = self.new_link(*admitted);
                let Some(core) = self.core.as_ref() else {
                    return;
                };
                let Ok(conn) = lobby.start_game(core) else {
                    return;
                };
                link.send(&Frame::AuthAccepted {
                    seat: SeatFrame::Player {
                        slot: seat.0,
                        team: seat.1,
                    },
                });
                if let Some(outcome) = core.check_match_end() {
                    link.send(&Frame::MatchEnd(outcome));
                }
                link.send(&Frame::CertifiedResult(cmr.to_vec()));
                if let Some(records) = records {
                    send_records(&link, &ticket.player_key, records);
                }
                if let Some(seat) = self.seats.get_mut(&seat.0) {
                    seat.state = SeatState::Post(conn.end_game(), link);
                }
            }
        }
    }
}

fn send_records(link: &Link, player: &PlayerKey, issued: &[PlayerRecord]) {
    let mine: Vec<Vec<u8>> = issued
        .iter()
        .filter(|r| r.player_key == *player)
        .map(|r| r.bytes.clone())
        .collect();
    for chunk in mine.chunks(RECORDS_PER_FRAME) {
        link.send(&Frame::RatingUpdate(chunk.to_vec()));
    }
}

/// Awaits the delivery task if there is one; never completes otherwise.
async fn join_opt<T>(handle: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match handle {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}
