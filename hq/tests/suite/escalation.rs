//! Escalations, trip approvals and first-responder handovers against a real HQ (ADR 0014).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset};
use fieldcore::testing::{registration_for, t0};
use fieldcore::{Cause, Command, DefectInput, EscalationKind, Policies, Registration, VisitBody};
use fieldhq::escalation;
use fieldhq::storage::EscalationRow;
use fieldhq::trips::{self, TripDecision};
use fieldhq::{Role, admin};
use uuid::Uuid;

use crate::common::{Backend, TestDevice, TestHq};

const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;

/// A case of `model` (and `batch`) received `days` days before t0.
fn received(model: &str, batch: Option<&str>, days: i64, serial: &str) -> Registration {
    let mut r = registration_for(serial);
    r.product_model = model.to_owned();
    r.production_batch = batch.map(str::to_owned);
    r.received_at = t0() - Duration::days(days);
    r.purchase_date = Some(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    r.manufacture_date = Some(chrono::NaiveDate::from_ymd_opt(2024, 12, 1).unwrap());
    r
}

fn defect(cause: Cause, major_incident: bool) -> Command {
    Command::ConfirmDefect(DefectInput {
        cause,
        findings: "winding burnt".into(),
        measurements: vec![],
        major_incident,
        evidence_photos: vec![],
    })
}

/// Registers a case and confirms its defect, on the device (offline).
fn confirmed(device: &mut TestDevice, registration: &Registration, cause: Cause) -> Uuid {
    let case = device.register_case(registration);
    device.execute(case, &Command::Acknowledge { note: None });
    device.execute(case, &Command::ArriveOnSite);
    device.execute(case, &defect(cause, false));
    case
}

/// Publishes policies whose overdue delay is a year: the cases these tests receive in the
/// past are long overdue, and only their batch faults and incidents are under test.
async fn without_overdue(hq: &TestHq) {
    let mut policies = Policies::default();
    policies.escalation.overdue_delay_hours = 24 * 365;
    admin::set_reference(
        hq.storage(),
        &serde_json::to_string(&policies).unwrap(),
        None,
    )
    .await
    .unwrap();
}

async fn escalations(hq: &TestHq) -> Vec<EscalationRow> {
    escalation::list(hq.storage()).await.unwrap()
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

pub async fn batch_faults_escalate_at_the_threshold_within_the_window(backend: Backend) {
    let hq = TestHq::start(backend).await;
    without_overdue(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let model = "YE3-160M-4";
    // Days before t0: the window (30 days by default) starts at the first case, 60 days ago.
    let a = confirmed(
        &mut wang,
        &received(model, None, 60, "A"),
        Cause::DesignManufacturing,
    );
    let b = confirmed(
        &mut wang,
        &received(model, None, 59, "B"),
        Cause::StorageTransport,
    );
    // Exactly 30 days after the first: outside its window, which is [first, first + 30 d).
    let c = confirmed(
        &mut wang,
        &received(model, None, 30, "C"),
        Cause::DesignManufacturing,
    );
    // A non-quality fault of the same model is not a batch fault.
    confirmed(
        &mut wang,
        &received(model, None, 58, "D"),
        Cause::CustomerMisuse,
    );
    // Another model is counted apart.
    confirmed(
        &mut wang,
        &received("Y2-90L-2", None, 58, "X"),
        Cause::DesignManufacturing,
    );
    wang.sync(&hq).await;
    assert!(
        escalations(&hq).await.is_empty(),
        "two quality faults in a window are under the threshold of three"
    );

    // The third within the window of the first: one escalation, of the three inside it.
    let e = confirmed(
        &mut wang,
        &received(model, None, 31, "E"),
        Cause::DesignManufacturing,
    );
    wang.sync(&hq).await;
    let all = escalations(&hq).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let batch = &all[0];
    assert_eq!(batch.kind, "batch_fault");
    assert_eq!(batch.product_model.as_deref(), Some(model));
    assert_eq!(batch.production_batch, None);
    assert_eq!(batch.to_role, "quality");
    assert_eq!(batch.cases, sorted(vec![a, b, e]), "c is past the window");
    assert_eq!(
        batch.window_start,
        Some((t0() - Duration::days(60)).timestamp())
    );
    assert_eq!(
        batch.window_end,
        Some((t0() - Duration::days(30)).timestamp())
    );
    assert_eq!(batch.acked_at, None);

    // A case counted once: more work on the counted cases raises nothing more.
    for case in [a, b, e] {
        wang.note(case, "customer called again");
    }
    wang.sync(&hq).await;
    assert_eq!(escalations(&hq).await.len(), 1);
    assert_eq!(escalations(&hq).await[0].cases.len(), 3);

    // A later case inside the same window joins the escalation: one per model and window.
    let f = confirmed(
        &mut wang,
        &received(model, None, 50, "F"),
        Cause::DesignManufacturing,
    );
    wang.sync(&hq).await;
    let all = escalations(&hq).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].cases, sorted(vec![a, b, e, f]));
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM batch_arrivals").await,
        6,
        "every quality-fault case counted once (a b c e f and the other model's)"
    );

    // The devices holding the cases show the escalation, HQ's own entry in the document.
    for case in [a, b, e, f] {
        let view = wang.view(case);
        assert_eq!(view.escalations.len(), 1, "{case}");
        let record = &view.escalations[0];
        assert_eq!(record.kind, EscalationKind::BatchFault);
        assert_eq!(record.id, all[0].escalation_id.to_string());
        assert_eq!(record.acknowledged, None);
        assert!(view.unknown.is_empty());
    }
    assert!(wang.view(c).escalations.is_empty());
    let text = wang.view(a).escalations[0].text(fieldcore::Locale::ZhCn);
    assert!(text.starts_with("批量故障 YE3-160M-4"), "{text}");
    assert!(text.contains("待确认"), "{text}");

    // Acknowledged at HQ by HQ staff only, once; the devices show who acknowledged it.
    hq.user("liu", Role::HqStaff, None).await;
    let now = t0();
    let id = all[0].escalation_id;
    let refused = escalation::acknowledge(hq.storage(), id, "wang", None, now, TZ).await;
    assert!(
        refused.is_err(),
        "an engineer does not acknowledge escalations"
    );
    let acked = escalation::acknowledge(hq.storage(), id, "liu", Some("8D opened"), now, TZ)
        .await
        .unwrap();
    assert_eq!(acked.acked_by.as_deref(), Some("liu"));
    assert_eq!(acked.ack_note.as_deref(), Some("8D opened"));
    assert!(
        escalation::acknowledge(hq.storage(), id, "liu", None, now, TZ)
            .await
            .is_err(),
        "acknowledged once"
    );
    wang.sync(&hq).await;
    for case in [a, b, e, f] {
        let ack = wang.view(case).escalations[0].acknowledged.clone().unwrap();
        assert_eq!(ack.by, "liu");
        assert_eq!(ack.note.as_deref(), Some("8D opened"));
    }
}

