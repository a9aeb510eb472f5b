//! Admitting a connection: hello and ticket, cheap checks, ticket signature, then the identity
//! challenge bound to this TLS session. Nothing reaches a match before all of it passed.

use rand::RngCore;
use relay_core::connection::{
    AuthError, Authenticated, Connecting, Connection, TLS_EXPORTER_LABEL,
};
use relay_core::frames::{Frame, KickReason};
use relay_core::ticket::{MatchTicket, TicketError, TicketVerifier, VerifiedTicket};

use super::link::{FrameReader, LinkError, encode};

/// Why a connection was not admitted. `code()` is the metric label.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The stream broke or carried a malformed frame.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The QUIC connection failed before a stream was opened.
    #[error("connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    /// The peer sent another frame than the handshake expects at this point.
    #[error("expected {expected}, got another frame")]
    Unexpected {
        /// The frame the handshake waited for.
        expected: &'static str,
    },
    /// The ticket is malformed, untrusted, expired or badly signed.
    #[error("ticket refused: {0}")]
    Ticket(#[from] TicketError),
    /// The ticket admits another key than the one in the hello.
    #[error("the ticket is for another player")]
    WrongPlayer,
    /// The ticket is for another game than the hello asks for.
    #[error("the ticket is for another game")]
    WrongGame,
    /// The challenge signature does not verify.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The TLS exporter was unavailable (the handshake did not complete).
    #[error("no TLS session binding")]
    NoBinding,
    /// The peer did not finish in time.
    #[error("authentication timed out")]
    Timeout,
}

impl HandshakeError {
    /// A short stable label for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            // A client that completed TLS and hung up before saying hello: the matchmaker's
            // reachability probe (or a client that changed its mind), not a failure.
            Self::Connection(quinn::ConnectionError::ApplicationClosed(_)) => "closed_by_client",
            Self::Link(_) | Self::Connection(_) => "transport",
            Self::Unexpected { .. } => "protocol",
            Self::Ticket(error) => error.code(),
            Self::WrongPlayer => "wrong_player",
            Self::WrongGame => "wrong_game",
            Self::Auth(_) => "bad_auth_signature",
            Self::NoBinding => "no_binding",
            Self::Timeout => "timeout",
        }
    }
}

/// A connection that proved its key and holds a valid ticket for it.
#[derive(Debug)]
pub struct Admitted {
    /// The typed lifecycle state.
    pub connection: Connection<Authenticated>,
    /// The verified ticket.
    pub ticket: VerifiedTicket,
    /// The QUIC connection.
    pub quic: quinn::Connection,
    /// The stream's sending half.
    pub send: quinn::SendStream,
    /// The stream's receiving half (may hold frames the client sent early).
    pub reader: FrameReader,
    /// Until when the player may not chat (Unix seconds), looked up before the match sees it.
    pub chat_restricted_until: Option<i64>,
}

/// The 32-byte session binding both sides export from the TLS session.
pub fn session_binding(quic: &quinn::Connection) -> Option<[u8; 32]> {
    let mut binding = [0u8; 32];
    quic.export_keying_material(&mut binding, TLS_EXPORTER_LABEL, b"")
        .ok()?;
    Some(binding)
}

/// Runs the handshake on an established QUIC connection. On failure the peer is sent
/// `Kick{authentication failed}` where the stream exists; the caller closes the connection.
pub async fn admit(
    quic: quinn::Connection,
    verifier: &TicketVerifier,
    now_secs: i64,
) -> Result<Admitted, HandshakeError> {
    let (mut send, recv) = quic.accept_bi().await?;
    let mut reader = FrameReader::new(recv);
    match exchange(&quic, &mut send, &mut reader, verifier, now_secs).await {
        Ok((connection, ticket)) => Ok(Admitted {
            connection,
            ticket,
            quic,
            send,
            reader,
            chat_restricted_until: None,
        }),
        Err(error) => {
            if let Ok(bytes) = encode(&Frame::Kick {
                reason: KickReason::AuthenticationFailed,
            }) {
                let _ = send.write_all(&bytes).await;
                let _ = send.finish();
            }
            Err(error)
        }
    }
}

async fn exchange(
    quic: &quinn::Connection,
    send: &mut quinn::SendStream,
    reader: &mut FrameReader,
    verifier: &TicketVerifier,
    now_secs: i64,
) -> Result<(Connection<Authenticated>, VerifiedTicket), HandshakeError> {
    let Some(Frame::ClientHello {
        player_key,
        game_id,
    }) = reader.next().await?
    else {
        return Err(HandshakeError::Unexpected {
            expected: "ClientHello",
        });
    };
    let Some(Frame::Ticket(bytes)) = reader.next().await? else {
        return Err(HandshakeError::Unexpected { expected: "Ticket" });
    };
    // Cheap comparisons before the ticket's signature is checked.
    let (claimed, _) = MatchTicket::decode_unverified(&bytes)?;
    if claimed.player_key != player_key {
        return Err(HandshakeError::WrongPlayer);
    }
    if claimed.game_id != game_id {
        return Err(HandshakeError::WrongGame);
    }
    let ticket = verifier.verify(&bytes, now_secs)?;
    let mut challenge = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut challenge);
    let connecting: Connection<Connecting> = Connection::new(player_key, game_id, challenge);
    let frame = encode(&Frame::AuthChallenge { challenge }).map_err(LinkError::from)?;
    send.write_all(&frame).await.map_err(LinkError::from)?;
    let Some(Frame::AuthResponse { signature }) = reader.next().await? else {
        return Err(HandshakeError::Unexpected {
            expected: "AuthResponse",
        });
    };
    let binding = session_binding(quic).ok_or(HandshakeError::NoBinding)?;
    let authenticated = connecting.authenticate(&signature, &binding)?;
    Ok((authenticated, ticket))
}
