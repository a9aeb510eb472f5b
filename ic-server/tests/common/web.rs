//! Staff sign-in to the web UI from tests: a login link made on the server host, the session
//! cookie a browser would keep, and pages and forms fetched with it.

use scr::KeyPair;

use super::Server;

/// The sign-in URL `ic-server staff login-link KEY` prints as its last line, pointed at the
/// test server (the configured community address is not where the test server listens).
pub fn operator_login_link(server: &Server, key: &KeyPair) -> String {
    let key = key.public_key().to_string();
    let (code, out, err) = super::cli(&server.data_dir, &["staff", "login-link", &key]);
    assert_eq!(code, 0, "{err}");
    let url = out.lines().last().unwrap();
    let token = url.split("token=").nth(1).unwrap();
    format!("{}/ui/sign-in?token={token}", server.url)
}

/// `ic-server roles grant KEY ROLE` on the server's data directory.
pub fn grant(server: &Server, key: &KeyPair, role: &str) {
    let key = key.public_key().to_string();
    let (code, _, err) = super::cli(&server.data_dir, &["roles", "grant", &key, role]);
    assert_eq!(code, 0, "{err}");
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with a login link as a browser would (GET the link, POST its form); returns the
/// response to the POST.
pub async fn sign_in(server: &Server, link: &str) -> reqwest::Response {
    let token = link.split("token=").nth(1).unwrap().to_owned();
    no_redirects()
        .post(format!("{}/ui/sign-in", server.url))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// The `ic_session=…` pair of a response's `Set-Cookie`.
pub fn session_of(response: &reqwest::Response) -> String {
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

pub async fn get_with(server: &Server, path: &str, cookie: &str) -> (u16, String) {
    let response = no_redirects()
        .get(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

pub async fn post_with(
    server: &Server,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = no_redirects()
        .post(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}
