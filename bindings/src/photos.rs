//! Photo evidence as the apps see it: the results of importing, the photos of a case with
//! where their files are, and what a clean-up removed.

use std::path::PathBuf;

use fieldcore::UploadState;
use fieldcore::{GpsPosition, PhotoKind};

use crate::convert::{self, CaseId};
use crate::error::{FieldError, Result};
use crate::store::{FieldStore, view_of};
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

/// A photo the platform decoded: HEIC (what iPhones and many Android phones shoot) through
/// ImageIO or ImageDecoder, which decode it in hardware. See docs/mobile.md for the calls.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoPixels {
    /// `width × height × 4` bytes, R G B A, 8 bits each, rows without padding, in sRGB (ask
    /// the platform for sRGB: a Display P3 photo is converted by the decoder). Alpha is
    /// composited on white.
    pub rgba: Vec<u8>,
    pub width: i32,
    pub height: i32,
    /// The EXIF orientation, 1 to 8; 1 when the platform already turned the pixels upright.
    #[uniffi(default = 1)]
    pub orientation: i32,
    /// When the photo was taken, `YYYY-MM-DDTHH:MM:SS` with an optional offset (`+08:00`),
    /// as the file's EXIF says it.
    #[uniffi(default)]
    pub taken_at: Option<String>,
    /// Where, only when the user allowed the app to read the photo's location; stored only
    /// when the photo policy keeps positions.
    #[uniffi(default)]
    pub location: Option<GpsPosition>,
}

#[uniffi::export]
impl FieldStore {
    /// Imports a photo the app decoded itself (HEIC), as `import_photo` imports a file: the
    /// same size limits, resize, orientation, thumbnail and encoding, and the same refusals
    /// (`FieldError.UnsupportedInput` for pixels of the wrong length or over the policy's
    /// size, `FieldError.Validation` for a capture time or location that cannot be read).
    #[uniffi::method(default(caption = ""))]
    pub fn import_photo_pixels(
        &self,
        case_id: CaseId,
        pixels: PhotoPixels,
        kind: PhotoKind,
        caption: String,
    ) -> Result<PhotoImport> {
        let pixels = fieldcore::PlatformPixels {
            rgba: pixels.rgba,
            width: convert::unsigned("width", pixels.width)?,
            height: convert::unsigned("height", pixels.height)?,
            orientation: convert::unsigned("orientation", pixels.orientation)?,
            taken_at: pixels.taken_at,
            location: pixels.location,
        };
        let import = {
            let mut store = self.lock()?;
            let (view, hash) = store.import_photo_pixels(case_id, pixels, kind, &caption)?;
            PhotoImport {
                hash,
                view: view_of(&store, view)?,
            }
        };
        // Outside the lock: the observer may call the store.
        self.observation.cases_changed([case_id]);
        Ok(import)
    }
}

/// What a clean-up of the blob folder removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Collected {
    /// Uploaded photos no case references any more.
    pub blobs: i64,
    /// Files left by an import that crashed before it was recorded.
    pub orphans: i64,
    /// Temporary files left by a crash mid-write.
    pub temporaries: i64,
}

impl From<fieldcore::Collected> for Collected {
    fn from(c: fieldcore::Collected) -> Collected {
        Collected {
            blobs: convert::signed(c.blobs),
            orphans: convert::signed(c.orphans),
            temporaries: convert::signed(c.temporaries),
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