pub async fn batches_are_counted_apart_and_a_major_incident_escalates_at_once(backend: Backend) {
    let hq = TestHq::start(backend).await;
    without_overdue(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let model = "YE3-160M-4";
    // Three cases of one model but two batches: two of one batch are not a batch fault.
    confirmed(
        &mut wang,
        &received(model, Some("L2406"), 5, "A"),
        Cause::DesignManufacturing,
    );
    confirmed(
        &mut wang,
        &received(model, Some("L2406"), 4, "B"),
        Cause::DesignManufacturing,
    );
    confirmed(
        &mut wang,
        &received(model, Some("L2407"), 3, "C"),
        Cause::DesignManufacturing,
    );
    wang.sync(&hq).await;
    assert!(escalations(&hq).await.is_empty());
    let d = confirmed(
        &mut wang,
        &received(model, Some("L2407"), 2, "D"),
        Cause::DesignManufacturing,
    );
    let e = confirmed(
        &mut wang,
        &received(model, Some("L2407"), 1, "E"),
        Cause::DesignManufacturing,
    );
    wang.sync(&hq).await;
    let all = escalations(&hq).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].production_batch.as_deref(), Some("L2407"));
    assert_eq!(all[0].cases.len(), 3);
    assert!(all[0].cases.contains(&d) && all[0].cases.contains(&e));

    // A major quality incident escalates with its first sync, alone, to the vice president.
    let case = wang.register_case(&received("Y2-90L-2", None, 1, "M"));
    wang.execute(case, &Command::Acknowledge { note: None });
    wang.execute(case, &Command::ArriveOnSite);
    wang.execute(case, &defect(Cause::CustomerMisuse, true));
    wang.sync(&hq).await;
    let all = escalations(&hq).await;
    assert_eq!(all.len(), 2);
    let major = all.iter().find(|e| e.kind == "major_incident").unwrap();
    assert_eq!(major.cases, vec![case]);
    assert_eq!(major.to_role, "vp");
    wang.note(case, "the plant is stopped");
    wang.sync(&hq).await;
    assert_eq!(escalations(&hq).await.len(), 2, "raised once");
    let view = wang.view(case);
    assert_eq!(view.escalations.len(), 1);
    assert_eq!(view.escalations[0].kind, EscalationKind::MajorIncident);
    assert!(
        view.escalations[0]
            .text(fieldcore::Locale::ZhCn)
            .starts_with("重大质量事故")
    );
}

