//! What list screens ask of the store (ADR 0018): several statuses at once, the "due soon"
//! order with keyset paging, free text over number, customer, serial and phone (Chinese
//! included) through the trigram index, tab counts, and the read-only connection answering
//! while the writer holds a transaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use fieldcore::testing::{StepClock, registration_for};
use fieldcore::{CaseId, Command, ListQuery, Reader, SortOrder, Status, Store};
use proptest::prelude::*;

fn open(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open(dir.path().join("device.db"), "Li Wei").unwrap();
    store.set_clock(StepClock::new().boxed());
    store
}

fn register(store: &mut Store, customer: &str, serial: &str, phone: &str) -> CaseId {
    let mut r = registration_for(serial);
    r.customer_name = customer.into();
    r.customer_phone = phone.into();
    store.register(&r).unwrap().id
}

fn ids(store: &Store, query: ListQuery) -> BTreeSet<CaseId> {
    store
        .list(&query)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.case.case_id.parse().unwrap())
        .collect()
}

fn text(t: &str) -> ListQuery {
    ListQuery {
        text: Some(t.into()),
        ..Default::default()
    }
}

#[test]
fn free_text_finds_number_customer_serial_and_phone_chinese_included() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let pump = register(
        &mut store,
        "石家庄水泵三厂",
        "M2406-118842",
        "+86 138-0013-8000",
    );
    let motor = register(
        &mut store,
        "Hebei Motor Works",
        "YE3-000123",
        "0311 5555 0101",
    );
    let both = [pump, motor].into_iter().collect::<BTreeSet<_>>();

    // A piece of a Chinese name, three characters and more: the trigram index.
    assert_eq!(ids(&store, text("水泵三")), [pump].into());
    assert_eq!(ids(&store, text("石家庄水泵三厂")), [pump].into());
    // Two characters (a short Chinese name) are scanned, and still found.
    assert_eq!(ids(&store, text("水泵")), [pump].into());
    // Case does not matter; the middle of a serial is found.
    assert_eq!(ids(&store, text("motor works")), [motor].into());
    assert_eq!(ids(&store, text("06-1188")), [pump].into());
    // Phone digits with or without the separators the customer gave.
    assert_eq!(ids(&store, text("13800138000")), [pump].into());
    assert_eq!(ids(&store, text("138-0013")), [pump].into());
    assert_eq!(ids(&store, text("5555 0101")), [motor].into());
    // Query syntax is text: quotes, stars and operators match nothing, break nothing.
    assert!(ids(&store, text("\"水泵\" OR *")).is_empty());
    assert!(ids(&store, text("nowhere")).is_empty());
    // Blank text is no filter.
    assert_eq!(ids(&store, text("   ")), both);

    // The index follows a correction of the customer's name (the projection row's update).
    store
        .execute(
            motor,
            &Command::UpdateFacts(fieldcore::FactsUpdate {
                customer_name: Some("保定电机厂".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    assert_eq!(ids(&store, text("保定电机")), [motor].into());
    assert!(ids(&store, text("motor works")).is_empty());
}

#[test]
fn several_statuses_due_soon_order_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(register(
            &mut store,
            "Customer",
            &format!("SN-{i:03}"),
            "0311 5555 0101",
        ));
    }
    for id in &all[..3] {
        store
            .execute(*id, &Command::Acknowledge { note: None })
            .unwrap();
    }
    let open_tab = ListQuery {
        statuses: vec![Status::Registered, Status::Acknowledged],
        ..Default::default()
    };
    assert_eq!(ids(&store, open_tab.clone()).len(), 7);
    let acknowledged = ListQuery {
        statuses: vec![Status::Acknowledged],
        ..Default::default()
    };
    assert_eq!(
        ids(&store, acknowledged),
        all[..3].iter().copied().collect()
    );
    // `status` joins `statuses`.
    let joined = ListQuery {
        status: Some(Status::Registered),
        statuses: vec![Status::Acknowledged],
        ..Default::default()
    };
    assert_eq!(ids(&store, joined).len(), 7);

    // Due soon: pages of two, in next-deadline order, every case once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(&ListQuery {
                sort: SortOrder::NextDue,
                limit: 2,
                after: after.clone(),
                ..Default::default()
            })
            .unwrap();
        seen.extend(
            page.rows
                .iter()
                .map(|r| (r.case.next_due_ms, r.case.case_id.clone())),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort_by_key(|(ms, id)| (ms.is_none(), *ms, id.clone()));
    assert_eq!(seen, sorted);
    // A cursor of one order is refused by the other.
    let refused = store.list(&ListQuery {
        after: after
            .clone()
            .or(Some("due::0190f7a2-0000-7000-8000-000000000000".into())),
        ..Default::default()
    });
    assert!(refused.is_err());

    let counts = store.counts().unwrap();
    assert_eq!(counts.total, 7);
    assert_eq!(
        counts.by_status,
        vec![("acknowledged".into(), 3), ("registered".into(), 4)]
    );
    assert_eq!(counts.conflicts, 0);
}

#[test]
fn the_reader_answers_while_the_writer_holds_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let id = register(
        &mut store,
        "石家庄水泵三厂",
        "M2406-000001",
        "0311 5555 0101",
    );
    let mut reader = Reader::open(dir.path().join("device.db")).unwrap();
    let now = store.now();
    // A command holds the writer (an IMMEDIATE transaction) for the whole closure; the
    // reader reads the last commit meanwhile, without waiting for it.
    store
        .with_write_for_test(|| {
            let page = reader.list(&ListQuery::default(), now).unwrap();
            assert_eq!(page.rows.len(), 1);
            assert_eq!(reader.case(id).unwrap().id, id);
            assert_eq!(reader.counts(now).unwrap().total, 1);
            assert_eq!(
                reader.case_sync_state(id).unwrap(),
                fieldcore::CaseSyncState::Pending
            );
        })
        .unwrap();
    // A later commit is seen by the next read.
    let second = register(
        &mut store,
        "Hebei Motor Works",
        "M2406-000002",
        "0311 5555 0102",
    );
    assert_eq!(reader.case(second).unwrap().id, second);
    assert!(reader.last_sync_at().unwrap().is_none());
}

const PHONE: &str = "0311 5555 0101";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the names and the piece typed, the index finds exactly the cases whose
    /// number, customer, serial or phone contain it (what a scan of every row would find).
    #[test]
    fn search_finds_what_a_scan_finds(
        names in proptest::collection::vec("[水泵电机厂石家庄ab1-9]{1,8}", 1..6),
        start in 0usize..6,
        len in 1usize..5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        let mut cases = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let id = register(&mut store, name, &format!("SN-{i:04}"), PHONE);
            cases.push((id, name.clone()));
        }
        let source: Vec<char> = names[0].chars().collect();
        let piece: String = source.iter().skip(start % source.len()).take(len).collect();
        let lower = piece.to_lowercase();
        // The phone is also indexed without its separators, for three digits and more.
        let digits: String = PHONE.chars().filter(char::is_ascii_digit).collect();
        let by_digits = piece.chars().count() >= 3
            && piece.chars().all(|c| c.is_ascii_digit())
            && digits.contains(&piece);
        let expected: BTreeSet<CaseId> = cases
            .iter()
            .enumerate()
            .filter(|(i, (_, name))| {
                name.to_lowercase().contains(&lower)
                    || format!("sn-{i:04}").contains(&lower)
                    || PHONE.contains(&lower)
                    || by_digits
            })
            .map(|(_, (id, _))| *id)
            .collect();
        prop_assert_eq!(ids(&store, text(&piece)), expected);
    }
}
