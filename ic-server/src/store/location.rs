//! Where the database is: a SQLite file (the embedded default) or a PostgreSQL server, parsed
//! from `[storage] url`, and that URL as it may be shown (password masked).

use std::path::{Path, PathBuf};

/// Which backend holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server (15 or newer), possibly shared by several processes.
    Postgres,
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:pass@host:port/db`).
    Postgres(String),
}

/// A storage URL that names no backend this server has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown storage URL scheme {scheme:?}: use postgres://user:password@host:port/database, \
     sqlite://<file>, or leave it empty for storage.sqlite_path"
)]
pub struct LocationError {
    /// The scheme found (text before `://`, or the whole value when there is none).
    pub scheme: String,
}

impl Location {
    /// The location `url` names; an empty `url` is the SQLite file `sqlite_path`. A relative
    /// SQLite path is taken inside `data_dir`.
    pub fn parse(url: &str, sqlite_path: &str, data_dir: &Path) -> Result<Self, LocationError> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Self::Sqlite(data_dir.join(sqlite_path)));
        }
        match url.split_once("://") {
            Some(("postgres" | "postgresql", _)) => Ok(Self::Postgres(url.to_owned())),
            Some(("sqlite", path)) if !path.is_empty() => Ok(Self::Sqlite(data_dir.join(path))),
            Some((scheme, _)) => Err(LocationError {
                scheme: scheme.to_owned(),
            }),
            None => Err(LocationError {
                scheme: url.to_owned(),
            }),
        }
    }

    /// The SQLite database file `ic-server.db` in `dir` (tests and benchmarks).
    pub fn sqlite_in(dir: &Path) -> Self {
        Self::Sqlite(dir.join("ic-server.db"))
    }

    /// How the location may be shown to an operator: a PostgreSQL password is masked.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => mask_password(url),
        }
    }
}

/// `url` with the password of its user-info part replaced by `***`.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The last '@' ends the user info: a password may itself contain '@' unescaped.
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
        None => url.to_owned(),
    }
}

/// `text` (an error message, say) with every occurrence of `url`'s password replaced by `***`,
/// in case a driver quoted it.
pub fn hide_password(text: &str, url: &str) -> String {
    let Some(password) = password_of(url) else {
        return text.to_owned();
    };
    text.replace(url, &mask_password(url))
        .replace(password, "***")
}

/// `url` without its password, and the password (percent-decoded), for a tool that takes the
/// password from its environment.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some(password) = password_of(url) else {
        return (url.to_owned(), None);
    };
    let without = mask_password(url).replacen(":***@", "@", 1);
    (without, Some(percent_decoded(password)))
}

/// `text` with its `%XX` escapes decoded (a URL's user info escapes `@`, `:` and `/`).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The password of `url`'s user-info part, when it has a non-empty one.
fn password_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let (user_info, _) = authority.rsplit_once('@')?;
    let (_, password) = user_info.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_picks_the_backend() {
        let dir = Path::new("/data");
        assert_eq!(
            Location::parse("", "ic-server.db", dir),
            Ok(Location::Sqlite("/data/ic-server.db".into()))
        );
        assert_eq!(
            Location::parse("sqlite://other.db", "ic-server.db", dir),
            Ok(Location::Sqlite("/data/other.db".into()))
        );
        let url = "postgres://ic:secret@db.example:5432/ic";
        assert_eq!(
            Location::parse(url, "x", dir),
            Ok(Location::Postgres(url.into()))
        );
        assert!(Location::parse("postgresql://localhost/ic", "x", dir).is_ok());
        let unknown = Location::parse("mysql://localhost/ic", "x", dir).unwrap_err();
        assert_eq!(unknown.scheme, "mysql");
        assert!(Location::parse("ic.db", "x", dir).is_err());
    }

    #[test]
    fn passwords_are_masked_and_nothing_else_changes() {
        assert_eq!(
            mask_password("postgres://ic:s3cr@t@db:5432/ic?sslmode=require"),
            "postgres://ic:***@db:5432/ic?sslmode=require"
        );
        assert_eq!(mask_password("postgres://ic@db/ic"), "postgres://ic@db/ic");
        assert_eq!(mask_password("postgres://db/ic"), "postgres://db/ic");
        let shown = Location::Postgres("postgres://a:hunter2@h/d".into()).display();
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_password_is_split_off_and_decoded() {
        assert_eq!(
            split_password("postgres://ic:p%40ss%3Aw@db:5432/ic?sslmode=require"),
            (
                "postgres://ic@db:5432/ic?sslmode=require".to_owned(),
                Some("p@ss:w".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://ic@db/ic"),
            ("postgres://ic@db/ic".to_owned(), None)
        );
    }

    #[test]
    fn a_password_quoted_in_an_error_is_hidden() {
        let url = "postgres://ic:s3cr@t@db:5432/ic";
        assert_eq!(
            hide_password(&format!("cannot reach {url}; tried s3cr@t"), url),
            "cannot reach postgres://ic:***@db:5432/ic; tried ***"
        );
        assert_eq!(hide_password("as is", "postgres://ic@db/ic"), "as is");
        assert_eq!(hide_password("as is", "postgres://ic:@db/ic"), "as is");
    }
}
