//! The matchmaker's Prometheus metrics, registered only when the capability runs.

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, IntGaugeVec, Opts};

use crate::metrics::Metrics;

/// Queue sizes, waits, match quality, passes and hand-offs.
#[derive(Debug, Clone)]
pub struct MatchmakerMetrics {
    /// Players queued, by queue.
    pub queued: IntGaugeVec,
    /// Seconds each matched entry waited.
    pub wait: Histogram,
    /// Fairness (0–1) of each match found.
    pub quality: Histogram,
    /// Passes that found nothing, by queue.
    pub unmatched_passes: IntCounterVec,
    /// Seconds one round of passes took.
    pub pass_duration: Histogram,
    /// Hand-offs to relays, by outcome.
    pub handoffs: IntCounterVec,
    /// 1 while this process leads the queue (runs the passes), else 0.
    pub leader: IntGauge,
    /// Probes of the relays of other servers (`[matchmaking] relays`), by relay (its configured
    /// address) and outcome (`reachable`, `unreachable`): a rising `unreachable` count means
    /// matches cannot go there.
    pub relay_probes: IntCounterVec,
}

impl MatchmakerMetrics {
    /// Creates the metrics and registers them with the server's `metrics`.
    pub fn register(registry: &Metrics) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            queued: IntGaugeVec::new(
                Opts::new("matchmaking_queued_players", "Players waiting, by queue"),
                &["queue"],
            )?,
            wait: Histogram::with_opts(
                HistogramOpts::new("matchmaking_wait_seconds", "Queue time of matched players")
                    .buckets(vec![1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0]),
            )?,
            quality: Histogram::with_opts(
                HistogramOpts::new("matchmaking_match_quality", "Fairness of matches found")
                    .buckets(vec![0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0]),
            )?,
            unmatched_passes: IntCounterVec::new(
                Opts::new(
                    "matchmaking_unmatched_passes_total",
                    "Passes over a non-empty queue that found no match",
                ),
                &["queue"],
            )?,
            pass_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "matchmaking_pass_seconds",
                    "Duration of one round of passes",
                )
                .buckets(vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1]),
            )?,
            handoffs: IntCounterVec::new(
                Opts::new(
                    "matchmaking_handoffs_total",
                    "Matches handed to relays, by outcome",
                ),
                &["outcome"],
            )?,
            leader: IntGauge::new(
                "matchmaking_leader",
                "1 while this process leads the matchmaking queue",
            )?,
            relay_probes: IntCounterVec::new(
                Opts::new(
                    "matchmaking_relay_probes_total",
                    "Probes of the relays of other servers, by relay and outcome",
                ),
                &["relay", "outcome"],
            )?,
        };
        registry.register(Box::new(metrics.queued.clone()))?;
        registry.register(Box::new(metrics.wait.clone()))?;
        registry.register(Box::new(metrics.quality.clone()))?;
        registry.register(Box::new(metrics.unmatched_passes.clone()))?;
        registry.register(Box::new(metrics.pass_duration.clone()))?;
        registry.register(Box::new(metrics.handoffs.clone()))?;
        registry.register(Box::new(metrics.leader.clone()))?;
        registry.register(Box::new(metrics.relay_probes.clone()))?;
        Ok(metrics)
    }
}
