//! What only the PostgreSQL backend does: a pull-only sync reads the log in a snapshot and
//! never waits for a push in progress (SQLite has one writer, so there an empty sync waits by
//! design), and a database error carries its whole cause without the rows' values.

use fieldhq::Role;
use std::time::Duration;

use crate::common::{Backend, TestHq};

/// How long an empty sync may take while another transaction holds the log lock before the
/// test calls it stuck: far above an empty sync's milliseconds, far below a test timeout.
const STUCK: Duration = Duration::from_secs(20);

pub async fn an_empty_sync_does_not_wait_for_a_push_in_progress() {
    let hq = TestHq::start(Backend::Postgres).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert!(desk.docs.contains_key(&case));

    // A push in progress holds the log lock from its first statement to its commit: hold it
    // the same way from a connection of our own.
    let url = hq.config.database_url.clone().expect("a PostgreSQL HQ");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    client
        .query_one(
            "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
            &[],
        )
        .await
        .unwrap();

    phone.note(case, "the bearing is worn");
    let push = phone.sync_once(&hq);
    let empty_sync_then_release = async {
        let reply = tokio::time::timeout(STUCK, desk.sync_once(&hq))
            .await
            .expect("an empty sync waited for the push in progress");
        assert!(
            reply.pulls.is_empty(),
            "nothing uncommitted is pulled: {:?}",
            reply.pulls.len()
        );
        client.batch_execute("ROLLBACK").await.unwrap();
    };
    let (pushed, ()) = tokio::join!(push, empty_sync_then_release);
    assert!(
        matches!(pushed.acks.as_slice(), [fieldcore::AckOutcome::Applied]),
        "the push waited for the lock and then applied: {:?}",
        pushed.acks
    );
    drop(client);
    let _ = driver.await;

    // The change pushed meanwhile reaches the desk at its next sync: nothing skipped.
    desk.sync(&hq).await;
    let notes: Vec<String> = desk
        .view(case)
        .notes
        .into_iter()
        .map(|n| n.body.text)
        .collect();
    assert!(
        notes.iter().any(|n| n == "the bearing is worn"),
        "the note pushed while the desk synced arrives: {notes:?}"
    );
}

pub async fn a_database_error_names_its_cause_but_no_values() {
    let hq = TestHq::start(Backend::Postgres).await;
    let error = hq
        .storage()
        .execute_raw("INSERT INTO counters (name, value) VALUES ('seq', 7)")
        .await
        .expect_err("the counter exists already");
    let text = error.to_string();
    assert!(text.contains("SQLSTATE 23505"), "{text}");
    assert!(text.contains("constraint: "), "{text}");
    assert!(text.contains("Key (name)=(…)"), "{text}");
    assert!(!text.contains("=(seq)"), "{text}");
}
