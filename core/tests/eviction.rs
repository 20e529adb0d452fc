//! Device eviction (ADR 0028) against a small HQ simulated in the test: which cases leave the
//! phone and which stay, what an evicted case answers, the photo files that go and the shared
//! ones that stay, and the two ways back: an explicit request, and news of the case at HQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use automerge::{ActorId, Automerge, Change};
use chrono::Duration;
use fieldcore::testing::{StepClock, close_case, registration_for};
use fieldcore::{
    AckOutcome, ByteBuf, CaseId, CasePull, CaseStatus, CaseSyncState, Command, Error, Invalid,
    ListQuery, PROTOCOL_VERSION, Payload, PhotoKind, Reader, RoundOutcome, Status, Store,
    SyncResponse, Timestamp,
};

fn hq_actor() -> ActorId {
    ActorId::from(vec![0x48; 16])
}

/// What HQ does for these tests: takes every push (or answers `Later` for the cases told to),
/// numbers each case it sees for the first time, sends numbers and others' changes back as
/// `whole = false` pulls, and every `want_full` case it holds whole.
#[derive(Default)]
struct Hq {
    docs: HashMap<CaseId, Automerge>,
    numbered: u32,
    /// Change chunks for the phone that it did not make itself, per case.
    news: Vec<(CaseId, Vec<Vec<u8>>)>,
    later: HashSet<CaseId>,
    cursor: u64,
}

impl Hq {
    fn round(&mut self, store: &mut Store) -> RoundOutcome {
        let (request, plan) = store.prepare_sync(1 << 20, 100).unwrap();
        let mut acks = Vec::new();
        for push in &request.pushes {
            if self.later.contains(&push.case_id) {
                acks.push(AckOutcome::Later);
                continue;
            }
            let doc = self
                .docs
                .entry(push.case_id)
                .or_insert_with(|| Automerge::new().with_actor(hq_actor()));
            match &push.payload {
                Payload::Changes(chunks) => {
                    for chunk in chunks {
                        doc.apply_changes([Change::from_bytes(chunk.to_vec()).unwrap()])
                            .unwrap();
                    }
                }
                Payload::Document(bytes) => {
                    doc.merge(&mut Automerge::load(bytes).unwrap()).unwrap();
                }
            }
            acks.push(AckOutcome::Applied);
            if fieldcore::number_of(doc).is_none() {
                self.numbered += 1;
                let number = format!("2611-{:04}", self.numbered);
                let before = doc.get_heads();
                doc.transact_with(
                    |_| fieldcore::commit_options("number", 0),
                    |tx| fieldcore::put_number(tx, &number),
                )
                .unwrap();
                let chunks = raw(&doc.get_changes(&before));
                self.news.push((push.case_id, chunks));
            }
        }
        let mut pulls = Vec::new();
        for id in &request.want_full {
            if let Some(doc) = self.docs.get(id) {
                pulls.push(CasePull {
                    case_id: *id,
                    changes: raw(&doc.get_changes(&[]))
                        .into_iter()
                        .map(ByteBuf::from)
                        .collect(),
                    whole: true,
                    number: fieldcore::number_of(doc),
                });
            }
        }
        for (id, chunks) in self.news.drain(..) {
            if !request.want_full.contains(&id) {
                pulls.push(CasePull {
                    case_id: id,
                    changes: chunks.into_iter().map(ByteBuf::from).collect(),
                    whole: false,
                    number: fieldcore::number_of(&self.docs[&id]),
                });
            }
        }
        self.cursor += 1;
        store
            .apply_sync(
                &plan,
                &SyncResponse {
                    version: PROTOCOL_VERSION,
                    cursor: self.cursor,
                    more: false,
                    acks,
                    pulls,
                    reference: None,
                },
            )
            .unwrap()
    }

    /// Another device of the team runs `command` on a case HQ holds; the phone hears of it
    /// as changes (`whole = false`) at its next sync.
    fn others_change(&mut self, dir: &Path, case_id: CaseId, command: Command) {
        let mut tablet = Store::open(dir.join("tablet.db"), "zhao").unwrap();
        tablet.set_clock(StepClock::new().boxed());
        let doc = self.docs.get_mut(&case_id).unwrap();
        let before = doc.get_heads();
        tablet.merge_document(&doc.save()).unwrap();
        tablet.execute(case_id, &command).unwrap();
        let mut theirs = Automerge::load(&tablet.export_document(case_id).unwrap()).unwrap();
        doc.merge(&mut theirs).unwrap();
        let chunks = raw(&doc.get_changes(&before));
        assert!(!chunks.is_empty());
        self.news.push((case_id, chunks));
    }
}

