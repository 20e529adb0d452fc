//! The one error type of the core. Messages name fields and ids, never personal data, so they
//! can be logged and shown as they are.

use std::path::PathBuf;

use crate::model::{CaseId, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a command is missing or wrong; nothing was written.
    #[error("invalid {field}: {reason}")]
    Validation { field: &'static str, reason: String },

    #[error("case {0} not found")]
    CaseNotFound(CaseId),

    #[error("entry {0} not found on this case")]
    EntryNotFound(String),

    /// The lifecycle does not allow this step from the case's current status.
    #[error("cannot {action} a case that is {}", .from.as_str())]
    InvalidTransition { from: Status, action: &'static str },

    /// The user's role may not write this field (the table in `rules::authority`); HQ would
    /// refuse the change at sync, so the device refuses it first. Nothing was written.
    #[error("not permitted: {0}")]
    NotPermitted(String),
    /// The case's status was written by a newer version of the app, so this version cannot
    /// tell what the step means from it (ADR 0009). Nothing was written; updating the app
    /// makes the step possible again.
    #[error(
        "cannot {action} a case whose status `{status}` comes from a newer version of the app; update the app"
    )]
    UnknownStatus {
        status: String,
        action: &'static str,
    },

    /// Two replicas set this decision concurrently; a person must resolve it first.
    #[error("{field} has concurrent values; resolve the conflict first")]
    Conflict { field: String },

    /// A step that relies on the warranty decision, refused because the decision was made on
    /// registration facts corrected since; `StaleStep` words it in either locale.
    #[error("{}", crate::case::correction_text::CorrectionText::RefusedWhileStale(*.0).text(crate::locale::Locale::En))]
    StaleWarranty(crate::case::correction_text::StaleStep),

    /// The database file could not be opened as a database; it was moved aside, not deleted.
    #[error("database could not be opened ({reason}); it was moved to {}", .moved_to.display())]
    CorruptDatabase { moved_to: PathBuf, reason: String },

    /// The database was written by a newer version of the app.
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    NewerSchema { found: i64, supported: i64 },

    /// A stored case document could not be read back.
    #[error("stored document of case {case_id} is damaged: {reason}")]
    CorruptDocument { case_id: CaseId, reason: String },

    /// A document from another replica could not be merged.
    #[error("document could not be merged: {0}")]
    InvalidDocument(String),

    /// A photo in a format the device does not read (HEIC, TIFF, ...); convert it on the
    /// platform (to JPEG) before importing.
    #[error("unsupported photo format {format}: {hint}")]
    UnsupportedPhoto { format: String, hint: String },

    /// Photo bytes that cannot be decoded (truncated, damaged, not an image).
    #[error("photo could not be read: {0}")]
    InvalidPhoto(String),

    /// A photo whose size would need more pixels or memory than the policy allows.
    #[error("photo too large: {0}")]
    PhotoTooLarge(String),

    /// HQ could not be reached, or kept failing, after the retries.
    #[error("network error: {0}")]
    Network(String),

    /// HQ refused this device: a wrong or revoked token, or a write it may not make.
    #[error("refused by HQ: {0}")]
    Unauthorized(String),

    /// HQ and the device do not understand each other (a malformed or oversized message, an
    /// unsupported protocol version).
    #[error("sync protocol error: {0}")]
    Protocol(String),

    /// The caller cancelled the operation; what was stored before stays stored.
    #[error("cancelled")]
    Cancelled,

    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),

    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn validation(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Validation {
            field,
            reason: reason.into(),
        }
    }
}
