//! Against a real HQ on loopback: a device whose push HQ rejects (here, HQ staff confirming a
//! defect on a device that was not told its role, so only HQ checks the authority table) keeps
//! the work, shows the case as rejected with HQ's reason, syncs its other cases on, and offers
//! the case again only once its user changes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fieldcore::{CaseSyncState, Cause, Command, DefectInput};
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

fn note(device: &mut Device, case: fieldcore::CaseId, text: &str) {
    device
        .store
        .execute(case, &Command::AddNote { text: text.into() })
        .unwrap();
}

#[test]
fn rejected_work_is_kept_shown_with_its_reason_and_the_rest_syncs() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("zhou", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut desk = Device::enrolled(&hq, "zhou").unwrap();
    let disputed = phone.register("R-1").unwrap();
    let other = phone.register("R-2").unwrap();
    phone
        .store
        .execute(disputed, &Command::Acknowledge { note: None })
        .unwrap();
    phone.sync().unwrap();
    desk.sync().unwrap();

    // The desk's app never set the role: the store lets the step through, HQ does not.
    desk.store
        .execute(
            disputed,
            &Command::ConfirmDefect(DefectInput {
                cause: Cause::CustomerMisuse,
                findings: "guessed at the desk".into(),
                measurements: vec![],
                major_incident: false,
                evidence_photos: vec![],
            }),
        )
        .unwrap();
    note(&mut desk, other, "customer called back");
    let report = desk.sync().unwrap();
    assert_eq!(report.rejected, 1);
    assert_eq!(
        desk.store.case_sync_state(disputed).unwrap(),
        CaseSyncState::Rejected
    );
    let reason = desk.store.case_sync_reason(disputed).unwrap().unwrap();
    assert!(reason.starts_with("not_permitted"), "{reason}");
    assert!(reason.contains("decisions.defect"), "{reason}");
    assert_eq!(desk.store.rejected_cases().unwrap().len(), 1);
    // Kept on the device, never deleted.
    assert!(desk.store.case(disputed).unwrap().defect.is_some());
    // The other case went through.
    assert_eq!(
        desk.store.case_sync_state(other).unwrap(),
        CaseSyncState::Synced
    );
    phone.sync().unwrap();
    assert_eq!(phone.store.case(other).unwrap().notes.len(), 1);
    assert!(phone.store.case(disputed).unwrap().defect.is_none());

    // Later syncs do not push the rejected case again, and others' news still arrives.
    let log = hq.log_len().unwrap();
    note(&mut phone, disputed, "engineer on the way");
    phone.sync().unwrap();
    let report = desk.sync().unwrap();
    assert_eq!(report.progress.pushed_cases, 0);
    assert_eq!(hq.log_len().unwrap(), log + 1, "only the phone's note");
    assert_eq!(desk.store.case(disputed).unwrap().notes.len(), 1);
    assert_eq!(
        desk.store.case_sync_state(disputed).unwrap(),
        CaseSyncState::Rejected
    );

    // The user changes the case: it is offered again (and refused again, since the change HQ
    // will not take is still in its history), the reason shown anew.
    note(&mut desk, disputed, "asked the engineer to confirm");
    assert_eq!(
        desk.store.case_sync_state(disputed).unwrap(),
        CaseSyncState::Pending
    );
    let report = desk.sync().unwrap();
    assert_eq!(report.rejected, 1);
    assert_eq!(
        desk.store.case_sync_state(disputed).unwrap(),
        CaseSyncState::Rejected
    );
    assert_eq!(hq.log_len().unwrap(), log + 1);
}
