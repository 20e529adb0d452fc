//! Content a newer version of the app writes in schema 1 (a new status, fact, decision field,
//! entry kind or root key) is shown by this version as unknown, kept exactly as written through
//! merges, local commands, storage and re-export, and never stops sync; HQ's check refuses it
//! (ADR 0009). Content no version can read stays quarantined (ADR 0008, tests/quarantine.rs).
// Helpers outside #[test] functions unwrap too: a fixture that fails is a failed test.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ReadDoc};
use fieldcore::testing::{registration_for, step_clock, t0};
use fieldcore::{
    ByteBuf, CasePull, CaseStatus, CaseSyncState, CheckError, Collection, Command, Context, Error,
    FactsUpdate, ListQuery, PROTOCOL_VERSION, Policies, PushPlan, Status, Store, SyncResponse,
    UnknownContent, check_case, new_case_document,
};
use proptest::prelude::*;
use uuid::Uuid;

const NEWER_STATUS: &str = r#"{"key":"escalated","value":"escalated","by":"Zhou","device":"d-new","at":"2026-11-02T11:00:00+08:00","escalated_to":"north"}"#;
const NEWER_PART: &str = r#"{"id":"0195f1c2-0000-7000-8000-0000000000aa","by":"Zhou","device":"d-new","at":"2026-11-02T11:00:00+08:00","kind":"loaned","part_number":"LN-1"}"#;
const NEWER_VISIT: &str = r#"{"id":"0195f1c2-0000-7000-8000-0000000000bb","by":"Zhou","device":"d-new","at":"2026-11-02T11:00:00+08:00","kind":"video_call","minutes":12}"#;

fn ctx(policies: &Policies) -> Context<'_> {
    Context {
        by: "li",
        device: "tablet",
        at: t0(),
        policies,
        parts_catalog: None,
    }
}

/// A case as another (newer) device wrote it.
fn remote_case(serial: &str) -> (Uuid, Automerge) {
    let policies = Policies::default();
    let case_id = Uuid::now_v7();
    let doc = new_case_document(
        &ActorId::from(Uuid::new_v4().as_bytes().as_slice()),
        &ctx(&policies),
        case_id,
        &registration_for(serial),
    )
    .unwrap();
    (case_id, doc)
}

/// Writes the string `value` under `key` of the root map `container` (or of the root itself).
fn put_raw(doc: &mut Automerge, container: Option<&str>, key: &str, value: &str) {
    let mut tx = doc.transaction();
    let obj = match container {
        Some(c) => tx.get(ROOT, c).unwrap().unwrap().1,
        None => ROOT,
    };
    tx.put(&obj, key, value).unwrap();
    tx.commit();
}

/// The raw string at `key` of `container` (or of the root).
fn raw(doc: &Automerge, container: Option<&str>, key: &str) -> Option<String> {
    let obj = match container {
        Some(c) => doc.get(ROOT, c).unwrap()?.1,
        None => ROOT,
    };
    doc.get(&obj, key)
        .unwrap()
        .and_then(|(v, _)| v.as_str().map(str::to_owned))
}

fn chunks(doc: &Automerge) -> Vec<ByteBuf> {
    doc.get_changes(&[])
        .into_iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect()
}

fn response(cursor: u64, docs: &[(Uuid, &Automerge)]) -> SyncResponse {
    SyncResponse {
        version: PROTOCOL_VERSION,
        cursor,
        more: false,
        acks: vec![],
        pulls: docs
            .iter()
            .map(|(case_id, doc)| CasePull {
                case_id: *case_id,
                changes: chunks(doc),
                whole: true,
                number: None,
            })
            .collect(),
        reference: None,
    }
}

fn device() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    (dir, store)
}

