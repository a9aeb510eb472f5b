//! Loads the configuration: defaults, then the TOML file, then `IC_…` environment variables.
//! Records where every value came from, warns on unknown keys with a suggestion, validates.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, InvalidValue};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// The configuration file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Env(var) => write!(f, "env {var}"),
        }
    }
}

/// Why the configuration could not be used; start-up stops with this message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value has the wrong type.
    #[error("config key {key}: {message} (from {origin})")]
    Type {
        /// Dotted key.
        key: String,
        /// What was expected.
        message: String,
        /// Where the value came from, so the operator knows what to fix.
        origin: Source,
    },
    /// A value is out of range.
    #[error("{error} (from {origin})")]
    Invalid {
        /// The key and the problem.
        error: InvalidValue,
        /// Where the value came from.
        origin: Source,
    },
}

/// The effective configuration with provenance and warnings.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The validated configuration.
    pub config: Config,
    /// Source of every known key.
    pub sources: BTreeMap<String, Source>,
    /// Unknown keys and variables, each with a suggestion when one is close.
    pub warnings: Vec<String>,
}

/// Loads `file` (if given and present) and the `IC_…` variables in `env` over the defaults.
///
/// `IC_DATA_DIR` and `IC_CONFIG` are read by the command line, not here.
pub fn load(file: Option<&Path>, env: &[(String, String)]) -> Result<LoadedConfig, ConfigError> {
    let known = known_keys();
    let mut merged = toml::Table::new();
    let mut sources: BTreeMap<String, Source> =
        known.iter().map(|k| (k.clone(), Source::Default)).collect();
    let mut warnings = Vec::new();

    if let Some(path) = file.filter(|p| p.exists()) {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        merged = text
            .parse::<toml::Table>()
            .map_err(|error| ConfigError::Syntax {
                path: path.to_owned(),
                message: error.to_string(),
            })?;
        for key in leaves(&toml::Value::Table(merged.clone())) {
            if known.contains(&key) {
                sources.insert(key, Source::File(path.to_owned()));
            }
        }
    }

    for (var, value) in env {
        let Some(name) = var.strip_prefix("IC_") else {
            continue;
        };
        // Variables of the command line, not of the configuration.
        if matches!(name, "DATA_DIR" | "CONFIG" | "STORAGE_MIGRATE_TO") {
            continue;
        }
        let wanted = name.to_ascii_lowercase();
        let Some(key) = known.iter().find(|k| k.replace('.', "_") == wanted) else {
            let candidates: Vec<String> = known
                .iter()
                .map(|k| format!("IC_{}", k.replace('.', "_").to_ascii_uppercase()))
                .collect();
            warnings.push(with_suggestion(
                format!("unknown environment variable {var}"),
                var,
                &candidates,
            ));
            continue;
        };
        set_path(&mut merged, key, parse_env_value(value));
        sources.insert(key.clone(), Source::Env(var.clone()));
    }

    // Round-trip through text so that type errors carry the key path.
    let text = toml::to_string(&merged).map_err(|error| ConfigError::Type {
        key: String::new(),
        message: error.to_string(),
        origin: Source::Default,
    })?;
    let mut unknown: Vec<String> = Vec::new();
    let deserializer = toml::Deserializer::new(&text);
    let mut on_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let ignored = serde_ignored::Deserializer::new(deserializer, &mut on_unknown);
    let config: Config = serde_path_to_error::deserialize(ignored).map_err(|error| {
        let key = error.path().to_string();
        ConfigError::Type {
            origin: origin_of(&sources, &key),
            message: error.inner().message().to_owned(),
            key,
        }
    })?;
    let candidates: Vec<String> = known.iter().cloned().collect();
    for key in unknown {
        warnings.push(with_suggestion(
            format!("unknown config key {key}"),
            &key,
            &candidates,
        ));
    }
    config.validate().map_err(|error| ConfigError::Invalid {
        origin: origin_of(&sources, &error.key),
        error,
    })?;
    warnings.extend(config.capabilities.left_out_of_build().into_iter().map(|c| {
        format!(
            "capability {0} is switched on but this binary was built without the `{0}` feature; it stays off",
            c.name()
        )
    }));
    Ok(LoadedConfig {
        config,
        sources,
        warnings,
    })
}

