//! `[ui]`: the web pages under `/ui/` and how long a signed-in browser session lasts.

use serde::{Deserialize, Serialize};

use super::{InvalidValue, range};

/// The web pages under `/ui/`: public community pages, and staff pages after sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiConfig {
    /// Serve them; off, `/ui/…` answers 404 `capability_disabled`.
    pub enabled: bool,
    /// A signed-in browser session ends after this many seconds without a page view.
    pub session_idle_secs: i64,
    /// A signed-in browser session ends this many seconds after sign-in, used or not.
    pub session_max_secs: i64,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            session_idle_secs: 3600,
            session_max_secs: 12 * 3600,
        }
    }
}

impl UiConfig {
    /// Checks the session lengths (the longest at least the idle one).
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range("ui.session_idle_secs", self.session_idle_secs, 60, 86_400)?;
        range(
            "ui.session_max_secs",
            self.session_max_secs,
            self.session_idle_secs,
            30 * 86_400,
        )
    }
}
