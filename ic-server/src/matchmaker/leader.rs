//! The leading matchmaker: applies every process's requests to the queue's state in order,
//! runs the passes, hands accepted matches to relays, and saves state and messages together.
//!
//! Saving comes before anything leaves the process: events and answers go out in the same
//! transaction as the state that caused them, and a match is saved as taken out of the queue
//! before a relay is asked to host it, so a leader that dies midway never seats a player twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use scr::PlayerKey;
use tokio::sync::mpsc;

use super::handoff::{HandedOff, HandoffError, MatchPlan};
use super::holders::{Holders, StreamDelta};
use super::messages::{Answer, Ask, Message, Request};
use super::state::{self, AcceptedMatch, Outbox, State};
use super::{Matchmaker, Passes, QueueEvent};
use crate::matchmaking::pacing::pass_interval_ms;
use crate::store::StoreError;
use crate::store::shared_queue::Leadership;

/// Requests applied per save at most.
const BATCH: i64 = 256;
/// How often the leader looks for requests whose wake-up it missed.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// `NOTIFY` refuses payloads from 8000 bytes on.
const MAX_MESSAGE_BYTES: usize = 7900;

/// Who waits for the answer to a request.
type ReplyTo = Option<(u64, u64)>;

/// A relay's answer to a hand-off, back in the leader's loop.
struct HandoffDone {
    accepted: AcceptedMatch,
    plan: MatchPlan,
    result: Result<HandedOff, HandoffError>,
    placed_ms: u64,
    reply_to: ReplyTo,
}

/// What one turn of the loop produced.
#[derive(Default)]
struct Turn {
    applied: Vec<i64>,
    messages: Vec<Message>,
    handoffs: Vec<(AcceptedMatch, ReplyTo)>,
}

impl Turn {
    fn events(&mut self, out: Outbox) {
        self.messages.extend(
            out.into_iter()
                .map(|(player, event)| Message::Event { player, event }),
        );
    }

    fn answer(&mut self, reply_to: ReplyTo, answer: Answer) {
        if let Some((origin, id)) = reply_to {
            self.messages.push(Message::Answer { origin, id, answer });
        }
    }
}

/// Leads until the lead is lost (an error of the database, or another process took over).
pub(super) async fn lead(
    mm: Arc<Matchmaker>,
    mut leadership: Box<dyn Leadership>,
    passes: Passes,
) -> Result<(), StoreError> {
    let mut state: State = match leadership.load().await? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|error| StoreError::Corrupt(format!("saved matchmaking state: {error}")))?,
        None => State::default(),
    };
    state.forget_streams(mm.now_ms());
    let mut holders = Holders::default();
    let mut last_saved = String::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<HandoffDone>();
    let beat_every =
        Duration::from_millis((mm.settings().leader_failover_secs * 1000 / 3).max(200));
    let mut next_beat = Instant::now() + beat_every;
    let mut next_pass = tokio::time::Instant::now() + mm.pass_pause(&state);
    loop {
        let mut turn = Turn::default();
        tokio::select! {
            () = mm.wake.notified() => {}
            () = tokio::time::sleep_until(next_pass), if passes == Passes::Scheduled => {
                mm.pass(&mut state, &mut turn);
                next_pass = tokio::time::Instant::now() + mm.pass_pause(&state);
            }
            Some(done) = done_rx.recv() => mm.handed_off(&mut state, done, &mut turn),
            () = tokio::time::sleep(LOOK_EVERY) => {}
        }
        for request in leadership.pending(BATCH).await? {
            turn.applied.push(request.seq);
            match serde_json::from_str::<Request>(&request.body) {
                Ok(request) => mm.apply(&mut state, &mut holders, request, &mut turn),
                Err(error) => tracing::warn!(%error, "unreadable matchmaking request dropped"),
            }
        }
        let gone = holders.expire(Instant::now());
        streams_changed(&mut state, &gone, mm.now_ms());
        if !turn.applied.is_empty() || !turn.messages.is_empty() {
            let text = serde_json::to_string(&state)
                .map_err(|error| StoreError::WriteFailed(format!("matchmaking state: {error}")))?;
            // An idle queue's stream reports change nothing: the state is not written again.
            let changed = (text != last_saved).then_some(text.as_str());
            let messages = encode(&turn.messages);
            leadership.save(changed, &turn.applied, &messages).await?;
            last_saved = text;
            next_beat = Instant::now() + beat_every;
        } else if Instant::now() >= next_beat {
            leadership.heartbeat().await?;
            next_beat = Instant::now() + beat_every;
        }
        // A veto that started this turn may have a ban due before the planned pass (only the
        // vetoes are read: a turn must not walk the queues).
        if let (Passes::Scheduled, Some(until_ban)) = (passes, mm.until_next_ban(&state)) {
            next_pass = next_pass.min(tokio::time::Instant::now() + until_ban);
        }
        for (accepted, reply_to) in turn.handoffs {
            mm.spawn_handoff(accepted, reply_to, done_tx.clone());
        }
        mm.update_gauges(&state);
    }
}

