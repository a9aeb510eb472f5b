//! The relay's Prometheus metrics, registered only when the relay capability runs.
//! Labels are bounded: reasons and outcomes come from fixed enums, never from peers.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts};
use relay_core::core::DegradedCause;
use relay_core::filters::RejectReason;
use relay_core::frames::KickReason;

/// Matches, connections, orders, ticks, kicks and results.
#[derive(Debug, Clone)]
pub struct RelayMetrics {
    /// Matches in lobby, in play or in their post-game window.
    pub matches_active: IntGauge,
    /// Matches this relay hosts at most (`relay.max_matches`), for a capacity alert.
    pub matches_capacity: IntGauge,
    /// Authenticated connections attached to a match.
    pub connections: IntGauge,
    /// Connections refused during the handshake or at the match, by reason.
    pub refusals: IntCounterVec,
    /// Players who came back to a running match.
    pub reconnects: IntCounter,
    /// Orders received in batches.
    pub orders_received: IntCounter,
    /// Orders forwarded in tick streams (per recipient).
    pub orders_forwarded: IntCounter,
    /// Orders dropped by the filters, by reason.
    pub orders_dropped: IntCounterVec,
    /// Batches that arrived after their deadline.
    pub late_batches: IntCounter,
    /// Anti-lag-switch strikes.
    pub strikes: IntCounter,
    /// Kicks, by reason.
    pub kicks: IntCounterVec,
    /// Sync-hash divergences.
    pub desyncs: IntCounter,
    /// Seconds to finalize and route one tick.
    pub tick_seconds: Histogram,
    /// Certified results handed to the result sink, by outcome.
    pub results_total: IntCounterVec,
    /// Matches marked degraded by the relay's own conditions, by cause (`lateness`, `loss`).
    pub degraded: IntCounterVec,
}

impl RelayMetrics {
    /// Creates the metrics and registers them with the server's metrics.
    pub fn register(server: &crate::metrics::Metrics) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            matches_active: IntGauge::new("relay_matches_active", "Matches on this relay")?,
            matches_capacity: IntGauge::new(
                "relay_matches_capacity",
                "Matches this relay hosts at most (relay.max_matches)",
            )?,
            connections: IntGauge::new(
                "relay_connections",
                "Authenticated connections attached to a match",
            )?,
            refusals: IntCounterVec::new(
                Opts::new("relay_refusals_total", "Connections refused, by reason"),
                &["reason"],
            )?,
            reconnects: IntCounter::new("relay_reconnects_total", "Reconnects to running matches")?,
            orders_received: IntCounter::new("relay_orders_received_total", "Orders received")?,
            orders_forwarded: IntCounter::new(
                "relay_orders_forwarded_total",
                "Orders forwarded, counted per recipient",
            )?,
            orders_dropped: IntCounterVec::new(
                Opts::new("relay_orders_dropped_total", "Orders dropped, by reason"),
                &["reason"],
            )?,
            late_batches: IntCounter::new("relay_late_batches_total", "Batches past deadline")?,
            strikes: IntCounter::new("relay_strikes_total", "Anti-lag-switch strikes")?,
            kicks: IntCounterVec::new(
                Opts::new("relay_kicks_total", "Players kicked, by reason"),
                &["reason"],
            )?,
            desyncs: IntCounter::new("relay_desyncs_total", "Sync-hash divergences")?,
            tick_seconds: Histogram::with_opts(
                HistogramOpts::new("relay_tick_seconds", "Time to finalize and route one tick")
                    .buckets(vec![
                        0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
                    ]),
            )?,
            results_total: IntCounterVec::new(
                Opts::new(
                    "relay_results_total",
                    "Certified results by delivery outcome",
                ),
                &["outcome"],
            )?,
            degraded: IntCounterVec::new(
                Opts::new(
                    "relay_degraded_matches_total",
                    "Matches marked degraded by the relay's own conditions, by cause",
                ),
                &["cause"],
            )?,
        };
        server.register(Box::new(metrics.matches_active.clone()))?;
        server.register(Box::new(metrics.matches_capacity.clone()))?;
        server.register(Box::new(metrics.connections.clone()))?;
        server.register(Box::new(metrics.refusals.clone()))?;
        server.register(Box::new(metrics.reconnects.clone()))?;
        server.register(Box::new(metrics.orders_received.clone()))?;
        server.register(Box::new(metrics.orders_forwarded.clone()))?;
        server.register(Box::new(metrics.orders_dropped.clone()))?;
        server.register(Box::new(metrics.late_batches.clone()))?;
        server.register(Box::new(metrics.strikes.clone()))?;
        server.register(Box::new(metrics.kicks.clone()))?;
        server.register(Box::new(metrics.desyncs.clone()))?;
        server.register(Box::new(metrics.tick_seconds.clone()))?;
        server.register(Box::new(metrics.results_total.clone()))?;
        server.register(Box::new(metrics.degraded.clone()))?;
        Ok(metrics)
    }

    /// Counts a match marked degraded, by `cause`.
    pub fn degraded(&self, cause: DegradedCause) {
        let label = match cause {
            DegradedCause::Lateness => "lateness",
            DegradedCause::Loss => "loss",
        };
        self.degraded.with_label_values(&[label]).inc();
    }

    /// Counts a refused connection.
    pub fn refused(&self, reason: &'static str) {
        self.refusals.with_label_values(&[reason]).inc();
    }

    /// Counts orders a filter dropped.
    pub fn dropped(&self, reason: RejectReason, count: usize) {
        let label = match reason {
            RejectReason::OrderTooLarge => "order_too_large",
            RejectReason::TooManyOrders => "too_many_orders",
            RejectReason::OverBudget => "over_budget",
        };
        self.orders_dropped
            .with_label_values(&[label])
            .inc_by(count as u64);
    }

    /// Counts a kick.
    pub fn kick(&self, reason: KickReason) {
        let label = match reason {
            KickReason::LagStrikes => "lag_strikes",
            KickReason::Desync => "desync",
            KickReason::Unresponsive => "unresponsive",
            KickReason::ProtocolViolation => "protocol_violation",
            KickReason::AuthenticationFailed => "authentication_failed",
            KickReason::VotedOut => "voted_out",
        };
        self.kicks.with_label_values(&[label]).inc();
    }

    /// Counts a result delivery outcome (`delivered`, `refused`, `failed`).
    pub fn results(&self, outcome: &'static str) {
        self.results_total.with_label_values(&[outcome]).inc();
    }
}
