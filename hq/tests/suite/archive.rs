//! Data lifetime: closed cases archived out of the live database, answered "archived" to a
//! device that pushes to them, and restored exactly; backups of the embedded database.

use fieldcore::testing::{Cmd, registration_for};
use fieldcore::{AckOutcome, Cause, Outcome};
use fieldhq::archive::{self, Restored};
use fieldhq::archive_dest::{ArchiveDestination, DirDestination, S3Destination};
use fieldhq::{Role, admin};
use reqwest::{Method, StatusCode};

use super::{attach_photo, work};
use crate::common::{Backend, MONTH, TestDevice, TestHq};

/// Far past every test case's close: "archive everything closed".
const LATER: i64 = 4_102_444_800;

fn close_all() -> Vec<Cmd> {
    vec![
        Cmd::Ack,
        Cmd::Arrive,
        Cmd::Confirm(Cause::DesignManufacturing),
        Cmd::Decide(None),
        Cmd::Resolve(Outcome::PartsReplaced),
        Cmd::Customer(true),
        Cmd::Close,
    ]
}

/// The archive in a folder.
pub async fn closed_cases_are_archived_answered_archived_and_restored(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let dest = DirDestination::open(folder.path()).unwrap();
    archive_and_restore(backend, &dest).await;
    // What the archive holds is plain files in the folder.
    assert!(
        folder
            .path()
            .join(format!("{MONTH}-0001/manifest.json"))
            .is_file()
    );
}

/// The archive in the tests' S3 server (skipped without one, see `test_s3_config`).
pub async fn closed_cases_are_archived_to_s3_and_restored(backend: Backend) {
    let Some(config) = crate::common::test_s3_config() else {
        return;
    };
    let dest = S3Destination::connect(&config).await.unwrap();
    assert_eq!(dest.location(), config.url());
    archive_and_restore(backend, &dest).await;
}

/// A device's GET of a blob: the status and the body.
async fn download(hq: &TestHq, device: &TestDevice, bytes: &[u8]) -> (StatusCode, Vec<u8>) {
    let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
    hq.send(Method::GET, &path, Some(&device.token), vec![])
        .await
}

