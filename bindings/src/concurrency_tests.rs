//! The store's calls beside a sync in flight, against a real HQ on loopback behind a proxy
//! that holds the sync's request until the test lets it go (ADR 0018): lists, a case and a
//! command answer while the sync waits for the network, an observer may call the store from
//! inside its callbacks, and a command made during the sync goes up with the next round.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fieldcore_e2e::TestHq;
use fieldcore_e2e::stall::StallingProxy;

use crate::command::CaseCommand;
use crate::list::ListQuery;
use crate::model::Registration;
use crate::observe::{StoreObserver, SyncActivity, SyncStatus};
use crate::store::FieldStore;
use crate::sync::SyncConfig;

/// Generous: on a loaded two-core CI machine a list is a few milliseconds and a command a few
/// more with its fsync; the network in this test is held for as long as the test takes.
const BOUND: Duration = Duration::from_secs(2);

fn config(url: &str, token: &str) -> SyncConfig {
    SyncConfig {
        hq_url: url.into(),
        token: token.into(),
        pinned_certificate_pem: None,
        request_timeout_seconds: Some(120),
        max_attempts: Some(1),
        upload_photos: true,
    }
}

fn registration(serial: &str) -> Registration {
    fieldcore::testing::registration_for(serial).into()
}

fn open(dir: &tempfile::TempDir) -> Arc<FieldStore> {
    FieldStore::open(
        dir.path().join("device.db").to_string_lossy().into(),
        "wang".into(),
    )
    .unwrap()
}

/// Records what it hears and reads the store from inside its callback.
struct Recorder {
    store: Mutex<Option<Arc<FieldStore>>>,
    changed: Mutex<Vec<Vec<crate::convert::CaseId>>>,
    statuses: Mutex<Vec<SyncStatus>>,
    rows_seen: Mutex<Vec<usize>>,
}

impl StoreObserver for Recorder {
    fn on_cases_changed(&self, case_ids: Vec<crate::convert::CaseId>) {
        if let Some(store) = self.store.lock().unwrap().clone() {
            // Calling back into the store from the callback must not deadlock.
            let page = store.list_cases(ListQuery::default()).unwrap();
            self.rows_seen.lock().unwrap().push(page.rows.len());
        }
        self.changed.lock().unwrap().push(case_ids);
    }

    fn on_sync_status(&self, status: SyncStatus) {
        self.statuses.lock().unwrap().push(status);
    }
}

