//! List and search over the projection: filters, a stable order and keyset paging, so a list
//! screen is one indexed query however many cases the device holds.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::model::{Status, Timestamp};
use crate::store::projection::{self, COLUMNS, ProjectionRow};

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// Filters combine with AND; text filters ignore case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    pub status: Option<Status>,
    /// Any of these statuses (an "open cases" tab); combined with `status` when both are set.
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// Free text found anywhere in the number, customer name, serial number or phone (three
    /// characters or more use the trigram index; one or two scan the four columns).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub sort: SortOrder,
    /// Only cases whose next deadline is before this instant.
    pub overdue_at: Option<Timestamp>,
    /// Part of the customer's name.
    pub customer: Option<String>,
    /// The start of the serial number (a full serial matches itself).
    pub serial: Option<String>,
    /// The start of the product model.
    pub model: Option<String>,
    pub updated_since: Option<Timestamp>,
    pub only_conflicts: bool,
    /// Rows per page, 1 to [`MAX_PAGE`]; [`DEFAULT_PAGE`] when zero.
    pub limit: u32,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Newest update first.
    #[default]
    Updated,
    /// Earliest next deadline first ("due soon"); cases without a deadline last.
    NextDue,
}

/// Tab badges: how many cases per status, overdue and in conflict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCounts {
    /// Per stored status (as text: a newer app's status is counted too), by status.
    pub by_status: Vec<(String, u64)>,
    pub overdue: u64,
    pub conflicts: u64,
    pub total: u64,
}

/// A row of a list screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    #[serde(flatten)]
    pub case: ProjectionRow,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub rows: Vec<ListRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Newest first by last update; ties broken by case id so paging never skips or repeats.
pub fn list(conn: &Connection, query: &ListQuery, now: Timestamp) -> Result<Page> {
    let limit = match query.limit {
        0 => DEFAULT_PAGE,
        n if n > MAX_PAGE => {
            return Err(Error::validation(
                "limit",
                Invalid::PageTooLarge { max: MAX_PAGE },
            ));
        }
        n => n,
    };
    let mut sql = format!("SELECT {COLUMNS} FROM cases WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    let mut statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
    if let Some(status) = query.status {
        statuses.push(status.as_str());
    }
    statuses.sort_unstable();
    statuses.dedup();
    if !statuses.is_empty() {
        sql.push_str(" AND status IN (");
        sql.push_str(&vec!["?"; statuses.len()].join(", "));
        sql.push(')');
        args.extend(statuses.iter().map(|s| Value::Text((*s).into())));
    }
    if let Some(text) = non_empty(&query.text) {
        search_filter(text, &mut sql, &mut args);
    }
    if let Some(at) = query.overdue_at {
        sql.push_str(" AND next_due_ms < ?");
        args.push(Value::Integer(at.timestamp_millis()));
    }
    if let Some(customer) = non_empty(&query.customer) {
        sql.push_str(" AND customer_name LIKE ? ESCAPE '\\'");
        args.push(Value::Text(format!("%{}%", escape_like(customer))));
    }
    if let Some(serial) = non_empty(&query.serial) {
        sql.push_str(" AND serial_number LIKE ? ESCAPE '\\'");
        args.push(Value::Text(format!("{}%", escape_like(serial))));
    }
    if let Some(model) = non_empty(&query.model) {
        sql.push_str(" AND product_model LIKE ? ESCAPE '\\'");
        args.push(Value::Text(format!("{}%", escape_like(model))));
    }
    if let Some(since) = query.updated_since {
        sql.push_str(" AND updated_at_ms >= ?");
        args.push(Value::Integer(since.timestamp_millis()));
    }
    if query.only_conflicts {
        sql.push_str(" AND has_conflict = 1");
    }
    match query.sort {
        SortOrder::Updated => {
            if let Some(cursor) = &query.after {
                let (ms, id) = parse_cursor(cursor)?;
                sql.push_str(" AND (updated_at_ms < ? OR (updated_at_ms = ? AND case_id < ?))");
                args.extend([Value::Integer(ms), Value::Integer(ms), Value::Text(id)]);
            }
            sql.push_str(" ORDER BY updated_at_ms DESC, case_id DESC LIMIT ?");
        }
        SortOrder::NextDue => {
            if let Some(cursor) = &query.after {
                match parse_due_cursor(cursor)? {
                    (Some(ms), id) => {
                        sql.push_str(
                            " AND (next_due_ms IS NULL OR next_due_ms > ? \
                             OR (next_due_ms = ? AND case_id > ?))",
                        );
                        args.extend([Value::Integer(ms), Value::Integer(ms), Value::Text(id)]);
                    }
                    (None, id) => {
                        sql.push_str(" AND next_due_ms IS NULL AND case_id > ?");
                        args.push(Value::Text(id));
                    }
                }
            }
            sql.push_str(" ORDER BY next_due_ms IS NULL, next_due_ms, case_id LIMIT ?");
        }
    }
    args.push(Value::Integer(i64::from(limit) + 1));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<ProjectionRow> = stmt
        .query_map(params_from_iter(args), projection::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| match query.sort {
            SortOrder::Updated => format!("{}:{}", r.updated_at_ms, r.case_id),
            SortOrder::NextDue => format!(
                "due:{}:{}",
                r.next_due_ms.map(|ms| ms.to_string()).unwrap_or_default(),
                r.case_id
            ),
        })
    } else {
        None
    };
    let now_ms = now.timestamp_millis();
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|case| ListRow {
                overdue: case.next_due_ms.is_some_and(|due| now_ms > due),
                case,
            })
            .collect(),
        next,
    })
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn parse_cursor(cursor: &str) -> Result<(i64, String)> {
    let bad = || Error::validation("after", Invalid::NotCursor);
    let (ms, id) = cursor.split_once(':').ok_or_else(bad)?;
    let ms = ms.parse().map_err(|_| bad())?;
    let id: uuid::Uuid = id.parse().map_err(|_| bad())?;
    Ok((ms, id.to_string()))
}

