//! Trust requirements across communities: what a room or a queue asks of the records a player
//! presents, and the pure check of verified credentials against it (no I/O here).

use scr::{CommunityKey, PublicKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most communities one requirement may list.
pub const MAX_REQUIRED_COMMUNITIES: usize = 8;

/// What a room or a queue requires of the records its players present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrustRequirement {
    /// Nothing (the default).
    #[default]
    None,
    /// At least one record that verifies: issued by this community, or by another one whose
    /// document the player names.
    AnyVerified,
    /// A rating record from each listed community meeting its minimums (all of them).
    Communities {
        /// The communities, each with its minimums.
        communities: Vec<CommunityRequirement>,
    },
}

/// One community whose rating record is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityRequirement {
    /// A signing key of the community, `ed25519:<64 hex>`: the record must be signed by this
    /// key or by one it was rotated to.
    #[schema(value_type = String, example = "ed25519:…")]
    pub key: CommunityKey,
    /// Rated games the record must show (default 0).
    #[serde(default)]
    pub min_games: u32,
    /// Rating the record must show, in rating points (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rating: Option<i64>,
    /// Game module the rating must be in (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// What one presented record proved, once verified against its community's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// The community's keys from the one the verifier pinned to the one that signed the
    /// record, oldest first: every key after the first was handed over by the one before.
    pub lineage: Vec<PublicKey>,
    /// The rating it shows, for a rating record.
    pub rating: Option<CredentialRating>,
}

/// The rating a verified rating record shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRating {
    /// Game module.
    pub module: String,
    /// Rated games played.
    pub games: u32,
    /// Rating ×1000, as records carry it.
    pub rating: i64,
}

/// Which requirement a player's credentials did not meet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Unmet {
    /// `any_verified`, and nothing verified was presented.
    #[error("this requires at least one verified record; none was presented")]
    NoVerifiedRecord,
    /// No rating record of a listed community (in the module) was presented.
    #[error("requirement {index} ({key}): no rating record of that community{} was presented",
        module.as_ref().map(|m| format!(" in module {m:?}")).unwrap_or_default())]
    NoRecordOf {
        /// Position in the list, from 0.
        index: usize,
        /// The community's key as listed.
        key: CommunityKey,
        /// The module the requirement names.
        module: Option<String>,
    },
    /// The best record of that community shows too few games.
    #[error("requirement {index} ({key}): {games} rated games, at least {min_games} needed")]
    TooFewGames {
        /// Position in the list, from 0.
        index: usize,
        /// The community's key as listed.
        key: CommunityKey,
        /// Games the best record shows.
        games: u32,
        /// Games required.
        min_games: u32,
    },
    /// The best record of that community shows too low a rating.
    #[error("requirement {index} ({key}): rating {rating}, at least {min_rating} needed")]
    RatingTooLow {
        /// Position in the list, from 0.
        index: usize,
        /// The community's key as listed.
        key: CommunityKey,
        /// Rating points the best record shows (rounded down).
        rating: i64,
        /// Rating points required.
        min_rating: i64,
    },
}

impl Unmet {
    /// The API's error code.
    pub fn code(&self) -> &'static str {
        "requirement_unmet"
    }
}

impl TrustRequirement {
    /// Checks the requirement's own values: a bounded, non-empty list without repeats.
    pub fn validate(&self) -> Result<(), String> {
        let Self::Communities { communities } = self else {
            return Ok(());
        };
        if communities.is_empty() || communities.len() > MAX_REQUIRED_COMMUNITIES {
            return Err(format!(
                "communities must list 1 to {MAX_REQUIRED_COMMUNITIES} communities, not {}",
                communities.len()
            ));
        }
        for (index, community) in communities.iter().enumerate() {
            if communities[..index]
                .iter()
                .any(|c| c.key == community.key && c.module == community.module)
            {
                return Err(format!("community {} is listed twice", community.key));
            }
            if community.module.as_ref().is_some_and(|m| m.is_empty()) {
                return Err(format!("community {}: module is empty", community.key));
            }
        }
        Ok(())
    }

    /// Checks verified `credentials` against the requirement; the error names the first
    /// requirement that none of them meets.
    pub fn check(&self, credentials: &[Credential]) -> Result<(), Unmet> {
        match self {
            Self::None => Ok(()),
            Self::AnyVerified if credentials.is_empty() => Err(Unmet::NoVerifiedRecord),
            Self::AnyVerified => Ok(()),
            Self::Communities { communities } => communities
                .iter()
                .enumerate()
                .try_for_each(|(index, required)| required.check(index, credentials)),
        }
    }
}

impl CommunityRequirement {
    fn check(&self, index: usize, credentials: &[Credential]) -> Result<(), Unmet> {
        let key = self.key.public_key();
        let ratings = credentials
            .iter()
            .filter(|credential| credential.lineage.contains(&key))
            .filter_map(|credential| credential.rating.as_ref())
            .filter(|rating| self.module.as_ref().is_none_or(|m| *m == rating.module));
        // The closest miss is reported: the record with the most games, then the best rating.
        let mut closest: Option<&CredentialRating> = None;
        for rating in ratings {
            if self.meets(rating) {
                return Ok(());
            }
            if closest.is_none_or(|c| (rating.games, rating.rating) > (c.games, c.rating)) {
                closest = Some(rating);
            }
        }
        let Some(closest) = closest else {
            return Err(Unmet::NoRecordOf {
                index,
                key: self.key,
                module: self.module.clone(),
            });
        };
        if closest.games < self.min_games {
            return Err(Unmet::TooFewGames {
                index,
                key: self.key,
                games: closest.games,
                min_games: self.min_games,
            });
        }
        Err(Unmet::RatingTooLow {
            index,
            key: self.key,
            rating: closest.rating.div_euclid(1000),
            min_rating: self.min_rating.unwrap_or(i64::MIN),
        })
    }

