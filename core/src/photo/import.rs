//! Photos as evidence on a case: importing (process, write blobs, attach), listing with upload
//! state, blobs arriving from HQ, and garbage collection of blobs nobody needs any more.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::case::commands::Command;
use crate::case::records::{PhotoAttachment, PhotoRecord};
use crate::case::view::CaseView;
use crate::error::{Error, Invalid, Result};
use crate::model::{CaseId, PhotoKind};
use crate::photo::decode;
use crate::photo::pipeline::{self, PlatformPixels};
use crate::rules::validate;
use crate::store::{Store, blob_uploaded, record_blob};

/// Where a blob stands between this device and HQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Here, not yet confirmed by HQ.
    Pending,
    /// HQ has it.
    Uploaded,
    /// Referenced by the case (another replica attached it) but not on this device yet.
    NotHere,
}

/// A photo of a case as a list screen shows it: the description and the thumbnail's path,
/// never the full image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoInfo {
    pub hash: String,
    #[serde(flatten)]
    pub record: PhotoRecord,
    pub upload: UploadState,
    /// The thumbnail file, when it is on this device.
    pub thumbnail_path: Option<PathBuf>,
}

/// What a garbage collection removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collected {
    /// Uploaded blobs no case references any more.
    pub blobs: usize,
    /// Blob files with no record: left by an import that crashed before its transaction.
    pub orphans: usize,
    /// Temporary files left by a crash mid-write.
    pub temporaries: usize,
}

impl Store {
    /// Processes a camera photo (decode with limits, orient, resize, re-encode, thumbnail,
    /// strip metadata), writes both blobs atomically and attaches the photo to the case, in
    /// that order: a crash leaves at most an unreferenced blob, never a dangling reference.
    /// The same photo imported again is stored once; attaching it twice to one case is refused.
    pub fn import_photo(
        &mut self,
        case_id: CaseId,
        bytes: &[u8],
        kind: PhotoKind,
        caption: &str,
    ) -> Result<(CaseView, String)> {
        // An unknown case is refused before the costly processing.
        self.case(case_id)?;
        validate::optional_text("caption", Some(caption))?;
        let processed = pipeline::process(bytes, &self.policies.photos)?;
        self.attach_processed(case_id, processed, kind, caption)
    }

    /// Imports a photo the platform decoded (HEIC through ImageIO or ImageDecoder, which phones
    /// do in hardware): the same resize, orientation, thumbnail, encoding and attachment as
    /// [`Store::import_photo`], from RGBA pixels with the orientation, capture time and
    /// location the app read from the file.
    pub fn import_photo_pixels(
        &mut self,
        case_id: CaseId,
        pixels: PlatformPixels,
        kind: PhotoKind,
        caption: &str,
    ) -> Result<(CaseView, String)> {
        self.case(case_id)?;
        validate::optional_text("caption", Some(caption))?;
        let processed = pipeline::process_pixels(pixels, &self.policies.photos)?;
        self.attach_processed(case_id, processed, kind, caption)
    }

    /// Writes both blobs of a processed photo and attaches it, in that order: a crash leaves
    /// at most an unreferenced blob, never a dangling reference.
    fn attach_processed(
        &mut self,
        case_id: CaseId,
        processed: pipeline::ProcessedPhoto,
        kind: PhotoKind,
        caption: &str,
    ) -> Result<(CaseView, String)> {
        let attachment = PhotoAttachment {
            hash: processed.sha256.clone(),
            kind,
            caption: caption.to_owned(),
            taken_at: processed.taken_at.clone(),
            size: processed.jpeg.len() as u64,
            width: processed.width,
            height: processed.height,
            thumbnail_hash: processed.thumbnail_sha256.clone(),
            thumbnail_size: processed.thumbnail.len() as u64,
            gps: processed.gps,
        };
        self.blobs.put(&attachment.hash, &processed.jpeg)?;
        self.blobs
            .put(&attachment.thumbnail_hash, &processed.thumbnail)?;
        let hash = attachment.hash.clone();
        let thumbnail = attachment.thumbnail_hash.clone();
        let new_blobs = [
            (hash.as_str(), attachment.size),
            (thumbnail.as_str(), attachment.thumbnail_size),
        ];
        let (view, _) =
            self.execute_with_blobs(case_id, &Command::AttachPhoto(attachment), &new_blobs)?;
        Ok((view, hash))
    }