/// Archives a closed case with a photo to `dest`, checks that a device pushing to it is told
/// "archived", restores it and checks it came back exactly, its photo downloadable again.
async fn archive_and_restore(backend: Backend, dest: &dyn ArchiveDestination) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let closed = wang.register();
    let open = wang.register_case(&registration_for("M-OPEN"));
    let (photo, thumb) = (
        b"\xff\xd8 the cracked housing".to_vec(),
        b"\xff\xd8 its thumbnail".to_vec(),
    );
    attach_photo(&mut wang, closed, &photo, &thumb);
    // A trip requested and never decided: the closed case still waits in the approvals
    // inbox (`case_waiting`), which the archive removes with the case's other rows.
    let steps = close_all();
    work(&mut wang, closed, &steps[..1]);
    wang.execute(
        closed,
        &fieldcore::Command::RequestTrip {
            reason: "bearing noise; needs on-site tests".into(),
            planned_for: None,
        },
    );
    work(&mut wang, closed, &steps[1..]);
    work(&mut wang, open, &[Cmd::Ack]);
    wang.sync(&hq).await;
    for bytes in [&photo, &thumb] {
        let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
        let (status, _) = hq
            .send(Method::PUT, &path, Some(&wang.token), bytes.to_vec())
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM case_waiting WHERE kind = 'trip'")
            .await,
        1
    );
    let number = format!("{MONTH}-0001");
    let before = admin::case_detail(hq.storage(), &number).await.unwrap();
    let changes_before = hq.count("SELECT COUNT(*) FROM changes").await;
    // HQ's number change included: the device pulled it.
    let closed_changes = wang.docs[&closed].get_changes(&[]).len() as i64;

    // Wherever this HQ keeps its blobs (a folder, or S3 under `with_s3_blobs`).
    let blobs = hq.blobs().await;
    let done = archive::archive_closed(hq.storage(), &blobs, dest, LATER)
        .await
        .unwrap();
    assert_eq!(done.archived, vec![number.clone()]);
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_waiting").await, 0);
    // The archive holds the document, the record and the manifest, each verified.
    for file in [
        "document.automerge",
        "record.json",
        "record.html",
        "manifest.json",
    ] {
        assert!(
            dest.get(&format!("{number}/{file}"))
                .await
                .unwrap()
                .is_some(),
            "{file}"
        );
    }
    // The photo and its thumbnail are in the archive, listed in its manifest. Only the
    // archived case named them, so they left the live blob store: even their uploader is
    // answered as for a blob HQ does not hold.
    let manifest: archive::Manifest = serde_json::from_slice(
        &dest
            .get(&format!("{number}/manifest.json"))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(manifest.missing_photos.is_empty(), "{manifest:?}");
    for bytes in [&photo, &thumb] {
        let hash = fieldcore::sha256_hex(bytes);
        let key = format!("{number}/photos/{hash}");
        assert_eq!(dest.get(&key).await.unwrap().as_ref(), Some(bytes));
        assert!(manifest.files.iter().any(|f| f.key == key), "{key}");
        assert_eq!(blobs.size(&hash).await.unwrap(), None);
        assert_eq!(download(&hq, &wang, bytes).await.0, StatusCode::NOT_FOUND);
    }
    let html = String::from_utf8(
        dest.get(&format!("{number}/record.html"))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(
        html.contains(&number) && html.contains("M2406-118842"),
        "{html}"
    );
    // Gone from the live database, its number kept by the tombstone; the open case stays.
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM changes").await,
        changes_before - closed_changes
    );
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(hq.count("SELECT COUNT(*) FROM case_index").await, 1);
    assert_eq!(hq.count("SELECT COUNT(*) FROM archived_cases").await, 1);
    // The tombstone says where the case went: the folder, or the s3:// URL.
    let tombstone = tombstone(&hq, &number).await;
    assert_eq!(tombstone.location, dest.location());
    assert!(admin::case_detail(hq.storage(), &number).await.is_err());
    // Idempotent: nothing more to archive.
    let again = archive::archive_closed(hq.storage(), &blobs, dest, LATER)
        .await
        .unwrap();
    assert!(again.archived.is_empty() && again.failed.is_empty());

    // The device, which still holds the case, adds to it: told "archived", nothing stored.
    wang.note(closed, "after the archive");
    let response = wang.sync_once(&hq).await;
    assert_eq!(response.acks, vec![AckOutcome::Archived]);
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 1);
    // Even its whole document does not bring the case back under a new number.
    wang.repair.insert(closed);
    let response = wang.sync_once(&hq).await;
    assert_eq!(response.acks, vec![AckOutcome::Archived]);
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 1);
    wang.repair.remove(&closed);
    // A new case does not take the archived number.
    let newer = wang.register_case(&registration_for("M-NEW"));
    let mut pending = wang.outbox.remove(&closed).unwrap();
    wang.sync(&hq).await;
    assert_eq!(wang.numbers[&newer], format!("{MONTH}-0003"));

    // Restored exactly: the same changes, the same read model as a reindex builds.
    let restored = archive::restore(hq.storage(), &blobs, dest, &number, hq.config.time_zone)
        .await
        .unwrap();
    assert_eq!(
        restored,
        Restored::Restored {
            changes: closed_changes as usize
        }
    );
    assert_eq!(
        archive::restore(hq.storage(), &blobs, dest, &number, hq.config.time_zone)
            .await
            .unwrap(),
        Restored::AlreadyLive
    );
    assert_eq!(hq.count("SELECT COUNT(*) FROM archived_cases").await, 0);
    let after = admin::case_detail(hq.storage(), &number).await.unwrap();
    assert_eq!(after.view, before.view);
    let restored_row = index_row(&hq, &number).await;
    admin::reindex(hq.storage(), hq.config.time_zone)
        .await
        .unwrap();
    assert_eq!(index_row(&hq, &number).await, restored_row);
    assert_eq!(restored_row.status, "closed");

    // Another device of the user pulls the case whole; the first pushes its kept note.
    let mut phone = hq.device("wang").await;
    phone.sync(&hq).await;
    assert_eq!(phone.heads(closed), {
        let mut heads = after_heads(&hq, closed).await;
        heads.sort();
        heads
    });
    // The photo is back in the live store: the new device, which did not upload it, may
    // download it because the restored case names it.
    for bytes in [&photo, &thumb] {
        assert_eq!(
            blobs
                .get(&fieldcore::sha256_hex(bytes))
                .await
                .unwrap()
                .as_ref(),
            Some(bytes)
        );
        assert_eq!(
            download(&hq, &phone, bytes).await,
            (StatusCode::OK, bytes.to_vec())
        );
    }
    wang.outbox.insert(closed, std::mem::take(&mut pending));
    let responses = wang.sync(&hq).await;
    assert!(
        responses
            .iter()
            .flat_map(|r| &r.acks)
            .all(|a| *a == AckOutcome::Applied)
    );
    phone.sync(&hq).await;
    let view = fieldcore::build_view(
        &phone.docs[&closed],
        closed,
        &fieldcore::Policies::default(),
    )
    .unwrap();
    assert!(
        view.notes
            .iter()
            .any(|n| n.body.text == "after the archive")
    );
    // Nothing duplicated: one row per case, the log holding each change once.
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 3);
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM (SELECT case_id, hash FROM changes GROUP BY case_id, hash HAVING COUNT(*) > 1) d")
            .await,
        0
    );
}

