//! A photo taken on the engineer's phone travels through HQ to the repair center's tablet:
//! uploaded during the phone's sync, listed on the tablet as not here, downloaded on demand
//! and verified against its hash.

use fieldcore::CancelToken;
use fieldcore::PhotoKind;
use fieldcore::{Error, UploadState};
use fieldcore_e2e::{Device, TestHq, jpeg};
use fieldhq::Role;

#[test]
fn a_phone_photo_reaches_the_tablet_on_demand() {
    let hq = TestHq::start().unwrap();
    hq.user("wang", Role::Engineer, None).unwrap();
    hq.user("li", Role::Technician, Some("north")).unwrap();
    let mut phone = Device::enrolled(&hq, "wang").unwrap();
    let mut tablet = Device::enrolled(&hq, "li").unwrap();

    let case = phone.register("P-1").unwrap();
    let (_, hash) = phone
        .store
        .import_photo(
            case,
            &jpeg(1600, 1200, 7).unwrap(),
            PhotoKind::Defect,
            "burnt winding",
        )
        .unwrap();
    let thumbnail = phone.store.photos(case).unwrap()[0]
        .record
        .thumbnail_hash
        .clone();
    assert_eq!(phone.store.pending_uploads().unwrap().len(), 2);

    let report = phone.sync().unwrap();
    assert_eq!(
        report.progress.photos_uploaded, 2,
        "the photo and its thumbnail"
    );
    assert!(phone.store.pending_uploads().unwrap().is_empty());
    assert_eq!(
        phone.store.photos(case).unwrap()[0].upload,
        UploadState::Uploaded
    );
    for blob in [&hash, &thumbnail] {
        let held = hq.data_dir().join("blobs").join(&blob[..2]).join(blob);
        assert_eq!(
            std::fs::read(held).unwrap(),
            phone.store.blob(blob).unwrap()
        );
    }

    hq.route(case, "north").unwrap();
    tablet.sync().unwrap();
    let photos = tablet.store.photos(case).unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].hash, hash);
    assert_eq!(photos[0].upload, UploadState::NotHere);
    assert!(photos[0].thumbnail_path.is_none());
    assert!(tablet.store.blob(&hash).is_err());

    let cancel = CancelToken::new();
    for blob in [&thumbnail, &hash] {
        tablet
            .store
            .fetch_blob(&tablet.config, blob, &cancel)
            .unwrap();
        let bytes = tablet.store.blob(blob).unwrap();
        assert_eq!(
            &fieldcore::sha256_hex(&bytes),
            blob,
            "the download verifies"
        );
        assert_eq!(bytes, phone.store.blob(blob).unwrap());
    }
    let photos = tablet.store.photos(case).unwrap();
    assert_eq!(photos[0].upload, UploadState::Uploaded);
    assert!(
        photos[0]
            .thumbnail_path
            .as_ref()
            .is_some_and(|p| p.is_file())
    );
    // Nothing left to upload on the tablet: what it downloaded is HQ's already.
    assert!(tablet.store.pending_uploads().unwrap().is_empty());

    // A blob HQ does not hold is an error, not an empty photo.
    let missing = fieldcore::sha256_hex(b"never uploaded");
    match tablet.store.fetch_blob(&tablet.config, &missing, &cancel) {
        Err(Error::EntryNotFound(_)) => {}
        other => panic!("expected not found, got {other:?}"),
    }
    eprintln!(
        "photo {} bytes, thumbnail {} bytes, synced in {} ms",
        photos[0].record.size, photos[0].record.thumbnail_size, report.millis
    );
}
