//! Everything fieldctl prints: short human lines, the list table and the warranty answer, or
//! their JSON forms with `--json`; and errors, on stderr always and as JSON on stdout too.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use chrono::DateTime;
use fieldcore::CaseSyncState;
use fieldcore::Due;
use fieldcore::Timestamp;
use fieldcore::WarrantyDecision;
use fieldcore::{CaseView, Page, PhotoInfo};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::case_text;
use crate::error::{CliError, Result};
use crate::photo_text;

/// Writes results to stdout as text or as JSON.
pub struct Printer {
    json: bool,
}

impl Printer {
    pub fn new(json: bool) -> Printer {
        Printer { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A line of progress; JSON output has no progress lines.
    pub fn line(&self, line: &str) -> Result<()> {
        if self.json {
            return Ok(());
        }
        write_stdout(&format!("{line}\n"))
    }

    /// A result that is JSON whatever the flag says (benchmarks): one object, one line.
    pub fn json_value(&self, value: &Value) -> Result<()> {
        write_stdout(&format!("{value}\n"))
    }

    /// The result of a command that changed a case.
    pub fn case_changed(
        &self,
        view: &CaseView,
        entry_id: Option<&str>,
        message: &str,
        now: Timestamp,
    ) -> Result<()> {
        if self.json {
            let mut object = Map::new();
            object.insert("case".into(), view_json(view, now)?);
            if let Some(id) = entry_id {
                object.insert("entry_id".into(), Value::String(id.to_owned()));
            }
            return write_json(&Value::Object(object));
        }
        write_stdout(&format!("{message}\n{}\n", status_line(view, now)))
    }

    /// The whole case, as `case show` prints it; `photos` are the case's photos with their
    /// upload state.
    /// `case show`: the whole case and how it stands with HQ.
    pub fn case_view(
        &self,
        view: &CaseView,
        photos: &[PhotoInfo],
        sync: CaseSyncState,
        now: Timestamp,
    ) -> Result<()> {
        if self.json {
            let mut value = view_json(view, now)?;
            if let Value::Object(object) = &mut value {
                object.insert("sync_state".into(), to_value(&sync)?);
            }
            return write_json(&value);
        }
        write_stdout(&case_text::render(view, photos, Some(sync), now))
    }

    /// A photo just attached: its hash, size and dimensions.
    pub fn photo_added(&self, view: &CaseView, hash: &str, now: Timestamp) -> Result<()> {
        if self.json {
            return write_json(&json!({ "case": view_json(view, now)?, "photo": hash }));
        }
        let mut text = Text::default();
        if let Some(photo) = view.photos.iter().find(|p| p.hash == hash) {
            let r = &photo.record;
            text.line(format!(
                "attached {} photo {} · {} · {}",
                r.kind.as_str(),
                photo_text::short_hash(hash),
                photo_text::dimensions(r),
                photo_text::size(r.size)
            ));
        }
        text.line(format!("hash: {hash}"));
        text.line(status_line(view, now));
        write_stdout(&text.into_string())
    }

    /// The photos of a case.
    pub fn photos(&self, photos: &[PhotoInfo]) -> Result<()> {
        if self.json {
            return write_json(photos);
        }
        write_stdout(&photo_text::table(photos))
    }

    /// One photo's record and, when it was exported, where to and how many bytes.
    pub fn photo(&self, info: &PhotoInfo, written: Option<(&Path, usize)>) -> Result<()> {
        if self.json {
            let mut value = to_value(info)?;
            if let (Value::Object(object), Some((path, bytes))) = (&mut value, written) {
                object.insert(
                    "written".into(),
                    json!({ "path": path.display().to_string(), "bytes": bytes }),
                );
            }
            return write_json(&value);
        }
        let mut text = photo_text::record(info);
        if let Some((path, bytes)) = written {
            text.push_str(&format!("wrote {bytes} bytes to {}\n", path.display()));
        }
        write_stdout(&text)
    }

    pub fn page(&self, page: &Page) -> Result<()> {
        if self.json {
            return write_json(page);
        }
        write_stdout(&list_table(page))
    }

    pub fn warranty(&self, decision: &WarrantyDecision) -> Result<()> {
        if self.json {
            return write_json(decision);
        }
        write_stdout(&warranty_text(decision))
    }

    /// The end of the demo: the final case and where its database is.
    pub fn demo(
        &self,
        database: &Path,
        steps: &[String],
        view: &CaseView,
        photos: &[PhotoInfo],
        now: Timestamp,
    ) -> Result<()> {
        if self.json {
            return write_json(&json!({
                "database": database.display().to_string(),
                "steps": steps,
                "case": view_json(view, now)?,
            }));
        }
        write_stdout(&format!(
            "\n{}\ndatabase: {}\n",
            case_text::render(view, photos, None, now),
            database.display()
        ))
    }

    /// Reports an error on stderr (and stdout with `--json`) and gives the exit code.
    pub fn error(&self, e: &CliError) -> ExitCode {
        if let CliError::Output(io) = e
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            // The reader went away (`fieldctl case list | head`): nothing left to tell.
            return ExitCode::SUCCESS;
        }
        // Nothing useful can be done when stderr or stdout themselves fail here.
        let _ = io::stderr().write_all(e.stderr_text().as_bytes());
        if self.json {
            let _ = write_json(&error_json(e));
        }
        ExitCode::from(e.exit_code())
    }
}

/// `{"error": {"kind": ..., "field": ..., "message": ...}}`, `field` only when known.
pub fn error_json(e: &CliError) -> Value {
    let mut error = Map::new();
    error.insert("kind".into(), Value::String(e.kind().into()));
    if let Some(field) = e.field() {
        error.insert("field".into(), Value::String(field));
    }
    error.insert("message".into(), Value::String(e.to_string()));
    json!({ "error": error })
}

/// The case view as serde writes it, plus `overdue` as of `now`.
fn view_json(view: &CaseView, now: Timestamp) -> Result<Value> {
    let mut value = to_value(view)?;
    if let Value::Object(object) = &mut value {
        object.insert("overdue".into(), Value::Bool(view.is_overdue(now)));
    }
    Ok(value)
}

fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| CliError::Output(io::Error::from(e)))
}

