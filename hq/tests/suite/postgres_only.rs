//! What only the PostgreSQL backend does: a pull-only sync reads the log in a snapshot and
//! never waits for a push in progress, and a push waits only for pushes of the same case
//! (SQLite has one writer, so there both wait by design); a database error carries its whole
//! cause without the rows' values; an instance opens no more connections than it is given; a
//! push whose pulls fail once it is committed is acknowledged all the same.

use fieldhq::Role;
use std::time::Duration;

use crate::common::{Backend, TestDevice, TestHq};

/// How long an empty sync may take while another transaction holds the log lock before the
/// test calls it stuck: far above an empty sync's milliseconds, far below a test timeout.
const STUCK: Duration = Duration::from_secs(20);

/// The one push of `reply` was applied.
fn assert_applied(reply: &fieldcore::SyncResponse, what: &str) {
    assert!(
        matches!(reply.acks.as_slice(), [fieldcore::AckOutcome::Applied]),
        "{what}: {:?}",
        reply.acks
    );
}

/// The log lock as a writer's tail holds it.
const LOG_LOCK: &str = "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE";

/// A connection of the test's own to HQ's schema, inside a transaction that ran `lock` (one
/// statement taking a lock), with the task driving it; `ROLLBACK` lets the lock go.
async fn holding(
    hq: &TestHq,
    lock: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
    let url = hq.config.database_url.clone().expect("a PostgreSQL HQ");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    client.batch_execute("BEGIN").await.unwrap();
    client.execute(lock, params).await.unwrap();
    (client, driver)
}

/// Waits, within [`STUCK`], until `count` (a `SELECT count(*)` on `client`) is above zero:
/// PostgreSQL's own view of who waits for what, asked again and again rather than slept on.
async fn until_counted(
    client: &tokio_postgres::Client,
    count: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<(), tokio::time::error::Elapsed> {
    tokio::time::timeout(STUCK, async {
        while client
            .query_one(count, params)
            .await
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            tokio::task::yield_now().await;
        }
    })
    .await
}

/// An engineer's phone with a case of its own synced, and an HQ desk that holds it.
async fn phone_and_desk(hq: &TestHq) -> (TestDevice, TestDevice, uuid::Uuid) {
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(hq).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(hq).await;
    assert!(desk.docs.contains_key(&case));
    (phone, desk, case)
}

/// The texts of a case's notes as `device` holds the case.
fn note_texts(device: &TestDevice, case: uuid::Uuid) -> Vec<String> {
    device
        .view(case)
        .notes
        .into_iter()
        .map(|n| n.body.text)
        .collect()
}

