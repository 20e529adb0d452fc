//! Old parts reported lost, decided at HQ against a real HQ (ADR 0022): only a cs_manager
//! decides, a rejection needs a reason, the decision reaches the device that reported the
//! loss, and a loss is decided once. The parts catalog HQ publishes must be well formed.

use fieldcore::testing::t0;
use fieldcore::{Command, OldPartCustody, PartInput};
use fieldhq::old_parts::{self, LossDecision};
use fieldhq::{Role, admin};
use uuid::Uuid;

use crate::common::{Backend, TestDevice, TestHq};

const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;

async fn decide(
    hq: &TestHq,
    case: Uuid,
    entry: &str,
    by: &str,
    decision: LossDecision,
) -> fieldhq::Result<old_parts::LossDecided> {
    old_parts::decide(
        hq.storage(),
        &case.to_string(),
        entry,
        by,
        decision,
        t0(),
        TZ,
    )
    .await
}

/// A case on wang's phone with a part line whose old part he reports lost; synced. Returns
/// the case and the `old_part_lost` entry's id.
async fn lost_on(hq: &TestHq, wang: &mut TestDevice) -> (Uuid, String) {
    let case = wang.register();
    wang.execute(
        case,
        &Command::RecordPart(PartInput {
            part_number: "BRG-6308".into(),
            specification: "6308-2RS".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: false,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
    );
    let line = wang.view(case).parts[0].id.clone();
    wang.execute(
        case,
        &Command::ReportOldPartLost {
            line_id: line,
            reason: "dropped into the sump at the pump station".into(),
        },
    );
    wang.sync(hq).await;
    let entry = match &wang.view(case).parts[0].custody {
        OldPartCustody::LostAwaitingApproval { entry, .. } => entry.clone(),
        other => panic!("{other:?}"),
    };
    (case, entry)
}

pub async fn only_a_cs_manager_decides_an_old_part_loss(backend: Backend) {
    let hq = TestHq::start(backend).await;
    hq.user("wu", Role::CsManager, None).await;
    hq.user("he", Role::Vp, None).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let (case, entry) = lost_on(&hq, &mut wang).await;
    let approve = || LossDecision::Approve { note: None };

    // A vice president, an engineer, a user HQ does not know: refused, nothing written.
    for by in ["he", "wang", "nobody"] {
        let refused = decide(&hq, case, &entry, by, approve()).await.unwrap_err();
        let text = refused.to_string();
        if by != "nobody" {
            assert!(
                text.contains("wrong role") && text.contains("cs_manager"),
                "{text}"
            );
            let zh = refused.text(fieldcore::Locale::ZhCn);
            assert!(zh.contains("客户服务部经理"), "{zh}");
        }
    }
    let blank = LossDecision::Reject { reason: " ".into() };
    assert!(decide(&hq, case, &entry, "wu", blank).await.is_err());
    assert!(
        decide(&hq, case, "no-such-entry", "wu", approve())
            .await
            .is_err()
    );
    wang.sync(&hq).await;
    assert_eq!(
        wang.view(case).parts[0].custody.as_str(),
        "lost_awaiting_approval",
        "no refusal wrote a decision"
    );

    // The manager rejects: the phone sees why; a new report is approved by the end of its id.
    let rejected = decide(
        &hq,
        case,
        &entry,
        "wu",
        LossDecision::Reject {
            reason: "search the van again".into(),
        },
    )
    .await
    .unwrap();
    assert!(!rejected.record.approved);
    assert_eq!(rejected.record.key(), format!("{entry}:loss"));
    assert_eq!(rejected.record.role.as_deref(), Some("cs_manager"));
    assert_eq!(rejected.part_number, "BRG-6308");
    assert!(
        decide(&hq, case, &entry, "wu", approve()).await.is_err(),
        "a loss is decided once"
    );
    wang.sync(&hq).await;
    let view = wang.view(case);
    match &view.parts[0].custody {
        OldPartCustody::LostRejected { by, rejection, .. } => {
            assert_eq!(by, "wu");
            assert_eq!(rejection.as_deref(), Some("search the van again"));
        }
        other => panic!("{other:?}"),
    }
    let line = view.parts[0].id.clone();
    wang.execute(
        case,
        &Command::ReportOldPartLost {
            line_id: line,
            reason: "not in the van either; the site was flooded".into(),
        },
    );
    wang.sync(&hq).await;
    let again = match &wang.view(case).parts[0].custody {
        OldPartCustody::LostAwaitingApproval { entry, .. } => entry.clone(),
        other => panic!("{other:?}"),
    };
    let tail = &again[again.len() - 8..];
    let approved = decide(&hq, case, tail, "wu", approve()).await.unwrap();
    assert!(approved.record.approved);
    assert_eq!(approved.record.request, again);
    wang.sync(&hq).await;
    let custody = wang.view(case).parts[0].custody.clone();
    assert_eq!(custody.as_str(), "lost_approved");
    assert!(custody.accounted());
}

pub async fn a_malformed_parts_catalog_is_not_published(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let policies = serde_json::to_string(&fieldcore::Policies::default()).unwrap();
    let good = r#"{"parts":[{"part_number":"BRG-6308","specification":"6308-2RS","unit":"个","categories":["motor"],"models":[],"unit_cost":"42.50"}]}"#;
    let v1 = admin::set_reference(hq.storage(), &policies, Some(good))
        .await
        .unwrap();
    for bad in [
        r#"{"parts":["bearing"]}"#,
        r#"{"parts":{}}"#,
        r#"{"parts":[{"part_number":"X","specification":"s","unit":"个","unit_cost":"1.234"}]}"#,
    ] {
        let refused = admin::set_reference(hq.storage(), &policies, Some(bad))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("parts catalog"), "{refused}");
        assert!(refused.text(fieldcore::Locale::ZhCn).contains("配件目录"));
    }
    let current = admin::reference(hq.storage()).await.unwrap().unwrap();
    assert_eq!(current.version, v1, "nothing was published");
    assert_eq!(current.catalogs_json, good);
}