pub async fn two_hq_nodes_raise_one_escalation(backend: Backend) {
    let mut first = TestHq::start(backend).await;
    without_overdue(&first).await;
    let second = TestHq {
        backend,
        hq: Some(fieldhq::serve(first.config.clone()).await.unwrap()),
        config: first.config.clone(),
        dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
    };
    let mut wang = first.person("wang", Role::Engineer, None).await;
    let mut zhao = first.person("zhao", Role::Engineer, None).await;
    let model = "YE3-160M-4";
    confirmed(
        &mut wang,
        &received(model, None, 5, "A"),
        Cause::DesignManufacturing,
    );
    confirmed(
        &mut wang,
        &received(model, None, 4, "B"),
        Cause::DesignManufacturing,
    );
    confirmed(
        &mut zhao,
        &received(model, None, 3, "C"),
        Cause::DesignManufacturing,
    );
    confirmed(
        &mut zhao,
        &received(model, None, 2, "D"),
        Cause::DesignManufacturing,
    );
    // Each engineer's pair arrives at its own node at once: together they pass the threshold.
    let (w, z) = tokio::join!(wang.sync(&first), zhao.sync(&second));
    assert!(!w.is_empty() && !z.is_empty());
    let all = escalations(&first).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].cases.len() >= 3, "{all:?}");
    assert_eq!(
        first.count("SELECT COUNT(*) FROM escalation_cases").await,
        all[0].cases.len() as i64
    );
    drop(second);
    first.stop().await;
}

/// An HQ clock tests move by hand.
fn movable_clock() -> (Arc<Mutex<DateTime<FixedOffset>>>, fieldhq::Clock) {
    let now = Arc::new(Mutex::new(t0()));
    let read = now.clone();
    (now, Arc::new(move || *read.lock().unwrap()))
}

