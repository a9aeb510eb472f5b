//! Sanctions in their text form (`warn`, `chat_restriction:24`, `ranked_suspension:14`, …), shared
//! by the recommendation table in config, the consensus record and the moderator action API.

use std::fmt;
use std::str::FromStr;

/// A sanction a moderator can apply; durations in hours (restrictions) or days (suspension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// A recorded warning; no restriction.
    Warn,
    /// No chat for `hours`.
    ChatRestriction {
        /// Duration in hours, 1–8760.
        hours: u16,
    },
    /// No matchmaking queue for `hours`.
    QueueCooldown {
        /// Duration in hours, 1–8760.
        hours: u16,
    },
    /// Matched last for `hours`.
    LowPriorityQueue {
        /// Duration in hours, 1–8760.
        hours: u16,
    },
    /// Rating records revoked and not re-issued for `days`.
    RankedSuspension {
        /// Duration in days, 1–3650.
        days: u16,
    },
}

impl Measure {
    /// The measure's kind name (without duration).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::ChatRestriction { .. } => "chat_restriction",
            Self::QueueCooldown { .. } => "queue_cooldown",
            Self::LowPriorityQueue { .. } => "low_priority_queue",
            Self::RankedSuspension { .. } => "ranked_suspension",
        }
    }

    /// How long it lasts in seconds (0 for a warning).
    pub fn duration_secs(self) -> i64 {
        match self {
            Self::Warn => 0,
            Self::ChatRestriction { hours }
            | Self::QueueCooldown { hours }
            | Self::LowPriorityQueue { hours } => i64::from(hours) * 3600,
            Self::RankedSuspension { days } => i64::from(days) * 86_400,
        }
    }

    /// What the measure restricts, as the federated sanction feed names it.
    pub fn scope(self) -> &'static str {
        match self {
            Self::Warn => "record",
            Self::ChatRestriction { .. } => "chat",
            Self::QueueCooldown { .. } | Self::LowPriorityQueue { .. } => "matchmaking",
            Self::RankedSuspension { .. } => "ranked",
        }
    }

    /// Whether the measure touches ranked play (needs a moderator, never automatic).
    pub fn touches_ranked(self) -> bool {
        matches!(self, Self::RankedSuspension { .. })
    }
}

/// Why a sanction's text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseSanctionError(String);

fn duration(kind: &str, amount: Option<&str>, max: u16) -> Result<u16, ParseSanctionError> {
    let unit = if kind == "ranked_suspension" {
        "days"
    } else {
        "hours"
    };
    let amount = amount.ok_or_else(|| {
        ParseSanctionError(format!(
            "{kind} needs a duration in {unit}: {kind}:<1-{max}>"
        ))
    })?;
    match amount.parse::<u16>() {
        Ok(value) if (1..=max).contains(&value) => Ok(value),
        _ => Err(ParseSanctionError(format!(
            "{kind} duration {amount:?} must be 1-{max} {unit}"
        ))),
    }
}

impl FromStr for Measure {
    type Err = ParseSanctionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, amount) = match text.split_once(':') {
            Some((kind, amount)) => (kind, Some(amount)),
            None => (text, None),
        };
        match kind {
            "warn" if amount.is_none() => Ok(Self::Warn),
            "chat_restriction" => Ok(Self::ChatRestriction {
                hours: duration(kind, amount, 8760)?,
            }),
            "queue_cooldown" => Ok(Self::QueueCooldown {
                hours: duration(kind, amount, 8760)?,
            }),
            "low_priority_queue" => Ok(Self::LowPriorityQueue {
                hours: duration(kind, amount, 8760)?,
            }),
            "ranked_suspension" => Ok(Self::RankedSuspension {
                days: duration(kind, amount, 3650)?,
            }),
            _ => Err(ParseSanctionError(format!(
                "unknown sanction {text:?}; expected warn, chat_restriction:<hours>, \
                 queue_cooldown:<hours>, low_priority_queue:<hours> or ranked_suspension:<days>"
            ))),
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Warn => f.write_str("warn"),
            Self::ChatRestriction { hours }
            | Self::QueueCooldown { hours }
            | Self::LowPriorityQueue { hours } => write!(f, "{}:{hours}", self.kind()),
            Self::RankedSuspension { days } => write!(f, "{}:{days}", self.kind()),
        }
    }
}

