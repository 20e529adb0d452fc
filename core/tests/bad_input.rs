#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad input changes nothing: every refused command, registration or merge leaves the store as
//! it was (cases, outbox, projection, documents), and damaged files or blobs are reported with
//! their own errors, never deleted and never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ChangeHash, ROOT, ReadDoc};
use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};
use fieldcore::ListRow;
use fieldcore::{
    CaseId, Cause, Channel, Charge, ConfirmationInput, CustomerRequest, DefectInput, FactsUpdate,
    Market, Measurement, Outcome, PartInput, PhotoKind, ProofOfPurchase, Registration, Status,
    Timestamp,
};
use fieldcore::{CaseView, Command, Context, Error, ListQuery, Policies, Result, Store};
use rand::RngCore;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

/// The device clock of every store here: 2026-03-10 10:00 in China.
fn now() -> Timestamp {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 3, 10, 10, 0, 0)
        .unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A valid registration: a motor bought 2025-12-01 with an invoice, so it is in warranty.
fn registration() -> Registration {
    Registration {
        customer_name: "Hangzhou Water Works".into(),
        customer_phone: "+86 571 8888 0000".into(),
        customer_address: "18 Pump Station Road, Xiaoshan, Hangzhou".into(),
        region: "Zhejiang".into(),
        home_region: true,
        market: Market::Domestic,
        product_model: "YE3-160M".into(),
        product_category: "motor".into(),
        serial_number: "YE3-2025-000123".into(),
        manufacture_date: Some(date(2025, 10, 15)),
        purchase_date: Some(date(2025, 12, 1)),
        proof_of_purchase: ProofOfPurchase::Invoice("INV-2025-7781".into()),
        fault_description: "bearing noise and overheating at full load".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: now() - Duration::hours(25),
        first_responder: "engineer-1".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

fn open_store(path: &Path) -> Store {
    let mut store = Store::open(path, "engineer-1").expect("open store");
    store.set_clock(Box::new(now));
    store
}

struct Fixture {
    _dir: TempDir,
    path: PathBuf,
    store: Store,
    /// Every case this fixture created, compared in each snapshot.
    ids: Vec<CaseId>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("device.db");
        let store = open_store(&path);
        Fixture {
            _dir: dir,
            path,
            store,
            ids: Vec::new(),
        }
    }

    /// Drops the store and opens the file again: what is in the database, not in memory.
    fn reopen(&mut self) {
        self.store = open_store(&self.path);
    }

    fn run(&mut self, id: CaseId, command: Command) {
        self.store
            .execute(id, &command)
            .unwrap_or_else(|e| panic!("setup command {} failed: {e}", command.name()));
    }

    /// A registered case carrying the evidence photo and the signature that [`defect`] and
    /// [`accepted`] cite, so those commands pass the photos-on-case rule and fail only where a
    /// test means them to.
    fn registered(&mut self) -> CaseId {
        let id = self.store.register(&registration()).expect("register").id;
        self.ids.push(id);
        for (photo, kind) in [
            (evidence_photo(), PhotoKind::Defect),
            (signature_photo(), PhotoKind::Signature),
        ] {
            let (_, hash) = self
                .store
                .import_photo(id, &photo.jpeg, kind, "")
                .expect("import photo");
            assert_eq!(
                hash, photo.hash,
                "the store processes photos as the pipeline does"
            );
        }
        id
    }

    fn acknowledged(&mut self) -> CaseId {
        let id = self.registered();
        self.run(id, Command::Acknowledge { note: None });
        id
    }

    fn defect_confirmed(&mut self, cause: Cause) -> CaseId {
        let id = self.acknowledged();
        self.run(id, Command::ConfirmDefect(defect(cause)));
        id
    }

    /// Covered for a quality fault, not covered (paid service) for customer misuse.
    fn warranty_decided(&mut self, cause: Cause) -> CaseId {
        let id = self.defect_confirmed(cause);
        self.run(
            id,
            Command::DecideWarranty {
                evidence_photos: vec![evidence()],
                charge: None,
            },
        );
        id
    }

    fn resolved(&mut self) -> CaseId {
        let id = self.warranty_decided(Cause::DesignManufacturing);
        self.run(
            id,
            Command::Resolve {
                outcome: Outcome::PartsReplaced,
                summary: "bearing replaced".into(),
            },
        );
        id
    }

    fn closed(&mut self) -> CaseId {
        let id = self.resolved();
        self.run(id, Command::ConfirmCustomer(accepted()));
        self.run(id, Command::Close);
        id
    }

    fn snapshot(&mut self) -> Snapshot {
        let store = &mut self.store;
        let mut rows = Vec::new();
        let mut query = ListQuery {
            limit: 500,
            ..ListQuery::default()
        };
        loop {
            let page = store.list(&query).expect("list");
            rows.extend(page.rows);
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        let mut views = Vec::new();
        let mut heads = Vec::new();
        for &id in &self.ids {
            views.push(store.case(id).expect("case view"));
            let bytes = store.export_document(id).expect("export");
            let mut h = Automerge::load(&bytes).expect("load export").get_heads();
            h.sort();
            heads.push(h);
        }
        Snapshot {
            cases: store.case_count().expect("case_count"),
            outbox: store.outbox_len().expect("outbox_len"),
            rows,
            views,
            heads,
        }
    }

    /// Runs something that must be refused; checks that the store, in memory and on disk, is
    /// exactly as before, and returns the error.
    fn refused<T: std::fmt::Debug>(
        &mut self,
        what: &str,
        run: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Error {
        let before = self.snapshot();
        let err = match run(&mut self.store) {
            Ok(v) => panic!("{what}: accepted, expected a refusal: {v:?}"),
            Err(e) => e,
        };
        assert_eq!(
            self.snapshot(),
            before,
            "{what}: refused but the store changed"
        );
        self.reopen();
        assert_eq!(
            self.snapshot(),
            before,
            "{what}: refused but the database changed"
        );
        err
    }

    /// A command on `id` that must fail validation on `field`, writing nothing.
    fn invalid_command(&mut self, id: CaseId, command: Command, field: &str) {
        let what = format!("{} expecting invalid {field}", command.name());
        let err = self.refused(&what, |s| s.execute(id, &command));
        expect_field(&err, field, &what);
    }
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    cases: i64,
    outbox: i64,
    rows: Vec<ListRow>,
    views: Vec<CaseView>,
    heads: Vec<Vec<ChangeHash>>,
}

fn expect_field(err: &Error, field: &str, what: &str) {
    match err {
        Error::Validation { field: f, .. } if *f == field => {}
        other => panic!("{what}: expected Validation {{ field: {field:?} }}, got {other:?}"),
    }
}

/// A well-formed hash (for lowercase hex `c`) of no photo on any case.
fn hash(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

/// A small camera JPEG and the hash the photo pipeline gives it.
struct Photo {
    jpeg: Vec<u8>,
    hash: String,
}

impl Photo {
    fn new(seed: u8) -> Photo {
        let img = image::RgbImage::from_fn(96, 64, |x, y| {
            image::Rgb([
                (x as u8).wrapping_mul(seed),
                (y as u8).wrapping_mul(3),
                seed,
            ])
        });
        let mut jpeg = std::io::Cursor::new(Vec::new());
        img.write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .expect("encode jpeg");
        let jpeg = jpeg.into_inner();
        let hash = fieldcore::process_photo(&jpeg, &Policies::default().photos)
            .expect("process photo")
            .sha256;
        Photo { jpeg, hash }
    }
}

/// The defect photo every fixture case carries.
fn evidence_photo() -> &'static Photo {
    static PHOTO: OnceLock<Photo> = OnceLock::new();
    PHOTO.get_or_init(|| Photo::new(2))
}

/// The customer's signature every fixture case carries.
fn signature_photo() -> &'static Photo {
    static PHOTO: OnceLock<Photo> = OnceLock::new();
    PHOTO.get_or_init(|| Photo::new(5))
}

fn evidence() -> String {
    evidence_photo().hash.clone()
}

fn defect(cause: Cause) -> DefectInput {
    DefectInput {
        cause,
        findings: "outer race pitted".into(),
        measurements: vec![Measurement {
            name: "insulation resistance".into(),
            value: 550.0,
            unit: "MΩ".into(),
        }],
        major_incident: false,
        evidence_photos: vec![evidence()],
    }
}

fn part() -> PartInput {
    PartInput {
        part_number: "6309-2RS".into(),
        specification: "deep groove ball bearing".into(),
        quantity: 2,
        new_serial: Some("NEW-1".into()),
        old_part_kept: true,
        old_part_serial: Some("OLD-1".into()),
        off_catalog_reason: None,
    }
}

fn accepted() -> ConfirmationInput {
    ConfirmationInput {
        customer_name: "Wang Lei".into(),
        accepted: true,
        reason: None,
        signature_hash: Some(signature_photo().hash.clone()),
    }
}

fn cny(amount_minor: i64) -> Charge {
    Charge {
        amount_minor,
        currency: "CNY".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: each rule of validate.rs, refused with its field name, nothing written
// ---------------------------------------------------------------------------------------------

type Mutation = fn(&mut Registration);

#[test]
fn invalid_registrations_are_refused_by_field_and_write_nothing() {
    let long_name: Mutation = |r| r.customer_name = "x".repeat(201);
    let long_fault: Mutation = |r| r.fault_description = "x".repeat(10_001);
    let cases: &[(&str, Mutation, &str)] = &[
        (
            "empty customer name",
            |r| r.customer_name.clear(),
            "customer_name",
        ),
        (
            "blank customer name",
            |r| r.customer_name = "  \t ".into(),
            "customer_name",
        ),
        ("customer name too long", long_name, "customer_name"),
        (
            "empty phone",
            |r| r.customer_phone.clear(),
            "customer_phone",
        ),
        (
            "phone with letters",
            |r| r.customer_phone = "call 0571 8888".into(),
            "customer_phone",
        ),
        (
            "phone with #",
            |r| r.customer_phone = "0571#88880000".into(),
            "customer_phone",
        ),
        (
            "phone of 4 digits",
            |r| r.customer_phone = "1234".into(),
            "customer_phone",
        ),
        (
            "phone of 21 digits",
            |r| r.customer_phone = "1".repeat(21),
            "customer_phone",
        ),
        (
            "phone of only punctuation",
            |r| r.customer_phone = "+-() ".into(),
            "customer_phone",
        ),
        (
            "empty address",
            |r| r.customer_address.clear(),
            "customer_address",
        ),
        ("empty region", |r| r.region.clear(), "region"),
        ("empty model", |r| r.product_model.clear(), "product_model"),
        (
            "empty category",
            |r| r.product_category = " ".into(),
            "product_category",
        ),
        ("empty serial", |r| r.serial_number.clear(), "serial_number"),
        (
            "empty fault",
            |r| r.fault_description.clear(),
            "fault_description",
        ),
        ("fault too long", long_fault, "fault_description"),
        (
            "empty first responder",
            |r| r.first_responder.clear(),
            "first_responder",
        ),
        (
            "invoice without number",
            |r| r.proof_of_purchase = ProofOfPurchase::Invoice(String::new()),
            "proof_of_purchase",
        ),
        (
            "voucher with blank number",
            |r| r.proof_of_purchase = ProofOfPurchase::Voucher("  ".into()),
            "proof_of_purchase",
        ),
        (
            "invoice without purchase date",
            |r| r.purchase_date = None,
            "purchase_date",
        ),
        (
            "voucher without purchase date",
            |r| {
                r.proof_of_purchase = ProofOfPurchase::Voucher("V-9".into());
                r.purchase_date = None;
            },
            "purchase_date",
        ),
        (
            "purchase after received",
            |r| r.purchase_date = Some(r.received_at.date_naive() + Duration::days(1)),
            "purchase_date",
        ),
        (
            "manufacture after purchase",
            |r| r.manufacture_date = Some(date(2025, 12, 2)),
            "manufacture_date",
        ),
        (
            "manufacture after received, no purchase",
            |r| {
                r.proof_of_purchase = ProofOfPurchase::None;
                r.purchase_date = None;
                r.manufacture_date = Some(r.received_at.date_naive() + Duration::days(1));
            },
            "manufacture_date",
        ),
        (
            "received 25 hours ahead of the device clock",
            |r| r.received_at = now() + Duration::hours(25),
            "received_at",
        ),
        (
            "received a year ahead",
            |r| r.received_at = now() + Duration::days(365),
            "received_at",
        ),
    ];

    let mut fx = Fixture::new();
    // An existing case whose view must not change either.
    fx.acknowledged();
    for (what, mutate, field) in cases {
        let mut r = registration();
        mutate(&mut r);
        let err = fx.refused(what, |s| s.register(&r));
        expect_field(&err, field, what);
    }

    // The same rules hold for edits of the registration facts.
    let id = fx.acknowledged();
    let updates: &[(&str, FactsUpdate, &str)] = &[
        (
            "edit: empty customer name",
            FactsUpdate {
                customer_name: Some(String::new()),
                ..FactsUpdate::default()
            },
            "customer_name",
        ),
        (
            "edit: bad phone",
            FactsUpdate {
                customer_phone: Some("ring me".into()),
                ..FactsUpdate::default()
            },
            "customer_phone",
        ),
        (
            "edit: blank serial",
            FactsUpdate {
                serial_number: Some(" ".into()),
                ..FactsUpdate::default()
            },
            "serial_number",
        ),
        (
            "edit: valid name but empty fault",
            FactsUpdate {
                customer_name: Some("Someone Else".into()),
                fault_description: Some(String::new()),
                ..FactsUpdate::default()
            },
            "fault_description",
        ),
        ("edit: nothing", FactsUpdate::default(), "update"),
    ];
    for (what, update, field) in updates {
        let err = fx.refused(what, |s| {
            s.execute(id, &Command::UpdateFacts(update.clone()))
        });
        expect_field(&err, field, what);
    }
}

/// The fixture is valid and the boundaries are where the rules say, so the refusals above are
/// the rules at work, not a broken fixture.
#[test]
fn boundary_registrations_are_accepted() {
    let accepted: &[(&str, Mutation)] = &[
        ("the fixture", |_| {}),
        ("received 23 hours ahead", |r| {
            r.received_at = now() + Duration::hours(23)
        }),
        ("no proof, no dates", |r| {
            r.proof_of_purchase = ProofOfPurchase::None;
            r.purchase_date = None;
            r.manufacture_date = None;
        }),
        ("purchased the day it was received", |r| {
            r.purchase_date = Some(r.received_at.date_naive());
        }),
        ("manufactured the day it was bought", |r| {
            r.manufacture_date = r.purchase_date;
        }),
        ("phone with punctuation", |r| {
            r.customer_phone = "(0571) 8888-0000".into()
        }),
        ("phone of 5 digits", |r| r.customer_phone = "12345".into()),
        ("phone of 20 digits", |r| r.customer_phone = "1".repeat(20)),
        ("name of 200 bytes", |r| r.customer_name = "x".repeat(200)),
    ];
    let mut fx = Fixture::new();
    for (i, (what, mutate)) in accepted.iter().enumerate() {
        let mut r = registration();
        mutate(&mut r);
        fx.store
            .register(&r)
            .unwrap_or_else(|e| panic!("{what}: refused: {e}"));
        assert_eq!(fx.store.case_count().unwrap(), i as i64 + 1, "{what}");
        assert_eq!(fx.store.outbox_len().unwrap(), i as i64 + 1, "{what}");
    }
}

#[test]
fn invalid_part_lines_are_refused_by_field_and_write_nothing() {
    let mut fx = Fixture::new();
    let id = fx.acknowledged();
    let bad: &[(PartInput, &str)] = &[
        (
            PartInput {
                quantity: 0,
                ..part()
            },
            "quantity",
        ),
        (
            PartInput {
                part_number: String::new(),
                ..part()
            },
            "part_number",
        ),
        (
            PartInput {
                part_number: "   ".into(),
                ..part()
            },
            "part_number",
        ),
        (
            PartInput {
                part_number: "P".repeat(201),
                ..part()
            },
            "part_number",
        ),
        (
            PartInput {
                specification: String::new(),
                ..part()
            },
            "specification",
        ),
        (
            PartInput {
                old_part_kept: false,
                ..part()
            },
            "old_part_serial",
        ),
        (
            PartInput {
                new_serial: Some(String::new()),
                ..part()
            },
            "new_serial",
        ),
        (
            PartInput {
                old_part_serial: Some(" ".into()),
                off_catalog_reason: None,
                ..part()
            },
            "old_part_serial",
        ),
    ];
    for (input, field) in bad {
        fx.invalid_command(id, Command::RecordPart(input.clone()), field);
    }
    // The valid line is accepted, so the refusals above are the rules at work.
    fx.store
        .execute(id, &Command::RecordPart(part()))
        .expect("valid part");
    let line = fx.store.case(id).unwrap().parts[0].id.clone();
    fx.invalid_command(
        id,
        Command::ReversePart {
            line_id: line,
            reason: " ".into(),
        },
        "reason",
    );
}

#[test]
fn invalid_confirmations_are_refused_by_field_and_write_nothing() {
    let mut fx = Fixture::new();
    let id = fx.resolved();
    let bad: &[(ConfirmationInput, &str)] = &[
        (
            ConfirmationInput {
                accepted: false,
                reason: None,
                ..accepted()
            },
            "reason",
        ),
        (
            ConfirmationInput {
                accepted: false,
                reason: Some("  ".into()),
                ..accepted()
            },
            "reason",
        ),
        (
            ConfirmationInput {
                signature_hash: Some("not-a-hash".into()),
                ..accepted()
            },
            "signature_hash",
        ),
        (
            ConfirmationInput {
                signature_hash: Some(hash('A')),
                ..accepted()
            },
            "signature_hash",
        ),
        (
            ConfirmationInput {
                signature_hash: Some(hash('a')[..63].to_owned()),
                ..accepted()
            },
            "signature_hash",
        ),
        (
            ConfirmationInput {
                customer_name: String::new(),
                ..accepted()
            },
            "customer_name",
        ),
    ];
    for (input, field) in bad {
        fx.invalid_command(id, Command::ConfirmCustomer(input.clone()), field);
    }
    fx.store
        .execute(id, &Command::ConfirmCustomer(accepted()))
        .expect("valid confirmation");
}

#[test]
fn invalid_charges_are_refused_by_field_and_write_nothing() {
    let mut fx = Fixture::new();
    // Customer misuse: paid service, so a valid charge would be accepted.
    let paid = fx.warranty_decided(Cause::CustomerMisuse);
    for (charge, field) in [
        (cny(-1), "charge"),
        (cny(i64::MIN), "charge"),
        (
            Charge {
                amount_minor: 100,
                currency: "cny".into(),
            },
            "currency",
        ),
        (
            Charge {
                amount_minor: 100,
                currency: "CN".into(),
            },
            "currency",
        ),
        (
            Charge {
                amount_minor: 100,
                currency: "CNYY".into(),
            },
            "currency",
        ),
        (
            Charge {
                amount_minor: 100,
                currency: String::new(),
            },
            "currency",
        ),
        (
            Charge {
                amount_minor: 100,
                currency: "ÄÖÜ".into(),
            },
            "currency",
        ),
    ] {
        fx.invalid_command(paid, Command::SetCharge(charge.clone()), field);
    }
    // The same checks when the charge comes with the warranty decision.
    let misuse = fx.defect_confirmed(Cause::CustomerMisuse);
    fx.invalid_command(
        misuse,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: Some(cny(-500)),
        },
        "charge",
    );
    // A covered repair is not charged.
    let covered = fx.warranty_decided(Cause::DesignManufacturing);
    fx.invalid_command(covered, Command::SetCharge(cny(1)), "charge");
    fx.invalid_command(
        covered,
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "charged".into(),
        },
        "outcome",
    );
    // The valid charge is accepted.
    fx.store
        .execute(paid, &Command::SetCharge(cny(12_000)))
        .expect("valid charge");
}

#[test]
fn empty_texts_and_bad_evidence_are_refused_and_write_nothing() {
    let mut fx = Fixture::new();
    let registered = fx.registered();
    for text in ["", " ", "\n\t"] {
        fx.invalid_command(registered, Command::AddNote { text: text.into() }, "text");
    }
    fx.invalid_command(
        registered,
        Command::AddNote {
            text: "n".repeat(10_001),
        },
        "text",
    );
    fx.invalid_command(
        registered,
        Command::Acknowledge {
            note: Some(String::new()),
        },
        "note",
    );

    let acknowledged = fx.acknowledged();
    let defects: &[(DefectInput, &str)] = &[
        (
            DefectInput {
                findings: " ".into(),
                ..defect(Cause::DesignManufacturing)
            },
            "findings",
        ),
        (
            DefectInput {
                measurements: vec![Measurement {
                    name: String::new(),
                    value: 1.0,
                    unit: "A".into(),
                }],
                ..defect(Cause::DesignManufacturing)
            },
            "measurement.name",
        ),
        (
            DefectInput {
                measurements: vec![Measurement {
                    name: "current".into(),
                    value: f64::NAN,
                    unit: "A".into(),
                }],
                ..defect(Cause::DesignManufacturing)
            },
            "measurement.value",
        ),
        (
            DefectInput {
                measurements: vec![Measurement {
                    name: "current".into(),
                    value: f64::INFINITY,
                    unit: "A".into(),
                }],
                ..defect(Cause::DesignManufacturing)
            },
            "measurement.value",
        ),
        (
            DefectInput {
                evidence_photos: vec![evidence(), "photo.jpg".into()],
                ..defect(Cause::DesignManufacturing)
            },
            "evidence_photos",
        ),
    ];
    for (input, field) in defects {
        fx.invalid_command(acknowledged, Command::ConfirmDefect(input.clone()), field);
    }

    let confirmed = fx.defect_confirmed(Cause::DesignManufacturing);
    fx.invalid_command(
        confirmed,
        Command::DecideWarranty {
            evidence_photos: vec![hash('G')],
            charge: None,
        },
        "evidence_photos",
    );

    let decided = fx.warranty_decided(Cause::DesignManufacturing);
    fx.invalid_command(
        decided,
        Command::Resolve {
            outcome: Outcome::RepairedOnSite,
            summary: String::new(),
        },
        "summary",
    );

    let closed = fx.closed();
    fx.invalid_command(closed, Command::Reopen { reason: " ".into() }, "reason");
}

/// Decisions cite photos by hash; a well-formed hash of a photo that is not on the case (never
/// imported, on another case only, or taken off this one) is refused on the citing field.
#[test]
fn evidence_that_is_not_a_photo_of_the_case_is_refused_and_writes_nothing() {
    let mut fx = Fixture::new();
    let elsewhere = fx.acknowledged();
    let other = Photo::new(9);
    let (_, on_other_case) = fx
        .store
        .import_photo(
            elsewhere,
            &other.jpeg,
            PhotoKind::Nameplate,
            "another motor",
        )
        .unwrap();
    let removed = Photo::new(11);

    let acknowledged = fx.acknowledged();
    let (_, taken_off) = fx
        .store
        .import_photo(
            acknowledged,
            &removed.jpeg,
            PhotoKind::Defect,
            "wrong motor",
        )
        .unwrap();
    fx.run(
        acknowledged,
        Command::RemovePhoto {
            hash: taken_off.clone(),
            reason: "photo of the wrong motor".into(),
        },
    );
    let not_here = [hash('b'), on_other_case.clone(), taken_off.clone()];
    for cited in &not_here {
        fx.invalid_command(
            acknowledged,
            Command::ConfirmDefect(DefectInput {
                evidence_photos: vec![evidence(), cited.clone()],
                ..defect(Cause::DesignManufacturing)
            }),
            "evidence_photos",
        );
    }

    let confirmed = fx.defect_confirmed(Cause::DesignManufacturing);
    for cited in &not_here {
        fx.invalid_command(
            confirmed,
            Command::DecideWarranty {
                evidence_photos: vec![cited.clone()],
                charge: None,
            },
            "evidence_photos",
        );
    }

    let resolved = fx.resolved();
    for cited in [hash('c'), on_other_case, taken_off] {
        fx.invalid_command(
            resolved,
            Command::ConfirmCustomer(ConfirmationInput {
                signature_hash: Some(cited),
                ..accepted()
            }),
            "signature_hash",
        );
    }

    // The photos of the case itself are accepted, so the refusals above are the rule at work.
    fx.run(
        acknowledged,
        Command::ConfirmDefect(defect(Cause::DesignManufacturing)),
    );
    fx.run(
        confirmed,
        Command::DecideWarranty {
            evidence_photos: vec![evidence()],
            charge: None,
        },
    );
    fx.run(resolved, Command::ConfirmCustomer(accepted()));
}

// ---------------------------------------------------------------------------------------------
// Lifecycle and unknown ids
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_transitions_are_refused_and_write_nothing() {
    let mut fx = Fixture::new();
    let registered = fx.registered();
    let acknowledged = fx.acknowledged();
    let confirmed = fx.defect_confirmed(Cause::StorageTransport);
    let resolved = fx.resolved();
    let closed = fx.closed();
    let rejected = ConfirmationInput {
        accepted: false,
        reason: Some("still noisy".into()),
        ..accepted()
    };
    let decide = Command::DecideWarranty {
        evidence_photos: vec![],
        charge: None,
    };
    let resolve = Command::Resolve {
        outcome: Outcome::RepairedOnSite,
        summary: "fixed".into(),
    };
    let cases: Vec<(CaseId, Status, Command)> = vec![
        (registered, Status::Registered, Command::Close),
        (registered, Status::Registered, decide.clone()),
        (registered, Status::Registered, resolve.clone()),
        (registered, Status::Registered, Command::ArriveOnSite),
        (
            registered,
            Status::Registered,
            Command::ScheduleVisit {
                planned_for: now() + Duration::days(1),
            },
        ),
        (
            registered,
            Status::Registered,
            Command::ConfirmDefect(defect(Cause::DesignManufacturing)),
        ),
        (
            registered,
            Status::Registered,
            Command::ConfirmCustomer(accepted()),
        ),
        (
            registered,
            Status::Registered,
            Command::ConfirmCustomer(rejected.clone()),
        ),
        (
            registered,
            Status::Registered,
            Command::Reopen {
                reason: "customer called again".into(),
            },
        ),
        (registered, Status::Registered, Command::SetCharge(cny(0))),
        (
            acknowledged,
            Status::Acknowledged,
            Command::Acknowledge { note: None },
        ),
        // Deciding warranty before the defect is confirmed.
        (acknowledged, Status::Acknowledged, decide.clone()),
        (acknowledged, Status::Acknowledged, resolve.clone()),
        (acknowledged, Status::Acknowledged, Command::Close),
        (confirmed, Status::DefectConfirmed, resolve.clone()),
        (confirmed, Status::DefectConfirmed, Command::Close),
        (confirmed, Status::DefectConfirmed, Command::ArriveOnSite),
        (resolved, Status::Resolved, Command::Close),
        (resolved, Status::Resolved, decide.clone()),
        (
            resolved,
            Status::Resolved,
            Command::Acknowledge {
                note: Some("again".into()),
            },
        ),
        (closed, Status::Closed, Command::Close),
        (closed, Status::Closed, Command::RecordPart(part())),
        (
            closed,
            Status::Closed,
            Command::ReversePart {
                line_id: "whatever".into(),
                reason: "mistake".into(),
            },
        ),
        (
            closed,
            Status::Closed,
            Command::UpdateFacts(FactsUpdate {
                customer_name: Some("New Name".into()),
                ..FactsUpdate::default()
            }),
        ),
        (closed, Status::Closed, Command::SetCharge(cny(0))),
        (closed, Status::Closed, resolve),
        (closed, Status::Closed, Command::ConfirmCustomer(rejected)),
    ];
    for (id, status, command) in cases {
        let what = format!("{} on a {} case", command.name(), status.as_str());
        let err = fx.refused(&what, |s| s.execute(id, &command));
        match err {
            Error::InvalidTransition { from, .. } if from == status => {}
            other => panic!("{what}: expected InvalidTransition from {status:?}, got {other:?}"),
        }
    }
}

#[test]
fn unknown_case_and_entry_ids_are_refused_and_write_nothing() {
    let mut fx = Fixture::new();
    let id = fx.acknowledged();
    let unknown = uuid::Uuid::now_v7();
    let not_found = |err: Error, what: &str| match err {
        Error::CaseNotFound(missing) if missing == unknown => {}
        other => panic!("{what}: expected CaseNotFound({unknown}), got {other:?}"),
    };
    let err = fx.refused("case view", |s| s.case(unknown));
    not_found(err, "case view");
    let err = fx.refused("export", |s| s.export_document(unknown));
    not_found(err, "export");
    for command in [
        Command::AddNote {
            text: "hello".into(),
        },
        Command::Acknowledge { note: None },
        Command::RecordPart(part()),
        Command::Close,
    ] {
        let what = format!("{} on an unknown case", command.name());
        let err = fx.refused(&what, |s| s.execute(unknown, &command));
        not_found(err, &what);
    }
    assert!(fx.store.projection_row(unknown).unwrap().is_none());

    for command in [
        Command::ReversePart {
            line_id: "no-such-line".into(),
            reason: "mistake".into(),
        },
        Command::ReturnOldPart {
            line_id: "no-such-line".into(),
        },
    ] {
        let what = format!("{} with an unknown line", command.name());
        match fx.refused(&what, |s| s.execute(id, &command)) {
            Error::EntryNotFound(line) if line == "no-such-line" => {}
            other => panic!("{what}: expected EntryNotFound, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Damaged database files
// ---------------------------------------------------------------------------------------------

/// Files in `dir` whose name starts with `prefix`.
fn files_starting(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    found.sort();
    found
}

/// Opens a damaged file: it must be reported as corrupt and moved aside byte for byte, and the
/// path must then open as a fresh empty store. Returns where it was moved.
fn assert_moved_aside(path: &Path, what: &str) -> PathBuf {
    let original = std::fs::read(path).unwrap();
    let moved_to = match Store::open(path, "engineer-1") {
        Err(Error::CorruptDatabase { moved_to, reason }) => {
            assert!(!reason.is_empty(), "{what}: empty reason");
            moved_to
        }
        Err(other) => panic!("{what}: expected CorruptDatabase, got {other:?}"),
        Ok(store) => panic!(
            "{what}: opened as a store with {} cases",
            store.case_count().unwrap()
        ),
    };
    assert!(
        !path.exists(),
        "{what}: the damaged file is still at its path"
    );
    assert_eq!(
        moved_to.parent(),
        path.parent(),
        "{what}: moved to another directory"
    );
    assert!(
        std::fs::read(&moved_to).unwrap() == original,
        "{what}: the moved file does not hold the original bytes"
    );

    let fresh = Store::open(path, "engineer-1")
        .unwrap_or_else(|e| panic!("{what}: the path does not open fresh afterwards: {e}"));
    assert_eq!(fresh.case_count().unwrap(), 0, "{what}");
    assert_eq!(fresh.outbox_len().unwrap(), 0, "{what}");
    assert_eq!(fresh.integrity_check().unwrap(), "ok", "{what}");
    drop(fresh);
    assert!(
        std::fs::read(&moved_to).unwrap() == original,
        "{what}: the moved file changed after the fresh open"
    );
    moved_to
}

/// A real database of three cases, closed cleanly (so it is one file, no WAL).
fn real_database(path: &Path) -> Vec<CaseId> {
    let mut store = open_store(path);
    let ids = (0..3)
        .map(|_| store.register(&registration()).unwrap().id)
        .collect();
    drop(store);
    ids
}

#[test]
fn random_bytes_are_moved_aside_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut bytes = vec![0u8; 8192];
    rand::rng().fill_bytes(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    assert_moved_aside(&path, "random bytes");
}

#[test]
fn a_text_file_is_moved_aside_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    std::fs::write(
        &path,
        "customer,phone\nHangzhou Water Works,+86 571 8888 0000\n".repeat(40),
    )
    .unwrap();
    assert_moved_aside(&path, "text file");

    // A short text file, smaller than SQLite's header.
    std::fs::write(&path, "not a database\n").unwrap();
    assert_moved_aside(&path, "short text file");
}

#[test]
fn a_truncated_database_is_moved_aside_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    real_database(&source);
    let bytes = std::fs::read(&source).unwrap();
    assert!(
        bytes.len() > 8192,
        "the real database is {} bytes",
        bytes.len()
    );
    // Inside the 100-byte header, then after it: page 1 only, and half the file.
    for len in [16, 20, 50, 99, 100, 4096, 4196, bytes.len() / 2] {
        let path = dir.path().join(format!("truncated-{len}.db"));
        std::fs::write(&path, &bytes[..len]).unwrap();
        assert_moved_aside(&path, &format!("database truncated to {len} bytes"));
    }
}

/// The WAL holds the last committed commands until a checkpoint copies them into the main
/// file, so when the main file is damaged the WAL is the unsynced field work: it must be moved
/// aside with the database, byte for byte, not deleted.
#[test]
fn a_damaged_database_keeps_its_wal() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let path = dir.path().join("device.db");
    let wal = dir.path().join("device.db-wal");

    // A crash image: checkpointed cases in the main file, three later notes only in the WAL.
    let mut store = open_store(&live);
    let ids: Vec<CaseId> = (0..5)
        .map(|_| store.register(&registration()).unwrap().id)
        .collect();
    {
        let conn = rusqlite::Connection::open(&live).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap();
    }
    for id in &ids[..3] {
        store
            .execute(
                *id,
                &Command::AddNote {
                    text: "recorded on site, not yet synced".into(),
                },
            )
            .unwrap();
    }
    std::fs::copy(&live, &path).unwrap();
    std::fs::copy(dir.path().join("live.db-wal"), &wal).unwrap();
    drop(store);
    let wal_bytes = std::fs::read(&wal).unwrap();
    assert!(!wal_bytes.is_empty(), "the crash image has no WAL");

    // Then the main file's header is damaged.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..100].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();

    let moved_to = match Store::open(&path, "engineer-1") {
        Err(Error::CorruptDatabase { moved_to, .. }) => moved_to,
        Err(other) => panic!("expected CorruptDatabase, got {other:?}"),
        Ok(_) => panic!("a database with a damaged header was opened"),
    };
    assert!(!path.exists());
    let mut moved_wal = moved_to.clone().into_os_string();
    moved_wal.push("-wal");
    let moved_wal = PathBuf::from(moved_wal);

    let mut problems = Vec::new();
    let main_now = std::fs::read(&moved_to).unwrap();
    if main_now != bytes {
        let differing = main_now.iter().zip(&bytes).filter(|(a, b)| a != b).count();
        problems.push(format!(
            "the moved database is not the original file: {differing} bytes differ"
        ));
    }
    match std::fs::read(&moved_wal) {
        Ok(kept) if kept == wal_bytes => {}
        Ok(kept) => problems.push(format!(
            "the moved WAL holds {} bytes instead of the original {}",
            kept.len(),
            wal_bytes.len()
        )),
        Err(_) => problems.push(format!(
            "the WAL ({} bytes of committed commands) was not kept: no {}; files now: {:?}",
            wal_bytes.len(),
            moved_wal.display(),
            files_starting(dir.path(), "device.db")
        )),
    }
    assert!(problems.is_empty(), "{}", problems.join("; "));
}

/// Every damaged file that is moved aside stays: a second damaged file at the same path never
/// overwrites the first one's copy, however quickly it follows.
#[test]
fn repeated_damage_never_overwrites_a_moved_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut moved = Vec::new();
    for i in 0..20 {
        let bytes = format!("damaged file number {i}\n").repeat(10);
        std::fs::write(&path, &bytes).unwrap();
        match Store::open(&path, "engineer-1") {
            Err(Error::CorruptDatabase { moved_to, .. }) => moved.push((moved_to, bytes)),
            other => panic!("damaged file {i}: {:?}", other.map(|_| "opened")),
        }
    }
    for (moved_to, bytes) in &moved {
        assert_eq!(
            std::fs::read_to_string(moved_to).ok().as_deref(),
            Some(bytes.as_str()),
            "{} was overwritten by a later damaged file",
            moved_to.display()
        );
    }
    assert_eq!(
        files_starting(dir.path(), "device.db.corrupt-").len(),
        20,
        "twenty damaged files were not all kept"
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    real_database(&path);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", fieldcore::STORE_SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match Store::open(&path, "engineer-1") {
        Err(Error::NewerSchema { found, supported }) => {
            assert_eq!(found, fieldcore::STORE_SCHEMA_VERSION + 1);
            assert_eq!(supported, fieldcore::STORE_SCHEMA_VERSION);
        }
        Err(other) => panic!("expected NewerSchema, got {other:?}"),
        Ok(_) => panic!("a newer database was opened"),
    }
    assert!(path.exists(), "the newer database was moved");
    assert!(
        files_starting(dir.path(), "device.db.corrupt-").is_empty(),
        "the newer database was treated as corrupt"
    );
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the newer database was modified"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, fieldcore::STORE_SCHEMA_VERSION + 1);
    let docs: i64 = conn
        .query_row("SELECT COUNT(*) FROM case_docs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(docs, 3);
}

// ---------------------------------------------------------------------------------------------
// Damaged case documents inside a sound database
// ---------------------------------------------------------------------------------------------

/// Two cases with a few commands each, the store closed; returns (damaged, healthy).
fn two_cases(path: &Path) -> (CaseId, CaseId) {
    let mut store = open_store(path);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = store.register(&registration()).unwrap().id;
        for text in ["first note", "second note", "third note"] {
            store
                .execute(id, &Command::AddNote { text: text.into() })
                .unwrap();
        }
        ids.push(id);
    }
    (ids[0], ids[1])
}

/// Reopens a store whose `damaged` case has a broken stored document and checks that the case
/// reports `CorruptDocument`, that nothing is written in trying, and that the rest works.
fn assert_case_damaged_rest_works(path: &Path, damaged: CaseId, healthy: CaseId, what: &str) {
    let mut store = open_store(path);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let outbox = store.outbox_len().unwrap();
    let count = store.case_count().unwrap();
    let is_damaged = |r: Result<String>, op: &str| match r {
        Err(Error::CorruptDocument { case_id, .. }) if case_id == damaged => {}
        Err(other) => panic!("{what}: {op}: expected CorruptDocument, got {other:?}"),
        Ok(detail) => panic!("{what}: {op}: the damaged case was read: {detail}"),
    };
    is_damaged(
        store.case(damaged).map(|v| {
            format!(
                "a view with {} notes and {} events",
                v.notes.len(),
                v.events.len()
            )
        }),
        "case view",
    );
    is_damaged(
        store
            .execute(
                damaged,
                &Command::AddNote {
                    text: "written on a damaged case".into(),
                },
            )
            .map(|_| "a note was added".to_owned()),
        "add note",
    );
    is_damaged(
        store
            .export_document(damaged)
            .map(|b| format!("{} bytes exported", b.len())),
        "export",
    );
    assert_eq!(store.outbox_len().unwrap(), outbox, "{what}: outbox grew");
    assert_eq!(store.case_count().unwrap(), count, "{what}");

    // Lists come from the projection and still show both cases.
    let page = store.list(&ListQuery::default()).unwrap();
    let listed: Vec<String> = page.rows.iter().map(|r| r.case.case_id.clone()).collect();
    assert!(listed.contains(&damaged.to_string()), "{what}: {listed:?}");
    assert!(listed.contains(&healthy.to_string()), "{what}: {listed:?}");

    // The other case, and new cases, work as before.
    let view = store.case(healthy).unwrap();
    assert_eq!(view.notes.len(), 3, "{what}");
    store
        .execute(
            healthy,
            &Command::AddNote {
                text: "still works".into(),
            },
        )
        .unwrap();
    store.register(&registration()).unwrap();
}

fn blob(path: &Path, sql: &str, id: CaseId) -> Vec<u8> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [id.to_string()], |r| r.get(0)).unwrap()
}

