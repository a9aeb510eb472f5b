//! The C2SP `tlog-checkpoint` body: the log's origin, its size and its root, one per line,
//! then any extension lines. Signed, it is what a community commits to and wallets compare.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::Hash;

/// A log's state at one size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, stable across key rotations (e.g. `ic.example.org/transparency`).
    pub origin: String,
    /// How many leaves the tree holds.
    pub size: u64,
    /// The tree's root.
    pub root: Hash,
    /// Extension lines after the root, kept as they are (without their newlines).
    pub extensions: Vec<String>,
}

/// Why text is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A line the format requires is missing.
    #[error("the checkpoint has no {0} line")]
    Missing(&'static str),
    /// The origin is empty.
    #[error("the checkpoint's origin is empty")]
    EmptyOrigin,
    /// The size is not a decimal number without leading zeros.
    #[error("the checkpoint's size {0:?} is not a decimal number")]
    BadSize(String),
    /// The root is not base64 of 32 bytes.
    #[error("the checkpoint's root is not base64 of a 32-byte hash")]
    BadRoot,
    /// The body does not end with a newline, or a line is empty.
    #[error("the checkpoint is not newline-terminated lines")]
    BadLines,
}

/// A decimal without leading zeros (`0` itself allowed), as C2SP writes sizes: in a
/// checkpoint, and in a witness's `old` line and `409` answer.
pub fn canonical_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The body text, each line ending in a newline (what the note signs).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Reads a body as [`Checkpoint::to_text`] writes it.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::BadLines)?;
        let mut lines = body.split('\n');
        let origin = lines.next().ok_or(CheckpointError::Missing("origin"))?;
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size_text = lines.next().ok_or(CheckpointError::Missing("size"))?;
        let size = canonical_decimal(size_text)
            .ok_or_else(|| CheckpointError::BadSize(size_text.to_owned()))?;
        let root_text = lines.next().ok_or(CheckpointError::Missing("root"))?;
        let root = BASE64
            .decode(root_text)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or(CheckpointError::BadRoot)?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::BadLines);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::hash::EMPTY_ROOT;

    #[test]
    fn a_checkpoint_reads_back_and_malformed_ones_are_named() {
        let mut checkpoint = Checkpoint::new("ic.example.org/log", 42, EMPTY_ROOT);
        assert_eq!(
            checkpoint.to_text(),
            "ic.example.org/log\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        );
        checkpoint.extensions.push("ext one".into());
        assert_eq!(
            Checkpoint::parse(&checkpoint.to_text()).unwrap(),
            checkpoint
        );

        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let cases = [
            (format!("o\n42\n{root}"), CheckpointError::BadLines),
            (format!("\n42\n{root}\n"), CheckpointError::EmptyOrigin),
            (
                format!("o\n042\n{root}\n"),
                CheckpointError::BadSize("042".into()),
            ),
            (
                format!("o\n-1\n{root}\n"),
                CheckpointError::BadSize("-1".into()),
            ),
            (
                format!("o\n99999999999999999999\n{root}\n"),
                CheckpointError::BadSize("99999999999999999999".into()),
            ),
            ("o\n1\nAAAA\n".to_owned(), CheckpointError::BadRoot),
            ("o\n1\n".to_owned(), CheckpointError::Missing("root")),
            (format!("o\n1\n{root}\n\n"), CheckpointError::BadLines),
        ];
        for (text, error) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(error), "{text:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any text is read or refused without panicking; what is read writes back unchanged.
        #[test]
        fn any_text_parses_or_is_refused_and_checkpoints_write_back(input in ".{0,200}") {
            if let Ok(checkpoint) = Checkpoint::parse(&input) {
                prop_assert_eq!(checkpoint.to_text(), input);
            }
        }

        #[test]
        fn every_checkpoint_reads_back(
            origin in "[a-z0-9./-]{1,40}",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            extensions in proptest::collection::vec("[ -~]{1,30}", 0..3),
        ) {
            let checkpoint = Checkpoint { origin, size, root, extensions };
            prop_assert_eq!(Checkpoint::parse(&checkpoint.to_text()).unwrap(), checkpoint);
        }
    }
}
