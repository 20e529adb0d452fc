//! The query projection: the columns lists and search need, derived from a case view alone,
//! so that the row can always be recomputed from the document and compared with it.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::case::view::CaseView;
use crate::error::{Error, Result};
use crate::model::{CaseId, Market};
use crate::rules::deadlines::{DeadlineInputs, DeadlinePolicy};

/// One row of the `cases` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectionRow {
    pub case_id: String,
    pub number: Option<String>,
    pub status: String,
    pub round: u32,
    pub customer_name: String,
    pub customer_phone: String,
    pub region: String,
    pub market: String,
    pub product_model: String,
    pub product_category: String,
    pub serial_number: String,
    pub received_at: String,
    pub updated_at: String,
    pub updated_at_ms: i64,
    pub next_due_kind: Option<String>,
    pub next_due_at: Option<String>,
    pub next_due_ms: Option<i64>,
    pub has_conflict: bool,
    pub warranty_covered: Option<bool>,
    pub major_incident: bool,
    /// [`DeadlineInputs`] as JSON, `null` when the status is unknown to this version; `None`
    /// only in rows an older version wrote.
    pub deadline_inputs: Option<String>,
    /// The RMA numbers of the case's returns, separated by spaces, for search.
    #[serde(default)]
    pub rma_numbers: String,
}

/// What the projection row of a case must be.
pub fn row_of(view: &CaseView) -> ProjectionRow {
    let r = &view.registration;
    ProjectionRow {
        case_id: view.id.to_string(),
        number: view.number.clone(),
        status: view.status().as_str().into(),
        round: view.round,
        customer_name: r.customer_name.clone(),
        customer_phone: r.customer_phone.clone(),
        region: r.region.clone(),
        market: match r.market {
            Market::Domestic => "domestic".into(),
            Market::Foreign => "foreign".into(),
        },
        product_model: r.product_model.clone(),
        product_category: r.product_category.clone(),
        serial_number: r.serial_number.clone(),
        received_at: r.received_at.to_rfc3339(),
        updated_at: view.updated_at.to_rfc3339(),
        updated_at_ms: view.updated_at.timestamp_millis(),
        next_due_kind: view.next_due.as_ref().map(|d| d.milestone.as_str().into()),
        next_due_at: view.next_due.as_ref().map(|d| d.due_at.to_rfc3339()),
        next_due_ms: view.next_due.as_ref().map(|d| d.due_at.timestamp_millis()),
        has_conflict: view.has_conflict(),
        warranty_covered: view
            .warranty
            .as_ref()
            .map(|w| w.current.value.decision.covered),
        major_incident: view
            .defect
            .as_ref()
            .is_some_and(|d| d.current.value.major_incident),
        deadline_inputs: serde_json::to_string(&view.deadline_inputs()).ok(),
        rma_numbers: view
            .returns
            .iter()
            .filter_map(|r| r.rma.as_ref().map(|n| n.number.as_str()))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Writes everything the projection holds for a case: its list row and the photos (and
/// thumbnails) it references.
pub fn write(conn: &Connection, view: &CaseView) -> Result<()> {
    upsert(conn, &row_of(view))?;
    let id = view.id.to_string();
    conn.prepare_cached("DELETE FROM photo_refs WHERE case_id = ?1")?
        .execute([&id])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO photo_refs (case_id, hash) VALUES (?1, ?2)")?;
    for photo in &view.photos {
        insert.execute(params![id, photo.hash])?;
        insert.execute(params![id, photo.record.thumbnail_hash])?;
    }
    Ok(())
}

pub fn upsert(conn: &Connection, row: &ProjectionRow) -> Result<()> {
    conn.prepare_cached(
        // An upsert, not INSERT OR REPLACE: a replace deletes the row without firing the
        // search index's delete trigger (migration 0008), and keeps no rowid.
        "INSERT INTO cases (case_id, number, status, round, customer_name, \
         customer_phone, region, market, product_model, product_category, serial_number, \
         received_at, updated_at, updated_at_ms, next_due_kind, next_due_at, next_due_ms, \
         has_conflict, warranty_covered, major_incident, deadline_inputs, rma_numbers) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
         ?19, ?20, ?21, ?22) \
         ON CONFLICT (case_id) DO UPDATE SET number = excluded.number, status = excluded.status, \
         round = excluded.round, customer_name = excluded.customer_name, \
         customer_phone = excluded.customer_phone, region = excluded.region, \
         market = excluded.market, product_model = excluded.product_model, \
         product_category = excluded.product_category, serial_number = excluded.serial_number, \
         received_at = excluded.received_at, updated_at = excluded.updated_at, \
         updated_at_ms = excluded.updated_at_ms, next_due_kind = excluded.next_due_kind, \
         next_due_at = excluded.next_due_at, next_due_ms = excluded.next_due_ms, \
         has_conflict = excluded.has_conflict, warranty_covered = excluded.warranty_covered, \
         major_incident = excluded.major_incident, deadline_inputs = excluded.deadline_inputs, \
         rma_numbers = excluded.rma_numbers",
    )?
    .execute(params![
        row.case_id,
        row.number,
        row.status,
        row.round,
        row.customer_name,
        row.customer_phone,
        row.region,
        row.market,
        row.product_model,
        row.product_category,
        row.serial_number,
        row.received_at,
        row.updated_at,
        row.updated_at_ms,
        row.next_due_kind,
        row.next_due_at,
        row.next_due_ms,
        row.has_conflict,
        row.warranty_covered,
        row.major_incident,
        row.deadline_inputs,
        row.rma_numbers,
    ])?;
    Ok(())
}

pub const COLUMNS: &str = "case_id, number, status, round, customer_name, customer_phone, \
    region, market, product_model, product_category, serial_number, received_at, updated_at, \
    updated_at_ms, next_due_kind, next_due_at, next_due_ms, has_conflict, warranty_covered, \
    major_incident, deadline_inputs, rma_numbers";

pub fn from_row(row: &Row<'_>) -> rusqlite::Result<ProjectionRow> {
    Ok(ProjectionRow {
        case_id: row.get(0)?,
        number: row.get(1)?,
        status: row.get(2)?,
        round: row.get(3)?,
        customer_name: row.get(4)?,
        customer_phone: row.get(5)?,
        region: row.get(6)?,
        market: row.get(7)?,
        product_model: row.get(8)?,
        product_category: row.get(9)?,
        serial_number: row.get(10)?,
        received_at: row.get(11)?,
        updated_at: row.get(12)?,
        updated_at_ms: row.get(13)?,
        next_due_kind: row.get(14)?,
        next_due_at: row.get(15)?,
        next_due_ms: row.get(16)?,
        has_conflict: row.get(17)?,
        warranty_covered: row.get(18)?,
        major_incident: row.get(19)?,
        deadline_inputs: row.get(20)?,
        rma_numbers: row.get(21)?,
    })
}

pub fn get(conn: &Connection, case_id: CaseId) -> Result<Option<ProjectionRow>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE case_id = ?1"))?
        .query_row([case_id.to_string()], from_row)
        .optional()?)
}

