//! The HQ test suite, written once and run against each storage backend (see backends.rs).
//! Every test starts a real HQ on loopback and talks HTTP to it; devices hold real automerge
//! case documents made with fieldcore's commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use automerge::ActorId;
use fieldcore::Cause;
use fieldcore::testing::{Cmd, registration_for, t0, to_command};
use fieldcore::{
    self, AckOutcome, ByteBuf, CasePush, MAX_MESSAGE_BYTES, Payload, RejectReason, SyncRequest,
    SyncResponse,
};
use fieldhq::storage::{CaseIndexQuery, CaseIndexRow};
use fieldhq::{Role, admin};
use reqwest::{Method, StatusCode};
use uuid::Uuid;

use crate::common::{Backend, MONTH, TestDevice, TestHq, error_code};

mod escalation;
pub use escalation::*;
mod returns;
pub use returns::*;
mod parts;
pub use parts::*;
mod writeoff;
pub use writeoff::*;
mod old_parts;
pub use old_parts::*;
mod postgres_only;
pub use postgres_only::*;
mod report;
pub use report::*;
mod console;
pub use console::*;
mod archive;
pub use archive::*;

fn encode(request: &SyncRequest) -> Vec<u8> {
    fieldcore::encode_message(request).unwrap()
}

/// A sync request's body, for the other modules of the suite.
pub fn encode_request(request: &SyncRequest) -> Vec<u8> {
    encode(request)
}

/// Attaches a photo and its thumbnail to a case on the device, for the other modules.
pub fn attach_photo(device: &mut TestDevice, case: Uuid, photo: &[u8], thumb: &[u8]) {
    attach(device, case, photo, thumb)
}

// ---------------------------------------------------------------- authentication

pub async fn health_needs_no_token(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let (status, body) = hq.send(Method::GET, "/health", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"ok");
}

pub async fn missing_wrong_and_revoked_tokens_are_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    phone.register();
    let body = encode(&phone.request());

    let (status, reply) = hq.post_sync(None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&reply), "unauthorized");

    let wrong = fieldhq::auth::new_token();
    let (status, reply) = hq.post_sync(Some(&wrong), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&reply), "unauthorized");
    let (status, _) = hq.post_sync(Some("not-hex"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(hq.log_len().await, 0, "nothing applied");

    phone.sync(&hq).await;
    let before = hq.log_len().await;
    admin::revoke_device(hq.storage(), phone.device_id)
        .await
        .unwrap();
    let case = *phone.docs.keys().next().unwrap();
    phone.note(case, "after the phone was lost");
    let (status, reply) = hq
        .post_sync(Some(&phone.token), encode(&phone.request()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&reply), "unauthorized");
    assert_eq!(hq.log_len().await, before, "nothing applied");

    // HQ keeps serving everyone else.
    let mut tablet = hq.person("li", Role::HqStaff, None).await;
    tablet.sync(&hq).await;
    assert_eq!(tablet.docs.len(), 1);
    let (status, _) = hq.send(Method::GET, "/health", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------- actors

pub async fn first_sync_binds_the_actor_and_others_are_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    phone.sync(&hq).await;
    let devices = admin::list_devices(hq.storage()).await.unwrap();
    assert_eq!(devices[0].actor.as_deref(), Some(phone.actor.to_bytes()));

    // The same token with another actor.
    let mut request = phone.request();
    request.actor = ActorId::random().to_bytes().to_vec();
    let (status, reply) = hq.post_sync(Some(&phone.token), encode(&request)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&reply), "forbidden");

    // Another device claiming the first device's actor.
    let mut second = hq.device("wang").await;
    second.actor = phone.actor.clone();
    let (status, _) = hq
        .post_sync(Some(&second.token), encode(&second.request()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let devices = admin::list_devices(hq.storage()).await.unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d.device_id == second.device_id && d.actor.is_none())
    );
}

/// HQ's own actor (seen in every number change a device pulls) can never become a device's:
/// that device's changes would pass for HQ's.
pub async fn no_device_may_bind_hqs_own_actor(backend: Backend) {
    let mut hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    let hq_actor = phone.docs[&case]
        .get_changes(&[])
        .into_iter()
        .find(|c| c.message() == Some("number"))
        .map(|c| c.actor_id().clone())
        .expect("HQ numbered the case");

    for round in 0..2 {
        let mut intruder = hq.device("wang").await;
        intruder.actor = hq_actor.clone();
        intruder.register();
        let (status, reply) = hq
            .post_sync(Some(&intruder.token), encode(&intruder.request()))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "round {round}");
        assert_eq!(error_code(&reply), "forbidden");
        let devices = admin::list_devices(hq.storage()).await.unwrap();
        assert!(
            devices
                .iter()
                .any(|d| d.device_id == intruder.device_id && d.actor.is_none())
        );
        // After a restart HQ signs with a new actor; the old one stays reserved.
        hq.restart().await;
    }
}

pub async fn a_change_authored_by_another_devices_actor_is_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    phone.sync(&hq).await;
    let mut thief = hq.device("wang").await;
    thief.sync(&hq).await;
    // The thief pushes a case whose changes carry the phone's actor, under its own actor.
    let mut forged = TestDevice::new("wang", thief.device_id, thief.token.clone());
    forged.actor = phone.actor.clone();
    let case = forged.register();
    let mut request = thief.request();
    request.pushes = vec![CasePush {
        case_id: case,
        payload: Payload::Changes(
            forged.outbox[&case]
                .iter()
                .cloned()
                .map(ByteBuf::from)
                .collect(),
        ),
    }];
    let before = hq.log_len().await;
    let response = thief.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::NotPermitted));
    assert_eq!(hq.log_len().await, before);
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 0);

    // A whole document whose new changes are another actor's: refused too.
    request.pushes = vec![CasePush {
        case_id: case,
        payload: Payload::Document(ByteBuf::from(forged.docs[&case].save())),
    }];
    let response = thief.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::NotPermitted));
    assert_eq!(hq.log_len().await, before);
}

/// The reason HQ rejected the `i`th push of a request for, if it did.
fn rejection(response: &SyncResponse, i: usize) -> Option<RejectReason> {
    match response.acks.get(i) {
        Some(AckOutcome::Rejected { reason, detail }) => {
            assert!(!detail.is_empty(), "a rejection says why");
            Some(*reason)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------- write authorization

pub async fn writing_a_case_the_user_may_not_see_is_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.sync(&hq).await;

    // Another engineer forges a change on top of wang's case (it got the bytes somehow).
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    zhao.sync(&hq).await;
    zhao.docs.insert(case, wang.docs[&case].fork());
    zhao.note(case, "not my case");
    // And a technician whose center the case is not routed to.
    let mut tech = hq.person("chen", Role::Technician, Some("north")).await;
    tech.sync(&hq).await;
    tech.docs.insert(case, wang.docs[&case].fork());
    tech.note(case, "not routed to us");

    // Each is refused for that case alone: the request goes through (its other pushes are
    // applied), the case's push is acknowledged `Forbidden`, and nothing of it is applied.
    let own = zhao.register();
    let before = hq.log_len().await;
    for device in [&zhao, &tech] {
        let request = device.request();
        let response = device.exchange(&hq, &request).await;
        let outcome = |id| {
            let at = request.pushes.iter().position(|p| p.case_id == id);
            at.and_then(|i| response.acks.get(i).cloned())
        };
        assert_eq!(outcome(case), Some(AckOutcome::Forbidden));
        assert!(response.pulls.iter().all(|p| p.case_id != case));
        if device.device_id == zhao.device_id {
            assert_eq!(outcome(own), Some(AckOutcome::Applied));
        }
    }
    // zhao's own new case: its creation and HQ's number; nothing on wang's case.
    assert_eq!(
        hq.log_len().await,
        before + 2,
        "nothing of the refused pushes"
    );
    let heads = wang.heads(case);
    wang.sync(&hq).await;
    assert_eq!(wang.heads(case), heads, "wang's case is as wang left it");

    // Once routed to the technician's center, the same push is accepted.
    admin::route(hq.storage(), &case.to_string(), "north", TZ)
        .await
        .unwrap();
    tech.sync(&hq).await;
    assert_eq!(hq.log_len().await, before + 3);
}

// ---------------------------------------------------------------- limits and bad input

pub async fn an_oversized_body_is_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let (status, reply) = hq
        .post_sync(Some(&phone.token), vec![0u8; MAX_MESSAGE_BYTES + 1])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&reply), "too_large");

    // One case's payload over its own limit is refused for that case; the good case beside
    // it applies.
    let mut phone = phone;
    let good = phone.register();
    let mut request = phone.request();
    request.pushes.push(CasePush {
        case_id: Uuid::now_v7(),
        payload: Payload::Changes(vec![ByteBuf::from(vec![
            0u8;
            fieldcore::MAX_CASE_BYTES + 1
        ])]),
    });
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(response.acks[0], AckOutcome::Applied);
    assert_eq!(rejection(&response, 1), Some(RejectReason::TooLarge));
    assert!(
        hq.count("SELECT COUNT(*) FROM cases").await == 1,
        "{good} applied"
    );
    let (status, _) = hq.send(Method::GET, "/health", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
}

/// A compressed change chunk that is small on the wire but inflates far past the case limit
/// (a decompression bomb) is refused before anything inflates it whole; so is a request whose
/// cases together would.
pub async fn decompression_bombs_are_refused_before_they_inflate(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let bomb = crate::common::compressed_bomb;
    let over = bomb(fieldhq::MAX_CASE_INFLATED_BYTES + 1024);
    assert!(over.len() < 64 * 1024, "{} bytes on the wire", over.len());
    let case = phone.register();
    let mut request = phone.request();
    request.pushes.push(CasePush {
        case_id: Uuid::now_v7(),
        payload: Payload::Changes(vec![ByteBuf::from(over)]),
    });
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 1), Some(RejectReason::TooLarge));
    assert_eq!(
        response.acks[0],
        AckOutcome::Applied,
        "the honest case applies"
    );
    let before = hq.log_len().await;

    // Five cases each under the case limit, together over the request's.
    let under = bomb(fieldhq::MAX_CASE_INFLATED_BYTES - 1024);
    request.pushes = (0..5)
        .map(|_| CasePush {
            case_id: Uuid::now_v7(),
            payload: Payload::Changes(vec![ByteBuf::from(under.clone())]),
        })
        .collect();
    let (status, reply) = hq.post_sync(Some(&phone.token), encode(&request)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&reply), "too_large");
    assert_eq!(hq.log_len().await, before, "nothing was applied");

    phone.sync(&hq).await;
    assert!(phone.numbers.contains_key(&case));
}

/// A second change with an actor's sequence number that HQ already holds (other content) is
/// refused: automerge would keep one of the two, and edits after it would never converge.
pub async fn a_reused_actor_sequence_number_is_refused(backend: Backend) {
    use automerge::transaction::Transactable;
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    let mut forked = phone.docs[&case].clone();
    phone.note(case, "first note");
    phone.sync(&hq).await;
    let before = hq.log_len().await;

    // The same actor, from the state before its note, writes something else as its next change.
    let heads = forked.get_heads();
    let mut tx = forked.transaction();
    tx.put(automerge::ROOT, "rogue", "other content").unwrap();
    tx.commit();
    let rival = forked.get_changes(&heads)[0].clone();
    let mut request = phone.request();
    request.pushes = vec![CasePush {
        case_id: case,
        payload: Payload::Changes(vec![ByteBuf::from(rival.raw_bytes().to_vec())]),
    }];
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::Malformed));
    assert_eq!(hq.log_len().await, before, "nothing was applied");

    // Honest work goes on.
    phone.note(case, "second note");
    phone.sync(&hq).await;
    assert_eq!(hq.log_len().await, before + 1);
}

/// The official number is HQ's alone: a device change that writes it is refused, and every
/// device keeps showing HQ's number.
pub async fn a_device_may_not_write_hqs_number(backend: Backend) {
    use automerge::transaction::Transactable;
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    let number = phone.numbers[&case].clone();
    let before = hq.log_len().await;

    let mut doc = phone.docs[&case].clone();
    doc.set_actor(phone.actor.clone());
    let heads = doc.get_heads();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "number", "2611-9999").unwrap();
    tx.commit();
    let forged = doc.get_changes(&heads)[0].clone();
    let mut request = phone.request();
    request.pushes = vec![CasePush {
        case_id: case,
        payload: Payload::Changes(vec![ByteBuf::from(forged.raw_bytes().to_vec())]),
    }];
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::NotPermitted));
    assert_eq!(hq.log_len().await, before, "nothing was applied");

    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert_eq!(desk.number_in_doc(case), Some(number));
}