#[test]
fn a_truncated_snapshot_is_a_corrupt_document_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let (damaged, healthy) = two_cases(&path);
    let snapshot = blob(
        &path,
        "SELECT snapshot FROM case_docs WHERE case_id = ?1",
        damaged,
    );
    let truncated = snapshot[..snapshot.len() / 2].to_vec();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE case_docs SET snapshot = ?2 WHERE case_id = ?1",
            rusqlite::params![damaged.to_string(), truncated],
        )
        .unwrap();
    }
    assert_case_damaged_rest_works(&path, damaged, healthy, "truncated snapshot");
    // The damaged bytes are kept as they were, for whoever repairs them.
    assert_eq!(
        blob(
            &path,
            "SELECT snapshot FROM case_docs WHERE case_id = ?1",
            damaged
        ),
        truncated
    );
}

/// How a stored change row is damaged.
type Damage = Box<dyn Fn(Vec<u8>) -> Vec<u8>>;

#[test]
fn garbage_in_a_change_row_is_a_corrupt_document_not_a_panic() {
    let mut garbage = vec![0u8; 300];
    rand::rng().fill_bytes(&mut garbage);
    // (what, how the middle change row of the damaged case is rewritten)
    let damages: Vec<(&str, Damage)> = vec![
        ("random bytes", Box::new(move |_| garbage.clone())),
        (
            "a truncated change",
            Box::new(|bytes: Vec<u8>| bytes[..bytes.len() / 2].to_vec()),
        ),
        ("an empty change", Box::new(|_| Vec::new())),
    ];
    let mut failures = Vec::new();
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let (damaged, healthy) = two_cases(&path);
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            let rows: Vec<(i64, Vec<u8>)> = conn
                .prepare("SELECT id, bytes FROM case_changes WHERE case_id = ?1 ORDER BY id")
                .unwrap()
                .query_map([damaged.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(rows.len(), 3, "one change row per note");
            let (row, bytes) = rows[1].clone();
            conn.execute(
                "UPDATE case_changes SET bytes = ?2 WHERE id = ?1",
                rusqlite::params![row, damage(bytes)],
            )
            .unwrap();
        }
        // Every kind of damage is tried before the test fails, so the report names them all.
        let checked = std::panic::catch_unwind(|| {
            assert_case_damaged_rest_works(&path, damaged, healthy, what);
        });
        if let Err(panic) = checked {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Documents from other replicas
// ---------------------------------------------------------------------------------------------

fn expect_invalid_document(err: Error, what: &str) {
    match err {
        Error::InvalidDocument(reason) => assert!(!reason.is_empty(), "{what}"),
        other => panic!("{what}: expected InvalidDocument, got {other:?}"),
    }
}

#[test]
fn a_garbage_document_is_refused_and_writes_nothing() {
    let mut fx = Fixture::new();
    let id = fx.acknowledged();
    fx.run(
        id,
        Command::AddNote {
            text: "field work".into(),
        },
    );
    let export = fx.store.export_document(id).unwrap();

    let mut random = vec![0u8; 4096];
    rand::rng().fill_bytes(&mut random);
    let mut with_tail = export.clone();
    with_tail.extend_from_slice(b"trailing garbage");

    let mut not_a_case = Automerge::new();
    not_a_case
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "hello", "world")?;
            Ok(())
        })
        .unwrap();

    let mut newer_schema = Automerge::load(&export).unwrap();
    newer_schema
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "schema", 99_u64)?;
            Ok(())
        })
        .unwrap();

    let mut missing_notes = Automerge::load(&export).unwrap();
    missing_notes
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.delete(ROOT, "notes")?;
            Ok(())
        })
        .unwrap();

    let mut no_case_id = Automerge::load(&export).unwrap();
    no_case_id
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.delete(ROOT, "case_id")?;
            Ok(())
        })
        .unwrap();

    let documents: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", random),
        ("no bytes", Vec::new()),
        ("a truncated case", export[..export.len() / 2].to_vec()),
        ("a case with a trailing tail", with_tail),
        ("a document that is not a case", not_a_case.save()),
        ("a case of a newer schema", newer_schema.save()),
        ("a case without its notes", missing_notes.save()),
        ("a case without its id", no_case_id.save()),
    ];
    for (what, bytes) in documents {
        let err = fx.refused(what, |s| s.merge_document(&bytes));
        expect_invalid_document(err, what);
    }
}

