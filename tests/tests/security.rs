//! Security over the real HTTP path, with the device client: wrong and revoked tokens, a
//! change authored with another device's actor, a write to a case the user may not see, an
//! oversized message and malformed bodies. Each is refused with a typed error, nothing of it
//! is applied, and HQ goes on serving the next valid sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fieldcore::CaseSyncState;
use fieldcore::Command;
use fieldcore::Error;
use fieldcore::{
    self, AckOutcome, ByteBuf, CasePush, MAX_CASE_BYTES, MAX_MESSAGE_BYTES, Payload, RejectReason,
    SyncResponse,
};
use fieldcore::{CancelToken, HttpTransport, SyncConfig, Transport};
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;

/// Sends a raw body to `/v1/sync` with the device client's transport (and its retries).
fn send(config: &SyncConfig, body: Vec<u8>) -> fieldcore::Result<Vec<u8>> {
    let transport = HttpTransport::new(config).unwrap();
    transport.sync(body, &CancelToken::new(), &mut 0)
}

/// What HQ holds, to show a refused request applied nothing.
fn hq_state(hq: &TestHq) -> (i64, i64, i64) {
    (
        hq.log_len().unwrap(),
        hq.count("SELECT COUNT(*) FROM cases").unwrap(),
        hq.count("SELECT COUNT(*) FROM devices WHERE actor IS NOT NULL")
            .unwrap(),
    )
}

fn note(device: &mut Device, case: fieldcore::CaseId, text: &str) {
    device
        .store
        .execute(case, &Command::AddNote { text: text.into() })
        .unwrap();
}

#[test]
fn wrong_and_revoked_tokens_are_refused() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    let enrolment = hq.enrol_device("wang").unwrap();
    let mut phone = Device::new("wang", &hq.url(), &enrolment.token).unwrap();
    let case = phone.register("S-1").unwrap();
    phone.sync().unwrap();
    let before = hq_state(&hq);

    // A token HQ never issued, and one that is not even a token.
    for token in ["ab".repeat(32), "not a token".to_owned(), String::new()] {
        let mut thief = Device::new("wang", &hq.url(), &token).unwrap();
        thief.register("X-1").unwrap();
        match thief.sync() {
            Err(Error::Unauthorized(message)) => eprintln!("wrong token {token:?}: {message}"),
            other => panic!("a wrong token must be refused, got {other:?}"),
        }
    }
    assert_eq!(hq_state(&hq), before);

    // A lost phone: revoked, its next sync is refused and its work stays in its outbox.
    hq.revoke(enrolment.device_id).unwrap();
    note(&mut phone, case, "written after the phone was lost");
    match phone.sync() {
        Err(Error::Unauthorized(message)) => eprintln!("revoked: {message}"),
        other => panic!("a revoked device must be refused, got {other:?}"),
    }
    assert_eq!(phone.store.outbox_len().unwrap(), 1);
    assert_eq!(hq_state(&hq), before);

    // HQ goes on serving everyone else.
    let mut other = Device::enrolled(&hq, "wang").unwrap();
    other.sync().unwrap();
    assert_eq!(
        other.case_ids().unwrap().len(),
        1,
        "the engineer's new phone gets the case"
    );
    assert_eq!(
        other.store.case(case).unwrap().notes.len(),
        0,
        "the revoked phone's note never arrived"
    );
}

#[test]
fn a_change_authored_with_another_devices_actor_is_refused() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("zhou", Role::HqStaff, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut desk = Device::enrolled(&hq, "zhou").unwrap();
    let case = phone.register("S-2").unwrap();
    phone.sync().unwrap();
    desk.sync().unwrap();
    // The desk writes on the case; its outbox holds a change authored by the desk's actor.
    note(&mut desk, case, "by the desk");
    let before = hq_state(&hq);

    // The phone (a device that may write the case) sends the desk's change as if it were its
    // own: under its own actor id, and under the desk's.
    let (mut forged, _) = desk.store.prepare_sync(1 << 20, 100).unwrap();
    assert_eq!(forged.pushes.len(), 1);
    // Under its own actor: the request is the phone's, the change is not; refused for the case.
    forged.actor = phone.store.actor().to_bytes().to_vec();
    let reply = send(&phone.config, fieldcore::encode_message(&forged).unwrap()).unwrap();
    let reply: SyncResponse = fieldcore::decode_message(&reply).unwrap();
    match &reply.acks[..] {
        [AckOutcome::Rejected { reason, detail }] => {
            assert_eq!(*reason, RejectReason::NotPermitted);
            eprintln!("forged change: {detail}");
        }
        other => panic!("a change by another device's actor must be rejected, got {other:?}"),
    }
    assert_eq!(
        hq_state(&hq),
        before,
        "nothing of the forged push is applied"
    );
    // Under the desk's actor: not the phone's bound actor, the whole request is refused.
    forged.actor = desk.store.actor().to_bytes().to_vec();
    match send(&phone.config, fieldcore::encode_message(&forged).unwrap()) {
        Err(Error::Unauthorized(message)) => {
            assert!(message.starts_with("forbidden"), "{message}");
            eprintln!("forged actor: {message}");
        }
        other => panic!("another device's actor must be refused, got {other:?}"),
    }
    assert_eq!(
        hq_state(&hq),
        before,
        "nothing of the forged request is applied"
    );

    // HQ goes on serving: both devices sync, the desk's note arrives through the desk only.
    phone.sync().unwrap();
    assert_eq!(phone.store.case(case).unwrap().notes.len(), 0);
    desk.sync().unwrap();
    phone.sync().unwrap();
    let view = phone.store.case(case).unwrap();
    assert_eq!(view.notes.len(), 1);
    assert_eq!(view.notes[0].stamp.by, "zhou");
    assert_eq!(view, desk.store.case(case).unwrap());
}

