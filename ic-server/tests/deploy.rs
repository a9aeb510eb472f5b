//! The files of `deploy/` are checked against the code: every profile validates, every metric a
//! dashboard panel or an alert queries is exported by running servers, the systemd unit passes
//! `systemd-analyze`, and the compose file, Dockerfile and Prometheus/Grafana wiring agree on
//! images, ports and paths.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use yaml_rust2::{Yaml, YamlLoader};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(deploy().join(relative))
        .unwrap_or_else(|e| panic!("deploy/{relative}: {e}"))
}

/// The strings of a YAML list.
fn strings(list: &Yaml) -> Vec<&str> {
    list.as_vec()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect()
}

fn yaml(relative: &str) -> Yaml {
    YamlLoader::load_from_str(&read(relative))
        .unwrap_or_else(|e| panic!("deploy/{relative} is not YAML: {e}"))
        .remove(0)
}

#[test]
fn every_profile_is_a_valid_config_without_warnings() {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(deploy().join("profiles")).unwrap() {
        let path = entry.unwrap().path();
        names.insert(path.file_name().unwrap().to_string_lossy().into_owned());
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(binary())
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--config")
            .arg(&path)
            .args(["config", "validate"])
            .env_remove("IC_DATA_DIR")
            .env_remove("IC_CONFIG")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{}: {text}", path.display());
        assert!(text.contains("(0 warnings)"), "{}: {text}", path.display());
    }
    let expected: BTreeSet<String> = [
        "casual-community.toml",
        "competitive-league.toml",
        "tournament-lan.toml",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, expected);
}

/// The `ic_…` metric names in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts_word && expr[i..].starts_with("ic_") {
            let end = expr[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(expr.len(), |n| i + n);
            names.push(expr[i..end].to_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    names
}

/// Every expression of the dashboard's panels and of the alert rules.
fn queried_expressions() -> Vec<String> {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("grafana/dashboards/ic-server.json")).unwrap();
    let mut exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect();
    let panels = exprs.len();
    assert!(panels >= 10, "the dashboard has {panels} queries");
    let alerts = yaml("prometheus/alerts.yml");
    for group in alerts["groups"].as_vec().unwrap() {
        for rule in group["rules"].as_vec().unwrap() {
            assert!(rule["alert"].as_str().is_some(), "a rule without a name");
            exprs.push(rule["expr"].as_str().unwrap().to_owned());
        }
    }
    assert!(exprs.len() >= panels + 6, "too few alert rules");
    exprs
}

/// The names of the samples a `/metrics` exposition carries.
async fn exported(server: &Server) -> BTreeSet<String> {
    server
        .metrics_text()
        .await
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_alerts_query_only_metrics_that_servers_export() {
    // Every capability on, with a little traffic so that labelled series exist: registrations,
    // a certified result, a refused one.
    let dir = tempfile::tempdir().unwrap();
    let community = Server::start(
        dir.path(),
        &format!("{TEST_LIMITS}[capabilities]\npreset = \"competitive\"\n"),
    );
    let (a, b) = (player(1), player(2));
    community.register(&a).await;
    community.register(&b).await;
    let cmr = duel(
        &community.relay_key(),
        community.community_key().await,
        &a,
        &b,
        1,
    );
    assert_eq!(community.post_bytes("/v1/matches", cmr).await.0, 201);
    assert_eq!(
        community.post_bytes("/v1/matches", vec![1, 2, 3]).await.0,
        400
    );
    // A relay process that sends its results to that community has the outbox metrics.
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Server::start(
        relay_dir.path(),
        &format!(
            "{TEST_LIMITS}[capabilities]\npreset = \"minimal\"\n[relay]\ncommunity_url = \"{}\"\n",
            community.url
        ),
    );
    // The matchmaker sets its queue gauges once it leads (within a second or two).
    let mut names = BTreeSet::new();
    for _ in 0..50 {
        names = exported(&community).await;
        if names.contains("ic_matchmaking_queued_players") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    names.extend(exported(&relay).await);

    let mut missing = BTreeSet::new();
    let mut checked = 0;
    for expr in queried_expressions() {
        for name in metric_names(&expr) {
            checked += 1;
            if !names.contains(&name) {
                missing.insert(name);
            }
        }
    }
    assert!(checked > 20, "only {checked} metric references found");
    assert!(
        missing.is_empty(),
        "queried but not exported: {missing:?}\nexported: {names:?}"
    );
}

#[test]
fn metric_names_are_found_in_promql_but_not_in_labels_or_functions() {
    assert_eq!(
        metric_names(
            "histogram_quantile(0.99, sum by (le, route) (rate(ic_http_request_duration_seconds_bucket[5m])))"
        ),
        ["ic_http_request_duration_seconds_bucket"]
    );
    assert_eq!(
        metric_names("ic_a / ic_b{x=\"ic_c\"} > 0.9 and topic_d"),
        ["ic_a", "ic_b", "ic_c"]
    );
}

#[test]
fn the_systemd_unit_is_hardened_and_passes_systemd_analyze() {
    let unit = read("systemd/ic-server.service");
    for directive in [
        "User=ic-server",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/ic-server/data",
        "NoNewPrivileges=true",
        "CapabilityBoundingSet=\n",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.contains(directive), "the unit lacks {directive:?}");
    }
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("systemd-analyze is not installed: only the directives were checked");
        return;
    };
    // The unit names the installed binary; verify it against the one just built.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ic-server.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/ic-server", binary())).unwrap();
    let out = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&analyze)
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|line| {
            line.split("Overall exposure level for ic-server.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {text}"));
    assert!(exposure <= 2.0, "exposure {exposure}: {text}");
}

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        })
        .ok_or(())
}

