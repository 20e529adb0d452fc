//! The one public error of the library, and the one place the core's errors map onto it.
//!
//! Apps branch on the variant (show the field, offer the conflict screen, retry later) and
//! translate from the stable `code` of the reason; the texts are in the language set with
//! `setLocale` (English by default) and never carry personal data: the core's messages name
//! fields, ids, dates and statuses, not customers, phones or addresses.

use fieldcore::Error as Core;

/// What went wrong in a call. Kotlin sees `FieldException` (one subclass per variant), Swift
/// `FieldError`, Python `FieldError`.
///
/// Every variant carries `code`, the stable code of the reason (`validation.negative`,
/// `lifecycle.case_closed`, `authority.not_permitted`, `sync.network`, ...; `Cancelled`'s is
/// `cancelled`): the same in every version and language, for an app's own texts and for logs.
/// docs/mobile.md lists every code with its Chinese and English message; the codes come from
/// the core's one table (`fieldcore::all_codes`).
///
/// A panic inside the library is not one of these: it arrives as uniffi's internal error
/// (`InternalException` in Kotlin, `InternalError` in Python; in Swift an `Error` that is not a
/// `FieldError`, whose description holds the panic message), and the store recovers on the
/// next call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FieldError {
    /// An input is missing or wrong, or the case's status does not allow the step (then
    /// `field` is `status` and `code` names the status, `lifecycle.case_closed`). Nothing was
    /// written. Show `reason` (in the `setLocale` language) next to `field`.
    #[error("invalid {field}: {reason}")]
    Validation {
        field: String,
        reason: String,
        code: String,
    },

    /// The case's status was written by a newer version of the app, and the step depends on
    /// it; nothing was written. Ask the user to update the app (notes and photos still work).
    #[error("update required: {reason}")]
    UpdateRequired { reason: String, code: String },

    /// The case, entry, photo or file does not exist on this device.
    #[error("not found: {reason}")]
    NotFound { reason: String, code: String },

    /// The case was removed from this device after it closed (`evict_closed_cases`); HQ
    /// still holds it. Call `request_case(case_id)` and sync: the case comes back whole, and
    /// `get_case` reads it again.
    #[error("evicted: {reason}")]
    Evicted {
        case_id: crate::convert::CaseId,
        reason: String,
        code: String,
    },

    /// `field` has concurrent values from different devices; a person must pick one
    /// (`CaseCommand.ResolveConflict`) before commands that depend on it run again.
    #[error("{field} has concurrent values: {reason}")]
    Conflict {
        field: String,
        reason: String,
        code: String,
    },

    /// The database or the blob folder failed (disk full, damaged file, newer schema). A
    /// database that could not be opened was moved aside, not deleted.
    #[error("storage: {reason}")]
    Storage { reason: String, code: String },

    /// HQ could not be reached or the exchange broke off; retry later (sync).
    #[error("network: {reason}")]
    Network { reason: String, code: String },

    /// HQ refused this device (a wrong or revoked token, a write it may not make), or the
    /// user's role may not make this change on the device (`authority.not_permitted`).
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String, code: String },

    /// The call's `CancelToken` was cancelled; the steps it finished stay stored.
    #[error("cancelled")]
    Cancelled,

    /// Input the library does not accept: a photo format it cannot read (convert HEIC to JPEG
    /// on the device), damaged image bytes, a photo over the policy's size.
    #[error("unsupported input: {reason}")]
    UnsupportedInput { reason: String, code: String },

    /// A bug, an impossible state, or HQ speaking a protocol this version does not (update
    /// the app); report it.
    #[error("internal: {reason}")]
    Internal { reason: String, code: String },
}

pub type Result<T, E = FieldError> = std::result::Result<T, E>;

