//! Against a real HQ on loopback: an older device meets a status a newer app version wrote
//! (ADR 0009). HQ is upgraded before the devices and refuses what it does not know, so the
//! newer change is written straight into HQ's storage, as a newer HQ would hold it. The device
//! syncs on, shows the status as unknown, pushes the work it did offline, and the value stays
//! as written on the device and on HQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ROOT, ReadDoc};
use fieldcore::{CaseStatus, CaseSyncState, Command, Error, UnknownContent};
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;
use fieldhq::storage::{LockMode, LogRow};
use uuid::Uuid;

const NEWER_STATUS: &str = r#"{"key":"escalated","value":"escalated","by":"Zhou","device":"newer-app","at":"2026-11-02T11:00:00+08:00","escalated_to":"north"}"#;

/// `decisions.status` as stored, in a document.
fn raw_status(doc: &Automerge) -> Option<String> {
    let (_, decisions) = doc.get(ROOT, "decisions").unwrap()?;
    doc.get(&decisions, "status")
        .unwrap()
        .and_then(|(v, _)| v.as_str().map(str::to_owned))
}

/// HQ's copy of a case: every change its log holds, loaded.
fn hq_copy(hq: &TestHq, case_id: Uuid) -> Automerge {
    let histories = hq
        .block_on(|s| async move {
            s.transaction(move |tx| Box::pin(async move { tx.histories(&[case_id]).await }))
                .await
        })
        .unwrap();
    let mut doc = Automerge::new();
    for bytes in &histories[&case_id] {
        doc.load_incremental(bytes).unwrap();
    }
    doc
}

/// Appends a change to HQ's log that sets the case's status to [`NEWER_STATUS`], by an actor
/// of a newer app, on top of everything HQ holds of the case.
fn newer_status_at_hq(hq: &TestHq, case_id: Uuid) {
    let mut doc = hq_copy(hq, case_id);
    doc.set_actor(ActorId::random());
    let mut tx = doc.transaction();
    let (_, decisions) = tx.get(ROOT, "decisions").unwrap().unwrap();
    tx.put(&decisions, "status", NEWER_STATUS).unwrap();
    let (hash, _) = tx.commit();
    let change = doc.get_change_by_hash(&hash.unwrap()).unwrap().clone();
    hq.block_on(|s| async move {
        s.transaction(move |tx| {
            Box::pin(async move {
                tx.lock_log(LockMode::Exclusive).await?;
                let seq = tx.allocate_seqs(1).await?;
                tx.append(&[LogRow {
                    seq,
                    case_id,
                    hash: change.hash(),
                    actor: change.actor_id().to_bytes().to_vec(),
                    actor_seq: change.seq(),
                    authored_by: None,
                    bytes: fieldhq::changes::stored_bytes(&change),
                }])
                .await?;
                tx.set_sync_seqs(&[(case_id, seq)]).await
            })
        })
        .await
    })
    .unwrap();
}

fn note(text: &str) -> Command {
    Command::AddNote { text: text.into() }
}

fn notes_of(doc: &Automerge) -> usize {
    let (_, notes) = doc.get(ROOT, "notes").unwrap().unwrap();
    doc.length(&notes)
}

#[test]
fn an_old_device_shows_a_newer_status_as_unknown_keeps_it_and_syncs_on() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut desk = Device::enrolled(&hq, "li").unwrap();
    let newer = phone.register("M-NEWER").unwrap();
    let other = phone.register("M-OTHER").unwrap();
    phone.sync().unwrap();

    // Offline, the phone works on both cases while a newer app escalates one of them.
    phone
        .store
        .execute(newer, &note("checked the wiring"))
        .unwrap();
    phone
        .store
        .execute(other, &note("bearing ordered"))
        .unwrap();
    newer_status_at_hq(&hq, newer);

    let report = phone.sync().unwrap();
    assert_eq!(report.quarantined, 0);
    assert_eq!(
        phone.store.outbox_len().unwrap(),
        0,
        "the offline work was pushed"
    );
    for id in [newer, other] {
        assert_eq!(
            phone.store.case_sync_state(id).unwrap(),
            CaseSyncState::Synced
        );
    }
    assert!(phone.store.quarantined_cases().unwrap().is_empty());

    let view = phone.store.case(newer).unwrap();
    assert_eq!(view.status(), CaseStatus::Unknown("escalated".into()));
    assert_eq!(
        view.unknown,
        vec![UnknownContent::Status {
            value: "escalated".into()
        }]
    );
    assert_eq!(view.notes.len(), 1);
    assert_eq!(
        phone.store.projection_row(newer).unwrap().unwrap().status,
        "escalated"
    );

    // The lifecycle waits for an update; a note does not depend on the status and goes on.
    assert!(matches!(
        phone
            .store
            .execute(newer, &Command::Acknowledge { note: None }),
        Err(Error::UnknownStatus { .. })
    ));
    phone
        .store
        .execute(newer, &note("customer called"))
        .unwrap();
    assert_eq!(phone.sync().unwrap().quarantined, 0);
    assert_eq!(phone.store.outbox_len().unwrap(), 0);

    // The value survives, as written, on the device and on HQ, with the device's work beside it.
    let exported = Automerge::load(&phone.store.export_document(newer).unwrap()).unwrap();
    assert_eq!(raw_status(&exported).as_deref(), Some(NEWER_STATUS));
    let at_hq = hq_copy(&hq, newer);
    assert_eq!(raw_status(&at_hq).as_deref(), Some(NEWER_STATUS));
    assert_eq!(notes_of(&at_hq), 2);
    assert_eq!(notes_of(&hq_copy(&hq, other)), 1);

    // Another old device that never held the case receives it whole and reads it the same way.
    let report = desk.sync().unwrap();
    assert_eq!(report.quarantined, 0);
    assert_eq!(
        desk.store.case(newer).unwrap().status(),
        CaseStatus::Unknown("escalated".into())
    );
    assert_eq!(desk.store.case(other).unwrap().notes.len(), 1);
}