#[test]
fn a_write_to_a_case_the_user_may_not_see_is_refused() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("zhao", Role::Engineer, None).unwrap();
    hq.user("li", Role::Technician, Some("south")).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let case = phone.register("S-3").unwrap();
    phone.sync().unwrap();

    // Another engineer and a technician of a center the case is not routed to: neither
    // receives it...
    let mut intruders = [
        Device::enrolled(&hq, "zhao").unwrap(),
        Device::enrolled(&hq, "li").unwrap(),
    ];
    for intruder in &mut intruders {
        intruder.sync().unwrap();
        assert!(intruder.case_ids().unwrap().is_empty());
    }
    let before = hq_state(&hq);
    // ...and a copy obtained some other way cannot be written back: HQ refuses that case's
    // push (the request itself goes through), applies nothing, and the device keeps the work
    // marked refused instead of pushing it again and again.
    let document = phone.store.export_document(case).unwrap();
    for intruder in &mut intruders {
        intruder.store.merge_document(&document).unwrap();
        note(intruder, case, "not my case");
        let report = intruder.sync().unwrap();
        assert_eq!(report.refused, 1, "{} writing wang's case", intruder.name);
        assert_eq!(report.progress.pushed_cases, 0);
        assert_eq!(
            intruder.store.case_sync_state(case).unwrap(),
            CaseSyncState::Refused
        );
        assert_eq!(intruder.store.pending_sync_cases().unwrap(), 0);
        assert_eq!(intruder.store.outbox_len().unwrap(), 1, "the work is kept");
        assert_eq!(hq_state(&hq), before);
        // Refused work is not sent again with every sync.
        let again = intruder.sync().unwrap();
        assert_eq!(again.progress.rounds, 1);
        assert!(
            again.progress.bytes_sent < 64,
            "{} bytes",
            again.progress.bytes_sent
        );
        assert_eq!(hq_state(&hq), before);
    }

    // HQ goes on serving the owner; the intruders' notes never reach the case.
    note(&mut phone, case, "mine");
    phone.sync().unwrap();
    let view = phone.store.case(case).unwrap();
    assert_eq!(view.notes.len(), 1);
    assert_eq!(view.notes[0].body.text, "mine");
    // Once routed to the technician's center, the same device may write it: the case comes
    // to the tablet, and the work refused before goes up in the same sync.
    hq.route(case, "south").unwrap();
    let tablet = &mut intruders[1];
    let report = tablet.sync().unwrap();
    assert_eq!((report.refused, report.progress.pushed_cases), (0, 1));
    assert_eq!(
        tablet.store.case_sync_state(case).unwrap(),
        CaseSyncState::Synced
    );
    phone.sync().unwrap();
    assert_eq!(phone.store.case(case).unwrap().notes.len(), 2);
    // The other engineer's work stays refused and kept.
    assert_eq!(
        intruders[0].store.case_sync_state(case).unwrap(),
        CaseSyncState::Refused
    );
}

