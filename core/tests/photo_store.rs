//! Photos on cases through the store: import, dedupe, evidence, removal, upload state and
//! garbage collection, with real files in a real blob folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fieldcore::testing::{StepClock, registration};
use fieldcore::{Cause, ConfirmationInput, DefectInput, PhotoKind};
use fieldcore::{Command, Error, Store, UploadState};

fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x as u8).wrapping_add(seed),
            (y as u8).wrapping_mul(3),
            seed,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn store(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open(dir.path().join("d.db"), "Li Wei").unwrap();
    store.set_clock(StepClock::new().boxed());
    store
}

fn blob_files(dir: &tempfile::TempDir) -> Vec<String> {
    let mut names = Vec::new();
    for fan in std::fs::read_dir(dir.path().join("d.db.blobs")).unwrap() {
        for f in std::fs::read_dir(fan.unwrap().path()).unwrap() {
            names.push(f.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

#[test]
fn an_imported_photo_is_processed_stored_once_and_listed_with_its_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(&dir);
    let a = store.register(&registration()).unwrap().id;
    let b = store.register(&registration()).unwrap().id;
    let bytes = jpeg(3000, 2000, 1);

    let (view, hash) = store
        .import_photo(a, &bytes, PhotoKind::Nameplate, "Nameplate")
        .unwrap();
    assert_eq!(view.photos.len(), 1);
    let photo = &view.photos[0].record;
    assert_eq!((photo.width, photo.height), (2048, 1365));
    assert_eq!(view.events.last().unwrap().body.action, "attach_photo");
    assert_eq!(blob_files(&dir).len(), 2, "the photo and its thumbnail");

    // The same camera file on another case: one blob, two references.
    let (_, again) = store
        .import_photo(b, &bytes, PhotoKind::Nameplate, "Same plate")
        .unwrap();
    assert_eq!(again, hash);
    assert_eq!(blob_files(&dir).len(), 2);
    // Twice on one case is refused and writes nothing.
    let outbox = store.outbox_len().unwrap();
    let err = store
        .import_photo(a, &bytes, PhotoKind::Defect, "again")
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation { field: "hash", .. }),
        "{err:?}"
    );
    assert_eq!(store.outbox_len().unwrap(), outbox);

    let listed = store.photos(a).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].upload, UploadState::Pending);
    let thumb = image::load_from_memory(
        &std::fs::read(listed[0].thumbnail_path.as_ref().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(thumb.width().max(thumb.height()), 320);
    assert_eq!(store.pending_uploads().unwrap().len(), 2);
    assert_eq!(store.blob(&hash).unwrap().len() as u64, photo.size);
}

#[test]
fn decisions_cite_only_photos_of_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(&dir);
    let id = store.register(&registration()).unwrap().id;
    store
        .execute(id, &Command::Acknowledge { note: None })
        .unwrap();
    let (_, invoice) = store
        .import_photo(id, &jpeg(800, 600, 2), PhotoKind::Invoice, "Invoice")
        .unwrap();
    let defect = |evidence: Vec<String>| {
        Command::ConfirmDefect(DefectInput {
            cause: Cause::DesignManufacturing,
            findings: "Bearing seat oversize".into(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: evidence,
        })
    };
    let err = store
        .execute(id, &defect(vec!["ab".repeat(32)]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Validation {
                field: "evidence_photos",
                ..
            }
        ),
        "{err:?}"
    );
    store.execute(id, &defect(vec![invoice.clone()])).unwrap();
    let (view, _) = store
        .execute(
            id,
            &Command::DecideWarranty {
                evidence_photos: vec![invoice.clone()],
                charge: None,
            },
        )
        .unwrap();
    assert_eq!(
        view.warranty.unwrap().current.value.evidence_photos,
        vec![invoice]
    );
    let err = store
        .execute(
            id,
            &Command::ConfirmCustomer(ConfirmationInput {
                customer_name: "Zhao".into(),
                accepted: true,
                reason: None,
                signature_hash: Some("cd".repeat(32)),
            }),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Validation {
                field: "signature_hash",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn blobs_are_collected_only_when_uploaded_and_unreferenced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(&dir);
    let id = store.register(&registration()).unwrap().id;
    let (_, hash) = store
        .import_photo(
            id,
            &jpeg(640, 480, 3),
            PhotoKind::Defect,
            "Scorched terminal",
        )
        .unwrap();
    let thumb = store.photos(id).unwrap()[0].record.thumbnail_hash.clone();

    store
        .execute(
            id,
            &Command::RemovePhoto {
                hash: hash.clone(),
                reason: "wrong case".into(),
            },
        )
        .unwrap();
    assert!(store.case(id).unwrap().photos.is_empty());
    // Not uploaded: the only copy, kept.
    assert_eq!(store.collect_garbage().unwrap().blobs, 0);
    assert_eq!(blob_files(&dir).len(), 2);

    store.mark_uploaded(&hash).unwrap();
    store.mark_uploaded(&thumb).unwrap();
    let collected = store.collect_garbage().unwrap();
    assert_eq!(collected.blobs, 2);
    assert!(blob_files(&dir).is_empty());
    assert!(store.pending_uploads().unwrap().is_empty());
    assert!(matches!(
        store.mark_uploaded(&hash),
        Err(Error::EntryNotFound(_))
    ));
}

#[test]
fn a_crash_mid_import_leaves_no_half_file_and_no_reference() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(&dir);
    let id = store.register(&registration()).unwrap().id;
    let folder = dir.path().join("d.db.blobs").join("ab");
    std::fs::create_dir_all(&folder).unwrap();
    // What a kill leaves: a temporary file mid-write, and a complete blob whose transaction
    // never committed.
    std::fs::write(folder.join(".tmp-0123"), b"half a jpeg").unwrap();
    std::fs::write(folder.join("ab".repeat(32)), b"whole but never referenced").unwrap();
    assert!(store.case(id).unwrap().photos.is_empty());
    let collected = store.collect_garbage().unwrap();
    assert_eq!((collected.temporaries, collected.orphans), (1, 1));
    assert!(blob_files(&dir).is_empty());
}

#[test]
fn a_photo_from_another_replica_is_known_before_its_blob_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut phone = store(&dir);
    let other = tempfile::tempdir().unwrap();
    let mut tablet = Store::open(other.path().join("t.db"), "Chen").unwrap();
    let id = phone.register(&registration()).unwrap().id;
    let bytes = jpeg(1200, 900, 4);
    let (_, hash) = phone
        .import_photo(id, &bytes, PhotoKind::Serial, "Serial plate")
        .unwrap();
    tablet
        .merge_document(&phone.export_document(id).unwrap())
        .unwrap();

    let listed = tablet.photos(id).unwrap();
    assert_eq!(listed[0].upload, UploadState::NotHere);
    assert!(listed[0].thumbnail_path.is_none());
    assert!(matches!(tablet.blob(&hash), Err(Error::EntryNotFound(_))));

    let stored = phone.blob(&hash).unwrap();
    let mut damaged = stored.clone();
    damaged[100] ^= 0xff;
    assert!(matches!(
        tablet.receive_blob(&hash, &damaged),
        Err(Error::Validation { field: "hash", .. })
    ));
    tablet.receive_blob(&hash, &stored).unwrap();
    assert_eq!(tablet.photos(id).unwrap()[0].upload, UploadState::Uploaded);
    assert_eq!(tablet.blob(&hash).unwrap(), stored);
}

#[test]
fn unsupported_and_broken_files_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(&dir);
    let id = store.register(&registration()).unwrap().id;
    let outbox = store.outbox_len().unwrap();
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let err = store
        .import_photo(id, &heic, PhotoKind::Defect, "")
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedPhoto { .. }), "{err:?}");
    let mut truncated = jpeg(800, 600, 5);
    truncated.truncate(truncated.len() / 2);
    let err = store
        .import_photo(id, &truncated, PhotoKind::Defect, "")
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPhoto(_)), "{err:?}");
    assert_eq!(store.outbox_len().unwrap(), outbox);
    assert!(blob_files(&dir).is_empty());
    assert!(store.case(id).unwrap().photos.is_empty());
}
