//! Log output: human-readable or JSON lines on stderr, filtered by the configured level.
//! Colours only on a terminal, and never with `NO_COLOR` set (https://no-color.org).

use std::io::IsTerminal;

use crate::config::{LogFormat, LoggingConfig};

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(config: &LoggingConfig) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = colour_wanted(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match config.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Whether log lines carry colour codes: on a terminal, unless `NO_COLOR` is set to anything
/// but the empty string.
fn colour_wanted(terminal: bool, no_colour: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_colour.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let set = std::ffi::OsStr::new("1");
        let empty = std::ffi::OsStr::new("");
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(empty)));
        assert!(!colour_wanted(true, Some(set)));
        assert!(!colour_wanted(false, None));
    }
}
