//! Device eviction through `FieldStore`: `evict_closed_cases` (what it removed, as an
//! `EvictionReport`), `evicted_cases` (a "removed from this phone" list) and `request_case`
//! (fetch one again at the next sync). Which cases go is the core's rule
//! (`fieldcore::Store::evict_closed_cases`, ADR 0028); docs/mobile.md shows when to call them.

use crate::convert::{CaseId, Timestamp, signed};
use crate::error::Result;
use crate::store::FieldStore;

/// What one eviction removed from the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EvictionReport {
    /// The cases evicted, oldest closing first.
    pub cases: Vec<CaseId>,
    /// Photo and thumbnail files removed: the evicted cases' files no kept case shows.
    pub photo_files: i64,
    /// The bytes freed: the evicted documents and the removed photo files.
    pub bytes_freed: i64,
}

/// A case evicted from this device. `find_case` still finds it by its number; `get_case`
/// throws `FieldError.Evicted` until `request_case` and a sync bring it back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EvictedCase {
    pub case_id: CaseId,
    /// The official number, as on the paperwork.
    pub number: Option<String>,
    /// When it closed.
    pub closed_at: Timestamp,
    /// When it left this device.
    pub evicted_at: Timestamp,
    /// `request_case` asked for it: the next sync fetches it.
    pub requested: bool,
}

#[uniffi::export]
impl FieldStore {
    /// Removes from the device every case closed at least `max_age_days` ago (default 90, the
    /// deployment's policy in docs/operations.md) that has nothing left to send and is synced:
    /// its document, its list and search rows, and its photo files no kept case shows. The
    /// ids and numbers stay (`evicted_cases`). One transaction: on an error nothing is
    /// removed. A negative age is `FieldError.Validation` on `max_age`. Run it from a periodic
    /// background job, after a sync (docs/mobile.md).
    #[uniffi::method(default(max_age_days = 90))]
    pub fn evict_closed_cases(&self, max_age_days: i32) -> Result<EvictionReport> {
        let now = chrono::Local::now().fixed_offset();
        let max_age = chrono::Duration::days(i64::from(max_age_days));
        let eviction = self.lock()?.evict_closed_cases(now, max_age)?;
        self.observation
            .cases_changed(eviction.cases.iter().copied());
        Ok(EvictionReport {
            cases: eviction.cases,
            photo_files: signed(eviction.photo_files),
            bytes_freed: signed(eviction.bytes_freed),
        })
    }

    /// Asks for an evicted case (the user opened it and met `FieldError.Evicted`): the next
    /// sync fetches it whole from HQ, after which `get_case` reads it again. Nothing to do for
    /// a case on the device; `FieldError.NotFound` for an id this device never held.
    pub fn request_case(&self, case_id: CaseId) -> Result<()> {
        Ok(self.lock()?.request_case(case_id)?)
    }

    /// The cases evicted from this device, most recently closed first.
    pub fn evicted_cases(&self) -> Result<Vec<EvictedCase>> {
        let evicted = self.lock()?.evicted_cases()?;
        Ok(evicted
            .into_iter()
            .map(|e| EvictedCase {
                case_id: e.case_id,
                number: e.number,
                closed_at: e.closed_at,
                evicted_at: e.evicted_at,
                requested: e.requested,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::error::FieldError;

    #[test]
    fn the_default_age_is_the_cores_policy() {
        // `default(max_age_days = 90)` must be a literal for uniffi; this keeps it honest.
        assert_eq!(fieldcore::DEFAULT_EVICTION_AGE_DAYS, 90);
    }

    #[test]
    fn a_negative_age_is_refused_and_an_unknown_case_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evict.db").to_string_lossy().into_owned();
        let store = FieldStore::open(path, "Wang Fang".into()).unwrap();
        let e = store.evict_closed_cases(-1).unwrap_err();
        assert_eq!(e.code(), "validation.negative");
        assert!(matches!(&e, FieldError::Validation { field, .. } if field == "max_age"));
        assert!(store.evict_closed_cases(0).unwrap().cases.is_empty());
        let e = store.request_case(uuid::Uuid::now_v7()).unwrap_err();
        assert_eq!(e.code(), "not_found.case");
        assert!(store.evicted_cases().unwrap().is_empty());
    }

    #[test]
    fn an_evicted_case_is_its_own_error_carrying_the_id() {
        let id = uuid::Uuid::now_v7();
        let e = FieldError::from(fieldcore::Error::Evicted(id));
        assert_eq!(e.code(), "not_found.evicted");
        assert!(matches!(&e, FieldError::Evicted { case_id, .. } if *case_id == id));
    }
}
