//! List screens and search: one call returns a page of rows read from the projection table,
//! never a case document, so a list of hundreds of cases stays a few milliseconds.

use fieldcore::SortOrder;
use fieldcore::{CaseCounts as CoreCounts, ListQuery as CoreQuery, ListRow as CoreRow, Page};
use fieldcore::{Market, Status};

use crate::convert::{self, CaseId, Timestamp};
use crate::error::{FieldError, Result};
use crate::model::Milestone;
use crate::view::Due;

/// Filters combine with AND; text filters ignore case; blank text filters are ignored.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ListQuery {
    #[uniffi(default)]
    pub status: Option<Status>,
    /// Any of these statuses (an "open cases" tab); joined with `status` when both are set.
    #[uniffi(default)]
    pub statuses: Vec<Status>,
    /// Free text found anywhere in the case number, customer name, serial number or phone
    /// (digits match the phone with or without its spaces and dashes); Chinese works as typed.
    #[uniffi(default)]
    pub text: Option<String>,
    /// Newest update first (`null`/`nil`, the default, or `Updated`) or earliest next
    /// deadline first (`NextDue`).
    #[uniffi(default)]
    pub sort: Option<ListSort>,
    /// Only cases whose next deadline has passed (by the store's clock).
    #[uniffi(default)]
    pub overdue_only: bool,
    /// Part of the customer's name.
    #[uniffi(default)]
    pub customer: Option<String>,
    /// The start of the serial number.
    #[uniffi(default)]
    pub serial: Option<String>,
    /// The start of the product model.
    #[uniffi(default)]
    pub model: Option<String>,
    #[uniffi(default)]
    pub updated_since: Option<Timestamp>,
    #[uniffi(default)]
    pub only_conflicts: bool,
    /// Rows per page, 1 to 500; 0 means 50 (negative is refused).
    #[uniffi(default)]
    pub limit: i32,
    /// `CasePage.next` of the previous page.
    #[uniffi(default)]
    pub after: Option<String>,
}

/// The order of a list screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ListSort {
    /// Newest update first.
    Updated,
    /// Earliest next deadline first ("due soon"); cases without a deadline last.
    NextDue,
}

/// How many cases one status holds; `status` is `null`/`nil` for a status a newer app wrote.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusCount {
    pub status: Option<Status>,
    pub status_text: String,
    pub count: i64,
}

/// Tab badges over every case on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CaseCounts {
    /// Statuses with at least one case, by status name.
    pub by_status: Vec<StatusCount>,
    /// Cases whose next deadline has passed.
    pub overdue: i64,
    pub conflicts: i64,
    pub total: i64,
}

impl From<CoreCounts> for CaseCounts {
    fn from(c: CoreCounts) -> CaseCounts {
        CaseCounts {
            by_status: c
                .by_status
                .into_iter()
                .map(|(text, count)| StatusCount {
                    status: Status::parse(&text),
                    status_text: text,
                    count: convert::signed(count),
                })
                .collect(),
            overdue: convert::signed(c.overdue),
            conflicts: convert::signed(c.conflicts),
            total: convert::signed(c.total),
        }
    }
}

/// A row of a list screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ListRow {
    pub case_id: CaseId,
    pub number: Option<String>,
    /// `null` when a newer version of the app wrote a status this one does not know; then
    /// `status_text` holds it (show it, marked unknown).
    pub status: Option<Status>,
    /// The status as stored: the snake_case name of `status`, or the unknown value.
    pub status_text: String,
    pub round: i32,
    pub customer_name: String,
    pub customer_phone: String,
    pub region: String,
    pub market: Market,
    pub product_model: String,
    pub product_category: String,
    pub serial_number: String,
    pub received_at: Timestamp,
    pub updated_at: Timestamp,
    pub next_due: Option<Due>,
    pub overdue: bool,
    pub has_conflict: bool,
    /// `null` until the warranty is decided.
    pub warranty_covered: Option<bool>,
    pub major_incident: bool,
}

/// A page of rows; pass `next` as `ListQuery.after` for the following page.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CasePage {
    pub rows: Vec<ListRow>,
    /// Absent on the last page.
    pub next: Option<String>,
}

impl ListQuery {
    /// The core's query; a negative `limit` is refused before anything is read.
    pub(crate) fn into_core(self, now: Timestamp) -> Result<CoreQuery> {
        Ok(CoreQuery {
            status: self.status,
            statuses: self.statuses,
            text: self.text,
            sort: match self.sort {
                None | Some(ListSort::Updated) => SortOrder::Updated,
                Some(ListSort::NextDue) => SortOrder::NextDue,
            },
            overdue_at: self.overdue_only.then_some(now),
            customer: self.customer,
            serial: self.serial,
            model: self.model,
            updated_since: self.updated_since,
            only_conflicts: self.only_conflicts,
            limit: convert::unsigned("limit", self.limit)?,
            after: self.after,
        })
    }
}

impl TryFrom<Page> for CasePage {
    type Error = FieldError;

    fn try_from(page: Page) -> Result<CasePage> {
        Ok(CasePage {
            rows: page
                .rows
                .into_iter()
                .map(ListRow::try_from)
                .collect::<Result<_>>()?,
            next: page.next,
        })
    }
}

/// The projection stores text; a value this code cannot read back is a bug, not bad input.
fn stored<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| FieldError::internal(format!("unreadable {column} in the case list")))
}

fn stored_time(text: &str, column: &str) -> Result<Timestamp> {
    stored(convert::parse_timestamp(text).ok(), column)
}

impl TryFrom<CoreRow> for ListRow {
    type Error = FieldError;

    fn try_from(row: CoreRow) -> Result<ListRow> {
        let c = row.case;
        let next_due = match (c.next_due_kind, c.next_due_at) {
            (Some(kind), Some(at)) => Some(Due {
                milestone: stored(Milestone::parse(&kind), "next_due_kind")?,
                due_at: stored_time(&at, "next_due_at")?,
            }),
            _ => None,
        };
        Ok(ListRow {
            case_id: stored(convert::parse_case_id(&c.case_id).ok(), "case_id")?,
            number: c.number,
            status: Status::parse(&c.status),
            status_text: c.status,
            round: convert::signed32(c.round),
            customer_name: c.customer_name,
            customer_phone: c.customer_phone,
            region: c.region,
            market: match c.market.as_str() {
                "domestic" => Market::Domestic,
                "foreign" => Market::Foreign,
                _ => return Err(FieldError::internal("unreadable market in the case list")),
            },
            product_model: c.product_model,
            product_category: c.product_category,
            serial_number: c.serial_number,
            received_at: stored_time(&c.received_at, "received_at")?,
            updated_at: stored_time(&c.updated_at, "updated_at")?,
            next_due,
            overdue: row.overdue,
            has_conflict: c.has_conflict,
            warranty_covered: c.warranty_covered,
            major_incident: c.major_incident,
        })
    }
}
