//! `[transparency]`: how often the community signs a checkpoint of its transparency log (the
//! log itself always runs: every issued record gets its leaf), and witnessing: the logs this
//! community cosigns for others, and the witnesses it asks to cosign its own checkpoints.

use std::collections::HashSet;

use scr::CommunityKey;
use serde::{Deserialize, Serialize};
use transparency::Cosigner;

use super::{InvalidValue, http_url, range};

/// The transparency log's checkpoints and witnesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransparencyConfig {
    /// A new signed checkpoint at most this often, and only when the log grew.
    pub checkpoint_secs: u64,
    /// The name this community cosigns under as a witness (default: derived from its witness
    /// key, `ic-witness/<first 16 bytes of the key, hex>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness_name: Option<String>,
    /// Other communities' logs this community witnesses (cosigns after checking consistency).
    pub witness_for: Vec<WitnessedLogConfig>,
    /// Witnesses this community asks to cosign each new checkpoint of its own log.
    pub witnesses: Vec<WitnessConfig>,
}

/// A log this community witnesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedLogConfig {
    /// The log's origin (an ic community lists it as `transparency_origin`).
    pub origin: String,
    /// The key the log's checkpoints are signed with: for an ic community, its pinned
    /// (first) signing key; its later keys are followed through the rotations it publishes.
    pub key: CommunityKey,
    /// The community's base URL, where its document (and so its rotations) is fetched; without
    /// it only checkpoints signed by `key` itself are cosigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A witness this community asks for cosignatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// The witness's verifier key, `<name>+<key ID>+<base64 key>` (an ic community lists it
    /// as `witness_key`).
    pub vkey: String,
    /// The witness's submission prefix: `add-checkpoint` is posted below it (for an ic
    /// community, `<its URL>/v1/transparency/witness`).
    pub url: String,
}

impl Default for TransparencyConfig {
    fn default() -> Self {
        Self {
            checkpoint_secs: 60,
            witness_name: None,
            witness_for: Vec::new(),
            witnesses: Vec::new(),
        }
    }
}

impl TransparencyConfig {
    /// Checks the interval, the witness name, and every witnessed log and witness.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        range(
            "transparency.checkpoint_secs",
            self.checkpoint_secs,
            1,
            86_400,
        )?;
        if let Some(name) = &self.witness_name
            && Cosigner::new(name, scr::PublicKey::zero()).is_err()
        {
            return Err(invalid(
                "transparency.witness_name",
                "must be a non-empty name without spaces or '+'",
            ));
        }
        let mut origins = HashSet::new();
        for (index, log) in self.witness_for.iter().enumerate() {
            let key = |field: &str| format!("transparency.witness_for[{index}].{field}");
            if Cosigner::new(&log.origin, scr::PublicKey::zero()).is_err() {
                return Err(invalid(
                    &key("origin"),
                    "must be a non-empty origin without spaces or '+'",
                ));
            }
            if !origins.insert(&log.origin) {
                return Err(invalid(&key("origin"), "is listed twice"));
            }
            if let Some(url) = &log.url {
                http_url(&key("url"), url)?;
            }
        }
        let mut names = HashSet::new();
        for (index, witness) in self.witnesses.iter().enumerate() {
            let key = |field: &str| format!("transparency.witnesses[{index}].{field}");
            let cosigner = Cosigner::from_vkey(&witness.vkey)
                .map_err(|error| invalid(&key("vkey"), &error.to_string()))?;
            if !names.insert(cosigner.vkey()) {
                return Err(invalid(&key("vkey"), "is listed twice"));
            }
            http_url(&key("url"), &witness.url)?;
        }
        Ok(())
    }
}

fn invalid(key: &str, problem: &str) -> InvalidValue {
    InvalidValue {
        key: key.to_owned(),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(toml_text: &str) -> TransparencyConfig {
        toml::from_str(toml_text).unwrap_or_else(|error| panic!("{error}"))
    }

    fn refused_key(config: &TransparencyConfig) -> String {
        config
            .validate()
            .map(|()| String::new())
            .unwrap_or_else(|error| error.key)
    }

    #[test]
    fn witness_settings_are_checked_and_each_refusal_names_its_key() {
        let key = format!("ed25519:{}", "11".repeat(32));
        let witness = Cosigner::new("w.example", scr::PublicKey::from_bytes([2; 32]))
            .unwrap_or_else(|error| panic!("{error}"));
        let good = parsed(&format!(
            "witness_for = [{{ origin = \"ic-community/ab\", key = \"{key}\", url = \"https://a.example\" }}]\n\
             witnesses = [{{ vkey = \"{}\", url = \"https://w.example/v1/transparency/witness\" }}]\n",
            witness.vkey()
        ));
        assert_eq!(good.validate(), Ok(()));

        let mut twice = good.clone();
        twice.witness_for.push(twice.witness_for[0].clone());
        assert_eq!(refused_key(&twice), "transparency.witness_for[1].origin");
        let mut no_scheme = good.clone();
        no_scheme.witness_for[0].url = Some("a.example".into());
        assert_eq!(refused_key(&no_scheme), "transparency.witness_for[0].url");
        let mut spaced = good.clone();
        spaced.witness_for[0].origin = "a b".into();
        assert_eq!(refused_key(&spaced), "transparency.witness_for[0].origin");
        let mut bad_vkey = good.clone();
        bad_vkey.witnesses[0].vkey = "w.example+00000000+AAAA".into();
        assert_eq!(refused_key(&bad_vkey), "transparency.witnesses[0].vkey");
        let mut bad_name = good.clone();
        bad_name.witness_name = Some(String::new());
        assert_eq!(refused_key(&bad_name), "transparency.witness_name");
        // An unknown field in an entry is a typo, not something to ignore.
        assert!(
            toml::from_str::<TransparencyConfig>(&format!(
                "witness_for = [{{ origin = \"o\", key = \"{key}\", ur = \"x\" }}]"
            ))
            .is_err()
        );
    }
}