/// Cases whose row has no deadline inputs yet (written by an older version).
pub fn without_deadline_inputs(conn: &Connection) -> Result<Vec<CaseId>> {
    let ids: Vec<String> = conn
        .prepare("SELECT case_id FROM cases WHERE deadline_inputs IS NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .map(|s| {
            s.parse()
                .map_err(|_| Error::InvalidDocument(format!("stored case id {s}")))
        })
        .collect()
}

/// Re-dates every case's next deadline under `policy`, from the inputs its row keeps.
pub fn recompute_deadlines(conn: &Connection, policy: &DeadlinePolicy) -> Result<()> {
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT case_id, deadline_inputs FROM cases WHERE deadline_inputs IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = conn.prepare_cached(
        "UPDATE cases SET next_due_kind = ?2, next_due_at = ?3, next_due_ms = ?4 \
         WHERE case_id = ?1",
    )?;
    for (case_id, json) in rows {
        // `null` for a case whose status this version does not know: no deadline to date.
        let inputs: Option<DeadlineInputs> = serde_json::from_str(&json)
            .map_err(|e| Error::InvalidDocument(format!("deadline inputs of {case_id}: {e}")))?;
        let due = inputs.and_then(|i| i.next_due(policy));
        update.execute(params![
            case_id,
            due.map(|d| d.milestone.as_str()),
            due.map(|d| d.due_at.to_rfc3339()),
            due.map(|d| d.due_at.timestamp_millis()),
        ])?;
    }
    Ok(())
}
