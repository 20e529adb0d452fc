//! Warranty parts at HQ against a real HQ (issue 14): ledger pushes judged by holder and by
//! the append-only rule, requisitions approved by the role of their step and issued once,
//! old-part shipments checked on arrival, the balance from HQ's read model.

use fieldcore::testing::t0;
use fieldcore::{
    AckOutcome, ByteBuf, CasePush, Holder, LedgerRoot, Movement, MovementKind, Payload, Quarter,
    RejectReason, Requisition, Shipment, ShippedPart, ledger_id, open_new_ledger, put_ledger_entry,
};
use fieldhq::Role;
use fieldhq::parts::{self, PartsDecision};
use serde::Serialize;
use uuid::Uuid;

use crate::common::{Backend, TestDevice, TestHq, chunks_after};

const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;

fn center() -> Holder {
    "center:C01".parse().unwrap()
}

/// The quarter of `t0()`, which the test's entries are dated in.
fn quarter() -> Quarter {
    Quarter::of(t0().with_timezone(&TZ).date_naive())
}

/// Records an entry in the device's copy of `holder`'s ledger, as the core does offline: the
/// ledger's first change (made alike on every replica) and the entry wait in the outbox.
fn record(device: &mut TestDevice, holder: &Holder, map: &str, record: &impl Serialize) -> String {
    let id = ledger_id(holder, quarter());
    let actor = device.actor.clone();
    let doc = device
        .docs
        .entry(id)
        .or_insert_with(|| open_new_ledger(holder, quarter(), &actor));
    doc.set_actor(actor);
    let heads = if device.outbox.contains_key(&id) || doc.get_changes(&[]).len() > 1 {
        doc.get_heads()
    } else {
        Vec::new()
    };
    let root = LedgerRoot::read(doc).unwrap();
    let key = Uuid::now_v7().to_string();
    put_ledger_entry(doc, &root, map, &key, record, "test", 0).unwrap();
    let chunks = chunks_after(doc, &heads);
    device.outbox.entry(id).or_default().extend(chunks);
    key
}

fn requisition(quantity: i64) -> Requisition {
    Requisition {
        part_number: "B-6205".into(),
        specification: "6205-2RS bearing".into(),
        quantity,
        reason: Some("stock for the pump season".into()),
        case_id: None,
        at: t0(),
        by: "zhao".into(),
        device: "tablet".into(),
    }
}

fn issue(quantity: i64) -> Movement {
    Movement {
        kind: MovementKind::Issue,
        part_number: "B-6205".into(),
        quantity,
        at: t0(),
        by: "zhao".into(),
        device: "tablet".into(),
        case_id: Some(Uuid::now_v7().to_string()),
        line: None,
        counterparty: None,
        reference: None,
        reason: None,
        unit_cost: None,
        correction_of: None,
    }
}