    /// Imports a photo from a file, refusing files over the policy's size before reading them.
    pub fn import_photo_file(
        &mut self,
        case_id: CaseId,
        path: &Path,
        kind: PhotoKind,
        caption: &str,
    ) -> Result<(CaseView, String)> {
        let limit = self.policies.photos.max_input_bytes as u64;
        let file = std::fs::File::open(path)?;
        decode::check_file_size(file.metadata()?.len(), &self.policies.photos)?;
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes)?;
        self.import_photo(case_id, &bytes, kind, caption)
    }

    /// The photos of a case with their upload state and thumbnail paths; loads no image.
    pub fn photos(&mut self, case_id: CaseId) -> Result<Vec<PhotoInfo>> {
        let view = self.case(case_id)?;
        view.photos
            .into_iter()
            .map(|photo| {
                let upload = match blob_uploaded(self.conn(), &photo.hash)? {
                    Some(true) => UploadState::Uploaded,
                    Some(false) => UploadState::Pending,
                    None => UploadState::NotHere,
                };
                let thumbnail = self.blobs.path(&photo.record.thumbnail_hash)?;
                Ok(PhotoInfo {
                    hash: photo.hash,
                    record: photo.record,
                    upload,
                    thumbnail_path: thumbnail.is_file().then_some(thumbnail),
                })
            })
            .collect()
    }

    /// The bytes of a blob (a photo or a thumbnail) on this device.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        match self.blobs.read(hash) {
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::EntryNotFound(hash.to_owned()))
            }
            other => other,
        }
    }

    /// Where a blob's file is, whether or not it is there yet.
    pub fn blob_path(&self, hash: &str) -> Result<PathBuf> {
        self.blobs.path(hash)
    }

    /// Blobs written here that HQ has not confirmed yet, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT hash FROM blobs WHERE uploaded = 0 ORDER BY created_at, hash",
        )?;
        let hashes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hashes)
    }

    /// Records that HQ holds this blob, so it may be collected once no case needs it.
    pub fn mark_uploaded(&mut self, hash: &str) -> Result<()> {
        let changed = self
            .write(|tx| Ok(tx.execute("UPDATE blobs SET uploaded = 1 WHERE hash = ?1", [hash])?))?;
        if changed == 0 {
            return Err(Error::EntryNotFound(hash.to_owned()));
        }
        Ok(())
    }

    /// Stores a blob fetched from HQ (a tablet opening a photo taken on a phone), after
    /// checking the bytes are the ones the hash names.
    pub fn receive_blob(&mut self, hash: &str, bytes: &[u8]) -> Result<()> {
        validate::photo_hash("hash", hash)?;
        if pipeline::sha256_hex(bytes) != hash {
            return Err(Error::validation("hash", Invalid::HashMismatch));
        }
        self.blobs.put(hash, bytes)?;
        self.write(|tx| record_blob(tx, hash, bytes.len() as u64, true))
    }

    /// Removes uploaded blobs no case references, blob files without a record and temporary
    /// files left by crashes. Blobs not yet uploaded are always kept: they may be the only copy.
    pub fn collect_garbage(&mut self) -> Result<Collected> {
        let mut collected = Collected {
            temporaries: self.blobs.sweep_temporaries()?,
            ..Collected::default()
        };
        let unreferenced: Vec<String> = self
            .conn()
            .prepare(
                "SELECT hash FROM blobs WHERE uploaded = 1 \
                 AND hash NOT IN (SELECT hash FROM photo_refs)",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for hash in &unreferenced {
            // The row goes first: a crash in between leaves an orphan file, collected next time.
            self.write(|tx| Ok(tx.execute("DELETE FROM blobs WHERE hash = ?1", [hash])?))?;
            self.blobs.remove(hash)?;
            collected.blobs += 1;
        }
        for hash in self.blobs.hashes()? {
            if blob_uploaded(self.conn(), &hash)?.is_none() {
                self.blobs.remove(&hash)?;
                collected.orphans += 1;
            }
        }
        Ok(collected)
    }
}
