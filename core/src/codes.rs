//! The stable code of every refusal and failure the core reports (`validation.negative`,
//! `lifecycle.case_closed`, `authority.not_permitted`, ...): the same in every version and
//! language, so an app can show its own text for it and a support desk can search for it.
//!
//! Each code is written once, in the tables below: the macro turns a table into the `code()`
//! match (exhaustive, so a new variant does not compile without its code) and into the list
//! of every code ([`all_codes`]), which docs/mobile.md's table is checked against. A code
//! is never reused for another meaning nor renamed; a new refusal gets a new code.

use crate::case::plan_deadlines::DeadlineRefusal;
use crate::error::{Error, Invalid};
use crate::model::Status;

/// The code of a failure found outside the core: a bug or an impossible state in a layer above
/// it (the mobile bindings reading a value back). Listed with the others so one list holds
/// every code an app can meet.
pub const INTERNAL_CODE: &str = "internal";

/// Writes `code()` for `$ty` from a table of `pattern => "code"` arms, and the list `$list`
/// of those codes. A `delegating` arm first hands a variant to another table (a validation
/// error's code is its reason's).
macro_rules! code_table {
    (
        $(#[$list_doc:meta])* $list:ident for $ty:ty $(, delegating $dpat:pat => $dexpr:expr)?;
        $($pat:pat $(if $guard:expr)? => $code:literal,)*
    ) => {
        $(#[$list_doc])*
        pub const $list: &[&str] = &[$($code),*];

        impl $ty {
            /// The stable code of this value (see the module's documentation).
            pub fn code(&self) -> &'static str {
                match self {
                    $($dpat => $dexpr,)?
                    $($pat $(if $guard)? => $code,)*
                }
            }
        }
    };
}

code_table! {
    /// The code of every validation reason: `validation.` and the reason's name.
    VALIDATION_CODES for Invalid;
    Invalid::Required => "validation.required",
    Invalid::TooLong { .. } => "validation.too_long",
    Invalid::RequiredWithProofOfPurchase => "validation.required_with_proof_of_purchase",
    Invalid::InTheFuture => "validation.in_the_future",
    Invalid::AfterReceived => "validation.after_received",
    Invalid::AfterPurchase => "validation.after_purchase",
    Invalid::NotFinite => "validation.not_finite",
    Invalid::AtLeastOne => "validation.at_least_one",
    Invalid::AtMost { .. } => "validation.at_most",
    Invalid::OldPartNotKept => "validation.old_part_not_kept",
    Invalid::Negative => "validation.negative",
    Invalid::NotCurrencyCode => "validation.not_currency_code",
    Invalid::NotPhotoHash => "validation.not_photo_hash",
    Invalid::NotPhoneNumber => "validation.not_phone_number",
    Invalid::NotDate => "validation.not_date",
    Invalid::NotTimestamp => "validation.not_timestamp",
    Invalid::NotCaseId => "validation.not_case_id",
    Invalid::DefectNotConfirmed => "validation.defect_not_confirmed",
    Invalid::CoveredNotCharged => "validation.covered_not_charged",
    Invalid::CoveredNotPaidRepair => "validation.covered_not_paid_repair",
    Invalid::NotDecisionField => "validation.not_decision_field",
    Invalid::PartLineRemoved => "validation.part_line_removed",
    Invalid::NoOldPartKept => "validation.no_old_part_kept",
    Invalid::OldPartReturned => "validation.old_part_returned",
    Invalid::NothingToUpdate => "validation.nothing_to_update",
    Invalid::PhotoAlreadyOnCase { .. } => "validation.photo_already_on_case",
    Invalid::PhotoNotOnCase => "validation.photo_not_on_case",
    Invalid::PhotoNotImported => "validation.photo_not_imported",
    Invalid::NoConflict => "validation.no_conflict",
    Invalid::ChoiceOutOfRange { .. } => "validation.choice_out_of_range",
    Invalid::ReceivedBeforePurchase { .. } => "validation.received_before_purchase",
    Invalid::PeriodBeyondDates { .. } => "validation.period_beyond_dates",
    Invalid::HashMismatch => "validation.hash_mismatch",
    Invalid::NoCertificate => "validation.no_certificate",
    Invalid::BadCertificate { .. } => "validation.bad_certificate",
    Invalid::NoFolder => "validation.no_folder",
    Invalid::NoCaseMatches => "validation.no_case_matches",
    Invalid::SeveralCasesMatch => "validation.several_cases_match",
    Invalid::PageTooLarge { .. } => "validation.page_too_large",
    Invalid::NotCursor => "validation.not_cursor",
    Invalid::UnknownLanguage => "validation.unknown_language",
    Invalid::Deadline(DeadlineRefusal::AlreadyWithQa) => "validation.already_with_qa",
    Invalid::Deadline(DeadlineRefusal::NoInvestigation) => "validation.no_investigation",
    Invalid::Deadline(DeadlineRefusal::AgreedBeforeStart) => "validation.agreed_before_start",
    Invalid::NoCorrection => "validation.no_correction",
    Invalid::InvoicePhotoWithoutProof => "validation.invoice_photo_without_proof",
    Invalid::TripNotApproved => "validation.trip_not_approved",
    Invalid::TripAlreadyWaiting => "validation.trip_already_waiting",
    Invalid::NotHqUser => "validation.not_hq_user",
    Invalid::AlreadyFirstResponder => "validation.already_first_responder",
    Invalid::NotQuarter => "validation.not_quarter",
    Invalid::OutsideQuarter { .. } => "validation.outside_quarter",
    Invalid::DuplicateId { .. } => "validation.duplicate_id",
    Invalid::NotAmount => "validation.not_amount",
    Invalid::NotCaptureTime => "validation.not_capture_time",
    Invalid::NotCoordinate => "validation.not_coordinate",
    Invalid::CaseBeforeReturns => "validation.case_before_returns",
    Invalid::NotZero => "validation.not_zero",
    Invalid::TransferToSelf => "validation.transfer_to_self",
    Invalid::DuplicateTag => "validation.duplicate_tag",
    Invalid::NotStockHolder => "validation.not_stock_holder",
    Invalid::TooMany { .. } => "validation.too_many",
    Invalid::OneModelPerReturn => "validation.one_model_per_return",
    Invalid::OutsideReturnWindow(_) => "validation.outside_return_window",
    Invalid::RefusalNeedsCheck => "validation.refusal_needs_check",
    Invalid::ReceiptRefused => "validation.receipt_refused",
    Invalid::UnitNotReceived => "validation.unit_not_received",
    Invalid::UnitAlreadyInspected => "validation.unit_already_inspected",
    Invalid::NotAnExchange => "validation.not_an_exchange",
    Invalid::ReturnRejected => "validation.return_rejected",
    Invalid::ReplenishmentAlreadyRequested => "validation.replenishment_already_requested",
    Invalid::ReplenishmentNotApproved => "validation.replenishment_not_approved",
    Invalid::ReplacementAlreadyConfirmed => "validation.replacement_already_confirmed",
    Invalid::ReturnOpen { .. } => "lifecycle.return_open",
    Invalid::PartsCatalog(_) => "validation.parts_catalog",
    Invalid::OffCatalogNeedsReason { .. } => "validation.off_catalog_needs_reason",
    Invalid::LossAwaitingApproval => "validation.loss_awaiting_approval",
    Invalid::OldPartsUnaccounted { .. } => "lifecycle.old_part_unaccounted",
}

code_table! {
    /// The code of every error other than a validation reason. A step the lifecycle refuses
    /// is coded by the status that refuses it (`lifecycle.case_closed`): the status is what
    /// the user can see and act on.
    FAILURE_CODES for Error, delegating Error::Validation { reason, .. } => reason.code();
    Error::InvalidTransition { from: Status::Registered, .. } => "lifecycle.case_registered",
    Error::InvalidTransition { from: Status::Acknowledged, .. } => "lifecycle.case_acknowledged",
    Error::InvalidTransition { from: Status::VisitScheduled, .. } => "lifecycle.case_visit_scheduled",
    Error::InvalidTransition { from: Status::OnSite, .. } => "lifecycle.case_on_site",
    Error::InvalidTransition { from: Status::DefectConfirmed, .. } => "lifecycle.case_defect_confirmed",
    Error::InvalidTransition { from: Status::WarrantyDecided, .. } => "lifecycle.case_warranty_decided",
    Error::InvalidTransition { from: Status::Resolved, .. } => "lifecycle.case_resolved",
    Error::InvalidTransition { from: Status::CustomerConfirmed, .. } => "lifecycle.case_customer_confirmed",
    Error::InvalidTransition { from: Status::Closed, .. } => "lifecycle.case_closed",
    Error::InvalidTransition { from: Status::Reopened, .. } => "lifecycle.case_reopened",
    Error::UnknownStatus { .. } => "lifecycle.unknown_status",
    Error::StaleWarranty(_) => "lifecycle.warranty_stale",
    Error::NotPermitted(_) => "authority.not_permitted",
    Error::Conflict { .. } => "conflict.unresolved",
    Error::CaseNotFound(_) => "not_found.case",
    Error::EntryNotFound(_) => "not_found.entry",
    Error::Evicted(_) => "not_found.evicted",
    Error::Io(e) if e.kind() == std::io::ErrorKind::NotFound => "not_found.file",
    Error::Io(_) => "storage.file_system",
    Error::Storage(_) => "storage.database",
    Error::CorruptDatabase { .. } => "storage.corrupt_database",
    Error::NewerSchema { .. } => "storage.newer_schema",
    Error::CorruptDocument { .. } => "storage.corrupt_document",
    Error::UnsupportedPhoto { .. } => "photo.unsupported_format",
    Error::InvalidPhoto(_) => "photo.unreadable",
    Error::PhotoTooLarge(_) => "photo.too_large",
    Error::Network(_) => "sync.network",
    Error::Unauthorized(_) => "sync.unauthorized",
    Error::Protocol(_) => "sync.protocol",
    Error::InvalidDocument(_) => "sync.invalid_document",
    Error::Cancelled => "cancelled",
}

/// Every code an app can meet, each once: the validation reasons, the other failures, and
/// [`INTERNAL_CODE`].
pub fn all_codes() -> Vec<&'static str> {
    VALIDATION_CODES
        .iter()
        .chain(FAILURE_CODES)
        .copied()
        .chain([INTERNAL_CODE])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::lifecycle::{Action, Step};

    #[test]
    fn codes_are_unique_and_shaped_alike() {
        let codes = all_codes();
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len(), "a code is listed twice");
        for code in codes {
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{code}"
            );
        }
    }

    #[test]
    fn a_refused_step_is_coded_by_its_status_and_validation_by_its_reason() {
        for from in Status::ALL {
            let e = Error::InvalidTransition {
                from,
                action: Step::Action(Action::Close),
            };
            assert_eq!(e.code(), format!("lifecycle.case_{}", from.as_str()));
        }
        let e = Error::Validation {
            field: "quantity",
            reason: Invalid::Negative,
        };
        assert_eq!(e.code(), "validation.negative");
        let missing = Error::Io(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(missing.code(), "not_found.file");
        let denied = Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(denied.code(), "storage.file_system");
    }
}
