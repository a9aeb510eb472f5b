//! `/ui/`: the community home: who it is, what it runs, its signing keys and how to join.

use axum::extract::State;
use maud::{Markup, html};

use super::layout;
use super::text::date;
use crate::state::AppState;

/// `GET /ui/`.
pub(super) async fn page(State(state): State<AppState>) -> Markup {
    let community = &state.community;
    let capabilities = state.config.capabilities.enabled_names();
    let fingerprint = community.signing_key().fingerprint().to_string();
    let body = html! {
        h1 { (community.name) }
        dl.facts {
            dt { "Address" } dd.key { (community.url) }
            dt { "Fingerprint" } dd.key { (fingerprint) }
            dt { "Recovery key" } dd.key { (community.recovery.fingerprint().to_string()) }
            dt { "Capabilities" }
            dd {
                ul.tags aria-label="Capabilities" {
                    @for name in &capabilities { li { (name) } }
                }
            }
        }
        h2 { "Join" }
        p {
            "Install the " code { "ic" } " command-line client and join with this community's "
            "address and fingerprint; your client pins the key, registers you and keeps your "
            "signed records."
        }
        pre { code { "ic join " (community.url) " --fingerprint " (fingerprint) } }
        h2 { "Signing keys" }
        p.muted {
            "Every record this community issues is signed by one of these keys. A retired key's "
            "records stay valid until its grace ends; an emergency rotation has no grace."
        }
        (signing_keys(&state))
    };
    layout::page(&state, "Home", body)
}

/// The community's signing keys, newest first, with each retired key's grace.
pub(super) fn signing_keys(state: &AppState) -> Markup {
    let signing = state.community.current();
    html! {
    div.table-wrap {
        table {
            thead { tr { th { "Key fingerprint" } th { "Status" } } }
            tbody {
                @for epoch in signing.chain.epochs().iter().rev() {
                    tr {
                        td.key { (scr::PublicKey::fingerprint(&epoch.key.public_key()).to_string()) }
                        td {
                            @match epoch.retired {
                                None => "current",
                                Some(retired) if retired.emergency => {
                                    "retired in an emergency on " (date(retired.effective_at))
                                }
                                Some(retired) => {
                                    "retired on " (date(retired.effective_at))
                                    "; its records are accepted until " (date(retired.grace_until))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    }
}
