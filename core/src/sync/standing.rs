//! How the last sync ended, kept in the store (migration 0009) so that an app opened after a
//! restart shows the same sync banner: when a sync last finished a round with HQ, and the last
//! failure with its stable code and its message in both languages. The sync loop records every
//! end ([`crate::drive_sync`]); a success clears the failure.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::locale::{Locale, Localized};
use crate::store::Store;

/// Why the last sync failed, as recorded when it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    /// The error's stable code (`sync.network`, `sync.unauthorized`, ...).
    pub code: String,
    pub zh_cn: String,
    pub en: String,
    /// When it failed (RFC 3339, with the device's offset then).
    pub at: String,
}

impl Localized for SyncFailure {
    fn text(&self, locale: Locale) -> String {
        locale.pick(&self.zh_cn, &self.en).clone()
    }
}

/// How sync stands, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStanding {
    /// When a sync last finished a round with HQ (RFC 3339), if ever.
    pub last_success_at: Option<String>,
    /// The last sync's failure; `None` once a later sync succeeded.
    pub last_failure: Option<SyncFailure>,
}

pub(crate) fn read(conn: &Connection) -> Result<SyncStanding> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = conn
        .query_row(
            "SELECT last_sync_at, last_error_code, last_error_zh_cn, last_error_en, \
             last_error_at FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((last_success_at, code, zh_cn, en, at)) = row else {
        return Ok(SyncStanding::default());
    };
    let last_failure = match (code, zh_cn, en, at) {
        (Some(code), Some(zh_cn), Some(en), Some(at)) => Some(SyncFailure {
            code,
            zh_cn,
            en,
            at,
        }),
        // Written together by `record`; a partial row is not a failure to show.
        _ => None,
    };
    Ok(SyncStanding {
        last_success_at,
        last_failure,
    })
}

fn record(tx: &Transaction<'_>, failure: Option<&Error>, now: &str) -> Result<()> {
    let (code, zh_cn, en, at) = match failure {
        Some(e) => (
            Some(e.code()),
            Some(e.text(Locale::ZhCn)),
            Some(e.text(Locale::En)),
            Some(now),
        ),
        None => (None, None, None, None),
    };
    tx.execute(
        "UPDATE sync_state SET last_error_code = ?1, last_error_zh_cn = ?2, last_error_en = ?3, \
         last_error_at = ?4 WHERE id = 1",
        params![code, zh_cn, en, at],
    )?;
    Ok(())
}

impl Store {
    /// How sync stands: the last success and the last failure, across restarts.
    pub fn sync_standing(&self) -> Result<SyncStanding> {
        read(self.conn())
    }

    /// Records how a sync ended: a failure replaces the one before; a success clears it.
    pub fn record_sync_end(&mut self, failure: Option<&Error>) -> Result<()> {
        let now = self.now().to_rfc3339();
        self.write(|tx| record(tx, failure, &now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_kept_in_both_languages_until_a_success() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.db");
        let mut store = Store::open(&path, "wang").unwrap();
        assert_eq!(store.sync_standing().unwrap(), SyncStanding::default());

        store
            .record_sync_end(Some(&Error::Network("timed out".into())))
            .unwrap();
        drop(store);
        // Opened again, as after a restart.
        let mut store = Store::open(&path, "wang").unwrap();
        let failure = store.sync_standing().unwrap().last_failure.unwrap();
        assert_eq!(failure.code, "sync.network");
        assert_eq!(failure.en, "network error: timed out");
        assert_eq!(failure.text(Locale::ZhCn), "无法连接总部：timed out");
        assert!(chrono::DateTime::parse_from_rfc3339(&failure.at).is_ok());

        store.record_sync_end(None).unwrap();
        assert_eq!(store.sync_standing().unwrap().last_failure, None);
    }
}