/// HQ's heads of a case, from its stored changes.
/// The tombstone HQ keeps for an archived case's number.
async fn tombstone(hq: &TestHq, number: &str) -> fieldhq::storage::Tombstone {
    let wanted = number.to_owned();
    hq.storage()
        .read(move |tx| Box::pin(async move { tx.tombstone_by_number(&wanted).await }))
        .await
        .unwrap()
        .expect("a tombstone for the number")
}

async fn after_heads(hq: &TestHq, case: uuid::Uuid) -> Vec<automerge::ChangeHash> {
    let histories = hq
        .storage()
        .read(move |tx| Box::pin(async move { tx.histories(&[case]).await }))
        .await
        .unwrap();
    let doc = fieldhq::changes::load_document(&histories[&case].concat()).unwrap();
    doc.get_heads()
}

/// The read-model row of the case numbered `number`.
async fn index_row(hq: &TestHq, number: &str) -> fieldhq::storage::CaseIndexRow {
    admin::case_index(hq.storage(), fieldhq::storage::CaseIndexQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.number == number)
        .unwrap()
}

/// `fieldhq backup` while HQ serves, HQ's data folder lost and restored from it: the devices
/// sync on. Their offline work arrives once and numbering continues without reusing a
/// number. (Work HQ acknowledged after the backup is not recovered from devices: ADR 0028.)
pub async fn a_backup_taken_while_serving_restores_and_devices_sync_on(backend: Backend) {
    let mut hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let mut zhou = hq.person("zhou", Role::HqStaff, None).await;
    let first = wang.register();
    wang.sync(&hq).await;
    zhou.sync(&hq).await;
    let data = hq.config.storage().data_dir.clone();
    let backup = tempfile::tempdir().unwrap();
    let dump = backup.path().join("fieldhq.dump");
    match backend {
        Backend::Sqlite => {
            let copied = fieldhq::backup::backup_sqlite(&data, &backup.path().join("b")).unwrap();
            assert!(copied.pages > 0);
            // Backing up into a folder that has a database already is refused.
            assert!(fieldhq::backup::backup_sqlite(&data, &backup.path().join("b")).is_err());
        }
        Backend::Postgres => {
            let (url, schema) = pg_url_and_schema(&hq);
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--schema", &schema, "--file"])
                .arg(&dump)
                .arg(&url)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    // After the backup wang works offline: a second case and a note on the first.
    wang.note(first, "offline, after the backup");
    let second = wang.register_case(&registration_for("M-AFTER"));

    // The data folder is lost; HQ comes back from the backup.
    hq.stop().await;
    match backend {
        Backend::Sqlite => {
            for name in ["hq.db", "hq.db-wal", "hq.db-shm"] {
                let _ = std::fs::remove_file(data.join(name));
            }
            std::fs::copy(backup.path().join("b/hq.db"), data.join("hq.db")).unwrap();
        }
        Backend::Postgres => {
            let (url, schema) = pg_url_and_schema(&hq);
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(connection);
            client
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
            drop(client);
            let _ = task.await;
            let status = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &url])
                .arg(&dump)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
    hq.restart().await;

    wang.sync(&hq).await;
    zhou.sync(&hq).await;
    // wang's offline case arrived once and took the next number; zhou has both cases.
    assert_eq!(wang.numbers[&second], format!("{MONTH}-0002"));
    assert_eq!(hq.count("SELECT COUNT(*) FROM cases").await, 2);
    assert_eq!(zhou.heads(first), wang.heads(first));
    assert_eq!(zhou.heads(second), wang.heads(second));
    // Work after the restore goes round as before.
    wang.note(first, "after the restore");
    wang.sync(&hq).await;
    zhou.sync(&hq).await;
    assert_eq!(zhou.heads(first), wang.heads(first));
    assert_eq!(
        hq.count(
            "SELECT COUNT(*) FROM (SELECT case_id, hash FROM changes \
             GROUP BY case_id, hash HAVING COUNT(*) > 1) d"
        )
        .await,
        0
    );
}

/// The server's URL without the test's schema option, and that schema's name.
fn pg_url_and_schema(hq: &TestHq) -> (String, String) {
    let url = hq.config.database_url.clone().unwrap();
    let (base, schema) = url.split_once("options=-csearch_path%3D").unwrap();
    (
        base.trim_end_matches(['?', '&']).to_owned(),
        schema.to_owned(),
    )
}

/// `fieldhq archive --to s3://…` and `archive restore --from s3://…`: the same `--s3-*`
/// settings as `--blobs`, the credentials from the environment only (refused, naming the
/// variables, without them), the tombstone recording the s3:// URL.
pub async fn the_archive_commands_take_an_s3_location() {
    let Some(config) = crate::common::test_s3_config() else {
        return;
    };
    let hq = TestHq::start(Backend::Sqlite).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let closed = wang.register();
    work(&mut wang, closed, &close_all());
    wang.sync(&hq).await;
    let number = format!("{MONTH}-0001");
    let data = hq.config.storage().data_dir;
    let url = config.url();
    let endpoint = config.endpoint.clone().unwrap();
    let run = |args: &[&str], credentials: bool| {
        let mut command = crate::common::fieldhq_command(&data);
        command
            .args([
                "--lang",
                "en",
                "--s3-endpoint",
                &endpoint,
                "--s3-path-style",
            ])
            .args(args)
            .env_remove("FIELDHQ_BLOBS")
            .env_remove(fieldhq::blob_s3::SESSION_TOKEN_VAR);
        if credentials {
            command
                .env(fieldhq::blob_s3::ACCESS_KEY_VAR, &config.access_key_id)
                .env(
                    fieldhq::blob_s3::SECRET_KEY_VAR,
                    &config.secret_access_key.0,
                );
        } else {
            command
                .env_remove(fieldhq::blob_s3::ACCESS_KEY_VAR)
                .env_remove(fieldhq::blob_s3::SECRET_KEY_VAR);
        }
        command.output().unwrap()
    };
    let archive = ["archive", "--closed-before", "2100-01-01", "--to", &url];

    let refused = run(&archive, false);
    assert!(!refused.status.success(), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("no credentials were given")
            && stderr.contains(fieldhq::blob_s3::ACCESS_KEY_VAR)
            && stderr.contains(fieldhq::blob_s3::SECRET_KEY_VAR),
        "{stderr}"
    );
    assert_eq!(hq.count("SELECT COUNT(*) FROM archived_cases").await, 0);

    let archived = run(&archive, true);
    assert!(archived.status.success(), "{archived:?}");
    let stdout = String::from_utf8_lossy(&archived.stdout);
    assert!(
        stdout.contains(&format!("1 closed cases archived to {url}")),
        "{stdout}"
    );
    let tombstone = tombstone(&hq, &number).await;
    assert_eq!(tombstone.location, url);
    let bucket = S3Destination::connect(&config).await.unwrap();
    assert!(
        bucket
            .get(&format!("{number}/manifest.json"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(admin::case_detail(hq.storage(), &number).await.is_err());

    let restored = run(&["archive", "restore", &number, "--from", &url], true);
    assert!(restored.status.success(), "{restored:?}");
    let stdout = String::from_utf8_lossy(&restored.stdout);
    assert!(
        stdout.contains(&format!("case {number} restored from the archive")),
        "{stdout}"
    );
    assert_eq!(hq.count("SELECT COUNT(*) FROM archived_cases").await, 0);
    assert_eq!(
        admin::case_detail(hq.storage(), &number)
            .await
            .unwrap()
            .view
            .number
            .as_deref(),
        Some(number.as_str())
    );
}
