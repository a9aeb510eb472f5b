//! Prometheus metrics of the server, on one registry served at `/metrics`.
//! Labels are bounded sets (route templates, status codes, error codes), never user input.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Every metric the server exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route template and status code.
    pub requests: IntCounterVec,
    /// HTTP request latency by route template.
    pub latency: HistogramVec,
    /// Records issued by record type.
    pub records_issued: IntCounterVec,
    /// Certified match submissions by outcome (`accepted`, `duplicate` or an error code).
    pub matches: IntCounterVec,
    /// Failed credential verifications by reason code.
    pub verification_failures: IntCounterVec,
    /// Database operation latency by operation.
    pub database: HistogramVec,
    /// 1 while the database answers, 0 while it is lost.
    pub storage_up: IntGauge,
    /// Free space and size of the data directory's file system.
    pub disk: crate::disk_watch::DiskGauges,
    /// Checkpoints other logs submitted to this community's witness, by outcome (`cosigned`
    /// or the refusal's code).
    pub witness_requests: IntCounterVec,
    /// This community's requests for cosignatures, by witness name and outcome (`cosigned`,
    /// `refused`, `unreachable`, or `failed` on this side).
    pub cosignature_requests: IntCounterVec,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("ic".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency"),
            &["route"],
        )?;
        let records_issued = IntCounterVec::new(
            Opts::new(
                "records_issued_total",
                "Signed credential records issued by type",
            ),
            &["record_type"],
        )?;
        let matches = IntCounterVec::new(
            Opts::new("matches_total", "Certified match submissions by outcome"),
            &["outcome"],
        )?;
        let verification_failures = IntCounterVec::new(
            Opts::new(
                "verification_failures_total",
                "Rejected presented records by reason",
            ),
            &["reason"],
        )?;
        let database = HistogramVec::new(
            HistogramOpts::new(
                "database_operation_duration_seconds",
                "Database operation latency",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["operation"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(records_issued.clone()))?;
        registry.register(Box::new(matches.clone()))?;
        registry.register(Box::new(verification_failures.clone()))?;
        let witness_requests = IntCounterVec::new(
            Opts::new(
                "witness_requests_total",
                "Checkpoints submitted to this community's witness, by outcome",
            ),
            &["outcome"],
        )?;
        let cosignature_requests = IntCounterVec::new(
            Opts::new(
                "cosignature_requests_total",
                "Requests to witnesses to cosign this community's checkpoint, by outcome",
            ),
            &["witness", "outcome"],
        )?;
        registry.register(Box::new(witness_requests.clone()))?;
        registry.register(Box::new(cosignature_requests.clone()))?;
        let storage_up = IntGauge::new("storage_up", "1 while the database answers, else 0")?;
        storage_up.set(1);
        registry.register(Box::new(database.clone()))?;
        registry.register(Box::new(storage_up.clone()))?;
        let disk = crate::disk_watch::DiskGauges::new()?;
        registry.register(Box::new(disk.available.clone()))?;
        registry.register(Box::new(disk.capacity.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            records_issued,
            matches,
            verification_failures,
            database,
            storage_up,
            disk,
            witness_requests,
            cosignature_requests,
        })
    }

    /// Counts one issued record of type byte `record_type`.
    pub fn record_issued(&self, record_type: u8) {
        let name = scr::RecordType::from_byte(record_type).map_or("unknown", |t| t.name());
        self.records_issued.with_label_values(&[name]).inc();
    }

    /// Registers a capability's own metric (only capabilities that run register theirs).
    pub fn register(
        &self,
        collector: Box<dyn prometheus::core::Collector>,
    ) -> Result<(), prometheus::Error> {
        self.registry.register(collector)
    }

    /// The current values of the gauge or counter `name` (without the `ic_` prefix), each with
    /// its labels: what the operator dashboard shows of the running capabilities.
    pub fn samples(&self, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
        let full = format!("ic_{name}");
        let mut values = Vec::new();
        for family in self.registry.gather() {
            if family.name() != full {
                continue;
            }
            for metric in family.get_metric() {
                let labels = metric
                    .get_label()
                    .iter()
                    .map(|pair| (pair.name().to_owned(), pair.value().to_owned()))
                    .collect();
                let value = match family.get_field_type() {
                    prometheus::proto::MetricType::GAUGE => metric.get_gauge().get_value(),
                    _ => metric.get_counter().get_value(),
                };
                values.push((labels, value));
            }
        }
        values
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}
