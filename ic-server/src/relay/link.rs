//! One authenticated QUIC connection as the match task sees it: frames in through a reader
//! task, pre-encoded frames out through a writer task, so a slow peer never blocks a match.

use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::sync::Arc;

use relay_core::frames::{Frame, FrameError, encode_tick_orders};
use relay_core::order::TickOrders;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::clock::RelayClock;

/// Frames queued for one peer before it counts as too slow and is dropped.
pub const OUTBOUND_QUEUE: usize = 4096;
/// How long a closing link waits for the peer to read the last frames and hang up.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a stream stopped delivering frames.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The peer sent bytes that are not a valid frame.
    #[error("malformed frame: {0}")]
    Frame(#[from] FrameError),
    /// The stream or connection failed.
    #[error("stream: {0}")]
    Read(#[from] std::io::Error),
    /// Writing failed.
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
}

/// Writes what `queue` delivers to `send`, coalescing whatever is already queued into one
/// write. When every sender is gone (the match dropped the link) it finishes the stream, gives
/// the peer a moment to read the last frames and hang up itself, then closes the connection.
pub async fn write_coalesced(
    mut send: quinn::SendStream,
    mut queue: mpsc::Receiver<Bytes>,
    connection: quinn::Connection,
) {
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
    let _ = tokio::time::timeout(CLOSE_LINGER, connection.closed()).await;
    connection.close(0u32.into(), b"closed by relay");
}

/// Reads length-prefixed frames off a QUIC receive stream.
#[derive(Debug)]
pub struct FrameReader {
    recv: quinn::RecvStream,
    buf: BytesMut,
}

impl FrameReader {
    /// Wraps a receive stream.
    pub fn new(recv: quinn::RecvStream) -> Self {
        Self {
            recv,
            buf: BytesMut::with_capacity(4096),
        }
    }

    /// The next frame; `Ok(None)` when the peer finished the stream cleanly.
    pub async fn next(&mut self) -> Result<Option<Frame>, LinkError> {
        loop {
            // The codec refuses an oversized length prefix at once, so the buffer never grows
            // past one maximal frame.
            if let Some(frame) = Frame::decode_from(&mut self.buf)? {
                return Ok(Some(frame));
            }
            self.buf.reserve(4096);
            if self.recv.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }
}

/// Encodes a frame for the writer; frames built by the relay are always within limits, and one
/// that is not is a bug reported to the caller rather than a panic.
pub fn encode(frame: &Frame) -> Result<Bytes, FrameError> {
    frame.to_bytes().map(BytesMut::freeze)
}

/// `TickOrders` frames encoded once per distinct list: recipients mostly share the same
/// `Arc` (the canonical tick, or one observer view for every spectator), so one routing pass
/// encodes each list once, without copying it into a `Frame` first.
#[derive(Default)]
pub struct TickFrames {
    /// By the list's address; holding the `Arc` keeps that address from being reused.
    encoded: HashMap<*const TickOrders, (Arc<TickOrders>, Bytes)>,
}

impl TickFrames {
    /// The frame bytes of `tick`; `None` if it breaks the protocol's limits (never for a list
    /// the relay finalized).
    pub fn bytes(&mut self, tick: &Arc<TickOrders>) -> Option<Bytes> {
        if let Some((_, bytes)) = self.encoded.get(&Arc::as_ptr(tick)) {
            return Some(bytes.clone());
        }
        let mut buf = BytesMut::new();
        encode_tick_orders(tick, &mut buf).ok()?;
        let bytes = buf.freeze();
        self.encoded
            .insert(Arc::as_ptr(tick), (Arc::clone(tick), bytes.clone()));
        Some(bytes)
    }
}

/// Identifies one link within its match (a reconnect gets a new id).
pub type LinkId = u64;

/// What a link's reader reports to its match.
#[derive(Debug)]
pub enum LinkEvent {
    /// A frame arrived at relay time `arrival_us`.
    Frame {
        /// Which link.
        link: LinkId,
        /// The frame.
        frame: Frame,
        /// Relay clock when it was decoded (µs).
        arrival_us: u64,
    },
    /// The link closed or broke.
    Closed {
        /// Which link.
        link: LinkId,
        /// Why, when it was not a clean close.
        error: Option<String>,
    },
}

/// The sending half of a link, held by the match task. Dropping it closes the link after the
/// queued frames are written.
#[derive(Debug)]
pub struct Link {
    /// The link's id.
    pub id: LinkId,
    out: mpsc::Sender<Bytes>,
    connection: quinn::Connection,
    /// The gauge this link counts in while it lives (see [`Link::counted`]).
    gauge: Option<prometheus::IntGauge>,
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(gauge) = &self.gauge {
            gauge.dec();
        }
    }
}

impl Link {
    /// Starts the reader and writer tasks of an authenticated connection. Reader events go to
    /// `events`, wrapped by `wrap` into the match's input type.
    pub fn spawn<T: Send + 'static>(
        id: LinkId,
        connection: quinn::Connection,
        send: quinn::SendStream,
        mut reader: FrameReader,
        clock: RelayClock,
        events: mpsc::Sender<T>,
        wrap: fn(LinkEvent) -> T,
    ) -> Self {
        let (out, queue) = mpsc::channel::<Bytes>(OUTBOUND_QUEUE);
        tokio::spawn(write_coalesced(send, queue, connection.clone()));
        tokio::spawn(async move {
            let error = loop {
                match reader.next().await {
                    Ok(Some(frame)) => {
                        let event = LinkEvent::Frame {
                            link: id,
                            frame,
                            arrival_us: clock.now_us(),
                        };
                        if events.send(wrap(event)).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break None,
                    Err(error) => break Some(error.to_string()),
                }
            };
            let _ = events
                .send(wrap(LinkEvent::Closed { link: id, error }))
                .await;
        });
        Self {
            id,
            out,
            connection,
            gauge: None,
        }
    }

    /// Counts this link in `gauge` until it is dropped, whichever way the match lets go of it
    /// (closed, kicked, replaced by a reconnect, the match ending).
    pub fn counted(mut self, gauge: &prometheus::IntGauge) -> Self {
        gauge.inc();
        self.gauge = Some(gauge.clone());
        self
    }

    /// Queues encoded frame bytes; `false` if the peer is gone or too slow to keep up.
    pub fn send_bytes(&self, bytes: Bytes) -> bool {
        self.out.try_send(bytes).is_ok()
    }

    /// Queues a frame; `false` if the peer is gone or too slow to keep up.
    pub fn send(&self, frame: &Frame) -> bool {
        match encode(frame) {
            Ok(bytes) => self.send_bytes(bytes),
            Err(error) => {
                tracing::error!(%error, "relay built a frame outside the protocol limits");
                false
            }
        }
    }

    /// Packets QUIC sent on this connection so far, and how many of them it found lost.
    pub fn packets_sent_and_lost(&self) -> (u64, u64) {
        let path = self.connection.stats().path;
        (path.sent_packets, path.lost_packets)
    }

    /// Round-trip time QUIC measured for this connection (µs).
    pub fn rtt_us(&self) -> u64 {
        u64::try_from(self.connection.rtt().as_micros()).unwrap_or(u64::MAX)
    }
}
