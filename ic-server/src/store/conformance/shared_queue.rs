//! The shared matchmaking queue's seam on each backend: requests wait in order until the
//! leader saves them applied, one leader at a time, and every listener hears its messages.

use std::time::Duration;

use super::{Fresh, on_each_backend};
use crate::store::shared_queue::{Notification, Notifications};

/// The next notification that is not a request wake-up, waiting at most a few seconds.
async fn next_message(listener: &mut Box<dyn Notifications>) -> String {
    loop {
        let heard = tokio::time::timeout(Duration::from_secs(5), listener.next())
            .await
            .expect("a message within 5 s")
            .unwrap();
        if let Notification::Message(text) = heard {
            return text;
        }
    }
}

async fn requests_wait_in_order_until_the_leader_saves_them(fresh: Fresh) {
    let queue = &fresh.stores.queue;
    for body in ["first", "second", "third"] {
        queue.submit(body).await.unwrap();
    }
    let mut leader = queue
        .try_lead(10)
        .await
        .unwrap()
        .expect("nobody else leads");
    assert_eq!(leader.load().await.unwrap(), None);
    let pending = leader.pending(10).await.unwrap();
    let bodies: Vec<&str> = pending.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, ["first", "second", "third"]);
    assert_eq!(leader.pending(2).await.unwrap().len(), 2);

    leader
        .save(Some("state one"), &[pending[0].seq, pending[1].seq], &[])
        .await
        .unwrap();
    let left = leader.pending(10).await.unwrap();
    assert_eq!(left, vec![pending[2].clone()]);
    assert_eq!(leader.load().await.unwrap().as_deref(), Some("state one"));
    leader.save(Some("state two"), &[], &[]).await.unwrap();
    assert_eq!(leader.load().await.unwrap().as_deref(), Some("state two"));
    // Nothing changed: the requests go, the state stays.
    leader.save(None, &[pending[2].seq], &[]).await.unwrap();
    assert!(leader.pending(10).await.unwrap().is_empty());
    assert_eq!(leader.load().await.unwrap().as_deref(), Some("state two"));

    // The next leader, after a restart (a new handle on the database), resumes from it.
    drop(leader);
    let restarted = fresh.reopen().await;
    let mut next = None;
    for _ in 0..50 {
        next = restarted.queue.try_lead(10).await.unwrap();
        if next.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut next = next.expect("the lead is free once its holder is gone");
    assert_eq!(next.load().await.unwrap().as_deref(), Some("state two"));
}

async fn one_process_leads_at_a_time(fresh: Fresh) {
    let queue = &fresh.stores.queue;
    let leader = queue
        .try_lead(10)
        .await
        .unwrap()
        .expect("nobody else leads");
    assert!(queue.try_lead(10).await.unwrap().is_none());
    if fresh.is_postgres() {
        // A second process on the database does not lead either.
        let other = fresh.reopen().await;
        assert!(other.queue.try_lead(10).await.unwrap().is_none());
    }
    // The lead ends with its holder (on PostgreSQL: its session); the next try gets it.
    drop(leader);
    let mut next = None;
    for _ in 0..50 {
        next = queue.try_lead(10).await.unwrap();
        if next.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut next = next.expect("the lead is free again once its holder is gone");
    next.heartbeat().await.unwrap();
}

async fn every_listener_hears_the_messages_of_a_save_in_order(fresh: Fresh) {
    let queue = &fresh.stores.queue;
    let mut first = queue.listen().await.unwrap();
    let mut second = queue.listen().await.unwrap();
    queue.submit("wake up").await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), first.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard, Notification::Request);

    let mut leader = queue.try_lead(10).await.unwrap().unwrap();
    let messages = ["one".to_owned(), "two".to_owned()];
    leader.save(Some("state"), &[], &messages).await.unwrap();
    for listener in [&mut first, &mut second] {
        assert_eq!(next_message(listener).await, "one");
        assert_eq!(next_message(listener).await, "two");
    }
}

on_each_backend!(
    requests_wait_in_order_until_the_leader_saves_them,
    one_process_leads_at_a_time,
    every_listener_hears_the_messages_of_a_save_in_order,
);