/// A new case whose document lacks a registration fact (or holds what no device can read) is
/// refused before it enters the log, so no staff device ever pulls it.
pub async fn a_new_case_without_its_registration_is_refused(backend: Backend) {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    let mut doc = phone.docs[&case].clone();
    let mut tx = doc.transaction();
    let (_, facts) = tx.get(automerge::ROOT, "facts").unwrap().unwrap();
    tx.delete(&facts, "customer_name").unwrap();
    tx.commit();
    let mut request = phone.request();
    request.pushes = vec![CasePush {
        case_id: case,
        payload: Payload::Document(ByteBuf::from(doc.save())),
    }];
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::Unreadable));
    assert_eq!(hq.log_len().await, 0);
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 0);
}

pub async fn malformed_bodies_are_refused_and_nothing_is_applied(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let good = phone.register();

    let (status, reply) = hq
        .post_sync(Some(&phone.token), b"\x01garbage".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), "malformed");

    // A case pushed twice: the request is malformed as a whole.
    let mut request = phone.request();
    request.pushes.push(request.pushes[0].clone());
    let (status, _) = hq.post_sync(Some(&phone.token), encode(&request)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A truncated change chunk: refused for its case.
    let mut request = phone.request();
    let Payload::Changes(chunks) = &mut request.pushes[0].payload else {
        unreachable!()
    };
    let last = chunks.len() - 1;
    let len = chunks[last].len();
    chunks[last].truncate(len - 3);
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::Malformed));
    assert_eq!(hq.log_len().await, 0);
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 0);

    // A good push beside a payload that is not automerge: the bad case alone is refused.
    let mut request = phone.request();
    request.pushes.push(CasePush {
        case_id: Uuid::now_v7(),
        payload: Payload::Changes(vec![ByteBuf::from(b"definitely not automerge".to_vec())]),
    });
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(response.acks[0], AckOutcome::Applied);
    assert_eq!(rejection(&response, 1), Some(RejectReason::Malformed));
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 1);
    phone.sync(&hq).await;
    assert!(phone.numbers.contains_key(&good), "HQ still serves");
}

pub async fn an_unsupported_version_is_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let mut request = phone.request();
    request.version = 2;
    let (status, reply) = hq.post_sync(Some(&phone.token), encode(&request)).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(error_code(&reply), "unsupported_version");
    // A future version whose body is not laid out like version 1 at all.
    let (status, _) = hq.post_sync(Some(&phone.token), vec![9, 0xff, 0xff]).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED);
}

// ---------------------------------------------------------------- the round trip

pub async fn push_and_pull_between_two_devices(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let case = phone.register();
    phone.execute(case, &fieldcore::Command::Acknowledge { note: None });
    phone.note(case, "customer called back");

    let responses = phone.sync(&hq).await;
    assert_eq!(responses[0].acks.len(), 1);
    assert_eq!(responses[0].acks[0], AckOutcome::Applied);
    let number = format!("{MONTH}-0001");
    assert_eq!(phone.numbers.get(&case), Some(&number));
    assert_eq!(
        phone.number_in_doc(case),
        Some(number.clone()),
        "HQ's change merged"
    );
    // The phone got only HQ's number change back, not its own changes.
    let pull = &responses[0].pulls[0];
    assert!(
        !pull.whole,
        "the phone holds the case: changes, not the whole history"
    );
    assert_eq!(pull.changes.len(), 1);

    desk.sync(&hq).await;
    assert!(desk.docs.contains_key(&case));
    assert_eq!(desk.number_in_doc(case), Some(number.clone()));
    desk.note(case, "spare motor reserved");
    desk.sync(&hq).await;

    let responses = phone.sync(&hq).await;
    assert!(!responses[0].pulls[0].whole);
    assert_eq!(
        phone.heads(case),
        desk.heads(case),
        "both replicas converge"
    );
    let notes: Vec<fieldcore::Entry<fieldcore::NoteBody>> =
        fieldcore::read_collection(&phone.docs[&case], fieldcore::Collection::Notes).unwrap();
    assert_eq!(notes.len(), 2);

    // A sync with nothing new is tiny both ways.
    let request = phone.request();
    let body = encode(&request);
    let (status, reply) = hq.post_sync(Some(&phone.token), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let response: SyncResponse = fieldcore::decode_message(&reply).unwrap();
    assert!(response.pulls.is_empty() && !response.more);
    assert!(
        body.len() < 40 && reply.len() < 20,
        "{} / {}",
        body.len(),
        reply.len()
    );
}

pub async fn need_full_then_the_document_repairs(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    phone.note(case, "first");
    // The outbox lost the first note's change: only the second is pushed.
    phone.outbox.clear();
    phone.note(case, "second");
    let before = hq.log_len().await;
    let response = phone.sync_once(&hq).await;
    assert_eq!(response.acks[0], AckOutcome::NeedFull);
    assert_eq!(hq.log_len().await, before, "nothing of the case stored");

    let response = phone.sync_once(&hq).await;
    assert_eq!(response.acks[0], AckOutcome::Applied);
    assert_eq!(hq.log_len().await, before + 2);

    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert_eq!(desk.heads(case), phone.heads(case));
}

pub async fn want_full_sends_the_whole_history(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.note(case, "one");
    phone.sync(&hq).await;
    phone.want_full.push(case);
    let response = phone.sync_once(&hq).await;
    assert_eq!(response.pulls.len(), 1);
    assert!(
        response.pulls[0].whole,
        "want_full answers with the whole history"
    );
    assert_eq!(response.pulls[0].changes.len(), 3, "register, note, number");
}

pub async fn a_replayed_request_changes_nothing(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.note(case, "one");
    let request = phone.request();
    let first = phone.exchange(&hq, &request).await;
    let log = hq.log_len().await;
    let cases = admin::list_cases(hq.storage()).await.unwrap();
    let second = phone.exchange(&hq, &request).await;
    assert_eq!(hq.log_len().await, log);
    assert_eq!(admin::list_cases(hq.storage()).await.unwrap(), cases);
    assert_eq!(second.acks, first.acks);
    assert_eq!(log, 3);
}

// ---------------------------------------------------------------- numbering

pub async fn numbers_are_unique_and_gap_free_under_concurrent_first_syncs(backend: Backend) {
    let hq = TestHq::start(backend).await;
    const TASKS: usize = 8;
    const CASES: usize = 25;
    let mut devices = Vec::new();
    for i in 0..TASKS {
        devices.push(
            hq.person(&format!("engineer{i}"), Role::Engineer, None)
                .await,
        );
    }
    let hq = std::sync::Arc::new(hq);
    let mut tasks = Vec::new();
    for mut device in devices {
        let hq = hq.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..CASES {
                device.register();
                device.sync_once(&hq).await;
            }
            device
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        let device = task.await.unwrap();
        for (case, number) in &device.numbers {
            assert_eq!(device.number_in_doc(*case).as_ref(), Some(number));
            numbers.push(number.clone());
        }
    }
    numbers.sort();
    let expected: Vec<String> = (1..=TASKS * CASES)
        .map(|n| format!("{MONTH}-{n:04}"))
        .collect();
    assert_eq!(numbers, expected);
}

/// A case is numbered in the month its complaint was received in the company's time zone,
/// not the month HQ first sees it; each month's numbers stay gap-free.
pub async fn numbers_follow_the_month_the_complaint_was_received(backend: Backend) {
    let mut hq = TestHq::start(backend).await; // HQ's clock: 2 November 2026, Shanghai
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let received = |at: &str| {
        let mut r = fieldcore::testing::registration_for("M2406-118842");
        r.received_at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        r
    };
    // 01:30 on 1 November in Shanghai, still 31 October in UTC.
    let early_november = phone.register_case(&received("2026-10-31T17:30:00+00:00"));
    // 23:30 on 31 October in Shanghai.
    let late_october = phone.register_case(&received("2026-10-31T15:30:00+00:00"));
    let september = phone.register_case(&received("2026-09-15T10:00:00+08:00"));
    phone.sync(&hq).await;
    assert_eq!(phone.numbers[&early_november], "2611-0001");
    assert_eq!(phone.numbers[&late_october], "2610-0001");
    assert_eq!(phone.numbers[&september], "2609-0001");

    // The same instant in a company on UTC falls in October.
    hq.config.time_zone = chrono_tz::UTC;
    hq.restart().await;
    let utc_night = phone.register_case(&received("2026-10-31T17:30:00+00:00"));
    phone.sync(&hq).await;
    assert_eq!(phone.numbers[&utc_night], "2610-0002");
    assert_eq!(phone.number_in_doc(utc_night).as_deref(), Some("2610-0002"));
}

/// HQ stamps its acceptance (the root key `accepted`) with the number when it first receives
/// a case, and the closing deadline of its read model counts from it, not from the receipt.
pub async fn hq_stamps_its_acceptance_on_first_receipt(backend: Backend) {
    let hq = TestHq::start(backend).await; // HQ's clock: t0
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut r = fieldcore::testing::registration_for("M2406-118842");
    // Received two days before HQ hears of it (the device was offline).
    r.received_at = t0() - chrono::Duration::days(2);
    let case = phone.register_case(&r);
    let before =
        fieldcore::build_view(&phone.docs[&case], case, &fieldcore::Policies::default()).unwrap();
    assert_eq!(before.accepted_at, None);
    phone.sync(&hq).await;

    let view =
        fieldcore::build_view(&phone.docs[&case], case, &fieldcore::Policies::default()).unwrap();
    assert_eq!(view.accepted_at, Some(t0()));
    assert!(view.unknown.is_empty(), "{:?}", view.unknown);
    let close = view
        .deadlines
        .iter()
        .find(|d| d.milestone == fieldcore::Milestone::Close)
        .unwrap();
    assert_eq!(close.due_at, t0() + chrono::Days::new(13));
    let number = phone.numbers[&case].clone();
    let row = row_of_number(&hq, &number).await;
    assert_eq!(row.close_due_at, (t0() + chrono::Days::new(13)).timestamp());
    // The reply still counts from the receipt: already overdue at HQ's first sight.
    assert_eq!(
        row.reply_due_at,
        (t0() - chrono::Duration::days(1)).timestamp()
    );

    // Later pushes do not stamp it again: the acceptance is HQ's first receipt.
    let heads_before = phone.heads(case);
    work(&mut phone, case, &[Cmd::Ack]);
    phone.sync(&hq).await;
    assert_ne!(phone.heads(case), heads_before);
    let hq_changes = phone.docs[&case]
        .get_changes(&[])
        .into_iter()
        .filter(|c| c.message().is_some_and(|m| m == "number"))
        .count();
    assert_eq!(hq_changes, 1);
}

// ---------------------------------------------------------------- visibility

pub async fn each_role_receives_only_the_cases_it_may_see(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    let mut north = hq.person("chen", Role::Technician, Some("north")).await;
    let mut south = hq.person("liu", Role::Technician, Some("south")).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let w1 = wang.register();
    let w2 = wang.register();
    let z1 = zhao.register();
    wang.sync(&hq).await;
    zhao.sync(&hq).await;
    admin::route(hq.storage(), &w2.to_string(), "north", TZ)
        .await
        .unwrap();
    let t1 = north.register();
    north.sync(&hq).await;

    for device in [&mut wang, &mut zhao, &mut north, &mut south, &mut desk] {
        device.sync(&hq).await;
    }
    let ids = |d: &TestDevice| d.docs.keys().copied().collect::<HashSet<_>>();
    assert_eq!(ids(&wang), HashSet::from([w1, w2]));
    assert_eq!(ids(&zhao), HashSet::from([z1]));
    assert_eq!(ids(&north), HashSet::from([w2, t1]), "routed, and its own");
    assert!(ids(&south).is_empty());
    assert_eq!(ids(&desk), HashSet::from([w1, w2, z1, t1]));
}

pub async fn an_assignment_appears_in_the_next_pull_as_a_document(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    let case = wang.register();
    wang.note(case, "needs a second engineer");
    wang.sync(&hq).await;
    zhao.sync(&hq).await;
    assert!(zhao.docs.is_empty());

    let number = format!("{MONTH}-0001");
    admin::assign(hq.storage(), &number, "zhao", TZ)
        .await
        .unwrap();
    let responses = zhao.sync(&hq).await;
    assert_eq!(responses[0].pulls.len(), 1);
    assert!(responses[0].pulls[0].whole);
    assert_eq!(zhao.heads(case), wang.heads(case));
    assert_eq!(zhao.numbers.get(&case), Some(&number));

    // Now zhao may write it too, and wang receives zhao's change.
    zhao.note(case, "on my way");
    zhao.sync(&hq).await;
    wang.sync(&hq).await;
    assert_eq!(zhao.heads(case), wang.heads(case));
    assert!(
        admin::assign(hq.storage(), &number, "li-does-not-exist", TZ)
            .await
            .is_err(),
        "unknown engineer"
    );
}

pub async fn pulls_page_with_more_and_the_cursor(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    for _ in 0..7 {
        phone.register();
    }
    phone.sync(&hq).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.max_pull = 3;
    let responses = desk.sync(&hq).await;
    assert_eq!(responses.len(), 3);
    assert!(responses[0].more && responses[1].more && !responses[2].more);
    assert_eq!(
        responses.iter().map(|r| r.pulls.len()).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    assert_eq!(desk.docs.len(), 7);
    assert_eq!(desk.cursor, responses[2].cursor);
    // A cut after the first page: the same cursor again gets the same page, harmlessly.
    let mut again = hq.device("li").await;
    again.max_pull = 3;
    let first = again.sync_once(&hq).await;
    again.cursor = 0;
    let repeat = again.sync_once(&hq).await;
    assert_eq!(
        first.pulls.iter().map(|p| p.case_id).collect::<Vec<_>>(),
        repeat.pulls.iter().map(|p| p.case_id).collect::<Vec<_>>()
    );
    assert!(repeat.pulls.iter().all(|p| p.whole));
}

// ---------------------------------------------------------------- paging big cases

/// The pull budget of the paging tests: a few notes' worth.
const SMALL_BUDGET: usize = 2_048;

/// Response bytes besides the pulls' chunks and per-case framing (version, cursor, more,
/// acks, the pulls' count, reference): what a response may take over the budget.
const RESPONSE_FRAMING: usize = 32;

/// A case of `notes` notes of 100 characters, pushed by `phone` (several budgets' worth).
async fn big_case(hq: &TestHq, phone: &mut TestDevice, notes: usize) -> Uuid {
    let case = phone.register();
    for i in 0..notes {
        phone.note(case, &format!("{i:03} {}", "x".repeat(96)));
    }
    phone.sync(hq).await;
    case
}

fn note_count(device: &TestDevice, case: Uuid) -> usize {
    fieldcore::read_collection::<fieldcore::NoteBody>(
        &device.docs[&case],
        fieldcore::Collection::Notes,
    )
    .unwrap()
    .len()
}

/// Every response's encoded size is within the budget and its framing.
fn assert_in_budget(responses: &[SyncResponse], budget: usize) {
    for r in responses {
        let size = encode_response(r).len();
        assert!(
            size <= budget + RESPONSE_FRAMING,
            "a response of {size} bytes for a budget of {budget}"
        );
        assert!(
            r.pulls.iter().map(|p| p.changes.len()).sum::<usize>() > 0,
            "every page makes progress"
        );
    }
}

fn encode_response(response: &SyncResponse) -> Vec<u8> {
    fieldcore::encode_message(response).unwrap()
}

pub async fn a_big_case_is_pulled_in_pages(backend: Backend) {
    let hq = TestHq::start_with(backend, SMALL_BUDGET).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = big_case(&hq, &mut phone, 40).await;
    let history = hq.history_size(case).await;
    assert!(history > 4 * SMALL_BUDGET as u64, "{history}");

    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let responses = desk.sync(&hq).await;
    assert!(responses.len() > 4, "{} responses", responses.len());
    assert_in_budget(&responses, SMALL_BUDGET);
    assert!(responses[..responses.len() - 1].iter().all(|r| r.more));
    assert!(!responses.last().unwrap().more);
    // The first page is the case's beginning, whole; the rest follows as changes, each change
    // once, and nothing of the device's asking for repairs.
    assert!(responses[0].pulls[0].whole);
    assert!(
        responses[1..]
            .iter()
            .flat_map(|r| &r.pulls)
            .all(|p| p.case_id == case && !p.whole)
    );
    let sent: Vec<usize> = responses
        .iter()
        .flat_map(|r| &r.pulls)
        .flat_map(|p| p.changes.iter().map(|c| c.len()))
        .collect();
    assert_eq!(sent.len() as i64, hq.log_len().await, "every change once");
    assert_eq!(sent.iter().sum::<usize>() as u64, history, "history_sizes");
    assert!(desk.want_full.is_empty());
    assert_eq!(
        desk.heads(case),
        phone.heads(case),
        "converged to HQ's heads"
    );
    assert_eq!(note_count(&desk, case), 40);
    assert_eq!(desk.number_in_doc(case), Some(format!("{MONTH}-0001")));
    // Done: nothing more to send.
    let again = desk.sync(&hq).await;
    assert!(again.len() == 1 && again[0].pulls.is_empty());
}

pub async fn a_device_holding_a_big_case_gets_the_rest_as_changes_in_pages(backend: Backend) {
    let hq = TestHq::start_with(backend, SMALL_BUDGET).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let case = big_case(&hq, &mut phone, 1).await;
    // Other cases after it, small, that the device gets too.
    let small = phone.register();
    phone.sync(&hq).await;
    desk.sync(&hq).await;
    assert_eq!(note_count(&desk, case), 1);

    for i in 0..40 {
        phone.note(case, &format!("{i:03} {}", "y".repeat(96)));
    }
    phone.note(small, "small and late");
    phone.sync(&hq).await;
    let responses = desk.sync(&hq).await;
    assert!(responses.len() > 4, "{} responses", responses.len());
    assert_in_budget(&responses, SMALL_BUDGET);
    assert!(
        responses.iter().flat_map(|r| &r.pulls).all(|p| !p.whole),
        "the device holds both cases: changes only"
    );
    assert!(desk.want_full.is_empty());
    assert_eq!(desk.heads(case), phone.heads(case));
    assert_eq!(desk.heads(small), phone.heads(small));
    assert_eq!(note_count(&desk, case), 41);
    assert_eq!(note_count(&desk, small), 1);
}

pub async fn want_full_of_a_big_case_pages_too(backend: Backend) {
    let hq = TestHq::start_with(backend, SMALL_BUDGET).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let case = big_case(&hq, &mut phone, 40).await;
    desk.sync(&hq).await;
    // The device's cursor is past every change of the case: only the paging keeps it coming.
    desk.docs.clear();
    desk.want_full.push(case);
    let responses = desk.sync(&hq).await;
    assert!(responses.len() > 4, "{} responses", responses.len());
    assert_in_budget(&responses, SMALL_BUDGET);
    assert!(responses[0].pulls[0].whole);
    assert!(
        responses[1..]
            .iter()
            .flat_map(|r| &r.pulls)
            .all(|p| !p.whole)
    );
    let sent: usize = responses
        .iter()
        .flat_map(|r| &r.pulls)
        .map(|p| p.changes.len())
        .sum();
    assert_eq!(sent as i64, hq.log_len().await, "every change once");
    assert_eq!(desk.heads(case), phone.heads(case));
    assert_eq!(note_count(&desk, case), 40);
}

pub async fn a_lost_page_is_repaired(backend: Backend) {
    let hq = TestHq::start_with(backend, SMALL_BUDGET).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let case = big_case(&hq, &mut phone, 40).await;
    // Pages are lost on the way at several points: a first page, a middle one, the last.
    let first = desk.request();
    desk.exchange(&hq, &first).await;
    desk.sync_once(&hq).await;
    desk.sync_once(&hq).await;
    let middle = desk.request();
    desk.exchange(&hq, &middle).await;
    let responses = desk.sync(&hq).await;
    assert_in_budget(&responses, SMALL_BUDGET);
    assert_eq!(desk.heads(case), phone.heads(case));
    assert_eq!(note_count(&desk, case), 40);

    let mut tablet = hq.device("li").await;
    loop {
        let request = tablet.request();
        let response = tablet.exchange(&hq, &request).await;
        if !response.more {
            // The last page is lost; the next sync brings the case to its end all the same.
            break;
        }
        tablet.apply(&request, &response);
    }
    tablet.sync(&hq).await;
    assert_eq!(tablet.heads(case), phone.heads(case));
}

pub async fn many_small_cases_pack_into_one_response(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    for _ in 0..30 {
        let case = phone.register();
        phone.note(case, "small");
    }
    phone.sync(&hq).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let responses = desk.sync(&hq).await;
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].pulls.len(), 30);
    assert!(responses[0].pulls.iter().all(|p| p.whole));
    assert_eq!(desk.docs.len(), 30);
}

