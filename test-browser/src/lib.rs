//! Headless Chromium for tests: finds (or installs, through `scripts/ensure-chromium`) Debian's
//! `chromium` and `chromium-driver`, starts ChromeDriver and hands out a WebDriver client.
//!
//! One browser runs at a time per test process: two cores cannot start several Chromiums
//! quickly, and browser tests that wait for each other stay well within their timeouts. A
//! missing browser is a test failure with a message saying how to install it, never a skip.
// A test helper: failing loudly is its job. The turn guard is held for the browser's whole life
// on purpose; each test has its own runtime, so only a blocking lock can order them.
#![allow(clippy::expect_used, clippy::panic, clippy::await_holding_lock)]

use std::net::TcpListener;
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Map, Value, json};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A headless Chromium driven over WebDriver; closes and stops its driver when dropped.
pub struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

fn chromium() -> PathBuf {
    std::env::var_os("IC_TEST_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver() -> PathBuf {
    std::env::var_os("IC_TEST_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

fn installed() -> bool {
    chromium().is_file() && chromedriver().is_file()
}

/// Runs the project's install script when the browser is missing; panics with its advice when
/// it is still missing afterwards.
fn ensure_installed() {
    if installed() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-chromium");
    let output = Command::new("bash").arg(&script).output();
    if installed() {
        return;
    }
    let said = output.map_or_else(
        |error| format!("could not run {}: {error}", script.display()),
        |out| String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    panic!(
        "the web UI tests need Chromium and ChromeDriver ({} and {}), and installing them \
         failed: {said}",
        chromium().display(),
        chromedriver().display()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("no free loopback port for ChromeDriver")
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with an empty profile and a 1280×900 window.
    pub async fn start() -> Self {
        Self::start_sized(1280, 900).await
    }

    /// Like [`Browser::start`], with a window of `width`×`height` (Chromium makes windows at
    /// least 500 pixels wide, about a large phone held upright).
    pub async fn start_sized(width: u32, height: u32) -> Self {
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ensure_installed();
        let profile = tempfile::tempdir().expect("no temporary directory for the profile");
        let port = free_port();
        // Its own process group, so that stopping it stops the Chromium it started as well.
        let driver = Command::new(chromedriver())
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ChromeDriver did not start");
        let mut options = Map::new();
        options.insert("binary".into(), json!(chromium()));
        options.insert(
            "args".into(),
            json!([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                // Without these Chromium keeps dialling Google, which this closed network
                // refuses, slowly.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                format!("--user-data-dir={}", profile.path().display()),
                format!("--window-size={width},{height}"),
            ]),
        );
        let mut capabilities = Map::new();
        capabilities.insert("goog:chromeOptions".into(), Value::Object(options));
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("Chromium did not start under ChromeDriver: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Self {
            client,
            driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Saves a PNG of the window as `target/ui-screenshots/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .expect("the browser took no screenshot");
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots");
        std::fs::create_dir_all(&folder).expect("no folder for screenshots");
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot not written");
        path
    }

    /// Clicks the button labelled `label`.
    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space()='{label}']");
        let button = self.client.find(Locator::XPath(&xpath)).await;
        button
            .unwrap_or_else(|error| panic!("no button {label:?}: {error}"))
            .click()
            .await
            .expect("the button did not take the click");
    }

    /// Follows the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        let link = self.client.find(Locator::LinkText(text)).await;
        link.unwrap_or_else(|error| panic!("no link {text:?}: {error}"))
            .click()
            .await
            .expect("the link did not take the click");
    }

    /// Types `text` into the field with id `id`.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await;
        field
            .unwrap_or_else(|error| panic!("no field #{id}: {error}"))
            .send_keys(text)
            .await
            .expect("the field did not take the text");
    }

    /// Picks the option `value` of the select with id `id`.
    pub async fn choose(&self, id: &str, value: &str) {
        let css = format!("select#{id} option[value='{value}']");
        let option = self.client.find(Locator::Css(&css)).await;
        option
            .unwrap_or_else(|error| panic!("no option {value:?} in #{id}: {error}"))
            .click()
            .await
            .expect("the option did not take the click");
    }

    /// Waits (up to the client's default wait) until the page shows an element at `xpath`:
    /// a form's answer arrives after the click returns.
    pub async fn wait_for(&self, xpath: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|error| panic!("the page never showed {xpath}: {error}"))
    }

    /// Ends the browser session and stops the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    fn stop_driver(&mut self) {
        let id = i32::try_from(self.driver.id()).unwrap_or(0);
        if let Some(group) = rustix::process::Pid::from_raw(id) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.driver.wait();
    }
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_driver();
    }
}
