//! The served transparency-log checkpoint, polled until it is the one a test waits for.

use std::time::{Duration, Instant};

use transparency::{Checkpoint, Note};

use super::Server;

/// Polls `GET /v1/transparency/checkpoint` until `wanted` takes the served note (30 s at most;
/// `what` names it in the failure). Every `200` on the way must be a `text/plain` note holding
/// a checkpoint, every other answer `404 no_checkpoint`.
pub async fn await_checkpoint(
    server: &Server,
    what: &str,
    wanted: impl Fn(&Note, &Checkpoint) -> bool,
) -> (Note, Checkpoint) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = server
            .http
            .get(format!("{}/v1/transparency/checkpoint", server.url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let text = response.text().await.unwrap();
        if status == 200 {
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            let note = Note::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            let checkpoint = Checkpoint::parse(&note.text).unwrap();
            if wanted(&note, &checkpoint) {
                return (note, checkpoint);
            }
        } else {
            assert_eq!(status, 404, "{text}");
            assert!(text.contains("no_checkpoint"), "{text}");
        }
        assert!(Instant::now() < deadline, "no checkpoint {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