/// What consensus recommends to the moderator (reference §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommendation {
    /// Apply this measure.
    Measure(Measure),
    /// Look closer before acting.
    EscalateManualReview,
}

impl FromStr for Recommendation {
    type Err = ParseSanctionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "escalate_manual_review" {
            return Ok(Self::EscalateManualReview);
        }
        text.parse().map(Self::Measure)
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Measure(measure) => measure.fmt(f),
            Self::EscalateManualReview => f.write_str("escalate_manual_review"),
        }
    }
}

/// What a moderator does with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Apply a sanction to the accused.
    Apply(Measure),
    /// Close the case without a sanction.
    CloseNoAction,
    /// Take a case still with reviewers (queued or in review) to a moderator's decision, e.g.
    /// one too urgent or too sensitive for community review.
    Escalate,
}

impl ActionKind {
    /// The kind of sanction it applies (`queue_cooldown`, …), or `None` for closing and
    /// escalating; what the stored action is indexed by.
    pub fn measure_kind(self) -> Option<&'static str> {
        match self {
            Self::Apply(measure) => Some(measure.kind()),
            Self::CloseNoAction | Self::Escalate => None,
        }
    }
}

impl FromStr for ActionKind {
    type Err = ParseSanctionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "close_no_action" => return Ok(Self::CloseNoAction),
            "escalate" => return Ok(Self::Escalate),
            _ => {}
        }
        text.parse()
            .map(Self::Apply)
            .map_err(|ParseSanctionError(message)| {
                ParseSanctionError(format!("{message}, close_no_action or escalate"))
            })
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Apply(measure) => measure.fmt(f),
            Self::CloseNoAction => f.write_str("close_no_action"),
            Self::Escalate => f.write_str("escalate"),
        }
    }
}

/// Serde as the text form, so config tables read `["warn", "queue_cooldown:24"]`.
macro_rules! serde_as_text {
    ($name:ident, $schema_text:expr) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($schema_text))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

serde_as_text!(
    Measure,
    "`warn`, `chat_restriction:<hours>`, `queue_cooldown:<hours>`, \
     `low_priority_queue:<hours>` or `ranked_suspension:<days>`"
);
serde_as_text!(
    Recommendation,
    "a measure (`warn`, `queue_cooldown:<hours>`, …), `close_no_action` or `escalate`"
);
serde_as_text!(
    ActionKind,
    "a measure (`warn`, `queue_cooldown:<hours>`, …), `close_no_action` or `escalate`"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_forms_parse_and_reject() {
        assert_eq!("warn".parse::<Measure>(), Ok(Measure::Warn));
        assert_eq!(
            "ranked_suspension:14".parse::<Measure>(),
            Ok(Measure::RankedSuspension { days: 14 })
        );
        assert_eq!(
            "close_no_action".parse::<ActionKind>(),
            Ok(ActionKind::CloseNoAction)
        );
        assert_eq!("escalate".parse::<ActionKind>(), Ok(ActionKind::Escalate));
        for bad in [
            "",
            "warn:3",
            "queue_cooldown",
            "queue_cooldown:0",
            "queue_cooldown:9999",
            "ban",
            "chat_restriction:-1",
        ] {
            assert!(bad.parse::<ActionKind>().is_err(), "{bad}");
        }
        assert_eq!(Measure::QueueCooldown { hours: 2 }.duration_secs(), 7200);
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(kind in 0u8..5, amount in 1u16..=3650) {
            let measure = match kind {
                0 => Measure::Warn,
                1 => Measure::ChatRestriction { hours: amount },
                2 => Measure::QueueCooldown { hours: amount },
                3 => Measure::LowPriorityQueue { hours: amount },
                _ => Measure::RankedSuspension { days: amount },
            };
            prop_assert_eq!(measure.to_string().parse::<Measure>(), Ok(measure));
            let action = ActionKind::Apply(measure);
            prop_assert_eq!(action.to_string().parse::<ActionKind>(), Ok(action));
        }

        #[test]
        fn parsing_never_panics(text in ".{0,40}") {
            let _ = text.parse::<ActionKind>();
            let _ = text.parse::<Recommendation>();
        }
    }
}
