//! What taking one report costs as its case grows (issue 24): reports by distinct reporters
//! about one player, 2,000 of them, on SQLite through the moderation store.
//!
//! Two cases grow side by side in one run, a report to each in turn: "now" is what intake does
//! (one reporter record read, the report filed with its severity points), "before" adds what
//! intake did until the change (after filing, every reporter of the case read back and each
//! one's record read to recompute the hint). The table gives the mean time per report at three
//! case sizes and the ratio of the last to the first: about 1 for a constant cost.
//!
//! Run: `cargo bench -p ic-server --bench report_intake` (prints a table).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // benchmark harness

use std::time::{Duration, Instant};

use ic_server::moderation::{CaseState, Category};
use ic_server::store::Location;
use ic_server::store::moderation::{CaseRow, Filed, NewReport, ReportRow};
use scr::PublicKey;

const REPORTS: u32 = 2000;
const BUCKET: u32 = 100;

fn key(n: u32, tag: u8) -> PublicKey {
    let mut bytes = [tag; 32];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    PublicKey::from_bytes(bytes)
}

fn report(n: u32, accused: PublicKey, case: &str) -> NewReport {
    NewReport {
        report: ReportRow {
            report_id: format!("rep_{case}_{n}"),
            case_id: String::new(),
            reporter: key(n, 1),
            category: Category::Griefing,
            note: "blocked our base".into(),
            created_at: 1_800_000_000,
            upheld: None,
        },
        evidence: Vec::new(),
        new_case: CaseRow {
            case_id: case.to_owned(),
            category: Category::Griefing,
            state: CaseState::Queued,
            created_at: 1_800_000_000,
            updated_at: 1_800_000_000,
            closed_at: None,
            severity_hint: 30,
            accused,
            required_reviewers: 3,
            telemetry_summary: None,
            anti_cheat_summary: None,
        },
        match_players: Vec::new(),
        severity_points: 10,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let stores = ic_server::store::open(&Location::sqlite_in(dir.path()), None)
        .await
        .unwrap();
    let store = stores.moderation.clone();
    let (now_accused, before_accused) = (key(0, 7), key(0, 8));
    let mut now_times = Vec::new();
    let mut before_times = Vec::new();
    for n in 0..REPORTS {
        let start = Instant::now();
        store.reporter_record(&key(n, 1)).await.unwrap();
        let filed = store
            .file_report(&report(n, now_accused, "case_now"))
            .await
            .unwrap();
        assert!(matches!(filed, Filed::Joined { .. }));
        now_times.push(start.elapsed());

        let start = Instant::now();
        store
            .file_report(&report(n, before_accused, "case_before"))
            .await
            .unwrap();
        for earlier in store.reports("case_before").await.unwrap() {
            store.reporter_record(&earlier.reporter).await.unwrap();
        }
        before_times.push(start.elapsed());
    }
    let mean = |times: &[Duration], from: u32| {
        let slice = &times[from as usize..(from + BUCKET) as usize];
        slice.iter().sum::<Duration>().as_secs_f64() * 1000.0 / f64::from(BUCKET)
    };
    println!("| reports already on the case | now, ms per report | before, ms per report |");
    println!("|---|---|---|");
    let buckets = [0, REPORTS / 2 - BUCKET, REPORTS - BUCKET];
    for from in buckets {
        println!(
            "| {from}-{} | {:.3} | {:.3} |",
            from + BUCKET - 1,
            mean(&now_times, from),
            mean(&before_times, from)
        );
    }
    let last = REPORTS - BUCKET;
    println!(
        "| ratio last/first | {:.2} | {:.2} |",
        mean(&now_times, last) / mean(&now_times, 0),
        mean(&before_times, last) / mean(&before_times, 0)
    );
}
