//! The web UI: server-rendered HTML pages under `/ui/`, on the same router and state as the API.
//! Every page works without JavaScript; the one stylesheet is embedded in the binary.

mod admin_roles;
#[cfg(feature = "moderation")]
mod appeals;
mod assets;
#[cfg(feature = "moderation")]
mod audit;
mod dashboard;
mod failure;
mod forms;
mod home;
mod layout;
#[cfg(feature = "ranking")]
mod leaderboard;
#[cfg(feature = "matchmaking")]
mod live;
#[cfg(feature = "moderation")]
mod moderation;
#[cfg(feature = "ranking")]
mod player;
#[cfg(feature = "ranking")]
mod rating_chart;
#[cfg(feature = "moderation")]
mod review;
#[cfg(feature = "relay")]
mod rooms;
mod session;
mod sign_in;
mod staff;
mod text;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

pub use failure::Failure;
pub use session::Staff;

/// What the browser may load on a page: nothing from elsewhere, no inline script or style, and
/// the page may not be framed (clickjacking) or send its address onward (sign-in links carry a
/// token in theirs).
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The `/ui/…` routes of an enabled UI.
pub fn router() -> Router<AppState> {
    let router = Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(home::page))
        .route("/ui/assets/{name}", get(assets::serve))
        .route("/ui/sign-in", get(sign_in::page).post(sign_in::sign_in))
        .route("/ui/sign-out", post(sign_in::sign_out))
        .route("/ui/staff", get(staff::page))
        .route("/ui/admin", get(dashboard::page))
        .route("/ui/admin/outbox/{match_id}/retry", post(dashboard::retry))
        .route(
            "/ui/admin/roles",
            get(admin_roles::page).post(admin_roles::change),
        )
        .route("/ui/{*rest}", get(failure::no_such_page));
    #[cfg(feature = "ranking")]
    let router = router
        .route("/ui/leaderboard", get(leaderboard::page))
        .route("/ui/players/{key}", get(player::page));
    #[cfg(feature = "matchmaking")]
    let router = router.route("/ui/matches", get(live::page));
    #[cfg(feature = "relay")]
    let router = router.route("/ui/rooms", get(rooms::page));
    #[cfg(feature = "moderation")]
    let router = router
        .route("/ui/review", get(review::list))
        .route("/ui/review/next", post(review::next))
        .route("/ui/review/{id}", get(review::case))
        .route("/ui/review/{id}/vote", post(review::vote))
        .route("/ui/moderation/cases", get(moderation::cases))
        .route("/ui/moderation/cases/{id}", get(moderation::case))
        .route("/ui/moderation/cases/{id}/actions", post(moderation::act))
        .route("/ui/moderation/appeals", get(appeals::list))
        .route(
            "/ui/moderation/appeals/{id}/decision",
            post(appeals::decide),
        )
        .route("/ui/admin/audit", get(audit::page));
    router.layer(middleware::from_fn(security_headers))
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages are built per request and may show a signed-in person's view: never cached.
    // Assets set their own (long, immutable) caching before this runs.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