pub async fn overdue_cases_escalate_to_the_supervisor_after_the_delay(backend: Backend) {
    let (now, clock) = movable_clock();
    let hq = TestHq::start_configured(backend, |config| config.clock = Some(clock)).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let touched = wang.register();
    let untouched = wang.register_case(&registration_for("U"));
    wang.sync(&hq).await;
    // The reply is due 24 h after receipt; the supervisor is told 24 h after that (defaults).
    *now.lock().unwrap() = t0() + Duration::hours(48);
    wang.note(touched, "called, no answer");
    wang.sync(&hq).await;
    let scanned = escalation::scan(hq.storage(), t0() + Duration::hours(48), TZ)
        .await
        .unwrap();
    assert!(scanned.is_empty(), "not before the delay has passed");
    assert!(escalations(&hq).await.is_empty());

    // Past the delay, the case's next sync escalates it.
    *now.lock().unwrap() = t0() + Duration::hours(48) + Duration::seconds(1);
    wang.note(touched, "called again");
    wang.sync(&hq).await;
    let all = escalations(&hq).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, "overdue");
    assert_eq!(all[0].to_role, "cs_manager");
    assert_eq!(all[0].milestone.as_deref(), Some("reply"));
    assert_eq!(all[0].cases, vec![touched]);
    let view = wang.view(touched);
    assert_eq!(view.escalations[0].kind, EscalationKind::Overdue);

    // A case nobody syncs is found by the scan a cron runs, once.
    let later = t0() + Duration::hours(49);
    let scanned = escalation::scan(hq.storage(), later, TZ).await.unwrap();
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].cases, vec![untouched]);
    assert!(
        escalation::scan(hq.storage(), later, TZ)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(escalations(&hq).await.len(), 2);
    wang.sync(&hq).await;
    assert_eq!(wang.view(untouched).escalations.len(), 1);
}

pub async fn arriving_needs_an_approved_trip_when_the_policy_says_so(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut policies = Policies::default();
    policies.trips.approval_required = true;
    admin::set_reference(
        hq.storage(),
        &serde_json::to_string(&policies).unwrap(),
        None,
    )
    .await
    .unwrap();
    hq.user("liu", Role::HqStaff, None).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    wang.policies = policies;
    let case = wang.register();
    wang.execute(case, &Command::Acknowledge { note: None });
    let refused = wang.try_execute(case, &Command::ArriveOnSite).unwrap_err();
    assert!(refused.to_string().contains("trip"), "{refused}");

    wang.execute(
        case,
        &Command::RequestTrip {
            reason: "motor trips the breaker; needs on-site tests".into(),
            planned_for: Some(t0() + Duration::days(1)),
        },
    );
    assert!(
        wang.try_execute(case, &Command::ArriveOnSite).is_err(),
        "a request is not an approval"
    );
    wang.sync(&hq).await;
    let approve = || TripDecision::Approve { note: None };
    assert!(
        trips::decide(hq.storage(), &case.to_string(), "wang", approve(), t0(), TZ)
            .await
            .is_err(),
        "an engineer does not approve trips"
    );
    let record = trips::decide(hq.storage(), &case.to_string(), "liu", approve(), t0(), TZ)
        .await
        .unwrap();
    assert!(record.approved);
    assert!(
        trips::decide(hq.storage(), &case.to_string(), "liu", approve(), t0(), TZ)
            .await
            .is_err(),
        "nothing waits any more"
    );
    wang.sync(&hq).await;
    let view = wang.view(case);
    assert!(view.trip_approved());
    assert_eq!(view.approvals[0].by, "liu");
    wang.execute(case, &Command::ArriveOnSite);
    let response = wang.sync(&hq).await;
    assert!(wang.outbox.is_empty(), "HQ took the arrival: {response:?}");

    // A rejection with a reason leaves arrival refused; an emergency visit with a reason is not.
    let other = wang.register();
    wang.execute(other, &Command::Acknowledge { note: None });
    wang.execute(
        other,
        &Command::RequestTrip {
            reason: "inspection".into(),
            planned_for: None,
        },
    );
    wang.sync(&hq).await;
    let reject = |reason: &str| TripDecision::Reject {
        reason: reason.to_owned(),
    };
    assert!(
        trips::decide(
            hq.storage(),
            &other.to_string(),
            "liu",
            reject(" "),
            t0(),
            TZ
        )
        .await
        .is_err(),
        "a rejection needs a reason"
    );
    trips::decide(
        hq.storage(),
        &other.to_string(),
        "liu",
        reject("the dealer goes instead"),
        t0(),
        TZ,
    )
    .await
    .unwrap();
    wang.sync(&hq).await;
    let view = wang.view(other);
    assert!(!view.trip_approved());
    assert_eq!(
        view.approvals[0].reason.as_deref(),
        Some("the dealer goes instead")
    );
    assert!(wang.try_execute(other, &Command::ArriveOnSite).is_err());
    assert!(
        wang.try_execute(other, &Command::EmergencyVisit { reason: " ".into() })
            .is_err(),
        "an emergency visit says why"
    );
    wang.execute(
        other,
        &Command::EmergencyVisit {
            reason: "the pump station floods".into(),
        },
    );
    wang.sync(&hq).await;
    assert!(wang.outbox.is_empty());
    let detail = admin::case_detail(hq.storage(), &other.to_string())
        .await
        .unwrap();
    assert_eq!(detail.view.status().as_str(), "on_site");
    assert!(detail.view.visits.iter().any(|v| matches!(
        &v.body,
        VisitBody::Emergency { reason } if reason == "the pump station floods"
    )));
}