/// The one mapping of the core's errors: the variant by what the app does about it, the
/// reason in the `setLocale` language, the code from the core's table.
impl From<Core> for FieldError {
    fn from(error: Core) -> FieldError {
        use fieldcore::Localized;
        let locale = crate::locale::current_locale();
        let code = error.code().to_owned();
        let reason = error.text(locale);
        match error {
            Core::Validation { field, reason } => FieldError::Validation {
                field: field.into(),
                reason: reason.text(locale),
                code,
            },
            // Refused by the lifecycle: an input problem from the app's point of view.
            Core::InvalidTransition { .. } => FieldError::Validation {
                field: "status".into(),
                reason,
                code,
            },
            Core::UnknownStatus { .. } => FieldError::UpdateRequired { reason, code },
            Core::CaseNotFound(_) | Core::EntryNotFound(_) => FieldError::NotFound { reason, code },
            Core::Evicted(case_id) => FieldError::Evicted {
                case_id,
                reason,
                code,
            },
            Core::Conflict { field } => FieldError::Conflict {
                field,
                reason,
                code,
            },
            // Refused until the warranty is decided again on the corrected facts.
            Core::StaleWarranty(_) => FieldError::Validation {
                field: "warranty".into(),
                reason,
                code,
            },
            Core::CorruptDatabase { .. }
            | Core::NewerSchema { .. }
            | Core::CorruptDocument { .. }
            | Core::Storage(_) => FieldError::Storage { reason, code },
            Core::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
                FieldError::NotFound { reason, code }
            }
            Core::Io(_) => FieldError::Storage { reason, code },
            Core::UnsupportedPhoto { .. } | Core::InvalidPhoto(_) | Core::PhotoTooLarge(_) => {
                FieldError::UnsupportedInput { reason, code }
            }
            Core::Network(_) => FieldError::Network { reason, code },
            Core::Unauthorized(_) | Core::NotPermitted(_) => {
                FieldError::Unauthorized { reason, code }
            }
            Core::Cancelled => FieldError::Cancelled,
            Core::InvalidDocument(_) | Core::Protocol(_) => FieldError::Internal { reason, code },
        }
    }
}

impl FieldError {
    /// The reason's stable code (`validation.negative`, `sync.network`, `cancelled`, ...).
    /// Kotlin's `FieldException.code` and Swift's `FieldError.code` (android/, ios/) return
    /// the same.
    pub fn code(&self) -> &str {
        match self {
            FieldError::Validation { code, .. }
            | FieldError::UpdateRequired { code, .. }
            | FieldError::NotFound { code, .. }
            | FieldError::Evicted { code, .. }
            | FieldError::Conflict { code, .. }
            | FieldError::Storage { code, .. }
            | FieldError::Network { code, .. }
            | FieldError::Unauthorized { code, .. }
            | FieldError::UnsupportedInput { code, .. }
            | FieldError::Internal { code, .. } => code,
            FieldError::Cancelled => "cancelled",
        }
    }

    /// A bug or an impossible state found in the bindings (a stored value that does not read
    /// back); its code is the core's `internal`.
    pub(crate) fn internal(reason: impl Into<String>) -> FieldError {
        FieldError::Internal {
            reason: reason.into(),
            code: fieldcore::INTERNAL_CODE.to_owned(),
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
            matches!(&e, FieldError::UpdateRequired { reason, .. } if reason.contains("escalated") && reason.contains("update the app"))
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
                reason: "is required".into(),
                code: "validation.required".into(),
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
            (Core::Evicted(id), "Evicted"),
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

    /// docs/mobile.md's table of error codes lists exactly the codes the library can produce.
    #[test]
    fn the_code_table_in_the_docs_is_complete() {
        let doc = include_str!("../../docs/mobile.md");
        let start = doc
            .find("<!-- error codes -->")
            .expect("docs/mobile.md marks its error code table");
        let documented: std::collections::BTreeSet<&str> = doc[start..]
            .lines()
            .skip(1)
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .filter_map(|line| line.split('|').nth(1))
            .map(|cell| cell.trim().trim_matches('`'))
            .filter(|code| !code.is_empty() && *code != "code" && !code.starts_with("--"))
            .collect();
        let produced: std::collections::BTreeSet<&str> =
            fieldcore::all_codes().into_iter().collect();
        let missing: Vec<_> = produced.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&produced).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "docs/mobile.md lacks {missing:?} and lists codes no error has: {stale:?}"
        );
    }

    #[test]
    fn each_reason_keeps_its_code_in_both_languages() {
        let refusal = || {
            FieldError::from(Core::InvalidTransition {
                from: fieldcore::Status::Closed,
                action: fieldcore::Step::Action(fieldcore::Action::ScheduleVisit),
            })
        };
        crate::locale::set_locale(fieldcore::Locale::ZhCn);
        let zh = refusal();
        crate::locale::set_locale(fieldcore::Locale::En);
        let en = refusal();
        assert_eq!(zh.code(), "lifecycle.case_closed");
        assert_eq!(en.code(), "lifecycle.case_closed");
        assert!(zh.to_string().contains("已结案"), "{zh}");
        assert!(en.to_string().contains("closed"), "{en}");
        assert_eq!(FieldError::Cancelled.code(), "cancelled");
        assert_eq!(FieldError::internal("x").code(), "internal");
    }
}