/// Every kind of newer content at once, on one case.
fn newer_everything(doc: &mut Automerge) {
    put_raw(doc, Some("decisions"), "status", NEWER_STATUS);
    put_raw(doc, Some("facts"), "warranty_card", r#""WC-7""#);
    put_raw(
        doc,
        Some("decisions"),
        "priority",
        r#"{"key":"high","value":"high","by":"Zhou","device":"d-new","at":"2026-11-02T11:00:00+08:00"}"#,
    );
    put_raw(
        doc,
        Some(Collection::Parts.key()),
        "0195f1c2-0000-7000-8000-0000000000aa",
        NEWER_PART,
    );
    put_raw(
        doc,
        Some(Collection::Visits.key()),
        "0195f1c2-0000-7000-8000-0000000000bb",
        NEWER_VISIT,
    );
    let mut tx = doc.transaction();
    tx.put_object(ROOT, "surveys", ObjType::Map).unwrap();
    tx.commit();
}

#[test]
fn newer_content_is_shown_as_unknown_kept_and_synced_on() {
    let (_dir, mut store) = device();
    let (newer, mut doc) = remote_case("N-1");
    newer_everything(&mut doc);
    let (plain, plain_doc) = remote_case("P-1");

    let round = store
        .apply_sync(
            &PushPlan::default(),
            &response(9, &[(newer, &doc), (plain, &plain_doc)]),
        )
        .unwrap();
    assert_eq!((round.pulled, round.quarantined), (2, 0));
    assert_eq!(store.sync_position().unwrap().0, 9);
    assert_eq!(store.case_sync_state(newer).unwrap(), CaseSyncState::Synced);
    assert!(store.quarantined_cases().unwrap().is_empty());

    let view = store.case(newer).unwrap();
    assert_eq!(view.status(), CaseStatus::Unknown("escalated".into()));
    assert_eq!(
        view.next_due, None,
        "no deadline from a status it cannot place"
    );
    assert_eq!(
        view.unknown,
        vec![
            UnknownContent::Fact {
                key: "warranty_card".into(),
                json: r#""WC-7""#.into()
            },
            UnknownContent::Status {
                value: "escalated".into()
            },
            UnknownContent::Decision {
                field: "priority".into(),
                json: r#"{"key":"high","value":"high","by":"Zhou","device":"d-new","at":"2026-11-02T11:00:00+08:00"}"#.into()
            },
            UnknownContent::Entry {
                collection: "parts".into(),
                id: "0195f1c2-0000-7000-8000-0000000000aa".into(),
                entry_kind: "loaned".into(),
                json: NEWER_PART.into()
            },
            UnknownContent::Entry {
                collection: "visits".into(),
                id: "0195f1c2-0000-7000-8000-0000000000bb".into(),
                entry_kind: "video_call".into(),
                json: NEWER_VISIT.into()
            },
            UnknownContent::RootKey {
                key: "surveys".into()
            },
        ]
    );
    assert!(view.parts.is_empty() && view.visits.is_empty());
    assert!(store.case(plain).unwrap().unknown.is_empty());

    // The list shows the status as it was written; a filter by a known status skips it.
    let row = store.projection_row(newer).unwrap().unwrap();
    assert_eq!(row.status, "escalated");
    let registered = store
        .list(&ListQuery {
            status: Some(Status::Registered),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(registered.rows.len(), 1);
    assert_eq!(registered.rows[0].case.case_id, plain.to_string());
}

#[test]
fn commands_that_depend_on_an_unknown_status_are_refused_and_others_run() {
    let (_dir, mut store) = device();
    let (id, mut doc) = remote_case("N-2");
    put_raw(&mut doc, Some("decisions"), "status", NEWER_STATUS);
    store
        .apply_sync(&PushPlan::default(), &response(1, &[(id, &doc)]))
        .unwrap();
    let outbox = store.outbox_len().unwrap();

    let refused = [
        Command::Acknowledge { note: None },
        Command::Close,
        Command::Reopen {
            reason: "again".into(),
        },
        Command::UpdateFacts(FactsUpdate {
            region: Some("Shanxi".into()),
            ..FactsUpdate::default()
        }),
        Command::RecordPart(fieldcore::PartInput {
            part_number: "BRG-1".into(),
            specification: "bearing".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: false,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
        Command::SetCharge(fieldcore::Charge {
            amount_minor: 100,
            currency: "CNY".into(),
        }),
    ];
    for command in &refused {
        match store.execute(id, command) {
            Err(Error::UnknownStatus { status, .. }) => assert_eq!(status, "escalated"),
            other => panic!("{command:?} was not refused as unknown: {other:?}"),
        }
    }
    let message = store.execute(id, &Command::Close).unwrap_err().to_string();
    assert!(message.contains("escalated") && message.contains("update the app"));
    assert_eq!(store.outbox_len().unwrap(), outbox, "nothing was written");

    // A note does not depend on the status: it is written, and the status stays as it was.
    let (view, _) = store
        .execute(
            id,
            &Command::AddNote {
                text: "customer called".into(),
            },
        )
        .unwrap();
    assert_eq!(view.notes.len(), 1);
    assert_eq!(store.outbox_len().unwrap(), outbox + 1);
    let exported = Automerge::load(&store.export_document(id).unwrap()).unwrap();
    assert_eq!(
        raw(&exported, Some("decisions"), "status").as_deref(),
        Some(NEWER_STATUS)
    );
}

#[test]
fn a_status_conflict_with_an_unknown_value_is_not_resolved_by_this_version() {
    let (_dir, mut store) = device();
    let (id, doc) = remote_case("N-3");
    store
        .apply_sync(&PushPlan::default(), &response(1, &[(id, &doc)]))
        .unwrap();
    // The device acknowledges while a newer device escalates, concurrently.
    store
        .execute(id, &Command::Acknowledge { note: None })
        .unwrap();
    let mut newer = doc.fork();
    put_raw(&mut newer, Some("decisions"), "status", NEWER_STATUS);
    store
        .apply_sync(&PushPlan::default(), &response(2, &[(id, &newer)]))
        .unwrap();
    let view = store.case(id).unwrap();
    assert!(view.status.in_conflict());
    assert!(view.unknown.contains(&UnknownContent::Status {
        value: "escalated".into()
    }));
    for choose in 0..2 {
        assert!(matches!(
            store.execute(
                id,
                &Command::ResolveConflict {
                    field: "status".into(),
                    choose
                }
            ),
            Err(Error::UnknownStatus { .. })
        ));
    }
}

#[test]
fn hq_refuses_each_kind_of_unknown_content_and_names_it() {
    let policies = Policies::default();
    type Spoil = fn(&mut Automerge);
    let cases: [(&str, Spoil); 6] = [
        ("status `escalated`", |d| {
            put_raw(d, Some("decisions"), "status", NEWER_STATUS)
        }),
        ("fact `warranty_card`", |d| {
            put_raw(d, Some("facts"), "warranty_card", r#""WC-7""#)
        }),
        ("decision `priority`", |d| {
            put_raw(d, Some("decisions"), "priority", r#"{"key":"high"}"#)
        }),
        (
            "parts entry 0195f1c2-0000-7000-8000-0000000000aa of kind `loaned`",
            |d| {
                put_raw(
                    d,
                    Some(Collection::Parts.key()),
                    "0195f1c2-0000-7000-8000-0000000000aa",
                    NEWER_PART,
                )
            },
        ),
        ("of kind `video_call`", |d| {
            put_raw(
                d,
                Some(Collection::Visits.key()),
                "0195f1c2-0000-7000-8000-0000000000bb",
                NEWER_VISIT,
            )
        }),
        ("root key `surveys`", |d| put_raw(d, None, "surveys", "{}")),
    ];
    for (named, spoil) in cases {
        let (id, mut doc) = remote_case("H-1");
        assert!(check_case(&doc, id, &policies).is_ok());
        spoil(&mut doc);
        match check_case(&doc, id, &policies) {
            Err(e @ CheckError::UnknownContent(_)) => {
                let text = String::from(e);
                assert!(text.contains(named), "{text} does not name {named}");
            }
            other => panic!("{named}: not refused as unknown: {other:?}"),
        }
        // The device reads the same document.
        let view = fieldcore::build_view(&doc, id, &policies).unwrap();
        assert_eq!(view.unknown.len(), 1, "{named}");
    }
}

#[test]
fn what_no_version_can_read_stays_unreadable_for_devices_and_hq() {
    let policies = Policies::default();
    type Spoil = fn(&mut Automerge);
    let cases: [(&str, Spoil); 6] = [
        ("a status that is not a string", |d| {
            put_raw(
                d,
                Some("decisions"),
                "status",
                r#"{"key":"x","value":7,"by":"b","device":"d","at":"2026-11-02T11:00:00+08:00"}"#,
            )
        }),
        ("a part of a known kind missing its fields", |d| {
            put_raw(
                d,
                Some(Collection::Parts.key()),
                "0195f1c2-0000-7000-8000-0000000000cc",
                r#"{"id":"0195f1c2-0000-7000-8000-0000000000cc","by":"b","device":"d","at":"2026-11-02T11:00:00+08:00","kind":"used"}"#,
            )
        }),
        ("an unknown fact that is not JSON", |d| {
            put_raw(d, Some("facts"), "warranty_card", "WC-7")
        }),
        ("an unknown decision that is not JSON", |d| {
            put_raw(d, Some("decisions"), "priority", "high")
        }),
        (
            "a warranty decision that is a number, not a JSON string",
            |d| {
                let mut tx = d.transaction();
                let (_, decisions) = tx.get(ROOT, "decisions").unwrap().unwrap();
                tx.put(&decisions, "warranty", 7_i64).unwrap();
                tx.commit();
            },
        ),
        ("a note as automerge Text", |d| {
            let mut tx = d.transaction();
            let (_, notes) = tx.get(ROOT, Collection::Notes.key()).unwrap().unwrap();
            tx.put_object(&notes, "0190-text", ObjType::Text).unwrap();
            tx.commit();
        }),
    ];
    for (what, spoil) in cases {
        let (id, mut doc) = remote_case("U-1");
        spoil(&mut doc);
        assert!(
            fieldcore::build_view(&doc, id, &policies).is_err(),
            "{what}: a device read it"
        );
        assert!(
            matches!(
                check_case(&doc, id, &policies),
                Err(CheckError::Unreadable(_))
            ),
            "{what}: HQ did not refuse it as unreadable"
        );
    }
    // A newer schema number is refused before anything is read.
    let (id, mut doc) = remote_case("U-2");
    let mut tx = doc.transaction();
    tx.put(ROOT, "schema", 2_u64).unwrap();
    tx.commit();
    assert!(matches!(
        check_case(&doc, id, &policies),
        Err(CheckError::Schema(_))
    ));
}

/// A name a newer app could choose that this one does not know.
fn newer_name(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,23}".prop_filter("a name this version knows", move |s| {
        !known.contains(&s.as_str())
    })
}

const KNOWN_STATUSES: &[&str] = &[
    "registered",
    "acknowledged",
    "visit_scheduled",
    "on_site",
    "defect_confirmed",
    "warranty_decided",
    "resolved",
    "customer_confirmed",
    "closed",
    "reopened",
];
const KNOWN_FACTS: &[&str] = &[
    "customer_name",
    "customer_phone",
    "customer_address",
    "region",
    "home_region",
    "market",
    "product_model",
    "product_category",
    "serial_number",
    "manufacture_date",
    "purchase_date",
    "proof_of_purchase",
    "fault_description",
    "customer_request",
    "channel",
    "received_at",
    "first_responder",
    "first_responder_id",
    "production_batch",
];
const KNOWN_PART_KINDS: &[&str] = &["used", "reversal", "old_part_returned"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any newer status, fact or part kind survives a merge into a device holding the case, a
    /// local command, storage (the store reopened) and re-export, byte for byte; the device
    /// shows it as unknown and another case in the same responses is stored as usual.
    #[test]
    fn newer_values_round_trip_unchanged(
        status in newer_name(KNOWN_STATUSES),
        fact in newer_name(KNOWN_FACTS),
        fact_value in "[ -~]{0,40}",
        kind in newer_name(KNOWN_PART_KINDS),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let mut store = Store::open(&path, "wang").unwrap();
        store.set_clock(step_clock());
        let (id, doc) = remote_case("R-1");
        store.apply_sync(&PushPlan::default(), &response(1, &[(id, &doc)])).unwrap();
        // The device works on its copy while the newer device writes its values.
        store.execute(id, &Command::AddNote { text: "before".into() }).unwrap();
        let status_json = serde_json::json!({
            "key": status, "value": status, "by": "Zhou", "device": "d-new",
            "at": "2026-11-02T11:00:00+08:00",
        }).to_string();
        let fact_json = serde_json::Value::String(fact_value).to_string();
        let part_json = serde_json::json!({
            "id": "0195f1c2-0000-7000-8000-0000000000dd", "by": "Zhou", "device": "d-new",
            "at": "2026-11-02T11:00:00+08:00", "kind": kind,
        }).to_string();
        let mut newer = doc.fork();
        put_raw(&mut newer, Some("decisions"), "status", &status_json);
        put_raw(&mut newer, Some("facts"), &fact, &fact_json);
        put_raw(&mut newer, Some("parts"), "0195f1c2-0000-7000-8000-0000000000dd", &part_json);
        let (other, other_doc) = remote_case("R-2");
        let round = store
            .apply_sync(&PushPlan::default(), &response(2, &[(id, &newer), (other, &other_doc)]))
            .unwrap();
        prop_assert_eq!((round.pulled, round.quarantined), (2, 0));
        store.execute(id, &Command::AddNote { text: "after".into() }).unwrap();
        drop(store);

        let mut store = Store::open(&path, "wang").unwrap();
        let view = store.case(id).unwrap();
        prop_assert_eq!(view.status(), CaseStatus::Unknown(status.clone()));
        prop_assert_eq!(view.notes.len(), 2);
        prop_assert_eq!(view.unknown.len(), 3);
        prop_assert_eq!(store.projection_row(id).unwrap().unwrap().status, status);
        prop_assert!(store.case(other).unwrap().unknown.is_empty());
        let exported = Automerge::load(&store.export_document(id).unwrap()).unwrap();
        prop_assert_eq!(raw(&exported, Some("decisions"), "status"), Some(status_json));
        prop_assert_eq!(raw(&exported, Some("facts"), &fact), Some(fact_json));
        prop_assert_eq!(
            raw(&exported, Some("parts"), "0195f1c2-0000-7000-8000-0000000000dd"),
            Some(part_json)
        );
    }
}
