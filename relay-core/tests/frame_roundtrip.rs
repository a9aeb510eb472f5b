//! Property tests: every frame round-trips through its bytes, and damaged bytes are refused.
//! Streams split at arbitrary points decode to the same frames.

use bytes::BytesMut;
use proptest::prelude::*;
use relay_core::cmr::{EndReason, MatchOutcome};
use relay_core::frames::{
    ClientOrder, DisconnectReason, Frame, FrameError, KickReason, MAX_FRAME_LEN, OrderBatch, Seat,
    SimOutcome, TimingFeedback,
};
use relay_core::ids::{ObserverId, PlayerSlot, TeamId};
use relay_core::order::{ChatChannel, PlayerOrder, TickOrders, TimestampedOrder, VoteKind};
use relay_core::pauses::PauseRefusal;
use scr::keys::PlayerKey;

fn channel() -> impl Strategy<Value = ChatChannel> {
    prop_oneof![
        Just(ChatChannel::All),
        Just(ChatChannel::Team),
        any::<u8>().prop_map(|s| ChatChannel::Whisper(PlayerSlot(s))),
        Just(ChatChannel::Observer),
    ]
}

fn order() -> impl Strategy<Value = PlayerOrder> {
    prop_oneof![
        Just(PlayerOrder::Idle),
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(type_tag, payload)| PlayerOrder::Game { type_tag, payload }),
        (channel(), "\\PC{0,40}").prop_map(|(channel, text)| PlayerOrder::Chat { channel, text }),
        prop_oneof![
            Just(VoteKind::Surrender),
            Just(VoteKind::Remake),
            Just(VoteKind::Pause),
            Just(VoteKind::Resume),
            any::<u8>().prop_map(|s| VoteKind::Kick(PlayerSlot(s)))
        ]
        .prop_map(PlayerOrder::Vote),
    ]
}