fn streams_changed(state: &mut State, deltas: &[StreamDelta], now_ms: u64) {
    for (player, delta) in deltas {
        state.streams_changed(*player, *delta, now_ms);
    }
}

/// The messages as `NOTIFY` payloads; one too large to send is logged and left out (its
/// player sees where it stands on its next status request).
fn encode(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| match serde_json::to_string(message) {
            Ok(text) if text.len() <= MAX_MESSAGE_BYTES => Some(text),
            Ok(text) => {
                tracing::error!(bytes = text.len(), "matchmaking message too large to send");
                None
            }
            Err(error) => {
                tracing::error!(%error, "matchmaking message not encodable");
                None
            }
        })
        .collect()
}

impl Matchmaker {
    /// The pause before the next pass, from the number of players queued; shorter when a
    /// map veto's ban falls due sooner.
    fn pass_pause(&self, state: &State) -> Duration {
        let queued: usize = state.queued_players().iter().map(|(_, n)| n).sum();
        let pause = Duration::from_millis(pass_interval_ms(&self.settings(), queued));
        self.until_next_ban(state)
            .map_or(pause, |until_ban| pause.min(until_ban))
    }

    /// How long until the next ban of a running map veto falls due, if any veto runs.
    fn until_next_ban(&self, state: &State) -> Option<Duration> {
        let due = state.next_veto_deadline_ms()?;
        Some(Duration::from_millis(due.saturating_sub(self.now_ms())))
    }

    /// Applies one request.
    fn apply(&self, state: &mut State, holders: &mut Holders, request: Request, turn: &mut Turn) {
        let settings = &*self.settings();
        let now = self.now_ms();
        let reply_to = (request.id != 0).then_some((request.origin, request.id));
        let mut out = Vec::new();
        let answer = match request.ask {
            Ask::Join { joining, choices } => {
                Answer::Joined(state.join(joining, choices, settings, now, &mut out))
            }
            Ask::Confirm { party_id, joining } => {
                Answer::Joined(state.confirm(party_id, joining, settings, now, &mut out))
            }
            Ask::Leave { player } => Answer::Done(state.leave(&player, settings, now, &mut out)),
            Ask::Decline { player, match_id } => {
                Answer::Done(state.decline(match_id, &player, settings, now, &mut out))
            }
            Ask::Accept { player, match_id } => {
                let accepted = state.accept(match_id, &player, settings, now, &mut out);
                // The last answer: the player hears back once a relay took the match.
                if let Ok(Some(accepted)) = accepted {
                    turn.events(out);
                    turn.handoffs.push((accepted, reply_to));
                    return;
                }
                Answer::Done(accepted.map(|_| ()))
            }
            Ask::Ban {
                player,
                match_id,
                map,
            } => {
                let banned = state.ban(match_id, &player, &map, now, &mut out);
                // The last ban: the player hears back once a relay took the match.
                if let Ok(Some(accepted)) = banned {
                    turn.events(out);
                    turn.handoffs.push((accepted, reply_to));
                    return;
                }
                Answer::Done(banned.map(|_| ()))
            }
            Ask::Status { player } => Answer::Events(state.current(&player, now)),
            Ask::StreamOpened { player } => {
                holders.opened(request.origin, player, Instant::now());
                Answer::Events(state.stream_opened(player, now))
            }
            Ask::StreamClosed { player } => {
                holders.closed(request.origin, player, Instant::now());
                state.stream_closed(player, now);
                return;
            }
            Ask::Present { streams } => {
                let deltas = holders.reported(request.origin, &streams, Instant::now());
                streams_changed(state, &deltas, now);
                return;
            }
            Ask::Tick => {
                self.pass(state, turn);
                Answer::Done(Ok(()))
            }
        };
        turn.events(out);
        turn.answer(reply_to, answer);
    }

    /// One round: expired ready checks and absent entries, then a pass over every queue.
    fn pass(&self, state: &mut State, turn: &mut Turn) {
        let started = Instant::now();
        let mut out = Vec::new();
        let report = state.tick(
            self.parts.provider.as_ref(),
            &self.settings(),
            self.now_ms(),
            &mut out,
        );
        let metrics = &self.parts.metrics;
        metrics
            .pass_duration
            .observe(started.elapsed().as_secs_f64());
        for wait in report.waits_secs {
            metrics.wait.observe(wait);
        }
        for quality in report.qualities {
            metrics.quality.observe(quality);
        }
        for queue in report.unmatched_passes {
            metrics.unmatched_passes.with_label_values(&[&queue]).inc();
        }
        turn.events(out);
        // Vetoes that ended by a ban picked for an idle side: nobody waits for an answer.
        turn.handoffs
            .extend(report.ready.into_iter().map(|accepted| (accepted, None)));
    }