    fn meets(&self, rating: &CredentialRating) -> bool {
        rating.games >= self.min_games
            && self
                .min_rating
                .is_none_or(|min| rating.rating >= min.saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(seed: u8) -> CommunityKey {
        CommunityKey::from_bytes([seed; 32])
    }

    fn rated(lineage: &[u8], module: &str, games: u32, points: i64) -> Credential {
        Credential {
            lineage: lineage.iter().map(|s| key(*s).public_key()).collect(),
            rating: Some(CredentialRating {
                module: module.into(),
                games,
                rating: points * 1000,
            }),
        }
    }

    fn requiring(seed: u8, min_games: u32, min_rating: Option<i64>) -> CommunityRequirement {
        CommunityRequirement {
            key: key(seed),
            min_games,
            min_rating,
            module: None,
        }
    }

    #[test]
    fn none_and_any_verified() {
        assert_eq!(TrustRequirement::None.check(&[]), Ok(()));
        assert_eq!(
            TrustRequirement::AnyVerified.check(&[]),
            Err(Unmet::NoVerifiedRecord)
        );
        let unrated = Credential {
            lineage: vec![key(1).public_key()],
            rating: None,
        };
        assert_eq!(TrustRequirement::AnyVerified.check(&[unrated]), Ok(()));
    }

    #[test]
    fn every_listed_community_must_be_met_and_the_refusal_names_the_first_unmet() {
        let requirement = TrustRequirement::Communities {
            communities: vec![requiring(1, 10, None), requiring(2, 0, Some(1500))],
        };
        let b = rated(&[1], "ra", 12, 1400);
        let c = rated(&[2], "ra", 3, 1600);
        assert_eq!(requirement.check(&[b.clone(), c.clone()]), Ok(()));
        assert_eq!(
            requirement.check(std::slice::from_ref(&c)),
            Err(Unmet::NoRecordOf {
                index: 0,
                key: key(1),
                module: None
            })
        );
        let weak = rated(&[2], "ra", 30, 1499);
        assert!(matches!(
            requirement.check(&[b.clone(), weak]),
            Err(Unmet::RatingTooLow {
                index: 1,
                rating: 1499,
                min_rating: 1500,
                ..
            })
        ));
        let novice = rated(&[1], "ra", 9, 2000);
        assert!(matches!(
            requirement.check(&[novice, c]),
            Err(Unmet::TooFewGames {
                index: 0,
                games: 9,
                min_games: 10,
                ..
            })
        ));
    }

    #[test]
    fn a_record_counts_for_a_key_only_when_signed_by_it_or_a_key_it_handed_over_to() {
        let requirement = TrustRequirement::Communities {
            communities: vec![requiring(2, 1, None)],
        };
        // Signed by key 3, which key 2 rotated to: counts for key 2.
        assert_eq!(
            requirement.check(&[rated(&[1, 2, 3], "ra", 5, 1500)]),
            Ok(())
        );
        // Signed by key 1, before key 2 existed: key 2 vouches for nothing key 1 signed.
        assert!(matches!(
            requirement.check(&[rated(&[1], "ra", 5, 1500)]),
            Err(Unmet::NoRecordOf { .. })
        ));
    }

    #[test]
    fn a_module_narrows_the_records_that_count_and_any_one_record_may_meet_it() {
        let mut only_td = requiring(1, 10, None);
        only_td.module = Some("td".into());
        let requirement = TrustRequirement::Communities {
            communities: vec![only_td],
        };
        let ra = rated(&[1], "ra", 50, 1500);
        assert!(matches!(
            requirement.check(std::slice::from_ref(&ra)),
            Err(Unmet::NoRecordOf {
                module: Some(_),
                ..
            })
        ));
        let td_few = rated(&[1], "td", 4, 1500);
        let td_many = rated(&[1], "td", 11, 1500);
        assert_eq!(requirement.check(&[ra, td_few, td_many]), Ok(()));
    }

    #[test]
    fn validation_refuses_empty_long_and_repeated_lists() {
        let list = |communities| TrustRequirement::Communities { communities };
        assert!(list(vec![]).validate().is_err());
        assert!(list(vec![requiring(1, 0, None); 2]).validate().is_err());
        assert!(
            list(
                (0..=MAX_REQUIRED_COMMUNITIES as u8)
                    .map(|s| requiring(s, 0, None))
                    .collect()
            )
            .validate()
            .is_err()
        );
        assert!(
            list(vec![requiring(1, 0, None), requiring(2, 0, None)])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn it_reads_from_toml_and_json_as_documented() {
        #[derive(Deserialize)]
        struct Holder {
            requires: TrustRequirement,
        }
        let toml_text = format!(
            "requires = {{ kind = \"communities\", communities = [{{ key = \"{}\", min_games = 10 }}] }}",
            key(7)
        );
        let held: Holder = toml::from_str(&toml_text).unwrap();
        assert_eq!(
            held.requires,
            TrustRequirement::Communities {
                communities: vec![requiring(7, 10, None)]
            }
        );
        let any: TrustRequirement = serde_json::from_str(r#"{"kind":"any_verified"}"#).unwrap();
        assert_eq!(any, TrustRequirement::AnyVerified);
        let unknown = serde_json::from_str::<TrustRequirement>(r#"{"kind":"some"}"#);
        assert!(unknown.unwrap_err().to_string().contains("unknown variant"));
    }
}