fn raw(changes: &[Change]) -> Vec<Vec<u8>> {
    changes.iter().map(|c| c.raw_bytes().to_vec()).collect()
}

/// A camera photo, larger than a thumbnail (so the two are different files): `seed` makes a
/// different one.
fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(480, 360, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(seed),
            (y as u8).wrapping_mul(3),
            seed,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

struct Phone {
    store: Store,
    clock: StepClock,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Phone {
    fn new() -> Phone {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("phone.db");
        let mut store = Store::open(&db, "wang").unwrap();
        let clock = StepClock::new();
        store.set_clock(clock.boxed());
        Phone {
            store,
            clock,
            db,
            _dir: dir,
        }
    }

    fn register(&mut self, serial: &str) -> CaseId {
        self.store.register(&registration_for(serial)).unwrap().id
    }

    fn photo(&mut self, case_id: CaseId, seed: u8) -> (String, String) {
        let (view, hash) = self
            .store
            .import_photo(case_id, &jpeg(seed), PhotoKind::Defect, "")
            .unwrap();
        let thumbnail = view
            .photos
            .iter()
            .find(|p| p.hash == hash)
            .unwrap()
            .record
            .thumbnail_hash
            .clone();
        (hash, thumbnail)
    }

    fn has_file(&self, hash: &str) -> bool {
        self.store.blob_path(hash).unwrap().is_file()
    }

    fn listed(&self, query: ListQuery) -> Vec<String> {
        self.store
            .list(&query)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.case.case_id)
            .collect()
    }

    fn now(&self) -> Timestamp {
        self.store.now()
    }
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The cases an eviction at `at` with the 90-day policy takes.
fn evict_at(store: &mut Store, at: Timestamp) -> Vec<CaseId> {
    store.evict_closed_cases(at, days(90)).unwrap().cases
}

fn evicted_ids(store: &Store) -> Vec<CaseId> {
    store
        .evicted_cases()
        .unwrap()
        .into_iter()
        .map(|e| e.case_id)
        .collect()
}

#[test]
fn only_old_closed_synced_cases_with_nothing_pending_leave_the_device() {
    let mut hq = Hq::default();
    let mut phone = Phone::new();
    let open = phone.register("OPEN-1");
    let old = phone.register("OLD-1");
    let unsent = phone.register("UNSENT-1");
    let photo_waiting = phone.register("PHOTO-1");
    let shared_photo = phone.register("SHARED-1");
    // The same photo on an open case and on an old closed one: one file, two references.
    let shared = phone.photo(open, 7);
    assert_eq!(phone.photo(shared_photo, 7), shared);
    let own = phone.photo(shared_photo, 8);
    let waiting = phone.photo(photo_waiting, 9);
    for id in [old, photo_waiting, shared_photo] {
        close_case(&mut phone.store, id).unwrap();
    }
    hq.round(&mut phone.store);
    hq.round(&mut phone.store);
    // HQ got every photo but one; the driver marks them after the uploads.
    for hash in [&shared.0, &shared.1, &own.0, &own.1] {
        phone.store.mark_uploaded(hash).unwrap();
    }
    // Closed, and the close not acknowledged by HQ: HQ put it off.
    close_case(&mut phone.store, unsent).unwrap();
    hq.later.insert(unsent);
    hq.round(&mut phone.store);
    assert!(phone.store.outbox_len().unwrap() > 0);

    // A hundred days on, one more case closes and syncs: too young to go.
    phone.clock.advance(days(100));
    let young = phone.register("YOUNG-1");
    close_case(&mut phone.store, young).unwrap();
    hq.round(&mut phone.store);
    hq.round(&mut phone.store);
    for id in [old, young, shared_photo, photo_waiting] {
        assert!(
            phone.store.case(id).unwrap().number.is_some(),
            "{id} numbered"
        );
        assert_eq!(
            phone.store.case_sync_state(id).unwrap(),
            CaseSyncState::Synced
        );
    }
    let now = phone.now() + days(1);
    let cases_before = phone.store.case_count().unwrap();
    let old_view = phone.store.case(old).unwrap();
    let old_number = old_view.number.clone().unwrap();

    // Bad input changes nothing.
    let err = phone.store.evict_closed_cases(now, days(-1)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Validation {
                field: "max_age",
                reason: Invalid::Negative
            }
        ),
        "{err:?}"
    );
    let err = phone
        .store
        .evict_closed_cases(now, days(365 * 1000))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Validation {
                field: "max_age",
                reason: Invalid::AtMost { .. }
            }
        ),
        "{err:?}"
    );
    assert_eq!(phone.store.case_count().unwrap(), cases_before);
    assert!(phone.store.evicted_cases().unwrap().is_empty());

    let eviction = phone.store.evict_closed_cases(now, days(90)).unwrap();
    assert_eq!(
        eviction.cases,
        vec![old, shared_photo],
        "oldest closing first"
    );
    // The shared photo stays with the open case; the evicted case's own photo and thumbnail go.
    assert_eq!(eviction.photo_files, 2);
    // Two documents and two photo files: more than one photo's bytes.
    let one_photo = std::fs::metadata(phone.store.blob_path(&shared.0).unwrap())
        .unwrap()
        .len();
    assert!(eviction.bytes_freed > one_photo, "{eviction:?}");
    assert!(phone.has_file(&shared.0) && phone.has_file(&shared.1));
    assert!(!phone.has_file(&own.0) && !phone.has_file(&own.1));
    assert!(
        phone.has_file(&waiting.0),
        "a photo HQ lacks is never removed"
    );
    assert_eq!(phone.store.case_count().unwrap(), cases_before - 2);

    // Kept: the open case, the unsent close, the case with a photo to upload, the young case.
    for id in [open, unsent, photo_waiting, young] {
        phone.store.case(id).unwrap();
    }
    // The evicted ones: gone from lists, search and counts; opening one says fetch it.
    let all = phone.listed(ListQuery::default());
    assert_eq!(all.len(), 4);
    assert!(!all.contains(&old.to_string()));
    assert!(
        phone
            .listed(ListQuery {
                text: Some("OLD-1".into()),
                ..Default::default()
            })
            .is_empty()
    );
    let counts = phone.store.counts().unwrap();
    assert_eq!(counts.total, 4);
    assert!(matches!(phone.store.case(old), Err(Error::Evicted(id)) if id == old));
    assert!(matches!(
        phone.store.execute(
            old,
            &Command::Reopen {
                reason: "again".into()
            }
        ),
        Err(Error::Evicted(_))
    ));
    assert!(matches!(
        phone.store.case_sync_state(old),
        Err(Error::Evicted(_))
    ));
    let mut reader = Reader::open(&phone.db).unwrap();
    assert!(matches!(reader.case(old), Err(Error::Evicted(_))));
    // The number on the paperwork (or the id) still finds it.
    assert_eq!(phone.store.find(&old_number).unwrap(), old);
    assert_eq!(phone.store.find(&old.to_string()).unwrap(), old);
    let evicted = phone.store.evicted_cases().unwrap();
    assert_eq!(evicted.len(), 2);
    let listed = evicted.iter().find(|e| e.case_id == old).unwrap();
    assert_eq!(listed.number.as_deref(), Some(old_number.as_str()));
    assert_eq!(listed.closed_at, old_view.updated_at);
    assert_eq!(listed.evicted_at, now);
    assert!(!listed.requested);
    // Nothing of them is asked for until someone wants them.
    let (request, _) = phone.store.prepare_sync(1 << 20, 100).unwrap();
    assert!(request.want_full.is_empty());

    // Evicting again finds nothing more; later, the young case goes too.
    assert_eq!(evict_at(&mut phone.store, now), Vec::<CaseId>::new());
    let later = phone
        .store
        .evict_closed_cases(now + days(90), days(90))
        .unwrap();
    assert_eq!(later.cases, vec![young]);
    assert_eq!(later.photo_files, 0);
    assert_eq!(phone.store.case_count().unwrap(), cases_before - 3);
}

