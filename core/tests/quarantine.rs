//! A case HQ sends that this device cannot read is set aside with its reason, and every other
//! case of the same response is stored: one bad case never stops the device's sync.
// Helpers outside #[test] functions unwrap too: a fixture that fails is a failed test.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc};
use fieldcore::testing::{registration_for, step_clock, t0};
use fieldcore::{
    ByteBuf, CasePull, CaseSyncState, Collection, Command, Context, PROTOCOL_VERSION, Policies,
    PushPlan, Store, SyncResponse, new_case_document,
};
use uuid::Uuid;

fn chunks(doc: &Automerge) -> Vec<ByteBuf> {
    doc.get_changes(&[])
        .into_iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect()
}

/// A case document as another device would have written it: its chunks, and its chunks with
/// `spoil` applied on top.
fn remote_case(
    serial: &str,
    spoil: impl FnOnce(&mut Automerge),
) -> (Uuid, Vec<ByteBuf>, Vec<ByteBuf>) {
    let policies = Policies::default();
    let ctx = Context {
        by: "li",
        device: "tablet",
        at: t0(),
        policies: &policies,
        parts_catalog: None,
    };
    let case_id = Uuid::now_v7();
    let mut doc = new_case_document(
        &ActorId::from(Uuid::new_v4().as_bytes().as_slice()),
        &ctx,
        case_id,
        &registration_for(serial),
    )
    .unwrap();
    let clean = chunks(&doc);
    spoil(&mut doc);
    (case_id, clean, chunks(&doc))
}

/// Writes `value` under `key` in the case's `container` map, as a foreign writer could.
fn put_raw(doc: &mut Automerge, container: &str, key: &str, value: &str) {
    let mut tx = doc.transaction();
    let (_, obj) = tx.get(ROOT, container).unwrap().unwrap();
    tx.put(&obj, key, value).unwrap();
    tx.commit();
}

fn whole(case_id: Uuid, changes: Vec<ByteBuf>) -> CasePull {
    CasePull {
        case_id,
        changes,
        whole: true,
        number: None,
    }
}

fn response(cursor: u64, pulls: Vec<CasePull>) -> SyncResponse {
    SyncResponse {
        version: PROTOCOL_VERSION,
        cursor,
        more: false,
        acks: vec![],
        pulls,
        reference: None,
    }
}

#[test]
fn unreadable_cases_are_set_aside_and_the_others_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());

    let (good, _, good_changes) = remote_case("G-1", |_| {});
    let (bad_entry, clean_entry, bad_entry_changes) = remote_case("B-1", |doc| {
        put_raw(
            doc,
            Collection::Notes.key(),
            "0190-note",
            "this is not JSON",
        )
    });
    let (bad_status, _, bad_status_changes) = remote_case("B-2", |doc| {
        put_raw(
            doc,
            "decisions",
            "status",
            // A status that is not a string: no version writes that (a new status *string* is
            // shown as unknown instead, tests/forward_compat.rs).
            r#"{"key":"paused","value":7,"by":"x","device":"d","at":"2026-11-02T09:00:00+08:00","resolved_by":null}"#,
        )
    });
    let (text_note, _, text_note_changes) = remote_case("B-3", |doc| {
        let mut tx = doc.transaction();
        let (_, notes) = tx.get(ROOT, Collection::Notes.key()).unwrap().unwrap();
        tx.put_object(&notes, "0190-text", ObjType::Text).unwrap();
        tx.commit();
    });
    let round = store
        .apply_sync(
            &PushPlan::default(),
            &response(
                40,
                vec![
                    whole(bad_entry, bad_entry_changes),
                    whole(good, good_changes),
                    whole(bad_status, bad_status_changes),
                    whole(text_note, text_note_changes),
                ],
            ),
        )
        .unwrap();
    assert_eq!(round.pulled, 1);
    assert_eq!(round.quarantined, 3);
    assert_eq!(store.sync_position().unwrap().0, 40, "the cursor moves on");
    assert_eq!(store.case(good).unwrap().registration.serial_number, "G-1");
    for id in [bad_entry, bad_status, text_note] {
        assert_eq!(
            store.case_sync_state(id).unwrap(),
            CaseSyncState::Quarantined
        );
        assert!(
            store.case(id).is_err(),
            "a quarantined new case is not stored as a case"
        );
    }
    let set_aside = store.quarantined_cases().unwrap();
    assert_eq!(set_aside.len(), 3);
    assert!(set_aside.iter().all(|(_, reason)| !reason.is_empty()));

    // The next sync goes on as usual and keeps what was set aside...
    let round = store
        .apply_sync(&PushPlan::default(), &response(41, vec![]))
        .unwrap();
    assert_eq!(round.quarantined, 0);
    assert_eq!(store.quarantined_cases().unwrap().len(), 3);
    // ...until a readable copy of a case arrives, which lifts its quarantine.
    let round = store
        .apply_sync(
            &PushPlan::default(),
            &response(42, vec![whole(bad_entry, clean_entry)]),
        )
        .unwrap();
    assert_eq!(round.pulled, 1);
    assert_eq!(store.quarantined_cases().unwrap().len(), 2);
    assert_eq!(
        store.case(bad_entry).unwrap().registration.serial_number,
        "B-1"
    );
}

