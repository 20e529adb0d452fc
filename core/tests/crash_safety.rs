#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Crash safety under SIGKILL: a writer process is killed at random moments, mid-command or
//! mid-open, and every command it reported as done must be in the database afterwards.
//!
//! The test binary re-executes itself as the writer: with `FIELDCORE_CRASH_CHILD=<db path>` set,
//! the `crash_child` test runs the writer loop instead of returning at once. The writer prints
//! `ok <case_id> <kind> <entry_id or ->` (flushed) after each command that returned `Ok`, so a
//! printed line means "the store said this is durable". `FIELDCORE_CRASH_KILLS` sets the number
//! of kills on the shared database (default 200).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::Instant;

use chrono::Duration;
use fieldcore::{
    CaseId, Channel, CustomerRequest, Market, PartInput, ProofOfPurchase, Registration, Status,
};
use fieldcore::{Command, Error, ListQuery, Store};
use rand::Rng;

const CHILD_ENV: &str = "FIELDCORE_CRASH_CHILD";
const KILLS_ENV: &str = "FIELDCORE_CRASH_KILLS";
const DEFAULT_KILLS: usize = 200;
/// The writer never gets near this; it only bounds a writer whose parent vanished without
/// closing the pipe.
const CHILD_MAX_COMMANDS: u64 = 1_000_000;
const NOTE_PREFIX: &str = "crash note";
const PART_PREFIX: &str = "CP-";

// ---------------------------------------------------------------------------------------------
// The writer (child process)
// ---------------------------------------------------------------------------------------------

/// The writer's entry point; an ordinary test run finds the variable unset and returns.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    child_main(Path::new(&path));
}

fn child_main(path: &Path) -> ! {
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    // libtest has already written "test crash_child ... " without a newline: start a fresh line.
    say(&mut out, "\nopening");
    let mut store = Store::open(path, "crash-writer")
        .unwrap_or_else(|e| panic!("writer {pid}: open failed: {e}"));
    let mut cases = existing_cases(&store);
    say(&mut out, "ready");

    let mut rng = rand::rng();
    for counter in 0..CHILD_MAX_COMMANDS {
        if cases.is_empty() || rng.random_ratio(1, 8) {
            let view = store
                .register(&registration(format!("SN-{pid}-{counter}")))
                .unwrap_or_else(|e| panic!("writer {pid}: register failed: {e}"));
            cases.push(view.id);
            say(&mut out, &format!("ok {} register -", view.id));
            continue;
        }
        // The oldest case takes a large share, so it passes the compaction threshold (a full
        // snapshot rewrite plus deletion of its changes) again and again under the kills.
        let case_id = if rng.random_bool(0.4) {
            cases[0]
        } else {
            cases[rng.random_range(0..cases.len())]
        };
        let (kind, command) = match rng.random_range(0..10) {
            0..=4 => (
                "note",
                Command::AddNote {
                    text: format!("{NOTE_PREFIX} {pid}-{counter}"),
                },
            ),
            5..=7 => (
                "part",
                Command::RecordPart(PartInput {
                    part_number: format!("{PART_PREFIX}{pid}-{counter}"),
                    specification: "6205-2RS bearing".into(),
                    quantity: 1 + (counter % 3) as u32,
                    new_serial: None,
                    old_part_kept: true,
                    old_part_serial: None,
                    off_catalog_reason: None,
                }),
            ),
            _ => ("ack", Command::Acknowledge { note: None }),
        };
        match store.execute(case_id, &command) {
            Ok((_, applied)) => {
                let entry = applied.entry_id.as_deref().unwrap_or("-");
                say(&mut out, &format!("ok {case_id} {kind} {entry}"));
            }
            Err(Error::InvalidTransition { .. }) if kind == "ack" => {}
            Err(e) => panic!("writer {pid}: {kind} on {case_id} failed: {e}"),
        }
    }
    std::process::exit(0)
}