    /// Asks a relay to host an accepted match, off the loop (a remote relay takes a network
    /// round trip); the answer comes back through `done`.
    fn spawn_handoff(
        self: &Arc<Self>,
        accepted: AcceptedMatch,
        reply_to: ReplyTo,
        done: mpsc::UnboundedSender<HandoffDone>,
    ) {
        let plan = plan_of(&accepted, self.settings().ticket_ttl_secs);
        let mm = self.clone();
        tokio::spawn(async move {
            let placed_ms = mm.now_ms();
            let result = mm.parts.handoff.hand_off(&plan, placed_ms).await;
            // Marked before the players learn where to play, so the mark is there long before
            // the result; a mark that cannot be written only costs the reduced weight.
            if let Ok(handed) = &result
                && plan.ranked
                && accepted.live.desperation
                && let Err(error) = mm
                    .parts
                    .store
                    .mark_desperation_match(handed.game_id(), (placed_ms / 1000) as i64)
                    .await
            {
                tracing::warn!(%error, "desperation match not marked; its result counts fully");
            }
            // A closed channel: this process stopped leading, and the match is lost with it.
            let _ = done.send(HandoffDone {
                accepted,
                plan,
                result,
                placed_ms,
                reply_to,
            });
        });
    }

    /// Tells the players where to connect, or puts them back in front of the queue when no
    /// relay took the match.
    fn handed_off(&self, state: &mut State, done: HandoffDone, turn: &mut Turn) {
        let HandoffDone {
            accepted,
            plan,
            result,
            placed_ms,
            reply_to,
        } = done;
        let metrics = &self.parts.metrics;
        match result {
            Ok(handed) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let until = placed_ms + self.settings().ticket_ttl_secs * 1000;
                for (player, ticket) in &handed.tickets {
                    let event = QueueEvent::MatchReady {
                        match_id: accepted.id,
                        relay_address: handed.relay_address.clone(),
                        relay_key: handed.relay_key.to_string(),
                        ticket: b64.encode(ticket),
                        game_id: handed.game_id(),
                    };
                    state.remember_ready(*player, event.clone(), until);
                    turn.messages.push(Message::Event {
                        player: *player,
                        event,
                    });
                }
                match super::background::placed_message(
                    state::queue_name(&accepted.live.queue),
                    plan.teams,
                    &handed,
                    placed_ms,
                ) {
                    Ok(placed) => turn.messages.push(placed),
                    Err(error) => tracing::warn!(%error, "placed match not listed"),
                }
                metrics.handoffs.with_label_values(&["ok"]).inc();
            }
            Err(error) => {
                tracing::warn!(%error, "no relay took the match; players requeued");
                metrics.handoffs.with_label_values(&["failed"]).inc();
                let mut out = Vec::new();
                let queue = accepted.live.queue.clone();
                for mut entry in accepted.live.entries {
                    entry.front = true;
                    for member in &entry.members {
                        out.push((
                            member.key,
                            QueueEvent::Requeued {
                                reason: "relay_unavailable".into(),
                            },
                        ));
                    }
                    state.requeue(queue.clone(), entry);
                }
                turn.events(out);
            }
        }
        turn.answer(reply_to, Answer::Done(Ok(())));
    }

    fn update_gauges(&self, state: &State) {
        // Every configured queue has a value, 0 when empty, so a dashboard shows 0, not gaps.
        let queued = state.queued_players();
        let settings = self.settings();
        let empty = settings
            .queues
            .iter()
            .map(state::queue_name)
            .filter(|name| !queued.iter().any(|(queue, _)| queue == name))
            .map(|name| (name, 0));
        for (queue, players) in queued.clone().into_iter().chain(empty) {
            self.parts
                .metrics
                .queued
                .with_label_values(&[&queue])
                .set(players as i64);
        }
    }
}

/// What a relay is asked to host for an accepted match.
fn plan_of(accepted: &AcceptedMatch, ticket_ttl_secs: u64) -> MatchPlan {
    let live = &accepted.live;
    let team_of = |entry: u64| usize::from(live.teams[1].contains(&entry));
    let mut teams: [Vec<PlayerKey>; 2] = [Vec::new(), Vec::new()];
    let mut regions: Option<Vec<String>> = None;
    for entry in &live.entries {
        teams[team_of(entry.id)].extend(entry.members.iter().map(|m| m.key));
        if !entry.regions.is_empty() {
            regions = Some(match regions {
                None => entry.regions.clone(),
                Some(shared) => shared
                    .into_iter()
                    .filter(|r| entry.regions.contains(r))
                    .collect(),
            });
        }
    }
    MatchPlan {
        module: live.queue.module.clone(),
        ranked: live.queue.mode.ranked(),
        teams,
        regions: regions.unwrap_or_default(),
        ticket_ttl_secs,
        map: accepted.map.clone(),
    }
}
