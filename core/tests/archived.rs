//! A case HQ archived: the device keeps its work, shows the case archived, stops pushing it,
//! and asks for it whole; once HQ restores it, its arrival lifts the mark and the work goes
//! up again.
#![allow(clippy::unwrap_used)]

use automerge::Automerge;
use fieldcore::testing::{registration, step_clock};
use fieldcore::{
    AckOutcome, ByteBuf, CasePull, CaseSyncState, PROTOCOL_VERSION, Store, SyncResponse,
};

fn response(cursor: u64, acks: Vec<AckOutcome>, pulls: Vec<CasePull>) -> SyncResponse {
    SyncResponse {
        version: PROTOCOL_VERSION,
        cursor,
        more: false,
        acks,
        pulls,
        reference: None,
    }
}

#[test]
fn an_archived_answer_keeps_the_work_until_the_case_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    let id = store.register(&registration()).unwrap().id;

    let (request, plan) = store.prepare_sync(1 << 20, 100).unwrap();
    assert_eq!(request.pushes.len(), 1);
    let round = store
        .apply_sync(&plan, &response(5, vec![AckOutcome::Archived], vec![]))
        .unwrap();
    assert_eq!(round.archived, 1);
    assert_eq!(round.acknowledged, 0);
    assert_eq!(store.case_sync_state(id).unwrap(), CaseSyncState::Archived);
    assert_eq!(store.archived_cases().unwrap(), vec![id]);
    assert!(
        store.rejected_cases().unwrap().is_empty(),
        "not a rejection"
    );
    assert_eq!(store.case_sync_reason(id).unwrap(), None);

    // Not pushed again while archived, but asked for whole: HQ sends it once restored.
    let (request, plan) = store.prepare_sync(1 << 20, 100).unwrap();
    assert!(request.pushes.is_empty());
    assert_eq!(request.want_full, vec![id]);

    // HQ restored the case: it arrives whole (what HQ holds is this device's own change).
    // The device's own chunks, as HQ stored them and now sends them back.
    let doc = Automerge::load(&store.export_document(id).unwrap()).unwrap();
    let changes: Vec<ByteBuf> = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect();
    store
        .apply_sync(
            &plan,
            &response(
                9,
                vec![],
                vec![CasePull {
                    case_id: id,
                    changes,
                    whole: true,
                    number: Some("2611-0001".into()),
                }],
            ),
        )
        .unwrap();
    assert!(store.archived_cases().unwrap().is_empty());
    assert_eq!(store.case_sync_state(id).unwrap(), CaseSyncState::Pending);
    let (request, _) = store.prepare_sync(1 << 20, 100).unwrap();
    assert_eq!(request.pushes.len(), 1, "the kept work goes up again");
    assert!(request.want_full.is_empty());
}