// ---------------------------------------------------------------- reference data

pub async fn reference_data_is_delivered_once_per_version(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let response = phone.sync_once(&hq).await;
    assert!(response.reference.is_none(), "no reference data yet");

    let policies = serde_json::to_string(&fieldcore::Policies::default()).unwrap();
    let v1 = admin::set_reference(hq.storage(), &policies, Some(r#"{"products":["YE3"]}"#))
        .await
        .unwrap();
    let response = phone.sync_once(&hq).await;
    let reference = response.reference.expect("delivered");
    assert_eq!(reference.version, v1);
    assert_eq!(reference.catalogs_json, r#"{"products":["YE3"]}"#);
    assert!(phone.sync_once(&hq).await.reference.is_none(), "only once");

    let v2 = admin::set_reference(hq.storage(), &policies, None)
        .await
        .unwrap();
    assert_eq!(v2, v1 + 1);
    let reference = phone
        .sync_once(&hq)
        .await
        .reference
        .expect("the new version");
    assert_eq!(
        reference.catalogs_json, r#"{"products":["YE3"]}"#,
        "catalogs kept"
    );
    assert!(admin::set_reference(hq.storage(), "{", None).await.is_err());
}

// ---------------------------------------------------------------- blobs

pub async fn blobs_are_verified_idempotent_and_served(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let token = Some(phone.token.as_str());
    let photo = b"\xff\xd8\xff\xe0 a small jpeg".to_vec();
    let hash = fieldcore::sha256_hex(&photo);
    let path = format!("/v1/blobs/{hash}");

    let (status, _) = hq.send(Method::HEAD, &path, token, vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, reply) = hq
        .send(Method::PUT, &path, token, b"other bytes".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), "malformed");
    let (status, _) = hq.send(Method::PUT, &path, None, photo.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = hq.send(Method::PUT, &path, token, photo.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = hq.send(Method::PUT, &path, token, photo.clone()).await;
    assert_eq!(status, StatusCode::OK, "idempotent");
    let (status, _) = hq.send(Method::HEAD, &path, token, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = hq.send(Method::GET, &path, token, vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, photo);
    let (status, _) = hq
        .send(Method::GET, "/v1/blobs/..%2Fhq.db", token, vec![])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A body declared over the limit is refused from its headers, before any of it is read:
    // said over a raw connection that sends no body (an HTTP client sending the 16 MiB would
    // see the connection closed under its writes instead of the answer).
    let big_path = format!("/v1/blobs/{}", "ab".repeat(32));
    let head = format!(
        "PUT {big_path} HTTP/1.1\r\nHost: hq\r\nAuthorization: Bearer {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        phone.token,
        fieldcore::MAX_BLOB_BYTES + 1
    );
    let addr = hq.url().trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut socket, head.as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut answer)
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        answer.lines().next().unwrap_or_default()
    );
}

/// Bytes that do not compress or repeat, like a camera's JPEG.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `bytes` as a request body of no declared length, in 64 KiB chunks.
fn chunked(bytes: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

async fn put_chunked(hq: &TestHq, token: &str, hash: &str, bytes: Vec<u8>) -> StatusCode {
    hq.http
        .put(format!("{}/v1/blobs/{hash}", hq.url()))
        .bearer_auth(token)
        .body(chunked(bytes))
        .send()
        .await
        .expect("HQ answers")
        .status()
}

/// A body whose SHA-256 is not its name is refused, whether it fits in one write or takes a
/// multipart upload in object storage, and nothing is readable under the name afterwards, in
/// the store or over HTTP; no upload is recorded.
pub async fn a_wrong_body_is_refused_and_nothing_becomes_visible(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let blobs = hq.blobs().await;
    let before = hq.blob_count().await;
    for (len, seed) in [(2_000, 1), (7 * 1024 * 1024, 2)] {
        let photo = noise(len, seed);
        let hash = fieldcore::sha256_hex(&photo);
        let mut damaged = photo.clone();
        damaged[len / 2] ^= 0x40;
        let (status, reply) = hq
            .send(
                Method::PUT,
                &format!("/v1/blobs/{hash}"),
                Some(&phone.token),
                damaged.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{len} bytes");
        assert_eq!(error_code(&reply), "malformed");
        assert_eq!(
            put_chunked(&hq, &phone.token, &hash, damaged).await,
            StatusCode::BAD_REQUEST,
            "{len} bytes, chunked"
        );
        assert_eq!(blobs.size(&hash).await.unwrap(), None, "{len} bytes");
        assert_eq!(
            blob_status(&hq, Method::GET, &phone.token, &photo).await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(hq.blob_count().await, before);
    assert_eq!(hq.count("SELECT COUNT(*) FROM blob_uploads").await, 0);
}

/// A 12 MiB original (a 12 MP camera's) sent in chunks with no declared length is stored
/// once and comes back byte for byte with its length; sent again, whole, it is no error and
/// no second copy; a chunked body that grows past the blob limit is refused and leaves
/// nothing.
pub async fn a_large_photo_streams_up_and_down_once(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let blobs = hq.blobs().await;
    let before = hq.blob_count().await;
    let photo = noise(12 * 1024 * 1024, 3);
    let hash = fieldcore::sha256_hex(&photo);
    assert_eq!(
        put_chunked(&hq, &phone.token, &hash, photo.clone()).await,
        StatusCode::CREATED
    );
    let (status, _) = hq
        .send(
            Method::PUT,
            &format!("/v1/blobs/{hash}"),
            Some(&phone.token),
            photo.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the same blob again");
    assert_eq!(
        put_chunked(&hq, &phone.token, &hash, photo.clone()).await,
        StatusCode::OK,
        "the same blob again, chunked"
    );
    assert_eq!(hq.blob_count().await, before + 1);
    assert_eq!(hq.count("SELECT COUNT(*) FROM blob_uploads").await, 1);
    assert_eq!(
        hq.count("SELECT MAX(bytes) FROM blob_uploads").await,
        photo.len() as i64
    );
    assert_eq!(blobs.size(&hash).await.unwrap(), Some(photo.len() as u64));

    let response = hq
        .http
        .get(format!("{}/v1/blobs/{hash}", hq.url()))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(photo.len() as u64));
    assert!(
        response.bytes().await.unwrap() == photo,
        "the same bytes back"
    );

    let too_big = noise(fieldcore::MAX_BLOB_BYTES + 1, 4);
    let big_hash = fieldcore::sha256_hex(&too_big);
    assert_eq!(
        put_chunked(&hq, &phone.token, &big_hash, too_big).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(blobs.size(&big_hash).await.unwrap(), None);
    assert_eq!(hq.blob_count().await, before + 1);
}

// ---------------------------------------------------------------- blob access (issue 11)

/// Attaches a photo (its bytes `photo`, thumbnail `thumb`) to a case on the device.
fn attach(device: &mut TestDevice, case: Uuid, photo: &[u8], thumb: &[u8]) {
    device.execute(
        case,
        &fieldcore::Command::AttachPhoto(fieldcore::PhotoAttachment {
            hash: fieldcore::sha256_hex(photo),
            kind: fieldcore::PhotoKind::Defect,
            caption: "the cracked housing".into(),
            taken_at: None,
            size: photo.len() as u64,
            width: 640,
            height: 480,
            thumbnail_hash: fieldcore::sha256_hex(thumb),
            thumbnail_size: thumb.len() as u64,
            gps: None,
        }),
    );
}

async fn blob_status(hq: &TestHq, method: Method, token: &str, bytes: &[u8]) -> StatusCode {
    let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
    hq.send(method, &path, Some(token), vec![]).await.0
}

pub async fn a_blob_is_served_only_to_devices_that_may_see_a_case_naming_it(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let other = hq.person("zhao", Role::Engineer, None).await;
    let desk = hq.person("li", Role::HqStaff, None).await;
    let tech = hq.person("chen", Role::Technician, Some("north")).await;
    let (photo, thumb, stray) = (b"photo".to_vec(), b"thumb".to_vec(), b"stray".to_vec());
    let case = phone.register();
    attach(&mut phone, case, &photo, &thumb);
    phone.sync(&hq).await;
    for bytes in [&photo, &thumb, &stray] {
        let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
        let (status, _) = hq
            .send(Method::PUT, &path, Some(&phone.token), bytes.to_vec())
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // The uploader and whoever may see the case read the photo and its thumbnail.
    for token in [&phone.token, &desk.token] {
        for bytes in [&photo, &thumb] {
            assert_eq!(
                blob_status(&hq, Method::GET, token, bytes).await,
                StatusCode::OK
            );
            assert_eq!(
                blob_status(&hq, Method::HEAD, token, bytes).await,
                StatusCode::OK
            );
        }
    }
    // Others get the answer for a blob HQ does not hold, however well they know the hash.
    for token in [&other.token, &tech.token] {
        for bytes in [&photo, &thumb, &stray] {
            assert_eq!(
                blob_status(&hq, Method::GET, token, bytes).await,
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                blob_status(&hq, Method::HEAD, token, bytes).await,
                StatusCode::NOT_FOUND
            );
        }
    }
    // A blob no case names: its uploader alone (HQ staff see cases, not uploads).
    assert_eq!(
        blob_status(&hq, Method::GET, &phone.token, &stray).await,
        StatusCode::OK
    );
    assert_eq!(
        blob_status(&hq, Method::GET, &desk.token, &stray).await,
        StatusCode::NOT_FOUND
    );
    // Access follows the case: assigned to zhao, routed to the north center.
    admin::assign(
        hq.storage(),
        &case.to_string(),
        "zhao",
        fieldhq::state::DEFAULT_TIME_ZONE,
    )
    .await
    .unwrap();
    admin::route(
        hq.storage(),
        &case.to_string(),
        "north",
        fieldhq::state::DEFAULT_TIME_ZONE,
    )
    .await
    .unwrap();
    for token in [&other.token, &tech.token] {
        assert_eq!(
            blob_status(&hq, Method::GET, token, &photo).await,
            StatusCode::OK
        );
        assert_eq!(
            blob_status(&hq, Method::GET, token, &stray).await,
            StatusCode::NOT_FOUND
        );
    }
}

pub async fn uploads_no_case_names_are_capped_per_device_and_removed_after_the_grace_period(
    backend: Backend,
) {
    let hq = TestHq::start_configured(backend, |config| {
        config.limits = fieldhq::Limits {
            blob_quota_bytes: 1024 * 1024,
            ..fieldhq::Limits::default()
        }
    })
    .await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let tablet = hq.person("li", Role::HqStaff, None).await;
    let blob = |n: u8, kib: usize| vec![n; kib * 1024];
    let put = |bytes: Vec<u8>, token: String| {
        let hq = &hq;
        async move {
            let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(&bytes));
            hq.send(Method::PUT, &path, Some(&token), bytes).await
        }
    };
    let (first, second, third) = (blob(1, 400), blob(2, 400), blob(3, 400));
    assert_eq!(
        put(first.clone(), phone.token.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        put(second.clone(), phone.token.clone()).await.0,
        StatusCode::CREATED
    );
    let (status, body) = put(third.clone(), phone.token.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "quota_exceeded");
    // The quota is per device, and re-sending a held blob costs nothing.
    assert_eq!(
        put(third.clone(), tablet.token.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        put(first.clone(), phone.token.clone()).await.0,
        StatusCode::OK
    );
    // Blobs a case names do not count: once the case names the first two, room again.
    let case = phone.register();
    attach(&mut phone, case, &first, &second);
    phone.sync(&hq).await;
    let fourth = blob(4, 600);
    assert_eq!(
        put(fourth.clone(), phone.token.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(hq.count("SELECT COUNT(*) FROM blob_uploads").await, 4);

    // Removal: nothing before the grace period has passed, then the unnamed ones alone.
    let blobs = hq.blobs().await;
    let uploaded_at = hq.count("SELECT MAX(uploaded_at) FROM blob_uploads").await;
    let removed = fieldhq::blob_access::collect_unreferenced(hq.storage(), &blobs, uploaded_at)
        .await
        .unwrap();
    assert_eq!(removed, 0);
    let removed = fieldhq::blob_access::collect_unreferenced(hq.storage(), &blobs, uploaded_at + 1)
        .await
        .unwrap();
    assert_eq!(removed, 2, "the tablet's third and the phone's fourth");
    for (bytes, kept) in [
        (&first, true),
        (&second, true),
        (&third, false),
        (&fourth, false),
    ] {
        let hash = fieldcore::sha256_hex(bytes);
        assert_eq!(
            blobs.size(&hash).await.unwrap().is_some(),
            kept,
            "{}",
            bytes[0]
        );
    }
    assert_eq!(hq.count("SELECT COUNT(*) FROM blob_uploads").await, 2);
}

pub async fn a_reindex_records_the_blobs_of_cases_stored_before_the_upgrade(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let desk = hq.person("li", Role::HqStaff, None).await;
    let (photo, thumb) = (b"before".to_vec(), b"before, small".to_vec());
    let case = phone.register();
    attach(&mut phone, case, &photo, &thumb);
    phone.sync(&hq).await;
    let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(&photo));
    let (status, _) = hq
        .send(Method::PUT, &path, Some(&phone.token), photo.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_blobs").await, 2);
    // As a database migrated to 0008 holds them: no record of what older cases name.
    hq.storage()
        .execute_raw("DELETE FROM case_blobs")
        .await
        .unwrap();
    assert_eq!(
        blob_status(&hq, Method::GET, &desk.token, &photo).await,
        StatusCode::NOT_FOUND
    );
    fieldhq::read_model::reindex(hq.storage(), fieldhq::state::DEFAULT_TIME_ZONE)
        .await
        .unwrap();
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_blobs").await, 2);
    assert_eq!(
        blob_status(&hq, Method::GET, &desk.token, &photo).await,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- lifecycle

pub async fn shutdown_is_graceful_and_data_survives_a_restart(backend: Backend) {
    let mut hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    let addr = hq.running().addr();
    hq.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the port is closed once shutdown returns"
    );
    hq.restart().await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert_eq!(desk.heads(case), phone.heads(case));
    phone.note(case, "after the restart");
    phone.sync(&hq).await;
    assert!(phone.outbox.is_empty());
    hq.stop().await;
}

// ---------------------------------------------------------------- naive baseline

#[cfg(feature = "bench-baseline")]
pub async fn naive_per_case_sync_round_trips_under_the_same_rules(backend: Backend) {
    use automerge::sync::{Message, State, SyncDoc};
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    let path = format!("/v1/naive/{case}");
    let mut state = State::new();
    let mut got_number = false;
    for _ in 0..6 {
        let doc = phone.docs.get_mut(&case).unwrap();
        let Some(message) = doc.generate_sync_message(&mut state) else {
            break;
        };
        let (status, reply) = hq
            .send(Method::POST, &path, Some(&phone.token), message.encode())
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply)
        );
        if !reply.is_empty() {
            let doc = phone.docs.get_mut(&case).unwrap();
            doc.receive_sync_message(&mut state, Message::decode(&reply).unwrap())
                .unwrap();
        }
        got_number |= phone.number_in_doc(case).is_some();
    }
    assert!(got_number, "HQ numbered the case and sent the number back");
    assert_eq!(phone.number_in_doc(case), Some(format!("{MONTH}-0001")));

    // The same auth and write rules as /v1/sync.
    let message = phone.docs[&case]
        .generate_sync_message(&mut State::new())
        .unwrap();
    let (status, _) = hq
        .send(Method::POST, &path, None, message.clone().encode())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let other = hq.person("zhao", Role::Engineer, None).await;
    let (status, _) = hq
        .send(Method::POST, &path, Some(&other.token), message.encode())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = hq
        .send(Method::POST, &path, Some(&phone.token), b"garbage".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A batched-protocol device sees the naive device's work.
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    assert_eq!(desk.heads(case), phone.heads(case));
}

// ---------------------------------------------------------------- migrations

pub async fn migrations_apply_step_by_step_and_refuse_a_newer_database(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let config = hq.config.storage();
    // The server migrated to the latest; reopening is a no-op.
    let latest = match backend {
        Backend::Sqlite => fieldhq::storage::sqlite::LATEST,
        Backend::Postgres => fieldhq::storage::postgres::LATEST,
    };
    let storage = fieldhq::Storage::open(&config).await.unwrap();
    assert_eq!(storage.schema_version().await.unwrap(), latest);
    // 16: archived cases (15 the console's search, its approvals inbox and compensation; 14
    // its sign-in; 13 the monthly report's); PostgreSQL's 17: the staged bytes of big pushes.
    let expected = match backend {
        Backend::Sqlite => 16,
        Backend::Postgres => 17,
    };
    assert_eq!(storage.schema_version().await.unwrap(), expected);
    drop(hq);

    // A fresh database, one step at a time, with data surviving the step.
    let fresh = TestHq::start(backend).await;
    let mut config = fresh.config.storage();
    let dir = tempfile::tempdir().unwrap();
    if backend == Backend::Sqlite {
        config.data_dir = dir.path().to_owned();
    } else {
        drop(fresh);
        config.database_url = Some(crate::common::fresh_schema_url().await);
    }
    let v1 = fieldhq::Storage::open_at_version(&config, 1).await.unwrap();
    assert_eq!(v1.schema_version().await.unwrap(), 1);
    assert!(
        v1.query_count("SELECT COUNT(*) FROM naive_sync_states")
            .await
            .is_err()
    );
    admin::add_user(&v1, "wang", Role::Engineer, None)
        .await
        .unwrap();
    // A change stored before changes had sizes: migration 6 measures it.
    let (id, bytes) = match backend {
        Backend::Sqlite => ("x'0195f1c27b2c7abc8def000000000001'", "x'0102030405'"),
        Backend::Postgres => (
            "'0195f1c2-7b2c-7abc-8def-000000000001'",
            "'\\x0102030405'::bytea",
        ),
    };
    v1.execute_raw(&format!(
        "INSERT INTO cases (case_id, number, created_by, sync_seq, created_at) \
         VALUES ({id}, '2611-0001', (SELECT user_id FROM users), 1, 0); \
         INSERT INTO changes (seq, case_id, hash, actor, bytes) \
         VALUES (1, {id}, {bytes}, {bytes}, {bytes})"
    ))
    .await
    .unwrap();
    drop(v1);
    let v2 = fieldhq::Storage::open(&config).await.unwrap();
    assert_eq!(v2.schema_version().await.unwrap(), latest);
    assert_eq!(v2.schema_version().await.unwrap(), expected);
    if backend == Backend::Postgres {
        assert_eq!(
            v2.query_count("SELECT COUNT(*) FROM change_bodies")
                .await
                .unwrap(),
            0,
            "the staged bytes of big pushes (PostgreSQL's migration 17)"
        );
    }
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM archived_cases")
            .await
            .unwrap(),
        0,
        "archived cases (migration 16)"
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM console_sessions")
            .await
            .unwrap(),
        0,
        "the console's tables (migration 14)"
    );
    assert_eq!(
        v2.query_count(
            "SELECT (SELECT COUNT(*) FROM case_waiting) \
             + (SELECT COUNT(compensation_minor) FROM case_report)"
        )
        .await
        .unwrap(),
        0,
        "the approvals inbox and compensation (migration 15)"
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM users").await.unwrap(),
        1
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM cases WHERE kind = 'case'")
            .await
            .unwrap(),
        1,
        "a case stored before stock ledgers is a case (migration 11)"
    );
    assert_eq!(
        v2.query_count("SELECT size FROM changes").await.unwrap(),
        5,
        "the size of a change stored before migration 6"
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM naive_sync_states")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        v2.query_count("SELECT value FROM counters WHERE name = 'seq'")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM device_cases WHERE sent_seq IS NOT NULL")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM hq_actors")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM case_index")
            .await
            .unwrap(),
        0
    );
    // Migration 10: the roles of the return chain may be stored; the devices of the user from
    // before still reference it.
    admin::add_user(&v2, "he", Role::Vp, None).await.unwrap();
    admin::enrol_device(&v2, "wang", None).await.unwrap();
    // Migration 10: no RMA number given out, no return rows until a reindex.
    for table in ["rma_counters", "case_returns"] {
        assert_eq!(
            v2.query_count(&format!("SELECT COUNT(*) FROM {table}"))
                .await
                .unwrap(),
            0,
            "{table}"
        );
    }
    // Migration 12: no write-off run yet.
    assert_eq!(
        v2.query_count("SELECT COUNT(*) FROM writeoffs")
            .await
            .unwrap(),
        0
    );
    // Migration 13: the report's rows come from a reindex; nothing imported or issued yet.
    for table in [
        "case_report",
        "shipments",
        "quality_reports",
        "quality_report_log",
    ] {
        assert_eq!(
            v2.query_count(&format!("SELECT COUNT(*) FROM {table}"))
                .await
                .unwrap(),
            0,
            "{table}"
        );
    }
    // Migration 8: blob access starts empty; existing cases get theirs from a reindex.
    for table in ["blob_uploads", "case_blobs"] {
        assert_eq!(
            v2.query_count(&format!("SELECT COUNT(*) FROM {table}"))
                .await
                .unwrap(),
            0,
            "{table}"
        );
    }

    // A database from a newer fieldhq is refused, not misread.
    let bump = match backend {
        Backend::Sqlite => "PRAGMA user_version = 99",
        Backend::Postgres => "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)",
    };
    v2.execute_raw(bump).await.unwrap();
    drop(v2);
    match fieldhq::Storage::open(&config).await {
        Err(fieldhq::Error::NewerSchema { found: 99, .. }) => {}
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer database was opened"),
    }
}

// ---------------------------------------------------------------- volume

/// Many new single-change cases in few requests; prints how long HQ took, for the report.
pub async fn many_new_cases_apply_in_bulk(backend: Backend) {
    let count: usize = std::env::var("FIELDHQ_BULK_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    for _ in 0..count {
        phone.register();
    }
    let started = std::time::Instant::now();
    let request = phone.request();
    let first = phone.exchange(&hq, &request).await;
    let pushed = started.elapsed();
    phone.apply(&request, &first);
    let responses = phone.sync(&hq).await;
    eprintln!(
        "{backend:?}: {count} new cases: pushed, numbered and first page answered in {:.2} s; \
         all {} number changes pulled in {:.2} s over {} round trips",
        pushed.as_secs_f64(),
        count,
        started.elapsed().as_secs_f64(),
        responses.len() + 1
    );
    assert_eq!(phone.numbers.len(), count);
    assert_eq!(hq.log_len().await, 2 * count as i64);

    // One field changed in every case, pushed by a device already in sync.
    let ids: Vec<Uuid> = phone.docs.keys().copied().collect();
    for id in &ids {
        phone.note(*id, "checked");
    }
    let started = std::time::Instant::now();
    let request_bytes = encode(&phone.request()).len();
    let responses = phone.sync(&hq).await;
    eprintln!(
        "{backend:?}: {count} changed cases synced in {:.2} s, {} round trips, {} B/case pushed",
        started.elapsed().as_secs_f64(),
        responses.len(),
        request_bytes / count
    );
    assert_eq!(responses.len(), 1, "no pulls for the device's own changes");
}

// ---------------------------------------------------------------- read model

/// The company time zone of the test HQ (ServeConfig's default).
const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;

/// Field work on one case of a device, each command made concrete against its current view.
fn work(device: &mut TestDevice, case: Uuid, cmds: &[Cmd]) {
    for cmd in cmds {
        let view =
            fieldcore::build_view(&device.docs[&case], case, &fieldcore::Policies::default())
                .unwrap();
        device.execute(case, &to_command(cmd, &view));
    }
}

async fn index(hq: &TestHq, query: CaseIndexQuery) -> Vec<CaseIndexRow> {
    admin::case_index(hq.storage(), query).await.unwrap()
}

async fn all_rows(hq: &TestHq) -> Vec<CaseIndexRow> {
    index(hq, CaseIndexQuery::default()).await
}

async fn row_of_number(hq: &TestHq, number: &str) -> CaseIndexRow {
    all_rows(hq)
        .await
        .into_iter()
        .find(|r| r.number == number)
        .unwrap_or_else(|| panic!("no read-model row for {number}"))
}

/// Each case's sync_seq as HQ's cases table has it.
async fn sync_seqs(hq: &TestHq) -> std::collections::HashMap<Uuid, u64> {
    admin::list_cases(hq.storage())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.case_id, c.sync_seq))
        .collect()
}

pub async fn the_read_model_follows_pushes_assignments_and_routes(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    hq.user("zhao", Role::Engineer, None).await;
    let first = wang.register();
    let second = wang.register();
    assert!(all_rows(&hq).await.is_empty(), "nothing before the push");
    wang.sync(&hq).await;

    let rows = all_rows(&hq).await;
    assert_eq!(rows.len(), 2);
    let one = format!("{MONTH}-0001");
    let row = row_of_number(&hq, &one).await;
    assert_eq!(row.case_id, first);
    assert_eq!(row.status, "registered");
    assert_eq!(row.customer_name, "Hebei Pump Station No. 3");
    assert_eq!(row.product_model, "YE3-132M-4");
    assert_eq!(row.product_category, "motor");
    assert_eq!(row.region, "Hebei");
    assert_eq!(row.market, "domestic");
    assert_eq!(row.received_at, t0().timestamp());
    assert_eq!(row.received_month, MONTH);
    assert_eq!(
        row.engineer, "wang",
        "the creator until someone is assigned"
    );
    assert_eq!(row.center, None);
    assert_eq!(row.defect_cause, None);
    assert_eq!(row.parts_count, 0);
    assert!(!row.reply_met && !row.close_met);
    assert_eq!(row.next_due_milestone.as_deref(), Some("reply"));
    assert_eq!(
        row.next_due_at,
        Some((t0() + chrono::Duration::hours(24)).timestamp())
    );
    assert_eq!(row.reply_due_at, row.next_due_at.unwrap());
    assert_eq!(row.closed_at, None);
    assert!(!row.has_conflict);
    assert_eq!(row.last_seq, sync_seqs(&hq).await[&first]);

    // Work on the first case: the row follows the push that carries it.
    work(
        &mut wang,
        first,
        &[
            Cmd::Ack,
            Cmd::Arrive,
            Cmd::Confirm(Cause::DesignManufacturing),
            Cmd::Decide(None),
            Cmd::Part(2),
            Cmd::Part(3),
        ],
    );
    wang.sync(&hq).await;
    let row = row_of_number(&hq, &one).await;
    assert_eq!(row.status, "warranty_decided");
    assert_eq!(row.defect_cause.as_deref(), Some("design_manufacturing"));
    assert_eq!(row.quality_fault, Some(true));
    assert_eq!(row.warranty_covered, Some(true));
    assert_eq!(row.warranty_rule.as_deref(), Some("covered_quality_fault"));
    assert_eq!(
        (row.charge_minor, row.charge_currency),
        (None, None),
        "covered"
    );
    assert_eq!(row.parts_count, 2);
    // The warranty decision meets neither the remedy (a proposal does) nor the report (due
    // three days after the defect confirmation, met by the report).
    assert!(row.reply_met && !row.remedy_met && !row.report_met && !row.close_met);
    assert_eq!(row.next_due_milestone.as_deref(), Some("remedy"));
    assert_eq!(
        row.remedy_due_at,
        (t0() + chrono::Duration::hours(48)).timestamp()
    );
    assert_eq!(row.last_seq, sync_seqs(&hq).await[&first]);
    assert!(row.updated_at > t0().timestamp());
    let untouched = row_of_number(&hq, &format!("{MONTH}-0002")).await;
    assert_eq!(untouched.case_id, second);
    assert_eq!(untouched.status, "registered");

    // Assignment and routing rewrite the row in their own transaction.
    admin::assign(hq.storage(), &one, "zhao", TZ).await.unwrap();
    let row = row_of_number(&hq, &one).await;
    assert_eq!(row.engineer, "zhao");
    assert_eq!(row.last_seq, sync_seqs(&hq).await[&first]);
    admin::route(hq.storage(), &one, "north", TZ).await.unwrap();
    let row = row_of_number(&hq, &one).await;
    assert_eq!(row.center.as_deref(), Some("north"));
    assert_eq!(row.last_seq, sync_seqs(&hq).await[&first]);

    // To the end of the case: the covered case's old parts kept under tags, then closed.
    let lines: Vec<String> = wang
        .view(first)
        .parts
        .iter()
        .map(|l| l.id.clone())
        .collect();
    for (n, line_id) in lines.into_iter().enumerate() {
        wang.execute(
            first,
            &fieldcore::Command::KeepOldPart {
                line_id,
                tag: format!("T-{n}"),
            },
        );
    }
    work(
        &mut wang,
        first,
        &[
            Cmd::Resolve(fieldcore::Outcome::PartsReplaced),
            Cmd::Customer(true),
            Cmd::Close,
        ],
    );
    wang.sync(&hq).await;
    let row = row_of_number(&hq, &one).await;
    assert_eq!(row.status, "closed");
    assert!(row.closed_at.is_some_and(|at| at > t0().timestamp()));
    assert!(row.close_met);
    assert_eq!((row.next_due_at, row.next_due_milestone), (None, None));
}

pub async fn case_list_filters_overdue_status_month_and_model(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let plain = wang.register();
    let mut other_model = registration_for("G-1");
    other_model.product_model = "GEN-9".into();
    let generator = wang.register_case(&other_model);
    // Received in September (China time): numbered, and listed, in 2609.
    let mut earlier = registration_for("M-OLD");
    earlier.received_at = t0() - chrono::Duration::days(40);
    let old = wang.register_case(&earlier);
    work(&mut wang, generator, &[Cmd::Ack]);
    wang.sync(&hq).await;

    let ids = |rows: Vec<CaseIndexRow>| rows.into_iter().map(|r| r.case_id).collect::<Vec<_>>();
    let query = |f: fn(&mut CaseIndexQuery)| {
        let mut q = CaseIndexQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(all_rows(&hq).await.len(), 3);
    assert_eq!(
        ids(index(&hq, query(|q| q.model = Some("GEN-9".into()))).await),
        vec![generator]
    );
    assert_eq!(
        ids(index(&hq, query(|q| q.status = Some("acknowledged".into()))).await),
        vec![generator]
    );
    let registered = ids(index(&hq, query(|q| q.status = Some("registered".into()))).await);
    assert_eq!(registered.len(), 2);
    assert!(registered.contains(&plain) && registered.contains(&old));
    assert_eq!(
        ids(index(&hq, query(|q| q.month = Some("2609".into()))).await),
        vec![old]
    );
    let november = ids(index(&hq, query(|q| q.month = Some(MONTH.into()))).await);
    assert_eq!(november.len(), 2);
    assert!(!november.contains(&old));
    assert!(
        index(
            &hq,
            query(|q| {
                q.month = Some(MONTH.into());
                q.model = Some("nothing-like-it".into());
            })
        )
        .await
        .is_empty(),
        "filters combine"
    );

    // Overdue against a clock the test sets: the reply is due 24 h after receipt, the remedy
    // (next for the acknowledged case) 48 h after it.
    let at = |hours: i64| (t0() + chrono::Duration::hours(hours)).timestamp();
    let overdue_at = |now: i64| CaseIndexQuery {
        overdue_at: Some(now),
        ..CaseIndexQuery::default()
    };
    assert_eq!(
        ids(index(&hq, overdue_at(at(1))).await),
        vec![old],
        "only the case received 40 days ago"
    );
    assert_eq!(
        ids(index(&hq, overdue_at(at(24))).await),
        vec![old],
        "due at the very moment is not overdue"
    );
    assert_eq!(
        ids(index(&hq, overdue_at(at(24) + 1)).await),
        vec![old, plain],
        "earliest due first"
    );
    assert_eq!(
        ids(index(&hq, overdue_at(at(49))).await),
        vec![old, plain, generator]
    );
    let rows = index(&hq, overdue_at(at(49))).await;
    assert!(rows.iter().all(|r| r.is_overdue(at(49))));
    assert!(!rows[2].is_overdue(at(47)));
}

pub async fn reindex_rebuilds_exactly_the_rows_the_syncs_wrote(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    let a = wang.register();
    let b = wang.register_case(&registration_for("M-B"));
    let c = wang.register_case(&registration_for("M-C"));
    work(&mut wang, a, &[Cmd::Ack, Cmd::Note(1), Cmd::Part(4)]);
    work(
        &mut wang,
        b,
        &[
            Cmd::Ack,
            Cmd::Confirm(Cause::CustomerMisuse),
            Cmd::Decide(Some(30_000)),
        ],
    );
    wang.sync(&hq).await;
    admin::assign(hq.storage(), &format!("{MONTH}-0001"), "zhao", TZ)
        .await
        .unwrap();
    admin::route(hq.storage(), &format!("{MONTH}-0003"), "north", TZ)
        .await
        .unwrap();
    zhao.sync(&hq).await;
    // Concurrent defect confirmations on the assigned case: a conflict.
    work(&mut wang, a, &[Cmd::Confirm(Cause::StorageTransport)]);
    work(
        &mut zhao,
        a,
        &[Cmd::Confirm(Cause::CustomerMisuse), Cmd::Part(5)],
    );
    wang.sync(&hq).await;
    zhao.sync(&hq).await;
    work(&mut wang, c, &[Cmd::Phone(7)]);
    wang.sync(&hq).await;

    let incremental = all_rows(&hq).await;
    assert_eq!(incremental.len(), 3);
    let conflicted = incremental.iter().find(|r| r.case_id == a).unwrap();
    assert!(conflicted.has_conflict);
    assert_eq!(conflicted.engineer, "zhao");
    assert_eq!(conflicted.parts_count, 2);
    let paid = incremental.iter().find(|r| r.case_id == b).unwrap();
    assert_eq!(paid.quality_fault, Some(false));
    assert_eq!(paid.warranty_covered, Some(false));
    assert_eq!(paid.warranty_rule.as_deref(), Some("non_quality_fault"));
    assert_eq!(paid.charge_minor, Some(30_000));
    assert_eq!(paid.charge_currency.as_deref(), Some("CNY"));
    let seqs = sync_seqs(&hq).await;
    for row in &incremental {
        assert_eq!(row.last_seq, seqs[&row.case_id], "{}", row.number);
    }

    // The monthly report's rows (case_report) were written beside them.
    let report_rows = |hq: &TestHq| {
        let storage = hq.storage().clone();
        async move {
            storage
                .read(|tx| Box::pin(async move { tx.report_cases(&[MONTH.to_owned()]).await }))
                .await
                .unwrap()
        }
    };
    let report_incremental = report_rows(&hq).await;
    assert_eq!(report_incremental.len(), 3);
    assert!(
        report_incremental
            .iter()
            .all(|r| r.channel.as_deref() == Some("phone") && r.fault.is_some())
    );

    // From nothing: the same rows, column for column.
    hq.storage()
        .execute_raw("DELETE FROM case_report; DELETE FROM case_index")
        .await
        .unwrap();
    assert!(all_rows(&hq).await.is_empty());
    let done = admin::reindex(hq.storage(), TZ).await.unwrap();
    assert_eq!(done.cases, 3);
    assert_eq!(done.unreadable, 0);
    assert_eq!(all_rows(&hq).await, incremental);
    assert_eq!(report_rows(&hq).await, report_incremental);

    // Over damaged rows: repaired.
    hq.storage()
        .execute_raw("UPDATE case_index SET status = 'damaged', engineer = 'nobody'")
        .await
        .unwrap();
    admin::reindex(hq.storage(), TZ).await.unwrap();
    assert_eq!(all_rows(&hq).await, incremental);
}

pub async fn case_show_prints_the_number_and_status(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    work(&mut wang, case, &[Cmd::Ack, Cmd::Note(3)]);
    wang.sync(&hq).await;
    let number = format!("{MONTH}-0001");
    let detail = admin::case_detail(hq.storage(), &number).await.unwrap();
    assert_eq!(detail.view.id, case);
    assert_eq!(detail.created_by, "wang");
    let text = fieldcore::case_text(
        &detail.view,
        &fieldcore::CaseTextExtras::default(),
        t0(),
        fieldcore::Locale::En,
    );
    assert!(text.contains(&format!("number {number}")), "{text}");
    assert!(text.contains("acknowledged · round 1"), "{text}");
    assert!(text.contains("note 3"), "{text}");
    assert!(
        admin::case_detail(hq.storage(), "2611-9999")
            .await
            .is_err_and(|e| matches!(e, fieldhq::Error::NotFound(_)))
    );
}

/// The `fieldhq` binary on the same database as the running HQ: list, show, reindex.
pub async fn the_cli_lists_shows_and_reindexes(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    wang.register();
    let case = wang.register_case(&registration_for("M-2"));
    work(&mut wang, case, &[Cmd::Ack]);
    wang.sync(&hq).await;
    let config = hq.config.storage();
    let run = move |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldhq"));
        command.arg("--data").arg(&config.data_dir);
        if let Some(url) = &config.database_url {
            command.arg("--database-url").arg(url);
        }
        command
            .args(args)
            .env_remove("FIELDHQ_TIME_ZONE")
            .env_remove("LANG");
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "fieldhq {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let (list, json, show, reindexed, filtered) = tokio::task::spawn_blocking(move || {
        (
            run(&["case", "list"]),
            run(&["case", "list", "--json"]),
            run(&["case", "show", &format!("{MONTH}-0002")]),
            run(&["reindex"]),
            run(&["case", "list", "--json", "--status", "acknowledged"]),
        )
    })
    .await
    .unwrap();
    assert!(list.starts_with("NUMBER"), "{list}");
    assert!(
        list.contains(&format!("{MONTH}-0001  registered")),
        "{list}"
    );
    assert!(list.contains("2 cases"), "{list}");
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["number"], format!("{MONTH}-0002"));
    assert_eq!(rows[1]["status"], "acknowledged");
    assert!(rows[1]["overdue"].is_boolean());
    assert!(show.contains(&format!("number {MONTH}-0002")), "{show}");
    assert!(show.contains("acknowledged · round 1"), "{show}");
    assert!(
        show.contains("Engineer    none (created by wang)"),
        "{show}"
    );
    assert_eq!(reindexed.trim(), "2 cases reindexed");
    let filtered: serde_json::Value = serde_json::from_str(&filtered).unwrap();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["case_id"], case.to_string());
}

/// The `fieldhq` administration commands print in the language `--lang` (or `LANG`) names:
/// a user added, an overdue scan, the escalation list and its acknowledgement, the case list;
/// English as it always was.
pub async fn the_admin_commands_print_in_chinese_and_in_english(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    wang.sync(&hq).await;
    let config = hq.config.storage();
    let run = move |lang_env: Option<&str>, args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldhq"));
        command.arg("--data").arg(&config.data_dir);
        if let Some(url) = &config.database_url {
            command.arg("--database-url").arg(url);
        }
        command.args(args).env_remove("FIELDHQ_TIME_ZONE");
        match lang_env {
            Some(lang) => command.env("LANG", lang),
            None => command.env_remove("LANG"),
        };
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "fieldhq {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    // Past the reply's deadline and the supervisor's delay (24 h each, by default).
    let at = (t0() + chrono::Duration::hours(49)).to_rfc3339();
    let number = format!("{MONTH}-0001");
    let shown = number.clone();
    let out = tokio::task::spawn_blocking(move || {
        let zh = |args: &[&str]| {
            let mut all = vec!["--lang", "zh-CN"];
            all.extend_from_slice(args);
            run(None, &all)
        };
        let en = |args: &[&str]| {
            let mut all = vec!["--lang", "en"];
            all.extend_from_slice(args);
            run(None, &all)
        };
        let empty = (zh(&["escalation", "list"]), en(&["escalation", "list"]));
        let users = (
            zh(&["user", "add", "liu", "--role", "hq-staff"]),
            en(&["user", "add", "zhao", "--role", "engineer"]),
        );
        let scan = zh(&["escalation", "scan", "--at", &at]);
        let lists = (zh(&["escalation", "list"]), en(&["escalation", "list"]));
        let by_lang_env = run(Some("zh_CN.UTF-8"), &["escalation", "list", "--open"]);
        let id = lists.1.split_whitespace().next().unwrap().to_owned();
        let ack = zh(&["escalation", "ack", &id, "--by", "liu"]);
        let cases = (zh(&["case", "list"]), en(&["case", "list"]));
        let show = zh(&["case", "show", &shown]);
        (empty, users, scan, lists, by_lang_env, id, ack, cases, show)
    })
    .await
    .unwrap();
    let (empty, users, scan, lists, by_lang_env, id, ack, cases, show) = out;
    assert_eq!(empty.0, "没有升级事项\n");
    assert_eq!(empty.1, "no escalations\n");
    assert_eq!(users.0, "已添加用户 liu（总部客服人员）\n");
    assert_eq!(users.1, "user zhao (engineer) added\n");
    assert_eq!(scan, "已发起 1 条逾期升级事项\n");

    let (zh, en) = lists;
    let zh_lines: Vec<&str> = zh.lines().collect();
    assert_eq!(zh_lines.len(), 3, "{zh}");
    assert!(zh_lines[0].starts_with(&id), "{zh}");
    assert!(zh_lines[0].contains("超期：答复客户"), "{zh}");
    assert_eq!(zh_lines[1], format!("    案件：{case}"));
    assert_eq!(zh_lines[2], "1 条升级事项");
    assert_eq!(by_lang_env, zh, "LANG picks Chinese without --lang");
    let en_lines: Vec<&str> = en.lines().collect();
    assert!(en_lines[0].starts_with(&id), "{en}");
    assert!(en_lines[0].contains("reply"), "{en}");
    assert_eq!(en_lines[1], format!("    cases: {case}"));
    assert_eq!(en_lines[2], "1 escalation");

    assert_eq!(ack, format!("升级事项 {id} 已由 liu 确认（1 个案件）\n"));

    let (zh, en) = cases;
    let zh_lines: Vec<&str> = zh.lines().collect();
    assert!(zh_lines[0].starts_with("编号"), "{zh}");
    assert!(
        zh_lines[1].starts_with(&format!("{number}  已登记")),
        "{zh}"
    );
    assert_eq!(zh_lines[2], "1 个案件");
    assert!(en.starts_with("NUMBER"), "{en}");
    assert!(en.contains(&format!("{number}  registered")), "{en}");
    assert!(en.ends_with("1 case\n"), "{en}");
    assert!(show.contains("工程师"), "{show}");
    assert!(show.contains("无（由 wang 创建）"), "{show}");
}

// ---------------------------------------------------------------- every push tried on its case

/// A change of `device`'s actor on its copy of `case`, made by `write` and not kept on the
/// device: what a faulty or hostile client would push.
fn forged(
    device: &TestDevice,
    case: Uuid,
    write: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> ByteBuf {
    let mut doc = device.docs[&case].clone();
    doc.set_actor(device.actor.clone());
    let heads = doc.get_heads();
    let mut tx = doc.transaction();
    write(&mut tx);
    tx.commit();
    let changes = doc.get_changes(&heads);
    assert_eq!(changes.len(), 1);
    ByteBuf::from(changes[0].raw_bytes().to_vec())
}

/// The object id of the root map `key` of a case document.
fn root_map(tx: &automerge::transaction::Transaction<'_>, key: &str) -> automerge::ObjId {
    use automerge::ReadDoc;
    tx.get(automerge::ROOT, key).unwrap().unwrap().1
}

/// Every kind of change that would leave a case no device can read, or writes what its author
/// may not, or grows a case past its limit, is refused for its case alone, with its reason;
/// the good case in the same request applies, and every device goes on syncing.
pub async fn each_kind_of_bad_change_is_refused_for_its_case_alone(backend: Backend) {
    use automerge::transaction::Transactable;
    use automerge::{ObjType, ScalarValue};
    let hq = TestHq::start_configured(backend, |config| {
        config.case_limit_bytes = 16 * 1024;
    })
    .await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let cases: Vec<Uuid> = (0..8).map(|_| phone.register()).collect();
    phone.sync(&hq).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    desk.sync(&hq).await;
    let before = hq.log_len().await;

    let status_record = |status: &str| {
        format!(
            r#"{{"key":"{status}","value":"{status}","by":"x","device":"d","at":"2026-11-02T10:00:00+08:00"}}"#
        )
    };
    let bad: Vec<(&str, ByteBuf, RejectReason)> = vec![
        (
            "a note that is not JSON",
            forged(&phone, cases[0], |tx| {
                let notes = root_map(tx, "notes");
                tx.put(&notes, "0190-bad", "{ not json").unwrap();
            }),
            RejectReason::Unreadable,
        ),
        (
            "a status no version knows",
            forged(&phone, cases[1], |tx| {
                let decisions = root_map(tx, "decisions");
                tx.put(&decisions, "status", status_record("escalated"))
                    .unwrap();
            }),
            RejectReason::Unreadable,
        ),
        (
            "a fact of the wrong type",
            forged(&phone, cases[2], |tx| {
                let facts = root_map(tx, "facts");
                tx.put(&facts, "customer_name", ScalarValue::Int(7))
                    .unwrap();
            }),
            RejectReason::Unreadable,
        ),
        (
            "a note written as automerge Text",
            forged(&phone, cases[3], |tx| {
                let notes = root_map(tx, "notes");
                let text = tx.put_object(&notes, "0190-text", ObjType::Text).unwrap();
                tx.splice_text(&text, 0, 0, "invisible").unwrap();
            }),
            RejectReason::Unreadable,
        ),
        (
            "HQ's number",
            forged(&phone, cases[4], |tx| {
                tx.put(automerge::ROOT, "number", "2611-9999").unwrap();
            }),
            RejectReason::NotPermitted,
        ),
        (
            "a key reserved for HQ",
            forged(&phone, cases[5], |tx| {
                tx.put_object(automerge::ROOT, "assignment", ObjType::Map)
                    .unwrap();
            }),
            RejectReason::NotPermitted,
        ),
        (
            "a case grown past the limit",
            forged(&phone, cases[6], |tx| {
                let notes = root_map(tx, "notes");
                // Incompressible text: the limit counts stored bytes.
                let noise: String = (0..20_000u32)
                    .map(|i| char::from(b'a' + ((i.wrapping_mul(2_654_435_761) >> 7) % 26) as u8))
                    .collect();
                tx.put(&notes, "0190-long", format!(r#"{{"text":"{noise}"}}"#))
                    .unwrap();
            }),
            RejectReason::TooLarge,
        ),
    ];
    phone.note(cases[7], "the good case");
    let mut request = phone.request();
    assert_eq!(request.pushes.len(), 1, "only the good case is pending");
    for (i, (_, chunk, _)) in bad.iter().enumerate() {
        request.pushes.push(CasePush {
            case_id: cases[i],
            payload: Payload::Changes(vec![chunk.clone()]),
        });
    }
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(
        response.acks[0],
        AckOutcome::Applied,
        "the good case applies"
    );
    for (i, (what, _, reason)) in bad.iter().enumerate() {
        assert_eq!(rejection(&response, i + 1), Some(*reason), "{what}");
    }
    assert_eq!(
        hq.log_len().await,
        before + 1,
        "only the good change is stored"
    );
    phone.apply(&request, &response);

    // Every device syncs on and sees the good note; nothing of the bad ones.
    desk.sync(&hq).await;
    phone.sync(&hq).await;
    let view = |device: &TestDevice, case| {
        fieldcore::build_view(&device.docs[&case], case, &fieldcore::Policies::default()).unwrap()
    };
    assert_eq!(view(&desk, cases[7]).notes.len(), 1);
    for case in &cases[..7] {
        assert!(view(&desk, *case).notes.is_empty());
        assert_eq!(desk.docs[case].get_heads(), phone.docs[case].get_heads());
    }
    // The rejected cases stay writable with honest changes on top of what HQ holds.
    let mut tablet = hq.device("wang").await;
    tablet.sync(&hq).await;
    tablet.note(cases[0], "honest");
    let responses = tablet.sync(&hq).await;
    assert!(
        responses
            .iter()
            .all(|r| r.acks.iter().all(|a| *a == AckOutcome::Applied))
    );
}

/// Role-owned fields (core/src/rules/authority.rs): refused from a role that may not write
/// them, accepted from one that may; the device checks the same table offline.
pub async fn role_owned_fields_follow_the_authority_table(backend: Backend) {
    use fieldcore::{Command, DefectInput};
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let mut desk = hq.person("li", Role::HqStaff, None).await;
    let mut tech = hq.person("chen", Role::Technician, Some("north")).await;
    let case = phone.register();
    phone.execute(case, &Command::Acknowledge { note: None });
    phone.sync(&hq).await;
    admin::route(
        hq.storage(),
        &case.to_string(),
        "north",
        fieldhq::state::DEFAULT_TIME_ZONE,
    )
    .await
    .unwrap();
    desk.sync(&hq).await;
    tech.sync(&hq).await;
    let confirm = Command::ConfirmDefect(DefectInput {
        cause: Cause::DesignManufacturing,
        findings: "winding burnt".into(),
        measurements: vec![],
        major_incident: false,
        evidence_photos: vec![],
    });
    let schedule = Command::ScheduleVisit {
        planned_for: t0() + chrono::Duration::days(1),
    };

    // HQ staff may not confirm the defect; the technician may not plan visits.
    desk.execute(case, &confirm);
    let response = desk.exchange(&hq, &desk.request()).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::NotPermitted));
    tech.execute(case, &schedule);
    let response = tech.exchange(&hq, &tech.request()).await;
    assert_eq!(rejection(&response, 0), Some(RejectReason::NotPermitted));

    // HQ staff may plan the visit; the engineer confirms the defect.
    let mut desk = hq.device("li").await;
    desk.sync(&hq).await;
    desk.execute(case, &schedule);
    let response = desk.exchange(&hq, &desk.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);
    phone.sync(&hq).await;
    phone.execute(case, &confirm);
    let response = phone.exchange(&hq, &phone.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);

    // The warranty decision and parts: not HQ staff's; the engineer's and the technician's.
    let decide = Command::DecideWarranty {
        evidence_photos: vec![],
        charge: None,
    };
    let part = Command::RecordPart(fieldcore::PartInput {
        part_number: "BRG-6205".into(),
        specification: "bearing".into(),
        quantity: 1,
        new_serial: None,
        old_part_kept: false,
        old_part_serial: None,
        off_catalog_reason: None,
    });
    for (command, writer) in [(&decide, "decisions.warranty"), (&part, "parts")] {
        let mut desk = hq.device("li").await;
        desk.sync(&hq).await;
        desk.execute(case, command);
        let response = desk.exchange(&hq, &desk.request()).await;
        assert_eq!(
            rejection(&response, 0),
            Some(RejectReason::NotPermitted),
            "{writer}"
        );
    }
    phone.sync(&hq).await;
    phone.execute(case, &decide);
    let response = phone.exchange(&hq, &phone.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);
    let mut tech = hq.device("chen").await;
    tech.sync(&hq).await;
    tech.execute(case, &part);
    let response = tech.exchange(&hq, &tech.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);

    // Every field only HQ writes, from any device: refused.
    for key in [
        "number",
        "accepted",
        "assignment",
        "route",
        "approvals",
        "escalations",
        "rma",
    ] {
        let chunk = forged(&desk, case, |tx| {
            use automerge::transaction::Transactable;
            tx.put(automerge::ROOT, key, "by a device").unwrap();
        });
        let mut request = desk.request();
        request.pushes = vec![CasePush {
            case_id: case,
            payload: Payload::Changes(vec![chunk]),
        }];
        let response = desk.exchange(&hq, &request).await;
        assert_eq!(
            rejection(&response, 0),
            Some(RejectReason::NotPermitted),
            "{key}"
        );
    }

    // The same table on the device: a store that knows its user is HQ staff refuses offline.
    let dir = tempfile::tempdir().unwrap();
    let mut store = fieldcore::Store::open(dir.path().join("d.db"), "li").unwrap();
    store.set_role(Some(Role::HqStaff));
    let view = store.register(&fieldcore::testing::registration()).unwrap();
    store
        .execute(view.id, &Command::Acknowledge { note: None })
        .unwrap();
    let outbox = store.outbox_len().unwrap();
    let refused = store.execute(view.id, &confirm).unwrap_err();
    assert!(
        matches!(&refused, fieldcore::Error::NotPermitted(m) if m.contains("decisions.defect")),
        "{refused}"
    );
    assert_eq!(store.outbox_len().unwrap(), outbox, "nothing was stored");
    store.set_role(Some(Role::Engineer));
    store.execute(view.id, &confirm).unwrap();
}

/// A request whose pushes would make HQ rebuild more case documents than its load budget
/// allows gets the rest answered `Later`; the device pushes them again and everything arrives.
pub async fn pushes_past_the_load_budget_are_left_for_later(backend: Backend) {
    let mut hq = TestHq::start_configured(backend, |config| {
        config.load_budget_bytes = 1;
    })
    .await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let cases: Vec<Uuid> = (0..3).map(|_| phone.register()).collect();
    phone.sync(&hq).await;
    // A restarted HQ holds no document in memory: every push needs its case rebuilt.
    hq.restart().await;
    let before = hq.log_len().await;
    for case in &cases {
        phone.note(*case, "after the restart");
    }
    let request = phone.request();
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(
        response.acks,
        vec![AckOutcome::Applied, AckOutcome::Later, AckOutcome::Later],
        "the first case is always tried"
    );
    assert_eq!(hq.log_len().await, before + 1);
    phone.apply(&request, &response);
    phone.sync(&hq).await;
    assert_eq!(
        hq.log_len().await,
        before + 3,
        "the rest arrived in later requests"
    );
    assert!(phone.outbox.is_empty());
}

/// Two HQ instances on one database: a push tried on one instance's cached copy of a case that
/// the other instance changed meanwhile is checked again on the case as the log has it, so the
/// read model (and what is accepted) never rests on a stale copy; the copy is caught up with
/// the changes logged since, not rebuilt from the whole log.
pub async fn a_stale_cached_copy_is_caught_up_and_never_trusted(backend: Backend) {
    let hq = TestHq::start_configured(backend, |config| {
        config.case_limit_bytes = LIMIT;
    })
    .await;
    const LIMIT: u64 = 16 * 1024;
    let first = hq.hq.as_ref().unwrap().metrics();
    let other = fieldhq::serve(hq.config.clone()).await.unwrap();
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let case = phone.register();
    phone.sync(&hq).await;
    // The first instance holds the case in memory now; the desk writes through the second.
    let desk = hq.user("li", Role::HqStaff, None).await;
    let enrolment = admin::enrol_device(hq.storage(), &desk.name, None)
        .await
        .unwrap();
    let mut desk = TestDevice::new("li", enrolment.device_id, enrolment.token);
    let request = desk.request();
    let reply = other_exchange(&hq, &other, &desk.token, &request).await;
    desk.apply(&request, &reply);
    desk.execute(case, &fieldcore::Command::Acknowledge { note: None });
    let request = desk.request();
    let reply = other_exchange(&hq, &other, &desk.token, &request).await;
    assert_eq!(reply.acks, vec![AckOutcome::Applied]);

    // The phone's note goes to the first instance, whose copy lacks the acknowledgement: the
    // note is tried on that copy ahead of the transaction, then checked again on it caught up.
    let sources = first.document_sources();
    phone.note(case, "concurrent with the desk");
    let response = phone.exchange(&hq, &phone.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);
    let rows = admin::case_index(hq.storage(), CaseIndexQuery::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].status, "acknowledged",
        "the row holds the desk's step too"
    );
    let after = first.document_sources();
    assert_eq!(
        (after.caught_up, after.rebuilt),
        (sources.caught_up + 1, sources.rebuilt),
        "the copy was caught up, not rebuilt"
    );

    // A change the first instance's copy cannot take yet (it depends on the desk's note, which
    // the phone pulled through the second instance) is tried in the transaction on the copy
    // caught up.
    desk.note(case, "customer called again");
    let request = desk.request();
    let reply = other_exchange(&hq, &other, &desk.token, &request).await;
    desk.apply(&request, &reply);
    let request = phone.request();
    let reply = other_exchange(&hq, &other, &phone.token, &request).await;
    phone.apply(&request, &reply);
    phone.note(case, "called the customer back");
    let request = phone.request();
    let response = phone.exchange(&hq, &request).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);
    phone.apply(&request, &response);
    let sources = first.document_sources();
    assert_eq!(
        (sources.caught_up, sources.rebuilt),
        (after.caught_up + 1, after.rebuilt)
    );

    // The size limit counts what the copy lacked: the phone's note would fit the older copy,
    // not the case with the desk's long note.
    let stored = || async {
        let sizes = hq
            .storage()
            .transaction(move |tx| Box::pin(async move { tx.history_sizes(&[case]).await }))
            .await
            .unwrap();
        sizes[&case]
    };
    let older = stored().await;
    desk.note(case, &incompressible_note());
    let request = desk.request();
    let reply = other_exchange(&hq, &other, &desk.token, &request).await;
    assert_eq!(reply.acks, vec![AckOutcome::Applied]);
    let now = stored().await;
    phone.note(case, &incompressible_note());
    let note: u64 = phone.outbox[&case].iter().map(|c| c.len() as u64).sum();
    assert!(
        older + note <= LIMIT && now + note > LIMIT,
        "{older} {now} {note}"
    );
    let response = phone.exchange(&hq, &phone.request()).await;
    assert!(
        matches!(
            &response.acks[..],
            [AckOutcome::Rejected {
                reason: RejectReason::TooLarge,
                ..
            }]
        ),
        "{:?}",
        response.acks
    );
    other.shutdown().await.unwrap();
}

/// A 9,000-character note that does not compress, so its stored size is about its length.
fn incompressible_note() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..)
        .flat_map(|_| *Uuid::new_v4().as_bytes())
        .map(|b| alphabet[usize::from(b & 63)] as char)
        .take(9_000)
        .collect()
}

/// A phone back after days offline pushes to hundreds of cases at once: HQ tries them ahead of
/// the transaction on several threads, each push once on the copy it holds, and a push refused
/// there stays refused for its case alone, in its place among the acknowledgements.
pub async fn hundreds_of_pushes_are_each_tried_once_ahead(backend: Backend) {
    const CASES: usize = 300;
    const LIMIT: u64 = 16 * 1024;
    let hq = TestHq::start_configured(backend, |config| {
        config.case_limit_bytes = LIMIT;
    })
    .await;
    let metrics = hq.hq.as_ref().unwrap().metrics();
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let cases: Vec<Uuid> = (0..CASES)
        .map(|c| phone.register_case(&registration_for(&format!("M2406-{c:06}"))))
        .collect();
    // The case late in the request already holds a long note; a second one takes it past the
    // limit, which only HQ's copy of the case can tell.
    let full = cases[CASES - 20];
    phone.note(full, &incompressible_note());
    phone.sync(&hq).await;

    for (c, case) in cases.iter().enumerate() {
        phone.note(*case, &format!("pressure test {c}: 0.6 MPa held"));
    }
    phone.note(full, &incompressible_note());
    metrics.take_validations();
    let before = metrics.document_sources();
    let logged = hq.log_len().await;
    let request = phone.request();
    let response = phone.exchange(&hq, &request).await;
    let refused = request
        .pushes
        .iter()
        .position(|p| p.case_id == full)
        .unwrap();
    for (i, ack) in response.acks.iter().enumerate() {
        if i == refused {
            assert!(
                matches!(
                    ack,
                    AckOutcome::Rejected {
                        reason: RejectReason::TooLarge,
                        ..
                    }
                ),
                "{ack:?}"
            );
        } else {
            assert_eq!(*ack, AckOutcome::Applied, "push {i}");
        }
    }
    assert_eq!(response.acks.len(), CASES);
    let after = metrics.document_sources();
    assert_eq!(
        (
            after.current - before.current,
            after.caught_up - before.caught_up,
            after.rebuilt - before.rebuilt
        ),
        (CASES as u64, 0, 0),
        "every push was decided on the copy it was tried on"
    );
    assert_eq!(
        metrics.take_validations().len(),
        CASES,
        "each push was tried once"
    );
    assert_eq!(
        hq.log_len().await - logged,
        CASES as i64 - 1,
        "one change logged per applied push"
    );
}

/// Catching copies up reads sizes and the changes that fit in one statement: spans are taken
/// in order while their bytes fit the budget (the first always if asked), and what is read is
/// exactly the span's changes.
pub async fn span_changes_within_reads_only_what_fits(backend: Backend) {
    use fieldhq::storage::{Span, SpanLoad};
    let hq = TestHq::start(backend).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    let cases: Vec<Uuid> = (0..3).map(|_| phone.register()).collect();
    phone.sync(&hq).await;
    for (i, case) in cases.iter().enumerate() {
        phone.note(*case, &"x".repeat(300 * (3 - i)));
    }
    phone.sync(&hq).await;
    let spans: Vec<Span> = cases
        .iter()
        .map(|id| Span {
            case_id: *id,
            after: 0,
            through: None,
            skip_author: None,
        })
        .collect();
    let hq = &hq;
    let loaded = |budget: u64, first_fits: bool| {
        let spans = spans.clone();
        async move {
            hq.storage()
                .transaction(move |tx| {
                    Box::pin(async move {
                        let loads = tx.span_changes_within(&spans, budget, first_fits).await?;
                        let totals = tx.span_totals(&spans).await?;
                        let chunks = tx.span_changes(&spans).await?;
                        Ok((loads, totals, chunks))
                    })
                })
                .await
                .unwrap()
        }
    };
    let (_, totals, chunks) = loaded(0, false).await;
    let size: Vec<u64> = cases.iter().map(|id| totals[id].bytes).collect();
    assert!(size[1] > size[2] && size[2] > 0, "{size:?}");
    let read = |loads: &[SpanLoad]| -> Vec<bool> {
        for (load, id) in loads.iter().zip(&cases) {
            assert_eq!(load.case_id, *id);
            assert_eq!(load.total, totals[id]);
            if let Some(read) = &load.chunks {
                assert_eq!(read, &chunks[id]);
            }
        }
        loads.iter().map(|l| l.chunks.is_some()).collect()
    };
    let (loads, ..) = loaded(size[0] + size[1], false).await;
    assert_eq!(read(&loads), [true, true, false]);
    let (loads, ..) = loaded(size[0] + size[2], false).await;
    assert_eq!(
        read(&loads),
        [true, false, false],
        "in order, while they fit"
    );
    let (loads, ..) = loaded(size[0] - 1, true).await;
    assert_eq!(read(&loads), [true, false, false], "the first always");
    let (loads, ..) = loaded(size[0] - 1, false).await;
    assert_eq!(read(&loads), [false, false, false]);
    let (loads, ..) = loaded(u64::MAX, false).await;
    assert_eq!(read(&loads), [true, true, true]);
}

/// One sync exchange with the second instance `other`.
async fn other_exchange(
    hq: &TestHq,
    other: &fieldhq::RunningHq,
    token: &str,
    request: &SyncRequest,
) -> SyncResponse {
    let reply = hq
        .http
        .post(format!("{}/v1/sync", other.url()))
        .bearer_auth(token)
        .header("content-type", fieldcore::CONTENT_TYPE)
        .body(fieldcore::encode_message(request).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    fieldcore::decode_message(&reply.bytes().await.unwrap()).unwrap()
}
