//! A case too big for one sync response reaches a real device in pages: the device's sync
//! loop follows `more`, stores each page (a prefix of the case, then the rest as changes) and
//! ends with exactly HQ's copy, every note shown.

use automerge::Automerge;
use fieldcore::Command;
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

/// Bytes of change chunks per response: a few notes' worth.
const BUDGET: usize = 2_048;

#[test]
fn a_big_case_reaches_another_device_in_pages() {
    let hq = TestHq::start_with_pull_budget(BUDGET).unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut desk = Device::enrolled(&hq, "li").unwrap();
    let case = phone.register("M2406-118842").unwrap();
    for i in 0..40 {
        let text = format!("{i:03} {}", "x".repeat(96));
        phone
            .store
            .execute(case, &Command::AddNote { text })
            .unwrap();
    }
    phone.sync().unwrap();
    phone.sync().unwrap();

    let mut sizes = Vec::new();
    let report = desk
        .sync_with_progress(&mut |p| sizes.push(p.bytes_received))
        .unwrap();
    assert!(report.progress.rounds > 4, "{report:?}");
    assert_eq!((report.repairs, report.quarantined), (0, 0), "{report:?}");
    // Each round received little more than the budget (bytes_received is cumulative).
    let per_round: Vec<u64> = sizes
        .iter()
        .scan(0, |before, total| {
            let round = total - *before;
            *before = *total;
            Some(round)
        })
        .collect();
    assert!(
        per_round.iter().all(|b| *b <= BUDGET as u64 + 64),
        "{per_round:?}"
    );

    let view = desk.store.case(case).unwrap();
    assert_eq!(view.notes.len(), 40);
    assert_eq!(view.number, phone.store.case(case).unwrap().number);
    let heads = |device: &mut Device| {
        let doc = Automerge::load(&device.store.export_document(case).unwrap()).unwrap();
        let mut heads = doc.get_heads();
        heads.sort();
        heads
    };
    assert_eq!(heads(&mut desk), heads(&mut phone), "both hold HQ's heads");
}
