//! The CLI's one error type: core errors, input the CLI parses itself, usage errors, and how
//! each is named in JSON and mapped to an exit code (2 for bad input, 1 for everything else).

use fieldcore::{Locale, Localized};
use std::io;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::reason::{Reason, field_label};

pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Core(#[from] fieldcore::Error),

    /// A value the CLI parses itself (a date, an amount, a measurement) is malformed.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: Reason },

    /// The command line does not match the commands (unknown flag, missing argument, ...).
    #[error("{}", usage_message(.0))]
    Usage(clap::Error),

    #[error("no database at {}; register a case first or pass --db", .0.display())]
    NoDatabase(PathBuf),

    #[cfg(feature = "demo")]
    #[error("could not create the demo folder {}: {source}", .path.display())]
    DemoFolder { path: PathBuf, source: io::Error },

    #[error("could not write the output: {0}")]
    Output(#[source] io::Error),

    /// The demo could not draw or encode one of its photos.
    #[cfg(feature = "demo")]
    #[error("could not make the demo's {} photo: {reason}", .what.as_str())]
    DemoPhoto {
        what: fieldcore::PhotoKind,
        reason: String,
    },

    /// The photo is on the case but its bytes have not reached this device yet.
    #[error("photo {0} is not on this device yet (attached on another device, not downloaded)")]
    PhotoNotHere(String),

    #[error("could not write {}: {source}", .path.display())]
    WriteFile { path: PathBuf, source: io::Error },

    /// The scripted demo could not run to the end.
    #[cfg(feature = "demo")]
    #[error("demo failed: {0}")]
    Demo(DemoFailure),

    #[error("file system error: {0}")]
    Io(#[from] io::Error),
}

impl CliError {
    pub fn invalid(field: &'static str, reason: Reason) -> CliError {
        CliError::Invalid { field, reason }
    }

    /// 2 when the input was wrong and nothing was written; 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Core(
                fieldcore::Error::Validation { .. }
                | fieldcore::Error::UnsupportedPhoto { .. }
                | fieldcore::Error::InvalidPhoto(_)
                | fieldcore::Error::PhotoTooLarge(_),
            )
            | CliError::Invalid { .. }
            | CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    /// A stable machine name for the error, the `kind` of the JSON error object.
    pub fn kind(&self) -> &'static str {
        use fieldcore::Error as E;
        match self {
            CliError::Core(e) => match e {
                E::Validation { .. } => "validation",
                E::CaseNotFound(_) => "case_not_found",
                E::EntryNotFound(_) => "entry_not_found",
                E::Evicted(_) => "evicted",
                E::InvalidTransition { .. } => "invalid_transition",
                E::UnknownStatus { .. } => "unknown_status",
                E::Conflict { .. } => "conflict",
                E::StaleWarranty(_) => "stale_warranty",
                E::CorruptDatabase { .. } => "corrupt_database",
                E::NewerSchema { .. } => "newer_schema",
                E::CorruptDocument { .. } => "corrupt_document",
                E::InvalidDocument(_) => "invalid_document",
                E::Storage(_) => "storage",
                E::Io(_) => "io",
                E::UnsupportedPhoto { .. } => "unsupported_photo",
                E::InvalidPhoto(_) => "invalid_photo",
                E::PhotoTooLarge(_) => "photo_too_large",
                E::Network(_) => "network",
                E::Unauthorized(_) => "unauthorized",
                E::NotPermitted(_) => "not_permitted",
                E::Protocol(_) => "protocol",
                E::Cancelled => "cancelled",
            },
            CliError::Invalid { .. } => "validation",
            CliError::Usage(_) => "usage",
            CliError::NoDatabase(_) => "no_database",
            #[cfg(feature = "demo")]
            CliError::DemoFolder { .. } => "io",
            #[cfg(feature = "demo")]
            CliError::DemoPhoto { .. } => "demo",
            CliError::PhotoNotHere(_) => "photo_not_here",
            CliError::WriteFile { .. } => "io",
            CliError::Output(_) => "output",
            #[cfg(feature = "demo")]
            CliError::Demo(_) => "demo",
            CliError::Io(_) => "io",
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<String> {
        match self {
            CliError::Core(fieldcore::Error::Validation { field, .. })
            | CliError::Invalid { field, .. } => Some((*field).to_owned()),
            CliError::Core(fieldcore::Error::Conflict { field }) => Some(field.clone()),
            // An unknown argument names no field of the command.
            CliError::Usage(e) if e.kind() == ErrorKind::UnknownArgument => None,
            CliError::Usage(e) => match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(arg)) => arg_name(arg),
                Some(ContextValue::Strings(args)) if args.len() == 1 => arg_name(&args[0]),
                _ => None,
            },
            _ => None,
        }
    }

    /// What stderr shows: "error: " and the text in the output's language; for usage errors,
    /// clap's whole text with its hints.
    pub fn stderr_text(&self) -> String {
        match self {
            CliError::Usage(e) => e.render().to_string(),
            other => {
                let l = crate::output::locale();
                format!("{}{}\n", l.pick("错误：", "error: "), other.text(l))
            }
        }
    }
}

