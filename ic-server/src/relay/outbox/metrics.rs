//! The outbox's Prometheus metrics: results queued, delivered, retried and refused, registered
//! only when the outbox runs.

use prometheus::{IntCounter, IntGauge};

/// The outbox's Prometheus metrics, registered only when the outbox runs.
#[derive(Debug, Clone)]
pub struct OutboxMetrics {
    /// Results not yet taken by the community.
    pub queued: IntGauge,
    /// Results the community took.
    pub delivered: IntCounter,
    /// Failed attempts that will be retried.
    pub retried: IntCounter,
    /// Results the community refused for good.
    pub refused: IntCounter,
}

impl OutboxMetrics {
    /// Creates the metrics and registers them with the server's metrics.
    pub fn register(server: &crate::metrics::Metrics) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            queued: IntGauge::new(
                "relay_outbox_queued",
                "Certified results waiting to be taken by the community",
            )?,
            delivered: IntCounter::new(
                "relay_outbox_delivered_total",
                "Certified results the community took",
            )?,
            retried: IntCounter::new(
                "relay_outbox_retries_total",
                "Failed deliveries of certified results that will be retried",
            )?,
            refused: IntCounter::new(
                "relay_outbox_refused_total",
                "Certified results the community refused for good",
            )?,
        };
        server.register(Box::new(metrics.queued.clone()))?;
        server.register(Box::new(metrics.delivered.clone()))?;
        server.register(Box::new(metrics.retried.clone()))?;
        server.register(Box::new(metrics.refused.clone()))?;
        Ok(metrics)
    }
}
