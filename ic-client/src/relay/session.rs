//! A player's connection to a relay: QUIC with the relay key pinned, the ticket handshake, then
//! frames both ways. Liveness tokens are echoed here, so a game never misses one by being busy.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use relay_core::connection::{TLS_EXPORTER_LABEL, auth_message};
use relay_core::frames::{
    ClientOrder, DisconnectReason, Frame, FrameError, KickReason, OrderBatch, Seat, SimOutcome,
};
use relay_core::ids::SimTick;
use relay_core::ticket::{MatchTicket, TicketError};
use scr::{KeyPair, PublicKey};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::tls::{ClientTlsError, client_config};

/// Frames buffered for the game before the reader waits for it.
const INBOUND_QUEUE: usize = 8192;

/// Why a relay connection failed or ended.
#[derive(Debug, thiserror::Error)]
pub enum RelayClientError {
    /// The TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] ClientTlsError),
    /// The local UDP socket could not be opened.
    #[error("opening a UDP socket: {0}")]
    Socket(std::io::Error),
    /// The connection could not be started.
    #[error("connecting: {0}")]
    Connect(#[from] quinn::ConnectError),
    /// The QUIC connection failed (unreachable relay, wrong relay key, closed).
    #[error("relay connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    /// Reading the stream failed.
    #[error("reading from the relay: {0}")]
    Read(#[from] std::io::Error),
    /// Writing the stream failed.
    #[error("writing to the relay: {0}")]
    Write(#[from] quinn::WriteError),
    /// The relay sent a malformed frame, or a frame could not be encoded.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The ticket cannot be read.
    #[error("ticket: {0}")]
    Ticket(#[from] TicketError),
    /// The relay kicked this connection.
    #[error("kicked by the relay: {0:?}")]
    Kicked(KickReason),
    /// The relay refused or closed the session.
    #[error("the relay disconnected: {0:?}")]
    Disconnected(DisconnectReason),
    /// The relay sent something the handshake does not expect.
    #[error("unexpected frame during the handshake")]
    Unexpected,
    /// The TLS exporter was unavailable.
    #[error("no TLS session binding")]
    NoBinding,
    /// The session is closed.
    #[error("the relay session is closed")]
    Closed,
}

/// A client endpoint; one can hold many sessions (a load generator drives many matches).
#[derive(Debug, Clone)]
pub struct RelayClient {
    endpoint: quinn::Endpoint,
}

impl RelayClient {
    /// Opens a UDP socket on an ephemeral port of `bind` (use `0.0.0.0:0` or `[::]:0`).
    pub fn new(bind: SocketAddr) -> Result<Self, RelayClientError> {
        let endpoint = quinn::Endpoint::client(bind).map_err(RelayClientError::Socket)?;
        Ok(Self { endpoint })
    }

    /// Checks that a relay answers at `address` and holds `relay_key`: a QUIC handshake with
    /// the key pinned, closed at once without presenting a ticket. Used to check a relay
    /// before sending players to it.
    pub async fn probe(
        &self,
        address: SocketAddr,
        relay_key: PublicKey,
    ) -> Result<(), RelayClientError> {
        let connection = self
            .endpoint
            .connect_with(client_config(relay_key)?, address, "ic-relay")?
            .await?;
        connection.close(0u32.into(), b"probe");
        Ok(())
    }

    /// Connects to the relay at `address` whose key must be `relay_key`, proves `identity`
    /// and presents `ticket`. Returns once the relay has seated the player.
    pub async fn connect(
        &self,
        address: SocketAddr,
        relay_key: PublicKey,
        identity: &KeyPair,
        ticket: &[u8],
    ) -> Result<RelaySession, RelayClientError> {
        let (claimed, _) = MatchTicket::decode_unverified(ticket)?;
        let game_id = claimed.game_id;
        let connection = self
            .endpoint
            .connect_with(client_config(relay_key)?, address, "ic-relay")?
            .await?;
        let (mut send, recv) = connection.open_bi().await?;
        let mut reader = Reader {
            recv,
            buf: BytesMut::with_capacity(4096),
        };
        let mut hello = Frame::ClientHello {
            player_key: identity.public_key().into(),
            game_id,
        }
        .to_bytes()?;
        Frame::Ticket(ticket.to_vec()).encode(&mut hello)?;
        send.write_all(&hello).await?;
        let challenge = match reader.next().await? {
            Some(Frame::AuthChallenge { challenge }) => challenge,
            other => return Err(refusal(other)),
        };
        let mut binding = [0u8; 32];
        connection
            .export_keying_material(&mut binding, TLS_EXPORTER_LABEL, b"")
            .map_err(|_| RelayClientError::NoBinding)?;
        let signature = identity.sign(&auth_message(game_id, &challenge, &binding));
        send.write_all(&Frame::AuthResponse { signature }.to_bytes()?)
            .await?;
        let seat = match reader.next().await? {
            Some(Frame::AuthAccepted { seat }) => seat,
            other => return Err(refusal(other)),
        };
        let (out, queue) = mpsc::channel::<Bytes>(INBOUND_QUEUE);
        let (frames_tx, frames) = mpsc::channel(INBOUND_QUEUE);
        tokio::spawn(write_loop(send, queue));
        tokio::spawn(read_loop(reader, frames_tx, out.clone()));
        Ok(RelaySession {
            connection,
            out,
            frames,
            seat,
            game_id,
        })
    }
}

fn refusal(frame: Option<Frame>) -> RelayClientError {
    match frame {
        Some(Frame::Kick { reason }) => RelayClientError::Kicked(reason),
        Some(Frame::Disconnect { reason }) => RelayClientError::Disconnected(reason),
        None => RelayClientError::Closed,
        Some(_) => RelayClientError::Unexpected,
    }
}

struct Reader {
    recv: quinn::RecvStream,
    buf: BytesMut,
}

impl Reader {
    async fn next(&mut self) -> Result<Option<Frame>, RelayClientError> {
        loop {
            if let Some(frame) = Frame::decode_from(&mut self.buf)? {
                return Ok(Some(frame));
            }
            self.buf.reserve(4096);
            match self.recv.read_buf(&mut self.buf).await {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                // A connection the relay closed after its last frame ends the stream too.
                Err(_) if self.buf.is_empty() => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
    }
}

async fn write_loop(mut send: quinn::SendStream, mut queue: mpsc::Receiver<Bytes>) {
    while let Some(first) = queue.recv().await {
        let mut chunk = BytesMut::from(&first[..]);
        while let Ok(more) = queue.try_recv() {
            chunk.extend_from_slice(&more);
        }
        if send.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = send.finish();
}

async fn read_loop(
    mut reader: Reader,
    frames: mpsc::Sender<(Frame, u64)>,
    out: mpsc::Sender<Bytes>,
) {
    while let Ok(Some(frame)) = reader.next().await {
        // Stamped here, as soon as the frame is decoded, so that time spent waiting for the
        // game to take it does not count as network or relay time in measurements.
        let received_us = unix_now_us();
        if let Frame::Liveness { token } = frame {
            if let Ok(bytes) = (Frame::LivenessEcho { token }).to_bytes() {
                let _ = out.try_send(bytes.freeze());
            }
            continue;
        }
        if frames.send((frame, received_us)).await.is_err() {
            return;
        }
    }
}

/// This machine's clock in Unix microseconds (the relay's clock is Unix µs too).
pub fn unix_now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// An authenticated, seated connection to a relay.
#[derive(Debug)]
pub struct RelaySession {
    connection: quinn::Connection,
    out: mpsc::Sender<Bytes>,
    frames: mpsc::Receiver<(Frame, u64)>,
    seat: Seat,
    game_id: u64,
}

impl RelaySession {
    /// Where the relay seated this player.
    pub fn seat(&self) -> Seat {
        self.seat
    }

    /// The game this session plays.
    pub fn game_id(&self) -> u64 {
        self.game_id
    }

    /// The next frame from the relay (liveness tokens are answered and not shown); `None`
    /// when the relay closed the session.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        self.frames.recv().await.map(|(frame, _)| frame)
    }

    /// Like [`RelaySession::next_frame`], with the time the frame was decoded off the stream
    /// (Unix µs on this machine's clock), for latency measurements.
    pub async fn next_frame_timed(&mut self) -> Option<(Frame, u64)> {
        self.frames.recv().await
    }

    /// Sends a frame.
    pub async fn send(&self, frame: &Frame) -> Result<(), RelayClientError> {
        self.send_encoded(frame.to_bytes()?.freeze()).await
    }

    /// Sends a frame already encoded with [`Frame::to_bytes`] (a caller that checked the
    /// encoding itself need not encode twice).
    pub async fn send_encoded(&self, bytes: Bytes) -> Result<(), RelayClientError> {
        self.out
            .send(bytes)
            .await
            .map_err(|_| RelayClientError::Closed)
    }

    /// Sends the orders issued for `tick`; `client_send_us` is this client's clock.
    pub async fn send_orders(
        &self,
        tick: SimTick,
        client_send_us: u64,
        orders: Vec<ClientOrder>,
    ) -> Result<(), RelayClientError> {
        self.send(&Frame::OrderBatch(OrderBatch {
            tick,
            client_send_us,
            orders,
        }))
        .await
    }

    /// Reports the simulation's truncated state hash after `tick`.
    pub async fn sync_hash(&self, tick: SimTick, hash: u64) -> Result<(), RelayClientError> {
        self.send(&Frame::SyncHash { tick, hash }).await
    }

    /// Reports that the simulation ended the game.
    pub async fn report_game_end(
        &self,
        tick: SimTick,
        outcome: SimOutcome,
        state_hash: [u8; 32],
    ) -> Result<(), RelayClientError> {
        self.send(&Frame::GameEndedReport {
            tick,
            outcome,
            state_hash,
        })
        .await
    }

    /// Leaves politely: says goodbye and closes the connection.
    pub async fn close(self) {
        let _ = self
            .send(&Frame::Disconnect {
                reason: DisconnectReason::Left,
            })
            .await;
        drop(self.out);
        // Let the goodbye leave before the connection closes.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.connection.close(0u32.into(), b"left");
    }

    /// Drops the connection without a goodbye (a crash or a lost network, for tests).
    pub fn abort(self) {
        self.connection.close(1u32.into(), b"aborted");
    }
}
