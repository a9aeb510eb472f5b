//! Replay recording: each canonical tick is encoded as a `TickOrders` frame and handed to a sink.
//! The SHA-256 of exactly those bytes becomes the result's `replay_hash`.

use bytes::BytesMut;
use sha2::{Digest, Sha256};

use super::{FilterCtx, FilterSummary, RelayFilter};
use crate::frames::encode_tick_orders;
use crate::order::TickOrders;

/// The sink could not store replay data; the replay is then marked incomplete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("replay sink failed: {0}")]
pub struct ReplaySinkError(pub String);

/// Where replay bytes go (a file, a background writer, memory). Provided by the embedding.
pub trait ReplaySink: Send {
    /// Stores the next chunk of the replay.
    fn write(&mut self, bytes: &[u8]) -> Result<(), ReplaySinkError>;
}

/// A sink that keeps the replay in memory.
impl ReplaySink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), ReplaySinkError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// Records canonical ticks into a [`ReplaySink`] and hashes what it wrote.
pub struct ReplayRecorder {
    sink: Box<dyn ReplaySink>,
    hasher: Sha256,
    incomplete: bool,
    buffer: BytesMut,
}

impl ReplayRecorder {
    /// Records into `sink`.
    pub fn new(sink: Box<dyn ReplaySink>) -> Self {
        Self {
            sink,
            hasher: Sha256::new(),
            incomplete: false,
            buffer: BytesMut::with_capacity(4096),
        }
    }
}

impl RelayFilter for ReplayRecorder {
    fn name(&self) -> &'static str {
        "replay_recorder"
    }

    fn on_finalized(&mut self, _ctx: &mut FilterCtx<'_>, orders: &TickOrders) {
        self.buffer.clear();
        match encode_tick_orders(orders, &mut self.buffer) {
            Ok(()) => match self.sink.write(&self.buffer) {
                Ok(()) => self.hasher.update(&self.buffer),
                Err(_) => self.incomplete = true,
            },
            Err(_) => self.incomplete = true,
        }
    }

    fn summarize(&self, summary: &mut FilterSummary) {
        summary.replay_hash = Some(self.hasher.clone().finalize().into());
        summary.replay_incomplete |= self.incomplete;
    }
}