#[test]
fn a_known_case_keeps_its_copy_and_work_when_hq_sends_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    let id = store.register(&registration_for("K-1")).unwrap().id;
    store
        .execute(
            id,
            &Command::AddNote {
                text: "seen on site".into(),
            },
        )
        .unwrap();
    let bytes = store.export_document(id).unwrap();
    let mut remote = Automerge::load(&bytes).unwrap();
    remote.set_actor(ActorId::random());
    let heads = remote.get_heads();
    put_raw(
        &mut remote,
        Collection::Notes.key(),
        "0190-bad",
        "{not json",
    );
    let partial: Vec<ByteBuf> = remote
        .get_changes(&heads)
        .into_iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect();
    let pull = CasePull {
        case_id: id,
        changes: partial,
        whole: false,
        number: None,
    };
    let round = store
        .apply_sync(&PushPlan::default(), &response(7, vec![pull]))
        .unwrap();
    assert_eq!(round.quarantined, 1);
    assert_eq!(
        store.case_sync_state(id).unwrap(),
        CaseSyncState::Quarantined
    );
    // The device's own copy, with its unsent note, is as it was and still readable.
    let view = store.case(id).unwrap();
    assert_eq!(view.notes.len(), 1);
    assert_eq!(store.outbox_len().unwrap(), 2);

    // HQ later sends the case whole and readable: the quarantine is lifted.
    let pull = CasePull {
        case_id: id,
        changes: chunks(&Automerge::load(&bytes).unwrap()),
        whole: true,
        number: Some("2611-0001".into()),
    };
    let round = store
        .apply_sync(&PushPlan::default(), &response(8, vec![pull]))
        .unwrap();
    assert_eq!(round.pulled, 1);
    assert!(store.quarantined_cases().unwrap().is_empty());
    assert_ne!(
        store.case_sync_state(id).unwrap(),
        CaseSyncState::Quarantined
    );
}

fn changes(case_id: Uuid, changes: Vec<ByteBuf>) -> CasePull {
    CasePull {
        case_id,
        changes,
        whole: false,
        number: None,
    }
}

/// HQ pages a case too big for one response: a prefix of its log, whole, then the rest as
/// changes. Every prefix of a valid case's log is a readable case.
#[test]
fn a_case_sent_in_pages_is_readable_at_every_page() {
    let policies = Policies::default();
    let ctx = Context {
        by: "li",
        device: "tablet",
        at: t0(),
        policies: &policies,
        parts_catalog: None,
    };
    let case_id = Uuid::now_v7();
    let mut doc =
        new_case_document(&ActorId::random(), &ctx, case_id, &registration_for("P-1")).unwrap();
    for i in 0..4 {
        let note = Command::AddNote {
            text: format!("note {i}"),
        };
        fieldcore::execute_on_document(&mut doc, case_id, &ctx, &note).unwrap();
    }
    let log = chunks(&doc);
    assert!(log.len() > 2);
    for split in 1..log.len() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
        store.set_clock(step_clock());
        let mut first = response(10, vec![whole(case_id, log[..split].to_vec())]);
        first.more = true;
        let round = store.apply_sync(&PushPlan::default(), &first).unwrap();
        assert_eq!((round.pulled, round.quarantined), (1, 0), "split {split}");
        let round = store
            .apply_sync(
                &PushPlan::default(),
                &response(10, vec![changes(case_id, log[split..].to_vec())]),
            )
            .unwrap();
        assert_eq!((round.pulled, round.repairs), (1, 0), "split {split}");
        assert_eq!(store.case(case_id).unwrap().notes.len(), 4);
    }
}

/// A change HQ holds that makes the case unreadable until a later change repairs it: a first
/// page ending between the two is set aside, and the next page lifts it, without asking HQ
/// for the case again (which would page it the same way, forever).
#[test]
fn an_unreadable_first_page_is_lifted_by_the_next_page() {
    let (case_id, _, log) = remote_case("P-2", |doc| {
        put_raw(doc, Collection::Notes.key(), "0190-bad", "not JSON");
        let mut tx = doc.transaction();
        let (_, notes) = tx.get(ROOT, Collection::Notes.key()).unwrap().unwrap();
        tx.delete(&notes, "0190-bad").unwrap();
        tx.commit();
    });
    let (head, fix) = log.split_at(log.len() - 1);

    // A case new to the device: the first page is whole.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    let mut first = response(10, vec![whole(case_id, head.to_vec())]);
    first.more = true;
    let round = store.apply_sync(&PushPlan::default(), &first).unwrap();
    assert_eq!(round.quarantined, 1);
    let round = store
        .apply_sync(
            &PushPlan::default(),
            &response(10, vec![changes(case_id, fix.to_vec())]),
        )
        .unwrap();
    assert_eq!((round.pulled, round.repairs), (1, 0));
    assert!(store.quarantined_cases().unwrap().is_empty());
    assert_eq!(
        store.case(case_id).unwrap().registration.serial_number,
        "P-2"
    );
    let (request, _) = store.prepare_sync(1 << 20, 100).unwrap();
    assert!(request.want_full.is_empty(), "nothing asked for again");

    // A case the device holds: the changes after its copy come in pages too.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    store
        .apply_sync(
            &PushPlan::default(),
            &response(5, vec![whole(case_id, head[..1].to_vec())]),
        )
        .unwrap();
    let mut first = response(10, vec![changes(case_id, head[1..].to_vec())]);
    first.more = true;
    let round = store.apply_sync(&PushPlan::default(), &first).unwrap();
    assert_eq!(round.quarantined, 1);
    let round = store
        .apply_sync(
            &PushPlan::default(),
            &response(10, vec![changes(case_id, fix.to_vec())]),
        )
        .unwrap();
    assert_eq!((round.pulled, round.repairs), (1, 0));
    assert!(store.quarantined_cases().unwrap().is_empty());
    assert_ne!(
        store.case_sync_state(case_id).unwrap(),
        CaseSyncState::Quarantined
    );
    let (request, _) = store.prepare_sync(1 << 20, 100).unwrap();
    assert!(request.want_full.is_empty(), "nothing asked for again");
}
