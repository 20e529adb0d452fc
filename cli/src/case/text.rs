//! Cases as text: the full case view the way `case show` prints it (facts, decisions with who
//! and when, conflicts numbered for `resolve-conflict`, photos, the append-only entries and the
//! history), the `case list` table and the warranty answer.

use chrono::DateTime;
use fieldcore::CaseSyncState;
use fieldcore::Timestamp;
use fieldcore::{CaseTextExtras, CaseView, Page, PhotoInfo, WarrantyDecision};

use crate::output::{Text, aligned, time, truncate};
use crate::photo;

/// `photos` are the case's photos with their upload state, as `Store::photos` gives them.
/// The whole case as text (fieldcore's [`fieldcore::case_text`]); `sync` adds how it stands
/// with HQ (left out where the store was never synced, as in the offline demo).
pub fn render(
    v: &CaseView,
    photos: &[PhotoInfo],
    sync: Option<CaseSyncState>,
    now: Timestamp,
) -> String {
    let extras = CaseTextExtras {
        header: sync
            .map(|s| vec![("HQ".to_owned(), sync_text(s).to_owned())])
            .unwrap_or_default(),
        photos: Some(photos.iter().map(photo::line).collect()),
    };
    fieldcore::case_text(v, &extras, now, crate::output::locale())
}

fn sync_text(sync: CaseSyncState) -> &'static str {
    match sync {
        CaseSyncState::Pending => "pending: local work not yet at HQ",
        CaseSyncState::Synced => "synced",
        CaseSyncState::Conflict => "synced, with a conflict to resolve",
        CaseSyncState::Refused => {
            "refused: HQ took this case from you; your unsent work is kept on this device"
        }
        CaseSyncState::Rejected => {
            "rejected: HQ refused your unsent work on this case (see why below); it is kept here and goes up again when you change the case"
        }
        CaseSyncState::Quarantined => {
            "quarantined: HQ sent changes this app version cannot read; set aside, the rest syncs on"
        }
    }
}

const SHORT_ID: usize = 13;
const CUSTOMER_WIDTH: usize = 28;

/// The list screen: one row per case and the cursor of the next page.
pub fn list_table(page: &Page) -> String {
    let mut text = Text::default();
    if page.rows.is_empty() {
        text.line("no cases");
        return text.into_string();
    }
    let ids: Vec<&str> = page.rows.iter().map(|r| r.case.case_id.as_str()).collect();
    let short = short_ids(&ids);
    let mut rows = vec![[
        "CASE".to_owned(),
        "STATUS".to_owned(),
        "CUSTOMER".to_owned(),
        "MODEL".to_owned(),
        "SERIAL".to_owned(),
        "NEXT DUE".to_owned(),
        String::new(),
    ]];
    for (row, short) in page.rows.iter().zip(short) {
        let c = &row.case;
        let next = match (&c.next_due_kind, &c.next_due_at) {
            (Some(kind), Some(at)) => format!(
                "{kind} {}",
                DateTime::parse_from_rfc3339(at)
                    .map(|t| time(&t))
                    .unwrap_or_else(|_| at.clone())
            ),
            _ => "-".to_owned(),
        };
        let mut flags = Vec::new();
        if row.overdue {
            flags.push("OVERDUE");
        }
        if c.has_conflict {
            flags.push("CONFLICT");
        }
        if fieldcore::Status::parse(&c.status).is_none() {
            flags.push("UNKNOWN STATUS: update the app");
        }
        rows.push([
            c.number.clone().unwrap_or(short),
            c.status.clone(),
            truncate(&c.customer_name, CUSTOMER_WIDTH),
            c.product_model.clone(),
            c.serial_number.clone(),
            next,
            flags.join(" "),
        ]);
    }
    aligned(&mut text, &rows);
    let count = page.rows.len();
    text.line(format!("{count} case{}", if count == 1 { "" } else { "s" }));
    if let Some(next) = &page.next {
        text.line(format!("next page: --after {next} (with the same filters)"));
    }
    text.into_string()
}

/// The shortest id prefixes, at least [`SHORT_ID`] characters, that tell the rows apart.
/// UUIDv7 ids start with their creation time, so shorter prefixes collide within a minute.
fn short_ids(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            let mut len = SHORT_ID.min(id.len());
            while len < id.len()
                && ids
                    .iter()
                    .any(|other| other != id && other.get(..len) == id.get(..len))
            {
                len += 1;
            }
            id.get(..len).unwrap_or(id).trim_end_matches('-').to_owned()
        })
        .collect()
}

/// The `warranty check` answer: covered or not, by which rule, the period, and why.
pub fn warranty_text(d: &WarrantyDecision) -> String {
    let mut text = Text::default();
    text.line(format!("covered: {}", if d.covered { "yes" } else { "no" }));
    text.line(format!("rule: {}", d.rule.as_str()));
    text.line(match (d.months, d.period_end) {
        (Some(months), Some(end)) => {
            format!("period: {months} months, ends {end} (inclusive)")
        }
        _ => "period: none applies".to_owned(),
    });
    text.line(format!("explanation: {}", d.explanation));
    text.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_grow_until_unique() {
        let ids = [
            "0195f1c2-7b2c-7abc-8def-000000000001",
            "0195f1c2-7b2c-7abd-8def-000000000002",
            "0195f1c2-7b2d-7abc-8def-000000000003",
        ];
        let short = short_ids(&ids);
        assert_eq!(short[0], "0195f1c2-7b2c-7abc");
        assert_eq!(short[1], "0195f1c2-7b2c-7abd");
        assert_eq!(short[2], "0195f1c2-7b2d");
        for (s, id) in short.iter().zip(ids) {
            assert!(id.starts_with(s.as_str()));
        }
    }
}