/// Adds the free-text condition: three characters or more through the trigram index (the
/// phone also matched without its separators; RMA numbers too), fewer by scanning the four
/// columns, which the index cannot answer.
fn search_filter(text: &str, sql: &mut String, args: &mut Vec<Value>) {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '+' | '(' | ')'))
        .collect();
    if text.chars().count() >= 3 {
        // An FTS5 string: quoted, inner quotes doubled, so the text is never query syntax.
        let quoted = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        let mut phrase = quoted(text);
        if digits.chars().count() >= 3 && digits.chars().all(|c| c.is_ascii_digit()) {
            phrase = format!("{phrase} OR phone_digits : {}", quoted(&digits));
        }
        sql.push_str(" AND rowid IN (SELECT rowid FROM cases_search WHERE cases_search MATCH ?)");
        args.push(Value::Text(phrase));
    } else {
        sql.push_str(
            " AND (number LIKE ? ESCAPE '\\' OR customer_name LIKE ? ESCAPE '\\' \
             OR serial_number LIKE ? ESCAPE '\\' OR customer_phone LIKE ? ESCAPE '\\')",
        );
        let pattern = format!("%{}%", escape_like(text));
        for _ in 0..4 {
            args.push(Value::Text(pattern.clone()));
        }
    }
}

fn parse_due_cursor(cursor: &str) -> Result<(Option<i64>, String)> {
    let bad = || Error::validation("after", Invalid::NotCursor);
    let rest = cursor.strip_prefix("due:").ok_or_else(bad)?;
    let (ms, id) = rest.split_once(':').ok_or_else(bad)?;
    let ms = match ms {
        "" => None,
        ms => Some(ms.parse().map_err(|_| bad())?),
    };
    let id: uuid::Uuid = id.parse().map_err(|_| bad())?;
    Ok((ms, id.to_string()))
}

/// Counts for tab badges, over every case on the device; overdue by `now`.
pub fn counts(conn: &Connection, now: Timestamp) -> Result<CaseCounts> {
    let mut by_status: Vec<(String, u64)> = conn
        .prepare_cached("SELECT status, COUNT(*) FROM cases GROUP BY status ORDER BY status")?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<rusqlite::Result<_>>()?;
    by_status.retain(|(_, n)| *n > 0);
    let (overdue, conflicts, total): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(next_due_ms < ?1), 0), COALESCE(SUM(has_conflict), 0), \
             COUNT(*) FROM cases",
        )?
        .query_row([now.timestamp_millis()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(CaseCounts {
        by_status,
        overdue: overdue as u64,
        conflicts: conflicts as u64,
        total: total as u64,
    })
}
