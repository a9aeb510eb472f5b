//! Serializes a map whose keys are not strings (a queue, a pair of players) as a list of
//! `[key, value]` pairs, so the matchmaker's state can be stored as JSON.
//!
//! Hand-written because it is the only such need in the tree: `serde_with` would bring a
//! dependency for two fields.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Writes `map` as a list of pairs.
pub fn serialize<K, V, S>(map: &HashMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: Serialize,
    V: Serialize,
    S: Serializer,
{
    serializer.collect_seq(map.iter())
}

/// Reads a list of pairs back into a map (a repeated key keeps the last value).
pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<HashMap<K, V>, D::Error>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Ok(Vec::<(K, V)>::deserialize(deserializer)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(with = "super")]
        met: HashMap<(u8, u8), u64>,
    }

    #[test]
    fn a_map_with_tuple_keys_survives_json() {
        let holder = Holder {
            met: HashMap::from([((1, 2), 10), ((3, 4), 20)]),
        };
        let json = serde_json::to_string(&holder).unwrap();
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), holder);
        // A plain map with tuple keys is refused by serde_json: the helper is what makes it work.
        assert!(serde_json::to_string(&holder.met).is_err());
    }
}