#[test]
fn oversized_and_malformed_messages_are_refused() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let case = phone.register("S-4").unwrap();
    phone.sync().unwrap();
    note(&mut phone, case, "pending while the bad requests come");
    let before = hq_state(&hq);
    let (valid, _) = phone.store.prepare_sync(1 << 20, 100).unwrap();

    let expect_protocol = |what: &str, result: fieldcore::Result<Vec<u8>>, code: &str| match result
    {
        Err(Error::Protocol(message)) => {
            assert!(message.starts_with(code), "{what}: {message}");
            eprintln!("{what}: {message}");
        }
        other => panic!("{what} must be refused with {code}, got {other:?}"),
    };

    // A body over the message limit.
    expect_protocol(
        "a body over 16 MiB",
        send(&phone.config, vec![0u8; MAX_MESSAGE_BYTES + 1]),
        "too_large",
    );
    // One case's payload over its limit, in a body under the message limit: refused for
    // that case alone.
    let rejected = |what: &str, request: &fieldcore::SyncRequest, expected: RejectReason| {
        let reply = send(&phone.config, fieldcore::encode_message(request).unwrap())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let reply: SyncResponse = fieldcore::decode_message(&reply).unwrap();
        match &reply.acks[..] {
            [AckOutcome::Rejected { reason, detail }] => {
                assert_eq!(*reason, expected, "{what}: {detail}");
                eprintln!("{what}: {detail}");
            }
            other => panic!("{what} must be rejected, got {other:?}"),
        }
    };
    let mut big = valid.clone();
    big.pushes[0].payload = Payload::Changes(vec![ByteBuf::from(vec![7u8; MAX_CASE_BYTES + 1])]);
    rejected("a case payload over 4 MiB", &big, RejectReason::TooLarge);
    // Bodies that do not decode.
    expect_protocol(
        "an empty body",
        send(&phone.config, Vec::new()),
        "malformed",
    );
    expect_protocol(
        "version 1 then garbage",
        send(
            &phone.config,
            vec![1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        "malformed",
    );
    // Text is read as a version first: "h" is version 104, which HQ does not speak.
    expect_protocol(
        "text",
        send(&phone.config, b"hello HQ".to_vec()),
        "unsupported_version",
    );
    let encoded = fieldcore::encode_message(&valid).unwrap();
    expect_protocol(
        "a truncated request",
        send(&phone.config, encoded[..encoded.len() - 3].to_vec()),
        "malformed",
    );
    // A request that decodes but whose change chunk is damaged.
    let mut damaged = valid.clone();
    let Payload::Changes(chunks) = &mut damaged.pushes[0].payload else {
        panic!("a pending note is pushed as changes");
    };
    let mut chunk = chunks[0].to_vec();
    let last = chunk.len() - 1;
    chunk[last] ^= 0x55;
    chunks[0] = ByteBuf::from(chunk);
    rejected("a damaged change chunk", &damaged, RejectReason::Malformed);
    // The same case pushed twice in one request.
    let mut twice = valid.clone();
    twice.pushes.push(CasePush {
        case_id: case,
        payload: twice.pushes[0].payload.clone(),
    });
    expect_protocol(
        "a case pushed twice",
        send(&phone.config, fieldcore::encode_message(&twice).unwrap()),
        "malformed",
    );
    // A protocol version HQ does not speak.
    let mut future = valid.clone();
    future.version = 2;
    expect_protocol(
        "protocol version 2",
        send(&phone.config, fieldcore::encode_message(&future).unwrap()),
        "unsupported_version",
    );
    assert_eq!(
        hq_state(&hq),
        before,
        "nothing of the refused requests is applied"
    );

    // HQ goes on serving: the real sync pushes the note once.
    let report = phone.sync().unwrap();
    assert_eq!(report.progress.pushed_cases, 1);
    assert_eq!(hq.log_len().unwrap(), before.0 + 1);
    assert_eq!(phone.store.outbox_len().unwrap(), 0);
}

/// A case routed away from a center while a tablet there has unsent work on it: HQ refuses
/// that case's push, and only that one; the tablet's work on its other cases reaches HQ, the
/// refused work stays on the tablet, and it goes up once the case is routed back.
#[test]
fn a_case_routed_away_does_not_block_the_tablets_other_work() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::Technician, Some("north")).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut tablet = Device::enrolled(&hq, "li").unwrap();
    let moved = phone.register("R-1").unwrap();
    let kept = phone.register("R-2").unwrap();
    phone.sync().unwrap();
    hq.route(moved, "north").unwrap();
    hq.route(kept, "north").unwrap();
    tablet.sync().unwrap();
    // Offline at the center: work on both cases. Meanwhile HQ sends one case elsewhere.
    note(&mut tablet, moved, "bench test done");
    note(&mut tablet, kept, "parts ordered");
    hq.route(moved, "south").unwrap();
    let report = tablet.sync().unwrap();
    assert_eq!((report.progress.pushed_cases, report.refused), (1, 1));
    assert_eq!(
        tablet.store.case_sync_state(kept).unwrap(),
        CaseSyncState::Synced
    );
    assert_eq!(
        tablet.store.case_sync_state(moved).unwrap(),
        CaseSyncState::Refused
    );
    assert_eq!(
        tablet.store.case(moved).unwrap().notes.len(),
        1,
        "kept on the tablet"
    );
    phone.sync().unwrap();
    assert_eq!(phone.store.case(kept).unwrap().notes.len(), 1);
    assert_eq!(phone.store.case(moved).unwrap().notes.len(), 0);

    // Routed back: the bench test note reaches HQ after all.
    hq.route(moved, "north").unwrap();
    let report = tablet.sync().unwrap();
    assert_eq!((report.progress.pushed_cases, report.refused), (1, 0));
    phone.sync().unwrap();
    assert_eq!(phone.store.case(moved).unwrap().notes.len(), 1);
    assert_eq!(
        phone.store.case(moved).unwrap(),
        tablet.store.case(moved).unwrap()
    );
}