pub async fn an_empty_sync_does_not_wait_for_a_push_in_progress() {
    let hq = TestHq::start(Backend::Postgres).await;
    let (mut phone, mut desk, case) = phone_and_desk(&hq).await;

    // A push's tail holds the log lock until its commit: hold it the same way from a
    // connection of our own.
    let (client, driver) = holding(&hq, LOG_LOCK, &[]).await;

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
    assert_applied(&pushed, "the push waited for the lock and then applied");
    drop(client);
    let _ = driver.await;

    // The change pushed meanwhile reaches the desk at its next sync: nothing skipped.
    desk.sync(&hq).await;
    let notes = note_texts(&desk, case);
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

pub async fn a_push_waits_only_for_a_push_of_the_same_case() {
    let hq = TestHq::start(Backend::Postgres).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let pump = wang.register();
    wang.sync(&hq).await;
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    let motor = zhao.register();
    zhao.sync(&hq).await;

    // A push of the pump's case in its long part (reading, checking, writing its bytes) holds
    // the case's lock and not the log's: hold it the same way from a connection of our own.
    let key = fieldhq::storage::postgres::case_lock_key(pump);
    let (client, driver) = holding(
        &hq,
        "SELECT pg_advisory_xact_lock(hashtext(current_schema()), $1)",
        &[&key],
    )
    .await;

    // Another case's push goes through meanwhile.
    zhao.note(motor, "the winding smells burnt");
    let other = tokio::time::timeout(STUCK, zhao.sync_once(&hq))
        .await
        .expect("a push of another case waited for the pump's");
    assert_applied(&other, "the push of another case");

    // A second push of the pump's case waits for the first: PostgreSQL shows it waiting on
    // that very lock; once the lock goes, it applies.
    wang.note(pump, "the impeller is cracked");
    let same = wang.sync_once(&hq);
    let watch_then_release = async {
        let waiting = until_counted(
            &client,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND objsubid = 2 AND NOT granted AND objid = $1::int4::oid",
            &[&key],
        )
        .await;
        client.batch_execute("ROLLBACK").await.unwrap();
        waiting.expect("the second push of the pump's case never waited for the first")
    };
    let (pushed, ()) = tokio::join!(same, watch_then_release);
    assert_applied(
        &pushed,
        "the second push of the pump's case, once the lock went",
    );
    drop(client);
    let _ = driver.await;

    // Both notes are at HQ, each once.
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    for (case, note) in [
        (pump, "the impeller is cracked"),
        (motor, "the winding smells burnt"),
    ] {
        let notes = note_texts(&desk, case);
        assert_eq!(
            notes.iter().filter(|n| *n == note).count(),
            1,
            "{case}: {notes:?}"
        );
    }
}

pub async fn a_big_push_writes_its_bytes_before_the_log_lock() {
    let hq = TestHq::start(Backend::Postgres).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    // Notes of letters at random (what a device pushes, not what compresses well), 1.3 MB in
    // all: past the size from which a request's bytes are staged.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..160 {
        let text: String = (0..8000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'a' + (state % 26) as u8)
            })
            .collect();
        phone.note(case, &text);
    }

    // Another writer's tail holds the log lock: hold it the same way from our own connection.
    let (client, driver) = holding(&hq, LOG_LOCK, &[]).await;
    let push = phone.sync_once(&hq);
    // Once the push waits for the log lock, its bytes are in the table already (uncommitted,
    // so only the table's size shows them).
    let watch_then_release = async {
        let waiting = until_counted(
            &client,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' \
             AND NOT granted AND transactionid = xid(pg_current_xact_id())",
            &[],
        )
        .await;
        let staged = client
            .query_one("SELECT pg_total_relation_size('change_bodies')", &[])
            .await
            .unwrap()
            .get::<_, i64>(0);
        client.batch_execute("ROLLBACK").await.unwrap();
        waiting.expect("the push never waited for the log lock");
        staged
    };
    let (pushed, staged) = tokio::join!(push, watch_then_release);
    assert!(
        staged > 1_000_000,
        "{staged} bytes staged before the log lock"
    );
    assert_applied(&pushed, "the big push, once the log lock went");
    drop(client);
    let _ = driver.await;

    // The log rows carry no bytes of their own; every reader finds them.
    let bodies = hq.count("SELECT COUNT(*) FROM change_bodies").await;
    assert!(bodies >= 160, "{bodies}");
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM changes WHERE bytes IS NULL")
            .await,
        bodies
    );
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert_eq!(desk.heads(case), phone.heads(case), "the desk has it whole");
    assert_eq!(desk.view(case).notes.len(), 160);
}

