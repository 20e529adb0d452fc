//! Numbered schema migrations on SQLite's `user_version`, all pending ones in one transaction.
//! A database written by a newer app is refused rather than guessed at.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// The migrations in order; migration N brings `user_version` from N-1 to N.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_photo_blobs.sql"),
    include_str!("../../migrations/0003_sync_state.sql"),
    include_str!("../../migrations/0004_sync_refused.sql"),
    include_str!("../../migrations/0005_deadline_inputs.sql"),
    include_str!("../../migrations/0006_sync_quarantine.sql"),
    include_str!("../../migrations/0007_sync_rejected.sql"),
    include_str!("../../migrations/0008_case_search.sql"),
    include_str!("../../migrations/0009_sync_last_error.sql"),
    include_str!("../../migrations/0010_return_search.sql"),
    include_str!("../../migrations/0011_stock_ledgers.sql"),
    include_str!("../../migrations/0012_evicted_cases.sql"),
];

pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the schema to `target` (normally [`LATEST`]); does nothing when it is there already.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found = version(conn)?;
    if found > LATEST {
        return Err(Error::NewerSchema {
            found,
            supported: LATEST,
        });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn each_step_applies_on_the_previous_one_and_sets_its_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(version(&conn).unwrap(), 0);
        for step in 1..=LATEST {
            migrate_to(&mut conn, step).unwrap();
            assert_eq!(version(&conn).unwrap(), step);
        }
        let names = tables(&conn);
        for table in [
            "case_changes",
            "case_docs",
            "cases",
            "device",
            "outbox",
            "settings",
            "sync_refused",
        ] {
            assert!(
                names.iter().any(|n| n == table),
                "{table} missing from {names:?}"
            );
        }
    }

    #[test]
    fn the_search_index_is_built_from_the_cases_an_older_version_stored() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 7).unwrap();
        conn.execute_batch(
            "INSERT INTO case_docs (case_id, snapshot) VALUES ('c1', x'00'), ('c2', x'00');
             INSERT INTO cases (case_id, number, status, round, customer_name, customer_phone,
                 region, market, product_model, product_category, serial_number, received_at,
                 updated_at, updated_at_ms, has_conflict, major_incident)
             VALUES ('c1', '2611-0001', 'registered', 1, '石家庄水泵三厂', '+86 138-0013-8000',
                 'Hebei', 'domestic', 'YE3', 'pump', 'M2406-118842', 't', 't', 1, 0, 0),
                    ('c2', NULL, 'registered', 1, 'Hebei Motor Works', '0311 5555 0101',
                 'Hebei', 'domestic', 'YE3', 'motor', 'YE3-000123', 't', 't', 2, 0, 0);",
        )
        .unwrap();
        migrate_to(&mut conn, 8).unwrap();
        fn find(conn: &Connection, text: &str) -> Vec<String> {
            let mut stmt = conn
                .prepare(
                    "SELECT case_id FROM cases WHERE rowid IN \
                     (SELECT rowid FROM cases_search WHERE cases_search MATCH ?1) ORDER BY case_id",
                )
                .unwrap();
            stmt.query_map([text], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        }
        assert_eq!(find(&conn, "\"水泵三\""), vec!["c1"]);
        assert_eq!(find(&conn, "\"2611-00\""), vec!["c1"]);
        assert_eq!(find(&conn, "phone_digits : \"13800138\""), vec!["c1"]);
        assert_eq!(find(&conn, "\"motor\""), vec!["c2"]);
        // The triggers keep it in step: an update and a delete.
        conn.execute_batch(
            "UPDATE cases SET customer_name = '保定电机厂' WHERE case_id = 'c2';
             DELETE FROM cases WHERE case_id = 'c1';",
        )
        .unwrap();
        assert_eq!(find(&conn, "\"保定电机\""), vec!["c2"]);
        assert!(find(&conn, "\"motor\"").is_empty());
        assert!(find(&conn, "\"水泵三\"").is_empty());

        // The rebuilt index keeps what was there and adds the RMA numbers.
        migrate_to(&mut conn, LATEST).unwrap();
        assert_eq!(find(&conn, "\"保定电机\""), vec!["c2"]);
        conn.execute_batch("UPDATE cases SET rma_numbers = 'R2611-0007' WHERE case_id = 'c2';")
            .unwrap();
        assert_eq!(find(&conn, "\"r2611-0007\""), vec!["c2"]);
        assert_eq!(find(&conn, "\"R2611\""), vec!["c2"]);
    }

    #[test]
    fn the_last_sync_error_columns_start_empty_beside_the_kept_position() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 8).unwrap();
        conn.execute_batch(
            "UPDATE sync_state SET cursor = 42, last_sync_at = '2026-11-23T09:30:00+08:00'",
        )
        .unwrap();
        migrate_to(&mut conn, 9).unwrap();
        let row: (
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = conn
            .query_row(
                "SELECT cursor, last_sync_at, last_error_code, last_error_zh_cn, last_error_en, \
                 last_error_at FROM sync_state WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            row,
            (
                42,
                "2026-11-23T09:30:00+08:00".into(),
                None,
                None,
                None,
                None
            )
        );
    }

    #[test]
    fn the_evicted_cases_table_starts_empty_beside_the_kept_cases() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 11).unwrap();
        conn.execute_batch(
            "INSERT INTO case_docs (case_id, snapshot) VALUES ('c1', x'00');
             INSERT INTO sync_repairs (case_id, repair) VALUES ('c1', 'pull_whole');",
        )
        .unwrap();
        assert!(!tables(&conn).iter().any(|n| n == "evicted_cases"));
        migrate_to(&mut conn, 12).unwrap();
        assert_eq!(version(&conn).unwrap(), 12);
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT COUNT(*) FROM evicted_cases"), 0);
        assert_eq!(count("SELECT COUNT(*) FROM case_docs"), 1);
        assert_eq!(count("SELECT COUNT(*) FROM sync_repairs"), 1);
        conn.execute_batch(
            "INSERT INTO evicted_cases (case_id, number, closed_at, evicted_at)
             VALUES ('c2', '2611-0002', '2026-08-01T10:00:00+08:00', '2026-11-02T09:00:00+08:00');",
        )
        .unwrap();
        let found: String = conn
            .query_row(
                "SELECT case_id FROM evicted_cases WHERE number = '2611-0002'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, "c2");
        // The id is the key: a case is evicted once.
        assert!(
            conn.execute_batch(
                "INSERT INTO evicted_cases (case_id, closed_at, evicted_at) VALUES ('c2', 't', 't')"
            )
            .is_err()
        );
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, LATEST).unwrap();
        let before = tables(&conn);
        migrate_to(&mut conn, LATEST).unwrap();
        assert_eq!(tables(&conn), before);
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate_to(&mut conn, LATEST).unwrap_err();
        assert!(matches!(err, Error::NewerSchema { found, .. } if found == LATEST + 1));
        assert!(tables(&conn).is_empty());
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A table in the way makes migration 1 fail half-way; the transaction must undo it all.
        conn.execute_batch("CREATE TABLE outbox (x INTEGER)")
            .unwrap();
        assert!(migrate_to(&mut conn, LATEST).is_err());
        assert_eq!(version(&conn).unwrap(), 0);
        assert_eq!(tables(&conn), vec!["outbox".to_string()]);
    }
}
