//! `fieldcore-ffi`: the FieldCore engine for Android (Kotlin) and iOS (Swift), through uniffi.
//!
//! Thin on purpose: commands in, snapshots out, and no rule evaluated here. The whole surface:
//! - [`FieldStore`](store::FieldStore), opened once per database: `register`, `get_case`,
//!   `find_case`, `list_cases` (a list screen is one call), `execute` (every case command as
//!   one [`CaseCommand`](command::CaseCommand)), `check_warranty`, `import_photo`,
//!   `import_photo_file`, `import_photos` (progress + cancel), `photos`, `photo_path`,
//!   `sync` (progress + cancel), `fetch_photo`, `collect_garbage`, `summary`, `set_user`,
//!   `counts` (tab badges), `set_observer` and `sync_status` ([`observe`]: changed cases and
//!   the sync banner's state); reads never wait for a sync's network traffic (ADR 0018);
//! - device eviction in [`evict`]: `evict_closed_cases`, `evicted_cases`, `request_case`
//!   (an evicted case is `FieldError.Evicted` until fetched again);
//! - [`set_log_sink`](log::set_log_sink), the library's log lines to logcat / os_log;
//! - [`check_warranty`](warranty::check_warranty), the 三包 rule on its own;
//! - [`ProgressListener`](progress::ProgressListener) and
//!   [`CancelToken`](progress::CancelToken) for long calls (photo batches and sync);
//! - sync's records in [`sync`]: [`SyncConfig`](sync::SyncConfig) in,
//!   [`SyncReport`](sync::SyncReport) out, and each case's [`CaseSyncState`](sync::CaseSyncState);
//! - returns and exchanges in [`returns`]: the request and receipt forms the `CaseCommand`s
//!   take, and each return of a case (`CaseView.returns`) with its checks A–G;
//! - warranty spare parts in [`stock`]: `record_stock` (a holder's movements, requisitions
//!   and old-part shipments, recorded offline), `stock_balance` (negative balances flagged),
//!   `stock_ledger` and `stock_ledgers`;
//! - one error, [`FieldError`](error::FieldError), mapped from the core's in one place;
//! - dates, timestamps and case ids as strings on the wire, and counts, sizes and indexes as
//!   signed numbers (no `UInt`/`ULong` in Kotlin), converted in [`convert`] only.
//!
//! Every call blocks; call it off the main thread. The Kotlin and Swift layers in `android/`
//! and `ios/` add coroutine and async wrappers. A panic inside a call reaches the app as an
//! exception (the library is built with `panic = "unwind"`), never as a crash.

uniffi::setup_scaffolding!();

pub mod command;
pub mod convert;
pub mod error;
pub mod evict;
pub mod list;
pub mod locale;
pub mod log;
pub mod model;
pub mod observe;
pub mod photos;
pub mod progress;
pub mod returns;
pub mod stock;
pub mod store;
pub mod sync;
pub mod view;
pub mod warranty;

#[cfg(test)]
mod concurrency_tests;

/// The version of this library, to put in bug reports.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