fn outcome() -> impl Strategy<Value = MatchOutcome> {
    let reason = prop_oneof![
        Just(EndReason::Elimination),
        Just(EndReason::Objective),
        Just(EndReason::Surrender)
    ];
    prop_oneof![
        (any::<u8>(), reason).prop_map(|(t, reason)| MatchOutcome::Completed {
            winner: TeamId(t),
            reason
        }),
        Just(MatchOutcome::Draw),
        any::<u8>().prop_map(|s| MatchOutcome::Abandoned {
            leaver: PlayerSlot(s)
        }),
        Just(MatchOutcome::Remade),
        Just(MatchOutcome::ServerRestart),
        any::<u8>().prop_map(|s| MatchOutcome::GraceVoided {
            leaver: PlayerSlot(s)
        }),
        any::<u64>().prop_map(|tick| MatchOutcome::DesyncTerminated {
            first_divergence_tick: tick
        }),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    let bytes32 = any::<[u8; 32]>();
    prop_oneof![
        (bytes32, any::<u64>()).prop_map(|(k, game_id)| Frame::ClientHello {
            player_key: PlayerKey::from_bytes(k),
            game_id
        }),
        any::<[u8; 32]>().prop_map(|challenge| Frame::AuthChallenge { challenge }),
        (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, b)| {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&a);
            signature[32..].copy_from_slice(&b);
            Frame::AuthResponse { signature }
        }),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Frame::Ticket),
        (any::<u64>(), any::<u32>(), any::<u64>()).prop_map(
            |(start_us, tick_interval_us, open_tick)| {
                Frame::MatchStart {
                    start_us,
                    tick_interval_us,
                    open_tick,
                }
            }
        ),
        prop_oneof![
            (any::<u8>(), any::<u8>()).prop_map(|(s, t)| Seat::Player {
                slot: PlayerSlot(s),
                team: TeamId(t)
            }),
            any::<u8>().prop_map(|o| Seat::Observer(ObserverId(o))),
        ]
        .prop_map(|seat| Frame::AuthAccepted { seat }),
        (
            any::<u64>(),
            any::<u64>(),
            prop::collection::vec((any::<u32>(), order()), 0..12)
        )
            .prop_map(
                |(tick, client_send_us, orders)| Frame::OrderBatch(OrderBatch {
                    tick,
                    client_send_us,
                    orders: orders
                        .into_iter()
                        .map(|(sub_tick_hint_us, order)| ClientOrder {
                            sub_tick_hint_us,
                            order
                        })
                        .collect()
                })
            ),
        (
            any::<u64>(),
            prop::collection::vec((any::<u8>(), any::<u32>(), order()), 0..12)
        )
            .prop_map(|(tick, orders)| Frame::TickOrders(TickOrders {
                tick,
                orders: orders
                    .into_iter()
                    .map(|(p, sub_tick_us, order)| TimestampedOrder {
                        player: PlayerSlot(p),
                        sub_tick_us,
                        order
                    })
                    .collect()
            })),
        (any::<i32>(), any::<i32>(), any::<i32>(), any::<u16>()).prop_map(|(a, b, c, d)| {
            Frame::TimingFeedback(TimingFeedback {
                early_us: a,
                late_us: b,
                recommended_offset_us: c,
                late_count: d,
            })
        }),
        (any::<u64>(), any::<u64>()).prop_map(|(tick, hash)| Frame::SyncHash { tick, hash }),
        (
            any::<u64>(),
            prop_oneof![
                (
                    any::<u8>(),
                    prop_oneof![Just(EndReason::Elimination), Just(EndReason::Objective)]
                )
                    .prop_map(|(t, reason)| SimOutcome::Victory {
                        winner: TeamId(t),
                        reason
                    }),
                Just(SimOutcome::Draw)
            ],
            any::<[u8; 32]>()
        )
            .prop_map(|(tick, outcome, state_hash)| Frame::GameEndedReport {
                tick,
                outcome,
                state_hash
            }),
        any::<u32>().prop_map(|token| Frame::Liveness { token }),
        any::<u32>().prop_map(|token| Frame::LivenessEcho { token }),
        outcome().prop_map(Frame::MatchEnd),
        prop::collection::vec(any::<u8>(), 0..600).prop_map(Frame::CertifiedResult),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..=3)
            .prop_map(Frame::RatingUpdate),
        (any::<Option<u8>>(), channel(), "\\PC{0,60}").prop_map(|(s, channel, text)| {
            Frame::Chat {
                // 0xff is the wire value for "no sender".
                sender: s.filter(|&s| s != 0xff).map(PlayerSlot),
                channel,
                text,
            }
        }),
        prop_oneof![
            Just(DisconnectReason::Left),
            Just(DisconnectReason::Timeout),
            Just(DisconnectReason::ProtocolError),
            Just(DisconnectReason::MatchOver),
            Just(DisconnectReason::NotAdmitted),
            Just(DisconnectReason::ServerRestart)
        ]
        .prop_map(|reason| Frame::Disconnect { reason }),
        prop_oneof![
            Just(KickReason::LagStrikes),
            Just(KickReason::Desync),
            Just(KickReason::Unresponsive),
            Just(KickReason::ProtocolViolation),
            Just(KickReason::AuthenticationFailed),
            Just(KickReason::VotedOut)
        ]
        .prop_map(|reason| Frame::Kick { reason }),
        any::<u64>().prop_map(|tick| Frame::DesyncDetected { tick }),
        (any::<u8>(), any::<u64>(), any::<u64>()).prop_map(|(p, tick, until)| Frame::Paused {
            player: PlayerSlot(p),
            tick,
            until
        }),
        (any::<u64>(), any::<bool>())
            .prop_map(|(tick, timed_out)| Frame::Resumed { tick, timed_out }),
        prop_oneof![
            Just(PauseRefusal::BudgetSpent),
            Just(PauseRefusal::TooEarly),
            Just(PauseRefusal::AlreadyPaused),
            Just(PauseRefusal::NotPaused)
        ]
        .prop_map(|reason| Frame::PauseRefused { reason }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_frame_round_trips(frame in frame()) {
        let bytes = frame.to_bytes().unwrap();
        prop_assert_eq!(Frame::decode(&bytes).unwrap(), frame);
    }

    #[test]
    fn every_strict_prefix_is_incomplete_and_extension_is_refused(frame in frame()) {
        let bytes = frame.to_bytes().unwrap();
        for len in 0..bytes.len() {
            let mut partial = BytesMut::from(&bytes[..len]);
            prop_assert_eq!(Frame::decode_from(&mut partial), Ok(None));
            prop_assert!(Frame::decode(&bytes[..len]).is_err());
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        prop_assert!(Frame::decode(&longer).is_err());
    }

    #[test]
    fn a_stream_split_anywhere_yields_the_same_frames(
        frames in prop::collection::vec(frame(), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut all = BytesMut::new();
        for frame in &frames {
            frame.encode(&mut all).unwrap();
        }
        let cut = cut.index(all.len());
        let mut buffer = BytesMut::from(&all[..cut]);
        let mut decoded = Vec::new();
        while let Some(frame) = Frame::decode_from(&mut buffer).unwrap() {
            decoded.push(frame);
        }
        buffer.extend_from_slice(&all[cut..]);
        while let Some(frame) = Frame::decode_from(&mut buffer).unwrap() {
            decoded.push(frame);
        }
        prop_assert_eq!(decoded, frames);
        prop_assert!(buffer.is_empty());
    }

    #[test]
    fn the_direct_tick_encoder_matches_the_frame_encoder(frame in frame()) {
        if let Frame::TickOrders(tick) = &frame {
            let mut direct = BytesMut::new();
            relay_core::frames::encode_tick_orders(tick, &mut direct).unwrap();
            prop_assert_eq!(direct, frame.to_bytes().unwrap());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Frame::decode(&bytes);
        let _ = Frame::decode_from(&mut BytesMut::from(&bytes[..]));
    }
}

#[test]
fn oversized_length_prefix_is_refused_before_the_body_arrives() {
    let mut buffer = BytesMut::from(&((MAX_FRAME_LEN as u32) + 1).to_le_bytes()[..]);
    assert_eq!(
        Frame::decode_from(&mut buffer),
        Err(FrameError::BadLength(MAX_FRAME_LEN + 1))
    );
}

#[test]
fn unknown_version_and_type_are_named() {
    let mut bytes = Frame::Liveness { token: 7 }.to_bytes().unwrap();
    bytes[4] = 2;
    assert_eq!(Frame::decode(&bytes), Err(FrameError::UnknownVersion(2)));
    bytes[4] = 1;
    bytes[5] = 0x7f;
    assert_eq!(Frame::decode(&bytes), Err(FrameError::UnknownType(0x7f)));
}

#[test]
fn counts_beyond_what_the_input_can_hold_are_refused_without_allocating() {
    // A TickOrders frame claiming 8192 orders with no order bytes after the count.
    let mut body = vec![1u8, 0x11];
    body.extend_from_slice(&5u64.to_le_bytes());
    body.extend_from_slice(&8192u16.to_le_bytes());
    let mut bytes = (body.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&body);
    assert!(matches!(
        Frame::decode(&bytes),
        Err(FrameError::Wire(
            relay_core::wire::WireError::Truncated { .. }
        ))
    ));
}

#[test]
fn encoding_refuses_what_decoding_would_refuse() {
    let too_many = Frame::OrderBatch(OrderBatch {
        tick: 0,
        client_send_us: 0,
        orders: vec![
            ClientOrder {
                sub_tick_hint_us: 0,
                order: PlayerOrder::Idle
            };
            257
        ],
    });
    assert!(too_many.to_bytes().is_err());
    let huge = Frame::CertifiedResult(vec![0; 5000]);
    assert!(huge.to_bytes().is_err());
}
