//! Log output: human-readable or JSON lines, filtered by the configured level.

use crate::config::{LogFormat, LoggingConfig};

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(config: &LoggingConfig) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
