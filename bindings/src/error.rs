//! The one public error of the library, and the one place the core's errors map onto it.
//!
//! Apps branch on the variant (show the field, offer the conflict screen, retry later); the
//! texts are in the language set with `setLocale` (English by default) and never carry personal
//! data: the core's messages name fields, ids, dates and statuses, not customers, phones or
//! addresses.

use fieldcore::Error as Core;

/// What went wrong in a call. Kotlin sees `FieldException` (one subclass per variant), Swift
/// `FieldError`, Python `FieldError`.
///
/// A panic inside the library is not one of these: it arrives as uniffi's internal error
/// (`InternalException` in Kotlin, `InternalError` in Python; in Swift an `Error` that is not a
/// `FieldError`, whose description holds the panic message), and the store recovers on the
/// next call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FieldError {
    /// An input is missing or wrong, or the case's status does not allow the step (then
    /// `field` is `status`). Nothing was written. Show `reason` (in the `setLocale` language)
    /// next to `field`.
    #[error("invalid {field}: {reason}")]
    Validation { field: String, reason: String },

    /// The case's status was written by a newer version of the app, and the step depends on
    /// it; nothing was written. Ask the user to update the app (notes and photos still work).
    #[error("update required: {reason}")]
    UpdateRequired { reason: String },

    /// The case, entry, photo or file does not exist on this device.
    #[error("not found: {reason}")]
    NotFound { reason: String },

    /// `field` has concurrent values from different devices; a person must pick one
    /// (`CaseCommand.ResolveConflict`) before commands that depend on it run again.
    #[error("{field} has concurrent values: {reason}")]
    Conflict { field: String, reason: String },

    /// The database or the blob folder failed (disk full, damaged file, newer schema). A
    /// database that could not be opened was moved aside, not deleted.
    #[error("storage: {reason}")]
    Storage { reason: String },

    /// HQ could not be reached or the exchange broke off; retry later (sync).
    #[error("network: {reason}")]
    Network { reason: String },

    /// HQ refused this device: a wrong or revoked token, or a write it may not make (sync).
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String },

    /// The call's `CancelToken` was cancelled; the steps it finished stay stored.
    #[error("cancelled")]
    Cancelled,

    /// Input the library does not accept: a photo format it cannot read (convert HEIC to JPEG
    /// on the device), damaged image bytes, a photo over the policy's size.
    #[error("unsupported input: {reason}")]
    UnsupportedInput { reason: String },

    /// A bug, an impossible state, or HQ speaking a protocol this version does not (update
    /// the app); report it.
    #[error("internal: {reason}")]
    Internal { reason: String },
}

pub type Result<T, E = FieldError> = std::result::Result<T, E>;

impl From<Core> for FieldError {
    fn from(error: Core) -> FieldError {
        use fieldcore::Localized;
        let locale = crate::locale::current_locale();
        let reason = error.text(locale);
        match error {
            Core::Validation { field, reason } => FieldError::Validation {
                field: field.into(),
                reason: reason.text(locale),
            },
            // Refused by the lifecycle: an input problem from the app's point of view.
            Core::InvalidTransition { .. } => FieldError::Validation {
                field: "status".into(),
                reason,
            },
            Core::UnknownStatus { .. } => FieldError::UpdateRequired { reason },
            Core::CaseNotFound(_) | Core::EntryNotFound(_) => FieldError::NotFound { reason },
            Core::Conflict { field } => FieldError::Conflict { field, reason },
            // Refused until the warranty is decided again on the corrected facts.
            Core::StaleWarranty(_) => FieldError::Validation {
                field: "warranty".into(),
                reason,
            },
            Core::CorruptDatabase { .. }
            | Core::NewerSchema { .. }
            | Core::CorruptDocument { .. }
            | Core::Storage(_) => FieldError::Storage { reason },
            Core::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
                FieldError::NotFound { reason }
            }
            Core::Io(_) => FieldError::Storage { reason },
            Core::UnsupportedPhoto { .. } | Core::InvalidPhoto(_) | Core::PhotoTooLarge(_) => {
                FieldError::UnsupportedInput { reason }
            }
            Core::Network(_) => FieldError::Network { reason },
            Core::Unauthorized(_) | Core::NotPermitted(_) => FieldError::Unauthorized { reason },
            Core::Cancelled => FieldError::Cancelled,
            Core::InvalidDocument(_) | Core::Protocol(_) => FieldError::Internal { reason },
        }
    }
}