pub async fn requisitions_are_approved_by_their_role_and_issued_once(backend: Backend) {
    let hq = TestHq::start(backend).await;
    hq.user("wu", Role::CsManager, None).await;
    hq.user("he", Role::Vp, None).await;
    hq.user("ma", Role::Warehouse, None).await;
    let mut tablet = hq.person("zhao", Role::Technician, Some("C01")).await;
    let req = record(&mut tablet, &center(), "requisitions", &requisition(4));
    tablet.sync(&hq).await;
    assert!(tablet.outbox.is_empty(), "the ledger was accepted");

    let waiting = parts::requests(hq.storage(), true).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].waiting_role.as_deref(), Some("cs_manager"));

    // Issuing before approval, approving with the wrong role, rejecting without a reason:
    // each refused, nothing written.
    let before = hq.log_len().await;
    let early = parts::dispatch(hq.storage(), &req, "ma", t0(), TZ)
        .await
        .unwrap_err();
    assert!(
        early.to_string().contains("only once it is approved"),
        "{early}"
    );
    let wrong = parts::decide(
        hq.storage(),
        &req,
        "he",
        PartsDecision::Approve { note: None },
        t0(),
    )
    .await
    .unwrap_err();
    assert!(wrong.to_string().contains("wrong role"), "{wrong}");
    let bare = parts::decide(
        hq.storage(),
        &req,
        "wu",
        PartsDecision::Reject { reason: " ".into() },
        t0(),
    )
    .await
    .unwrap_err();
    assert!(bare.to_string().contains("reason"), "{bare}");
    assert_eq!(hq.log_len().await, before);

    let decided = parts::decide(
        hq.storage(),
        &req,
        "wu",
        PartsDecision::Approve { note: None },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(decided.state, "approved");
    let issued = parts::dispatch(hq.storage(), &req, "ma", t0(), TZ)
        .await
        .unwrap();
    assert_eq!(issued.quantity, 4);
    let again = parts::dispatch(hq.storage(), &req, "ma", t0(), TZ)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("issued already"), "{again}");

    // The tablet pulls the approval and the receipt; HQ's balance counts the four bearings.
    tablet.sync(&hq).await;
    let view = fieldcore::read_ledger(
        &tablet.docs[&ledger_id(&center(), quarter())],
        &fieldcore::PartsPolicy::default(),
    )
    .unwrap();
    assert_eq!(
        view.requisitions[0].approval,
        fieldcore::StockApproval::Approved
    );
    assert_eq!(
        view.requisitions[0].dispatched.as_deref(),
        Some(issued.receipt.as_str())
    );
    let balance = parts::balance(hq.storage(), "center:C01", None)
        .await
        .unwrap();
    assert_eq!(balance[0].quantity, 4);
    assert!(
        parts::requests(hq.storage(), true)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn old_part_shipments_are_checked_once_against_their_list(backend: Backend) {
    let hq = TestHq::start(backend).await;
    hq.user("ma", Role::Warehouse, None).await;
    hq.user("wu", Role::CsManager, None).await;
    let mut tablet = hq.person("zhao", Role::Technician, Some("C01")).await;
    let part = |tag: &str| ShippedPart {
        tag: tag.into(),
        part_number: "B-6205".into(),
        case_id: Some(Uuid::now_v7().to_string()),
        line: None,
    };
    let shipment = record(
        &mut tablet,
        &center(),
        "shipments",
        &Shipment {
            parts: vec![part("T-1"), part("T-2"), part("T-3")],
            waybill: Some("SF123".into()),
            at: t0(),
            by: "zhao".into(),
            device: "tablet".into(),
        },
    );
    tablet.sync(&hq).await;
    let stranger = parts::check_shipment(
        hq.storage(),
        &shipment,
        "ma",
        vec!["T-9".into()],
        None,
        t0(),
    )
    .await
    .unwrap_err();
    assert!(stranger.to_string().contains("T-9"), "{stranger}");
    let by_cs = parts::check_shipment(hq.storage(), &shipment, "wu", vec![], None, t0())
        .await
        .unwrap_err();
    assert!(by_cs.to_string().contains("warehouse"), "{by_cs}");
    let checked = parts::check_shipment(
        hq.storage(),
        &shipment,
        "ma",
        vec!["T-1".into(), "T-3".into()],
        Some("T-2 not in the box".into()),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(checked.missing, ["T-2"]);
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_shipment_parts WHERE received = 1")
            .await,
        2
    );
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_shipment_parts WHERE received = 0")
            .await,
        1
    );
    let twice = parts::check_shipment(hq.storage(), &shipment, "ma", vec![], None, t0())
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("checked already"), "{twice}");
}

pub async fn ledger_entries_are_immutable_and_only_the_holder_writes_them(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut tablet = hq.person("zhao", Role::Technician, Some("C01")).await;
    let mut other = hq.person("sun", Role::Technician, Some("C02")).await;
    let mut van = hq.person("wang", Role::Engineer, None).await;
    let first = record(&mut tablet, &center(), "movements", &issue(1));
    tablet.sync(&hq).await;
    assert!(tablet.outbox.is_empty());

    // Rewriting an entry that exists, or writing HQ's approvals: each refused for that ledger
    // alone.
    let id = ledger_id(&center(), quarter());
    let doc = &tablet.docs[&id];
    let heads = doc.get_heads();
    let root = LedgerRoot::read(doc).unwrap();
    for (map, key, expected) in [
        ("movements", first.as_str(), "exists already"),
        ("approvals", "x:approve", "written only by HQ"),
    ] {
        let mut forged = doc.fork_at(&heads).unwrap();
        forged.set_actor(tablet.actor.clone());
        put_ledger_entry(&mut forged, &root, map, key, &issue(5), "test", 0).unwrap();
        let mut request = tablet.request();
        request.pushes = vec![CasePush {
            case_id: id,
            payload: Payload::Changes(
                chunks_after(&forged, &heads)
                    .into_iter()
                    .map(ByteBuf::from)
                    .collect(),
            ),
        }];
        let response = tablet.exchange(&hq, &request).await;
        match &response.acks[0] {
            AckOutcome::Rejected { reason, detail } => {
                assert_eq!(*reason, RejectReason::NotPermitted);
                assert!(detail.contains(expected), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_movements WHERE holder = 'center:C01'")
            .await,
        1,
        "nothing of the refused pushes stored"
    );

    // Another center's technician: not sent the ledger, refused writing it.
    other.sync(&hq).await;
    assert!(!other.docs.contains_key(&id));
    record(&mut other, &center(), "movements", &issue(1));
    let request = other.request();
    let response = other.exchange(&hq, &request).await;
    assert_eq!(response.acks, [AckOutcome::Forbidden]);

    // An engineer's van stock is the engineer's alone; the center's tablet does not get it.
    let mine: Holder = "van:wang".parse().unwrap();
    record(&mut van, &mine, "movements", &issue(1));
    van.sync(&hq).await;
    assert!(van.outbox.is_empty());
    tablet.sync(&hq).await;
    assert!(!tablet.docs.contains_key(&ledger_id(&mine, quarter())));
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_movements WHERE holder = 'van:wang'")
            .await,
        1
    );
}