pub async fn an_instance_keeps_to_its_database_connections() {
    let hq = TestHq::start_configured(Backend::Postgres, |config| {
        config.database_connections = 2;
    })
    .await;
    let mut phones = Vec::new();
    for name in ["wang", "zhao", "liu"] {
        let mut phone = hq.person(name, Role::Engineer, None).await;
        let case = phone.register();
        phone.sync(&hq).await;
        phones.push((phone, case));
    }

    // Three pushes of three cases whose locks the test holds: two take HQ's two connections
    // and wait inside PostgreSQL; the third waits for a connection, not for a third one.
    let keys: Vec<i32> = phones
        .iter()
        .map(|(_, case)| fieldhq::storage::postgres::case_lock_key(*case))
        .collect();
    let (client, driver) = holding(
        &hq,
        "SELECT pg_advisory_xact_lock(hashtext(current_schema()), k) FROM unnest($1::int4[]) AS k",
        &[&keys],
    )
    .await;
    let pushes = phones.iter_mut().map(|(phone, case)| {
        phone.note(*case, "the bearing hums at full load");
        phone.sync_once(&hq)
    });
    let watch_then_release = async {
        let in_database = until_counted(
            &client,
            "SELECT (count(*) = 2)::int::int8 FROM pg_locks WHERE locktype = 'advisory' \
             AND objsubid = 2 AND NOT granted AND objid = ANY($1::int4[]::oid[])",
            &[&keys],
        )
        .await;
        let waiting = tokio::time::timeout(STUCK, async {
            while hq.storage().connection_use().map(|u| u.waiting) != Some(1) {
                tokio::task::yield_now().await;
            }
        })
        .await;
        let seen = hq.storage().connection_use();
        client.batch_execute("ROLLBACK").await.unwrap();
        in_database.expect("two pushes never waited inside PostgreSQL");
        waiting.expect("the third push never waited for a connection");
        seen
    };
    let (replies, seen) = tokio::join!(futures::future::join_all(pushes), watch_then_release);
    assert_eq!(
        seen,
        Some(fieldhq::ConnectionUse {
            open: 2,
            max: 2,
            waiting: 1
        })
    );
    for reply in &replies {
        assert_applied(reply, "a push that waited for a connection or a lock");
    }
    drop(client);
    let _ = driver.await;
}

pub async fn a_push_whose_pulls_fail_after_its_commit_is_still_acknowledged() {
    let hq = TestHq::start(Backend::Postgres).await;
    let (mut phone, mut desk, pump) = phone_and_desk(&hq).await;
    // A case the desk does not hold yet: its next sync pulls it whole and records that the
    // desk holds it, after the desk's own push has committed.
    let motor = phone.register();
    phone.sync(&hq).await;

    // Our own transaction records the desk as holding the motor's case first (from a point
    // past any cursor, so it stays "not held"), and commits while the desk's pulls wait for
    // that row: their snapshot then cannot write it, as when two requests of one device race.
    let (client, driver) = holding(
        &hq,
        "INSERT INTO device_cases (device_id, case_id, since_seq) VALUES ($1, $2, $3)",
        &[&desk.device_id, &motor, &i64::MAX],
    )
    .await;
    desk.note(pump, "customer agrees to a site visit on Friday");
    let cursor = desk.cursor;
    let push = desk.sync_once(&hq);
    let watch_then_commit = async {
        let waiting = until_counted(
            &client,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted \
             AND transactionid = pg_current_xact_id()::text::xid",
            &[],
        )
        .await;
        client.batch_execute("COMMIT").await.unwrap();
        waiting.expect("the desk's pulls never waited for the row");
    };
    let (reply, ()) = tokio::join!(push, watch_then_commit);
    drop(client);
    let _ = driver.await;

    // The push is acknowledged (it is committed); the pulls come at once in the next round.
    assert_applied(&reply, "the push whose pulls failed");
    assert!(reply.pulls.is_empty(), "{} pulls", reply.pulls.len());
    assert!(reply.more, "the device is told to ask again");
    assert_eq!(reply.cursor, cursor, "the cursor stays where it was");
    desk.sync(&hq).await;
    assert!(desk.docs.contains_key(&motor), "the motor's case arrives");
    phone.sync(&hq).await;
    let notes = note_texts(&phone, pump);
    assert_eq!(
        notes
            .iter()
            .filter(|n| *n == "customer agrees to a site visit on Friday")
            .count(),
        1,
        "{notes:?}"
    );
}
