//! Three `fieldhq serve` processes on one PostgreSQL database, as a company runs HQ behind a
//! load balancer (issue 16): engineers' devices send each sync to an instance picked at
//! random and HQ staff change the same cases meanwhile. Every device and HQ end with the same
//! cases, the case numbers are unique and gap-free, the read model equals a rebuild, and an
//! instance killed while it holds a device's push loses nothing: the device's next sync,
//! through another instance, brings it all exactly once. Needs FIELDHQ_TEST_PG_URL (set by
//! tests/run.sh).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ServedBinary, fieldhq_command, fresh_schema_url};
use fieldcore::{CancelToken, CaseView, Command, Store, SyncConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// Engineers syncing at the same time, the cases each registers, and their sync rounds.
const ENGINEERS: usize = 4;
const CASES_EACH: usize = 5;
const ROUNDS: usize = 4;

/// Adds `user` with `role` and enrols a device: its token.
fn enrol(data: &Path, url: &str, user: &str, role: &str) -> String {
    let added = fieldhq_command(data)
        .args(["--database-url", url, "user", "add", user, "--role", role])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let enrolled = fieldhq_command(data)
        .args(["--database-url", url, "device", "enrol", user])
        .output()
        .unwrap();
    assert!(enrolled.status.success(), "{enrolled:?}");
    String::from_utf8(enrolled.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("token").map(|t| t.trim().to_owned()))
        .unwrap()
}

fn config(url: &str, token: &str) -> SyncConfig {
    let mut config = SyncConfig::new(url, token);
    config.initial_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(200);
    config.max_attempts = 4;
    // Small requests: a device's sync takes several rounds, so rounds of one sync meet
    // different instances' transactions.
    config.max_push_bytes = 16 * 1024;
    config
}

fn sync(store: &mut Store, url: &str, token: &str) -> fieldcore::Result<fieldcore::SyncReport> {
    store.sync(&config(url, token), &mut |_| {}, &CancelToken::new())
}

fn notes(view: &CaseView) -> BTreeSet<String> {
    view.notes.iter().map(|n| n.body.text.clone()).collect()
}

/// Runs SQL on the test's schema.
struct Db {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Db {
    fn connect(url: &str) -> Db {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (client, connection) = runtime
            .block_on(tokio_postgres::connect(url, tokio_postgres::NoTls))
            .unwrap();
        runtime.spawn(connection);
        Db { runtime, client }
    }

    fn text(&self, sql: &str) -> String {
        self.runtime
            .block_on(self.client.query_one(sql, &[]))
            .unwrap()
            .get::<_, Option<String>>(0)
            .unwrap_or_default()
    }

    fn execute(&self, sql: &str) {
        self.runtime
            .block_on(self.client.batch_execute(sql))
            .unwrap();
    }

    /// The read model's rows, as JSON text in case order.
    fn read_model(&self) -> String {
        ["case_index", "case_report"]
            .iter()
            .map(|table| {
                self.text(&format!(
                    "SELECT json_agg(t ORDER BY t.case_id)::text FROM {table} t"
                ))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every case number, by month: each month's must run 1..=n with none twice.
    fn numbers_by_month(&self) -> BTreeMap<String, Vec<u32>> {
        let all = self.text(
            "SELECT string_agg(number, ',' ORDER BY number) FROM cases WHERE number IS NOT NULL",
        );
        let mut months: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for number in all.split(',').filter(|n| !n.is_empty()) {
            let (month, n) = number.rsplit_once('-').unwrap();
            months
                .entry(month.to_owned())
                .or_default()
                .push(n.parse().unwrap());
        }
        months
    }
}

fn assert_gap_free(db: &Db, cases: usize) {
    let months = db.numbers_by_month();
    let mut total = 0;
    for (month, mut numbers) in months {
        numbers.sort_unstable();
        let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
        assert_eq!(numbers, expected, "month {month}: unique and gap-free");
        total += numbers.len();
    }
    assert_eq!(total, cases, "every case numbered once");
}

fn assert_read_model_equals_a_rebuild(db: &Db, data: &Path, url: &str) {
    let before = db.read_model();
    let rebuilt = fieldhq_command(data)
        .args(["--database-url", url, "reindex"])
        .output()
        .unwrap();
    assert!(rebuilt.status.success(), "{rebuilt:?}");
    assert_eq!(db.read_model(), before, "the read model equals a rebuild");
}

#[test]
fn three_instances_on_one_postgresql_serve_devices_as_one_hq() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fresh_schema_url());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tokens: Vec<String> = (0..ENGINEERS)
        .map(|i| enrol(&data, &url, &format!("engineer{i}"), "engineer"))
        .collect();
    let desk_token = enrol(&data, &url, "li", "hq_staff");
    // Each instance with its share of the database's connections, as docs/operations.md
    // advises for several instances.
    let mut instances: Vec<Option<ServedBinary>> = (0..3)
        .map(|_| {
            Some(ServedBinary::start(
                &data,
                "info",
                &["--database-url", &url, "--database-connections", "3"],
            ))
        })
        .collect();
    let urls: Vec<String> = instances
        .iter()
        .map(|i| i.as_ref().unwrap().url.clone())
        .collect();

    // Engineers register cases and add notes offline, syncing each round through an
    // instance picked at random, all at the same time.
    let devices: Vec<(Store, Vec<Uuid>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(e, token)| {
                let urls = &urls;
                let path = dir.path().join(format!("engineer{e}.db"));
                scope.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(e as u64);
                    let mut store = Store::open(path, &format!("engineer{e}")).unwrap();
                    let cases: Vec<Uuid> = (0..CASES_EACH)
                        .map(|c| {
                            let serial = format!("M2406-{e}{c:04}");
                            store
                                .register(&fieldcore::testing::registration_for(&serial))
                                .unwrap()
                                .id
                        })
                        .collect();
                    for round in 0..ROUNDS {
                        for (c, id) in cases.iter().enumerate() {
                            let text = format!("engineer{e} case {c} round {round}");
                            store.execute(*id, &Command::AddNote { text }).unwrap();
                        }
                        let via = &urls[rng.random_range(0..urls.len())];
                        sync(&mut store, via, token).unwrap();
                    }
                    (store, cases)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut devices = devices;

    // HQ staff pull every case through one instance and add a note to each through another.
    let mut desk = Store::open(dir.path().join("desk.db"), "li").unwrap();
    sync(&mut desk, &urls[0], &desk_token).unwrap();
    for (_, cases) in &devices {
        for id in cases {
            desk.execute(
                *id,
                &Command::AddNote {
                    text: format!("HQ checked {id}"),
                },
            )
            .unwrap();
        }
    }
    sync(&mut desk, &urls[1], &desk_token).unwrap();
    for (e, (store, _)) in devices.iter_mut().enumerate() {
        sync(store, &urls[(e + 2) % urls.len()], &tokens[e]).unwrap();
    }
    sync(&mut desk, &urls[2], &desk_token).unwrap();

    // Everyone ends with the same notes on every case, and every case has its number.
    for (e, (store, cases)) in devices.iter_mut().enumerate() {
        for (c, id) in cases.iter().enumerate() {
            let mut expected: BTreeSet<String> = (0..ROUNDS)
                .map(|round| format!("engineer{e} case {c} round {round}"))
                .collect();
            expected.insert(format!("HQ checked {id}"));
            let on_device = store.case(*id).unwrap();
            let at_desk = desk.case(*id).unwrap();
            assert_eq!(notes(&on_device), expected, "engineer{e}'s case {c}");
            assert_eq!(
                notes(&at_desk),
                expected,
                "HQ's copy of engineer{e}'s case {c}"
            );
            assert!(on_device.number.is_some(), "numbered: {id}");
            assert_eq!(on_device.number, at_desk.number);
        }
    }
    let db = Db::connect(&url);
    assert_gap_free(&db, ENGINEERS * CASES_EACH);
    assert_read_model_equals_a_rebuild(&db, &data, &url);

    // A device that changes instances makes the one it comes back to catch its copy up: the
    // first instance holds engineer1's case from the first note, the second writes the case,
    // and the first catches up for the third note — and says so in its log line.
    let (store, cases) = &mut devices[1];
    for (round, via) in [&urls[0], &urls[1], &urls[0]].into_iter().enumerate() {
        let text = format!("engineer1 back at the pump, visit {round}");
        store.execute(cases[0], &Command::AddNote { text }).unwrap();
        sync(store, via, &tokens[1]).unwrap();
    }

    // An instance killed while it holds a device's push: hold the log lock so the push waits
    // inside its transaction, see it waiting on our transaction, kill the instance.
    let (store, cases) = &mut devices[0];
    let late: Vec<Uuid> = (0..3)
        .map(|c| {
            store
                .register(&fieldcore::testing::registration_for(&format!(
                    "M2406-9{c:04}"
                )))
                .unwrap()
                .id
        })
        .collect();
    db.execute("BEGIN");
    let holder = db.text("SELECT value::text FROM counters WHERE name = 'seq' FOR UPDATE");
    assert!(!holder.is_empty());
    let xid = db.text("SELECT txid_current()::text");
    let victim = instances[2].take().unwrap();
    let victim_url = victim.url.clone();
    let failed = std::thread::scope(|scope| {
        let pushing = scope.spawn(|| sync(store, &victim_url, &tokens[0]));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let waiting = db.text(&format!(
                "SELECT count(*)::text FROM pg_locks WHERE NOT granted \
                 AND locktype = 'transactionid' AND transactionid::text = '{xid}'"
            ));
            if waiting != "0" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the push never reached the database"
            );
            std::thread::yield_now();
        }
        victim.kill();
        db.execute("ROLLBACK");
        pushing.join().unwrap()
    });
    assert!(
        matches!(failed, Err(fieldcore::Error::Network(_))),
        "the device saw the instance go: {failed:?}"
    );
    let report = sync(store, &urls[0], &tokens[0]).unwrap();
    assert_eq!(
        report.progress.pushed_cases,
        late.len() as u64,
        "{report:?}"
    );
    for id in late.iter().chain(cases.iter()) {
        assert!(store.case(*id).unwrap().number.is_some(), "numbered: {id}");
    }
    sync(&mut desk, &urls[1], &desk_token).unwrap();
    for id in &late {
        assert!(desk.case(*id).is_ok(), "HQ staff see the late case {id}");
    }
    assert_gap_free(&db, ENGINEERS * CASES_EACH + late.len());
    assert_read_model_equals_a_rebuild(&db, &data, &url);
    let logs: Vec<String> = instances
        .into_iter()
        .flatten()
        .map(|instance| instance.stop())
        .collect();
    let caught_up = |log: &str| -> u64 {
        log.lines()
            .filter_map(|line| line.split_once(" cases_caught_up=").map(|(_, rest)| rest))
            .map(|rest| rest.split(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert!(
        caught_up(&logs[0]) >= 1,
        "the first instance logs the case it caught up:\n{}",
        logs[0]
    );
}
