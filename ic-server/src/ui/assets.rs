//! Static files of the UI, embedded in the binary and served under a name that carries a hash
//! of their content, so browsers may cache them forever and still see every new version.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::failure::Failure;

const STYLE: &str = include_str!("assets/style.css");

/// The stylesheet's served name, `style.<first 8 bytes of its SHA-256 in hex>.css`.
pub(super) static STYLE_NAME: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLE.as_bytes());
    format!("style.{}.css", hex::encode(&digest[..8]))
});

/// `GET /ui/assets/{name}`.
pub(super) async fn serve(Path(name): Path<String>) -> Response {
    if name != *STYLE_NAME {
        return Failure::not_found("no such file").into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        STYLE,
    )
        .into_response()
}
