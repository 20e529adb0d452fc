//! Sync with HQ in the test's own process (`TestHq::in_process`: `fieldhq::app` driven
//! without sockets): the same device code and the same HQ as the loopback tests beside these,
//! without TCP and HTTP/1 in between, so that sync scenarios run in a fraction of the time.
//! The loopback tests (convergence, faults, security, photos, numbering) stay the reference
//! for what only a real connection shows: retries, cut connections, a killed HQ.

mod common;

use std::time::Instant;

use common::Plan;
use fieldcore::{CaseSyncState, Command, Error, PhotoKind, UploadState};
use fieldcore_e2e::{Device, TestHq, jpeg};
use fieldhq::Role;

fn note(device: &mut Device, case: fieldcore::CaseId, text: &str) -> fieldcore::Result<()> {
    let command = Command::AddNote { text: text.into() };
    device.store.execute(case, &command).map(|_| ())
}

/// The three-device scenario of convergence.rs (random offline work, syncs in random orders,
/// a sure conflict, then everyone until quiet) with more seeds: all converge, nothing is lost,
/// every device learns the official numbers.
#[test]
fn three_devices_converge_in_process() {
    for seed in 101..=110 {
        let started = Instant::now();
        let hq = TestHq::in_process().unwrap();
        let plan = Plan {
            seed,
            engineer_cases: 3,
            rounds: 8,
            commands_per_round: 6,
            max_attempts: 1,
        };
        let (_team, s) = common::run(&hq, &hq.url(), plan);
        assert_eq!(s.retries, 0, "nothing to retry in process");
        eprintln!(
            "seed {seed}: {} cases, {} commands ({} refused), {} syncs, {} log rows, \
             {} cases in conflict at the end, {:.2} s",
            s.cases,
            s.commands,
            s.refused,
            s.syncs,
            s.log_rows,
            s.conflicts_at_end,
            started.elapsed().as_secs_f64()
        );
    }
}

/// A case routed away while the tablet has unsent work on it: that case's push is refused and
/// kept on the tablet, the tablet's other work goes up, and the kept work goes up once the case
/// is routed back.
#[test]
fn a_refused_push_is_kept_until_the_case_comes_back_in_process() {
    let hq = TestHq::in_process().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::Technician, Some("north")).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut tablet = Device::enrolled(&hq, "li").unwrap();
    let moved = phone.register("R-1").unwrap();
    let kept = phone.register("R-2").unwrap();
    phone.sync().unwrap();
    hq.route(moved, "north").unwrap();
    hq.route(kept, "north").unwrap();
    tablet.sync().unwrap();

    note(&mut tablet, moved, "bench test done").unwrap();
    note(&mut tablet, kept, "parts ordered").unwrap();
    hq.route(moved, "south").unwrap();
    let log = hq.log_len().unwrap();
    let report = tablet.sync().unwrap();
    assert_eq!((report.progress.pushed_cases, report.refused), (1, 1));
    assert_eq!(hq.log_len().unwrap(), log + 1, "only the kept case's note");
    assert_eq!(
        tablet.store.case_sync_state(moved).unwrap(),
        CaseSyncState::Refused
    );
    assert_eq!(
        tablet.store.outbox_len().unwrap(),
        1,
        "the refused work is kept"
    );
    assert_eq!(tablet.store.pending_sync_cases().unwrap(), 0);
    // Refused work is not sent again with every sync.
    let again = tablet.sync().unwrap();
    assert_eq!((again.progress.rounds, again.refused), (1, 1));
    assert_eq!(hq.log_len().unwrap(), log + 1);
    phone.sync().unwrap();
    assert_eq!(phone.store.case(kept).unwrap().notes.len(), 1);
    assert_eq!(phone.store.case(moved).unwrap().notes.len(), 0);

    hq.route(moved, "north").unwrap();
    let report = tablet.sync().unwrap();
    assert_eq!((report.progress.pushed_cases, report.refused), (1, 0));
    assert_eq!(
        tablet.store.case_sync_state(moved).unwrap(),
        CaseSyncState::Synced
    );
    phone.sync().unwrap();
    assert_eq!(
        phone.store.case(moved).unwrap(),
        tablet.store.case(moved).unwrap()
    );
    assert_eq!(phone.store.case(moved).unwrap().notes.len(), 1);
}

/// The in-process transport answers as the HTTP one does: a wrong or revoked token is
/// `Error::Unauthorized` and leaves the work in the outbox; a photo goes up during sync and
/// comes down on demand, checked against its hash.
#[test]
fn tokens_and_photos_in_process() {
    let hq = TestHq::in_process().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::Technician, Some("north")).unwrap();
    let enrolment = hq.enrol_device("wang").unwrap();
    let mut phone = Device::at(&hq, &hq.url(), "wang", &enrolment.token).unwrap();
    let mut tablet = Device::enrolled(&hq, "li").unwrap();

    let mut thief = Device::at(&hq, &hq.url(), "wang", &"ab".repeat(32)).unwrap();
    thief.register("X-1").unwrap();
    assert!(matches!(thief.sync(), Err(Error::Unauthorized(_))));
    assert_eq!(hq.log_len().unwrap(), 0);

    let case = phone.register("P-1").unwrap();
    let (_, hash) = phone
        .store
        .import_photo(
            case,
            &jpeg(640, 480, 3).unwrap(),
            PhotoKind::Defect,
            "burnt",
        )
        .unwrap();
    let report = phone.sync().unwrap();
    assert_eq!(
        report.progress.photos_uploaded, 2,
        "the photo and its thumbnail"
    );
    hq.route(case, "north").unwrap();
    tablet.sync().unwrap();
    assert_eq!(
        tablet.store.photos(case).unwrap()[0].upload,
        UploadState::NotHere
    );
    tablet.fetch_blob(&hash).unwrap();
    assert_eq!(
        tablet.store.blob(&hash).unwrap(),
        phone.store.blob(&hash).unwrap()
    );
    assert_eq!(
        tablet.store.photos(case).unwrap()[0].upload,
        UploadState::Uploaded
    );
    let missing = fieldcore::sha256_hex(b"never uploaded");
    assert!(matches!(
        tablet.fetch_blob(&missing),
        Err(Error::EntryNotFound(_))
    ));

    hq.revoke(enrolment.device_id).unwrap();
    note(&mut phone, case, "after the phone was lost").unwrap();
    assert!(matches!(phone.sync(), Err(Error::Unauthorized(_))));
    assert_eq!(phone.store.outbox_len().unwrap(), 1);
}
