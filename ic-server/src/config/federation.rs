//! `[federation]`: how this community reads other communities' documents when players present
//! their records (rooms and queues that require them), whether it publishes its sanctions, and
//! which other communities' sanction feeds it subscribes to, with a policy per action.

use std::collections::{BTreeMap, HashSet};

use scr::CommunityKey;
use serde::{Deserialize, Serialize};

use super::{InvalidValue, http_url, range};

/// Most feeds one community subscribes to.
const MAX_SUBSCRIPTIONS: usize = 64;

/// Reading other communities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FederationConfig {
    /// Seconds another community's document (its keys and rotations) is used before it is
    /// fetched again.
    pub document_ttl_secs: u64,
    /// Fetch documents of communities players name at loopback, private, link-local and other
    /// non-public addresses (for a LAN, or tests); off, a player cannot make the server reach
    /// into its own host or network.
    pub allow_private_addresses: bool,
    /// Publish this community's moderation outcomes (sanctions and their liftings) as a signed
    /// feed at `GET /v1/federation/sanctions`, for other communities to subscribe to.
    pub publish_sanctions: bool,
    /// Seconds between two reads of each subscribed feed.
    pub poll_secs: u64,
    /// Other communities' sanction feeds this community reads (needs the moderation
    /// capability: what an entry does here is a local case or sanction).
    pub subscriptions: Vec<SubscriptionConfig>,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            document_ttl_secs: 300,
            allow_private_addresses: false,
            publish_sanctions: false,
            poll_secs: 60,
            subscriptions: Vec::new(),
        }
    }
}

/// One publisher whose sanctions this community reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// The publisher's base URL.
    pub url: String,
    /// A signing key of the publisher (its first, or any it used since): entries must be
    /// signed by this key or one its published rotations hand over to.
    pub key: CommunityKey,
    /// What each action does here, by kind (`warn`, `chat_restriction`, `queue_cooldown`,
    /// `low_priority_queue`, `ranked_suspension`) or `default`; unlisted kinds take `default`,
    /// itself `review` when unset.
    #[serde(default)]
    pub policy: BTreeMap<String, SanctionPolicy>,
}

/// What a subscribed publisher's sanction does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SanctionPolicy {
    /// Nothing (the entry is recorded as ignored).
    Ignore,
    /// Opens a case in the local review queue with the entry as evidence.
    Review,
    /// Applies the same sanction here, until the publisher's end.
    Apply,
}

/// The action kinds a policy may name, besides `default`.
pub const POLICY_KINDS: [&str; 5] = [
    "warn",
    "chat_restriction",
    "queue_cooldown",
    "low_priority_queue",
    "ranked_suspension",
];

impl SubscriptionConfig {
    /// The policy for sanctions of `kind`.
    pub fn policy_for(&self, kind: &str) -> SanctionPolicy {
        self.policy
            .get(kind)
            .or_else(|| self.policy.get("default"))
            .copied()
            .unwrap_or(SanctionPolicy::Review)
    }
}

impl FederationConfig {
    /// Checks the ranges and every subscription (which need `moderation` on).
    pub fn validate(&self, moderation: bool) -> Result<(), InvalidValue> {
        range(
            "federation.document_ttl_secs",
            self.document_ttl_secs,
            1,
            86_400,
        )?;
        range("federation.poll_secs", self.poll_secs, 1, 86_400)?;
        let invalid = |problem: String| InvalidValue {
            key: "federation.subscriptions".into(),
            problem,
        };
        if !self.subscriptions.is_empty() && !moderation {
            return Err(invalid(
                "subscribing to sanction feeds needs the moderation capability".into(),
            ));
        }
        if self.subscriptions.len() > MAX_SUBSCRIPTIONS {
            return Err(invalid(format!("at most {MAX_SUBSCRIPTIONS} publishers")));
        }
        let mut keys = HashSet::new();
        for subscription in &self.subscriptions {
            http_url("federation.subscriptions.url", &subscription.url)?;
            if !keys.insert(subscription.key) {
                return Err(invalid(format!(
                    "the publisher {} is listed twice",
                    subscription.key
                )));
            }
            if let Some(kind) = subscription
                .policy
                .keys()
                .find(|kind| *kind != "default" && !POLICY_KINDS.contains(&kind.as_str()))
            {
                return Err(InvalidValue {
                    key: "federation.subscriptions.policy".into(),
                    problem: format!(
                        "unknown action kind {kind:?}; expected default or one of: {}",
                        POLICY_KINDS.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read(text: &str) -> FederationConfig {
        toml::from_str(text).unwrap()
    }

    const KEY: &str = "ed25519:0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn a_policy_falls_back_to_default_then_review() {
        let config = read(&format!(
            "[[subscriptions]]\nurl = \"https://b.example\"\nkey = \"{KEY}\"\n\
             policy = {{ default = \"ignore\", queue_cooldown = \"apply\" }}\n\
             [[subscriptions]]\nurl = \"https://c.example\"\n\
             key = \"ed25519:{}\"\n",
            "02".repeat(32)
        ));
        config.validate(true).unwrap();
        let (b, c) = (&config.subscriptions[0], &config.subscriptions[1]);
        assert_eq!(b.policy_for("queue_cooldown"), SanctionPolicy::Apply);
        assert_eq!(b.policy_for("warn"), SanctionPolicy::Ignore);
        assert_eq!(c.policy_for("ranked_suspension"), SanctionPolicy::Review);
    }

    #[test]
    fn bad_subscriptions_name_the_key() {
        let one = |extra: &str| {
            read(&format!(
                "[[subscriptions]]\nurl = \"https://b.example\"\nkey = \"{KEY}\"\n{extra}"
            ))
        };
        let error = one("policy = { mute = \"apply\" }")
            .validate(true)
            .unwrap_err();
        assert_eq!(error.key, "federation.subscriptions.policy");
        assert!(error.problem.contains("mute"), "{}", error.problem);
        let mut twice = one("");
        twice.subscriptions.push(twice.subscriptions[0].clone());
        let error = twice.validate(true).unwrap_err();
        assert!(error.problem.contains("listed twice"), "{}", error.problem);
        let mut bad_url = one("");
        bad_url.subscriptions[0].url = "ftp://b.example".into();
        assert_eq!(
            bad_url.validate(true).unwrap_err().key,
            "federation.subscriptions.url"
        );
        assert!(
            toml::from_str::<FederationConfig>(
                "[[subscriptions]]\nurl = \"https://b\"\nkey = \"x\"\n"
            )
            .is_err()
        );
        let mut slow = one("");
        slow.poll_secs = 0;
        assert_eq!(slow.validate(true).unwrap_err().key, "federation.poll_secs");
    }
}
