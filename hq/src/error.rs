//! The one error type of the HQ crate, and the single place where it becomes the protocol's
//! JSON error response (`{"error": code, "message": text}`, docs/sync-protocol.md).
//!
//! Messages of client errors name ids, counts and limits only. Internal failures (database,
//! file system) are logged with their detail and answered with a fixed sentence, so nothing of
//! HQ's internals or anyone's data leaks to a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fieldcore::ErrorBody;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token, a wrong token, or a revoked device.
    #[error("{0}")]
    Unauthorized(&'static str),

    /// An actor that is not the device's, or a case the user may not write or read.
    #[error("{0}")]
    Forbidden(String),

    /// A body, payload or blob over its limit.
    #[error("{0}")]
    TooLarge(String),

    /// A body or payload that does not decode, or breaks a rule of the protocol.
    #[error("{0}")]
    Malformed(String),

    #[error("protocol version {0} is not supported (HQ speaks {supported})", supported = fieldcore::PROTOCOL_VERSION)]
    UnsupportedVersion(u16),

    /// HQ is at one of its limits (connections, request bodies in flight); the client retries
    /// after `retry_after_secs`.
    #[error("{what}; retry later")]
    Busy {
        what: &'static str,
        retry_after_secs: u32,
    },

    /// Too many failed authentications from the client's address or with its token's
    /// prefix: refused without a look at the database until the lock-out ends.
    #[error("too many failed authentications; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u32 },

    /// A device's blob uploads no case references yet are over its quota.
    #[error("{0}")]
    QuotaExceeded(String),

    /// A blob, user, device or case that does not exist.
    #[error("{0}")]
    NotFound(String),

    /// An administrative input that is refused (a duplicate user name, a wrong role, ...).
    #[error("{0}")]
    Invalid(String),

    /// An administrative decision refused, worded for the person at the command in both of
    /// the product's languages (`Display` is the English one).
    #[error("{en}")]
    Refused { en: String, zh: String },

    /// A line of an imported file that is refused (line numbers from 1), worded in both of
    /// the product's languages; nothing of the file is written.
    #[error("line {line}: {en}")]
    BadLine { line: usize, en: String, zh: String },

    /// A data folder other users may write to: HQ does not start on it.
    #[error("{0}")]
    UnsafeDataFolder(String),

    /// A database written by a newer fieldhq.
    #[error("database schema version {found} is newer than this fieldhq supports ({supported})")]
    NewerSchema { found: i64, supported: i64 },

    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// Displayed with its whole cause ([`postgres_cause`]): the client library's own text
    /// for a server error is only "db error".
    #[error("postgres: {}", postgres_cause(.0))]
    Postgres(#[from] tokio_postgres::Error),

    #[error("postgres pool: {0}")]
    Pool(String),

    #[error("file system: {0}")]
    Io(#[from] std::io::Error),

    /// S3-compatible object storage failed (unreachable, refused the credentials, an error
    /// of its own).
    #[error("object storage: {0}")]
    ObjectStore(#[from] object_store::Error),

    /// Anything else HQ failed at (a background task that died, an automerge failure on
    /// data HQ itself produced).
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::Forbidden(message.into())
    }

    pub fn malformed(message: impl Into<String>) -> Error {
        Error::Malformed(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::Internal(message.into())
    }

    /// A refusal in both languages.
    pub fn refused(en: impl Into<String>, zh: impl Into<String>) -> Error {
        Error::Refused {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The message in `locale`: a refusal's own wording, else the English message.
    pub fn text(&self, locale: fieldcore::Locale) -> String {
        match self {
            Error::Refused { en, zh } => locale.pick(zh, en).clone(),
            Error::BadLine { line, en, zh } => {
                locale.pick(format!("第 {line} 行：{zh}"), format!("line {line}: {en}"))
            }
            other => other.to_string(),
        }
    }

    /// The HTTP status and the stable machine code of the spec's error table.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::Malformed(_)
            | Error::Invalid(_)
            | Error::Refused { .. }
            | Error::BadLine { .. } => (StatusCode::BAD_REQUEST, "malformed"),
            Error::UnsupportedVersion(_) => (StatusCode::UPGRADE_REQUIRED, "unsupported_version"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Error::QuotaExceeded(_) => (StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded"),
            Error::NewerSchema { .. }
            | Error::UnsafeDataFolder(_)
            | Error::Sqlite(_)
            | Error::Postgres(_)
            | Error::Pool(_)
            | Error::Io(_)
            | Error::ObjectStore(_)
            | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// Whether the error is HQ's fault (logged as an error) rather than the client's.
    pub fn is_internal(&self) -> bool {
        self.status_and_code().0 == StatusCode::INTERNAL_SERVER_ERROR
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Error {
        Error::Pool(e.to_string())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Error {
        Error::Internal(format!("background task failed: {e}"))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if self.is_internal() {
            // The detail goes to the log only; the client learns that it should retry.
            tracing::error!(error = %self, "request failed");
            "HQ could not complete the request; retry later".to_owned()
        } else {
            self.to_string()
        };
        let retry_after = match &self {
            Error::Busy {
                retry_after_secs, ..
            }
            | Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let body = ErrorBody {
            error: code.to_owned(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// A PostgreSQL error with its cause chain: for an error the server reported, its SQLSTATE,
/// message, detail, hint, context and the table, column and constraint it names; otherwise
/// each source in turn (a refused connection, a closed socket). Values of rows are left out
/// (`Key (number)=(…)`, `Failing row contains (…)`): they can be a customer's data, and the
/// log is read by operators.
pub fn postgres_cause(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(db) = e.as_db_error() {
        text = format!(
            "SQLSTATE {} {}: {}",
            db.code().code(),
            db.severity(),
            without_values(db.message())
        );
        let parts = [
            ("detail", db.detail()),
            ("hint", db.hint()),
            ("context", db.where_()),
            ("table", db.table()),
            ("column", db.column()),
            ("constraint", db.constraint()),
        ];
        for (name, part) in parts {
            if let Some(part) = part {
                text.push_str(&format!("; {name}: {}", without_values(part)));
            }
        }
        return text;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// `text` with the values PostgreSQL quotes from rows replaced by `…`: the parenthesised
/// value after `=` in a key, and the row after "Failing row contains".
fn without_values(text: &str) -> String {
    if let Some(at) = text.find("Failing row contains") {
        return format!("{}Failing row contains (…)", &text[..at]);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("=(") {
        out.push_str(&rest[..at]);
        out.push_str("=(…)");
        // The value ends at the parenthesis that closes it; values may nest parentheses.
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest[at + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = at + 1 + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn row_values_are_left_out_of_database_errors() {
        assert_eq!(
            without_values("Key (number)=(2611-0001) already exists."),
            "Key (number)=(…) already exists."
        );
        assert_eq!(
            without_values("Key (a, b)=(x (y), z) conflicts with key (a, b)=(p, q)."),
            "Key (a, b)=(…) conflicts with key (a, b)=(…)."
        );
        assert_eq!(
            without_values("Failing row contains (1, 张伟, 13800000000)."),
            "Failing row contains (…)"
        );
        assert_eq!(without_values("no values here"), "no values here");
    }
}
