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
    if let Some(status) = query.status {
        sql.push_str(" AND status = ?");
        args.push(Value::Text(status.as_str().into()));
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
    if let Some(cursor) = &query.after {
        let (ms, id) = parse_cursor(cursor)?;
        sql.push_str(" AND (updated_at_ms < ? OR (updated_at_ms = ? AND case_id < ?))");
        args.extend([Value::Integer(ms), Value::Integer(ms), Value::Text(id)]);
    }
    sql.push_str(" ORDER BY updated_at_ms DESC, case_id DESC LIMIT ?");
    args.push(Value::Integer(i64::from(limit) + 1));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<ProjectionRow> = stmt
        .query_map(params_from_iter(args), projection::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| format!("{}:{}", r.updated_at_ms, r.case_id))
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
