//! `fieldctl photo`: attach photo files to a case, list a case's photos, show and export one,
//! take one off. A photo is named by its hash or an unambiguous prefix of it among the photos
//! of its case.

use std::path::Path;

use fieldcore::{CaseId, CaseView, Timestamp};
use fieldcore::{PhotoInfo, Store};
use serde_json::{Value, json};

use super::text;
use crate::args::{CaseRef, PhotoAddArgs, PhotoCommand, PhotoRef, PhotoShowArgs};
use crate::device::{Env, execute_in};
use crate::error::{CliError, Result};
use crate::output::{Printer, locale, to_value, view_json};
use crate::reason::Reason;

/// The shortest prefix accepted: shorter ones are easy to mistype into someone else's photo.
const MIN_PREFIX: usize = 6;
const HASH_LEN: usize = 64;

pub fn run(env: &Env, command: PhotoCommand, out: &Printer) -> Result<()> {
    match command {
        PhotoCommand::Add(args) => add(env, &args, out),
        PhotoCommand::List(case) => list(env, &case, out),
        PhotoCommand::Show(args) => show(env, &args, out),
        PhotoCommand::Remove {
            case,
            photo,
            reason,
        } => {
            let prefix = prefix(&photo)?;
            let (mut store, id) = open(env, &case)?;
            let hash = resolve(&store.photos(id)?, &prefix)?.hash.clone();
            execute_in(
                &mut store,
                id,
                fieldcore::Command::RemovePhoto { hash, reason },
                out,
            )
        }
    }
}

fn add(env: &Env, args: &PhotoAddArgs, out: &Printer) -> Result<()> {
    // Checked before the database is opened: a mistyped path writes nothing. The format, the
    // size and the pixels are checked by the core before anything is stored.
    let file = &args.file;
    let metadata = std::fs::metadata(file).map_err(|e| {
        CliError::invalid(
            "file",
            Reason::FileUnreadable {
                path: file.clone(),
                detail: e.to_string(),
            },
        )
    })?;
    if !metadata.is_file() {
        return Err(CliError::invalid(
            "file",
            Reason::NotAFile { path: file.clone() },
        ));
    }
    let (mut store, id) = open(env, &args.case)?;
    let (view, hash) = store.import_photo_file(id, file, args.kind, &args.caption)?;
    print_added(out, &view, &hash, store.now())
}

fn list(env: &Env, case: &CaseRef, out: &Printer) -> Result<()> {
    let (mut store, id) = open(env, case)?;
    let photos = store.photos(id)?;
    if out.is_json() {
        return out.json(&photos);
    }
    out.text(&text::table(&photos))
}

fn show(env: &Env, args: &PhotoShowArgs, out: &Printer) -> Result<()> {
    let prefix = prefix(&args.photo)?;
    let (mut store, id) = open(env, &args.case)?;
    let photos = store.photos(id)?;
    let info = resolve(&photos, &prefix)?;
    let Some(path) = &args.out else {
        return print_photo(out, info, None);
    };
    let blob = if args.thumbnail {
        &info.record.thumbnail_hash
    } else {
        &info.hash
    };
    let bytes = match store.blob(blob) {
        Err(fieldcore::Error::EntryNotFound(_)) => {
            return Err(CliError::PhotoNotHere(info.hash.clone()));
        }
        other => other?,
    };
    std::fs::write(path, &bytes).map_err(|source| CliError::WriteFile {
        path: path.clone(),
        source,
    })?;
    print_photo(out, info, Some((path.as_path(), bytes.len())))
}

/// A photo just attached: its hash, size and dimensions, and where the case stands.
fn print_added(out: &Printer, view: &CaseView, hash: &str, now: Timestamp) -> Result<()> {
    if out.is_json() {
        return out.json(&json!({ "case": view_json(view, now)?, "photo": hash }));
    }
    out.text(&text::added(view, hash, now))
}

/// One photo's record and, when it was exported, where to and how many bytes.
fn print_photo(out: &Printer, info: &PhotoInfo, written: Option<(&Path, usize)>) -> Result<()> {
    if out.is_json() {
        let mut value = to_value(info)?;
        if let (Value::Object(object), Some((path, bytes))) = (&mut value, written) {
            object.insert(
                "written".into(),
                json!({ "path": path.display().to_string(), "bytes": bytes }),
            );
        }
        return out.json(&value);
    }
    let mut text = text::record(info);
    if let Some((path, bytes)) = written {
        text.push_str(&locale().pick(
            format!("已将 {bytes} 字节写入 {}\n", path.display()),
            format!("wrote {bytes} bytes to {}\n", path.display()),
        ));
    }
    out.text(&text)
}

fn open(env: &Env, case: &CaseRef) -> Result<(Store, CaseId)> {
    let store = env.open_existing()?;
    let id = store.find(&case.case)?;
    Ok((store, id))
}

/// The hash as typed, checked for form before the database is opened.
fn prefix(photo: &PhotoRef) -> Result<String> {
    let prefix = photo.hash.trim().to_ascii_lowercase();
    if !(MIN_PREFIX..=HASH_LEN).contains(&prefix.len())
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(CliError::invalid(
            "hash",
            Reason::NotHashPrefix { min: MIN_PREFIX },
        ));
    }
    Ok(prefix)
}

/// The one photo of the case whose hash starts with `prefix`.
fn resolve<'a>(photos: &'a [PhotoInfo], prefix: &str) -> Result<&'a PhotoInfo> {
    let mut matches = photos.iter().filter(|p| p.hash.starts_with(prefix));
    match (matches.next(), matches.next()) {
        (Some(one), None) => Ok(one),
        // A whole hash names a photo, as the core would: it is just not on this case.
        (None, _) if prefix.len() == HASH_LEN => {
            Err(fieldcore::Error::EntryNotFound(prefix.to_owned()).into())
        }
        (None, _) => Err(CliError::invalid(
            "hash",
            Reason::NoPhotoStartsWith {
                prefix: prefix.to_owned(),
            },
        )),
        (Some(_), Some(_)) => Err(CliError::invalid("hash", Reason::SeveralPhotosMatch)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn photo(hash: &str) -> PhotoRef {
        PhotoRef {
            hash: hash.to_owned(),
        }
    }

    #[test]
    fn prefixes_are_hex_and_long_enough() {
        assert_eq!(prefix(&photo(" AbC123 ")).unwrap(), "abc123");
        for bad in ["abc12", "abcdeg", &"a".repeat(65), "", "photo.jpg"] {
            let err = prefix(&photo(bad)).unwrap_err();
            assert_eq!(err.field().as_deref(), Some("hash"), "{bad:?}");
            assert_eq!(err.exit_code(), 2);
        }
    }
}