#[test]
fn compose_dockerfile_and_monitoring_agree_on_images_ports_and_paths() {
    let compose = yaml("compose.yaml");
    let services = &compose["services"];
    for name in ["ic-server", "postgres", "prometheus", "grafana"] {
        assert!(!services[name].is_badvalue(), "compose lacks {name}");
    }
    // Pinned images, PostgreSQL 15 or newer as the operator guide requires.
    for name in ["postgres", "prometheus", "grafana"] {
        let image = services[name]["image"].as_str().unwrap();
        let (_, tag) = image.rsplit_once(':').expect("an image tag");
        assert!(tag != "latest" && !tag.is_empty(), "{name}: {image}");
    }
    let postgres = services["postgres"]["image"].as_str().unwrap();
    let major: u32 = postgres
        .rsplit_once(':')
        .unwrap()
        .1
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(major >= 15, "{postgres}");
    // The documented ports: API 19710/tcp, relay 19711/udp.
    let ports = strings(&services["ic-server"]["ports"]);
    assert_eq!(ports, ["19710:19710", "19711:19711/udp"]);
    let storage = services["ic-server"]["environment"]["IC_STORAGE_URL"]
        .as_str()
        .unwrap();
    assert!(storage.starts_with("postgres://") && storage.contains("@postgres:5432/"));
    assert_eq!(
        services["ic-server"]["build"]["dockerfile"].as_str(),
        Some("deploy/Dockerfile")
    );

    let dockerfile = read("Dockerfile");
    for needed in [
        "EXPOSE 19710/tcp 19711/udp",
        "VOLUME [\"/data\"]",
        "http://127.0.0.1:19710/ready",
        "HEALTHCHECK",
        "AS build",
    ] {
        assert!(
            dockerfile.contains(needed),
            "the Dockerfile lacks {needed:?}"
        );
    }
    let user = dockerfile
        .lines()
        .filter_map(|line| line.strip_prefix("USER "))
        .next_back()
        .expect("the Dockerfile names a user");
    assert_ne!(user.trim(), "root");

    // Prometheus scrapes the compose service on the API port and loads the mounted rules.
    let prometheus = yaml("prometheus/prometheus.yml");
    let targets = &prometheus["scrape_configs"][0]["static_configs"][0]["targets"];
    assert_eq!(targets[0].as_str(), Some("ic-server:19710"));
    let rules = prometheus["rule_files"][0].as_str().unwrap();
    let mounts = strings(&services["prometheus"]["volumes"]);
    assert!(
        mounts.contains(&format!("./prometheus/alerts.yml:{rules}:ro").as_str()),
        "{mounts:?}"
    );
    // Grafana reads Prometheus by its compose name and the dashboards where compose mounts them.
    let source = yaml("grafana/provisioning/datasources/prometheus.yaml");
    assert_eq!(
        source["datasources"][0]["url"].as_str(),
        Some("http://prometheus:9090")
    );
    let provider = yaml("grafana/provisioning/dashboards/ic-server.yaml");
    let path = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let grafana_mounts = strings(&services["grafana"]["volumes"]);
    assert!(
        grafana_mounts.contains(&format!("./grafana/dashboards:{path}:ro").as_str()),
        "{grafana_mounts:?}"
    );
}
