//! Device eviction (ADR 0028) against a real HQ on loopback: an engineer's phone closes two
//! cases, syncs and evicts them; the engineer's tablet reopens one at HQ, and the phone's next
//! sync asks for that case whole and stores it again; the other comes back when the phone
//! asks for it, with its photo downloadable from HQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use fieldcore::testing::close_case;
use fieldcore::{CaseStatus, CaseSyncState, Command, Error, PhotoKind, Status};
use fieldcore_e2e::{Device, TestHq, jpeg};
use fieldhq::Role;

#[test]
fn an_evicted_case_comes_back_when_hq_changes_it_and_when_it_is_asked_for() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut tablet = Device::enrolled(&hq, "wang").unwrap();
    let reopened = phone.register("EVICT-1").unwrap();
    let asked = phone.register("EVICT-2").unwrap();
    let (_, photo) = phone
        .store
        .import_photo(asked, &jpeg(640, 480, 5).unwrap(), PhotoKind::Defect, "")
        .unwrap();
    for id in [reopened, asked] {
        close_case(&mut phone.store, id).unwrap();
    }
    // The number HQ gives comes back in the sync's next round or the next sync.
    phone.sync().unwrap();
    phone.sync().unwrap();
    tablet.sync().unwrap();
    let before = phone.store.case(asked).unwrap();
    let number = before.number.clone().unwrap();
    for id in [reopened, asked] {
        assert_eq!(
            phone.store.case_sync_state(id).unwrap(),
            CaseSyncState::Synced
        );
    }
    assert!(phone.store.pending_uploads().unwrap().is_empty());

    // Too young under the policy: nothing goes. Ninety-one days later both do.
    let now = phone.store.now();
    assert!(
        phone
            .store
            .evict_closed_cases(now, Duration::days(90))
            .unwrap()
            .cases
            .is_empty()
    );
    let eviction = phone
        .store
        .evict_closed_cases(now + Duration::days(91), Duration::days(90))
        .unwrap();
    assert_eq!(eviction.cases, vec![reopened, asked]);
    assert_eq!(eviction.photo_files, 2, "the photo and its thumbnail");
    assert!(!phone.store.blob_path(&photo).unwrap().is_file());
    assert!(phone.case_ids().unwrap().is_empty());
    assert!(matches!(phone.store.case(asked), Err(Error::Evicted(id)) if id == asked));
    assert_eq!(phone.store.find(&number).unwrap(), asked);

    // A sync with nothing new leaves them evicted and asks for nothing.
    let idle = phone.sync().unwrap();
    assert_eq!(idle.progress.pulled_cases, 0);
    assert_eq!(phone.store.evicted_cases().unwrap().len(), 2);

    // The tablet reopens one: HQ sends the phone that change, which the phone cannot apply to
    // a case it no longer holds; it asks for the case whole in the next round of the same sync.
    tablet
        .store
        .execute(
            reopened,
            &Command::Reopen {
                reason: "the breaker trips again".into(),
            },
        )
        .unwrap();
    tablet.sync().unwrap();
    let report = phone.sync().unwrap();
    assert!(report.repairs >= 1, "{report:?}");
    assert!(report.progress.rounds >= 2, "{report:?}");
    let view = phone.store.case(reopened).unwrap();
    assert_eq!(view.status(), CaseStatus::Known(Status::Reopened));
    assert_eq!(view, tablet.store.case(reopened).unwrap());
    assert_eq!(
        phone.store.case_sync_state(reopened).unwrap(),
        CaseSyncState::Synced
    );
    let evicted = phone.store.evicted_cases().unwrap();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].case_id, asked);

    // The engineer opens the other one: the app asks for it and the next sync brings it.
    phone.store.request_case(asked).unwrap();
    assert!(phone.store.evicted_cases().unwrap()[0].requested);
    let report = phone.sync().unwrap();
    assert_eq!(report.progress.pulled_cases, 1, "{report:?}");
    let back = phone.store.case(asked).unwrap();
    assert_eq!(back.status(), CaseStatus::Known(Status::Closed));
    assert_eq!(back.number.as_deref(), Some(number.as_str()));
    assert_eq!(back.events.len(), before.events.len());
    assert_eq!(
        phone.change_count(asked).unwrap(),
        tablet.change_count(asked).unwrap()
    );
    assert!(phone.store.evicted_cases().unwrap().is_empty());
    assert_eq!(phone.case_ids().unwrap().len(), 2);
    // Its photo is described on the case and downloaded from HQ when a screen shows it.
    assert_eq!(back.photos.len(), 1);
    phone.fetch_blob(&photo).unwrap();
    assert!(phone.store.blob_path(&photo).unwrap().is_file());
    // Nothing is left to ask for.
    let quiet = phone.sync().unwrap();
    assert_eq!((quiet.progress.rounds, quiet.repairs), (1, 0));
}