impl LoadedConfig {
    /// The effective configuration as TOML lines, each followed by where its value came from.
    /// Secrets are not printed: the password of `storage.url` is masked.
    pub fn render_with_sources(&self) -> String {
        let mut shown = self.config.clone();
        shown.storage.url = crate::store::mask_password(&shown.storage.url);
        let value = toml::Value::try_from(&shown)
            .unwrap_or_else(|_| toml::Value::Table(toml::Table::new()));
        let mut out = String::new();
        for (key, leaf) in flatten(&value) {
            let source = self.sources.get(&key).cloned().unwrap_or(Source::Default);
            out.push_str(&format!("{key} = {leaf}  # {source}\n"));
        }
        out
    }
}

/// Every dotted key the configuration knows, including optional ones that default to unset.
fn known_keys() -> BTreeSet<String> {
    let mut full = Config::default();
    full.capabilities.relay = Some(true);
    full.capabilities.ranking = Some(true);
    full.capabilities.matchmaking = Some(true);
    full.capabilities.moderation = Some(true);
    toml::Value::try_from(&full)
        .map(|value| leaves(&value).into_iter().collect())
        .unwrap_or_default()
}

fn leaves(value: &toml::Value) -> Vec<String> {
    flatten(value).into_iter().map(|(key, _)| key).collect()
}

