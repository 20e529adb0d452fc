//! Whether a case document is one every device of this version can read: the check HQ runs on
//! every case a push creates or changes, with the same schema and view code the devices use.
//! Devices read leniently (content of a newer app is shown as unknown, ADR 0009); HQ, upgraded
//! before the devices, is strict: content it does not know never enters its log.

use automerge::Automerge;

use crate::case::document::Root;
use crate::case::view::{self, CaseView, UnknownContent};
use crate::error::Error;
use crate::model::CaseId;
use crate::rules::policy::Policies;

/// Why [`check_case`] refused a document.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Not a case document of a schema this version reads (newer, absent, a map missing).
    #[error("{0}")]
    Schema(String),
    /// The document's `case_id` is not the case it was pushed as.
    #[error("the document says it is another case")]
    OtherCase,
    /// No version can read it: JSON that does not parse, a value of the wrong type, a case
    /// without its registration.
    #[error("the case cannot be read: {0}")]
    Unreadable(Error),
    /// Readable, but holding content this version does not know; every item is named.
    #[error("the case holds content this version does not know: {}", list(.0))]
    UnknownContent(Vec<UnknownContent>),
}

fn list(unknown: &[UnknownContent]) -> String {
    unknown
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// HQ reports a refused push as text; this keeps `?` working where it does.
impl From<CheckError> for String {
    fn from(e: CheckError) -> String {
        e.to_string()
    }
}

/// Reads `doc` as case `case_id` the way a device will, or says why a device of this version
/// could not read all of it. The view comes back so the caller need not build it twice.
pub fn check_case(
    doc: &Automerge,
    case_id: CaseId,
    policies: &Policies,
) -> std::result::Result<CaseView, CheckError> {
    let view = read_case(doc, case_id, policies)?;
    if !view.unknown.is_empty() {
        return Err(CheckError::UnknownContent(view.unknown));
    }
    Ok(view)
}

/// [`check_case`] without its last step: a readable case's view, unknown content listed in
/// `view.unknown` rather than refused. HQ uses it to tell content a push brings from content
/// it already holds.
pub fn read_case(
    doc: &Automerge,
    case_id: CaseId,
    policies: &Policies,
) -> std::result::Result<CaseView, CheckError> {
    let root = Root::read(doc);
    root.check().map_err(CheckError::Schema)?;
    if root.case_id() != Some(case_id) {
        return Err(CheckError::OtherCase);
    }
    view::build_from(doc, &root, case_id, policies).map_err(CheckError::Unreadable)
}