impl FieldError {
    /// The variant's stable code (`validation`, `network`, ...): the same in every version and
    /// language, for an app's own texts and for logs. Swift's `FieldError.code` and Kotlin's
    /// `FieldException.code` (ios/, android/) return the same strings.
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Validation { .. } => "validation",
            FieldError::UpdateRequired { .. } => "update_required",
            FieldError::NotFound { .. } => "not_found",
            FieldError::Conflict { .. } => "conflict",
            FieldError::Storage { .. } => "storage",
            FieldError::Network { .. } => "network",
            FieldError::Unauthorized { .. } => "unauthorized",
            FieldError::Cancelled => "cancelled",
            FieldError::UnsupportedInput { .. } => "unsupported_input",
            FieldError::Internal { .. } => "internal",
        }
    }

    pub(crate) fn internal(reason: impl Into<String>) -> FieldError {
        FieldError::Internal {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_status_asks_for_an_update() {
        let e: FieldError = Core::UnknownStatus {
            status: "escalated".into(),
            action: fieldcore::Step::Action(fieldcore::Action::Close),
        }
        .into();
        assert!(
            matches!(&e, FieldError::UpdateRequired { reason } if reason.contains("escalated") && reason.contains("update the app"))
        );
    }

    #[test]
    fn validation_keeps_the_field() {
        let e: FieldError = Core::Validation {
            field: "customer_phone",
            reason: fieldcore::Invalid::Required,
        }
        .into();
        assert_eq!(
            e,
            FieldError::Validation {
                field: "customer_phone".into(),
                reason: "is required".into()
            }
        );
    }

    #[test]
    fn each_core_error_has_its_place() {
        let id = uuid::Uuid::now_v7();
        let cases: Vec<(Core, &str)> = vec![
            (
                Core::InvalidTransition {
                    from: fieldcore::Status::Registered,
                    action: fieldcore::Step::Action(fieldcore::Action::Close),
                },
                "Validation",
            ),
            (
                Core::StaleWarranty(fieldcore::StaleStep::Close),
                "Validation",
            ),
            (Core::CaseNotFound(id), "NotFound"),
            (Core::EntryNotFound("x".into()), "NotFound"),
            (
                Core::Conflict {
                    field: "warranty".into(),
                },
                "Conflict",
            ),
            (
                Core::NewerSchema {
                    found: 9,
                    supported: 2,
                },
                "Storage",
            ),
            (
                Core::Io(std::io::Error::from(std::io::ErrorKind::NotFound)),
                "NotFound",
            ),
            (
                Core::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
                "Storage",
            ),
            (
                Core::UnsupportedPhoto {
                    format: "heic".into(),
                    hint: "convert".into(),
                },
                "UnsupportedInput",
            ),
            (Core::PhotoTooLarge("big".into()), "UnsupportedInput"),
            (Core::InvalidDocument("bad".into()), "Internal"),
            (Core::Network("timeout".into()), "Network"),
            (Core::Unauthorized("revoked".into()), "Unauthorized"),
            (Core::Protocol("version 9".into()), "Internal"),
            (Core::Cancelled, "Cancelled"),
        ];
        for (core, expected) in cases {
            let mapped = FieldError::from(core);
            let name = format!("{mapped:?}");
            assert!(name.starts_with(expected), "{name} should be {expected}");
        }
        let e = FieldError::from(Core::InvalidTransition {
            from: fieldcore::Status::Registered,
            action: fieldcore::Step::Action(fieldcore::Action::Close),
        });
        assert!(matches!(e, FieldError::Validation { field, .. } if field == "status"));
    }
}
