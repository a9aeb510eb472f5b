//! The page shell every UI page shares: head, site navigation, main landmark, footer.
//! Only links to capabilities this server runs are shown.

use maud::{DOCTYPE, Markup, html};

use super::assets::STYLE_NAME;
use crate::config::Capability;
use crate::state::AppState;

/// A full page for `state`'s community, titled `title`.
pub fn page(state: &AppState, title: &str, body: Markup) -> Markup {
    let capabilities = &state.config.capabilities;
    let links: Vec<(&str, &str)> = [
        (true, "/ui/", "Home"),
        (
            cfg!(feature = "ranking") && capabilities.enabled(Capability::Ranking),
            "/ui/leaderboard",
            "Leaderboard",
        ),
        (
            cfg!(feature = "matchmaking") && capabilities.enabled(Capability::Matchmaking),
            "/ui/matches",
            "Live matches",
        ),
        (
            cfg!(feature = "relay") && capabilities.enabled(Capability::Relay),
            "/ui/rooms",
            "Open rooms",
        ),
        (true, "/ui/staff", "Staff"),
    ]
    .into_iter()
    .filter_map(|(shown, href, label)| shown.then_some((href, label)))
    .collect();
    shell(&state.community.name, title, &links, body)
}

/// A page without a community at hand (error pages): the same shell, generic navigation.
pub fn bare(title: &str, body: Markup) -> Markup {
    shell("Community", title, &[("/ui/", "Home")], body)
}

fn shell(community: &str, title: &str, links: &[(&str, &str)], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (community) }
                link rel="stylesheet" href={ "/ui/assets/" (*STYLE_NAME) };
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    nav aria-label="Site" {
                        a.name href="/ui/" { (community) }
                        @for (href, label) in links {
                            a href=(href) { (label) }
                        }
                    }
                }
                main #main { (body) }
                footer.site {
                    "ic-server " (env!("CARGO_PKG_VERSION")) " · "
                    a href="/.well-known/ic-community" { "community document" } " · "
                    a href="/openapi.json" { "API" }
                }
            }
        }
    }
}