/// A case document for a new case id whose registration facts do not decode: refused before
/// anything is stored.
#[test]
fn a_new_case_with_unreadable_facts_is_refused_and_writes_nothing() {
    let mut fx = Fixture::new();
    fx.acknowledged();
    let policies = Policies::default();
    let ctx = Context {
        by: "hq-staff",
        device: "hq",
        at: now(),
        policies: &policies,
        parts_catalog: None,
    };
    let mut doc = fieldcore::new_case_document(
        &ActorId::random(),
        &ctx,
        uuid::Uuid::now_v7(),
        &registration(),
    )
    .unwrap();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        let facts = tx.get(ROOT, "facts")?.unwrap().1;
        tx.put(&facts, "received_at", "\"not a time\"")?;
        Ok(())
    })
    .unwrap();
    let err = fx.refused("unreadable facts", |s| s.merge_document(&doc.save()));
    expect_invalid_document(err, "unreadable facts");
}

/// A document that claims an existing case's id but was created on its own (it does not share
/// the case's first change) has rival containers under the same keys. Merging it must not hide
/// what this device recorded: either it is refused, or every local entry stays visible.
#[test]
fn a_rival_document_for_an_existing_case_hides_nothing() {
    let mut fx = Fixture::new();
    let id = fx.acknowledged();
    fx.run(
        id,
        Command::AddNote {
            text: "measured 0.2 MΩ on site".into(),
        },
    );
    fx.run(id, Command::RecordPart(part()));
    let before = fx.store.case(id).unwrap();

    let policies = Policies::default();
    let ctx = Context {
        by: "someone",
        device: "elsewhere",
        at: now(),
        policies: &policies,
        parts_catalog: None,
    };
    // The highest actor id wins automerge's conflicts on the root keys.
    let actor = ActorId::from([0xff_u8; 16].as_slice());
    let rival = fieldcore::new_case_document(&actor, &ctx, id, &registration()).unwrap();

    match fx.store.merge_document(&rival.save()) {
        Err(Error::InvalidDocument(_)) => {
            fx.reopen();
            assert_eq!(fx.store.case(id).unwrap(), before);
        }
        Err(other) => panic!("expected InvalidDocument or a merge, got {other:?}"),
        Ok(_) => {
            fx.reopen();
            let after = fx.store.case(id).unwrap();
            for note in &before.notes {
                assert!(
                    after.notes.iter().any(|n| n.id == note.id),
                    "the merged rival document hid note {:?}",
                    note.body.text
                );
            }
            for line in &before.parts {
                assert!(
                    after.parts.iter().any(|l| l.id == line.id),
                    "the merged rival document hid part line {}",
                    line.id
                );
            }
            assert!(
                after.events.len() >= before.events.len(),
                "the merged rival document hid audit events: {} before, {} after",
                before.events.len(),
                after.events.len()
            );
        }
    }
}