/// Dotted key → leaf value (arrays are leaves).
pub(super) fn flatten(value: &toml::Value) -> Vec<(String, toml::Value)> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
        match value {
            toml::Value::Table(table) => {
                for (name, child) in table {
                    let key = if prefix.is_empty() {
                        name.clone()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    walk(&key, child, out);
                }
            }
            leaf => out.push((prefix.to_owned(), leaf.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

fn set_path(table: &mut toml::Table, dotted: &str, value: toml::Value) {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        match entry {
            toml::Value::Table(next) => current = next,
            _ => return,
        }
    }
    current.insert(last.to_owned(), value);
}

/// An environment value in TOML syntax (`8080`, `true`, `["a", "b"]`), else a plain string.
fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut table| table.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

/// Where the value of `key` came from; a key nested deeper than the known leaves (an entry of
/// a list or table value) takes its nearest known parent's source.
fn origin_of(sources: &BTreeMap<String, Source>, key: &str) -> Source {
    let mut key = key;
    loop {
        if let Some(source) = sources.get(key) {
            return source.clone();
        }
        match key.rsplit_once('.') {
            Some((parent, _)) => key = parent,
            None => return Source::Default,
        }
    }
}

fn with_suggestion(message: String, given: &str, candidates: &[String]) -> String {
    let best = candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&given.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, candidate)) if score > 0.85 => format!("{message}; did you mean {candidate}?"),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn defaults_load_and_validate() {
        let loaded = load(None, &[]).unwrap();
        assert_eq!(loaded.config, Config::default());
        // The only warnings a default config can give are about capabilities left out of a
        // build with fewer features (none in the default build).
        let left_out = loaded.config.capabilities.left_out_of_build();
        assert_eq!(
            loaded.warnings.len(),
            left_out.len(),
            "{:?}",
            loaded.warnings
        );
        assert_eq!(loaded.sources["http.listen"], Source::Default);
    }

    #[test]
    fn capabilities_left_out_of_the_build_stay_off_with_a_warning() {
        use crate::config::Capability;
        let file = write("[capabilities]\npreset = \"competitive\"\n");
        let loaded = load(Some(file.path()), &[]).unwrap();
        for capability in Capability::ALL {
            let caps = &loaded.config.capabilities;
            assert_eq!(caps.enabled(capability), capability.compiled_in());
            let feature = format!("without the `{}` feature", capability.name());
            let warned = loaded.warnings.iter().any(|w| w.contains(&feature));
            assert_eq!(warned, !capability.compiled_in(), "{capability:?}");
        }
    }

    #[test]
    fn env_overrides_file_overrides_default() {
        let file = write("[http]\nmax_body_bytes = 2048\nrequest_timeout_secs = 20\n");
        let env = vec![("IC_HTTP_REQUEST_TIMEOUT_SECS".to_owned(), "30".to_owned())];
        let loaded = load(Some(file.path()), &env).unwrap();
        assert_eq!(loaded.config.http.max_body_bytes, 2048);
        assert_eq!(loaded.config.http.request_timeout_secs, 30);
        assert_eq!(
            loaded.sources["http.max_body_bytes"],
            Source::File(file.path().to_owned())
        );
        assert_eq!(
            loaded.sources["http.request_timeout_secs"],
            Source::Env("IC_HTTP_REQUEST_TIMEOUT_SECS".into())
        );
        let shown = loaded.render_with_sources();
        assert!(
            shown.contains("http.request_timeout_secs = 30  # env IC_HTTP_REQUEST_TIMEOUT_SECS")
        );
    }

    #[test]
    fn unknown_keys_warn_with_a_suggestion() {
        let file = write("[http]\nlisten_addr = \"0.0.0.0:1\"\n");
        let env = vec![("IC_HTTP_LISTN".to_owned(), "x".to_owned())];
        let loaded = load(Some(file.path()), &env).unwrap();
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("http.listen_addr") && w.contains("did you mean http.listen?")),
            "{:?}",
            loaded.warnings
        );
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("IC_HTTP_LISTN") && w.contains("IC_HTTP_LISTEN")),
            "{:?}",
            loaded.warnings
        );
    }

    #[test]
    fn type_errors_and_ranges_name_the_key() {
        let file = write("[http]\nmax_body_bytes = \"big\"\n");
        let error = load(Some(file.path()), &[]).unwrap_err().to_string();
        assert!(error.contains("http.max_body_bytes"), "{error}");
        let file = write("[http]\nmax_body_bytes = 10\n");
        let error = load(Some(file.path()), &[]).unwrap_err().to_string();
        assert!(
            error.contains("http.max_body_bytes") && error.contains("1024"),
            "{error}"
        );
        assert!(
            error.contains(&file.path().display().to_string()),
            "{error}"
        );
        // A bad value from the environment names the variable that set it.
        let env = vec![("IC_HTTP_REQUEST_TIMEOUT_SECS".to_owned(), "0".to_owned())];
        let error = load(None, &env).unwrap_err().to_string();
        assert!(
            error.contains("http.request_timeout_secs")
                && error.contains("env IC_HTTP_REQUEST_TIMEOUT_SECS"),
            "{error}"
        );
        let file = write("[http\n");
        assert!(matches!(
            load(Some(file.path()), &[]),
            Err(ConfigError::Syntax { .. })
        ));
    }

    #[test]
    #[cfg_attr(
        not(all(
            feature = "relay",
            feature = "ranking",
            feature = "matchmaking",
            feature = "moderation"
        )),
        ignore = "expects every capability compiled in"
    )]
    fn presets_and_overrides_choose_capabilities() {
        use super::super::{Capability, Preset};
        let file = write("[capabilities]\npreset = \"minimal\"\nranking = true\n");
        let loaded = load(Some(file.path()), &[]).unwrap();
        let caps = &loaded.config.capabilities;
        assert_eq!(caps.preset, Preset::Minimal);
        assert!(caps.enabled(Capability::Relay));
        assert!(caps.enabled(Capability::Ranking));
        assert!(!caps.enabled(Capability::Matchmaking));
        let default = Config::default().capabilities.enabled_list();
        assert_eq!(
            default,
            vec![
                Capability::Relay,
                Capability::Ranking,
                Capability::Matchmaking
            ]
        );
    }
}