pub async fn the_first_responder_is_handed_over_with_a_reason(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let zhao = hq.user("zhao", Role::Engineer, None).await;
    let case = wang.register();
    // A case from before: its first responder is free text, and stays shown so.
    let view = wang.view(case);
    assert_eq!(view.registration.first_responder, "Wang Fang");
    assert_eq!(view.registration.first_responder_id, None);
    assert!(view.handovers.is_empty());
    let hand_over = Command::HandOverFirstResponder {
        to_id: zhao.id,
        to: zhao.name.clone(),
        reason: "Wang Fang moved to the Shandong region".into(),
    };
    wang.execute(case, &hand_over);
    assert!(
        wang.try_execute(case, &hand_over).is_err(),
        "zhao is the first responder already"
    );
    wang.sync(&hq).await;
    let detail = admin::case_detail(hq.storage(), &case.to_string())
        .await
        .unwrap();
    let r = &detail.view.registration;
    assert_eq!(
        (r.first_responder.as_str(), r.first_responder_id),
        ("zhao", Some(zhao.id))
    );
    assert_eq!(detail.view.handovers.len(), 1);
    let handover = &detail.view.handovers[0];
    assert_eq!(handover.body.from, "Wang Fang");
    assert_eq!(handover.body.from_id, None);
    assert_eq!(handover.body.to_id, zhao.id);
    assert_eq!(
        handover.body.reason,
        "Wang Fang moved to the Shandong region"
    );
    assert_eq!(handover.stamp.by, "wang");
    let text = fieldcore::case_text(
        &detail.view,
        &Default::default(),
        t0(),
        fieldcore::Locale::En,
    );
    assert!(
        text.contains(&format!("first responder zhao (HQ user {})", zhao.id)),
        "{text}"
    );
    assert!(text.contains("Wang Fang → zhao"), "{text}");
}

