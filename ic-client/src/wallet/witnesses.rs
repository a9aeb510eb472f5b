//! The witnesses a player trusts for one community's transparency log, and how many of their
//! cosignatures a checkpoint needs before the wallet accepts it (none unless the player asks).
//!
//! A checkpoint its witnesses cosigned is one the community also showed them; requiring them
//! stops a community from showing this player a history the rest of the world never saw.

use sqlx::Row;
use transparency::{Cosigner, Note};

use super::{CommunityStore, WalletError};

/// Cosignatures dated further ahead of the wallet's clock than this are not counted.
pub const FUTURE_SLACK_SECS: i64 = 600;

/// The player's rule for accepting checkpoints of one community.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WitnessPolicy {
    /// The witnesses trusted.
    pub witnesses: Vec<Cosigner>,
    /// How many of them must have cosigned a checkpoint (0: none needed).
    pub required: usize,
    /// The largest checkpoint accepted when the rule was last set: it and the ones before were
    /// accepted without the rule.
    pub after_size: u64,
}

impl WitnessPolicy {
    /// The trusted witnesses whose valid cosignature `note` carries, dated no later than
    /// `now` (plus a little slack for clocks).
    pub fn cosigned_by(&self, note: &Note, now: i64) -> Vec<&Cosigner> {
        self.witnesses
            .iter()
            .filter(|witness| {
                witness.verify(note).is_ok_and(|timestamp| {
                    i64::try_from(timestamp).is_ok_and(|at| at <= now + FUTURE_SLACK_SECS)
                })
            })
            .collect()
    }

    /// Why `note` may not be accepted under this rule, if it may not.
    pub fn shortfall(&self, note: &Note, now: i64) -> Option<String> {
        let found = self.cosigned_by(note, now).len();
        (found < self.required).then(|| {
            format!(
                "it carries {found} of the {} cosignature(s) required from the {} trusted witness(es)",
                self.required,
                self.witnesses.len()
            )
        })
    }
}

impl CommunityStore {
    /// The player's witness rule for this community.
    pub async fn witness_policy(&self) -> Result<WitnessPolicy, WalletError> {
        let rows = sqlx::query("SELECT vkey FROM log_witnesses ORDER BY added_at, vkey")
            .fetch_all(&self.pool)
            .await?;
        let witnesses = rows
            .iter()
            .map(|row| {
                let vkey: String = row.try_get("vkey")?;
                Cosigner::from_vkey(&vkey)
                    .map_err(|error| WalletError::Corrupt(format!("witness key {vkey}: {error}")))
            })
            .collect::<Result<Vec<_>, WalletError>>()?;
        let rule = sqlx::query("SELECT required, after_size FROM log_witness_policy WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let (required, after_size) = match rule {
            Some(row) => (
                row.try_get::<i64, _>("required")?,
                row.try_get::<i64, _>("after_size")?,
            ),
            None => (0, 0),
        };
        let corrupt = |what: String| WalletError::Corrupt(what);
        Ok(WitnessPolicy {
            witnesses,
            required: usize::try_from(required)
                .map_err(|_| corrupt(format!("{required} witnesses required")))?,
            after_size: u64::try_from(after_size)
                .map_err(|_| corrupt(format!("witness rule after size {after_size}")))?,
        })
    }

    /// Trusts `witness` for this community's log; true if it was not trusted yet.
    pub async fn trust_witness(&self, witness: &Cosigner, now: i64) -> Result<bool, WalletError> {
        let added = sqlx::query(
            "INSERT INTO log_witnesses (vkey, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(witness.vkey())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(added.rows_affected() == 1)
    }

    /// Stops trusting `witness`; true if it was trusted.
    pub async fn forget_witness(&self, witness: &Cosigner) -> Result<bool, WalletError> {
        let removed = sqlx::query("DELETE FROM log_witnesses WHERE vkey = ?")
            .bind(witness.vkey())
            .execute(&self.pool)
            .await?;
        Ok(removed.rows_affected() == 1)
    }

    /// Requires `required` cosignatures of trusted witnesses on every checkpoint accepted
    /// from now on (larger than the largest accepted so far).
    pub async fn require_witnesses(&self, required: u32) -> Result<(), WalletError> {
        sqlx::query(
            "INSERT INTO log_witness_policy (id, required, after_size) \
             VALUES (1, ?, (SELECT COALESCE(MAX(tree_size), 0) FROM log_checkpoints)) \
             ON CONFLICT (id) DO UPDATE SET required = excluded.required, \
             after_size = excluded.after_size",
        )
        .bind(i64::from(required))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
impl CommunityStore {
    /// The wallet's connection, for tests that tamper with it below the API.
    pub(crate) fn pool_for_tests(&self) -> &sqlx::SqlitePool {
        &self.pool
    }
}