#[test]
fn reads_and_commands_do_not_wait_for_a_stalled_sync() {
    let hq = TestHq::start().unwrap();
    let token = hq.engineer_with_device("wang").unwrap();
    let proxy = StallingProxy::start(hq.addr()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let recorder = Arc::new(Recorder {
        store: Mutex::new(Some(store.clone())),
        changed: Mutex::new(Vec::new()),
        statuses: Mutex::new(Vec::new()),
        rows_seen: Mutex::new(Vec::new()),
    });
    store.set_observer(Some(recorder.clone()));
    let first = store.register(registration("M2406-000001")).unwrap();

    let syncing = {
        let store = store.clone();
        let config = config(&proxy.url(), &token);
        std::thread::spawn(move || store.sync(config, None, None))
    };
    assert!(
        proxy.wait_for_held_request(Duration::from_secs(60)),
        "the sync never reached the proxy"
    );
    assert!(matches!(
        store.sync_status().activity,
        SyncActivity::Syncing { .. }
    ));

    // The calls run on a thread of their own, so that a call stuck behind the sync fails the
    // test (the bound below) instead of hanging it.
    let (done, calls) = std::sync::mpsc::channel();
    {
        let store = store.clone();
        let id = first.id;
        std::thread::spawn(move || {
            let timed = |f: &mut dyn FnMut()| {
                let started = Instant::now();
                f();
                started.elapsed()
            };
            let mut page = None;
            let mut view = None;
            let mut noted = None;
            let mut second = None;
            let list_took = timed(&mut || page = Some(store.list_cases(ListQuery::default())));
            let case_took = timed(&mut || view = Some(store.get_case(id)));
            let note = CaseCommand::AddNote {
                text: "Customer asks for a call before the visit".into(),
            };
            let command_took = timed(&mut || noted = Some(store.execute(id, note.clone())));
            let register_took =
                timed(&mut || second = Some(store.register(registration("M2406-000002"))));
            let _ = done.send((
                [list_took, case_took, command_took, register_took],
                page,
                view,
                noted,
                second,
            ));
        });
    }
    let (took, page, view, noted, second) = calls
        .recv_timeout(Duration::from_secs(60))
        .expect("the store's calls waited behind the stalled sync");
    let [list_took, case_took, command_took, register_took] = took;
    println!(
        "during a stalled sync: list {list_took:?}, get_case {case_took:?}, \
         add note {command_took:?}, register {register_took:?}"
    );
    let (page, view, noted, second) = (
        page.unwrap().unwrap(),
        view.unwrap().unwrap(),
        noted.unwrap().unwrap(),
        second.unwrap().unwrap(),
    );
    assert_eq!(page.rows.len(), 1);
    assert_eq!(view.id, first.id);
    assert_eq!(noted.view.notes.len(), 1);
    for took in took {
        assert!(took < BOUND, "a call waited {took:?} behind the sync");
    }
    // Still in flight: the proxy has not let the request through.
    assert!(!syncing.is_finished());

    proxy.release();
    let report = syncing.join().unwrap().unwrap();
    assert!(report.progress.pushed_cases >= 1, "{report:?}");
    // The note and the second case were made after the first round's request was prepared;
    // the sync's next round (it goes on while work is pending) or the next sync sends them.
    let again = store
        .sync(config(&proxy.url(), &token), None, None)
        .unwrap();
    assert_eq!(again.progress.pending_cases, 0);
    assert_eq!(store.summary().unwrap().unsynced_changes, 0);
    let cases = hq.cases().unwrap();
    assert_eq!(cases.len(), 2, "HQ has both cases: {cases:?}");
    assert!(cases.iter().any(|c| c.case_id == second.id));

    // The observer heard the commands and the rounds, and read the store from its callback.
    let changed = recorder.changed.lock().unwrap().clone();
    assert!(changed.iter().any(|ids| ids.contains(&second.id)));
    assert!(!recorder.rows_seen.lock().unwrap().is_empty());
    let statuses = recorder.statuses.lock().unwrap().clone();
    let last = statuses.last().unwrap();
    assert_eq!(last.activity, SyncActivity::Idle);
    assert!(last.last_success_at.is_some());
    assert!(last.last_error.is_none());
}

#[test]
fn a_failed_sync_is_the_status_until_one_succeeds_also_after_a_restart() {
    let hq = TestHq::start().unwrap();
    let token = hq.engineer_with_device("wang").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.register(registration("M2406-000003")).unwrap();
    let error = store
        .sync(config(&hq.url(), "not-a-token"), None, None)
        .unwrap_err();
    let status = store.sync_status();
    let failure = status.last_error.unwrap();
    assert_eq!(failure.code, "sync.unauthorized");
    assert_eq!(failure.code, error.code());
    assert_eq!(status.activity, SyncActivity::Idle);
    assert!(status.last_success_at.is_none());

    // The app is killed and started again: the banner still says the last sync failed, in
    // the language the app is set to now.
    drop(store);
    crate::locale::set_locale(fieldcore::Locale::ZhCn);
    let store = open(&dir);
    let kept = store.sync_status().last_error.unwrap();
    assert_eq!(kept.code, "sync.unauthorized");
    assert_eq!(kept.at, failure.at);
    assert!(
        kept.message.contains("总部拒绝了本设备"),
        "{}",
        kept.message
    );
    crate::locale::set_locale(fieldcore::Locale::En);
    assert_eq!(
        store.sync_status().last_error.unwrap().message,
        failure.message
    );

    store.sync(config(&hq.url(), &token), None, None).unwrap();
    let status = store.sync_status();
    assert!(status.last_error.is_none());
    let at = status.last_success_at.unwrap();
    // Kept in the database: a store opened again knows it, and no failure.
    drop(store);
    let reopened = open(&dir);
    assert_eq!(reopened.sync_status().last_success_at, Some(at));
    assert!(reopened.sync_status().last_error.is_none());
}