#[test]
fn a_device_that_never_synced_or_a_case_not_yet_numbered_keeps_everything() {
    let mut phone = Phone::new();
    let id = phone.register("LOCAL-1");
    close_case(&mut phone.store, id).unwrap();
    let far = phone.now() + days(1000);
    assert!(evict_at(&mut phone.store, far).is_empty());

    // HQ acknowledged the work but its number has not come back yet: not fully synced.
    let (_, plan) = phone.store.prepare_sync(1 << 20, 100).unwrap();
    phone
        .store
        .apply_sync(
            &plan,
            &SyncResponse {
                version: PROTOCOL_VERSION,
                cursor: 1,
                more: false,
                acks: vec![AckOutcome::Applied],
                pulls: vec![],
                reference: None,
            },
        )
        .unwrap();
    assert_eq!(phone.store.outbox_len().unwrap(), 0);
    assert!(evict_at(&mut phone.store, far).is_empty());
    phone.store.case(id).unwrap();
}

#[test]
fn a_requested_case_comes_back_whole_and_news_from_hq_brings_one_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut hq = Hq::default();
    let mut phone = Phone::new();
    let asked = phone.register("ASKED-1");
    let changed = phone.register("CHANGED-1");
    let (photo, _) = phone.photo(asked, 3);
    for id in [asked, changed] {
        close_case(&mut phone.store, id).unwrap();
    }
    hq.round(&mut phone.store);
    hq.round(&mut phone.store);
    for hash in phone.store.pending_uploads().unwrap() {
        phone.store.mark_uploaded(&hash).unwrap();
    }
    let before = phone.store.case(asked).unwrap();
    let now = phone.now() + days(91);
    let eviction = phone.store.evict_closed_cases(now, days(90)).unwrap();
    assert_eq!(eviction.cases, vec![asked, changed]);
    assert!(!phone.has_file(&photo));

    // Unknown ids are not requests; a case on the device needs none.
    let stranger = uuid::Uuid::now_v7();
    assert!(matches!(
        phone.store.request_case(stranger),
        Err(Error::CaseNotFound(id)) if id == stranger
    ));

    // The engineer opens the old case: the app asks for it, the next sync fetches it.
    phone.store.request_case(asked).unwrap();
    phone.store.request_case(asked).unwrap();
    assert!(
        phone.store.evicted_cases().unwrap()[..]
            .iter()
            .any(|e| e.case_id == asked && e.requested)
    );
    let (request, _) = phone.store.prepare_sync(1 << 20, 100).unwrap();
    assert_eq!(request.want_full, vec![asked]);
    let round = hq.round(&mut phone.store);
    assert_eq!(round.pulled, 1);
    let back = phone.store.case(asked).unwrap();
    assert_eq!(back.status(), CaseStatus::Known(Status::Closed));
    assert_eq!(back.number, before.number);
    assert_eq!(back.events.len(), before.events.len());
    assert_eq!(
        back.photos.len(),
        1,
        "the photo's description, its file on demand"
    );
    assert_eq!(evicted_ids(&phone.store), vec![changed]);
    assert_eq!(
        phone.store.case_sync_state(asked).unwrap(),
        CaseSyncState::Synced
    );
    assert!(
        phone
            .listed(ListQuery::default())
            .contains(&asked.to_string())
    );
    phone.store.request_case(asked).unwrap();
    let (request, _) = phone.store.prepare_sync(1 << 20, 100).unwrap();
    assert!(request.want_full.is_empty(), "a held case is not asked for");

    // Someone reopens the other one at HQ: the phone cannot apply changes to a case it no
    // longer holds, keeps nothing half-done, and asks for the case whole in the next round.
    hq.others_change(
        dir.path(),
        changed,
        Command::Reopen {
            reason: "the fault came back".into(),
        },
    );
    let round = hq.round(&mut phone.store);
    assert_eq!((round.pulled, round.repairs), (0, 1));
    assert!(matches!(phone.store.case(changed), Err(Error::Evicted(_))));
    let (request, _) = phone.store.prepare_sync(1 << 20, 100).unwrap();
    assert_eq!(request.want_full, vec![changed]);
    let round = hq.round(&mut phone.store);
    assert_eq!(round.pulled, 1);
    let reopened = phone.store.case(changed).unwrap();
    assert_eq!(reopened.status(), CaseStatus::Known(Status::Reopened));
    assert!(evicted_ids(&phone.store).is_empty());
    // A reopened case is not closed: it stays.
    let later = phone.now() + days(1000);
    assert!(evict_at(&mut phone.store, later).contains(&asked));
    phone.store.case(changed).unwrap();
}
