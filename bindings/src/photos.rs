//! Photo evidence as the apps see it: the results of importing, the photos of a case with
//! where their files are, and what a clean-up removed.

use std::path::PathBuf;

use fieldcore::PhotoKind;
use fieldcore::UploadState;

use crate::error::{FieldError, Result};
use crate::view::{CasePhoto, CaseView};

/// A photo of a case with where its bytes stand.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoInfo {
    pub photo: CasePhoto,
    pub upload: UploadState,
    /// The thumbnail's file, when it is on this device (decode it directly; it is a JPEG).
    pub thumbnail_path: Option<String>,
}

/// What importing one photo did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoImport {
    /// The photo's hash: cite it as evidence, or as a signature in a confirmation.
    pub hash: String,
    pub view: CaseView,
}

/// One file of a batch import.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoFile {
    /// An absolute path the library can read (copy a content URI or a PHAsset to a file in the
    /// app's cache first).
    pub path: String,
    pub kind: PhotoKind,
    #[uniffi(default)]
    pub caption: String,
}

/// What a batch import did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoBatch {
    /// The hashes of the photos imported, in the order given.
    pub hashes: Vec<String>,
    /// The case after the batch.
    pub view: CaseView,
}

/// What a clean-up of the blob folder removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Collected {
    /// Uploaded photos no case references any more.
    pub blobs: u64,
    /// Files left by an import that crashed before it was recorded.
    pub orphans: u64,
    /// Temporary files left by a crash mid-write.
    pub temporaries: u64,
}

impl From<fieldcore::Collected> for Collected {
    fn from(c: fieldcore::Collected) -> Collected {
        Collected {
            blobs: c.blobs as u64,
            orphans: c.orphans as u64,
            temporaries: c.temporaries as u64,
        }
    }
}

impl TryFrom<fieldcore::PhotoInfo> for PhotoInfo {
    type Error = FieldError;

    fn try_from(info: fieldcore::PhotoInfo) -> Result<PhotoInfo> {
        Ok(PhotoInfo {
            photo: fieldcore::CasePhoto {
                hash: info.hash,
                record: info.record,
            }
            .into(),
            upload: info.upload,
            thumbnail_path: info.thumbnail_path.map(path_text).transpose()?,
        })
    }
}

/// Paths on Android and iOS are UTF-8; anything else is a bug somewhere.
pub(crate) fn path_text(path: PathBuf) -> Result<String> {
    path.into_os_string()
        .into_string()
        .map_err(|_| FieldError::internal("a file path is not UTF-8"))
}
