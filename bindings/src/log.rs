//! A log bridge: the app hands the library a `LogSink` once (Kotlin: one that writes to logcat;
//! Swift: to `os_log`), and the library's own events go there (a sync starting, each round, its
//! end or failure; a store reopened after a panic). Messages name counts, ids and error codes,
//! never customers, phones or addresses.

use std::sync::{Arc, PoisonError, RwLock};

/// How much a log line matters, as logcat and os_log grade them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Implemented by the app to receive the library's log lines, on whichever thread made them.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, message: String);
}

static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

/// Sends the library's log lines to `sink` from now on (`null`/`nil`: nowhere, the default).
#[uniffi::export]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>) {
    *SINK.write().unwrap_or_else(PoisonError::into_inner) = sink;
}

/// Logs a line made only when a sink listens.
pub(crate) fn log(level: LogLevel, message: impl FnOnce() -> String) {
    let sink = SINK.read().unwrap_or_else(PoisonError::into_inner).clone();
    if let Some(sink) = sink {
        sink.log(level, message());
    }
}
