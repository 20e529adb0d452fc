//! New policies from HQ re-date every case from its projection row (no document loaded), rows
//! an older version wrote are rebuilt once, and cached case views follow the new policies.
// Helpers outside #[test] functions unwrap too: a fixture that fails is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::Datelike;
use fieldcore::testing::{registration_for, step_clock};
use fieldcore::{
    CalendarYear, CloseRule, Command, DeadlinePolicy, Holiday, Milestone, Policies, Store,
    WorkingCalendar, projection_row_of,
};

fn policies(reply_hours: u32, close_days: u32) -> Policies {
    Policies {
        deadlines: DeadlinePolicy {
            reply_hours,
            remedy_hours: 48,
            report_days: 3,
            close: CloseRule::CalendarDays {
                domestic: close_days,
                foreign: close_days + 4,
            },
            ..DeadlinePolicy::default()
        },
        ..Policies::default()
    }
}

/// Every case's stored row is what its view under the store's policies says.
fn assert_rows_match_views(store: &mut Store, ids: &[fieldcore::CaseId]) {
    for &id in ids {
        let view = store.case(id).unwrap();
        let stored = store.projection_row(id).unwrap().unwrap();
        assert_eq!(stored, projection_row_of(&view), "case {id}");
    }
}

#[test]
fn new_policies_re_date_every_case_and_its_cached_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    let mut ids = Vec::new();
    for serial in ["M-1", "M-2", "M-3"] {
        ids.push(store.register(&registration_for(serial)).unwrap().id);
    }
    store
        .execute(ids[1], &Command::Acknowledge { note: None })
        .unwrap();
    // Load every case into the cache, with its view under the default policies.
    for &id in &ids {
        store.case(id).unwrap();
    }
    let before = store.case(ids[0]).unwrap().next_due.unwrap();
    assert_eq!(before.milestone, Milestone::Reply);

    store.set_policies(policies(1, 5)).unwrap();
    let after = store.case(ids[0]).unwrap().next_due.unwrap();
    assert_eq!(after.milestone, Milestone::Reply);
    assert_eq!(
        (before.due_at - after.due_at).num_hours(),
        23,
        "the cached view must follow the new 1-hour reply deadline"
    );
    assert_rows_match_views(&mut store, &ids);

    // The acknowledged case's next deadline is no longer the reply.
    let acknowledged = store.projection_row(ids[1]).unwrap().unwrap();
    assert_ne!(acknowledged.next_due_kind.as_deref(), Some("reply"));
}

/// A published calendar re-dates working-day deadlines like any other policy change.
#[test]
fn a_new_calendar_re_dates_working_day_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "wang").unwrap();
    store.set_clock(step_clock());
    let id = store.register(&registration_for("C-1")).unwrap().id;
    let mut p = policies(10_000, 0);
    p.deadlines.close = CloseRule::WorkingDays { days: 5 };
    // Only the closing rule counts working days here.
    p.deadlines.working_days = None;
    p.deadlines.remedy_hours = 10_000;
    p.deadlines.report_days = 1_000;
    store.set_policies(p.clone()).unwrap();
    let view = store.case(id).unwrap();
    let before = view.next_due.unwrap();
    assert_eq!(before.milestone, Milestone::Close);
    let start = view.round_started_at.date_naive();

    // Ten days off right after the start, in a calendar covering the start's year only.
    let first = start.succ_opt().unwrap();
    let last = first + chrono::Days::new(9);
    let mut calendar = WorkingCalendar {
        years: Default::default(),
    };
    calendar.years.insert(
        start.year(),
        CalendarYear {
            source: "test".into(),
            holidays: vec![Holiday {
                name: "test".into(),
                first,
                last,
            }],
            make_up_working_days: Vec::new(),
        },
    );
    p.deadlines.calendar = calendar.clone();
    store.set_policies(p).unwrap();
    let after = store.case(id).unwrap().next_due.unwrap();
    assert_eq!(after.milestone, Milestone::Close);
    let want = calendar.nth_working_day_after(start, 5).unwrap().date;
    assert!(want > last);
    assert_eq!(after.due_at.date_naive(), want);
    assert!(after.due_at > before.due_at);
    assert_rows_match_views(&mut store, &[id]);
}

#[test]
fn rows_written_before_deadline_inputs_are_rebuilt_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut ids = Vec::new();
    {
        let mut store = Store::open(&path, "wang").unwrap();
        store.set_clock(step_clock());
        for serial in ["P-1", "P-2"] {
            ids.push(store.register(&registration_for(serial)).unwrap().id);
        }
    }
    // What an older version left: rows without their deadline inputs.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE cases SET deadline_inputs = NULL", [])
        .unwrap();
    drop(conn);

    let mut store = Store::open(&path, "wang").unwrap();
    store.set_policies(policies(2, 9)).unwrap();
    for &id in &ids {
        let row = store.projection_row(id).unwrap().unwrap();
        assert!(
            row.deadline_inputs.is_some(),
            "case {id} keeps its inputs now"
        );
    }
    assert_rows_match_views(&mut store, &ids);
}