/// The first responder is an HQ user: a case registered with, or handed over to, a user id HQ
/// does not have is rejected with the reason, and the device's other work goes through.
pub async fn a_first_responder_hq_does_not_know_is_rejected(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let zhao = hq.user("zhao", Role::Engineer, None).await;
    let nobody = zhao.id + 1000;
    let mut named = registration_for("M2406-200001");
    named.first_responder_id = Some(nobody);
    let registered_to_nobody = wang.register_case(&named);
    let handed_to_nobody = wang.register();
    let handed_to_zhao = wang.register();
    let rejected = |response: &fieldcore::SyncResponse| {
        response
            .acks
            .iter()
            .filter_map(|a| match a {
                fieldcore::AckOutcome::Rejected { reason, detail } => {
                    Some((*reason, detail.clone()))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let to = |to_id: i64| Command::HandOverFirstResponder {
        to_id,
        to: "someone".into(),
        reason: "Wang Fang moved to the Shandong region".into(),
    };
    let response = wang.sync_once(&hq).await;
    assert_eq!(rejected(&response).len(), 1, "{:?}", response.acks);
    let known = admin::case_detail(hq.storage(), &handed_to_nobody.to_string()).await;
    assert!(
        known.is_ok(),
        "a case with a free-text first responder is taken"
    );
    assert!(
        admin::case_detail(hq.storage(), &registered_to_nobody.to_string())
            .await
            .is_err(),
        "a case registered to an unknown user never entered HQ"
    );

    wang.execute(handed_to_nobody, &to(nobody));
    wang.execute(handed_to_zhao, &to(zhao.id));
    let response = wang.sync_once(&hq).await;
    let refused = rejected(&response);
    // The registration again (a rejected push stays on the device), and the handover to nobody.
    assert_eq!(refused.len(), 2, "{refused:?}");
    for (reason, detail) in &refused {
        assert_eq!(*reason, fieldcore::RejectReason::NotPermitted);
        assert!(detail.contains(&nobody.to_string()), "{detail}");
    }
    let at_hq = |case: Uuid| {
        let storage = hq.storage();
        async move {
            admin::case_detail(storage, &case.to_string())
                .await
                .unwrap()
                .view
                .registration
                .first_responder_id
        }
    };
    assert_eq!(at_hq(handed_to_nobody).await, None, "nothing of it applied");
    assert_eq!(at_hq(handed_to_zhao).await, Some(zhao.id));
}

/// A deadline past while nobody touches the case is recorded in it by HQ's scan, as noticed
/// by HQ at the scan's time, once; the devices get the record and do not record it again.
pub async fn hq_records_a_missed_deadline_nobody_noticed(backend: Backend) {
    let (now, clock) = movable_clock();
    let hq = TestHq::start_configured(backend, |config| config.clock = Some(clock)).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.sync(&hq).await;
    let missed_at_hq = |case: Uuid| {
        let storage = hq.storage();
        async move {
            admin::case_detail(storage, &case.to_string())
                .await
                .unwrap()
                .view
                .missed_deadlines
        }
    };
    assert!(missed_at_hq(case).await.is_empty(), "nothing due yet");

    // The reply is due 24 h after receipt; the scan a day and a half later notices the miss.
    let scan_time = t0() + Duration::hours(36);
    *now.lock().unwrap() = scan_time;
    let log_before = hq.log_len().await;
    escalation::scan(hq.storage(), scan_time, TZ).await.unwrap();
    let missed = missed_at_hq(case).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].value.milestone, fieldcore::Milestone::Reply);
    assert_eq!(missed[0].stamp.by, escalation::HQ_NOTICER);
    assert_eq!(missed[0].stamp.at, scan_time);
    assert!(missed[0].value.due_at < scan_time);
    assert_eq!(hq.log_len().await, log_before + 1, "one HQ change");
    // The read model counts it, and keeps the working-day deadline beside the others.
    let row = admin::case_index(hq.storage(), Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.case_id == case)
        .unwrap();
    assert_eq!(row.missed_deadlines, 1);
    let view = admin::case_detail(hq.storage(), &case.to_string())
        .await
        .unwrap()
        .view;
    let working_days = view
        .deadlines
        .iter()
        .find(|d| d.milestone == fieldcore::Milestone::WorkingDays)
        .unwrap();
    assert_eq!(row.working_days_due_at, working_days.due_at.timestamp());
    assert!(!row.working_days_met);

    // Scanning again notices nothing new.
    escalation::scan(hq.storage(), scan_time, TZ).await.unwrap();
    assert_eq!(hq.log_len().await, log_before + 1);

    // The device gets the record; its next command does not record the same miss again.
    wang.sync(&hq).await;
    assert_eq!(wang.view(case).missed_deadlines.len(), 1);
    wang.note(case, "called the customer");
    wang.sync(&hq).await;
    let missed = missed_at_hq(case).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].stamp.by, escalation::HQ_NOTICER);
}
