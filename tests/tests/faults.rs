//! Faults on the way and at HQ: connections cut mid-request and mid-response by a proxy,
//! and HQ killed and restarted in the middle of a sync. After retries everything converges,
//! nothing is lost and nothing is duplicated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Instant;

use common::Plan;
use fieldcore::CaseId;
use fieldcore::Command;
use fieldcore::Error;
use fieldcore::testing::MONTH;
use fieldcore_e2e::proxy::{Faults, FaultyProxy};
use fieldcore_e2e::{Device, TestHq, sync_until_quiet};
use fieldhq::Role;

#[test]
fn cut_connections_are_retried_until_everything_converges() {
    let started = Instant::now();
    let hq = TestHq::start().unwrap();
    let proxy = FaultyProxy::start(
        hq.addr(),
        Faults {
            cut_request: 0.2,
            cut_response: 0.3,
        },
    )
    .unwrap();
    let plan = Plan {
        seed: 11,
        engineer_cases: 3,
        rounds: 24,
        commands_per_round: 6,
        max_attempts: 200,
    };
    // The scenario checks convergence, every entry kept, event counts equal to
    // registrations plus successful commands, empty outboxes and HQ's log without duplicates.
    let (_team, s) = common::run(&hq, &proxy.url(), plan);
    eprintln!(
        "through the proxy: {} connections, {} cut; {} syncs with {} retries; {} cases, \
         {} commands, {} entries, {} log rows; {:.2} s",
        proxy.connections(),
        proxy.cuts(),
        s.syncs,
        s.retries,
        s.cases,
        s.commands,
        s.entries,
        s.log_rows,
        started.elapsed().as_secs_f64()
    );
    assert!(
        proxy.cuts() > 0,
        "the proxy cut no connection: the test proved nothing"
    );
    assert!(s.retries > 0, "no sync had to retry");
}

/// A device with many pending cases, pushing a few per round.
fn busy_phone(hq: &TestHq, cases: usize) -> (Device, Vec<CaseId>) {
    hq.user("wang", Role::Engineer, None).unwrap();
    let mut phone = Device::enrolled(hq, "wang").unwrap();
    phone.config.max_push_bytes = 4 * 1024;
    phone.config.max_attempts = 3;
    let mut ids = Vec::new();
    for i in 0..cases {
        let id = phone.register(&format!("K-{i}")).unwrap();
        phone
            .store
            .execute(
                id,
                &Command::AddNote {
                    text: format!("first look at {i}"),
                },
            )
            .unwrap();
        ids.push(id);
    }
    (phone, ids)
}

/// After the faults: one more sync converges; HQ holds each case once, numbered without gaps,
/// each with all its changes once; a new HQ staff device receives the same cases.
fn check_after_restart(hq: &TestHq, phone: &mut Device, ids: &[CaseId]) {
    let report = phone.sync().expect("the sync after the restart succeeds");
    eprintln!(
        "  resumed sync: {} rounds, {} pushed, {} pulled",
        report.progress.rounds, report.progress.pushed_cases, report.progress.pulled_cases
    );
    assert_eq!(phone.store.outbox_len().unwrap(), 0);
    assert_eq!(phone.store.pending_sync_cases().unwrap(), 0);
    let cases = hq.cases().unwrap();
    assert_eq!(cases.len(), ids.len(), "HQ holds every case once");
    let numbers: BTreeSet<String> = cases.iter().map(|c| c.number.clone().unwrap()).collect();
    let expected: BTreeSet<String> = (1..=ids.len()).map(|n| format!("{MONTH}-{n:04}")).collect();
    assert_eq!(numbers, expected, "numbers unique and gap-free");
    let mut phone_changes = 0;
    for id in ids {
        let view = phone.store.case(*id).unwrap();
        assert_eq!(view.events.len(), 2, "registration and note, once each");
        assert_eq!(view.notes.len(), 1);
        assert!(view.number.is_some(), "the number reached the phone");
        phone_changes += phone.change_count(*id).unwrap();
    }
    assert_eq!(
        hq.log_len().unwrap() as usize,
        phone_changes,
        "HQ's log has each change once"
    );

    hq.user("zhou", Role::HqStaff, None).unwrap();
    let mut desk = Device::enrolled(hq, "zhou").unwrap();
    desk.sync().unwrap();
    sync_until_quiet(&mut [&mut *phone, &mut desk], 5).unwrap();
    for id in ids {
        assert_eq!(
            desk.store.case(*id).unwrap(),
            phone.store.case(*id).unwrap()
        );
    }
}

#[test]
fn hq_killed_from_the_progress_callback_then_restarted() {
    let started = Instant::now();
    let hq = TestHq::start().unwrap();
    let (mut phone, ids) = busy_phone(&hq, 60);
    let mut rounds_seen = 0;
    let result = phone.sync_with_progress(&mut |p| {
        rounds_seen = p.rounds;
        if p.rounds == 2 {
            hq.kill();
        }
    });
    // The third round cannot reach HQ: the sync gives up with a network error, keeping
    // what the first two rounds stored.
    match result {
        Err(Error::Network(_)) => {}
        other => panic!("expected a network error, got {other:?}"),
    }
    assert_eq!(rounds_seen, 2);
    let pending = phone.store.pending_sync_cases().unwrap();
    assert!(pending > 0 && pending < 60, "{pending} cases still pending");
    let before = hq.url();
    let url = hq.restart().unwrap();
    eprintln!(
        "killed after round 2 with {pending} cases pending; HQ was at {before}, back at {url}"
    );
    phone.set_url(&url);
    check_after_restart(&hq, &mut phone, &ids);
    eprintln!("{:.2} s", started.elapsed().as_secs_f64());
}

#[test]
fn hq_killed_by_another_thread_during_the_next_request_then_restarted() {
    let started = Instant::now();
    let hq = TestHq::start().unwrap();
    let (mut phone, ids) = busy_phone(&hq, 60);
    let (tell, told) = mpsc::channel::<()>();
    let result = std::thread::scope(|scope| {
        let hq = &hq;
        // The killer strikes as soon as round 2 is stored, while round 3 is on its way.
        let killer = scope.spawn(move || {
            if told.recv().is_ok() {
                hq.kill();
            }
        });
        let result = phone.sync_with_progress(&mut |p| {
            if p.rounds == 2 {
                let _ = tell.send(());
            }
        });
        drop(tell);
        killer.join().unwrap();
        result
    });
    let pending = phone.store.pending_sync_cases().unwrap();
    eprintln!(
        "sync during the kill: {}; {pending} cases pending",
        match &result {
            Ok(r) => format!("finished, {} rounds", r.progress.rounds),
            Err(e) => format!("failed: {e}"),
        }
    );
    assert!(matches!(result, Err(Error::Network(_))), "{result:?}");
    let url = hq.restart().unwrap();
    phone.set_url(&url);
    check_after_restart(&hq, &mut phone, &ids);
    eprintln!("{:.2} s", started.elapsed().as_secs_f64());
}