impl Localized for CliError {
    /// English is `Display`, as it always was; details from the operating system or clap stay
    /// in their words inside the Chinese sentence (support searches for them).
    fn text(&self, l: Locale) -> String {
        if l == Locale::En {
            return self.to_string();
        }
        match self {
            CliError::Core(e) => e.text(l),
            CliError::Invalid { field, reason } => {
                format!("{}：{}", field_label(field, l), reason.text(l))
            }
            CliError::Usage(e) => format!("命令行有误：{}", usage_message(e)),
            CliError::NoDatabase(path) => format!(
                "{} 处没有数据库；请先登记案件，或用 --db 指定数据库",
                path.display()
            ),
            #[cfg(feature = "demo")]
            CliError::DemoFolder { path, source } => {
                format!("无法创建演示文件夹 {}：{source}", path.display())
            }
            CliError::Output(e) => format!("无法写出结果：{e}"),
            #[cfg(feature = "demo")]
            CliError::DemoPhoto { what, reason } => {
                format!("无法生成演示用的{}照片：{reason}", what.text(l))
            }
            CliError::PhotoNotHere(hash) => {
                format!("照片 {hash} 尚未到达本设备（由其他设备添加，尚未下载）")
            }
            CliError::WriteFile { path, source } => {
                format!("无法写入 {}：{source}", path.display())
            }
            #[cfg(feature = "demo")]
            CliError::Demo(failure) => format!("演示未能完成：{}", failure.text(l)),
            CliError::Io(e) => format!("文件系统错误：{e}"),
        }
    }
}

/// Why the demo's story could not go on; `Display` is the English text it always printed.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoFailure {
    #[error("loopback address")]
    LoopbackAddress,
    #[error("HQ stopped")]
    HqStopped,
    #[error("the merged case shows no conflict on the defect")]
    NoDefectConflict,
    #[error("the devices did not converge")]
    NotConverged,
    /// HQ's final approval of the exchange issued no RMA number.
    #[error("HQ issued no RMA number for the exchange")]
    NoRmaNumber,
    /// The exchange is not done after the customer confirmed the replacement.
    #[error("the exchange is not done")]
    ReturnNotDone,
    /// The embedded HQ refused or failed; the detail is `fieldhq::Error`'s own (English) words.
    #[error("HQ: {0}")]
    Hq(String),
}

#[cfg(feature = "demo")]
impl Localized for DemoFailure {
    fn text(&self, l: Locale) -> String {
        match self {
            DemoFailure::LoopbackAddress => {
                l.pick("无法使用本机回环地址", "loopback address").into()
            }
            DemoFailure::HqStopped => l.pick("总部服务已停止", "HQ stopped").into(),
            DemoFailure::NoDefectConflict => l
                .pick(
                    "合并后的案件在故障鉴定上没有冲突",
                    "the merged case shows no conflict on the defect",
                )
                .into(),
            DemoFailure::NotConverged => l
                .pick("各设备上的案件不一致", "the devices did not converge")
                .into(),
            DemoFailure::NoRmaNumber => l
                .pick(
                    "总部批准换货后没有签发退货编号",
                    "HQ issued no RMA number for the exchange",
                )
                .into(),
            DemoFailure::ReturnNotDone => {
                l.pick("换货流程未完成", "the exchange is not done").into()
            }
            DemoFailure::Hq(detail) => {
                l.pick(format!("总部服务：{detail}"), format!("HQ: {detail}"))
            }
        }
    }
}

impl From<clap::Error> for CliError {
    fn from(e: clap::Error) -> CliError {
        CliError::Usage(e)
    }
}

/// Clap's message up to its usage hint, on one line, without the "error: " prefix.
fn usage_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned()
}

/// "--phone <PHONE>" → "phone", "<CASE>" → "case"; none for a group such as "<--a|--b>".
fn arg_name(arg: &str) -> Option<String> {
    if arg.contains('|') {
        return None;
    }
    let name = arg.split_whitespace().next().unwrap_or(arg);
    Some(
        name.trim_start_matches('-')
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_lowercase()
            .replace('-', "_"),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn validation_errors_exit_2_and_name_their_field() {
        let e = CliError::from(fieldcore::Error::Validation {
            field: "customer_phone",
            reason: fieldcore::Invalid::Required,
        });
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.kind(), "validation");
        assert_eq!(e.field().as_deref(), Some("customer_phone"));
        assert_eq!(e.to_string(), "invalid customer_phone: is required");
        assert_eq!(
            e.stderr_text(),
            "error: invalid customer_phone: is required\n"
        );
    }

    #[test]
    fn other_errors_exit_1() {
        let e = CliError::from(fieldcore::Error::InvalidTransition {
            from: fieldcore::Status::Registered,
            action: fieldcore::Step::Action(fieldcore::Action::Close),
        });
        assert_eq!(e.exit_code(), 1);
        assert_eq!(e.kind(), "invalid_transition");
        assert_eq!(e.field(), None);
        assert_eq!(CliError::NoDatabase("x.db".into()).exit_code(), 1);
    }

    #[test]
    fn arg_names_become_field_names() {
        assert_eq!(
            arg_name("--purchase-date <DATE>").as_deref(),
            Some("purchase_date")
        );
        assert_eq!(arg_name("<CASE>").as_deref(), Some("case"));
        assert_eq!(arg_name("<--proof|--no-proof>"), None);
    }
}