/// Writes one line and flushes it; a closed pipe means the parent is gone, so stop.
fn say(out: &mut impl Write, line: &str) {
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Every case in the store, oldest first (case ids are UUIDv7).
fn existing_cases(store: &Store) -> Vec<CaseId> {
    let mut ids = Vec::new();
    let mut query = ListQuery {
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&query).expect("list cases");
        ids.extend(
            page.rows
                .iter()
                .map(|r| r.case.case_id.parse::<CaseId>().expect("stored case id")),
        );
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    ids.sort();
    ids
}

fn registration(serial: String) -> Registration {
    let received_at = chrono::Local::now().fixed_offset() - Duration::hours(2);
    Registration {
        customer_name: "Crash Test Pumps Ltd".into(),
        customer_phone: "+86 571 8888 0000".into(),
        customer_address: "1 Test Road, Hangzhou".into(),
        region: "Zhejiang".into(),
        home_region: true,
        market: Market::Domestic,
        product_model: "YE3-160M".into(),
        product_category: "motor".into(),
        serial_number: serial,
        manufacture_date: None,
        purchase_date: Some(received_at.date_naive() - Duration::days(30)),
        proof_of_purchase: ProofOfPurchase::Invoice("INV-CRASH".into()),
        fault_description: "bearing noise at full load".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at,
        first_responder: "crash-writer".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

// ---------------------------------------------------------------------------------------------
// The killer (parent process)
// ---------------------------------------------------------------------------------------------

/// When the parent kills the writer.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Right after the writer said it is about to open the store: lands in open or migrate.
    Opening,
    /// Right after the store is open, before or at the start of the first command.
    Ready,
    /// After this many acknowledged commands: lands mid-command (0 is right after spawn).
    Acks(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Register,
    Note(String),
    Part(String),
    Ack,
}

/// One command the writer reported as done.
#[derive(Debug, Clone)]
struct Ack {
    case_id: CaseId,
    kind: Kind,
    line: String,
}

/// Parses a complete `ok ...` line; other lines of the harness are `None`. A line that starts
/// like an acknowledgement but does not parse fails the test: it would hide a lost command.
fn parse_ack(line: &str) -> Option<Ack> {
    let rest = line.strip_prefix("ok ")?;
    let fields: Vec<&str> = rest.split(' ').collect();
    let case_id = fields.first()?.parse::<CaseId>().ok()?;
    let kind = match fields.as_slice() {
        [_, "register", "-"] => Kind::Register,
        [_, "note", id] => Kind::Note((*id).to_owned()),
        [_, "part", id] => Kind::Part((*id).to_owned()),
        [_, "ack", "-"] => Kind::Ack,
        _ => panic!("malformed acknowledgement line {line:?}"),
    };
    Some(Ack {
        case_id,
        kind,
        line: line.to_owned(),
    })
}

/// What one writer run produced.
struct Run {
    acks: Vec<Ack>,
    /// Acknowledgements read after the kill: printed before the signal landed.
    drained: usize,
}

fn spawn_writer(db: &Path) -> Child {
    Process::new(std::env::current_exe().expect("current exe"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn writer")
}

/// Runs a writer on `db` and SIGKILLs it at `at`; returns every command it acknowledged,
/// including lines it flushed before the signal landed but the parent had not read yet.
fn run_and_kill(db: &Path, at: KillAt) -> Run {
    let mut child = spawn_writer(db);
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut acks = Vec::new();
    let mut line = String::new();
    loop {
        let due = match at {
            KillAt::Acks(n) => acks.len() >= n,
            KillAt::Opening | KillAt::Ready => false,
        };
        if due {
            break;
        }
        line.clear();
        let n = reader.read_line(&mut line).expect("read writer output");
        if n == 0 || !line.ends_with('\n') {
            let status = child.wait().expect("wait writer");
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            panic!(
                "writer ended before it was killed ({status}); last output {line:?}; stderr:\n{err}"
            );
        }
        let text = line.trim_end_matches('\n');
        if let Some(ack) = parse_ack(text) {
            acks.push(ack);
        } else if matches!(at, KillAt::Opening) && text == "opening"
            || matches!(at, KillAt::Ready) && text == "ready"
        {
            break;
        }
    }
    // SIGKILL on Unix: the writer gets no chance to finish the command it is in.
    child.kill().expect("kill writer");
    let status = child.wait().expect("wait writer");
    assert!(!status.success(), "writer exited on its own: {status}");

    // Lines already in the pipe were acknowledged before the kill; only complete lines count.
    let before = acks.len();
    loop {
        line.clear();
        if reader.read_line(&mut line).expect("drain writer output") == 0 {
            break;
        }
        if let Some(text) = line.strip_suffix('\n')
            && let Some(ack) = parse_ack(text)
        {
            acks.push(ack);
        }
    }
    Run {
        drained: acks.len() - before,
        acks,
    }
}

/// Checks that every acknowledged command is in the store: the case, its projection row, the
/// note or part line by entry id, the acknowledgement's status, one audit event per command.
fn verify(store: &mut Store, acks: &[Ack]) {
    let mut by_case: BTreeMap<CaseId, Vec<&Ack>> = BTreeMap::new();
    for ack in acks {
        by_case.entry(ack.case_id).or_default().push(ack);
    }
    for (case_id, acks) in by_case {
        let view = store
            .case(case_id)
            .unwrap_or_else(|e| panic!("acknowledged case {case_id} unreadable: {e}"));
        assert!(
            store.projection_row(case_id).expect("projection").is_some(),
            "case {case_id} missing from the projection"
        );
        let commands = acks.iter().filter(|a| a.kind != Kind::Register).count();
        assert!(
            view.events.len() > commands,
            "case {case_id}: {} events for {commands} acknowledged commands plus registration",
            view.events.len()
        );
        for ack in acks {
            match &ack.kind {
                Kind::Register => {}
                Kind::Note(id) => {
                    let note = view.notes.iter().find(|n| &n.id == id);
                    assert!(
                        note.is_some_and(|n| n.body.text.starts_with(NOTE_PREFIX)),
                        "lost acknowledged note: {}",
                        ack.line
                    );
                }
                Kind::Part(id) => {
                    let part = view.parts.iter().find(|p| &p.id == id);
                    assert!(
                        part.is_some_and(|p| p.part.part_number.starts_with(PART_PREFIX)),
                        "lost acknowledged part line: {}",
                        ack.line
                    );
                }
                Kind::Ack => assert_ne!(
                    view.status(),
                    Status::Registered,
                    "lost acknowledgement: {}",
                    ack.line
                ),
            }
        }
    }
}

fn open_checked(db: &Path) -> Store {
    let store = Store::open(db, "crash-checker")
        .unwrap_or_else(|e| panic!("store does not open after a kill: {e}"));
    assert_eq!(store.integrity_check().expect("integrity_check"), "ok");
    store
}

fn projection_count(store: &Store) -> usize {
    let mut count = 0;
    let mut query = ListQuery {
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&query).expect("list");
        count += page.rows.len();
        match page.next {
            Some(next) => query.after = Some(next),
            None => return count,
        }
    }
}

/// After a kill during a first open, the schema is either absent or complete: the migration
/// is one transaction.
fn assert_schema_all_or_nothing(db: &Path) {
    if !db.exists() {
        return;
    }
    let conn = rusqlite::Connection::open(db).expect("open with rusqlite");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .expect("count tables");
    assert!(
        (version == 0 && tables == 0)
            || (version == fieldcore::STORE_SCHEMA_VERSION && tables >= 6),
        "half-migrated database: user_version {version}, {tables} tables"
    );
}

#[test]
fn acknowledged_commands_survive_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let kills: usize = std::env::var(KILLS_ENV)
        .ok()
        .map(|v| v.parse().expect("FIELDCORE_CRASH_KILLS must be a number"))
        .unwrap_or(DEFAULT_KILLS);
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    let mut rng = rand::rng();
    let mut all: Vec<Ack> = Vec::new();
    let (mut at_opening, mut at_ready, mut mid_command, mut drained) = (0, 0, 0, 0);

    for _ in 0..kills {
        let at = match rng.random_range(0..8) {
            0 => KillAt::Opening,
            1 => KillAt::Ready,
            _ => KillAt::Acks(rng.random_range(0..25)),
        };
        match at {
            KillAt::Opening => at_opening += 1,
            KillAt::Ready => at_ready += 1,
            KillAt::Acks(_) => mid_command += 1,
        }
        let run = run_and_kill(&db, at);
        drained += run.drained;
        let mut store = open_checked(&db);
        verify(&mut store, &run.acks);
        all.extend(run.acks);
        let outbox = store.outbox_len().expect("outbox_len");
        assert!(
            outbox >= all.len() as i64,
            "outbox has {outbox} entries for {} acknowledged commands",
            all.len()
        );
    }

    // Kills during the very first open of a new database, which runs the migration.
    let first_opens = (kills / 10).max(1);
    let mut first_open_acks = 0;
    for i in 0..first_opens {
        let fresh = dir.path().join(format!("fresh-{i}.db"));
        let run = run_and_kill(&fresh, KillAt::Opening);
        assert_schema_all_or_nothing(&fresh);
        let mut store = open_checked(&fresh);
        verify(&mut store, &run.acks);
        first_open_acks += run.acks.len();
    }

    // Everything acknowledged over the whole run, checked once more against the final state.
    let mut store = open_checked(&db);
    verify(&mut store, &all);
    let registered = all.iter().filter(|a| a.kind == Kind::Register).count();
    let cases = store.case_count().expect("case_count");
    assert!(
        cases >= registered as i64,
        "{cases} cases, {registered} registered"
    );
    assert_eq!(
        projection_count(&store) as i64,
        cases,
        "projection rows and case documents disagree"
    );

    // Commands whose transaction committed but whose line was never printed: the kill landed
    // between commit and acknowledgement (the rest landed before or inside the transaction).
    let unacknowledged = store.outbox_len().expect("outbox_len") - all.len() as i64;

    let elapsed = started.elapsed();
    eprintln!(
        "crash_safety: {} kills ({mid_command} mid-command, {at_ready} at ready, {at_opening} \
         while opening) + {first_opens} during first open; {} acknowledged commands \
         ({registered} registrations, {drained} read after the kill, {first_open_acks} on fresh \
         databases); {unacknowledged} committed but not acknowledged; {cases} cases; {:.1} s",
        kills,
        all.len(),
        elapsed.as_secs_f64()
    );
    // More acknowledged commands than kills (over 200 by default), so it cannot pass vacuously.
    assert!(
        all.len() > kills,
        "only {} acknowledged commands for {kills} kills: the test proves too little",
        all.len()
    );
}
