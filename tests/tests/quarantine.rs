//! Against a real HQ on loopback: a change no device could read, pushed by a client of its
//! own, is rejected by HQ for its case alone; and a case that reaches the devices unreadable
//! anyway (HQ's log written around its checks, as by an older HQ) is quarantined on the
//! devices that pull it, and they go on syncing every other case, round after round.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use fieldcore::{
    AckOutcome, ByteBuf, CancelToken, CasePush, CaseSyncState, Collection, Command, HttpTransport,
    PROTOCOL_VERSION, Payload, RejectReason, SyncRequest, SyncResponse, Transport,
};
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

#[test]
fn a_case_no_device_can_read_is_set_aside_and_the_others_sync_on() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut desk = Device::enrolled(&hq, "li").unwrap();
    let spoiled = phone.register("M-SPOIL").unwrap();
    let healthy = phone.register("M-GOOD").unwrap();
    phone.sync().unwrap();
    desk.sync().unwrap();

    // A second client of the same engineer writes a note that is not JSON into one case.
    let mut rogue = Device::enrolled(&hq, "wang").unwrap();
    rogue.sync().unwrap();
    let mut doc = Automerge::load(&rogue.store.export_document(spoiled).unwrap()).unwrap();
    doc.set_actor(rogue.store.actor().clone());
    let heads = doc.get_heads();
    let mut tx = doc.transaction();
    let (_, notes) = tx.get(ROOT, Collection::Notes.key()).unwrap().unwrap();
    tx.put(&notes, "0190-rogue", "{ not json").unwrap();
    tx.commit();
    let rogue_changes = doc.get_changes(&heads);
    let chunks = rogue_changes
        .iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect();
    let (cursor, reference_version) = rogue.store.sync_position().unwrap();
    let request = SyncRequest {
        version: PROTOCOL_VERSION,
        actor: rogue.store.actor().to_bytes().to_vec(),
        cursor,
        reference_version,
        pushes: vec![CasePush {
            case_id: spoiled,
            payload: Payload::Changes(chunks),
        }],
        want_full: vec![],
        max_pull: 100,
    };
    let before = hq.log_len().unwrap();
    let reply = HttpTransport::new(&rogue.config)
        .unwrap()
        .sync(
            fieldcore::encode_message(&request).unwrap(),
            &CancelToken::new(),
            &mut 0,
        )
        .unwrap();
    let reply: SyncResponse = fieldcore::decode_message(&reply).unwrap();
    match &reply.acks[..] {
        [AckOutcome::Rejected { reason, detail }] => {
            assert_eq!(*reason, RejectReason::Unreadable, "{detail}");
            assert!(detail.contains("unreadable entry"), "{detail}");
        }
        other => panic!("HQ must reject the unreadable note, got {other:?}"),
    }
    assert_eq!(hq.log_len().unwrap(), before, "HQ stored nothing of it");
    desk.sync().unwrap();
    assert_eq!(
        desk.store.case_sync_state(spoiled).unwrap(),
        CaseSyncState::Synced
    );

    // The same change in HQ's log anyway, as an HQ that did not check would hold it.
    hq.store_unchecked(spoiled, rogue_changes).unwrap();

    // Honest work goes on meanwhile, on the other case.
    phone
        .store
        .execute(
            healthy,
            &Command::AddNote {
                text: "bearing replaced".into(),
            },
        )
        .unwrap();
    phone.sync().unwrap();

    for round in 0..3 {
        let report = desk.sync().unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(report.quarantined, 1, "round {round}");
    }
    assert_eq!(
        desk.store.case_sync_state(spoiled).unwrap(),
        CaseSyncState::Quarantined
    );
    let set_aside = desk.store.quarantined_cases().unwrap();
    assert_eq!(set_aside.len(), 1);
    assert!(set_aside[0].1.contains("unreadable"), "{}", set_aside[0].1);
    // The desk still has its readable copy of the spoiled case, and the other case's news.
    assert_eq!(
        desk.store.case(spoiled).unwrap().registration.serial_number,
        "M-SPOIL"
    );
    let notes = desk.store.case(healthy).unwrap().notes;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body.text, "bearing replaced");

    // The phone holds the case too: it sets it aside as well and keeps syncing.
    let report = phone.sync().unwrap();
    assert_eq!(report.quarantined, 1);
    phone
        .store
        .execute(
            healthy,
            &Command::AddNote {
                text: "customer signed".into(),
            },
        )
        .unwrap();
    phone.sync().unwrap();
    desk.sync().unwrap();
    assert_eq!(desk.store.case(healthy).unwrap().notes.len(), 2);
}
