//! Whether a case document is one every device of this version can read: the check HQ runs on
//! every case a push creates or changes, with the same schema and view code the devices use.

use automerge::Automerge;

use crate::case::document::{case_id_of, check_schema};
use crate::case::view::{self, CaseView};
use crate::model::CaseId;
use crate::rules::policy::Policies;

/// Reads `doc` as case `case_id` the way a device will, or says why no device could. The view
/// comes back so the caller need not build it twice.
pub fn check_case(
    doc: &Automerge,
    case_id: CaseId,
    policies: &Policies,
) -> std::result::Result<CaseView, String> {
    check_schema(doc)?;
    if case_id_of(doc) != Some(case_id) {
        return Err("the document says it is another case".into());
    }
    view::build(doc, case_id, policies).map_err(|e| format!("the case cannot be read: {e}"))
}