fn write_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Output(io::Error::from(e)))?;
    text.push('\n');
    write_stdout(&text)
}

fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Output)
}

/// Lines of text built without `fmt::Result` plumbing.
#[derive(Default)]
pub struct Text(String);

impl Text {
    pub fn line(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A time as people read it, in the offset it was recorded with.
pub fn time(at: &Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// Minor units as a major-unit amount with two decimals: 12050 CNY → "120.50 CNY".
pub fn money(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// "reply due 2026-03-02 09:30 +08:00", with " OVERDUE" when it has passed.
pub fn due(due: &Option<Due>, now: Timestamp) -> String {
    match due {
        None => "nothing due".to_owned(),
        Some(d) => format!(
            "{} due {}{}",
            d.milestone.as_str(),
            time(&d.due_at),
            if fieldcore::is_overdue(d, now) {
                " OVERDUE"
            } else {
                ""
            }
        ),
    }
}

/// The snake_case name serde gives an enum value.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

/// One line on where a case stands.
pub fn status_line(view: &CaseView, now: Timestamp) -> String {
    let mut line = format!(
        "case {}{} · status {} · round {} · {}",
        view.id,
        view.number
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        view.status().as_str(),
        view.round,
        due(&view.next_due, now)
    );
    if view.has_conflict() {
        let fields: Vec<&str> = view.conflicts.iter().map(|c| c.field.as_str()).collect();
        line.push_str(&format!(" · CONFLICT on {}", fields.join(", ")));
    }
    line
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

/// Rows as left-aligned columns two spaces apart; the first row is the header.
pub fn aligned<const N: usize>(text: &mut Text, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        text.line(cells.join("  ").trim_end());
    }
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

pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

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
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(12050, "CNY"), "120.50 CNY");
        assert_eq!(money(5, "CNY"), "0.05 CNY");
        assert_eq!(money(0, "CNY"), "0.00 CNY");
        assert_eq!(money(-150, "EUR"), "-1.50 EUR");
        assert_eq!(money(i64::MIN, "X"), "-92233720368547758.08 X");
    }

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

    #[test]
    fn long_names_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
    }
}
